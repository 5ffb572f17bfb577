"""MWAA InvokeRestApi as an httpx transport: typed operations relayed through boto3 and back.

Every call is checked with botocore's own ``Stubber`` on a real MWAA client, which validates the
parameters against the service model and asserts exactly what is sent. Connection errors are raised
by a handler on the client's ``provide-client-params`` event, the first thing a boto3 call does.
"""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore import exceptions as bx
from botocore.stub import Stubber

from airflow_rest import AirflowClient, AsyncAirflowClient, errors, models
from airflow_rest.providers.mwaa import (
    RESPONSE_LIMIT_BYTES,
    AsyncInvokeRestApiTransport,
    InvokeRestApiTimeout,
    InvokeRestApiTransport,
    async_invoke_client,
    invoke_client,
)

from ..facade.conftest import FROZEN_NOW, AsyncSleepRecorder, SleepRecorder, arun, collect, dag_json

BOTH = pytest.mark.parametrize("mode", ["sync", "async"])
ENV = "MyEnvironment"
REGION = "us-east-1"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ERRORS_DOC = "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html"
RUN_ID = "manual__2024-01-01T00:00:00+00:00"
TOO_LARGE = "Response payload size exceeded maximum allowed payload size (6291556 bytes)."


@pytest.fixture
def mwaa() -> Any:
    return boto3.client(
        "mwaa", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def stubber(mwaa: Any) -> Iterator[Stubber]:
    with Stubber(mwaa) as stub:
        yield stub


# --- helpers --------------------------------------------------------------------------------------


def invoke_params(
    path: str, method: str = "GET", *, query: dict[str, Any] | None = None, body: Any = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"Name": ENV, "Path": path, "Method": method}
    if query is not None:
        params["QueryParameters"] = query
    if body is not None:
        params["Body"] = body
    return params


def expect(
    stubber: Stubber,
    path: str,
    method: str = "GET",
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    status: int = 200,
    response: Any = None,
) -> None:
    reply: dict[str, Any] = {"RestApiStatusCode": status}
    if response is not None:
        reply["RestApiResponse"] = response
    stubber.add_response("invoke_rest_api", reply, invoke_params(path, method, query=query, body=body))


def expect_error(
    stubber: Stubber,
    code: str,
    path: str,
    method: str = "GET",
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    message: str = "",
    http_status: int = 400,
    **fields: Any,
) -> None:
    stubber.add_client_error(
        "invoke_rest_api",
        service_error_code=code,
        service_message=message,
        http_status_code=http_status,
        expected_params=invoke_params(path, method, query=query, body=body),
        response_meta={"RequestId": "req-0001"},
        modeled_fields=fields or None,
    )


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    """Airflow's Problem JSON (RFC 7807), as InvokeRestApi hands it back."""
    return {
        "detail": detail,
        "status": status,
        "title": title,
        "type": f"{ERRORS_DOC}#section/Errors/{title.replace(' ', '')}",
    }


def fail_first(mwaa: Any, *failures: Exception) -> None:
    """Make the next calls of the MWAA client raise ``failures`` (one each) before anything is sent."""
    pending = list(failures)

    def handler(**_: Any) -> None:
        if pending:
            raise pending.pop(0)

    mwaa.meta.events.register("provide-client-params.mwaa.InvokeRestApi", handler)


def built(value: Any) -> Any:
    """What a factory gives: awaited when the async one gave a coroutine."""
    return asyncio.run(value) if inspect.iscoroutine(value) else value


def make_client(mode: str, mwaa: Any, **kwargs: Any) -> AirflowClient | AsyncAirflowClient:
    """An InvokeRestApi client of Airflow 2 with recorded sleeps and a frozen clock."""
    client: AirflowClient | AsyncAirflowClient
    if mode == "sync":
        client = invoke_client(ENV, airflow_version=2, mwaa_client=mwaa, **kwargs)
        client._sleep = SleepRecorder()
    else:
        client = built(async_invoke_client(ENV, airflow_version=2, mwaa_client=mwaa, **kwargs))
        client._sleep = AsyncSleepRecorder()
        client._overlap_worthwhile = 0.0
    client._clock = lambda: FROZEN_NOW
    return client


def run(client: AirflowClient | AsyncAirflowClient, action: Callable[[Any], Any]) -> Any:
    """``action(client)``: awaited (or its async iterator collected) on the async client, an iterator
    listed on the sync one."""
    if isinstance(client, AirflowClient):
        with client:
            result = action(client)
            return list(result) if isinstance(result, Iterator) else result

    async def main(c: AsyncAirflowClient) -> Any:
        result = action(c)
        if isinstance(result, AsyncIterator):
            return await collect(result)
        return await result

    return arun(client, main)


def call(mode: str, mwaa: Any, action: Callable[[Any], Any], **kwargs: Any) -> Any:
    return run(make_client(mode, mwaa, **kwargs), action)


def sleeps(client: AirflowClient | AsyncAirflowClient) -> list[float]:
    recorder: SleepRecorder = client._sleep  # type: ignore[assignment,unused-ignore]
    return recorder.calls


def transport_for(mode: str, mwaa: Any) -> InvokeRestApiTransport | AsyncInvokeRestApiTransport:
    return (InvokeRestApiTransport if mode == "sync" else AsyncInvokeRestApiTransport)(ENV, mwaa_client=mwaa)


def send(transport: InvokeRestApiTransport | AsyncInvokeRestApiTransport, request: httpx.Request) -> Any:
    """One request through a transport directly, without a client."""
    if isinstance(transport, InvokeRestApiTransport):
        return transport.handle_request(request)
    return asyncio.run(transport.handle_async_request(request))


# --- requests: method, path, query and body -------------------------------------------------------


@BOTH
def test_get_dags_relays_limit_and_offset_as_query_parameters(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect(
        stubber,
        "/dags",
        query={"limit": "5", "offset": "10", "only_active": "true"},
        response={"dags": [dag_json(11), dag_json(12)], "total_entries": 12},
    )
    page = call(mode, mwaa, lambda c: c.dag.get_dags(limit=5, offset=10))
    assert [d.dag_id for d in page.dags] == ["dag_011", "dag_012"]
    assert page.total_entries == 12
    stubber.assert_no_pending_responses()


@BOTH
def test_a_repeated_query_key_is_relayed_as_a_list_of_its_values_in_order(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    expect(
        stubber,
        "/dags",
        query={
            "limit": "2",
            "order_by": "-dag_id",
            "tags": ["etl", "daily"],
            "fields": ["dag_id", "is_paused"],
            "only_active": "true",
        },
        response={"dags": [], "total_entries": 0},
    )
    page = call(
        mode,
        mwaa,
        lambda c: c.dag.get_dags(
            limit=2, order_by="-dag_id", tags=["etl", "daily"], fields=["dag_id", "is_paused"]
        ),
    )
    assert page.dags == []
    stubber.assert_no_pending_responses()


@BOTH
def test_paginate_walks_every_page_in_order_without_losing_items(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    dags = [dag_json(i) for i in range(5)]
    for offset in (0, 2, 4):
        expect(
            stubber,
            "/dags",
            query={"limit": "2", "offset": str(offset), "only_active": "true"},
            response={"dags": dags[offset : offset + 2], "total_entries": 5},
        )
    items = call(mode, mwaa, lambda c: c.paginate(c.dag.get_dags, page_size=2))
    assert [d.dag_id for d in items] == [d["dag_id"] for d in dags]
    stubber.assert_no_pending_responses()


@BOTH
def test_update_sends_patch_with_update_mask_and_only_the_changed_field(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    expect(
        stubber,
        "/dags/example",
        "PATCH",
        query={"update_mask": "is_paused"},
        body={"is_paused": True},
        response={"dag_id": "example", "is_paused": True},
    )
    dag = call(mode, mwaa, lambda c: c.update("dag", "example", is_paused=True))
    assert dag.dag_id == "example"
    assert dag.is_paused is True
    stubber.assert_no_pending_responses()


@BOTH
def test_post_dag_run_relays_the_json_body(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect(
        stubber,
        "/dags/example/dagRuns",
        "POST",
        body={"dag_run_id": "run_1", "conf": {"source": "mwaa"}},
        response={"dag_id": "example", "dag_run_id": "run_1", "state": "queued"},
    )
    body = models.DAGRun(dag_run_id="run_1", conf={"source": "mwaa"})
    run_ = call(mode, mwaa, lambda c: c.dag_run.post_dag_run("example", body=body))
    assert (run_.dag_run_id, run_.state) == ("run_1", "queued")
    stubber.assert_no_pending_responses()


@BOTH
def test_path_segments_are_relayed_in_their_shortest_encoding(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect(stubber, f"/dags/example/dagRuns/{RUN_ID}", response={"dag_id": "example", "dag_run_id": RUN_ID})
    expect(stubber, "/variables/team%2Fa%20b", response={"key": "team/a b", "value": "1"})
    got = call(mode, mwaa, lambda c: c.dag_run.get_dag_run("example", RUN_ID))
    assert got.dag_run_id == RUN_ID
    variable = call(mode, mwaa, lambda c: c.variable.get_variable("team/a b"))
    assert variable.key == "team/a b"
    stubber.assert_no_pending_responses()


@BOTH
def test_a_reply_without_a_body_is_an_empty_response(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect(stubber, "/dags/example", "DELETE", status=204)
    assert call(mode, mwaa, lambda c: c.dag.delete_dag("example")) is None
    stubber.assert_no_pending_responses()


@BOTH
def test_a_path_prefix_before_api_v1_is_not_relayed(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect(stubber, "/health", response={"metadatabase": {"status": "healthy"}})
    transport = transport_for(mode, mwaa)
    response = send(transport, httpx.Request("GET", "https://proxy.example/airflow/api/v1/health"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"metadatabase": {"status": "healthy"}}
    stubber.assert_no_pending_responses()


@BOTH
@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            httpx.Request(
                "POST", "https://x/api/v1/dags", content=b"a=1", headers={"content-type": "text/plain"}
            ),
            "only a JSON body",
        ),
        (
            httpx.Request(
                "POST",
                "https://x/api/v1/dags",
                content=b"{nope",
                headers={"content-type": "application/json"},
            ),
            "not valid JSON",
        ),
        (httpx.Request("GET", "https://x/dags"), "under /api/v1"),
        (httpx.Request("HEAD", "https://x/api/v1/dags"), "not HEAD"),
    ],
    ids=["text-body", "broken-json", "outside-api-v1", "head"],
)
def test_what_invoke_rest_api_cannot_carry_is_refused_before_any_call(
    mode: str, mwaa: Any, stubber: Stubber, request_: httpx.Request, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        send(transport_for(mode, mwaa), request_)
    stubber.assert_no_pending_responses()


@BOTH
def test_the_async_transport_calls_boto3_in_a_worker_thread(mode: str, mwaa: Any, stubber: Stubber) -> None:
    threads: list[int] = []
    mwaa.meta.events.register(
        "provide-client-params.mwaa.InvokeRestApi", lambda **_: threads.append(threading.get_ident())
    )
    expect(stubber, "/version", response={"version": "2.10.3", "git_version": None})
    version = call(mode, mwaa, lambda c: c.monitoring.get_version())
    assert version.version == "2.10.3"
    assert (threads[0] == threading.get_ident()) is (mode == "sync")
    stubber.assert_no_pending_responses()


# --- Airflow's errors, relayed --------------------------------------------------------------------


@BOTH
def test_rest_api_client_exception_404_raises_not_found_with_airflow_detail(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    detail = "The DAG with dag_id: `missing` was not found"
    expect_error(
        stubber,
        "RestApiClientException",
        "/dags/missing",
        RestApiStatusCode=404,
        RestApiResponse=problem(404, "DAG not found", detail),
    )
    with pytest.raises(errors.NotFoundError) as info:
        call(mode, mwaa, lambda c: c.dag.get_dag("missing"))
    assert detail in str(info.value)
    assert "DAG not found" in str(info.value)
    assert (info.value.status_code, info.value.title, info.value.detail) == (404, "DAG not found", detail)
    assert info.value.response.headers["x-amzn-requestid"] == "req-0001"
    stubber.assert_no_pending_responses()


@BOTH
def test_rest_api_client_exception_409_raises_conflict(mode: str, mwaa: Any, stubber: Stubber) -> None:
    detail = "DAGRun with DAG ID: 'example' and DAGRun ID: 'run_1' already exists"
    expect_error(
        stubber,
        "RestApiClientException",
        "/dags/example/dagRuns",
        "POST",
        body={"dag_run_id": "run_1"},
        RestApiStatusCode=409,
        RestApiResponse=problem(409, "Conflict", detail),
    )
    with pytest.raises(errors.ConflictError, match="already exists"):
        call(mode, mwaa, lambda c: c.dag_run.post_dag_run("example", body=models.DAGRun(dag_run_id="run_1")))
    stubber.assert_no_pending_responses()


@BOTH
def test_rest_api_server_exception_500_raises_server_error(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect_error(
        stubber,
        "RestApiServerException",
        "/dags/example",
        RestApiStatusCode=500,
        RestApiResponse=problem(500, "Internal Server Error", "database is locked"),
    )
    client = make_client(mode, mwaa)
    with pytest.raises(errors.ServerError, match="database is locked") as info:
        run(client, lambda c: c.dag.get_dag("example"))
    assert info.value.status_code == 500
    assert sleeps(client) == []  # 500 is not retried
    stubber.assert_no_pending_responses()


@BOTH
def test_an_airflow_400_that_mentions_a_timeout_stays_a_bad_request(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    detail = "{'dagrun_timeout': ['Not a valid period of time']}"
    expect_error(
        stubber,
        "RestApiClientException",
        "/dags/example",
        "PATCH",
        query={"update_mask": "is_paused"},
        body={"is_paused": False},
        RestApiStatusCode=400,
        RestApiResponse=problem(400, "Bad Request", detail),
    )
    with pytest.raises(errors.BadRequestError, match="dagrun_timeout"):
        call(mode, mwaa, lambda c: c.update("dag", "example", is_paused=False))
    stubber.assert_no_pending_responses()


# --- MWAA's own errors ----------------------------------------------------------------------------


@BOTH
def test_access_denied_raises_permission_denied_naming_the_iam_permission(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    expect_error(stubber, "AccessDeniedException", "/dags/example", message="Access denied", http_status=403)
    with pytest.raises(errors.PermissionDeniedError) as info:
        call(mode, mwaa, lambda c: c.dag.get_dag("example"))
    message = str(info.value)
    assert "AccessDeniedException" in message
    assert "Access denied" in message
    assert "airflow:InvokeRestApi" in message
    assert info.value.status_code == 403
    stubber.assert_no_pending_responses()


@BOTH
def test_an_unknown_environment_raises_not_found_naming_it(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect_error(
        stubber,
        "ResourceNotFoundException",
        "/dags/example",
        message="Environment not found",
        http_status=404,
    )
    with pytest.raises(errors.NotFoundError) as info:
        call(mode, mwaa, lambda c: c.dag.get_dag("example"))
    assert "ResourceNotFoundException" in str(info.value)
    assert f"no MWAA environment named '{ENV}' in {REGION}" in str(info.value)
    stubber.assert_no_pending_responses()


@BOTH
def test_a_path_over_the_model_limit_is_explained(mode: str, mwaa: Any, stubber: Stubber) -> None:
    path = f"/dags/nightly_warehouse_load/dagRuns/{RUN_ID}/taskInstances/extract_orders"
    expect_error(
        stubber,
        "ValidationException",
        path,
        message="1 validation error detected: Member must have length less than or equal to 64",
    )
    with pytest.raises(errors.BadRequestError) as info:
        call(
            mode,
            mwaa,
            lambda c: c.task_instance.get_task_instance("nightly_warehouse_load", RUN_ID, "extract_orders"),
        )
    assert f"the Path is {len(path)} characters; InvokeRestApi takes at most 64" in str(info.value)
    stubber.assert_no_pending_responses()


@BOTH
def test_throttling_is_retried_as_429_then_succeeds(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect_error(stubber, "ThrottlingException", "/pools/default_pool", message="Rate exceeded")
    expect(stubber, "/pools/default_pool", response={"name": "default_pool", "slots": 128})
    client = make_client(mode, mwaa)
    pool = run(client, lambda c: c.pool.get_pool("default_pool"))
    assert pool.slots == 128
    assert len(sleeps(client)) == 1
    stubber.assert_no_pending_responses()


# --- connection errors ----------------------------------------------------------------------------


@BOTH
def test_a_connection_error_is_retried_then_succeeds(mode: str, mwaa: Any, stubber: Stubber) -> None:
    fail_first(mwaa, bx.EndpointConnectionError(endpoint_url="https://env.airflow.us-east-1.amazonaws.com"))
    expect(stubber, "/dags/example", response={"dag_id": "example"})
    client = make_client(mode, mwaa)
    dag = run(client, lambda c: c.dag.get_dag("example"))
    assert dag.dag_id == "example"
    assert len(sleeps(client)) == 1
    stubber.assert_no_pending_responses()


@BOTH
def test_a_read_timeout_on_a_post_is_not_retried_and_raises_api_timeout(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    fail_first(mwaa, bx.ReadTimeoutError(endpoint_url="https://env.airflow.us-east-1.amazonaws.com"))
    client = make_client(mode, mwaa)
    with pytest.raises(errors.APITimeoutError):
        run(client, lambda c: c.dag_run.post_dag_run("example", body=models.DAGRun(dag_run_id="run_1")))
    assert sleeps(client) == []
    stubber.assert_no_pending_responses()


URL = "https://env.airflow.us-east-1.amazonaws.com"


@BOTH
@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (bx.ConnectTimeoutError(endpoint_url=URL), httpx.ConnectTimeout),
        (bx.ReadTimeoutError(endpoint_url=URL), httpx.ReadTimeout),
        (bx.EndpointConnectionError(endpoint_url=URL), httpx.ConnectError),
        (bx.ConnectionClosedError(endpoint_url=URL), httpx.RemoteProtocolError),
        (bx.ProxyConnectionError(proxy_url="http://proxy:3128"), httpx.ProxyError),
        (bx.SSLError(endpoint_url=URL, error=OSError("certificate verify failed")), httpx.ConnectError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else v.__name__,
)
def test_botocore_connection_errors_become_httpx_transport_errors(
    mode: str, mwaa: Any, stubber: Stubber, failure: Exception, expected: type[httpx.TransportError]
) -> None:
    fail_first(mwaa, failure)
    request = httpx.Request("GET", "https://x/api/v1/dags")
    with pytest.raises(expected) as info:
        send(transport_for(mode, mwaa), request)
    assert info.value.request is request
    assert info.value.__cause__ is failure
    stubber.assert_no_pending_responses()


# --- the relay's limits ---------------------------------------------------------------------------


def relay_timeout_context(info: pytest.ExceptionInfo[errors.APITimeoutError]) -> BaseException | None:
    """The transport's error behind an ``APITimeoutError`` (the client raises it ``from None``)."""
    context: BaseException | None = info.value.__context__
    return context


@BOTH
def test_a_relay_504_is_the_10_s_limit_retried_then_raised_as_api_timeout(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    for _ in range(2):
        expect_error(
            stubber,
            "RestApiServerException",
            "/dags",
            query={"limit": "100", "only_active": "true"},
            RestApiStatusCode=504,
            RestApiResponse={"message": "Endpoint request timed out"},
        )
    client = make_client(mode, mwaa, max_retries=1)
    with pytest.raises(errors.APITimeoutError) as info:
        run(client, lambda c: c.dag.get_dags())
    assert len(sleeps(client)) == 1
    cause = relay_timeout_context(info)
    assert isinstance(cause, InvokeRestApiTimeout)
    assert isinstance(cause, httpx.ReadTimeout)
    assert "10 s limit" in str(cause)
    assert "Endpoint request timed out" in str(cause)
    stubber.assert_no_pending_responses()


@BOTH
def test_a_timeout_reported_by_mwaa_itself_is_the_10_s_limit(mode: str, mwaa: Any, stubber: Stubber) -> None:
    expect_error(
        stubber,
        "InternalServerException",
        "/dags/example/dagRuns",
        "POST",
        body={"dag_run_id": "run_1"},
        message="The request to the Apache Airflow webserver timed out",
        http_status=500,
    )
    client = make_client(mode, mwaa)
    with pytest.raises(errors.APITimeoutError) as info:
        run(client, lambda c: c.dag_run.post_dag_run("example", body=models.DAGRun(dag_run_id="run_1")))
    assert sleeps(client) == []  # a POST is not sent again
    cause = relay_timeout_context(info)
    assert isinstance(cause, InvokeRestApiTimeout)
    assert "within the relay's 10 s limit" in str(cause)
    stubber.assert_no_pending_responses()


@BOTH
@pytest.mark.parametrize(
    "error",
    [
        {"code": "InternalServerException", "message": TOO_LARGE, "http_status": 500},
        {
            "code": "RestApiServerException",
            "RestApiStatusCode": 502,
            "RestApiResponse": {"errorType": "Function.ResponseSizeTooLarge", "errorMessage": TOO_LARGE},
        },
    ],
    ids=["mwaa-error", "relayed-502"],
)
def test_an_answer_over_6_mb_raises_response_too_large_without_retrying(
    mode: str, mwaa: Any, stubber: Stubber, error: dict[str, Any]
) -> None:
    error = dict(error)
    expect_error(
        stubber,
        error.pop("code"),
        "/dags",
        query={"limit": "100000", "only_active": "true"},
        **error,
    )
    client = make_client(mode, mwaa)
    with pytest.raises(errors.ResponseTooLargeError) as info:
        run(client, lambda c: c.dag.get_dags(limit=100000))
    assert info.value.limit_bytes == RESPONSE_LIMIT_BYTES == 6 * 1024 * 1024
    assert "6 MB" in str(info.value)
    assert "smaller `limit`" in str(info.value)
    assert "page_size" in str(info.value)
    assert sleeps(client) == []
    stubber.assert_no_pending_responses()


@BOTH
def test_a_request_over_a_size_limit_is_not_taken_for_a_large_answer(
    mode: str, mwaa: Any, stubber: Stubber
) -> None:
    expect_error(
        stubber,
        "ValidationException",
        "/variables",
        "POST",
        body={"key": "big", "value": "x"},
        message="Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )
    with pytest.raises(errors.BadRequestError, match="Request must be smaller"):
        call(mode, mwaa, lambda c: c.variable.post_variables(body=models.Variable(key="big", value="x")))
    stubber.assert_no_pending_responses()


# --- boto3: imported late, optional, clients made right -------------------------------------------


def test_importing_the_module_does_not_import_boto3_or_botocore() -> None:
    code = (
        "import asyncio, sys\n"
        "from airflow_rest.providers import mwaa as m\n"
        "m.InvokeRestApiTransport('MyEnvironment', region_name='us-east-1')\n"
        "asyncio.run(m.async_invoke_client('MyEnvironment', region_name='us-east-1', airflow_version=3))\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('boto3', 'botocore')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@BOTH
def test_without_boto3_the_first_request_names_the_extra_to_install(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    transport = (InvokeRestApiTransport if mode == "sync" else AsyncInvokeRestApiTransport)(
        ENV, region_name=REGION
    )
    with pytest.raises(ImportError, match=r"pip install 'airflow-rest\[mwaa\]'"):
        send(transport, httpx.Request("GET", "https://x/api/v1/dags"))


@BOTH
def test_a_client_made_from_a_session_has_botocore_retries_off(mode: str) -> None:
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="eu-west-1"
    )
    transport = (InvokeRestApiTransport if mode == "sync" else AsyncInvokeRestApiTransport)(
        ENV, boto3_session=session
    )
    made = transport.mwaa_client
    assert made is transport.mwaa_client
    assert made.meta.region_name == "eu-west-1"
    assert made.meta.config.retries["total_max_attempts"] == 1
    with Stubber(made) as stub:
        stub.add_response("invoke_rest_api", {"RestApiStatusCode": 200, "RestApiResponse": {"dags": []}})
        response = send(transport, httpx.Request("GET", "https://x/api/v1/dags"))
        assert response.json() == {"dags": []}
        stub.assert_no_pending_responses()


@BOTH
def test_reprs_name_the_environment_and_show_no_credentials(mode: str) -> None:
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="eu-west-1"
    )
    factory = invoke_client if mode == "sync" else async_invoke_client
    client = built(factory(ENV, airflow_version=2, boto3_session=session))
    transport_class = InvokeRestApiTransport if mode == "sync" else AsyncInvokeRestApiTransport
    transport = transport_class(ENV, boto3_session=session)
    own = transport.mwaa_client
    texts = [repr(client), repr(transport), repr(transport_class(ENV, mwaa_client=own))]
    assert (
        texts[0]
        == f"{type(client).__name__}(base_url='https://myenvironment.invoke-rest-api.mwaa.invalid/api/v1/')"
    )
    assert texts[1] == texts[2] == f"{transport_class.__name__}(name='{ENV}', region_name='eu-west-1')"
    for text in texts:
        assert SECRET_KEY not in text
        assert ACCESS_KEY not in text


# --- arguments ------------------------------------------------------------------------------------

CONSTRUCTORS = [
    InvokeRestApiTransport,
    AsyncInvokeRestApiTransport,
    invoke_client,
    async_invoke_client,
]


@pytest.mark.parametrize("make", CONSTRUCTORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", ValueError),
        (None, TypeError),
        (b"MyEnvironment", TypeError),
        ("1st-env", ValueError),
        ("my env", ValueError),
        ("e" * 81, ValueError),
    ],
    ids=["empty", "none", "bytes", "digit-first", "space", "too-long"],
)
def test_the_environment_name_is_checked_before_anything_else(
    make: Callable[..., Any], name: Any, error: type[Exception]
) -> None:
    # the conflicting arguments would be refused too: the name comes first
    with pytest.raises(error, match="environment name"):
        built(make(name, mwaa_client=object(), region_name=REGION))


@pytest.mark.parametrize("make", CONSTRUCTORS, ids=lambda f: f.__name__)
def test_a_client_and_the_means_to_make_one_are_not_both_accepted(make: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="either mwaa_client"):
        built(make(ENV, mwaa_client=object(), region_name=REGION))


@pytest.mark.parametrize("factory", [invoke_client, async_invoke_client], ids=lambda f: f.__name__)
@pytest.mark.parametrize("key", ["transport", "auth", "base_url"])
def test_client_arguments_that_make_no_sense_over_the_relay_are_refused(
    factory: Callable[..., Any], key: str
) -> None:
    with pytest.raises(TypeError, match=f"{key}= cannot be given"):
        built(factory(ENV, region_name=REGION, **{key: None}))


def test_client_arguments_are_passed_on() -> None:
    client = invoke_client(ENV, airflow_version=2, region_name=REGION, max_retries=5, retry_post=True)
    assert (client.retry_policy.max_retries, client.retry_policy.retry_post) == (5, True)
