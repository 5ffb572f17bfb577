"""The airflow_rest client against the real Airflow 3: the service both suites run (the same
function runs against Airflow 2 in tests/integration), and what the Airflow 3 client adds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from airflow_rest import Airflow3Client, AsyncAirflow3Client, errors
from airflow_rest.models_v2 import DAGRunResponse

from ..support.service import run_service, unique
from .conftest import PASSWORD, ROOT_URL, SMOKE_DAG, USER


@pytest.fixture(scope="module")
def rest() -> Iterator[Airflow3Client]:
    with Airflow3Client(ROOT_URL, auth=(USER, PASSWORD)) as c:
        yield c


def test_the_service_both_majors_run() -> None:
    run_service(ROOT_URL, (USER, PASSWORD), major=3)


def test_pager_survives_the_server_page_limit(rest: Airflow3Client) -> None:
    # Airflow 3 caps a page at 100 silently: asking for 500 per page still yields every DAG once
    total = rest.dag.get_dags(limit=1).total_entries
    ids = [d.dag_id for d in rest.paginate(rest.dag.get_dags, page_size=500)]
    assert len(ids) == total == len(set(ids))


def test_task_instance_update_reads_the_instance_again(
    rest: Airflow3Client, smoke_run: DAGRunResponse
) -> None:
    ti = rest.update("task_instance", (SMOKE_DAG, smoke_run.dag_run_id, "wait"), note="ti noted")
    assert ti.note == "ti noted" and ti.task_id == "wait" and ti.state == "success"
    run = rest.update("dag_run", (SMOKE_DAG, smoke_run.dag_run_id), note="run noted")
    assert run.note == "run noted"


def test_edit_a_pool(rest: Airflow3Client) -> None:
    name = unique("edit_pool")
    rest.create("pool", name=name, slots=1, include_deferred=True)
    edited = rest.edit("pool", name, lambda pool: setattr(pool, "slots", pool.slots + 2))
    assert (edited.slots, edited.include_deferred) == (3, True)
    rest.delete("pool", name)


def test_typed_errors(rest: Airflow3Client) -> None:
    with pytest.raises(errors.NotFoundError) as not_found:
        rest.dag.get_dag("no_such_dag")
    assert not_found.value.status_code == 404 and "no_such_dag" in str(not_found.value.detail)
    with pytest.raises(errors.ConflictError):
        rest.create("pool", name="default_pool", slots=1)
    with pytest.raises(errors.UnprocessableEntityError) as invalid:
        rest.dag.get_dags(limit=-1)
    assert "query.limit" in str(invalid.value)
    with Airflow3Client(ROOT_URL, auth=(USER, "wrong-password")) as wrong, pytest.raises(errors.LoginError):
        wrong.pool.get_pools()


def test_trigger_wait_and_log_async(smoke_run: DAGRunResponse) -> None:
    async def scenario() -> tuple[str, str]:
        async with AsyncAirflow3Client(ROOT_URL, auth=(USER, PASSWORD)) as c:
            run = await c.trigger_dag_run(SMOKE_DAG, dag_run_id=unique("afacade"))
            done = await c.wait_for_dag_run(SMOKE_DAG, run.dag_run_id, timeout=240, poll_interval=1)
            return str(done.state), await c.task_log(SMOKE_DAG, run.dag_run_id, "push")

    state, log = asyncio.run(scenario())
    assert state == "success" and "airflow-rest smoke: pushing" in log
