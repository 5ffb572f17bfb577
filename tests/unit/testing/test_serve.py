"""The oracle over HTTP: ``make_server`` in a thread (control paths included) and the
``python -m airflow_rest.testing serve`` command in a subprocess, both on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from airflow_rest import AirflowClient, AsyncAirflowClient, errors, models
from airflow_rest.testing._serve import OracleServer, main, make_server, serve_in_thread

CLIENT_OPTIONS: dict[str, Any] = {"timeout": 5.0, "max_retries": 0}
LINE_TIMEOUT = 10.0
PAGE_LIMIT_VIOLATION = {
    "side": "request",
    "operation": "get_dags",
    "where": "GET /dags",
    "location": "query.limit",
    "pointer": "#/components/parameters/PageLimit/schema",
    "message": "Wrong type, expected 'integer' for query parameter 'limit'",
}


@contextlib.contextmanager
def running(auth: tuple[str, str] | None = None) -> Iterator[OracleServer]:
    server = make_server("127.0.0.1", 0, auth=auth)
    thread = serve_in_thread(server)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[OracleServer]:
    with running() as server:
        yield server


def root_of(server: OracleServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def test_the_server_answers_on_its_port(server: OracleServer) -> None:
    port = server.server_address[1]
    assert port != 0
    assert server.oracle.url == f"http://127.0.0.1:{port}"
    assert server.oracle.api_url == f"http://127.0.0.1:{port}/api/v1"


def test_sync_client_over_http_and_the_control_paths(server: OracleServer) -> None:
    root = root_of(server)
    with AirflowClient(root, **CLIENT_OPTIONS) as client, httpx.Client(base_url=root, timeout=5) as http:
        total = client.dag.get_dags(limit=1).total_entries
        dag_ids = [d.dag_id for d in client.paginate(client.dag.get_dags, page_size=2)]
        assert total == 4 == len(dag_ids) == len(set(dag_ids))
        client.pool.post_pool(body=models.Pool(name="etl", slots=2))
        assert server.oracle.pools["etl"]["slots"] == 2
        assert http.get("/_oracle/violations").json() == {"violations": [], "total_entries": 0}

        bad = http.get("/api/v1/dags", params={"limit": "abc"})
        assert (bad.status_code, bad.headers["content-type"]) == (400, "application/problem+json")
        assert bad.json()["detail"] == "Wrong type, expected 'integer' for query parameter 'limit'"
        listed = http.get("/_oracle/violations")
        assert (listed.status_code, listed.headers["content-type"]) == (200, "application/json")
        assert listed.json() == {"violations": [PAGE_LIMIT_VIOLATION], "total_entries": 1}

        cleared = http.post("/_oracle/violations/clear")
        assert (cleared.status_code, cleared.content) == (204, b"")
        assert http.get("/_oracle/violations").json()["total_entries"] == 0
        assert server.oracle.violations == []

        before = server.oracle
        assert http.post("/_oracle/reset").status_code == 204
        assert server.oracle is not before and server.oracle.exchanges == []
        with pytest.raises(errors.NotFoundError):
            client.pool.get_pool("etl")
        assert client.pool.get_pools().total_entries == 1
        assert client.dag.get_dag("tutorial").is_paused is True
    assert server.oracle.violations == []


def test_async_client_over_http(server: OracleServer) -> None:
    root = root_of(server)

    async def scenario() -> dict[str, Any]:
        async with AsyncAirflowClient(root, **CLIENT_OPTIONS) as client:
            dag_ids = [
                d.dag_id async for d in client.paginate(client.dag.get_dags, page_size=1, concurrency=2)
            ]
            assert len(dag_ids) == len(set(dag_ids)) == 4
            assert (await client.update("dag", "tutorial", is_paused=False)).is_paused is False
            await client.variable.post_variables(body=models.Variable(key="k", value="v"))
            with pytest.raises(errors.BadRequestError) as refused:
                await client.pool.delete_pool("default_pool")
            assert refused.value.detail == "Default Pool can't be deleted"
        async with httpx.AsyncClient(base_url=root, timeout=5) as http:
            listed: dict[str, Any] = (await http.get("/_oracle/violations")).json()
            assert (await http.post("/_oracle/violations/clear")).status_code == 204
            return listed

    listed = asyncio.run(scenario())
    assert listed["total_entries"] == 1
    (violation,) = listed["violations"]
    assert (violation["operation"], violation["location"], violation["pointer"]) == (
        "delete_pool",
        "request",
        "#/paths/~1pools~1{pool_name}/delete",
    )
    assert server.oracle.dags["tutorial"].is_paused is False
    assert server.oracle.variables["k"]["value"] == "v"
    assert server.oracle.violations == []


def test_unknown_control_paths_and_methods(server: OracleServer) -> None:
    with httpx.Client(base_url=root_of(server), timeout=5) as http:
        for method, path in (
            ("GET", "/_oracle/nope"),
            ("POST", "/_oracle/violations"),
            ("GET", "/_oracle/reset"),
        ):
            response = http.request(method, path)
            assert response.status_code == 404, (method, path)
            assert response.json() == {"detail": "unknown control path"}
        # outside the API and the control paths: the webserver's 404, not a violation
        assert http.get("/home").status_code == 404
    assert server.oracle.violations == []


def test_an_operation_the_fake_lacks_answers_500_and_the_server_goes_on(server: OracleServer) -> None:
    del server.oracle.fake.handlers["get_users"]  # as if it were not modelled
    with httpx.Client(base_url=server.oracle.api_url, timeout=5) as http:
        response = http.get("/users")
        assert response.status_code == 500
        assert response.json()["title"] == "Internal Server Error"
        assert "does not implement 'get_users'" in response.json()["detail"]
        assert http.get("/health").status_code == 200


def test_server_with_credentials_keeps_them_across_a_reset() -> None:
    with running(auth=("admin", "admin")) as server:
        root = root_of(server)
        with httpx.Client(base_url=root, timeout=5) as http:
            for _ in range(2):
                denied = http.get("/api/v1/pools")
                assert denied.status_code == 403 and denied.json()["title"] == "Forbidden"
                assert http.get("/api/v1/pools", auth=("admin", "nope")).status_code == 403
                assert http.get("/api/v1/pools", auth=("admin", "admin")).status_code == 200
                assert http.get("/api/v1/health").status_code == 200
                assert http.post("/_oracle/reset").status_code == 204  # control paths need none
        with AirflowClient(root, auth=("admin", "admin"), **CLIENT_OPTIONS) as client:
            assert client.pool.get_pools().total_entries == 1


# --- the command ------------------------------------------------------------------------------------


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "airflow_rest.testing", "serve", *args]


@contextlib.contextmanager
def command_server(*args: str) -> Iterator[str]:
    """Start ``serve --port 0 ...``; the API URL its first line announces. Always stopped."""
    process = subprocess.Popen(
        serve_command("--port", "0", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], LINE_TIMEOUT)
        assert ready, f"the server printed nothing within {LINE_TIMEOUT} s"
        line = process.stdout.readline().decode()
        found = re.search(r"(http://127\.0\.0\.1:(\d+)/api/v1)\s*$", line)
        assert found is not None, f"unexpected first line {line!r} (exit code {process.poll()})"
        assert int(found.group(2)) != 0
        yield found.group(1)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=5)


def test_the_command_serves_the_api() -> None:
    with command_server() as api_url:
        response = httpx.get(f"{api_url}/health", timeout=5)
        assert response.status_code == 200
        assert response.json()["metadatabase"] == {"status": "healthy"}
        root = api_url.removesuffix("/api/v1")
        with AirflowClient(root, **CLIENT_OPTIONS) as client:
            assert client.dag.get_dags().total_entries == 4


def test_the_command_enforces_credentials() -> None:
    with command_server("--auth", "admin:admin") as api_url:
        assert httpx.get(f"{api_url}/dags", timeout=5).status_code == 403
        assert httpx.get(f"{api_url}/dags", auth=("admin", "other"), timeout=5).status_code == 403
        assert httpx.get(f"{api_url}/dags", auth=("admin", "admin"), timeout=5).status_code == 200
        assert httpx.get(f"{api_url}/health", timeout=5).status_code == 200


def test_the_command_refuses_bad_credentials_syntax() -> None:
    finished = subprocess.run(
        serve_command("--port", "0", "--auth", "admin"), capture_output=True, timeout=LINE_TIMEOUT
    )
    assert finished.returncode == 2
    assert finished.stdout == b""
    assert b"--auth must be USER:PASSWORD" in finished.stderr


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no command"),
        pytest.param(["run"], id="unknown command"),
        pytest.param(["serve", "--auth", ":secret"], id="no user"),
        pytest.param(["serve", "--auth", "nocolon"], id="no colon"),
        pytest.param(["serve", "--port", "http"], id="port not a number"),
    ],
)
def test_main_refuses_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "usage: python -m airflow_rest.testing" in capsys.readouterr().err
