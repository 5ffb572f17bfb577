"""A tiny DAG the airflow-rest Airflow 3 integration tests trigger through the REST API v2.

Written for the Airflow 3 task SDK; the same DAGs as tests/integration/dags/airflow_rest_smoke.py,
plus ``airflow_rest_paused``, a daily DAG that stays paused so that its runs (triggered or
backfilled) stay queued and the tests may change their task instances freely, and
``airflow_rest_materialized``, an asset whose DAG stays paused too, for the materialize endpoint.
Loaded by the local Airflow 3 that ``scripts/airflow_local.py up --major 3`` starts (its dags_folder
is this directory). The smoke DAG runs in a few seconds: no sleeps, no external services.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, Asset, TaskGroup, asset, task

# Assets the consumer DAG waits for; the tests create events for `a` only, so they stay queued.
ASSET_A = Asset("airflow-rest://a")
ASSET_B = Asset("airflow-rest://b")
START = datetime(2024, 1, 1, tzinfo=UTC)

log = logging.getLogger(__name__)


@task(multiple_outputs=False)  # one return_value XCom, not one per key as a dict annotation would give
def push(**context: Any) -> dict[str, int]:
    log.info("airflow-rest smoke: pushing")
    context["ti"].xcom_push(key="extra", value="value")
    return {"answer": 42}  # the return value XCom


@task
def double(x: int) -> int:
    return 2 * x


with DAG(
    dag_id="airflow_rest_smoke",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["airflow-rest"],
    doc_md="Smoke DAG for the airflow-rest integration tests: `push` an XCom, `double` two mapped "
    "instances, then `wait` in bash.",
    params={"greeting": "hello"},
) as dag:
    wait = BashOperator(task_id="wait", bash_command="echo airflow-rest smoke bash")
    # gives the run a real operator extra link ("Triggered DAG"); the target stays paused
    trigger = TriggerDagRunOperator(task_id="trigger", trigger_dag_id="airflow_rest_target")
    push() >> double.expand(x=[1, 2]) >> wait >> trigger

with DAG(dag_id="airflow_rest_target", schedule=None, start_date=START, catchup=False, tags=["airflow-rest"]):
    EmptyOperator(task_id="noop")

with DAG(
    dag_id="airflow_rest_consumer",
    schedule=[ASSET_A, ASSET_B],
    start_date=START,
    catchup=False,
    is_paused_upon_creation=False,  # only unpaused consumers get queued asset events
    tags=["airflow-rest"],
):
    EmptyOperator(task_id="noop")

with DAG(
    dag_id="airflow_rest_paused",
    schedule="@daily",
    start_date=START,
    catchup=False,
    tags=["airflow-rest"],
    is_paused_upon_creation=True,
):
    with TaskGroup("group"):
        EmptyOperator(task_id="inner")
    EmptyOperator(task_id="noop")


@asset(schedule=None, uri="airflow-rest://materialized", tags=["airflow-rest"], is_paused_upon_creation=True)
def airflow_rest_materialized() -> None:
    """Materialized through the API by the tests; its DAG stays paused, so the run stays queued."""
