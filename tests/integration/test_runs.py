"""DAG runs, task instances, tries, mapped tasks, XCom and logs of a real run of the smoke DAG."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_rest_v1.api.dag import post_clear_task_instances, post_set_task_instances_state
from airflow_rest_v1.api.dag_run import (
    clear_dag_run,
    get_dag_run,
    get_dag_runs,
    get_dag_runs_batch,
    get_upstream_dataset_events,
)
from airflow_rest_v1.api.task_instance import (
    get_extra_links,
    get_log,
    get_mapped_task_instance,
    get_mapped_task_instance_dependencies,
    get_mapped_task_instance_tries,
    get_mapped_task_instance_try_details,
    get_mapped_task_instances,
    get_task_instance,
    get_task_instance_dependencies,
    get_task_instance_tries,
    get_task_instance_try_details,
    get_task_instances,
    get_task_instances_batch,
    patch_mapped_task_instance,
    patch_task_instance,
)
from airflow_rest_v1.api.x_com import get_xcom_entries, get_xcom_entry
from airflow_rest_v1.models import (
    ClearDagRun,
    ClearTaskInstances,
    DAGRun,
    ListDagRunsForm,
    ListTaskInstanceForm,
    TaskInstanceCollection,
    TaskState,
    UpdateTaskInstance,
    UpdateTaskInstancesState,
    UpdateTaskState,
)

from .conftest import SMOKE_DAG

Call = Callable[..., Any]


def test_dag_runs(call: Call, smoke_run: DAGRun) -> None:
    runs = call(get_dag_runs, SMOKE_DAG, start_date_gte=smoke_run.start_date, order_by="-start_date")
    assert smoke_run.dag_run_id in {r.dag_run_id for r in runs.dag_runs}
    run = call(get_dag_run, SMOKE_DAG, smoke_run.dag_run_id)
    assert run.state == "success" and run.start_date.tzinfo is not None
    assert run.conf == {"source": "tests"}
    form = ListDagRunsForm(dag_ids=[SMOKE_DAG], start_date_gte=smoke_run.start_date, order_by="-start_date")
    batch = call(get_dag_runs_batch, body=form)
    assert smoke_run.dag_run_id in {r.dag_run_id for r in batch.dag_runs}
    events = call(get_upstream_dataset_events, SMOKE_DAG, smoke_run.dag_run_id)
    assert events.total_entries == len(events.dataset_events)


def test_task_instances(call: Call, smoke_run: DAGRun) -> None:
    run_id = smoke_run.dag_run_id
    tis = call(get_task_instances, SMOKE_DAG, run_id)
    by_task = {(t.task_id, t.map_index): t for t in tis.task_instances}
    assert by_task[("push", -1)].state == TaskState.SUCCESS
    assert {k for k in by_task if k[0] == "double"} == {("double", 0), ("double", 1)}
    ti = call(get_task_instance, SMOKE_DAG, run_id, "push")
    assert ti.start_date.tzinfo is not None and ti.end_date >= ti.start_date
    assert ti.try_number == 1
    batch = call(
        get_task_instances_batch, body=ListTaskInstanceForm(dag_ids=[SMOKE_DAG], state=[TaskState.SUCCESS])
    )
    assert {t.task_id for t in batch.task_instances} >= {"push", "wait"}
    deps = call(get_task_instance_dependencies, SMOKE_DAG, run_id, "push")
    assert isinstance(deps.dependencies, list)
    assert call(get_extra_links, SMOKE_DAG, run_id, "push").to_dict() == {}
    links = call(get_extra_links, SMOKE_DAG, run_id, "trigger")
    assert list(links.additional_properties) == ["Triggered DAG"]
    assert links["Triggered DAG"].startswith("/dags/airflow_rest_target/")


def test_task_instance_tries(call: Call, smoke_run: DAGRun) -> None:
    run_id = smoke_run.dag_run_id
    tries = call(get_task_instance_tries, SMOKE_DAG, run_id, "push")
    assert tries.total_entries == 1 and [t.try_number for t in tries.task_instances] == [1]
    one = call(get_task_instance_try_details, SMOKE_DAG, run_id, "push", 1)
    assert one.state == TaskState.SUCCESS and one.start_date.tzinfo is not None


def test_mapped_task_instances(call: Call, smoke_run: DAGRun) -> None:
    run_id = smoke_run.dag_run_id
    mapped = call(get_mapped_task_instances, SMOKE_DAG, run_id, "double")
    assert sorted(t.map_index for t in mapped.task_instances) == [0, 1]
    assert call(get_mapped_task_instance, SMOKE_DAG, run_id, "double", 1).map_index == 1
    deps = call(get_mapped_task_instance_dependencies, SMOKE_DAG, run_id, "double", 0)
    assert isinstance(deps.dependencies, list)
    tries = call(get_mapped_task_instance_tries, SMOKE_DAG, run_id, "double", 0)
    assert [t.map_index for t in tries.task_instances] == [0]
    detail = call(get_mapped_task_instance_try_details, SMOKE_DAG, run_id, "double", 0, 1)
    assert detail.try_number == 1 and detail.map_index == 0


def test_xcom(call: Call, smoke_run: DAGRun) -> None:
    run_id = smoke_run.dag_run_id
    entries = call(get_xcom_entries, SMOKE_DAG, run_id, "push")
    assert {e.key for e in entries.xcom_entries} == {"return_value", "extra"}
    value = call(get_xcom_entry, SMOKE_DAG, run_id, "push", "return_value")
    assert value.timestamp.tzinfo is not None and "42" in str(value.value)
    native = call(get_xcom_entry, SMOKE_DAG, run_id, "push", "extra", stringify=False)
    assert native.value == "value"
    as_json = call(get_xcom_entry, SMOKE_DAG, run_id, "push", "return_value", stringify=False)
    assert as_json.value == {"answer": 42}  # the JSON value itself, not a wrapper model


def test_task_log_as_json(call: Call, smoke_run: DAGRun) -> None:
    log = call(get_log, SMOKE_DAG, smoke_run.dag_run_id, "push", 1, full_content=True)
    assert "airflow-rest smoke: pushing" in str(log.content)


def test_clear_dag_run_dry_run_returns_the_task_instances(call: Call, smoke_run: DAGRun) -> None:
    result = call(clear_dag_run, SMOKE_DAG, smoke_run.dag_run_id, body=ClearDagRun(dry_run=True))
    assert isinstance(result, TaskInstanceCollection)
    assert {t.task_id for t in result.task_instances} >= {"push", "wait", "double"}


def test_task_instance_dry_run_writes(call: Call, smoke_run: DAGRun) -> None:
    run_id = smoke_run.dag_run_id
    cleared = call(
        post_clear_task_instances,
        SMOKE_DAG,
        body=ClearTaskInstances(dry_run=True, dag_run_id=run_id, task_ids=["push"], only_failed=False),
    )
    assert [t.task_id for t in cleared.task_instances] == ["push"]
    states = call(
        post_set_task_instances_state,
        SMOKE_DAG,
        body=UpdateTaskInstancesState(
            dry_run=True,
            task_id="wait",
            dag_run_id=run_id,
            new_state=UpdateTaskState.FAILED,
            include_upstream=False,
            include_downstream=False,
            include_future=False,
            include_past=False,
        ),
    )
    assert [t.task_id for t in states.task_instances] == ["wait"]
    patched = call(
        patch_task_instance,
        SMOKE_DAG,
        run_id,
        "wait",
        body=UpdateTaskInstance(dry_run=True, new_state=UpdateTaskState.FAILED),
    )
    assert patched.task_id == "wait"
    mapped = call(
        patch_mapped_task_instance,
        SMOKE_DAG,
        run_id,
        "double",
        1,
        body=UpdateTaskInstance(dry_run=True, new_state=UpdateTaskState.FAILED),
    )
    assert mapped.task_id == "double"
