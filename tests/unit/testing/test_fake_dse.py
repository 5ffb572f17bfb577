"""Datasets in the fake Airflow 2: the datasets the DAGs define, dataset events from the API and from
successful producing tasks, queued events, dataset-triggered runs, and the errors, through the
oracle with the real clients (sync and async)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from airflow_rest import AirflowClient, AsyncAirflowClient, errors, models
from airflow_rest.testing import Oracle
from airflow_rest.testing.fake import FakeAirflow, FakeTask, dataset_example_dags, default_dags
from airflow_rest.testing.fake._datasets import sanitize_uri
from airflow_rest_v1.types import Unset

from .clock import Clock

T0 = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)
DAG1, DAG2 = "s3://dag1/output_1.txt", "s3://dag2/output_1.txt"
NEVER = "dataset_consumes_1_never_scheduled"  # consumes DAG1 and a dataset nothing produces


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def oracle(clock: Clock) -> Iterator[Oracle]:
    oracle = Oracle(fake=FakeAirflow(dags=[*default_dags(), *dataset_example_dags()], now=clock))
    yield oracle
    oracle.assert_no_violations()


@pytest.fixture
def client(oracle: Oracle) -> Iterator[AirflowClient]:
    with AirflowClient(oracle.url, transport=oracle.transport()) as client:
        yield client


def unpause(client: AirflowClient, *dag_ids: str) -> None:
    for dag_id in dag_ids:
        client.dag.patch_dag(dag_id, body=models.DAG(is_paused=False), update_mask=["is_paused"])


def event(uri: str, **extra: object) -> models.CreateDatasetEvent:
    return (
        models.CreateDatasetEvent(dataset_uri=uri, extra=dict(extra))
        if extra
        else models.CreateDatasetEvent(uri)
    )


def given(value: object) -> object:
    assert not isinstance(value, Unset)
    return value


# --- datasets ---------------------------------------------------------------------------------------


def test_the_example_dags_define_the_datasets_the_real_server_lists(client: AirflowClient) -> None:
    page = client.dataset.get_datasets()
    assert page.total_entries == 13
    by_uri = {d.uri: d.to_dict() for d in page.datasets or []}
    first = by_uri[DAG1]
    assert first["id"] == 1 and first["extra"] == {"hi": "bye"} and first["aliases"] == []
    assert [c["dag_id"] for c in first["consuming_dags"]] == [
        "conditional_dataset_and_time_based_timetable",
        "consume_1_and_2_with_dataset_expressions",
        "consume_1_or_2_with_dataset_expressions",
        "consume_1_or_both_2_and_3_with_dataset_expressions",
        "dataset_consumes_1",
        "dataset_consumes_1_and_2",
        NEVER,
    ]
    assert [(p["dag_id"], p["task_id"]) for p in first["producing_tasks"]] == [
        ("dataset_produces_1", "producing_task_1")
    ]
    assert first["created_at"] == "2026-01-15T12:30:00+00:00"
    other = by_uri["s3://consuming_2_task/dataset_other_unknown.txt"]
    assert other["consuming_dags"] == [] and len(other["producing_tasks"]) == 5
    # alias outlets and alias schedules define no dataset
    assert "s3://bucket/my-task" in by_uri and by_uri["s3://bucket/my-task"]["producing_tasks"][0] == {
        "created_at": "2026-01-15T12:30:00+00:00",
        "dag_id": "dataset_s3_bucket_producer",
        "task_id": "produce_dataset_events",
        "updated_at": "2026-01-15T12:30:00+00:00",
    }
    one = client.dataset.get_dataset(DAG1)
    assert one.to_dict() == first
    detail = client.dag.get_dag_details(NEVER)
    assert detail.timetable_description == "Triggered by datasets"
    assert detail.to_dict()["schedule_interval"] == {"__type": "CronExpression", "value": "Dataset"}


def test_dataset_filters_order_and_paging(oracle: Oracle, client: AirflowClient) -> None:
    def uris(**query: object) -> list[str]:
        page = client.dataset.get_datasets(**query)  # type: ignore[arg-type]
        assert page.total_entries == 13  # the server counts every dataset, whatever the filters
        return [str(d.uri) for d in page.datasets or []]

    assert uris(uri_pattern="UNRELATED/DATASET") == [
        "s3://unrelated/dataset3.txt",
        "s3://unrelated/dataset_other_unknown.txt",
    ]
    assert uris(uri_pattern="dag_/output_1") == [DAG1, DAG2]  # `_` matches one character
    assert uris(dag_ids="dataset_consumes_1,dataset_produces_2") == [
        DAG1,
        DAG2,
        "s3://consuming_1_task/dataset_other.txt",
    ]
    assert uris(dag_ids="dataset_consumes_1", uri_pattern="dag") == [DAG1]
    assert uris(order_by="-uri", limit=2, offset=1) == [
        "s3://unrelated/this-dataset-doesnt-get-triggered",
        "s3://unrelated/dataset_other_unknown.txt",
    ]
    assert len(uris(limit=500)) == 13 and uris(order_by="-id")[0] == "s3://output/1.txt"
    with pytest.raises(errors.BadRequestError) as bad:
        client.dataset.get_datasets(order_by="extra")
    assert (
        bad.value.detail == "Ordering with 'extra' is disallowed or the attribute does not exist on the model"
    )
    assert len(oracle.take_violations()) == 1  # the oracle flags what the server refuses
    with pytest.raises(errors.NotFoundError) as missing:
        client.dataset.get_dataset("s3://nope")
    assert (missing.value.title, missing.value.detail) == (
        "Dataset not found",
        "The Dataset with uri: `s3://nope` was not found",
    )


def test_uris_are_sanitized_and_redefining_a_dag_reconciles_its_references(oracle: Oracle) -> None:
    assert sanitize_uri("S3://user:pw@Bucket/key//?b=2&a=1#frag") == "s3://Bucket/key?a=1&b=2"
    assert sanitize_uri("airflow-rest://a") == "airflow-rest://a/"
    assert sanitize_uri("plain-name") == "plain-name" and sanitize_uri("x-custom://a/") == "x-custom://a/"
    with pytest.raises(ValueError, match="reserved"):
        sanitize_uri("airflow://x")
    oracle.add_dag(
        "mine", tasks=[FakeTask("t", outlets=["file://out/"])], dataset_expression={"all": ["a://b"]}
    )
    assert oracle.dags["mine"].schedule_interval == "Dataset"
    assert oracle.datasets["a://b/"]["consuming_dags"][0]["dag_id"] == "mine"
    assert oracle.datasets["file://out/"]["producing_tasks"][0]["task_id"] == "t"
    oracle.add_dag("mine", tasks=["t"])  # reparsed without datasets: the references go, the datasets stay
    assert oracle.datasets["a://b/"]["consuming_dags"] == []
    assert oracle.datasets["file://out/"]["producing_tasks"] == []
    assert oracle.add_dataset("gs://kept", {"k": 1})["extra"] == {"k": 1}


# --- events and queued events -----------------------------------------------------------------------


def test_api_events_queue_unpaused_consumers_only(
    oracle: Oracle, client: AirflowClient, clock: Clock
) -> None:
    created = client.dataset.create_dataset_event(body=event(DAG1, note="n", from_rest_api=False))
    assert created.to_dict() == {
        "created_dagruns": [],
        "dataset_id": 1,
        "dataset_uri": DAG1,
        "extra": {"note": "n", "from_rest_api": True},
        "id": 1,
        "source_dag_id": None,
        "source_map_index": -1,
        "source_run_id": None,
        "source_task_id": None,
        "timestamp": "2026-01-15T12:30:00+00:00",
    }
    assert oracle.queued_dataset_events == []  # every consumer is paused
    unpause(client, NEVER)
    queued_at = clock.tick()
    client.dataset.create_dataset_event(body=event(DAG1))
    clock.tick()
    client.dataset.create_dataset_event(body=event(DAG1))  # the record keeps its first time
    queued = client.dataset.get_dataset_queued_events(DAG1)
    assert queued.to_dict() == {
        "queued_events": [{"created_at": queued_at.isoformat(), "dag_id": NEVER, "uri": DAG1}],
        "total_entries": 1,
    }
    assert client.dataset.get_dag_dataset_queued_events(NEVER).total_entries == 1
    one = client.dataset.get_dag_dataset_queued_event(NEVER, DAG1)
    assert (one.dag_id, one.uri, one.created_at) == (NEVER, DAG1, queued_at)
    # `before` keeps the records created strictly before it
    with pytest.raises(errors.NotFoundError) as early:
        client.dataset.get_dag_dataset_queued_event(NEVER, DAG1, before=queued_at)
    assert (early.value.title, early.value.detail) == (
        "Queue event not found",
        f"Queue event with dag_id: `{NEVER}` and dataset uri: `{DAG1}` was not found",
    )
    later = queued_at + timedelta(microseconds=1)
    assert client.dataset.get_dataset_queued_events(DAG1, before=later).total_entries == 1
    with pytest.raises(errors.NotFoundError):
        client.dataset.delete_dataset_queued_events(DAG1, before=queued_at)
    client.dataset.delete_dag_dataset_queued_event(NEVER, DAG1)
    with pytest.raises(errors.NotFoundError) as gone:
        client.dataset.delete_dag_dataset_queued_event(NEVER, DAG1)
    assert gone.value.title == "Queue event not found"
    assert client.dag_run.get_dag_runs(NEVER).total_entries == 0  # the other dataset never came


def test_queued_event_deletes_and_their_404s(oracle: Oracle, client: AirflowClient) -> None:
    unpause(client, NEVER, "dataset_consumes_1_and_2")
    client.dataset.create_dataset_event(body=event(DAG1))
    assert [q["dag_id"] for q in oracle.queued_dataset_events] == ["dataset_consumes_1_and_2", NEVER]
    client.dataset.delete_dag_dataset_queued_events(NEVER)
    with pytest.raises(errors.NotFoundError) as per_dag:
        client.dataset.get_dag_dataset_queued_events(NEVER)
    assert per_dag.value.detail == f"Queue event with dag_id: `{NEVER}` was not found"
    with pytest.raises(errors.NotFoundError):
        client.dataset.delete_dag_dataset_queued_events(NEVER)
    client.dataset.delete_dataset_queued_events(DAG1)
    assert oracle.queued_dataset_events == []
    with pytest.raises(errors.NotFoundError) as per_uri:
        client.dataset.get_dataset_queued_events(DAG1)
    assert (per_uri.value.title, per_uri.value.detail) == (
        "Queue event not found",
        f"Queue event with dataset uri: `{DAG1}` was not found",
    )
    with pytest.raises(errors.NotFoundError) as missing:
        client.dataset.create_dataset_event(body=event("s3://nope/x"))
    assert (missing.value.title, missing.value.detail) == (
        "Dataset not found",
        "Dataset with uri: 's3://nope/x' not found",
    )
    # deleting a DAG takes its queued events and references along
    client.dataset.create_dataset_event(body=event(DAG1))
    client.dag.delete_dag("dataset_consumes_1_and_2")
    assert [q["dag_id"] for q in oracle.queued_dataset_events] == [NEVER]
    assert "dataset_consumes_1_and_2" not in {c["dag_id"] for c in oracle.datasets[DAG1]["consuming_dags"]}


def test_create_event_body_errors(oracle: Oracle) -> None:
    fake = oracle.fake
    from airflow_rest.testing.fake import Call

    status, reply = fake.handle("create_dataset_event", Call(body={"dataset_uri": DAG1, "foo": 1}))
    assert (status, reply["detail"]) == (400, "{'foo': ['Unknown field.']}")
    status, reply = fake.handle("create_dataset_event", Call(body={"dataset_uri": DAG1, "extra": None}))
    assert (status, reply["detail"]) == (400, "{'extra': ['Field may not be null.']}")
    assert fake.dataset_events == []


def test_event_list_filters_order_and_paging(oracle: Oracle, client: AirflowClient, clock: Clock) -> None:
    oracle.trigger("dataset_with_extra_by_yield", "r1")
    clock.tick()
    oracle.complete_run("dataset_with_extra_by_yield", "r1")
    clock.tick()
    client.dataset.create_dataset_event(body=event(DAG2))
    clock.tick()
    client.dataset.create_dataset_event(body=event(DAG1))
    listed = client.dataset.get_dataset_events()
    assert listed.total_entries == 3
    task_event = (listed.dataset_events or [])[0].to_dict()
    assert task_event["extra"] == {"hi": "bye"} and task_event["source_map_index"] == -1
    assert (task_event["source_dag_id"], task_event["source_run_id"], task_event["source_task_id"]) == (
        "dataset_with_extra_by_yield",
        "r1",
        "dataset_with_extra_by_yield",
    )

    def ids(**query: object) -> list[int]:
        page = client.dataset.get_dataset_events(**query)  # type: ignore[arg-type]
        return [int(given(e.id)) for e in page.dataset_events or []]  # type: ignore[call-overload]

    assert ids(order_by="-timestamp") == [3, 2, 1]
    assert ids(order_by="-timestamp", limit=1, offset=1) == [2]
    assert ids(dataset_id=2) == [2] and ids(dataset_id=999) == []
    assert ids(source_dag_id="dataset_with_extra_by_yield") == [1]
    assert ids(source_run_id="r1", source_task_id="dataset_with_extra_by_yield") == [1]
    assert ids(source_map_index=0) == [1, 2, 3]  # 0 filters nothing on the server either
    assert ids(order_by="source_dag_id") == [2, 3, 1]  # NULLs first
    with pytest.raises(errors.BadRequestError) as bad:
        client.dataset.get_dataset_events(order_by="id")
    assert bad.value.detail == "Ordering with 'id' is disallowed or the attribute does not exist on the model"
    assert len(oracle.take_violations()) == 1


# --- producing tasks, consumers and dataset-triggered runs ------------------------------------------


def test_a_succeeding_producer_triggers_its_consumer(
    oracle: Oracle, client: AirflowClient, clock: Clock
) -> None:
    unpause(client, "dataset_consumes_1")
    oracle.trigger("dataset_produces_1", "p1")
    # marking it successful through the API writes no event, as on the server
    client.task_instance.patch_task_instance(
        "dataset_produces_1",
        "p1",
        "producing_task_1",
        body=models.UpdateTaskInstance(new_state=models.UpdateTaskState.SUCCESS),
    )
    assert oracle.dataset_events == []
    oracle.trigger("dataset_produces_1", "p2", logical_date="2026-01-14T00:00:00Z")
    clock.tick()
    oracle.set_task_state("dataset_produces_1", "p2", "producing_task_1", "running")
    clock.tick()
    oracle.set_task_state("dataset_produces_1", "p2", "producing_task_1", "success")
    runs = client.dag_run.get_dag_runs("dataset_consumes_1").dag_runs or []
    assert len(runs) == 1
    run = runs[0].to_dict()
    stamp = clock.now.isoformat()
    assert run["dag_run_id"] == f"dataset_triggered__{stamp}" and run["run_type"] == "dataset_triggered"
    assert (run["logical_date"], run["state"], run["external_trigger"]) == (stamp, "queued", False)
    # the data interval is the producing run's
    assert (run["data_interval_start"], run["data_interval_end"]) == (
        "2026-01-13T00:00:00+00:00",
        "2026-01-14T00:00:00+00:00",
    )
    assert oracle.queued_dataset_events == []  # the scheduler cleared the consumer's queue
    upstream = client.dag_run.get_upstream_dataset_events("dataset_consumes_1", str(run["dag_run_id"]))
    assert upstream.total_entries == 1
    consumed = (upstream.dataset_events or [])[0].to_dict()
    assert consumed["source_run_id"] == "p2" and consumed["extra"] == {}
    assert consumed["created_dagruns"][0]["dag_run_id"] == run["dag_run_id"]
    listed = client.dataset.get_dataset_events(source_run_id="p2").dataset_events or []
    assert listed[0].to_dict()["created_dagruns"] == consumed["created_dagruns"]
    # the consumer's own task produces in turn; the next run consumes only the newer events
    clock.tick()
    client.dataset.create_dataset_event(body=event(DAG1))
    runs = client.dag_run.get_dag_runs("dataset_consumes_1", order_by="execution_date").dag_runs or []
    second = runs[1].to_dict()
    second_events = client.dag_run.get_upstream_dataset_events(
        "dataset_consumes_1", str(second["dag_run_id"])
    )
    assert [e.to_dict()["extra"] for e in second_events.dataset_events or []] == [{"from_rest_api": True}]
    with pytest.raises(errors.NotFoundError) as missing:
        client.dag_run.get_upstream_dataset_events("dataset_consumes_1", "nope")
    assert missing.value.detail == "DAGRun with DAG ID: 'dataset_consumes_1' and DagRun ID: 'nope' not found"
    # a deleted run leaves its events, without the run
    client.dag_run.delete_dag_run("dataset_consumes_1", str(run["dag_run_id"]))
    assert (
        client.dataset.get_dataset_events(source_run_id="p2").to_dict()["dataset_events"][0][
            "created_dagruns"
        ]
        == []
    )


def test_expressions_max_active_runs_and_mapped_producers(oracle: Oracle, clock: Clock) -> None:
    oracle.add_dag(
        "maker", tasks=[FakeTask("m", outlets=["s3://x/1"], map_count=2), FakeTask("n", outlets=["s3://x/2"])]
    )
    oracle.add_dag("either", dataset_expression={"any": ["s3://x/2", {"all": ["s3://x/1", "s3://x/3"]}]})
    oracle.add_dag("both", dataset_expression={"all": ["s3://x/1", "s3://x/2"]}, max_active_runs=1)
    oracle.trigger("maker", "r")
    oracle.set_task_state("maker", "r", "m", "success", map_index=0)
    oracle.set_task_state("maker", "r", "m", "success", map_index=1)
    assert [e["source_map_index"] for e in oracle.dataset_events] == [0, 1]
    assert not any(key[0] in ("either", "both") for key in oracle.dag_runs)
    clock.tick()
    oracle.set_task_state("maker", "r", "n", "success")
    assert sorted(key[0] for key in oracle.dag_runs if key[0] != "maker") == ["both", "either"]
    # `both` has a queued run and may have one active: its new records wait in the queue
    clock.tick()
    oracle.trigger("maker", "r2")
    oracle.complete_run("maker", "r2")
    assert sorted(q["dag_id"] for q in oracle.queued_dataset_events) == ["both", "both"]
    assert sum(key[0] == "either" for key in oracle.dag_runs) == 2


def test_the_async_client_reads_datasets_and_queues(oracle: Oracle) -> None:
    async def scenario() -> list[object]:
        async with AsyncAirflowClient(oracle.url, transport=oracle.transport()) as client:
            await client.dag.patch_dag(NEVER, body=models.DAG(is_paused=False), update_mask=["is_paused"])
            created = await client.dataset.create_dataset_event(body=event(DAG1))
            page = await client.dataset.get_datasets(limit=1)
            queued = await client.dataset.get_dag_dataset_queued_event(NEVER, DAG1)
            await client.dataset.delete_dag_dataset_queued_events(NEVER)
            with pytest.raises(errors.NotFoundError) as gone:
                await client.dataset.get_dataset_queued_events(DAG1)
            return [page.total_entries, created.dataset_id, queued.uri, gone.value.title]

    assert asyncio.run(scenario()) == [13, 1, DAG1, "Queue event not found"]
