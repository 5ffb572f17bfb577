"""Runs last (file order): a bounded schemathesis run of the effective v2 spec
(generated/airflow_rest_v2/openapi.json) against the real server, with the checks that say whether
the spec describes what the server answers: response_schema_conformance, status_code_conformance and
content_type_conformance. A failure is fixed by a correction in spec/v2/corrections.yaml; what no
spec can express is listed, with its reason, in schemathesis_exclusions.yaml, as are the operations
that are not called or are pointed at the suite's own DAG. The figures go to
.cache/schemathesis-v2.txt. The run itself is tests/support/schemathesis_gate.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import airflow_rest_v2

from ..support import schemathesis_gate
from .conftest import PINNED_VERSION, ROOT_URL

EXCLUSIONS = Path(__file__).with_name("schemathesis_exclusions.yaml")
REPORT = Path(__file__).resolve().parents[2] / ".cache" / "schemathesis-v2.txt"
SEED = 20261201
# per operation, in the fuzzing phase (the coverage phase adds its own cases); a deeper run than the
# gate's few minutes: SCHEMATHESIS_MAX_EXAMPLES=25 make test-integration
MAX_EXAMPLES = schemathesis_gate.max_examples(default=3)
CHECKS = ("response_schema_conformance", "status_code_conformance", "content_type_conformance")


def gate(token: str) -> schemathesis_gate.Gate:
    return schemathesis_gate.Gate(
        package=airflow_rest_v2,
        base_url=ROOT_URL,  # v2's paths start with /api/v2
        headers={"Authorization": f"Bearer {token}"},
        exclusions=EXCLUSIONS,
        report=REPORT,
        server=f"Airflow {PINNED_VERSION} at {ROOT_URL}",
        seed=SEED,
        max_examples=MAX_EXAMPLES,
        checks=CHECKS,
    )


def test_effective_spec_describes_what_the_server_answers(token: str, server_version: str) -> None:
    if server_version != PINNED_VERSION:
        pytest.skip(
            f"the effective spec is {PINNED_VERSION}'s and this server is Airflow {server_version}: "
            "schemathesis gates the pinned release only"
        )
    schemathesis_gate.check(gate(token))
