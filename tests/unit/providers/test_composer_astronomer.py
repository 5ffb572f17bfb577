"""Bearer-token providers on the wire: Google Cloud Composer (google-auth credentials, refreshed
through httpx) and Astronomer (a Deployment or Workspace API token).

Composer's token refreshes are plain httpx requests, so pytest-httpx sees them unless the client is
given a ``token_transport``; the credentials are real ``google.oauth2.credentials.Credentials``.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import google.auth
import httpx
import pytest

from airflow_rest import errors
from airflow_rest.providers import astronomer, composer

from .conftest import (
    ASTRO_TOKEN,
    ASTRO_URL,
    BOTH,
    CLIENT_SECRET,
    COMPOSER_URL,
    REFRESH_TOKEN,
    TLS,
    TOKEN_URI,
    FakeAirflow,
    assert_no_secret,
    astronomer_client,
    call,
    composer_client,
    exception_texts,
    google_credentials,
    log_texts,
    opened,
    run,
    serve,
    wait_until,
)

N = 8
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
INVALID_GRANT = (400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})


@pytest.fixture
def composer_server(httpx_mock: Any) -> FakeAirflow:
    server = FakeAirflow(COMPOSER_URL)
    server.rejection = 401
    serve(httpx_mock, server)
    return server


@pytest.fixture
def astro_server(httpx_mock: Any) -> FakeAirflow:
    server = FakeAirflow(ASTRO_URL)
    server.rejection = 401
    server.bearer_tokens.add(ASTRO_TOKEN)
    serve(httpx_mock, server)
    return server


def auth_of(client: Any) -> Any:
    return client._http.auth


def bearer(request: httpx.Request) -> str:
    value = request.headers["authorization"]
    assert value.startswith("Bearer ")
    return str(value.removeprefix("Bearer "))


# --- Composer -------------------------------------------------------------------------------------


@BOTH
def test_composer_refreshes_the_credentials_then_sends_the_access_token_as_bearer(
    mode: str, composer_server: FakeAirflow
) -> None:
    async def body() -> None:
        async with opened(composer_client(mode, credentials=google_credentials())) as client:
            assert client.base_url == f"{COMPOSER_URL}/api/v1/"
            page = await call(client.dag.get_dags(limit=2))
            assert [d.dag_id for d in page.dags] == ["dag_001", "dag_002"]
            await call(client.monitoring.get_version())
            await call(client.monitoring.get_version())
            assert auth_of(client).refreshes == 1  # a valid token is used until it is not

    run(body)
    assert composer_server.kinds() == ["token", "dags", "version", "version"]
    refresh, *api = composer_server.requests
    assert refresh.method == "POST"
    assert str(refresh.url) == TOKEN_URI
    assert refresh.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(refresh.content.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": [REFRESH_TOKEN],
        "client_id": ["client-id.apps.test"],
        "client_secret": [CLIENT_SECRET],
    }
    (access,) = composer_server.bearer_tokens
    assert [bearer(r) for r in api] == [access] * 3
    assert str(api[0].url) == f"{COMPOSER_URL}/api/v1/dags?limit=2&only_active=true"
    assert not any("cookie" in r.headers for r in api)


@BOTH
def test_composer_token_refreshes_go_through_the_token_transport_when_given(
    mode: str, httpx_mock: Any
) -> None:
    server = FakeAirflow(COMPOSER_URL)
    refreshes: list[httpx.Request] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        refreshes.append(request)
        return server(request)

    serve(httpx_mock, server)

    async def body() -> None:
        made = composer_client(
            mode, credentials=google_credentials(), token_transport=httpx.MockTransport(token_endpoint)
        )
        async with opened(made) as client:
            await call(client.monitoring.get_version())

    run(body)
    assert [str(r.url) for r in refreshes] == [TOKEN_URI]
    assert [str(r.url) for r in httpx_mock.get_requests()] == [f"{COMPOSER_URL}/api/v1/version"]


@BOTH
def test_a_401_from_airflow_refreshes_the_token_once_and_sends_the_request_again(
    mode: str, composer_server: FakeAirflow
) -> None:
    async def body() -> None:
        async with opened(composer_client(mode, credentials=google_credentials())) as client:
            await call(client.monitoring.get_version())
            composer_server.expire()  # Airflow no longer takes the token google-auth still holds valid
            version = await call(client.monitoring.get_version())
            assert version.version == "2.10.4"
            assert auth_of(client).refreshes == 2

    run(body)
    assert composer_server.kinds() == ["token", "version", "version", "token", "version"]
    first, refused, sent = (bearer(r) for r in composer_server.api_requests())
    assert first == refused != sent
    assert composer_server.bearer_tokens == {sent}


@BOTH
def test_a_401_for_the_refreshed_token_too_raises_authentication_error_once(
    mode: str, composer_server: FakeAirflow
) -> None:
    async def body() -> None:
        async with opened(composer_client(mode, credentials=google_credentials())) as client:
            await call(client.monitoring.get_version())
            composer_server.expire()
            composer_server.accept_new_sessions = False
            with pytest.raises(errors.AuthenticationError, match="401 Unauthorized"):
                await call(client.monitoring.get_version())
            assert auth_of(client).refreshes == 2

    run(body)
    assert composer_server.kinds() == ["token", "version", "version", "token", "version"]


@BOTH
def test_a_403_from_airflow_is_not_a_reason_to_refresh(mode: str, composer_server: FakeAirflow) -> None:
    composer_server.rejection = 403
    composer_server.accept_new_sessions = False

    async def body() -> None:
        async with opened(composer_client(mode, credentials=google_credentials())) as client:
            with pytest.raises(errors.PermissionDeniedError):
                await call(client.monitoring.get_version())
            assert auth_of(client).refreshes == 1

    run(body)
    assert composer_server.kinds() == ["token", "version"]


@BOTH
@pytest.mark.parametrize("when", ["first-request", "after-401"])
def test_a_refresh_refused_by_google_is_a_login_error_without_secrets(
    mode: str, when: str, composer_server: FakeAirflow
) -> None:
    async def body() -> None:
        async with opened(composer_client(mode, credentials=google_credentials())) as client:
            if when == "after-401":
                await call(client.monitoring.get_version())
                composer_server.expire()
            composer_server.refresh_answer = INVALID_GRANT
            with pytest.raises(errors.LoginError) as info:
                await call(client.monitoring.get_version())
        message = str(info.value)
        assert message.startswith("Google credentials could not be refreshed: RefreshError: ")
        assert "invalid_grant" in message
        assert info.value.provider == "composer"
        secrets = [REFRESH_TOKEN, CLIENT_SECRET, *composer_server.secrets]
        assert_no_secret(secrets, *exception_texts(info.value), repr(client), repr(auth_of(client)))

    run(body)
    before = ["token", "version", "version"] if when == "after-401" else []
    assert composer_server.kinds() == [*before, "token"]


@BOTH
def test_a_token_endpoint_that_cannot_be_reached_is_a_login_error(mode: str, httpx_mock: Any) -> None:
    server = FakeAirflow(COMPOSER_URL)

    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URI:
            raise httpx.ConnectError("connection refused")
        return server(request)

    serve(httpx_mock, answer)

    async def body() -> None:
        async with opened(composer_client(mode, credentials=google_credentials())) as client:
            with pytest.raises(errors.LoginError, match="TransportError: ConnectError: connection refused"):
                await call(client.monitoring.get_version())

    run(body)
    assert server.requests == []


@BOTH
def test_without_credentials_google_auth_default_is_asked_once_for_the_cloud_platform_scope(
    mode: str, composer_server: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Any] = []

    def default(scopes: Any = None, **kwargs: Any) -> tuple[Any, str]:
        asked.append((scopes, kwargs))
        return google_credentials(), "my-project"

    monkeypatch.setattr(google.auth, "default", default)

    async def body() -> None:
        async with opened(composer_client(mode)) as client:
            assert asked == []  # not before the first request
            await call(client.monitoring.get_version())
            await call(client.monitoring.get_version())

    run(body)
    assert asked == [([CLOUD_PLATFORM], {})]
    assert composer_server.kinds() == ["token", "version", "version"]


@BOTH
def test_without_google_auth_the_error_names_the_extra(
    mode: str, composer_server: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", None)

    async def body() -> None:
        async with opened(composer_client(mode)) as client:
            with pytest.raises(ImportError, match=re.escape("airflow-rest[composer]")):
                await call(client.monitoring.get_version())

    run(body)
    assert composer_server.requests == []


def test_composer_refuses_an_auth_argument() -> None:
    with pytest.raises(TypeError, match="credentials="):
        composer.client(COMPOSER_URL, auth=("u", "p"))
    with pytest.raises(TypeError, match="credentials="):
        asyncio.run(composer.async_client(COMPOSER_URL, auth=("u", "p")))


def test_threads_needing_a_token_cause_one_refresh(httpx_mock: Any) -> None:
    server = FakeAirflow(COMPOSER_URL)
    entered = [0]

    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URI:
            wait_until(lambda: entered[0] == N)  # every request is under way, waiting for the token
        return server(request)

    serve(httpx_mock, answer)
    with composer.client(
        COMPOSER_URL, airflow_version=2, credentials=google_credentials(), verify=TLS
    ) as client:
        count_entries(client, entered)
        with ThreadPoolExecutor(N) as pool:
            versions = list(pool.map(lambda _: client.monitoring.get_version().version, range(N)))
        assert auth_of(client).refreshes == 1
    assert versions == ["2.10.4"] * N
    assert server.kinds() == ["token"] + ["version"] * N


def test_tasks_needing_a_token_cause_one_refresh(httpx_mock: Any) -> None:
    server = FakeAirflow(COMPOSER_URL)
    entered = [0]

    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URI:  # asked from a worker thread
            wait_until(lambda: entered[0] == N)
        return server(request)

    serve(httpx_mock, answer)

    async def body() -> list[str]:
        async with opened(composer_client("async", credentials=google_credentials())) as client:
            count_entries(client, entered)
            found = await asyncio.gather(*(client.monitoring.get_version() for _ in range(N)))
            assert auth_of(client).refreshes == 1
            return [v.version for v in found]

    assert run(body) == ["2.10.4"] * N
    assert server.kinds() == ["token"] + ["version"] * N


def count_entries(client: Any, entered: list[int]) -> None:
    auth = auth_of(client)
    lock = threading.Lock()
    flows: dict[str, Callable[[httpx.Request], Any]] = {
        "sync_auth_flow": auth.sync_auth_flow,
        "async_auth_flow": auth.async_auth_flow,
    }
    for name, flow in flows.items():

        def counted(request: httpx.Request, flow: Callable[[httpx.Request], Any] = flow) -> Any:
            with lock:
                entered[0] += 1
            return flow(request)

        setattr(auth, name, counted)


@BOTH
def test_no_composer_secret_shows_in_logs_reprs_or_errors(
    mode: str, composer_server: FakeAirflow, debug_logs: pytest.LogCaptureFixture
) -> None:
    shown: list[object] = []

    async def body() -> None:
        async with opened(composer_client(mode, credentials=google_credentials())) as client:
            await call(client.dag.get_dags(limit=2))
            composer_server.expire()
            await call(client.monitoring.get_version())  # refreshes again
            with pytest.raises(errors.NotFoundError) as missing:
                await call(client.dag.get_dag("missing"))
            composer_server.expire()
            composer_server.refresh_answer = INVALID_GRANT
            with pytest.raises(errors.LoginError) as failed:
                await call(client.monitoring.get_version())
            shown.extend([client, auth_of(client), *exception_texts(missing.value)])
            shown.extend(exception_texts(failed.value))

    run(body)
    assert len(composer_server.secrets) == 2
    assert_no_secret([REFRESH_TOKEN, CLIENT_SECRET, *composer_server.secrets], *shown, *log_texts(debug_logs))


# --- Astronomer -----------------------------------------------------------------------------------


@BOTH
def test_astronomer_sends_the_api_token_as_bearer_under_the_deployment_path(
    mode: str, astro_server: FakeAirflow
) -> None:
    async def body() -> None:
        async with opened(astronomer_client(mode, token=ASTRO_TOKEN)) as client:
            assert client.base_url == f"{ASTRO_URL}/api/v1/"
            await call(client.dag.get_dags(limit=2))

    run(body)
    (request,) = astro_server.requests
    assert str(request.url) == f"{ASTRO_URL}/api/v1/dags?limit=2&only_active=true"
    assert request.url.path == "/d8fxz2a1/api/v1/dags"
    assert request.headers["authorization"] == f"Bearer {ASTRO_TOKEN}"


@BOTH
@pytest.mark.parametrize(
    "url",
    [
        f"{ASTRO_URL}/api/v1",
        f"{ASTRO_URL}/api/v1/",
        ASTRO_URL.removeprefix("https://") + "/api/v1",
        ASTRO_URL.removeprefix("https://"),
    ],
    ids=["api-url", "api-url-slash", "printed-without-scheme", "no-scheme"],
)
def test_astronomer_takes_the_api_url_the_astro_cli_prints(
    mode: str, url: str, astro_server: FakeAirflow
) -> None:
    async def body() -> None:
        async with opened(astronomer_client(mode, url, token=ASTRO_TOKEN)) as client:
            assert client.base_url == f"{ASTRO_URL}/api/v1/"
            await call(client.monitoring.get_version())

    run(body)
    (request,) = astro_server.requests
    assert str(request.url) == f"{ASTRO_URL}/api/v1/version"


@BOTH
def test_an_astronomer_token_callable_is_asked_before_every_request(
    mode: str, astro_server: FakeAirflow
) -> None:
    tokens = iter(["astro-rotating-1-s3cr3t", "astro-rotating-2-s3cr3t"])
    astro_server.bearer_tokens.update(["astro-rotating-1-s3cr3t", "astro-rotating-2-s3cr3t"])

    async def body() -> None:
        async with opened(astronomer_client(mode, token=lambda: next(tokens))) as client:
            await call(client.monitoring.get_version())
            await call(client.monitoring.get_version())

    run(body)
    assert [r.headers["authorization"] for r in astro_server.requests] == [
        "Bearer astro-rotating-1-s3cr3t",
        "Bearer astro-rotating-2-s3cr3t",
    ]


@BOTH
@pytest.mark.parametrize("explicit", [False, True])
def test_astro_api_token_is_read_from_the_environment_unless_a_token_is_given(
    mode: str, explicit: bool, astro_server: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASTRO_API_TOKEN", "astro-env-token-s3cr3t")
    astro_server.bearer_tokens.add("astro-env-token-s3cr3t")
    kwargs = {"token": ASTRO_TOKEN} if explicit else {}

    async def body() -> None:
        async with opened(astronomer_client(mode, **kwargs)) as client:
            await call(client.monitoring.get_version())

    run(body)
    (request,) = astro_server.requests
    expected = ASTRO_TOKEN if explicit else "astro-env-token-s3cr3t"
    assert request.headers["authorization"] == f"Bearer {expected}"


@BOTH
@pytest.mark.parametrize("env", [None, ""])
def test_without_any_astronomer_token_the_client_is_refused_before_any_request(
    mode: str, env: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is None:
        monkeypatch.delenv("ASTRO_API_TOKEN", raising=False)
    else:
        monkeypatch.setenv("ASTRO_API_TOKEN", env)
    with pytest.raises(ValueError, match="ASTRO_API_TOKEN"):
        run(lambda: call(astronomer_client(mode)))


def test_astronomer_refuses_an_auth_argument() -> None:
    with pytest.raises(TypeError, match="token="):
        astronomer.client(ASTRO_URL, token=ASTRO_TOKEN, auth=("u", "p"))


@BOTH
def test_a_refused_astronomer_token_raises_authentication_error_without_the_token(
    mode: str, astro_server: FakeAirflow, debug_logs: pytest.LogCaptureFixture
) -> None:
    astro_server.bearer_tokens.clear()

    async def body() -> None:
        async with opened(astronomer_client(mode, token=ASTRO_TOKEN)) as client:
            with pytest.raises(errors.AuthenticationError) as info:
                await call(client.monitoring.get_version())
            assert_no_secret([ASTRO_TOKEN], *exception_texts(info.value), client, auth_of(client))

    run(body)
    assert len(astro_server.requests) == 1
    assert_no_secret([ASTRO_TOKEN], *log_texts(debug_logs))
