"""The error responses the real server sends, parsed as Airflow's Problem JSON (`Error`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from airflow_rest_v1.api.connection import delete_connection, post_connection
from airflow_rest_v1.api.dag import delete_dag, get_dag, get_dags
from airflow_rest_v1.api.pool import get_pools, post_pool
from airflow_rest_v1.api.variable import post_variables
from airflow_rest_v1.api.x_com import get_xcom_entry
from airflow_rest_v1.models import Connection, DAGRun, Error, Pool, Variable

from .conftest import SMOKE_DAG, make_client

Call = Callable[..., Any]


def test_404_problem_json(call: Call) -> None:
    error = call(get_dag, "no_such_dag", expect=404)
    assert isinstance(error, Error) and error.status == 404
    assert error.title == "DAG not found" and "no_such_dag" in str(error.detail)


def test_400_unknown_order_by(call: Call) -> None:
    error = call(get_dags, order_by="no_such_field", expect=400)
    assert isinstance(error, Error) and "no_such_field" in str(error.detail)


def test_400_xcom_deserialize_disabled(call: Call, smoke_run: DAGRun) -> None:
    error = call(
        get_xcom_entry, SMOKE_DAG, smoke_run.dag_run_id, "push", "return_value", deserialize=True, expect=400
    )
    assert isinstance(error, Error) and error.detail == "XCom deserialization is disabled in configuration."


def test_400_explicit_null_variable_description(call: Call) -> None:
    error = call(
        post_variables,
        body=Variable(key=f"v_{uuid.uuid4().hex[:6]}", value="x", description=None),
        expect=400,
    )
    assert isinstance(error, Error) and error.status == 400


def test_400_variable_without_value_and_set_state_without_flags(client: Any) -> None:
    http = client.get_httpx_client()
    response = http.post("/variables", json={"key": "no_value"})
    assert response.status_code == 400 and "'value'" in response.json()["detail"]
    response = http.post(f"/dags/{SMOKE_DAG}/updateTaskInstancesState", json={"dry_run": True})
    assert response.status_code == 400
    for field in (
        "task_id",
        "new_state",
        "include_upstream",
        "include_downstream",
        "include_future",
        "include_past",
    ):
        assert f"'{field}'" in response.json()["detail"]


def test_409_duplicate_pool_and_connection(call: Call) -> None:
    error = call(post_pool, body=Pool(name="default_pool", slots=1), expect=409)
    assert isinstance(error, Error) and "default_pool" in str(error.detail)
    conn_id = f"dup_{uuid.uuid4().hex[:8]}"
    call(post_connection, body=Connection(connection_id=conn_id, conn_type="http"))
    try:
        dup = call(post_connection, body=Connection(connection_id=conn_id, conn_type="http"), expect=409)
        assert isinstance(dup, Error) and dup.status == 409
    finally:
        call(delete_connection, conn_id, expect=204)


def test_403_for_wrong_and_for_missing_credentials(call: Call) -> None:
    with make_client(auth=("admin", "wrong-password")) as wrong:
        error = call(get_pools, client=wrong, expect=403)
        assert isinstance(error, Error) and error.status == 403 and error.detail is None
    with make_client(auth=None) as anonymous:
        error = call(get_pools, client=anonymous, expect=403)
        assert isinstance(error, Error) and error.title == "Forbidden"


def test_connection_testing_disabled_answers_403_html(client: Any) -> None:
    response = client.get_httpx_client().post(
        "/connections/test", json={"connection_id": "x", "conn_type": "http"}
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "disabled" in response.text.lower()


def test_delete_dag(call: Call) -> None:
    # deleted DAGs come back when the scheduler parses their file again: take one that is there now
    candidates = ["example_nested_branch_dag", "example_short_circuit_decorator", "example_sensor_decorator"]
    present = [d.dag_id for d in call(get_dags, dag_id_pattern="example_", limit=100).dags]
    dag_id = next(c for c in candidates if c in present)
    call(delete_dag, dag_id, expect=204)
    call(get_dag, dag_id, expect=404)
