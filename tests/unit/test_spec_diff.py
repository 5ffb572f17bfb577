"""Unit tests for scripts/spec_diff.py, on small synthetic specs (no network)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import spec_diff
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


# --------------------------------------------------------------------------- across majors


def v1_spec() -> dict[str, Any]:
    """A tiny Airflow 2 spec: OpenAPI 3.0, paths without their /api/v1 prefix, nullable: true."""

    def get(op_id: str, schema: str | None = None, tags: tuple[str, ...] = ("X",)) -> dict[str, Any]:
        response = {"description": "ok"}
        if schema:
            response.update(_json({"$ref": f"#/components/schemas/{schema}"}))
        return {"operationId": op_id, "tags": list(tags), "responses": {"200": response}}

    return {
        "openapi": "3.0.3",
        "info": {"title": "Airflow API (Stable)", "version": "2.11.2"},
        "paths": {
            "/dags/{dag_id}/dagRuns/{dag_run_id}": {
                "parameters": [
                    {"$ref": "#/components/parameters/DAGID"},
                    {"in": "path", "name": "dag_run_id", "required": True, "schema": {"type": "string"}},
                ],
                "get": get("get_dag_run", "DAGRun"),
            },
            "/dags/~/dagRuns/list": {
                "post": {
                    "operationId": "get_dag_runs_batch",
                    "requestBody": _json({"$ref": "#/components/schemas/ListDagRunsForm"}),
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/dags/{dag_id}/dagRuns": {
                "parameters": [{"$ref": "#/components/parameters/DAGID"}],
                "get": {
                    **get("get_dag_runs", "DAGRunCollection"),
                    "parameters": [
                        {"$ref": "#/components/parameters/PageLimit"},
                        {"in": "query", "name": "execution_date_gte", "schema": {"type": "string"}},
                        {
                            "in": "query",
                            "name": "fields",
                            "schema": {"type": "array", "items": {"type": "string"}},
                        },
                    ],
                },
            },
            "/datasets/{uri}": {
                "parameters": [{"in": "path", "name": "uri", "required": True, "schema": {"type": "string"}}],
                "get": get("get_dataset", "Dataset", ("Dataset",)),
            },
            "/dagSources/{file_token}": {
                "parameters": [
                    {"in": "path", "name": "file_token", "required": True, "schema": {"type": "string"}}
                ],
                "get": get("get_dag_source"),
            },
            "/health": {"get": get("get_health")},
            "/users": {"get": get("get_users", tags=("User",))},
            "/users/{username}": {"delete": {"operationId": "delete_user", "responses": {"204": {}}}},
            "/dags/{dag_id}/updateTaskInstancesState": {
                "post": {"operationId": "post_set_task_instances_state", "responses": {"200": {}}}
            },
        },
        "components": {
            "parameters": {
                "DAGID": {"in": "path", "name": "dag_id", "required": True, "schema": {"type": "string"}},
                "PageLimit": {"in": "query", "name": "limit", "schema": {"type": "integer", "default": 100}},
            },
            "schemas": {
                "DagState": {"type": "string", "enum": ["queued", "running", "success", "failed"]},
                "DAGRun": {
                    "type": "object",
                    "properties": {
                        "dag_run_id": {"type": "string", "nullable": True},
                        "execution_date": {"type": "string", "format": "date-time", "nullable": True},
                        "external_trigger": {"type": "boolean", "readOnly": True},
                        "state": {"allOf": [{"$ref": "#/components/schemas/DagState"}], "nullable": True},
                        "conf": {"type": "object"},
                        "note": {"type": "string", "nullable": True},
                    },
                },
                "DAGRunCollection": {
                    "type": "object",
                    "allOf": [
                        {
                            "type": "object",
                            "properties": {
                                "dag_runs": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/DAGRun"},
                                }
                            },
                        },
                        {"type": "object", "properties": {"total_entries": {"type": "integer"}}},
                    ],
                },
                "ListDagRunsForm": {
                    "type": "object",
                    "properties": {
                        "page_limit": {"type": "integer"},
                        "execution_date_gte": {"type": "string", "format": "date-time"},
                    },
                },
                "Dataset": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "uri": {"type": "string"},
                        "consuming_dags": {"type": "array", "items": {"type": "string"}},
                        "is_active": {"type": "boolean", "nullable": True},
                        "dataset_expression": {"type": "object", "nullable": True},
                    },
                },
            },
        },
    }


def _null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def v2_spec() -> dict[str, Any]:
    """The same API as Airflow 3 serves it: OpenAPI 3.1, /api/v2 paths, anyOf [X, null]."""
    dag_id = {"name": "dag_id", "in": "path", "required": True, "schema": {"title": "Dag Id"}}

    def op(op_id: str, schema: str | None = None, tag: str = "X", **extra: Any) -> dict[str, Any]:
        response: dict[str, Any] = {"description": "Successful Response"}
        if schema:
            response.update(_json({"$ref": f"#/components/schemas/{schema}"}))
        return {"operationId": op_id, "tags": [tag], "responses": {"200": response}, **extra}

    return {
        "openapi": "3.1.0",
        "info": {"title": "Airflow API", "version": "2"},
        "paths": {
            "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}": {
                "get": op(
                    "get_dag_run",
                    "DAGRunResponse",
                    parameters=[dag_id, {"name": "dag_run_id", "in": "path", "required": True, "schema": {}}],
                )
            },
            "/api/v2/dags/{dag_id}/dagRuns/list": {
                "post": op(
                    "get_list_dag_runs_batch",
                    parameters=[dag_id],
                    requestBody=_json({"$ref": "#/components/schemas/DAGRunsBatchBody"}),
                )
            },
            "/api/v2/dags/{dag_id}/dagRuns": {
                "get": op(
                    "get_dag_runs",
                    "DAGRunCollectionResponse",
                    parameters=[
                        dag_id,
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 50}},
                        {"name": "logical_date_gte", "in": "query", "schema": _null({"type": "string"})},
                        {"name": "run_after_gte", "in": "query", "schema": _null({"type": "string"})},
                    ],
                )
            },
            "/api/v2/assets/{asset_id}": {"get": op("get_asset", "AssetResponse", "Asset")},
            "/api/v2/dagSources/{dag_id}": {"get": op("get_dag_source", parameters=[dag_id])},
            "/api/v2/monitor/health": {"get": op("get_health", tag="Monitor")},
            "/api/v2/backfills": {
                "get": op("list_backfills", tag="Backfill"),
                "post": op("create_backfill", tag="Backfill"),
            },
            "/api/v2/assets/aliases": {"get": op("get_asset_aliases", tag="Asset")},
        },
        "components": {
            "schemas": {
                "DagRunState": {"type": "string", "enum": ["queued", "running", "success", "failed"]},
                "DAGRunResponse": {
                    "type": "object",
                    "properties": {
                        "dag_run_id": {"type": "string"},
                        "logical_date": _null({"type": "string", "format": "date-time"}),
                        "state": {"$ref": "#/components/schemas/DagRunState"},
                        "conf": _null({"type": "object", "additionalProperties": True}),
                        "note": _null({"type": "string"}),
                        "run_after": {"type": "string", "format": "date-time"},
                    },
                },
                "DAGRunCollectionResponse": {
                    "type": "object",
                    "properties": {
                        "dag_runs": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/DAGRunResponse"},
                        },
                        "total_entries": {"type": "integer"},
                    },
                },
                "DAGRunsBatchBody": {
                    "type": "object",
                    "properties": {
                        "page_limit": {"type": "integer"},
                        "logical_date_gte": _null({"type": "string", "format": "date-time"}),
                    },
                },
                "AssetResponse": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "uri": {"type": "string"},
                        "scheduled_dags": {"type": "array", "items": {"type": "string"}},
                        "is_stale": {"type": "boolean"},
                        "asset_expression": _null({"type": "object"}),
                    },
                },
            }
        },
    }


def _across() -> Any:
    return spec_diff.diff_across(v1_spec(), v2_spec())


def test_known_renames_and_moves_load_and_name_their_source() -> None:
    moves = spec_diff.load_moves()
    assert ("dataset", "asset") in moves.words and ("execution_date", "logical_date") in moves.words
    assert ("GET /health", "GET /monitor/health", None) in moves.operations
    assert any(old == "/users" and "/auth/fab/v1/users" in now for old, now in moves.moved)
    raw = yaml.safe_load(spec_diff.MOVES_FILE.read_text(encoding="utf-8"))
    for section in ("words", "operations", "moved", "fields"):
        assert raw[section] and all(
            entry["source"] in {"notes", "client", "v1", "specs"} for entry in raw[section]
        )


def test_known_moves_without_a_source_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "moves.yaml"
    bad.write_text("words:\n  - {old: dataset, new: asset}\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="lacks source"):
        spec_diff.load_moves(bad)


def test_paths_are_normalised_across_majors() -> None:
    words = spec_diff.load_moves().words
    assert spec_diff.normalise_path("/api/v2/dags/{dag_id}/dagRuns/list") == "/dags/{}/dagRuns/list"
    assert spec_diff.normalise_path("/dags/~/dagRuns/list") == "/dags/{}/dagRuns/list"
    assert spec_diff.normalise_path("/datasets/{uri}", words) == "/assets/{}"
    assert (
        spec_diff.normalise_path("/dags/{a}/dagRuns/{b}/upstreamDatasetEvents", words)
        == "/dags/{}/dagRuns/{}/upstreamAssetEvents"
    )
    assert spec_diff.substitute("get_dataset_events", words) == "get_asset_events"


def test_operations_matched_through_renamed_paths_and_parameters() -> None:
    diff = _across()
    pairs = {m.old.operation_id: m for m in diff.matched}
    assert {k: (v.new.operation_id, v.how) for k, v in pairs.items()} == {
        "get_dag_run": ("get_dag_run", "path"),
        "get_dag_runs": ("get_dag_runs", "path"),
        "get_dag_runs_batch": ("get_list_dag_runs_batch", "path"),
        "get_dataset": ("get_asset", "known move"),
        "get_dag_source": ("get_dag_source", "known move"),
        "get_health": ("get_health", "known move"),
    }
    assert pairs["get_health"].new.path == "/api/v2/monitor/health"
    assert pairs["get_dataset"].note == "assets are addressed by their numeric id, not their URI"
    assert "path parameter renamed: uri -> asset_id" in pairs["get_dataset"].parameters
    assert "path parameter renamed: file_token -> dag_id" in pairs["get_dag_source"].parameters
    assert pairs["get_dag_runs_batch"].parameters[0].startswith("path parameter dag_id: the literal ~")
    runs = pairs["get_dag_runs"]
    assert [(r.location, r.old, r.new) for r in runs.parameters_renamed] == [
        ("query", "execution_date_gte", "logical_date_gte")
    ]
    assert "query parameters removed: fields" in runs.parameters
    assert "query parameters added: run_after_gte" in runs.parameters
    assert "query parameter limit: default: 100 -> 50" in runs.parameters
    assert [(b.role, b.old, b.new) for b in runs.bodies] == [
        ("response 200", "DAGRunCollection", "DAGRunCollectionResponse")
    ]
    assert runs.schemas == ("DAGRun -> DAGRunResponse (response)",)


def test_operations_fall_back_to_operation_id() -> None:
    old, new = v1_spec(), v2_spec()
    old["paths"]["/dags/{dag_id}/datasets/queuedEvent"] = {
        "delete": {"operationId": "delete_dag_dataset_queued_events", "responses": {"204": {}}}
    }
    new["paths"]["/api/v2/dags/{dag_id}/assets/queuedEventsRenamed"] = {
        "delete": {"operationId": "delete_dag_asset_queued_events", "responses": {"204": {}}}
    }
    # without the known moves, /health is found by its operationId too
    moves = spec_diff.Moves(words=(("dataset", "asset"),))
    by_id = [m for m in spec_diff.diff_across(old, new, moves).matched if m.how == "operationId"]
    assert [(m.old.label, m.new.label) for m in by_id] == [
        (
            "DELETE /dags/{dag_id}/datasets/queuedEvent (delete_dag_dataset_queued_events)",
            "DELETE /api/v2/dags/{dag_id}/assets/queuedEventsRenamed (delete_dag_asset_queued_events)",
        ),
        ("GET /health (get_health)", "GET /api/v2/monitor/health (get_health)"),
    ]


def test_field_renames_found_on_matched_schemas() -> None:
    diff = _across()
    by_key = {p.key: p for p in diff.schemas}
    run = by_key[("DAGRun", "DAGRunResponse", "response")]
    [rename] = run.renamed
    assert (rename.old, rename.new, rename.type, rename.changes) == (
        "execution_date",
        "logical_date",
        "string(date-time), nullable",
        (),
    )
    # read-only fields count in a response; v2's new fields are listed, unchanged ones are not
    assert run.removed == (("external_trigger", "boolean"),)
    assert run.added == (("run_after", "string(date-time)"),)
    assert run.used_by == ("get_dag_run", "get_dag_runs")
    dataset = by_key[("Dataset", "AssetResponse", "response")]
    assert [(r.old, r.new, r.note) for r in dataset.renamed] == [
        ("consuming_dags", "scheduled_dags", None),
        ("dataset_expression", "asset_expression", None),
        ("is_active", "is_stale", "inverted: is_stale is not is_active"),
    ]
    assert dataset.renamed[2].changes == ("nullable: true -> false",)
    form = by_key[("ListDagRunsForm", "DAGRunsBatchBody", "request")]
    assert [(r.old, r.new) for r in form.renamed] == [("execution_date_gte", "logical_date_gte")]
    assert ("field", "execution_date", "logical_date", ("DAGRun",)) in diff.renames()
    assert ("query parameter", "execution_date_gte", "logical_date_gte", ("get_dag_runs",)) in diff.renames()


def test_a_rename_to_a_name_v1_also_had_is_reported() -> None:
    old, new = v1_spec(), v2_spec()
    old["components"]["schemas"]["DAGRun"]["properties"]["logical_date"] = {
        "type": "string",
        "format": "date-time",
        "nullable": True,
    }
    run = next(p for p in spec_diff.diff_across(old, new).schemas if p.old == "DAGRun")
    [rename] = run.renamed
    assert (rename.old, rename.new, rename.kept) == ("execution_date", "logical_date", True)
    assert rename.label.endswith("; 2.x had logical_date too)")
    assert all(name != "logical_date" for name, _ in run.added)


def test_nullable_forms_are_the_same_type_across_majors() -> None:
    diff = _across()
    run = next(p for p in diff.schemas if p.key == ("DAGRun", "DAGRunResponse", "response"))
    changed = {c.name: c.changes for c in run.changed}
    # note: nullable: true vs anyOf [string, null]; conf: object vs anyOf [object, null] is only nullable
    assert "note" not in changed
    assert changed == {
        "conf": ("nullable: false -> true",),
        "dag_run_id": ("nullable: true -> false",),
        "state": ("nullable: true -> false",),
    }
    # the enums behind allOf [$ref] and a plain $ref are paired and compared once
    assert ("DagState", "DagRunState", "response") not in {p.key for p in diff.schemas}
    assert spec_diff.normalise_nullable(_null({"$ref": "#/x"})) == {"$ref": "#/x", "nullable": True}
    assert spec_diff.normalise_nullable({"type": ["integer", "null"], "title": "T"}) == {
        "type": "integer",
        "title": "T",
        "nullable": True,
    }
    assert spec_diff.normalise_nullable(
        {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
    ) == {
        "anyOf": [{"type": "string"}, {"type": "integer"}],
        "nullable": True,
    }


def test_enum_pairs_report_their_values() -> None:
    old, new = v1_spec(), v2_spec()
    new["components"]["schemas"]["DagRunState"]["enum"] = ["queued", "running", "success", "failed", "up"]
    pair = next(p for p in spec_diff.diff_across(old, new).schemas if p.old == "DagState")
    assert (pair.new, pair.changes) == ("DagRunState", ("enum values added: up",))


def test_a_single_item_answered_as_a_page_is_compared_with_its_items() -> None:
    old, new = v1_spec(), v2_spec()
    new["paths"]["/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}"]["get"]["responses"]["200"] = {
        "description": "ok",
        **_json({"$ref": "#/components/schemas/DAGRunCollectionResponse"}),
    }
    diff = spec_diff.diff_across(old, new)
    pair = next(m for m in diff.matched if m.old.operation_id == "get_dag_run")
    [body] = pair.bodies
    assert body.new == "DAGRunCollectionResponse (a page: dag_runs[] of DAGRunResponse)"
    assert pair.schemas == ("DAGRun -> DAGRunResponse (response)",)


def test_removed_and_new_operations_are_listed() -> None:
    diff = _across()
    assert [(r.operation.operation_id, r.now) for r in diff.removed] == [
        (
            "post_set_task_instances_state",
            "replaced by PATCH /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id} with "
            "new_state (patch_task_instance; .../dry_run to preview) or PATCH .../taskInstances "
            "(bulk_task_instances)",
        ),
        (
            "get_users",
            "moved to the FAB provider's API: /auth/fab/v1/users",
        ),
        (
            "delete_user",
            "moved to the FAB provider's API: /auth/fab/v1/users",
        ),
    ]
    assert [(a.tag, a.operation.label) for a in diff.added] == [
        ("Asset", "GET /api/v2/assets/aliases (get_asset_aliases)"),
        ("Backfill", "GET /api/v2/backfills (list_backfills)"),
        ("Backfill", "POST /api/v2/backfills (create_backfill)"),
    ]
    counts = diff.counts()
    assert (counts["matched"], counts["removed"], counts["removed_known"], counts["new"]) == (6, 3, 3, 3)


def test_render_across_summary_sections_and_order() -> None:
    text = spec_diff.render_across(_across(), "2.11.2", "3.3.2")
    assert text == spec_diff.render_across(_across(), "2.11.2", "3.3.2")
    assert text.startswith("# Airflow REST API across majors: 2.11.2 -> 3.3.2\n\nSummary: 2.11.2: ")
    assert "Matched: 6 operations (2 under another path, 2 with another operationId)" in text
    assert "Removed: 3 operations (3 with a known replacement). New: 3 operations." in text
    assert "- field execution_date -> logical_date: DAGRun\n" in text
    assert (
        "### get_dataset -> get_asset\n\n- 2.11.2: GET /datasets/{uri}\n"
        "- 3.3.2: GET /api/v2/assets/{asset_id} (known move)\n"
    ) in text
    assert "- renamed: execution_date -> logical_date (string(date-time), nullable)\n" in text
    assert "### Backfill (2)\n\n- GET /api/v2/backfills (list_backfills)\n" in text
    sections = [line for line in lines_of(text) if line.startswith("## ")]
    assert [s.split(" (")[0] for s in sections] == [
        "## Renamed",
        "## Matched operations",
        "## Schema changes",
        "## Removed operations",
        "## New operations",
    ]
    assert max(len(line) for line in lines_of(text) if not line.startswith(("- 2.11.2:", "- 3.3.2:"))) <= 100


def test_main_across_majors_from_files_and_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_file, new_file = tmp_path / "v1.yaml", tmp_path / "v2.json"
    old_file.write_text(yaml.safe_dump(v1_spec()), encoding="utf-8")
    new_file.write_text(json.dumps(v2_spec()), encoding="utf-8")
    assert main([str(old_file), str(new_file)]) == 0
    assert capsys.readouterr().out.startswith(f"# Airflow REST API across majors: {old_file} -> {new_file}\n")
    assert main([str(old_file), str(new_file), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["kind"], document["apis"]) == ("across", ["v1", "v2"])
    assert document["counts"]["fields_renamed"] == 5
    [run] = [m for m in document["matched"] if m["old"]["operation_id"] == "get_dag_runs"]
    assert run["new"]["path"] == "/api/v2/dags/{dag_id}/dagRuns"
    assert {"kind": "field", "old": "execution_date", "new": "logical_date", "where": ["DAGRun"]} in document[
        "renames"
    ]
    with pytest.raises(SystemExit, match="goes from Airflow 2 to 3"):
        main([str(new_file), str(old_file)])


def v3_spec() -> dict[str, Any]:
    spec = v2_spec()
    del spec["paths"]["/api/v2/assets/aliases"]
    return spec


def test_diff_within_airflow_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = v3_spec(), v3_spec()
    props = new["components"]["schemas"]["DAGRunResponse"]["properties"]
    props["logical_date"] = {"type": ["string", "null"], "format": "date-time"}  # the same, spelt otherwise
    props["note"] = {"type": "string"}  # no longer nullable
    props["bundle_version"] = _null({"type": "string"})
    new["paths"]["/api/v2/assets/aliases"] = {"get": {"operationId": "get_asset_aliases", "responses": {}}}
    new["paths"]["/api/v2/dags/{dag_id}/dagRuns"]["get"]["parameters"][2]["schema"] = _null(
        {"type": "string", "format": "date-time"}
    )
    diff = diff_specs(old, new)
    [schema] = diff.schemas_changed
    assert schema.name == "DAGRunResponse"
    assert schema.properties_added == (("bundle_version", "string, nullable"),)
    assert [(c.name, c.changes) for c in schema.properties_changed] == [
        ("note", ("nullable: true -> false",))
    ]
    assert [o.label for o in diff.operations_added] == ["GET /api/v2/assets/aliases (get_asset_aliases)"]
    [changed] = diff.operations_changed
    assert changed.operation.label == "GET /api/v2/dags/{dag_id}/dagRuns (get_dag_runs)"
    assert changed.parameters_changed[0].changes == ("format: (none) -> date-time",)
    old_file, new_file = tmp_path / "old.json", tmp_path / "new.json"
    old_file.write_text(json.dumps(old), encoding="utf-8")
    new_file.write_text(json.dumps(new), encoding="utf-8")
    assert main([str(old_file), str(new_file)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"# Airflow REST API spec diff: {old_file} -> {new_file}\n")
    assert "### DAGRunResponse\n\n- property added: bundle_version (string, nullable)\n" in text
    assert "- property note: nullable: true -> false\n" in text


def test_a_version_loads_its_merged_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    import fetch_spec

    token = {
        "openapi": "3.1.0",
        "paths": {
            "/auth/token": {"post": {"operationId": "create_token", "responses": {}}},
            "/auth/token/cli": {"post": {"operationId": "create_token_cli", "responses": {}}},
        },
        "components": {"schemas": {}},
    }
    texts = {"v2-rest-api-generated.yaml": yaml.safe_dump(v2_spec()), "simple.yaml": yaml.safe_dump(token)}
    monkeypatch.setattr(fetch_spec, "spec_texts", lambda version: texts)
    source = spec_diff.load_source("3.3.2")
    assert (source.api, source.label) == ("v2", "3.3.2")
    assert "/auth/token" in source.spec["paths"] and "/api/v2/monitor/health" in source.spec["paths"]
    with pytest.raises(SystemExit):
        spec_diff.load_source("1.10.15")
