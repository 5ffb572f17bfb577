"""The DAGs a fresh ``FakeAirflow`` holds: a few of Airflow's example DAGs, paused as they load."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ._model import DAGS_FOLDER, FakeDag, FakeTask


def default_dags() -> list[FakeDag]:
    """A few DAGs modelled on Airflow's example DAGs (tasks, schedules, tags), paused as they load."""
    start = datetime(2021, 1, 1, tzinfo=UTC)
    example_key = {"example_key": "example_value"}

    def bash(task_id: str, downstream: Sequence[str] = (), **kw: Any) -> FakeTask:
        return FakeTask(task_id, "BashOperator", list(downstream), start_date=start, **kw)

    def python(task_id: str, downstream: Sequence[str] = (), **kw: Any) -> FakeTask:
        return FakeTask(task_id, "PythonOperator", list(downstream), start_date=start, **kw)

    bash_dag = FakeDag(
        "example_bash_operator",
        [
            FakeTask("run_this_last", "EmptyOperator", start_date=start, params=example_key),
            bash("run_after_loop", ["run_this_last"], params=example_key),
            bash("runme_0", ["run_after_loop"], params=example_key),
            bash("runme_1", ["run_after_loop"], params=example_key),
            bash("runme_2", ["run_after_loop"], params=example_key),
            bash("also_run_this", ["run_this_last"], params=example_key),
            bash("this_will_skip", ["run_this_last"], params=example_key),
        ],
        is_paused=True,
        tags=["example2", "example"],
        schedule_interval="0 0 * * *",
        fileloc=f"{DAGS_FOLDER}/example_bash_operator.py",
        start_date=start,
        dagrun_timeout=timedelta(minutes=60),
        params=example_key,
    )
    tutorial = FakeDag(
        "tutorial",
        [
            bash(
                "print_date",
                ["sleep", "templated"],
                retries=1,
                doc_md="#### Task Documentation\nYou can document your task using the attributes "
                "`doc_md` (markdown),\n`doc` (plain text), `doc_rst`, `doc_json`, `doc_yaml` which gets\n"
                "rendered in the UI's Task Instance Details page.\n"
                "![img](https://imgs.xkcd.com/comics/fixing_problems.png)\n"
                "**Image Credit:** Randall Munroe, [XKCD](https://xkcd.com/license.html)\n",
            ),
            bash("sleep", retries=3),
            bash("templated", retries=1),
        ],
        is_paused=True,
        tags=["example"],
        schedule_interval=timedelta(days=1),
        description="A simple tutorial DAG",
        doc_md="\n    This is a documentation placed anywhere\n    ",
        fileloc=f"{DAGS_FOLDER}/tutorial.py",
        start_date=start,
    )
    python_dag = FakeDag(
        "example_python_operator",
        [
            python("print_the_context", ["log_sql_query"]),
            python("log_sql_query", [f"sleep_for_{i}" for i in range(5)]),
            *(python(f"sleep_for_{i}") for i in range(5)),
        ],
        is_paused=True,
        tags=["example"],
        fileloc=f"{DAGS_FOLDER}/example_python_operator.py",
        start_date=start,
    )
    mapping_start = datetime(2022, 3, 4, tzinfo=UTC)
    mapping = FakeDag(
        "example_dynamic_task_mapping",
        [
            FakeTask(
                "add_one",
                "_PythonDecoratedOperator",
                ["sum_it"],
                map_count=3,
                operator_name="@task",
                start_date=mapping_start,
            ),
            FakeTask("sum_it", "_PythonDecoratedOperator", operator_name="@task", start_date=mapping_start),
        ],
        is_paused=True,
        fileloc=f"{DAGS_FOLDER}/example_dynamic_task_mapping.py",
        start_date=mapping_start,
        catchup=True,
    )
    return [bash_dag, tutorial, python_dag, mapping]


def dataset_example_dags() -> list[FakeDag]:
    """Airflow's dataset example DAGs (example_datasets, example_dataset_alias[_with_no_taskflow],
    example_outlet_event_extra), paused as they load: their dataset schedules and the outlets of
    their tasks give the datasets the server's ``GET /datasets`` shows. Not among the defaults:
    ``FakeAirflow(dags=[*default_dags(), *dataset_example_dags()])``."""
    start = datetime(2021, 1, 1, tzinfo=UTC)
    hi = {"hi": "bye"}
    dag1, dag2, dag3 = "s3://dag1/output_1.txt", "s3://dag2/output_1.txt", "s3://dag3/output_3.txt"
    other_unknown = "s3://consuming_2_task/dataset_other_unknown.txt"

    def dag(
        dag_id: str,
        file: str,
        tasks: Sequence[FakeTask],
        *,
        tags: Sequence[str] = (),
        expression: dict[str, Any] | None = None,
        **kw: Any,
    ) -> FakeDag:
        kw.setdefault("start_date", start)
        return FakeDag(
            dag_id,
            list(tasks),
            is_paused=True,
            tags=list(tags),
            fileloc=f"{DAGS_FOLDER}/{file}.py",
            dataset_expression=expression,
            **kw,
        )

    def bash(task_id: str, *outlets: str, **kw: Any) -> FakeTask:
        return FakeTask(
            task_id, "BashOperator", start_date=kw.pop("start_date", start), outlets=list(outlets), **kw
        )

    def task(task_id: str, *outlets: str, **kw: Any) -> FakeTask:  # @task
        kw.setdefault("start_date", start)
        return FakeTask(
            task_id, "_PythonDecoratedOperator", operator_name="@task", outlets=list(outlets), **kw
        )

    def python(task_id: str, *outlets: str) -> FakeTask:
        return FakeTask(task_id, "PythonOperator", start_date=start, outlets=list(outlets))

    produced, consumed = ["produces", "dataset-scheduled"], ["consumes", "dataset-scheduled"]
    datasets = "example_datasets"
    alias, no_taskflow = "example_dataset_alias", "example_dataset_alias_with_no_taskflow"
    unresolved = {
        "schedule_interval": "Unresolved DatasetAlias",
        "timetable_description": "Triggered by datasets",
    }
    extra_start = datetime(1, 1, 1, tzinfo=UTC)  # datetime.min
    extra: dict[str, Any] = {"start_date": extra_start, "schedule_interval": "@daily", "tags": ["produces"]}
    return [
        dag(
            "dataset_produces_1",
            datasets,
            [bash("producing_task_1", dag1)],
            tags=produced,
            schedule_interval="@daily",
            dataset_extra={dag1: hi},
        ),
        dag(
            "dataset_produces_2",
            datasets,
            [bash("producing_task_2", dag2)],
            tags=produced,
            dataset_extra={dag2: hi},
        ),
        dag(
            "dataset_consumes_1",
            datasets,
            [bash("consuming_1", "s3://consuming_1_task/dataset_other.txt")],
            tags=consumed,
            expression={"all": [dag1]},
            dataset_extra={dag1: hi},
        ),
        dag(
            "dataset_consumes_1_and_2",
            datasets,
            [bash("consuming_2", other_unknown)],
            tags=consumed,
            expression={"all": [dag1, dag2]},
            dataset_extra={dag1: hi, dag2: hi},
        ),
        dag(
            "dataset_consumes_1_never_scheduled",
            datasets,
            [bash("consuming_3", other_unknown)],
            tags=consumed,
            expression={"all": [dag1, "s3://unrelated/this-dataset-doesnt-get-triggered"]},
            dataset_extra={dag1: hi},
        ),
        dag(
            "dataset_consumes_unknown_never_scheduled",
            datasets,
            [bash("unrelated_task", "s3://unrelated_task/dataset_other_unknown.txt")],
            tags=["dataset-scheduled"],
            expression={"all": ["s3://unrelated/dataset3.txt", "s3://unrelated/dataset_other_unknown.txt"]},
        ),
        dag(
            "consume_1_and_2_with_dataset_expressions",
            datasets,
            [bash("consume_1_and_2_with_dataset_expressions", other_unknown)],
            expression={"all": [dag1, dag2]},
            catchup=True,
            dataset_extra={dag1: hi, dag2: hi},
        ),
        dag(
            "consume_1_or_2_with_dataset_expressions",
            datasets,
            [bash("consume_1_or_2_with_dataset_expressions", other_unknown)],
            expression={"any": [dag1, dag2]},
            catchup=True,
            dataset_extra={dag1: hi, dag2: hi},
        ),
        dag(
            "consume_1_or_both_2_and_3_with_dataset_expressions",
            datasets,
            [bash("consume_1_or_both_2_and_3_with_dataset_expressions", other_unknown)],
            expression={"any": [dag1, {"all": [dag2, dag3]}]},
            catchup=True,
            dataset_extra={dag1: hi, dag2: hi, dag3: hi},
        ),
        dag(
            "conditional_dataset_and_time_based_timetable",
            datasets,
            [
                bash(
                    "conditional_dataset_and_time_based_timetable",
                    "s3://dataset_time_based/dataset_other_unknown.txt",
                )
            ],
            tags=["dataset-time-based-timetable"],
            expression={"all": [dag1, dag2]},
            # DatasetOrTimeSchedule(CronTriggerTimetable("0 1 * * 3"), datasets=...)
            schedule_interval="Dataset or 0 1 * * 3",
            timetable_description="Triggered by datasets or At 01:00, only on Wednesday",
            auto_next_dagrun=False,
            dataset_extra={dag1: hi, dag2: hi},
        ),
        dag(
            "dataset_s3_bucket_producer",
            alias,
            [task("produce_dataset_events", "s3://bucket/my-task")],
            tags=["producer", "dataset"],
        ),
        dag(
            "dataset_alias_example_alias_producer",
            alias,
            [task("produce_dataset_events_through_dataset_alias")],
            tags=["producer", "dataset-alias"],
        ),
        dag(
            "dataset_s3_bucket_consumer",
            alias,
            [task("consume_dataset_event")],
            tags=["dataset", "consumer"],
            expression={"all": ["s3://bucket/my-task"]},
        ),
        dag(
            "dataset_alias_example_alias_consumer",
            alias,
            [task("consume_dataset_event_from_dataset_alias")],
            tags=["consumer", "dataset-alias"],
            expression={"all": [{"alias": "example-alias"}]},
            **unresolved,
        ),
        dag(
            "dataset_s3_bucket_producer_with_no_taskflow",
            no_taskflow,
            [python("produce_dataset_events", "s3://bucket/my-task-with-no-taskflow")],
            tags=["producer", "dataset"],
        ),
        dag(
            "dataset_alias_example_alias_producer_with_no_taskflow",
            no_taskflow,
            [python("produce_dataset_events_through_dataset_alias_with_no_taskflow")],
            tags=["producer", "dataset-alias"],
        ),
        dag(
            "dataset_s3_bucket_consumer_with_no_taskflow",
            no_taskflow,
            [python("consume_dataset_event")],
            tags=["dataset", "consumer"],
            expression={"all": ["s3://bucket/my-task-with-no-taskflow"]},
        ),
        dag(
            "dataset_alias_example_alias_consumer_with_no_taskflow",
            no_taskflow,
            [python("consume_dataset_event_from_dataset_alias")],
            tags=["consumer", "dataset-alias"],
            expression={"all": [{"alias": "example-alias-no-taskflow"}]},
            **unresolved,
        ),
        dag(
            "dataset_with_extra_by_yield",
            "example_outlet_event_extra",
            [
                task(
                    "dataset_with_extra_by_yield",
                    "s3://output/1.txt",
                    start_date=extra_start,
                    outlet_extra=hi,
                )
            ],
            **extra,
        ),
        dag(
            "dataset_with_extra_by_context",
            "example_outlet_event_extra",
            [
                task(
                    "dataset_with_extra_by_context",
                    "s3://output/1.txt",
                    start_date=extra_start,
                    outlet_extra=hi,
                )
            ],
            **extra,
        ),
        dag(
            "dataset_with_extra_from_classic_operator",
            "example_outlet_event_extra",
            [
                bash(
                    "dataset_with_extra_from_classic_operator",
                    "s3://output/1.txt",
                    start_date=extra_start,
                    outlet_extra=hi,
                )
            ],
            **extra,
        ),
    ]
