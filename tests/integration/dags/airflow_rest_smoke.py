"""A tiny DAG the airflow-rest integration tests trigger through the REST API.

Loaded by the local Airflow that ``scripts/airflow_local.py up`` starts (its dags_folder is this
directory). It runs in a few seconds: no sleeps, no external services.
"""

from __future__ import annotations

import logging
from typing import Any

import pendulum
from airflow import DAG, Dataset
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from airflow.operators.trigger_dagrun import TriggerDagRunOperator

# Datasets the consumer DAG waits for; the tests create events for `a` only, so they stay queued.
DATASET_A = Dataset("airflow-rest://a")
DATASET_B = Dataset("airflow-rest://b")
START = pendulum.datetime(2024, 1, 1, tz="UTC")

log = logging.getLogger(__name__)


def _double(x: int) -> int:
    return 2 * x


def _push(ti: Any, **_: Any) -> dict[str, int]:
    log.info("airflow-rest smoke: pushing")
    ti.xcom_push(key="extra", value="value")
    return {"answer": 42}  # the return value XCom


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
    push = PythonOperator(task_id="push", python_callable=_push)
    wait = BashOperator(task_id="wait", bash_command="echo airflow-rest smoke bash")
    double = PythonOperator.partial(task_id="double", python_callable=_double).expand(op_args=[[1], [2]])
    # gives the run a real operator extra link ("Triggered DAG"); the target stays paused
    trigger = TriggerDagRunOperator(task_id="trigger", trigger_dag_id="airflow_rest_target")
    push >> double >> wait >> trigger

with DAG(dag_id="airflow_rest_target", schedule=None, start_date=START, catchup=False, tags=["airflow-rest"]):
    EmptyOperator(task_id="noop")

with DAG(
    dag_id="airflow_rest_consumer",
    schedule=[DATASET_A, DATASET_B],
    start_date=START,
    catchup=False,
    is_paused_upon_creation=False,  # only unpaused consumers get queued dataset events
    tags=["airflow-rest"],
):
    EmptyOperator(task_id="noop")
