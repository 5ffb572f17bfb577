"""GET operations the example data serves, each parsed faithfully (tests/support/faithful.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_rest_v2 import Client
from airflow_rest_v2.api.asset import get_asset, get_asset_alias, get_asset_aliases, get_assets
from airflow_rest_v2.api.config import get_config, get_config_value
from airflow_rest_v2.api.connection import get_connections
from airflow_rest_v2.api.dag import get_dag, get_dag_details, get_dag_tags, get_dags
from airflow_rest_v2.api.dag_source import get_dag_source
from airflow_rest_v2.api.dag_stats import get_dag_stats
from airflow_rest_v2.api.dag_version import get_dag_version, get_dag_versions
from airflow_rest_v2.api.dag_warning import list_dag_warnings
from airflow_rest_v2.api.event_log import get_event_log, get_event_logs
from airflow_rest_v2.api.import_error import get_import_error, get_import_errors
from airflow_rest_v2.api.job import get_jobs
from airflow_rest_v2.api.monitor import get_health
from airflow_rest_v2.api.plugin import get_plugins, import_errors
from airflow_rest_v2.api.pool import get_pool, get_pools
from airflow_rest_v2.api.provider import get_providers
from airflow_rest_v2.api.task import get_task, get_tasks
from airflow_rest_v2.api.variable import get_variables
from airflow_rest_v2.api.version import get_version
from airflow_rest_v2.models import DAGDetailsResponse

from .conftest import SMOKE_DAG

Call = Callable[..., Any]


def test_health_with_aware_heartbeats(call: Call, anonymous: Client) -> None:
    health = call(get_health, client=anonymous)
    assert health.metadatabase.status == "healthy"
    for component in (health.scheduler, health.triggerer, health.dag_processor):
        assert component.status == "healthy"
    assert health.scheduler.latest_scheduler_heartbeat.tzinfo is not None


def test_version(call: Call, anonymous: Client) -> None:
    version = call(get_version, client=anonymous)
    assert version.version.startswith("3.")


def test_config_and_one_option_answer_json_by_default(call: Call) -> None:
    config = call(get_config)
    sections = {s.name: {o.key: o.value for o in s.options} for s in config.sections}
    assert sections["api"]["expose_config"] == "True"
    one = call(get_config, section="core")
    assert [s.name for s in one.sections] == ["core"]
    value = call(get_config_value, "core", "executor")
    assert value.sections[0].options[0].value == "LocalExecutor"


def test_plugins_and_providers(call: Call) -> None:
    plugins = call(get_plugins)
    assert plugins.total_entries == len(plugins.plugins)
    providers = call(get_providers, limit=100)
    assert "apache-airflow-providers-standard" in {p.package_name for p in providers.providers}


def test_plugin_import_errors(call: Call) -> None:
    errors = call(import_errors)
    assert errors.total_entries == len(errors.import_errors)


def test_dags_list_detail_tags_and_versions(call: Call) -> None:
    dags = call(get_dags, limit=100)
    assert dags.total_entries >= 40 and len(dags.dags) == min(100, dags.total_entries)
    assert SMOKE_DAG in {d.dag_id for d in dags.dags}
    page2 = call(get_dags, limit=100, offset=100, order_by=["dag_id"])
    assert len(page2.dags) == max(0, dags.total_entries - 100)
    dag = call(get_dag, "example_bash_operator")
    assert dag.dag_id == "example_bash_operator" and dag.last_parsed_time.tzinfo is not None
    details = call(get_dag_details, "example_bash_operator")
    assert isinstance(details, DAGDetailsResponse) and details.params is not None
    smoke = call(get_dag_details, SMOKE_DAG)
    assert smoke.params["greeting"]["value"] == "hello"
    tags = call(get_dag_tags, limit=100)
    assert "airflow-rest" in tags.tags
    versions = call(get_dag_versions, SMOKE_DAG)
    assert versions.total_entries >= 1
    newest = versions.dag_versions[-1]
    assert call(get_dag_version, SMOKE_DAG, newest.version_number).id == newest.id


def test_dag_source_answers_json_by_default(call: Call) -> None:
    source = call(get_dag_source, SMOKE_DAG)
    assert "airflow_rest_smoke" in source.content and source.dag_id == SMOKE_DAG


def test_tasks(call: Call) -> None:
    tasks = call(get_tasks, SMOKE_DAG)
    assert tasks.total_entries == len(tasks.tasks) >= 4
    task = call(get_task, SMOKE_DAG, "push")
    assert task.task_id == "push" and task.start_date.tzinfo is not None


def test_dag_stats(call: Call) -> None:
    stats = call(get_dag_stats, dag_ids=[SMOKE_DAG])
    assert [s.dag_id for s in stats.dags] == [SMOKE_DAG]


def test_dag_warnings(call: Call) -> None:
    warnings = call(list_dag_warnings)
    assert warnings.total_entries == len(warnings.dag_warnings)


def test_import_errors(call: Call) -> None:
    # only the DAG processor records import errors: on a fresh server, wait for its first pass
    deadline = time.monotonic() + 180
    while not (errors := call(get_import_errors)).import_errors and time.monotonic() < deadline:
        time.sleep(2)
    broken = [e for e in errors.import_errors if e.filename.endswith("broken_dag.py")]
    assert broken, "tests/integration_v2/dags/broken_dag.py should fail to import"
    assert broken[0].timestamp.tzinfo is not None
    one = call(get_import_error, broken[0].import_error_id)
    assert "this_module_does_not_exist" in one.stack_trace


def test_event_logs(call: Call) -> None:
    logs = call(get_event_logs, limit=20, order_by=["-id"])
    assert logs.event_logs, "the server logs API calls such as the writes of other tests"
    one = call(get_event_log, logs.event_logs[0].event_log_id)
    assert one.event_log_id == logs.event_logs[0].event_log_id


def test_jobs(call: Call) -> None:
    jobs = call(get_jobs, is_alive=True)
    assert {j.job_type for j in jobs.jobs} >= {"SchedulerJob", "TriggererJob"}


def test_assets_and_aliases(call: Call) -> None:
    assets = call(get_assets, limit=100)
    uris = {a.uri: a for a in assets.assets}
    assert "airflow-rest://a/" in uris
    assert call(get_asset, uris["airflow-rest://a/"].id).uri == "airflow-rest://a/"
    aliases = call(get_asset_aliases, limit=100)
    assert aliases.total_entries == len(aliases.asset_aliases) >= 1
    first = aliases.asset_aliases[0]
    assert call(get_asset_alias, first.id).name == first.name


def test_pools_connections_variables_lists(call: Call) -> None:
    pools = call(get_pools)
    assert "default_pool" in {p.name for p in pools.pools}
    assert call(get_pool, "default_pool").slots >= 1
    connections = call(get_connections, limit=5)
    assert connections.total_entries >= 0
    variables = call(get_variables)
    assert variables.total_entries >= len(variables.variables)


@pytest.mark.parametrize("order_by", ["dag_id", "-dag_id"])
def test_ordering(call: Call, order_by: str) -> None:
    dags = call(get_dags, limit=5, order_by=[order_by])
    ids = [d.dag_id for d in dags.dags]
    assert ids == sorted(ids, reverse=order_by.startswith("-"))
