"""The test oracle in a project that only installs the package: build the wheel, install it with
its ``testing`` extra into a new virtual environment, and run a small test suite there that uses
the ``airflow_fake`` fixture without any conftest or plugin flag."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def test_the_fixture_works_where_only_the_package_is_installed(tmp_path: Path) -> None:
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
        ],
        tmp_path,
        600,
    )
    assert installed.returncode == 0, installed.stderr
    project = tmp_path / "service"
    project.mkdir()
    (project / "test_service.py").write_text(textwrap.dedent(SUITE))
    result = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE"], project, 300)
    out = result.stdout + result.stderr
    # every test passes; the one that left a violation unexamined errors at teardown, naming it
    assert "5 passed, 1 error" in out, out
    assert "ERROR test_service.py::test_left_unexamined_fails - airflow_rest.testing._ora" in out, out
    assert "request GET /no/such/path: path: no path of the spec matches /no/such/path" in out, out
