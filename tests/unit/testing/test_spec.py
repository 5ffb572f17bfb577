"""The spec layer of the fake Airflow: routing, parameters, bodies, responses as Airflow 2.11.2 decides them.

Expected statuses, titles and details are what a real Airflow 2.11.2 webserver answered (connexion 2.15 with
strict validation, Werkzeug routing). Every violation a test produces is checked to point at a node of the
spec document.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_rest.testing._spec import (
    ANNOTATION_KEYWORDS,
    VALIDATION_KEYWORDS,
    Operation,
    ParsedRequest,
    Spec,
    SpecError,
    Violation,
    resolve_pointer,
    schema_keywords,
)

SPEC = Spec.load()
DOC = SPEC.document
BAD_REQUEST = (
    "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html#section/Errors/BadRequest"
)
NOT_FOUND_DETAIL = (
    "The requested URL was not found on the server. If you entered the URL manually please check your "
    "spelling and try again."
)


def _pointers_resolve(spec: Spec, violations: Iterable[Violation]) -> None:
    for violation in violations:
        resolve_pointer(spec.document, violation.pointer)  # raises when it does not resolve


def request(
    operation_id: str,
    query: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
    content_type: str | None = "application/json",
    path: Mapping[str, str] | None = None,
    spec: Spec = SPEC,
    headers: Mapping[str, str] | None = None,
) -> tuple[ParsedRequest, list[Violation]]:
    operation = spec.operations[operation_id]
    parsed, violations = spec.parse_request(
        operation, dict(path or {}), list(query), body, content_type, headers
    )
    _pointers_resolve(spec, violations)
    return parsed, violations


def problem_of(violations: list[Violation], spec: Spec = SPEC) -> tuple[int, dict[str, Any]]:
    answer = spec.request_problem(violations)
    assert answer is not None, "expected the request to be refused"
    return answer


def bad_request(detail: str | None, title: str | None = "Bad Request") -> tuple[int, dict[str, Any]]:
    return 400, {"detail": detail, "status": 400, "title": title, "type": BAD_REQUEST}


def response(
    operation_id: str, status: int, body: Any, content_type: str | None = "application/json"
) -> list[Violation]:
    violations = SPEC.check_response(SPEC.operations[operation_id], status, body, content_type)
    _pointers_resolve(SPEC, violations)
    return violations


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


# --------------------------------------------------------------------------------------------------
# loading


def test_load_is_cached_and_complete() -> None:
    assert Spec.load() is SPEC
    assert len(SPEC.operations) == 89
    assert SPEC.base_path == "/api/v1"


def test_operation_fields() -> None:
    patch_pool = SPEC.operations["patch_pool"]
    assert (patch_pool.method, patch_pool.path, patch_pool.tag) == ("PATCH", "/pools/{pool_name}", "Pool")
    assert patch_pool.pointer == "#/paths/~1pools~1{pool_name}/patch"
    assert patch_pool.body_schema == {"$ref": "#/components/schemas/Pool"}
    assert patch_pool.body_required is True
    assert patch_pool.responses[200] == {"$ref": "#/components/schemas/Pool"}
    by_name = {p.name: p for p in patch_pool.parameters}
    assert by_name["pool_name"].location == "path" and by_name["pool_name"].required
    mask = by_name["update_mask"]
    assert (mask.location, mask.style, mask.explode, mask.required) == ("query", "form", False, False)
    assert mask.pointer == "#/components/parameters/UpdateMask"
    assert mask.declared_at.startswith("#/paths/~1pools~1{pool_name}/patch/parameters/")
    assert SPEC.operations["delete_pool"].responses[204] is None
    assert SPEC.operations["get_user"].deprecated and not SPEC.operations["get_pool"].deprecated
    for operation in SPEC.operations.values():
        assert resolve_pointer(DOC, operation.pointer)["operationId"] == operation.operation_id
        for parameter in operation.parameters:
            assert resolve_pointer(DOC, parameter.pointer)["name"] == parameter.name


# --------------------------------------------------------------------------------------------------
# routing


def _sample_path(operation: Operation) -> tuple[str, dict[str, str]]:
    by_name = {p.name: p for p in operation.parameters if p.location == "path"}
    values: dict[str, str] = {}
    segments = []
    for segment in operation.path.split("/")[1:]:
        if segment.startswith("{"):
            name = segment[1:-1]
            schema = by_name[name].schema
            if schema.get("type") == "integer":
                value = "7"
            elif schema.get("format") == "path":
                value = "some/key:with spaces"
            else:
                value = "manual__2024-01-01T00:00:00+00:00"
            values[name] = value
            segments.append(value)
        else:
            segments.append(segment)
    from urllib.parse import quote

    return "/" + "/".join(quote(s, safe="/") for s in segments), values


@pytest.mark.parametrize("operation", list(SPEC.operations.values()), ids=lambda op: op.operation_id)
def test_every_operation_matches_its_own_template(operation: Operation) -> None:
    path, values = _sample_path(operation)
    match = SPEC.match(operation.method, path)
    assert match.operation is operation
    assert match.path_params == values
    assert match.status == 200 and match.violation is None
    assert SPEC.match(operation.method.lower(), "/api/v1" + path).operation is operation


@pytest.mark.parametrize(
    ("method", "path", "operation_id", "params"),
    [
        # literal segments win over templated ones
        ("POST", "/dags/~/dagRuns/list", "get_dag_runs_batch", {}),
        ("POST", "/dags/~/dagRuns/~/taskInstances/list", "get_task_instances_batch", {}),
        ("GET", "/datasets/events", "get_dataset_events", {}),
        ("GET", "/datasets/queuedEvent/x", "get_dataset_queued_events", {"uri": "x"}),
        (
            "GET",
            "/dags/d/dagRuns/r/taskInstances/t/links",
            "get_extra_links",
            {"dag_id": "d", "dag_run_id": "r", "task_id": "t"},
        ),
        # ... and the search backtracks to a template when the literal route lacks the method
        ("GET", "/dags/~/dagRuns/list", "get_dag_run", {"dag_id": "~", "dag_run_id": "list"}),
        ("DELETE", "/dags/~/dagRuns/list", "delete_dag_run", {"dag_id": "~", "dag_run_id": "list"}),
        ("PATCH", "/dags/~/dagRuns/list", "update_dag_run_state", {"dag_id": "~", "dag_run_id": "list"}),
        ("HEAD", "/connections/test", "get_connection", {"connection_id": "test"}),
        (
            "GET",
            "/dags/~/dagRuns/~/taskInstances/list",
            "get_task_instance",
            {"dag_id": "~", "dag_run_id": "~", "task_id": "list"},
        ),
        # integer path parameters only match digits
        (
            "GET",
            "/dags/d/dagRuns/r/taskInstances/t/3",
            "get_mapped_task_instance",
            {"dag_id": "d", "dag_run_id": "r", "task_id": "t", "map_index": "3"},
        ),
        ("GET", "/eventLogs/12", "get_event_log", {"event_log_id": "12"}),
        # format: path parameters take the rest of the path, trailing slash included
        ("GET", "/variables/a/b", "get_variable", {"variable_key": "a/b"}),
        ("GET", "/variables/a/", "get_variable", {"variable_key": "a/"}),
        ("GET", "/datasets/airflow-rest%3A%2F%2Fa%2F", "get_dataset", {"uri": "airflow-rest://a/"}),
        ("GET", "/datasets/s3://bucket/key", "get_dataset", {"uri": "s3://bucket/key"}),
        # percent-encoded ids are decoded; HEAD is routed like GET
        (
            "GET",
            "/dags/my_dag/dagRuns/manual__2024-01-01T00%3A00%3A00%2B00%3A00",
            "get_dag_run",
            {"dag_id": "my_dag", "dag_run_id": "manual__2024-01-01T00:00:00+00:00"},
        ),
        ("GET", "/dags/caf%C3%A9", "get_dag", {"dag_id": "café"}),
        ("HEAD", "/pools", "get_pools", {}),
        ("get", "/pools?limit=1", "get_pools", {}),
    ],
)
def test_routing(method: str, path: str, operation_id: str, params: dict[str, str]) -> None:
    match = SPEC.match(method, path)
    assert match.operation is not None and match.operation.operation_id == operation_id
    assert match.path_params == params


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/pools/",  # strict slashes: no route ends with a slash
        "/dags/x/",
        "/eventLogs/abc",  # the integer converter does not match: 404, not 400
        "/eventLogs/-1",
        "/importErrors/1.5",
        "/dags/x/dagRuns/r/taskInstances/t/-1",
        "/dags/a%2Fb",  # the path is decoded before routing: %2F is a slash
        "/variables/",
        "",
        "/",
    ],
)
def test_not_found(path: str) -> None:
    match = SPEC.match("GET", path)
    assert (match.operation, match.allowed, match.status) == (None, (), 404)
    assert match.violation is not None
    assert SPEC.request_problem([match.violation]) == (
        404,
        {"detail": NOT_FOUND_DETAIL, "status": 404, "title": "Not Found", "type": "about:blank"},
    )
    assert match.violation.operation == "" and match.violation.location == "path"
    _pointers_resolve(SPEC, [match.violation])


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/pools", ("GET", "POST")),
        ("PUT", "/dags/x", ("DELETE", "GET", "PATCH")),
        ("POST", "/datasets/x", ("GET",)),
        ("PUT", "/connections/test", ("DELETE", "GET", "PATCH", "POST")),
        ("PUT", "/dags/~/dagRuns/list", ("DELETE", "GET", "PATCH", "POST")),
    ],
)
def test_method_not_allowed(method: str, path: str, allowed: tuple[str, ...]) -> None:
    match = SPEC.match(method, path)
    assert (match.operation, match.allowed, match.status) == (None, allowed, 405)
    assert match.violation is not None and match.violation.location == "method"
    assert SPEC.request_problem([match.violation]) == (
        405,
        {
            "detail": "The method is not allowed for the requested URL.",
            "status": 405,
            "title": "Method Not Allowed",
            "type": "about:blank",
        },
    )
    _pointers_resolve(SPEC, [match.violation])


def test_doubled_slashes_redirect_to_the_merged_path() -> None:
    match = SPEC.match("GET", "//dags")
    assert (match.operation, match.redirect, match.status) == (None, "/dags", 308)
    assert SPEC.match("GET", "/dags//dagRuns").redirect == "/dags/dagRuns"
    assert SPEC.match("GET", "/dags/a%20b//dagRuns").redirect == "/dags/a%20b/dagRuns"
    # a format: path value cannot start with a slash, so this one is merged too
    assert SPEC.match("GET", "/variables//a").redirect == "/variables/a"
    # the merged path must match with the method; otherwise the usual 405 / 404
    assert SPEC.match("DELETE", "//pools").status == 405
    assert SPEC.match("GET", "//nope").status == 404


def test_options_on_a_known_path() -> None:
    match = SPEC.match("OPTIONS", "/pools")
    assert (match.operation, match.options, match.status, match.allowed) == (None, True, 200, ("GET", "POST"))
    assert match.allow_header == "GET, HEAD, POST, OPTIONS"
    assert SPEC.match("OPTIONS", "/nope").status == 404


# --------------------------------------------------------------------------------------------------
# query, path and header parameters


def test_defaults_are_filled_in() -> None:
    parsed, violations = request("get_dags")
    assert violations == []
    assert parsed.query == {"limit": 100, "only_active": True}
    assert parsed.defaulted == {"limit", "only_active"}
    parsed, _ = request(
        "get_xcom_entry", path={"dag_id": "d", "dag_run_id": "r", "task_id": "t", "xcom_key": "k"}
    )
    assert parsed.query == {"deserialize": False, "stringify": True}
    assert parsed.path == {"dag_id": "d", "dag_run_id": "r", "task_id": "t", "xcom_key": "k"}
    parsed, _ = request("get_dags", [("limit", "5")])
    assert parsed.query["limit"] == 5 and parsed.defaulted == {"only_active"}


def test_wrong_query_type() -> None:
    parsed, violations = request("get_dags", [("limit", "abc")])
    assert problem_of(violations) == bad_request("Wrong type, expected 'integer' for query parameter 'limit'")
    (violation,) = violations
    assert violation.location == "query.limit"
    assert violation.pointer == "#/components/parameters/PageLimit/schema"
    assert violation.where == "GET /dags" and violation.operation == "get_dags"
    assert str(violation) == (
        "request GET /dags: query.limit: Wrong type, expected 'integer' for query parameter 'limit' "
        "(spec #/components/parameters/PageLimit/schema)"
    )
    assert parsed.query["limit"] == "abc"


@pytest.mark.parametrize("value", ["1.5", "", "ten", "1e3"])
def test_integers_are_what_int_accepts(value: str) -> None:
    _, violations = request("get_dags", [("limit", value)])
    assert problem_of(violations)[1]["detail"] == "Wrong type, expected 'integer' for query parameter 'limit'"


@pytest.mark.parametrize(("value", "expected"), [("7", 7), ("+7", 7), (" 7 ", 7), ("0", 0), ("1_000", 1000)])
def test_integer_forms_connexion_accepts(value: str, expected: int) -> None:
    parsed, violations = request("get_dags", [("limit", value)])
    assert violations == [] and parsed.query["limit"] == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("True", True), ("FALSE", False), ("false", False)]
)
def test_booleans(value: str, expected: bool) -> None:
    parsed, violations = request("get_dags", [("paused", value)])
    assert violations == [] and parsed.query["paused"] is expected


@pytest.mark.parametrize("value", ["1", "yes", "", "t"])
def test_wrong_booleans(value: str) -> None:
    _, violations = request("get_dags", [("paused", value)])
    assert problem_of(violations) == bad_request(
        "Wrong type, expected 'boolean' for query parameter 'paused'"
    )


def test_numbers() -> None:
    path = {"dag_id": "~", "dag_run_id": "~"}
    parsed, violations = request(
        "get_task_instances", [("duration_gte", "1.5"), ("duration_lte", "nan")], path=path
    )
    assert violations == [] and parsed.query["duration_gte"] == 1.5
    _, violations = request("get_task_instances", [("duration_gte", "abc")], path=path)
    assert problem_of(violations) == bad_request(
        "Wrong type, expected 'number' for query parameter 'duration_gte'"
    )


def test_minimum_gives_the_long_jsonschema_message() -> None:
    # connexion prints the schema as its spec has it: the real server's is {'type': 'integer',
    # 'minimum': 0}; the corrected one also bounds the offset to 64 bits (integers-fit-in-64-bits)
    _, violations = request("get_dags", [("offset", "-1")])
    assert problem_of(violations) == bad_request(
        "-1 is less than the minimum of 0\n\nFailed validating 'minimum' in schema:\n"
        "    {'type': 'integer', 'maximum': 9223372036854775807, 'minimum': 0}\n\nOn instance:\n    -1"
    )
    assert violations[0].message == "-1 is less than the minimum of 0"
    assert violations[0].pointer == "#/components/parameters/PageOffset/schema"


def test_negative_limit_is_not_a_spec_matter() -> None:
    # The real server refuses it in the view ("Page limit must be a positive integer", detail null).
    parsed, violations = request("get_dags", [("limit", "-1")])
    assert violations == [] and parsed.query["limit"] == -1


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T00:00:00Z",
        "2024-01-01t00:00:00z",
        "2024-02-29T23:59:59.123456-05:30",
    ],
)
def test_date_times_stay_strings(value: str) -> None:
    parsed, violations = request("get_dag_runs", [("execution_date_gte", value)], path={"dag_id": "~"})
    assert violations == [] and parsed.query["execution_date_gte"] == value


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01",
        "nope",
        "2024-01-01T00:00:00",  # no offset
        "2024-01-01T00:00:00 00:00",  # an unencoded + arrives as a space
        "2023-02-29T00:00:00Z",  # no such day
        "0000-01-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
    ],
)
def test_bad_date_times(value: str) -> None:
    _, violations = request("get_dag_runs", [("execution_date_gte", value)], path={"dag_id": "~"})
    assert problem_of(violations) == bad_request(
        f"{value!r} is not a 'date-time'\n\nFailed validating 'format' in schema:\n"
        f"    {{'type': 'string', 'format': 'date-time'}}\n\nOn instance:\n    {value!r}"
    )
    assert violations[0].location == "query.execution_date_gte"


def test_unknown_query_parameters_are_refused_with_a_null_title() -> None:
    _, violations = request("get_pool", [("x", "1"), ("a", "2")], path={"pool_name": "p"})
    assert problem_of(violations) == bad_request("Extra query parameter(s) a, x not in spec", title=None)
    assert [v.location for v in violations] == ["query.a", "query.x"]
    assert violations[0].pointer == "#/paths/~1pools~1{pool_name}/get"


def test_repeated_scalar_takes_the_last_value() -> None:
    parsed, violations = request("get_dags", [("limit", "x"), ("limit", "2")])
    assert violations == [] and parsed.query["limit"] == 2
    _, violations = request("get_dags", [("limit", "1"), ("limit", "x")])
    assert problem_of(violations)[0] == 400


def test_exploded_arrays_join_repeats_and_split_commas() -> None:
    parsed, violations = request("get_dags", [("tags", "a,b"), ("tags", "c")])
    assert violations == [] and parsed.query["tags"] == ["a", "b", "c"]
    path = {"dag_id": "~", "dag_run_id": "~"}
    parsed, _ = request("get_task_instances", [("state", "")], path=path)
    assert parsed.query["state"] == [""]
    parsed, _ = request(
        "get_task_instances", [("state", "running"), ("pool", "p1"), ("state", "queued")], path=path
    )
    assert parsed.query["state"] == ["running", "queued"] and parsed.query["pool"] == ["p1"]


def test_update_mask_is_not_exploded() -> None:
    parsed, violations = request(
        "patch_pool", [("update_mask", "slots,description")], body({"slots": 3}), path={"pool_name": "p"}
    )
    assert violations == [] and parsed.query["update_mask"] == ["slots", "description"]
    # repeated: the last one wins, as on the real server (only `is_paused` was applied)
    parsed, _ = request(
        "patch_pool", [("update_mask", "a"), ("update_mask", "b,c")], body({}), path={"pool_name": "p"}
    )
    assert parsed.query["update_mask"] == ["b", "c"]


def test_free_enum_filters_are_not_checked() -> None:
    # FilterState has no enum: the real server answers 200 with nothing for ?state=nope
    parsed, violations = request("get_dag_runs", [("state", "nope")], path={"dag_id": "~"})
    assert violations == [] and parsed.query["state"] == ["nope"]


def test_missing_required_query_parameter() -> None:
    _, violations = request("get_dag_stats")
    assert problem_of(violations) == bad_request("Missing query parameter 'dag_ids'")
    assert violations[0].location == "query.dag_ids"
    _, violations = request("patch_dags", body=body({"is_paused": True}))
    assert problem_of(violations) == bad_request("Missing query parameter 'dag_id_pattern'")
    parsed, violations = request("get_dag_stats", [("dag_ids", "")])
    assert violations == [] and parsed.query["dag_ids"] == ""


def test_path_parameters_are_typed() -> None:
    path = {"dag_id": "d", "dag_run_id": "r", "task_id": "t", "map_index": "3"}
    parsed, violations = request("get_mapped_task_instance", path=path)
    assert violations == [] and parsed.path["map_index"] == 3
    _, violations = request("get_mapped_task_instance", path={**path, "map_index": "x"})
    assert problem_of(violations) == bad_request(
        "Wrong type, expected 'integer' for path parameter 'map_index'"
    )
    _, violations = request("get_mapped_task_instance", path={"dag_id": "d"})
    assert problem_of(violations) == bad_request("Missing path parameter 'dag_run_id'")


def test_an_operation_without_parameters_takes_any_query_string() -> None:
    # connexion validates parameters only where an operation declares some: the real 2.11.2 answers
    # GET /health?bogus=1, /version?x=1 and /providers?x=1 with 200, GET /dags?bogus=1 with 400
    for operation_id in ("get_health", "get_version", "get_providers"):
        assert not SPEC.operations[operation_id].parameters
        _, violations = request(operation_id, [("bogus", "1")])
        assert violations == [], operation_id
    _, violations = request("get_dags", [("bogus", "1")])
    assert [v.location for v in violations] == ["query.bogus"]


def test_order_body_then_extra_query_then_parameters() -> None:
    # the real server: a bad body wins over an unknown query parameter, which wins over a bad one
    _, violations = request("patch_dags", [("limit", "abc"), ("nope", "1")], body({"is_paused": "x"}))
    assert problem_of(violations) == bad_request("'x' is not of type 'boolean' - 'is_paused'")
    _, violations = request("patch_dags", [("limit", "abc"), ("nope", "1")], body({"is_paused": False}))
    assert problem_of(violations) == bad_request("Extra query parameter(s) nope not in spec", title=None)
    _, violations = request(
        "patch_dags", [("limit", "abc"), ("dag_id_pattern", "x")], body({"is_paused": False})
    )
    assert problem_of(violations) == bad_request("Wrong type, expected 'integer' for query parameter 'limit'")


HEADER_DOC: dict[str, Any] = {
    "openapi": "3.0.3",
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/things/{ids}": {
            "get": {
                "operationId": "get_things",
                "parameters": [
                    {"in": "path", "name": "ids", "required": True, "schema": {"type": "string"}},
                    {
                        "in": "header",
                        "name": "X-Count",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    {
                        "in": "header",
                        "name": "X-Tags",
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    },
                    {
                        "in": "query",
                        "name": "piped",
                        "style": "pipeDelimited",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                    {
                        "in": "query",
                        "name": "spaced",
                        "style": "spaceDelimited",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                    {"in": "query", "name": "maybe", "schema": {"type": "integer", "nullable": True}},
                ],
                "responses": {
                    "default": {"description": "x", "content": {"application/json": {"schema": {}}}}
                },
            }
        }
    },
}


def test_header_parameters_and_other_styles() -> None:
    spec = Spec.load(HEADER_DOC)
    headers = {"x-count": "2", "X-Tags": "1,2,x"}
    query = [("piped", "a|b"), ("spaced", "c d"), ("maybe", "null")]
    parsed, violations = request("get_things", query, path={"ids": "1"}, spec=spec, headers=headers)
    assert parsed.headers == {"X-Count": 2, "X-Tags": [1, 2, "x"]}
    assert parsed.query == {"piped": ["a", "b"], "spaced": ["c", "d"], "maybe": None}
    assert problem_of(violations, spec) == bad_request(
        "'x' is not of type 'integer'\n\nFailed validating 'type' in schema['items']:\n"
        "    {'type': 'integer'}\n\nOn instance[2]:\n    'x'"
    )
    assert violations[0].location == "header.X-Tags[2]"
    _, violations = request("get_things", path={"ids": "1"}, spec=spec)
    assert problem_of(violations, spec) == bad_request("Missing header parameter 'X-Count'")
    _, violations = request("get_things", path={"ids": "1"}, spec=spec, headers={"X-Count": "0"})
    assert violations[0].message == "0 is less than the minimum of 1"
    response_violations = spec.check_response(spec.operations["get_things"], 599, {"any": "thing"})
    assert response_violations == []


# --------------------------------------------------------------------------------------------------
# request bodies


def test_body_wrong_type() -> None:
    _, violations = request("post_pool", body=body({"name": "p", "slots": "x"}))
    assert problem_of(violations) == bad_request("'x' is not of type 'integer' - 'slots'")
    (violation,) = violations
    assert (violation.location, violation.pointer) == (
        "body.slots",
        "#/components/schemas/Pool/properties/slots",
    )


def test_the_first_error_is_the_real_servers() -> None:
    # what Airflow 2.11.2 answered: `type` before `readOnly` (its YAML's order), properties in order
    _, violations = request("post_pool", body=body({"name": "p", "slots": 1, "occupied_slots": "x"}))
    assert problem_of(violations) == bad_request("'x' is not of type 'integer' - 'occupied_slots'")
    _, violations = request("post_role", body=body({"name": "", "actions": [{"action": {"name": 1}}]}))
    assert problem_of(violations) == bad_request("'' should be non-empty - 'name'")


def test_body_read_only_property() -> None:
    _, violations = request("post_pool", body=body({"name": "p", "slots": 1, "occupied_slots": 1}))
    assert problem_of(violations) == bad_request("Property is read-only - 'occupied_slots'")
    assert violations[0].pointer == "#/components/schemas/Pool/properties/occupied_slots"
    _, violations = request("patch_dag", body=body({"is_paused": False, "dag_id": "x"}), path={"dag_id": "x"})
    assert problem_of(violations) == bad_request("Property is read-only - 'dag_id'")
    # a read-only $ref (ScheduleInterval, whose anyOf has a discriminator)
    schedule = {"__type": "CronExpression", "value": "@daily"}
    _, violations = request(
        "patch_dag", body=body({"is_paused": False, "schedule_interval": schedule}), path={"dag_id": "x"}
    )
    assert problem_of(violations) == bad_request("Property is read-only - 'schedule_interval'")
    assert violations[0].pointer == "#/components/schemas/ScheduleInterval"


def test_body_good_and_unknown_fields() -> None:
    parsed, violations = request(
        "post_pool", body=body({"name": "p", "slots": 1, "bogus": 1, "description": None})
    )
    assert violations == []
    assert parsed.body == {"name": "p", "slots": 1, "bogus": 1, "description": None}
    # undeclared fields are allowed by the spec; Airflow's own schema refuses them in the view
    assert SPEC.undeclared_body_fields(SPEC.operations["post_pool"], parsed.body) == ["bogus"]
    assert SPEC.undeclared_body_fields(SPEC.operations["post_variables"], {"key": "k", "value": "v"}) == []


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b"not json", "application/json", bad_request("Request body is not valid JSON")),
        (b"null", "application/json", bad_request("Request body is not valid JSON")),
        (b"", "application/json", bad_request("Request body must not be empty")),
        (None, None, bad_request("Request body must not be empty")),
        (b"", "text/plain", bad_request("Request body must not be empty")),
        (b"[1]", "application/json", bad_request("[1] is not of type 'object'")),
        (b'"str"', "application/json", bad_request("'str' is not of type 'object'")),
        (b"false", "application/json", bad_request("False is not of type 'object'")),
        (b"0", "application/json", bad_request("0 is not of type 'object'")),
        (
            b'{"name": "p", "slots": "x"}',
            "application/merge-patch+json",
            bad_request("'x' is not of type 'integer' - 'slots'"),
        ),
        (
            b'{"name": "p", "slots": "x"}',
            "application/json; charset=utf-8",
            bad_request("'x' is not of type 'integer' - 'slots'"),
        ),
        (
            b'{"name": "p", "slots": 1}',
            "text/plain",
            (
                415,
                {
                    "detail": "Invalid Content-type (text/plain), expected JSON data",
                    "status": 415,
                    "title": "Unsupported Media Type",
                    "type": "about:blank",
                },
            ),
        ),
        (
            b'{"name": "p", "slots": 1}',
            None,
            (
                415,
                {
                    "detail": "Invalid Content-type (), expected JSON data",
                    "status": 415,
                    "title": "Unsupported Media Type",
                    "type": "about:blank",
                },
            ),
        ),
    ],
)
def test_body_framing(
    raw: bytes | None, content_type: str | None, expected: tuple[int, dict[str, Any]]
) -> None:
    _, violations = request("post_pool", body=raw, content_type=content_type)
    assert problem_of(violations) == expected


def test_body_not_required_by_the_spec_is_still_required() -> None:
    operation = SPEC.operations["patch_mapped_task_instance"]
    assert operation.body_required is False
    path = {"dag_id": "d", "dag_run_id": "r", "task_id": "t", "map_index": "1"}
    _, violations = request("patch_mapped_task_instance", path=path)
    assert problem_of(violations) == bad_request("Request body must not be empty")
    assert violations[0].pointer == operation.pointer + "/requestBody"


def test_body_required_properties() -> None:
    _, violations = request("post_variables", body=body({"key": "k"}))
    # (the real server's own schema words it "{'value': ['Missing data for required field.']}")
    assert problem_of(violations) == bad_request("'value' is a required property")
    assert (violations[0].location, violations[0].pointer) == (
        "body.value",
        "#/components/schemas/Variable/allOf/1",
    )
    _, violations = request("create_dataset_event", body=body({}))
    assert problem_of(violations) == bad_request("'dataset_uri' is a required property")


def test_body_nullable() -> None:
    connection = {"connection_id": "c", "conn_type": "http", "port": None, "host": None, "extra": None}
    _, violations = request("post_connection", body=body(connection))
    assert violations == []
    _, violations = request(
        "update_dag_run_state", body=body({"state": None}), path={"dag_id": "d", "dag_run_id": "r"}
    )
    assert problem_of(violations) == bad_request("None is not of type 'string' - 'state'")


def test_body_enum() -> None:
    _, violations = request(
        "update_dag_run_state", body=body({"state": "nope"}), path={"dag_id": "d", "dag_run_id": "r"}
    )
    assert problem_of(violations) == bad_request(
        "'nope' is not one of ['success', 'failed', 'queued'] - 'state'"
    )
    assert violations[0].pointer == "#/components/schemas/UpdateDagRunState/properties/state"
    _, violations = request(
        "post_set_task_instances_state",
        body=body(
            {
                "task_id": "t",
                "new_state": "running",
                "include_upstream": False,
                "include_downstream": False,
                "include_future": False,
                "include_past": False,
            }
        ),
        path={"dag_id": "d"},
    )
    assert problem_of(violations) == bad_request(
        "'running' is not one of ['success', 'failed', 'skipped'] - 'new_state'"
    )
    assert violations[0].pointer == "#/components/schemas/UpdateTaskState"


def test_body_nested_and_date_time() -> None:
    _, violations = request("get_dag_runs_batch", body=body({"page_limit": 0, "states": ["ok", 1]}))
    assert sorted(v.detail or "" for v in violations) == [
        "0 is less than the minimum of 1 - 'page_limit'",
        "1 is not of type 'string' - 'states.1'",
    ]
    assert {v.location for v in violations} == {"body.page_limit", "body.states[1]"}
    assert "#/components/schemas/ListDagRunsForm/properties/states/items" in {v.pointer for v in violations}
    _, violations = request("post_clear_task_instances", body=body({"task_ids": []}), path={"dag_id": "d"})
    assert problem_of(violations) == bad_request("[] should be non-empty - 'task_ids'")
    _, violations = request("post_dag_run", body=body({"logical_date": "2024-01-01"}), path={"dag_id": "d"})
    assert problem_of(violations) == bad_request("'2024-01-01' is not a 'date-time' - 'logical_date'")
    _, violations = request("post_role", body=body({"name": "", "actions": [{"action": {"name": 1}}]}))
    assert {v.detail for v in violations} == {
        "'' should be non-empty - 'name'",
        "1 is not of type 'string' - 'actions.0.action.name'",
        "'resource' is a required property - 'actions.0'",  # correction role-action-needs-resource
    }
    assert "body.actions[0].action.name" in {v.location for v in violations}


def test_body_defaults_are_not_filled_in_but_can_be_read() -> None:
    parsed, violations = request(
        "post_clear_task_instances", body=body({"dag_run_id": None}), path={"dag_id": "d"}
    )
    assert violations == [] and parsed.body == {"dag_run_id": None}
    assert SPEC.body_defaults(SPEC.operations["post_clear_task_instances"]) == {
        "dry_run": True,
        "include_downstream": False,
        "include_future": False,
        "include_past": False,
        "include_upstream": False,
        "only_failed": True,
        "only_running": False,
    }
    assert SPEC.body_defaults(SPEC.operations["get_pools"]) == {}


# --------------------------------------------------------------------------------------------------
# responses


def task_instance(**changes: Any) -> dict[str, Any]:
    """A task instance with all 29 fields, as Airflow 2.11.2 sends it."""
    item: dict[str, Any] = {
        "dag_id": "airflow_rest_smoke",
        "dag_run_id": "manual__2026-11-22T04:13:15.134323+00:00",
        "duration": 0.127936,
        "end_date": "2026-11-22T04:13:18.605363+00:00",
        "execution_date": "2026-11-22T04:13:15.134323+00:00",
        "executor": None,
        "executor_config": "{}",
        "hostname": "vm",
        "map_index": -1,
        "max_tries": 0,
        "note": None,
        "operator": "PythonOperator",
        "pid": 13234,
        "pool": "default_pool",
        "pool_slots": 1,
        "priority_weight": 3,
        "queue": "default",
        "queued_when": "2026-11-22T04:13:16.627873+00:00",
        "rendered_fields": {"op_args": [], "op_kwargs": {}, "templates_dict": None},
        "rendered_map_index": None,
        "sla_miss": None,
        "start_date": "2026-11-22T04:13:18.477427+00:00",
        "state": "success",
        "task_display_name": "push",
        "task_id": "push",
        "trigger": None,
        "triggerer_job": None,
        "try_number": 1,
        "unixname": "root",
    }
    item.update(changes)
    return item


NOT_YET_SCHEDULED: dict[str, Any] = {
    "duration": None,
    "end_date": None,
    "hostname": "",
    "pid": None,
    "queued_when": None,
    "rendered_fields": {},
    "start_date": None,
    "state": None,
    "try_number": 0,
}


def task_instances(count: int) -> dict[str, Any]:
    items = []
    for i in range(count):
        if i % 3 == 0:
            items.append(task_instance(task_id=f"t{i}", **NOT_YET_SCHEDULED))
        elif i % 3 == 1:
            items.append(task_instance(task_id=f"t{i}", map_index=i, note="n", state="up_for_retry"))
        else:
            items.append(
                task_instance(task_id=f"t{i}", executor="LocalExecutor", operator=None, priority_weight=None)
            )
    return {"task_instances": items, "total_entries": count * 3}


def test_task_instance_collection_with_nulls() -> None:
    assert len(task_instance()) == 29
    assert response("get_task_instances", 200, task_instances(30)) == []
    assert response("get_task_instances_batch", 200, task_instances(3)) == []
    assert response("get_task_instances", 200, {"task_instances": [], "total_entries": 0}) == []
    assert response("get_task_instances", 200, json.dumps(task_instances(2)).encode()) == []


def test_task_instance_collection_violations() -> None:
    collection = task_instances(9)
    collection["task_instances"][2]["state"] = "nope"
    collection["task_instances"][5]["start_date"] = "yesterday"
    collection["task_instances"][7]["try_number"] = None
    collection["task_instances"][8]["sla_miss"] = {"dag_id": 1}
    collection["total_entries"] = "9"
    found = {(v.location, v.pointer, v.message) for v in response("get_task_instances", 200, collection)}
    states = repr(resolve_pointer(DOC, "#/components/schemas/TaskState/enum"))
    assert found == {
        ("body.task_instances[2].state", "#/components/schemas/TaskState", f"'nope' is not one of {states}"),
        (
            "body.task_instances[5].start_date",
            "#/components/schemas/TaskInstance/properties/start_date",
            "'yesterday' is not a 'date-time'",
        ),
        (
            "body.task_instances[7].try_number",
            "#/components/schemas/TaskInstance/properties/try_number",
            "None is not of type 'integer'",
        ),
        (
            "body.task_instances[8].sla_miss.dag_id",
            "#/components/schemas/SLAMiss/properties/dag_id",
            "1 is not of type 'string'",
        ),
        (
            "body.total_entries",
            "#/components/schemas/CollectionInfo/properties/total_entries",
            "'9' is not of type 'integer'",
        ),
    }
    (missing,) = response("get_task_instances", 200, {"total_entries": 0})
    assert (missing.location, missing.message) == (
        "body.task_instances",
        "'task_instances' is a required property",
    )
    assert missing.side == "response" and missing.status == 500


def test_a_100_item_collection_is_checked_item_by_item() -> None:
    operation = SPEC.operations["get_task_instances"]
    collection = task_instances(100)
    assert SPEC.check_response(operation, 200, collection) == []
    collection["task_instances"][99]["try_number"] = "one"
    (violation,) = SPEC.check_response(operation, 200, collection)
    assert violation.location == "body.task_instances[99].try_number", violation


def test_status_not_declared() -> None:
    (violation,) = response("get_pools", 418, {})
    assert violation.location == "status"
    assert violation.pointer == "#/paths/~1pools/get/responses"
    assert violation.message == "status 418 is not declared (declared: 200, 400, 401, 403)"
    assert str(violation) == (
        "response GET /pools: status: status 418 is not declared (declared: 200, 400, 401, 403) "
        "(spec #/paths/~1pools/get/responses)"
    )


def test_no_content_responses() -> None:
    # (the 204 of delete_pool declares text/html, the type of its empty body: correction no-content-types)
    assert (
        response("delete_pool", 204, None, None) == []
        and response("delete_pool", 204, b"", "text/html") == []
    )
    (violation,) = response("delete_pool", 204, {"name": "p"}, "text/html")
    assert violation.message == "status 204 declares no body"
    assert violation.pointer == "#/paths/~1pools~1{pool_name}/delete/responses/204"


def test_problem_json_responses() -> None:
    not_found = SPEC.problem(404, "Pool not found", "Pool with name:'p' not found")
    assert not_found["type"].endswith("#section/Errors/NotFound")
    assert response("get_pool", 404, not_found, "application/problem+json") == []
    forbidden = {"detail": None, "status": 403, "title": "Forbidden", "type": "about:blank"}
    assert response("get_pool", 403, forbidden, "application/problem+json") == []
    # The unknown-query-parameter answer has "title": null (correction error-title-nullable).
    extra = SPEC.problem(400, None, "Extra query parameter(s) x not in spec")
    assert extra["title"] is None
    assert response("get_pool", 400, extra, None) == []
    # errors are declared as application/problem+json, the type Airflow sends (problem-json-content-type)
    (violation,) = response("get_pool", 400, extra, "application/json")
    assert violation.location == "content_type"
    (violation,) = response("get_pool", 400, {**extra, "title": 5}, "application/problem+json")
    assert (violation.location, violation.pointer) == (
        "body.title",
        "#/components/schemas/Error/properties/title",
    )


def test_problem_types() -> None:
    base = "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html#section/Errors/"
    for status, anchor in [
        (400, "BadRequest"),
        (401, "Unauthenticated"),
        (403, "PermissionDenied"),
        (404, "NotFound"),
        (405, "MethodNotAllowed"),
        (409, "AlreadyExists"),
        (500, "Unknown"),
    ]:
        assert SPEC.problem(status, "t", None)["type"] == base + anchor
    assert SPEC.problem(415, "Unsupported Media Type", "x")["type"] == "about:blank"
    assert SPEC.problem(404, "Not Found", "x", type="about:blank") == {
        "detail": "x",
        "status": 404,
        "title": "Not Found",
        "type": "about:blank",
    }
    assert SPEC.request_problem([]) is None


def test_media_types() -> None:
    assert response("get_config", 200, "[core]\ndags_folder = /dags\n", "text/plain; charset=utf-8") == []
    assert response("get_config", 200, b"[core]\n", "text/plain") == []
    (violation,) = response("get_config", 200, {"sections": []}, "text/plain")
    assert violation.message == "{'sections': []} is not of type 'string'"
    assert (
        response("get_config", 200, {"sections": [{"name": "core", "options": [{"key": "k", "value": "v"}]}]})
        == []
    )
    (violation,) = response("get_pools", 200, "<html/>", "text/html")
    assert violation.location == "content_type"
    html = "<!doctype html>... Testing connections is disabled ..."
    assert response("test_connection", 403, html, "text/html; charset=utf-8") == []
    (violation,) = response("get_pools", 200, b"{", "application/json")
    assert violation.message == "the body is not valid JSON"


def test_write_only_in_a_response() -> None:
    connection = {"connection_id": "c", "conn_type": "http", "host": None, "port": None, "extra": None}
    assert response("get_connection", 200, connection) == []
    (violation,) = response("get_connection", 200, {**connection, "password": "secret"})
    assert (violation.location, violation.message) == ("body.password", "Property is write-only")
    assert violation.pointer == "#/components/schemas/Connection/allOf/1/properties/password"


DAG_DETAIL: dict[str, Any] = {
    "catchup": False,
    "concurrency": 16,
    "dag_display_name": "example_bash_operator",
    "dag_id": "example_bash_operator",
    "dag_run_timeout": {"__type": "TimeDelta", "days": 0, "microseconds": 0, "seconds": 3600},
    "dataset_expression": None,
    "default_view": "grid",
    "description": None,
    "doc_md": None,
    "end_date": None,
    "file_token": ".eJw9ykkOgCAMAMC_cJeG",
    "fileloc": "/dags/example_bash_operator.py",
    "has_import_errors": False,
    "has_task_concurrency_limits": False,
    "is_active": True,
    "is_paused": False,
    "is_paused_upon_creation": None,
    "is_subdag": False,
    "last_expired": None,
    "last_parsed": "2026-11-22T06:26:04.516466+00:00",
    "last_parsed_time": "2026-11-22T06:27:35.814781+00:00",
    "last_pickled": None,
    "max_active_runs": 16,
    "max_active_tasks": 16,
    "max_consecutive_failed_dag_runs": 0,
    "next_dagrun": "2026-11-22T00:00:00+00:00",
    "next_dagrun_create_after": "2026-11-23T00:00:00+00:00",
    "next_dagrun_data_interval_end": "2026-11-23T00:00:00+00:00",
    "next_dagrun_data_interval_start": "2026-11-22T00:00:00+00:00",
    "orientation": "LR",
    "owners": [],
    "params": {
        "example_key": {
            "__class": "airflow.models.param.Param",
            "description": None,
            "schema": {},
            "value": "v",
        }
    },
    "pickle_id": None,
    "render_template_as_native_obj": False,
    "root_dag_id": None,
    "schedule_interval": {"__type": "CronExpression", "value": "0 0 * * *"},
    "scheduler_lock": None,
    "start_date": "2021-01-01T00:00:00+00:00",
    "tags": [{"name": "example2"}, {"name": "example"}],
    "template_searchpath": None,
    "timetable_description": "At 00:00",
    "timezone": "UTC",
}

ABSOLUTE_FIELDS = ("year", "month", "day", "hour", "minute", "second", "microsecond")
# RelativeDeltaSchema().dump(relativedelta(months=1)) in Airflow 2.11.2
RELATIVE_DELTA = {
    "__type": "RelativeDelta",
    **dict.fromkeys(["years", "days", "leapdays", "hours", "minutes", "seconds", "microseconds"], 0),
    "months": 1,
    **dict.fromkeys(ABSOLUTE_FIELDS, None),
}


def test_dag_details_with_ref_siblings_and_discriminator() -> None:
    assert response("get_dag_details", 200, DAG_DETAIL) == []
    assert (
        response("get_dag_details", 200, {**DAG_DETAIL, "dag_run_timeout": None, "schedule_interval": None})
        == []
    )
    timedelta = {"__type": "TimeDelta", "days": 1, "seconds": 0, "microseconds": 0}
    assert response("get_dag_details", 200, {**DAG_DETAIL, "schedule_interval": timedelta}) == []
    relative = {**RELATIVE_DELTA, **dict.fromkeys(ABSOLUTE_FIELDS, 1)}
    assert response("get_dag", 200, {**DAG_DETAIL, "schedule_interval": relative}) == []


def test_relative_delta_as_the_server_sends_it_validates() -> None:
    # Airflow dumps relativedelta(months=1) with null absolute fields (year, month, ...): correction
    # relative-delta-absolute-fields-nullable allows them; a wrong type is still refused.
    assert response("get_dag", 200, {"schedule_interval": RELATIVE_DELTA}) == []
    (violation,) = response("get_dag", 200, {"schedule_interval": {**RELATIVE_DELTA, "year": "2024"}})
    assert violation.location == "body.schedule_interval.year"
    assert violation.message == "'2024' is not of type 'integer'"


def test_discriminator_picks_the_branch() -> None:
    wrong_days = {"__type": "TimeDelta", "days": "1", "seconds": 0, "microseconds": 0}
    (violation,) = response("get_dag", 200, {"schedule_interval": wrong_days})
    assert violation.location == "body.schedule_interval.days"
    assert violation.pointer == "#/components/schemas/TimeDelta/properties/days"
    found = response("get_dag", 200, {"schedule_interval": {"__type": "TimeDelta", "days": 1}})
    assert {v.location for v in found} == {
        "body.schedule_interval.seconds",
        "body.schedule_interval.microseconds",
    }
    (violation,) = response("get_dag", 200, {"schedule_interval": {"__type": "Cron", "value": "x"}})
    assert violation.pointer == "#/components/schemas/ScheduleInterval"
    assert violation.message.endswith(
        "is not valid under any of the given schemas (discriminator '__type' is 'Cron', not one of "
        "['CronExpression', 'RelativeDelta', 'TimeDelta'])"
    )
    (violation,) = response("get_dag", 200, {"schedule_interval": {"value": "x"}})
    assert "'__type' is missing" in violation.message
    (violation,) = response("get_dag", 200, {"schedule_interval": "@daily"})
    assert violation.message == "'@daily' is not valid under any of the given schemas"


def test_a_branch_refuses_the_tag_of_another() -> None:
    validate = SPEC.validator("#/components/schemas/CronExpression")
    assert validate({"__type": "CronExpression", "value": "x"}) == []
    assert validate({"__type": "TimeDelta", "value": "x"}) == [
        (
            ".__type",
            "#/components/schemas/CronExpression/properties/__type",
            "'TimeDelta' is not one of ['CronExpression']",
        )
    ]


def test_health_with_null_statuses() -> None:
    health = {
        "dag_processor": {"latest_dag_processor_heartbeat": None, "status": None},
        "metadatabase": {"status": "healthy"},
        "scheduler": {"latest_scheduler_heartbeat": "2026-11-22T06:28:10.720905+00:00", "status": "healthy"},
        "triggerer": {"latest_triggerer_heartbeat": None, "status": None},
    }
    assert response("get_health", 200, health) == []
    (violation,) = response("get_health", 200, {**health, "metadatabase": {"status": "fine"}})
    assert (violation.location, violation.pointer) == (
        "body.metadatabase.status",
        "#/components/schemas/HealthStatus",
    )


def test_extra_links_map_and_any_of_values() -> None:
    links = {"dag_id": "d", "dag_run_id": "r", "task_id": "t"}
    operation_id = SPEC.match("GET", "/dags/d/dagRuns/r/taskInstances/t/links").operation
    assert operation_id is not None and links
    assert response(operation_id.operation_id, 200, {"Triggered DAG": "/dags/x/grid", "Other": None}) == []
    (violation,) = response(operation_id.operation_id, 200, {"Triggered DAG": 1})
    assert violation.location == 'body["Triggered DAG"]'
    assert violation.pointer == "#/components/schemas/ExtraLinks/additionalProperties"
    entry = {"key": "k", "value": [1, "a", None], "timestamp": "2026-11-22T04:13:18.605363+00:00"}
    for value in ([1, "a", None], None, {"a": 1}, 1.5, True, "s"):
        assert response("get_xcom_entry", 200, {**entry, "value": value}) == []


def test_naive_user_dates_are_accepted_and_garbage_is_not() -> None:
    # Airflow 2.11.2 sends FAB user dates without an offset: correction naive-user-dates gives them a
    # pattern and a format no validator knows (ignored, as jsonschema ignores unknown formats)
    user = {"username": "admin", "email": "a@example.com", "first_name": "A", "last_name": "B", "roles": []}
    assert response("get_user", 200, {**user, "created_on": "2026-11-22T04:10:12.937397+00:00"}) == []
    assert response("get_user", 200, {**user, "created_on": "2026-11-22T04:10:12.937397"}) == []
    (violation,) = response("get_user", 200, {**user, "created_on": "yesterday"})
    assert violation.location == "body.created_on"
    assert violation.message.startswith("'yesterday' does not match ")


# --------------------------------------------------------------------------------------------------
# keyword coverage


def test_every_keyword_in_the_document_is_known() -> None:
    # the validator ignores keywords it does not know, as connexion does: a misspelt one would go unseen
    used = schema_keywords(DOC)
    known = VALIDATION_KEYWORDS | ANNOTATION_KEYWORDS
    unknown = {
        keyword: pointers[:3]
        for keyword, pointers in used.items()
        if keyword not in known and not keyword.startswith("x-")
    }
    assert unknown == {}
    assert SPEC.compile_all() > 500
    # every validating keyword the document uses has a behaviour test below
    assert set(used) & VALIDATION_KEYWORDS <= set(KEYWORD_CASES) | {"$ref", "readOnly", "writeOnly"}


KEYWORD_CASES: dict[str, tuple[dict[str, Any], Any, Any, str]] = {
    # keyword: (schema, a valid value, an invalid value, message for the invalid one)
    "type": ({"type": "integer"}, 1, True, "True is not of type 'integer'"),
    "nullable": ({"type": "string", "nullable": True}, None, 1, "1 is not of type 'string'"),
    "enum": ({"enum": ["a", None]}, None, "b", "'b' is not one of ['a', None]"),
    "const": ({"const": "a"}, "a", "b", "'a' was expected"),
    "format": (
        {"type": "string", "format": "date-time"},
        "2024-01-01T00:00:00Z",
        "x",
        "'x' is not a 'date-time'",
    ),
    "properties": (
        {"properties": {"a": {"type": "integer"}}},
        {"b": "x"},
        {"a": "x"},
        "'x' is not of type 'integer'",
    ),
    "required": ({"required": ["a"]}, {"a": 1}, {}, "'a' is a required property"),
    "additionalProperties": (
        {"additionalProperties": {"type": "integer"}},
        {"a": 1},
        {"a": "x"},
        "'x' is not of type 'integer'",
    ),
    "items": ({"items": {"type": "integer"}}, [1], [1, "x"], "'x' is not of type 'integer'"),
    "minItems": ({"minItems": 2}, [1, 2], [1], "[1] is too short"),
    "minLength": ({"minLength": 1}, "a", "", "'' should be non-empty"),
    "pattern": ({"pattern": "^#[a-f]{3}$"}, "#abc", "abc", "'abc' does not match '^#[a-f]{3}$'"),
    "minimum": ({"minimum": 0}, 0, -1, "-1 is less than the minimum of 0"),
    "maximum": (
        {"maximum": 1, "exclusiveMaximum": True},
        0.5,
        1,
        "1 is greater than or equal to the maximum of 1",
    ),
    "exclusiveMinimum": (
        {"minimum": 0, "exclusiveMinimum": True},
        1,
        0,
        "0 is less than or equal to the minimum of 0",
    ),
    "maxLength": ({"maxLength": 1}, "a", "ab", "'ab' is too long"),
    "maxItems": ({"maxItems": 0}, [], [1], "[1] is expected to be empty"),
    "uniqueItems": ({"uniqueItems": True}, [1, True], [1, 1], "[1, 1] has non-unique elements"),
    "multipleOf": ({"multipleOf": 3}, 9, 10, "10 is not a multiple of 3"),
    "minProperties": ({"minProperties": 1}, {"a": 1}, {}, "{} should be non-empty"),
    "maxProperties": ({"maxProperties": 0}, {}, {"a": 1}, "{'a': 1} is expected to be empty"),
    "allOf": ({"allOf": [{"type": "integer"}, {"minimum": 2}]}, 2, 1, "1 is less than the minimum of 2"),
    "anyOf": (
        {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
        True,
        "x",
        "'x' is not valid under any of the given schemas",
    ),
    "oneOf": (
        {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
        -1,
        1,
        "1 is valid under each of {'minimum': 0}, {'type': 'integer'}",
    ),
    "not": ({"not": {"type": "string"}}, 1, "x", "'x' should not be valid under {'type': 'string'}"),
}


def _schema_doc(schema: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.0.3", "paths": {}, "components": {"schemas": {"S": schema}}}


@pytest.mark.parametrize("keyword", sorted(KEYWORD_CASES))
def test_keyword_behaviour(keyword: str) -> None:
    schema, good, bad, message = KEYWORD_CASES[keyword]
    spec = Spec.load(_schema_doc(schema))
    validate = spec.validator("#/components/schemas/S")
    assert validate(good) == []
    found = validate(bad)
    assert message in [m for _, _, m in found]
    for _, pointer, _ in found:
        resolve_pointer(spec.document, pointer)


def test_read_only_and_write_only_sides() -> None:
    schema = {
        "type": "object",
        "required": ["id", "secret", "name"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "secret": {"type": "string", "writeOnly": True},
        },
    }
    spec = Spec.load(_schema_doc(schema))
    in_request = spec.validator("#/components/schemas/S", "request")
    in_response = spec.validator("#/components/schemas/S", "response")
    # a read-only property is not required in a request, and refused there
    assert in_request({"secret": "s", "name": "n"}) == []
    assert in_request({"id": 1, "secret": "s", "name": "n"}) == [
        (".id", "#/components/schemas/S/properties/id", "Property is read-only")
    ]
    assert in_response({"id": 1, "name": "n"}) == []
    assert in_response({"id": 1, "secret": "s", "name": "n"})[0][2] == "Property is write-only"
    assert [m for _, _, m in in_response({"name": "n"})] == ["'id' is a required property"]


def test_unknown_keywords_are_ignored_and_standard_ones_apply() -> None:
    # as on the real server: jsonschema's draft 4 validator ignores what it does not know
    spec = Spec.load(_schema_doc({"type": "string", "contentEncoding": "base64", "x-extension": 1}))
    assert spec.validator("#/components/schemas/S")("!!") == []
    assert spec.compile_all() == 1
    # draft 4 keywords the Airflow spec does not use still apply
    schema = {
        "patternProperties": {"^x-": {"type": "integer"}},
        "additionalProperties": False,
        "dependencies": {"a": ["b"]},
    }
    validate = Spec.load(_schema_doc(schema)).validator("#/components/schemas/S")
    assert validate({"x-a": 1}) == []
    assert [m for _, _, m in validate({"x-a": "1", "a": 1})] == [
        "'1' is not of type 'integer'",
        "'a' does not match any of the regexes: '^x-'",
        "'b' is a dependency of 'a'",
    ]


def test_a_broken_schema_is_refused() -> None:
    with pytest.raises(SpecError, match="S/items: not a schema"):
        Spec.load(_schema_doc({"type": "array", "items": 1})).compile_all()
    with pytest.raises(SpecError, match="does not resolve"):
        Spec.load(_schema_doc({"$ref": "#/components/schemas/Nope"})).compile_all()


def test_self_referencing_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"child": {"$ref": "#/components/schemas/S"}, "n": {"type": "integer"}},
    }
    validate = Spec.load(_schema_doc(schema)).validator("#/components/schemas/S")
    assert validate({"child": {"child": {"n": 1}}}) == []
    assert validate({"child": {"child": {"n": "x"}}}) == [
        (".child.child.n", "#/components/schemas/S/properties/n", "'x' is not of type 'integer'")
    ]


# --------------------------------------------------------------------------------------------------
# generated documents validate


def _merged(schema: Any) -> Any:
    """One schema for generation: $ref siblings merged into the target, allOf folded into one object."""
    while isinstance(schema, dict) and "$ref" in schema:
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**resolve_pointer(DOC, schema["$ref"]), **siblings}
    if isinstance(schema, dict) and "allOf" in schema:
        folded: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        properties: dict[str, Any] = dict(folded.get("properties", {}))
        required: list[str] = list(folded.get("required", []))
        least = folded.get("minProperties", 0)
        for branch in schema["allOf"]:
            branch = _merged(branch)
            properties.update(branch.get("properties", {}))
            required.extend(branch.get("required", []))
            least = max(least, branch.get("minProperties", 0))
        folded.update(type="object", properties=properties, required=required, minProperties=least)
        return folded
    return schema


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=4,
)
DATE_TIMES = st.datetimes(
    min_value=dt.datetime(1, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5, minutes=-30))]),
).map(lambda value: value.isoformat())


def strategy(schema: Any, side: str) -> st.SearchStrategy[Any]:
    schema = _merged(schema)
    if schema is True or schema == {}:
        return ANY_JSON
    base = _base_strategy(schema, side)
    nullable = schema.get("nullable") is True
    return st.none() | base if nullable else base


def _base_strategy(schema: dict[str, Any], side: str) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            return st.one_of([strategy(branch, side) for branch in schema[keyword]])
    kind = schema.get(
        "type", "object" if "properties" in schema or "additionalProperties" in schema else None
    )
    if kind == "string":
        if schema.get("format") == "date-time":
            return DATE_TIMES
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(min_size=schema.get("minLength", 0), max_size=8)
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=10**6)
    if kind == "number":
        return st.integers(min_value=schema.get("minimum"), max_value=100) | st.floats(
            min_value=schema.get("minimum"), max_value=1e6, allow_nan=False
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(
            strategy(schema.get("items", {}), side), min_size=schema.get("minItems", 0), max_size=2
        )
    if kind == "object":
        skip = "readOnly" if side == "request" else "writeOnly"
        properties = {
            name: sub for name, sub in schema.get("properties", {}).items() if not _merged(sub).get(skip)
        }
        required = {
            name: strategy(sub, side)
            for name, sub in properties.items()
            if name in schema.get("required", ())
        }
        optional = {name: strategy(sub, side) for name, sub in properties.items() if name not in required}
        fixed = st.fixed_dictionaries(required, optional=optional)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            more = st.dictionaries(
                st.text(max_size=4).filter(lambda k: k not in properties), strategy(extra, side), max_size=2
            )
            fixed = st.tuples(fixed, more).map(lambda pair: {**pair[1], **pair[0]})
        least = schema.get("minProperties", 0)
        return fixed.filter(lambda value: len(value) >= least) if least else fixed
    return ANY_JSON


SCHEMA_NAMES = sorted(DOC["components"]["schemas"])
REQUEST_BODIES = sorted({op.body_pointer for op in SPEC.operations.values() if op.body_pointer})


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_generated_responses_validate(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(SCHEMA_NAMES), label="schema")
    pointer = f"#/components/schemas/{name}"
    value = data.draw(strategy({"$ref": pointer}, "response"), label="value")
    assert SPEC.validator(pointer, "response")(value) == []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_generated_request_bodies_validate(data: st.DataObject) -> None:
    pointer = data.draw(st.sampled_from(REQUEST_BODIES), label="body")
    value = data.draw(strategy(resolve_pointer(DOC, pointer), "request"), label="value")
    assert SPEC.validator(pointer, "request")(value) == []


@settings(max_examples=100, deadline=None)
@given(value=DATE_TIMES)
def test_generated_date_times_are_accepted_as_query_values(value: str) -> None:
    parsed, violations = request("get_event_logs", [("after", value)])
    assert violations == [] and parsed.query["after"] == value


def test_a_broken_copy_of_a_generated_document_fails() -> None:
    valid = task_instances(4)
    broken = copy.deepcopy(valid)
    broken["task_instances"][1]["pool_slots"] = "1"
    assert response("get_task_instances", 200, valid) == []
    assert [v.location for v in response("get_task_instances", 200, broken)] == [
        "body.task_instances[1].pool_slots"
    ]


def test_violation_is_frozen_and_slotted() -> None:
    violation = Violation("request", "op", "GET /x", "#", "body", "m")
    with pytest.raises(AttributeError):
        violation.message = "other"  # type: ignore[misc]
    assert not hasattr(violation, "__dict__")
    assert re.fullmatch(r"request GET /x: body: m \(spec #\)", str(violation))


def test_the_package_imports_and_routes_without_jsonschema() -> None:
    # the pytest plugin is loaded by every pytest run: without the testing extra, only checking fails
    code = (
        "import sys\n"
        "sys.modules['jsonschema'] = None\n"
        "from airflow_rest.testing import Spec\n"
        "spec = Spec.load()\n"
        "assert spec.match('GET', '/pools').operation.operation_id == 'get_pools'\n"
        "try:\n"
        "    spec.check_response(spec.operations['get_pools'], 200, {})\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert (
        done.stdout.strip()
        == "checking against the spec needs jsonschema: pip install 'airflow-rest[testing]'"
    )
