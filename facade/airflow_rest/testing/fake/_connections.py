"""Connections: ``/connections`` (extras masked as the server masks them)."""

from __future__ import annotations

import json
import re
from typing import Any

from ._state import FakeAirflowState, _locked
from ._wire import (
    JSON,
    Call,
    Reply,
    _bad_request,
    _conflict,
    _extract_update_mask,
    _Field,
    _Invalid,
    _listed,
    _load,
    _mask,
    _not_found,
    _redacted_extra,
)

_CONNECTION_BODY = (
    _Field("connection_id", "str", required=True, attribute="conn_id"),
    _Field("conn_type", "str", required=True),
    _Field("description", "str", allow_none=True),
    _Field("host", "str", allow_none=True),
    _Field("login", "str", allow_none=True),
    _Field("schema", "str", allow_none=True),
    _Field("port", "int", allow_none=True),
    _Field("password", "str", allow_none=True),
    _Field("extra", "any", allow_none=True),
)


class ConnectionsMixin(FakeAirflowState):
    """Connection operations."""

    @_locked
    def add_connection(self, connection_id: str, conn_type: str, **fields: Any) -> JSON:
        known = {"description", "host", "login", "schema", "port", "password", "extra"}
        unknown = set(fields) - known
        if unknown:
            raise TypeError(f"unknown connection fields {sorted(unknown)}; known: {sorted(known)}")
        record: JSON = {"connection_id": connection_id, "conn_type": conn_type}
        record.update({name: fields.get(name) for name in sorted(known)})
        if record["extra"] is not None and not isinstance(record["extra"], str):
            record["extra"] = json.dumps(record["extra"])
        self.connections[connection_id] = record
        return record

    @staticmethod
    def _connection_item_json(conn: JSON) -> JSON:
        return {
            "conn_type": conn["conn_type"],
            "connection_id": conn["connection_id"],
            "description": conn["description"],
            "host": conn["host"],
            "login": conn["login"],
            "port": conn["port"],
            "schema": conn["schema"],
        }

    def _connection_json(self, conn: JSON) -> JSON:
        return self._connection_item_json(conn) | {"extra": _redacted_extra(conn["extra"])}

    def _connection_or_404(self, connection_id: str) -> JSON:
        record = self.connections.get(connection_id)
        if record is None:
            raise _not_found(
                "Connection not found", f"The Connection with connection_id: `{connection_id}` was not found"
            )
        return record

    def _op_get_connections(self, call: Call) -> Reply:
        page, total = _listed(
            self.connections, call.query, ("connection_id", "conn_type", "description", "host", "port", "id")
        )
        return 200, {"connections": [self._connection_item_json(c) for c in page], "total_entries": total}

    def _op_get_connection(self, call: Call) -> Reply:
        return 200, self._connection_json(self._connection_or_404(call.path["connection_id"]))

    def _op_post_connection(self, call: Call) -> Reply:
        try:
            data = _load(call.body, _CONNECTION_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        conn_id = data.pop("conn_id")
        if len(conn_id) > 200:
            raise _bad_request("The key has to be less than 200 characters")
        if not re.fullmatch(r"[\w.-]+", conn_id):
            raise _bad_request(
                f"The key {conn_id!r} has to be made of alphanumeric characters, dashes, "
                "dots and underscores exclusively"
            )
        if conn_id in self.connections:
            raise _conflict(f"Connection already exist. ID: {conn_id}")
        record = self.add_connection(conn_id, **data)
        return 200, self._connection_json(record)

    def _op_patch_connection(self, call: Call) -> Reply:
        connection_id = call.path["connection_id"]
        try:
            data = _load(call.body, _CONNECTION_BODY, partial=True)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        record = self._connection_or_404(connection_id)
        if data.get("conn_id") and data["conn_id"] != connection_id:
            raise _bad_request("The connection_id cannot be updated.")
        mask = _mask(call.query)
        if mask:
            data = _extract_update_mask(mask, data, _CONNECTION_BODY, "connection")
        for name, value in data.items():
            if name == "conn_id":
                continue
            record[name] = (
                json.dumps(value)
                if name == "extra" and value is not None and not isinstance(value, str)
                else value
            )
        return 200, self._connection_json(record)

    def _op_delete_connection(self, call: Call) -> Reply:
        self._connection_or_404(call.path["connection_id"])
        del self.connections[call.path["connection_id"]]
        return 204, None
