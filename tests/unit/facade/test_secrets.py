"""Credentials and secret query values never appear in errors, reprs or logs."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import AirflowClient, BasicAuth, BearerAuth, SessionCookieAuth, errors

from .conftest import PROBLEM_JSON, TLS, arun, async_client, problem, sync_client

PASSWORD, TOKEN, COOKIE, QUERY_TOKEN = "s3cr3t-pw", "tok-XYZ", "sess-123", "abc123"
SECRETS = [PASSWORD, TOKEN, COOKIE, QUERY_TOKEN, base64.b64encode(f"admin:{PASSWORD}".encode()).decode()]
AUTHS: dict[str, Callable[[], Any]] = {
    "basic": lambda: BasicAuth("admin", PASSWORD),
    "tuple": lambda: ("admin", PASSWORD),
    "bearer": lambda: BearerAuth(TOKEN),
    "bearer-callable": lambda: BearerAuth(lambda: TOKEN),
    "cookie": lambda: SessionCookieAuth(COOKIE),
}
LOGIN_PAGE = '<html><form action="/login/"><input name="password"></form></html>'


def fail_503(mock: HTTPXMock) -> None:
    for _ in range(3):
        mock.add_response(status_code=503, headers={"Retry-After": "1"})


def fail_connect(mock: HTTPXMock) -> None:
    for _ in range(3):
        mock.add_exception(httpx.ConnectError("[Errno 111] Connection refused"))


def fail_timeout(mock: HTTPXMock) -> None:
    for _ in range(3):
        mock.add_exception(httpx.ReadTimeout("timed out"))


def fail_403(mock: HTTPXMock) -> None:
    mock.add_response(status_code=403, content=problem(403, "Forbidden", "No access"), headers=PROBLEM_JSON)


def fail_login_page(mock: HTTPXMock) -> None:
    mock.add_response(status_code=200, html=LOGIN_PAGE)


def fail_decode(mock: HTTPXMock) -> None:
    mock.add_response(status_code=200, content=b'{"content": ', headers={"content-type": "application/json"})


FAILURES = {
    "503-retried": (fail_503, errors.ServerError),
    "connect-retried": (fail_connect, errors.APIConnectionError),
    "timeout-retried": (fail_timeout, errors.APITimeoutError),
    "403": (fail_403, errors.PermissionDeniedError),
    "login-page": (fail_login_page, errors.AuthenticationError),
    "decode": (fail_decode, errors.ResponseDecodeError),
}


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def get_log(client: Any) -> Any:
    return client.task_instance.get_log("d", "r", "t", 1, token=QUERY_TOKEN)


def airflow_rest_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("airflow_rest")]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="airflow_rest")
    caplog.set_level(logging.DEBUG, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="httpcore")
    return caplog


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("auth_kind", AUTHS)
def test_no_secret_in_errors_reprs_or_airflow_rest_logs(
    httpx_mock: HTTPXMock, debug_logs: pytest.LogCaptureFixture, auth_kind: str, failure: str
) -> None:
    arrange, error = FAILURES[failure]
    arrange(httpx_mock)
    auth = AUTHS[auth_kind]()
    with sync_client(auth=auth) as client, pytest.raises(error) as info:
        get_log(client)
    exc = info.value
    assert httpx_mock.get_requests()[0].url.params["token"] == QUERY_TOKEN  # the secret was sent
    assert_clean(str(exc), repr(exc), getattr(exc, "url", ""), repr(client), repr(client._http.auth))
    if not isinstance(auth, tuple):
        assert_clean(repr(auth))
    messages = airflow_rest_messages(debug_logs)
    if failure.endswith("retried"):
        assert any("retry 2" in m for m in messages)  # the logs were captured
    assert_clean(*messages)


@pytest.mark.parametrize("failure", ["503-retried", "connect-retried", "403"])
def test_no_secret_in_errors_or_airflow_rest_logs_async(
    httpx_mock: HTTPXMock, debug_logs: pytest.LogCaptureFixture, failure: str
) -> None:
    arrange, error = FAILURES[failure]
    arrange(httpx_mock)
    auth = BearerAuth(TOKEN)
    client = async_client(auth=auth, headers={"Cookie": f"session={COOKIE}"})
    with pytest.raises(error) as info:
        arun(client, get_log)
    assert_clean(str(info.value), repr(info.value), repr(client), repr(auth))
    assert_clean(*airflow_rest_messages(debug_logs))


def test_auth_reprs_hide_the_secret() -> None:
    assert repr(BasicAuth("admin", PASSWORD)) == "BasicAuth(username='admin', password='***')"
    assert repr(BearerAuth(TOKEN)) == "BearerAuth(token='***')"
    assert repr(SessionCookieAuth(COOKIE)) == "SessionCookieAuth(name='session', value='***')"
    for auth in (BasicAuth("admin", PASSWORD), BearerAuth(TOKEN), SessionCookieAuth(COOKIE)):
        assert_clean(repr(auth), str(auth))


def test_secret_looking_query_values_are_masked_in_the_error_url(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json={"title": "Not found", "status": 404})
    with sync_client() as client, pytest.raises(errors.NotFoundError) as info:
        get_log(client)
    assert "token=%2A%2A%2A" in info.value.url or "token=***" in info.value.url


def test_userinfo_in_base_url_is_not_in_errors_or_airflow_rest_logs(
    httpx_mock: HTTPXMock, debug_logs: pytest.LogCaptureFixture
) -> None:
    fail_503(httpx_mock)
    with (
        sync_client(f"https://admin:{PASSWORD}@airflow.test") as client,
        pytest.raises(errors.ServerError) as info,
    ):
        client.dag.get_dags()
    assert_clean(str(info.value), repr(info.value), info.value.url)
    assert_clean(*airflow_rest_messages(debug_logs))


def test_base_url_with_a_secret_query_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as info:
        AirflowClient(f"https://airflow.test/?token={QUERY_TOKEN}", verify=TLS)
    assert_clean(str(info.value))


def test_base_url_ending_in_api_v1_is_refused_without_echoing_userinfo() -> None:
    with pytest.raises(ValueError) as info:
        AirflowClient(f"https://admin:{PASSWORD}@airflow.test/api/v1", verify=TLS)
    assert_clean(str(info.value))


def test_non_http_base_url_is_refused_without_echoing_userinfo() -> None:
    with pytest.raises(ValueError) as info:
        AirflowClient(f"ftp://admin:{PASSWORD}@airflow.test", verify=TLS)
    assert_clean(str(info.value))


def test_userinfo_in_base_url_is_not_in_the_client_repr() -> None:
    client = AirflowClient(f"https://admin:{PASSWORD}@airflow.test", verify=TLS)
    assert_clean(repr(client))


def test_secret_query_values_are_not_in_httpx_logs(
    httpx_mock: HTTPXMock, debug_logs: pytest.LogCaptureFixture
) -> None:
    fail_503(httpx_mock)
    with sync_client(auth=BasicAuth("admin", PASSWORD)) as client, pytest.raises(errors.ServerError):
        get_log(client)
    httpx_messages = [r.getMessage() for r in debug_logs.records if r.name.startswith(("httpx", "httpcore"))]
    assert httpx_messages  # httpx did log the requests
    assert_clean(*httpx_messages)


def test_userinfo_in_base_url_is_not_in_httpx_logs(
    httpx_mock: HTTPXMock, debug_logs: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(json={"dags": [], "total_entries": 0})
    with sync_client(f"https://admin:{PASSWORD}@airflow.test") as client:
        client.dag.get_dags()
    assert_clean(*(r.getMessage() for r in debug_logs.records))


def test_auth_headers_are_not_in_any_log_record(
    httpx_mock: HTTPXMock, debug_logs: pytest.LogCaptureFixture
) -> None:
    fail_503(httpx_mock)
    client = sync_client(auth=BearerAuth(TOKEN), headers={"Cookie": f"session={COOKIE}"})
    with client, pytest.raises(errors.ServerError):
        client.dag.get_dags()  # no secret in the URL: only headers carry them
    assert debug_logs.records
    assert_clean(*(r.getMessage() for r in debug_logs.records))
