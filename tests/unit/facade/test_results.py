"""Operations return the generated models; datetimes are aware; 204 gives None; lists in queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import errors
from airflow_rest_v1.models import DAG, DAGCollection, Pool

from .conftest import arun, async_client, dag_json, sync_client

NEW_YEAR = datetime(2024, 1, 1, tzinfo=UTC)
DAGS = {"dags": [dag_json(1), dag_json(2)], "total_entries": 2}


def test_get_dags_returns_a_dag_collection_of_dags(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=DAGS)
    with sync_client() as client:
        result = client.dag.get_dags(limit=5)
    assert isinstance(result, DAGCollection)
    assert result.total_entries == 2
    assert all(isinstance(dag, DAG) for dag in result.dags)
    assert [dag.dag_id for dag in result.dags] == ["dag_001", "dag_002"]


def test_get_dags_returns_a_dag_collection_of_dags_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=DAGS)
    result = arun(async_client(), lambda c: c.dag.get_dags(limit=5))
    assert isinstance(result, DAGCollection)
    assert [dag.dag_id for dag in result.dags] == ["dag_001", "dag_002"]
    assert all(isinstance(dag, DAG) for dag in result.dags)


@pytest.mark.parametrize(
    "stamp", ["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00", "2024-01-01T00:00:00Z"]
)
def test_datetimes_in_results_are_timezone_aware(httpx_mock: HTTPXMock, stamp: str) -> None:
    httpx_mock.add_response(json={"dag_id": "d", "last_parsed_time": stamp})
    with sync_client() as client:
        dag = client.dag.get_dag("d")
    assert isinstance(dag.last_parsed_time, datetime)
    assert dag.last_parsed_time.tzinfo is not None
    assert dag.last_parsed_time == NEW_YEAR


def test_datetimes_with_an_offset_keep_the_instant(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"dag_id": "d", "next_dagrun": "2024-01-01T02:00:00+02:00"})
    with sync_client() as client:
        assert client.dag.get_dag("d").next_dagrun == NEW_YEAR


@pytest.mark.parametrize("stamp", ["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00"])
def test_datetimes_in_results_are_timezone_aware_async(httpx_mock: HTTPXMock, stamp: str) -> None:
    httpx_mock.add_response(json={"dags": [{"dag_id": "d", "next_dagrun": stamp}], "total_entries": 1})
    result = arun(async_client(), lambda c: c.dag.get_dags())
    assert result.dags[0].next_dagrun.tzinfo is not None
    assert result.dags[0].next_dagrun == NEW_YEAR


def test_204_operation_returns_none(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="DELETE", status_code=204)
    with sync_client() as client:
        assert client.pool.delete_pool("p") is None
    assert httpx_mock.get_requests()[0].url.path == "/api/v1/pools/p"


def test_204_operation_returns_none_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="DELETE", status_code=204)
    assert arun(async_client(), lambda c: c.pool.delete_pool("p")) is None


def test_undeclared_2xx_status_is_a_decode_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=204)
    with sync_client() as client, pytest.raises(errors.ResponseDecodeError) as info:
        client.dag.get_dags()
    assert info.value.status_code == 204


def test_update_mask_is_sent_comma_joined_with_the_body(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="PATCH", json={"name": "p", "slots": 5, "description": "d"})
    with sync_client() as client:
        pool = client.pool.patch_pool(
            "p", body=Pool(slots=5, description="d"), update_mask=["slots", "description"]
        )
    assert isinstance(pool, Pool)
    assert pool.slots == 5
    request = httpx_mock.get_requests()[0]
    assert request.url.params.get_list("update_mask") == ["slots,description"]
    assert json.loads(request.content) == {"slots": 5, "description": "d"}
    assert request.headers["Content-Type"] == "application/json"


def test_update_mask_is_sent_comma_joined_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="PATCH", json={"name": "p", "slots": 5})
    arun(
        async_client(),
        lambda c: c.pool.patch_pool("p", body=Pool(slots=5), update_mask=["slots", "description"]),
    )
    assert httpx_mock.get_requests()[0].url.params["update_mask"] == "slots,description"


def test_post_sends_the_model_as_json_and_returns_the_created_model(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", json={"name": "p", "slots": 3, "open_slots": 3})
    with sync_client() as client:
        pool = client.pool.post_pool(body=Pool(name="p", slots=3))
    assert pool.open_slots == 3
    assert json.loads(httpx_mock.get_requests()[0].content) == {"name": "p", "slots": 3}


def test_models_are_importable_from_airflow_rest_models() -> None:
    import importlib

    models = importlib.import_module("airflow_rest.models")
    assert models.DAG is DAG
