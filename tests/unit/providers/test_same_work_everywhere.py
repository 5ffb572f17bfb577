"""The same work, whichever way in, on Airflow 2 and 3: page through the DAGs, pause one, trigger a
run, over DMS (a token provider; Airflow 2 only), the MWAA web login, MWAA InvokeRestApi, Composer
and Astronomer, with the sync and the async client, each finding out by itself which Airflow it
faces; no secret shows in logs, reprs or errors on the way; and the providers import without any
of their SDKs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from botocore.stub import Stubber

from airflow_rest import Airflow3Client, AirflowClient, AsyncAirflow3Client, AsyncAirflowClient, errors
from airflow_rest.providers import astronomer, composer, dms, mwaa

from .conftest import (
    ASTRO_TOKEN,
    ASTRO_URL,
    AWS_SECRET,
    BOTH,
    CLIENT_SECRET,
    COMPOSER_URL,
    DMS_HOST,
    MWAA_ENV,
    MWAA_ROOT,
    REFRESH_TOKEN,
    TLS,
    FakeAirflow,
    TokenProvider,
    assert_no_secret,
    boto_mwaa,
    call,
    exception_texts,
    expect_web_token,
    google_credentials,
    log_texts,
    opened,
    run,
    serve,
    session_of,
)

WAYS = [
    ("dms", 2),
    *(
        (name, major)
        for name in ("mwaa-web-login", "mwaa-invoke-rest-api", "composer", "astronomer")
        for major in (2, 3)
    ),
]
DAG_IDS = [f"dag_00{i}" for i in range(1, 6)]
VERSIONS = {2: "2.10.3", 3: "3.0.6"}  # what get_environment reports
CLIENTS = {2: (AirflowClient, AsyncAirflowClient), 3: (Airflow3Client, AsyncAirflow3Client)}
ASKS_THE_SERVER = ("composer", "astronomer")  # which find the major by asking the web server


@dataclass
class Way:
    """One provider's way in to an Airflow of ``major``, set up for a test."""

    name: str
    major: int
    make: Callable[[str], Any]  # mode -> the client, or for "async" an awaitable of it
    server: FakeAirflow | None = None  # the web server, for the ways that reach it over HTTP
    stub: Stubber | None = None  # botocore's stub, for the ways through boto3
    secrets: list[str] = field(default_factory=list)

    def all_secrets(self) -> list[str]:
        return [*self.secrets, *(self.server.secrets if self.server is not None else [])]

    def check_credentials(self, request: httpx.Request) -> None:
        """What the request carries to authenticate itself, for this way in."""
        assert self.server is not None
        if self.name == "dms" or (self.name == "mwaa-web-login" and self.major == 2):
            assert session_of(request) in self.server.sessions
            assert "authorization" not in request.headers
        else:
            assert request.headers["authorization"].removeprefix("Bearer ") in self.server.bearer_tokens
            assert "cookie" not in request.headers


def made_by(
    sync: Callable[..., Any], asynchronous: Callable[..., Any], *args: Any, **kwargs: Any
) -> Callable[[str], Any]:
    """mode -> what the factory of that mode gives for ``args`` and ``kwargs``."""
    return lambda mode: (sync if mode == "sync" else asynchronous)(*args, verify=TLS, **kwargs)


@pytest.fixture(params=WAYS, ids=lambda way: f"{way[0]}-airflow{way[1]}")
def way(request: pytest.FixtureRequest, httpx_mock: Any) -> Iterator[Way]:
    name, major = request.param
    if name == "dms":
        server = FakeAirflow(DMS_HOST)
        make = made_by(dms.client, dms.async_client, token_provider=TokenProvider(server))
        yield Way(name, major, make, server)
    elif name.startswith("mwaa"):
        boto = boto_mwaa(AWS_SECRET)
        with Stubber(boto) as stub:
            stub.add_response(
                "get_environment", {"Environment": {"AirflowVersion": VERSIONS[major]}}, {"Name": MWAA_ENV}
            )
            if name == "mwaa-web-login":
                server = FakeAirflow(MWAA_ROOT, major)
                expect_web_token(stub, server)
                make = made_by(mwaa.client, mwaa.async_client, MWAA_ENV, mwaa_client=boto)
                yield Way(name, major, make, server, stub, [AWS_SECRET])
            else:
                make = made_by(mwaa.invoke_client, mwaa.async_invoke_client, MWAA_ENV, mwaa_client=boto)
                yield Way(name, major, make, None, stub, [AWS_SECRET])
    elif name == "composer":
        server = FakeAirflow(COMPOSER_URL, major)
        server.rejection = 401
        make = made_by(composer.client, composer.async_client, COMPOSER_URL, credentials=google_credentials())
        yield Way(name, major, make, server, secrets=[REFRESH_TOKEN, CLIENT_SECRET])
    else:
        server = FakeAirflow(ASTRO_URL, major)
        server.bearer_tokens.add(ASTRO_TOKEN)
        make = made_by(astronomer.client, astronomer.async_client, ASTRO_URL, token=ASTRO_TOKEN)
        yield Way(name, major, make, server, secrets=[ASTRO_TOKEN])


@pytest.fixture
def served(way: Way, httpx_mock: Any) -> Way:
    """``way`` with its web server answering (InvokeRestApi needs none: boto3 carries it)."""
    if way.server is not None:
        serve(httpx_mock, way.server)
    return way


def expect_invoke(stub: Stubber, path: str, method: str = "GET", *, status: int = 200, **fields: Any) -> None:
    params: dict[str, Any] = {"Name": MWAA_ENV, "Path": path, "Method": method}
    params.update({k: v for k, v in fields.items() if k in ("QueryParameters", "Body")})
    reply: dict[str, Any] = {"RestApiStatusCode": status}
    if "response" in fields:
        reply["RestApiResponse"] = fields["response"]
    stub.add_response("invoke_rest_api", reply, params)


def list_query(major: int, offset: int) -> dict[str, str]:
    """The query of a page of two DAGs: each major's client sends its default filter."""
    default = {"only_active": "true"} if major == 2 else {"exclude_stale": "true"}
    return {"limit": "2", "offset": str(offset), **default}


def trigger_body(major: int) -> dict[str, Any]:
    """What triggering run r1 sends: Airflow 3 wants ``logical_date``, null for "now"."""
    return {"dag_run_id": "r1"} if major == 2 else {"logical_date": None, "dag_run_id": "r1"}


def expect_the_work(way: Way) -> None:
    """Queue InvokeRestApi's answers for :func:`work` (the web servers answer by themselves)."""
    if way.name != "mwaa-invoke-rest-api":
        return
    assert way.stub is not None
    server = FakeAirflow("https://unused.test", way.major)  # only for its DAGs and runs
    for offset in (0, 2, 4):
        expect_invoke(
            way.stub,
            "/dags",
            QueryParameters=list_query(way.major, offset),
            response={"dags": server.dags[offset : offset + 2], "total_entries": 5},
        )
    expect_invoke(
        way.stub,
        "/dags/dag_003",
        "PATCH",
        QueryParameters={"update_mask": "is_paused"},
        Body={"is_paused": True},
        response={**server.dags[2], "is_paused": True},
    )
    expect_invoke(
        way.stub,
        "/dags/dag_003/dagRuns",
        "POST",
        Body=trigger_body(way.major),
        response=server.dag_run("dag_003", trigger_body(way.major)),
    )


async def work(client: Any) -> None:
    dags = await call(client.paginate(client.dag.get_dags, page_size=2))
    assert [d.dag_id for d in dags] == DAG_IDS  # all five, in order, none twice
    dag = await call(client.update("dag", "dag_003", is_paused=True))
    assert (dag.dag_id, dag.is_paused) == ("dag_003", True)
    run_ = await call(client.trigger_dag_run("dag_003", dag_run_id="r1"))
    assert (run_.dag_id, run_.dag_run_id, str(run_.state)) == ("dag_003", "r1", "queued")


def check_the_client(way: Way, mode: str, client: Any) -> None:
    assert type(client) is CLIENTS[way.major][mode == "async"]
    assert client.airflow_major == way.major


def check_the_work_on_the_wire(way: Way) -> None:
    if way.stub is not None:
        way.stub.assert_no_pending_responses()  # get_environment asked once, as were the relayed calls
    if way.server is None:
        return  # the Stubber checked every InvokeRestApi call's parameters
    kinds = way.server.kinds()
    probes = (
        {2: ["api/v2/version", "version"], 3: ["version"]}[way.major] if way.name in ASKS_THE_SERVER else []
    )
    logins = ["token"] if way.name == "composer" else [] if way.name == "astronomer" else ["login"]
    assert kinds == [*logins, *probes, "dags", "dags", "dags", "dags/dag_003", "dags/dag_003/dagRuns"]
    api = [r for r in way.server.api_requests() if not r.url.path.endswith("/version")]
    assert [dict(r.url.params) for r in api[:3]] == [list_query(way.major, offset) for offset in (0, 2, 4)]
    patch, post = api[3:]
    assert dict(patch.url.params) == {"update_mask": "is_paused"}
    assert json.loads(patch.content) == {"is_paused": True}
    assert patch.headers["content-type"] == "application/json"
    assert dict(post.url.params) == {}
    assert json.loads(post.content) == trigger_body(way.major)
    for request in way.server.requests:
        if str(request.url).startswith(f"{way.server.root}/api/"):  # the probes too
            way.check_credentials(request)


@BOTH
def test_the_same_work_goes_through_every_way_in(mode: str, served: Way) -> None:
    expect_the_work(served)

    async def body() -> None:
        async with opened(served.make(mode)) as client:
            check_the_client(served, mode, client)
            await work(client)

    run(body)
    check_the_work_on_the_wire(served)


@BOTH
def test_no_secret_shows_in_logs_reprs_or_errors_whichever_way_in(
    mode: str, served: Way, debug_logs: pytest.LogCaptureFixture
) -> None:
    expect_the_work(served)
    if served.stub is not None and served.name == "mwaa-invoke-rest-api":
        body = (
            {"status": 404, "title": "Not Found", "detail": "no dags/missing"}
            if served.major == 2
            else {"detail": "no dags/missing"}
        )
        served.stub.add_client_error(
            "invoke_rest_api",
            service_error_code="RestApiClientException",
            service_message="",
            http_status_code=400,
            expected_params={"Name": MWAA_ENV, "Path": "/dags/missing", "Method": "GET"},
            modeled_fields={"RestApiStatusCode": 404, "RestApiResponse": body},
        )
    shown: list[object] = []

    async def body() -> None:
        async with opened(served.make(mode)) as client:
            await work(client)
            with pytest.raises(errors.NotFoundError, match="no dags/missing") as missing:
                await call(client.dag.get_dag("missing"))
            http = client._http
            shown.extend([client, http.auth, http._transport, *exception_texts(missing.value)])

    run(body)
    if served.stub is not None:
        served.stub.assert_no_pending_responses()
    secrets = served.all_secrets()
    assert secrets
    assert_no_secret(secrets, *shown, *log_texts(debug_logs))


# --- no SDK needed to import ----------------------------------------------------------------------

SDKS = (
    "boto3",
    "botocore",
    "google",
    "alibabacloud_dms20250414",
    "alibabacloud_credentials",
    "alibabacloud_tea_openapi",
)
IMPORTS = "from airflow_rest.providers import dms, mwaa, composer, astronomer; import airflow_rest.airflow1"


def python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_providers_import_and_make_clients_without_any_sdk_installed() -> None:
    out = python(
        f"""
        import asyncio, sys

        class NoSdk:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {SDKS!r}:
                    raise ImportError(f"No module named {{name!r}}")
                return None

        sys.meta_path.insert(0, NoSdk())
        import airflow_rest
        {IMPORTS}

        dms.client(token_provider=lambda: ("{DMS_HOST}", "t"))
        astronomer.client("{ASTRO_URL}", token="t", airflow_version=2)
        astronomer.client("{ASTRO_URL}/api/v2", token="t")  # the URL names the major
        composer.client("{COMPOSER_URL}", airflow_version=3)  # google-auth is asked at the first request
        mwaa.invoke_client("{MWAA_ENV}", region_name="us-east-1", airflow_version=3)  # and boto3 there
        asyncio.run(mwaa.async_invoke_client("{MWAA_ENV}", region_name="us-east-1", airflow_version=2))
        for make, args, kwargs, extra in [
            (mwaa.client, ("{MWAA_ENV}",), {{"region_name": "us-east-1"}}, "airflow-rest[mwaa]"),
            (mwaa.invoke_client, ("{MWAA_ENV}",), {{"region_name": "us-east-1"}}, "airflow-rest[mwaa]"),
            (dms.client, ("cn-hangzhou", "af-123"), {{}}, "airflow-rest[dms]"),
            (composer.client, ("{COMPOSER_URL}",), {{}}, "airflow-rest[composer]"),  # a token to ask with
        ]:
            try:
                make(*args, **kwargs)
            except ImportError as exc:
                assert extra in str(exc), exc
            else:
                raise AssertionError("no ImportError")
        print(sorted(n for n in sys.modules if n.split(".")[0] in {SDKS!r}))
        """
    )
    assert out == "[]"


def test_importing_the_providers_imports_no_sdk() -> None:
    out = python(
        f"""
        import sys
        import airflow_rest
        {IMPORTS}

        heavy = {(*SDKS, "Tea", "darabonba")!r}
        print(sorted(n for n in sys.modules if n.split(".")[0] in heavy))
        """
    )
    assert out == "[]"
