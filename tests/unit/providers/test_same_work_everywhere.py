"""The same work, whichever way in: page through the DAGs, pause one, trigger a run, over DMS
(a token provider), the MWAA web login, MWAA InvokeRestApi, Composer and Astronomer, with the sync
and the async client; no secret shows in logs, reprs or errors on the way; and the providers
import without any of their SDKs.
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

from airflow_rest import errors, models
from airflow_rest.providers import mwaa

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
    FakeAirflow,
    TokenProvider,
    assert_no_secret,
    astronomer_client,
    boto_mwaa,
    call,
    composer_client,
    dms_client,
    exception_texts,
    expect_web_token,
    google_credentials,
    log_texts,
    mwaa_client,
    opened,
    run,
    serve,
    session_of,
)

PROVIDERS = ["dms", "mwaa-web-login", "mwaa-invoke-rest-api", "composer", "astronomer"]
DAG_IDS = [f"dag_00{i}" for i in range(1, 6)]


@dataclass
class Way:
    """One provider's way in, set up for a test."""

    name: str
    make: Callable[[str], Any]  # mode -> the client, or an awaitable of it
    server: FakeAirflow | None = None  # the web server, for the ways that reach it over HTTP
    stub: Stubber | None = None  # botocore's stub, for the ways through boto3
    secrets: list[str] = field(default_factory=list)
    boto: Any = None

    def all_secrets(self) -> list[str]:
        return [*self.secrets, *(self.server.secrets if self.server is not None else [])]

    def check_credentials(self, request: httpx.Request) -> None:
        """What the request carries to authenticate itself, for this way in."""
        assert self.server is not None
        if self.name in ("dms", "mwaa-web-login"):
            assert session_of(request) in self.server.sessions
            assert "authorization" not in request.headers
        else:
            assert request.headers["authorization"].startswith("Bearer ")
            assert "cookie" not in request.headers


@pytest.fixture(params=PROVIDERS)
def way(request: pytest.FixtureRequest, httpx_mock: Any) -> Iterator[Way]:
    name: str = request.param
    if name == "dms":
        server = FakeAirflow(DMS_HOST)
        provider = TokenProvider(server)
        yield Way(name, lambda mode: dms_client(mode, token_provider=provider), server)
    elif name == "mwaa-web-login":
        server = FakeAirflow(MWAA_ROOT)
        boto = boto_mwaa(AWS_SECRET)
        with Stubber(boto) as stub:
            expect_web_token(stub, server)
            yield Way(
                name, lambda mode: mwaa_client(mode, mwaa_client=boto), server, stub, [AWS_SECRET], boto
            )
        return
    elif name == "mwaa-invoke-rest-api":
        boto = boto_mwaa(AWS_SECRET)
        with Stubber(boto) as stub:

            def make(mode: str) -> Any:
                return (mwaa.invoke_client if mode == "sync" else mwaa.async_invoke_client)(
                    MWAA_ENV, mwaa_client=boto
                )

            yield Way(name, make, None, stub, [AWS_SECRET], boto)
        return
    elif name == "composer":
        server = FakeAirflow(COMPOSER_URL)
        server.rejection = 401
        yield Way(
            name,
            lambda mode: composer_client(mode, credentials=google_credentials()),
            server,
            secrets=[REFRESH_TOKEN, CLIENT_SECRET],
        )
    else:
        server = FakeAirflow(ASTRO_URL)
        server.bearer_tokens.add(ASTRO_TOKEN)
        yield Way(
            name, lambda mode: astronomer_client(mode, token=ASTRO_TOKEN), server, secrets=[ASTRO_TOKEN]
        )
    return


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


def expect_the_work(way: Way) -> None:
    """Queue InvokeRestApi's answers for :func:`work` (the web servers answer by themselves)."""
    if way.name != "mwaa-invoke-rest-api":
        return
    assert way.stub is not None
    server = FakeAirflow("https://unused.test")  # only for its DAGs
    for offset in (0, 2, 4):
        expect_invoke(
            way.stub,
            "/dags",
            QueryParameters={"limit": "2", "offset": str(offset), "only_active": "true"},
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
        Body={"dag_run_id": "r1"},
        response={"dag_id": "dag_003", "dag_run_id": "r1", "state": "queued", "conf": {}},
    )


async def work(client: Any) -> None:
    dags = await call(client.paginate(client.dag.get_dags, page_size=2))
    assert [d.dag_id for d in dags] == DAG_IDS  # all five, in order, none twice
    dag = await call(client.update("dag", "dag_003", is_paused=True))
    assert (dag.dag_id, dag.is_paused) == ("dag_003", True)
    run_ = await call(client.dag_run.post_dag_run("dag_003", body=models.DAGRun(dag_run_id="r1")))
    assert (run_.dag_id, run_.dag_run_id, str(run_.state)) == ("dag_003", "r1", "queued")


def check_the_work_on_the_wire(way: Way) -> None:
    if way.stub is not None:
        way.stub.assert_no_pending_responses()
    if way.server is None:
        return  # the Stubber checked every InvokeRestApi call's parameters
    api = way.server.api_requests()
    assert [(r.method, r.url.path.removeprefix(httpx.URL(way.server.api).path)) for r in api] == [
        ("GET", "dags"),
        ("GET", "dags"),
        ("GET", "dags"),
        ("PATCH", "dags/dag_003"),
        ("POST", "dags/dag_003/dagRuns"),
    ]
    assert [dict(r.url.params) for r in api[:3]] == [
        {"limit": "2", "offset": str(offset), "only_active": "true"} for offset in (0, 2, 4)
    ]
    patch, post = api[3:]
    assert dict(patch.url.params) == {"update_mask": "is_paused"}
    assert json.loads(patch.content) == {"is_paused": True}
    assert patch.headers["content-type"] == "application/json"
    assert dict(post.url.params) == {}
    assert json.loads(post.content) == {"dag_run_id": "r1"}
    for request in api:
        way.check_credentials(request)
    logins = len(way.server.requests) - len(api)
    assert logins == (0 if way.name == "astronomer" else 1)  # one login / token refresh, first


@BOTH
def test_the_same_work_goes_through_every_way_in(mode: str, served: Way) -> None:
    expect_the_work(served)

    async def body() -> None:
        async with opened(served.make(mode)) as client:
            await work(client)

    run(body)
    check_the_work_on_the_wire(served)


@BOTH
def test_no_secret_shows_in_logs_reprs_or_errors_whichever_way_in(
    mode: str, served: Way, debug_logs: pytest.LogCaptureFixture
) -> None:
    expect_the_work(served)
    if served.stub is not None and served.name == "mwaa-invoke-rest-api":
        served.stub.add_client_error(
            "invoke_rest_api",
            service_error_code="RestApiClientException",
            service_message="",
            http_status_code=400,
            expected_params={"Name": MWAA_ENV, "Path": "/dags/missing", "Method": "GET"},
            modeled_fields={
                "RestApiStatusCode": 404,
                "RestApiResponse": {"status": 404, "title": "Not Found", "detail": "no dags/missing"},
            },
        )
    shown: list[object] = []

    async def body() -> None:
        async with opened(served.make(mode)) as client:
            await work(client)
            with pytest.raises(errors.NotFoundError) as missing:
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
PROVIDER_MODULES = "dms, mwaa, composer, astronomer, cli, airflow1"


def python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_providers_import_and_make_clients_without_any_sdk_installed() -> None:
    out = python(
        f"""
        import sys

        class NoSdk:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {SDKS!r}:
                    raise ImportError(f"No module named {{name!r}}")
                return None

        sys.meta_path.insert(0, NoSdk())
        import airflow_rest
        from airflow_rest.providers import {PROVIDER_MODULES}

        dms.client(token_provider=lambda: ("{DMS_HOST}", "t"))
        astronomer.client("{ASTRO_URL}", token="t")
        composer.client("{COMPOSER_URL}")
        for make, args, extra in [
            (mwaa.client, ("{MWAA_ENV}",), "airflow-rest[mwaa]"),
            (dms.client, ("cn-hangzhou", "af-123"), "airflow-rest[dms]"),
        ]:
            try:
                make(*args, region_name="us-east-1") if make is mwaa.client else make(*args)
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
        from airflow_rest.providers import {PROVIDER_MODULES}

        heavy = {(*SDKS, "Tea", "darabonba")!r}
        print(sorted(n for n in sys.modules if n.split(".")[0] in heavy))
        """
    )
    assert out == "[]"
