"""Web-session logins on the wire: Alibaba Cloud DMS (a token provider, or the DMS SDK) and the AWS
MWAA web login (boto3, checked with botocore's Stubber), and the machinery they share: log in on
first use, keep the session cookie, log in again once when a session that worked is rejected, one
login at a time, no secret anywhere it could be seen.

The Airflow web server is :class:`FakeAirflow` behind pytest-httpx; every test body runs against
the sync and the async client.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from alibabacloud_dms20250414 import models as dms_models
from alibabacloud_tea_openapi.exceptions import ClientException
from botocore.stub import Stubber

from airflow_rest import errors, models
from airflow_rest.providers import dms, mwaa
from airflow_rest.providers._shared.session import cookie_from
from airflow_rest.providers.dms import _login as dms_login

from .conftest import (
    BOTH,
    COOKIE_ATTRIBUTES,
    DMS_HOST,
    MWAA_ENV,
    MWAA_HOSTNAME,
    MWAA_ROOT,
    TLS,
    FakeAirflow,
    TokenProvider,
    assert_no_secret,
    call,
    count_entries,
    dms_client,
    exception_texts,
    expect_web_token,
    frozen_clock,
    is_login,
    log_texts,
    mwaa_client,
    opened,
    run,
    serve,
    session_of,
    wait_until,
)

N = 8  # concurrent requests
REJECTIONS = pytest.mark.parametrize("rejection", ["redirect", "html", 401, 403])
REJECTED_AGAIN = pytest.mark.parametrize(
    ("rejection", "error"),
    [
        ("redirect", errors.AuthenticationError),
        ("html", errors.AuthenticationError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
    ],
)


def auth_of(client: Any) -> Any:
    return client._http.auth


def tokens_sent(server: FakeAirflow) -> list[str]:
    """The login token of each login request, in order."""
    out = []
    for request in server.logins():
        if request.method == "GET":
            out.append(request.url.params["token"])
        else:
            form = request.content.decode()
            assert form.startswith("token=")
            out.append(httpx.QueryParams(form)["token"])
    return out


# --- the session cookie ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (f"session=.eJwlzj0OwjAM_1.aBcDeF; {COOKIE_ATTRIBUTES}", ".eJwlzj0OwjAM_1.aBcDeF"),
        ('session="quoted-value"; Path=/', "quoted-value"),
        ("session=a=b==; Secure", "a=b=="),
        ("session=; Max-Age=0; Path=/", None),
        ("sessionid=other; Path=/", None),
    ],
    ids=["dms-form", "quoted", "padding", "cleared", "other-name"],
)
def test_the_session_cookie_is_read_from_its_set_cookie_header(header: str, value: str | None) -> None:
    response = httpx.Response(302, headers=[("Set-Cookie", "csrftoken=x; Path=/"), ("Set-Cookie", header)])
    assert cookie_from(response, "session") == value


# --- DMS: a token provider ------------------------------------------------------------------------


@BOTH
def test_dms_logs_in_with_get_login_token_then_sends_the_session_cookie(
    mode: str, dms_server: FakeAirflow
) -> None:
    provider = TokenProvider(dms_server)

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=provider)) as client:
            assert client.base_url == f"{DMS_HOST}/api/v1/"
            assert (provider.calls, dms_server.requests) == (1, [])  # the token is fetched up front
            page = await call(client.dag.get_dags(limit=2))
            assert [d.dag_id for d in page.dags] == ["dag_001", "dag_002"]
            assert auth_of(client).logins == 1

    run(body)
    login, api = dms_server.requests  # the 302 of the login is not followed
    assert login.method == "GET"
    assert str(login.url) == f"{DMS_HOST}/login?token={provider.tokens[0]}"
    assert "cookie" not in login.headers
    assert not any(r.url.path.endswith("/home") for r in dms_server.requests)
    (session,) = dms_server.sessions
    assert api.method == "GET"
    assert str(api.url) == f"{DMS_HOST}/api/v1/dags?limit=2&only_active=true"
    assert api.headers["cookie"] == f"session={session}"
    assert provider.calls == 1


@BOTH
def test_a_login_request_has_the_timeout_of_the_request_that_needed_it(
    mode: str, dms_server: FakeAirflow
) -> None:
    async def body() -> None:
        async with opened(dms_client(mode, token_provider=TokenProvider(dms_server), timeout=7.0)) as client:
            await call(client.monitoring.get_version())

    run(body)
    login, api = dms_server.requests
    seven = {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    assert api.extensions["timeout"] == seven
    assert login.extensions.get("timeout") == seven


@BOTH
@pytest.mark.parametrize("shape", ["pair", "mapping", "dms-token"])
def test_a_token_provider_may_answer_a_pair_a_mapping_or_a_dms_token(
    mode: str, shape: str, dms_server: FakeAirflow
) -> None:
    token = dms_server.login_token()
    answer = {
        "pair": (DMS_HOST, token),
        "mapping": {"Host": DMS_HOST, "Token": token},
        "dms-token": dms.DmsToken(DMS_HOST, token),
    }[shape]

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=lambda: answer)) as client:
            await call(client.monitoring.get_version())

    run(body)
    assert tokens_sent(dms_server) == [token]


def test_an_async_token_provider_is_awaited_by_the_async_client(dms_server: FakeAirflow) -> None:
    token = dms_server.login_token()

    async def provider() -> dict[str, str]:
        await asyncio.sleep(0)
        return {"Host": DMS_HOST, "Token": token}

    async def body() -> None:
        async with opened(dms.async_client(token_provider=provider, verify=TLS)) as client:
            await client.monitoring.get_version()

    run(body)
    assert tokens_sent(dms_server) == [token]


def test_an_async_token_provider_is_refused_by_the_sync_client() -> None:
    async def provider() -> tuple[str, str]:
        return (DMS_HOST, "t")

    with pytest.raises(TypeError, match=r"dms\.async_client"):
        dms.client(token_provider=provider, verify=TLS)


@BOTH
@pytest.mark.parametrize(
    "answer",
    [None, (DMS_HOST,), ("", "token-x"), {"Host": DMS_HOST}, {"Token": "token-x"}],
    ids=["none", "one-item", "empty-host", "no-token", "no-host"],
)
def test_a_token_provider_answer_without_host_and_token_is_a_login_error(mode: str, answer: Any) -> None:
    async def body() -> None:
        with pytest.raises(errors.LoginError) as info:
            await call(dms_client(mode, token_provider=lambda: answer))
        assert info.value.provider == "dms"

    run(body)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, "region and airflow_id"),
        ({"region": "cn-hangzhou"}, ValueError, "region and airflow_id"),
        (
            {"region": "cn-hangzhou", "airflow_id": "af-1", "token_provider": lambda: None},
            ValueError,
            "not both",
        ),
        ({"token_provider": lambda: None, "endpoint": "dms.test"}, ValueError, "not both"),
        ({"token_provider": "not callable"}, TypeError, "callable"),
        ({"token_provider": lambda: None, "auth": ("u", "p")}, TypeError, "auth="),
        ({"token_provider": lambda: None, "base_url": DMS_HOST}, TypeError, "base_url="),
    ],
    ids=["nothing", "no-airflow-id", "both", "provider-and-endpoint", "not-callable", "auth", "base-url"],
)
def test_dms_client_arguments_are_checked_before_any_token_is_fetched(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        dms.client(**kwargs)


# --- DMS: the SDK ---------------------------------------------------------------------------------


def sdk_answer(body: dict[str, Any]) -> Any:
    """A real ``CreateAirflowLoginTokenResponse`` model, as the SDK builds it from the wire."""
    return dms_models.CreateAirflowLoginTokenResponse().from_map(
        {"headers": {"x-acs-request-id": "5E0F1B7A-REQ"}, "statusCode": 200, "body": body}
    )


class FakeDmsSdk:
    """Stands in for ``alibabacloud_dms20250414.client.Client``: checks that it is given the SDK's
    own request model and answers with the SDK's own response model."""

    def __init__(
        self, server: FakeAirflow, *, body: dict[str, Any] | None = None, error: Exception | None = None
    ) -> None:
        self.server = server
        self.body = body
        self.error = error
        self.airflow_ids: list[str] = []
        self.threads: list[int] = []

    def create_airflow_login_token(self, request: Any) -> Any:
        assert isinstance(request, dms_models.CreateAirflowLoginTokenRequest)
        assert request.to_map() == {"AirflowId": request.airflow_id}
        self.airflow_ids.append(request.airflow_id)
        self.threads.append(threading.get_ident())
        if self.error is not None:
            raise self.error
        body = self.body or {
            "Success": True,
            "Code": "200",
            "Message": "",
            "RequestId": "5E0F1B7A-REQ",
            "HttpStatusCode": 200,
            "Data": {"Host": DMS_HOST, "Token": self.server.login_token()},
        }
        return sdk_answer(body)


@BOTH
def test_dms_through_the_sdk_asks_create_airflow_login_token_for_the_instance(
    mode: str, dms_server: FakeAirflow
) -> None:
    sdk = FakeDmsSdk(dms_server)

    async def body() -> None:
        async with opened(dms_client(mode, "cn-hangzhou", "af-123", sdk_client=sdk)) as client:
            assert client.base_url == f"{DMS_HOST}/api/v1/"
            await call(client.monitoring.get_version())

    run(body)
    assert sdk.airflow_ids == ["af-123"]
    assert (sdk.threads[0] == threading.get_ident()) is (mode == "sync")  # async: in a worker thread
    assert dms_server.kinds() == ["login", "version"]
    assert tokens_sent(dms_server) == [dms_server.secrets[0]]


@BOTH
def test_the_sdk_is_asked_again_once_its_token_is_two_hours_old(mode: str, dms_server: FakeAirflow) -> None:
    sdk = FakeDmsSdk(dms_server)

    async def body() -> None:
        async with opened(dms_client(mode, "cn-shanghai", "af-123", sdk_client=sdk)) as client:
            clock = frozen_clock(client)
            await call(client.monitoring.get_version())
            dms_server.expire()
            clock[0] += dms.TOKEN_WINDOW + 1
            await call(client.monitoring.get_version())

    run(body)
    assert sdk.airflow_ids == ["af-123", "af-123"]
    assert dms_server.kinds() == ["login", "version", "version", "login", "version"]
    first, second = tokens_sent(dms_server)
    assert first != second


@BOTH
def test_a_failure_body_from_the_sdk_is_a_login_error_with_its_message(
    mode: str, dms_server: FakeAirflow
) -> None:
    sdk = FakeDmsSdk(
        dms_server,
        body={
            "Success": False,
            "Code": "InvalidAirflow.NotFound",
            "ErrorCode": "InvalidAirflow.NotFound",
            "Message": "The specified Airflow instance af-404 does not exist.",
            "RequestId": "5E0F1B7A-REQ",
            "HttpStatusCode": 404,
            "Data": {"Host": DMS_HOST, "Token": "token-in-a-failure-s3cr3t"},
        },
    )

    async def body() -> None:
        with pytest.raises(errors.LoginError) as info:
            await call(dms_client(mode, "cn-hangzhou", "af-404", sdk_client=sdk))
        message = str(info.value)
        assert "InvalidAirflow.NotFound" in message
        assert "The specified Airflow instance af-404 does not exist." in message
        assert "5E0F1B7A-REQ" in message
        assert (info.value.provider, info.value.status_code) == ("dms", 404)
        assert_no_secret(["token-in-a-failure-s3cr3t"], *exception_texts(info.value))

    run(body)
    assert dms_server.requests == []


@BOTH
@pytest.mark.parametrize(
    ("error", "shown", "status"),
    [
        (
            ClientException(
                status_code=403,
                code="Forbidden.NoPermission",
                message="You are not authorized to operate on the specified resource.",
                request_id="5E0F1B7A-REQ",
            ),
            ["Forbidden.NoPermission", "You are not authorized to operate on the specified resource."],
            403,
        ),
        (ConnectionError("connection refused"), ["ConnectionError", "connection refused"], None),
    ],
    ids=["client-exception", "connection-error"],
)
def test_the_sdk_raising_is_a_login_error(
    mode: str, dms_server: FakeAirflow, error: Exception, shown: list[str], status: int | None
) -> None:
    sdk = FakeDmsSdk(dms_server, error=error)

    async def body() -> None:
        with pytest.raises(errors.LoginError) as info:
            await call(dms_client(mode, "cn-hangzhou", "af-123", sdk_client=sdk))
        for text in shown:
            assert text in str(info.value)
        assert "af-123" in str(info.value)
        assert (info.value.provider, info.value.status_code) == ("dms", status)

    run(body)


@BOTH
@pytest.mark.parametrize(
    ("region", "endpoint", "called"),
    [
        ("cn-hangzhou", None, "dms.cn-hangzhou.aliyuncs.com"),
        ("eu-central-1", None, "dms.eu-central-1.aliyuncs.com"),
        ("cn-hangzhou-finance", None, "dms.cn-hangzhou-finance.aliyuncs.com"),
        ("cn-hangzhou", "dms-vpc.cn-hangzhou.aliyuncs.com", "dms-vpc.cn-hangzhou.aliyuncs.com"),
    ],
    ids=["listed", "other-region", "finance-region", "endpoint"],
)
def test_the_sdk_client_calls_the_endpoint_of_any_region_or_the_one_given(
    mode: str,
    region: str,
    endpoint: str | None,
    called: str,
    dms_server: FakeAirflow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from alibabacloud_dms20250414.client import Client

    answers = FakeDmsSdk(dms_server)
    endpoints: list[str] = []

    def create_airflow_login_token(sdk: Client, request: Any) -> Any:  # the SDK's own client, made here
        endpoints.append(sdk._endpoint)
        return answers.create_airflow_login_token(request)

    monkeypatch.setattr(Client, "create_airflow_login_token", create_airflow_login_token)
    options = {} if endpoint is None else {"endpoint": endpoint}

    async def body() -> None:
        async with opened(dms_client(mode, region, "af-123", **options)) as client:
            await call(client.monitoring.get_version())

    run(body)
    assert endpoints == [called]
    assert dms_server.kinds() == ["login", "version"]


@BOTH
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"region": ""}, "DMS region"),
        ({"region": "cn hangzhou"}, "DMS region"),
        ({"region": "dms.cn-hangzhou.aliyuncs.com"}, "DMS region"),
        ({"endpoint": "https://dms.cn-hangzhou.aliyuncs.com"}, "no scheme or path"),
        ({"endpoint": "dms.cn-hangzhou.aliyuncs.com/x"}, "no scheme or path"),
        ({"endpoint": ""}, "no scheme or path"),
        ({"endpoint": "dms.cn-hangzhou.aliyuncs.com", "sdk_client": "sdk"}, "sdk_client or endpoint"),
    ],
    ids=["empty", "space", "host", "scheme", "path", "empty-endpoint", "endpoint-and-client"],
)
def test_a_bad_region_or_endpoint_is_refused_before_any_call(
    mode: str,
    dms_server: FakeAirflow,
    options: dict[str, Any],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_sdk_client(endpoint: str) -> Any:
        raise AssertionError(f"an SDK client for {endpoint} was made")

    monkeypatch.setattr(dms_login, "_make_sdk_client", no_sdk_client)
    sdk = FakeDmsSdk(dms_server)
    options = {"region": "cn-hangzhou", "sdk_client": None, **options}
    if options["sdk_client"] == "sdk":
        options["sdk_client"] = sdk

    async def body() -> None:
        with pytest.raises(ValueError, match=message):
            await call(dms_client(mode, airflow_id="af-123", **options))

    run(body)
    with pytest.raises(ValueError, match=message):
        dms.sdk_token_provider(airflow_id="af-123", **options)
    assert sdk.airflow_ids == []
    assert dms_server.requests == []


@pytest.mark.parametrize("airflow_id", ["", "  "])
def test_an_empty_airflow_id_is_refused_before_any_call(dms_server: FakeAirflow, airflow_id: str) -> None:
    sdk = FakeDmsSdk(dms_server)
    with pytest.raises(ValueError, match="airflow_id"):
        dms.client("cn-hangzhou", airflow_id, sdk_client=sdk)
    assert sdk.airflow_ids == []


@BOTH
def test_without_the_dms_sdk_the_error_names_the_extra(
    mode: str, dms_server: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "alibabacloud_dms20250414", None)
    sdk = FakeDmsSdk(dms_server)

    async def body() -> None:
        with pytest.raises(ImportError, match=re.escape("airflow-rest[dms]")):
            await call(dms_client(mode, "cn-hangzhou", "af-123", sdk_client=sdk))

    run(body)
    assert sdk.airflow_ids == []
    assert dms_server.requests == []


# --- logging in again -----------------------------------------------------------------------------


@BOTH
@REJECTIONS
def test_a_session_that_worked_and_is_rejected_logs_in_again_once_and_sends_the_request_again(
    mode: str, rejection: str | int, dms_server: FakeAirflow
) -> None:
    provider = TokenProvider(dms_server)
    dms_server.rejection = rejection

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=provider)) as client:
            frozen_clock(client)
            await call(client.monitoring.get_version())
            dms_server.expire()
            version = await call(client.monitoring.get_version())
            assert version.version == "2.10.4"
            assert auth_of(client).logins == 2

    run(body)
    assert dms_server.kinds() == ["login", "version", "version", "login", "version"]
    old, stale, new = (session_of(r) for r in dms_server.api_requests())
    assert old == stale != new
    assert new in dms_server.sessions
    assert tokens_sent(dms_server) == [provider.tokens[0]] * 2  # the same token: still in its window
    assert provider.calls == 1


@BOTH
@pytest.mark.parametrize(
    ("age", "reused"),
    [
        (60.0, True),
        (3600.0, True),
        (dms.TOKEN_WINDOW - 301, True),
        (dms.TOKEN_WINDOW - 299, False),
        (dms.TOKEN_WINDOW + 1, False),
    ],
    ids=["1-min", "1-h", "2h-5min-1s", "2h-5min+1s", "2h+1s"],
)
def test_a_token_is_reused_for_a_new_login_only_within_its_two_hours(
    mode: str, age: float, reused: bool, dms_server: FakeAirflow
) -> None:
    provider = TokenProvider(dms_server)

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=provider)) as client:
            clock = frozen_clock(client)
            await call(client.monitoring.get_version())
            dms_server.expire()
            clock[0] += age
            await call(client.monitoring.get_version())

    run(body)
    assert provider.calls == (1 if reused else 2)
    assert tokens_sent(dms_server) == [provider.tokens[0], provider.tokens[-1]]
    assert dms_server.kinds() == ["login", "version", "version", "login", "version"]


@BOTH
def test_a_reused_token_that_no_longer_logs_in_is_replaced_by_a_fresh_one(
    mode: str, dms_server: FakeAirflow
) -> None:
    provider = TokenProvider(dms_server)

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=provider)) as client:
            frozen_clock(client)
            await call(client.monitoring.get_version())
            dms_server.expire()
            dms_server.login_tokens.clear()  # e.g. a token good for one login only
            await call(client.monitoring.get_version())
            assert auth_of(client).logins == 2

    run(body)
    assert dms_server.kinds() == ["login", "version", "version", "login", "login", "version"]
    assert tokens_sent(dms_server) == [provider.tokens[0], provider.tokens[0], provider.tokens[1]]
    assert provider.calls == 2


@BOTH
@pytest.mark.parametrize("when", ["first-login", "new-login"])
def test_a_fresh_token_whose_login_gives_no_cookie_is_a_login_error(
    mode: str, when: str, dms_server: FakeAirflow
) -> None:
    provider = TokenProvider(dms_server, accepted=when == "new-login")

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=provider)) as client:
            if when == "new-login":
                await call(client.monitoring.get_version())
                dms_server.expire()
                dms_server.login_tokens.clear()
                provider.accepted = False
            with pytest.raises(errors.LoginError) as info:
                await call(client.monitoring.get_version())
        message = str(info.value)
        assert f"DMS login failed: GET {DMS_HOST}/login?token=" in message
        assert "302 redirected to a login page" in message
        assert (info.value.provider, info.value.status_code) == ("dms", 302)
        assert_no_secret(dms_server.secrets, *exception_texts(info.value))

    run(body)
    before = ["login", "version", "version"] if when == "new-login" else []
    assert dms_server.kinds() == [*before, "login", "login"]  # the reused token, then a fresh one
    assert provider.calls == 2


@BOTH
@REJECTED_AGAIN
def test_a_fresh_session_rejected_as_well_raises_the_typed_error_once(
    mode: str, rejection: str | int, error: type[errors.APIStatusError], dms_server: FakeAirflow
) -> None:
    dms_server.rejection = rejection

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=TokenProvider(dms_server))) as client:
            await call(client.monitoring.get_version())
            dms_server.expire()
            dms_server.accept_new_sessions = False
            with pytest.raises(error) as info:
                await call(client.monitoring.get_version())
            assert type(info.value) is error
            assert info.value.url == f"{DMS_HOST}/api/v1/version"
            # the new session is kept; refused again on the next call, it has been used, so that
            # call logs in once more (one login per call, never a loop)
            with pytest.raises(error):
                await call(client.monitoring.get_version())
            assert auth_of(client).logins == 3

    run(body)
    assert dms_server.kinds() == [
        *["login", "version"],
        *["version", "login", "version"],
        *["version", "login", "version"],
    ]


@BOTH
@REJECTED_AGAIN
def test_a_new_session_rejected_at_once_is_not_logged_in_again(
    mode: str, rejection: str | int, error: type[errors.APIStatusError], dms_server: FakeAirflow
) -> None:
    dms_server.rejection = rejection
    dms_server.accept_new_sessions = False

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=TokenProvider(dms_server))) as client:
            with pytest.raises(error):
                await call(client.monitoring.get_version())
            assert auth_of(client).logins == 1

    run(body)
    assert dms_server.kinds() == ["login", "version"]


@BOTH
@pytest.mark.parametrize("refusal", ["redirect", "html"])
def test_a_reused_token_answered_with_a_login_page_and_a_cookie_is_replaced_by_a_fresh_one(
    mode: str, refusal: str, dms_server: FakeAirflow
) -> None:
    dms_server.refusal_sets_cookie = True  # Flask sets a cookie for the flash message of a failed login
    dms_server.login_refusal = refusal
    provider = TokenProvider(dms_server)

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=provider)) as client:
            frozen_clock(client)
            await call(client.monitoring.get_version())
            dms_server.expire()
            dms_server.login_tokens.clear()  # the reused token is refused, with a cookie
            version = await call(client.monitoring.get_version())
            assert version.version == "2.10.4"
            assert auth_of(client).logins == 2

    run(body)
    assert dms_server.kinds() == ["login", "version", "version", "login", "login", "version"]
    assert tokens_sent(dms_server) == [provider.tokens[0], provider.tokens[0], provider.tokens[1]]


@BOTH
@pytest.mark.parametrize(("refusal", "shown"), [("redirect", "302 redirected to"), ("html", "200 with")])
def test_a_login_answered_with_a_login_page_is_a_login_error_even_with_a_cookie(
    mode: str, refusal: str, shown: str, dms_server: FakeAirflow
) -> None:
    dms_server.refusal_sets_cookie = True
    dms_server.login_refusal = refusal
    provider = TokenProvider(dms_server, accepted=False)

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=provider)) as client:
            with pytest.raises(errors.LoginError) as info:
                await call(client.monitoring.get_version())
            assert auth_of(client).logins == 0
        assert f"DMS login failed: GET {DMS_HOST}/login?token=" in str(info.value)
        assert f"{shown} a login page" in str(info.value)
        assert (info.value.provider, info.value.status_code) == ("dms", 302 if refusal == "redirect" else 200)
        assert_no_secret(dms_server.secrets, *exception_texts(info.value))

    run(body)
    assert dms_server.kinds() == ["login", "login"]  # the token fetched up front, then a fresh one
    assert provider.calls == 2


@BOTH
def test_a_post_rejected_for_its_session_is_sent_again_with_the_same_body(
    mode: str, dms_server: FakeAirflow
) -> None:
    async def body() -> None:
        async with opened(dms_client(mode, token_provider=TokenProvider(dms_server))) as client:
            await call(client.monitoring.get_version())
            dms_server.expire()
            run_ = await call(client.dag_run.post_dag_run("dag_003", body=models.DAGRun(dag_run_id="r1")))
            assert (run_.dag_id, run_.dag_run_id) == ("dag_003", "r1")

    run(body)
    assert dms_server.kinds() == ["login", "version", "dags/dag_003/dagRuns", "login", "dags/dag_003/dagRuns"]
    refused, sent = dms_server.api_requests()[1:]
    assert refused.method == sent.method == "POST"
    assert refused.content == sent.content
    assert json.loads(sent.content) == {"dag_run_id": "r1"}
    assert session_of(refused) != session_of(sent)


@BOTH
def test_a_session_cookie_the_server_renews_is_used_from_then_on(mode: str, dms_server: FakeAirflow) -> None:
    rotated = dms_server.mint("rotated-session")

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=TokenProvider(dms_server))) as client:
            await call(client.monitoring.get_version())
            dms_server.rotate_to = rotated
            await call(client.monitoring.get_version())  # answered with a new session cookie
            dms_server.sessions = {rotated}  # the old one no longer works
            await call(client.monitoring.get_version())
            assert auth_of(client).logins == 1

    run(body)
    assert dms_server.kinds() == ["login", "version", "version", "version"]
    first, renewed_by, after = (session_of(r) for r in dms_server.api_requests())
    assert first == renewed_by != rotated
    assert after == rotated


@BOTH
def test_a_login_that_cannot_connect_is_retried_and_leaves_no_login_half_done(
    mode: str, httpx_mock: Any
) -> None:
    server = FakeAirflow(DMS_HOST)
    failures = [httpx.ConnectError("connection refused")]

    def answer(request: httpx.Request) -> httpx.Response:
        if is_login(request, DMS_HOST) and failures:
            raise failures.pop()
        return server(request)

    serve(httpx_mock, answer)

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=TokenProvider(server))) as client:
            version = await asyncio.wait_for(call(client.monitoring.get_version()), timeout=5)
            assert version.version == "2.10.4"
            assert auth_of(client).logins == 1

    run(body)
    assert failures == []  # the first login failed to connect
    assert server.kinds() == ["login", "version"]


@BOTH
def test_a_login_that_cannot_connect_leaves_the_login_lock_free_at_once(mode: str, httpx_mock: Any) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    serve(httpx_mock, answer)

    async def body() -> None:
        provider = TokenProvider(FakeAirflow(DMS_HOST))
        async with opened(dms_client(mode, token_provider=provider, max_retries=0)) as client:
            with pytest.raises(errors.APIConnectionError, match="ConnectError: connection refused"):
                await call(client.monitoring.get_version())
            auth = auth_of(client)
            assert not (auth._lock if mode == "sync" else auth._alock).locked()

    run(body)


# --- one login at a time --------------------------------------------------------------------------


def test_threads_on_a_client_with_no_session_cause_one_login(httpx_mock: Any) -> None:
    server = FakeAirflow(DMS_HOST)
    entered = [0]

    def answer(request: httpx.Request) -> httpx.Response:
        if is_login(request, DMS_HOST):
            wait_until(lambda: entered[0] == N)  # every request is under way, waiting for this login
        return server(request)

    serve(httpx_mock, answer)
    with dms.client(token_provider=TokenProvider(server), verify=TLS) as client:
        count_entries(auth_of(client), entered)
        with ThreadPoolExecutor(N) as pool:
            versions = list(pool.map(lambda _: client.monitoring.get_version().version, range(N)))
        assert auth_of(client).logins == 1
    assert versions == ["2.10.4"] * N
    assert server.kinds() == ["login"] + ["version"] * N


def test_tasks_on_a_client_with_no_session_cause_one_login(httpx_mock: Any) -> None:
    server = FakeAirflow(DMS_HOST)
    entered = [0]

    async def answer(request: httpx.Request) -> httpx.Response:
        if is_login(request, DMS_HOST):
            for _ in range(2000):  # every request is under way, waiting for this login
                if entered[0] == N:
                    break
                await asyncio.sleep(0.001)
            assert entered[0] == N
        return server(request)

    serve(httpx_mock, answer)

    async def body() -> list[str]:
        async with opened(dms.async_client(token_provider=TokenProvider(server), verify=TLS)) as client:
            count_entries(auth_of(client), entered)
            found = await asyncio.gather(*(client.monitoring.get_version() for _ in range(N)))
            assert auth_of(client).logins == 1
            return [v.version for v in found]

    assert run(body) == ["2.10.4"] * N
    assert server.kinds() == ["login"] + ["version"] * N


def assert_one_new_login(server: FakeAirflow) -> None:
    """After one request, N requests of an expired session, one new login, N sent again."""
    kinds = server.kinds()
    assert kinds[:2] == ["login", "version"]
    assert sorted(kinds[2:]) == ["login"] + ["version"] * 2 * N
    first = session_of(server.api_requests()[0])
    (new,) = server.sessions
    sessions = Counter(session_of(r) for r in server.api_requests())
    assert sessions == {first: 1 + N, new: N}


def test_threads_on_an_expired_session_cause_one_new_login(httpx_mock: Any) -> None:
    server = FakeAirflow(DMS_HOST)
    all_sent = threading.Barrier(N, timeout=2)

    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(server.api) and not server.authorized(request):
            all_sent.wait()  # answer no request of the old session before all of them were sent
        return server(request)

    serve(httpx_mock, answer)
    provider = TokenProvider(server)
    with dms.client(token_provider=provider, verify=TLS) as client:
        client.monitoring.get_version()
        server.expire()
        with ThreadPoolExecutor(N) as pool:
            versions = list(pool.map(lambda _: client.monitoring.get_version().version, range(N)))
        assert auth_of(client).logins == 2
    assert versions == ["2.10.4"] * N
    assert_one_new_login(server)
    assert provider.calls == 1


def test_tasks_on_an_expired_session_cause_one_new_login(httpx_mock: Any) -> None:
    server = FakeAirflow(DMS_HOST)
    stale = [0]
    all_sent: list[asyncio.Event] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(server.api) and not server.authorized(request):
            stale[0] += 1
            if stale[0] == N:
                all_sent[0].set()
            await asyncio.wait_for(all_sent[0].wait(), timeout=2)  # all old-session requests sent
        return server(request)

    serve(httpx_mock, answer)
    provider = TokenProvider(server)

    async def body() -> list[str]:
        all_sent.append(asyncio.Event())
        async with opened(dms.async_client(token_provider=provider, verify=TLS)) as client:
            await client.monitoring.get_version()
            server.expire()
            found = await asyncio.gather(*(client.monitoring.get_version() for _ in range(N)))
            assert auth_of(client).logins == 2
            return [v.version for v in found]

    assert run(body) == ["2.10.4"] * N
    assert_one_new_login(server)
    assert provider.calls == 1


# --- MWAA web login -------------------------------------------------------------------------------


@BOTH
def test_mwaa_posts_the_web_login_token_as_a_form_then_sends_the_session_cookie(
    mode: str, mwaa_server: FakeAirflow, mwaa_boto: Any, mwaa_stub: Stubber
) -> None:
    token = expect_web_token(mwaa_stub, mwaa_server)

    async def body() -> None:
        async with opened(mwaa_client(mode, mwaa_client=mwaa_boto)) as client:
            assert client.base_url == f"{MWAA_ROOT}/api/v1/"
            mwaa_stub.assert_no_pending_responses()  # the token is asked for up front
            assert mwaa_server.requests == []
            page = await call(client.dag.get_dags(limit=2))
            assert [d.dag_id for d in page.dags] == ["dag_001", "dag_002"]

    run(body)
    login, api = mwaa_server.requests
    assert login.method == "POST"
    assert str(login.url) == f"https://{MWAA_HOSTNAME}/aws_mwaa/login"
    assert login.headers["content-type"] == "application/x-www-form-urlencoded"
    assert login.content == f"token={quote_plus(token)}".encode()
    assert b"mwaa%2Bweb%2Ftoken%3D" in login.content
    assert "cookie" not in login.headers
    (session,) = mwaa_server.sessions
    assert str(api.url) == f"{MWAA_ROOT}/api/v1/dags?limit=2&only_active=true"
    assert api.headers["cookie"] == f"session={session}"
    mwaa_stub.assert_no_pending_responses()


@BOTH
@pytest.mark.parametrize(("age", "reused"), [(10.0, True), (44.0, True), (46.0, False), (120.0, False)])
def test_mwaa_logs_in_again_with_a_new_web_token_once_the_last_is_45_s_old(
    mode: str, age: float, reused: bool, mwaa_server: FakeAirflow, mwaa_boto: Any, mwaa_stub: Stubber
) -> None:
    first = expect_web_token(mwaa_stub, mwaa_server)
    second = first if reused else expect_web_token(mwaa_stub, mwaa_server)

    async def body() -> None:
        async with opened(mwaa_client(mode, mwaa_client=mwaa_boto)) as client:
            clock = frozen_clock(client)
            await call(client.monitoring.get_version())
            mwaa_server.expire()
            clock[0] += age
            await call(client.monitoring.get_version())
            assert auth_of(client).logins == 2

    run(body)
    assert mwaa_server.kinds() == ["login", "version", "version", "login", "version"]
    assert tokens_sent(mwaa_server) == [first, second]
    mwaa_stub.assert_no_pending_responses()


@BOTH
def test_a_forbidden_call_costs_one_new_login_and_the_next_call_none(
    mode: str, mwaa_server: FakeAirflow, mwaa_boto: Any, mwaa_stub: Stubber
) -> None:
    expect_web_token(mwaa_stub, mwaa_server)
    expect_web_token(mwaa_stub, mwaa_server)  # for the one new login; a third call fails the test
    mwaa_server.forbidden.add("dags/secret_dag")

    async def body() -> None:
        async with opened(mwaa_client(mode, mwaa_client=mwaa_boto)) as client:
            clock = frozen_clock(client)
            await call(client.monitoring.get_version())
            clock[0] += 50  # the first web token is too old to log in with again
            with pytest.raises(errors.PermissionDeniedError) as info:
                await call(client.dag.get_dag("secret_dag"))
            assert "403 Forbidden: You do not have permission to perform this action" in str(info.value)
            mwaa_stub.assert_no_pending_responses()
            version = await call(client.monitoring.get_version())  # with the session the 403 left
            assert version.version == "2.10.4"
            assert auth_of(client).logins == 2

    run(body)
    assert mwaa_server.kinds() == [
        *["login", "version"],
        *["dags/secret_dag", "login", "dags/secret_dag"],
        "version",
    ]
    _, _, refused, kept = (session_of(r) for r in mwaa_server.api_requests())
    assert refused == kept


@BOTH
@pytest.mark.parametrize("when", ["client", "new-login"])
def test_mwaa_access_denied_is_a_login_error_naming_the_code(
    mode: str, when: str, mwaa_server: FakeAirflow, mwaa_boto: Any, mwaa_stub: Stubber
) -> None:
    if when == "new-login":
        expect_web_token(mwaa_stub, mwaa_server)
    mwaa_stub.add_client_error(
        "create_web_login_token",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
        "airflow:CreateWebLoginToken",
        http_status_code=403,
        expected_params={"Name": MWAA_ENV},
    )

    async def body() -> None:
        with pytest.raises(errors.LoginError) as info:
            async with opened(mwaa_client(mode, mwaa_client=mwaa_boto)) as client:
                clock = frozen_clock(client)
                await call(client.monitoring.get_version())
                mwaa_server.expire()
                clock[0] += 60
                await call(client.monitoring.get_version())
        assert "AccessDeniedException" in str(info.value)
        assert "airflow:CreateWebLoginToken" in str(info.value)
        assert MWAA_ENV in str(info.value)
        assert (info.value.provider, info.value.status_code) == ("mwaa", 403)
        assert_no_secret(mwaa_server.secrets, *exception_texts(info.value))

    run(body)
    mwaa_stub.assert_no_pending_responses()
    assert mwaa_server.kinds() == ([] if when == "client" else ["login", "version", "version"])


def test_the_async_mwaa_client_asks_boto3_in_a_worker_thread(
    mwaa_server: FakeAirflow, mwaa_boto: Any, mwaa_stub: Stubber
) -> None:
    threads: list[int] = []
    mwaa_boto.meta.events.register(
        "provide-client-params.mwaa.CreateWebLoginToken", lambda **_: threads.append(threading.get_ident())
    )
    expect_web_token(mwaa_stub, mwaa_server)

    async def body() -> None:
        async with opened(mwaa_client("async", mwaa_client=mwaa_boto)) as client:
            await client.monitoring.get_version()
        assert threads and threads[0] != threading.get_ident()

    run(body)
    mwaa_stub.assert_no_pending_responses()


@BOTH
def test_without_boto3_the_mwaa_error_names_the_extra(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)

    async def body() -> None:
        with pytest.raises(ImportError, match=re.escape("airflow-rest[mwaa]")):
            await call(mwaa_client(mode, region_name="us-east-1"))

    run(body)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": ""}, ValueError, "environment name"),
        ({"mwaa_client": object(), "region_name": "us-east-1"}, ValueError, "not both"),
        ({"mwaa_client": object(), "auth": ("u", "p")}, TypeError, "auth="),
        ({"mwaa_client": object(), "base_url": MWAA_ROOT}, TypeError, "base_url="),
    ],
    ids=["no-name", "client-and-region", "auth", "base-url"],
)
def test_mwaa_client_arguments_are_checked_before_any_call(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    kwargs = {"name": MWAA_ENV, **kwargs}
    with pytest.raises(error, match=message):
        mwaa.client(**kwargs)


# --- secrets --------------------------------------------------------------------------------------


@BOTH
def test_no_dms_secret_shows_in_logs_reprs_or_errors(
    mode: str, dms_server: FakeAirflow, debug_logs: pytest.LogCaptureFixture
) -> None:
    provider = TokenProvider(dms_server)
    shown: list[object] = []

    async def body() -> None:
        async with opened(dms_client(mode, token_provider=provider)) as client:
            await call(client.dag.get_dags(limit=2))
            dms_server.expire()
            await call(client.monitoring.get_version())  # logs in again
            with pytest.raises(errors.NotFoundError) as missing:
                await call(client.dag.get_dag("missing"))
            dms_server.expire()
            dms_server.accept_new_sessions = False
            with pytest.raises(errors.AuthenticationError) as rejected:
                await call(client.monitoring.get_version())
            shown.extend([client, auth_of(client), auth_of(client)._credential])
            shown.extend([*exception_texts(missing.value), *exception_texts(rejected.value)])
            provider.accepted = False
            dms_server.login_tokens.clear()
            dms_server.accept_new_sessions = True
            client2 = await call(dms_client(mode, token_provider=provider))
            with pytest.raises(errors.LoginError) as failed:
                await call(client2.monitoring.get_version())
            shown.extend(exception_texts(failed.value))

    run(body)
    assert len(dms_server.secrets) >= 6
    assert_no_secret(dms_server.secrets, *shown, *log_texts(debug_logs))
    logged_logins = [
        r.getMessage() for r in debug_logs.records if r.name == "httpx" and "/login?token=" in r.getMessage()
    ]
    assert logged_logins
    for message in logged_logins:
        assert re.search(r"/login\?token=(\*\*\*|%2A%2A%2A) ", message), message


@BOTH
def test_no_mwaa_secret_shows_in_logs_reprs_or_errors(
    mode: str, mwaa_server: FakeAirflow, debug_logs: pytest.LogCaptureFixture
) -> None:
    from .conftest import AWS_SECRET, boto_mwaa

    boto = boto_mwaa(AWS_SECRET)
    shown: list[object] = []
    with Stubber(boto) as stub:
        expect_web_token(stub, mwaa_server)
        expect_web_token(stub, mwaa_server)

        async def body() -> None:
            async with opened(mwaa_client(mode, mwaa_client=boto)) as client:
                clock = frozen_clock(client)
                await call(client.dag.get_dags(limit=2))
                mwaa_server.expire()
                clock[0] += 50
                await call(client.monitoring.get_version())
                mwaa_server.expire()
                mwaa_server.accept_new_sessions = False
                with pytest.raises(errors.AuthenticationError) as rejected:
                    await call(client.monitoring.get_version())
                shown.extend([client, auth_of(client), auth_of(client)._credential])
                shown.extend(exception_texts(rejected.value))

        run(body)
        stub.assert_no_pending_responses()
    assert_no_secret([*mwaa_server.secrets, AWS_SECRET], *shown, *log_texts(debug_logs))


def test_no_session_cookie_shows_in_the_debug_log_of_a_real_transport(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    import httpcore

    session = "wire-session-s3cr3t"
    login = (
        f"HTTP/1.1 302 Found\r\nLocation: {DMS_HOST}/home\r\n"
        f"Set-Cookie: session={session}; {COOKIE_ATTRIBUTES}\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    version = b'{"version": "2.10.4", "git_version": null}'
    api = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 42\r\n\r\n" + version
    transport = httpx.HTTPTransport(verify=TLS)  # the real transport over a fake network (no socket)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=TLS, network_backend=httpcore.MockBackend([login, api])
    )
    token = "wire-login-token-s3cr3t"
    with dms.client(token_provider=lambda: (DMS_HOST, token), transport=transport) as client:
        assert client.monitoring.get_version().version == "2.10.4"
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)
    assert_no_secret([token, session], *log_texts(debug_logs))
