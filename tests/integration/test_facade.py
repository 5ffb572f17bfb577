"""The airflow_rest client against the real server: paging, update_mask, runs, logs, typed errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from airflow_rest import AirflowClient, AsyncAirflowClient, errors
from airflow_rest.models import Connection, DAGRun, Pool, Role, User, Variable

from ..support.service import run_service
from .conftest import PASSWORD, ROOT_URL, SMOKE_DAG, USER


@pytest.fixture(scope="module")
def rest() -> Iterator[AirflowClient]:
    with AirflowClient(ROOT_URL, auth=(USER, PASSWORD)) as c:
        yield c


def aclient() -> AsyncAirflowClient:
    return AsyncAirflowClient(ROOT_URL, auth=(USER, PASSWORD))


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_the_service_both_majors_run() -> None:
    """The same function runs against Airflow 3 in tests/integration_v2/test_facade.py."""
    run_service(ROOT_URL, (USER, PASSWORD), major=2)


def test_page_through_all_task_instances_sync_and_async(rest: AirflowClient, smoke_run: DAGRun) -> None:
    total = rest.task_instance.get_task_instances(dag_id="~", dag_run_id="~", limit=1).total_entries
    assert total >= 5
    keys = [
        (t.dag_id, t.dag_run_id, t.task_id, t.map_index)
        for t in rest.paginate(
            rest.task_instance.get_task_instances,
            dag_id="~",
            dag_run_id="~",
            page_size=3,
        )
    ]
    assert len(keys) == total and len(set(keys)) == total

    async def gather() -> list[tuple[object, ...]]:
        async with aclient() as c:
            return [
                (t.dag_id, t.dag_run_id, t.task_id, t.map_index)
                async for t in c.paginate(
                    c.task_instance.get_task_instances,
                    dag_id="~",
                    dag_run_id="~",
                    page_size=3,
                    concurrency=4,
                )
            ]

    assert asyncio.run(gather()) == keys


def test_pager_survives_the_server_page_limit(rest: AirflowClient) -> None:
    # [api] maximum_page_limit is 100: asking for 500 per page still yields every DAG once
    total = rest.dag.get_dags(limit=1).total_entries
    ids = [d.dag_id for d in rest.paginate(rest.dag.get_dags, page_size=500)]
    assert len(ids) == total == len(set(ids))


def test_pause_and_unpause_with_update_mask(rest: AirflowClient) -> None:
    before = rest.dag.get_dag("example_bash_operator").is_paused
    assert rest.update("dag", "example_bash_operator", is_paused=True).is_paused is True
    assert (
        rest.edit("dag", "example_bash_operator", lambda d: setattr(d, "is_paused", False)).is_paused is False
    )
    rest.update("dag", "example_bash_operator", is_paused=before)
    with pytest.raises(ValueError, match="it updates: is_paused"):
        rest.update("dag", "example_bash_operator", description="no")


def test_trigger_wait_states_and_log(rest: AirflowClient, smoke_run: DAGRun) -> None:
    run = rest.dag_run.post_dag_run(SMOKE_DAG, body=DAGRun(dag_run_id=unique("facade")))
    done = rest.wait_for_dag_run(SMOKE_DAG, run.dag_run_id, timeout=240, poll_interval=1)
    assert done.state == "success" and done.end_date is not None and done.end_date.tzinfo is not None
    states = {
        t.task_id: t.state
        for t in rest.task_instance.get_task_instances(SMOKE_DAG, run.dag_run_id).task_instances
    }
    assert set(states.values()) == {"success"}
    log = rest.task_instance.get_log(SMOKE_DAG, run.dag_run_id, "push", 1, full_content=True)
    assert "airflow-rest smoke: pushing" in str(log.content)


def test_trigger_and_wait_async(smoke_run: DAGRun) -> None:
    async def scenario() -> DAGRun:
        async with aclient() as c:
            run = await c.dag_run.post_dag_run(SMOKE_DAG, body=DAGRun(dag_run_id=unique("afacade")))
            return await c.wait_for_dag_run(SMOKE_DAG, run.dag_run_id, timeout=240, poll_interval=1)

    assert asyncio.run(scenario()).state == "success"


def test_typed_errors_404_409_403(rest: AirflowClient) -> None:
    with pytest.raises(errors.NotFoundError) as not_found:
        rest.dag.get_dag("no_such_dag")
    assert not_found.value.status_code == 404 and not_found.value.title == "DAG not found"
    with pytest.raises(errors.ConflictError) as conflict:
        rest.pool.post_pool(body=Pool(name="default_pool", slots=1))
    assert "default_pool" in str(conflict.value)
    with (
        AirflowClient(ROOT_URL, auth=(USER, "wrong-password")) as wrong,
        pytest.raises(errors.PermissionDeniedError) as denied,
    ):
        wrong.pool.get_pools()
    assert "wrong-password" not in repr(denied.value) + str(denied.value)
    with pytest.raises(errors.BadRequestError) as bad:
        rest.dag.get_dags(order_by="nope")
    assert "nope" in str(bad.value.detail)


def test_typed_errors_async() -> None:
    async def scenario() -> None:
        async with aclient() as c:
            with pytest.raises(errors.NotFoundError):
                await c.dag.get_dag("no_such_dag")
            with pytest.raises(errors.ConflictError):
                await c.pool.post_pool(body=Pool(name="default_pool", slots=1))

    asyncio.run(scenario())


def test_update_and_edit_each_resource(rest: AirflowClient, smoke_run: DAGRun) -> None:
    pool = unique("pool")
    rest.pool.post_pool(body=Pool(name=pool, slots=1))
    assert rest.update("pool", pool, slots=3, description="d").slots == 3
    assert rest.edit("pool", pool, lambda p: setattr(p, "slots", p.slots + 1)).slots == 4
    rest.pool.delete_pool(pool)

    key = unique("var")
    rest.variable.post_variables(body=Variable(key=key, value="1", description="first"))
    changed = rest.update("variable", key, value="2")
    assert (changed.value, changed.description) == ("2", "first")
    described = rest.update("variable", key, description="second")
    assert (described.value, described.description) == ("2", "second")
    rest.variable.delete_variable(key)
    rest.variable.post_variables(body=Variable(key=key, value="1"))  # no description: the server keeps null
    assert rest.update("variable", key, value="2").description is None
    rest.variable.delete_variable(key)

    conn = unique("conn")
    rest.connection.post_connection(body=Connection(connection_id=conn, conn_type="http", port=1))
    updated = rest.update("connection", conn, host="h.invalid")
    assert (updated.host, updated.conn_type, updated.port) == ("h.invalid", "http", 1)
    rest.connection.delete_connection(conn)

    role = unique("role")
    rest.role.post_role(body=Role(name=role, actions=[]))
    grown = rest.update(
        "role", role, actions=[{"action": {"name": "can_read"}, "resource": {"name": "DAGs"}}]
    )
    assert [(a.action.name, a.resource.name) for a in grown.actions] == [("can_read", "DAGs")]

    name = unique("user")
    rest.user.post_user(
        body=User(
            username=name, email=f"{name}@example.invalid", first_name="F", last_name="L", password="pw-12345"
        )
    )
    assert rest.update("user", name, last_name="Changed").last_name == "Changed"
    rest.user.delete_user(name)
    rest.role.delete_role(role)

    run = smoke_run.dag_run_id
    assert rest.update("dag_run", (SMOKE_DAG, run), note="noted").note == "noted"
    ti = rest.update("task_instance", (SMOKE_DAG, run, "wait"), note="ti noted")
    assert ti.note == "ti noted" and ti.state == "success"


def test_update_async(smoke_run: DAGRun) -> None:
    async def scenario() -> str | None:
        async with aclient() as c:
            run = await c.update("dag_run", (SMOKE_DAG, smoke_run.dag_run_id), note="async note")
            return run.note

    assert asyncio.run(scenario()) == "async note"
