"""Authentication objects put the right header on every request; bad ``auth=`` fails early.
(``PasswordTokenAuth`` on the wire: tests/unit/providers/test_airflow3_logins.py.)"""

from __future__ import annotations

import base64
import itertools
import re
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import (
    AirflowClient,
    AsyncAirflowClient,
    BasicAuth,
    BearerAuth,
    PasswordTokenAuth,
    SessionCookieAuth,
)

from .conftest import arun, async_client, sync_client

BASIC = "Basic " + base64.b64encode(b"admin:s3cr3t-pw").decode()
AUTHS: list[tuple[str, Any, str, str]] = [
    ("basic", BasicAuth("admin", "s3cr3t-pw"), "Authorization", BASIC),
    ("tuple", ("admin", "s3cr3t-pw"), "Authorization", BASIC),
    ("bearer", BearerAuth("tok-XYZ"), "Authorization", "Bearer tok-XYZ"),
    ("bearer-callable", BearerAuth(lambda: "tok-XYZ"), "Authorization", "Bearer tok-XYZ"),
    ("cookie", SessionCookieAuth("sess-123"), "Cookie", "session=sess-123"),
    ("named-cookie", SessionCookieAuth("sess-123", name="sid"), "Cookie", "sid=sess-123"),
]
IDS = [a[0] for a in AUTHS]
OK = {"dags": [], "total_entries": 0}


@pytest.mark.parametrize(("_name", "auth", "header", "value"), AUTHS, ids=IDS)
def test_auth_sends_its_header(httpx_mock: HTTPXMock, _name: str, auth: Any, header: str, value: str) -> None:
    httpx_mock.add_response(json=OK, is_reusable=True)
    with sync_client(auth=auth) as client:
        client.dag.get_dags()
        client.dag.get_dags()
    assert [r.headers[header] for r in httpx_mock.get_requests()] == [value, value]


@pytest.mark.parametrize(("_name", "auth", "header", "value"), AUTHS, ids=IDS)
def test_auth_sends_its_header_async(
    httpx_mock: HTTPXMock, _name: str, auth: Any, header: str, value: str
) -> None:
    httpx_mock.add_response(json=OK)
    arun(async_client(auth=auth), lambda c: c.dag.get_dags())
    assert httpx_mock.get_requests()[0].headers[header] == value


def test_no_auth_sends_no_credentials(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=OK)
    with sync_client() as client:
        client.dag.get_dags()
    request = httpx_mock.get_requests()[0]
    assert "Authorization" not in request.headers
    assert "Cookie" not in request.headers


def test_bearer_callable_is_asked_before_every_request(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=OK, is_reusable=True)
    tokens = (f"tok-{n}" for n in itertools.count(1))
    with sync_client(auth=BearerAuth(lambda: next(tokens))) as client:
        client.dag.get_dags()
        client.dag.get_dags()
    assert [r.headers["Authorization"] for r in httpx_mock.get_requests()] == ["Bearer tok-1", "Bearer tok-2"]


def test_bearer_callable_is_asked_again_on_retry(httpx_mock: HTTPXMock) -> None:
    sent: list[str] = []  # read at send time: a retry sends the same Request object again

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["Authorization"])
        return httpx.Response(503) if len(sent) == 1 else httpx.Response(200, json=OK)

    httpx_mock.add_callback(answer, is_reusable=True)
    tokens = (f"tok-{n}" for n in itertools.count(1))
    with sync_client(auth=BearerAuth(lambda: next(tokens))) as client:
        client.dag.get_dags()
    assert sent == ["Bearer tok-1", "Bearer tok-2"]


def test_session_cookie_is_added_to_existing_cookies() -> None:
    request = httpx.Request("GET", "https://airflow.test/", headers={"Cookie": "a=1"})
    flow = SessionCookieAuth("sess-123").auth_flow(request)
    assert next(flow).headers["Cookie"] == "a=1; session=sess-123"


@pytest.mark.parametrize(
    "auth", ["admin:pw", ("admin",), ("admin", "pw", "x"), ["admin", "pw"], ("admin", 1), 42, object()]
)
@pytest.mark.parametrize("cls", [AirflowClient, AsyncAirflowClient])
def test_bad_auth_type_is_a_type_error_before_any_request(
    httpx_mock: HTTPXMock, cls: type, auth: Any
) -> None:
    with pytest.raises(TypeError, match="auth must be"):
        cls("https://airflow.test", auth=auth)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    "make", [lambda: BasicAuth("", "pw"), lambda: BearerAuth(""), lambda: SessionCookieAuth("")]
)
def test_empty_credentials_are_refused(make: Any) -> None:
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("", "pw-s3cr3t"), {}, "PasswordTokenAuth needs a username"),
        ((None, "pw-s3cr3t"), {}, "PasswordTokenAuth needs a username"),
        (("admin", ""), {}, "PasswordTokenAuth needs a password"),
        (("admin", None), {}, "PasswordTokenAuth needs a password"),
        *(
            (("admin", "pw-s3cr3t"), {"token_url": url}, "token_url must be an absolute http(s) URL")
            for url in [
                "ftp://airflow.test/auth/token",
                "airflow.test/auth/token",
                "/auth/token",
                "http://",
                "http://admin:pw-s3cr3t@airflow.test/auth/token",
                42,
            ]
        ),
    ],
    ids=[
        "empty-user",
        "no-user",
        "empty-password",
        "no-password",
        "ftp",
        "no-scheme",
        "path",
        "no-host",
        "user-info",
        "not-a-str",
    ],
)
def test_bad_password_token_auth_arguments_are_refused_before_any_request(
    httpx_mock: HTTPXMock, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        PasswordTokenAuth(*args, **kwargs)
    assert "pw-s3cr3t" not in str(info.value)
    assert httpx_mock.get_requests() == []


def test_a_password_token_auth_shows_neither_password_nor_token() -> None:
    auth = PasswordTokenAuth("admin", "pw-s3cr3t", token_url="https://airflow.test/auth/token")
    assert repr(auth) == "PasswordTokenAuth(Airflow user 'admin', not logged in)"
    assert auth.token_url == "https://airflow.test/auth/token"
