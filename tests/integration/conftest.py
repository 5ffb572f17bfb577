"""Integration fixtures: the local Airflow started by `make airflow-up`, reached through the
generated package, with every successful response checked for faithful parsing."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest

from airflow_rest_v1 import Client
from airflow_rest_v1.api.dag import get_dag, patch_dag
from airflow_rest_v1.api.dag_run import get_dag_run, post_dag_run
from airflow_rest_v1.api.monitoring import get_health
from airflow_rest_v1.models import DAG, DAGRun
from airflow_rest_v1.types import Response, Unset

PORT = os.environ.get("AIRFLOW_PORT", "28080")
ROOT_URL = f"http://127.0.0.1:{PORT}"
API_URL = f"{ROOT_URL}/api/v1"
USER = os.environ.get("AIRFLOW_USER", "admin")
PASSWORD = os.environ.get("AIRFLOW_PASSWORD", "admin")
SMOKE_DAG = "airflow_rest_smoke"
REPORT = Path(__file__).resolve().parents[2] / ".cache" / "integration-coverage.txt"

ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")

# operationId -> HTTP statuses seen with a checked body; filled by `call`, reported at the end.
EXERCISED: dict[str, set[int]] = {}


def operation_id(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1]


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


# --- faithfulness --------------------------------------------------------------------------------


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str) and ISO_DATETIME.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        # naive timestamps (FAB's user dates) are read as UTC: spec/corrections.yaml naive-user-dates
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def first_difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    """JSON pointer and values of the first place where ``ours`` differs from ``theirs``."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key in sorted(theirs.keys() | ours.keys()):
            if key not in ours:
                return f"{path}/{key}: sent by the server, missing after parsing"
            if key not in theirs:
                return f"{path}/{key}: not sent by the server, present after parsing ({ours[key]!r})"
            found = first_difference(ours[key], theirs[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(theirs, list) and isinstance(ours, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(theirs)} items sent, {len(ours)} after parsing"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = first_difference(a, b, f"{path}/{i}")
            if found:
                return found
        return None
    if ours == theirs and type(ours) is type(theirs):
        return None
    a, b = _instant(ours), _instant(theirs)
    if a is not None and b is not None and a == b:
        return None
    if (
        isinstance(ours, int | float)
        and isinstance(theirs, int | float)
        and not isinstance(ours, bool)
        and ours == theirs
    ):
        return None
    return f"{path or '/'}: server sent {theirs!r}, parsed back as {ours!r}"


def model_problems(value: Any, path: str = "") -> list[str]:
    """Fields stuck in additional_properties, naive datetimes and date-times left as strings."""
    problems: list[str] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            problems += model_problems(item, f"{path}/{i}")
        return problems
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            problems.append(f"{path}: naive datetime {value!r}")
        return problems
    if isinstance(value, str):
        if ISO_DATETIME.fullmatch(value):
            problems.append(f"{path}: date-time left as a string {value!r}")
        return problems
    if not attrs.has(type(value)):
        return problems  # JSON as it came: a free-form object (conf, extra, params) holds data, not fields
    declared = [field.name for field in attrs.fields(type(value)) if field.name != "additional_properties"]
    if not declared:
        return problems  # a map (ExtraLinks: link name -> URL): its keys are data, not fields
    extra = getattr(value, "additional_properties", {})
    if extra:
        problems.append(f"{path}: undeclared fields {sorted(extra)} on {type(value).__name__}")
    for name in declared:
        item = getattr(value, name)
        if not isinstance(item, Unset):
            problems += model_problems(item, f"{path}/{name}")
    return problems


def assert_faithful(parsed: Any, raw: Any) -> None:
    ours = [p.to_dict() for p in parsed] if isinstance(parsed, list) else parsed.to_dict()
    difference = first_difference(ours, raw)
    assert difference is None, f"{type(parsed).__name__}: {difference}"
    problems = model_problems(parsed)
    assert problems == [], f"{type(parsed).__name__}: " + "; ".join(problems[:10])


@pytest.fixture(scope="session")
def call(client: Client) -> Callable[..., Any]:
    """Call an operation module's ``sync_detailed``; check status and faithful parsing; record it."""

    def _call(module: ModuleType, *args: Any, expect: int | tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        statuses = (expect,) if isinstance(expect, int) else expect
        response: Response[Any] = module.sync_detailed(*args, client=kwargs.pop("client", client), **kwargs)
        body = response.content.decode("utf-8", "replace")
        assert response.status_code in statuses, (
            f"{operation_id(module)}: {response.status_code} {body[:400]}"
        )
        if response.content:
            assert_faithful(response.parsed, json.loads(response.content))
        EXERCISED.setdefault(operation_id(module), set()).add(response.status_code)
        return response.parsed

    return _call


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
