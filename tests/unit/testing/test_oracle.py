"""The oracle end to end: the client (sync and async) and raw httpx requests through
``oracle.transport()``, violations answered and recorded, canned and checked responses, auth, a
path prefix and concurrent use. The spec and fake layers on their own are tested in
``test_spec.py`` and ``test_fake.py``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest

from airflow_rest import AirflowClient, AsyncAirflowClient, errors, models
from airflow_rest.testing import Call, Oracle, SpecViolationError, Violation
from airflow_rest.testing._spec import (
    ABOUT_BLANK,
    METHOD_NOT_ALLOWED_DETAIL,
    NOT_FOUND_DETAIL,
    Spec,
    problem_type,
    resolve_pointer,
)
from airflow_rest_v1.types import Unset

T = TypeVar("T")
SPEC = Spec.load()
DEFAULT_DAGS = [
    "example_bash_operator",
    "example_dynamic_task_mapping",
    "example_python_operator",
    "tutorial",
]
PROBLEM_JSON = "application/problem+json"


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def given(value: T | Unset) -> T:
    """A field of a parsed model that the answer must carry."""
    assert not isinstance(value, Unset)
    return value


def expected_problem(
    status: int, title: str | None, detail: str | None, type: str | None = None
) -> dict[str, Any]:
    return {"detail": detail, "status": status, "title": title, "type": type or problem_type(status)}


def assert_resolves(violation: Violation) -> Any:
    """The node of the spec document the violation points at (it must exist)."""
    node = resolve_pointer(SPEC.document, violation.pointer)
    assert isinstance(node, dict) and node, violation.pointer
    return node


@pytest.fixture
def oracle() -> Iterator[Oracle]:
    """A fresh oracle; a test that meant to break the spec takes its violations."""
    oracle = Oracle()
    yield oracle
    oracle.assert_no_violations()


@pytest.fixture
def client(oracle: Oracle) -> Iterator[AirflowClient]:
    with AirflowClient(oracle.url, transport=oracle.transport()) as client:
        yield client


@pytest.fixture
def raw(oracle: Oracle) -> Iterator[httpx.Client]:
    """Plain httpx to the API root, for requests the client would never send."""
    with httpx.Client(transport=oracle.transport(), base_url=oracle.api_url) as http:
        yield http


def async_client(oracle: Oracle, **kwargs: Any) -> AsyncAirflowClient:
    return AsyncAirflowClient(oracle.url, transport=oracle.transport(), **kwargs)


# --- 1. the client through the oracle ---------------------------------------------------------------


def test_paging_through_dags_gives_each_once(oracle: Oracle, client: AirflowClient) -> None:
    for dag_id in ("a_first", "m_middle", "z_last"):
        oracle.add_dag(dag_id)
    total = client.dag.get_dags(limit=1).total_entries
    dag_ids = [dag.dag_id for dag in client.paginate(client.dag.get_dags, page_size=2)]
    assert total == 7 == len(dag_ids) == len(set(dag_ids))
    assert dag_ids == sorted([*DEFAULT_DAGS, "a_first", "m_middle", "z_last"])
    pages = [httpx.URL(e.path) for e in oracle.exchanges if e.operation == "get_dags"][1:]
    assert [(url.path, url.params["limit"], url.params.get("offset", "0")) for url in pages] == [
        ("/api/v1/dags", "2", "0"),
        ("/api/v1/dags", "2", "2"),
        ("/api/v1/dags", "2", "4"),
        ("/api/v1/dags", "2", "6"),
    ]
    assert all(e.status == 200 and e.violations == () for e in oracle.exchanges)


def test_pause_and_unpause_with_update_mask(oracle: Oracle, client: AirflowClient) -> None:
    oracle.add_dag("etl")
    assert oracle.dags["etl"].is_paused is False
    paused = client.update("dag", "etl", is_paused=True)
    assert paused.is_paused is True and oracle.dags["etl"].is_paused is True
    exchange = oracle.exchanges[-1]
    assert (exchange.method, exchange.path, exchange.operation, exchange.status) == (
        "PATCH",
        "/api/v1/dags/etl?update_mask=is_paused",
        "patch_dag",
        200,
    )
    assert client.update("dag", "etl", is_paused=False).is_paused is False
    assert oracle.dags["etl"].is_paused is False
    assert client.dag.get_dag("etl").is_paused is False


def test_trigger_a_run_list_runs_and_task_instances(oracle: Oracle, client: AirflowClient) -> None:
    oracle.add_dag("etl", tasks=["extract", "load"])
    run_ = client.dag_run.post_dag_run("etl", body=models.DAGRun(dag_run_id="r1", conf={"n": 1}))
    assert (run_.dag_run_id, run_.state, given(run_.conf)) == ("r1", "queued", {"n": 1})
    assert oracle.dag_runs[("etl", "r1")]["state"] == "queued"
    runs = client.dag_run.get_dag_runs("etl")
    assert runs.total_entries == 1 and [r.dag_run_id for r in given(runs.dag_runs)] == ["r1"]

    tis = client.task_instance.get_task_instances("etl", "r1")
    assert sorted(given(ti.task_id) for ti in given(tis.task_instances)) == ["extract", "load"]
    assert {ti.state for ti in given(tis.task_instances)} == {None}

    oracle.set_task_state("etl", "r1", "extract", "running")
    assert client.task_instance.get_task_instance("etl", "r1", "extract").state == "running"
    assert client.dag_run.get_dag_run("etl", "r1").state == "running"
    oracle.set_task_state("etl", "r1", "extract", "success")
    oracle.set_task_state("etl", "r1", "load", "failed")
    states = {
        ti.task_id: ti.state for ti in client.task_instance.get_task_instances("etl", "r1").task_instances
    }
    assert states == {"extract": "success", "load": "failed"}
    assert client.dag_run.get_dag_run("etl", "r1").state == "failed"


def test_xcom_read(oracle: Oracle, client: AirflowClient) -> None:
    oracle.add_dag("etl")
    oracle.trigger("etl", "r1")
    oracle.add_xcom("etl", "r1", "task", "return_value", {"rows": 3})
    entries = client.x_com.get_xcom_entries("etl", "r1", "task")
    assert entries.total_entries == 1 and given(entries.xcom_entries)[0].key == "return_value"
    assert client.x_com.get_xcom_entry("etl", "r1", "task", "return_value").value == "{'rows': 3}"
    with pytest.raises(errors.NotFoundError) as missing:
        client.x_com.get_xcom_entry("etl", "r1", "task", "nope")
    assert missing.value.title == "XCom entry not found"


def test_variables_crud(oracle: Oracle, client: AirflowClient) -> None:
    created = client.variable.post_variables(body=models.Variable(key="k", value="v"))
    assert (created.key, created.value) == ("k", "v")
    assert oracle.variables["k"]["value"] == "v"
    assert client.update("variable", "k", value="v2").value == "v2"
    client.update("variable", "k", description="about k")
    assert oracle.variables["k"] == {"key": "k", "value": "v2", "description": "about k"}
    listed = client.variable.get_variables()
    assert listed.total_entries == 1 and given(listed.variables)[0].key == "k"
    client.variable.delete_variable("k")
    assert "k" not in oracle.variables
    with pytest.raises(errors.NotFoundError) as missing:
        client.variable.get_variable("k")
    assert (missing.value.title, missing.value.detail) == ("Variable not found", "Variable does not exist")


def test_pools_crud(oracle: Oracle, client: AirflowClient) -> None:
    created = client.pool.post_pool(body=models.Pool(name="etl", slots=3, description="for etl"))
    assert (created.name, created.slots, created.open_slots) == ("etl", 3, 3)
    assert client.update("pool", "etl", slots=5).slots == 5
    assert oracle.pools["etl"]["slots"] == 5
    with pytest.raises(errors.ConflictError) as conflict:
        client.pool.post_pool(body=models.Pool(name="etl", slots=1))
    assert conflict.value.detail == "Pool: etl already exists"
    assert sorted(given(p.name) for p in given(client.pool.get_pools().pools)) == ["default_pool", "etl"]
    client.pool.delete_pool("etl")
    assert "etl" not in oracle.pools
    with pytest.raises(errors.NotFoundError):
        client.pool.get_pool("etl")


def test_connections_crud(oracle: Oracle, client: AirflowClient) -> None:
    created = client.connection.post_connection(
        body=models.Connection(connection_id="db", conn_type="postgres", host="db.internal", port=5432)
    )
    assert (created.connection_id, created.host, created.port) == ("db", "db.internal", 5432)
    assert client.update("connection", "db", host="db2.internal").host == "db2.internal"
    assert oracle.connections["db"]["host"] == "db2.internal"
    assert [c.connection_id for c in given(client.connection.get_connections().connections)] == ["db"]
    client.connection.delete_connection("db")
    assert oracle.connections == {}
    with pytest.raises(errors.NotFoundError):
        client.connection.get_connection("db")


def test_health_and_version(oracle: Oracle, client: AirflowClient) -> None:
    health = client.monitoring.get_health()
    assert given(health.metadatabase).status == "healthy" and given(health.scheduler).status == "healthy"
    assert client.monitoring.get_version().version == "2.11.2"
    assert [e.operation for e in oracle.exchanges] == ["get_health", "get_version"]


def test_async_client_reads_and_writes(oracle: Oracle) -> None:
    oracle.add_dag("etl", tasks=["extract", "load"])

    async def scenario() -> None:
        async with async_client(oracle) as client:
            total = (await client.dag.get_dags(limit=1)).total_entries
            dag_ids = [d.dag_id async for d in client.paginate(client.dag.get_dags, page_size=2)]
            assert total == 5 == len(dag_ids) == len(set(dag_ids))
            in_parallel = [
                d.dag_id async for d in client.paginate(client.dag.get_dags, page_size=1, concurrency=3)
            ]
            assert in_parallel == dag_ids

            assert (await client.update("dag", "etl", is_paused=True)).is_paused is True
            assert oracle.dags["etl"].is_paused is True
            await client.dag_run.post_dag_run("etl", body=models.DAGRun(dag_run_id="r1"))
            assert (await client.dag_run.get_dag_runs("etl")).total_entries == 1
            oracle.set_task_state("etl", "r1", "extract", "success")
            tis = (await client.task_instance.get_task_instances("etl", "r1")).task_instances
            assert {ti.task_id: ti.state for ti in tis} == {"extract": "success", "load": None}
            oracle.add_xcom("etl", "r1", "extract", "rows", 3)
            assert (await client.x_com.get_xcom_entry("etl", "r1", "extract", "rows")).value == "3"

            await client.variable.post_variables(body=models.Variable(key="k", value="v"))
            assert (await client.update("variable", "k", value="v2")).value == "v2"
            await client.pool.post_pool(body=models.Pool(name="p", slots=2))
            assert (await client.update("pool", "p", slots=4)).slots == 4
            await client.connection.post_connection(
                body=models.Connection(connection_id="c", conn_type="http")
            )
            assert (await client.update("connection", "c", host="h")).host == "h"
            await client.variable.delete_variable("k")
            await client.pool.delete_pool("p")
            await client.connection.delete_connection("c")
            assert (await client.monitoring.get_version()).version == "2.11.2"
            assert given((await client.monitoring.get_health()).metadatabase).status == "healthy"

    run(scenario())
    assert oracle.variables == {} and "p" not in oracle.pools and oracle.connections == {}
    assert oracle.pools["default_pool"]["slots"] == 128
    assert all(e.violations == () and e.status < 300 for e in oracle.exchanges)


# --- 2. violations: answered as the real server answers, and recorded ------------------------------


@dataclass
class Bad:
    """A request the spec refuses: what the server answers, and the violation recorded."""

    method: str
    path: str
    status: int
    title: str | None
    detail: str
    operation: str
    location: str
    pointer: str
    message: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    problem_type: str | None = None


BAD_REQUESTS = {
    "unknown path": Bad(
        "GET", "/nope", 404, "Not Found", NOT_FOUND_DETAIL, "", "path", "#/paths",
        "no path of the spec matches /nope", problem_type=ABOUT_BLANK,
    ),
    "wrong method": Bad(
        "PUT", "/dags", 405, "Method Not Allowed", METHOD_NOT_ALLOWED_DETAIL, "", "method", "#/paths/~1dags",
        "PUT is not among the methods of /dags (GET, PATCH)", problem_type=ABOUT_BLANK,
    ),
    "wrong parameter type": Bad(
        "GET", "/dags", 400, "Bad Request", "Wrong type, expected 'integer' for query parameter 'limit'",
        "get_dags", "query.limit", "#/components/parameters/PageLimit/schema",
        "Wrong type, expected 'integer' for query parameter 'limit'", params={"limit": "abc"},
    ),
    "unknown query parameter": Bad(
        "GET", "/dags", 400, None, "Extra query parameter(s) bogus not in spec", "get_dags", "query.bogus",
        "#/paths/~1dags/get", "query parameter 'bogus' is not declared by get_dags", params={"bogus": "1"},
    ),
    "body breaking the schema": Bad(
        "POST", "/pools", 400, "Bad Request", "'x' is not of type 'integer' - 'slots'", "post_pool",
        "body.slots", "#/components/schemas/Pool/properties/slots", "'x' is not of type 'integer'",
        json={"name": "p", "slots": "x"},
    ),
    "read-only field in a body": Bad(
        "POST", "/pools", 400, "Bad Request", "Property is read-only - 'occupied_slots'", "post_pool",
        "body.occupied_slots", "#/components/schemas/Pool/properties/occupied_slots", "Property is read-only",
        json={"name": "p", "slots": 1, "occupied_slots": 0},
    ),
    "pool update_mask naming an unknown field": Bad(
        "PATCH", "/pools/etl", 400, "Bad Request", "Invalid field: bogus in update mask", "patch_pool",
        "query.update_mask", "#/components/parameters/UpdateMask",
        "Airflow refuses it: Bad Request; Invalid field: bogus in update mask",
        params={"update_mask": "bogus"}, json={"name": "etl", "slots": 2},
    ),
    "dag update_mask naming a field it will not update": Bad(
        "PATCH", "/dags/tutorial", 400, "Bad Request",
        "Only `is_paused` field can be updated through the REST API", "patch_dag", "query.update_mask",
        "#/components/parameters/UpdateMask",
        "Airflow refuses it: Bad Request; Only `is_paused` field can be updated through the REST API",
        params={"update_mask": "description"}, json={"is_paused": True},
    ),
    "bad order_by": Bad(
        "GET", "/pools", 400, "Bad Request",
        "Ordering with 'nope' is disallowed or the attribute does not exist on the model", "get_pools",
        "query.order_by", "#/components/parameters/OrderBy",
        "Airflow refuses it: Bad Request; Ordering with 'nope' is disallowed or the attribute does not exist "
        "on the model",
        params={"order_by": "nope"},
    ),
    "deleting default_pool": Bad(
        "DELETE", "/pools/default_pool", 400, "Bad Request", "Default Pool can't be deleted", "delete_pool",
        "request", "#/paths/~1pools~1{pool_name}/delete",
        "Airflow refuses it: Bad Request; Default Pool can't be deleted",
    ),
}  # fmt: skip


@pytest.mark.parametrize("bad", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_request_breaking_the_spec_is_answered_and_recorded(
    oracle: Oracle, raw: httpx.Client, bad: Bad
) -> None:
    oracle.add_pool("etl", 2)
    before = dict(oracle.pools)
    response = raw.request(bad.method, bad.path, params=bad.params, json=bad.json)
    assert response.status_code == bad.status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == expected_problem(bad.status, bad.title, bad.detail, bad.problem_type)

    (violation,) = oracle.violations
    assert (violation.side, violation.operation, violation.location, violation.message) == (
        "request",
        bad.operation,
        bad.location,
        bad.message,
    )
    assert violation.pointer == bad.pointer
    assert_resolves(violation)
    assert (violation.status, violation.title, violation.detail) == (bad.status, bad.title, bad.detail)
    exchange = oracle.exchanges[-1]
    assert (exchange.status, exchange.operation, exchange.violations) == (
        bad.status,
        bad.operation,
        (violation,),
    )
    assert oracle.pools == before and oracle.dags["tutorial"].is_paused is True  # nothing changed
    assert oracle.take_violations() == [violation]
    assert oracle.violations == []


def test_the_pointer_of_a_parameter_violation_is_its_schema(oracle: Oracle, raw: httpx.Client) -> None:
    raw.get("/dags", params={"limit": "abc"})
    (violation,) = oracle.take_violations()
    assert assert_resolves(violation) == {"default": 100, "type": "integer"}
    raw.get("/pools", params={"order_by": "nope"})
    (refused,) = oracle.take_violations()
    assert assert_resolves(refused)["name"] == "order_by"


def test_errors_raised_by_the_client_carry_the_problem(oracle: Oracle, client: AirflowClient) -> None:
    with pytest.raises(errors.BadRequestError) as bad:
        client.pool.delete_pool("default_pool")
    assert (bad.value.status_code, bad.value.title, bad.value.detail) == (
        400,
        "Bad Request",
        "Default Pool can't be deleted",
    )
    with pytest.raises(errors.BadRequestError) as ordering:
        client.variable.get_variables(order_by="-nope")
    assert (
        ordering.value.detail
        == "Ordering with 'nope' is disallowed or the attribute does not exist on the model"
    )
    taken = oracle.take_violations()
    assert [(v.operation, v.location) for v in taken] == [
        ("delete_pool", "request"),
        ("get_variables", "query.order_by"),
    ]


def test_async_client_violations_are_recorded(oracle: Oracle) -> None:
    oracle.add_pool("etl", 2)

    async def scenario() -> None:
        async with async_client(oracle) as client:
            with pytest.raises(errors.BadRequestError) as bad:
                await client.pool.patch_pool(
                    "etl", body=models.Pool(name="etl", slots=2), update_mask=["bogus"]
                )
            assert bad.value.detail == "Invalid field: bogus in update mask"
            with pytest.raises(errors.BadRequestError):
                await client.pool.delete_pool("default_pool")
            with pytest.raises(errors.BadRequestError) as mask:
                await client.dag.patch_dag(
                    "tutorial", body=models.DAG(is_paused=False), update_mask=["description"]
                )
            assert mask.value.detail == "Only `is_paused` field can be updated through the REST API"

    run(scenario())
    assert [(v.side, v.operation, v.location) for v in oracle.violations] == [
        ("request", "patch_pool", "query.update_mask"),
        ("request", "delete_pool", "request"),
        ("request", "patch_dag", "query.update_mask"),
    ]
    for violation in oracle.take_violations():
        assert_resolves(violation)
    assert oracle.dags["tutorial"].is_paused is True


def test_take_violations_empties_and_assert_no_violations_lists_them(
    oracle: Oracle, raw: httpx.Client
) -> None:
    oracle.assert_no_violations()
    raw.get("/dags", params={"limit": "abc"})
    raw.delete("/pools/default_pool")
    with pytest.raises(SpecViolationError) as raised:
        oracle.assert_no_violations()
    assert raised.value.violations == oracle.violations and len(oracle.violations) == 2
    text = str(raised.value)
    assert text.startswith("2 request(s) or response(s) broke the spec:")
    for violation in oracle.violations:
        assert f"\n  - {violation}" in text
    assert "request GET /dags: query.limit: Wrong type" in text
    assert "(spec #/components/parameters/PageLimit/schema)" in text
    assert "request DELETE /pools/{pool_name}: request: Airflow refuses it" in text

    assert len(oracle.take_violations()) == 2
    assert oracle.take_violations() == []
    oracle.assert_no_violations()
    assert len(oracle.exchanges) == 2  # the exchanges stay


def test_a_valid_request_after_a_bad_one_records_nothing(oracle: Oracle, raw: httpx.Client) -> None:
    raw.get("/dags", params={"limit": "abc"})
    oracle.take_violations()
    assert raw.get("/dags", params={"limit": "2"}).status_code == 200
    assert oracle.violations == [] and oracle.exchanges[-1].violations == ()


# --- 3. responses: canned ones are checked when registered, the fake's when sent --------------------


def test_a_canned_response_answers_once_then_the_state_answers(
    oracle: Oracle, client: AirflowClient, raw: httpx.Client
) -> None:
    body = raw.get("/dags/tutorial").json()
    body["description"] = "canned"
    oracle.respond("GET", "/dags/tutorial", json=body)
    assert client.dag.get_dag("tutorial").description == "canned"
    assert client.dag.get_dag("tutorial").description == "A simple tutorial DAG"
    assert [e.status for e in oracle.exchanges] == [200, 200, 200]


def test_a_canned_response_is_for_its_path_parameters_only(oracle: Oracle, client: AirflowClient) -> None:
    oracle.add_dag("etl")
    oracle.respond(
        "GET",
        "/api/v1/dags/etl",
        status=404,
        json=expected_problem(404, "DAG not found", "canned"),
        times=2,
    )
    assert client.dag.get_dag("tutorial").dag_id == "tutorial"
    for _ in range(2):
        with pytest.raises(errors.NotFoundError) as missing:
            client.dag.get_dag("etl")
        assert missing.value.detail == "canned"
    assert client.dag.get_dag("etl").dag_id == "etl"


def test_a_canned_response_with_times_none_is_reused(oracle: Oracle, client: AirflowClient) -> None:
    oracle.respond("GET", "/version", json={"version": "2.10.5", "git_version": None}, times=None)
    assert [client.monitoring.get_version().version for _ in range(3)] == ["2.10.5"] * 3

    async def read() -> str:
        async with async_client(oracle) as aclient:
            return given((await aclient.monitoring.get_version()).version)

    assert run(read()) == "2.10.5"


def test_a_canned_204_answers_a_delete_without_touching_the_state(
    oracle: Oracle, client: AirflowClient
) -> None:
    oracle.respond("DELETE", "/pools/default_pool", status=204)
    client.pool.delete_pool("default_pool")
    assert "default_pool" in oracle.pools


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "pointer"),
    [
        pytest.param(
            "GET", "/dags/tutorial", 200, {"dag_id": "tutorial", "is_paused": "yes"},
            "#/components/schemas/DAG/properties/is_paused", id="a field of the wrong type",
        ),
        pytest.param(
            "GET", "/dags/tutorial", 418, None, "#/paths/~1dags~1{dag_id}/get/responses",
            id="a status the operation does not declare",
        ),
        pytest.param(
            "DELETE", "/pools/p", 204, {"name": "p"}, "#/paths/~1pools~1{pool_name}/delete/responses/204",
            id="a body where the status declares none",
        ),
        pytest.param(
            "GET", "/pools/p", 404, {"title": "Not Found"},
            "#/components/schemas/Error", id="a Problem JSON missing required fields",
        ),
        pytest.param("GET", "/nope", 200, {}, "#/paths", id="a path no operation has"),
        pytest.param("PUT", "/dags", 200, {}, "#/paths/~1dags", id="a method the path does not have"),
    ],
)  # fmt: skip
def test_an_impossible_canned_response_is_refused_when_registered(
    oracle: Oracle, client: AirflowClient, method: str, path: str, status: int, body: Any, pointer: str
) -> None:
    with pytest.raises(SpecViolationError) as refused:
        oracle.respond(method, path, status=status, json=body)
    assert [v.pointer for v in refused.value.violations][:1] == [pointer]
    assert f"(spec {pointer})" in str(refused.value)
    for violation in refused.value.violations:
        assert_resolves(violation)
    assert oracle.violations == [] and oracle.exchanges == []
    assert client.dag.get_dag("tutorial").is_paused is True  # nothing was registered


def test_an_invalid_answer_of_the_fake_is_recorded(
    oracle: Oracle, raw: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        oracle.fake.handlers, "get_version", lambda call: (200, {"version": 3, "git_version": None})
    )
    response = raw.get("/version")
    assert (response.status_code, response.json()) == (200, {"version": 3, "git_version": None})
    (violation,) = oracle.take_violations()
    assert (violation.side, violation.operation, violation.location) == (
        "response",
        "get_version",
        "body.version",
    )
    assert violation.message == "3 is not of type 'string'"
    assert violation.pointer == "#/components/schemas/VersionInfo/properties/version"
    assert assert_resolves(violation)["type"] == "string"
    assert oracle.exchanges[-1].violations == (violation,)


def test_an_undeclared_status_from_the_fake_is_recorded(
    oracle: Oracle, raw: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def teapot(call: Call) -> tuple[int, Any]:
        return 418, {"detail": None, "status": 418, "title": "I'm a teapot", "type": "about:blank"}

    monkeypatch.setitem(oracle.fake.handlers, "get_pools", teapot)
    assert raw.get("/pools").status_code == 418
    (violation,) = oracle.take_violations()
    assert (violation.side, violation.operation, violation.location) == ("response", "get_pools", "status")
    assert violation.pointer == "#/paths/~1pools/get/responses"
    assert_resolves(violation)
    assert violation.message.startswith("status 418 is not declared (declared: 200")


# --- 4. credentials ---------------------------------------------------------------------------------


def test_auth_is_required_when_configured() -> None:
    oracle = Oracle(auth=("admin", "admin"))
    forbidden = expected_problem(403, "Forbidden", None)
    with httpx.Client(transport=oracle.transport(), base_url=oracle.api_url) as raw:
        for auth in (None, ("admin", "wrong"), ("someone", "admin")):
            response = raw.get("/pools", auth=auth)
            assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM_JSON)
            assert response.json() == forbidden
        assert raw.get("/pools", auth=("admin", "admin")).status_code == 200
        # as Airflow: routing and validation before the view's access check; /health and /version are public
        assert raw.get("/nope").status_code == 404
        assert raw.get("/dags", params={"limit": "abc"}).status_code == 400
        assert raw.get("/health").status_code == 200
        assert raw.get("/version").status_code == 200
    assert [v.location for v in oracle.take_violations()] == ["path", "query.limit"]
    assert [e.operation for e in oracle.exchanges[:4]] == ["get_pools"] * 4

    with AirflowClient(oracle.url, transport=oracle.transport()) as anonymous:
        with pytest.raises(errors.PermissionDeniedError) as denied:
            anonymous.pool.get_pools()
        assert (denied.value.status_code, denied.value.title, denied.value.detail) == (403, "Forbidden", None)
    wrong = AirflowClient(oracle.url, transport=oracle.transport(), auth=("admin", "wrong"))
    with wrong, pytest.raises(errors.PermissionDeniedError):
        wrong.update("dag", "tutorial", is_paused=False)
    assert oracle.dags["tutorial"].is_paused is True
    with AirflowClient(oracle.url, transport=oracle.transport(), auth=("admin", "admin")) as admin:
        assert admin.pool.get_pools().total_entries == 1
        assert admin.update("dag", "tutorial", is_paused=False).is_paused is False

    async def as_admin() -> int:
        async with async_client(oracle, auth=("admin", "admin")) as aclient:
            return given((await aclient.dag.get_dags()).total_entries)

    async def as_nobody() -> None:
        async with async_client(oracle) as aclient:
            await aclient.dag.get_dags()

    assert run(as_admin()) == 4
    with pytest.raises(errors.PermissionDeniedError):
        run(as_nobody())
    oracle.assert_no_violations()


# --- 5. a base URL with a path prefix ---------------------------------------------------------------


def test_a_base_url_with_a_path_prefix() -> None:
    oracle = Oracle("http://airflow.test/proxy/")
    assert (oracle.url, oracle.api_url) == ("http://airflow.test/proxy", "http://airflow.test/proxy/api/v1")
    with AirflowClient(oracle.url, transport=oracle.transport()) as client:
        assert len(list(client.paginate(client.dag.get_dags, page_size=3))) == 4
        client.pool.post_pool(body=models.Pool(name="p", slots=1))
    assert httpx.URL(oracle.exchanges[0].path).path == "/proxy/api/v1/dags"
    assert "p" in oracle.pools

    async def read() -> int:
        async with async_client(oracle) as aclient:
            return given((await aclient.pool.get_pools()).total_entries)

    assert run(read()) == 2
    with httpx.Client(transport=oracle.transport()) as raw:
        for outside in (
            "http://airflow.test/api/v1/dags",
            "http://airflow.test/proxy/health",
            "http://airflow.test/proxy/api/v2/dags",
            "http://airflow.test/proxy/api/v1x/dags",
        ):
            response = raw.get(outside)
            assert response.status_code == 404, outside
            assert response.json() == expected_problem(404, "Not Found", NOT_FOUND_DETAIL, ABOUT_BLANK)
    assert [e.operation for e in oracle.exchanges[-4:]] == [""] * 4
    oracle.assert_no_violations()  # outside the API: not the spec's business


def test_a_base_url_must_be_absolute() -> None:
    for bad in ("airflow.test", "ftp://airflow.test", "/api/v1"):
        with pytest.raises(ValueError, match="absolute http"):
            Oracle(bad)


# --- 6. concurrent use ------------------------------------------------------------------------------


def test_threads_share_one_oracle(oracle: Oracle) -> None:
    threads_count, rounds = 8, 5
    barrier = threading.Barrier(threads_count)
    failures: list[BaseException] = []

    def work(number: int) -> None:
        try:
            with AirflowClient(oracle.url, transport=oracle.transport()) as client:
                barrier.wait(timeout=10)
                for i in range(rounds):
                    key = f"t{number}_{i}"
                    client.variable.post_variables(body=models.Variable(key=key, value=str(i)))
                    assert client.variable.get_variable(key).value == str(i)
                    assert client.dag.get_dags(limit=2).total_entries == 4
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not any(worker.is_alive() for worker in workers)
    assert failures == []
    assert len(oracle.exchanges) == threads_count * rounds * 3
    assert all(e.status == 200 for e in oracle.exchanges)
    assert len(oracle.variables) == threads_count * rounds


# --- the routing answers that are not an operation -------------------------------------------------


def test_options_head_and_doubled_slashes_as_flask_answers_them() -> None:
    oracle = Oracle("http://airflow.test/proxy")
    assert oracle.handle_raw("options", "/proxy/api/v1/dags", {}, b"") == (
        200,
        {"Allow": "GET, HEAD, PATCH, OPTIONS", "Content-Type": "text/html; charset=utf-8"},
        b"",
    )
    assert oracle.handle_raw("HEAD", "/proxy/api/v1/dags?limit=1", {}, b"") == (
        200,
        {"Content-Type": "application/json"},
        b"",
    )
    assert oracle.handle_raw("GET", "/proxy/api/v1//pools", {}, b"") == (
        308,
        {"Location": "/proxy/api/v1/pools"},
        b"",
    )
    status, headers, body = oracle.handle_raw(
        "POST", "/proxy/api/v1/variables", {"CONTENT-TYPE": "application/json"}, b'{"key": "k", "value": "v"}'
    )
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert json.loads(body) == {"key": "k", "value": "v"}
    assert oracle.variables["k"]["value"] == "v"
    assert [e.status for e in oracle.exchanges] == [200, 200, 308, 200]
    oracle.assert_no_violations()
