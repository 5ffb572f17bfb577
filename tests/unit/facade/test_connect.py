"""``connect`` finds the major and makes its client; the high-level helpers (trigger a run, read a
task log, create/read/update/delete a variable, pool or connection) are the same calls on both.

One service function runs unchanged against a mocked Airflow 2 and a mocked Airflow 3, sync and
async; the integration suites run it against the real servers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import (
    Airflow3Client,
    AirflowClient,
    AsyncAirflow3Client,
    AsyncAirflowClient,
    airflow_major,
    connect,
    connect_async,
    errors,
)

from .conftest import TLS
from .v2_samples import sample

ROOT = "https://airflow.test/prefix"
V1_LOG = "[('worker-1', '*** Found local files\\nhello from the task\\n')]"
V2_LOG = {
    "content": [
        {"event": "Found local files", "timestamp": "2026-01-01T00:00:00Z", "level": "info"},
        {"event": "hello from the task", "timestamp": "2026-01-01T00:00:01Z", "level": "info"},
    ],
    "continuation_token": None,
}


class FakeAirflow:
    """Enough of an Airflow of either major for the service below: version, trigger, run, log,
    variables; records what the client sent."""

    def __init__(self, major: int) -> None:
        self.major = major
        self.api = f"{ROOT}/api/v{major - 1}"
        self.variables: dict[str, dict[str, Any]] = {}
        self.sent: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/prefix")
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, path, body))
        if path == "/auth/token" and self.major == 3:
            return httpx.Response(201, json={"access_token": "jwt"})
        api = f"/api/v{self.major - 1}"
        if not path.startswith(api):
            return httpx.Response(404, json={"detail": "Not Found"})
        route, method = path.removeprefix(api), request.method
        if route == "/version":
            version = "2.11.2" if self.major == 2 else "3.3.2"
            return httpx.Response(200, json=sample("VersionInfo", version=version, git_version=None))
        if route == "/dags/etl/dagRuns" and method == "POST":
            return httpx.Response(200, json=self.run("queued"))
        if route == "/dags/etl/dagRuns/r1":
            return httpx.Response(200, json=self.run("success"))
        if route.startswith("/dags/etl/dagRuns/r1/taskInstances/load/logs/1"):
            return httpx.Response(200, json={"content": V1_LOG} if self.major == 2 else V2_LOG)
        if route == "/variables" and method == "POST":
            self.variables[body["key"]] = {"description": None, **body}
            return httpx.Response(200 if self.major == 2 else 201, json=self.variable(body["key"]))
        key = route.removeprefix("/variables/")
        if key in self.variables:
            if method == "PATCH":
                self.variables[key].update(body)
            if method == "DELETE":
                del self.variables[key]
                return httpx.Response(204)
            return httpx.Response(200, json=self.variable(key))
        if self.major == 2:
            return httpx.Response(404, json={"title": "Variable not found", "status": 404, "detail": None})
        return httpx.Response(404, json={"detail": f"The Variable with key: `{key}` was not found"})

    def run(self, state: str) -> dict[str, Any]:
        if self.major == 2:
            return {"dag_id": "etl", "dag_run_id": "r1", "state": state, "conf": {"day": 1}}
        return sample("DAGRunResponse", dag_id="etl", dag_run_id="r1", state=state, conf={"day": 1})

    def variable(self, key: str) -> dict[str, Any]:
        found = self.variables[key]
        if self.major == 2:
            return found
        return sample("VariableResponse", key=key, value=found["value"], description=found["description"])


def service(client: AirflowClient | Airflow3Client) -> tuple[str, str, str, str]:
    """What a service does, written once for either major."""
    run = client.trigger_dag_run("etl", dag_run_id="r1", conf={"day": 1})
    done = client.wait_for_dag_run("etl", str(run.dag_run_id), poll_interval=0.01)
    log = client.task_log("etl", "r1", "load", 1)
    client.create("variable", key="day", value="1")
    changed = client.update("variable", "day", value="2")
    client.delete("variable", "day")
    try:
        client.read("variable", "day")
        missing = "found"
    except errors.NotFoundError:
        missing = "gone"
    return str(done.state), log, str(changed.value), missing


async def async_service(client: AsyncAirflowClient | AsyncAirflow3Client) -> tuple[str, str, str, str]:
    run = await client.trigger_dag_run("etl", dag_run_id="r1", conf={"day": 1})
    done = await client.wait_for_dag_run("etl", str(run.dag_run_id), poll_interval=0.01)
    log = await client.task_log("etl", "r1", "load", 1)
    await client.create("variable", key="day", value="1")
    changed = await client.update("variable", "day", value="2")
    await client.delete("variable", "day")
    try:
        await client.read("variable", "day")
        missing = "found"
    except errors.NotFoundError:
        missing = "gone"
    return str(done.state), log, str(changed.value), missing


LOGS = {
    2: "*** Found local files\nhello from the task\n",
    3: (
        "2026-01-01T00:00:00+00:00 info Found local files\n"
        "2026-01-01T00:00:01+00:00 info hello from the task\n"
    ),
}


@pytest.mark.parametrize("major", [2, 3])
def test_one_service_runs_unchanged_on_both_majors(httpx_mock: HTTPXMock, major: int) -> None:
    server = FakeAirflow(major)
    httpx_mock.add_callback(server, is_reusable=True)
    with connect(ROOT, auth=("admin", "admin"), verify=TLS) as client:
        assert isinstance(client, AirflowClient if major == 2 else Airflow3Client)
        assert client.airflow_major == major
        assert service(client) == ("success", LOGS[major], "2", "gone")
    probes = [s for s in server.sent if s[1].endswith("/version")]
    assert probes[0][1] == "/api/v2/version"  # asked first, without credentials
    assert all("authorization" not in r.headers for r in httpx_mock.get_requests()[: len(probes)])
    trigger = next(
        body for method, path, body in server.sent if method == "POST" and path.endswith("dagRuns")
    )
    expected = {"dag_run_id": "r1", "conf": {"day": 1}}
    assert trigger == (expected if major == 2 else {**expected, "logical_date": None})


@pytest.mark.parametrize("major", [2, 3])
def test_one_service_runs_unchanged_on_both_majors_async(httpx_mock: HTTPXMock, major: int) -> None:
    httpx_mock.add_callback(FakeAirflow(major), is_reusable=True)

    async def main() -> tuple[str, str, str, str]:
        client = await connect_async(ROOT, auth=("admin", "admin"), verify=TLS)
        assert isinstance(client, AsyncAirflowClient if major == 2 else AsyncAirflow3Client)
        async with client:
            return await async_service(client)

    assert asyncio.run(main()) == ("success", LOGS[major], "2", "gone")


def test_airflow_major_names_what_answers_neither(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, text="nothing here", is_reusable=True)
    with pytest.raises(
        errors.AirflowError, match=r"answers neither /api/v2/version \(404\) nor /api/v1/version"
    ):
        airflow_major(ROOT, verify=TLS)


def test_major_given_asks_nothing_and_bad_input_is_refused(httpx_mock: HTTPXMock) -> None:
    with connect(ROOT, major=3, verify=TLS) as client:
        assert isinstance(client, Airflow3Client)
    assert httpx_mock.get_requests() == []
    with pytest.raises(ValueError, match="Airflow 4 is not served"):
        connect(ROOT, major=4)
    with pytest.raises(ValueError, match="Airflow 1 is not served"):
        asyncio.run(connect_async(ROOT, major=1))
    with connect(ROOT, major=2, verify=TLS) as client, pytest.raises(TypeError, match="unexpected keyword"):
        client.create("variable", key="k", valu="v")
    with (
        connect(ROOT, major=3, verify=TLS) as client,
        pytest.raises(ValueError, match="cannot update 'user'"),
    ):
        client.update("user", "bob", last_name="x")  # type: ignore[call-overload]
