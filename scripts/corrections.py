"""Apply ``spec/corrections.yaml`` to Airflow's upstream ``v1.yaml``.

Each correction is data: an ``id``, ``why``, ``evidence`` (what a real server sent), an optional
``airflow`` version range (PEP 440 specifier) and a list of ``ops``. A correction that is better
solved outside the spec has ``handled_in`` instead of ``ops`` and names the place.

Ops (JSON pointers, RFC 6901):

``replace``  the target must exist; with ``expect`` its current value must equal it.
``remove``   the target must exist; with ``expect`` its current value must equal it.
``add``      the parent must exist; an object key must not exist yet (so a correction that upstream
             has made unnecessary fails instead of silently overwriting); ``-`` appends to a list.
``test``     the target must equal ``value``.
``unrequire``  the schema at ``path`` no longer requires ``fields``; each must be required there
             now (so an entry that upstream has made unnecessary fails instead of silently passing).
``ensure_responses``  for the operations named by ``operations`` (``all``; ``with_input``: having
             a parameter or a request body; ``with_body``: having a request body;
             ``with_path_params``; ``{with_parameter: NAME}``: having a parameter NAME; or a list of
             operationIds) except those listed in ``except``, add each of ``responses`` (status ->
             response object) that the operation does not declare yet. Must add at least one response
             somewhere.

A pointer may contain ``*`` segments. It then selects every match; with ``expect`` only the matches
whose value equals it. At least one match is required, otherwise the correction fails.

Any failure raises :class:`CorrectionError` naming the correction and the pointer: corrections
re-apply to a new spec or fail loudly.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MISSING = object()


class CorrectionError(Exception):
    """A correction could not be applied as written."""


@dataclass(frozen=True)
class Correction:
    id: str
    why: str
    evidence: str
    ops: tuple[dict[str, Any], ...] = ()
    airflow: str | None = None
    handled_in: str | None = None

    def applies_to(self, version: str) -> bool:
        if self.airflow is None:
            return True
        return Version(version) in SpecifierSet(self.airflow)


@dataclass
class Report:
    applied: list[str] = field(default_factory=list)
    skipped_version: list[str] = field(default_factory=list)
    handled_elsewhere: list[tuple[str, str]] = field(default_factory=list)
    changes: int = 0


def load(path: Path) -> list[Correction]:
    """Read and validate the corrections file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = doc.get("corrections") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise CorrectionError(f"{path}: expected a top-level 'corrections' list")
    result: list[Correction] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"{path} entry {i}"
        if not isinstance(entry, dict):
            raise CorrectionError(f"{where}: expected a mapping")
        unknown = set(entry) - {"id", "why", "evidence", "ops", "airflow", "handled_in"}
        if unknown:
            raise CorrectionError(f"{where}: unknown keys {sorted(unknown)}")
        for key in ("id", "why", "evidence"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CorrectionError(f"{where}: '{key}' must be a non-empty string")
        cid = entry["id"]
        if cid in seen:
            raise CorrectionError(f"{where}: duplicate id {cid!r}")
        seen.add(cid)
        ops = entry.get("ops") or []
        handled_in = entry.get("handled_in")
        if bool(ops) == bool(handled_in):
            raise CorrectionError(f"{cid}: give either 'ops' or 'handled_in', not both or neither")
        if entry.get("airflow") is not None:
            SpecifierSet(entry["airflow"])  # validates the range
        for op in ops:
            _check_op_shape(cid, op)
        result.append(
            Correction(
                id=cid,
                why=entry["why"].strip(),
                evidence=entry["evidence"].strip(),
                ops=tuple(ops),
                airflow=entry.get("airflow"),
                handled_in=handled_in,
            )
        )
    return result


def _check_op_shape(cid: str, op: Any) -> None:
    if not isinstance(op, dict) or "op" not in op:
        raise CorrectionError(f"{cid}: every op needs an 'op' key, got {op!r}")
    kind = op["op"]
    needs: dict[str, set[str]] = {
        "replace": {"path", "value"},
        "add": {"path", "value"},
        "remove": {"path"},
        "test": {"path", "value"},
        "ensure_responses": {"operations", "responses"},
        "unrequire": {"path", "fields"},
    }
    allowed = needs.get(kind, set()) | {"op", "expect", "except"}
    if kind not in needs:
        raise CorrectionError(f"{cid}: unknown op {kind!r} (known: {sorted(needs)})")
    missing = needs[kind] - set(op)
    if missing:
        raise CorrectionError(f"{cid}: op {kind!r} is missing {sorted(missing)}")
    extra = set(op) - allowed
    if extra:
        raise CorrectionError(f"{cid}: op {kind!r} does not take {sorted(extra)}")


def apply(spec: dict[str, Any], corrections: list[Correction], version: str) -> tuple[dict[str, Any], Report]:
    """Return a corrected deep copy of ``spec`` and what was done."""
    result = copy.deepcopy(spec)
    report = Report()
    for corr in corrections:
        if corr.handled_in is not None:
            report.handled_elsewhere.append((corr.id, corr.handled_in))
            continue
        if not corr.applies_to(version):
            report.skipped_version.append(corr.id)
            continue
        for op in corr.ops:
            try:
                report.changes += _apply_op(result, op)
            except CorrectionError as exc:
                raise CorrectionError(f"correction {corr.id!r} (Airflow {version}): {exc}") from None
        report.applied.append(corr.id)
    return result, report


# --- JSON pointers -----------------------------------------------------------------------------


def _split(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise CorrectionError(f"{pointer!r} is not a JSON pointer (must start with '/')")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _join(parts: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _child(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    return _MISSING


def _expand(doc: Any, parts: list[str]) -> Iterator[list[str]]:
    """Every concrete pointer (as parts) matching ``parts``; ``*`` matches any key or index.

    The last segment is not required to exist (``add`` targets a new key).
    """

    def rec(node: Any, i: int, prefix: list[str]) -> Iterator[list[str]]:
        if i == len(parts) - 1:
            last = parts[i]
            if last == "*":
                keys = list(node) if isinstance(node, dict) else [str(j) for j in range(len(node))]
                for k in keys:
                    yield [*prefix, k]
            else:
                yield [*prefix, last]
            return
        seg = parts[i]
        if seg == "*":
            if isinstance(node, dict):
                items = list(node.items())
            elif isinstance(node, list):
                items = [(str(j), v) for j, v in enumerate(node)]
            else:
                items = []
            for k, v in items:
                yield from rec(v, i + 1, [*prefix, k])
        else:
            nxt = _child(node, seg)
            if nxt is not _MISSING:
                yield from rec(nxt, i + 1, [*prefix, seg])

    if not parts:
        yield []
        return
    yield from rec(doc, 0, [])


def _get(doc: Any, parts: list[str]) -> Any:
    node = doc
    for p in parts:
        node = _child(node, p)
        if node is _MISSING:
            return _MISSING
    return node


def _apply_op(doc: dict[str, Any], op: dict[str, Any]) -> int:
    kind = op["op"]
    if kind == "ensure_responses":
        return _ensure_responses(doc, op)
    if kind == "unrequire":
        return _unrequire(doc, op)
    pattern = _split(op["path"])
    wildcard = "*" in pattern
    targets = list(_expand(doc, pattern)) if wildcard else [pattern]
    expect = op.get("expect", _MISSING)
    if wildcard and expect is not _MISSING:
        targets = [t for t in targets if _get(doc, t) == expect]
    if wildcard and not targets:
        raise CorrectionError(
            f"{op['path']}: no match" + ("" if expect is _MISSING else f" equal to {expect!r}")
        )
    for parts in targets:
        _apply_one(doc, kind, parts, op, check_expect=not wildcard)
    return len(targets)


def _apply_one(
    doc: dict[str, Any], kind: str, parts: list[str], op: dict[str, Any], *, check_expect: bool
) -> None:
    pointer = _join(parts)
    if not parts:
        raise CorrectionError("the document root cannot be a target")
    parent = _get(doc, parts[:-1])
    if parent is _MISSING or not isinstance(parent, dict | list):
        raise CorrectionError(f"{pointer}: parent {_join(parts[:-1])} does not exist")
    key = parts[-1]
    current = _child(parent, key)
    expect = op.get("expect", _MISSING)
    if kind == "add":
        if isinstance(parent, list):
            if key == "-":
                parent.append(copy.deepcopy(op["value"]))
            elif key.isdigit() and int(key) <= len(parent):
                parent.insert(int(key), copy.deepcopy(op["value"]))
            else:
                raise CorrectionError(f"{pointer}: bad list index")
            return
        if current is not _MISSING:
            raise CorrectionError(
                f"{pointer}: already exists (value {current!r}); is this correction still needed?"
            )
        parent[key] = copy.deepcopy(op["value"])
        return
    if current is _MISSING:
        raise CorrectionError(f"{pointer}: target does not exist")
    if kind == "test":
        if current != op["value"]:
            raise CorrectionError(f"{pointer}: expected {op['value']!r}, found {current!r}")
        return
    if check_expect and expect is not _MISSING and current != expect:
        raise CorrectionError(f"{pointer}: expected current value {expect!r}, found {current!r}")
    if kind == "replace":
        if isinstance(parent, list):
            parent[int(key)] = copy.deepcopy(op["value"])
        else:
            parent[key] = copy.deepcopy(op["value"])
    elif kind == "remove":
        if isinstance(parent, list):
            del parent[int(key)]
        else:
            del parent[key]


def _unrequire(doc: dict[str, Any], op: dict[str, Any]) -> int:
    schema = _get(doc, _split(op["path"]))
    if not isinstance(schema, dict):
        raise CorrectionError(f"{op['path']}: no such schema")
    required = schema.get("required", [])
    fields = list(op["fields"])
    not_required = [f for f in fields if f not in required]
    if not fields or not_required:
        raise CorrectionError(f"{op['path']}: does not require {not_required or fields}")
    left = [f for f in required if f not in fields]
    if left:
        schema["required"] = left
    else:
        del schema["required"]
    return len(fields)


# --- operations ----------------------------------------------------------------------------------


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(path, method, path item, operation) for every operation of the spec."""
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item, item[method]


def _resolve(doc: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    ref = obj.get("$ref")
    if not ref:
        return obj
    target = _get(doc, _split(ref[1:]))
    if target is _MISSING:
        raise CorrectionError(f"unresolvable $ref {ref}")
    return dict(target)


def parameters(doc: dict[str, Any], item: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [_resolve(doc, p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]


def _selected(doc: dict[str, Any], selector: Any, item: dict[str, Any], operation: dict[str, Any]) -> bool:
    if isinstance(selector, list):
        return operation.get("operationId") in selector
    params = parameters(doc, item, operation)
    if selector == "all":
        return True
    if selector == "with_input":
        return bool(params) or "requestBody" in operation
    if selector == "with_body":
        return "requestBody" in operation
    if isinstance(selector, dict) and set(selector) == {"with_parameter"}:
        return any(p.get("name") == selector["with_parameter"] for p in params)
    if selector == "with_path_params":
        return any(p.get("in") == "path" for p in params)
    raise CorrectionError(f"unknown operations selector {selector!r}")


def _ensure_responses(doc: dict[str, Any], op: dict[str, Any]) -> int:
    selector = op["operations"]
    excluded = list(op.get("except", []))
    named = (selector if isinstance(selector, list) else []) + excluded
    known = {o.get("operationId") for *_, o in operations(doc)}
    missing = [s for s in named if s not in known]
    if missing:
        raise CorrectionError(f"ensure_responses: no operation with operationId {missing}")
    added = 0
    for _path, _method, item, operation in operations(doc):
        if operation.get("operationId") in excluded or not _selected(doc, selector, item, operation):
            continue
        responses = operation.setdefault("responses", {})
        for code, response in op["responses"].items():
            if str(code) not in responses:
                responses[str(code)] = copy.deepcopy(response)
                added += 1
    if added == 0:
        raise CorrectionError(
            f"ensure_responses {sorted(map(str, op['responses']))} on {selector!r}: every operation "
            "already declares them; is this correction still needed?"
        )
    return added
