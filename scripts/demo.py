"""A short tour of airflow_rest against the local Airflow (`make demo` starts and stops it).

Lists DAGs with the pager, pauses and unpauses one with update_mask, triggers a run and waits for
it, then prints its task states and an excerpt of a task log.
"""

from __future__ import annotations

import ast
import os
import uuid

from airflow_rest import AirflowClient
from airflow_rest.models import DAGRun

DAG_ID = "airflow_rest_smoke"


def main() -> None:
    port = os.environ.get("AIRFLOW_PORT", "28080")
    auth = (os.environ.get("AIRFLOW_USER", "admin"), os.environ.get("AIRFLOW_PASSWORD", "admin"))
    with AirflowClient(f"http://127.0.0.1:{port}", auth=auth) as client:
        health = client.monitoring.get_health()
        version = client.monitoring.get_version()
        print(
            f"Airflow {version.version}: metadatabase {health.metadatabase.status}, "
            f"scheduler {health.scheduler.status}"
        )

        dags = list(client.paginate(client.dag.get_dags, page_size=25))
        print(f"\n{len(dags)} DAGs (paged 25 at a time); the first five:")
        for dag in dags[:5]:
            schedule = getattr(dag.schedule_interval, "value", dag.schedule_interval)
            print(f"  {dag.dag_id:<45} {'paused' if dag.is_paused else 'active':<7} {schedule}")

        paused = client.update("dag", DAG_ID, is_paused=True)
        print(f"\n{DAG_ID}: paused={paused.is_paused}", end="")
        unpaused = client.update("dag", DAG_ID, is_paused=False)
        print(f" -> paused={unpaused.is_paused}  (PATCH ...?update_mask=is_paused)")

        run = client.dag_run.post_dag_run(DAG_ID, body=DAGRun(dag_run_id=f"demo_{uuid.uuid4().hex[:8]}"))
        print(f"\ntriggered {run.dag_run_id}; waiting...")
        done = client.wait_for_dag_run(DAG_ID, run.dag_run_id, timeout=300, poll_interval=1)
        took = (done.end_date - done.start_date).total_seconds() if done.end_date and done.start_date else 0
        print(f"{run.dag_run_id}: {done.state} in {took:.1f} s")
        instances = client.task_instance.get_task_instances(DAG_ID, run.dag_run_id).task_instances
        for ti in sorted(instances, key=lambda t: (t.start_date or done.start_date, t.map_index)):
            index = f"[{ti.map_index}]" if ti.map_index != -1 else ""
            print(f"  {ti.task_id + index:<12} {ti.state}  try {ti.try_number}  {ti.duration or 0:.2f} s")

        log = client.task_instance.get_log(DAG_ID, run.dag_run_id, "push", 1, full_content=True)
        # Airflow 2 sends `content` as the repr of a list of (host, text) pairs
        pairs = ast.literal_eval(str(log.content))
        text = "\n".join(chunk for _host, chunk in pairs)
        lines = [
            line for line in text.splitlines() if "airflow-rest smoke" in line or "Returned value" in line
        ]
        print("\nlog of push, try 1:\n  " + ("\n  ".join(lines[-2:]) or "(no matching line)"))


if __name__ == "__main__":
    main()
