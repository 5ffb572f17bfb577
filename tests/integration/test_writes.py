"""The writes users do most: pause with update_mask, trigger, notes and states, CRUD of variables,
pools, connections, users and roles, dataset events, reparsing. Each test cleans up after itself."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from airflow_rest_v1.api.connection import (
    delete_connection,
    get_connection,
    patch_connection,
    post_connection,
)
from airflow_rest_v1.api.dag import get_dag, patch_dag, patch_dags, reparse_dag_file
from airflow_rest_v1.api.dag_run import (
    delete_dag_run,
    post_dag_run,
    set_dag_run_note,
    update_dag_run_state,
)
from airflow_rest_v1.api.dataset import (
    create_dataset_event,
    delete_dag_dataset_queued_event,
    delete_dag_dataset_queued_events,
    delete_dataset_queued_events,
    get_dag_dataset_queued_event,
    get_dag_dataset_queued_events,
    get_dataset_events,
    get_dataset_queued_events,
)
from airflow_rest_v1.api.pool import delete_pool, get_pool, patch_pool, post_pool
from airflow_rest_v1.api.role import delete_role, get_role, patch_role, post_role
from airflow_rest_v1.api.task_instance import set_mapped_task_instance_note, set_task_instance_note
from airflow_rest_v1.api.user import delete_user, patch_user, post_user
from airflow_rest_v1.api.variable import delete_variable, get_variable, patch_variable, post_variables
from airflow_rest_v1.models import (
    DAG,
    Action,
    ActionResource,
    Connection,
    CreateDatasetEvent,
    DAGRun,
    Pool,
    Resource,
    Role,
    SetDagRunNote,
    SetTaskInstanceNote,
    UpdateDagRunState,
    UpdateDagRunStateState,
    User,
    UserRole,
    Variable,
)

from .conftest import SMOKE_DAG

Call = Callable[..., Any]
PAUSABLE = "example_bash_operator"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_pause_and_unpause_with_update_mask(call: Call) -> None:
    before = call(get_dag, PAUSABLE).is_paused
    paused = call(patch_dag, PAUSABLE, body=DAG(is_paused=True), update_mask=["is_paused"])
    assert paused.is_paused is True
    unpaused = call(patch_dag, PAUSABLE, body=DAG(is_paused=False), update_mask=["is_paused"])
    assert unpaused.is_paused is False
    call(patch_dag, PAUSABLE, body=DAG(is_paused=before), update_mask=["is_paused"])


def test_patch_dags_by_pattern(call: Call) -> None:
    result = call(
        patch_dags, body=DAG(is_paused=True), dag_id_pattern="example_branch_d", update_mask=["is_paused"]
    )
    assert result.dags and all(d.is_paused for d in result.dags)


def test_trigger_note_state_and_delete_a_run(call: Call) -> None:
    run_id = unique("write")
    run = call(post_dag_run, PAUSABLE, body=DAGRun(dag_run_id=run_id, note="from tests"))
    assert run.dag_run_id == run_id and run.note == "from tests"
    noted = call(set_dag_run_note, PAUSABLE, run_id, body=SetDagRunNote(note="changed"))
    assert noted.note == "changed"
    failed = call(
        update_dag_run_state, PAUSABLE, run_id, body=UpdateDagRunState(state=UpdateDagRunStateState.FAILED)
    )
    assert failed.state == "failed"
    call(delete_dag_run, PAUSABLE, run_id, expect=204)


def test_task_instance_notes(call: Call, smoke_run: DAGRun) -> None:
    ti = call(
        set_task_instance_note, SMOKE_DAG, smoke_run.dag_run_id, "push", body=SetTaskInstanceNote(note="n1")
    )
    assert ti.note == "n1"
    mapped = call(
        set_mapped_task_instance_note,
        SMOKE_DAG,
        smoke_run.dag_run_id,
        "double",
        0,
        body=SetTaskInstanceNote(note="n2"),
    )
    assert mapped.note == "n2" and mapped.map_index == 0


def test_variable_crud(call: Call) -> None:
    key = unique("var")
    created = call(post_variables, body=Variable(key=key, value="v1", description="made by tests"))
    assert created.key == key and created.value == "v1"
    described = call(
        patch_variable,
        key,
        body=Variable(key=key, value="v1", description="masked"),
        update_mask=["description"],
    )
    assert described.description == "masked"
    # Airflow loads `value` as `val`, so update_mask=value is refused (400 "'value' is unknown or
    # cannot be updated"); a PATCH without a mask replaces the variable instead.
    refused = call(patch_variable, key, body=Variable(key=key, value="v2"), update_mask=["value"], expect=400)
    assert "'value' is unknown or cannot be updated" in str(refused.detail)
    replaced = call(patch_variable, key, body=Variable(key=key, value="v2", description="masked"))
    assert replaced.value == "v2"
    fetched = call(get_variable, key)
    assert fetched.value == "v2" and fetched.description == "masked"
    call(delete_variable, key, expect=204)


def test_pool_crud_with_update_mask_of_two_fields(call: Call) -> None:
    name = unique("pool")
    created = call(post_pool, body=Pool(name=name, slots=2, description="tests"))
    assert created.slots == 2 and created.include_deferred is False
    patched = call(
        patch_pool, name, body=Pool(slots=5, description="changed"), update_mask=["slots", "description"]
    )
    assert (patched.slots, patched.description) == (5, "changed")
    assert call(get_pool, name).slots == 5
    call(delete_pool, name, expect=204)


def test_connection_crud(call: Call) -> None:
    conn_id = unique("conn")
    created = call(
        post_connection,
        body=Connection(
            connection_id=conn_id, conn_type="http", host="example.invalid", port=8080, password="s3cret"
        ),
    )
    assert created.connection_id == conn_id and created.port == 8080
    patched = call(
        patch_connection,
        conn_id,
        body=Connection(connection_id=conn_id, conn_type="http", host="other.invalid"),
        update_mask=["host"],
    )
    assert patched.host == "other.invalid" and patched.port == 8080
    fetched = call(get_connection, conn_id)
    assert fetched.host == "other.invalid"
    call(delete_connection, conn_id, expect=204)


def test_user_and_role_crud(call: Call) -> None:
    role_name = unique("role")
    role = call(
        post_role,
        body=Role(
            name=role_name,
            actions=[ActionResource(action=Action(name="can_read"), resource=Resource(name="DAGs"))],
        ),
    )
    assert role.to_dict() == {}  # Airflow 2.11 answers a created role with an empty object
    assert call(get_role, role_name).name == role_name
    # PATCH adds the actions it is given and keeps the ones the role had (Airflow syncs, never revokes)
    more = [ActionResource(action=Action(name="can_edit"), resource=Resource(name="DAGs"))]
    grown = call(patch_role, role_name, body=Role(name=role_name, actions=more), update_mask=["actions"])
    pairs = {(a.action.name, a.resource.name) for a in grown.actions}
    assert pairs == {("can_read", "DAGs"), ("can_edit", "DAGs")}
    username = unique("user")
    user = call(
        post_user,
        body=User(
            username=username,
            email=f"{username}@example.invalid",
            first_name="Test",
            last_name="User",
            password="pw-1234567",
            roles=[UserRole(name="Viewer")],
        ),
    )
    assert user.username == username
    # the body must carry the required fields even when update_mask names only one
    body = User(
        username=username, email=f"{username}@example.invalid", first_name="Test", last_name="Changed"
    )
    patched = call(patch_user, username, body=body, update_mask=["last_name"])
    assert patched.last_name == "Changed"
    call(delete_user, username, expect=204)
    call(delete_role, role_name, expect=204)


def test_dataset_events_and_queued_events(call: Call) -> None:
    # airflow_rest_consumer waits for datasets a and b: an event for `a` alone stays queued
    uri, consumer = "airflow-rest://a/", "airflow_rest_consumer"  # Airflow adds the trailing slash
    event = call(create_dataset_event, body=CreateDatasetEvent(dataset_uri=uri))
    assert event.dataset_uri == uri and event.timestamp.tzinfo is not None
    events = call(get_dataset_events, dataset_id=event.dataset_id, order_by="-timestamp")
    assert events.dataset_events[0].id == event.id
    queued = call(get_dataset_queued_events, uri)
    assert consumer in {q.dag_id for q in queued.queued_events}
    per_dag = call(get_dag_dataset_queued_events, consumer)
    assert uri in {q.uri for q in per_dag.queued_events}
    one = call(get_dag_dataset_queued_event, consumer, uri)
    assert one.uri == uri and one.created_at.tzinfo is not None
    call(delete_dag_dataset_queued_event, consumer, uri, expect=204)
    call(create_dataset_event, body=CreateDatasetEvent(dataset_uri=uri))
    call(delete_dag_dataset_queued_events, consumer, expect=204)
    call(create_dataset_event, body=CreateDatasetEvent(dataset_uri=uri))
    call(delete_dataset_queued_events, uri, expect=204)


def test_reparse_dag_file(call: Call, smoke_dag: DAG) -> None:
    call(reparse_dag_file, smoke_dag.file_token, expect=201)
