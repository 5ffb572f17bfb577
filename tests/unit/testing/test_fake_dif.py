"""What the replay of the schemathesis run against the fake found, now answered as Airflow 2.11.2
answers it (each case: the request, and what the real server sent). Raw HTTP through the oracle's
transport, sync and async: these are facts of the wire (empty query values, content types of empty
answers, methods) that a client hides."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from airflow_rest.testing import FakeTask, Oracle
from airflow_rest.testing._serve import make_server, serve_in_thread

ORDERING = "Ordering with '' is disallowed or the attribute does not exist on the model"


@pytest.fixture
def oracle() -> Oracle:
    return Oracle()


@pytest.fixture
def http(oracle: Oracle) -> Iterator[httpx.Client]:
    with httpx.Client(transport=oracle.transport(), base_url=oracle.api_url + "/") as client:
        yield client


def problem(answer: httpx.Response) -> tuple[int, Any, Any]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    data = answer.json()
    return answer.status_code, data["title"], data["detail"]


@pytest.mark.parametrize(
    "target",
    [
        "dags?order_by=",
        "dags?order_by=&limit=3",
        "dags/~/dagRuns?order_by=",
        "dags/tutorial/dagRuns?order_by=",
        "variables?order_by=",
        "pools?order_by=",
        "connections?order_by=",
        "importErrors?order_by=",
        "dagWarnings?order_by=",
    ],
)
def test_an_empty_order_by_is_refused_not_taken_as_absent(
    oracle: Oracle, http: httpx.Client, target: str
) -> None:
    # GET /api/v1/dags?order_by= -> 400 {"title": "Bad Request", "detail": "Ordering with '' is ..."}
    assert problem(http.get(target)) == (400, "Bad Request", ORDERING)
    assert http.get(target.replace("order_by=", "limit=1")).status_code == 200


def test_an_empty_order_by_of_tasks_and_of_the_runs_batch(oracle: Oracle, http: httpx.Client) -> None:
    # GET /api/v1/dags/tutorial/tasks?order_by= -> 400 "'SerializedBaseOperator' object has no
    # attribute ''"; POST /api/v1/dags/~/dagRuns/list {"order_by": ""} -> 400 as for the GETs
    status, title, detail = problem(http.get("dags/tutorial/tasks?order_by="))
    assert (status, title) == (400, "Bad Request") and detail.endswith("object has no attribute ''")
    assert problem(http.post("dags/~/dagRuns/list", json={"order_by": ""})) == (400, "Bad Request", ORDERING)
    assert http.post("dags/~/dagRuns/list", json={}).status_code == 200


def test_task_instance_durations_in_the_batch_body_load_as_marshmallow_integers(
    oracle: Oracle, http: httpx.Client
) -> None:
    # POST /api/v1/dags/~/dagRuns/~/taskInstances/list {"duration_gte": 1.5} -> 200 (fields.Int is
    # not strict: int(1.5) is 1)
    oracle.trigger("tutorial", "r1")
    oracle.set_task_state("tutorial", "r1", "print_date", "success")
    for body in (
        {"duration_gte": 1.5},
        {"duration_lte": 2.5, "dag_ids": ["tutorial"]},
        {"duration_gte": 0.5},
    ):
        answer = http.post("dags/~/dagRuns/~/taskInstances/list", json=body)
        assert answer.status_code == 200, answer.text
    # 0.9 loads as 0, which the finished task's duration of 0 s reaches
    truncated = http.post("dags/~/dagRuns/~/taskInstances/list", json={"duration_gte": 0.9})
    assert [ti["task_id"] for ti in truncated.json()["task_instances"]] == ["print_date"]
    assert oracle.violations == []
    assert problem(http.post("dags/~/dagRuns/~/taskInstances/list", json={"duration_gte": True}))[0] == 400


def test_fields_are_checked_on_the_items_only(oracle: Oracle, http: httpx.Client) -> None:
    # GET /api/v1/dags?fields=bogus&dag_id_pattern=zzznomatch -> 200 {"dags": [], "total_entries": 0};
    # GET /api/v1/dags/tutorial/dagRuns?fields=bogus (no runs) -> 200; with items -> 400
    assert http.get("dags?fields=bogus&dag_id_pattern=zzznomatch").json() == {"dags": [], "total_entries": 0}
    assert http.get("dags/tutorial/dagRuns?fields=bogus").json() == {"dag_runs": [], "total_entries": 0}
    assert problem(http.get("dags?fields=bogus"))[:2] == (400, "DAGCollectionSchema error")
    oracle.trigger("tutorial", "r1")
    assert problem(http.get("dags/tutorial/dagRuns?fields=bogus")) == (
        400,
        "DAGRunCollectionSchema error",
        "bogus not in DAGRunSchema",
    )


def test_an_empty_field_name_is_a_field_name(oracle: Oracle, http: httpx.Client) -> None:
    # GET /api/v1/dags/tutorial?fields= -> 400 "Invalid fields for <DAGSchema(many=False)>:
    # OrderedSet([''])."; ?fields=dag_id, the same; GET .../dagRuns/{id}?fields= -> " not in DAGRunSchema"
    assert problem(http.get("dags/tutorial?fields=")) == (
        400,
        "DAGSchema init error",
        "Invalid fields for <DAGSchema(many=False)>: OrderedSet(['']).",
    )
    assert problem(http.get("dags?fields=dag_id,&limit=1"))[:2] == (400, "DAGCollectionSchema error")
    oracle.trigger("tutorial", "r1")
    assert problem(http.get("dags/tutorial/dagRuns/r1?fields=")) == (
        400,
        "DAGRunSchema error",
        " not in DAGRunSchema",
    )
    assert http.get("dags/tutorial?fields=dag_id").json() == {"dag_id": "tutorial"}


def test_an_empty_dag_run_id_counts_as_not_given_when_setting_task_states(
    oracle: Oracle, http: httpx.Client
) -> None:
    # POST /api/v1/dags/{dag}/updateTaskInstancesState {"dag_run_id": "", "execution_date": ...}
    # -> 200 (the server's exactly_one() tests truth); {"dag_run_id": ""} alone -> 400
    run = oracle.trigger("tutorial", "r1", logical_date="2026-01-01T00:00:00+00:00")
    path = "dags/tutorial/updateTaskInstancesState"
    base = {"dry_run": True, "task_id": "print_date", "new_state": "success"}
    base |= {f"include_{name}": False for name in ("upstream", "downstream", "future", "past")}
    both = http.post(path, json={**base, "dag_run_id": "", "execution_date": run["logical_date"]})
    assert both.status_code == 200, both.text
    assert [ti["dag_run_id"] for ti in both.json()["task_instances"]] == ["r1"]
    assert problem(http.post(path, json={**base, "dag_run_id": ""})) == (
        400,
        "Bad Request",
        "{'_schema': ['Exactly one of execution_date or dag_run_id must be provided']}",
    )


def test_no_content_answers_say_what_flask_or_connexion_make_of_them(
    oracle: Oracle, http: httpx.Client
) -> None:
    # DELETE /api/v1/variables/{key} and /pools/{name} -> 204 text/html; charset=utf-8 (Flask's
    # Response(status=204)); DELETE /connections/{id} and /dags/{dag}/dagRuns/{run} -> 204
    # application/json (connexion's NoContent)
    oracle.add_variable("v", "1")
    oracle.add_pool("p", 1)
    oracle.add_connection("c", "http")
    oracle.trigger("tutorial", "r1")
    answers = {
        path: http.delete(path)
        for path in ("variables/v", "pools/p", "connections/c", "dags/tutorial/dagRuns/r1")
    }
    assert {
        path: (a.status_code, a.headers.get("content-type"), a.content) for path, a in answers.items()
    } == {
        "variables/v": (204, "text/html; charset=utf-8", b""),
        "pools/p": (204, "text/html; charset=utf-8", b""),
        "connections/c": (204, "application/json", b""),
        "dags/tutorial/dagRuns/r1": (204, "application/json", b""),
    }
    oracle.assert_no_violations()


def test_head_and_options_answers_carry_a_content_type(oracle: Oracle, http: httpx.Client) -> None:
    # HEAD /api/v1/dags -> 200 application/json; HEAD /api/v1/variables/x -> 404
    # application/problem+json; OPTIONS /api/v1/dags -> 200 text/html; charset=utf-8, empty
    head = http.head("dags")
    assert (head.status_code, head.headers["content-type"], head.content) == (200, "application/json", b"")
    missing = http.head("variables/x")
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
    options = http.options("dags")
    assert (options.status_code, options.headers["content-type"], options.content) == (
        200,
        "text/html; charset=utf-8",
        b"",
    )


def test_the_async_client_sees_the_same_answers(oracle: Oracle) -> None:
    async def scenario() -> list[tuple[int, str | None]]:
        async with httpx.AsyncClient(transport=oracle.transport(), base_url=oracle.api_url + "/") as http:
            oracle.add_variable("v", "1")
            answers = [
                await http.get("variables?order_by="),
                await http.delete("variables/v"),
                await http.post("dags/~/dagRuns/~/taskInstances/list", json={"duration_lte": 1.5}),
            ]
        return [(a.status_code, a.headers.get("content-type")) for a in answers]

    assert asyncio.run(scenario()) == [
        (400, "application/problem+json"),
        (204, "text/html; charset=utf-8"),
        (200, "application/json"),
    ]


INT64_MAX = 9223372036854775807


@pytest.mark.parametrize(
    ("target", "wanted"),
    [
        (f"dags?offset={INT64_MAX + 1}", f"{INT64_MAX + 1} is greater than the maximum of {INT64_MAX}"),
        (
            f"eventLogs?map_index={-INT64_MAX - 2}",
            f"{-INT64_MAX - 2} is less than the minimum of {-INT64_MAX - 1}",
        ),
        (f"eventLogs/{INT64_MAX + 1}", f"{INT64_MAX + 1} is greater than the maximum of {INT64_MAX}"),
    ],
)
def test_integers_beyond_64_bits_are_refused_before_they_reach_the_database(
    oracle: Oracle, http: httpx.Client, target: str, wanted: str
) -> None:
    # the real 2.11.2 answers each with a 500 (OverflowError in the database driver); the corrected
    # spec bounds them (integers-fit-in-64-bits), so the fake answers the 400 connexion would
    status, title, detail = problem(http.get(target))
    assert (status, title) == (400, "Bad Request") and detail.startswith(wanted), detail
    assert [v.side for v in oracle.take_violations()] == ["request"]
    assert http.get(f"dags?offset={INT64_MAX}").json()["dags"] == []


def test_integers_beyond_64_bits_are_refused_async(oracle: Oracle) -> None:
    async def scenario() -> int:
        async with httpx.AsyncClient(transport=oracle.transport(), base_url=oracle.api_url + "/") as http:
            return (await http.get(f"importErrors/{INT64_MAX + 1}")).status_code

    assert asyncio.run(scenario()) == 400
    assert len(oracle.take_violations()) == 1


def _long_target(size: int) -> str:
    """A target whose request line ("GET <target> HTTP/1.1") is ``size`` bytes."""
    stem = "/api/v1/plugins?x="
    return stem + "a" * (size - len(f"GET {stem} HTTP/1.1"))


def test_a_request_line_over_the_web_servers_limit_gets_its_414_page(oracle: Oracle) -> None:
    # gunicorn's limit_request_line: GET /api/v1/plugins?x=<5,000 a> -> 414 text/html, this page
    with httpx.Client(transport=oracle.transport(), base_url=oracle.url) as http:
        refused = http.get(_long_target(5031))
        assert (refused.status_code, refused.headers["content-type"]) == (414, "text/html")
        assert "<title>URI Too Long</title>" in refused.text
        assert "Request Line is too large (5031 &gt; 4094)" in refused.text
        # at the limit the request reaches Airflow, which refuses the undeclared parameter
        assert http.get(_long_target(4094)).status_code == 400
        assert http.get(_long_target(4095)).status_code == 414
    assert [v.location for v in oracle.take_violations()] == ["query.x"]


def test_a_request_line_over_the_limit_async(oracle: Oracle) -> None:
    async def scenario() -> tuple[int, str]:
        async with httpx.AsyncClient(transport=oracle.transport(), base_url=oracle.url) as http:
            answer = await http.get(_long_target(4100))
        return answer.status_code, answer.text

    status, page = asyncio.run(scenario())
    assert status == 414 and "(4100 &gt; 4094)" in page


@pytest.mark.parametrize("method", ["TRACE", "QUERY"])
def test_other_methods_over_http_are_not_allowed(method: str) -> None:
    # TRACE /api/v1/dags -> 405 application/problem+json {"title": "Method Not Allowed"}; QUERY
    # /api/v1/users/0 -> the same
    server = make_server("127.0.0.1", 0)
    serve_in_thread(server)
    try:
        answer = httpx.request(method, server.oracle.api_url + "/dags", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"
    assert json.loads(answer.content)["title"] == "Method Not Allowed"


def test_a_run_id_or_logical_date_given_as_null_is_refused(oracle: Oracle, http: httpx.Client) -> None:
    # POST /api/v1/dags/airflow_rest_target/dagRuns {"dag_run_id": null, ...} -> 400 "{'dag_run_id':
    # ['Field may not be null.']}"; {"dag_run_id": "x", "logical_date": null} -> 400 "{'logical_date':
    # ['Field may not be null.']}" (auto_fields of columns that are not nullable)
    oracle.add_dag("target", is_paused=True)
    assert problem(http.post("dags/target/dagRuns", json={"dag_run_id": None})) == (
        400,
        "Bad Request",
        "{'dag_run_id': ['Field may not be null.']}",
    )
    assert problem(http.post("dags/target/dagRuns", json={"dag_run_id": "x", "logical_date": None})) == (
        400,
        "Bad Request",
        "{'logical_date': ['Field may not be null.']}",
    )
    assert oracle.dag_runs == {}


def test_an_execution_date_given_as_null_still_conflicts_with_the_logical_date(
    oracle: Oracle, http: httpx.Client
) -> None:
    # POST .../dagRuns {"execution_date": null, "logical_date": "2000-01-01T00:00:00Z", ...} -> 400
    # {"title": "logical_date conflicts with execution_date", "detail": "'2000-01-01T00:00:00Z' != None"}
    oracle.add_dag("target", is_paused=True)
    body = {"dag_run_id": "r", "execution_date": None, "logical_date": "2000-01-01T00:00:00Z"}
    assert problem(http.post("dags/target/dagRuns", json=body)) == (
        400,
        "logical_date conflicts with execution_date",
        "'2000-01-01T00:00:00Z' != None",
    )
    only_execution = http.post(
        "dags/target/dagRuns", json={"dag_run_id": "r", "execution_date": "2000-01-01T00:00:00Z"}
    )
    assert only_execution.json()["logical_date"] == "2000-01-01T00:00:00+00:00"


def test_a_run_dated_before_the_start_date_has_no_instance_of_the_tasks_not_yet_started(
    oracle: Oracle, http: httpx.Client
) -> None:
    # POST /api/v1/dags/airflow_rest_target/dagRuns {"logical_date": "2000-01-01T00:00:00Z", ...}
    # (the DAG and its task `noop` start 2024-01-01) -> 200; GET .../dagRuns/manual__2000-01-01T00%3A00
    # %3A00%2B00%3A00/taskInstances -> 200 {"task_instances": [], "total_entries": 0}; .../taskInstances
    # /noop/dependencies -> 404 "Task Instance not found for dag_id=airflow_rest_target, run_id=
    # manual__2000-01-01T00:00:00+00:00, task_id=noop" (DagRun.verify_integrity's task filter)
    oracle.add_dag(
        "target",
        tasks=[FakeTask("noop"), FakeTask("late", start_date=datetime(2024, 6, 1, tzinfo=UTC))],
        start_date=datetime(2024, 1, 1, tzinfo=UTC),
        is_paused=True,
    )
    for logical_date in ("2000-01-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-07-01T00:00:00Z"):
        answer = http.post("dags/target/dagRuns", json={"dag_run_id": "", "logical_date": logical_date})
        assert answer.status_code == 200, answer.text
    run = quote("manual__2000-01-01T00:00:00+00:00", safe="")
    assert http.get(f"dags/target/dagRuns/{run}/taskInstances").json() == {
        "task_instances": [],
        "total_entries": 0,
    }
    assert problem(http.get(f"dags/target/dagRuns/{run}/taskInstances/noop/dependencies")) == (
        404,
        "Task Instance not found for dag_id=target, run_id=manual__2000-01-01T00:00:00+00:00, task_id=noop",
        None,
    )
    # a task starting later than its DAG is bounded by its own date; one ending is bounded by its end
    assert sorted(key[1:3] for key in oracle.task_instances) == [
        ("manual__2024-03-01T00:00:00+00:00", "noop"),
        ("manual__2024-07-01T00:00:00+00:00", "late"),
        ("manual__2024-07-01T00:00:00+00:00", "noop"),
    ]
    oracle.add_dag("ended", tasks=["t"], end_date=datetime(2024, 2, 1, tzinfo=UTC), is_paused=True)
    oracle.trigger("ended", "after", logical_date="2024-03-01T00:00:00+00:00")
    oracle.trigger("ended", "before", logical_date="2024-01-15T00:00:00+00:00")
    assert [key[1] for key in oracle.task_instances if key[0] == "ended"] == ["before"]
