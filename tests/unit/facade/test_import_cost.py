"""What ``import airflow_rest`` leaves for later: the modules a sync Airflow 2 user never needs are
imported on first use (their cost is measured by ``make bench``; this keeps them out)."""

from __future__ import annotations

import subprocess
import sys

LATER = (
    "asyncio",
    "concurrent.futures",
    "airflow_rest._v2",
    "airflow_rest._token_auth",
    "airflow_rest_v2.api",
)


def test_a_sync_airflow_2_client_imports_no_async_machinery_and_nothing_of_airflow_3() -> None:
    code = (
        "import sys, airflow_rest\n"
        "c = airflow_rest.AirflowClient('http://127.0.0.1:1'); c.task_instance.get_task_instances\n"
        f"print(sorted(m for m in {LATER!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_airflow_3_names_still_resolve_on_first_use() -> None:
    code = (
        "import airflow_rest\n"
        "assert airflow_rest.Airflow3Client.__module__ == 'airflow_rest._v2'\n"
        "from airflow_rest.auth import PasswordTokenAuth\n"
        "assert PasswordTokenAuth is airflow_rest.PasswordTokenAuth\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
