"""Integration fixtures: the local Airflow 2 started by `make airflow-up`, reached through the
generated package, with every response checked for faithful parsing (tests/support/faithful.py)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import airflow_rest_v1
from airflow_rest_v1 import Client
from airflow_rest_v1.api.dag import get_dag, patch_dag
from airflow_rest_v1.api.dag_run import get_dag_run, post_dag_run
from airflow_rest_v1.api.monitoring import get_health
from airflow_rest_v1.models import DAG, DAGRun

from ..support.faithful import Exercised, make_call

PORT = os.environ.get("AIRFLOW_PORT", "28080")
ROOT_URL = f"http://127.0.0.1:{PORT}"
API_URL = f"{ROOT_URL}/api/v1"
USER = os.environ.get("AIRFLOW_USER", "admin")
PASSWORD = os.environ.get("AIRFLOW_PASSWORD", "admin")
SMOKE_DAG = "airflow_rest_smoke"
REPORT = Path(__file__).resolve().parents[2] / ".cache" / "integration-coverage.txt"

# operationId -> HTTP statuses seen with a checked body; filled by `call`, reported at the end.
EXERCISED: Exercised = {}


def make_client(*, auth: tuple[str, str] | None = (USER, PASSWORD), timeout: float = 60.0) -> Client:
    args: dict[str, Any] = {"auth": auth} if auth else {}
    return Client(
        base_url=API_URL,
        headers={"Accept": "application/json"},
        httpx_args=args,
        timeout=httpx.Timeout(timeout),
    )


@pytest.fixture(scope="session")
def client() -> Iterator[Client]:
    probe = make_client(auth=None, timeout=5.0)
    try:
        health = get_health.sync_detailed(client=probe)
    except httpx.HTTPError as exc:
        pytest.exit(
            f"no Airflow at {ROOT_URL} ({exc!r}); run `make airflow-up` or `make test-integration`", 2
        )
    assert health.status_code == 200
    with make_client() as c:
        yield c


@pytest.fixture(scope="session")
def call(client: Client) -> Callable[..., Any]:
    """Call an operation module's ``sync_detailed``; check status and faithful parsing (see
    tests/support/faithful.py); record it for the coverage report."""
    return make_call(client, EXERCISED, airflow_rest_v1)


# --- shared data ---------------------------------------------------------------------------------


def wait_for_run(client: Client, dag_id: str, run_id: str, *, timeout: float = 240.0) -> DAGRun:
    deadline = time.monotonic() + timeout
    while True:
        run = get_dag_run.sync(dag_id, run_id, client=client)
        assert isinstance(run, DAGRun), run
        if run.state in {"success", "failed"}:
            return run
        if time.monotonic() > deadline:
            pytest.fail(f"{dag_id}/{run_id} still {run.state} after {timeout:.0f} s")
        time.sleep(1.0)


@pytest.fixture(scope="session")
def smoke_run(client: Client) -> DAGRun:
    """A finished run of the smoke DAG: task instances, tries, mapped tasks, XCom and logs."""
    dag = patch_dag.sync(SMOKE_DAG, client=client, body=DAG(is_paused=False), update_mask=["is_paused"])
    assert isinstance(dag, DAG) and dag.is_paused is False
    run_id = f"it_{uuid.uuid4().hex[:8]}"
    created = post_dag_run.sync(
        SMOKE_DAG,
        client=client,
        body=DAGRun(dag_run_id=run_id, conf={"source": "tests"}),
    )
    assert isinstance(created, DAGRun), created
    run = wait_for_run(client, SMOKE_DAG, run_id)
    assert run.state == "success", f"smoke run ended {run.state}; see .airflow/logs"
    return run


@pytest.fixture(scope="session")
def smoke_dag(client: Client) -> DAG:
    dag = get_dag.sync(SMOKE_DAG, client=client)
    assert isinstance(dag, DAG), dag
    return dag
