"""Runs after the other tests (file order): which operations the suite exercised, and why the rest
are not. Against another release than the pinned one, the operations it does not serve are
explained as such and the report goes to a file of that release's own."""

from __future__ import annotations

import pytest

import airflow_rest_v2

from ..support.faithful import operation_ids, whole_suite_selected, write_coverage
from .conftest import EXERCISED, PINNED_VERSION, REPORT

NOT_EXERCISED: dict[str, str] = {}


def test_every_operation_is_exercised_or_explained(
    request: pytest.FixtureRequest, served: frozenset[str], server_version: str
) -> None:
    if not whole_suite_selected(request):
        pytest.skip("coverage is only meaningful for a run of the whole integration suite")
    explained = dict(NOT_EXERCISED)
    report = REPORT
    if server_version != PINNED_VERSION:
        explained |= {
            op: f"Airflow {server_version} does not serve it"
            for op in operation_ids(airflow_rest_v2)
            if op not in served
        }
        report = REPORT.with_name(f"{REPORT.stem}-{server_version}{REPORT.suffix}")
    missing, stale = write_coverage(airflow_rest_v2, EXERCISED, explained, report)
    assert missing == [], f"operations neither exercised nor explained (see {report})"
    assert stale == [], "listed as not exercised, but the suite exercised them"
