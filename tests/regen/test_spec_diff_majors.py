"""The report from Airflow 2 to 3 on the real specs (2.11.2 -> 3.3.2) finds what is known to have moved.

Downloads the two wheels (no dependencies) through pip, so it runs in `make test-regen`, not with
the offline unit tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import spec_diff  # noqa: E402


@pytest.fixture(scope="module")
def diff() -> spec_diff.CrossDiff:
    old, new = spec_diff.load_source("2.11.2"), spec_diff.load_source("3.3.2")
    assert (old.api, new.api) == ("v1", "v2")
    return spec_diff.diff_across(old.spec, new.spec)


def test_operations_are_matched_by_purpose(diff: spec_diff.CrossDiff) -> None:
    by_old = {m.old.operation_id: m for m in diff.matched}
    assert (by_old["get_dags"].new.operation_id, by_old["get_dags"].new.path) == ("get_dags", "/api/v2/dags")
    assert by_old["post_dag_run"].new.operation_id == "trigger_dag_run"
    assert by_old["get_health"].new.path == "/api/v2/monitor/health"
    assert by_old["get_dag_source"].new.path == "/api/v2/dagSources/{dag_id}"
    assert by_old["set_dag_run_note"].new.operation_id == "patch_dag_run"
    for old_id, new_id in (
        ("get_datasets", "get_assets"),
        ("get_dataset", "get_asset"),
        ("get_dataset_events", "get_asset_events"),
        ("create_dataset_event", "create_asset_event"),
        ("get_upstream_dataset_events", "get_upstream_asset_events"),
        ("get_dag_dataset_queued_event", "get_dag_asset_queued_event"),
    ):
        assert by_old[old_id].new.operation_id == new_id
    assert "query parameter limit: default: 100 -> 50" in by_old["get_dags"].parameters


def test_field_renames_are_reported(diff: spec_diff.CrossDiff) -> None:
    pairs = {p.key: p for p in diff.schemas}
    run = pairs[("DAGRun", "DAGRunResponse", "response")]
    assert ("execution_date", "logical_date") in [(r.old, r.new) for r in run.renamed]
    instance = pairs[("TaskInstance", "TaskInstanceResponse", "response")]
    assert ("execution_date", "logical_date") in [(r.old, r.new) for r in instance.renamed]
    dag = pairs[("DAG", "DAGResponse", "response")]
    assert {("is_active", "is_stale"), ("schedule_interval", "timetable_summary")} <= {
        (r.old, r.new) for r in dag.renamed
    }
    asset = pairs[("Dataset", "AssetResponse", "response")]
    assert ("consuming_dags", "scheduled_dags") in [(r.old, r.new) for r in asset.renamed]
    renames = {(kind, old, new) for kind, old, new, _ in diff.renames()}
    assert ("query parameter", "execution_date_gte", "logical_date_gte") in renames


def test_users_roles_and_permissions_are_reported_as_moved(diff: spec_diff.CrossDiff) -> None:
    removed = {r.operation.operation_id: r.now for r in diff.removed}
    for op_id in ("get_users", "post_user", "get_roles", "get_permissions"):
        assert "/auth/fab/v1" in (removed[op_id] or "")
    assert all(now for now in removed.values()), removed
    new = {a.operation.operation_id for a in diff.added}
    assert {"list_backfills", "bulk_pools", "get_dag_versions", "create_token"} <= new


def test_report_is_stable_and_starts_with_a_summary(diff: spec_diff.CrossDiff) -> None:
    text = spec_diff.render_across(diff, "2.11.2", "3.3.2")
    assert text.splitlines()[2].startswith("Summary: 2.11.2: ")
    assert "- field execution_date -> logical_date: DAGRun," in text
    assert text == spec_diff.render_across(diff, "2.11.2", "3.3.2")
