"""Property test: every generated model survives ``Model.from_dict(instance).to_dict()``.

The instances come from the effective (corrected) spec shipped with the package
(``airflow_rest_v1/openapi.json``), read as the generator read it (``generator_input`` in
scripts/generator.py: a user date sent without an offset is a ``date-time`` there). Its OpenAPI
3.0 schemas are converted to JSON Schema draft 7 here and fed to
``hypothesis_jsonschema.from_schema``. The output of ``to_dict()`` must equal the input, with two
documented exceptions (see ``_first_difference``): ``format: date-time`` strings compare as
instants and ``type: number`` values compare numerically (``1 == 1.0``).
"""

from __future__ import annotations

import builtins
import copy
import datetime
import functools
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

import airflow_rest_v1
import airflow_rest_v1.models


def is_model(cls: object) -> bool:
    """A generated model class: an attrs class with from_dict and to_dict."""
    return attrs.has(cls) and all(hasattr(cls, a) for a in ("from_dict", "to_dict"))


def _install_many_compat() -> None:
    """Let hypothesis-jsonschema 0.23.1 (the latest release) generate objects with hypothesis 6.170.

    Its object strategy drives ``hypothesis.internal.conjecture.utils.many`` through the old
    ``while elements.more(): ... elements.reject()`` protocol; newer hypothesis only offers
    ``with many(...) as elements: for _ in elements: ...`` and every object schema then fails with
    ``AttributeError: 'many' object has no attribute 'more'``. This adapter drives the new protocol
    with the old calls, only for hypothesis-jsonschema, and only when ``more`` is missing.
    Remove it once hypothesis-jsonschema supports the new protocol (or hypothesis is pinned below it).
    """
    import types

    import hypothesis.internal.conjecture.utils as cu
    import hypothesis_jsonschema._from_schema as hjs

    if hasattr(cu.many, "more"):
        return

    class _LegacyMany:
        def __init__(self, data: Any, **kwargs: Any) -> None:
            self._many = cu.many(data, **kwargs)
            self._many.__enter__()
            self._elements = iter(self._many)

        def more(self) -> bool:
            if next(self._elements, self) is self:  # the loop ended
                self._many.__exit__(None, None, None)
                return False
            return True

        def reject(self, why: str | None = None) -> None:
            self._many.reject(why)

    hjs.cu = types.SimpleNamespace(many=_LegacyMany)


_install_many_compat()

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from generator import generator_input  # noqa: E402

SPEC: dict[str, Any] = generator_input(
    json.loads((Path(airflow_rest_v1.__file__).parent / "openapi.json").read_text())
)
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
OAS_REF_PREFIX = "#/components/schemas/"
JS_REF_PREFIX = "#/definitions/"

# ------------------------------------------------------------------------------------------------
# OpenAPI 3.0 schema -> JSON Schema draft 7
# ------------------------------------------------------------------------------------------------

# Keywords that mean the same in OpenAPI 3.0 and JSON Schema draft 7: copied (sub-schemas converted).
_SAME_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "required",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "multipleOf",
        "minProperties",
        "maxProperties",
    }
)
_SCHEMA_KEYWORDS = frozenset({"items", "not"})  # value is one schema
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf"})  # value is a list of schemas
# OpenAPI-only or annotation-only keywords: they do not restrict instances, so they are dropped.
# (`discriminator` is redundant here: each alternative pins its `__type` with `const`.)
_DROPPED_KEYWORDS = frozenset(
    {
        "readOnly",
        "writeOnly",
        "example",
        "deprecated",
        "discriminator",
        "xml",
        "externalDocs",
        "description",
        "title",
        "default",
    }
)
# `format`s hypothesis-jsonschema generates and that the generated models treat specially. Any
# other format (e.g. `password`) is only an annotation for the generated code: dropped.
_KEPT_FORMATS = frozenset({"date-time"})

_NULL_SCHEMA: dict[str, Any] = {"type": "null"}


def _allows_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, _NULL_SCHEMA]}


def oas_to_json_schema(node: Any, *, nullable_root: bool = True) -> Any:
    """Convert one OpenAPI 3.0.3 schema object to JSON Schema draft 7.

    * ``#/components/schemas/X`` refs become ``#/definitions/X`` (see ``json_schema_for``).
    * ``nullable: true`` -> ``anyOf: [schema, {type: null}]`` (unless ``nullable_root`` is false,
      used for the top-level schema of a model: ``Model.from_dict(None)`` is not a model).
    * an ``enum`` containing ``null`` -> the ``type`` also allows ``"null"`` (the effective spec's
      way of writing nullable enums, without ``nullable: true``).
    * ``exclusiveMinimum/Maximum: true`` (OpenAPI 3.0 booleans) -> draft 7 numbers.
    * annotation/OpenAPI-only keywords are dropped; an unknown keyword raises, so a spec that
      starts using one is handled explicitly instead of silently.

    ``additionalProperties`` is kept as given, neither restricted nor forbidden: absent means any
    extra key with any JSON value is allowed, and hypothesis-jsonschema does generate such keys; the
    generated models must keep them in ``additional_properties`` and write them back. (Restricting
    the extra keys would need ``unevaluatedProperties``, which draft 7 lacks, because the allOf
    collection schemas spread their properties over several parts.)
    """
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        raise TypeError(f"not a schema: {node!r}")
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith(OAS_REF_PREFIX):
            raise ValueError(f"unsupported $ref {ref!r}")
        out: dict[str, Any] = {"$ref": JS_REF_PREFIX + ref.removeprefix(OAS_REF_PREFIX)}
        # OpenAPI 3.0 says siblings of $ref are ignored. The spec still writes `nullable: true` next
        # to a few refs (DAGDetail.timezone, DAGDetail.dag_run_timeout) meaning "this may be null";
        # we honour it: it only widens the instances tested.
        unknown = set(node) - {"$ref", "nullable", "type"} - _DROPPED_KEYWORDS
        if unknown:
            raise ValueError(f"unsupported keywords next to $ref: {sorted(unknown)}")
        return _allows_null(out) if node.get("nullable") is True and nullable_root else out

    out = {}
    for key, value in node.items():
        if key in _SAME_KEYWORDS:
            out[key] = copy.deepcopy(value)
        elif key in _SCHEMA_KEYWORDS:
            out[key] = oas_to_json_schema(value)
        elif key in _SCHEMA_LIST_KEYWORDS:
            out[key] = [oas_to_json_schema(v) for v in value]
        elif key == "properties":
            out[key] = {name: oas_to_json_schema(v) for name, v in value.items()}
        elif key == "additionalProperties":
            out[key] = oas_to_json_schema(value)
        elif key == "format":
            if value in _KEPT_FORMATS:
                out[key] = value
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            pass  # handled below, needs minimum/maximum
        elif key in _DROPPED_KEYWORDS or key == "nullable":
            pass
        else:
            raise ValueError(f"unsupported schema keyword {key!r} in {node!r}")
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(flag) is True:
            out[flag] = out.pop(bound)
    if "enum" in out and None in out["enum"] and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"] if "null" not in types else types
    if node.get("nullable") is True and nullable_root:
        return _allows_null(out)
    return out


DEFINITIONS: dict[str, Any] = {name: oas_to_json_schema(schema) for name, schema in SCHEMAS.items()}


def _refs(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(_refs, node))
    if not isinstance(node, dict):
        return set()
    own = {node["$ref"].removeprefix(JS_REF_PREFIX)} if "$ref" in node else set()
    return own.union(*map(_refs, node.values()))


@functools.cache
def json_schema_for(name: str) -> dict[str, Any]:
    """The draft 7 schema of a model's *object* (a nullable schema's null alternative left out),
    with only the definitions it reaches (hypothesis-jsonschema checks all of them against the
    metaschema for every model, which with all 98 took a third of the run)."""
    root = oas_to_json_schema(SCHEMAS[name], nullable_root=False)
    reached: set[str] = set()
    todo = _refs(root)
    while todo:
        ref = todo.pop()
        reached.add(ref)
        todo |= _refs(DEFINITIONS[ref]) - reached
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        **root,
        "definitions": {ref: DEFINITIONS[ref] for ref in sorted(reached)},
    }


# Only for generating instances (validation and comparison use the schemas as converted): arrays
# without a maxItems get one. Collections nest arrays of objects (DAGCollection.dags[].tags[], ...),
# and hypothesis-jsonschema re-canonicalises a sub-schema for every object it draws, so unbounded
# arrays made the file take several minutes. Every item model is also tested on its own, and 0, 1
# and 2 items are enough to exercise the generated list handling (1 in the every-key variant
# below, whose objects are large: it is there to cover fields, not lists).
def _bound_arrays(node: Any, max_items: int) -> Any:
    if isinstance(node, list):
        return [_bound_arrays(v, max_items) for v in node]
    if not isinstance(node, dict):
        return node
    out = {key: _bound_arrays(value, max_items) for key, value in node.items()}
    types = out.get("type")
    if types == "array" or (isinstance(types, list) and "array" in types):
        out.setdefault("maxItems", max(max_items, out.get("minItems", 0)))
    return out


def _every_declared_key(node: Any, definitions: dict[str, Any]) -> Any:
    """A sub-schema of ``node`` whose objects carry exactly their declared properties, all of them.

    With extra keys allowed and most fields optional, hypothesis-jsonschema draws few declared keys
    per object (half of its key draws are made-up names): a run of 25 examples of TaskInstance or
    DAGDetail left a third of their fields untested. Instances of this schema are instances of ``node`` too.
    An allOf of object parts (the collections, DAGDetail, ...) is merged into one object first, as
    the generator does, since a part must not forbid its siblings' keys. Objects that declare no
    properties (free-form ones: ``conf``, ``extra``, ``params``) stay as they are.
    """
    if isinstance(node, list):
        return [_every_declared_key(v, definitions) for v in node]
    if not isinstance(node, dict):
        return node
    if "allOf" in node:
        parts = [
            definitions[p["$ref"].removeprefix(JS_REF_PREFIX)] if "$ref" in p else p for p in node["allOf"]
        ]
        rest = {k: v for k, v in node.items() if k not in ("allOf", "type", "required")}
        if set(rest) <= {"$schema", "definitions"} and all(
            set(p) <= {"type", "properties", "required"} and p.get("type", "object") == "object"
            for p in parts
        ):
            properties: dict[str, Any] = {}
            for part in parts:
                for key, schema in part.get("properties", {}).items():
                    properties[key] = {"allOf": [properties[key], schema]} if key in properties else schema
            node = {**rest, "type": "object", "properties": properties}
    out = {key: _every_declared_key(value, definitions) for key, value in node.items()}
    if isinstance(out.get("properties"), dict) and out["properties"]:
        out.setdefault("additionalProperties", False)
        out["required"] = sorted(out["properties"])
    return out


@functools.cache
def _strategy(name: str) -> st.SearchStrategy[Any]:
    """Instances of the model's schema: as given (optional keys left out, extra keys), or with
    every declared key and no other."""
    as_given = _bound_arrays(json_schema_for(name), max_items=2)
    bounded = _bound_arrays(json_schema_for(name), max_items=1)
    return from_schema(as_given) | from_schema(_every_declared_key(bounded, bounded["definitions"]))


# ------------------------------------------------------------------------------------------------
# Schema name -> model class
# ------------------------------------------------------------------------------------------------

# Component schemas that have no model class, and why. Kept explicit so that a new schema that does
# not map to a model class fails `test_skipped_schemas_are_exactly_the_expected_ones` loudly.
EXPECTED_SKIPPED: dict[str, str] = {
    "Color": "string alias (pattern): a plain str field",
    "DagState": "string enum: a StrEnum, not a model",
    "HealthStatus": "string enum with null: `HealthStatus | None`, a StrEnum",
    "ScheduleInterval": "anyOf union of TimeDelta/RelativeDelta/CronExpression: a type alias",
    "TaskState": "string enum with null: `TaskState | None`, a StrEnum",
    "Timezone": "string alias: a plain str field",
    "TriggerRule": "string enum: a StrEnum, not a model",
    "UpdateTaskState": "string enum: a StrEnum, not a model",
    "WeightRule": "string alias: a plain str field",
}


def _is_model_schema(schema: dict[str, Any]) -> bool:
    """Object schemas (own properties, or an allOf of objects) get a model class."""
    if "enum" in schema or "anyOf" in schema or "oneOf" in schema:
        return False
    return schema.get("type") == "object" or "allOf" in schema or "properties" in schema


def _pascal_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def model_class_name(name: str, schema: dict[str, Any]) -> str:
    """openapi-python-client's class name for a component object schema.

    The schema name in PascalCase, or its ``title`` if it has one. A nullable object *without* a
    title becomes the union ``<Name>Type0 | None``, so its class is ``<Name>Type0`` (Job, SLAMiss,
    Trigger). A name that would shadow a Python builtin gets a trailing ``_`` (ImportError).
    """
    class_name = _pascal_case(schema.get("title") or name)
    if schema.get("nullable") is True and "title" not in schema:
        class_name += "Type0"
    if hasattr(builtins, class_name) or keyword.iskeyword(class_name):
        class_name += "_"
    return class_name


MODEL_SCHEMAS = sorted(name for name, schema in SCHEMAS.items() if _is_model_schema(schema))
SKIPPED_SCHEMAS = sorted(set(SCHEMAS) - set(MODEL_SCHEMAS))


def model_class(name: str) -> type:
    return getattr(airflow_rest_v1.models, model_class_name(name, SCHEMAS[name]))


def test_skipped_schemas_are_exactly_the_expected_ones() -> None:
    unexpected = sorted(set(SKIPPED_SCHEMAS) - set(EXPECTED_SKIPPED))
    gone = sorted(set(EXPECTED_SKIPPED) - set(SKIPPED_SCHEMAS))
    assert not unexpected, f"schemas that map to no model class, not in EXPECTED_SKIPPED: {unexpected}"
    assert not gone, f"EXPECTED_SKIPPED names schemas that are now models or gone: {gone}"


def test_skipped_schemas_have_no_model_class() -> None:
    for name in SKIPPED_SCHEMAS:
        cls = getattr(airflow_rest_v1.models, model_class_name(name, SCHEMAS[name]), None)
        assert cls is None or not is_model(cls), f"{name} is skipped but has the model class {cls}"


def test_every_model_schema_has_its_model_class() -> None:
    missing = {
        name: model_class_name(name, SCHEMAS[name])
        for name in MODEL_SCHEMAS
        if not hasattr(airflow_rest_v1.models, model_class_name(name, SCHEMAS[name]))
    }
    assert not missing, f"no class in airflow_rest_v1.models for {missing}"
    for name in MODEL_SCHEMAS:
        cls = model_class(name)
        assert is_model(cls), name


# ------------------------------------------------------------------------------------------------
# Semantic comparison, guided by the schema
# ------------------------------------------------------------------------------------------------


_VALIDATORS: dict[int, tuple[Any, jsonschema.Draft7Validator]] = {}


def _is_valid(schema: Any, value: Any) -> bool:
    """Validate against a sub-schema of DEFINITIONS or of a cached ``json_schema_for`` result."""
    if isinstance(schema, bool):
        return schema
    if id(schema) not in _VALIDATORS:  # keyed by id: the schemas are long-lived, the entry keeps it so
        validator = jsonschema.Draft7Validator({**schema, "definitions": DEFINITIONS})
        _VALIDATORS[id(schema)] = (schema, validator)
    return _VALIDATORS[id(schema)][1].is_valid(value)


def _applicable(schemas: list[Any], value: Any) -> list[dict[str, Any]]:
    """The (sub)schemas that describe ``value``: refs followed, allOf parts, matching anyOf/oneOf."""
    out: list[dict[str, Any]] = []
    todo = list(schemas)
    while todo:
        schema = todo.pop()
        if isinstance(schema, bool):
            continue
        if "$ref" in schema:  # draft 7: siblings of $ref are ignored (the converter emits none)
            todo.append(DEFINITIONS[schema["$ref"].removeprefix(JS_REF_PREFIX)])
            continue
        out.append(schema)
        todo.extend(schema.get("allOf", []))
        for key in ("anyOf", "oneOf"):
            todo.extend(branch for branch in schema.get(key, []) if _is_valid(branch, value))
    return out


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type", [])
    return {t} if isinstance(t, str) else set(t)


def _json_kind(value: Any) -> str:
    for kind, types in (
        ("null", type(None)),
        ("boolean", bool),  # before int: bool is an int subclass
        ("integer", int),
        ("number", float),
        ("string", str),
        ("array", list),
        ("object", dict),
    ):
        if isinstance(value, types):
            return kind
    return f"non-JSON {type(value).__name__}"


def _instant(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "Zz" else value)


def _pointer_part(key: str | int) -> str:
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


def _first_difference(expected: Any, actual: Any, schemas: list[Any], path: str = "") -> str | None:
    """None if ``actual`` (``to_dict()`` output) equals ``expected`` (the input), else a message
    naming the JSON pointer of the first difference.

    Only two relaxations, both decided by the schema at that position, never by the value alone:
    ``format: date-time`` strings compare as instants, ``type: number`` values numerically
    (int vs float). Everything else compares by JSON kind (a bool is not an int) and value.
    """
    where = path or "/"
    subs = _applicable(schemas, expected)
    if isinstance(expected, str) and any(s.get("format") == "date-time" for s in subs):
        if not isinstance(actual, str):
            return f"{where}: date-time {expected!r} came back as {actual!r}"
        if actual == expected:
            return None
        try:
            same = _instant(expected) == _instant(actual)
        except (ValueError, TypeError) as err:
            return f"{where}: date-time {expected!r} came back as {actual!r} ({err})"
        return None if same else f"{where}: date-time {expected!r} came back as instant {actual!r}"
    kind, actual_kind = _json_kind(expected), _json_kind(actual)
    if kind in ("integer", "number") and any("number" in _types(s) for s in subs):
        if actual_kind not in ("integer", "number") or actual != expected:
            return f"{where}: number {expected!r} came back as {actual!r}"
        return None
    if kind != actual_kind:
        return f"{where}: {kind} {expected!r} came back as {actual_kind} {actual!r}"
    if isinstance(expected, dict):
        missing = [k for k in expected if k not in actual]
        if missing:
            return f"{where}: key {missing[0]!r} was lost (value {expected[missing[0]]!r})"
        added = [k for k in actual if k not in expected]
        if added:
            return f"{where}: key {added[0]!r} was added (value {actual[added[0]]!r})"
        for key, value in expected.items():
            children = [
                s["properties"][key]
                if key in s.get("properties", {})
                else s.get("additionalProperties", True)
                for s in subs
            ]
            diff = _first_difference(value, actual[key], children, path + _pointer_part(key))
            if diff:
                return diff
        return None
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{where}: array of {len(expected)} items came back with {len(actual)}"
        for i, (item, actual_item) in enumerate(zip(expected, actual, strict=True)):
            children = [s["items"] for s in subs if "items" in s]
            diff = _first_difference(item, actual_item, children, path + _pointer_part(i))
            if diff:
                return diff
        return None
    if expected != actual:
        return f"{where}: {expected!r} came back as {actual!r}"
    return None


def assert_round_trips(name: str, instance: dict[str, Any]) -> None:
    original = copy.deepcopy(instance)  # from_dict must not be trusted to leave its input alone
    output = model_class(name).from_dict(instance).to_dict()
    diff = _first_difference(original, output, [json_schema_for(name)])
    assert diff is None, f"{name} round trip: {diff}\n  input:  {original!r}\n  output: {output!r}"


# ------------------------------------------------------------------------------------------------
# The comparison itself must be strict: a few checks on hand-written cases
# ------------------------------------------------------------------------------------------------


def test_first_difference_is_strict_where_the_schema_is() -> None:
    ti = [json_schema_for("TaskInstance")]
    assert _first_difference({"try_number": 1}, {"try_number": 1.0}, ti) is not None  # integer
    assert _first_difference({"duration": 1}, {"duration": 1.0}, ti) is None  # number
    assert _first_difference({"duration": 1}, {"duration": True}, ti) is not None
    assert (
        _first_difference({"hostname": "x"}, {"hostname": "x", "pid": None}, ti)
        == "/: key 'pid' was added (value None)"
    )
    assert _first_difference({"pid": None}, {}, ti) == "/: key 'pid' was lost (value None)"
    dates = ({"end_date": "2020-01-01T01:00:00+01:00"}, {"end_date": "2020-01-01T00:00:00Z"})
    assert _first_difference(*dates, ti) is None  # same instant
    assert _first_difference({"end_date": "2020-01-01T01:00:00Z"}, {"end_date": "2020-01-01T01:00:00"}, ti)
    # hostname is a plain string (no format): compared exactly, not as an instant
    assert (
        _first_difference({"hostname": dates[0]["end_date"]}, {"hostname": dates[1]["end_date"]}, ti)
        == f"/hostname: {dates[0]['end_date']!r} came back as {dates[1]['end_date']!r}"
    )
    # JSON pointer escaping, and a nested difference in a free-form object
    diff = _first_difference({"a/b": [{"~": 1}]}, {"a/b": [{"~": 1.0}]}, [True])
    assert diff == "/a~1b/0/~0: integer 1 came back as number 1.0"


def test_unknown_keys_round_trip_via_additional_properties() -> None:
    data = {
        "dag_id": "d",
        "state": None,
        "x-unknown": {"nested": [1, 2.5, None, "s"]},
        "triggerer_job": {"id": 3, "hostname": None, "not_in_spec": True},
    }
    ti = airflow_rest_v1.models.TaskInstance.from_dict(copy.deepcopy(data))
    assert ti.additional_properties == {"x-unknown": {"nested": [1, 2.5, None, "s"]}}
    assert ti.triggerer_job.additional_properties == {"not_in_spec": True}
    assert ti.to_dict() == data
    assert_round_trips("TaskInstance", data)


# ------------------------------------------------------------------------------------------------
# The property: one test per model schema
# ------------------------------------------------------------------------------------------------

# Models that do not round-trip although the instance is valid under the corrected spec: name ->
# reason. Keep the test strict; each entry is a real bug to fix in the spec corrections or the
# generator, and is run as a strict xfail.
KNOWN_FAILURES: dict[str, str] = {}

# 20 examples per model keep the file around 40 s on a busy 2-core machine (strategies that draw
# all 40 fields of a DAGDetail, nested, cost tens of milliseconds an example). A failing model
# takes longer: hypothesis shrinks the example for up to 5 minutes.
MAX_EXAMPLES = 20
_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]


def _round_trip_property(phases: tuple[Phase, ...]) -> Any:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=_SUPPRESSED, phases=phases)
    @given(data=st.data())
    def round_trip(name: str, data: st.DataObject) -> None:
        instance = data.draw(_strategy(name), label=name)
        assert_round_trips(name, instance)

    return round_trip


test_model_round_trips = pytest.mark.parametrize(
    "name", [pytest.param(name, id=name) for name in MODEL_SCHEMAS if name not in KNOWN_FAILURES]
)(_round_trip_property(tuple(Phase)))

if KNOWN_FAILURES:
    # Not shrunk: the failure is known, and shrinking it again on every run would cost minutes.
    test_model_round_trips_known_failures = pytest.mark.parametrize(
        "name",
        [
            pytest.param(name, id=name, marks=pytest.mark.xfail(strict=True, reason=reason))
            for name, reason in sorted(KNOWN_FAILURES.items())
        ],
    )(_round_trip_property((Phase.explicit, Phase.reuse, Phase.generate)))


# RFC 3339 date-times that hypothesis-jsonschema never writes: it always uses upper-case "T"/"Z",
# 0 or 6 fraction digits, years 0001-9999 and seconds 00-59.
@pytest.mark.parametrize(
    "value",
    [
        "2024-02-29T23:59:59.5+05:30",
        "2024-02-29T23:59:59.123-00:00",
        "2024-02-29T23:59:59.123456789Z",  # truncated to microseconds, as the comparison parses too
        pytest.param(
            "2024-02-29t23:59:59z",
            marks=pytest.mark.xfail(
                strict=True,
                raises=ValueError,
                reason="RFC 3339 allows lower-case t/z; datetime.fromisoformat rejects them",
            ),
        ),
        pytest.param(
            "2016-12-31T23:59:60Z",
            marks=pytest.mark.xfail(
                strict=True, raises=ValueError, reason="leap second: datetime has no second 60"
            ),
        ),
    ],
)
def test_date_time_forms_round_trip(value: str) -> None:
    # execution_date: a non-nullable date-time, parsed strictly (a nullable one keeps a string it
    # cannot parse as it is, which "round-trips" without telling anything)
    assert_round_trips("TaskInstance", {"execution_date": value})
