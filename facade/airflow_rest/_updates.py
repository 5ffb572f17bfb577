"""Changing a resource by naming only the fields to change, or by editing a fetched copy.

``client.update("pool", "etl", slots=8)`` sends ``PATCH /pools/etl?update_mask=slots`` with
``{"slots": 8}``; ``client.edit("pool", "etl", lambda pool: ...)`` fetches the pool, lets the
callback change it, and sends only what changed. Bodies carry the changed fields plus what the
server insists on (it refuses a user or variable body without its required fields, even with a
mask), never read-only fields. A field the server will not update is refused before any request,
with the list of those it will.

What each resource accepts is Airflow 2.x server behaviour, recorded in ``RESOURCES`` and
checked against a real server by the integration suite.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any, Literal

Kind = Literal["dag", "pool", "variable", "connection", "user", "role", "dag_run", "task_instance"]


class ResourceSpec:
    """How one kind of resource is read and changed."""

    __slots__ = ("body_model", "fetch", "get", "keys", "kind", "non_null", "patch", "required", "updatable")

    def __init__(
        self,
        kind: str,
        keys: tuple[str, ...],
        updatable: tuple[str, ...],
        *,
        get: tuple[str, str],
        patch: tuple[str, str] | None = None,
        body_model: str = "",
        required: Mapping[str, str] | None = None,
        fetch: bool = False,
        non_null: tuple[str, ...] = (),
    ) -> None:
        self.kind = kind
        self.keys = keys
        self.updatable = updatable
        self.get = get
        self.patch = patch
        self.body_model = body_model
        # body field -> where its value comes from: "key:<name>" (a key argument) or "current"
        self.required = dict(required or {})
        self.fetch = fetch
        # fields the server refuses as null ("Field may not be null") although it sends them as null
        self.non_null = non_null


RESOURCES: dict[str, ResourceSpec] = {
    spec.kind: spec
    for spec in (
        # PATCH /dags/{id}: "Only `is_paused` field can be updated through the REST API"
        ResourceSpec(
            "dag",
            ("dag_id",),
            ("is_paused",),
            get=("dag", "get_dag"),
            patch=("dag", "patch_dag"),
            body_model="DAG",
        ),
        ResourceSpec(
            "pool",
            ("pool_name",),
            ("name", "slots", "description", "include_deferred"),
            get=("pool", "get_pool"),
            patch=("pool", "patch_pool"),
            body_model="Pool",
        ),
        # `value` cannot be masked (Airflow loads it as `val`) and is required in every body:
        # changing the value replaces the variable without a mask; a description alone is masked.
        ResourceSpec(
            "variable",
            ("variable_key",),
            ("value", "description"),
            get=("variable", "get_variable"),
            patch=("variable", "patch_variable"),
            body_model="Variable",
            required={"key": "key:variable_key", "value": "current", "description": "current"},
            fetch=True,
            non_null=("value", "description"),
        ),
        ResourceSpec(
            "connection",
            ("connection_id",),
            ("conn_type", "description", "host", "login", "schema", "port", "password", "extra"),
            get=("connection", "get_connection"),
            patch=("connection", "patch_connection"),
            body_model="Connection",
            required={"connection_id": "key:connection_id", "conn_type": "current"},
        ),
        ResourceSpec(
            "user",
            ("username",),
            ("first_name", "last_name", "email", "roles", "password"),
            get=("user", "get_user"),
            patch=("user", "patch_user"),
            body_model="User",
            required={
                "username": "key:username",
                "email": "current",
                "first_name": "current",
                "last_name": "current",
            },
        ),
        # PATCH adds the actions it is given; Airflow never revokes a role's actions this way
        ResourceSpec(
            "role",
            ("role_name",),
            ("actions",),
            get=("role", "get_role"),
            patch=("role", "patch_role"),
            body_model="Role",
            required={"name": "key:role_name"},
        ),
        ResourceSpec("dag_run", ("dag_id", "dag_run_id"), ("state", "note"), get=("dag_run", "get_dag_run")),
        ResourceSpec(
            "task_instance",
            ("dag_id", "dag_run_id", "task_id"),
            ("state", "note"),
            get=("task_instance", "get_task_instance"),
        ),
    )
}


class UpdatePlan:
    """The requests one update needs: a PATCH with body and mask, or state/note calls."""

    __slots__ = ("body", "mask", "spec")

    def __init__(self, spec: ResourceSpec, body: dict[str, Any], mask: list[str] | None) -> None:
        self.spec = spec
        self.body = body
        self.mask = mask


def resource(kind: str) -> ResourceSpec:
    spec = RESOURCES.get(kind)
    if spec is None:
        raise ValueError(f"cannot update {kind!r}; resources: {', '.join(RESOURCES)}")
    return spec


def key_args(spec: ResourceSpec, key: str | tuple[str, ...]) -> dict[str, str]:
    """The path parameters of the resource from ``key`` (a string, or a tuple for nested resources)."""
    parts = (key,) if isinstance(key, str) else tuple(key)
    if len(parts) != len(spec.keys) or not all(isinstance(p, str) and p for p in parts):
        shape = spec.keys[0] if len(spec.keys) == 1 else "(" + ", ".join(spec.keys) + ")"
        raise TypeError(f"the key of a {spec.kind} is {shape}, got {key!r}")
    return dict(zip(spec.keys, parts, strict=True))


def plain(value: Any) -> Any:
    """A JSON-ready value: models become dicts, recursively."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def check_changes(spec: ResourceSpec, changes: Mapping[str, Any]) -> None:
    if not changes:
        raise ValueError(
            f"nothing to update on the {spec.kind}: name at least one of {', '.join(spec.updatable)}"
        )
    nulls = sorted(name for name in spec.non_null if name in changes and changes[name] is None)
    if nulls:
        raise ValueError(f"Airflow refuses null for {', '.join(map(repr, nulls))} on a {spec.kind}")
    refused = sorted(set(changes) - set(spec.updatable))
    if refused:
        raise ValueError(
            f"Airflow does not update {', '.join(map(repr, refused))} on a {spec.kind}; "
            f"it updates: {', '.join(spec.updatable)}"
        )


def needs_current(spec: ResourceSpec, changes: Mapping[str, Any]) -> bool:
    """Whether the resource must be read first to fill fields the server requires in the body."""
    return spec.fetch or any(src == "current" and name not in changes for name, src in spec.required.items())


def plan(
    spec: ResourceSpec, keys: Mapping[str, str], changes: Mapping[str, Any], current: Mapping[str, Any] | None
) -> UpdatePlan:
    """Body and update_mask for a PATCH (pure)."""
    body = {name: plain(value) for name, value in changes.items()}
    for name, source in spec.required.items():
        if name in body:
            continue
        if source.startswith("key:"):
            body[name] = keys[source[4:]]
        elif current is not None and current.get(name) is not None:
            body[name] = current[name]  # a null is left out: the server keeps the field, and refuses null
    mask: list[str] | None = sorted(changes)
    if spec.kind == "variable" and "value" in changes:
        mask = None  # a value cannot be masked: the whole variable is replaced, keeping its description
    return UpdatePlan(spec, body, mask)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``after`` that differ from ``before`` (edit's changes)."""
    return {k: v for k, v in after.items() if k not in before or before[k] != v} | {
        k: None for k in before if k not in after
    }


EditFn = Callable[[Any], None]


# --- flows: generators that yield (group, operation, kwargs) and receive each call's result ---------

Call = tuple[str, str, dict[str, Any]]


def _models() -> Any:
    from airflow_rest_v1 import models

    return models


def _patch_call(plan_: UpdatePlan, keys: Mapping[str, str]) -> Call:
    spec = plan_.spec
    assert spec.patch is not None
    body = getattr(_models(), spec.body_model).from_dict(plan_.body)
    kwargs: dict[str, Any] = {**keys, "body": body}
    if plan_.mask is not None:
        kwargs["update_mask"] = plan_.mask
    return (*spec.patch, kwargs)


def _state_and_note(
    spec: ResourceSpec, keys: Mapping[str, str], changes: Mapping[str, Any]
) -> Generator[Call, Any, Any]:
    models = _models()
    if spec.kind == "dag_run":
        if "state" in changes:
            body = models.UpdateDagRunState.from_dict({"state": plain(changes["state"])})
            yield ("dag_run", "update_dag_run_state", {**keys, "body": body})
        if "note" in changes:
            yield (
                "dag_run",
                "set_dag_run_note",
                {**keys, "body": models.SetDagRunNote(note=changes["note"])},
            )
    else:
        if "state" in changes:
            body = models.UpdateTaskInstance.from_dict(
                {"new_state": plain(changes["state"]), "dry_run": False}
            )
            yield ("task_instance", "patch_task_instance", {**keys, "body": body})
        if "note" in changes:
            body = models.SetTaskInstanceNote(note=changes["note"])
            yield ("task_instance", "set_task_instance_note", {**keys, "body": body})
    return (yield (*spec.get, dict(keys)))


def update_flow(
    spec: ResourceSpec, keys: Mapping[str, str], changes: Mapping[str, Any]
) -> Generator[Call, Any, Any]:
    """Change the named fields; read the resource first only when the server needs more in the body."""
    check_changes(spec, changes)
    if spec.patch is None:
        return (yield from _state_and_note(spec, keys, changes))
    current = None
    if needs_current(spec, changes):
        current = plain((yield (*spec.get, dict(keys))))
    return (yield _patch_call(plan(spec, keys, changes, current), keys))


def edit_flow(spec: ResourceSpec, keys: Mapping[str, str], change: EditFn) -> Generator[Call, Any, Any]:
    """Read, let ``change`` edit the model, send what changed."""
    model = yield (*spec.get, dict(keys))
    before = plain(model)
    change(model)
    changes = diff(before, plain(model))
    check_changes(spec, changes)
    if spec.patch is None:
        return (yield from _state_and_note(spec, keys, changes))
    return (yield _patch_call(plan(spec, keys, changes, before), keys))
