"""The Airflow 1.x REST API plugin client: the exact URL and query of every api, the token header and
other auth, argument encoding (flags, conf JSON, dates), deploy_dag's multipart body, every error
path including a CLI failure behind ``200 OK``, secrets kept out of sight, and arguments refused
before any request.

HTTP is mocked with pytest-httpx (an unexpected request fails the test). Every feature that sends a
request is tested with both clients: the ``mode`` fixture runs it sync and async.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import BearerAuth, SessionCookieAuth, errors
from airflow_rest.airflow1 import (
    PLUGIN_APIS,
    TOKEN_HEADER,
    Airflow1PluginClient,
    AsyncAirflow1PluginClient,
    PluginReply,
    hidden_failure,
)

TLS = ssl.create_default_context()  # one for every client: building one costs ~0.1 s
BASE = "https://airflow.test/prefix"
ENDPOINT = f"{BASE}/admin/rest_api/api"
TOKEN = "plugin-t0ken-s3cr3t"
JWT = "eyJhbGciOi.jwt-s3cr3t.sig"
CONN_PASSWORD = "pg-pa55w0rd"
CONN_URI = f"postgres://etl:{CONN_PASSWORD}@db:5432/etl"
WHEN = dt.datetime(2017, 1, 2, 3, 4, 5)
LOGIN_PAGE = '<html><form action="/admin/airflow/login"><input name="password"></form></html>'
TRACEBACK = """\
[2017-01-02 03:04:05,000] {__init__.py:51} INFO - Using executor SequentialExecutor
Traceback (most recent call last):
  File "/usr/local/bin/airflow", line 32, in <module>
    args.func(args)
  File "/usr/local/lib/python3.6/site-packages/airflow/bin/cli.py", line 226, in trigger_dag
    execution_date=args.exec_date)
airflow.exceptions.DagRunAlreadyExists: Run id r1 already exists for dag id etl
"""
LOGGED_IMPORT_ERROR = """\
[2017-01-02 03:04:05,000] {models.py:377} ERROR - Failed to import: /dags/broken.py
Traceback (most recent call last):
  File "/usr/local/lib/python3.6/site-packages/airflow/models.py", line 374, in process_file
    m = imp.load_source(mod_name, filepath)
ImportError: No module named 'missing'
"""
ARGPARSE = """\
usage: airflow trigger_dag [-h] [-sd SUBDIR] [-r RUN_ID] [-c CONF] [-e EXEC_DATE] dag_id
airflow trigger_dag: error: argument -c/--conf: expected one argument
"""

AnyClient = Airflow1PluginClient | AsyncAirflow1PluginClient


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(mode: str, base_url: str = BASE, **kwargs: Any) -> AnyClient:
    kwargs.setdefault("verify", TLS)
    if mode == "sync":
        return Airflow1PluginClient(base_url, **kwargs)
    return AsyncAirflow1PluginClient(base_url, **kwargs)


def run(mode: str, fn: Callable[[Any], Any], **kwargs: Any) -> Any:
    """``fn(client)`` with a client of ``mode`` (awaited for async), closing the client afterwards."""
    client = make(mode, **kwargs)
    if isinstance(client, Airflow1PluginClient):
        with client:
            return fn(client)

    async def main() -> Any:
        async with client:
            return await fn(client)

    return asyncio.run(main())


def cli(stdout: str = "", stderr: str = "") -> dict[str, str]:
    return {"stderr": stderr, "stdin": "", "stdout": stdout}


def plugin_body(output: Any, *, status: str = "OK", code: int = 200, **extra: Any) -> dict[str, Any]:
    body = {
        "status": status,
        "http_response_code": code,
        "call_time": "Mon, 02 Jan 2017 03:04:05 GMT",
        "arguments": {"api": "x"},
        "post_arguments": {},
        "response_time": "Mon, 02 Jan 2017 03:04:06 GMT",
        "airflow_cmd": "airflow x",
        **extra,
    }
    if output is not None:
        body["output"] = output
    return body


def answer(mock: HTTPXMock, output: Any = None, **kwargs: Any) -> None:
    status_code = kwargs.pop("status_code", 200)
    mock.add_response(
        status_code=status_code, json=plugin_body(cli() if output is None else output, **kwargs)
    )


def sent(mock: HTTPXMock) -> httpx.Request:
    request = mock.get_request()
    assert request is not None
    return request


def params(mock: HTTPXMock) -> list[tuple[str, str]]:
    request = sent(mock)
    assert request.method == "GET"
    assert request.url.copy_with(query=None) == httpx.URL(ENDPOINT)
    return request.url.params.multi_items()


# ------------------------------------------------------------------------------------------------
# The wire: URL and query of every api


CASES: list[tuple[str, Callable[[Any], Any], list[tuple[str, str]]]] = [
    ("version", lambda c: c.version(), []),
    ("rest_api_plugin_version", lambda c: c.rest_api_plugin_version(), []),
    (
        "render",
        lambda c: c.render("etl", "extract", WHEN, subdir="/dags/etl.py"),
        [
            ("dag_id", "etl"),
            ("task_id", "extract"),
            ("execution_date", "2017-01-02T03:04:05"),
            ("subdir", "/dags/etl.py"),
        ],
    ),
    ("variables", lambda c: c.variables(), []),
    (
        "variables",
        lambda c: c.variables(set=("greeting", "hello world")),
        [("cmd", "set"), ("key", "greeting"), ("value", "hello world")],
    ),
    (
        "variables",
        lambda c: c.variables(get="greeting", json=True, default="none"),
        [("get", "greeting"), ("json", "on"), ("default", "none")],
    ),
    (
        "variables",
        lambda c: c.variables(import_="/tmp/in.json", export="/tmp/out.json", delete="old"),
        [("import", "/tmp/in.json"), ("export", "/tmp/out.json"), ("delete", "old")],
    ),
    ("connections", lambda c: c.connections(list=True), [("list", "on")]),
    (
        "connections",
        lambda c: c.connections(add=True, conn_id="pg", conn_uri=CONN_URI, conn_extra={"sslmode": "require"}),
        [("add", "on"), ("conn_id", "pg"), ("conn_uri", CONN_URI), ("conn_extra", '{"sslmode":"require"}')],
    ),
    (
        "connections",
        lambda c: c.connections(add=True, conn_id="fs", conn_type="fs", conn_extra="not json"),
        [("add", "on"), ("conn_id", "fs"), ("conn_type", "fs"), ("conn_extra", "not json")],
    ),
    (
        "connections",
        lambda c: c.connections(delete=True, conn_id="pg"),
        [("delete", "on"), ("conn_id", "pg")],
    ),
    ("pause", lambda c: c.pause("etl"), [("dag_id", "etl")]),
    ("unpause", lambda c: c.unpause("etl", subdir="/dags"), [("dag_id", "etl"), ("subdir", "/dags")]),
    (
        "task_failed_deps",
        lambda c: c.task_failed_deps("etl", "load", "2017-01-02T03:04:05"),
        [("dag_id", "etl"), ("task_id", "load"), ("execution_date", "2017-01-02T03:04:05")],
    ),
    ("trigger_dag", lambda c: c.trigger_dag("etl"), [("dag_id", "etl")]),
    (
        "trigger_dag",
        lambda c: c.trigger_dag("etl", run_id="manual_1", conf={"day": 1}, exec_date=WHEN, subdir="/d"),
        [
            ("dag_id", "etl"),
            ("subdir", "/d"),
            ("run_id", "manual_1"),
            ("conf", '{"day":1}'),
            ("exec_date", "2017-01-02T03:04:05"),
        ],
    ),
    (
        "test",
        lambda c: c.test("etl", "load", WHEN, dry_run=True, task_params={"n": 2}),
        [
            ("dag_id", "etl"),
            ("task_id", "load"),
            ("execution_date", "2017-01-02T03:04:05"),
            ("dry_run", "on"),
            ("task_params", '{"n":2}'),
        ],
    ),
    (
        "dag_state",
        lambda c: c.dag_state("etl", WHEN),
        [("dag_id", "etl"), ("execution_date", "2017-01-02T03:04:05")],
    ),
    (
        "run",
        lambda c: c.run(
            "etl",
            "load",
            WHEN,
            subdir="/d",
            mark_success=True,
            force=True,
            pool="slow",
            cfg_path="/cfg",
            local=True,
            ignore_all_dependencies=True,
            ignore_dependencies=True,
            ignore_depends_on_past=True,
            ship_dag=True,
            pickle="7",
        ),
        [
            ("dag_id", "etl"),
            ("task_id", "load"),
            ("execution_date", "2017-01-02T03:04:05"),
            ("subdir", "/d"),
            ("mark_success", "on"),
            ("force", "on"),
            ("pool", "slow"),
            ("cfg_path", "/cfg"),
            ("local", "on"),
            ("ignore_all_dependencies", "on"),
            ("ignore_dependencies", "on"),
            ("ignore_depends_on_past", "on"),
            ("ship_dag", "on"),
            ("pickle", "7"),
        ],
    ),
    (
        "run",
        lambda c: c.run("etl", "load", WHEN, force=False, local=False),
        [
            ("dag_id", "etl"),
            ("task_id", "load"),
            ("execution_date", "2017-01-02T03:04:05"),
        ],
    ),
    ("list_tasks", lambda c: c.list_tasks("etl", tree=True), [("dag_id", "etl"), ("tree", "on")]),
    ("list_tasks", lambda c: c.list_tasks("etl", tree=False), [("dag_id", "etl")]),
    (
        "backfill",
        lambda c: c.backfill(
            "etl",
            start_date=dt.date(2017, 1, 1),
            end_date="2017-01-05",
            task_regex="^load",
            mark_success=True,
            local=True,
            donot_pickle=True,
            include_adhoc=True,
            ignore_dependencies=True,
            ignore_first_depends_on_past=True,
            subdir="/d",
            pool="slow",
            dry_run=True,
        ),
        [
            ("dag_id", "etl"),
            ("task_regex", "^load"),
            ("start_date", "2017-01-01"),
            ("end_date", "2017-01-05"),
            ("mark_success", "on"),
            ("local", "on"),
            ("donot_pickle", "on"),
            ("include_adhoc", "on"),
            ("ignore_dependencies", "on"),
            ("ignore_first_depends_on_past", "on"),
            ("subdir", "/d"),
            ("pool", "slow"),
            ("dry_run", "on"),
        ],
    ),
    ("list_dags", lambda c: c.list_dags(report=True), [("report", "on")]),
    (
        "kerberos",
        lambda c: c.kerberos(
            "airflow/host@REALM",
            keytab="/etc/airflow.keytab",
            pid="/run/k.pid",
            daemon=True,
            stdout="/log/k.out",
            stderr="/log/k.err",
            log_file="/log/k.log",
        ),
        [
            ("principal", "airflow/host@REALM"),
            ("keytab", "/etc/airflow.keytab"),
            ("pid", "/run/k.pid"),
            ("daemon", "on"),
            ("stdout", "/log/k.out"),
            ("stderr", "/log/k.err"),
            ("log-file", "/log/k.log"),
        ],
    ),
    (
        "worker",
        lambda c: c.worker(queues="default,slow", concurrency=4, do_pickle=True, daemon=True),
        [("do_pickle", "on"), ("queues", "default,slow"), ("concurrency", "4"), ("daemon", "on")],
    ),
    (
        "flower",
        lambda c: c.flower(hostname="0.0.0.0", port=5555, broker_api="http://mq:15672/api/", pid="/run/f"),
        [
            ("hostname", "0.0.0.0"),
            ("port", "5555"),
            ("broker_api", "http://mq:15672/api/"),
            ("pid", "/run/f"),
        ],
    ),
    (
        "scheduler",
        lambda c: c.scheduler(dag_id="etl", run_duration=600, num_runs=3, log_file="/log/s.log"),
        [("dag_id", "etl"), ("run-duration", "600"), ("num_runs", "3"), ("log-file", "/log/s.log")],
    ),
    (
        "task_state",
        lambda c: c.task_state("etl", "load", WHEN, subdir="/d"),
        [("dag_id", "etl"), ("task_id", "load"), ("execution_date", "2017-01-02T03:04:05"), ("subdir", "/d")],
    ),
    ("pool", lambda c: c.pool(), []),
    (
        "pool",
        lambda c: c.pool(set=("slow", 4, "the slow lane")),
        [("cmd", "set"), ("pool_name", "slow"), ("slot_count", "4"), ("pool_description", "the slow lane")],
    ),
    ("pool", lambda c: c.pool(get="slow", delete="old"), [("get", "slow"), ("delete", "old")]),
    ("serve_logs", lambda c: c.serve_logs(), []),
    ("clear", lambda c: c.clear("etl"), [("dag_id", "etl")]),
    (
        "clear",
        lambda c: c.clear(
            "etl",
            task_regex="^load",
            start_date=dt.datetime(2017, 1, 1),
            end_date=dt.date(2017, 1, 3),
            subdir="/d",
            upstream=True,
            downstream=True,
            only_failed=True,
            only_running=True,
            exclude_subdags=True,
        ),
        [
            ("dag_id", "etl"),
            ("task_regex", "^load"),
            ("start_date", "2017-01-01T00:00:00"),
            ("end_date", "2017-01-03"),
            ("subdir", "/d"),
            ("upstream", "on"),
            ("downstream", "on"),
            ("only_failed", "on"),
            ("only_running", "on"),
            ("exclude_subdags", "on"),
        ],
    ),
    ("refresh_dag", lambda c: c.refresh_dag("etl"), [("dag_id", "etl")]),
    ("refresh_all_dags", lambda c: c.refresh_all_dags(), []),
    # the generic call, by the plugin's names or their Python spellings
    ("version", lambda c: c.call("version"), []),
    ("trigger_dag", lambda c: c.call("trigger_dag", dag_id="etl", run_id=None), [("dag_id", "etl")]),
    (
        "trigger_dag",
        lambda c: c.call("trigger_dag", dag_id="etl", conf='{"day": 1}'),
        [("dag_id", "etl"), ("conf", '{"day":1}')],
    ),
    (
        "scheduler",
        lambda c: c.call("scheduler", run_duration=5, **{"log-file": "/l"}, pid=True, do_pickle="x"),
        [("run-duration", "5"), ("do_pickle", "x"), ("pid", "on"), ("log-file", "/l")],
    ),
    ("variables", lambda c: c.call("variables", import_="/tmp/v.json"), [("import", "/tmp/v.json")]),
    (
        "variables",
        lambda c: c.call("variables", set=("k", "v")),
        [("cmd", "set"), ("key", "k"), ("value", "v")],
    ),
    ("worker", lambda c: c.call("worker", pid=True, log_file="/l"), [("pid", "on"), ("log-file", "/l")]),
]


@pytest.mark.parametrize(("api", "fn", "expected"), CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_every_api_sends_its_exact_query(
    httpx_mock: HTTPXMock, mode: str, api: str, fn: Callable[[Any], Any], expected: list[tuple[str, str]]
) -> None:
    answer(httpx_mock)
    reply = run(mode, fn)
    assert isinstance(reply, PluginReply)
    assert params(httpx_mock) == [("api", api), *expected]


def test_every_plugin_api_has_a_method() -> None:
    for api in PLUGIN_APIS:
        assert callable(getattr(Airflow1PluginClient, api))
        assert callable(getattr(AsyncAirflow1PluginClient, api))
    assert {c[0] for c in CASES} | {"deploy_dag"} == set(PLUGIN_APIS)


@pytest.mark.parametrize(
    ("base_url", "endpoint"),
    [
        ("https://airflow.test", "https://airflow.test/admin/rest_api/api"),
        ("https://airflow.test/", "https://airflow.test/admin/rest_api/api"),
        ("https://airflow.test/prefix", "https://airflow.test/prefix/admin/rest_api/api"),
        ("http://airflow.test:8080/a/b/", "http://airflow.test:8080/a/b/admin/rest_api/api"),
    ],
)
def test_path_prefix_is_kept(httpx_mock: HTTPXMock, mode: str, base_url: str, endpoint: str) -> None:
    httpx_mock.add_response(url=f"{endpoint}?api=version", method="GET", json=plugin_body("1.10.15"))
    client = make(mode, base_url)
    assert client.endpoint == endpoint
    assert run(mode, lambda c: c.version(), base_url=base_url).text == "1.10.15"


def test_version_reply(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "1.10.15", warning="careful")
    reply = run(mode, lambda c: c.version())
    assert reply.status == "OK"
    assert reply.http_response_code == 200
    assert reply.call_time == "Mon, 02 Jan 2017 03:04:05 GMT"
    assert reply.response_time == "Mon, 02 Jan 2017 03:04:06 GMT"
    assert reply.arguments == {"api": "x"}
    assert reply.post_arguments == {}
    assert reply.airflow_cmd == "airflow x"
    assert reply.warning == "careful"
    assert (reply.output, reply.text, reply.stdout, reply.stderr) == ("1.10.15", "1.10.15", "", "")
    assert sent(httpx_mock).headers["accept"] == "application/json"


def test_cli_reply(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("running\n", "UserWarning: something\n"))
    reply = run(mode, lambda c: c.task_state("etl", "load", WHEN))
    assert reply.output == cli("running\n", "UserWarning: something\n")
    assert (reply.stdout, reply.stderr, reply.text) == ("running\n", "UserWarning: something\n", "running\n")


def test_reply_without_output() -> None:
    reply = PluginReply.from_json({"status": "OK"})
    assert (reply.output, reply.text, reply.stdout, reply.stderr) == (None, "", "", "")
    assert reply.http_response_code is None and reply.arguments == {}


# ------------------------------------------------------------------------------------------------
# Authentication


def test_token_header_exact(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(match_headers={TOKEN_HEADER: TOKEN}, json=plugin_body("1.10.15"))
    run(mode, lambda c: c.version(), token=TOKEN)
    request = sent(httpx_mock)
    assert request.headers.get_list(TOKEN_HEADER) == [TOKEN]
    assert "authorization" not in request.headers


def test_no_token_no_header(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "1.10.15")
    run(mode, lambda c: c.version())
    assert TOKEN_HEADER not in sent(httpx_mock).headers


def test_custom_token_header(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "1.10.15")
    run(mode, lambda c: c.version(), token=TOKEN, token_header="X-Plugin-Token")
    request = sent(httpx_mock)
    assert request.headers["X-Plugin-Token"] == TOKEN
    assert TOKEN_HEADER not in request.headers


def test_bearer_auth(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "1.10.15")
    run(mode, lambda c: c.version(), auth=BearerAuth(JWT))
    request = sent(httpx_mock)
    assert request.headers["authorization"] == f"Bearer {JWT}"
    assert TOKEN_HEADER not in request.headers


def test_bearer_auth_with_token(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "1.10.15")
    run(mode, lambda c: c.version(), auth=BearerAuth(JWT), token=TOKEN)
    request = sent(httpx_mock)
    assert request.headers["authorization"] == f"Bearer {JWT}"
    assert request.headers[TOKEN_HEADER] == TOKEN


def test_session_cookie_auth(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "1.10.15")
    run(mode, lambda c: c.version(), auth=SessionCookieAuth("sess-s3cr3t"))
    assert sent(httpx_mock).headers["cookie"] == "session=sess-s3cr3t"


def test_token_header_on_deploy_dag(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "DAG File [x] has been uploaded")
    run(mode, lambda c: c.deploy_dag(b"dag = 1\n", filename="x.py"), token=TOKEN)
    assert sent(httpx_mock).headers[TOKEN_HEADER] == TOKEN


# ------------------------------------------------------------------------------------------------
# Argument encoding: conf JSON, dates


@pytest.mark.parametrize(
    "conf",
    [
        {"day": "2017-01-02", "n": 3},
        {"msg": "two words and  a double space", "nested": {"list": [1, "a b"]}},
        {"unicode": "café ☕", "quote": 'say "hi"', "empty": {}},
    ],
)
def test_conf_json(httpx_mock: HTTPXMock, mode: str, conf: dict[str, Any]) -> None:
    answer(httpx_mock)
    run(mode, lambda c: c.trigger_dag("etl", conf=conf))
    sent_conf = dict(params(httpx_mock))["conf"]
    assert " " not in sent_conf  # the plugin's older releases split argument values at spaces
    assert json.loads(sent_conf) == conf


def test_conf_as_json_string_is_reencoded(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock)
    run(mode, lambda c: c.trigger_dag("etl", conf='{ "msg": "a b" }'))
    assert dict(params(httpx_mock))["conf"] == '{"msg":"a\\u0020b"}'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2017, 1, 2, 3, 4, 5), "2017-01-02T03:04:05"),  # naive: as it is
        (dt.datetime(2017, 1, 2, 3, 4, 5, 120000), "2017-01-02T03:04:05.120000"),
        (dt.datetime(2017, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2017-01-02T03:04:05"),
        (dt.datetime(2017, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2017-01-02T03:04:05"),
        (dt.date(2017, 1, 2), "2017-01-02T00:00:00"),
        ("2017-01-02T03:04:05", "2017-01-02T03:04:05"),
        ("2017-01-02 03:04:05", "2017-01-02T03:04:05"),
        ("2017-01-02", "2017-01-02T00:00:00"),
        ("2017-01-02T04:04:05+01:00", "2017-01-02T03:04:05"),
        ("2017-01-02T03:04:05Z", "2017-01-02T03:04:05"),
    ],
)
def test_execution_date_formats(httpx_mock: HTTPXMock, mode: str, value: Any, expected: str) -> None:
    answer(httpx_mock)
    run(mode, lambda c: c.dag_state("etl", value))
    assert dict(params(httpx_mock))["execution_date"] == expected


def test_exec_date_of_trigger_dag_formatted(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock)
    aware = dt.datetime(2017, 1, 1, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    run(mode, lambda c: c.trigger_dag("etl", exec_date=aware))
    assert dict(params(httpx_mock))["exec_date"] == "2017-01-02T03:00:00"


# ------------------------------------------------------------------------------------------------
# deploy_dag


def multipart(request: httpx.Request) -> bytes:
    assert request.method == "POST"
    assert request.url == httpx.URL(f"{ENDPOINT}?api=deploy_dag")
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    return request.read()


def test_deploy_dag_from_path(httpx_mock: HTTPXMock, mode: str, tmp_path: Path) -> None:
    source = b"from airflow import DAG\ndag = DAG('etl')\n"
    path = tmp_path / "etl_dag.py"
    path.write_bytes(source)
    answer(httpx_mock, "DAG File [<FileStorage: 'etl_dag.py'>] has been uploaded")
    reply = run(mode, lambda c: c.deploy_dag(path))
    assert reply.text.endswith("has been uploaded")
    body = multipart(sent(httpx_mock))
    assert b'Content-Disposition: form-data; name="dag_file"; filename="etl_dag.py"' in body
    assert source in body
    assert b'name="force"' not in body and b'name="pause"' not in body and b'name="unpause"' not in body


def test_deploy_dag_from_str_path_with_other_filename(
    httpx_mock: HTTPXMock, mode: str, tmp_path: Path
) -> None:
    path = tmp_path / "local.py"
    path.write_bytes(b"dag = 1\n")
    answer(httpx_mock, "uploaded")
    run(mode, lambda c: c.deploy_dag(str(path), filename="remote.py"))
    body = multipart(sent(httpx_mock))
    assert b'filename="remote.py"' in body and b"dag = 1\n" in body


def test_deploy_dag_from_bytes_with_flags(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "uploaded", warning="Failed to set the state (pause, unpause) of the DAG: boom")
    reply = run(mode, lambda c: c.deploy_dag(b"dag = 2\n", filename="two.py", force=True, unpause=True))
    assert reply.warning == "Failed to set the state (pause, unpause) of the DAG: boom"
    body = multipart(sent(httpx_mock))
    assert b'name="dag_file"; filename="two.py"' in body and b"dag = 2\n" in body
    assert b'Content-Disposition: form-data; name="force"\r\n\r\non\r\n' in body
    assert b'Content-Disposition: form-data; name="unpause"\r\n\r\non\r\n' in body
    assert b'name="pause"' not in body


def test_deploy_dag_through_call(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "uploaded")
    run(mode, lambda c: c.call("deploy_dag", dag_file=b"x = 1\n", filename="x.py", pause=True))
    body = multipart(sent(httpx_mock))
    assert b'filename="x.py"' in body and b'name="pause"\r\n\r\non' in body


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"dag_file": b"x"}, ValueError),  # bytes need a filename
        ({"dag_file": b"x", "filename": "x.txt"}, ValueError),
        ({"dag_file": b"x", "filename": "../x.py"}, ValueError),
        ({"dag_file": b"x", "filename": "sub/x.py"}, ValueError),
        ({"dag_file": b"x", "filename": ".py"}, ValueError),
        ({"dag_file": b"x", "filename": "x.py", "pause": True, "unpause": True}, ValueError),
        ({"dag_file": b"x", "filename": "x.py", "force": "yes"}, TypeError),
        ({"dag_file": 42, "filename": "x.py"}, TypeError),
        ({"dag_file": b"x", "filename": 7}, TypeError),
    ],
)
def test_deploy_dag_refused_before_any_request(
    mode: str, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        run(mode, lambda c: c.deploy_dag(**kwargs))


def test_deploy_dag_missing_file(mode: str, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run(mode, lambda c: c.deploy_dag(tmp_path / "nope.py"))


# ------------------------------------------------------------------------------------------------
# Errors


def test_403_token_mismatch(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(
        status_code=403,
        json={"status": "ERROR", "http_response_code": 403, "output": "Token Authentication Failed"},
    )
    with pytest.raises(errors.PermissionDeniedError) as caught:
        run(mode, lambda c: c.version(), token=TOKEN)
    message = str(caught.value)
    assert "Token Authentication Failed" in message
    assert "airflow1 version" in message and "api=version" in message
    assert caught.value.status_code == 403
    assert TOKEN not in message and TOKEN not in repr(caught.value)


@pytest.mark.parametrize(
    ("status", "output", "error"),
    [
        (400, "The DAG ID 'nope' does not exist", errors.BadRequestError),
        (400, "The argument(s) ['dag_id'] are required", errors.BadRequestError),
        (400, "API 'refresh_all_dags' was not found", errors.BadRequestError),
        (500, "An error occurred while trying to Refresh the DAG 'nope': boom", errors.ServerError),
    ],
)
def test_plugin_error_statuses(
    httpx_mock: HTTPXMock, mode: str, status: int, output: str, error: type[errors.APIStatusError]
) -> None:
    httpx_mock.add_response(status_code=status, json=plugin_body(output, status="ERROR", code=status))
    with pytest.raises(error) as caught:
        run(mode, lambda c: c.refresh_dag("nope"))
    assert output in str(caught.value)
    assert f"-> {status} " in str(caught.value)
    assert caught.value.status_code == status


def test_error_status_without_plugin_json(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(status_code=502, text="<html>Bad Gateway</html>")
    with pytest.raises(errors.ServerError, match="502 Bad Gateway: <html>Bad Gateway</html>"):
        run(mode, lambda c: c.version())


def test_jwt_refused(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(status_code=401, json={"msg": "Missing Authorization Header"})
    with pytest.raises(errors.AuthenticationError, match="Missing Authorization Header"):
        run(mode, lambda c: c.version())


@pytest.mark.parametrize("kind", ["page", "redirect"])
def test_login_page_is_authentication_error(httpx_mock: HTTPXMock, mode: str, kind: str) -> None:
    if kind == "page":
        httpx_mock.add_response(status_code=200, html=LOGIN_PAGE)
    else:
        httpx_mock.add_response(status_code=302, headers={"location": "/admin/airflow/login?next=x"})
    with pytest.raises(errors.AuthenticationError, match="login page"):
        run(mode, lambda c: c.list_dags())


def test_status_error_in_2xx_reply_is_command_error(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "dag_file is not a *.py file", status="ERROR")
    with pytest.raises(errors.CommandError) as caught:
        run(mode, lambda c: c.pause("etl"))
    error = caught.value
    assert error.command == "pause"
    assert error.status_code == 200
    assert "airflow1 pause" in str(error) and "status ERROR: dag_file is not a *.py file" in str(error)


def test_status_error_with_cli_output(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("out", "bad things"), status="ERROR", code=500)
    with pytest.raises(errors.CommandError, match="status ERROR: bad things") as caught:
        run(mode, lambda c: c.list_dags())
    assert (caught.value.stdout, caught.value.stderr, caught.value.status_code) == ("out", "bad things", 500)


def test_uncaught_traceback_behind_200(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("", TRACEBACK))
    with pytest.raises(errors.CommandError) as caught:
        run(mode, lambda c: c.trigger_dag("etl", run_id="r1"))
    error = caught.value
    assert error.command == "trigger_dag"
    assert error.stderr == TRACEBACK and error.stdout == ""
    assert "answered OK but the command raised airflow.exceptions.DagRunAlreadyExists: Run id r1" in str(
        error
    )
    assert "check=False" in str(error)


def test_check_false_returns_the_reply(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("partial", TRACEBACK))
    reply = run(mode, lambda c: c.trigger_dag("etl", check=False))
    assert reply.stderr == TRACEBACK and reply.stdout == "partial"


def test_check_false_through_call(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("", ARGPARSE))
    assert run(mode, lambda c: c.call("trigger_dag", dag_id="etl", check=False)).stderr == ARGPARSE


def test_argparse_error_behind_200(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("", ARGPARSE))
    with pytest.raises(
        errors.CommandError, match="refused its arguments: airflow trigger_dag: error: argument"
    ):
        run(mode, lambda c: c.trigger_dag("etl"))


def test_background_exit_code(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("exit_code: 256", ""))
    with pytest.raises(errors.CommandError, match="exited with 256"):
        run(mode, lambda c: c.scheduler())


@pytest.mark.parametrize(
    "stderr",
    [
        "",
        "/usr/lib/python3.6/site-packages/psycopg2/__init__.py:144: UserWarning: The psycopg2 wheel...\n",
        LOGGED_IMPORT_ERROR,  # a broken DAG file elsewhere in the DagBag: logged, handled
        "[2017-01-02 03:04:05,000] {cli.py:1} ERROR - airflow.exceptions.AirflowException: handled\n",
        "Error: something was logged\nairflow.exceptions.AirflowException: logged\n",
        "Traceback (most recent call last):\n",  # cut short: no frame, no exception line
    ],
)
def test_success_with_noise_on_stderr(httpx_mock: HTTPXMock, mode: str, stderr: str) -> None:
    answer(httpx_mock, cli("etl\n", stderr))
    assert run(mode, lambda c: c.list_dags()).stdout == "etl\n"


def test_background_exit_code_zero_is_success(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("exit_code: 0", ""))
    assert run(mode, lambda c: c.worker(queues="default")).stdout == "exit_code: 0"


def test_exit_code_of_foreground_command_is_not_read(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, cli("exit_code: 1", ""))
    assert run(mode, lambda c: c.list_dags()).stdout == "exit_code: 1"


@pytest.mark.parametrize(
    ("content", "headers", "match"),
    [
        (b"<html>hello</html>", {"content-type": "text/html"}, "not the plugin's JSON"),
        (b'{"status": ', {"content-type": "application/json"}, "not the plugin's JSON"),
        (b"[1, 2]", {"content-type": "application/json"}, "a JSON list, not an object"),
        (b'{"output": "x"}', {"content-type": "application/json"}, "no 'status' string"),
        (b'{"status": "OK", "output": 5}', {"content-type": "application/json"}, "'output' is a int"),
        (b'{"status": "MAYBE"}', {"content-type": "application/json"}, "unknown plugin status 'MAYBE'"),
    ],
)
def test_undecodable_replies(
    httpx_mock: HTTPXMock, mode: str, content: bytes, headers: dict[str, str], match: str
) -> None:
    httpx_mock.add_response(status_code=200, content=content, headers=headers)
    with pytest.raises(errors.ResponseDecodeError, match=match) as caught:
        run(mode, lambda c: c.version())
    assert caught.value.status_code == 200


def test_connection_error(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_exception(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(errors.APIConnectionError) as caught:
        run(mode, lambda c: c.version(), token=TOKEN)
    assert not isinstance(caught.value, errors.APITimeoutError)
    assert "airflow1 version: GET" in str(caught.value) and "Connection refused" in str(caught.value)
    assert caught.value.url == f"{ENDPOINT}?api=version"
    assert TOKEN not in str(caught.value)


def test_timeout(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))
    with pytest.raises(errors.APITimeoutError, match="timed out"):
        run(mode, lambda c: c.list_dags())


# ------------------------------------------------------------------------------------------------
# Secrets


def test_secrets_never_shown(httpx_mock: HTTPXMock, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    httpx_mock.add_response(json=plugin_body(cli("added", "")))
    httpx_mock.add_response(
        status_code=400, json=plugin_body("Connection pg exists", status="ERROR", code=400)
    )
    httpx_mock.add_response(json=plugin_body(cli("", TRACEBACK)))
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    seen: list[str] = []

    def calls(client: Any) -> Any:
        seen.append(repr(client))

        def add() -> Any:
            return client.connections(add=True, conn_id="pg", conn_uri=CONN_URI)

        if isinstance(client, Airflow1PluginClient):
            seen.append(repr(add()))
            for _ in range(3):
                with pytest.raises(errors.AirflowError) as caught:
                    add()
                seen.extend([str(caught.value), repr(caught.value), getattr(caught.value, "url", "")])
            return None

        async def main() -> None:
            seen.append(repr(await add()))
            for _ in range(3):
                with pytest.raises(errors.AirflowError) as caught:
                    await add()
                seen.extend([str(caught.value), repr(caught.value), getattr(caught.value, "url", "")])

        return main()

    run(mode, calls, token=TOKEN, auth=BearerAuth(JWT))
    assert "token='***'" in seen[0] and "BearerAuth(token='***')" in seen[0]
    assert "HTTP Request: GET" in caplog.text  # httpx logs the URL, with the value hidden:
    assert "conn_uri=%2A%2A%2A" in caplog.text
    shown = "\n".join(seen) + caplog.text
    for secret in (TOKEN, JWT, CONN_PASSWORD):
        assert secret not in shown


def test_reply_repr_leaves_out_echoed_arguments(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(
        json=plugin_body(
            cli("ok"),
            arguments={"conn_uri": CONN_URI},
            airflow_cmd=f"airflow connections --conn_uri {CONN_URI}",
        )
    )
    reply = run(mode, lambda c: c.connections(add=True, conn_id="pg", conn_uri=CONN_URI))
    assert reply.arguments == {"conn_uri": CONN_URI}
    assert CONN_PASSWORD not in repr(reply)
    assert "status='OK'" in repr(reply)


def test_client_repr(mode: str) -> None:
    assert repr(make(mode, token=TOKEN)) == f"{type(make(mode)).__name__}('{BASE}', token='***')"
    assert repr(make(mode)) == f"{type(make(mode)).__name__}('{BASE}')"


# ------------------------------------------------------------------------------------------------
# Arguments refused before any request (httpx_mock fails the test on any request)


REFUSED: list[tuple[Callable[[Any], Any], type[Exception], str]] = [
    (lambda c: c.trigger_dag(""), ValueError, "trigger_dag() needs dag_id"),
    (lambda c: c.trigger_dag(None), ValueError, "trigger_dag() needs dag_id"),
    (lambda c: c.trigger_dag(), TypeError, "dag_id"),
    (lambda c: c.call("trigger_dag"), ValueError, "trigger_dag() needs dag_id"),
    (lambda c: c.call("render", dag_id="etl", task_id="t"), ValueError, "needs execution_date"),
    (lambda c: c.call("kerberos"), ValueError, "kerberos() needs principal"),
    (lambda c: c.call("nope"), ValueError, "unknown plugin api 'nope'; the plugin knows: version, "),
    (lambda c: c.call("Trigger_Dag", dag_id="x"), ValueError, "trigger_dag, test"),
    (lambda c: c.call(7), TypeError, "api must be a string"),
    (lambda c: c.call("trigger_dag", dag_id="etl", dagid="x"), TypeError, "unexpected argument 'dagid'"),
    (lambda c: c.call("clear", dag_id="etl", only_faild=True), TypeError, "only_failed"),
    (lambda c: c.call("version", x=1), TypeError, "it takes: none"),
    (lambda c: c.list_tasks("etl", tree="yes"), TypeError, "tree is a flag"),
    (lambda c: c.call("list_tasks", dag_id="etl", tree=1), TypeError, "tree is a flag"),
    (lambda c: c.pause(True), TypeError, "dag_id must be a string"),
    (lambda c: c.pause(["etl"]), TypeError, "dag_id must be a string"),
    (lambda c: c.run("etl", "t", WHEN, pool=""), ValueError, "pool must not be empty"),
    (lambda c: c.dag_state("etl", "yesterday"), ValueError, "ISO 8601"),
    (lambda c: c.dag_state("etl", 1483326245), TypeError, "datetime"),
    (lambda c: c.backfill("etl"), ValueError, "start_date or end_date"),
    (lambda c: c.backfill("etl", start_date="Jan 1"), ValueError, "ISO 8601"),
    (lambda c: c.trigger_dag("etl", conf="{not json"), ValueError, "conf must be a JSON object"),
    (lambda c: c.trigger_dag("etl", conf="[1, 2]"), ValueError, "got a JSON list"),
    (lambda c: c.trigger_dag("etl", conf=[1, 2]), TypeError, "conf must be a mapping"),
    (lambda c: c.trigger_dag("etl", conf={"when": dt.date(2017, 1, 1)}), TypeError, "JSON-serializable"),
    (lambda c: c.trigger_dag("etl", conf={"x": float("nan")}), TypeError, "JSON-serializable"),
    (lambda c: c.connections(), ValueError, "exactly one of"),
    (lambda c: c.connections(list=True, delete=True, conn_id="x"), ValueError, "exactly one of"),
    (lambda c: c.connections(add=True, conn_uri=CONN_URI), ValueError, "needs conn_id"),
    (lambda c: c.connections(delete=True), ValueError, "needs conn_id"),
    (lambda c: c.connections(add=True, conn_id="pg"), ValueError, "conn_uri or conn_type"),
    (lambda c: c.variables(set=("only-key",)), TypeError, "(key, value)"),
    (lambda c: c.variables(set="k v"), TypeError, "(key, value)"),
    (lambda c: c.variables(set=("k", "")), ValueError, "must not be empty"),
    (lambda c: c.pool(set=("p", 3)), TypeError, "(pool_name, slot_count, pool_description)"),
    (lambda c: c.worker(queues="a; rm -rf /"), ValueError, "shell"),
    (lambda c: c.kerberos('p"$(id)"'), ValueError, "shell"),
    (lambda c: c.flower(broker_api="http://x/`id`"), ValueError, "shell"),
    (lambda c: c.scheduler(log_file="/tmp/my log"), ValueError, "shell"),
    (lambda c: c.version(check="no"), TypeError, "check must be True or False"),
]


@pytest.mark.parametrize(("fn", "error", "match"), REFUSED, ids=[str(i) for i in range(len(REFUSED))])
def test_refused_before_any_request(
    mode: str, fn: Callable[[Any], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error) as caught:
        run(mode, fn)
    assert match in str(caught.value)


def test_async_methods_refuse_when_called_not_awaited() -> None:
    client = AsyncAirflow1PluginClient(BASE, verify=TLS)
    with pytest.raises(ValueError, match="needs dag_id"):
        client.trigger_dag("")


@pytest.mark.parametrize(
    ("base_url", "match"),
    [
        ("airflow.test", "absolute http"),
        ("ftp://airflow.test", "absolute http"),
        ("https://airflow.test/?x=1", "query or fragment"),
        ("https://airflow.test/admin/rest_api/api", "pass 'https://airflow.test/'"),
        ("https://airflow.test/p/admin/rest_api/", "pass 'https://airflow.test/p'"),
        ("https://admin:pw-s3cr3t@airflow.test", "must not carry credentials"),
    ],
)
def test_bad_base_url(mode: str, base_url: str, match: str) -> None:
    with pytest.raises(ValueError, match=match) as caught:
        make(mode, base_url)
    assert "pw-s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"token": ""}, ValueError),
        ({"token": "line\nbreak-s3cr3t"}, ValueError),
        ({"token": " padded-s3cr3t"}, ValueError),
        ({"token": b"bytes-s3cr3t"}, TypeError),
        ({"token_header": "bad header"}, ValueError),
        ({"auth": ("admin", "pw-s3cr3t")}, TypeError),
        ({"timeout": -1}, ValueError),
    ],
)
def test_bad_settings(mode: str, kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        make(mode, **kwargs)
    assert "s3cr3t" not in str(caught.value)


def test_close_without_use(mode: str) -> None:
    client = make(mode)
    if isinstance(client, Airflow1PluginClient):
        client.close()
    else:
        asyncio.run(client.close())


def test_closed_by_context_manager(httpx_mock: HTTPXMock, mode: str) -> None:
    answer(httpx_mock, "1.10.15")
    client = make(mode)
    if isinstance(client, Airflow1PluginClient):
        with client:
            client.version()
    else:

        async def main() -> None:
            async with client:
                await client.version()

        asyncio.run(main())
    assert client._http is not None and client._http.is_closed


# ------------------------------------------------------------------------------------------------
# The hidden-failure rule on its own


def reply_with(stdout: str = "", stderr: str = "") -> PluginReply:
    return PluginReply.from_json(plugin_body(cli(stdout, stderr)))


@pytest.mark.parametrize(
    ("stderr", "found"),
    [
        (TRACEBACK, "the command raised airflow.exceptions.DagRunAlreadyExists: Run id r1"),
        (
            "Traceback (most recent call last):\n"
            '  File "/usr/bin/airflow", line 28, in <module>\n'
            "    args.func(args)\n"
            "ValueError\n",
            "the command raised ValueError",
        ),
        (
            LOGGED_IMPORT_ERROR + TRACEBACK,  # the last traceback counts
            "the command raised airflow.exceptions.DagRunAlreadyExists",
        ),
        (TRACEBACK + LOGGED_IMPORT_ERROR, None),
        (LOGGED_IMPORT_ERROR, None),
        (ARGPARSE, "the command refused its arguments: airflow trigger_dag: error: argument -c/--conf"),
        (ARGPARSE + "more output after it\n", None),
        ("airflow.exceptions.AirflowException: logged but handled\n", None),
        ("  Traceback (most recent call last):\n", None),
    ],
)
def test_hidden_failure_rule(stderr: str, found: str | None) -> None:
    result = hidden_failure(reply_with(stderr=stderr))
    assert (result is None) if found is None else (result is not None and result.startswith(found))


def test_hidden_failure_ignores_string_output() -> None:
    assert hidden_failure(PluginReply.from_json(plugin_body(TRACEBACK))) is None


def test_hidden_failure_exit_code_only_in_background() -> None:
    assert hidden_failure(reply_with("exit_code: 256")) is None
    assert hidden_failure(reply_with("exit_code: 256"), background=True) is not None
    assert hidden_failure(reply_with("exit_code: 0"), background=True) is None
