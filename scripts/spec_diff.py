"""Show what changed in Airflow's REST API v1 spec between two versions.

    python scripts/spec_diff.py FROM TO

FROM and TO are each an Airflow version (``2.10.5``; the spec is taken from the
apache-airflow wheel, see ``fetch_spec.py``) or the path of a YAML/JSON spec file.
The report lists the operations and the schemas (``components/schemas``) that were
added, removed or changed, in a stable sorted order. It is a report, not a gate:
the exit status is 0 whatever the differences are.

Descriptions, summaries and examples are not compared. ``$ref`` to
``components/parameters``, ``components/responses`` and ``components/requestBodies``
are resolved; schema references are compared by name (a change inside a referenced
schema is reported once, under "Schemas changed"), except that ``allOf`` is flattened
so that a schema built from parts reports the fields of all its parts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
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


# --------------------------------------------------------------------------- CLI


def load_spec(source: str) -> dict[str, Any]:
    """Parse a spec file, or fetch the spec of an Airflow version."""
    path = Path(source)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    elif _VERSION_RE.match(source):
        scripts_dir = str(Path(__file__).resolve().parent)
        if scripts_dir not in sys.path:
            sys.path.insert(0, scripts_dir)
        from fetch_spec import spec_text

        data = yaml.safe_load(spec_text(source))
    else:
        raise SystemExit(f"{source!r} is neither a spec file nor an Airflow version such as 2.11.2")
    if not isinstance(data, dict):
        raise SystemExit(f"{source}: not an OpenAPI document")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old", metavar="FROM", help="Airflow version (e.g. 2.10.5) or spec file")
    parser.add_argument("new", metavar="TO", help="Airflow version (e.g. 2.11.2) or spec file")
    args = parser.parse_args(argv)
    old, new = load_spec(args.old), load_spec(args.new)
    sys.stdout.write(render(diff_specs(old, new), args.old, args.new))
    return 0


if __name__ == "__main__":
    sys.exit(main())
