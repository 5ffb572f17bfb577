"""The fake Airflow's state and handlers, called directly (no HTTP).

Every reply is checked against the effective spec (``airflow_rest_v1/openapi.json``): the response
schema of the operation for that status (Problem JSON for an error the spec does not list), with
no field the spec does not declare. The values asserted are the ones the real Airflow 2.11.2
server answers in the same situation.
"""

from __future__ import annotations

import ast
import copy
import importlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import airflow_rest_v1
from airflow_rest.testing._pointers import deref
from airflow_rest.testing.fake import (
    DOCS_URL,
    Call,
    FakeAirflow,
    FakeDag,
    FakeTask,
    Text,
    default_dags,
    problem,
)

from .clock import Clock

jsonschema: Any = importlib.import_module("jsonschema")  # untyped; imported as Any

SPEC: dict[str, Any] = json.loads((Path(airflow_rest_v1.__file__).parent / "openapi.json").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
OPERATIONS: dict[str, dict[str, Any]] = {
    op["operationId"]: op
    for item in SPEC["paths"].values()
    for method, op in item.items()
    if method in ("get", "post", "patch", "put", "delete")
}
T0 = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)

# --- validating replies against the spec ----------------------------------------------------------


def _to_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema draft 7 (nullable, nullable enums, refs)."""
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        out: Any = {"$ref": "#/definitions/" + node["$ref"].rsplit("/", 1)[1]}
        return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out
    dropped = {"nullable", "readOnly", "writeOnly", "discriminator", "example", "deprecated", "format"}
    out = {k: _to_json_schema(v) for k, v in node.items() if k not in dropped}
    if "properties" in node:
        out["properties"] = {k: _to_json_schema(v) for k, v in node["properties"].items()}
    if node.get("format") == "date-time":
        out["format"] = "date-time"
    if "enum" in out and None in out["enum"] and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


DEFINITIONS = {name: _to_json_schema(schema) for name, schema in SCHEMAS.items()}
# RFC 3339 with its offset, as the server writes timestamps (jsonschema checks date-time only with an
# optional package installed)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
FORMATS = jsonschema.FormatChecker(formats=())


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or RFC3339.fullmatch(value) is not None


FORMATS.checks("date-time")(_is_date_time)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = deref(SPEC, node)
    return resolved


def _declared(node: dict[str, Any]) -> dict[str, Any] | None:
    """The properties an object schema declares (allOf parts merged); None for free-form objects."""
    node = _resolve(node)
    props: dict[str, Any] = {}
    for part in node.get("allOf", []):
        props |= _declared(part) or {}
    props |= node.get("properties", {})
    return props or None


def undeclared_fields(value: Any, node: dict[str, Any], path: str = "") -> list[str]:
    node = _resolve(node)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        if isinstance(value, dict) and "__type" in value:
            alternatives = [a for a in alternatives if a["$ref"].endswith("/" + value["__type"])]
        return min((undeclared_fields(value, a, path) for a in alternatives), key=len)
    if isinstance(value, list) and "items" in node:
        return [p for i, v in enumerate(value) for p in undeclared_fields(v, node["items"], f"{path}/{i}")]
    props = _declared(node)
    if not isinstance(value, dict) or props is None:
        return []
    found = [f"{path}/{k}" for k in value if k not in props]
    return found + [
        p for k, v in value.items() if k in props for p in undeclared_fields(v, props[k], f"{path}/{k}")
    ]


def check_against_spec(operation_id: str, status: int, body: Any) -> None:
    responses = OPERATIONS[operation_id]["responses"]
    response = responses.get(str(status))
    if response is None:
        assert status >= 400, f"{operation_id}: status {status} is not in the spec"
        schema: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
    else:
        if "$ref" in response:
            response = SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        content = response.get("content", {})
        json_types = [t for t in content if t == "application/json" or t.endswith("+json")]
        if not json_types or "schema" not in content[json_types[0]]:
            assert body is None, f"{operation_id}: {status} has no body in the spec, got {body!r}"
            return
        schema = content[json_types[0]]["schema"]
    validator = jsonschema.Draft7Validator(
        {**_to_json_schema(schema), "definitions": DEFINITIONS}, format_checker=FORMATS
    )
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{operation_id} {status}: {errors[0].message} at {list(errors[0].absolute_path)}"
    extra = undeclared_fields(body, schema)
    assert not extra, f"{operation_id} {status}: fields the spec does not declare: {extra}"


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def fake(clock: Clock) -> FakeAirflow:
    return FakeAirflow(now=clock)


CALLED: set[str] = set()


def call(
    fake: FakeAirflow,
    op: str,
    path: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    body: Any = None,
    *,
    expect: int = 200,
) -> Any:
    path_params = {name: str(value) for name, value in (path or {}).items()}  # path parameters arrive as text
    status, reply = fake.handle(op, Call(path_params, dict(query or {}), copy.deepcopy(body)))
    assert status == expect, f"{op}: {status} {reply}"
    if isinstance(reply, Text):  # not JSON (text/plain, an HTML page): its media type must be declared
        content = OPERATIONS[op]["responses"].get(str(status), {}).get("content", {})
        assert not reply.content or reply.content_type.split(";")[0] in content, f"{op}: {status} {reply}"
        CALLED.add(op)
        return reply
    json.dumps(reply)  # JSON-able
    check_against_spec(op, status, reply)
    CALLED.add(op)
    return reply


def error(
    fake: FakeAirflow, op: str, path: Any = None, query: Any = None, body: Any = None, *, expect: int
) -> Any:
    reply = call(fake, op, path, query, body, expect=expect)
    assert set(reply) == {"detail", "status", "title", "type"} and reply["status"] == expect
    return reply


def problem_of(reply: dict[str, Any]) -> tuple[str, str | None]:
    return reply["title"], reply["detail"]


def run_path(dag_id: str, run_id: str, **more: Any) -> dict[str, Any]:
    return {"dag_id": dag_id, "dag_run_id": run_id, **more}


def iso(value: datetime) -> str:
    return value.isoformat()


# --- dispatch and errors --------------------------------------------------------------------------

REQUIRED = {
    "get_dags",
    "get_dag",
    "patch_dag",
    "patch_dags",
    "get_dag_details",
    "get_tasks",
    "get_task",
    "get_dag_runs",
    "get_dag_run",
    "post_dag_run",
    "delete_dag_run",
    "update_dag_run_state",
    "clear_dag_run",
    "set_dag_run_note",
    "get_dag_runs_batch",
    "get_task_instances",
    "get_task_instance",
    "get_task_instances_batch",
    "patch_task_instance",
    "get_variables",
    "get_variable",
    "post_variables",
    "patch_variable",
    "delete_variable",
    "get_connections",
    "get_connection",
    "post_connection",
    "patch_connection",
    "delete_connection",
    "get_pools",
    "get_pool",
    "post_pool",
    "patch_pool",
    "delete_pool",
    "get_xcom_entries",
    "get_xcom_entry",
    "get_health",
    "get_version",
    "get_import_errors",
    "get_log",
    "get_dag_stats",
}


def test_handlers_are_spec_operations_and_cover_the_required_ones(fake: FakeAirflow) -> None:
    assert REQUIRED <= set(fake.handlers)
    assert set(fake.handlers) <= set(OPERATIONS)


def test_handle_takes_camel_case_and_refuses_unknown_operations(fake: FakeAirflow) -> None:
    assert fake.handle("getVersion", Call()) == (200, {"git_version": "", "version": "2.11.2"})
    del fake.handlers["get_users"]  # as if it were not modelled
    with pytest.raises(NotImplementedError, match=r"'get_users'.*implements: .*get_dags"):
        fake.handle("get_users", Call())


def test_problem_json_links_the_section_of_its_status() -> None:
    assert problem(404, "DAG not found", "gone") == {
        "detail": "gone",
        "status": 404,
        "title": "DAG not found",
        "type": "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html"
        "#section/Errors/NotFound",
    }
    assert problem(409, "Conflict", None)["type"] == f"{DOCS_URL}#section/Errors/AlreadyExists"
    assert problem(400, "x", None)["type"].endswith("#section/Errors/BadRequest")
    assert problem(418, "I am a teapot", None, extra=1)["type"].endswith("#section/Errors/Iamateapot")
    assert problem(418, "I am a teapot", None, extra=1)["extra"] == 1


# --- DAGs -----------------------------------------------------------------------------------------


def test_default_dags_are_paused_examples_with_tasks(fake: FakeAirflow) -> None:
    dags = call(fake, "get_dags")
    assert [d["dag_id"] for d in dags["dags"]] == [
        "example_bash_operator",
        "example_dynamic_task_mapping",
        "example_python_operator",
        "tutorial",
    ]
    assert dags["total_entries"] == 4
    assert all(d["is_paused"] for d in dags["dags"])
    bash = dags["dags"][0]
    assert bash["schedule_interval"] == {"__type": "CronExpression", "value": "0 0 * * *"}
    assert bash["timetable_description"] == "At 00:00"
    assert bash["tags"] == [{"name": "example2"}, {"name": "example"}]
    # the latest complete interval before now, as the DAG processor records for a paused DAG
    assert (bash["next_dagrun"], bash["next_dagrun_data_interval_end"]) == (
        "2026-01-14T00:00:00+00:00",
        "2026-01-15T00:00:00+00:00",
    )
    assert bash["next_dagrun_create_after"] == "2026-01-15T00:00:00+00:00"
    assert bash["last_parsed_time"] == "2026-01-15T12:30:00+00:00"
    assert bash["file_token"].split(".")[0] == "Ii9vcHQvYWlyZmxvdy9kYWdzL2V4YW1wbGVfYmFzaF9vcGVyYXRvci5weSI"
    tutorial = dags["dags"][3]
    assert tutorial["schedule_interval"] == {
        "__type": "TimeDelta",
        "days": 1,
        "microseconds": 0,
        "seconds": 0,
    }
    assert tutorial["timetable_description"] == ""
    assert tutorial["next_dagrun_data_interval_start"] == "2026-01-14T00:00:00+00:00"
    python = dags["dags"][2]
    assert python["schedule_interval"] is None
    assert python["timetable_description"] == "Never, external triggers only"
    assert python["next_dagrun"] is None
    tasks = call(fake, "get_tasks", {"dag_id": "example_bash_operator"})
    assert [t["task_id"] for t in tasks["tasks"]] == [
        "also_run_this",
        "run_after_loop",
        "run_this_last",
        "runme_0",
        "runme_1",
        "runme_2",
        "this_will_skip",
    ]
    assert [d.dag_id for d in default_dags()] == [
        "example_bash_operator",
        "tutorial",
        "example_python_operator",
        "example_dynamic_task_mapping",
    ]


def test_get_dag_and_its_404(fake: FakeAirflow) -> None:
    dag = call(fake, "get_dag", {"dag_id": "tutorial"})
    assert dag["dag_id"] == dag["dag_display_name"] == "tutorial"
    assert dag["description"] == "A simple tutorial DAG"
    assert dag["owners"] == ["airflow"]
    assert (dag["is_active"], dag["is_subdag"], dag["root_dag_id"], dag["pickle_id"]) == (
        True,
        False,
        None,
        None,
    )
    assert (dag["max_active_runs"], dag["max_active_tasks"], dag["default_view"]) == (16, 16, "grid")
    reply = error(fake, "get_dag", {"dag_id": "nope"}, expect=404)
    assert problem_of(reply) == ("DAG not found", "The DAG with dag_id: nope was not found")
    assert reply["type"] == f"{DOCS_URL}#section/Errors/NotFound"


def test_dag_fields_parameter(fake: FakeAirflow) -> None:
    assert call(fake, "get_dag", {"dag_id": "tutorial"}, {"fields": ["dag_id", "is_paused"]}) == {
        "dag_id": "tutorial",
        "is_paused": True,
    }
    page = call(fake, "get_dags", query={"fields": ["dag_id"], "limit": 2})
    assert page == {
        "dags": [{"dag_id": "example_bash_operator"}, {"dag_id": "example_dynamic_task_mapping"}],
        "total_entries": 4,
    }
    reply = error(fake, "get_dag", {"dag_id": "tutorial"}, {"fields": ["nope"]}, expect=400)
    assert problem_of(reply) == (
        "DAGSchema init error",
        "Invalid fields for <DAGSchema(many=False)>: OrderedSet(['nope']).",
    )
    reply = error(fake, "get_dags", query={"fields": ["nope"]}, expect=400)
    assert reply["title"] == "DAGCollectionSchema error"
    reply = error(fake, "get_dag_details", {"dag_id": "tutorial"}, {"fields": ["x"]}, expect=400)
    assert problem_of(reply) == (
        "DAGDetailSchema init error",
        "Invalid fields for <DAGDetailSchema(many=False)>: OrderedSet(['x']).",
    )


def test_dag_details(fake: FakeAirflow) -> None:
    details = call(fake, "get_dag_details", {"dag_id": "example_bash_operator"})
    assert details["owners"] == []  # the server reads an `owner` the DAG model lacks
    assert details["concurrency"] == 16 and details["catchup"] is False
    assert details["dag_run_timeout"] == {
        "__type": "TimeDelta",
        "days": 0,
        "microseconds": 0,
        "seconds": 3600,
    }
    assert details["params"] == {
        "example_key": {
            "__class": "airflow.models.param.Param",
            "description": None,
            "schema": {},
            "value": "example_value",
        }
    }
    assert details["start_date"] == "2021-01-01T00:00:00+00:00"
    assert details["last_parsed"] == details["last_parsed_time"] == "2026-01-15T12:30:00+00:00"
    assert (details["timezone"], details["orientation"], details["template_searchpath"]) == (
        "UTC",
        "LR",
        None,
    )
    assert details["doc_md"] is None and details["is_paused_upon_creation"] is None
    error(fake, "get_dag_details", {"dag_id": "nope"}, expect=404)


def test_get_dags_pages_are_capped_at_the_maximum_page_limit(fake: FakeAirflow) -> None:
    for i in range(120):
        fake.add_dag(f"bulk_{i:03d}")
    assert len(call(fake, "get_dags", query={"limit": 500})["dags"]) == 100
    assert len(call(fake, "get_dags", query={"limit": 0})["dags"]) == 100  # fallback_page_limit
    assert len(call(fake, "get_dags")["dags"]) == 100
    seen: list[str] = []
    for offset in range(0, 124, 30):
        page = call(fake, "get_dags", query={"limit": 30, "offset": offset})
        assert page["total_entries"] == 124
        seen += [d["dag_id"] for d in page["dags"]]
    assert len(seen) == 124 == len(set(seen)) and seen == sorted(seen)
    reply = error(fake, "get_dags", query={"limit": -1}, expect=400)
    assert problem_of(reply) == ("Page limit must be a positive integer", None)
    reply = error(fake, "get_dags", query={"offset": -1}, expect=400)
    assert reply["detail"].startswith("-1 is less than the minimum of 0")


def test_get_dags_ordering(fake: FakeAirflow) -> None:
    ids = [d["dag_id"] for d in call(fake, "get_dags", query={"order_by": "-dag_id"})["dags"]]
    assert ids == sorted(ids, reverse=True)
    reply = error(fake, "get_dags", query={"order_by": "-is_paused"}, expect=400)
    assert problem_of(reply) == (
        "Bad Request",
        "Ordering with 'is_paused' is disallowed or the attribute does not exist on the model",
    )


def test_get_dags_filters(fake: FakeAirflow) -> None:
    fake.add_dag("tutorial_dag", tags=["example", "other"], is_paused=False)
    fake.add_dag("gone", is_active=False)

    def ids(**query: Any) -> list[str]:
        return [d["dag_id"] for d in call(fake, "get_dags", query=query)["dags"]]

    # ILIKE '%pattern%': case-insensitive, `_` matches any one character
    assert ids(dag_id_pattern="TUTORIA_") == ["tutorial", "tutorial_dag"]
    assert ids(dag_id_pattern="l_d") == ["tutorial_dag"]
    assert ids(dag_id_pattern="~") == []
    assert ids(tags=["other", "example2"]) == ["example_bash_operator", "tutorial_dag"]
    assert ids(paused=False) == ["tutorial_dag"]
    assert "gone" not in ids() and "gone" in ids(only_active=False)
    assert call(fake, "get_dags", query={"paused": True})["total_entries"] == 4


def test_patch_dag_with_and_without_update_mask(fake: FakeAirflow) -> None:
    dag = call(
        fake, "patch_dag", {"dag_id": "tutorial"}, {"update_mask": ["is_paused"]}, {"is_paused": False}
    )
    assert dag["is_paused"] is False and fake.dags["tutorial"].is_paused is False
    assert call(fake, "patch_dag", {"dag_id": "tutorial"}, body={"is_paused": True})["is_paused"] is True
    reply = error(
        fake,
        "patch_dag",
        {"dag_id": "tutorial"},
        {"update_mask": ["description"]},
        {"is_paused": True},
        expect=400,
    )
    assert reply["detail"] == "Only `is_paused` field can be updated through the REST API"
    reply = error(
        fake, "patch_dag", {"dag_id": "nope"}, {"update_mask": "is_paused"}, {"is_paused": True}, expect=404
    )
    assert problem_of(reply) == ("Dag with id: 'nope' not found", None)
    reply = error(
        fake, "patch_dag", {"dag_id": "tutorial"}, body={"is_paused": True, "dag_id": "x"}, expect=400
    )
    assert reply["detail"] == "{'dag_id': ['Unknown field.']}"
    error(fake, "patch_dag", {"dag_id": "tutorial"}, body={}, expect=500)  # the server's KeyError


def test_patch_dags_by_pattern(fake: FakeAirflow) -> None:
    result = call(
        fake,
        "patch_dags",
        query={"dag_id_pattern": "example_", "update_mask": ["is_paused"]},
        body={"is_paused": False},
    )
    assert [d["dag_id"] for d in result["dags"]] == [
        "example_bash_operator",
        "example_dynamic_task_mapping",
        "example_python_operator",
    ]
    assert result["total_entries"] == 3 and not any(d["is_paused"] for d in result["dags"])
    assert fake.dags["tutorial"].is_paused is True
    everything = call(fake, "patch_dags", query={"dag_id_pattern": "~", "limit": 2}, body={"is_paused": True})
    assert everything["total_entries"] == 4 and len(everything["dags"]) == 2
    assert fake.dags["example_bash_operator"].is_paused and not fake.dags["example_python_operator"].is_paused
    # without a pattern the server filters on '%None%'
    assert call(fake, "patch_dags", body={"is_paused": True}) == {"dags": [], "total_entries": 0}


def test_delete_dag(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r1")
    fake.set_task_state("tutorial", "r1", "print_date", "running")
    reply = error(fake, "delete_dag", {"dag_id": "tutorial"}, expect=409)
    assert problem_of(reply) == ("Conflict", "Task instances of dag with id: 'tutorial' are still running")
    fake.complete_run("tutorial", "r1")
    assert call(fake, "delete_dag", {"dag_id": "tutorial"}, expect=204) is None
    assert "tutorial" not in fake.dags and fake.dag_runs == {} and fake.task_instances == {}
    reply = error(fake, "delete_dag", {"dag_id": "tutorial"}, expect=404)
    assert problem_of(reply) == ("Dag with id: 'tutorial' not found", None)


def test_tasks(fake: FakeAirflow) -> None:
    tasks = call(fake, "get_tasks", {"dag_id": "tutorial"})
    assert tasks["total_entries"] == 3
    first = tasks["tasks"][0]
    assert first["task_id"] == "print_date" and first["downstream_task_ids"] == ["sleep", "templated"]
    assert first["class_ref"] == {"class_name": "BashOperator", "module_path": "airflow.operators.bash"}
    assert (first["retries"], first["pool_slots"], first["priority_weight"]) == (1.0, 1.0, 1.0)
    assert first["retry_delay"] == {"__type": "TimeDelta", "days": 0, "microseconds": 0, "seconds": 300}
    assert first["template_fields"] == ["bash_command", "env", "cwd"]
    assert (first["ui_color"], first["ui_fgcolor"], first["weight_rule"]) == ("#f0ede4", "#000", "downstream")
    by_retries = call(fake, "get_tasks", {"dag_id": "tutorial"}, {"order_by": "-retries"})
    assert [t["task_id"] for t in by_retries["tasks"]] == ["sleep", "print_date", "templated"]
    reply = error(fake, "get_tasks", {"dag_id": "tutorial"}, {"order_by": "nope"}, expect=400)
    assert reply["detail"] == "'SerializedBaseOperator' object has no attribute 'nope'"
    assert problem_of(error(fake, "get_tasks", {"dag_id": "nope"}, expect=404)) == ("DAG not found", None)
    mapped = call(fake, "get_task", {"dag_id": "example_dynamic_task_mapping", "task_id": "add_one"})
    assert mapped["is_mapped"] is True and mapped["operator_name"] == "@task"
    assert mapped["class_ref"] == {
        "class_name": "_PythonDecoratedOperator",
        "module_path": "airflow.decorators.python",
    }
    reply = error(fake, "get_task", {"dag_id": "tutorial", "task_id": "nope"}, expect=404)
    assert problem_of(reply) == ("Task not found", None)
    assert error(fake, "get_task", {"dag_id": "nope", "task_id": "x"}, expect=404)["title"] == "DAG not found"


def test_dag_stats(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "a")
    fake.trigger("tutorial", "b", logical_date=T0 - timedelta(days=1))
    fake.complete_run("tutorial", "b", "failed")
    stats = call(fake, "get_dag_stats", query={"dag_ids": "tutorial,nope"})
    assert stats == {
        "dags": [
            {
                "dag_id": "tutorial",
                "stats": [
                    {"count": 1, "state": "queued"},
                    {"count": 0, "state": "running"},
                    {"count": 0, "state": "success"},
                    {"count": 1, "state": "failed"},
                ],
            }
        ],
        "total_entries": 1,
    }


# --- DAG runs -------------------------------------------------------------------------------------


def test_post_dag_run_answers_a_queued_manual_run(fake: FakeAirflow) -> None:
    run = call(
        fake,
        "post_dag_run",
        {"dag_id": "tutorial"},
        body={"dag_run_id": "r1", "conf": {"a": 1}, "note": "hi"},
    )
    assert run == {
        "conf": {"a": 1},
        "dag_id": "tutorial",
        "dag_run_id": "r1",
        # a timedelta schedule: the interval that ends at the logical date
        "data_interval_end": "2026-01-15T12:30:00+00:00",
        "data_interval_start": "2026-01-14T12:30:00+00:00",
        "end_date": None,
        "execution_date": "2026-01-15T12:30:00+00:00",
        "external_trigger": True,
        "last_scheduling_decision": None,
        "logical_date": "2026-01-15T12:30:00+00:00",
        "note": "hi",
        "run_type": "manual",
        "start_date": None,
        "state": "queued",
    }
    assert fake.dag_runs[("tutorial", "r1")] == run


def test_post_dag_run_generates_the_run_id_and_infers_the_data_interval(
    fake: FakeAirflow, clock: Clock
) -> None:
    clock.now = datetime(2026, 1, 15, 12, 30, 5, 123456, tzinfo=UTC)
    run = call(fake, "post_dag_run", {"dag_id": "example_bash_operator"}, body={})
    assert run["dag_run_id"] == "manual__2026-01-15T12:30:05.123456+00:00"
    assert run["conf"] == {} and run["note"] is None
    # a cron schedule: the last complete interval before the logical date
    assert (run["data_interval_start"], run["data_interval_end"]) == (
        "2026-01-14T00:00:00+00:00",
        "2026-01-15T00:00:00+00:00",
    )
    run = call(
        fake,
        "post_dag_run",
        {"dag_id": "example_python_operator"},
        body={"execution_date": "2025-03-01T10:00:00Z"},
    )
    assert (
        run["logical_date"]
        == run["data_interval_start"]
        == run["data_interval_end"]
        == "2025-03-01T10:00:00+00:00"
    )
    run = call(
        fake,
        "post_dag_run",
        {"dag_id": "tutorial"},
        body={
            "dag_run_id": "given",
            "data_interval_start": "2025-01-01T00:00:00+00:00",
            "data_interval_end": "2025-01-02T00:00:00+00:00",
        },
    )
    assert (run["data_interval_start"], run["data_interval_end"]) == (
        "2025-01-01T00:00:00+00:00",
        "2025-01-02T00:00:00+00:00",
    )


def test_post_dag_run_errors(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r1", logical_date="2025-01-01T00:00:00+00:00")
    reply = error(fake, "post_dag_run", {"dag_id": "tutorial"}, body={"dag_run_id": "r1"}, expect=409)
    assert problem_of(reply) == (
        "Conflict",
        "DAGRun with DAG ID: 'tutorial' and DAGRun ID: 'r1' already exists",
    )
    assert reply["type"] == f"{DOCS_URL}#section/Errors/AlreadyExists"
    reply = error(
        fake,
        "post_dag_run",
        {"dag_id": "tutorial"},
        body={"dag_run_id": "r2", "logical_date": "2025-01-01T00:00:00Z"},
        expect=409,
    )
    assert reply["detail"] == (
        "DAGRun with DAG ID: 'tutorial' and DAGRun logical date: '2025-01-01 00:00:00+00:00' already exists"
    )
    reply = error(fake, "post_dag_run", {"dag_id": "nope"}, body={}, expect=404)
    assert problem_of(reply) == ("DAG not found", "DAG with dag_id: 'nope' not found")
    reply = error(
        fake, "post_dag_run", {"dag_id": "tutorial"}, body={"logical_date": "2025-02-01T00:00:00"}, expect=400
    )
    assert problem_of(reply) == ("Invalid datetime format", "Naive datetime is disallowed")
    reply = error(
        fake,
        "post_dag_run",
        {"dag_id": "tutorial"},
        body={"data_interval_start": "2025-02-01T00:00:00Z"},
        expect=400,
    )
    assert reply["detail"] == (
        "{'_schema': [\"Both 'data_interval_start' and 'data_interval_end' must be specified together\"]}"
    )
    reply = error(
        fake,
        "post_dag_run",
        {"dag_id": "tutorial"},
        body={"logical_date": "2025-02-01T00:00:00Z", "execution_date": "2025-02-02T00:00:00Z"},
        expect=400,
    )
    assert reply["title"] == "logical_date conflicts with execution_date"
    reply = error(fake, "post_dag_run", {"dag_id": "tutorial"}, body={"state": "running"}, expect=400)
    assert reply["detail"] == "{'state': ['Unknown field.']}"
    fake.add_dag("broken", has_import_errors=True)
    reply = error(fake, "post_dag_run", {"dag_id": "broken"}, body={}, expect=400)
    assert problem_of(reply) == ("DAG cannot be triggered", "DAG with dag_id: 'broken' has import errors")
    error(fake, "post_dag_run", {"dag_id": "tutorial"}, body={"dag_run_id": "has space"}, expect=500)


def test_trigger_creates_task_instances_without_state(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r1")
    tis = call(fake, "get_task_instances", run_path("tutorial", "r1"))
    assert tis["total_entries"] == 3
    assert [
        (t["task_id"], t["state"], t["try_number"], t["max_tries"], t["priority_weight"])
        for t in tis["task_instances"]
    ] == [("print_date", None, 0, 1, 3), ("sleep", None, 0, 3, 1), ("templated", None, 0, 1, 1)]
    first = tis["task_instances"][0]
    assert first == {
        "dag_id": "tutorial",
        "dag_run_id": "r1",
        "duration": None,
        "end_date": None,
        "execution_date": "2026-01-15T12:30:00+00:00",
        "executor": None,
        "executor_config": "{}",
        "hostname": "",
        "map_index": -1,
        "max_tries": 1,
        "note": None,
        "operator": "BashOperator",
        "pid": None,
        "pool": "default_pool",
        "pool_slots": 1,
        "priority_weight": 3,
        "queue": "default",
        "queued_when": None,
        "rendered_fields": {},
        "rendered_map_index": None,
        "sla_miss": None,
        "start_date": None,
        "state": None,
        "task_display_name": "print_date",
        "task_id": "print_date",
        "trigger": None,
        "triggerer_job": None,
        "try_number": 0,
        "unixname": "airflow",
    }
    fake.trigger("example_dynamic_task_mapping", "m1")
    mapped = call(fake, "get_task_instances", run_path("example_dynamic_task_mapping", "m1"))
    assert [(t["task_id"], t["map_index"]) for t in mapped["task_instances"]] == [
        ("add_one", 0),
        ("add_one", 1),
        ("add_one", 2),
        ("sum_it", -1),
    ]


def test_get_dag_runs_ordering_filters_and_paging(fake: FakeAirflow, clock: Clock) -> None:
    for day in (3, 1, 2):
        clock.tick()
        fake.trigger("tutorial", f"r{day}", logical_date=datetime(2025, 1, day, tzinfo=UTC))
    fake.trigger("example_python_operator", "other", logical_date=datetime(2025, 1, 1, tzinfo=UTC))
    fake.complete_run("tutorial", "r1")

    def ids(dag_id: str = "tutorial", **query: Any) -> list[str]:
        page = call(fake, "get_dag_runs", {"dag_id": dag_id}, query)
        return [r["dag_run_id"] for r in page["dag_runs"]]

    assert ids() == ["r3", "r1", "r2"]  # by id: creation order
    assert ids(order_by="execution_date") == ["r1", "r2", "r3"]
    assert ids(order_by="-dag_run_id") == ["r3", "r2", "r1"]
    assert ids(order_by="end_date") == ["r3", "r2", "r1"]  # NULLs first
    assert ids(state=["queued"]) == ["r3", "r2"]
    assert ids(execution_date_gte="2025-01-02T00:00:00+00:00") == ["r3", "r2"]
    assert ids(execution_date_lte="2025-01-02T00:00:00Z", order_by="-id") == ["r2", "r1"]
    assert ids("~") == ["r3", "r1", "r2", "other"]
    assert ids("nope") == []
    page = call(fake, "get_dag_runs", {"dag_id": "~"}, {"limit": 2, "offset": 1})
    assert [r["dag_run_id"] for r in page["dag_runs"]] == ["r1", "r2"] and page["total_entries"] == 4
    only = call(fake, "get_dag_runs", {"dag_id": "tutorial"}, {"fields": ["dag_run_id", "state"], "limit": 1})
    assert only == {"dag_runs": [{"dag_run_id": "r3", "state": "queued"}], "total_entries": 3}
    reply = error(fake, "get_dag_runs", {"dag_id": "tutorial"}, {"order_by": "note"}, expect=400)
    assert (
        reply["detail"] == "Ordering with 'note' is disallowed or the attribute does not exist on the model"
    )
    reply = error(fake, "get_dag_runs", {"dag_id": "tutorial"}, {"fields": ["nope"]}, expect=400)
    assert problem_of(reply) == ("DAGRunCollectionSchema error", "nope not in DAGRunSchema")
    reply = error(fake, "get_dag_runs", {"dag_id": "tutorial"}, {"start_date_gte": "garbage"}, expect=400)
    assert reply["title"] == "Incorrect datetime argument"


def test_get_dag_runs_batch(fake: FakeAirflow) -> None:
    for i in range(3):
        fake.trigger("tutorial", f"t{i}", logical_date=datetime(2025, 1, 1 + i, tzinfo=UTC))
    fake.trigger("example_python_operator", "p0")
    fake.complete_run("tutorial", "t1")
    page = call(
        fake,
        "get_dag_runs_batch",
        body={"dag_ids": ["tutorial", "nope"], "order_by": "-execution_date", "page_limit": 2},
    )
    assert [r["dag_run_id"] for r in page["dag_runs"]] == ["t2", "t1"] and page["total_entries"] == 3
    page = call(fake, "get_dag_runs_batch", body={"states": ["success"]})
    assert [r["dag_run_id"] for r in page["dag_runs"]] == ["t1"]
    page = call(fake, "get_dag_runs_batch", body={"page_offset": 3})
    assert [r["dag_run_id"] for r in page["dag_runs"]] == ["p0"] and page["total_entries"] == 4
    reply = error(fake, "get_dag_runs_batch", body={"order_by": "nope"}, expect=400)
    assert (
        reply["detail"] == "Ordering with 'nope' is disallowed or the attribute does not exist on the model"
    )
    reply = error(fake, "get_dag_runs_batch", body={"page_limit": 0}, expect=400)
    assert reply["detail"] == "{'page_limit': ['Must be greater than or equal to 1.']}"


def test_get_dag_run_and_404s(fake: FakeAirflow) -> None:
    created = fake.trigger("tutorial", "r1")
    assert call(fake, "get_dag_run", run_path("tutorial", "r1")) == created
    assert call(fake, "get_dag_run", run_path("tutorial", "r1"), {"fields": ["state"]}) == {"state": "queued"}
    reply = error(fake, "get_dag_run", run_path("tutorial", "nope"), expect=404)
    assert problem_of(reply) == (
        "DAGRun not found",
        "DAGRun with DAG ID: 'tutorial' and DagRun ID: 'nope' not found",
    )
    reply = error(fake, "get_dag_run", run_path("tutorial", "r1"), {"fields": ["x"]}, expect=400)
    assert problem_of(reply) == ("DAGRunSchema error", "x not in DAGRunSchema")


def test_update_dag_run_state(fake: FakeAirflow, clock: Clock) -> None:
    fake.trigger("tutorial", "ok")
    clock.tick(60)
    run = call(fake, "update_dag_run_state", run_path("tutorial", "ok"), body={"state": "success"})
    assert (run["state"], run["start_date"], run["end_date"]) == (
        "success",
        None,
        "2026-01-15T12:31:00+00:00",
    )
    tis = fake.task_instances
    assert {k[2]: (v["state"], v["start_date"], v["duration"]) for k, v in tis.items()} == {
        task: ("success", "2026-01-15T12:31:00+00:00", 0.0) for task in ("print_date", "sleep", "templated")
    }
    fake.trigger("tutorial", "bad", logical_date=T0 - timedelta(days=1))
    fake.set_task_state("tutorial", "bad", "print_date", "running")
    run = call(fake, "update_dag_run_state", run_path("tutorial", "bad"), body={"state": "failed"})
    assert run["state"] == "failed"
    states = {k[2]: v["state"] for k, v in fake.task_instances.items() if k[1] == "bad"}
    assert states == {"print_date": "failed", "sleep": "skipped", "templated": "skipped"}
    run = call(fake, "update_dag_run_state", run_path("tutorial", "bad"), body={"state": "queued"})
    assert (run["state"], run["start_date"], run["end_date"]) == ("queued", None, None)
    reply = error(
        fake, "update_dag_run_state", run_path("tutorial", "nope"), body={"state": "failed"}, expect=404
    )
    assert problem_of(reply) == ("Dag Run id nope not found in dag tutorial", None)
    reply = error(
        fake, "update_dag_run_state", run_path("tutorial", "ok"), body={"state": "running"}, expect=400
    )
    assert reply["detail"] == "{'state': ['Must be one of: success, failed, queued.']}"


def test_clear_dag_run(fake: FakeAirflow, clock: Clock) -> None:
    fake.trigger("tutorial", "r1", logical_date="2025-01-01T00:00:00+00:00")
    fake.complete_run("tutorial", "r1")
    dry = call(fake, "clear_dag_run", run_path("tutorial", "r1"), body={})  # dry_run defaults to true
    assert dry == {
        "task_instances": [
            {
                "dag_id": "tutorial",
                "dag_run_id": "r1",
                "execution_date": "2025-01-01T00:00:00+00:00",
                "task_id": t,
            }
            for t in ("print_date", "sleep", "templated")
        ]
    }
    assert fake.dag_runs[("tutorial", "r1")]["state"] == "success"
    clock.tick()
    run = call(fake, "clear_dag_run", run_path("tutorial", "r1"), body={"dry_run": False})
    assert (run["state"], run["start_date"], run["end_date"]) == ("queued", None, None)
    ti = call(fake, "get_task_instance", run_path("tutorial", "r1", task_id="sleep"))
    assert (ti["state"], ti["try_number"], ti["max_tries"]) == (None, 1, 4)  # try_number + retries
    tries = call(fake, "get_task_instance_tries", run_path("tutorial", "r1", task_id="sleep"))
    assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [(1, "success"), (1, None)]
    reply = error(fake, "clear_dag_run", run_path("tutorial", "nope"), body={}, expect=404)
    assert problem_of(reply) == ("Dag Run id nope not found in dag   tutorial", None)  # sic: three spaces


def test_set_dag_run_note_and_delete_dag_run(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r1", note="first")
    assert (
        call(fake, "set_dag_run_note", run_path("tutorial", "r1"), body={"note": "changed"})["note"]
        == "changed"
    )
    reply = error(fake, "set_dag_run_note", run_path("tutorial", "nope"), body={"note": "x"}, expect=404)
    assert problem_of(reply) == ("Dag Run id nope not found in dag tutorial", None)
    reply = error(fake, "set_dag_run_note", run_path("tutorial", "r1"), body={"note": "x" * 1001}, expect=400)
    assert reply["detail"] == "{'note': ['Longer than maximum length 1000.']}"
    fake.add_xcom("tutorial", "r1", "sleep", "k", 1)
    assert call(fake, "delete_dag_run", run_path("tutorial", "r1"), expect=204) is None
    assert fake.dag_runs == {} and fake.task_instances == {} and fake.xcoms == []
    reply = error(fake, "delete_dag_run", run_path("tutorial", "r1"), expect=404)
    assert problem_of(reply) == ("Not Found", "DAGRun with DAG ID: 'tutorial' and DagRun ID: 'r1' not found")


def test_upstream_dataset_events(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r1")
    assert call(fake, "get_upstream_dataset_events", run_path("tutorial", "r1")) == {
        "dataset_events": [],
        "total_entries": 0,
    }
    error(fake, "get_upstream_dataset_events", run_path("tutorial", "nope"), expect=404)


# --- task instances -------------------------------------------------------------------------------


def test_task_instances_across_dags_and_runs_with_wildcards(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "a", logical_date=datetime(2025, 1, 1, tzinfo=UTC))
    fake.trigger("tutorial", "b", logical_date=datetime(2025, 1, 2, tzinfo=UTC))
    fake.trigger("example_dynamic_task_mapping", "m")
    fake.set_task_state("tutorial", "a", "print_date", "success")
    everything = call(fake, "get_task_instances", run_path("~", "~"))
    assert everything["total_entries"] == 10
    keys = [
        (t["dag_id"], t["dag_run_id"], t["task_id"], t["map_index"]) for t in everything["task_instances"]
    ]
    assert len(set(keys)) == 10
    assert call(fake, "get_task_instances", run_path("tutorial", "~"))["total_entries"] == 6
    assert call(fake, "get_task_instances", run_path("~", "b"))["total_entries"] == 3
    none = call(fake, "get_task_instances", run_path("tutorial", "~"), {"state": ["none"]})
    assert none["total_entries"] == 5
    done = call(fake, "get_task_instances", run_path("~", "~"), {"state": ["success", "failed"]})
    assert [t["task_id"] for t in done["task_instances"]] == ["print_date"]
    dated = call(
        fake, "get_task_instances", run_path("~", "~"), {"execution_date_lte": "2025-01-01T00:00:00Z"}
    )
    assert dated["total_entries"] == 3
    assert call(fake, "get_task_instances", run_path("~", "~"), {"duration_gte": 0})["total_entries"] == 1
    assert call(fake, "get_task_instances", run_path("~", "~"), {"pool": ["other"]})["total_entries"] == 0
    paged = [
        (t["dag_run_id"], t["task_id"], t["map_index"])
        for offset in (0, 4, 8)
        for t in call(fake, "get_task_instances", run_path("~", "~"), {"limit": 4, "offset": offset})[
            "task_instances"
        ]
    ]
    assert len(paged) == 10 == len(set(paged))


def test_task_instance_limits_are_not_capped(fake: FakeAirflow) -> None:
    fake.add_dag("wide", tasks=[FakeTask(f"t{i:03d}") for i in range(150)])
    fake.trigger("wide", "r")
    assert len(call(fake, "get_task_instances", run_path("wide", "r"))["task_instances"]) == 100
    assert (
        len(call(fake, "get_task_instances", run_path("wide", "r"), {"limit": 500})["task_instances"]) == 150
    )
    assert call(fake, "get_task_instances", run_path("wide", "r"), {"limit": 0})["task_instances"] == []
    batch = call(fake, "get_task_instances_batch", body={"page_limit": 120})
    assert len(batch["task_instances"]) == 120 and batch["total_entries"] == 150


def test_get_task_instance_and_mapped_ones(fake: FakeAirflow) -> None:
    fake.trigger("example_dynamic_task_mapping", "m")
    path = run_path("example_dynamic_task_mapping", "m")
    assert call(fake, "get_task_instance", {**path, "task_id": "sum_it"})["map_index"] == -1
    reply = error(fake, "get_task_instance", {**path, "task_id": "add_one"}, expect=404)
    assert problem_of(reply) == (
        "Task instance not found",
        "Task instance is mapped, add the map_index value to the URL",
    )
    assert problem_of(error(fake, "get_task_instance", {**path, "task_id": "x"}, expect=404)) == (
        "Task instance not found",
        None,
    )
    assert (
        call(fake, "get_mapped_task_instance", {**path, "task_id": "add_one", "map_index": 2})["map_index"]
        == 2
    )
    error(fake, "get_mapped_task_instance", {**path, "task_id": "add_one", "map_index": 7}, expect=404)
    fake.set_task_state("example_dynamic_task_mapping", "m", "add_one", "success", map_index=1)
    listed = call(fake, "get_mapped_task_instances", {**path, "task_id": "add_one"})
    assert [t["map_index"] for t in listed["task_instances"]] == [0, 1, 2] and listed["total_entries"] == 3
    by_state = call(fake, "get_mapped_task_instances", {**path, "task_id": "add_one"}, {"order_by": "-state"})
    assert [t["map_index"] for t in by_state["task_instances"]] == [1, 0, 2]
    desc = call(fake, "get_mapped_task_instances", {**path, "task_id": "add_one"}, {"order_by": "-map_index"})
    assert [t["map_index"] for t in desc["task_instances"]] == [2, 1, 0]
    reply = error(
        fake, "get_mapped_task_instances", {**path, "task_id": "add_one"}, {"order_by": "x"}, expect=400
    )
    assert reply["detail"] == "Ordering with 'x' is not supported"
    reply = error(fake, "get_mapped_task_instances", {**path, "task_id": "sum_it"}, expect=404)
    assert problem_of(reply) == ("Task id sum_it is not mapped", None)
    reply = error(fake, "get_mapped_task_instances", {**path, "task_id": "x"}, expect=404)
    assert reply["title"] == "Task id x not found"
    reply = error(fake, "get_mapped_task_instances", {**path, "dag_id": "nope", "task_id": "x"}, expect=404)
    assert reply["title"] == "DAG nope not found"


def test_get_task_instances_batch(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "a")
    fake.trigger("example_python_operator", "p")
    fake.set_task_state("tutorial", "a", "print_date", "success")
    page = call(fake, "get_task_instances_batch", body={"dag_ids": ["tutorial"], "state": ["success"]})
    assert [t["task_id"] for t in page["task_instances"]] == ["print_date"] and page["total_entries"] == 1
    page = call(fake, "get_task_instances_batch", body={"task_ids": ["sleep", "log_sql_query"]})
    assert [t["task_id"] for t in page["task_instances"]] == ["sleep", "log_sql_query"]
    page = call(fake, "get_task_instances_batch", body={"state": [None], "page_offset": 8, "page_limit": 5})
    assert page["total_entries"] == 9 and len(page["task_instances"]) == 1


def test_patch_task_instance(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r", logical_date="2025-01-01T00:00:00+00:00")
    path = run_path("tutorial", "r", task_id="print_date")
    ref = call(fake, "patch_task_instance", path, body={"new_state": "failed"})  # dry run by default
    assert ref == {
        "dag_id": "tutorial",
        "dag_run_id": "r",
        "execution_date": "2025-01-01T00:00:00+00:00",
        "task_id": "print_date",
    }
    assert fake.task_instances[("tutorial", "r", "print_date", -1)]["state"] is None
    assert call(fake, "patch_task_instance", path, body={"new_state": "failed", "dry_run": False}) == {}
    ti = fake.task_instances[("tutorial", "r", "print_date", -1)]
    assert (ti["state"], ti["try_number"], ti["start_date"], ti["duration"]) == (
        "failed",
        0,
        "2026-01-15T12:30:00+00:00",
        0.0,
    )
    reply = error(
        fake,
        "patch_task_instance",
        run_path("tutorial", "r", task_id="x"),
        body={"new_state": "success"},
        expect=404,
    )
    assert problem_of(reply) == ("Task not found", "Task 'x' not found in DAG 'tutorial'")
    reply = error(
        fake,
        "patch_task_instance",
        run_path("nope", "r", task_id="x"),
        body={"new_state": "success"},
        expect=404,
    )
    assert problem_of(reply) == ("DAG not found", "DAG 'nope' not found")
    reply = error(
        fake,
        "patch_task_instance",
        run_path("tutorial", "x", task_id="sleep"),
        body={"new_state": "success"},
        expect=404,
    )
    assert problem_of(reply) == (
        "Not Found",
        "Task instance not found for task 'sleep' on DAG run with ID 'x'",
    )
    reply = error(fake, "patch_task_instance", path, body={"new_state": "running"}, expect=400)
    assert reply["detail"] == "{'new_state': ['Must be one of: success, failed, skipped.']}"
    fake.trigger("example_dynamic_task_mapping", "m")
    mapped = call(
        fake,
        "patch_mapped_task_instance",
        run_path("example_dynamic_task_mapping", "m", task_id="add_one", map_index=1),
        body={"new_state": "skipped", "dry_run": False},
    )
    assert mapped == {}
    assert fake.task_instances[("example_dynamic_task_mapping", "m", "add_one", 1)]["state"] == "skipped"


def test_marking_a_task_succeeded_clears_failed_tasks_below_and_requeues_the_run(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r")
    fake.set_task_state("tutorial", "r", "print_date", "failed")
    assert fake.dag_runs[("tutorial", "r")]["state"] == "failed"
    call(
        fake,
        "patch_task_instance",
        run_path("tutorial", "r", task_id="print_date"),
        body={"new_state": "success", "dry_run": False},
    )
    states = {k[2]: v["state"] for k, v in fake.task_instances.items()}
    assert states == {"print_date": "success", "sleep": None, "templated": None}
    assert fake.dag_runs[("tutorial", "r")]["state"] == "queued"


def test_task_instance_notes(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r")
    ti = call(fake, "set_task_instance_note", run_path("tutorial", "r", task_id="sleep"), body={"note": "n1"})
    assert ti["note"] == "n1" and ti["task_id"] == "sleep"
    fake.trigger("example_dynamic_task_mapping", "m")
    path = run_path("example_dynamic_task_mapping", "m", task_id="add_one")
    mapped = call(fake, "set_mapped_task_instance_note", {**path, "map_index": 0}, body={"note": "n2"})
    assert (mapped["note"], mapped["map_index"]) == ("n2", 0)
    reply = error(fake, "set_task_instance_note", path, body={"note": "x"}, expect=404)
    assert problem_of(reply) == (
        "Task Instance not found for dag_id=example_dynamic_task_mapping, run_id=m, task_id=add_one",
        None,
    )


def test_tries_and_try_details(fake: FakeAirflow, clock: Clock) -> None:
    fake.trigger("tutorial", "r")
    path = run_path("tutorial", "r", task_id="sleep")
    assert call(fake, "get_task_instance_tries", path)["total_entries"] == 1
    fake.set_task_state("tutorial", "r", "sleep", "running")
    clock.tick(5)
    fake.set_task_state("tutorial", "r", "sleep", "up_for_retry")
    tries = call(fake, "get_task_instance_tries", path)
    assert [(t["try_number"], t["state"], t["duration"]) for t in tries["task_instances"]] == [
        (1, "failed", 5.0)
    ]
    clock.tick(5)
    fake.set_task_state("tutorial", "r", "sleep", "running")
    fake.set_task_state("tutorial", "r", "sleep", "success")
    tries = call(fake, "get_task_instance_tries", path)
    assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [(1, "failed"), (2, "success")]
    assert call(fake, "get_task_instance_try_details", {**path, "task_try_number": 1})["state"] == "failed"
    assert call(fake, "get_task_instance_try_details", {**path, "task_try_number": 2})["state"] == "success"
    reply = error(fake, "get_task_instance_try_details", {**path, "task_try_number": 7}, expect=404)
    assert problem_of(reply) == (
        "Task instance not found",
        "Task Instance not found for dag_id=tutorial, run_id=r, task_id=sleep, map_index=-1, try_number=7.",
    )
    fake.trigger("example_dynamic_task_mapping", "m")
    mpath = run_path("example_dynamic_task_mapping", "m", task_id="add_one", map_index=1)
    assert call(fake, "get_mapped_task_instance_tries", mpath)["task_instances"][0]["map_index"] == 1
    assert (
        call(fake, "get_mapped_task_instance_try_details", {**mpath, "task_try_number": 0})["try_number"] == 0
    )
    assert call(fake, "get_task_instance_tries", run_path("tutorial", "r", task_id="nope")) == {
        "task_instances": [],
        "total_entries": 0,
    }


def test_extra_links(fake: FakeAirflow) -> None:
    fake.add_dag(
        "linked", tasks=[FakeTask("trigger", "TriggerDagRunOperator", extra_links=["Triggered DAG"])]
    )
    fake.trigger("linked", "r")
    assert call(fake, "get_extra_links", run_path("linked", "r", task_id="trigger")) == {
        "Triggered DAG": None
    }
    fake.trigger("tutorial", "r")
    assert call(fake, "get_extra_links", run_path("tutorial", "r", task_id="sleep")) == {}
    reply = error(fake, "get_extra_links", run_path("tutorial", "x", task_id="sleep"), expect=404)
    assert problem_of(reply) == ("DAG Run not found", 'DAG Run with ID = "x" not found')


def test_clear_task_instances(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r1", logical_date="2025-01-01T00:00:00+00:00")
    fake.trigger("tutorial", "r2", logical_date="2025-01-02T00:00:00+00:00")
    fake.set_task_state("tutorial", "r1", "print_date", "failed")
    fake.set_task_state("tutorial", "r2", "print_date", "success")
    dry = call(fake, "post_clear_task_instances", {"dag_id": "tutorial"}, body={})
    # only_failed by default: the failed one and the upstream_failed ones it caused
    assert [(t["dag_run_id"], t["task_id"]) for t in dry["task_instances"]] == [
        ("r1", "print_date"),
        ("r1", "sleep"),
        ("r1", "templated"),
    ]
    refs = call(
        fake,
        "post_clear_task_instances",
        {"dag_id": "tutorial"},
        body={
            "dry_run": False,
            "only_failed": False,
            "dag_run_id": "r2",
            "task_ids": ["print_date"],
            "include_downstream": True,
            "reset_dag_runs": True,
        },
    )
    assert [t["task_id"] for t in refs["task_instances"]] == ["print_date", "sleep", "templated"]
    assert {k[2]: v["state"] for k, v in fake.task_instances.items() if k[1] == "r2"} == {
        "print_date": None,
        "sleep": None,
        "templated": None,
    }
    reply = error(
        fake,
        "post_clear_task_instances",
        {"dag_id": "tutorial"},
        body={"only_failed": True, "only_running": True},
        expect=400,
    )
    assert reply["detail"] == "{'_schema': ['only_failed and only_running both are set to True']}"
    reply = error(
        fake, "post_clear_task_instances", {"dag_id": "tutorial"}, body={"dag_run_id": "x"}, expect=404
    )
    assert problem_of(reply) == ("Dag Run id x not found in dag tutorial", None)
    assert (
        error(fake, "post_clear_task_instances", {"dag_id": "x"}, body={}, expect=404)["title"]
        == "Dag id x not found"
    )


def test_set_task_instances_state(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r1", logical_date="2025-01-01T00:00:00+00:00")
    fake.trigger("tutorial", "r2", logical_date="2025-01-02T00:00:00+00:00")
    form = {
        "task_id": "print_date",
        "dag_run_id": "r1",
        "new_state": "success",
        "include_upstream": False,
        "include_downstream": True,
        "include_future": True,
        "include_past": False,
    }
    dry = call(fake, "post_set_task_instances_state", {"dag_id": "tutorial"}, body=form)
    assert [(t["dag_run_id"], t["task_id"]) for t in dry["task_instances"]] == [
        (run, task) for run in ("r1", "r2") for task in ("print_date", "sleep", "templated")
    ]
    assert all(v["state"] is None for v in fake.task_instances.values())
    done = call(
        fake,
        "post_set_task_instances_state",
        {"dag_id": "tutorial"},
        body=form | {"include_future": False, "dry_run": False},
    )
    assert len(done["task_instances"]) == 3
    assert {k[1:3]: v["state"] for k, v in fake.task_instances.items()}[("r1", "sleep")] == "success"
    assert {k[1:3]: v["state"] for k, v in fake.task_instances.items()}[("r2", "sleep")] is None
    reply = error(
        fake, "post_set_task_instances_state", {"dag_id": "tutorial"}, body={"dry_run": True}, expect=400
    )
    assert reply["detail"] == (
        "{'task_id': ['Missing data for required field.'], "
        "'include_upstream': ['Missing data for required field.'], "
        "'include_downstream': ['Missing data for required field.'], "
        "'include_future': ['Missing data for required field.'], "
        "'include_past': ['Missing data for required field.'], "
        "'new_state': ['Missing data for required field.']}"
    )
    reply = error(
        fake,
        "post_set_task_instances_state",
        {"dag_id": "tutorial"},
        body={k: v for k, v in form.items() if k != "dag_run_id"},
        expect=400,
    )
    assert reply["detail"] == "{'_schema': ['Exactly one of execution_date or dag_run_id must be provided']}"
    reply = error(
        fake,
        "post_set_task_instances_state",
        {"dag_id": "tutorial"},
        body=form | {"task_id": "x"},
        expect=404,
    )
    assert reply["title"] == "Task ID x not found"
    reply = error(
        fake,
        "post_set_task_instances_state",
        {"dag_id": "tutorial"},
        body=form | {"dag_run_id": "x"},
        expect=404,
    )
    assert reply["detail"] == "Task instance not found for task 'print_date' on DAG run with ID 'x'"


# --- the scheduler's part: set_task_state, complete_run -------------------------------------------


def test_task_progress_drives_the_run_to_success(fake: FakeAirflow, clock: Clock) -> None:
    fake.trigger("tutorial", "r")
    clock.tick(1)
    ti = fake.set_task_state("tutorial", "r", "print_date", "queued")
    assert (ti["state"], ti["try_number"], ti["queued_when"]) == ("queued", 1, "2026-01-15T12:30:01+00:00")
    run = fake.dag_runs[("tutorial", "r")]
    assert (run["state"], run["start_date"]) == ("running", "2026-01-15T12:30:01+00:00")
    clock.tick(1)
    ti = fake.set_task_state("tutorial", "r", "print_date", "running")
    assert (ti["state"], ti["try_number"], ti["hostname"], ti["start_date"]) == (
        "running",
        1,
        "airflow-worker",
        "2026-01-15T12:30:02+00:00",
    )
    assert call(fake, "get_pool", {"pool_name": "default_pool"})["running_slots"] == 1
    clock.tick(2)
    ti = fake.set_task_state("tutorial", "r", "print_date", "success")
    assert (ti["end_date"], ti["duration"]) == ("2026-01-15T12:30:04+00:00", 2.0)
    fake.set_task_state("tutorial", "r", "sleep", "success")
    assert fake.dag_runs[("tutorial", "r")]["state"] == "running"
    clock.tick(1)
    fake.set_task_state("tutorial", "r", "templated", "success")
    run = fake.dag_runs[("tutorial", "r")]
    assert (run["state"], run["end_date"]) == ("success", "2026-01-15T12:30:05+00:00")
    assert [t["try_number"] for t in fake.task_instances.values()] == [1, 1, 1]


def test_a_failed_task_fails_what_waits_on_it_and_the_run(fake: FakeAirflow) -> None:
    fake.trigger("example_bash_operator", "r")
    fake.set_task_state("example_bash_operator", "r", "this_will_skip", "skipped")
    states = {k[2]: v["state"] for k, v in fake.task_instances.items()}
    assert states["run_this_last"] == "skipped"
    fake.set_task_state("example_bash_operator", "r", "runme_0", "failed")
    states = {k[2]: v["state"] for k, v in fake.task_instances.items()}
    assert states["run_after_loop"] == "upstream_failed" and states["runme_1"] is None
    assert fake.dag_runs[("example_bash_operator", "r")]["state"] == "running"
    for task in ("runme_1", "runme_2", "also_run_this"):
        fake.set_task_state("example_bash_operator", "r", task, "success")
    assert fake.dag_runs[("example_bash_operator", "r")]["state"] == "failed"


def test_complete_run(fake: FakeAirflow, clock: Clock) -> None:
    fake.trigger("tutorial", "r")
    clock.tick(3)
    run = fake.complete_run("tutorial", "r")
    assert (run["state"], run["start_date"], run["end_date"]) == (
        "success",
        "2026-01-15T12:30:03+00:00",
        "2026-01-15T12:30:03+00:00",
    )
    assert {v["state"] for v in fake.task_instances.values()} == {"success"}
    fake.trigger("tutorial", "f", logical_date=T0 - timedelta(hours=1))
    assert fake.complete_run("tutorial", "f", "failed")["state"] == "failed"
    with pytest.raises(ValueError, match="'success' or 'failed'"):
        fake.complete_run("tutorial", "f", "running")
    with pytest.raises(LookupError):
        fake.complete_run("tutorial", "nope")
    with pytest.raises(ValueError, match="not a task instance state"):
        fake.set_task_state("tutorial", "r", "sleep", "done")


# --- logs -----------------------------------------------------------------------------------------


def test_task_log_content_and_continuation(fake: FakeAirflow, clock: Clock) -> None:
    fake.trigger("tutorial", "r", logical_date="2025-01-01T00:00:00+00:00")
    path = run_path("tutorial", "r", task_id="print_date", task_try_number=1)
    empty = call(fake, "get_log", path)
    assert ast.literal_eval(empty["content"]) == [
        ("", " INFO - ::group::Log message source details\n INFO - ::endgroup::\n")
    ]
    fake.set_task_state("tutorial", "r", "print_date", "running")
    fake.log("tutorial", "r", "print_date", "hello from the task")
    first = call(fake, "get_log", path, {"full_content": True})
    ((host, text),) = ast.literal_eval(first["content"])
    assert host == "airflow-worker"
    assert text == (
        " INFO - ::group::Log message source details\n"
        "*** Found local files:\n"
        "***   * /opt/airflow/logs/dag_id=tutorial/run_id=r/task_id=print_date/attempt=1.log\n"
        " INFO - ::endgroup::\n"
        "[2026-01-15T12:30:00.000+0000] {taskinstance.py:2885} INFO - Starting attempt 1 of 2\n"
        "[2026-01-15T12:30:00.000+0000] {taskinstance.py:2908} INFO - "
        "Executing <Task(BashOperator): print_date> on 2025-01-01 00:00:00+00:00\n"
        "[2026-01-15T12:30:00.000+0000] {logging_mixin.py:190} INFO - hello from the task"
    )
    clock.tick(1)
    fake.set_task_state("tutorial", "r", "print_date", "success")
    more = call(fake, "get_log", path, {"token": first["continuation_token"]})
    assert ast.literal_eval(more["content"]) == [
        (
            "airflow-worker",
            "\n[2026-01-15T12:30:01.000+0000] {taskinstance.py:361} INFO - Marking task as SUCCESS. "
            "dag_id=tutorial, task_id=print_date, run_id=r, execution_date=20250101T000000, "
            "start_date=20260115T123000, end_date=20260115T123001",
        )
    ]
    zero = call(fake, "get_log", {**path, "task_try_number": 0})
    assert zero["content"] == "[('default_host', 'Error fetching the logs. Try number 0 is invalid.')]"
    reply = error(fake, "get_log", path, {"token": "forged.token"}, expect=400)
    assert problem_of(reply) == ("Bad Signature. Please use only the tokens provided by the API.", None)
    reply = error(fake, "get_log", {**path, "task_id": "nope"}, expect=404)
    assert problem_of(reply) == ("TaskInstance not found", None)
    never = call(fake, "get_log", {**path, "task_id": "sleep"})
    assert "Could not read served logs" not in never["content"]


# --- XCom -----------------------------------------------------------------------------------------


def test_xcom_entries_and_values(fake: FakeAirflow) -> None:
    fake.trigger("tutorial", "r", logical_date="2025-01-01T00:00:00+00:00")
    fake.add_xcom("tutorial", "r", "sleep", "return_value", {"answer": 42})
    fake.add_xcom("tutorial", "r", "print_date", "extra", "value")
    fake.add_xcom("tutorial", "r", "print_date", "another", [1, 2])
    entries = call(fake, "get_xcom_entries", run_path("tutorial", "r", task_id="~"))
    assert entries == {
        "total_entries": 3,
        "xcom_entries": [
            {
                "dag_id": "tutorial",
                "execution_date": "2025-01-01T00:00:00+00:00",
                "key": key,
                "map_index": -1,
                "task_id": task,
                "timestamp": "2026-01-15T12:30:00+00:00",
            }
            for task, key in (("print_date", "another"), ("print_date", "extra"), ("sleep", "return_value"))
        ],
    }
    one = call(fake, "get_xcom_entries", run_path("~", "~", task_id="print_date"), {"xcom_key": "extra"})
    assert [e["key"] for e in one["xcom_entries"]] == ["extra"]
    path = run_path("tutorial", "r", task_id="sleep", xcom_key="return_value")
    assert call(fake, "get_xcom_entry", path)["value"] == "{'answer': 42}"  # str() of the value
    assert call(fake, "get_xcom_entry", path, {"stringify": False})["value"] == {"answer": 42}
    reply = error(fake, "get_xcom_entry", path, {"deserialize": True}, expect=400)
    assert reply["detail"] == "XCom deserialization is disabled in configuration."
    reply = error(fake, "get_xcom_entry", {**path, "xcom_key": "nope"}, expect=404)
    assert problem_of(reply) == ("XCom entry not found", None)


# --- variables ------------------------------------------------------------------------------------


def test_variables_crud_and_update_mask(fake: FakeAirflow) -> None:
    created = call(fake, "post_variables", body={"key": "v", "value": "1"})
    assert created == {"key": "v", "value": "1"}  # no description sent, none answered
    assert call(fake, "get_variable", {"variable_key": "v"}) == {
        "description": None,
        "key": "v",
        "value": "1",
    }
    # POST again replaces the variable (no conflict), description included
    call(fake, "post_variables", body={"key": "v", "value": "2", "description": "d"})
    assert fake.variables["v"] == {"description": "d", "key": "v", "value": "2"}
    masked = call(
        fake,
        "patch_variable",
        {"variable_key": "v"},
        {"update_mask": ["description"]},
        {"key": "v", "value": "ignored", "description": "masked"},
    )
    assert masked == {"description": "masked", "key": "v", "value": "2"}
    reply = error(
        fake,
        "patch_variable",
        {"variable_key": "v"},
        {"update_mask": ["value"]},
        {"key": "v", "value": "3"},
        expect=400,
    )
    assert problem_of(reply) == ("Bad Request", "'value' is unknown or cannot be updated.")
    reply = error(
        fake,
        "patch_variable",
        {"variable_key": "v"},
        {"update_mask": ["description"]},
        {"key": "v", "value": "3"},
        expect=400,
    )
    assert reply["detail"] == "'description' is unknown or cannot be updated."
    replaced = call(fake, "patch_variable", {"variable_key": "v"}, body={"key": "v", "value": "3"})
    assert replaced == {"description": "masked", "key": "v", "value": "3"}
    reply = error(fake, "patch_variable", {"variable_key": "v"}, body={"key": "w", "value": "3"}, expect=400)
    assert problem_of(reply) == ("Invalid post body", "key from request body doesn't match uri parameter")
    reply = error(fake, "patch_variable", {"variable_key": "w"}, body={"key": "w", "value": "3"}, expect=404)
    assert problem_of(reply) == ("Variable not found", "Variable does not exist")
    reply = error(fake, "post_variables", body={"key": "x", "value": "1", "description": None}, expect=400)
    assert problem_of(reply) == ("Invalid Variable schema", "{'description': ['Field may not be null.']}")
    reply = error(fake, "post_variables", body={"key": "x"}, expect=400)
    assert reply["detail"] == "{'value': ['Missing data for required field.']}"
    assert call(fake, "delete_variable", {"variable_key": "v"}, expect=204) is None
    assert problem_of(error(fake, "delete_variable", {"variable_key": "v"}, expect=404)) == (
        "Variable not found",
        None,
    )
    reply = error(fake, "get_variable", {"variable_key": "v"}, expect=404)
    assert problem_of(reply) == ("Variable not found", "Variable does not exist")


def test_variables_list(fake: FakeAirflow) -> None:
    for key, value in (("b", "2"), ("a", "3"), ("c", "1")):
        fake.add_variable(key, value)
    listed = call(fake, "get_variables")
    assert [v["key"] for v in listed["variables"]] == ["b", "a", "c"] and listed["total_entries"] == 3
    assert listed["variables"][0] == {"description": None, "key": "b", "value": "2"}
    assert [v["key"] for v in call(fake, "get_variables", query={"order_by": "value"})["variables"]] == [
        "c",
        "b",
        "a",
    ]
    assert [
        v["key"] for v in call(fake, "get_variables", query={"order_by": "-key", "limit": 2})["variables"]
    ] == [
        "c",
        "b",
    ]
    reply = error(fake, "get_variables", query={"order_by": "description"}, expect=400)
    assert (
        reply["detail"]
        == "Ordering with 'description' is disallowed or the attribute does not exist on the model"
    )


# --- connections ----------------------------------------------------------------------------------


def test_connections_crud(fake: FakeAirflow) -> None:
    extra = json.dumps({"token": "abc", "x": 1, "nested": {"api_key": "k"}})
    created = call(
        fake,
        "post_connection",
        body={
            "connection_id": "c1",
            "conn_type": "http",
            "host": "h",
            "port": 80,
            "password": "pw",
            "extra": extra,
        },
    )
    assert created == {
        "conn_type": "http",
        "connection_id": "c1",
        "description": None,
        "extra": '{"token": "***", "x": 1, "nested": {"api_key": "***"}}',
        "host": "h",
        "login": None,
        "port": 80,
        "schema": None,
    }
    assert fake.connections["c1"]["password"] == "pw" and fake.connections["c1"]["extra"] == extra
    reply = error(fake, "post_connection", body={"connection_id": "c1", "conn_type": "http"}, expect=409)
    assert problem_of(reply) == ("Conflict", "Connection already exist. ID: c1")
    reply = error(fake, "post_connection", body={"connection_id": "bad id!", "conn_type": "http"}, expect=400)
    assert reply["detail"] == (
        "The key 'bad id!' has to be made of alphanumeric characters, dashes, dots "
        "and underscores exclusively"
    )
    assert call(fake, "get_connections") == {
        "connections": [
            {
                "conn_type": "http",
                "connection_id": "c1",
                "description": None,
                "host": "h",
                "login": None,
                "port": 80,
                "schema": None,
            }
        ],
        "total_entries": 1,
    }
    patched = call(
        fake,
        "patch_connection",
        {"connection_id": "c1"},
        {"update_mask": ["host"]},
        {"connection_id": "c1", "conn_type": "ftp", "host": "other"},
    )
    assert (patched["host"], patched["conn_type"], patched["port"]) == ("other", "http", 80)
    reply = error(
        fake,
        "patch_connection",
        {"connection_id": "c1"},
        {"update_mask": ["login"]},
        {"connection_id": "c1", "conn_type": "http"},
        expect=400,
    )
    assert reply["detail"] == "'login' is unknown or cannot be updated."
    reply = error(
        fake,
        "patch_connection",
        {"connection_id": "c1"},
        {"update_mask": ["connection_id"]},
        {"connection_id": "c1", "conn_type": "http"},
        expect=400,
    )
    assert reply["detail"] == "'connection_id' is unknown or cannot be updated."
    reply = error(
        fake,
        "patch_connection",
        {"connection_id": "c1"},
        body={"connection_id": "c2", "conn_type": "x"},
        expect=400,
    )
    assert reply["detail"] == "The connection_id cannot be updated."
    whole = call(
        fake, "patch_connection", {"connection_id": "c1"}, body={"connection_id": "c1", "conn_type": "ftp"}
    )
    assert (whole["conn_type"], whole["host"]) == ("ftp", "other")
    assert call(fake, "get_connection", {"connection_id": "c1"})["conn_type"] == "ftp"
    assert call(fake, "delete_connection", {"connection_id": "c1"}, expect=204) is None
    reply = error(fake, "get_connection", {"connection_id": "c1"}, expect=404)
    assert problem_of(reply) == (
        "Connection not found",
        "The Connection with connection_id: `c1` was not found",
    )
    error(fake, "delete_connection", {"connection_id": "c1"}, expect=404)


def test_connections_list_order(fake: FakeAirflow) -> None:
    fake.add_connection("b", "http", port=2)
    fake.add_connection("a", "ftp", port=None, extra={"password": "x"})
    assert fake.connections["a"]["extra"] == '{"password": "x"}'
    assert call(fake, "get_connection", {"connection_id": "a"})["extra"] == '{"password": "***"}'
    ids = [
        c["connection_id"] for c in call(fake, "get_connections", query={"order_by": "port"})["connections"]
    ]
    assert ids == ["a", "b"]  # NULL first
    reply = error(fake, "get_connections", query={"order_by": "login"}, expect=400)
    assert (
        reply["detail"] == "Ordering with 'login' is disallowed or the attribute does not exist on the model"
    )
    with pytest.raises(TypeError, match="unknown connection fields"):
        fake.add_connection("c", "http", hots="typo")


# --- pools ----------------------------------------------------------------------------------------


def test_pools_crud_and_update_mask(fake: FakeAirflow) -> None:
    assert call(fake, "get_pools") == {
        "pools": [
            {
                "deferred_slots": 0,
                "description": "Default pool",
                "include_deferred": False,
                "name": "default_pool",
                "occupied_slots": 0,
                "open_slots": 128,
                "queued_slots": 0,
                "running_slots": 0,
                "scheduled_slots": 0,
                "slots": 128,
            }
        ],
        "total_entries": 1,
    }
    created = call(fake, "post_pool", body={"name": "p", "slots": 2})
    assert (created["description"], created["include_deferred"], created["open_slots"]) == (None, False, 2)
    reply = error(fake, "post_pool", body={"name": "default_pool", "slots": 1}, expect=409)
    assert problem_of(reply) == ("Conflict", "Pool: default_pool already exists")
    reply = error(fake, "post_pool", body={"name": "q"}, expect=400)
    assert reply["detail"] == "Missing required property(ies): ['slots']"
    patched = call(
        fake,
        "patch_pool",
        {"pool_name": "p"},
        {"update_mask": ["slots", " description"]},
        {"slots": 5, "description": "d", "name": "ignored"},
    )
    assert (patched["name"], patched["slots"], patched["description"]) == ("p", 5, "d")
    reply = error(fake, "patch_pool", {"pool_name": "p"}, {"update_mask": ["nope"]}, {"slots": 1}, expect=400)
    assert reply["detail"] == "Invalid field: nope in update mask"
    error(fake, "patch_pool", {"pool_name": "p"}, {"update_mask": ["name"]}, {"slots": 1}, expect=500)
    reply = error(fake, "patch_pool", {"pool_name": "p"}, body={"slots": 4}, expect=400)
    assert reply["detail"] == "Missing required property(ies): ['name']"
    renamed = call(fake, "patch_pool", {"pool_name": "p"}, body={"name": "p2", "slots": 4})
    assert (renamed["name"], renamed["description"]) == ("p2", "d") and "p" not in fake.pools
    reply = error(
        fake,
        "patch_pool",
        {"pool_name": "default_pool"},
        {"update_mask": ["description"]},
        {"description": "x"},
        expect=400,
    )
    assert reply["detail"] == "Default Pool's name can't be modified"
    assert (
        call(fake, "patch_pool", {"pool_name": "default_pool"}, {"update_mask": ["slots"]}, {"slots": 64})[
            "slots"
        ]
        == 64
    )
    reply = error(fake, "delete_pool", {"pool_name": "default_pool"}, expect=400)
    assert problem_of(reply) == ("Bad Request", "Default Pool can't be deleted")
    assert call(fake, "delete_pool", {"pool_name": "p2"}, expect=204) is None
    reply = error(fake, "get_pool", {"pool_name": "p2"}, expect=404)
    assert problem_of(reply) == ("Not Found", "Pool with name:'p2' not found")
    error(fake, "delete_pool", {"pool_name": "p2"}, expect=404)


def test_pools_list_order(fake: FakeAirflow) -> None:
    fake.add_pool("a", 5)
    fake.add_pool("z", 1)
    names = [p["name"] for p in call(fake, "get_pools", query={"order_by": "slots"})["pools"]]
    assert names == ["z", "a", "default_pool"]
    assert [p["name"] for p in call(fake, "get_pools", query={"order_by": "-name"})["pools"]] == [
        "z",
        "default_pool",
        "a",
    ]
    error(fake, "get_pools", query={"order_by": "description"}, expect=400)


# --- monitoring and the rest ----------------------------------------------------------------------


def test_health_and_version(fake: FakeAirflow) -> None:
    assert call(fake, "get_health") == {
        "dag_processor": {"latest_dag_processor_heartbeat": None, "status": None},
        "metadatabase": {"status": "healthy"},
        "scheduler": {"latest_scheduler_heartbeat": "2026-01-15T12:30:00+00:00", "status": "healthy"},
        "triggerer": {"latest_triggerer_heartbeat": None, "status": None},
    }
    assert call(fake, "get_version") == {"git_version": "", "version": "2.11.2"}


def test_import_errors_warnings_and_plugins(fake: FakeAirflow) -> None:
    assert call(fake, "get_import_errors") == {"import_errors": [], "total_entries": 0}
    fake.add_import_error("/opt/airflow/dags/b.py", "Traceback ...")
    fake.add_import_error("/opt/airflow/dags/a.py", "Traceback ...")
    errors = call(fake, "get_import_errors", query={"order_by": "filename"})
    assert [e["filename"] for e in errors["import_errors"]] == [
        "/opt/airflow/dags/a.py",
        "/opt/airflow/dags/b.py",
    ]
    assert call(fake, "get_import_error", {"import_error_id": 1}) == {
        "filename": "/opt/airflow/dags/b.py",
        "import_error_id": 1,
        "stack_trace": "Traceback ...",
        "timestamp": "2026-01-15T12:30:00+00:00",
    }
    reply = error(fake, "get_import_error", {"import_error_id": 9}, expect=404)
    assert problem_of(reply) == (
        "Import error not found",
        "The ImportError with import_error_id: `9` was not found",
    )
    assert call(fake, "get_dag_warnings") == {"dag_warnings": [], "total_entries": 0}
    error(fake, "get_dag_warnings", query={"order_by": "x"}, expect=400)
    assert call(fake, "get_plugins") == {"plugins": [], "total_entries": 0}


# --- seeding --------------------------------------------------------------------------------------


def test_add_dag_chains_string_tasks_and_accepts_dag_fields(fake: FakeAirflow) -> None:
    dag = fake.add_dag(
        "etl",
        tasks=["extract", "transform", "load"],
        tags=["t"],
        schedule_interval="@hourly",
        description="ETL",
        owners=["data"],
        catchup=True,
        start_date=datetime(2025, 6, 1, 0, 30, tzinfo=UTC),
    )
    assert isinstance(dag, FakeDag) and fake.dags["etl"] is dag
    tasks = call(fake, "get_tasks", {"dag_id": "etl"})["tasks"]
    assert {t["task_id"]: t["downstream_task_ids"] for t in tasks} == {
        "extract": ["transform"],
        "load": [],
        "transform": ["load"],
    }
    got = call(fake, "get_dag", {"dag_id": "etl"})
    assert (got["is_paused"], got["owners"], got["timetable_description"]) == (False, ["data"], "Every hour")
    # catchup: the first interval after the start date
    assert (got["next_dagrun"], got["next_dagrun_data_interval_end"]) == (
        "2025-06-01T01:00:00+00:00",
        "2025-06-01T02:00:00+00:00",
    )
    run = fake.trigger("etl", "r", logical_date="2025-06-03T10:15:00+00:00")
    assert (run["data_interval_start"], run["data_interval_end"]) == (
        "2025-06-03T09:00:00+00:00",
        "2025-06-03T10:00:00+00:00",
    )
    with pytest.raises(ValueError, match="unknown downstream"):
        fake.add_dag("bad", tasks=[FakeTask("a", downstream=["b"])])
    with pytest.raises(ValueError, match="cannot trigger 'etl': 409 Conflict"):
        fake.trigger("etl", "r")


def test_constructor_takes_its_own_dags(clock: Clock) -> None:
    only = FakeAirflow(dags=[FakeDag("mine", [FakeTask("a")], schedule_interval="30 6 * * 1")], now=clock)
    assert list(only.dags) == ["mine"] and list(only.pools) == ["default_pool"]
    dag = call(only, "get_dag", {"dag_id": "mine"})
    assert dag["timetable_description"] == "At 06:30, only on Monday"
    assert (dag["next_dagrun"], dag["next_dagrun_create_after"]) == (
        "2026-01-05T06:30:00+00:00",
        "2026-01-12T06:30:00+00:00",
    )


def test_seeded_variables_pools_and_connections_are_served(fake: FakeAirflow) -> None:
    fake.add_variable("k", "v", "desc")
    fake.add_pool("p", 3, "pool", include_deferred=True)
    fake.add_connection("c", "postgres", host="db", port=5432, login="u", password="secret")
    assert call(fake, "get_variable", {"variable_key": "k"}) == {
        "description": "desc",
        "key": "k",
        "value": "v",
    }
    assert call(fake, "get_pool", {"pool_name": "p"})["include_deferred"] is True
    conn = call(fake, "get_connection", {"connection_id": "c"})
    assert (conn["host"], conn["port"], conn["login"], conn["extra"]) == ("db", 5432, "u", None)
    assert "password" not in conn


# --- every handler, once, against the spec --------------------------------------------------------


def _smoke_calls(fake: FakeAirflow) -> Iterator[tuple[str, Call, int]]:
    fake.trigger("tutorial", "r")
    fake.trigger("example_dynamic_task_mapping", "m")
    fake.set_task_state("tutorial", "r", "print_date", "success")
    fake.add_xcom("tutorial", "r", "print_date", "return_value", 1)
    fake.add_variable("v", "1")
    fake.add_connection("c", "http")
    fake.add_pool("p", 1)
    fake.add_import_error("/f.py", "trace")
    ti = {"dag_id": "tutorial", "dag_run_id": "r", "task_id": "sleep"}
    mapped = {
        "dag_id": "example_dynamic_task_mapping",
        "dag_run_id": "m",
        "task_id": "add_one",
        "map_index": "0",
    }
    token = fake.handle("get_dag", Call({"dag_id": "tutorial"}))[1]["file_token"]
    yield from [
        ("get_dags", Call(), 200),
        ("patch_dags", Call(query={"dag_id_pattern": "tut"}, body={"is_paused": False}), 200),
        ("get_dag", Call({"dag_id": "tutorial"}), 200),
        ("patch_dag", Call({"dag_id": "tutorial"}, body={"is_paused": True}), 200),
        ("get_dag_details", Call({"dag_id": "tutorial"}), 200),
        ("get_tasks", Call({"dag_id": "tutorial"}), 200),
        ("get_task", Call({"dag_id": "tutorial", "task_id": "sleep"}), 200),
        ("get_dag_stats", Call(query={"dag_ids": "tutorial"}), 200),
        ("get_dag_runs", Call({"dag_id": "~"}), 200),
        ("get_dag_runs_batch", Call(body={}), 200),
        ("get_dag_run", Call({"dag_id": "tutorial", "dag_run_id": "r"}), 200),
        (
            "post_dag_run",
            Call({"dag_id": "tutorial"}, body={"dag_run_id": "new", "logical_date": "2025-01-01T00:00:00Z"}),
            200,
        ),
        ("set_dag_run_note", Call({"dag_id": "tutorial", "dag_run_id": "new"}, body={"note": "n"}), 200),
        (
            "update_dag_run_state",
            Call({"dag_id": "tutorial", "dag_run_id": "new"}, body={"state": "failed"}),
            200,
        ),
        ("clear_dag_run", Call({"dag_id": "tutorial", "dag_run_id": "new"}, body={"dry_run": False}), 200),
        ("get_upstream_dataset_events", Call({"dag_id": "tutorial", "dag_run_id": "r"}), 200),
        ("get_task_instances", Call({"dag_id": "~", "dag_run_id": "~"}), 200),
        ("get_task_instances_batch", Call(body={}), 200),
        ("get_task_instance", Call(ti), 200),
        ("patch_task_instance", Call(ti, body={"new_state": "success"}), 200),
        ("set_task_instance_note", Call(ti, body={"note": "x"}), 200),
        ("get_task_instance_tries", Call(ti), 200),
        ("get_task_instance_try_details", Call({**ti, "task_try_number": "0"}), 200),
        ("get_extra_links", Call(ti), 200),
        ("get_log", Call({**ti, "task_try_number": "1"}), 200),
        ("get_mapped_task_instances", Call({k: v for k, v in mapped.items() if k != "map_index"}), 200),
        ("get_mapped_task_instance", Call(mapped), 200),
        ("patch_mapped_task_instance", Call(mapped, body={"new_state": "success"}), 200),
        ("set_mapped_task_instance_note", Call(mapped, body={"note": "x"}), 200),
        ("get_mapped_task_instance_tries", Call(mapped), 200),
        ("get_mapped_task_instance_try_details", Call({**mapped, "task_try_number": "0"}), 200),
        ("post_clear_task_instances", Call({"dag_id": "tutorial"}, body={}), 200),
        (
            "post_set_task_instances_state",
            Call(
                {"dag_id": "tutorial"},
                body={
                    "task_id": "sleep",
                    "dag_run_id": "r",
                    "new_state": "success",
                    "include_upstream": False,
                    "include_downstream": False,
                    "include_future": False,
                    "include_past": False,
                },
            ),
            200,
        ),
        ("get_xcom_entries", Call({"dag_id": "tutorial", "dag_run_id": "r", "task_id": "print_date"}), 200),
        (
            "get_xcom_entry",
            Call(
                {"dag_id": "tutorial", "dag_run_id": "r", "task_id": "print_date", "xcom_key": "return_value"}
            ),
            200,
        ),
        ("get_variables", Call(), 200),
        ("get_variable", Call({"variable_key": "v"}), 200),
        ("post_variables", Call(body={"key": "w", "value": "2"}), 200),
        ("patch_variable", Call({"variable_key": "w"}, body={"key": "w", "value": "3"}), 200),
        ("delete_variable", Call({"variable_key": "w"}), 204),
        ("get_connections", Call(), 200),
        ("get_connection", Call({"connection_id": "c"}), 200),
        ("post_connection", Call(body={"connection_id": "d", "conn_type": "http"}), 200),
        (
            "patch_connection",
            Call({"connection_id": "d"}, body={"connection_id": "d", "conn_type": "ftp"}),
            200,
        ),
        ("delete_connection", Call({"connection_id": "d"}), 204),
        ("get_pools", Call(), 200),
        ("get_pool", Call({"pool_name": "p"}), 200),
        ("post_pool", Call(body={"name": "q", "slots": 1}), 200),
        ("patch_pool", Call({"pool_name": "q"}, body={"name": "q", "slots": 2}), 200),
        ("delete_pool", Call({"pool_name": "q"}), 204),
        ("get_health", Call(), 200),
        ("get_version", Call(), 200),
        ("get_import_errors", Call(), 200),
        ("get_import_error", Call({"import_error_id": "1"}), 200),
        ("get_dag_warnings", Call(), 200),
        ("get_plugins", Call(), 200),
        ("get_datasets", Call(), 200),
        ("get_dataset", Call({"uri": "s3://nope"}), 404),
        ("get_dataset_events", Call(), 200),
        ("create_dataset_event", Call(body={"dataset_uri": "s3://nope"}), 404),
        ("get_dataset_queued_events", Call({"uri": "s3://nope"}), 404),
        ("delete_dataset_queued_events", Call({"uri": "s3://nope"}), 404),
        ("get_dag_dataset_queued_events", Call({"dag_id": "tutorial"}), 404),
        ("delete_dag_dataset_queued_events", Call({"dag_id": "tutorial"}), 404),
        ("get_dag_dataset_queued_event", Call({"dag_id": "tutorial", "uri": "s3://nope"}), 404),
        ("delete_dag_dataset_queued_event", Call({"dag_id": "tutorial", "uri": "s3://nope"}), 404),
        ("get_permissions", Call(), 200),
        ("get_roles", Call(), 200),
        ("get_role", Call({"role_name": "Viewer"}), 200),
        ("post_role", Call(body={"name": "r", "actions": []}), 200),
        ("patch_role", Call({"role_name": "r"}, body={"name": "r2"}), 200),
        ("delete_role", Call({"role_name": "r2"}), 204),
        ("get_users", Call(), 200),
        ("get_user", Call({"username": "admin"}), 200),
        ("post_user", Call(body={"username": "u", "email": "e", "first_name": "", "last_name": ""}), 200),
        (
            "patch_user",
            Call({"username": "u"}, body={"username": "u", "email": "e", "first_name": "F", "last_name": ""}),
            200,
        ),
        ("delete_user", Call({"username": "u"}), 204),
        ("get_config", Call(), 403),
        ("get_value", Call({"section": "core", "option": "dags_folder"}), 403),
        ("get_providers", Call(), 200),
        ("get_event_logs", Call(query={"order_by": "-when"}), 200),
        ("get_event_log", Call({"event_log_id": "1"}), 200),
        ("get_dag_source", Call({"file_token": token}), 200),
        ("get_task_instance_dependencies", Call(ti), 200),
        ("get_mapped_task_instance_dependencies", Call(mapped), 200),
        ("test_connection", Call(body={"connection_id": "t", "conn_type": "http"}), 403),
        ("reparse_dag_file", Call({"file_token": token}), 201),
        ("delete_dag_run", Call({"dag_id": "tutorial", "dag_run_id": "new"}), 204),
        ("delete_dag", Call({"dag_id": "example_python_operator"}), 204),
    ]


def test_every_handler_answers_as_the_spec_says(fake: FakeAirflow) -> None:
    calls = list(_smoke_calls(fake))
    assert {op for op, _, _ in calls} == set(fake.handlers)
    for op, request, status in calls:
        call(fake, op, request.path, request.query, request.body, expect=status)


def test_handlers_do_not_share_state_between_instances(clock: Clock) -> None:
    one, two = FakeAirflow(now=clock), FakeAirflow(now=clock)
    one.dags["tutorial"].is_paused = False
    assert two.dags["tutorial"].is_paused is True
    one.trigger("tutorial", "r")
    reply = one.dag_runs[("tutorial", "r")]
    reply["conf"]["x"] = 1  # a copy: the fake's state is untouched
    assert one.dag_runs[("tutorial", "r")]["conf"] == {} and two.dag_runs == {}
