"""DAG runs, task instances, tries, mapped tasks, XCom, logs and the clear dry runs of a real run
of the smoke DAG."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_rest_v2.api.dag_run import (
    clear_dag_run,
    get_dag_run,
    get_dag_runs,
    get_list_dag_runs_batch,
    get_upstream_asset_events,
    wait_dag_run_until_finished,
)
from airflow_rest_v2.api.extra_links import get_extra_links
from airflow_rest_v2.api.task_instance import (
    get_external_log_url,
    get_hitl_details,
    get_log,
    get_mapped_task_instance,
    get_mapped_task_instance_tries,
    get_mapped_task_instance_try_details,
    get_mapped_task_instances,
    get_task_instance,
    get_task_instance_dependencies,
    get_task_instance_dependencies_by_map_index,
    get_task_instance_tries,
    get_task_instance_try_details,
    get_task_instances,
    get_task_instances_batch,
    patch_task_instance_dry_run,
    patch_task_instance_dry_run_by_map_index,
    post_clear_task_instances,
)
from airflow_rest_v2.api.x_com import get_xcom_entries, get_xcom_entry
from airflow_rest_v2.models import (
    ClearTaskInstanceCollectionResponse,
    ClearTaskInstancesBody,
    DAGRunClearBody,
    DAGRunResponse,
    DAGRunsBatchBody,
    PatchTaskInstanceBody,
    StructuredLogMessage,
    TaskInstancesBatchBody,
    TaskInstanceState,
)

from .conftest import SMOKE_DAG

Call = Callable[..., Any]


def test_dag_runs(call: Call, smoke_run: DAGRunResponse) -> None:
    runs = call(get_dag_runs, SMOKE_DAG, start_date_gte=smoke_run.start_date, order_by=["-start_date"])
    assert smoke_run.dag_run_id in {r.dag_run_id for r in runs.dag_runs}
    everywhere = call(get_dag_runs, "~", limit=5)
    assert everywhere.total_entries >= 1
    run = call(get_dag_run, SMOKE_DAG, smoke_run.dag_run_id)
    assert run.state == "success" and run.start_date.tzinfo is not None
    assert run.conf == {"source": "tests"}
    batch = call(
        get_list_dag_runs_batch, "~", body=DAGRunsBatchBody(dag_ids=[SMOKE_DAG], order_by="-start_date")
    )
    assert smoke_run.dag_run_id in {r.dag_run_id for r in batch.dag_runs}
    events = call(get_upstream_asset_events, SMOKE_DAG, smoke_run.dag_run_id)
    assert events.total_entries == len(events.asset_events)


def test_wait_for_a_finished_run_answers_its_state_and_results(call: Call, smoke_run: DAGRunResponse) -> None:
    text = call(wait_dag_run_until_finished, SMOKE_DAG, smoke_run.dag_run_id, interval=1, result=["push"])
    assert '"state": "success"' in text and '"answer": 42' in text


def test_task_instances(call: Call, smoke_run: DAGRunResponse) -> None:
    run_id = smoke_run.dag_run_id
    tis = call(get_task_instances, SMOKE_DAG, run_id)
    by_task = {(t.task_id, t.map_index): t for t in tis.task_instances}
    assert by_task[("push", -1)].state == TaskInstanceState.SUCCESS
    assert {k for k in by_task if k[0] == "double"} == {("double", 0), ("double", 1)}
    ti = call(get_task_instance, SMOKE_DAG, run_id, "push")
    assert ti.start_date.tzinfo is not None and ti.end_date >= ti.start_date
    assert ti.try_number == 1
    batch = call(
        get_task_instances_batch,
        "~",
        "~",
        body=TaskInstancesBatchBody(
            dag_ids=[SMOKE_DAG], dag_run_ids=[run_id], state=[TaskInstanceState.SUCCESS]
        ),
    )
    assert {t.task_id for t in batch.task_instances} >= {"push", "wait"}
    deps = call(get_task_instance_dependencies, SMOKE_DAG, run_id, "push")
    assert isinstance(deps.dependencies, list)
    assert call(get_extra_links, SMOKE_DAG, run_id, "push").total_entries == 0
    links = call(get_extra_links, SMOKE_DAG, run_id, "trigger")
    assert list(links.extra_links.additional_properties) == ["Triggered DAG"]
    hitl = call(get_hitl_details, SMOKE_DAG, run_id)
    assert hitl.total_entries == 0


def test_task_instance_tries(call: Call, smoke_run: DAGRunResponse) -> None:
    run_id = smoke_run.dag_run_id
    tries = call(get_task_instance_tries, SMOKE_DAG, run_id, "push")
    assert tries.total_entries == 1 and [t.try_number for t in tries.task_instances] == [1]
    one = call(get_task_instance_try_details, SMOKE_DAG, run_id, "push", 1)
    assert one.state == TaskInstanceState.SUCCESS and one.start_date.tzinfo is not None


def test_mapped_task_instances(call: Call, smoke_run: DAGRunResponse) -> None:
    run_id = smoke_run.dag_run_id
    mapped = call(get_mapped_task_instances, SMOKE_DAG, run_id, "double")
    assert sorted(t.map_index for t in mapped.task_instances) == [0, 1]
    assert call(get_mapped_task_instance, SMOKE_DAG, run_id, "double", 1).map_index == 1
    deps = call(get_task_instance_dependencies_by_map_index, SMOKE_DAG, run_id, "double", 0)
    assert isinstance(deps.dependencies, list)
    tries = call(get_mapped_task_instance_tries, SMOKE_DAG, run_id, "double", 0)
    assert [t.map_index for t in tries.task_instances] == [0]
    detail = call(get_mapped_task_instance_try_details, SMOKE_DAG, run_id, "double", 0, 1)
    assert detail.try_number == 1 and detail.map_index == 0


def test_xcom(call: Call, smoke_run: DAGRunResponse) -> None:
    run_id = smoke_run.dag_run_id
    entries = call(get_xcom_entries, SMOKE_DAG, run_id, "push")
    assert {e.key for e in entries.xcom_entries} == {"return_value", "extra"}
    value = call(get_xcom_entry, SMOKE_DAG, run_id, "push", "return_value")
    assert value.timestamp.tzinfo is not None and value.value == {"answer": 42}
    as_string = call(get_xcom_entry, SMOKE_DAG, run_id, "push", "return_value", stringify=True)
    assert "42" in as_string.value and isinstance(as_string.value, str)
    extra = call(get_xcom_entry, SMOKE_DAG, run_id, "push", "extra")
    assert extra.value == "value"
    mapped = call(get_xcom_entries, SMOKE_DAG, run_id, "double", map_index=1)
    assert [e.map_index for e in mapped.xcom_entries] == [1]
    everywhere = call(get_xcom_entries, "~", "~", "~", limit=5)
    assert everywhere.total_entries >= 4


def test_task_log_as_structured_messages(call: Call, smoke_run: DAGRunResponse) -> None:
    log = call(get_log, SMOKE_DAG, smoke_run.dag_run_id, "push", 1, full_content=True)
    events = [m.event for m in log.content if isinstance(m, StructuredLogMessage)]
    assert "airflow-rest smoke: pushing" in events
    mapped = call(get_log, SMOKE_DAG, smoke_run.dag_run_id, "double", 1, map_index=0)
    assert mapped.content


def test_external_log_url_without_an_external_log_handler(call: Call, smoke_run: DAGRunResponse) -> None:
    error = call(get_external_log_url, SMOKE_DAG, smoke_run.dag_run_id, "push", 1, expect=400)
    assert error.detail == "Task log handler does not support external logs."


def test_clear_dag_run_dry_run_returns_the_task_instances(call: Call, smoke_run: DAGRunResponse) -> None:
    result = call(clear_dag_run, SMOKE_DAG, smoke_run.dag_run_id, body=DAGRunClearBody(dry_run=True))
    assert isinstance(result, ClearTaskInstanceCollectionResponse)
    assert {t.task_id for t in result.task_instances} >= {"push", "wait", "double"}


def test_task_instance_dry_run_writes(call: Call, smoke_run: DAGRunResponse) -> None:
    run_id = smoke_run.dag_run_id
    cleared = call(
        post_clear_task_instances,
        SMOKE_DAG,
        body=ClearTaskInstancesBody(dry_run=True, dag_run_id=run_id, task_ids=["push"], only_failed=False),
    )
    assert [t.task_id for t in cleared.task_instances] == ["push"]
    failed = PatchTaskInstanceBody(new_state=TaskInstanceState.FAILED)
    patched = call(patch_task_instance_dry_run, SMOKE_DAG, run_id, "wait", body=failed)
    assert [t.task_id for t in patched.task_instances] == ["wait"]
    mapped = call(patch_task_instance_dry_run_by_map_index, SMOKE_DAG, run_id, "double", 1, body=failed)
    assert [(t.task_id, t.map_index) for t in mapped.task_instances] == [("double", 1)]
