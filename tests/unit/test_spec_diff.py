"""Unit tests for scripts/spec_diff.py, on small synthetic specs (no network)."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from spec_diff import diff_specs, main, render

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def base_spec() -> dict[str, Any]:
    """A tiny spec shaped like Airflow's: shared parameters/responses, allOf collections."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/dags": {
                "get": {
                    "operationId": "get_dags",
                    "tags": ["DAG"],
                    "parameters": [{"$ref": "#/components/parameters/PageLimit"}],
                    "responses": {
                        "200": {"description": "ok", **_json({"$ref": "#/components/schemas/DAGCollection"})},
                        "401": {"$ref": "#/components/responses/Unauthenticated"},
                    },
                }
            },
            "/dags/{dag_id}": {
                "parameters": [{"$ref": "#/components/parameters/DAGID"}],
                "get": {
                    "operationId": "get_dag",
                    "tags": ["DAG"],
                    "responses": {
                        "200": {"description": "ok", **_json({"$ref": "#/components/schemas/DAG"})}
                    },
                },
                "patch": {
                    "operationId": "patch_dag",
                    "tags": ["DAG"],
                    "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/DAG"})},
                    "responses": {
                        "200": {"description": "ok", **_json({"$ref": "#/components/schemas/DAG"})}
                    },
                },
            },
        },
        "components": {
            "parameters": {
                "PageLimit": {"in": "query", "name": "limit", "schema": {"type": "integer", "default": 100}},
                "DAGID": {"in": "path", "name": "dag_id", "required": True, "schema": {"type": "string"}},
            },
            "responses": {
                "Unauthenticated": {"description": "no", **_json(ERROR)},
                "NotFound": {"description": "missing", **_json(ERROR)},
            },
            "schemas": {
                "Error": {"type": "object", "properties": {"title": {"type": "string"}}},
                "CollectionInfo": {
                    "type": "object",
                    "properties": {"total_entries": {"type": "integer"}},
                },
                "DAG": {
                    "type": "object",
                    "properties": {
                        "dag_id": {"type": "string", "readOnly": True},
                        "is_paused": {"type": "boolean", "nullable": True},
                        "owners": {"type": "array", "items": {"type": "string"}},
                        "last_parsed": {"type": "string", "format": "date-time"},
                        "weight_rule": {"$ref": "#/components/schemas/WeightRule"},
                    },
                    "required": ["dag_id"],
                },
                "DAGCollection": {
                    "type": "object",
                    "allOf": [
                        {
                            "type": "object",
                            "properties": {
                                "dags": {"type": "array", "items": {"$ref": "#/components/schemas/DAG"}}
                            },
                        },
                        {"$ref": "#/components/schemas/CollectionInfo"},
                    ],
                },
                "WeightRule": {"type": "string", "enum": ["downstream", "upstream", "absolute"]},
                "DagState": {"type": "string", "enum": ["queued", "running", "success", "failed"]},
            },
        },
    }


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def test_identical_specs_report_no_differences() -> None:
    spec = base_spec()
    diff = diff_specs(spec, copy.deepcopy(spec))
    assert diff.is_empty
    text = render(diff, "a", "b")
    assert "No differences between a and b" in text
    assert "Summary: a: 2 paths, 3 operations, 6 schemas; b: 2 paths, 3 operations, 6 schemas." in text
    assert "##" not in text


def test_description_only_changes_are_ignored() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    new["components"]["schemas"]["DAG"]["description"] = "changed"
    new["paths"]["/dags"]["get"]["description"] = "changed"
    assert diff_specs(old, new).is_empty


def test_operation_added_and_removed() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    del new["paths"]["/dags/{dag_id}"]["patch"]
    new["paths"]["/dagStats"] = {
        "get": {"operationId": "get_dag_stats", "responses": {"200": {"description": "ok"}}}
    }
    diff = diff_specs(old, new)
    assert [o.label for o in diff.operations_added] == ["GET /dagStats (get_dag_stats)"]
    assert [o.label for o in diff.operations_removed] == ["PATCH /dags/{dag_id} (patch_dag)"]
    assert diff.operations_changed == ()
    assert (diff.new_stats.paths, diff.new_stats.operations) == (3, 3)
    text = render(diff, "old", "new")
    assert "Operations: 1 added, 1 removed, 0 changed." in text
    assert "## Operations added (1)\n\n- GET /dagStats (get_dag_stats)" in text
    assert "## Operations removed (1)\n\n- PATCH /dags/{dag_id} (patch_dag)" in text


def test_parameter_added_removed_and_changed() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    op = new["paths"]["/dags"]["get"]
    op["parameters"] = [
        {"$ref": "#/components/parameters/PageLimit"},
        {"in": "query", "name": "fields", "schema": {"type": "array", "items": {"type": "string"}}},
    ]
    new["components"]["parameters"]["PageLimit"]["schema"] = {"type": "integer", "format": "int32"}
    new["components"]["parameters"]["PageLimit"]["required"] = True
    old["paths"]["/dags"]["get"]["parameters"].append(
        {"in": "header", "name": "X-Old", "schema": {"type": "string"}}
    )
    diff = diff_specs(old, new)
    [changed] = diff.operations_changed
    assert changed.operation.label == "GET /dags (get_dags)"
    assert [(p.location, p.name, p.schema) for p in changed.parameters_added] == [
        ("query", "fields", "array[string]")
    ]
    assert [(p.location, p.name) for p in changed.parameters_removed] == [("header", "X-Old")]
    [param_change] = changed.parameters_changed
    assert (param_change.location, param_change.name) == ("query", "limit")
    assert param_change.changes == ("format: (none) -> int32", "required: false -> true")
    text = render(diff, "old", "new")
    assert "- parameter added: fields (query): array[string]" in text
    assert "- parameter removed: X-Old (header): string" in text
    assert "- parameter limit (query): format: (none) -> int32" in text
    assert "- parameter limit (query): required: false -> true" in text


def test_parameter_enum_and_type_changes() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    old["components"]["parameters"]["PageLimit"]["schema"] = {"type": "string", "enum": ["a", "b"]}
    new["components"]["parameters"]["PageLimit"]["schema"] = {
        "type": "string",
        "enum": ["b", "c"],
        "nullable": True,
    }
    diff = diff_specs(old, new)
    [change] = diff.operations_changed[0].parameters_changed
    assert change.changes == ("enum values added: c", "enum values removed: a", "nullable: false -> true")


def test_path_level_parameters_are_merged() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    # Moving a parameter from the path item into every operation is not a change ...
    item = new["paths"]["/dags/{dag_id}"]
    shared = item.pop("parameters")
    for method in ("get", "patch"):
        item[method]["parameters"] = list(shared)
    assert diff_specs(old, new).is_empty
    # ... while a new path-level parameter shows up in every operation of the path.
    newer = copy.deepcopy(old)
    newer["paths"]["/dags/{dag_id}"]["parameters"].append(
        {"in": "query", "name": "fields", "schema": {"type": "string"}}
    )
    diff = diff_specs(old, newer)
    assert [d.operation.label for d in diff.operations_changed] == [
        "GET /dags/{dag_id} (get_dag)",
        "PATCH /dags/{dag_id} (patch_dag)",
    ]
    assert all([p.name for p in d.parameters_added] == ["fields"] for d in diff.operations_changed)
    # An operation-level parameter overrides the path-level one with the same name and location.
    override = copy.deepcopy(old)
    override["paths"]["/dags/{dag_id}"]["get"]["parameters"] = [
        {"in": "path", "name": "dag_id", "required": True, "schema": {"type": "integer"}}
    ]
    [changed] = diff_specs(old, override).operations_changed
    assert changed.operation.operation_id == "get_dag"
    assert changed.parameters_changed[0].changes == ("type: string -> integer",)


def test_response_code_added_removed_and_schema_changed() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    responses = new["paths"]["/dags/{dag_id}"]["get"]["responses"]
    responses["404"] = {"$ref": "#/components/responses/NotFound"}
    responses["200"] = {"description": "ok", **_json({"$ref": "#/components/schemas/DAGCollection"})}
    del new["paths"]["/dags"]["get"]["responses"]["401"]
    diff = diff_specs(old, new)
    by_id = {d.operation.operation_id: d for d in diff.operations_changed}
    assert set(by_id) == {"get_dag", "get_dags"}
    assert [(r.status, r.body) for r in by_id["get_dag"].responses_added] == [("404", "NotFound: Error")]
    assert by_id["get_dag"].response_changes == ("200: schema: DAG -> DAGCollection",)
    assert [r.status for r in by_id["get_dags"].responses_removed] == ["401"]
    text = render(diff, "old", "new")
    assert "- response added: 404 (NotFound: Error)" in text
    assert "- response 200: schema: DAG -> DAGCollection" in text
    assert "- response removed: 401 (Unauthenticated: Error)" in text


def test_request_body_deprecated_and_tags() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    op = new["paths"]["/dags/{dag_id}"]["patch"]
    op["requestBody"] = {
        "required": True,
        **_json({"type": "object", "properties": {"is_paused": {"type": "boolean"}}}),
    }
    op["deprecated"] = True
    op["tags"] = ["DAGs"]
    [changed] = diff_specs(old, new).operations_changed
    assert changed.request_body_changes == ("schema: DAG -> object",)
    assert changed.deprecated_change == (False, True)
    assert (changed.tags_added, changed.tags_removed) == (("DAGs",), ("DAG",))
    # Inline request bodies are compared field by field.
    newer = copy.deepcopy(new)
    props = newer["paths"]["/dags/{dag_id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    props["properties"]["tags"] = {"type": "array", "items": {"type": "string"}}
    [changed] = diff_specs(new, newer).operations_changed
    assert changed.request_body_changes == ("property added: tags (array[string])",)


def test_schema_added_and_removed() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    del new["components"]["schemas"]["DagState"]
    new["components"]["schemas"]["QueuedEvent"] = {
        "type": "object",
        "properties": {"uri": {"type": "string"}},
    }
    diff = diff_specs(old, new)
    assert diff.schemas_added == ("QueuedEvent",)
    assert diff.schemas_removed == ("DagState",)
    assert diff.schemas_changed == ()


def test_schema_properties_added_removed_changed() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    dag = new["components"]["schemas"]["DAG"]
    props = dag["properties"]
    del props["is_paused"]
    props["dag_display_name"] = {"type": "string", "readOnly": True}
    props["dag_id"] = {"type": "string", "nullable": True}  # readOnly dropped, nullable added
    props["owners"] = {"type": "array", "items": {"type": "integer"}}
    props["last_parsed"] = {"type": "string"}
    props["weight_rule"] = {"$ref": "#/components/schemas/DagState"}
    dag["required"] = ["dag_display_name"]
    diff = diff_specs(old, new)
    [schema] = diff.schemas_changed
    assert schema.name == "DAG"
    assert schema.properties_added == (("dag_display_name", "string, read-only"),)
    assert schema.properties_removed == (("is_paused", "boolean, nullable"),)
    changes = {c.name: c.changes for c in schema.properties_changed}
    assert changes == {
        "dag_id": ("nullable: false -> true", "readOnly: true -> false"),
        "last_parsed": ("format: date-time -> (none)",),
        "owners": ("items: string -> integer",),
        "weight_rule": ("type: WeightRule -> DagState",),
    }
    assert (schema.required_added, schema.required_removed) == (("dag_display_name",), ("dag_id",))
    text = render(diff, "old", "new")
    assert "### DAG\n\n- property added: dag_display_name (string, read-only)\n" in text
    assert "- property removed: is_paused (boolean, nullable)" in text
    assert "- property weight_rule: type: WeightRule -> DagState" in text
    assert "- required added: dag_display_name" in text
    assert "- required removed: dag_id" in text


def test_enum_becoming_free_string() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    new["components"]["schemas"]["WeightRule"] = {"type": "string", "description": "free"}
    diff = diff_specs(old, new)
    [schema] = diff.schemas_changed
    assert schema.name == "WeightRule"
    assert schema.changes == ("type: enum [downstream, upstream, absolute] -> string",)
    assert "### WeightRule\n\n- type: enum [downstream, upstream, absolute] -> string\n" in render(
        diff, "a", "b"
    )


def test_enum_values_added_and_removed() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    new["components"]["schemas"]["DagState"]["enum"] = ["queued", "running", "success", "upstream_failed"]
    [schema] = diff_specs(old, new).schemas_changed
    assert schema.changes == ("enum values added: upstream_failed", "enum values removed: failed")


def test_allof_is_flattened() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    # A field added to a part referenced by allOf shows on both the part and the collection.
    new["components"]["schemas"]["CollectionInfo"]["properties"]["next"] = {"type": "string"}
    new["components"]["schemas"]["CollectionInfo"]["required"] = ["total_entries"]
    # ... and one renamed in the inline part.
    parts = new["components"]["schemas"]["DAGCollection"]["allOf"]
    parts[0]["properties"] = {"dag_list": parts[0]["properties"].pop("dags")}
    diff = diff_specs(old, new)
    by_name = {s.name: s for s in diff.schemas_changed}
    assert set(by_name) == {"CollectionInfo", "DAGCollection"}
    coll = by_name["DAGCollection"]
    assert coll.properties_added == (("dag_list", "array[DAG]"), ("next", "string"))
    assert coll.properties_removed == (("dags", "array[DAG]"),)
    assert coll.required_added == ("total_entries",)
    # Dropping a part of allOf is reported as such, and its fields as removed.
    newer = copy.deepcopy(old)
    newer["components"]["schemas"]["DAGCollection"]["allOf"].pop()
    [coll] = diff_specs(old, newer).schemas_changed
    assert coll.changes == ("allOf parts removed: CollectionInfo",)
    assert coll.properties_removed == (("total_entries", "integer"),)


def test_nested_inline_objects_are_compared() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    for spec, extra in ((old, {}), (new, {"b": {"type": "integer"}})):
        spec["components"]["schemas"]["Error"]["properties"]["detail"] = {
            "type": "object",
            "properties": {"a": {"type": "string"}, **extra},
        }
    [schema] = diff_specs(old, new).schemas_changed
    assert schema.properties_added == (("detail.b", "integer"),)


def test_render_is_sorted_and_stable() -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    for path, op_id in (("/zeta", "z"), ("/alpha", "a"), ("/mid", "m")):
        new["paths"][path] = {
            "post": {"operationId": f"post_{op_id}", "responses": {}},
            "get": {"operationId": f"get_{op_id}", "responses": {}},
        }
    for name in ("Zed", "Alpha", "Mid"):
        new["components"]["schemas"][name] = {"type": "string"}
    # the same spec with its mappings in the reverse insertion order
    reversed_new = copy.deepcopy(new)
    reversed_new["paths"] = dict(reversed(list(new["paths"].items())))
    reversed_new["components"]["schemas"] = dict(reversed(list(new["components"]["schemas"].items())))
    text = render(diff_specs(old, new), "old", "new")
    assert text == render(diff_specs(old, reversed_new), "old", "new")
    assert text == render(diff_specs(old, new), "old", "new")
    added = [line[2:] for line in lines_of(text) if line.startswith("- ") and "(" in line]
    assert added == [
        "GET /alpha (get_a)",
        "POST /alpha (post_a)",
        "GET /mid (get_m)",
        "POST /mid (post_m)",
        "GET /zeta (get_z)",
        "POST /zeta (post_z)",
    ]
    assert "## Schemas added (3)\n\n- Alpha\n- Mid\n- Zed\n" in text
    assert text.index("## Operations added") < text.index("## Schemas added")


def test_main_with_two_spec_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    new["components"]["schemas"]["WeightRule"] = {"type": "string"}
    new["paths"]["/dags"]["get"]["parameters"].append(
        {"in": "query", "name": "fields", "schema": {"type": "array", "items": {"type": "string"}}}
    )
    old_file, new_file = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old_file.write_text(yaml.safe_dump(old), encoding="utf-8")
    new_file.write_text(yaml.safe_dump(new), encoding="utf-8")
    assert main([str(old_file), str(new_file)]) == 0
    out = capsys.readouterr().out
    assert out == (
        f"# Airflow REST API spec diff: {old_file} -> {new_file}\n"
        "\n"
        f"Summary: {old_file}: 2 paths, 3 operations, 6 schemas; "
        f"{new_file}: 2 paths, 3 operations, 6 schemas. "
        "Operations: 0 added, 0 removed, 1 changed. Schemas: 0 added, 0 removed, 1 changed.\n"
        "\n"
        "## Operations changed (1)\n"
        "\n"
        "### GET /dags (get_dags)\n"
        "\n"
        "- parameter added: fields (query): array[string]\n"
        "\n"
        "## Schemas changed (1)\n"
        "\n"
        "### WeightRule\n"
        "\n"
        "- type: enum [downstream, upstream, absolute] -> string\n"
    )


def test_main_rejects_unknown_source(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main([str(tmp_path / "missing.yaml"), "not-a-version"])
