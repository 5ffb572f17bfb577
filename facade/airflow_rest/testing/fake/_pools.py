"""Pools: ``/pools`` (slot counts computed from the task instances)."""

from __future__ import annotations

from typing import Any

from ._model import DEFAULT_POOL
from ._state import FakeAirflowState, _locked
from ._wire import (
    JSON,
    Call,
    Reply,
    _bad_request,
    _conflict,
    _Field,
    _Invalid,
    _listed,
    _load,
    _mask,
    _not_found,
    _server_error,
    _updatable,
)

_POOL_BODY = (
    _Field("name", "str", attribute="pool"),
    _Field("slots", "int", allow_none=True),
    _Field("description", "str", allow_none=True),
    _Field("include_deferred", "bool"),
)


class PoolsMixin(FakeAirflowState):
    """Pool operations."""

    @property
    @_locked
    def pools(self) -> dict[str, JSON]:
        """Every pool as the API shows it (slot counts included), by name."""
        return {name: self._pool_json(pool) for name, pool in self._pools.items()}

    @_locked
    def add_pool(
        self, name: str, slots: int, description: str | None = None, *, include_deferred: bool = False
    ) -> JSON:
        self._pools[name] = {
            "name": name,
            "slots": slots,
            "description": description,
            "include_deferred": include_deferred,
        }
        return self._pool_json(self._pools[name])

    def _pool_json(self, pool: JSON) -> JSON:
        used = {state: 0 for state in ("running", "queued", "scheduled", "deferred")}
        for ti in self._tis.values():
            if ti.pool == pool["name"] and ti.state in used:
                used[ti.state] += ti.pool_slots
        occupied = used["running"] + used["queued"] + (used["deferred"] if pool["include_deferred"] else 0)
        slots = pool["slots"]
        return {
            "deferred_slots": used["deferred"],
            "description": pool["description"],
            "include_deferred": pool["include_deferred"],
            "name": pool["name"],
            "occupied_slots": occupied,
            "open_slots": slots - occupied if slots >= 0 else slots,
            "queued_slots": used["queued"],
            "running_slots": used["running"],
            "scheduled_slots": used["scheduled"],
            "slots": slots,
        }

    def _op_get_pools(self, call: Call) -> Reply:
        page, total = _listed(self._pools, call.query, ("name", "slots", "id"))
        return 200, {"pools": [self._pool_json(pool) for pool in page], "total_entries": total}

    def _pool_or_404(self, name: str) -> JSON:
        pool = self._pools.get(name)
        if pool is None:
            raise _not_found(detail=f"Pool with name:'{name}' not found")
        return pool

    def _op_get_pool(self, call: Call) -> Reply:
        return 200, self._pool_json(self._pool_or_404(call.path["pool_name"]))

    @staticmethod
    def _missing_pool_fields(body: Any) -> None:
        given = body if isinstance(body, dict) else {}
        missing = sorted({"name", "slots"} - set(given))
        if missing:
            raise _bad_request(f"Missing required property(ies): {missing}")

    def _op_post_pool(self, call: Call) -> Reply:
        self._missing_pool_fields(call.body)
        try:
            data = _load(call.body, _POOL_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        name = data["pool"]
        if name in self._pools:
            raise _conflict(f"Pool: {name} already exists")
        return 200, self.add_pool(
            name,
            data.get("slots") or 0,
            data.get("description"),
            include_deferred=data.get("include_deferred", False),
        )

    def _op_patch_pool(self, call: Call) -> Reply:
        name = call.path["pool_name"]
        body = call.body if isinstance(call.body, dict) else {}
        mask = _mask(call.query)
        only_slots = bool(mask) and all(m.strip() in ("slots", "include_deferred") for m in mask or ())
        if name == DEFAULT_POOL and body.get("name") != DEFAULT_POOL and not only_slots:
            raise _bad_request("Default Pool's name can't be modified")
        pool = self._pool_or_404(name)
        try:
            data = _load(call.body, _POOL_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        data.setdefault("include_deferred", False)
        if mask:
            changes = {}
            declared = self._pool_json(pool)  # the fields of the server's schema: what it sends
            loaded = {f.name: f.attribute or f.name for f in _POOL_BODY if f.name in _updatable("pool")}
            for field_name in (m.strip() for m in mask):
                if field_name not in declared:
                    raise _bad_request(f"Invalid field: {field_name} in update mask")
                # a read-only field, or one the body lacks: the server's lookup raises
                attribute = loaded.get(field_name)
                if attribute is None or attribute not in data:
                    raise _server_error()
                changes[attribute] = data[attribute]
            data = changes
        else:
            self._missing_pool_fields(call.body)
        new_name = data.pop("pool", name)
        if new_name != name:
            if new_name in self._pools:
                raise _server_error()
            self._pools = {(new_name if k == name else k): v for k, v in self._pools.items()}
            pool["name"] = new_name
            for ti in self._tis.values():
                if ti.pool == name:
                    ti.pool = new_name
        pool.update(data)
        return 200, self._pool_json(pool)

    def _op_delete_pool(self, call: Call) -> Reply:
        name = call.path["pool_name"]
        if name == DEFAULT_POOL:
            raise _bad_request("Default Pool can't be deleted")
        self._pool_or_404(name)
        del self._pools[name]
        return 204, None
