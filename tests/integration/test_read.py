"""GET operations the example data serves, each parsed faithfully (see conftest.assert_faithful)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_rest_v1.api.config import get_config, get_value
from airflow_rest_v1.api.connection import get_connections
from airflow_rest_v1.api.dag import get_dag, get_dag_details, get_dag_source, get_dags, get_task, get_tasks
from airflow_rest_v1.api.dag_stats import get_dag_stats
from airflow_rest_v1.api.dag_warning import get_dag_warnings
from airflow_rest_v1.api.dataset import get_dataset, get_datasets
from airflow_rest_v1.api.event_log import get_event_log, get_event_logs
from airflow_rest_v1.api.import_error import get_import_error, get_import_errors
from airflow_rest_v1.api.monitoring import get_health, get_version
from airflow_rest_v1.api.permission import get_permissions
from airflow_rest_v1.api.plugin import get_plugins
from airflow_rest_v1.api.pool import get_pool, get_pools
from airflow_rest_v1.api.provider import get_providers
from airflow_rest_v1.api.role import get_role, get_roles
from airflow_rest_v1.api.user import get_user, get_users
from airflow_rest_v1.api.variable import get_variables
from airflow_rest_v1.models import (
    CronExpression,
    DAGDetail,
    HealthStatus,
    TimeDelta,
)
from airflow_rest_v1.types import UNSET

from .conftest import SMOKE_DAG, USER

Call = Callable[..., Any]


def test_health_reports_null_status_of_components_not_running(call: Call) -> None:
    health = call(get_health)
    assert health.metadatabase.status == HealthStatus.HEALTHY
    assert health.scheduler.status == HealthStatus.HEALTHY
    assert health.scheduler.latest_scheduler_heartbeat.tzinfo is not None
    # no triggerer and no standalone dag processor run here: the server sends null
    assert health.triggerer.status is None and health.dag_processor.status is None


def test_version(call: Call) -> None:
    version = call(get_version)
    assert version.version.startswith("2.")


def test_config_as_json_and_one_option(call: Call) -> None:
    config = call(get_config)
    sections = {s.name: {o.key: o.value for o in s.options} for s in config.sections}
    assert sections["webserver"]["expose_config"] == "True"
    value = call(get_value, "core", "executor")
    assert value.sections[0].options[0].value == "SequentialExecutor"


def test_plugins_and_providers(call: Call) -> None:
    plugins = call(get_plugins)
    assert plugins.total_entries == len(plugins.plugins)
    providers = call(get_providers)
    assert "apache-airflow-providers-fab" in {p.package_name for p in providers.providers}


def test_dags_list_detail_and_schedules(call: Call) -> None:
    dags = call(get_dags, limit=100)
    assert dags.total_entries >= 40 and len(dags.dags) == min(100, dags.total_entries)
    by_id = {d.dag_id: d for d in dags.dags}
    assert SMOKE_DAG in by_id
    schedules = {type(d.schedule_interval) for d in dags.dags}
    assert CronExpression in schedules and TimeDelta in schedules  # the discriminated union
    assert by_id[SMOKE_DAG].schedule_interval is None
    dag = call(get_dag, "example_bash_operator")
    assert dag.dag_id == "example_bash_operator" and dag.file_token
    details = call(get_dag_details, "example_bash_operator")
    assert isinstance(details, DAGDetail) and details.template_searchpath is None
    assert details.dag_run_timeout is None or isinstance(details.dag_run_timeout, TimeDelta)


def test_dag_fields_filter(call: Call) -> None:
    dag = call(get_dag, SMOKE_DAG, fields=["dag_id", "is_paused"])
    assert dag.dag_id == SMOKE_DAG and dag.description is UNSET


def test_dag_source_as_json(call: Call, smoke_dag: Any) -> None:
    source = call(get_dag_source, smoke_dag.file_token)
    assert "airflow_rest_smoke" in source.content


def test_tasks(call: Call) -> None:
    tasks = call(get_tasks, SMOKE_DAG)
    assert tasks.total_entries == len(tasks.tasks) >= 3
    task = call(get_task, SMOKE_DAG, "push")
    assert task.task_id == "push" and task.operator_name


def test_dag_stats(call: Call) -> None:
    stats = call(get_dag_stats, dag_ids=SMOKE_DAG)
    assert [s.dag_id for s in stats.dags] == [SMOKE_DAG]


def test_dag_warnings(call: Call) -> None:
    warnings = call(get_dag_warnings)
    assert warnings.total_entries == len(warnings.dag_warnings)


def test_import_errors(call: Call) -> None:
    # only the scheduler's DAG processor records import errors: on a fresh server, wait for its first pass
    deadline = time.monotonic() + 180
    while not (errors := call(get_import_errors)).import_errors and time.monotonic() < deadline:
        time.sleep(2)
    broken = [e for e in errors.import_errors if e.filename.endswith("broken_dag.py")]
    assert broken, "tests/integration/dags/broken_dag.py should fail to import"
    assert broken[0].timestamp.tzinfo is not None
    one = call(get_import_error, broken[0].import_error_id)
    assert "this_module_does_not_exist" in one.stack_trace


def test_event_logs(call: Call) -> None:
    logs = call(get_event_logs, limit=20, order_by="-event_log_id")
    assert logs.event_logs, "the server logs API calls such as the DAG reads above"
    one = call(get_event_log, logs.event_logs[0].event_log_id)
    assert one.event_log_id == logs.event_logs[0].event_log_id


def test_datasets(call: Call) -> None:
    datasets = call(get_datasets, limit=100)
    assert datasets.total_entries >= 1
    first = datasets.datasets[0]
    assert call(get_dataset, first.uri).id == first.id


def test_pools_connections_variables_lists(call: Call) -> None:
    pools = call(get_pools)
    assert "default_pool" in {p.name for p in pools.pools}
    assert call(get_pool, "default_pool").slots >= 1
    connections = call(get_connections, limit=5)
    assert connections.total_entries >= 0
    variables = call(get_variables)
    assert variables.total_entries == len(variables.variables)


def test_users_roles_permissions(call: Call) -> None:
    users = call(get_users)
    assert USER in {u.username for u in users.users}
    me = call(get_user, USER)
    assert me.username == USER and "Admin" in {r.name for r in me.roles}
    roles = call(get_roles)
    assert "Admin" in {r.name for r in roles.roles}
    admin = call(get_role, "Admin")
    assert admin.actions
    permissions = call(get_permissions)
    assert permissions.total_entries >= 1


@pytest.mark.parametrize("order_by", ["dag_id", "-dag_id"])
def test_ordering(call: Call, order_by: str) -> None:
    dags = call(get_dags, limit=5, order_by=order_by)
    ids = [d.dag_id for d in dags.dags]
    assert ids == sorted(ids, reverse=order_by.startswith("-"))
