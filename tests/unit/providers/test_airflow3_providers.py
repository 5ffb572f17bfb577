"""The providers on Airflow 3, on the wire: which client each way in gives and how it finds out,
MWAA's web login at ``/pluginsv2/aws_mwaa/login``, InvokeRestApi with paths relative to ``/api/v2``
and Airflow 3's errors mapped back, Composer 3 and Astro Runtime 3 with their bearer token, the
major asked of the web server (and what happens when it cannot be told), the MWAA CLI unchanged,
and the factories typed by ``airflow_version``. The same work through every way in on both majors
is in test_same_work_everywhere.py; the login mechanics (JWT renewal, refusals, one login at a
time) in test_airflow3_logins.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from botocore.stub import Stubber

from airflow_rest import Airflow3Client, AirflowClient, AsyncAirflow3Client, AsyncAirflowClient, errors
from airflow_rest.providers import astronomer, composer, mwaa
from airflow_rest.providers.mwaa._invoke import invoke_parameters

from .conftest import (
    ASTRO_TOKEN,
    ASTRO_URL,
    BOTH,
    COMPOSER_URL,
    MWAA_ENV,
    MWAA_HOSTNAME,
    MWAA_ROOT,
    REFRESH_TOKEN,
    TLS,
    TOKEN_URI,
    FakeAirflow,
    assert_no_secret,
    astronomer_client,
    boto_mwaa,
    call,
    composer_client,
    exception_texts,
    expect_web_token,
    google_credentials,
    mwaa_client,
    opened,
    run,
    serve,
)

CLIENTS = {
    "sync": {2: AirflowClient, 3: Airflow3Client},
    "async": {2: AsyncAirflowClient, 3: AsyncAirflow3Client},
}
RUN_ID = "manual__2024-01-01T00:00:00+00:00"


def expect_environment(stub: Stubber, version: str) -> None:
    stub.add_response("get_environment", {"Environment": {"AirflowVersion": version}}, {"Name": MWAA_ENV})


def built(value: Any) -> Any:
    """What a factory gives, awaited when it is the async one's coroutine."""
    return run(lambda: call(value))


def bearer(request: httpx.Request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


@pytest.fixture
def airflow3(httpx_mock: Any) -> Callable[[str], FakeAirflow]:
    """An Airflow 3 web server at a root, answering."""

    def make(root: str) -> FakeAirflow:
        server = FakeAirflow(root, 3)
        serve(httpx_mock, server)
        return server

    return make


# --- MWAA web login -------------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("version", [3, "3.0.6"])
def test_mwaa_on_airflow_3_gives_an_airflow3_client_logged_in_at_pluginsv2(
    mode: str, version: Any, airflow3: Callable[[str], FakeAirflow]
) -> None:
    server = airflow3(MWAA_ROOT)
    boto = boto_mwaa()
    with Stubber(boto) as stub:  # no get_environment: the version is given
        web_token = expect_web_token(stub, server)

        async def body() -> None:
            async with opened(mwaa_client(mode, mwaa_client=boto, airflow_version=version)) as client:
                assert type(client) is CLIENTS[mode][3]
                assert client.base_url == f"{MWAA_ROOT}/api/v2/"
                assert (await call(client.version.get_version())).version == "3.0.6"

        run(body)
        stub.assert_no_pending_responses()
    login, api = server.requests
    assert (login.method, str(login.url)) == ("POST", f"{MWAA_ROOT}/pluginsv2/aws_mwaa/login")
    assert parse_qs(login.content.decode()) == {"token": [web_token]}
    assert str(api.url) == f"{MWAA_ROOT}/api/v2/version"
    assert bearer(api) in server.bearer_tokens  # the _token cookie of the login, as bearer
    assert "cookie" not in api.headers


@BOTH
@pytest.mark.parametrize("version", ["2.10.3", "3.0.6"])
def test_mwaa_asks_get_environment_once_then_gives_the_client_of_that_major(
    mode: str, version: str, httpx_mock: Any
) -> None:
    major = int(version[0])
    server = FakeAirflow(MWAA_ROOT, major)
    serve(httpx_mock, server)
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        expect_environment(stub, version)  # once: a second call would find no answer queued
        expect_web_token(stub, server)

        async def body() -> None:
            made = (mwaa.client if mode == "sync" else mwaa.async_client)(
                MWAA_ENV, mwaa_client=boto, verify=TLS
            )
            async with opened(made) as client:
                assert type(client) is CLIENTS[mode][major]
                assert client.airflow_major == major
                await call(client.dag.get_dags(limit=2))
                server.expire()  # logs in again (with the same web token, still fresh), no get_environment
                await call(client.dag.get_dags(limit=2))

        run(body)
        stub.assert_no_pending_responses()
    assert server.kinds() == ["login", "dags", "dags", "login", "dags"]


MWAA_FACTORIES = [mwaa.client, mwaa.async_client, mwaa.invoke_client, mwaa.async_invoke_client]


def named(factory: Any) -> str:
    return f"{factory.__module__.split('.')[2]}.{factory.__name__}"


@pytest.mark.parametrize("factory", MWAA_FACTORIES, ids=named)
def test_a_failed_get_environment_makes_no_client(factory: Any, httpx_mock: Any) -> None:
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        stub.add_client_error(
            "get_environment",
            service_error_code="AccessDeniedException",
            service_message="not allowed to GetEnvironment",
            http_status_code=403,
            expected_params={"Name": MWAA_ENV},
        )
        with pytest.raises(errors.LoginError) as info:
            built(factory(MWAA_ENV, mwaa_client=boto))
        stub.assert_no_pending_responses()  # and no token asked for
    assert str(info.value) == (
        "MWAA get_environment for 'MyEnvironment' failed: "
        "AccessDeniedException: not allowed to GetEnvironment"
    )
    assert (info.value.provider, info.value.status_code) == ("mwaa", 403)
    assert httpx_mock.get_requests() == []


FACTORIES = [
    *((factory, MWAA_ENV, {"mwaa_client": object()}) for factory in MWAA_FACTORIES),
    (composer.client, COMPOSER_URL, {}),
    (composer.async_client, COMPOSER_URL, {}),
    (astronomer.client, ASTRO_URL, {"token": ASTRO_TOKEN}),
    (astronomer.async_client, ASTRO_URL, {"token": ASTRO_TOKEN}),
]


@pytest.mark.parametrize(
    ("factory", "first", "kwargs"), FACTORIES, ids=[named(factory) for factory, _, _ in FACTORIES]
)
@pytest.mark.parametrize("version", [1, 4, "1.10.12", "three", "", True, 3.0])
def test_a_bad_airflow_version_is_refused_before_any_call(
    factory: Any, first: str, kwargs: dict[str, Any], version: Any, httpx_mock: Any
) -> None:
    with pytest.raises(ValueError, match=r"airflow_version must be 2, 3 or a version such as '3\.0\.6'"):
        built(factory(first, airflow_version=version, **kwargs))
    assert httpx_mock.get_requests() == []


# --- MWAA InvokeRestApi ---------------------------------------------------------------------------


def expect_invoke(stub: Stubber, path: str, method: str = "GET", response: Any = None, **params: Any) -> None:
    stub.add_response(
        "invoke_rest_api",
        {"RestApiStatusCode": 200, "RestApiResponse": response},
        {"Name": MWAA_ENV, "Path": path, "Method": method, **params},
    )


def expect_airflow_error(
    stub: Stubber, path: str, status: int, body: Any, method: str = "GET", **params: Any
) -> None:
    stub.add_client_error(
        "invoke_rest_api",
        service_error_code="RestApiClientException",
        service_message="",
        http_status_code=400,
        expected_params={"Name": MWAA_ENV, "Path": path, "Method": method, **params},
        modeled_fields={"RestApiStatusCode": status, "RestApiResponse": body},
    )


@BOTH
def test_invoke_rest_api_on_airflow_3_relays_paths_relative_to_api_v2(mode: str) -> None:
    server = FakeAirflow("https://unused.test", 3)  # only for its answers
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        expect_environment(stub, "3.0.6")
        expect_invoke(stub, "/version", response={"version": "3.0.6", "git_version": None})
        expect_invoke(
            stub,
            "/dags",
            response={"dags": server.dags[:2], "total_entries": 5},
            QueryParameters={"limit": "2", "offset": "0", "exclude_stale": "true", "tags": ["a", "b"]},
        )
        expect_invoke(
            stub,
            f"/dags/dag_001/dagRuns/{RUN_ID}",
            "PATCH",
            response=server.dag_run("dag_001", {"dag_run_id": RUN_ID, "note": "checked"}),
            Body={"note": "checked"},
            QueryParameters={"update_mask": "note"},
        )

        async def body() -> None:
            made = (mwaa.invoke_client if mode == "sync" else mwaa.async_invoke_client)(
                MWAA_ENV, mwaa_client=boto
            )
            async with opened(made) as client:
                assert type(client) is CLIENTS[mode][3]
                assert client.base_url == "https://myenvironment.invoke-rest-api.mwaa.invalid/api/v2/"
                assert (await call(client.version.get_version())).version == "3.0.6"
                page = await call(client.dag.get_dags(limit=2, tags=["a", "b"]))
                assert [d.dag_id for d in page.dags] == ["dag_001", "dag_002"]
                updated = await call(client.update("dag_run", ("dag_001", RUN_ID), note="checked"))
                assert updated.note == "checked"

        run(body)
        stub.assert_no_pending_responses()  # every relayed call had exactly these parameters


@BOTH
def test_invoke_rest_api_on_airflow_3_maps_airflow_3_errors_back(mode: str) -> None:
    boto = boto_mwaa()
    validation = [
        {
            "type": "less_than_equal",
            "loc": ["query", "limit"],
            "msg": "Input should be <= 100",
            "input": "1000",
        }
    ]
    conflict = {"reason": "Unique constraint violation", "statement": "INSERT ...", "message": "exists"}
    with Stubber(boto) as stub:
        expect_airflow_error(
            stub, "/dags/missing", 404, {"detail": "The DAG with dag_id: `missing` was not found"}
        )
        expect_airflow_error(
            stub,
            "/dags",
            422,
            {"detail": validation},
            QueryParameters={"limit": "1000", "offset": "0", "exclude_stale": "true"},
        )
        expect_airflow_error(
            stub,
            "/dags/etl/dagRuns",
            409,
            {"detail": conflict},
            "POST",
            Body={"logical_date": None, "dag_run_id": "r1"},
        )

        async def body() -> None:
            made = (mwaa.invoke_client if mode == "sync" else mwaa.async_invoke_client)(
                MWAA_ENV, mwaa_client=boto, airflow_version=3
            )
            async with opened(made) as client:
                with pytest.raises(errors.NotFoundError) as missing:
                    await call(client.dag.get_dag("missing"))
                assert missing.value.detail == "The DAG with dag_id: `missing` was not found"
                with pytest.raises(errors.UnprocessableEntityError) as invalid:
                    await call(client.dag.get_dags(limit=1000))
                assert [e["loc"] for e in invalid.value.errors] == [["query", "limit"]]
                with pytest.raises(errors.ConflictError) as exists:
                    await call(client.trigger_dag_run("etl", dag_run_id="r1"))
                assert exists.value.status_code == 409

        run(body)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://x.invalid/api/v2/dags", "/dags"),
        ("https://x.invalid/prefix/api/v2", "/"),
        (f"https://x.invalid/api/v2/dags/a%2Fb/dagRuns/{RUN_ID}", f"/dags/a%2Fb/dagRuns/{RUN_ID}"),
        ("https://x.invalid/api/v1/dags", "/dags"),
    ],
)
def test_the_relayed_path_is_what_follows_the_api_segment(url: str, path: str) -> None:
    assert invoke_parameters(MWAA_ENV, httpx.Request("GET", url))["Path"] == path


@pytest.mark.parametrize(
    "url", ["https://x.invalid/api/v3/dags", "https://x.invalid/api/v20/dags", "https://x.invalid/dags"]
)
def test_a_path_outside_both_apis_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"under /api/v1 or /api/v2"):
        invoke_parameters(MWAA_ENV, httpx.Request("GET", url))


# --- MWAA CLI -------------------------------------------------------------------------------------


@BOTH
def test_the_mwaa_cli_of_an_airflow_3_environment_is_the_same_endpoint(
    mode: str, airflow3: Callable[[str], FakeAirflow]
) -> None:
    server = airflow3(MWAA_ROOT)
    boto = boto_mwaa()
    with Stubber(boto) as stub:
        stub.add_response(
            "create_cli_token", {"CliToken": server.cli_token(), "WebServerHostname": MWAA_HOSTNAME}
        )

        async def body() -> str:
            if mode == "sync":
                with mwaa.cli(MWAA_ENV, mwaa_client=boto, verify=TLS) as runner:
                    return runner.run(["dags", "trigger", "etl"]).stdout
            async with mwaa.async_cli(MWAA_ENV, mwaa_client=boto, verify=TLS) as arunner:
                return (await arunner.run(["dags", "trigger", "etl"])).stdout

        assert run(body) == "ran: dags trigger etl\n"
        stub.assert_no_pending_responses()
    assert server.kinds() == ["cli"]


# --- Composer -------------------------------------------------------------------------------------


@BOTH
def test_composer_3_sends_the_google_token_as_bearer_to_api_v2(
    mode: str, airflow3: Callable[[str], FakeAirflow]
) -> None:
    server = airflow3(COMPOSER_URL)

    async def body() -> None:
        async with opened(
            composer_client(mode, credentials=google_credentials(), airflow_version=3)
        ) as client:
            assert type(client) is CLIENTS[mode][3]
            page = await call(client.dag.get_dags(limit=2))
            assert [d.dag_id for d in page.dags] == ["dag_001", "dag_002"]

    run(body)
    assert server.kinds() == ["token", "dags"]  # the version given: nothing asked
    (api,) = server.api_requests()
    assert str(api.url) == f"{COMPOSER_URL}/api/v2/dags?limit=2&offset=0&exclude_stale=true"
    assert bearer(api) in server.bearer_tokens


@BOTH
@pytest.mark.parametrize("major", [2, 3])
def test_composer_asks_the_web_server_with_the_token_then_reuses_it(
    mode: str, major: int, httpx_mock: Any
) -> None:
    server = FakeAirflow(COMPOSER_URL, major)
    server.rejection = 401
    serve(httpx_mock, server)

    async def body() -> None:
        made = await call(
            (composer.client if mode == "sync" else composer.async_client)(
                COMPOSER_URL, credentials=google_credentials(), verify=TLS
            )
        )
        asked = server.kinds()  # before the client sends anything
        async with opened(made) as client:
            assert type(client) is CLIENTS[mode][major]
            await call(client.dag.get_dags(limit=2))
        assert asked == server.kinds()[:-1]

    run(body)
    asked = ["version"] if major == 3 else ["api/v2/version", "version"]  # Airflow 2: 404, then /api/v1
    assert server.kinds() == ["token", *asked, "dags"]  # one refresh: the client uses the same token
    (token,) = server.bearer_tokens
    assert {bearer(r) for r in server.requests if r.url.path.startswith("/api/")} == {token}


@BOTH
def test_a_composer_front_end_refusing_the_question_is_its_error_with_a_hint(
    mode: str, httpx_mock: Any
) -> None:
    server = FakeAirflow(COMPOSER_URL, 3)
    server.rejection = 401
    server.accept_new_sessions = False  # the tokens Google hands out are not taken
    serve(httpx_mock, server)

    with pytest.raises(errors.AuthenticationError) as info:
        built(
            (composer.client if mode == "sync" else composer.async_client)(
                COMPOSER_URL, credentials=google_credentials(), verify=TLS
            )
        )
    assert info.value.status_code == 401
    assert info.value.url == f"{COMPOSER_URL}/api/v2/version"
    assert "Composer: pass airflow_version=2 or 3" in "".join(exception_texts(info.value))
    assert_no_secret([REFRESH_TOKEN, *server.secrets], *exception_texts(info.value))
    assert server.kinds() == ["token", "version"]


@BOTH
@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({}, re.escape("answers neither /api/v2/version (404) nor /api/v1/version (404)")),
        (
            {"/api/v2/version": {"version": "4.0.0", "git_version": None}},
            "runs Airflow 4; these clients speak Airflow 2 and 3",
        ),
    ],
    ids=["no-airflow", "airflow-4"],
)
def test_a_web_server_that_is_no_airflow_2_or_3_is_an_error(
    mode: str, answers: dict[str, Any], message: str, httpx_mock: Any
) -> None:
    google = FakeAirflow(COMPOSER_URL)

    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URI:
            return google(request)
        found = answers.get(request.url.path)
        return httpx.Response(200, json=found) if found else httpx.Response(404, html="Not Found")

    serve(httpx_mock, answer)
    with pytest.raises(errors.AirflowError, match=message):
        built(
            (composer.client if mode == "sync" else composer.async_client)(
                COMPOSER_URL, credentials=google_credentials(), verify=TLS
            )
        )


def test_a_composer_url_is_checked_before_any_token_is_asked_for(httpx_mock: Any) -> None:
    with pytest.raises(ValueError, match="webserver root"):
        composer.client(f"{COMPOSER_URL}/api/v2", credentials=google_credentials())
    assert httpx_mock.get_requests() == []


# --- Astronomer -----------------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize(
    ("url", "major"),
    [
        (f"{ASTRO_URL}/api/v2", 3),
        (f"{ASTRO_URL}/api/v2/", 3),
        (ASTRO_URL.removeprefix("https://") + "/api/v2", 3),
        (ASTRO_URL.removeprefix("https://") + "/api/v1", 2),
    ],
    ids=["api-v2", "api-v2-slash", "printed-without-scheme", "printed-v1"],
)
def test_astronomer_takes_the_api_url_the_astro_cli_prints_and_the_major_it_names(
    mode: str, url: str, major: int, httpx_mock: Any
) -> None:
    server = FakeAirflow(ASTRO_URL, major)
    server.bearer_tokens.add(ASTRO_TOKEN)
    serve(httpx_mock, server)

    async def body() -> None:
        made = (astronomer.client if mode == "sync" else astronomer.async_client)(
            url, token=ASTRO_TOKEN, verify=TLS
        )
        async with opened(made) as client:
            assert type(client) is CLIENTS[mode][major]
            assert client.base_url == f"{ASTRO_URL}/api/v{major - 1}/"
            await call(client.dag.get_dags(limit=2))

    run(body)
    assert server.kinds() == ["dags"]  # nothing asked: the URL said which
    assert server.requests[0].url.path == f"/d8fxz2a1/api/v{major - 1}/dags"


@BOTH
@pytest.mark.parametrize("major", [2, 3])
def test_astronomer_asks_a_deployment_url_which_major_with_the_token(
    mode: str, major: int, httpx_mock: Any
) -> None:
    server = FakeAirflow(ASTRO_URL, major)
    rotating = iter([f"astro-rotating-{i}-s3cr3t" for i in range(1, 5)])
    server.bearer_tokens.update(f"astro-rotating-{i}-s3cr3t" for i in range(1, 5))
    serve(httpx_mock, server)

    async def body() -> None:
        made = (astronomer.client if mode == "sync" else astronomer.async_client)(
            ASTRO_URL, token=lambda: next(rotating), verify=TLS
        )
        async with opened(made) as client:
            assert type(client) is CLIENTS[mode][major]
            await call(client.dag.get_dags(limit=2))

    run(body)
    asked = ["version"] if major == 3 else ["api/v2/version", "version"]
    assert server.kinds() == [*asked, "dags"]
    # the callable is asked once for the question, then before each request of the client
    first, second = "astro-rotating-1-s3cr3t", "astro-rotating-2-s3cr3t"
    assert [bearer(r) for r in server.requests] == [first] * len(asked) + [second]


@BOTH
def test_astronomer_on_airflow_3_given_sends_the_token_to_api_v2(
    mode: str, airflow3: Callable[[str], FakeAirflow]
) -> None:
    server = airflow3(ASTRO_URL)
    server.bearer_tokens.add(ASTRO_TOKEN)

    async def body() -> None:
        async with opened(astronomer_client(mode, token=ASTRO_TOKEN, airflow_version=3)) as client:
            assert (await call(client.version.get_version())).version == "3.0.6"

    run(body)
    (request,) = server.requests
    assert str(request.url) == f"{ASTRO_URL}/api/v2/version"
    assert request.headers["authorization"] == f"Bearer {ASTRO_TOKEN}"


@pytest.mark.parametrize(("url", "version"), [(f"{ASTRO_URL}/api/v1", 3), (f"{ASTRO_URL}/api/v2", "2.10.5")])
def test_an_airflow_version_against_the_url_is_refused_before_any_call(
    url: str, version: Any, httpx_mock: Any
) -> None:
    with pytest.raises(ValueError, match="the deployment URL ends in the API of Airflow"):
        astronomer.client(url, token=ASTRO_TOKEN, airflow_version=version)
    assert httpx_mock.get_requests() == []


# --- types ----------------------------------------------------------------------------------------

TYPED = """
from __future__ import annotations

from typing import assert_type

from airflow_rest import Airflow3Client, AirflowClient, AsyncAirflow3Client, AsyncAirflowClient
from airflow_rest.providers import CommandResult, astronomer, composer, dms, mwaa

Either = AirflowClient | Airflow3Client
AsyncEither = AsyncAirflowClient | AsyncAirflow3Client


async def providers() -> None:
    assert_type(mwaa.client("env", airflow_version=2), AirflowClient)
    assert_type(mwaa.client("env", airflow_version=3, region_name="eu-west-1"), Airflow3Client)
    assert_type(mwaa.client("env"), Either)
    assert_type(mwaa.client("env", airflow_version="3.0.6"), Either)
    assert_type(await mwaa.async_client("env", airflow_version=3), AsyncAirflow3Client)
    assert_type(mwaa.invoke_client("env", airflow_version=3), Airflow3Client)
    assert_type(await mwaa.async_invoke_client("env", airflow_version=2), AsyncAirflowClient)
    assert_type(await mwaa.async_invoke_client("env"), AsyncEither)
    assert_type(composer.client("https://c.test", airflow_version=3), Airflow3Client)
    assert_type(await composer.async_client("https://c.test"), AsyncEither)
    assert_type(astronomer.client("https://a.test", token="t", airflow_version=2), AirflowClient)
    assert_type(await astronomer.async_client("https://a.test", airflow_version=3), AsyncAirflow3Client)
    assert_type(dms.client(token_provider=lambda: ("h", "t")), AirflowClient)
    with mwaa.cli("env") as runner:
        assert_type(runner.run("version"), CommandResult)
    assert_type(dms.cli(dms.client(token_provider=lambda: ("h", "t"))).run("version"), CommandResult)
"""


def test_the_factories_are_typed_by_airflow_version(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    (tmp_path / "service.py").write_text(textwrap.dedent(TYPED).lstrip())
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".cache"), "service.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
