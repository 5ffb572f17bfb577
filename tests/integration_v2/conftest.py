"""Integration fixtures: the local Airflow 3 started by `make airflow3-up`, reached through the
generated package ``airflow_rest_v2`` (its ``Client`` takes the webserver root) with a token from
its ``create_token`` operation, and every response checked for faithful parsing
(tests/support/faithful.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

import airflow_rest_v2
from airflow_rest_v2 import Client, _meta
from airflow_rest_v2.api.dag import get_dag, patch_dag
from airflow_rest_v2.api.dag_run import get_dag_run, trigger_dag_run
from airflow_rest_v2.api.monitor import get_health
from airflow_rest_v2.api.simple_auth_manager_login import create_token
from airflow_rest_v2.api.version import get_version
from airflow_rest_v2.models import (
    DAGPatchBody,
    DAGResponse,
    DAGRunResponse,
    LoginBody,
    LoginResponse,
    TriggerDAGRunPostBody,
)

from ..support.faithful import Exercised, make_call, operation_id
from ..support.service import unique

PORT = os.environ.get("AIRFLOW3_PORT", "28180")
ROOT_URL = f"http://127.0.0.1:{PORT}"
USER = os.environ.get("AIRFLOW3_USER", "admin")
PASSWORD = os.environ.get("AIRFLOW3_PASSWORD", "admin")
SMOKE_DAG = "airflow_rest_smoke"
PINNED_VERSION = _meta.AIRFLOW_VERSION
REPORT = Path(__file__).resolve().parents[2] / ".cache" / "integration-coverage-v2.txt"

# operationId -> HTTP statuses seen with a checked body; filled by `call`, reported at the end.
EXERCISED: Exercised = {}


def make_client(token: str | None = None, *, timeout: float = 60.0) -> Client:
    """A client of the webserver root (v2's operation URLs start with /api/v2), bearer ``token``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(base_url=ROOT_URL, headers=headers, timeout=httpx.Timeout(timeout))


@pytest.fixture(scope="session")
def anonymous() -> Iterator[Client]:
    """No credentials: health, version and the token endpoint answer it."""
    with make_client(timeout=10.0) as c:
        try:
            health = get_health.sync_detailed(client=c)
        except httpx.HTTPError as exc:
            pytest.exit(
                f"no Airflow 3 at {ROOT_URL} ({exc!r}); run `make airflow3-up` or `make test-integration-v2`",
                2,
            )
        assert health.status_code == 200
        yield c


def login(client: Client) -> str:
    """A token from ``POST /auth/token`` (the generated create_token) for the admin user."""
    answer = create_token.sync_detailed(client=client, body=LoginBody(username=USER, password=PASSWORD))
    assert answer.status_code == 201 and isinstance(answer.parsed, LoginResponse), answer.content[:300]
    return answer.parsed.access_token


@pytest.fixture(scope="session")
def token(anonymous: Client) -> str:
    return login(anonymous)


@pytest.fixture(scope="session")
def client(token: str) -> Iterator[Client]:
    with make_client(token) as c:
        yield c


@pytest.fixture(scope="session")
def server_version(anonymous: Client) -> str:
    version = get_version.sync(client=anonymous)
    assert version is not None and not isinstance(version, Exception)
    return str(version.version)


@pytest.fixture(scope="session")
def served(anonymous: Client) -> frozenset[str]:
    """The operations this server serves: those of its own /openapi.json, and the simple auth
    manager's token endpoints (not part of it)."""
    answer = anonymous.get_httpx_client().get("/openapi.json")
    assert answer.status_code == 200, answer.text[:300]
    spec = answer.json()
    operations = {
        o["operationId"] for item in spec["paths"].values() for o in item.values() if "operationId" in o
    }
    return frozenset(operations | {"create_token", "create_token_cli"})


@pytest.fixture(scope="session")
def call(client: Client, served: frozenset[str], server_version: str) -> Callable[..., Any]:
    """Call an operation module's ``sync_detailed``; check status and faithful parsing (see
    tests/support/faithful.py); record it for the coverage report. On a release other than the
    pinned one, a test that needs an operation the server does not serve is skipped."""
    checked = make_call(client, EXERCISED, airflow_rest_v2)

    def call(module: ModuleType, *args: Any, **kwargs: Any) -> Any:
        op = operation_id(module)
        if op not in served and server_version != PINNED_VERSION:
            pytest.skip(f"Airflow {server_version} does not serve {op}")
        return checked(module, *args, **kwargs)

    return call


def pinned(server_version: str) -> bool:
    """Whether the server runs the release the spec is pinned to (else an older 3.x)."""
    return server_version == PINNED_VERSION


# --- shared data ---------------------------------------------------------------------------------


def wait_for_run(client: Client, dag_id: str, run_id: str, *, timeout: float = 240.0) -> DAGRunResponse:
    deadline = time.monotonic() + timeout
    while True:
        run = get_dag_run.sync(dag_id, run_id, client=client)
        assert isinstance(run, DAGRunResponse), run
        if run.state in {"success", "failed"}:
            return run
        if time.monotonic() > deadline:
            pytest.fail(f"{dag_id}/{run_id} still {run.state} after {timeout:.0f} s")
        time.sleep(1.0)


def trigger(client: Client, dag_id: str, run_id: str, **fields: Any) -> DAGRunResponse:
    """Start a run (``logical_date`` must be sent, null meaning now: spec/v2/facts.yaml trigger)."""
    body = TriggerDAGRunPostBody(logical_date=None, dag_run_id=run_id, **fields)
    run = trigger_dag_run.sync(dag_id, client=client, body=body)
    assert isinstance(run, DAGRunResponse), run
    return run


@pytest.fixture(scope="session")
def smoke_run(client: Client) -> DAGRunResponse:
    """A finished run of the smoke DAG: task instances, tries, mapped tasks, XCom and logs."""
    dag = patch_dag.sync(
        SMOKE_DAG, client=client, body=DAGPatchBody(is_paused=False), update_mask=["is_paused"]
    )
    assert isinstance(dag, DAGResponse) and dag.is_paused is False, dag
    run_id = unique("it")
    trigger(client, SMOKE_DAG, run_id, conf={"source": "tests"})
    run = wait_for_run(client, SMOKE_DAG, run_id)
    assert run.state == "success", f"smoke run ended {run.state}; see .airflow3/logs"
    return run


@pytest.fixture(scope="session")
def smoke_dag(client: Client) -> DAGResponse:
    dag = get_dag.sync(SMOKE_DAG, client=client)
    assert isinstance(dag, DAGResponse), dag
    return dag
