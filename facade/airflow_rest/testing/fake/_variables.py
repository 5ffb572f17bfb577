"""Variables: ``/variables``."""

from __future__ import annotations

from ._state import FakeAirflowState, _locked
from ._wire import (
    JSON,
    Call,
    Reply,
    _bad_request,
    _extract_update_mask,
    _Field,
    _Invalid,
    _listed,
    _load,
    _mask,
    _not_found,
)

_VARIABLE_BODY = (
    _Field("key", "str", required=True),
    _Field("value", "str", required=True, attribute="val"),
    _Field("description", "str"),
)


class VariablesMixin(FakeAirflowState):
    """Variable operations."""

    @_locked
    def add_variable(self, key: str, value: str, description: str | None = None) -> JSON:
        self.variables[key] = {"key": key, "value": value, "description": description}
        return self.variables[key]

    def _op_get_variables(self, call: Call) -> Reply:
        page, total = _listed(self.variables, call.query, ("value", "key", "id"))
        return 200, {
            "total_entries": total,
            "variables": [dict(v) for v in page],
        }

    def _op_get_variable(self, call: Call) -> Reply:
        record = self.variables.get(call.path["variable_key"])
        if record is None:
            raise _not_found("Variable not found", "Variable does not exist")
        return 200, dict(record)

    def _load_variable(self, call: Call) -> JSON:
        try:
            return _load(call.body, _VARIABLE_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc), title="Invalid Variable schema") from None

    def _op_post_variables(self, call: Call) -> Reply:
        data = self._load_variable(call)
        # Variable.set replaces any variable of that key (no conflict), description included
        self.variables.pop(data["key"], None)
        self.add_variable(data["key"], data["val"], data.get("description"))
        answer = {"key": data["key"], "value": data["val"]}
        if "description" in data:
            answer["description"] = data["description"]
        return 200, answer

    def _op_patch_variable(self, call: Call) -> Reply:
        key = call.path["variable_key"]
        data = self._load_variable(call)
        if data["key"] != key:
            raise _bad_request("key from request body doesn't match uri parameter", title="Invalid post body")
        record = self.variables.get(key)
        if record is None:
            raise _not_found("Variable not found", "Variable does not exist")
        mask = _mask(call.query)
        if mask:
            data = _extract_update_mask(mask, data, _VARIABLE_BODY, "variable")
        for name, value in data.items():
            record["value" if name == "val" else name] = value
        return 200, dict(record)

    def _op_delete_variable(self, call: Call) -> Reply:
        if self.variables.pop(call.path["variable_key"], None) is None:
            raise _not_found("Variable not found")
        return 204, None
