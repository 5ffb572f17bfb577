"""JSON pointers, $refs and schema positions of an OpenAPI document (``airflow_rest.testing._pointers``)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_rest.testing import _pointers
from airflow_rest.testing._spec import Spec

DOC: dict[str, Any] = {
    "openapi": "3.0.3",
    "paths": {
        "/a/{id}": {
            "parameters": [{"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}],
            "get": {
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "responses": {
                    "200": {
                        "description": "x",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}},
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
            "patch": {
                "requestBody": {
                    "content": {
                        "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/A"}}
                    }
                },
                "responses": {"204": {"description": "x"}},
            },
        }
    },
    "components": {
        "schemas": {
            "A": {
                "type": "object",
                "properties": {
                    "a/b": {"type": "array", "items": {"$ref": "#/components/schemas/B"}},
                    "t~": {"anyOf": [{"type": "integer"}, {"not": {"type": "string"}}]},
                },
                "additionalProperties": {"type": "string"},
            },
            "B": {"allOf": [{"$ref": "#/components/schemas/A"}], "additionalProperties": False},
            "Loop": {"$ref": "#/components/schemas/Loop2"},
            "Loop2": {"$ref": "#/components/schemas/Loop"},
        },
        "parameters": {"Limit": {"in": "query", "name": "limit", "schema": {"type": "integer"}}},
        "responses": {
            "NotFound": {
                "description": "x",
                "content": {"application/problem+json": {"schema": {"type": "object"}}},
            }
        },
    },
}


def test_escape_unescape_and_join() -> None:
    assert _pointers.escape("a/b~c") == "a~1b~0c"
    assert _pointers.unescape("a~1b~0c") == "a/b~c"
    assert _pointers.unescape("~01") == "~1"  # ~0 is undone last
    assert _pointers.join("#/paths", "/a/{id}", "get", 0) == "#/paths/~1a~1{id}/get/0"
    assert _pointers.join("#", "components") == "#/components"


def test_resolve() -> None:
    assert _pointers.resolve(DOC, "#") is DOC
    assert _pointers.resolve(DOC, "#/components/schemas/A/properties/a~1b/type") == "array"
    assert _pointers.resolve(DOC, "#/components/schemas/A/properties/t~0/anyOf/1/not") == {"type": "string"}
    with pytest.raises(KeyError):
        _pointers.resolve(DOC, "#/components/schemas/Nope")
    with pytest.raises(IndexError):
        _pointers.resolve(DOC, "#/components/schemas/B/allOf/3")
    with pytest.raises(KeyError):
        _pointers.resolve(DOC, "#/openapi/deeper")
    with pytest.raises(ValueError, match="only local"):
        _pointers.resolve(DOC, "other.yaml#/A")


def test_follow_and_deref() -> None:
    a = DOC["components"]["schemas"]["A"]
    assert _pointers.follow(DOC, {"$ref": "#/components/schemas/A"}) == (a, "#/components/schemas/A")
    assert _pointers.follow(DOC, a) == (a, None)
    assert _pointers.deref(DOC, DOC["paths"]["/a/{id}"]["get"]["parameters"][0])["name"] == "limit"
    assert _pointers.deref(DOC, 3) == 3
    with pytest.raises(ValueError, match="cycle"):
        _pointers.deref(DOC, {"$ref": "#/components/schemas/Loop"})


def test_subschemas() -> None:
    a = DOC["components"]["schemas"]["A"]
    assert [p for p, _ in _pointers.subschemas(a, "#/components/schemas/A")] == [
        "#/components/schemas/A/properties/a~1b",
        "#/components/schemas/A/properties/t~0",
        "#/components/schemas/A/additionalProperties",
    ]
    # additionalProperties: false is no schema; a list of items is a list of schemas
    assert list(_pointers.subschemas(DOC["components"]["schemas"]["B"], "#/B")) == [
        ("#/B/allOf/0", {"$ref": "#/components/schemas/A"})
    ]
    assert [p for p, _ in _pointers.subschemas({"items": [{}, {}]}, "#")] == ["#/items/0", "#/items/1"]


def test_schema_positions_and_walk() -> None:
    assert [p for p, _ in _pointers.schema_positions(DOC)] == [
        "#/components/schemas/A",
        "#/components/schemas/B",
        "#/components/schemas/Loop",
        "#/components/schemas/Loop2",
        "#/components/parameters/Limit/schema",
        "#/components/responses/NotFound/content/application~1problem+json/schema",
        "#/paths/~1a~1{id}/parameters/0/schema",
        "#/paths/~1a~1{id}/get/responses/200/content/application~1json/schema",
        "#/paths/~1a~1{id}/patch/requestBody/content/application~1merge-patch+json/schema",
    ]
    walked = list(_pointers.walk_schemas(DOC))
    assert [p for p, _ in walked][:7] == [
        "#/components/schemas/A",
        "#/components/schemas/A/properties/a~1b",
        "#/components/schemas/A/properties/a~1b/items",
        "#/components/schemas/A/properties/t~0",
        "#/components/schemas/A/properties/t~0/anyOf/0",
        "#/components/schemas/A/properties/t~0/anyOf/1",
        "#/components/schemas/A/properties/t~0/anyOf/1/not",
    ]
    for pointer, schema in walked:
        assert _pointers.resolve(DOC, pointer) is schema


def test_the_effective_spec_walks_to_resolvable_pointers() -> None:
    spec = Spec.load()
    walked = list(_pointers.walk_schemas(spec.document))
    assert len(walked) > 500
    assert len({p for p, _ in walked}) == len(walked)
    for pointer, schema in walked:
        assert _pointers.resolve(spec.document, pointer) is schema
        if isinstance(schema, dict) and "$ref" in schema:
            _pointers.deref(spec.document, schema)
