"""A short tour of the local Airflow through the generated package: health, version, first DAGs.

make demo        # brings the local Airflow up, runs this, brings it down
"""

from __future__ import annotations

import os

from airflow_rest_v1 import Client
from airflow_rest_v1.api.dag import get_dags
from airflow_rest_v1.api.monitoring import get_health, get_version
from airflow_rest_v1.models import DAGCollection, HealthInfo, VersionInfo


def main() -> None:
    port = os.environ.get("AIRFLOW_PORT", "28080")
    auth = (os.environ.get("AIRFLOW_USER", "admin"), os.environ.get("AIRFLOW_PASSWORD", "admin"))
    client = Client(
        base_url=f"http://127.0.0.1:{port}/api/v1",
        headers={"Accept": "application/json"},
        httpx_args={"auth": auth},
        raise_on_unexpected_status=True,
    )
    with client:
        health = get_health.sync(client=client)
        assert isinstance(health, HealthInfo)
        print(f"metadatabase: {health.metadatabase.status}")
        heartbeat = health.scheduler.latest_scheduler_heartbeat
        print(f"scheduler:    {health.scheduler.status} (heartbeat {heartbeat})")
        print(f"triggerer:    {health.triggerer.status}")
        version = get_version.sync(client=client)
        assert isinstance(version, VersionInfo)
        print(f"Airflow {version.version}")
        dags = get_dags.sync(client=client, limit=5, order_by="dag_id")
        assert isinstance(dags, DAGCollection)
        print(f"{dags.total_entries} DAGs; the first {len(dags.dags)}:")
        for dag in dags.dags:
            state = "paused" if dag.is_paused else "active"
            schedule = getattr(dag.schedule_interval, "value", dag.schedule_interval)
            print(f"  {dag.dag_id:<45} {state:<7} {schedule}")


if __name__ == "__main__":
    main()
