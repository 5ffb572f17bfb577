"""Show what changed in Airflow's REST API spec between two releases, within a major or across.

    python scripts/spec_diff.py FROM TO [--json]

FROM and TO are each an Airflow version (``2.10.5``, ``3.3.2``: the release's spec files are taken
from its wheel and, for 3.x, merged as ``scripts/majors.py`` says; see ``fetch_spec.py``) or the
path of a YAML/JSON spec file. It is a report, not a gate: the exit status is 0 whatever the
differences are. ``--json`` prints the same findings as JSON for tools.

Within one major (2.x -> 2.x, 3.x -> 3.x) the report lists the operations and the schemas
(``components/schemas``) that were added, removed or changed, in a stable sorted order.
Descriptions, summaries and examples are not compared. ``$ref`` to ``components/parameters``,
``components/responses`` and ``components/requestBodies`` are resolved; schema references are
compared by name (a change inside a referenced schema is reported once, under "Schemas changed"),
except that ``allOf`` is flattened so that a schema built from parts reports the fields of all its
parts. OpenAPI 3.1's nullable forms (``anyOf`` with ``{"type": "null"}``, ``type: [X, "null"]``)
read as 3.0's ``nullable: true``.

From Airflow 2 (``/api/v1``) to Airflow 3 (``/api/v2``) operations are matched by what they do:
by path after normalising it (API prefix dropped, path parameter names and a literal ``~`` ignored,
datasets read as assets) and method, then by the known moves in ``spec_diff_v1_v2.yaml``, then by
operationId. For each matched pair the report gives both operationIds, the request and response
schemas and how their fields changed: renamed (a removed and an added field whose names the known
renames relate), removed, added, or of another type. Then the v1 operations with no counterpart
(and where they went, if known) and the new v2 operations by tag.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Spec = Mapping[str, Any]

HTTP_METHODS: tuple[str, ...] = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
_METHOD_ORDER = {m: i for i, m in enumerate(HTTP_METHODS)}
_FLAGS: tuple[tuple[str, str], ...] = (
    ("nullable", "nullable"),
    ("readOnly", "read-only"),
    ("writeOnly", "write-only"),
)
_COMPOSITES: tuple[str, ...] = ("allOf", "oneOf", "anyOf")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+\S*$")
_JSON_MEDIA = "application/json"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SpecStats:
    paths: int
    operations: int
    schemas: int


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str | None

    @property
    def label(self) -> str:
        suffix = f" ({self.operation_id})" if self.operation_id else ""
        return f"{self.method.upper()} {self.path}{suffix}"


@dataclass(frozen=True)
class Parameter:
    location: str
    name: str
    required: bool
    schema: str

    @property
    def label(self) -> str:
        required = ", required" if self.required else ""
        return f"{self.name} ({self.location}): {self.schema}{required}"


@dataclass(frozen=True)
class ParameterChange:
    location: str
    name: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ResponseEntry:
    status: str
    body: str


@dataclass(frozen=True)
class OperationDiff:
    operation: Operation
    operation_id_change: tuple[str | None, str | None] | None = None
    parameters_added: tuple[Parameter, ...] = ()
    parameters_removed: tuple[Parameter, ...] = ()
    parameters_changed: tuple[ParameterChange, ...] = ()
    request_body_changes: tuple[str, ...] = ()
    responses_added: tuple[ResponseEntry, ...] = ()
    responses_removed: tuple[ResponseEntry, ...] = ()
    response_changes: tuple[str, ...] = ()
    deprecated_change: tuple[bool, bool] | None = None
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.operation_id_change
            or self.parameters_added
            or self.parameters_removed
            or self.parameters_changed
            or self.request_body_changes
            or self.responses_added
            or self.responses_removed
            or self.response_changes
            or self.deprecated_change
            or self.tags_added
            or self.tags_removed
        )


@dataclass(frozen=True)
class PropertyChange:
    name: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class SchemaDiff:
    name: str
    changes: tuple[str, ...] = ()
    properties_added: tuple[tuple[str, str], ...] = ()
    properties_removed: tuple[tuple[str, str], ...] = ()
    properties_changed: tuple[PropertyChange, ...] = ()
    required_added: tuple[str, ...] = ()
    required_removed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.changes
            or self.properties_added
            or self.properties_removed
            or self.properties_changed
            or self.required_added
            or self.required_removed
        )


@dataclass(frozen=True)
class SpecDiff:
    old_stats: SpecStats
    new_stats: SpecStats
    operations_added: tuple[Operation, ...] = ()
    operations_removed: tuple[Operation, ...] = ()
    operations_changed: tuple[OperationDiff, ...] = ()
    schemas_added: tuple[str, ...] = ()
    schemas_removed: tuple[str, ...] = ()
    schemas_changed: tuple[SchemaDiff, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.operations_added
            or self.operations_removed
            or self.operations_changed
            or self.schemas_added
            or self.schemas_removed
            or self.schemas_changed
        )


# --------------------------------------------------------------------------- helpers


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sorted_values(values: Iterable[Any]) -> list[str]:
    return sorted({_fmt(v) for v in values})


def _resolve_pointer(spec: Spec, ref: str) -> Any:
    """The object a local ``#/a/b`` reference points at, or None."""
    if not ref.startswith("#/"):
        return None
    node: Any = spec
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _deref(spec: Spec, obj: Any) -> Any:
    """Follow ``$ref`` (parameters, responses, request bodies) until a concrete object."""
    seen: set[str] = set()
    while isinstance(obj, Mapping) and isinstance(obj.get("$ref"), str):
        ref = obj["$ref"]
        if ref in seen:
            break
        seen.add(ref)
        target = _resolve_pointer(spec, ref)
        if target is None:
            break
        obj = target
    return obj


def _ref_name(obj: Any) -> str | None:
    if isinstance(obj, Mapping) and isinstance(obj.get("$ref"), str):
        return str(obj["$ref"]).rsplit("/", 1)[-1]
    return None


def _is_null_type(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") == "null" and len(schema) <= 2


def normalise_nullable(node: Any) -> Any:
    """A copy of ``node`` with OpenAPI 3.1's nullable forms written as 3.0's ``nullable: true``.

    ``anyOf``/``oneOf`` with a ``{"type": "null"}`` part loses that part (a single remaining part
    takes its place), and ``type: [X, "null"]`` becomes ``type: X``. Airflow 3's spec says
    "optional" this way; Airflow 2's says ``nullable: true``: after this both compare alike.
    """
    if isinstance(node, list):
        return [normalise_nullable(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {key: normalise_nullable(value) for key, value in node.items()}
    kind = out.get("type")
    if isinstance(kind, list) and "null" in kind and len(kind) > 1:
        rest = [k for k in kind if k != "null"]
        out["type"] = rest[0] if len(rest) == 1 else rest
        out["nullable"] = True
    for key in _COMPOSITES[1:]:
        parts = out.get(key)
        if not isinstance(parts, list) or not any(_is_null_type(p) for p in parts):
            continue
        rest = [p for p in parts if not _is_null_type(p)]
        if not rest:
            continue
        del out[key]
        if len(rest) == 1 and isinstance(rest[0], Mapping):
            out = {**out, **rest[0]}
        else:
            out[key] = rest
        out["nullable"] = True
    return out


def _schemas(spec: Spec) -> Mapping[str, Any]:
    components = spec.get("components") or {}
    schemas = components.get("schemas") if isinstance(components, Mapping) else None
    return schemas if isinstance(schemas, Mapping) else {}


def describe(schema: Any) -> str:
    """A short type description: ``DAG``, ``string(date-time)``, ``array[Tag]``, ``enum [a, b]``."""
    if not isinstance(schema, Mapping):
        return "any"
    name = _ref_name(schema)
    if name:
        return name
    for key in _COMPOSITES:
        parts = schema.get(key)
        if isinstance(parts, list) and parts:
            if key == "allOf" and len(parts) == 1 and not schema.get("properties"):
                return describe(parts[0])
            return f"{key}[{', '.join(describe(p) for p in parts)}]"
    if "enum" in schema and isinstance(schema["enum"], list):
        return f"enum [{', '.join(_fmt(v) for v in schema['enum'])}]"
    kind = schema.get("type")
    if kind == "array":
        return f"array[{describe(schema.get('items'))}]"
    if isinstance(kind, list):
        kind = "|".join(_fmt(k) for k in kind)
    if kind is None:
        kind = "object" if ("properties" in schema or "additionalProperties" in schema) else "any"
    fmt = schema.get("format")
    return f"{kind}({fmt})" if fmt else str(kind)


def _describe_with_flags(schema: Any) -> str:
    text = describe(schema)
    if isinstance(schema, Mapping):
        text += "".join(f", {label}" for key, label in _FLAGS if schema.get(key))
    return text


def _kind(schema: Any) -> str:
    """What must stay equal for finer-grained comparisons (enum values, format, items) to apply."""
    if not isinstance(schema, Mapping):
        return "any"
    if _ref_name(schema):
        return describe(schema)
    if any(isinstance(schema.get(k), list) and schema.get(k) for k in _COMPOSITES):
        return describe(schema)
    if isinstance(schema.get("enum"), list):
        return "enum"
    kind = schema.get("type")
    if kind is None:
        return "object" if ("properties" in schema or "additionalProperties" in schema) else "any"
    return _fmt(kind) if not isinstance(kind, list) else "|".join(_fmt(k) for k in kind)


def _is_inline_object(schema: Any) -> bool:
    """An object schema written in place (its fields are compared), not a reference."""
    if not isinstance(schema, Mapping) or "$ref" in schema:
        return False
    if schema.get("type") not in (None, "object"):
        return False
    if isinstance(schema.get("properties"), Mapping):
        return True
    parts = schema.get("allOf")
    return isinstance(parts, list) and any(isinstance(p, Mapping) and "$ref" not in p for p in parts)


def flatten(schema: Any, spec: Spec, _seen: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``schema`` with ``allOf`` merged in: properties and required of all parts, following ``$ref``."""
    if not isinstance(schema, Mapping):
        return {}
    name = _ref_name(schema)
    if name is not None:
        ref = str(schema["$ref"])
        if ref in _seen:
            return {}
        target = _resolve_pointer(spec, ref)
        return flatten(target, spec, _seen | {ref})
    parts = schema.get("allOf")
    if not isinstance(parts, list):
        return dict(schema)
    result: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties: dict[str, Any] = {}
    required: list[str] = []
    has_object_part = False
    for part in parts:
        flat = flatten(part, spec, _seen)
        part_props = flat.get("properties")
        if isinstance(part_props, Mapping):
            properties.update(part_props)
            has_object_part = True
        if flat.get("type") == "object":
            has_object_part = True
        required.extend(r for r in flat.get("required") or [] if r not in required)
    own_props = schema.get("properties")
    if isinstance(own_props, Mapping):
        properties.update(own_props)
    required.extend(r for r in schema.get("required") or [] if r not in required)
    if properties or has_object_part:
        result["properties"] = properties
        result.setdefault("type", "object")
    if required:
        result["required"] = required
    return result


# --------------------------------------------------------------------------- schema comparison


def _facet_changes(old: Any, new: Any, kind_label: str = "type") -> list[str]:
    """Type / format / enum / items / nullable / readOnly / writeOnly changes of one schema."""
    old = old if isinstance(old, Mapping) else {}
    new = new if isinstance(new, Mapping) else {}
    out: list[str] = []
    old_kind, new_kind = _kind(old), _kind(new)
    if old_kind != new_kind:
        out.append(f"{kind_label}: {describe(old)} -> {describe(new)}")
    else:
        if old_kind == "enum":
            old_values, new_values = set(_sorted_values(old["enum"])), set(_sorted_values(new["enum"]))
            if new_values - old_values:
                out.append(f"enum values added: {', '.join(sorted(new_values - old_values))}")
            if old_values - new_values:
                out.append(f"enum values removed: {', '.join(sorted(old_values - new_values))}")
        if old.get("format") != new.get("format"):
            out.append(f"format: {old.get('format') or '(none)'} -> {new.get('format') or '(none)'}")
        old_items, new_items = old.get("items"), new.get("items")
        if (
            old_kind == "array"
            and not (_is_inline_object(old_items) and _is_inline_object(new_items))
            and describe(old_items) != describe(new_items)
        ):
            out.append(f"items: {describe(old_items)} -> {describe(new_items)}")
    out.extend(_flag_changes(old, new, tuple(key for key, _label in _FLAGS)))
    return out


def _flag_changes(old: Mapping[str, Any], new: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    """``key: false -> true`` for each boolean ``key`` that differs."""
    return [
        f"{key}: {_fmt(bool(old.get(key)))} -> {_fmt(bool(new.get(key)))}"
        for key in keys
        if bool(old.get(key)) != bool(new.get(key))
    ]


class _SchemaCollector:
    def __init__(self, old_spec: Spec, new_spec: Spec) -> None:
        self.old_spec = old_spec
        self.new_spec = new_spec
        self.added: list[tuple[str, str]] = []
        self.removed: list[tuple[str, str]] = []
        self.changed: list[PropertyChange] = []
        self.required_added: list[str] = []
        self.required_removed: list[str] = []

    def objects(self, old: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> None:
        old_props = old.get("properties") if isinstance(old.get("properties"), Mapping) else {}
        new_props = new.get("properties") if isinstance(new.get("properties"), Mapping) else {}
        assert isinstance(old_props, Mapping) and isinstance(new_props, Mapping)
        for name in sorted(set(new_props) - set(old_props)):
            self.added.append((prefix + name, _describe_with_flags(new_props[name])))
        for name in sorted(set(old_props) - set(new_props)):
            self.removed.append((prefix + name, _describe_with_flags(old_props[name])))
        for name in sorted(set(old_props) & set(new_props)):
            self.property(old_props[name], new_props[name], prefix + name)
        old_req = {str(r) for r in old.get("required") or []}
        new_req = {str(r) for r in new.get("required") or []}
        self.required_added.extend(prefix + r for r in sorted(new_req - old_req))
        self.required_removed.extend(prefix + r for r in sorted(old_req - new_req))

    def property(self, old: Any, new: Any, name: str) -> None:
        changes = _facet_changes(old, new)
        if changes:
            self.changed.append(PropertyChange(name, tuple(changes)))
        if _is_inline_object(old) and _is_inline_object(new):
            self.objects(flatten(old, self.old_spec), flatten(new, self.new_spec), name + ".")
        elif isinstance(old, Mapping) and isinstance(new, Mapping):
            for old_items, new_items in _array_items(old, new):
                self.objects(
                    flatten(old_items, self.old_spec), flatten(new_items, self.new_spec), name + "[]."
                )


def _allof_parts(schema: Any) -> Counter[str]:
    if not isinstance(schema, Mapping) or not isinstance(schema.get("allOf"), list):
        return Counter()
    return Counter(describe(p) for p in schema["allOf"])


def diff_schema(name: str, old: Any, new: Any, old_spec: Spec, new_spec: Spec) -> SchemaDiff:
    """Compare two versions of one schema, ``allOf`` flattened."""
    flat_old, flat_new = flatten(old, old_spec), flatten(new, new_spec)
    changes = _facet_changes(flat_old, flat_new)
    old_parts, new_parts = _allof_parts(old), _allof_parts(new)
    if sorted((new_parts - old_parts).elements()):
        changes.append(f"allOf parts added: {', '.join(sorted((new_parts - old_parts).elements()))}")
    if sorted((old_parts - new_parts).elements()):
        changes.append(f"allOf parts removed: {', '.join(sorted((old_parts - new_parts).elements()))}")
    collector = _SchemaCollector(old_spec, new_spec)
    collector.objects(flat_old, flat_new, "")
    for items_old, items_new in _array_items(flat_old, flat_new):
        collector.objects(flatten(items_old, old_spec), flatten(items_new, new_spec), "[].")
    return SchemaDiff(
        name=name,
        changes=tuple(changes),
        properties_added=tuple(collector.added),
        properties_removed=tuple(collector.removed),
        properties_changed=tuple(collector.changed),
        required_added=tuple(collector.required_added),
        required_removed=tuple(collector.required_removed),
    )


def _array_items(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    if (
        _kind(old) == _kind(new) == "array"
        and _is_inline_object(old.get("items"))
        and _is_inline_object(new.get("items"))
    ):
        return [(old["items"], new["items"])]
    return []


def schema_diff_lines(diff: SchemaDiff) -> list[str]:
    """The changes of a schema as report lines (without bullets)."""
    lines = list(diff.changes)
    lines.extend(f"property added: {name} ({kind})" for name, kind in diff.properties_added)
    lines.extend(f"property removed: {name} ({kind})" for name, kind in diff.properties_removed)
    for change in diff.properties_changed:
        lines.extend(f"property {change.name}: {line}" for line in change.changes)
    if diff.required_added:
        lines.append(f"required added: {', '.join(diff.required_added)}")
    if diff.required_removed:
        lines.append(f"required removed: {', '.join(diff.required_removed)}")
    return lines


def _body_schema_changes(old: Any, new: Any, old_spec: Spec, new_spec: Spec) -> list[str]:
    """Changes of a request/response body schema: the ref name, or the fields of an inline object."""
    if _is_inline_object(old) and _is_inline_object(new):
        return schema_diff_lines(diff_schema("", old, new, old_spec, new_spec))
    return _facet_changes(old, new, kind_label="schema")


# --------------------------------------------------------------------------- operations


def _operations(spec: Spec) -> dict[tuple[str, str], tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(method, path) -> (operation, path item)."""
    result: dict[tuple[str, str], tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
    paths = spec.get("paths") or {}
    if not isinstance(paths, Mapping):
        return result
    for path, item in paths.items():
        item = _deref(spec, item)
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, Mapping):
                result[(method, str(path))] = (op, item)
    return result


def _op_sort_key(key: tuple[str, str]) -> tuple[str, int]:
    method, path = key
    return (path, _METHOD_ORDER.get(method, len(_METHOD_ORDER)))


def _status_sort_key(status: str) -> tuple[bool, str]:
    return (not status.isdigit(), status)


def stats(spec: Spec) -> SpecStats:
    paths = spec.get("paths") or {}
    return SpecStats(
        paths=len(paths) if isinstance(paths, Mapping) else 0,
        operations=len(_operations(spec)),
        schemas=len(_schemas(spec)),
    )


def _parameters(spec: Spec, op: Mapping[str, Any], item: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
    """(location, name) -> parameter, path-level parameters overridden by operation-level ones."""
    result: dict[tuple[str, str], Any] = {}
    for source in (item.get("parameters") or [], op.get("parameters") or []):
        for raw in source:
            param = _deref(spec, raw)
            if not isinstance(param, Mapping):
                continue
            if "name" not in param:
                name = _ref_name(raw) or "?"
                result[("?", name)] = param
                continue
            result[(str(param.get("in", "?")), str(param["name"]))] = param
    return result


def _param_entry(location: str, name: str, param: Mapping[str, Any]) -> Parameter:
    return Parameter(location, name, bool(param.get("required")), _describe_with_flags(param.get("schema")))


def _content_schemas(spec: Spec, obj: Any) -> dict[str, Any]:
    """media type -> schema of a (resolved) request body or response."""
    obj = _deref(spec, obj)
    if not isinstance(obj, Mapping):
        return {}
    content = obj.get("content")
    if not isinstance(content, Mapping):
        return {}
    return {
        str(media): (body.get("schema") if isinstance(body, Mapping) else None)
        for media, body in content.items()
    }


def _body_label(spec: Spec, obj: Any) -> str:
    name = _ref_name(obj)
    schemas = _content_schemas(spec, obj)
    if not schemas:
        body = "no body"
    elif set(schemas) == {_JSON_MEDIA}:
        body = describe(schemas[_JSON_MEDIA])
    else:
        body = "; ".join(f"{media}: {describe(s)}" for media, s in sorted(schemas.items()))
    return f"{name}: {body}" if name else body


def _content_changes(old: Any, new: Any, old_spec: Spec, new_spec: Spec) -> list[str]:
    old_schemas, new_schemas = _content_schemas(old_spec, old), _content_schemas(new_spec, new)
    if not old_schemas and not new_schemas:
        return []
    if not old_schemas:
        return [f"body added: {_body_label(new_spec, new)}"]
    if not new_schemas:
        return [f"body removed: {_body_label(old_spec, old)}"]
    out: list[str] = []
    for media in sorted(set(new_schemas) - set(old_schemas)):
        out.append(f"media type added: {media} ({describe(new_schemas[media])})")
    for media in sorted(set(old_schemas) - set(new_schemas)):
        out.append(f"media type removed: {media} ({describe(old_schemas[media])})")
    common = sorted(set(old_schemas) & set(new_schemas))
    for media in common:
        prefix = "" if len(common) == 1 and media == _JSON_MEDIA else f"{media}: "
        out.extend(
            prefix + line
            for line in _body_schema_changes(old_schemas[media], new_schemas[media], old_spec, new_spec)
        )
    return out


def diff_operation(
    key: tuple[str, str],
    old: tuple[Mapping[str, Any], Mapping[str, Any]],
    new: tuple[Mapping[str, Any], Mapping[str, Any]],
    old_spec: Spec,
    new_spec: Spec,
) -> OperationDiff:
    method, path = key
    old_op, old_item = old
    new_op, new_item = new
    old_id, new_id = old_op.get("operationId"), new_op.get("operationId")

    old_params = _parameters(old_spec, old_op, old_item)
    new_params = _parameters(new_spec, new_op, new_item)
    params_changed: list[ParameterChange] = []
    for pkey in sorted(set(old_params) & set(new_params), key=lambda k: (k[1], k[0])):
        o, n = old_params[pkey], new_params[pkey]
        changes = _facet_changes(o.get("schema"), n.get("schema"))
        changes.extend(_flag_changes(o, n, ("required", "deprecated")))
        if changes:
            params_changed.append(ParameterChange(pkey[0], pkey[1], tuple(changes)))

    body_changes: list[str] = []
    old_body, new_body = old_op.get("requestBody"), new_op.get("requestBody")
    if old_body is not None or new_body is not None:
        old_rb, new_rb = _deref(old_spec, old_body), _deref(new_spec, new_body)
        if old_body is None:
            body_changes.append(f"added: {_body_label(new_spec, new_body)}")
        elif new_body is None:
            body_changes.append(f"removed: {_body_label(old_spec, old_body)}")
        else:
            if isinstance(old_rb, Mapping) and isinstance(new_rb, Mapping):
                body_changes.extend(_flag_changes(old_rb, new_rb, ("required",)))
            body_changes.extend(_content_changes(old_body, new_body, old_spec, new_spec))

    old_resp = {str(k): v for k, v in (old_op.get("responses") or {}).items()}
    new_resp = {str(k): v for k, v in (new_op.get("responses") or {}).items()}
    response_changes: list[str] = []
    for status in sorted(set(old_resp) & set(new_resp), key=_status_sort_key):
        o, n = old_resp[status], new_resp[status]
        old_name, new_name = _ref_name(o), _ref_name(n)
        lines: list[str] = []
        if old_name != new_name and old_name and new_name:
            lines.append(f"response: {old_name} -> {new_name}")
        lines.extend(_content_changes(o, n, old_spec, new_spec))
        response_changes.extend(f"{status}: {line}" for line in lines)

    old_tags = {str(t) for t in old_op.get("tags") or []}
    new_tags = {str(t) for t in new_op.get("tags") or []}
    old_dep, new_dep = bool(old_op.get("deprecated")), bool(new_op.get("deprecated"))

    return OperationDiff(
        operation=Operation(method, path, new_id),
        operation_id_change=(old_id, new_id) if old_id != new_id else None,
        parameters_added=tuple(
            _param_entry(k[0], k[1], new_params[k])
            for k in sorted(set(new_params) - set(old_params), key=lambda k: (k[1], k[0]))
        ),
        parameters_removed=tuple(
            _param_entry(k[0], k[1], old_params[k])
            for k in sorted(set(old_params) - set(new_params), key=lambda k: (k[1], k[0]))
        ),
        parameters_changed=tuple(params_changed),
        request_body_changes=tuple(body_changes),
        responses_added=tuple(
            ResponseEntry(s, _body_label(new_spec, new_resp[s]))
            for s in sorted(set(new_resp) - set(old_resp), key=_status_sort_key)
        ),
        responses_removed=tuple(
            ResponseEntry(s, _body_label(old_spec, old_resp[s]))
            for s in sorted(set(old_resp) - set(new_resp), key=_status_sort_key)
        ),
        response_changes=tuple(response_changes),
        deprecated_change=(old_dep, new_dep) if old_dep != new_dep else None,
        tags_added=tuple(sorted(new_tags - old_tags)),
        tags_removed=tuple(sorted(old_tags - new_tags)),
    )


# --------------------------------------------------------------------------- diff / render


def diff_specs(old: Spec, new: Spec) -> SpecDiff:
    """Everything that changed from ``old`` to ``new`` (two parsed OpenAPI 3 documents)."""
    old, new = normalise_nullable(old), normalise_nullable(new)
    old_ops, new_ops = _operations(old), _operations(new)

    def op(key: tuple[str, str], ops: Mapping[tuple[str, str], tuple[Mapping[str, Any], Any]]) -> Operation:
        operation_id = ops[key][0].get("operationId")
        return Operation(key[0], key[1], str(operation_id) if operation_id is not None else None)

    changed_ops = [
        diff_operation(key, old_ops[key], new_ops[key], old, new)
        for key in sorted(set(old_ops) & set(new_ops), key=_op_sort_key)
    ]
    old_schemas, new_schemas = _schemas(old), _schemas(new)
    changed_schemas = [
        diff_schema(str(name), old_schemas[name], new_schemas[name], old, new)
        for name in sorted(set(old_schemas) & set(new_schemas), key=str)
    ]
    return SpecDiff(
        old_stats=stats(old),
        new_stats=stats(new),
        operations_added=tuple(op(k, new_ops) for k in sorted(set(new_ops) - set(old_ops), key=_op_sort_key)),
        operations_removed=tuple(
            op(k, old_ops) for k in sorted(set(old_ops) - set(new_ops), key=_op_sort_key)
        ),
        operations_changed=tuple(d for d in changed_ops if not d.is_empty),
        schemas_added=tuple(sorted(str(n) for n in set(new_schemas) - set(old_schemas))),
        schemas_removed=tuple(sorted(str(n) for n in set(old_schemas) - set(new_schemas))),
        schemas_changed=tuple(d for d in changed_schemas if not d.is_empty),
    )


def _operation_lines(diff: OperationDiff) -> list[str]:
    lines: list[str] = []
    if diff.operation_id_change:
        old_id, new_id = diff.operation_id_change
        lines.append(f"operationId: {old_id or '(none)'} -> {new_id or '(none)'}")
    lines.extend(f"parameter added: {p.label}" for p in diff.parameters_added)
    lines.extend(f"parameter removed: {p.label}" for p in diff.parameters_removed)
    for change in diff.parameters_changed:
        lines.extend(f"parameter {change.name} ({change.location}): {c}" for c in change.changes)
    lines.extend(f"request body {line}" for line in diff.request_body_changes)
    lines.extend(f"response added: {r.status} ({r.body})" for r in diff.responses_added)
    lines.extend(f"response removed: {r.status} ({r.body})" for r in diff.responses_removed)
    lines.extend(f"response {line}" for line in diff.response_changes)
    if diff.deprecated_change:
        old_dep, new_dep = diff.deprecated_change
        lines.append(f"deprecated: {_fmt(old_dep)} -> {_fmt(new_dep)}")
    if diff.tags_added:
        lines.append(f"tags added: {', '.join(diff.tags_added)}")
    if diff.tags_removed:
        lines.append(f"tags removed: {', '.join(diff.tags_removed)}")
    return lines


def _stats_text(s: SpecStats) -> str:
    return f"{s.paths} paths, {s.operations} operations, {s.schemas} schemas"


def render(diff: SpecDiff, from_label: str, to_label: str) -> str:
    """The plain-text (Markdown-ish) report of ``diff``."""
    out: list[str] = [f"# Airflow REST API spec diff: {from_label} -> {to_label}", ""]
    out.append(
        f"Summary: {from_label}: {_stats_text(diff.old_stats)}; {to_label}: {_stats_text(diff.new_stats)}. "
        f"Operations: {len(diff.operations_added)} added, {len(diff.operations_removed)} removed, "
        f"{len(diff.operations_changed)} changed. "
        f"Schemas: {len(diff.schemas_added)} added, {len(diff.schemas_removed)} removed, "
        f"{len(diff.schemas_changed)} changed."
    )
    if diff.is_empty:
        out += ["", f"No differences between {from_label} and {to_label} (descriptions are not compared)."]
        return "\n".join(out) + "\n"

    def section(title: str, items: Sequence[str]) -> None:
        if items:
            out.extend(["", f"## {title} ({len(items)})", ""])
            out.extend(f"- {item}" for item in items)

    def detailed(title: str, blocks: Sequence[tuple[str, list[str]]]) -> None:
        if blocks:
            out.extend(["", f"## {title} ({len(blocks)})"])
            for heading, lines in blocks:
                out.extend(["", f"### {heading}", ""])
                out.extend(f"- {line}" for line in lines)

    section("Operations added", [o.label for o in diff.operations_added])
    section("Operations removed", [o.label for o in diff.operations_removed])
    detailed(
        "Operations changed", [(d.operation.label, _operation_lines(d)) for d in diff.operations_changed]
    )
    section("Schemas added", list(diff.schemas_added))
    section("Schemas removed", list(diff.schemas_removed))
    detailed("Schemas changed", [(d.name, schema_diff_lines(d)) for d in diff.schemas_changed])
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- across majors

MOVES_FILE = Path(__file__).resolve().with_name("spec_diff_v1_v2.yaml")
_API_PREFIX_RE = re.compile(r"^/api/v\d+(?=/|$)")
_PATH_PARAM_RE = re.compile(r"^\{[^}]*\}$")
_LITERAL_ALL = "~"  # Airflow 2's "every DAG / every run" where Airflow 3 has a path parameter
_WIDTH = 100

PairKey = tuple[str, str, str]  # (v1 schema, v2 schema, "request" or "response")
OpKey = tuple[str, str]  # (method, path)


@dataclass(frozen=True)
class FieldRule:
    old: str
    new: str
    schemas: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Moves:
    """The known renames and moves from v1 to v2, as ``spec_diff_v1_v2.yaml`` lists them."""

    words: tuple[tuple[str, str], ...] = ()
    operations: tuple[tuple[str, str, str | None], ...] = ()  # ("METHOD /old", "METHOD /new", note)
    moved: tuple[tuple[str, str], ...] = ()  # ("METHOD /old" or "/prefix", what to use now)
    fields: tuple[FieldRule, ...] = ()


def load_moves(path: Path = MOVES_FILE) -> Moves:
    """Read the known renames and moves; an entry without its keys or its source stops the run."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    def entries(section: str, *keys: str) -> list[Mapping[str, Any]]:
        found = data.get(section) or []
        for entry in found:
            missing = [k for k in (*keys, "source") if not isinstance(entry, Mapping) or not entry.get(k)]
            if missing:
                raise SystemExit(f"{path.name}: {section} entry {entry!r} lacks {', '.join(missing)}")
        return list(found)

    return Moves(
        words=tuple((str(e["old"]), str(e["new"])) for e in entries("words", "old", "new")),
        operations=tuple(
            (str(e["old"]), str(e["new"]), e.get("note")) for e in entries("operations", "old", "new")
        ),
        moved=tuple((str(e["old"]), str(e["now"])) for e in entries("moved", "old", "now")),
        fields=tuple(
            FieldRule(
                str(e["old"]), str(e["new"]), tuple(str(s) for s in e.get("schemas") or ()), e.get("note")
            )
            for e in entries("fields", "old", "new")
        ),
    )


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def substitute(name: str, words: Iterable[tuple[str, str]]) -> str:
    """``name`` with each known word replaced, also where it starts with a capital."""
    for old, new in words:
        name = name.replace(old, new).replace(_capitalised(old), _capitalised(new))
    return name


def normalise_path(path: str, words: Iterable[tuple[str, str]] = ()) -> str:
    """The part of a path that says what it is: no ``/api/vN`` prefix, every path parameter and a
    literal ``~`` written ``{}``, the known words substituted (``/datasets/{uri}`` -> ``/assets/{}``)."""
    words = tuple(words)
    segments = []
    for segment in (_API_PREFIX_RE.sub("", path) or "/").strip("/").split("/"):
        if segment == _LITERAL_ALL or _PATH_PARAM_RE.match(segment):
            segments.append("{}")
        elif segment:
            segments.append(substitute(segment, words))
    return "/" + "/".join(segments)


def _parse_operation(text: str, words: Iterable[tuple[str, str]]) -> OpKey:
    method, _, path = text.strip().partition(" ")
    return (method.lower(), normalise_path(path.strip(), words))


def _path_tokens(path: str) -> list[str]:
    """The path parameters of ``path`` in order, a literal ``~`` included as ``~``."""
    return [
        segment if segment == _LITERAL_ALL else segment[1:-1]
        for segment in path.strip("/").split("/")
        if segment == _LITERAL_ALL or _PATH_PARAM_RE.match(segment)
    ]


@dataclass(frozen=True)
class FieldRename:
    old: str
    new: str
    type: str  # the v1 field's type
    changes: tuple[str, ...] = ()
    note: str | None = None
    kept: bool = False  # the v1 schema had the new name too (the preferred alias)

    @property
    def label(self) -> str:
        details = [self.type, *self.changes]
        if self.note:
            details.append(self.note)
        if self.kept:
            details.append(f"2.x had {self.new} too")
        return f"{self.old} -> {self.new} ({'; '.join(details)})"


@dataclass(frozen=True)
class SchemaPair:
    """How the fields of a v1 schema changed in the v2 schema matched to it."""

    old: str
    new: str
    direction: str  # "request" or "response": read-only (write-only) v1 fields are left out
    changes: tuple[str, ...] = ()
    renamed: tuple[FieldRename, ...] = ()
    removed: tuple[tuple[str, str], ...] = ()
    added: tuple[tuple[str, str], ...] = ()
    changed: tuple[PropertyChange, ...] = ()
    used_by: tuple[str, ...] = ()  # v1 operationIds whose bodies hold this pair

    @property
    def key(self) -> PairKey:
        return (self.old, self.new, self.direction)

    @property
    def label(self) -> str:
        return f"{self.old} -> {self.new} ({self.direction})"

    @property
    def is_empty(self) -> bool:
        return not (self.changes or self.renamed or self.removed or self.added or self.changed)

    @property
    def counts(self) -> str:
        parts = list(self.changes)
        for items, word in (
            (self.renamed, "renamed"),
            (self.removed, "removed"),
            (self.added, "added"),
            (self.changed, "changed"),
        ):
            if items:
                parts.append(f"{len(items)} {word}")
        return ", ".join(parts) or "no changes"


@dataclass(frozen=True)
class ParameterRename:
    location: str
    old: str
    new: str


@dataclass(frozen=True)
class BodyChange:
    role: str  # "request", "response 200", "response 200 -> 201"
    old: str
    new: str


@dataclass(frozen=True)
class OperationPair:
    old: Operation
    new: Operation
    how: str  # "path", "known move" or "operationId"
    note: str | None = None
    parameters_renamed: tuple[ParameterRename, ...] = ()
    parameters: tuple[str, ...] = ()  # the other parameter changes, as report lines
    bodies: tuple[BodyChange, ...] = ()
    schemas: tuple[str, ...] = ()  # labels of the changed schema pairs its bodies hold


@dataclass(frozen=True)
class RemovedOperation:
    operation: Operation
    now: str | None = None  # what to use instead, when known


@dataclass(frozen=True)
class NewOperation:
    tag: str
    operation: Operation


@dataclass(frozen=True)
class CrossDiff:
    old_stats: SpecStats
    new_stats: SpecStats
    matched: tuple[OperationPair, ...] = ()
    removed: tuple[RemovedOperation, ...] = ()
    added: tuple[NewOperation, ...] = ()
    schemas: tuple[SchemaPair, ...] = ()  # the pairs with changes

    def counts(self) -> dict[str, int]:
        """The numbers the summary gives."""
        return {
            "matched": len(self.matched),
            "matched_new_path": sum(
                1 for m in self.matched if normalise_path(m.old.path) != normalise_path(m.new.path)
            ),
            "matched_new_operation_id": sum(
                1 for m in self.matched if m.old.operation_id != m.new.operation_id
            ),
            "schema_pairs_changed": len(self.schemas),
            "fields_renamed": sum(len(p.renamed) for p in self.schemas),
            "fields_removed": sum(len(p.removed) for p in self.schemas),
            "fields_added": sum(len(p.added) for p in self.schemas),
            "fields_changed": sum(len(p.changed) for p in self.schemas),
            "parameters_renamed": sum(len(m.parameters_renamed) for m in self.matched),
            "removed": len(self.removed),
            "removed_known": sum(1 for r in self.removed if r.now),
            "new": len(self.added),
        }

    def renames(self) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """Each distinct rename as (kind, old, new, where): fields by v1 schema, parameters by operation."""
        where: dict[tuple[str, str, str], set[str]] = {}
        for pair in self.schemas:
            for rename in pair.renamed:
                where.setdefault(("field", rename.old, rename.new), set()).add(pair.old)
        for op in self.matched:
            for param in op.parameters_renamed:
                kind = f"{param.location} parameter"
                where.setdefault((kind, param.old, param.new), set()).add(op.old.operation_id or op.old.label)
        return [(kind, old, new, tuple(sorted(w))) for (kind, old, new), w in sorted(where.items())]


def _is_structured(schema: Any) -> bool:
    """An object with fields of its own, or a choice of schemas: matched by name, compared by field."""
    if not isinstance(schema, Mapping):
        return False
    if isinstance(schema.get("properties"), Mapping) and schema["properties"]:
        return True
    parts = schema.get("allOf")
    if isinstance(parts, list) and len(parts) > 1:
        return True
    return any(isinstance(schema.get(k), list) and schema[k] for k in _COMPOSITES[1:])


def _resolve_ref(spec: Spec, schema: Any) -> Any:
    seen: set[str] = set()
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and schema["$ref"] not in seen:
        seen.add(schema["$ref"])
        schema = _resolve_pointer(spec, schema["$ref"])
    return schema


def _unwrapped(schema: Any) -> Any:
    """``schema`` without a single-part ``allOf`` around it (Airflow 2's way to add ``nullable``)."""
    parts = schema.get("allOf") if isinstance(schema, Mapping) else None
    if isinstance(parts, list) and len(parts) == 1 and not schema.get("properties"):
        return parts[0]
    return schema


def shape(schema: Any, spec: Spec) -> str:
    """What a value looks like on the wire, whatever its schema is called: ``string(date-time)``,
    ``array[schema]``, ``enum``, ``object`` (free-form), ``schema`` (fields of its own), ``any``."""
    schema = _unwrapped(schema)
    if not isinstance(schema, Mapping):
        return "any"
    if "$ref" in schema:
        target = _resolve_ref(spec, schema)
        if not isinstance(target, Mapping):
            return "any"
        if isinstance(target.get("enum"), list):
            return "enum"
        return "schema" if _is_structured(target) else shape(target, spec)
    if isinstance(schema.get("enum"), list):
        return "enum"
    if _is_structured(schema):
        return "schema"
    kind = schema.get("type")
    if kind == "array":
        return f"array[{shape(schema.get('items'), spec)}]"
    if isinstance(kind, list):
        return "|".join(sorted(_fmt(k) for k in kind))
    if kind is None:
        return "object" if "additionalProperties" in schema else "any"
    if kind == "object":
        return "object"
    fmt = schema.get("format")
    return f"{kind}({fmt})" if fmt else str(kind)


def _nullable(schema: Any, spec: Spec) -> bool:
    if not isinstance(schema, Mapping):
        return False
    if schema.get("nullable"):
        return True
    inner = _unwrapped(schema)
    if inner is not schema:
        return _nullable(inner, spec)
    target = _resolve_ref(spec, schema) if "$ref" in schema else None
    return isinstance(target, Mapping) and bool(target.get("nullable"))


def _type_label(schema: Any, spec: Spec) -> str:
    text = describe(_unwrapped(schema))
    return text + ", nullable" if _nullable(schema, spec) else text


def _enum_changes(old: Any, new: Any, old_spec: Spec, new_spec: Spec) -> list[str]:
    def values(schema: Any, spec: Spec) -> set[str]:
        target = _resolve_ref(spec, _unwrapped(schema))
        found = target.get("enum") if isinstance(target, Mapping) else None
        return {_fmt(v) for v in found or [] if v is not None}

    old_values, new_values = values(old, old_spec), values(new, new_spec)
    out = []
    if new_values - old_values:
        out.append(f"enum values added: {', '.join(sorted(new_values - old_values))}")
    if old_values - new_values:
        out.append(f"enum values removed: {', '.join(sorted(old_values - new_values))}")
    return out


def _alternatives(schema: Any) -> list[Any]:
    """The parts of a body that is one of several named schemas, else the body itself."""
    if isinstance(schema, Mapping) and not schema.get("properties"):
        for key in _COMPOSITES[1:]:
            parts = schema.get(key)
            if isinstance(parts, list) and len(parts) > 1 and all(_ref_name(p) for p in parts):
                return list(parts)
    return [schema]


def _success(op: Mapping[str, Any]) -> tuple[str | None, Any]:
    """The first 2xx status of an operation and its response."""
    responses = {str(k): v for k, v in (op.get("responses") or {}).items()}
    for status in sorted(responses, key=_status_sort_key):
        if status.startswith("2"):
            return status, responses[status]
    return None, None


def _json_schema(spec: Spec, obj: Any) -> Any:
    schemas = _content_schemas(spec, obj)
    if _JSON_MEDIA in schemas:
        return schemas[_JSON_MEDIA]
    return schemas[sorted(schemas)[0]] if schemas else None


def _schema_label(schema: Any, inline: str) -> str:
    if schema is None:
        return "(no body)"
    name = _ref_name(schema)
    if name:
        return name
    if _is_structured(schema) and len(_alternatives(schema)) == 1:
        return f"{inline} (inline)"
    return describe(schema)


class _Across:
    """Pairs v1 schemas with v2 schemas through the bodies and fields of matched operations."""

    def __init__(self, old_spec: Spec, new_spec: Spec, moves: Moves) -> None:
        self.old_spec = old_spec
        self.new_spec = new_spec
        self.moves = moves
        self.pairs: dict[PairKey, SchemaPair | None] = {}
        self.links: dict[PairKey, set[PairKey]] = {}

    def pair(self, old: Any, new: Any, direction: str, old_label: str, new_label: str) -> PairKey:
        """Compare ``old`` with ``new`` once; the schemas their fields hold are paired in turn."""
        key = (_ref_name(old) or old_label, _ref_name(new) or new_label, direction)
        if key not in self.pairs:
            self.pairs[key] = None
            self.links[key] = set()
            self.pairs[key] = self._diff_pair(key, old, new)
        return key

    def reachable(self, keys: Iterable[PairKey]) -> set[PairKey]:
        seen: set[PairKey] = set()
        todo = list(keys)
        while todo:
            key = todo.pop()
            if key not in seen:
                seen.add(key)
                todo.extend(self.links.get(key, ()))
        return seen

    def _props(self, flat: Mapping[str, Any], direction: str) -> dict[str, Any]:
        hidden = "readOnly" if direction == "request" else "writeOnly"
        props = flat.get("properties")
        if not isinstance(props, Mapping):
            return {}
        return {str(k): v for k, v in props.items() if not (isinstance(v, Mapping) and v.get(hidden))}

    def _rename_target(self, schema: str, field: str) -> tuple[str | None, str | None]:
        for rule in self.moves.fields:
            if rule.old == field and (not rule.schemas or schema in rule.schemas):
                return rule.new, rule.note
        target = substitute(field, self.moves.words)
        return (target, None) if target != field else (None, None)

    def _diff_pair(self, key: PairKey, old: Any, new: Any) -> SchemaPair:
        old_name, new_name, direction = key
        flat_old, flat_new = flatten(old, self.old_spec), flatten(new, self.new_spec)
        if not (_is_structured(flat_old) and _is_structured(flat_new)):
            if shape(old, self.old_spec) == shape(new, self.new_spec) == "enum":
                changes = _enum_changes(old, new, self.old_spec, self.new_spec)
            else:
                changes = self._value_changes(key, old, new, old_name, new_name)
            return SchemaPair(old_name, new_name, direction, changes=tuple(changes))
        old_props, new_props = self._props(flat_old, direction), self._props(flat_new, direction)
        added = set(new_props) - set(old_props)
        renamed: list[FieldRename] = []
        removed: list[tuple[str, str]] = []
        for name in sorted(set(old_props) - set(new_props)):
            target, note = self._rename_target(old_name, name)
            if target is not None and target in new_props and (target in added or target in old_props):
                added.discard(target)
                lines = self._value_changes(
                    key, old_props[name], new_props[target], f"{old_name}.{name}", f"{new_name}.{target}"
                )
                old_type = _type_label(old_props[name], self.old_spec)
                renamed.append(FieldRename(name, target, old_type, tuple(lines), note, target in old_props))
            else:
                removed.append((name, _type_label(old_props[name], self.old_spec)))
        changed: list[PropertyChange] = []
        for name in sorted(set(old_props) & set(new_props)):
            lines = self._value_changes(
                key, old_props[name], new_props[name], f"{old_name}.{name}", f"{new_name}.{name}"
            )
            if lines:
                changed.append(PropertyChange(name, tuple(lines)))
        return SchemaPair(
            old_name,
            new_name,
            direction,
            renamed=tuple(renamed),
            removed=tuple(removed),
            added=tuple((n, _type_label(new_props[n], self.new_spec)) for n in sorted(added)),
            changed=tuple(changed),
        )

    def _value_changes(self, owner: PairKey, old: Any, new: Any, old_label: str, new_label: str) -> list[str]:
        """How one value's type changed. Schemas of their own on both sides are paired (and their
        changes reported under that pair); nullable in either spelling is the same."""
        out: list[str] = []
        old_shape, new_shape = shape(old, self.old_spec), shape(new, self.new_spec)
        if old_shape != new_shape:
            out.append(f"type: {describe(_unwrapped(old))} -> {describe(_unwrapped(new))}")
        else:
            old_v, new_v = _unwrapped(old), _unwrapped(new)
            while shape(old_v, self.old_spec).startswith("array[") and isinstance(new_v, Mapping):
                old_v, new_v = _unwrapped(old_v.get("items")), _unwrapped(new_v.get("items"))
                old_label, new_label = old_label + "[]", new_label + "[]"
            inner = shape(old_v, self.old_spec)
            if inner == "schema" or (inner == "enum" and _ref_name(old_v) and _ref_name(new_v)):
                key = self.pair(old_v, new_v, owner[2], old_label, new_label)
                if key != owner:
                    self.links[owner].add(key)
            elif inner == "enum":
                out.extend(_enum_changes(old_v, new_v, self.old_spec, self.new_spec))
        old_null, new_null = _nullable(old, self.old_spec), _nullable(new, self.new_spec)
        if old_null != new_null:
            out.append(f"nullable: {_fmt(old_null)} -> {_fmt(new_null)}")
        return out

    def parameters(
        self, old_key: OpKey, new_key: OpKey, old: tuple[Any, Any], new: tuple[Any, Any]
    ) -> tuple[list[ParameterRename], list[str]]:
        """Path parameters compared by position, the others by name with the known words applied."""
        lines: list[str] = []
        old_tokens, new_tokens = _path_tokens(old_key[1]), _path_tokens(new_key[1])
        for index in range(max(len(old_tokens), len(new_tokens))):
            before = old_tokens[index] if index < len(old_tokens) else None
            after = new_tokens[index] if index < len(new_tokens) else None
            if before == after:
                continue
            if before == _LITERAL_ALL and after is not None:
                lines.append(f"path parameter {after}: the literal ~ in {old_key[1]} (pass ~ for every one)")
            elif before is None:
                lines.append(f"path parameter added: {after}")
            elif after is None:
                lines.append(f"path parameter removed: {before}")
            else:
                lines.append(f"path parameter renamed: {before} -> {after}")
        old_params = {k: v for k, v in _parameters(self.old_spec, *old).items() if k[0] != "path"}
        new_params = {k: v for k, v in _parameters(self.new_spec, *new).items() if k[0] != "path"}
        pairs = [(k, k) for k in sorted(set(old_params) & set(new_params), key=lambda k: (k[1], k[0]))]
        renamed: list[ParameterRename] = []
        for key in sorted(set(old_params) - set(new_params), key=lambda k: (k[1], k[0])):
            target = (key[0], substitute(key[1], self.moves.words))
            if target != key and target in new_params and target not in old_params:
                renamed.append(ParameterRename(key[0], key[1], target[1]))
                pairs.append((key, target))
        gone = {(r.location, r.old) for r in renamed}
        came = {(r.location, r.new) for r in renamed}
        for verb, keys in (
            ("removed", set(old_params) - set(new_params) - gone),
            ("added", set(new_params) - set(old_params) - came),
        ):
            for location in sorted({k[0] for k in keys}):
                names = ", ".join(sorted(k[1] for k in keys if k[0] == location))
                lines.append(f"{location} parameters {verb}: {names}")
        for o, n in pairs:
            old_p, new_p = old_params[o], new_params[n]
            old_schema, new_schema = old_p.get("schema"), new_p.get("schema")
            changes = []
            if shape(old_schema, self.old_spec) != shape(new_schema, self.new_spec):
                changes.append(f"type: {describe(old_schema)} -> {describe(new_schema)}")
            old_default = old_schema.get("default") if isinstance(old_schema, Mapping) else None
            new_default = new_schema.get("default") if isinstance(new_schema, Mapping) else None
            if old_default is not None and new_default is not None and old_default != new_default:
                changes.append(f"default: {_fmt(old_default)} -> {_fmt(new_default)}")
            changes.extend(_flag_changes(old_p, new_p, ("required",)))
            lines.extend(f"{n[0]} parameter {n[1]}: {change}" for change in changes)
        return renamed, lines

    def _lists(self, schema: Any, spec: Spec) -> list[tuple[str, Any]]:
        """(field, item schema) of each list of schemas among the fields of ``schema``."""
        props = flatten(schema, spec).get("properties")
        if not isinstance(props, Mapping):
            return []
        return [
            (str(n), _unwrapped(p).get("items"))
            for n, p in props.items()
            if shape(p, spec) == "array[schema]"
        ]

    def _body(self, op: Mapping[str, Any], body: Any, spec: Spec, direction: str) -> tuple[Any, str]:
        if body is None:
            return None, "(none)"
        schema = _json_schema(spec, body)
        return schema, _schema_label(schema, f"{op.get('operationId') or '?'} {direction}")

    def bodies(
        self, old_op: Mapping[str, Any], new_op: Mapping[str, Any]
    ) -> tuple[list[BodyChange], list[PairKey]]:
        """The request and success-response bodies of two operations, and the schema pairs they give.

        A v1 body that is one item where v2 answers a page of them is compared with the page's items."""
        changes: list[BodyChange] = []
        keys: list[PairKey] = []
        old_status, old_response = _success(old_op)
        new_status, new_response = _success(new_op)
        role = f"response {old_status or '(none)'}"
        if old_status != new_status:
            role += f" -> {new_status or '(none)'}"
        for label, direction, old_body, new_body in (
            ("request", "request", old_op.get("requestBody"), new_op.get("requestBody")),
            (role, "response", old_response, new_response),
        ):
            if old_body is None and new_body is None:
                continue
            old_schema, old_label = self._body(old_op, old_body, self.old_spec, direction)
            new_schema, new_label = self._body(new_op, new_body, self.new_spec, direction)
            page = self._lists(new_schema, self.new_spec)
            if (
                len(page) == 1
                and "total_entries" in (flatten(new_schema, self.new_spec).get("properties") or {})
                and _is_structured(flatten(old_schema, self.old_spec))
                and not self._lists(old_schema, self.old_spec)
            ):
                new_schema = page[0][1]
                new_label += f" (a page: {page[0][0]}[] of {describe(new_schema)})"
            changes.append(BodyChange(label, old_label, new_label))
            if old_schema is None or new_schema is None:
                continue
            old_parts, new_parts = _alternatives(old_schema), _alternatives(new_schema)
            if len(old_parts) > 1 and len(new_parts) > 1:
                continue
            for o in old_parts:
                for n in new_parts:
                    if {shape(o, self.old_spec), shape(n, self.new_spec)} & {"schema", "enum"}:
                        keys.append(self.pair(o, n, direction, old_label, new_label))
        return changes, keys


def _now(key: OpKey, moves: Moves) -> str | None:
    """What a v1 operation with no v2 counterpart is replaced by, if the known moves say."""
    method, path = key
    bare = _API_PREFIX_RE.sub("", path) or "/"
    for old, now in moves.moved:
        if " " in old:
            if _parse_operation(old, ()) == (method, normalise_path(bare)):
                return now
        elif bare == old or bare.startswith(old.rstrip("/") + "/"):
            return now
    return None


def _match_operations(
    old_ops: Mapping[OpKey, Any], new_ops: Mapping[OpKey, Any], moves: Moves
) -> tuple[list[tuple[OpKey, OpKey, str, str | None]], list[OpKey]]:
    """(v1, v2, how, note) for each v1 operation that has a v2 counterpart, and those that have none.

    First the known moves, then the same normalised path and method, then (for what is left on
    both sides) the same method and operationId once the known words are substituted."""
    words = moves.words
    new_by_path: dict[OpKey, OpKey] = {}
    for key in sorted(new_ops, key=_op_sort_key):
        new_by_path.setdefault((key[0], normalise_path(key[1], words)), key)
    table = {
        _parse_operation(o, words): (_parse_operation(n, words), note) for o, n, note in moves.operations
    }
    found: list[tuple[OpKey, OpKey, str, str | None]] = []
    unmatched: list[OpKey] = []
    for key in sorted(old_ops, key=_op_sort_key):
        norm = (key[0], normalise_path(key[1], words))
        if norm in table and table[norm][0] in new_by_path:
            found.append((key, new_by_path[table[norm][0]], "known move", table[norm][1]))
        elif norm in new_by_path:
            found.append((key, new_by_path[norm], "path", None))
        else:
            unmatched.append(key)
    used = {new for _, new, _, _ in found}
    by_id: dict[tuple[str, str], OpKey] = {}
    for key in sorted(set(new_ops) - used, key=_op_sort_key):
        op_id = new_ops[key][0].get("operationId")
        if op_id:
            by_id.setdefault((key[0], str(op_id)), key)
    removed: list[OpKey] = []
    for key in unmatched:
        op_id = old_ops[key][0].get("operationId")
        candidate = by_id.pop((key[0], substitute(str(op_id), words)), None) if op_id else None
        if candidate is None:
            removed.append(key)
        else:
            found.append((key, candidate, "operationId", None))
    return sorted(found, key=lambda f: _op_sort_key(f[0])), removed


def diff_across(old: Spec, new: Spec, moves: Moves | None = None) -> CrossDiff:
    """Match the operations and schemas of a v1 spec (``old``) to those of a v2 spec (``new``)."""
    moves = moves if moves is not None else load_moves()
    old, new = normalise_nullable(old), normalise_nullable(new)
    old_ops, new_ops = _operations(old), _operations(new)
    found, removed = _match_operations(old_ops, new_ops, moves)

    def operation(key: OpKey, ops: Mapping[OpKey, tuple[Mapping[str, Any], Any]]) -> Operation:
        op_id = ops[key][0].get("operationId")
        return Operation(key[0], key[1], str(op_id) if op_id is not None else None)

    across = _Across(old, new, moves)
    used_by: dict[PairKey, set[str]] = {}
    matched = []
    for old_key, new_key, how, note in found:
        old_op, new_op = operation(old_key, old_ops), operation(new_key, new_ops)
        renamed, lines = across.parameters(old_key, new_key, old_ops[old_key], new_ops[new_key])
        bodies, keys = across.bodies(old_ops[old_key][0], new_ops[new_key][0])
        reach = across.reachable(keys)
        for key in reach:
            used_by.setdefault(key, set()).add(old_op.operation_id or old_op.label)
        order = {key: index for index, key in enumerate(keys)}
        held = sorted(
            (key for key in reach if (pair := across.pairs.get(key)) is not None and not pair.is_empty),
            key=lambda key: (order.get(key, len(order)), key),
        )
        labels = tuple(f"{o} -> {n} ({d})" for o, n, d in held)
        matched.append(
            OperationPair(old_op, new_op, how, note, tuple(renamed), tuple(lines), tuple(bodies), labels)
        )

    schemas = tuple(
        dataclasses.replace(pair, used_by=tuple(sorted(used_by.get(key, ()))))
        for key, pair in sorted(across.pairs.items())
        if pair is not None and not pair.is_empty
    )
    used = {new_key for _, new_key, _, _ in found}
    added = [
        NewOperation(str((new_ops[key][0].get("tags") or ["(no tag)"])[0]), operation(key, new_ops))
        for key in sorted(set(new_ops) - used, key=_op_sort_key)
    ]
    return CrossDiff(
        old_stats=stats(old),
        new_stats=stats(new),
        matched=tuple(matched),
        removed=tuple(RemovedOperation(operation(key, old_ops), _now(key, moves)) for key in removed),
        added=tuple(sorted(added, key=lambda a: a.tag.lower())),
        schemas=schemas,
    )


def _wrap(line: str) -> list[str]:
    """A long report line broken at spaces, continued on lines indented by two."""
    return textwrap.wrap(
        line, _WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
    ) or [line]


def render_across(diff: CrossDiff, from_label: str, to_label: str) -> str:
    """The plain-text (Markdown-ish) report of ``diff``: summary, renames, matched, removed, new."""
    n = diff.counts()
    summary = [
        f"Summary: {from_label}: {_stats_text(diff.old_stats)}; {to_label}: {_stats_text(diff.new_stats)}.",
        f"Matched: {n['matched']} operations ({n['matched_new_path']} under another path, "
        f"{n['matched_new_operation_id']} with another operationId); {n['schema_pairs_changed']} schema "
        f"pairs changed.",
        f"Fields: {n['fields_renamed']} renamed, {n['fields_removed']} removed, {n['fields_added']} added, "
        f"{n['fields_changed']} changed. Parameters: {n['parameters_renamed']} renamed.",
        f"Removed: {n['removed']} operations ({n['removed_known']} with a known replacement). "
        f"New: {n['new']} operations.",
        f"Known renames and moves: scripts/{MOVES_FILE.name}.",
    ]
    out = [f"# Airflow REST API across majors: {from_label} -> {to_label}", ""]
    out += [piece for line in summary for piece in textwrap.wrap(line, _WIDTH)]

    renames = diff.renames()
    if renames:
        out += ["", f"## Renamed ({len(renames)})", ""]
        for kind, old, new, where in renames:
            out += _wrap(f"- {kind} {old} -> {new}: {', '.join(where)}")

    how = {"path": "", "known move": " (known move)", "operationId": " (matched by operationId)"}
    by_label = {p.label: p for p in diff.schemas}
    if diff.matched:
        out += ["", f"## Matched operations ({len(diff.matched)})"]
    for m in diff.matched:
        heading = m.old.operation_id or "?"
        if m.new.operation_id != m.old.operation_id:
            heading += f" -> {m.new.operation_id or '?'}"
        out += ["", f"### {heading}", ""]
        out.append(f"- {from_label}: {m.old.method.upper()} {m.old.path}")
        out.append(f"- {to_label}: {m.new.method.upper()} {m.new.path}{how[m.how]}")
        lines = [f"note: {m.note}"] if m.note else []
        lines += [f"{r.location} parameter renamed: {r.old} -> {r.new}" for r in m.parameters_renamed]
        lines += list(m.parameters)
        lines += [f"{b.role}: {b.old} -> {b.new}" for b in m.bodies]
        for label in m.schemas:
            pair = by_label[label]
            lines.append(f"{'values' if pair.changes else 'fields'} of {label}: {pair.counts}")
        out += [piece for line in lines for piece in _wrap(f"- {line}")]

    if diff.schemas:
        out += ["", f"## Schema changes ({len(diff.schemas)})"]
    for pair in diff.schemas:
        out += ["", f"### {pair.label}", ""]
        lines = [f"used by: {', '.join(pair.used_by)}", *pair.changes]
        lines += [f"renamed: {r.label}" for r in pair.renamed]
        lines += [f"removed: {name} ({kind})" for name, kind in pair.removed]
        lines += [f"added: {name} ({kind})" for name, kind in pair.added]
        lines += [f"{c.name}: {line}" for c in pair.changed for line in c.changes]
        out += [piece for line in lines for piece in _wrap(f"- {line}")]

    if diff.removed:
        out += ["", f"## Removed operations ({len(diff.removed)})", ""]
    for r in diff.removed:
        out += _wrap(f"- {r.operation.label}" + (f": {r.now}" if r.now else ""))

    if diff.added:
        out += ["", f"## New operations ({len(diff.added)})"]
    for tag in sorted({a.tag for a in diff.added}, key=str.lower):
        ops = [a.operation for a in diff.added if a.tag == tag]
        out += ["", f"### {tag} ({len(ops)})", ""]
        out += [f"- {o.label}" for o in ops]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- CLI


@dataclass(frozen=True)
class Source:
    spec: dict[str, Any]
    api: str  # "v1" (Airflow 2) or "v2" (Airflow 3)
    label: str


def _api_of(spec: Spec) -> str:
    """Which API a spec file describes: v2 serves under /api/v2 and is written in OpenAPI 3.1."""
    paths = spec.get("paths") or {}
    if any(str(p).startswith("/api/v2") for p in paths) or str(spec.get("openapi", "")).startswith("3.1"):
        return "v2"
    return "v1"


def spec_of_version(version: str) -> tuple[dict[str, Any], str]:
    """The spec an Airflow release ships (3.x: the files merged into one) and its API."""
    scripts_dir = str(Path(__file__).resolve().parent)
    if scripts_dir not in sys.path:
        sys.path.insert(0, scripts_dir)
    from fetch_spec import spec_texts
    from majors import for_version

    major = for_version(version)
    documents = [yaml.safe_load(text) for text in spec_texts(version).values()]
    return major.merge(documents), major.api


def load_source(source: str) -> Source:
    """Parse a spec file, or fetch the spec of an Airflow version."""
    path = Path(source)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        if not isinstance(data, dict):
            raise SystemExit(f"{source}: not an OpenAPI document")
        return Source(data, _api_of(data), source)
    if _VERSION_RE.match(source):
        data, api = spec_of_version(source)
        return Source(data, api, source)
    raise SystemExit(f"{source!r} is neither a spec file nor an Airflow version such as 2.11.2")


def load_spec(source: str) -> dict[str, Any]:
    """Parse a spec file, or fetch the spec of an Airflow version."""
    return load_source(source).spec


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def report(old: Source, new: Source, as_json: bool = False) -> str:
    """The report from ``old`` to ``new``: within one API, or from v1 to v2."""
    if old.api == new.api:
        diff: SpecDiff | CrossDiff = diff_specs(old.spec, new.spec)
        kind = "within"
    elif (old.api, new.api) == ("v1", "v2"):
        diff = diff_across(old.spec, new.spec)
        kind = "across"
    else:
        raise SystemExit(f"a report across majors goes from Airflow 2 to 3, not {old.label} -> {new.label}")
    if as_json:
        document: dict[str, Any] = {
            "from": old.label,
            "to": new.label,
            "apis": [old.api, new.api],
            "kind": kind,
        }
        if isinstance(diff, CrossDiff):
            document["counts"] = diff.counts()
            document["renames"] = [
                {"kind": k, "old": o, "new": n, "where": list(w)} for k, o, n, w in diff.renames()
            ]
        document.update(_jsonable(diff))
        return json.dumps(document, indent=2) + "\n"
    if isinstance(diff, CrossDiff):
        return render_across(diff, old.label, new.label)
    return render(diff, old.label, new.label)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old", metavar="FROM", help="Airflow version (e.g. 2.10.5) or spec file")
    parser.add_argument("new", metavar="TO", help="Airflow version (e.g. 2.11.2 or 3.3.2) or spec file")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    sys.stdout.write(report(load_source(args.old), load_source(args.new), as_json=args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
