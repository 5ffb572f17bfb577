"""Runs last (file order): which operations the suite exercised, and why the rest cannot be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import airflow_rest_v1

from .conftest import EXERCISED, REPORT

NOT_EXERCISED = {
    "test_connection": "connection testing is disabled by default ([core] test_connection); the server "
    "answers 403 text/html, checked in test_errors.py",
}


def test_every_operation_is_exercised_or_explained(request: pytest.FixtureRequest) -> None:
    selected = request.config.option.keyword or any("::" in str(a) for a in request.config.args)
    if selected:
        pytest.skip("coverage is only meaningful for a run of the whole integration suite")
    spec = json.loads((Path(airflow_rest_v1.__file__).parent / "openapi.json").read_text())
    operations = sorted(
        o["operationId"]
        for item in spec["paths"].values()
        for m, o in item.items()
        if m in {"get", "put", "post", "patch", "delete"}
    )
    lines = [f"{len(EXERCISED)} of {len(operations)} operations exercised against the real server", ""]
    for op in operations:
        if op in EXERCISED:
            lines.append(f"  exercised      {op}  (HTTP {', '.join(map(str, sorted(EXERCISED[op])))})")
        else:
            lines.append(f"  NOT exercised  {op}  ({NOT_EXERCISED.get(op, 'no reason recorded')})")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))
    missing = [op for op in operations if op not in EXERCISED and op not in NOT_EXERCISED]
    assert missing == [], f"operations neither exercised nor explained (see {REPORT})"
    stale = [op for op in NOT_EXERCISED if op in EXERCISED]
    assert stale == [], "listed as not exercised, but the suite exercised them"
