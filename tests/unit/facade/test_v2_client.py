"""The Airflow 3 clients (REST API v2) on the shared core: URLs, auth, errors from v2's shapes,
paging by offset (the server caps at 100) and by cursor, update/edit with v2's facts, waiting.

Each behaviour has a sync and an async test; HTTP is mocked with pytest-httpx.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import Airflow3Client, AsyncAirflow3Client, BearerAuth, PasswordTokenAuth, errors
from airflow_rest.models_v2 import DAGResponse, PoolResponse, TaskInstanceResponse, TriggerDAGRunPostBody

from .conftest import TLS, AsyncSleepRecorder, SleepRecorder, collect
from .v2_samples import sample

BASE = "https://airflow.test/prefix"
API = f"{BASE}/api/v2"


def sync_client(**kwargs: Any) -> Airflow3Client:
    client = Airflow3Client(BASE, verify=TLS, auth=kwargs.pop("auth", BearerAuth("tok")), **kwargs)
    client._sleep = SleepRecorder()
    return client


def async_client(**kwargs: Any) -> AsyncAirflow3Client:
    client = AsyncAirflow3Client(BASE, verify=TLS, auth=kwargs.pop("auth", BearerAuth("tok")), **kwargs)
    client._sleep = AsyncSleepRecorder()
    return client


def arun(client: AsyncAirflow3Client, fn: Any) -> Any:
    async def main() -> Any:
        async with client:
            return await fn(client)

    return asyncio.run(main())


def dag(i: int, **fields: Any) -> dict[str, Any]:
    return sample("DAGResponse", **{"dag_id": f"dag_{i:03d}", **fields})


# --- URLs and the major --------------------------------------------------------------------------


def test_operations_go_to_api_v2_under_the_prefix(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/dags/d1", json=dag(1, dag_id="d1"))
    with sync_client() as client:
        got = client.dag.get_dag("d1")
        assert (client.base_url, client.airflow_major) == (f"{API}/", 3)
    assert isinstance(got, DAGResponse) and got.dag_id == "d1"
    (request,) = httpx_mock.get_requests()
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["accept"] == "application/json"


def test_operations_go_to_api_v2_under_the_prefix_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/dags/d1", json=dag(1, dag_id="d1"))
    got = arun(async_client(), lambda c: c.dag.get_dag("d1"))
    assert isinstance(got, DAGResponse) and got.dag_id == "d1"


@pytest.mark.parametrize("url", [f"{BASE}/api/v2", f"{BASE}/api/v1/", "ftp://airflow.test"])
def test_a_base_url_that_is_not_the_webserver_root_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        Airflow3Client(url)
    with pytest.raises(ValueError, match="base_url"):
        AsyncAirflow3Client(url)


def test_a_password_logs_in_for_a_token_and_sends_it_as_bearer(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{BASE}/auth/token", status_code=201, json={"access_token": "jwt-1"}
    )
    httpx_mock.add_response(url=f"{API}/version", json=sample("VersionInfo", version="3.3.2"))
    with sync_client(auth=("admin", "pw-s3cret")) as client:
        assert isinstance(client._lazy_http.factory().auth, PasswordTokenAuth)
        assert client.version.get_version().version == "3.3.2"
    login, call = httpx_mock.get_requests()
    assert json.loads(login.content) == {"username": "admin", "password": "pw-s3cret"}
    assert call.headers["authorization"] == "Bearer jwt-1"


def test_a_password_logs_in_for_a_token_and_sends_it_as_bearer_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{BASE}/auth/token", status_code=201, json={"access_token": "jwt-1"}
    )
    httpx_mock.add_response(url=f"{API}/version", json=sample("VersionInfo", version="3.3.2"))
    got = arun(async_client(auth=("admin", "pw")), lambda c: c.version.get_version())
    assert got.version == "3.3.2"
    assert httpx_mock.get_requests()[1].headers["authorization"] == "Bearer jwt-1"


# --- errors from v2's shapes ----------------------------------------------------------------------

VALIDATION = {
    "detail": [
        {
            "type": "int_parsing",
            "loc": ["query", "limit"],
            "msg": "Input should be a valid integer",
            "input": "x",
        }
    ]
}
CONFLICT = {
    "detail": {
        "reason": "Unique constraint violation",
        "statement": "INSERT INTO slot_pool ...",
        "orig_error": "UNIQUE constraint failed: slot_pool.pool",
        "message": "Resource with the same name already exists",
    }
}
ERROR_CASES = [
    (404, {"detail": "The DAG with dag_id: `nope` was not found"}, errors.NotFoundError, "was not found"),
    (409, CONFLICT, errors.ConflictError, "Resource with the same name already exists"),
    (422, VALIDATION, errors.UnprocessableEntityError, "query.limit: Input should be a valid integer"),
    (403, {"detail": "Invalid JWT token"}, errors.PermissionDeniedError, "Invalid JWT token"),
]


@pytest.mark.parametrize(("status", "body", "cls", "text"), ERROR_CASES)
def test_v2_error_shapes_become_typed_errors_with_the_servers_message(
    httpx_mock: HTTPXMock, status: int, body: dict[str, Any], cls: type[errors.APIStatusError], text: str
) -> None:
    httpx_mock.add_response(url=f"{API}/dags/nope", status_code=status, json=body)
    with sync_client(max_retries=0) as client, pytest.raises(cls) as caught:
        client.dag.get_dag("nope")
    error = caught.value
    assert text in str(error) and error.detail is not None and text in error.detail
    assert error.status_code == status and error.body == body
    if status == 422:
        assert isinstance(error, errors.BadRequestError)  # what a 400 is on Airflow 2
        assert isinstance(error, errors.UnprocessableEntityError) and error.errors[0]["loc"] == [
            "query",
            "limit",
        ]


@pytest.mark.parametrize(("status", "body", "cls", "text"), ERROR_CASES)
def test_v2_error_shapes_become_typed_errors_with_the_servers_message_async(
    httpx_mock: HTTPXMock, status: int, body: dict[str, Any], cls: type[errors.APIStatusError], text: str
) -> None:
    httpx_mock.add_response(url=f"{API}/dags/nope", status_code=status, json=body)
    with pytest.raises(cls, match=text.replace(".", r"\.")):
        arun(async_client(max_retries=0), lambda c: c.dag.get_dag("nope"))


# --- paging ---------------------------------------------------------------------------------------


class CappedDags:
    """/api/v2/dags as Airflow 3 answers it: a limit over 100 is cut to 100 without a word."""

    def __init__(self, n: int) -> None:
        self.items = [dag(i) for i in range(n)]
        self.calls: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        limit, offset = int(request.url.params["limit"]), int(request.url.params.get("offset", "0"))
        self.calls.append((offset, limit))
        page = self.items[offset : offset + min(limit, 100)]
        return httpx.Response(200, json={"dags": page, "total_entries": len(self.items)})


def test_paging_loses_nothing_when_the_server_caps_the_limit_at_100(httpx_mock: HTTPXMock) -> None:
    server = CappedDags(250)
    httpx_mock.add_callback(server, is_reusable=True)
    with sync_client() as client:
        got = [d.dag_id for d in client.paginate(client.dag.get_dags, page_size=500)]
        ahead = [d.dag_id for d in client.paginate(client.dag.get_dags, page_size=500, concurrency=3)]
    assert got == ahead == [f"dag_{i:03d}" for i in range(250)]
    assert server.calls[:3] == [(0, 500), (100, 500), (200, 500)]


def test_paging_loses_nothing_when_the_server_caps_the_limit_at_100_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_callback(CappedDags(250), is_reusable=True)

    async def both(c: AsyncAirflow3Client) -> tuple[list[Any], list[Any]]:
        return await collect(c.paginate(c.dag.get_dags, page_size=500)), await collect(
            c.paginate(c.dag.get_dags, page_size=500, concurrency=3)
        )

    one, many = arun(async_client(), both)
    assert [d.dag_id for d in one] == [d.dag_id for d in many] == [f"dag_{i:03d}" for i in range(250)]


class CursorRuns:
    """/api/v2/dags/{id}/dagRuns paged by cursor (3.2+), or by offset only (``cursors=False``: 3.0)."""

    def __init__(self, n: int, *, cursors: bool = True) -> None:
        self.items = [sample("DAGRunResponse", dag_run_id=f"r{i}", dag_id="etl") for i in range(n)]
        self.cursors = cursors
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        self.queries.append(query)
        limit = min(int(query["limit"]), 100)
        if self.cursors and "cursor" in query:
            start = int(query["cursor"][1:]) if query["cursor"] else 0
            end = start + limit
            body = {
                "dag_runs": self.items[start:end],
                "total_entries": len(self.items),
                "next_cursor": f"c{end}" if end < len(self.items) else None,
                "previous_cursor": None,
            }
        else:
            offset = int(query.get("offset", "0"))
            body = {"dag_runs": self.items[offset : offset + limit], "total_entries": len(self.items)}
        return httpx.Response(200, json=body)


@pytest.mark.parametrize("cursors", [True, False], ids=["cursor-server", "offset-only-server"])
def test_paging_follows_the_cursor_where_the_server_gives_one(httpx_mock: HTTPXMock, cursors: bool) -> None:
    server = CursorRuns(7, cursors=cursors)
    httpx_mock.add_callback(server, is_reusable=True)
    with sync_client() as client:
        got = [r.dag_run_id for r in client.paginate(client.dag_run.get_dag_runs, page_size=3, dag_id="etl")]
    assert got == [f"r{i}" for i in range(7)]
    if cursors:
        assert [q.get("cursor") for q in server.queries] == ["", "c3", "c6"]
    else:  # the first page named no next cursor: the rest by offset
        assert [(q.get("cursor"), q.get("offset")) for q in server.queries] == [
            ("", "0"),
            (None, "3"),
            (None, "6"),
        ]


@pytest.mark.parametrize("cursors", [True, False], ids=["cursor-server", "offset-only-server"])
def test_paging_follows_the_cursor_where_the_server_gives_one_async(
    httpx_mock: HTTPXMock, cursors: bool
) -> None:
    server = CursorRuns(7, cursors=cursors)
    httpx_mock.add_callback(server, is_reusable=True)
    got = arun(
        async_client(), lambda c: collect(c.paginate(c.dag_run.get_dag_runs, page_size=3, dag_id="etl"))
    )
    assert [r.dag_run_id for r in got] == [f"r{i}" for i in range(7)]
    assert len(server.queries) == 3


# --- update / edit with v2's facts -----------------------------------------------------------------

POOL = sample("PoolResponse", name="etl", slots=4, description="old", include_deferred=True)


def _pool_answers(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", url=f"{API}/pools/etl", json=POOL)
    httpx_mock.add_response(
        method="PATCH", url=f"{API}/pools/etl?update_mask=slots", json={**POOL, "slots": 8}
    )


def _check_pool_patch(httpx_mock: HTTPXMock) -> None:
    read, patch = httpx_mock.get_requests()
    assert read.method == "GET"  # the server insists on pool and include_deferred in the body
    assert json.loads(patch.content) == {"slots": 8, "pool": "etl", "include_deferred": True}


def test_update_sends_the_mask_and_the_fields_the_server_insists_on(httpx_mock: HTTPXMock) -> None:
    _pool_answers(httpx_mock)
    with sync_client() as client:
        pool = client.update("pool", "etl", slots=8)
        with pytest.raises(ValueError, match="it updates: slots, description, include_deferred"):
            client.update("pool", "etl", name="other")
    assert isinstance(pool, PoolResponse) and pool.slots == 8
    _check_pool_patch(httpx_mock)


def test_update_sends_the_mask_and_the_fields_the_server_insists_on_async(httpx_mock: HTTPXMock) -> None:
    _pool_answers(httpx_mock)
    pool = arun(async_client(), lambda c: c.update("pool", "etl", slots=8))
    assert pool.slots == 8
    _check_pool_patch(httpx_mock)


def _ti_answers(httpx_mock: HTTPXMock) -> str:
    url = f"{API}/dags/etl/dagRuns/r1/taskInstances/load"
    ti = sample("TaskInstanceResponse", task_id="load", dag_id="etl", dag_run_id="r1", note="n")
    collection = {"task_instances": [ti], "total_entries": 1}
    httpx_mock.add_response(method="PATCH", url=f"{url}?update_mask=note", json=collection)
    httpx_mock.add_response(method="GET", url=url, json=ti)
    return url


def test_update_reads_a_task_instance_again_after_its_patch(httpx_mock: HTTPXMock) -> None:
    _ti_answers(httpx_mock)
    with sync_client() as client:
        ti = client.update("task_instance", ("etl", "r1", "load"), note="n")
    assert isinstance(ti, TaskInstanceResponse) and ti.note == "n"
    assert [r.method for r in httpx_mock.get_requests()] == ["PATCH", "GET"]


def test_edit_reads_a_task_instance_again_after_its_patch_async(httpx_mock: HTTPXMock) -> None:
    url = f"{API}/dags/etl/dagRuns/r1/taskInstances/load"
    before = sample("TaskInstanceResponse", task_id="load", dag_id="etl", dag_run_id="r1", note="old")
    httpx_mock.add_response(method="GET", url=url, json=before)
    _ti_answers(httpx_mock)
    ti = arun(
        async_client(),
        lambda c: c.edit("task_instance", ("etl", "r1", "load"), lambda t: setattr(t, "note", "n")),
    )
    assert isinstance(ti, TaskInstanceResponse) and ti.note == "n"
    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "PATCH", "GET"]
    assert json.loads(httpx_mock.get_requests()[1].content) == {"note": "n"}


# --- waiting, options, datetimes ------------------------------------------------------------------


def _runs(httpx_mock: HTTPXMock) -> None:
    url = f"{API}/dags/etl/dagRuns/r1"
    for state in ("queued", "running", "success"):
        httpx_mock.add_response(url=url, json=sample("DAGRunResponse", dag_run_id="r1", state=state))


def test_wait_for_dag_run_polls_until_the_run_ends(httpx_mock: HTTPXMock) -> None:
    _runs(httpx_mock)
    with sync_client() as client:
        run = client.wait_for_dag_run("etl", "r1", poll_interval=5)
        assert client._sleep.calls == [5, 5]  # type: ignore[attr-defined]
    assert run.state == "success"


def test_wait_for_dag_run_polls_until_the_run_ends_async(httpx_mock: HTTPXMock) -> None:
    _runs(httpx_mock)
    run = arun(async_client(), lambda c: c.wait_for_dag_run("etl", "r1", poll_interval=5))
    assert run.state == "success"


def test_with_options_and_retries_apply(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/version", status_code=503, headers={"Retry-After": "2"})
    httpx_mock.add_response(url=f"{API}/version", json=sample("VersionInfo", version="3.3.2"))
    with sync_client() as client:
        assert client.with_options(headers={"X-Trace": "t"}).version.get_version().version == "3.3.2"
        assert client._sleep.calls == [2.0]  # type: ignore[attr-defined]
    assert httpx_mock.get_requests()[-1].headers["x-trace"] == "t"


def test_with_options_and_retries_apply_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/version", status_code=503, headers={"Retry-After": "2"})
    httpx_mock.add_response(url=f"{API}/version", json=sample("VersionInfo", version="3.3.2"))
    got = arun(async_client(), lambda c: c.with_options(max_retries=1).version.get_version())
    assert got.version == "3.3.2"


def test_a_naive_datetime_is_refused_before_any_request() -> None:
    body = TriggerDAGRunPostBody(logical_date=dt.datetime(2026, 1, 1))
    with sync_client() as client, pytest.raises(errors.NaiveDatetimeError):
        client.dag_run.trigger_dag_run("etl", body=body)


def test_a_naive_datetime_is_refused_before_any_request_async() -> None:
    body = TriggerDAGRunPostBody(logical_date=dt.datetime(2026, 1, 1))
    with pytest.raises(errors.NaiveDatetimeError):
        arun(async_client(), lambda c: c.dag_run.trigger_dag_run("etl", body=body))


def _undeclared_status(httpx_mock: HTTPXMock) -> None:
    body = sample("VariableResponse", key="k", value="tok-s3cret")
    httpx_mock.add_response(method="POST", url=f"{API}/variables", status_code=200, json=body)


def test_an_undeclared_success_status_is_an_error_that_shows_no_body(httpx_mock: HTTPXMock) -> None:
    _undeclared_status(httpx_mock)  # post_variable answers 201 on Airflow 3
    with sync_client() as client, pytest.raises(errors.ResponseDecodeError) as caught:
        client.create("variable", key="k", value="tok-s3cret")
    assert "declares no 200 answer" in str(caught.value) and "s3cret" not in str(caught.value)
    assert caught.value.__cause__ is None and "s3cret" in caught.value.response.text


def test_an_undeclared_success_status_is_an_error_that_shows_no_body_async(httpx_mock: HTTPXMock) -> None:
    _undeclared_status(httpx_mock)
    with pytest.raises(errors.ResponseDecodeError) as caught:
        arun(async_client(), lambda c: c.create("variable", key="k", value="tok-s3cret"))
    assert "declares no 200 answer" in str(caught.value) and "s3cret" not in str(caught.value)
