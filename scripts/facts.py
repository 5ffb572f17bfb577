"""Read ``spec/<api>/facts.yaml`` (server behaviour the spec does not say) and check it against the
effective spec, so that a fact naming an operation, a parameter, a model or a field that a new
release no longer has stops the build, naming the fact.

``make generate`` writes the checked facts into the package as ``_facts.py`` (read by the facade's
update/edit and by the fake Airflow of ``airflow_rest.testing``) and hands the resources to the
templates (the typed ``update()`` of each client).
"""

from __future__ import annotations

import json
import pprint
from pathlib import Path
from typing import Any

import corrections
import yaml

RESOURCE_KEYS = {
    "keys", "get", "patch", "body", "updatable", "required", "fetch", "non_null", "unmaskable", "calls",
    "reread", "create", "create_body", "delete", "evidence",
}  # fmt: skip
TRIGGER_KEYS = {"call", "body", "always", "evidence"}
MASKED_KEYS = {"extra_keys", "evidence"}
WEBSERVER_KEYS = {"request_line_limit", "evidence"}
CALL_KEYS = {"call", "body", "field", "fixed"}


class FactError(Exception):
    """A fact that does not hold for the spec it is applied to."""


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), dict):
        raise FactError(f"{path}: expected a top-level 'resources' mapping")
    if not isinstance(doc.get("trigger"), dict):
        raise FactError(f"{path}: expected a 'trigger' mapping")
    secrets = doc.get("secrets")
    if not isinstance(secrets, dict) or not all(isinstance(v, list) for v in secrets.values()):
        raise FactError(f"{path}: expected a 'secrets' mapping of model patterns to field lists")
    masked = doc.get("masked")
    if masked is not None:
        words = masked.get("extra_keys") if isinstance(masked, dict) else None
        if (
            set(masked or ()) != MASKED_KEYS
            or not masked.get("evidence")
            or not isinstance(words, list)
            or not words
            or not all(isinstance(w, str) and w and w == w.strip().lower() for w in words)
        ):
            raise FactError(
                f"{path}: 'masked' needs extra_keys (lower-case words) and evidence, and nothing else"
            )
    webserver = doc.get("webserver")
    if webserver is not None:
        limit = webserver.get("request_line_limit") if isinstance(webserver, dict) else None
        if (
            set(webserver or ()) != WEBSERVER_KEYS
            or not webserver.get("evidence")
            or not isinstance(limit, int)
            or isinstance(limit, bool)
            or limit < 1
        ):
            raise FactError(
                f"{path}: 'webserver' needs request_line_limit (a positive integer) and evidence, "
                "and nothing else"
            )
    return doc


def _operations(spec: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """operationId -> (path item, operation)."""
    return {
        op["operationId"]: (item, op) for *_, item, op in corrections.operations(spec) if "operationId" in op
    }


def _properties(spec: dict[str, Any], name: str) -> set[str]:
    """The fields of component schema ``name`` (through allOf and $ref)."""
    schemas = spec.get("components", {}).get("schemas", {})

    def fields(schema: dict[str, Any]) -> set[str]:
        if "$ref" in schema:
            return fields(schemas[schema["$ref"].rsplit("/", 1)[1]])
        found = set(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            found |= fields(part)
        return found

    if name not in schemas:
        raise FactError(f"no schema {name!r}")
    return fields(schemas[name])


def check(facts: dict[str, Any], spec: dict[str, Any]) -> None:
    """Every operation, path parameter, model and field a fact names exists in ``spec``."""
    ops = _operations(spec)
    schemas = spec.get("components", {}).get("schemas", {})
    for kind, res in facts["resources"].items():
        where = f"facts: resource {kind!r}"
        unknown = set(res) - RESOURCE_KEYS
        if unknown or not res.get("evidence"):
            raise FactError(f"{where}: unknown keys {sorted(unknown)} or no evidence")
        named = [res["get"], *[res[k] for k in ("patch", "create", "delete") if k in res]]
        named += [c["call"] for c in res.get("calls", {}).values()]
        for _tag, op_id in named:
            if op_id not in ops:
                raise FactError(f"{where}: no operation {op_id!r}")
        item, get_op = ops[res["get"][1]]
        params = {p.get("name") for p in corrections.parameters(spec, item, get_op) if p.get("in") == "path"}
        if not set(res["keys"]) <= params:
            raise FactError(f"{where}: {res['get'][1]} has no path parameters {res['keys']}")
        if "patch" in res:
            fields = _properties(spec, res["body"]) if res["body"] in schemas else None
            if fields is None:
                raise FactError(f"{where}: no schema {res['body']!r}")
            missing = set(res["updatable"]) - fields
            if missing:
                raise FactError(f"{where}: {res['body']} has no fields {sorted(missing)}")
        elif set(res.get("calls", {})) != set(res["updatable"]):
            raise FactError(f"{where}: without a patch, every updatable field needs a call")
        for field, call in res.get("calls", {}).items():
            if set(call) - CALL_KEYS or call["field"] not in _properties(spec, call["body"]):
                raise FactError(f"{where}: call for {field!r} names no field of {call['body']}")
        if ("create" in res) != ("create_body" in res) or res.get("create_body", "") not in {"", *schemas}:
            raise FactError(f"{where}: create and create_body (a schema of the spec) go together")
    for pattern, fields in facts["secrets"].items():
        models = [
            n
            for n in schemas
            if pattern == "*" or n == pattern or (pattern.endswith("*") and n.startswith(pattern[:-1]))
        ]
        found = set().union(*(_properties(spec, n) for n in models)) if models else set()
        if set(fields) - found:
            raise FactError(
                f"facts: secrets {pattern!r}: no such models, or none with {sorted(set(fields) - found)}"
            )
    if "masked" in facts and "extra" not in _properties(spec, "Connection"):
        raise FactError("facts: masked: the spec's Connection has no 'extra'")
    trigger = facts["trigger"]
    if set(trigger) - TRIGGER_KEYS or not trigger.get("evidence") or trigger["call"][1] not in ops:
        raise FactError(f"facts: trigger: unknown keys, no evidence, or no operation {trigger['call'][1]!r}")
    unknown_fields = set(trigger.get("always", {})) - _properties(spec, trigger["body"])
    if unknown_fields:
        raise FactError(f"facts: trigger: {trigger['body']} has no fields {sorted(unknown_fields)}")


def python_module(facts: dict[str, Any]) -> str:
    """The facts as the package's ``_facts.py`` (evidence stays in the YAML)."""
    resources = {
        kind: {k: v for k, v in res.items() if k != "evidence"} for kind, res in facts["resources"].items()
    }
    trigger = {k: v for k, v in facts["trigger"].items() if k != "evidence"}
    text = (
        '"""Server behaviour the spec does not say (spec/<api>/facts.yaml, where each says what the server\n'
        'answered): what create/update/edit/delete do on each resource, and how a run is triggered."""\n\n'
        "from typing import Any\n\n"
        f"RESOURCES: dict[str, dict[str, Any]] = {pprint.pformat(resources, width=100, sort_dicts=False)}\n\n"
        f"TRIGGER: dict[str, Any] = {pprint.pformat(trigger, width=100, sort_dicts=False)}\n"
    )
    if "masked" in facts:
        masked = {k: v for k, v in facts["masked"].items() if k != "evidence"}
        text += (
            "\n# what the server sends as '***' in a connection's extra: values under keys containing these\n"
            f"MASKED: dict[str, Any] = {pprint.pformat(masked, width=100, sort_dicts=False)}\n"
        )
    if "webserver" in facts:
        webserver = {k: v for k, v in facts["webserver"].items() if k != "evidence"}
        text += (
            "\n# limits of the web server in front of the API, which answers before Airflow does\n"
            f"WEBSERVER: dict[str, Any] = {pprint.pformat(webserver, width=100, sort_dicts=False)}\n"
        )
    return text


def jinja(facts: dict[str, Any]) -> str:
    """What the templates need: each resource's key arity and the operation that reads it."""
    resources = {
        kind: {
            "keys": res["keys"],
            "get": res["get"],
            "create": res.get("create", ""),
            "delete": "delete" in res,
        }
        for kind, res in facts["resources"].items()
    }
    return (
        f"{{% set secrets = {json.dumps(facts['secrets'], sort_keys=True)} %}}\n"
        f"{{% set resources = {json.dumps(resources, sort_keys=True)} %}}\n"
        f"{{% set trigger = {json.dumps(facts['trigger']['call'])} %}}\n"
    )
