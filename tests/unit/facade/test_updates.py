"""``update``/``edit`` send only the changed fields with Airflow's update_mask; ``wait_for_dag_run`` polls.

Each scenario runs on ``AirflowClient`` and ``AsyncAirflowClient`` (the ``mode`` parameter) and checks
the exact requests: method, path, query, JSON body and how many were sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import AirflowClient, AsyncAirflowClient, errors
from airflow_rest_v1.models import (
    DAG,
    ActionResource,
    Connection,
    DAGRun,
    Pool,
    Role,
    TaskInstance,
    UserCollectionItem,
    Variable,
)

from .conftest import arun, async_client, problem, sync_client

BOTH = pytest.mark.parametrize("mode", ["sync", "async"])
Client = AirflowClient | AsyncAirflowClient

POOL = {
    "name": "p",
    "slots": 4,
    "occupied_slots": 1,
    "running_slots": 1,
    "queued_slots": 0,
    "scheduled_slots": 0,
    "deferred_slots": 0,
    "open_slots": 3,
    "description": "old",
    "include_deferred": False,
}
VARIABLE = {"key": "v", "value": "old", "description": "kept"}
CONNECTION = {
    "connection_id": "c",
    "conn_type": "postgres",
    "description": None,
    "host": "old-host",
    "login": "me",
    "schema": "db",
    "port": 5432,
    "extra": None,
}
USER = {
    "username": "bob",
    "email": "bob@example.com",
    "first_name": "Bob",
    "last_name": "Old",
    "roles": [{"name": "Viewer"}],
    "active": True,
    "login_count": 3,
    "failed_login_count": 0,
    "created_on": "2024-01-01T00:00:00+00:00",
    "changed_on": "2024-01-01T00:00:00+00:00",
    "last_login": None,
}
ACTIONS = [{"action": {"name": "can_read"}, "resource": {"name": "DAGs"}}]
ROLE = {"name": "r", "actions": ACTIONS}


def dag_run_json(state: str, note: str | None = None, dag_run_id: str = "run1") -> dict[str, Any]:
    return {"dag_id": "d", "dag_run_id": dag_run_id, "state": state, "note": note}


def run(mode: str, fn: Callable[[Any], Any], *, prepare: Callable[[Client], None] | None = None) -> Any:
    """``fn(client)`` on a sync or async client (``fn`` returns a coroutine for the async one)."""
    client: Client = sync_client() if mode == "sync" else async_client()
    if prepare is not None:
        prepare(client)
    if isinstance(client, AirflowClient):
        with client:
            return fn(client)
    return arun(client, fn)


def sent(httpx_mock: HTTPXMock) -> list[tuple[str, str, dict[str, str], Any]]:
    """Every request as (method, path, query parameters, JSON body or None)."""
    return [
        (r.method, r.url.path, dict(r.url.params), json.loads(r.content) if r.content else None)
        for r in httpx_mock.get_requests()
    ]


# --- 1-6: a PATCH with update_mask and only the changed (plus required) fields --------------------


@BOTH
def test_update_dag_pauses_with_one_masked_patch(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="PATCH", json={"dag_id": "d1", "is_paused": True})
    dag = run(mode, lambda c: c.update("dag", "d1", is_paused=True))
    assert sent(httpx_mock) == [
        ("PATCH", "/api/v1/dags/d1", {"update_mask": "is_paused"}, {"is_paused": True})
    ]
    assert isinstance(dag, DAG)
    assert dag.dag_id == "d1"
    assert dag.is_paused is True


@BOTH
def test_update_pool_sends_the_two_fields_and_a_sorted_mask(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="PATCH", json=POOL | {"slots": 5, "description": "x"})
    pool = run(mode, lambda c: c.update("pool", "p", slots=5, description="x"))
    assert sent(httpx_mock) == [
        ("PATCH", "/api/v1/pools/p", {"update_mask": "description,slots"}, {"slots": 5, "description": "x"})
    ]
    assert isinstance(pool, Pool)
    assert (pool.slots, pool.description) == (5, "x")


@BOTH
def test_update_variable_value_replaces_it_without_a_mask_keeping_the_description(
    httpx_mock: HTTPXMock, mode: str
) -> None:
    httpx_mock.add_response(method="GET", json=VARIABLE)
    httpx_mock.add_response(method="PATCH", json=VARIABLE | {"value": "new"})
    variable = run(mode, lambda c: c.update("variable", "v", value="new"))
    assert sent(httpx_mock) == [
        ("GET", "/api/v1/variables/v", {}, None),
        ("PATCH", "/api/v1/variables/v", {}, {"key": "v", "value": "new", "description": "kept"}),
    ]
    assert isinstance(variable, Variable)
    assert variable.value == "new"


@BOTH
def test_update_variable_description_is_masked_and_keeps_the_value(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="GET", json=VARIABLE)
    httpx_mock.add_response(method="PATCH", json=VARIABLE | {"description": "new"})
    variable = run(mode, lambda c: c.update("variable", "v", description="new"))
    assert sent(httpx_mock) == [
        ("GET", "/api/v1/variables/v", {}, None),
        (
            "PATCH",
            "/api/v1/variables/v",
            {"update_mask": "description"},
            {"key": "v", "value": "old", "description": "new"},
        ),
    ]
    assert variable.description == "new"


@BOTH
def test_update_variable_leaves_out_a_null_description(httpx_mock: HTTPXMock, mode: str) -> None:
    # the server sends "description": null but refuses it in a body ("Field may not be null")
    httpx_mock.add_response(method="GET", json=VARIABLE | {"description": None})
    httpx_mock.add_response(method="PATCH", json=VARIABLE | {"description": None, "value": "new"})
    run(mode, lambda c: c.update("variable", "v", value="new"))
    assert sent(httpx_mock)[1] == ("PATCH", "/api/v1/variables/v", {}, {"key": "v", "value": "new"})


@BOTH
def test_update_variable_refuses_an_explicit_null_before_any_request(
    httpx_mock: HTTPXMock, mode: str
) -> None:
    with pytest.raises(ValueError, match="refuses null for 'description'"):
        run(mode, lambda c: c.update("variable", "v", description=None))
    assert httpx_mock.get_requests() == []


@BOTH
def test_update_connection_reads_its_conn_type_first(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="GET", json=CONNECTION)
    httpx_mock.add_response(method="PATCH", json=CONNECTION | {"host": "h"})
    connection = run(mode, lambda c: c.update("connection", "c", host="h"))
    assert sent(httpx_mock) == [
        ("GET", "/api/v1/connections/c", {}, None),
        (
            "PATCH",
            "/api/v1/connections/c",
            {"update_mask": "host"},
            {"connection_id": "c", "conn_type": "postgres", "host": "h"},
        ),
    ]
    assert isinstance(connection, Connection)
    assert connection.host == "h"


@BOTH
def test_update_connection_with_its_conn_type_needs_no_get(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="PATCH", json=CONNECTION | {"conn_type": "mysql", "host": "h"})
    run(mode, lambda c: c.update("connection", "c", conn_type="mysql", host="h"))
    assert sent(httpx_mock) == [
        (
            "PATCH",
            "/api/v1/connections/c",
            {"update_mask": "conn_type,host"},
            {"connection_id": "c", "conn_type": "mysql", "host": "h"},
        ),
    ]


@BOTH
def test_update_user_fills_the_required_fields_from_a_get(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="GET", json=USER)
    httpx_mock.add_response(method="PATCH", json=USER | {"last_name": "L"})
    user = run(mode, lambda c: c.update("user", "bob", last_name="L"))
    assert sent(httpx_mock) == [
        ("GET", "/api/v1/users/bob", {}, None),
        (
            "PATCH",
            "/api/v1/users/bob",
            {"update_mask": "last_name"},
            {"username": "bob", "email": "bob@example.com", "first_name": "Bob", "last_name": "L"},
        ),
    ]
    assert isinstance(user, UserCollectionItem)  # what Airflow's spec says PATCH /users/{username} returns
    assert user.last_name == "L"


@BOTH
@pytest.mark.parametrize(
    "actions", [ACTIONS, [ActionResource.from_dict(a) for a in ACTIONS]], ids=["dicts", "models"]
)
def test_update_role_actions_needs_no_get(httpx_mock: HTTPXMock, mode: str, actions: list[Any]) -> None:
    httpx_mock.add_response(method="PATCH", json=ROLE)
    role = run(mode, lambda c: c.update("role", "r", actions=actions))
    assert sent(httpx_mock) == [
        ("PATCH", "/api/v1/roles/r", {"update_mask": "actions"}, {"name": "r", "actions": ACTIONS}),
    ]
    assert isinstance(role, Role)
    assert role.name == "r"


# --- 7: DAG runs and task instances change through their state and note endpoints ---------------


@BOTH
def test_update_dag_run_sets_state_then_note_then_reads_it(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="PATCH", json=dag_run_json("failed"))
    httpx_mock.add_response(method="PATCH", json=dag_run_json("failed", "n"))
    httpx_mock.add_response(method="GET", json=dag_run_json("failed", "n", dag_run_id="run1"))
    dag_run = run(mode, lambda c: c.update("dag_run", ("d", "run1"), state="failed", note="n"))
    assert sent(httpx_mock) == [
        ("PATCH", "/api/v1/dags/d/dagRuns/run1", {}, {"state": "failed"}),
        ("PATCH", "/api/v1/dags/d/dagRuns/run1/setNote", {}, {"note": "n"}),
        ("GET", "/api/v1/dags/d/dagRuns/run1", {}, None),
    ]
    assert isinstance(dag_run, DAGRun)
    assert (dag_run.state, dag_run.note) == ("failed", "n")


@BOTH
def test_update_task_instance_state_is_not_a_dry_run(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(
        method="PATCH",
        json={"task_instances": [{"dag_id": "d", "dag_run_id": "run1", "task_id": "t"}]},
    )
    httpx_mock.add_response(
        method="GET", json={"dag_id": "d", "dag_run_id": "run1", "task_id": "t", "state": "success"}
    )
    ti = run(mode, lambda c: c.update("task_instance", ("d", "run1", "t"), state="success"))
    assert sent(httpx_mock) == [
        (
            "PATCH",
            "/api/v1/dags/d/dagRuns/run1/taskInstances/t",
            {},
            {"new_state": "success", "dry_run": False},
        ),
        ("GET", "/api/v1/dags/d/dagRuns/run1/taskInstances/t", {}, None),
    ]
    assert isinstance(ti, TaskInstance)
    assert ti.state == "success"


# --- 8: edit reads, lets a callback change the model, sends what changed ------------------------


@BOTH
def test_edit_pool_sends_only_what_the_callback_changed(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="GET", json=POOL)
    httpx_mock.add_response(method="PATCH", json=POOL | {"slots": 5})
    pool = run(mode, lambda c: c.edit("pool", "p", lambda pool: setattr(pool, "slots", pool.slots + 1)))
    assert sent(httpx_mock) == [
        ("GET", "/api/v1/pools/p", {}, None),
        ("PATCH", "/api/v1/pools/p", {"update_mask": "slots"}, {"slots": 5}),
    ]
    assert pool.slots == 5


@BOTH
def test_edit_of_a_read_only_field_is_refused_after_the_get(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="GET", json=POOL)
    with pytest.raises(ValueError, match="occupied_slots") as info:
        run(mode, lambda c: c.edit("pool", "p", lambda pool: setattr(pool, "occupied_slots", 0)))
    assert "name, slots, description, include_deferred" in str(info.value)
    assert sent(httpx_mock) == [("GET", "/api/v1/pools/p", {}, None)]


@BOTH
def test_edit_that_changes_nothing_is_refused_after_the_get(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="GET", json=POOL)
    with pytest.raises(ValueError, match="nothing to update"):
        run(mode, lambda c: c.edit("pool", "p", lambda pool: None))
    assert sent(httpx_mock) == [("GET", "/api/v1/pools/p", {}, None)]


# --- 9: bad arguments are refused before any request ---------------------------------------------

REFUSED = [
    pytest.param(lambda c: c.update("nope", "x", a=1), ValueError, "cannot update 'nope'", id="unknown-kind"),
    pytest.param(
        lambda c: c.edit("nope", "x", lambda m: None),
        ValueError,
        "cannot update 'nope'",
        id="edit-unknown-kind",
    ),
    pytest.param(
        lambda c: c.update("dag", "d", description="x"),
        ValueError,
        r"'description' on a dag; it updates: is_paused",
        id="field-not-updatable",
    ),
    pytest.param(
        lambda c: c.update("pool", "p", slots=1, occupied_slots=0),
        ValueError,
        "occupied_slots",
        id="read-only-field",
    ),
    pytest.param(lambda c: c.update("pool", "p"), ValueError, "nothing to update", id="no-fields"),
    pytest.param(
        lambda c: c.update("dag_run", "only-one", state="failed"),
        TypeError,
        r"\(dag_id, dag_run_id\)",
        id="key-shape",
    ),
    pytest.param(
        lambda c: c.update("dag_run", "only-one"), TypeError, "dag_run_id", id="key-shape-no-fields"
    ),
    pytest.param(lambda c: c.update("pool", ("a", "b"), slots=1), TypeError, "pool_name", id="tuple-key"),
    pytest.param(lambda c: c.update("pool", "", slots=1), TypeError, "pool_name", id="empty-key"),
    pytest.param(
        lambda c: c.edit("task_instance", ("d", "r"), lambda m: None),
        TypeError,
        "task_id",
        id="edit-key-shape",
    ),
]


@BOTH
@pytest.mark.parametrize(("call", "error", "message"), REFUSED)
def test_bad_updates_are_refused_before_any_request(
    httpx_mock: HTTPXMock, mode: str, call: Callable[[Any], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        run(mode, call)
    assert httpx_mock.get_requests() == []


# --- 10: server errors surface as the typed errors -----------------------------------------------


@BOTH
def test_a_404_on_the_get_stops_the_update(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(
        method="GET",
        status_code=404,
        headers={"content-type": "application/problem+json"},
        content=problem(404, "Variable not found", "Variable does not exist"),
    )
    with pytest.raises(errors.NotFoundError) as info:
        run(mode, lambda c: c.update("variable", "v", value="new"))
    assert info.value.status_code == 404
    assert info.value.detail == "Variable does not exist"
    assert sent(httpx_mock) == [("GET", "/api/v1/variables/v", {}, None)]


@BOTH
def test_a_400_on_the_patch_is_a_bad_request_error(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(
        method="PATCH",
        status_code=400,
        headers={"content-type": "application/problem+json"},
        content=problem(400, "Bad Request", "Invalid field"),
    )
    with pytest.raises(errors.BadRequestError) as info:
        run(mode, lambda c: c.update("pool", "p", slots=-2))
    assert info.value.method == "PATCH"
    assert len(httpx_mock.get_requests()) == 1


# --- 11: wait_for_dag_run ------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that moves only when the client sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def install(self, client: Client) -> None:
        client._monotonic = self.monotonic
        client._sleep = self.sleep if isinstance(client, AirflowClient) else self.async_sleep  # type: ignore[assignment]


@BOTH
def test_wait_for_dag_run_returns_the_finished_run(httpx_mock: HTTPXMock, mode: str) -> None:
    for state in ("queued", "running", "success"):
        httpx_mock.add_response(method="GET", json=dag_run_json(state, dag_run_id="r"))
    clock = FakeClock()
    dag_run = run(
        mode,
        lambda c: c.wait_for_dag_run("d", "r", timeout=60, poll_interval=5),
        prepare=clock.install,
    )
    assert isinstance(dag_run, DAGRun)
    assert dag_run.state == "success"
    assert sent(httpx_mock) == [("GET", "/api/v1/dags/d/dagRuns/r", {}, None)] * 3
    assert clock.sleeps == [5, 5]


@BOTH
def test_wait_for_dag_run_returns_a_failed_run_too(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="GET", json=dag_run_json("failed", dag_run_id="r"))
    clock = FakeClock()
    dag_run = run(mode, lambda c: c.wait_for_dag_run("d", "r", timeout=60), prepare=clock.install)
    assert dag_run.state == "failed"
    assert len(httpx_mock.get_requests()) == 1
    assert clock.sleeps == []


@BOTH
@pytest.mark.parametrize(
    ("timeout", "poll_interval", "expected_sleeps"),
    [(5, 2, [2, 2, 1]), (1, 10, [1]), (4, 2, [2, 2])],
)
def test_wait_for_dag_run_times_out_without_sleeping_past_the_deadline(
    httpx_mock: HTTPXMock, mode: str, timeout: float, poll_interval: float, expected_sleeps: list[float]
) -> None:
    httpx_mock.add_response(method="GET", json=dag_run_json("running", dag_run_id="r"), is_reusable=True)
    clock = FakeClock()
    with pytest.raises(errors.WaitTimeoutError) as info:
        run(
            mode,
            lambda c: c.wait_for_dag_run("d", "r", timeout=timeout, poll_interval=poll_interval),
            prepare=clock.install,
        )
    assert info.value.last_state == "running"
    assert "d/r" in str(info.value)
    assert clock.sleeps == expected_sleeps
    assert clock.now - clock.start == timeout  # slept exactly up to the deadline, never past it
    assert len(httpx_mock.get_requests()) == len(expected_sleeps) + 1  # one last look at the deadline


@BOTH
@pytest.mark.parametrize(
    ("timeout", "poll_interval"),
    [(0, 1), (-1, 1), (1, 0), (1, -0.5), (float("nan"), 1), (1, float("nan"))],
)
def test_wait_for_dag_run_refuses_bad_timings_before_any_request(
    httpx_mock: HTTPXMock, mode: str, timeout: float, poll_interval: float
) -> None:
    with pytest.raises(ValueError, match="timeout and poll_interval must be > 0"):
        run(mode, lambda c: c.wait_for_dag_run("d", "r", timeout=timeout, poll_interval=poll_interval))
    assert httpx_mock.get_requests() == []
