"""Resources by kind: create, read, change (by naming only the fields to change, or by editing a
fetched copy) and delete; triggering a run and reading a task's log. The same calls on both majors.

``client.update("pool", "etl", slots=8)`` sends ``PATCH .../pools/etl?update_mask=slots`` with
``{"slots": 8}``; ``client.edit("pool", "etl", lambda pool: ...)`` fetches the pool, lets the
callback change it, and sends only what changed. Bodies carry the changed fields plus what the
server insists on (it refuses some bodies without their required fields, even with a mask), never
read-only fields. A field the server will not update is refused before any request, with the list
of those it will.

What each resource accepts is server behaviour, different for each major: it is data, in
``spec/<api>/facts.yaml`` with the evidence for each fact, generated into the package as
``_facts.RESOURCES`` and checked against a real server by the integration suites.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Generator, Mapping
from typing import Any


class FieldCall:
    """A field changed by an operation of its own instead of a PATCH (Airflow 2's run state, notes)."""

    __slots__ = ("body", "call", "field", "fixed")

    def __init__(self, call: tuple[str, str], body: str, field: str, fixed: Mapping[str, Any]) -> None:
        self.call = call
        self.body = body
        self.field = field
        self.fixed = dict(fixed)


class ResourceSpec:
    """How one kind of resource is read and changed (one entry of the facts)."""

    __slots__ = (
        "body_model",
        "calls",
        "create",
        "create_body",
        "delete",
        "fetch",
        "get",
        "keys",
        "kind",
        "non_null",
        "patch",
        "required",
        "reread",
        "unmaskable",
        "updatable",
    )

    def __init__(self, kind: str, fact: Mapping[str, Any]) -> None:
        self.kind = kind
        self.keys: tuple[str, ...] = tuple(fact["keys"])
        self.updatable: tuple[str, ...] = tuple(fact["updatable"])
        self.get: tuple[str, str] = tuple(fact["get"])
        self.patch: tuple[str, str] | None = tuple(fact["patch"]) if "patch" in fact else None
        self.body_model: str = fact.get("body", "")
        # body field -> where its value comes from: "key:<name>" (a key argument) or "current"
        self.required: dict[str, str] = dict(fact.get("required", {}))
        self.fetch: bool = bool(fact.get("fetch", False))
        # fields the server refuses as null ("Field may not be null") although it sends them as null
        self.non_null: tuple[str, ...] = tuple(fact.get("non_null", ()))
        self.unmaskable: tuple[str, ...] = tuple(fact.get("unmaskable", ()))
        self.reread: bool = bool(fact.get("reread", False))
        self.create: tuple[str, str] | None = tuple(fact["create"]) if "create" in fact else None
        self.create_body: str = fact.get("create_body", "")
        self.delete: tuple[str, str] | None = tuple(fact["delete"]) if "delete" in fact else None
        self.calls = {
            name: FieldCall(tuple(c["call"]), c["body"], c["field"], c.get("fixed", {}))
            for name, c in fact.get("calls", {}).items()
        }


def resources(facts: Mapping[str, Mapping[str, Any]]) -> dict[str, ResourceSpec]:
    """The resource specs of one major from its generated ``_facts.RESOURCES``."""
    return {kind: ResourceSpec(kind, fact) for kind, fact in facts.items()}


class UpdatePlan:
    """The requests one update needs: a PATCH with body and mask, or state/note calls."""

    __slots__ = ("body", "mask", "spec")

    def __init__(self, spec: ResourceSpec, body: dict[str, Any], mask: list[str] | None) -> None:
        self.spec = spec
        self.body = body
        self.mask = mask


def resource(table: Mapping[str, ResourceSpec], kind: str) -> ResourceSpec:
    spec = table.get(kind)
    if spec is None:
        raise ValueError(f"cannot update {kind!r}; resources: {', '.join(table)}")
    return spec


def key_args(spec: ResourceSpec, key: str | tuple[str, ...]) -> dict[str, str]:
    """The path parameters of the resource from ``key`` (a string, or a tuple for nested resources)."""
    parts = (key,) if isinstance(key, str) else tuple(key)
    if len(parts) != len(spec.keys) or not all(isinstance(p, str) and p for p in parts):
        shape = spec.keys[0] if len(spec.keys) == 1 else "(" + ", ".join(spec.keys) + ")"
        raise TypeError(f"the key of a {spec.kind} is {shape}, got {key!r}")
    return dict(zip(spec.keys, parts, strict=True))


def plain(value: Any) -> Any:
    """A JSON-ready value: models become dicts, recursively."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def check_changes(spec: ResourceSpec, changes: Mapping[str, Any]) -> None:
    if not changes:
        raise ValueError(
            f"nothing to update on the {spec.kind}: name at least one of {', '.join(spec.updatable)}"
        )
    nulls = sorted(name for name in spec.non_null if name in changes and changes[name] is None)
    if nulls:
        raise ValueError(f"Airflow refuses null for {', '.join(map(repr, nulls))} on a {spec.kind}")
    refused = sorted(set(changes) - set(spec.updatable))
    if refused:
        raise ValueError(
            f"Airflow does not update {', '.join(map(repr, refused))} on a {spec.kind}; "
            f"it updates: {', '.join(spec.updatable)}"
        )


def needs_current(spec: ResourceSpec, changes: Mapping[str, Any]) -> bool:
    """Whether the resource must be read first to fill fields the server requires in the body."""
    return spec.fetch or any(src == "current" and name not in changes for name, src in spec.required.items())


def plan(
    spec: ResourceSpec, keys: Mapping[str, str], changes: Mapping[str, Any], current: Mapping[str, Any] | None
) -> UpdatePlan:
    """Body and update_mask for a PATCH (pure)."""
    body = {name: plain(value) for name, value in changes.items()}
    for name, source in spec.required.items():
        if name in body:
            continue
        if source.startswith("key:"):
            body[name] = keys[source[4:]]
        elif current is not None and current.get(name) is not None:
            body[name] = current[name]  # a null is left out: the server keeps the field, and refuses null
    mask: list[str] | None = sorted(changes)
    if any(name in changes for name in spec.unmaskable):
        mask = None  # such a field cannot be masked: the whole body is sent, keeping the other fields
    return UpdatePlan(spec, body, mask)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``after`` that differ from ``before`` (edit's changes)."""
    return {k: v for k, v in after.items() if k not in before or before[k] != v} | {
        k: None for k in before if k not in after
    }


EditFn = Callable[[Any], None]


# --- flows: generators that yield (group, operation, kwargs) and receive each call's result ---------

Call = tuple[str, str, dict[str, Any]]


def _patch_call(models: Any, plan_: UpdatePlan, keys: Mapping[str, str]) -> Call:
    spec = plan_.spec
    assert spec.patch is not None
    body = getattr(models, spec.body_model).from_dict(plan_.body)
    kwargs: dict[str, Any] = {**keys, "body": body}
    if plan_.mask is not None:
        kwargs["update_mask"] = plan_.mask
    return (*spec.patch, kwargs)


def _field_calls(
    models: Any, spec: ResourceSpec, keys: Mapping[str, str], changes: Mapping[str, Any]
) -> Generator[Call, Any, Any]:
    """One call per changed field (in the order the facts list them), then the resource read again."""
    for name, call in spec.calls.items():
        if name in changes:
            body = getattr(models, call.body).from_dict({call.field: plain(changes[name]), **call.fixed})
            yield (*call.call, {**keys, "body": body})
    return (yield (*spec.get, dict(keys)))


def _send_changes(
    models: Any,
    spec: ResourceSpec,
    keys: Mapping[str, str],
    changes: Mapping[str, Any],
    current: Mapping[str, Any] | None,
) -> Generator[Call, Any, Any]:
    if spec.patch is None:
        return (yield from _field_calls(models, spec, keys, changes))
    answer = yield _patch_call(models, plan(spec, keys, changes, current), keys)
    if spec.reread:  # the PATCH answers something else (Airflow 3: the task instances it changed)
        answer = yield (*spec.get, dict(keys))
    return answer


def update_flow(
    models: Any, spec: ResourceSpec, keys: Mapping[str, str], changes: Mapping[str, Any]
) -> Generator[Call, Any, Any]:
    """Change the named fields; read the resource first only when the server needs more in the body."""
    check_changes(spec, changes)
    current = None
    if spec.patch is not None and needs_current(spec, changes):
        current = plain((yield (*spec.get, dict(keys))))
    return (yield from _send_changes(models, spec, keys, changes, current))


def edit_flow(
    models: Any, spec: ResourceSpec, keys: Mapping[str, str], change: EditFn
) -> Generator[Call, Any, Any]:
    """Read, let ``change`` edit the model, send what changed."""
    model = yield (*spec.get, dict(keys))
    before = plain(model)
    change(model)
    changes = diff(before, plain(model))
    check_changes(spec, changes)
    return (yield from _send_changes(models, spec, keys, changes, before))


def read_flow(spec: ResourceSpec, keys: Mapping[str, str]) -> Generator[Call, Any, Any]:
    return (yield (*spec.get, dict(keys)))


def create_flow(models: Any, spec: ResourceSpec, fields: Mapping[str, Any]) -> Generator[Call, Any, Any]:
    """Create from the body model's fields: an unknown field is a TypeError before any request."""
    if spec.create is None:
        raise ValueError(f"cannot create a {spec.kind} through the REST API")
    body = getattr(models, spec.create_body)(**fields)
    return (yield (*spec.create, {"body": body}))


def delete_flow(spec: ResourceSpec, keys: Mapping[str, str]) -> Generator[Call, Any, None]:
    if spec.delete is None:
        raise ValueError(f"cannot delete a {spec.kind} through the REST API")
    yield (*spec.delete, dict(keys))


def trigger_flow(
    models: Any, trigger: Mapping[str, Any], dag_id: str, fields: Mapping[str, Any]
) -> Generator[Call, Any, Any]:
    """Start a run: the fields given, and those the server needs even when empty (facts)."""
    if not isinstance(dag_id, str) or not dag_id:
        raise TypeError(f"dag_id must be a non-empty string, got {dag_id!r}")
    given = {k: v for k, v in fields.items() if v is not None}
    body = getattr(models, trigger["body"])(**{**trigger.get("always", {}), **given})
    return (yield (*trigger["call"], {"dag_id": dag_id, "body": body}))


def log_text(answer: Any) -> str:
    """A task log answer as text. Airflow 2 sends the repr of a list of (host, text) pairs; Airflow 3
    a list of structured messages (``event``, ``timestamp``, ``level``...) or of lines."""
    content = getattr(answer, "content", answer)
    if isinstance(content, str):
        import ast

        try:
            pairs = ast.literal_eval(content)
        except (ValueError, SyntaxError):
            return content
        if isinstance(pairs, list) and all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            return "".join(str(text) for _host, text in pairs)
        return content
    lines = []
    for message in content if isinstance(content, list) else []:
        if isinstance(message, str):
            lines.append(message)
            continue
        extra = getattr(message, "additional_properties", {})
        stamp = getattr(message, "timestamp", None)
        when = stamp.isoformat() if isinstance(stamp, datetime.datetime) else None
        parts = [when, extra.get("level"), getattr(message, "event", "")]
        lines.append(" ".join(str(p) for p in parts if p))
    return "\n".join(lines) + ("\n" if lines else "")
