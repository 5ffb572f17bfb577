"""The package as a user's project sees it: build the wheel, install it with its ``testing`` extra
(and mypy) into a new virtual environment, then

- run a small test suite there that uses the ``airflow_fake`` fixture without any conftest or
  plugin flag;
- type-check a user's service with ``mypy --strict``: client results, pager items and update
  results have the types ``typing.assert_type`` names, and a misspelt keyword is rejected.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "dev.lock"

SUITE = """
import asyncio

import httpx
import pytest

from airflow_rest import AirflowClient, AsyncAirflowClient, errors
from airflow_rest.models import DAGRun


def test_pause_a_dag(airflow_fake):
    airflow_fake.add_dag("nightly", tasks=["extract", "load"])
    with AirflowClient(airflow_fake.url) as client:
        client.update("dag", "nightly", is_paused=True)
        names = [dag.dag_id for dag in client.paginate(client.dag.get_dags, page_size=2)]
    assert airflow_fake.dags["nightly"].is_paused is True
    assert "nightly" in names


def test_trigger_and_finish_a_run_async(airflow_fake):
    async def main():
        async with AsyncAirflowClient(airflow_fake.url) as client:
            run = await client.dag_run.post_dag_run("tutorial", body=DAGRun(dag_run_id="r1"))
            airflow_fake.complete_run("tutorial", "r1")
            return run.state, (await client.dag_run.get_dag_run("tutorial", "r1")).state

    assert asyncio.run(main()) == ("queued", "success")


def test_a_request_airflow_refuses_is_answered_and_recorded(airflow_fake):
    response = httpx.get(airflow_fake.api_url + "/dags", params={"limit": "abc"})
    assert response.status_code == 400
    (violation,) = airflow_fake.take_violations()
    assert violation.location == "query.limit"


def test_left_unexamined_fails(airflow_fake):
    httpx.get(airflow_fake.api_url + "/no/such/path")


@pytest.mark.airflow_fake(base_url="https://airflow.internal/prefix")
def test_a_path_prefix(airflow_fake):
    with AirflowClient("https://airflow.internal/prefix") as client:
        with pytest.raises(errors.NotFoundError):
            client.dag.get_dag("missing")
"""


TYPED_SERVICE = """
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, assert_type

from airflow_rest import Airflow3Client, AirflowClient, AsyncAirflowClient, Unset, connect, errors
from airflow_rest.models import (
    DAG, Connection, DAGCollection, DAGRun, Pool, Role, TaskInstance, TaskInstanceCollection, TaskLog,
    UserCollectionItem, Variable, XCom,
)
from airflow_rest.models_v2 import (
    DAGResponse, DAGRunResponse, PoolResponse, TaskInstanceResponse, VariableResponse,
)


def nightly(client: AirflowClient) -> list[str]:
    assert_type(client.dag.get_dag("etl"), DAG)
    assert_type(client.task_instance.get_task_instances("etl", "~"), TaskInstanceCollection)
    assert_type(client.task_instance.get_log("etl", "r1", "load", 1), TaskLog)
    failed = client.paginate(
        client.task_instance.get_task_instances, dag_id="etl", dag_run_id="~", state=["failed"], page_size=50
    )
    assert_type(failed, Iterator[TaskInstance])
    assert_type(client.paginate(client.dag.get_dags, concurrency=4, max_items=10), Iterator[DAG])
    assert_type(client.pages(client.dag.get_dags, page_size=10), Iterator[DAGCollection])
    assert_type(client.update("pool", "etl", slots=8), Pool)
    assert_type(client.update("dag", "etl", is_paused=True), DAG)
    assert_type(client.update("dag_run", ("etl", "r1"), note="ok"), DAGRun)
    assert_type(client.update("task_instance", ("etl", "r1", "load"), note="ok"), TaskInstance)
    assert_type(client.update("variable", "day", value="1"), Variable)
    assert_type(client.update("connection", "db", host="h"), Connection)
    assert_type(client.update("user", "bob", last_name="B"), UserCollectionItem)
    assert_type(client.update("role", "ops", actions=[]), Role)
    assert_type(client.edit("pool", "etl", lambda pool: None), Pool)
    assert_type(client.wait_for_dag_run("etl", "r1"), DAGRun)
    run = client.dag_run.post_dag_run("etl", body=DAGRun(dag_run_id="r2", conf={"day": 1}))
    assert_type(run.conf, dict[str, Any] | Unset)
    xcom = client.x_com.get_xcom_entry("etl", "r1", "load", "return_value", deserialize=True)
    assert_type(xcom, XCom)
    try:
        client.variable.get_variable("missing")
    except errors.NotFoundError as exc:
        assert_type(exc.status_code, int)
    return [ti.task_id for ti in failed if isinstance(ti.task_id, str)]


def nightly3(client: Airflow3Client) -> str:
    assert_type(client.dag.get_dag("etl"), DAGResponse)
    tis = client.paginate(client.task_instance.get_task_instances, dag_id="~", dag_run_id="~", concurrency=2)
    assert_type(tis, Iterator[TaskInstanceResponse])
    assert_type(client.update("pool", "etl", slots=2), PoolResponse)
    assert_type(client.create("variable", key="k", value="v"), VariableResponse)
    assert_type(client.trigger_dag_run("etl", conf={"a": 1}), DAGRunResponse)
    return client.task_log("etl", "r1", "load")


def either_major(base_url: str) -> str | None:
    with connect(base_url, auth=("admin", "admin")) as client:
        run = client.trigger_dag_run("etl", conf={"day": 1})
        assert_type(run, DAGRun | DAGRunResponse)
        done = client.wait_for_dag_run("etl", str(run.dag_run_id))
        assert_type(client.update("dag", "etl", is_paused=True), DAG | DAGResponse)
        if isinstance(client, Airflow3Client):  # a pager takes its own client's operations
            assert_type(list(client.paginate(client.dag.get_dags)), list[DAGResponse])
        return str(done.state) if done.state else None


async def nightly_async(client: AsyncAirflowClient) -> list[str]:
    assert_type(await client.dag.get_dag("etl"), DAG)
    runs = client.paginate(client.dag_run.get_dag_runs, dag_id="etl", concurrency=8)
    assert_type(runs, AsyncIterator[DAGRun])
    assert_type(await client.update("variable", "day", value="1"), Variable)
    return [run.dag_run_id async for run in runs if isinstance(run.dag_run_id, str)]
"""

# Each line must be refused by the checker (the line numbers are checked).
MISTAKES = """
from airflow_rest import AirflowClient, AsyncAirflowClient
from airflow_rest.models import DAG


def mistakes(client: AirflowClient, aclient: AsyncAirflowClient) -> None:
    client.paginate(client.dag_run.get_dag_runs, dag_idd="etl")  # misspelt keyword
    client.paginate(client.dag_run.get_dag_runs)  # dag_id missing
    client.paginate(client.dag.get_dags, on_total_change="ignore")  # not an option
    dag: DAG = next(client.paginate(client.dag_run.get_dag_runs, dag_id="etl"))  # a DAGRun
    aclient.paginate(aclient.dag.get_dags, tags=[1])  # tags are strings
    client.paginate(aclient.dag.get_dags)  # an async operation in the sync pager
    client.read("pool", "etl", slots=3)  # read takes no fields
"""


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with only the wheel (``testing`` extra) and mypy installed."""
    tmp_path = tmp_path_factory.mktemp("fresh")
    wheels = tmp_path / "wheels"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], tmp_path, 300
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("airflow_rest-*.whl")
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], tmp_path, 120)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "-c",
            str(LOCK),
            f"airflow-rest[testing] @ {wheel.as_uri()}",
            "mypy",
        ],
        tmp_path,
        600,
    )
    assert installed.returncode == 0, installed.stderr
    return python


def test_the_fixture_works_where_only_the_package_is_installed(python: Path, tmp_path: Path) -> None:
    project = tmp_path / "service"
    project.mkdir()
    (project / "test_service.py").write_text(textwrap.dedent(SUITE))
    result = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE"], project, 300)
    out = result.stdout + result.stderr
    # every test passes; the one that left a violation unexamined errors at teardown, naming it
    assert "5 passed, 1 error" in out, out
    assert "ERROR test_service.py::test_left_unexamined_fails - airflow_rest.testing._ora" in out, out
    assert "request GET /no/such/path: path: no path of the spec matches /no/such/path" in out, out


def _mypy(python: Path, project: Path, name: str, source: str) -> subprocess.CompletedProcess[str]:
    project.mkdir(exist_ok=True)
    (project / name).write_text(source.lstrip())
    return _run(
        [str(python), "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11", name],
        project,
        300,
    )


def test_a_service_sees_the_types_of_results_items_and_updates(python: Path, tmp_path: Path) -> None:
    assert list(python.parent.parent.glob("lib/python*/site-packages/airflow_rest/py.typed"))
    result = _mypy(python, tmp_path / "service", "service.py", TYPED_SERVICE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def test_a_misspelt_keyword_and_other_mistakes_are_rejected(python: Path, tmp_path: Path) -> None:
    result = _mypy(python, tmp_path / "service", "mistakes.py", MISTAKES)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    refused = {int(n) for n in re.findall(r"^mistakes\.py:(\d+): error:", out, re.MULTILINE)}
    lines = MISTAKES.lstrip().splitlines()
    starts = ("client.", "aclient.", "dag:")
    expected = {i for i, line in enumerate(lines, 1) if line.lstrip().startswith(starts)}
    assert len(expected) == 7
    assert refused == expected, out
