"""Fakes for the provider login tests: an Airflow web server behind each managed service's login,
answering through pytest-httpx; helpers that run one test body against the sync and the async
client; a check that no secret shows anywhere.

A test body is an ``async def`` run with ``asyncio.run``; it calls the client through
:func:`call`, which awaits what the async client returns and takes what the sync client returns
as it is, so one body covers both clients.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import itertools
import json
import logging
import threading
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, quote_plus

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from airflow_rest import AirflowClient, AsyncAirflowClient
from airflow_rest._client import AsyncClient, SyncClient
from airflow_rest.providers import astronomer, composer, dms, mwaa

from ..facade.conftest import TLS, AsyncSleepRecorder, SleepRecorder, dag_json
from ..facade.v2_samples import sample

T = TypeVar("T")

BOTH = pytest.mark.parametrize("mode", ["sync", "async"])

DMS_HOST = "https://dms-airflow.test/airflow/t1/w1/af-123"
MWAA_ENV = "MyEnvironment"
MWAA_HOSTNAME = "0a1b2c3d-4e5f-6789.c7.us-east-1.airflow.amazonaws.com"
MWAA_ROOT = f"https://{MWAA_HOSTNAME}"
COMPOSER_URL = "https://abc123-dot-europe-west1.composer.googleusercontent.com"
TOKEN_URI = "https://oauth2.test/token"
ASTRO_URL = "https://myorg.astronomer.run/d8fxz2a1"
REFRESH_TOKEN = "1//refresh-token-s3cr3t"
CLIENT_SECRET = "client-secret-s3cr3t"
ASTRO_TOKEN = "astro-api-token-s3cr3t"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
COOKIE_ATTRIBUTES = "Secure; HttpOnly; Path=/; SameSite=None; Partitioned"
LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Sign In - Airflow</title></head>
<body><form method="post" action="/login/" name="login">
<input type="text" name="username"><input type="password" name="password">
<input type="submit" value="Sign In"></form></body></html>
"""
PROBLEM = {"content-type": "application/problem+json"}
MWAA_LOGINS = {2: "aws_mwaa/login", 3: "pluginsv2/aws_mwaa/login"}  # the MWAA web login, per major


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"detail": detail, "status": status, "title": title, "type": f"about:blank#{status}"}


class FakeAirflow:
    """An Airflow web server of ``major`` 2 or 3 behind a provider login, as one pytest-httpx callback.

    It answers the DMS login (``GET {root}/login?token=``), the MWAA web login (Airflow 2: ``POST
    {root}/aws_mwaa/login`` setting the ``session`` cookie; Airflow 3: ``POST
    {root}/pluginsv2/aws_mwaa/login`` setting the ``_token`` cookie, a bearer token), the MWAA CLI
    (``POST {root}/aws_mwaa/cli`` with a CLI token it handed out: ``ran: <command>``), Google's
    token endpoint (``POST TOKEN_URI``) and the REST API under ``{root}/api/v1/`` (Airflow 2) or
    ``{root}/api/v2/`` (Airflow 3): a page of five DAGs, PATCH of a DAG, POST of a DAG run, the
    version; the other major's API answers 404. Like the front ends of the managed services, it
    answers a request under ``{root}/api/`` only when it carries a session cookie or a bearer token
    it handed out. A request that carries neither gets ``rejection``: a 302 to the login page, the
    login page itself (Airflow 2), 401 or 403; one for a path in ``forbidden`` gets 403 whatever it
    carries. Errors are Problem JSON on Airflow 2, ``{"detail": ...}`` on Airflow 3. Every request
    is kept in ``requests``; every secret it hands out in ``secrets``. Any other request fails the
    test.
    """

    def __init__(self, root: str, major: int = 2) -> None:
        self.root = root.rstrip("/")
        self.major = major
        self.api = f"{self.root}/api/v{major - 1}/"
        self.dags = [dag_json(i) if major == 2 else dag_json_v2(i) for i in range(1, 6)]
        self.login_tokens: set[str] = set()  # login tokens that log in
        self.sessions: set[str] = set()  # session cookies the API accepts
        self.bearer_tokens: set[str] = set()  # bearer tokens the API accepts
        self.cli_tokens: set[str] = set()  # MWAA CLI tokens the CLI accepts
        self.rejection: str | int = "redirect"
        self.accept_new_sessions = True  # False: logins hand out cookies (tokens) the API refuses
        self.refresh_answer: tuple[int, dict[str, Any]] | None = None  # replaces the token answer
        self.rotate_to: str | None = None  # a session cookie the next API answer sets
        self.refusal_sets_cookie = False  # True: a refused login still sets a (useless) session cookie
        self.login_refusal = "redirect"  # a refused login: a "redirect" to, or the "html" of, the login page
        self.forbidden: set[str] = set()  # API paths (after /api/v1/) refused with 403 to any session
        self.requests: list[httpx.Request] = []
        self.secrets: list[str] = []
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    # -- what it hands out -------------------------------------------------------------------

    def mint(self, kind: str) -> str:
        """A new secret, unlike any other one."""
        with self._lock:
            value = f"{kind}-{next(self._numbers)}-s3cr3t"
        self.secrets.append(value)
        return value

    def login_token(self, kind: str = "dms-login-token") -> str:
        """A new login token the login endpoint accepts."""
        token = self.mint(kind)
        self.login_tokens.add(token)
        return token

    def cli_token(self) -> str:
        """A new MWAA CLI token the CLI accepts."""
        token = self.mint("mwaa-cli-token")
        self.cli_tokens.add(token)
        return token

    def expire(self) -> None:
        """Every session and access token so far stops working."""
        self.sessions.clear()
        self.bearer_tokens.clear()

    # -- what it answers ---------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(snapshot(request))
        url = str(request.url.copy_with(query=None))
        if request.method == "POST" and url == TOKEN_URI:
            return self.google_token(request)
        if request.method == "GET" and url == f"{self.root}/login":
            return self.login(request.url.params.get("token"))
        if request.method == "POST" and url == f"{self.root}/{MWAA_LOGINS[self.major]}":
            return self.login(parse_qs(request.content.decode()).get("token", [None])[0])
        if request.method == "POST" and url == f"{self.root}/aws_mwaa/cli":
            if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.cli_tokens:
                return httpx.Response(403, json={"error": "Forbidden"})
            output = base64.b64encode(b"ran: " + request.content + b"\n").decode()
            return httpx.Response(200, json={"stdout": output, "stderr": ""})
        if url.startswith(f"{self.root}/api/"):
            if not self.authorized(request):
                return self.reject(request)
            if not url.startswith(self.api):  # the other major's API
                return httpx.Response(404, html="<h1>Not Found</h1>")
            if url[len(self.api) :] in self.forbidden:
                return self.error(403, "Forbidden", "You do not have permission to perform this action")
            response = self.route(request, url[len(self.api) :])
            if self.rotate_to is not None:
                response.headers["Set-Cookie"] = f"session={self.rotate_to}; {COOKIE_ATTRIBUTES}"
                self.sessions.add(self.rotate_to)
                self.rotate_to = None
            return response
        raise AssertionError(f"unexpected request: {request.method} {request.url}")

    def login(self, token: str | None) -> httpx.Response:
        if token is None or token not in self.login_tokens:
            refused = {} if self.login_refusal == "html" else {"Location": f"{self.root}/login/"}
            if self.refusal_sets_cookie:  # as Flask does for the flash message of a failed login
                refused["Set-Cookie"] = f"session={self.mint('anonymous-session')}; {COOKIE_ATTRIBUTES}"
            if self.login_refusal == "html":
                return httpx.Response(200, headers=refused, html=LOGIN_PAGE)
            return httpx.Response(302, headers=refused)
        if self.major == 3:  # MWAA's Airflow 3 login: a JWT in the _token cookie, sent back as bearer
            value = self.mint("mwaa-jwt")
            if self.accept_new_sessions:
                self.bearer_tokens.add(value)
            headers = {"Location": f"{self.root}/", "Set-Cookie": f"_token={value}; Path=/; Secure"}
            return httpx.Response(302, headers=headers)
        value = self.mint("session-cookie")
        if self.accept_new_sessions:
            self.sessions.add(value)
        headers = {"Location": f"{self.root}/home", "Set-Cookie": f"session={value}; {COOKIE_ATTRIBUTES}"}
        return httpx.Response(302, headers=headers)

    def google_token(self, request: httpx.Request) -> httpx.Response:
        if self.refresh_answer is not None:
            status, body = self.refresh_answer
            return httpx.Response(status, json=body)
        token = self.mint("ya29.access-token")
        if self.accept_new_sessions:
            self.bearer_tokens.add(token)
        return httpx.Response(200, json={"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def authorized(self, request: httpx.Request) -> bool:
        authorization = request.headers.get("authorization", "")
        bearer = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
        return session_of(request) in self.sessions or bearer in self.bearer_tokens

    def reject(self, request: httpx.Request) -> httpx.Response:
        if self.rejection == "redirect":
            return httpx.Response(302, headers={"Location": f"{self.root}/login/?next={request.url}"})
        if self.rejection == "html":
            return httpx.Response(200, html=LOGIN_PAGE)
        if self.rejection == 401:
            return self.error(
                401, "Unauthorized", "Not logged in" if self.major == 2 else "Not authenticated"
            )
        if self.rejection == 403:
            detail = (
                "You do not have permission to perform this action"
                if self.major == 2
                else "Invalid JWT token"
            )
            return self.error(403, "Forbidden", detail)
        raise AssertionError(f"unknown rejection {self.rejection!r}")

    def dag_run(self, dag_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The answer to triggering a run of ``dag_id`` with ``body``: a queued run."""
        run = {"dag_id": dag_id, "state": "queued", "conf": {}, **body}
        return run if self.major == 2 else sample("DAGRunResponse", **run)

    def error(self, status: int, title: str, detail: str) -> httpx.Response:
        """An error answer as this major writes it."""
        if self.major == 3:
            return httpx.Response(status, json={"detail": detail})
        return httpx.Response(status, headers=PROBLEM, json=problem(status, title, detail))

    def route(self, request: httpx.Request, path: str) -> httpx.Response:
        parts = path.split("/")
        if request.method == "GET" and path == "dags":
            limit = int(request.url.params["limit"])
            offset = int(request.url.params.get("offset", "0"))
            page = self.dags[offset : offset + limit]
            return httpx.Response(200, json={"dags": page, "total_entries": len(self.dags)})
        if request.method == "PATCH" and len(parts) == 2 and parts[0] == "dags":
            dag = next((d for d in self.dags if d["dag_id"] == parts[1]), None)
            if dag is not None:
                dag.update(json.loads(request.content))
                return httpx.Response(200, json=dag)
        if request.method == "POST" and len(parts) == 3 and parts[0] == "dags" and parts[2] == "dagRuns":
            return httpx.Response(200, json=self.dag_run(parts[1], json.loads(request.content)))
        if request.method == "GET" and path == "version":
            version = "2.10.4" if self.major == 2 else "3.0.6"
            return httpx.Response(200, json={"version": version, "git_version": None})
        return self.error(404, "Not Found", f"no {path}")

    # -- what it was asked -------------------------------------------------------------------

    def logins(self) -> list[httpx.Request]:
        return [r for r in self.requests if is_login(r, self.root)]

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url).startswith(self.api)]

    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == TOKEN_URI]

    def kinds(self) -> list[str]:
        """Each request in order as ``login``, ``token``, ``cli``, the API path it asked for, or
        the path of a request for the other major's API (``api/v2/version``)."""
        out = []
        for r in self.requests:
            url = str(r.url.copy_with(query=None))
            if is_login(r, self.root):
                out.append("login")
            elif str(r.url) == TOKEN_URI:
                out.append("token")
            elif url == f"{self.root}/aws_mwaa/cli":
                out.append("cli")
            elif url.startswith(self.api):
                out.append(url[len(self.api) :])
            else:
                out.append(url[len(self.root) + 1 :])
        return out


def snapshot(request: httpx.Request) -> httpx.Request:
    """A copy of ``request`` as sent now (an auth flow sends the same object again, changed)."""
    return httpx.Request(
        request.method,
        request.url,
        headers=request.headers.copy(),
        content=request.read(),
        extensions=dict(request.extensions),
    )


def is_login(request: httpx.Request, root: str) -> bool:
    url = str(request.url.copy_with(query=None))
    return url in (f"{root}/login", *(f"{root}/{path}" for path in MWAA_LOGINS.values()))


def dag_json_v2(i: int) -> dict[str, Any]:
    """Airflow 3's answer for a DAG (every field its spec requires)."""
    return sample("DAGResponse", dag_id=f"dag_{i:03d}", is_paused=False, fileloc=f"/dags/dag_{i:03d}.py")


def session_of(request: httpx.Request) -> str | None:
    """The ``session`` cookie a request carries."""
    for part in request.headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "session":
            return value
    return None


def serve(httpx_mock: Any, server: Callable[[httpx.Request], Any]) -> None:
    """Let ``server`` answer every request (a test that sends none is fine too)."""
    httpx_mock.add_callback(server, is_reusable=True, is_optional=True)


@pytest.fixture
def dms_server(httpx_mock: Any) -> FakeAirflow:
    server = FakeAirflow(DMS_HOST)
    serve(httpx_mock, server)
    return server


@pytest.fixture
def mwaa_server(httpx_mock: Any) -> FakeAirflow:
    server = FakeAirflow(MWAA_ROOT)
    serve(httpx_mock, server)
    return server


def boto_mwaa(secret_key: str = "testing") -> Any:
    return boto3.client(
        "mwaa", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key=secret_key
    )


class FakeMwaaApi:
    """MWAA's own API (``get_environment``, ``create_web_login_token``, ``create_cli_token``,
    ``invoke_rest_api``) served on 127.0.0.1, for real boto3 clients given its ``url`` as
    ``endpoint_url``: botocore's HTTP layer runs (Stubber skips it). ``get_environment`` reports
    ``airflow_version`` and Airflow configuration options whose values are new secrets. Its tokens
    come from ``web``, whose login and CLI accept them; InvokeRestApi answers ``GET
    /variables/{key}`` with a new secret value and echoes the body of ``POST /variables``. Each call
    is kept in ``calls`` as (path, JSON body, Authorization header). It answers at most
    ``MAX_CALLS`` calls, waits ``TIMEOUT`` seconds at most for one, and stops with the test."""

    MAX_CALLS = 20
    TIMEOUT = 5.0

    def __init__(self, web: Any, airflow_version: str = "2.10.3") -> None:
        self.web = web
        self.airflow_version = airflow_version
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            timeout = api.TIMEOUT

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                status, answer = api.answer(self.path, body, self.headers.get("authorization", ""))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def answer(self, path: str, body: dict[str, Any], authorization: str) -> tuple[int, dict[str, Any]]:
        if len(self.calls) >= self.MAX_CALLS:
            return 429, {"message": "too many calls"}
        self.calls.append((path, body, authorization))
        if path == f"/environments/{MWAA_ENV}":
            options = {
                "core.fernet_key": self.web.mint("fernet-key"),
                "secrets.backend_kwargs": self.web.mint("backend-kwargs"),
            }
            environment = {
                "Name": MWAA_ENV,
                "AirflowVersion": self.airflow_version,
                "AirflowConfigurationOptions": options,
            }
            return 200, {"Environment": environment}
        if path == f"/webtoken/{MWAA_ENV}":
            token = self.web.login_token("mwaa-web-token")
            return 200, {"WebToken": token, "WebServerHostname": MWAA_HOSTNAME, "IamIdentity": "i"}
        if path == f"/clitoken/{MWAA_ENV}":
            return 200, {"CliToken": self.web.cli_token(), "WebServerHostname": MWAA_HOSTNAME}
        # a variable as this Airflow answers it (Airflow 3 says whether it is encrypted, creates with 201)
        airflow2 = self.airflow_version.startswith("2")
        more = {} if airflow2 else {"is_encrypted": True}
        if path == f"/restapi/{MWAA_ENV}" and body.get("Method") == "GET":
            key = str(body.get("Path", "")).removeprefix("/variables/")
            variable = {"key": key, "value": self.web.mint("variable-value"), "description": None, **more}
            return 200, {"RestApiStatusCode": 200, "RestApiResponse": variable}
        if path == f"/restapi/{MWAA_ENV}" and body.get("Path") == "/variables":
            variable = {"description": None, **body.get("Body", {}), **more}
            return 200, {"RestApiStatusCode": 200 if airflow2 else 201, "RestApiResponse": variable}
        return 404, {"message": f"no {path}"}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(self.TIMEOUT)


@pytest.fixture
def mwaa_api(mwaa_server: FakeAirflow) -> Iterator[FakeMwaaApi]:
    api = FakeMwaaApi(mwaa_server)
    try:
        yield api
    finally:
        api.close()


def boto_mwaa_at(url: str, secret_key: str = "testing") -> Any:
    """A real boto3 MWAA client calling ``url`` (without MWAA's ``env.`` host prefix): dummy
    credentials, no proxy, short timeouts, no retries."""
    config = Config(
        inject_host_prefix=False,
        proxies={},
        connect_timeout=2,
        read_timeout=FakeMwaaApi.TIMEOUT,
        retries={"total_max_attempts": 1},
    )
    return boto3.client(
        "mwaa",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key=secret_key,
        config=config,
    )


@pytest.fixture
def mwaa_boto() -> Any:
    return boto_mwaa()


@pytest.fixture
def mwaa_stub(mwaa_boto: Any) -> Iterator[Stubber]:
    with Stubber(mwaa_boto) as stub:
        yield stub


def expect_web_token(stub: Stubber, server: FakeAirflow) -> str:
    """Queue one ``create_web_login_token`` answer with a new token the server accepts. The token
    has characters a form must encode."""
    token = server.login_token("mwaa+web/token=")
    reply = {
        "WebToken": token,
        "WebServerHostname": MWAA_HOSTNAME,
        "IamIdentity": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
        "AirflowIdentity": "assumed-role/Admin/alice",
    }
    stub.add_response("create_web_login_token", reply, {"Name": MWAA_ENV})
    return token


class TokenProvider:
    """A DMS token provider: each call hands out a new login token."""

    def __init__(self, server: FakeAirflow, host: str = DMS_HOST, *, accepted: bool = True) -> None:
        self.server = server
        self.host = host
        self.accepted = accepted  # False: the tokens it hands out do not log in
        self.calls = 0
        self.tokens: list[str] = []

    def __call__(self) -> tuple[str, str]:
        self.calls += 1
        token = self.server.login_token() if self.accepted else self.server.mint("dms-login-token")
        self.tokens.append(token)
        return (self.host, token)


# -- clients --------------------------------------------------------------------------------
# Each gives the sync client, or for mode "async" an awaitable of the async one; all share one TLS
# context (building one per client costs about 0.1 s). Airflow 2 unless airflow_version= says other.


def dms_client(mode: str, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("verify", TLS)
    return (dms.client if mode == "sync" else dms.async_client)(*args, **kwargs)


def mwaa_client(mode: str, name: str = MWAA_ENV, **kwargs: Any) -> Any:
    kwargs.setdefault("verify", TLS)
    kwargs.setdefault("airflow_version", 2)
    return (mwaa.client if mode == "sync" else mwaa.async_client)(name, **kwargs)


def composer_client(mode: str, url: str = COMPOSER_URL, **kwargs: Any) -> Any:
    kwargs.setdefault("verify", TLS)
    kwargs.setdefault("airflow_version", 2)
    return (composer.client if mode == "sync" else composer.async_client)(url, **kwargs)


def astronomer_client(mode: str, url: str = ASTRO_URL, **kwargs: Any) -> Any:
    kwargs.setdefault("verify", TLS)
    kwargs.setdefault("airflow_version", 2)
    return (astronomer.client if mode == "sync" else astronomer.async_client)(url, **kwargs)


def google_credentials() -> Any:
    from google.oauth2.credentials import Credentials

    return Credentials(
        token=None,
        refresh_token=REFRESH_TOKEN,
        token_uri=TOKEN_URI,
        client_id="client-id.apps.test",
        client_secret=CLIENT_SECRET,
    )


# -- running one body against both clients ---------------------------------------------------


def run(body: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(body())


async def call(value: Any) -> Any:
    """What a client call gives: awaited (async client), an iterator listed, else as it is."""
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, AsyncIterator):
        return [item async for item in value]
    if isinstance(value, Iterator):
        return list(value)
    return value


@contextlib.asynccontextmanager
async def opened(made: Any) -> AsyncIterator[Any]:
    """The client ``made`` is (or resolves to), closed afterwards; its retries never really sleep."""
    client = await call(made)
    client._sleep = AsyncSleepRecorder() if isinstance(client, AsyncClient) else SleepRecorder()
    try:
        yield client
    finally:
        if isinstance(client, AsyncClient):
            await client.aclose()
        else:
            assert isinstance(client, SyncClient)
            client.close()


def frozen_clock(client: AirflowClient | AsyncAirflowClient) -> list[float]:
    """Freeze the login clock of ``client``'s auth at now; move it by changing ``clock[0]``."""
    clock = [time.monotonic()]
    client._http.auth._monotonic = lambda: clock[0]  # type: ignore[attr-defined]
    return clock


def count_entries(auth: Any, entered: list[int]) -> None:
    """Count in ``entered[0]`` the requests that have entered ``auth``'s flow (and so wait for its
    login)."""
    lock = threading.Lock()
    sync_flow, async_flow = auth.sync_auth_flow, auth.async_auth_flow

    def counted_sync(request: httpx.Request) -> Any:
        with lock:
            entered[0] += 1
        return sync_flow(request)

    def counted_async(request: httpx.Request) -> Any:
        entered[0] += 1
        return async_flow(request)

    auth.sync_auth_flow = counted_sync
    auth.async_auth_flow = counted_async


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.001)


# -- secrets ---------------------------------------------------------------------------------


def forms(secret: str) -> set[str]:
    """A secret as written, and as a URL or a form encodes it."""
    return {secret, quote(secret, safe=""), quote_plus(secret)}


def assert_no_secret(secrets: Iterable[str], *texts: object) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else repr(text)
        for secret in secrets:
            for form in forms(secret):
                assert form not in shown, f"secret {secret[:6]}... shown in {shown[:300]!r}"


def exception_texts(exc: BaseException) -> list[str]:
    """What a user sees of an exception: str, repr, and the traceback with its chained causes."""
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc))]


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [caplog.text, *(r.getMessage() for r in caplog.records)]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, captured."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "airflow_rest", "airflow_rest.providers", "botocore", "google"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog
