"""Faithful parsing and operation coverage, shared by the integration suites of both majors.

A response is parsed faithfully when ``to_dict()`` gives back what the server sent, no field is
left in ``additional_properties`` (except on models whose schema declares itself open), and every
date-time is an aware ``datetime``. ``make_call`` wraps a generated operation's ``sync_detailed``
with those checks and records which operations answered with which statuses; ``write_coverage``
turns that record into the suite's coverage report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
HTTP_METHODS = ("get", "put", "post", "patch", "delete")

# operationId -> HTTP statuses seen with a checked body
Exercised = dict[str, set[int]]


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str) and ISO_DATETIME.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        # naive timestamps (FAB's user dates on Airflow 2) are read as UTC: spec/v1 naive-user-dates
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def first_difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    """JSON pointer and values of the first place where ``ours`` differs from ``theirs``."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key in sorted(theirs.keys() | ours.keys()):
            if key not in ours:
                return f"{path}/{key}: sent by the server, missing after parsing"
            if key not in theirs:
                return f"{path}/{key}: not sent by the server, present after parsing ({ours[key]!r})"
            found = first_difference(ours[key], theirs[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(theirs, list) and isinstance(ours, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(theirs)} items sent, {len(ours)} after parsing"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = first_difference(a, b, f"{path}/{i}")
            if found:
                return found
        return None
    if ours == theirs and type(ours) is type(theirs):
        return None
    a, b = _instant(ours), _instant(theirs)
    if a is not None and b is not None and a == b:
        return None
    if (
        isinstance(ours, int | float)
        and isinstance(theirs, int | float)
        and not isinstance(ours, bool)
        and ours == theirs
    ):
        return None
    return f"{path or '/'}: server sent {theirs!r}, parsed back as {ours!r}"


def model_problems(value: Any, path: str = "", open_models: Collection[str] = ()) -> list[str]:
    """Fields stuck in additional_properties, naive datetimes and date-times left as strings.

    ``open_models`` names the models whose schema declares ``additionalProperties: true`` next to
    its fields (Airflow 3's structured log messages): their other keys are data, not fields.
    """
    problems: list[str] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            problems += model_problems(item, f"{path}/{i}", open_models)
        return problems
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            problems.append(f"{path}: naive datetime {value!r}")
        return problems
    if isinstance(value, str):
        if ISO_DATETIME.fullmatch(value):
            problems.append(f"{path}: date-time left as a string {value!r}")
        return problems
    if not attrs.has(type(value)):
        return problems  # JSON as it came: a free-form object (conf, extra, params) holds data, not fields
    declared = [field.name for field in attrs.fields(type(value)) if field.name != "additional_properties"]
    if not declared:
        return problems  # a map (ExtraLinks: link name -> URL): its keys are data, not fields
    extra = getattr(value, "additional_properties", {})
    if extra and type(value).__name__ not in open_models:
        problems.append(f"{path}: undeclared fields {sorted(extra)} on {type(value).__name__}")
    for name in declared:
        item = getattr(value, name)
        if type(item).__name__ != "Unset":
            problems += model_problems(item, f"{path}/{name}", open_models)
    return problems


def assert_faithful(parsed: Any, raw: Any, open_models: Collection[str] = ()) -> None:
    """``parsed`` (a model, a list of models, or the JSON value itself where the spec declares any
    JSON) holds exactly what the server sent as ``raw``."""
    models = parsed if isinstance(parsed, list) else [parsed]
    if not all(callable(getattr(m, "to_dict", None)) for m in models):
        assert parsed == raw, f"server sent {json.dumps(raw)[:300]}, parsed as {parsed!r}"[:600]
        return
    ours = [p.to_dict() for p in parsed] if isinstance(parsed, list) else parsed.to_dict()
    difference = first_difference(ours, raw)
    assert difference is None, f"{type(parsed).__name__}: {difference}"
    problems = model_problems(parsed, "", open_models)
    assert problems == [], f"{type(parsed).__name__}: " + "; ".join(problems[:10])


# --- the generated package's spec ----------------------------------------------------------------


def effective_spec(package: ModuleType) -> dict[str, Any]:
    """The effective spec a generated package was made from (its ``openapi.json``)."""
    assert package.__file__ is not None
    spec: dict[str, Any] = json.loads((Path(package.__file__).parent / "openapi.json").read_text())
    return spec


def operation_ids(package: ModuleType) -> list[str]:
    spec = effective_spec(package)
    return sorted(
        o["operationId"] for item in spec["paths"].values() for m, o in item.items() if m in HTTP_METHODS
    )


def open_models(package: ModuleType) -> frozenset[str]:
    """Schemas that declare fields and ``additionalProperties: true``: their other keys are data."""
    schemas = effective_spec(package).get("components", {}).get("schemas", {})
    return frozenset(
        name for name, s in schemas.items() if s.get("properties") and s.get("additionalProperties") is True
    )


# --- calling operations --------------------------------------------------------------------------


def operation_id(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def declared_statuses(package: ModuleType) -> dict[str, set[str]]:
    """operationId -> the response statuses its spec declares."""
    spec = effective_spec(package)
    return {
        o["operationId"]: set(o.get("responses", {}))
        for item in spec["paths"].values()
        for m, o in item.items()
        if m in HTTP_METHODS
    }


def make_call(client: Any, exercised: Exercised, package: ModuleType) -> Callable[..., Any]:
    """Call an operation module's ``sync_detailed``; check that the status is the expected one and
    one the spec declares, and that the body was parsed faithfully; record it."""
    declared = declared_statuses(package)
    opens = open_models(package)

    def call(module: ModuleType, *args: Any, expect: int | tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        statuses = (expect,) if isinstance(expect, int) else expect
        op = operation_id(module)
        response = module.sync_detailed(*args, client=kwargs.pop("client", client), **kwargs)
        body = response.content.decode("utf-8", "replace")
        assert response.status_code in statuses, f"{op}: {response.status_code} {body[:400]}"
        assert str(response.status_code) in declared[op], (
            f"{op}: HTTP {response.status_code} is not among the statuses the spec declares "
            f"({', '.join(sorted(declared[op]))}): {body[:300]}"
        )
        if isinstance(response.parsed, str):
            assert response.parsed == body  # a text answer (an NDJSON stream) is handed over as it came
        elif response.content:
            assert_faithful(response.parsed, json.loads(response.content), opens)
        exercised.setdefault(op, set()).add(response.status_code)
        return response.parsed

    return call


# --- coverage ------------------------------------------------------------------------------------


def whole_suite_selected(request: pytest.FixtureRequest) -> bool:
    """Whether pytest runs the whole suite (no -k, no test ids): coverage means nothing otherwise."""
    config = request.config
    return not (config.option.keyword or any("::" in str(a) for a in config.args))


def write_coverage(
    package: ModuleType, exercised: Exercised, not_exercised: Mapping[str, str], report: Path
) -> tuple[list[str], list[str]]:
    """Write which operations the suite exercised (with their statuses) and why the others are not;
    print it; return the operations neither exercised nor explained, and the explanations that
    are stale (the operation was exercised after all)."""
    operations = operation_ids(package)
    done = [op for op in operations if op in exercised]
    lines = [f"{len(done)} of {len(operations)} operations exercised against the real server", ""]
    for op in operations:
        if op in exercised:
            lines.append(f"  exercised      {op}  (HTTP {', '.join(map(str, sorted(exercised[op])))})")
        else:
            lines.append(f"  NOT exercised  {op}  ({not_exercised.get(op, 'no reason recorded')})")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))
    missing = [op for op in operations if op not in exercised and op not in not_exercised]
    stale = [op for op in not_exercised if op in exercised or op not in operations]
    return missing, stale
