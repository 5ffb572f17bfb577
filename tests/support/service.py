"""One service written against the ``airflow_rest`` facade, the same on Airflow 2 and 3: both
integration suites run it through ``airflow_rest.connect(root, auth=(user, password))`` against
their real server. It uses only what the facade offers on both majors: trigger and wait, task_log,
paginate, update/create/read/delete, and the typed errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import airflow_rest
from airflow_rest import errors

SMOKE_DAG = "airflow_rest_smoke"  # its task `push` logs the line below; the run takes seconds
SMOKE_LOG_LINE = "airflow-rest smoke: pushing"
PAUSABLE = "example_bash_operator"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def run_service(root_url: str, auth: tuple[str, str], *, major: int) -> None:
    """Connect, then do what a service does with Airflow; asserts what each step answers."""
    with airflow_rest.connect(root_url, auth=auth, timeout=60) as client:
        assert client.airflow_major == major
        trigger_wait_and_read_the_log(client)
        page_dags_and_runs(client)
        pause_and_restore(client)
        crud_variable(client)
        crud_pool(client)
        crud_connection(client)
        with pytest.raises(errors.NotFoundError) as missing:
            client.read("pool", unique("no_such_pool"))
        assert missing.value.status_code == 404 and missing.value.detail


def trigger_wait_and_read_the_log(client: Any) -> None:
    client.update("dag", SMOKE_DAG, is_paused=False)
    run = client.trigger_dag_run(SMOKE_DAG, dag_run_id=unique("service"), conf={"source": "service"})
    done = client.wait_for_dag_run(SMOKE_DAG, run.dag_run_id, timeout=240, poll_interval=1)
    assert done.state == "success" and done.conf == {"source": "service"}
    assert done.end_date is not None and done.end_date.tzinfo is not None
    assert SMOKE_LOG_LINE in client.task_log(SMOKE_DAG, run.dag_run_id, "push")


def page_dags_and_runs(client: Any) -> None:
    total = client.dag.get_dags(limit=1).total_entries
    ids = [dag.dag_id for dag in client.paginate(client.dag.get_dags, page_size=25)]
    assert len(ids) == total == len(set(ids)) and SMOKE_DAG in ids
    runs = [
        run.dag_run_id for run in client.paginate(client.dag_run.get_dag_runs, dag_id=SMOKE_DAG, page_size=2)
    ]
    assert len(runs) == len(set(runs)) >= 1
    assert len(runs) == client.dag_run.get_dag_runs(SMOKE_DAG, limit=1).total_entries


def pause_and_restore(client: Any) -> None:
    before = client.read("dag", PAUSABLE).is_paused
    assert client.update("dag", PAUSABLE, is_paused=not before).is_paused is (not before)
    assert client.update("dag", PAUSABLE, is_paused=before).is_paused is before


def crud_variable(client: Any) -> None:
    key = unique("service_var")
    created = client.create("variable", key=key, value="1", description="made by a service")
    assert (created.key, created.value) == (key, "1")
    changed = client.update("variable", key, value="2")
    assert (changed.value, changed.description) == ("2", "made by a service")
    described = client.update("variable", key, description="changed")
    assert (described.value, described.description) == ("2", "changed")
    assert client.read("variable", key).value == "2"
    client.delete("variable", key)
    with pytest.raises(errors.NotFoundError):
        client.read("variable", key)


def crud_pool(client: Any) -> None:
    name = unique("service_pool")
    assert client.create("pool", name=name, slots=2).slots == 2
    assert client.update("pool", name, slots=4).slots == 4
    described = client.update("pool", name, description="nightly")
    assert (described.slots, described.description) == (4, "nightly")
    assert client.read("pool", name).description == "nightly"
    client.delete("pool", name)
    with pytest.raises(errors.NotFoundError):
        client.delete("pool", name)


def crud_connection(client: Any) -> None:
    conn_id = unique("service_conn")
    created = client.create("connection", connection_id=conn_id, conn_type="http", host="a.invalid", port=1)
    assert (created.host, created.port) == ("a.invalid", 1)
    updated = client.update("connection", conn_id, host="b.invalid")
    assert (updated.host, updated.conn_type, updated.port) == ("b.invalid", "http", 1)
    assert client.read("connection", conn_id).host == "b.invalid"
    client.delete("connection", conn_id)
    with pytest.raises(errors.NotFoundError):
        client.read("connection", conn_id)
