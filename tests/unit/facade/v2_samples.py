"""Answers of Airflow 3's REST API v2 for unit tests, built from the effective spec: every required
field present with a value of its declared type, so that the generated parsers accept them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import airflow_rest_v2

SPEC = json.loads((Path(airflow_rest_v2.__file__).parent / "openapi.json").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]


def _value(schema: dict[str, Any], name: str) -> Any:
    if "$ref" in schema:
        target = schema["$ref"].rsplit("/", 1)[1]
        return sample(target) if "properties" in SCHEMAS[target] else _value(SCHEMAS[target], name)
    if "anyOf" in schema:
        kinds = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return None if len(kinds) < len(schema["anyOf"]) else _value(kinds[0], name)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "string":
        formats = {"date-time": "2026-01-01T00:00:00Z", "uuid": "0198c0de-0000-7000-8000-000000000001"}
        return formats.get(schema.get("format", ""), f"{name}-1")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return {}


@cache
def _sample(name: str) -> str:
    schema = SCHEMAS[name]
    required = schema.get("required", [])
    return json.dumps({k: _value(schema["properties"][k], k) for k in required})


def sample(schema: str, /, **fields: Any) -> dict[str, Any]:
    """A minimal answer of ``schema`` (its required fields), with ``fields`` set."""
    return {**json.loads(_sample(schema)), **fields}
