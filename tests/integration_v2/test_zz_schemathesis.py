"""Runs last (file order): a bounded schemathesis run of the effective v2 spec
(generated/airflow_rest_v2/openapi.json) against the real server, with the checks that say whether
the spec describes what the server answers: response_schema_conformance, status_code_conformance and
content_type_conformance. A failure is fixed by a correction in spec/v2/corrections.yaml; what no
spec can express is listed, with its reason, in schemathesis_exclusions.yaml, as are the operations
that are not called or are pointed at the suite's own DAG. The figures go to
.cache/schemathesis-v2.txt."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

import airflow_rest_v2

from ..support.faithful import HTTP_METHODS, effective_spec
from .conftest import PINNED_VERSION, ROOT_URL

EXCLUSIONS = Path(__file__).with_name("schemathesis_exclusions.yaml")
REPORT = Path(__file__).resolve().parents[2] / ".cache" / "schemathesis-v2.txt"
SEED = 20261201
MAX_EXAMPLES = 3  # per operation, in the fuzzing phase; the coverage phase adds its own cases
CHECKS = ("response_schema_conformance", "status_code_conformance", "content_type_conformance")
PHASES = ("examples", "coverage", "fuzzing")


@dataclass(frozen=True)
class Failure:
    operation: str
    check: str
    status: int
    target: str  # path and query, decoded
    body: str  # the request body as text
    answer: str  # content type and the start of the answer

    @property
    def kind(self) -> tuple[str, str, int]:
        return (self.operation, self.check, self.status)


@dataclass
class Outcome:
    requests: int = 0
    operations: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def load_exclusions() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXCLUSIONS.read_text(encoding="utf-8"))
    for name, why in data["excluded"].items():
        assert isinstance(why, str) and why.strip(), f"excluded {name}: no reason"
    for name, pin in data["pinned"].items():
        assert pin.get("parameters") and pin.get("why"), f"pinned {name}: parameters and why"
    for entry in data["accepted"]:
        assert (
            {"operations", "check", "status", "why", "evidence"}
            <= set(entry)
            <= {*("operations", "check", "status", "why", "evidence", "target", "body")}
        ), entry
    return data


def operation_ids() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> operationId of the effective spec."""
    spec = effective_spec(airflow_rest_v2)
    return {
        (method.upper(), path): o["operationId"]
        for path, item in spec["paths"].items()
        for method, o in item.items()
        if method in HTTP_METHODS
    }


def config(token: str, exclusions: dict[str, Any]) -> dict[str, Any]:
    """The run's schemathesis configuration (the same keys as a schemathesis.toml)."""
    known = set(operation_ids().values())
    named = set(exclusions["excluded"]) | set(exclusions["pinned"])
    for entry in exclusions["accepted"]:
        named |= set(entry["operations"]) if entry["operations"] != "any" else set()
    assert named <= known, f"schemathesis_exclusions.yaml names no such operations: {sorted(named - known)}"
    operations: list[dict[str, Any]] = [
        {"include-operation-id": name, "enabled": False} for name in sorted(exclusions["excluded"])
    ]
    operations += [
        {"include-operation-id": name, "parameters": pin["parameters"]}
        for name, pin in sorted(exclusions["pinned"].items())
    ]
    return {
        "seed": SEED,
        "base-url": ROOT_URL,  # v2's paths start with /api/v2
        "headers": {"Authorization": f"Bearer {token}"},
        "request-timeout": 30,
        "suppress-health-check": ["all"],
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {"max-examples": MAX_EXAMPLES, "no-shrink": True, "database": "none"},
        "cache": {"enabled": False},
        "operations": operations,
    }


def run(settings: dict[str, Any]) -> Outcome:
    import schemathesis
    from schemathesis.engine import events, from_schema

    spec_path = Path(airflow_rest_v2.__file__).parent / "openapi.json"
    schema = schemathesis.openapi.from_path(spec_path, config=schemathesis.Config.from_dict(settings))
    labels = {f"{method} {path}": op for (method, path), op in operation_ids().items()}
    outcome = Outcome()
    start = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.value!r}"[:300])
        elif isinstance(event, events.FatalError):
            outcome.errors.append(f"fatal: {event.exception!r}"[:300])
        elif isinstance(event, events.ScenarioFinished):
            record(outcome, event.recorder, labels)
    outcome.seconds = time.monotonic() - start
    return outcome


def record(outcome: Outcome, recorder: Any, labels: dict[str, str]) -> None:
    op = labels.get(recorder.label, recorder.label)
    outcome.requests += len(recorder.interactions)
    if recorder.interactions:
        outcome.operations.add(op)
    for case_id, checks in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        for check in checks:
            if check.status.value != "failure" or interaction is None:
                continue
            request, response = interaction.request, interaction.response
            url = urlsplit(request.uri)
            answer = ""
            if response is not None:
                kind = ",".join(response.headers.get("content-type", ["none"]))
                answer = f"{kind} {response.content[:300].decode('utf-8', 'replace')}"
            outcome.failures.append(
                Failure(
                    operation=op,
                    check=check.name,
                    status=response.status_code if response is not None else 0,
                    target=unquote(url.path + ("?" + url.query if url.query else "")),
                    body=(request.body or b"")[:2000].decode("utf-8", "replace"),
                    answer=answer,
                )
            )


def accepted_by(failure: Failure, exclusions: dict[str, Any]) -> int | None:
    """The index of the accepted entry that covers ``failure``, if any."""
    for i, entry in enumerate(exclusions["accepted"]):
        if (
            (entry["operations"] == "any" or failure.operation in entry["operations"])
            and entry["check"] == failure.check
            and int(entry["status"]) == failure.status
            and re.search(entry.get("target", ""), failure.target)
            and re.search(entry.get("body", ""), failure.body)
        ):
            return i
    return None


def write_report(outcome: Outcome, unexpected: list[Failure], exclusions: dict[str, Any]) -> None:
    kinds = Counter(f.kind for f in outcome.failures)
    bad = {f.kind for f in unexpected}
    lines = [
        f"schemathesis {_version()} against Airflow {PINNED_VERSION} at {ROOT_URL}: seed {SEED}, phases "
        f"{', '.join(PHASES)}, {MAX_EXAMPLES} fuzzed examples per operation, checks {', '.join(CHECKS)}",
        f"{outcome.requests} requests to {len(outcome.operations)} operations in {outcome.seconds:.0f} s; "
        f"{len(exclusions['excluded'])} operations excluded, {len(exclusions['pinned'])} pinned",
        f"{len(outcome.failures)} failing checks in {len(kinds)} kinds (operation, check, status); "
        f"{len(unexpected)} not accepted by schemathesis_exclusions.yaml",
        "",
    ]
    examples = {f.kind: f for f in reversed(outcome.failures)}
    for kind, count in sorted(kinds.items()):
        example = examples[kind]
        state = "UNEXPECTED" if kind in bad else "accepted  "
        lines.append(f"  {state} {count:4d}x {kind[0]} {kind[1]} HTTP {kind[2]}")
        lines.append(f"      {example.target} {example.body[:200]} -> {example.answer}"[:700])
    lines += [f"  error: {e}" for e in outcome.errors]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))


def _version() -> str:
    import schemathesis

    return str(schemathesis.__version__)


def test_effective_spec_describes_what_the_server_answers(token: str, server_version: str) -> None:
    if server_version != PINNED_VERSION:
        pytest.skip(
            f"the effective spec is {PINNED_VERSION}'s and this server is Airflow {server_version}: "
            "schemathesis gates the pinned release only"
        )
    exclusions = load_exclusions()
    outcome = run(config(token, exclusions))
    unexpected = [f for f in outcome.failures if accepted_by(f, exclusions) is None]
    write_report(outcome, unexpected, exclusions)
    assert outcome.errors == [], outcome.errors
    assert unexpected == [], f"{len(unexpected)} failing checks not accepted; see {REPORT}"
