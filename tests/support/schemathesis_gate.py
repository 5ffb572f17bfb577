"""A bounded schemathesis run of a generated package's effective spec against a real server, shared
by the schemathesis gates of both majors (tests/integration*/test_zz_schemathesis.py).

A gate names the package whose ``openapi.json`` is run, where the server is and how to authenticate,
and its exclusions file. The exclusions file has three sections:

    excluded   operationId -> why schemathesis never calls it
    pinned     operationId -> {parameters: fixed for every request it makes, why}
    accepted   failing checks no spec can express: operations ("any" or a list), check, status,
               why, evidence, and optionally regular expressions the failing request's target
               (path and query, decoded) and body must contain

A failing check that no ``accepted`` entry covers fails the gate. The figures go to the gate's
report; with ``exchanges`` set, every request and its answer go there too (see ``exchange``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from .faithful import HTTP_METHODS, effective_spec

PHASES = ("examples", "coverage", "fuzzing")
MAX_EXAMPLES_VARIABLE = "SCHEMATHESIS_MAX_EXAMPLES"


def max_examples(*, default: int) -> int:
    """Fuzzed examples per operation: ``default``, or what SCHEMATHESIS_MAX_EXAMPLES says."""
    raw = os.environ.get(MAX_EXAMPLES_VARIABLE, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_EXAMPLES_VARIABLE} must be a positive integer, got {raw!r}")
    return int(raw)


BODY_LIMIT = 4096  # bytes of an answer kept in the exchanges file


@dataclass(frozen=True)
class Gate:
    package: ModuleType  # the generated package whose openapi.json is run
    base_url: str  # what the spec's paths are appended to
    headers: dict[str, str]  # sent with every request (credentials)
    exclusions: Path
    report: Path
    server: str  # "Airflow <version> at <url>", for the report
    seed: int
    max_examples: int  # per operation, in the fuzzing phase; the coverage phase adds its own cases
    checks: tuple[str, ...]
    exchanges: Path | None = None  # every exchange as JSON lines, when set
    api_prefix: str = ""  # stripped from recorded paths (the part of base_url the spec's paths lack)
    unexpected_methods: bool = True  # the coverage phase also sends methods a path does not declare
    workers: int = 1  # operations tested at once
    # go on testing an operation after a failing check (an accepted one too), so that the run's
    # requests do not depend on which failures the exclusions accept
    continue_on_failure: bool = False


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
    exchanges: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    seconds: float = 0.0


def load_exclusions(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
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


def operation_ids(package: ModuleType) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> operationId of the effective spec."""
    spec = effective_spec(package)
    return {
        (method.upper(), path): o["operationId"]
        for path, item in spec["paths"].items()
        for method, o in item.items()
        if method in HTTP_METHODS
    }


def config(gate: Gate, exclusions: dict[str, Any]) -> dict[str, Any]:
    """The run's schemathesis configuration (the same keys as a schemathesis.toml)."""
    known = set(operation_ids(gate.package).values())
    named = set(exclusions["excluded"]) | set(exclusions["pinned"])
    for entry in exclusions["accepted"]:
        named |= set(entry["operations"]) if entry["operations"] != "any" else set()
    assert named <= known, f"{gate.exclusions.name} names no such operations: {sorted(named - known)}"
    operations: list[dict[str, Any]] = [
        {"include-operation-id": name, "enabled": False} for name in sorted(exclusions["excluded"])
    ]
    operations += [
        {"include-operation-id": name, "parameters": pin["parameters"]}
        for name, pin in sorted(exclusions["pinned"].items())
    ]
    coverage: dict[str, Any] = {"enabled": True}
    if not gate.unexpected_methods:
        coverage["unexpected-methods"] = []
    return {
        "seed": gate.seed,
        "workers": gate.workers,
        "continue-on-failure": gate.continue_on_failure,
        "base-url": gate.base_url,
        "headers": dict(gate.headers),
        "request-timeout": 30,
        "suppress-health-check": ["all"],
        "checks": {"enabled": False, **{name: {"enabled": True} for name in gate.checks}},
        "phases": {
            "examples": {"enabled": True},
            "coverage": coverage,
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {"max-examples": gate.max_examples, "no-shrink": True, "database": "none"},
        "cache": {"enabled": False},
        "operations": operations,
    }


def run(gate: Gate, settings: dict[str, Any]) -> Outcome:
    import schemathesis
    from schemathesis.engine import events, from_schema

    assert gate.package.__file__ is not None
    spec_path = Path(gate.package.__file__).parent / "openapi.json"
    schema = schemathesis.openapi.from_path(spec_path, config=schemathesis.Config.from_dict(settings))
    labels = {f"{method} {path}": op for (method, path), op in operation_ids(gate.package).items()}
    outcome = Outcome()
    start = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.value!r}"[:300])
        elif isinstance(event, events.FatalError):
            outcome.errors.append(f"fatal: {event.exception!r}"[:300])
        elif isinstance(event, events.ScenarioFinished):
            record(gate, outcome, event.recorder, labels)
    outcome.seconds = time.monotonic() - start
    return outcome


def _header(headers: Any, name: str) -> str | None:
    values = headers.get(name) or headers.get(name.title())
    if values is None:
        return None
    return ",".join(values) if isinstance(values, list) else str(values)


def exchange(gate: Gate, operation: str, request: Any, response: Any) -> dict[str, Any]:
    """One request and its answer, as a line of the exchanges file."""
    url = urlsplit(request.uri)
    path = url.path
    if gate.api_prefix and path.startswith(gate.api_prefix):
        path = path[len(gate.api_prefix) :]
    body = request.body
    return {
        "operation": operation,
        "method": request.method.upper(),
        "path": path,
        "query": url.query,
        "content_type": _header(request.headers, "content-type"),
        "accept": _header(request.headers, "accept"),
        "body": None if body is None else bytes(body).decode("utf-8", "replace"),
        "status": response.status_code if response is not None else None,
        "response_content_type": _header(response.headers, "content-type") if response is not None else None,
        "response_body": (
            bytes(response.content or b"")[:BODY_LIMIT].decode("utf-8", "replace")
            if response is not None
            else None
        ),
    }


def record(gate: Gate, outcome: Outcome, recorder: Any, labels: dict[str, str]) -> None:
    op = labels.get(recorder.label, recorder.label)
    outcome.requests += len(recorder.interactions)
    if recorder.interactions:
        outcome.operations.add(op)
    if gate.exchanges is not None:
        for interaction in recorder.interactions.values():
            outcome.exchanges.append(
                (interaction.timestamp, exchange(gate, op, interaction.request, interaction.response))
            )
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


def write_report(gate: Gate, outcome: Outcome, unexpected: list[Failure], exclusions: dict[str, Any]) -> None:
    kinds = Counter(f.kind for f in outcome.failures)
    bad = {f.kind for f in unexpected}
    lines = [
        f"schemathesis {_version()} against {gate.server}: seed {gate.seed}, phases "
        f"{', '.join(PHASES)}, {gate.max_examples} fuzzed examples per operation, checks "
        f"{', '.join(gate.checks)}" + ("" if gate.workers == 1 else f", {gate.workers} workers"),
        f"{outcome.requests} requests to {len(outcome.operations)} operations in {outcome.seconds:.0f} s; "
        f"{len(exclusions['excluded'])} operations excluded, {len(exclusions['pinned'])} pinned",
        f"{len(outcome.failures)} failing checks in {len(kinds)} kinds (operation, check, status); "
        f"{len(unexpected)} not accepted by {gate.exclusions.name}",
        "",
    ]
    examples = {f.kind: f for f in reversed(outcome.failures)}
    for kind, count in sorted(kinds.items()):
        example = examples[kind]
        state = "UNEXPECTED" if kind in bad else "accepted  "
        lines.append(f"  {state} {count:4d}x {kind[0]} {kind[1]} HTTP {kind[2]}")
        lines.append(f"      {example.target} {example.body[:200]} -> {example.answer}"[:700])
    lines += [f"  error: {e}" for e in outcome.errors]
    gate.report.parent.mkdir(parents=True, exist_ok=True)
    gate.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))
    if gate.exchanges is not None:
        ordered = [line for _, line in sorted(outcome.exchanges, key=lambda pair: pair[0])]
        gate.exchanges.write_text(
            "".join(json.dumps(line, sort_keys=True) + "\n" for line in ordered), encoding="utf-8"
        )


def _version() -> str:
    import schemathesis

    return str(schemathesis.__version__)


def check(gate: Gate) -> None:
    """Run the gate; fail on errors and on failing checks no ``accepted`` entry covers."""
    exclusions = load_exclusions(gate.exclusions)
    outcome = run(gate, config(gate, exclusions))
    unexpected = [f for f in outcome.failures if accepted_by(f, exclusions) is None]
    write_report(gate, outcome, unexpected, exclusions)
    assert outcome.errors == [], outcome.errors
    assert unexpected == [], f"{len(unexpected)} failing checks not accepted; see {gate.report}"
