"""The fake's configuration, providers, event log, DAG source, task instance dependencies, connection
test and DAG file reparsing, through the oracle with the real clients (sync and async): answers,
exact Problem titles and details, paging, and the responses checked against the spec.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from airflow_rest import AirflowClient, AsyncAirflowClient, errors, models
from airflow_rest.testing import Call, FakeAirflow, FakeTask, Oracle
from airflow_rest.testing.fake import Text
from airflow_rest.testing.fake._admin import _data, best_match
from airflow_rest.testing.fake._wire import _sign
from airflow_rest_v1.types import Unset

from .clock import Clock

T0 = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
AUTH = ("admin", "admin")
HTML = "text/html; charset=utf-8"
NOT_EXPOSED = (
    "Your Airflow administrator chose not to expose the configuration, most likely for security reasons."
)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def oracle(clock: Clock) -> Iterator[Oracle]:
    """The default DAGs and an ``etl`` DAG (extract >> load, paused); strict: no violation left."""
    fake = FakeAirflow(now=clock)
    fake.add_dag("etl", tasks=["extract", "load"], is_paused=True)
    oracle = Oracle(fake=fake, auth=AUTH)
    yield oracle
    oracle.assert_no_violations()


@pytest.fixture
def client(oracle: Oracle) -> Iterator[AirflowClient]:
    with AirflowClient(oracle.url, transport=oracle.transport(), auth=AUTH) as client:
        yield client


@pytest.fixture
def raw(oracle: Oracle) -> Iterator[httpx.Client]:
    with httpx.Client(transport=oracle.transport(), base_url=oracle.api_url, auth=AUTH) as http:
        yield http


def given(value: Any) -> Any:
    assert not isinstance(value, Unset)
    return value


def sections(config: models.Config) -> dict[str, dict[str, str]]:
    return {
        given(s.name): {given(o.key): given(o.value) for o in given(s.options)}
        for s in given(config.sections)
    }


def events(oracle: Oracle, **query: Any) -> list[tuple[Any, ...]]:
    status, body = oracle.fake.handle("get_event_logs", Call(query=query))
    assert status == 200
    return [(e["event"], e["dag_id"], e["run_id"], e["task_id"], e["extra"]) for e in body["event_logs"]]


# --- content negotiation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, None),
        ("*/*", "text/plain"),
        ("application/json", "application/json"),
        ("application/json, text/plain", "text/plain"),
        ("application/json;q=0.5, text/plain;q=0.4", "application/json"),
        ("text/*", "text/plain"),
        ("application/*, text/plain;q=0.1", "application/json"),
        ("text/plain;q=0", None),
        ("image/png", None),
    ],
)
def test_accept_is_matched_as_the_server_matches_it(accept: str | None, chosen: str | None) -> None:
    assert best_match(accept, ("text/plain", "application/json")) == chosen


# --- configuration --------------------------------------------------------------------------------


def test_a_default_airflow_does_not_expose_its_configuration(client: AirflowClient) -> None:
    with pytest.raises(errors.PermissionDeniedError) as denied:
        client.config.get_config()
    assert (denied.value.status_code, denied.value.title, denied.value.detail) == (
        403,
        "Forbidden",
        NOT_EXPOSED,
    )
    with pytest.raises(errors.PermissionDeniedError) as denied:
        client.config.get_value("core", "dags_folder")
    assert (denied.value.title, denied.value.detail) == ("Forbidden", NOT_EXPOSED)


def test_exposed_configuration_has_every_default_section_and_option(
    oracle: Oracle, client: AirflowClient
) -> None:
    oracle.set_config("webserver", "expose_config", "True")
    found = sections(client.config.get_config())
    default = _data("config_default.json")["sections"]
    assert list(found) == list(default) and len(found) == 32
    assert found["core"]["dags_folder"] == "/opt/airflow/dags"
    assert found["core"]["test_connection"] == "Disabled"
    assert found["webserver"]["expose_config"] == "True"
    assert found["webserver"]["secret_key"] == "fake-airflow-webserver-secret-key"
    assert found["database"]["sql_alchemy_conn"] == "sqlite:////opt/airflow/airflow.db"

    only = sections(client.config.get_config(section="smtp"))
    assert list(only) == ["smtp"] and only["smtp"]["smtp_port"] == "25"
    with pytest.raises(errors.NotFoundError) as missing:
        client.config.get_config(section="CORE")  # sections are matched exactly here
    assert (missing.value.title, missing.value.detail) == ("section not found.", "section=CORE not found.")

    # one option: matched without case, echoed as asked; sensitive ones always hidden
    assert sections(client.config.get_value("CORE", "Dags_Folder")) == {
        "CORE": {"Dags_Folder": "/opt/airflow/dags"}
    }
    assert sections(client.config.get_value("webserver", "secret_key")) == {
        "webserver": {"secret_key": "< hidden >"}
    }
    with pytest.raises(errors.NotFoundError) as missing:
        client.config.get_value("core", "nope")
    assert (missing.value.title, missing.value.detail) == (
        "Config not found.",
        "The option [core/nope] is not found in config.",
    )


def test_non_sensitive_only_hides_set_sensitive_values(oracle: Oracle, client: AirflowClient) -> None:
    oracle.set_config("webserver", "expose_config", "non-sensitive-only")
    oracle.set_config("smtp", "smtp_password", "hunter2")
    found = sections(client.config.get_config())
    assert found["webserver"]["secret_key"] == "< hidden >"
    assert found["database"]["sql_alchemy_conn"] == "< hidden >"
    assert found["smtp"]["smtp_password"] == "< hidden >"
    assert found["core"]["fernet_key"] == ""  # empty: nothing to hide
    assert found["core"]["dags_folder"] == "/opt/airflow/dags"
    assert oracle.config["smtp"]["smtp_password"] == "hunter2"


def test_configuration_as_text_unless_json_is_asked_for(oracle: Oracle, raw: httpx.Client) -> None:
    oracle.set_config("webserver", "expose_config", "True")
    text = raw.get("/config", params={"section": "hive"}, headers={"Accept": "*/*"})
    assert (text.status_code, text.headers["content-type"]) == (200, "text/plain")
    assert text.text == "[hive]\ndefault_hive_mapred_queue = \n"
    option = raw.get("/config/section/core/option/dags_folder", headers={"Accept": "text/plain"})
    assert option.text == "[core]\ndags_folder = /opt/airflow/dags\n"
    as_json = raw.get("/config/section/core/option/dags_folder", headers={"Accept": "application/json"})
    assert as_json.json() == {
        "sections": [{"name": "core", "options": [{"key": "dags_folder", "value": "/opt/airflow/dags"}]}]
    }
    assert oracle.take_violations() == []
    credentials = {"Authorization": "Basic YWRtaW46YWRtaW4="}  # admin:admin, and no Accept at all
    status, headers, content = oracle.handle_raw("GET", "/api/v1/config", credentials, b"")
    assert (status, headers["Content-Type"], content) == (406, HTML, b"")
    # the server answers 406 there, with an empty HTML body (correction config-not-acceptable)
    assert oracle.take_violations() == []


# --- providers ------------------------------------------------------------------------------------


def test_providers_are_those_of_a_default_install(oracle: Oracle) -> None:
    async def go() -> Any:
        async with AsyncAirflowClient(oracle.url, transport=oracle.transport(), auth=AUTH) as client:
            return await client.provider.get_providers()

    providers = asyncio.run(go())
    names = [given(p.package_name) for p in given(providers.providers)]
    assert providers.total_entries == len(names) == 9
    assert names[0] == "apache-airflow-providers-common-compat" and "apache-airflow-providers-http" in names
    http = next(p for p in given(providers.providers) if p.package_name == "apache-airflow-providers-http")
    assert (http.description, http.version) == (
        "Hypertext Transfer Protocol (HTTP) https://www.w3.org/Protocols/",
        "6.3.0",
    )


# --- event log ------------------------------------------------------------------------------------


def test_api_writes_are_logged_with_their_masked_request(
    oracle: Oracle, client: AirflowClient, raw: httpx.Client
) -> None:
    client.variable.post_variables(body=models.Variable(key="db_password", value="s3cret", description="d"))
    client.variable.delete_variable("db_password")
    client.connection.post_connection(
        body=models.Connection(
            connection_id="c1", conn_type="http", password="pw", extra=json.dumps({"token": "t", "x": 1})
        )
    )
    raw.patch("/pools/default_pool", params={"update_mask": "slots"}, json={"slots": 4})
    with pytest.raises(errors.BadRequestError):
        client.pool.delete_pool("default_pool")  # refused by the view: logged all the same
    with pytest.raises(errors.NotFoundError):
        client.dag.patch_dag("nope", body=models.DAG(is_paused=True), update_mask=["is_paused"])
    assert events(oracle) == [
        (
            "api.variable.create",
            None,
            None,
            None,
            '{"key": "db_password", "value": "***", "description": "d"}',
        ),
        ("api.variable.delete", None, None, None, '{"variable_key": "db_password"}'),
        (
            "api.connection.create",
            None,
            None,
            None,
            '{"conn_type": "http", "connection_id": "c1", "extra": {"token": "***", "x": 1}, '
            '"password": "***"}',
        ),
        (
            "api.patch_pool",
            None,
            None,
            None,
            '{"update_mask": "slots", "pool_name": "default_pool", "slots": 4}',
        ),
        ("api.delete_pool", None, None, None, '{"pool_name": "default_pool"}'),
        ("api.patch_dag", "nope", None, None, '{"update_mask": "is_paused", "is_paused": true}'),
    ]
    assert {e["owner"] for e in oracle.event_logs} == {"admin"}
    assert len(oracle.take_violations()) == 1  # the refused deletion
    assert events(oracle, event="api.variable.create") == events(oracle)[:1]


def test_task_runs_and_run_writes_are_logged(oracle: Oracle, client: AirflowClient, clock: Clock) -> None:
    client.dag_run.post_dag_run("etl", body=models.DAGRun(dag_run_id="r1"))
    clock.tick()
    oracle.set_task_state("etl", "r1", "extract", "running")
    clock.tick()
    oracle.set_task_state("etl", "r1", "extract", "success")
    oracle.set_task_state("etl", "r1", "load", "running")
    oracle.set_task_state("etl", "r1", "load", "failed")
    client.dag_run.set_dag_run_note("etl", "r1", body=models.SetDagRunNote(note="n"))
    logged = oracle.event_logs
    assert [(e["event"], e["task_id"], e["run_id"], e["try_number"], e["owner"]) for e in logged] == [
        ("api.post_dag_run", None, None, None, "admin"),
        ("cli_task_run", "extract", None, None, "airflow"),
        ("running", "extract", "r1", 1, "airflow"),
        ("cli_task_run", "extract", None, None, "airflow"),
        ("success", "extract", "r1", 1, "airflow"),
        ("cli_task_run", "load", None, None, "airflow"),
        ("running", "load", "r1", 1, "airflow"),
        ("cli_task_run", "load", None, None, "airflow"),
        ("failed", "load", "r1", 1, "airflow"),
        ("api.set_dag_run_note", None, "r1", None, "admin"),
    ]
    assert logged[0]["extra"] == '{"dag_run_id": "r1"}' and logged[0]["dag_id"] == "etl"
    assert logged[2]["execution_date"] == T0.isoformat() and logged[2]["map_index"] == -1
    assert json.loads(logged[1]["extra"]) == {
        "host_name": "airflow-worker",
        "full_command": "['/home/airflow/.local/bin/airflow', 'tasks', 'run', 'etl', 'extract', 'r1', "
        "'--local', '--subdir', 'DAGS_FOLDER/etl.py']",
    }
    # filters, as the server reads them
    assert [e[0] for e in events(oracle, run_id="r1")] == [
        "running",
        "success",
        "running",
        "failed",
        "api.set_dag_run_note",
    ]
    assert len(events(oracle, included_events="running,failed")) == 3
    assert len(events(oracle, excluded_events="cli_task_run")) == 6
    assert len(events(oracle, map_index=0, try_number=0, dag_id="")) == 10  # zero and empty: no filter
    assert len(events(oracle, map_index=-1)) == 4
    assert len(events(oracle, owner="admin", task_id="load")) == 0
    assert len(events(oracle, after=T0.isoformat())) == 9
    assert len(events(oracle, before=(T0 + timedelta(seconds=1)).isoformat())) == 1


def test_event_logs_page_and_order_as_the_server(oracle: Oracle, client: AirflowClient, clock: Clock) -> None:
    for number in range(5):
        clock.tick()
        oracle.add_event_log(f"e{number}", owner="someone", extra=str(4 - number))
    page = client.event_log.get_event_logs(limit=2, offset=1)
    assert page.total_entries == 5
    assert [e.event_log_id for e in given(page.event_logs)] == [2, 3]
    newest = client.event_log.get_event_logs(order_by="-when", limit=2)
    assert [e.event for e in given(newest.event_logs)] == ["e4", "e3"]
    by_extra = client.event_log.get_event_logs(order_by="extra")
    assert [e.event for e in given(by_extra.event_logs)] == ["e4", "e3", "e2", "e1", "e0"]
    assert len(given(client.event_log.get_event_logs(limit=0).event_logs)) == 5  # 0: the fallback limit
    one = client.event_log.get_event_log(3)
    assert (one.event, one.owner, one.extra, one.when) == ("e2", "someone", "2", T0 + timedelta(seconds=3))
    with pytest.raises(errors.NotFoundError) as missing:
        client.event_log.get_event_log(99)
    assert (missing.value.title, missing.value.detail) == ("Event Log not found", None)
    with pytest.raises(errors.BadRequestError) as bad:
        client.event_log.get_event_logs(order_by="id")
    assert bad.value.detail == "Ordering with 'id' is disallowed or the attribute does not exist on the model"
    with pytest.raises(errors.BadRequestError) as bad:
        client.event_log.get_event_logs(limit=-1)
    assert bad.value.title == "Page limit must be a positive integer"
    oracle.take_violations()  # the two refused requests


def test_mapped_writes_log_both_views_and_an_anonymous_caller(clock: Clock) -> None:
    fake = FakeAirflow(now=clock)
    oracle = Oracle(fake=fake)
    fake.trigger("example_dynamic_task_mapping", "m1")
    with httpx.Client(transport=oracle.transport(), base_url=oracle.api_url) as http:
        answer = http.patch(
            "/dags/example_dynamic_task_mapping/dagRuns/m1/taskInstances/add_one/1",
            json={"dry_run": True, "new_state": "failed"},
        )
        assert answer.status_code == 200
    logged = fake.event_logs[1:]
    assert [(e["event"], e["run_id"], e["task_id"], e["extra"], e["owner"]) for e in logged] == [
        (
            "api.patch_mapped_task_instance",
            "m1",
            "add_one",
            '{"map_index": 1, "dry_run": true, "new_state": "failed"}',
            "anonymous",
        ),
        (
            "api.patch_task_instance",
            "m1",
            "add_one",
            '{"map_index": 1, "dry_run": true, "new_state": "failed"}',
            "anonymous",
        ),
    ]
    oracle.assert_no_violations()


# --- DAG source and reparsing ---------------------------------------------------------------------


def test_dag_source_by_file_token(oracle: Oracle, client: AirflowClient, raw: httpx.Client) -> None:
    token = given(client.dag.get_dag("example_bash_operator").file_token)
    source = client.dag.get_dag_source(token).content
    assert source == _data("dag_sources.json")["sources"]["example_bash_operator.py"]
    assert 'dag_id="example_bash_operator"' in given(source)
    as_text = raw.get(f"/dagSources/{token}", headers={"Accept": "text/plain"})
    assert (as_text.status_code, as_text.headers["content-type"], as_text.text) == (200, "text/plain", source)

    made_up = given(client.dag.get_dag_source(given(client.dag.get_dag("etl").file_token)).content)
    assert "dag_id='etl'" in made_up and "tasks['extract'] >> tasks['load']" in made_up
    oracle.set_dag_source("etl", "# etl\n")
    assert client.dag.get_dag_source(given(client.dag.get_dag("etl").file_token)).content == "# etl\n"

    with pytest.raises(errors.NotFoundError) as missing:
        client.dag.get_dag_source("not.signed")
    assert (missing.value.title, missing.value.detail) == ("Dag source not found", None)
    refused = raw.get(f"/dagSources/{token}", headers={"Accept": "image/png"})
    assert (refused.status_code, refused.headers["content-type"], refused.text) == (
        406,
        HTML,
        "Not Allowed Accept Header",
    )
    # the server sends that text as HTML (correction not-acceptable-html)
    assert oracle.take_violations() == []


def test_reparse_dag_file_records_a_request_once(oracle: Oracle, client: AirflowClient, clock: Clock) -> None:
    dag = client.dag.get_dag("etl")
    token, fileloc = given(dag.file_token), given(dag.fileloc)
    client.dag.reparse_dag_file(token)
    assert oracle.parse_requests == [fileloc]
    with httpx.Client(transport=oracle.transport(), base_url=oracle.api_url, auth=AUTH) as http:
        again = http.put(f"/parseDagFile/{token}")
    assert (again.status_code, again.headers["content-type"], again.text) == (201, HTML, "Duplicate request")
    assert oracle.take_violations() == []  # correction reparse-dag-file-created-text
    clock.tick(60)
    assert oracle.process_parse_requests() == [fileloc] and oracle.parse_requests == []
    assert client.dag.get_dag("etl").last_parsed_time == T0 + timedelta(seconds=60)
    for bad in ("not.signed", _sign("/opt/airflow/dags/nothing_here.py")):
        with pytest.raises(errors.NotFoundError) as missing:
            client.dag.reparse_dag_file(bad)
        assert (missing.value.title, missing.value.detail) == ("File not found", None)


# --- connection test ------------------------------------------------------------------------------


def test_connection_testing_is_disabled_by_default(oracle: Oracle, client: AirflowClient) -> None:
    body = models.Connection(connection_id="c1", conn_type="http", host="example.org")
    with pytest.raises(errors.PermissionDeniedError) as denied:
        client.connection.test_connection(body=body)
    assert denied.value.status_code == 403
    assert denied.value.response.headers["content-type"] == HTML
    assert denied.value.text == (
        "Testing connections is disabled in Airflow configuration. "
        "Contact your deployment admin to enable it."
    )
    oracle.set_config("core", "test_connection", "Enabled")
    tested = client.connection.test_connection(body=body)
    assert (tested.status, tested.message) == (False, 'Unknown hook type "http"')
    oracle.set_connection_test_result("http", True, "Connection successfully tested")
    tested = client.connection.test_connection(body=body)
    assert (tested.status, tested.message) == (True, "Connection successfully tested")
    assert oracle.connections == {}  # nothing stored


# --- task instance dependencies -------------------------------------------------------------------


def upstream_states(success: int = 0, done: int = 0, ids: str = "'extract'") -> str:
    return (
        f"upstream_states=_UpstreamTIStates(success={success}, skipped=0, failed=0, upstream_failed=0, "
        f"removed=0, done={done}, success_setup=0, skipped_setup=0), upstream_task_ids={{{ids}}}"
    )


def test_dependencies_of_a_task_in_a_queued_run_of_a_paused_dag(
    oracle: Oracle, client: AirflowClient
) -> None:
    oracle.trigger("etl", "r1")
    deps = client.task_instance.get_task_instance_dependencies("etl", "r1", "load")
    assert [(d.name, d.reason) for d in given(deps.dependencies)] == [
        ("Dag Not Paused", "Task's DAG 'etl' is paused."),
        (
            "Dagrun Running",
            "Task instance's dagrun was not in the 'running' state but in the state 'queued'.",
        ),
        ("Task Instance State", "Task is in the 'None' state."),
        (
            "Trigger Rule",
            "Task's trigger rule 'all_success' requires all upstream tasks to have succeeded, but found 1 "
            "non-success(es). " + upstream_states(),
        ),
    ]
    with pytest.raises(errors.NotFoundError) as missing:
        client.task_instance.get_task_instance_dependencies("etl", "r1", "nope")
    assert (missing.value.title, missing.value.detail) == (
        "Task Instance not found for dag_id=etl, run_id=r1, task_id=nope",
        None,
    )


def test_dependencies_follow_the_run_the_pool_and_the_state(oracle: Oracle, clock: Clock) -> None:
    oracle.fake.add_pool("tiny", 1)
    oracle.add_dag(
        "pooled",
        tasks=[
            FakeTask("first", downstream=["second"]),
            FakeTask("second", pool="tiny"),
            FakeTask("other", pool="tiny"),
        ],
    )
    oracle.trigger("pooled", "r1")
    oracle.set_task_state("pooled", "r1", "first", "success")
    oracle.set_task_state("pooled", "r1", "other", "queued")

    async def go() -> list[tuple[Any, Any]]:
        async with AsyncAirflowClient(oracle.url, transport=oracle.transport(), auth=AUTH) as client:
            deps = await client.task_instance.get_task_instance_dependencies("pooled", "r1", "second")
            done = await client.task_instance.get_task_instance_dependencies("pooled", "r1", "first")
            assert given(done.dependencies) == []
            return [(d.name, d.reason) for d in given(deps.dependencies)]

    assert asyncio.run(go()) == [
        (
            "Pool Slots Available",
            "Not scheduling since there are 0 open slots in pool tiny and require 1 pool slots",
        ),
        ("Task Instance State", "Task is in the 'None' state."),
    ]


def test_dependencies_of_mapped_and_future_task_instances(
    oracle: Oracle, client: AirflowClient, clock: Clock
) -> None:
    def tasks() -> list[FakeTask]:
        return [FakeTask("a"), FakeTask("b", downstream=["c"]), FakeTask("c", trigger_rule="one_success")]

    # a run made before its DAG's start date has no task instances: the start date moved on later
    oracle.add_dag("later", tasks=tasks(), start_date=T0 - timedelta(days=1))
    oracle.trigger("later", "r1")
    oracle.add_dag("later", tasks=tasks(), start_date=T0 + timedelta(days=1))
    deps = client.task_instance.get_task_instance_dependencies("later", "r1", "c")
    start = (T0 + timedelta(days=1)).isoformat()
    assert [(d.name, d.reason) for d in given(deps.dependencies)] == [
        (
            "Dagrun Running",
            "Task instance's dagrun was not in the 'running' state but in the state 'queued'.",
        ),
        (
            "Execution Date",
            f"The execution date is {T0.isoformat()} but this is before the task's start date {start}.",
        ),
        (
            "Execution Date",
            f"The execution date is {T0.isoformat()} but this is before the task's DAG's start date {start}.",
        ),
        ("Task Instance State", "Task is in the 'None' state."),
        (
            "Trigger Rule",
            "Task's trigger rule 'one_success' requires one upstream task success, but none were found. "
            + upstream_states(ids="'b'"),
        ),
    ]
    oracle.trigger("example_dynamic_task_mapping", "m1")
    mapped = client.task_instance.get_mapped_task_instance_dependencies(
        "example_dynamic_task_mapping", "m1", "add_one", 2
    )
    assert [d.name for d in given(mapped.dependencies)] == [
        "Dag Not Paused",
        "Dagrun Running",
        "Task Instance State",
    ]
    with pytest.raises(errors.NotFoundError):  # the mapped task has no unmapped instance
        client.task_instance.get_task_instance_dependencies("example_dynamic_task_mapping", "m1", "add_one")


def test_straight_to_the_fake_without_headers_answers_json(clock: Clock) -> None:
    fake = FakeAirflow(now=clock)
    status, body = fake.handle("get_config", Call())
    assert (status, body["title"], body["detail"]) == (403, "Forbidden", NOT_EXPOSED)
    fake.set_config("WEBSERVER", "Expose_Config", "true")
    status, body = fake.handle("getValue", Call({"section": "core", "option": "load_examples"}))
    assert (status, body) == (
        200,
        {"sections": [{"name": "core", "options": [{"key": "load_examples", "value": "True"}]}]},
    )
    status, text = fake.handle(
        "get_config", Call(headers={"accept": "text/plain"}, query={"section": "hive"})
    )
    assert (status, text) == (200, Text("[hive]\ndefault_hive_mapred_queue = \n", "text/plain"))
    fake.set_config("webserver", "expose_config", "maybe")  # not a boolean: the server fails
    assert fake.handle("get_config", Call())[0] == 500
    assert fake.event_logs == []  # reads write nothing
