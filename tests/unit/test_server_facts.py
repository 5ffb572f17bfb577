"""``scripts/facts.py`` on the ``masked`` fact (what the server masks in a connection's extra): checked
when loaded and against the spec, emitted into ``_facts.py`` only for an API that states it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import facts  # noqa: E402
from majors import V1  # noqa: E402

import airflow_rest_v1._facts as generated  # noqa: E402


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def base(masked: Any) -> dict[str, Any]:
    return {"resources": {}, "trigger": {}, "secrets": {}, "masked": masked}


def test_the_v1_facts_state_the_masked_extra_keys_and_the_package_carries_them() -> None:
    doc = facts.load(V1.facts)
    assert doc["masked"]["evidence"]
    assert generated.MASKED == {"extra_keys": doc["masked"]["extra_keys"]}
    namespace: dict[str, Any] = {}
    exec(facts.python_module(doc), namespace)
    assert namespace["MASKED"] == generated.MASKED


@pytest.mark.parametrize(
    "masked",
    [
        {"extra_keys": ["token"]},  # no evidence
        {"extra_keys": ["Token"], "evidence": "e"},  # matched case-insensitively: written lower-case
        {"extra_keys": [], "evidence": "e"},
        {"extra_keys": "token", "evidence": "e"},
        {"extra_keys": ["token"], "evidence": "e", "values": ["***"]},
        ["token"],
    ],
)
def test_a_masked_fact_without_evidence_or_with_odd_words_stops_the_build(
    tmp_path: Path, masked: Any
) -> None:
    with pytest.raises(facts.FactError, match="'masked'"):
        facts.load(write(tmp_path, base(masked)))


def test_a_masked_fact_needs_a_connection_extra_in_the_spec(tmp_path: Path) -> None:
    doc = facts.load(write(tmp_path, base({"extra_keys": ["token"], "evidence": "e"})))
    spec: dict[str, Any] = {
        "paths": {},
        "components": {"schemas": {"Connection": {"properties": {"host": {}}}}},
    }
    with pytest.raises(facts.FactError, match="no 'extra'"):
        facts.check(doc, spec)


def test_an_api_without_the_fact_gets_no_masked_table(tmp_path: Path) -> None:
    doc = base(None)
    del doc["masked"]
    doc["trigger"] = {"call": ["dag_run", "trigger"], "body": "DAGRun"}
    assert "MASKED" not in facts.python_module(facts.load(write(tmp_path, doc)))
