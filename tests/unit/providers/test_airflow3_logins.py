"""Airflow 3 logins on the wire, through plain ``httpx.Client`` and ``httpx.AsyncClient``:
:class:`~airflow_rest.PasswordTokenAuth` (``POST /auth/token`` gives a JWT sent as bearer) and
:class:`~airflow_rest.providers.mwaa.MwaaLogin` on Airflow 3 (a web login token posted to
``/pluginsv2/aws_mwaa/login`` gives a ``_token`` JWT cookie sent as bearer; boto3 checked with
botocore's Stubber, or served on 127.0.0.1 where botocore's own HTTP layer and log must run).

The Airflow 3 API server is :class:`FakeAirflow3` behind pytest-httpx; every test body runs
against the sync and the async client.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from botocore.stub import Stubber

from airflow_rest import PasswordTokenAuth, errors
from airflow_rest._core import HTTPCORE_LOGGERS
from airflow_rest._token_auth import token_url_for
from airflow_rest.providers import mwaa
from airflow_rest.providers._shared.session import jwt_expiry

from .conftest import (
    AWS_SECRET,
    BOTH,
    MWAA_ENV,
    MWAA_HOSTNAME,
    MWAA_ROOT,
    TLS,
    FakeAirflow,
    FakeMwaaApi,
    assert_no_secret,
    boto_mwaa,
    boto_mwaa_at,
    call,
    count_entries,
    exception_texts,
    expect_web_token,
    log_texts,
    run,
    serve,
    session_of,
    snapshot,
    wait_until,
)

ROOT = "http://airflow.test/prefix"
API = f"{ROOT}/api/v2"
MWAA_API = f"{MWAA_ROOT}/api/v2"
USER = "admin"
PASSWORD = "pass+word/s3cr3t="  # characters a form or a URL would encode
NOW = 1_800_000_000.0
DAY = 86400.0
N = 8  # concurrent requests
SEVEN = {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}
REFUSALS = pytest.mark.parametrize("refusal", [401, 403], ids=["401-not-authenticated", "403-invalid-jwt"])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any], signature: str) -> str:
    header = b64url(json.dumps({"alg": "HS512", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


def detail(status: int, text: Any) -> httpx.Response:
    return httpx.Response(status, json={"detail": text})


class FakeAirflow3:
    """An Airflow 3 API server as one pytest-httpx callback.

    It answers ``POST {token_url}`` (default ``{root}/auth/token``; JSON or form ``username`` and
    ``password``: 201 with a new JWT, or 401 "Invalid credentials"; ``token_answer`` replaces the
    answer), the MWAA login ``POST {root}/pluginsv2/aws_mwaa/login`` (a web login token it handed
    out: 302 to ``{root}/`` setting the ``_token`` cookie to a new JWT; any other: 401), ``GET
    {root}/`` (the UI) and ``{root}/api/v2/``: ``version``, ``POST dags/{id}/dagRuns`` (echoed) and
    ``dags/secret_dag`` (403 "Forbidden" to any token). The API wants a bearer token it handed out
    and not expired by ``clock``: none is 401 "Not authenticated", any other ``refusal`` (403
    "Invalid JWT token", or 401). Tokens expire ``lifetime`` seconds after they are made (None:
    they carry no ``exp``; ``opaque``: they are no JWT). Every request is kept in ``requests``,
    every secret it makes in ``secrets``; any other request (``/auth/logout`` too) fails the test.
    """

    def __init__(self, root: str = ROOT, *, token_url: str | None = None) -> None:
        self.root = root
        self.api = f"{root}/api/v2/"
        self.token_url = token_url or f"{root}/auth/token"
        self.clock = [NOW]
        self.lifetime: float | None = DAY
        self.opaque = False
        self.check_exp = True
        self.tokens: dict[str, float | None] = {}  # token -> exp
        self.login_tokens: set[str] = set()
        self.accept_new_tokens = True
        self.refusal = 403
        self.token_answer: httpx.Response | None = None
        self.requests: list[httpx.Request] = []
        self.secrets: list[str] = []
        self._numbers = iter(range(1, 1_000_000))
        self._lock = threading.Lock()

    # -- what it hands out -------------------------------------------------------------------

    def mint(self, kind: str) -> str:
        with self._lock:
            value = f"{kind}-{next(self._numbers)}-s3cr3t"
        self.secrets.append(value)
        return value

    def login_token(self, kind: str = "mwaa-web-token") -> str:
        token = self.mint(kind)
        self.login_tokens.add(token)
        return token

    def new_token(self) -> str:
        signature = self.mint("signature")
        exp = None if self.lifetime is None else self.clock[0] + self.lifetime
        if self.opaque:
            token = signature
        else:
            claims: dict[str, Any] = {"sub": USER, "iat": int(self.clock[0]), "jti": signature}
            if exp is not None:
                claims["exp"] = int(exp)
            token = make_jwt(claims, signature)
            self.secrets.append(token)
        if self.accept_new_tokens:
            self.tokens[token] = exp
        return token

    def revoke(self) -> None:
        """Every token so far stops working."""
        self.tokens.clear()

    # -- what it answers ---------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(snapshot(request))
        url = str(request.url.copy_with(query=None))
        if request.method == "POST" and url == self.token_url:
            return self.token_endpoint(request)
        if request.method == "POST" and url == f"{self.root}/pluginsv2/aws_mwaa/login":
            token = parse_qs(request.content.decode()).get("token", [None])[0]
            if token not in self.login_tokens:
                return detail(401, "Invalid MWAA web login token")
            headers = {
                "Location": f"{self.root}/",
                "Set-Cookie": f"_token={self.new_token()}; Path=/; Secure",
            }
            return httpx.Response(302, headers=headers)
        if request.method == "GET" and url == f"{self.root}/":
            return httpx.Response(200, html="<html><body>Airflow</body></html>")
        if url.startswith(self.api):
            return self.route(request, url[len(self.api) :])
        raise AssertionError(f"unexpected request: {request.method} {request.url}")

    def token_endpoint(self, request: httpx.Request) -> httpx.Response:
        if self.token_answer is not None:
            return self.token_answer
        if request.headers.get("content-type") == "application/json":
            body = json.loads(request.content)
        else:
            body = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if body.get("username") != USER or body.get("password") != PASSWORD:
            return detail(401, "Invalid credentials")
        return httpx.Response(201, json={"access_token": self.new_token()})

    def valid(self, token: str) -> bool:
        if token not in self.tokens:
            return False
        exp = self.tokens[token]
        return not self.check_exp or exp is None or exp > self.clock[0]

    def route(self, request: httpx.Request, path: str) -> httpx.Response:
        authorization = request.headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            return detail(401, "Not authenticated")
        if not self.valid(authorization.removeprefix("Bearer ")):
            return (
                detail(401, "Not authenticated") if self.refusal == 401 else detail(403, "Invalid JWT token")
            )
        parts = path.split("/")
        if request.method == "GET" and path == "version":
            return httpx.Response(200, json={"version": "3.0.6", "git_version": None})
        if path == "dags/secret_dag":
            return detail(403, "Forbidden")
        if request.method == "POST" and len(parts) == 3 and parts[0] == "dags" and parts[2] == "dagRuns":
            return httpx.Response(200, json={"dag_id": parts[1], **json.loads(request.content)})
        return detail(404, "Not Found")

    # -- what it was asked -------------------------------------------------------------------

    def logins(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == self.token_url or "/aws_mwaa/login" in str(r.url)]

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url).startswith(self.api)]

    def kinds(self) -> list[str]:
        """Each request in order as ``login``, ``ui`` or the API path it asked for."""
        out = []
        for r in self.requests:
            url = str(r.url.copy_with(query=None))
            if r in self.logins():
                out.append("login")
            elif url == f"{self.root}/":
                out.append("ui")
            else:
                out.append(url[len(self.api) :])
        return out


def bearer_of(request: httpx.Request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


@pytest.fixture
def server(httpx_mock: Any) -> FakeAirflow3:
    fake = FakeAirflow3()
    serve(httpx_mock, fake)
    return fake


@pytest.fixture
def mwaa3(httpx_mock: Any) -> FakeAirflow3:
    fake = FakeAirflow3(MWAA_ROOT)
    serve(httpx_mock, fake)
    return fake


@contextlib.asynccontextmanager
async def http(mode: str, auth: httpx.Auth, **kwargs: Any) -> AsyncIterator[Any]:
    """A plain httpx client of ``mode`` with ``auth``."""
    kwargs.setdefault("verify", TLS)
    if mode == "sync":
        with httpx.Client(auth=auth, **kwargs) as client:
            yield client
    else:
        async with httpx.AsyncClient(auth=auth, **kwargs) as client:
            yield client


def freeze(auth: Any, server: FakeAirflow3) -> None:
    """Let ``auth`` tell the time by ``server.clock`` (both its wall clock and its monotonic one)."""
    auth._wall_clock = auth._monotonic = lambda: server.clock[0]


def password_auth(server: FakeAirflow3, password: str = PASSWORD, **kwargs: Any) -> PasswordTokenAuth:
    auth = PasswordTokenAuth(USER, password, **kwargs)
    freeze(auth, server)
    return auth


def mwaa_login(server: FakeAirflow3, boto: Any, **kwargs: Any) -> mwaa.MwaaLogin:
    auth = mwaa.MwaaLogin(MWAA_ENV, mwaa_client=boto, **kwargs)
    freeze(auth, server)
    return auth


def expect_environment(stub: Stubber, version: str) -> None:
    stub.add_response("get_environment", {"Environment": {"AirflowVersion": version}}, {"Name": MWAA_ENV})


# --- PasswordTokenAuth: logging in ----------------------------------------------------------------


@BOTH
def test_a_password_login_posts_to_auth_token_then_sends_the_jwt_as_bearer(
    mode: str, server: FakeAirflow3
) -> None:
    auth = password_auth(server)

    async def body() -> None:
        async with http(mode, auth) as client:
            first = await call(client.get(f"{API}/version"))
            second = await call(client.get(f"{API}/version"))
            assert first.json()["version"] == second.json()["version"] == "3.0.6"

    run(body)
    assert auth.logins == 1
    login, first, second = server.requests
    assert (login.method, str(login.url)) == ("POST", f"{ROOT}/auth/token")
    assert login.headers["content-type"] == "application/json"
    assert json.loads(login.content) == {"username": USER, "password": PASSWORD}
    assert "authorization" not in login.headers
    (token,) = server.tokens
    assert first.headers["authorization"] == second.headers["authorization"] == f"Bearer {token}"
    assert not any("logout" in str(r.url) for r in server.requests)


@pytest.mark.parametrize(
    ("url", "token_url"),
    [
        (f"{API}/dags?limit=2", f"{ROOT}/auth/token"),
        ("http://airflow.test/api/v2/version", "http://airflow.test/auth/token"),
        ("http://airflow.test/api/v2", "http://airflow.test/auth/token"),
        (
            "https://user:pw@airflow.test:8443/a/b%20c/api/v2/x#f",
            "https://airflow.test:8443/a/b%20c/auth/token",
        ),
    ],
    ids=["prefix-and-query", "no-prefix", "api-root", "port-userinfo-fragment"],
)
def test_the_token_url_is_the_part_of_the_request_url_before_api_v2(url: str, token_url: str) -> None:
    assert token_url_for(httpx.URL(url)) == token_url


@BOTH
def test_a_token_url_given_is_where_the_login_goes(mode: str, httpx_mock: Any) -> None:
    fake = FakeAirflow3(token_url="https://login.test/sso/auth/token")
    serve(httpx_mock, fake)
    auth = password_auth(fake, token_url="https://login.test/sso/auth/token")

    async def body() -> None:
        async with http(mode, auth) as client:
            assert (await call(client.get(f"{API}/version"))).status_code == 200

    run(body)
    assert [str(r.url) for r in fake.requests] == ["https://login.test/sso/auth/token", f"{API}/version"]


@BOTH
def test_a_request_outside_api_v2_without_a_token_url_is_a_login_error(
    mode: str, server: FakeAirflow3
) -> None:
    async def body() -> None:
        async with http(mode, password_auth(server)) as client:
            with pytest.raises(errors.LoginError) as info:
                await call(client.get(f"{ROOT}/api/v1/dags"))
        assert "/api/v2/" in str(info.value)
        assert "token_url=" in str(info.value)
        assert info.value.provider == "airflow"

    run(body)
    assert server.requests == []


@BOTH
def test_a_password_login_has_the_timeout_of_the_request_that_needed_it(
    mode: str, server: FakeAirflow3
) -> None:
    async def body() -> None:
        async with http(mode, password_auth(server), timeout=7.0) as client:
            await call(client.get(f"{API}/version"))

    run(body)
    login, api = server.requests
    assert api.extensions["timeout"] == login.extensions["timeout"] == SEVEN


@BOTH
def test_wrong_credentials_are_a_login_error_with_the_servers_detail(mode: str, server: FakeAirflow3) -> None:
    wrong = "wrong-pass-s3cr3t"

    async def body() -> None:
        async with http(mode, password_auth(server, wrong)) as client:
            with pytest.raises(errors.LoginError) as info:
                await call(client.get(f"{API}/version"))
        assert str(info.value) == (
            f"Airflow user 'admin' login failed: POST {ROOT}/auth/token "
            "-> 401 Unauthorized: Invalid credentials"
        )
        assert (info.value.provider, info.value.status_code) == ("airflow", 401)
        assert_no_secret([wrong, PASSWORD], *exception_texts(info.value))

    run(body)
    assert server.kinds() == ["login"]  # no second try with the same password


@BOTH
@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (201, {"json": {"token_type": "bearer", "token": "other-token-s3cr3t"}}),
        (201, {"json": {"access_token": ""}}),
        (201, {"json": {"access_token": 42}}),
        (201, {"json": ["access_token", "listed-token-s3cr3t"]}),
        (200, {"text": "access_token=plain-token-s3cr3t"}),
    ],
    ids=["other-field", "empty", "not-a-string", "a-list", "not-json"],
)
def test_a_login_answer_without_an_access_token_is_a_login_error(
    mode: str, status: int, answer: dict[str, Any], server: FakeAirflow3
) -> None:
    server.token_answer = httpx.Response(status, **answer)

    async def body() -> None:
        async with http(mode, password_auth(server)) as client:
            with pytest.raises(errors.LoginError) as info:
                await call(client.get(f"{API}/version"))
        assert f"POST {ROOT}/auth/token -> {status} without an access_token" in str(info.value)
        secrets = ["other-token-s3cr3t", "listed-token-s3cr3t", "plain-token-s3cr3t", PASSWORD]
        assert_no_secret(secrets, *exception_texts(info.value))

    run(body)
    assert server.kinds() == ["login"]


@BOTH
@pytest.mark.parametrize(
    ("status", "answer", "shown"),
    [
        (
            422,
            {"json": {"detail": [{"type": "missing", "loc": ["body", "username"], "msg": "Field required"}]}},
            "422 Unprocessable Entity: body.username: Field required",
        ),
        (
            422,
            {"json": {"detail": [{"loc": ["body"], "msg": "Bad login", "input": {"password": PASSWORD}}]}},
            "422 Unprocessable Entity: body: Bad login",
        ),
        (422, {"json": {"detail": "Invalid request body"}}, "422 Unprocessable Entity: Invalid request body"),
        (503, {"text": "upstream down"}, "503 Service Unavailable"),
    ],
    ids=["validation", "validation-echoing-the-password", "string-detail", "no-json"],
)
def test_a_refused_login_shows_the_servers_detail_and_never_the_input(
    mode: str, status: int, answer: dict[str, Any], shown: str, server: FakeAirflow3
) -> None:
    server.token_answer = httpx.Response(status, **answer)

    async def body() -> None:
        async with http(mode, password_auth(server)) as client:
            with pytest.raises(errors.LoginError) as info:
                await call(client.get(f"{API}/version"))
        assert str(info.value).endswith(f"-> {shown}")
        assert_no_secret([PASSWORD], *exception_texts(info.value))

    run(body)


# --- PasswordTokenAuth: a new token before it expires ---------------------------------------------


@BOTH
@pytest.mark.parametrize(
    ("left", "renewed"), [(3600, False), (61, False), (60, True), (1, True), (-30, True)]
)
def test_a_new_token_is_fetched_when_a_minute_or_less_is_left(
    mode: str, left: float, renewed: bool, server: FakeAirflow3
) -> None:
    auth = password_auth(server)

    async def body() -> None:
        async with http(mode, auth) as client:
            await call(client.get(f"{API}/version"))
            server.clock[0] += DAY - left
            assert (await call(client.get(f"{API}/version"))).status_code == 200

    run(body)
    assert server.kinds() == ["login", "version", *(["login"] if renewed else []), "version"]
    first, second = (bearer_of(r) for r in server.api_requests())
    assert (first != second) is renewed
    assert auth.logins == (2 if renewed else 1)


@BOTH
def test_a_short_lived_token_is_renewed_half_way(mode: str, server: FakeAirflow3) -> None:
    server.lifetime = 30

    async def body() -> None:
        async with http(mode, password_auth(server)) as client:
            await call(client.get(f"{API}/version"))
            server.clock[0] += 14
            await call(client.get(f"{API}/version"))
            server.clock[0] += 1
            await call(client.get(f"{API}/version"))

    run(body)
    assert server.kinds() == ["login", "version", "version", "login", "version"]


@BOTH
@pytest.mark.parametrize("shape", ["jwt-without-exp", "opaque"])
def test_a_token_without_a_readable_exp_is_used_until_refused(
    mode: str, shape: str, server: FakeAirflow3
) -> None:
    server.lifetime = None
    server.opaque = shape == "opaque"

    async def body() -> None:
        async with http(mode, password_auth(server)) as client:
            await call(client.get(f"{API}/version"))
            server.clock[0] += 30 * DAY
            await call(client.get(f"{API}/version"))
            server.revoke()
            assert (await call(client.get(f"{API}/version"))).status_code == 200

    run(body)
    assert server.kinds() == ["login", "version", "version", "version", "login", "version"]


@BOTH
def test_a_token_expired_by_this_machines_clock_at_login_is_used_until_refused(
    mode: str, server: FakeAirflow3
) -> None:
    server.lifetime = -3600  # this clock is an hour ahead of the server's
    server.check_exp = False

    async def body() -> None:
        async with http(mode, password_auth(server)) as client:
            for _ in range(3):
                assert (await call(client.get(f"{API}/version"))).status_code == 200

    run(body)
    assert server.kinds() == ["login", "version", "version", "version"]


@pytest.mark.parametrize(
    ("token", "exp"),
    [
        (make_jwt({"exp": 1_800_000_000}, "sig"), 1_800_000_000.0),
        (make_jwt({"exp": 1.5e9}, "sig"), 1.5e9),
        (make_jwt({"sub": "admin"}, "sig"), None),
        (make_jwt({"exp": "tomorrow"}, "sig"), None),
        (make_jwt({"exp": True}, "sig"), None),
        ("header." + b64url(b'{"exp": 1e999}') + ".sig", None),
        ("header." + b64url(b"[1, 2]") + ".sig", None),
        ("header.%%%.sig", None),
        ("header." + b64url(b"\xff\xfe") + ".sig", None),
        ("opaque-token", None),
        ("a.b.c.d", None),
    ],
    ids=[
        "int",
        "float",
        "no-exp",
        "str",
        "bool",
        "infinite",
        "not-an-object",
        "bad-base64",
        "bad-utf8",
        "opaque",
        "four-parts",
    ],
)
def test_the_exp_of_a_jwt_is_read_without_checking_its_signature(token: str, exp: float | None) -> None:
    assert jwt_expiry(token) == exp


# --- PasswordTokenAuth: a refused token -----------------------------------------------------------


@BOTH
@REFUSALS
def test_a_token_that_worked_and_is_refused_logs_in_again_once_and_sends_the_request_again(
    mode: str, refusal: int, server: FakeAirflow3
) -> None:
    server.refusal = refusal
    auth = password_auth(server)

    async def body() -> None:
        async with http(mode, auth) as client:
            await call(client.get(f"{API}/version"))
            server.revoke()
            answer = await call(client.get(f"{API}/version"))
            assert answer.status_code == 200

    run(body)
    assert server.kinds() == ["login", "version", "version", "login", "version"]
    old, refused, new = (bearer_of(r) for r in server.api_requests())
    assert old == refused != new
    assert new in server.tokens
    assert auth.logins == 2


@BOTH
@REFUSALS
def test_a_new_token_refused_as_well_is_handed_back_with_the_servers_answer(
    mode: str, refusal: int, server: FakeAirflow3
) -> None:
    server.refusal = refusal
    auth = password_auth(server)
    expected = "Not authenticated" if refusal == 401 else "Invalid JWT token"

    async def body() -> None:
        async with http(mode, auth) as client:
            await call(client.get(f"{API}/version"))
            server.revoke()
            server.accept_new_tokens = False
            answer = await call(client.get(f"{API}/version"))
            assert (answer.status_code, answer.json()) == (refusal, {"detail": expected})
            assert auth.logins == 2
            # the new token has been used now: the next call logs in once more, never in a loop
            answer = await call(client.get(f"{API}/version"))
            assert answer.status_code == refusal
            assert auth.logins == 3

    run(body)
    assert server.kinds() == [
        *["login", "version"],
        *["version", "login", "version"],
        *["version", "login", "version"],
    ]


@BOTH
def test_a_new_token_refused_at_once_is_not_logged_in_again(mode: str, server: FakeAirflow3) -> None:
    server.accept_new_tokens = False
    auth = password_auth(server)

    async def body() -> None:
        async with http(mode, auth) as client:
            answer = await call(client.get(f"{API}/version"))
            assert (answer.status_code, answer.json()) == (403, {"detail": "Invalid JWT token"})

    run(body)
    assert server.kinds() == ["login", "version"]
    assert auth.logins == 1


@BOTH
def test_a_403_that_refuses_the_request_not_the_token_costs_no_login(mode: str, server: FakeAirflow3) -> None:
    auth = password_auth(server)

    async def body() -> None:
        async with http(mode, auth) as client:
            await call(client.get(f"{API}/version"))
            answer = await call(client.get(f"{API}/dags/secret_dag"))
            assert (answer.status_code, answer.json()) == (403, {"detail": "Forbidden"})
            assert (await call(client.get(f"{API}/version"))).status_code == 200

    run(body)
    assert server.kinds() == ["login", "version", "dags/secret_dag", "version"]
    assert len({bearer_of(r) for r in server.api_requests()}) == 1
    assert auth.logins == 1


@BOTH
def test_a_post_refused_for_its_token_is_sent_again_with_the_same_body(
    mode: str, server: FakeAirflow3
) -> None:
    async def body() -> None:
        async with http(mode, password_auth(server)) as client:
            await call(client.get(f"{API}/version"))
            server.revoke()
            answer = await call(client.post(f"{API}/dags/dag_003/dagRuns", json={"logical_date": None}))
            assert answer.json() == {"dag_id": "dag_003", "logical_date": None}

    run(body)
    assert server.kinds() == ["login", "version", "dags/dag_003/dagRuns", "login", "dags/dag_003/dagRuns"]
    refused, sent = server.api_requests()[1:]
    assert refused.content == sent.content == b'{"logical_date":null}'
    assert bearer_of(refused) != bearer_of(sent)


# --- one login at a time --------------------------------------------------------------------------

WHY = pytest.mark.parametrize("why", ["first", "expiring", "revoked"])


def prepare(server: FakeAirflow3, why: str) -> None:
    """After one request: make the token need replacing for reason ``why``."""
    if why == "expiring":
        server.clock[0] += DAY - 30
    elif why == "revoked":
        server.revoke()


def assert_one_login_for_all(server: FakeAirflow3, why: str, logins: int) -> None:
    kinds = server.kinds()
    if why == "first":
        assert kinds == ["login"] + ["version"] * N
        assert logins == 1
        return
    assert kinds[:2] == ["login", "version"]
    refused = N if why == "revoked" else 0
    assert sorted(kinds[2:]) == ["login"] + ["version"] * (N + refused)
    assert logins == 2
    new = bearer_of(server.api_requests()[-1])
    assert Counter(bearer_of(r) for r in server.api_requests())[new] == N


@WHY
def test_threads_on_a_token_that_must_be_replaced_cause_one_login(why: str, httpx_mock: Any) -> None:
    fake = FakeAirflow3()
    auth = password_auth(fake)
    entered = [N]  # a login before the N requests waits for nothing
    all_sent = threading.Barrier(N, timeout=2)

    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url) == fake.token_url:
            wait_until(lambda: entered[0] >= N)  # every request is under way, waiting for this login
        elif why == "revoked" and not fake.valid(bearer_of(request)):
            all_sent.wait()  # answer no request of the old token before all of them were sent
        return fake(request)

    serve(httpx_mock, answer)
    with httpx.Client(auth=auth, verify=TLS) as client:
        if why != "first":
            client.get(f"{API}/version")
            prepare(fake, why)
        if why != "revoked":  # a new login after a refusal comes when all N were refused anyway
            entered[0] = 0
        count_entries(auth, entered)
        with ThreadPoolExecutor(N) as pool:
            statuses = list(pool.map(lambda _: client.get(f"{API}/version").status_code, range(N)))
    assert statuses == [200] * N
    assert_one_login_for_all(fake, why, auth.logins)


@WHY
def test_tasks_on_a_token_that_must_be_replaced_cause_one_login(why: str, httpx_mock: Any) -> None:
    fake = FakeAirflow3()
    auth = password_auth(fake)
    entered = [N]  # a login before the N requests waits for nothing
    stale = [0]
    all_sent: list[asyncio.Event] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url) == fake.token_url:
            for _ in range(2000):  # every request is under way, waiting for this login
                if entered[0] >= N:
                    break
                await asyncio.sleep(0.001)
            assert entered[0] >= N
        elif why == "revoked" and not fake.valid(bearer_of(request)):
            stale[0] += 1
            if stale[0] == N:
                all_sent[0].set()
            await asyncio.wait_for(all_sent[0].wait(), timeout=2)  # all old-token requests sent
        return fake(request)

    serve(httpx_mock, answer)

    async def body() -> list[int]:
        all_sent.append(asyncio.Event())
        async with httpx.AsyncClient(auth=auth, verify=TLS) as client:
            if why != "first":
                await client.get(f"{API}/version")
                prepare(fake, why)
            if why != "revoked":  # a new login after a refusal comes when all N were refused anyway
                entered[0] = 0
            count_entries(auth, entered)
            answers = await asyncio.gather(*(client.get(f"{API}/version") for _ in range(N)))
            return [a.status_code for a in answers]

    assert run(body) == [200] * N
    assert_one_login_for_all(fake, why, auth.logins)


# --- MWAA on Airflow 3 ----------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("version", [3, "3.0.6"])
@pytest.mark.parametrize("follow_redirects", [False, True], ids=["redirect-kept", "redirect-followed"])
def test_mwaa_on_airflow_3_posts_the_web_token_to_pluginsv2_and_sends_the_token_cookie_as_bearer(
    mode: str, version: int | str, follow_redirects: bool, mwaa3: FakeAirflow3
) -> None:
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        web_token = expect_web_token(stub, mwaa3)  # no get_environment: the version was given
        auth = mwaa_login(mwaa3, boto, airflow_version=version)

        async def body() -> None:
            async with http(mode, auth, follow_redirects=follow_redirects) as client:
                for _ in range(2):
                    answer = await call(client.get(f"{MWAA_API}/version"))
                    assert answer.json()["version"] == "3.0.6"

        run(body)
        stub.assert_no_pending_responses()
    login = mwaa3.requests[0]
    assert (login.method, str(login.url)) == ("POST", f"https://{MWAA_HOSTNAME}/pluginsv2/aws_mwaa/login")
    assert login.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(login.content.decode()) == {"token": [web_token]}
    assert mwaa3.kinds() == ["login", *(["ui"] if follow_redirects else []), "version", "version"]
    (token,) = mwaa3.tokens
    assert [r.headers["authorization"] for r in mwaa3.api_requests()] == [f"Bearer {token}"] * 2
    assert auth.logins == 1


@BOTH
@pytest.mark.parametrize("version", ["3.0.6", "2.10.3"])
def test_without_a_version_mwaa_asks_get_environment_once(mode: str, version: str, httpx_mock: Any) -> None:
    v3 = version.startswith("3")
    web: Any = FakeAirflow3(MWAA_ROOT) if v3 else FakeAirflow(MWAA_ROOT)
    serve(httpx_mock, web)
    api = f"{MWAA_ROOT}/api/v2" if v3 else f"{MWAA_ROOT}/api/v1"
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        expect_environment(stub, version)  # once, before the first web token
        first = expect_web_token(stub, web)
        second = expect_web_token(stub, web)
        auth = mwaa.MwaaLogin(MWAA_ENV, mwaa_client=boto)
        clock = [NOW]
        auth._wall_clock = auth._monotonic = lambda: clock[0]

        async def body() -> None:
            async with http(mode, auth) as client:
                assert (await call(client.get(f"{api}/version"))).status_code == 200
                if v3:
                    web.revoke()
                else:
                    web.expire()
                clock[0] += 50  # the first web token is too old to log in with again
                assert (await call(client.get(f"{api}/version"))).status_code == 200

        run(body)
        stub.assert_no_pending_responses()
    assert auth.airflow_major() == int(version[0])
    assert web.kinds() == ["login", "version", "version", "login", "version"]
    logins = web.logins()
    path = "/pluginsv2/aws_mwaa/login" if v3 else "/aws_mwaa/login"
    assert [r.url.path for r in logins] == [path, path]
    assert [parse_qs(r.content.decode())["token"][0] for r in logins] == [first, second]
    last = web.api_requests()[-1]
    if v3:
        assert bearer_of(last) in web.tokens
    else:
        assert session_of(last) in web.sessions
        assert "authorization" not in last.headers


@BOTH
@pytest.mark.parametrize(
    ("stubbed", "shown"),
    [
        ("denied", "MWAA get_environment for 'MyEnvironment' failed: AccessDeniedException: not allowed"),
        (
            "1.10.12",
            "MWAA get_environment for 'MyEnvironment' reports AirflowVersion '1.10.12'; the MWAA web",
        ),
        ("no-version", "MWAA get_environment for 'MyEnvironment' reports AirflowVersion None"),
    ],
)
def test_a_failed_get_environment_is_a_login_error(
    mode: str, stubbed: str, shown: str, mwaa3: FakeAirflow3
) -> None:
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        if stubbed == "denied":
            stub.add_client_error(
                "get_environment",
                service_error_code="AccessDeniedException",
                service_message="not allowed",
                http_status_code=403,
                expected_params={"Name": MWAA_ENV},
            )
        elif stubbed == "no-version":
            stub.add_response("get_environment", {"Environment": {"Name": MWAA_ENV}}, {"Name": MWAA_ENV})
        else:
            expect_environment(stub, stubbed)
        auth = mwaa_login(mwaa3, boto)

        async def body() -> None:
            async with http(mode, auth) as client:
                with pytest.raises(errors.LoginError) as info:
                    await call(client.get(f"{MWAA_API}/version"))
            assert shown in str(info.value)
            assert info.value.provider == "mwaa"
            assert info.value.status_code == (403 if stubbed == "denied" else None)

        run(body)
        stub.assert_no_pending_responses()  # and no web token was asked for
    assert mwaa3.requests == []


@pytest.mark.parametrize("version", [1, 4, "1.10.12", "three", "", "v3", True, 3.0])
def test_a_bad_airflow_version_is_refused_before_any_call(version: Any) -> None:
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        with pytest.raises(ValueError, match=r"airflow_version must be 2, 3 or a version such as '3\.0\.6'"):
            mwaa.MwaaLogin(MWAA_ENV, mwaa_client=boto, airflow_version=version)
        stub.assert_no_pending_responses()


@BOTH
@REFUSALS
@pytest.mark.parametrize(("age", "new_web_token"), [(10.0, False), (50.0, True)])
def test_mwaa_on_airflow_3_logs_in_again_once_when_its_token_is_refused(
    mode: str, refusal: int, age: float, new_web_token: bool, mwaa3: FakeAirflow3
) -> None:
    mwaa3.refusal = refusal
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        first = expect_web_token(stub, mwaa3)
        second = expect_web_token(stub, mwaa3) if new_web_token else first
        auth = mwaa_login(mwaa3, boto, airflow_version=3)

        async def body() -> None:
            async with http(mode, auth) as client:
                await call(client.get(f"{MWAA_API}/version"))
                answer = await call(client.get(f"{MWAA_API}/dags/secret_dag"))  # refuses the request only
                assert answer.status_code == 403
                mwaa3.revoke()
                mwaa3.clock[0] += age
                assert (await call(client.get(f"{MWAA_API}/version"))).status_code == 200

        run(body)
        stub.assert_no_pending_responses()
    assert mwaa3.kinds() == ["login", "version", "dags/secret_dag", "version", "login", "version"]
    assert [parse_qs(r.content.decode())["token"][0] for r in mwaa3.logins()] == [first, second]
    old, forbidden, refused, new = (bearer_of(r) for r in mwaa3.api_requests())
    assert old == forbidden == refused != new
    assert auth.logins == 2


@BOTH
def test_mwaa_on_airflow_3_replaces_its_token_before_it_expires(mode: str, mwaa3: FakeAirflow3) -> None:
    mwaa3.lifetime = 3600
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        expect_web_token(stub, mwaa3)
        expect_web_token(stub, mwaa3)
        auth = mwaa_login(mwaa3, boto, airflow_version="3.0.6")

        async def body() -> None:
            async with http(mode, auth) as client:
                await call(client.get(f"{MWAA_API}/version"))
                mwaa3.clock[0] += 3600 - 30
                await call(client.get(f"{MWAA_API}/version"))

        run(body)
        stub.assert_no_pending_responses()
    assert mwaa3.kinds() == ["login", "version", "login", "version"]
    first, second = (bearer_of(r) for r in mwaa3.api_requests())
    assert first != second


@BOTH
def test_a_mwaa_login_answered_without_a_token_cookie_is_a_login_error(
    mode: str, mwaa3: FakeAirflow3
) -> None:
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        refused = mwaa3.mint("mwaa-web-token")  # a web token the server does not take
        reply = {"WebToken": refused, "WebServerHostname": MWAA_HOSTNAME}
        stub.add_response("create_web_login_token", reply, {"Name": MWAA_ENV})
        auth = mwaa_login(mwaa3, boto, airflow_version=3)

        async def body() -> None:
            async with http(mode, auth) as client:
                with pytest.raises(errors.LoginError) as info:
                    await call(client.get(f"{MWAA_API}/version"))
            assert str(info.value) == (
                f"MWAA MyEnvironment login failed: POST https://{MWAA_HOSTNAME}/pluginsv2/aws_mwaa/login "
                "-> 401 Unauthorized: Invalid MWAA web login token"
            )
            assert_no_secret([refused], *exception_texts(info.value))

        run(body)
        stub.assert_no_pending_responses()


def test_threads_on_mwaa_airflow_3_cause_one_environment_call_one_token_and_one_login(
    httpx_mock: Any,
) -> None:
    fake = FakeAirflow3(MWAA_ROOT)
    entered = [0]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/aws_mwaa/login"):
            wait_until(lambda: entered[0] == N)
        return fake(request)

    serve(httpx_mock, answer)
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        expect_environment(stub, "3.0.6")
        expect_web_token(stub, fake)
        auth = mwaa_login(fake, boto)
        count_entries(auth, entered)
        with httpx.Client(auth=auth, verify=TLS) as client, ThreadPoolExecutor(N) as pool:
            statuses = list(pool.map(lambda _: client.get(f"{MWAA_API}/version").status_code, range(N)))
        stub.assert_no_pending_responses()
    assert statuses == [200] * N
    assert fake.kinds() == ["login"] + ["version"] * N


def test_tasks_on_mwaa_airflow_3_ask_boto3_once_in_a_worker_thread(httpx_mock: Any) -> None:
    fake = FakeAirflow3(MWAA_ROOT)
    entered = [0]

    async def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/aws_mwaa/login"):
            for _ in range(2000):
                if entered[0] == N:
                    break
                await asyncio.sleep(0.001)
            assert entered[0] == N
        return fake(request)

    serve(httpx_mock, answer)
    boto = boto_mwaa()
    threads: list[tuple[str, int]] = []
    for event in ("GetEnvironment", "CreateWebLoginToken"):
        boto.meta.events.register(
            f"provide-client-params.mwaa.{event}",
            lambda event=event, **_: threads.append((event, threading.get_ident())),
        )
    with Stubber(boto) as stub:
        expect_environment(stub, "3.0.6")
        expect_web_token(stub, fake)
        auth = mwaa_login(fake, boto)
        count_entries(auth, entered)

        async def body() -> list[int]:
            async with httpx.AsyncClient(auth=auth, verify=TLS) as client:
                answers = await asyncio.gather(*(client.get(f"{MWAA_API}/version") for _ in range(N)))
            assert all(ident != threading.get_ident() for _, ident in threads)
            return [a.status_code for a in answers]

        assert run(body) == [200] * N
        stub.assert_no_pending_responses()
    assert [event for event, _ in threads] == ["GetEnvironment", "CreateWebLoginToken"]
    assert fake.kinds() == ["login"] + ["version"] * N


# --- secrets --------------------------------------------------------------------------------------


@BOTH
def test_no_password_or_token_shows_in_logs_reprs_or_errors(
    mode: str, server: FakeAirflow3, debug_logs: pytest.LogCaptureFixture
) -> None:
    auth = password_auth(server)
    shown: list[object] = []

    async def body() -> None:
        async with http(mode, auth) as client:
            await call(client.get(f"{API}/version"))
            server.clock[0] += DAY - 30  # renewed before it expires
            await call(client.get(f"{API}/version"))
            server.revoke()  # refused, logged in again
            await call(client.get(f"{API}/version"))
            server.revoke()
            server.accept_new_tokens = False  # refused again: handed back
            refused = await call(client.get(f"{API}/version"))
            shown.extend([auth, auth._credential, refused.text, refused.request.url])
        async with http(mode, password_auth(server, "wrong-pass-s3cr3t")) as client:
            with pytest.raises(errors.LoginError) as failed:
                await call(client.get(f"{API}/version"))
            shown.extend(exception_texts(failed.value))

    run(body)
    assert auth.logins == 4
    assert_no_secret([PASSWORD, "wrong-pass-s3cr3t", *server.secrets], *shown, *log_texts(debug_logs))
    messages = [r.getMessage() for r in debug_logs.records]
    assert any(f'HTTP Request: POST {ROOT}/auth/token "HTTP/1.1 201 Created"' in m for m in messages)
    assert any("expires soon; logging in again" in m for m in messages)
    assert any("session rejected (HTTP 403); logging in again" in m for m in messages)


@BOTH
def test_no_mwaa_airflow_3_secret_shows_in_logs_reprs_or_errors(
    mode: str, mwaa3: FakeAirflow3, debug_logs: pytest.LogCaptureFixture
) -> None:
    boto = boto_mwaa(AWS_SECRET)
    shown: list[object] = []
    with Stubber(boto) as stub:
        expect_environment(stub, "3.0.6")
        expect_web_token(stub, mwaa3)
        expect_web_token(stub, mwaa3)
        auth = mwaa_login(mwaa3, boto)

        async def body() -> None:
            async with http(mode, auth) as client:
                await call(client.get(f"{MWAA_API}/version"))
                mwaa3.revoke()
                mwaa3.clock[0] += 50
                await call(client.get(f"{MWAA_API}/version"))
                mwaa3.revoke()
                mwaa3.accept_new_tokens = False
                refused = await call(client.get(f"{MWAA_API}/version"))
                assert refused.status_code == 403
                shown.extend([auth, auth._credential, refused.text])

        run(body)
        stub.assert_no_pending_responses()
    assert_no_secret([*mwaa3.secrets, AWS_SECRET], *shown, *log_texts(debug_logs))


@BOTH
def test_botocore_debug_logs_show_no_web_token_of_a_mwaa_airflow_3_login(
    mode: str, mwaa3: FakeAirflow3, debug_logs: pytest.LogCaptureFixture
) -> None:
    api = FakeMwaaApi(mwaa3, airflow_version="3.0.6")
    try:
        auth = mwaa_login(mwaa3, boto_mwaa_at(api.url, AWS_SECRET))  # botocore's HTTP layer runs

        async def body() -> None:
            async with http(mode, auth) as client:
                assert (await call(client.get(f"{MWAA_API}/version"))).status_code == 200

        run(body)
    finally:
        api.close()
    assert [path for path, _, _ in api.calls] == [f"/environments/{MWAA_ENV}", f"/webtoken/{MWAA_ENV}"]
    bodies = [
        r.getMessage() for r in debug_logs.records if r.name == "botocore.parsers" and "body" in str(r.msg)
    ]
    assert len(bodies) == 2
    assert any("3.0.6" in text for text in bodies)  # botocore logged the answers...
    assert any('"WebToken": "***"' in text for text in bodies)  # ...with the web token hidden
    assert len(mwaa3.secrets) >= 2  # the web token and the JWT
    assert_no_secret([*mwaa3.secrets, AWS_SECRET], *log_texts(debug_logs))


def wire(status: str, headers: list[str], body: bytes) -> bytes:
    head = "".join(f"{h}\r\n" for h in [*headers, f"Content-Length: {len(body)}"])
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode() + body


@BOTH
@pytest.mark.parametrize("login", ["password", "mwaa"])
def test_no_token_shows_in_the_debug_log_of_a_real_transport(
    mode: str, login: str, debug_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpcore

    for name in HTTPCORE_LOGGERS:  # the auth object itself hides headers in httpcore's log
        monkeypatch.setattr(logging.getLogger(name), "filters", [])
    token = make_jwt({"sub": USER, "exp": int(NOW + DAY)}, "wire-signature-s3cr3t")
    version = wire("200 OK", ["Content-Type: application/json"], b'{"version": "3.0.6", "git_version": null}')
    boto = boto_mwaa()
    stub = Stubber(boto)
    if login == "password":
        auth: Any = PasswordTokenAuth(USER, PASSWORD)
        body = json.dumps({"access_token": token}).encode()
        answers = [wire("201 Created", ["Content-Type: application/json"], body), version]
        url = f"{API}/version"
    else:
        stub.add_response(
            "create_web_login_token",
            {"WebToken": "wire-web-token-s3cr3t", "WebServerHostname": MWAA_HOSTNAME},
        )
        auth = mwaa.MwaaLogin(MWAA_ENV, mwaa_client=boto, airflow_version=3)
        cookie = f"Set-Cookie: _token={token}; Path=/; Secure"
        answers = [wire("302 Found", [f"Location: {MWAA_ROOT}/", cookie], b""), version]
        url = f"{MWAA_API}/version"
    auth._wall_clock = lambda: NOW

    async def body_() -> None:
        if mode == "sync":
            transport: Any = httpx.HTTPTransport(verify=TLS)
            transport._pool = httpcore.ConnectionPool(
                ssl_context=TLS, network_backend=httpcore.MockBackend(answers)
            )
            with stub, httpx.Client(auth=auth, transport=transport) as client:
                assert client.get(url).json()["version"] == "3.0.6"
        else:
            transport = httpx.AsyncHTTPTransport(verify=TLS)
            transport._pool = httpcore.AsyncConnectionPool(
                ssl_context=TLS, network_backend=httpcore.AsyncMockBackend(answers)
            )
            with stub:
                async with httpx.AsyncClient(auth=auth, transport=transport) as client:
                    assert (await client.get(url)).json()["version"] == "3.0.6"

    run(body_)
    headers_logged = [
        r.getMessage() for r in debug_logs.records if "receive_response_headers.complete" in r.msg
    ]
    assert len(headers_logged) == 2
    assert_no_secret(
        [token, "wire-signature-s3cr3t", "wire-web-token-s3cr3t", PASSWORD], *log_texts(debug_logs)
    )
