"""What every handler shares on the wire: the ``Call``/``Reply`` contract, Problem JSON errors,
request bodies loaded as the server's marshmallow schemas load them, paging, ordering and filter
parameters, timestamps, signed tokens and the secrets masking of connection extras.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from airflow_rest_v1 import _facts

from .._spec import ABOUT_BLANK, DOCS_LINK, problem_type

DOCS_URL = DOCS_LINK


# [api] maximum_page_limit and fallback_page_limit of a default configuration
MAXIMUM_PAGE_LIMIT = 100


FALLBACK_PAGE_LIMIT = 100


DEFAULT_PAGE_LIMIT = 100  # the spec's default for `limit`


_SECRET_KEY = b"fake-airflow-webserver-secret-key"


JSON = dict[str, Any]


T = TypeVar("T")


@dataclass
class Call:
    """One request, already routed and parsed.

    ``query`` holds typed values (ints, bools, strings, lists for array parameters; date-times as
    ISO 8601 strings) and only the parameters the request sent: the handlers apply the server's
    defaults themselves. ``headers`` (names in lower case) and ``raw_query`` (the query pairs as
    sent) are there for what the server reads off the request itself: content negotiation by
    ``Accept``, the caller's name, the query string written into the event log.
    """

    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw_query: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Text:
    """A reply body that is not JSON (text/plain, an HTML page, an empty body): sent as it is."""

    content: str
    content_type: str


Reply = tuple[int, Any]  # the body: JSON-able data, ``Text``, or None for none


def problem(status: int, title: str, detail: str | None, **extra: Any) -> dict[str, Any]:
    """Airflow's Problem JSON, with the ``type`` link the real server sends for ``status``."""
    kind = problem_type(status)
    if kind == ABOUT_BLANK:  # a status Airflow has no link for: named after its title
        kind = f"{DOCS_LINK}#section/Errors/{title.replace(' ', '')}"
    return {"detail": detail, "status": status, "title": title, "type": kind} | extra


class _Abort(Exception):
    """Raised inside a handler to answer with ``reply``."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply)
        self.reply = reply


def _bad_request(detail: str | None, title: str = "Bad Request") -> _Abort:
    return _Abort((400, problem(400, title, detail)))


def _not_found(title: str = "Not Found", detail: str | None = None) -> _Abort:
    return _Abort((404, problem(404, title, detail)))


def _conflict(detail: str) -> _Abort:
    return _Abort((409, problem(409, "Conflict", detail)))


def _server_error() -> _Abort:
    """What the server answers where its code raises (it sends an HTML page; this is the JSON twin)."""
    return _Abort(
        (
            500,
            problem(
                500,
                "Internal Server Error",
                "The server encountered an internal error and was unable to complete your request. "
                "Either the server is overloaded or there is an error in the application.",
            ),
        )
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    """How the server formats a timestamp: ``2026-01-02T03:04:05.123456+00:00`` (no zero microseconds)."""
    return None if value is None else _utc(value).isoformat()


def _parse_dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    if not isinstance(value, str):
        raise ValueError(f"Invalid isoformat string: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return _utc(datetime.fromisoformat(text))


def _timedelta_json(value: timedelta | None) -> JSON | None:
    if value is None:
        return None
    return {
        "__type": "TimeDelta",
        "days": value.days,
        "microseconds": value.microseconds,
        "seconds": value.seconds,
    }


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str  # str, int, number, bool, datetime, object, any, list
    required: bool = False
    allow_none: bool = False
    attribute: str | None = None
    choices: tuple[str, ...] | None = None
    max_length: int | None = None
    minimum: int | None = None


class _Invalid(Exception):
    def __init__(self, messages: dict[str, list[str]]) -> None:
        super().__init__(messages)
        self.messages = messages

    def __str__(self) -> str:
        return str(self.messages)


_KIND_ERRORS = {
    "str": "Not a valid string.",
    "int": "Not a valid integer.",
    "number": "Not a valid number.",
    "bool": "Not a valid boolean.",
    "datetime": "Not a valid datetime.",
    "object": "Not a valid mapping type.",
    "list": "Not a valid list.",
}


def _load(body: Any, schema: Sequence[_Field], *, partial: bool = False) -> JSON:
    """Validate and convert ``body``; the messages and their order are marshmallow's."""
    data = {} if body is None else body
    if not isinstance(data, dict):
        raise _Invalid({"_schema": ["Invalid input type."]})
    out: JSON = {}
    errors: dict[str, list[str]] = {}
    known = {f.name for f in schema}
    for spec in schema:
        target = spec.attribute or spec.name
        if spec.name not in data:
            if spec.required and not partial:
                errors[spec.name] = ["Missing data for required field."]
            continue
        value = data[spec.name]
        if value is None:
            if spec.allow_none:
                out[target] = None
            else:
                errors[spec.name] = ["Field may not be null."]
            continue
        try:
            out[target] = _convert(value, spec)
        except _Invalid as exc:
            errors[spec.name] = exc.messages["_"]
    for name in data:
        if name not in known:
            errors[name] = ["Unknown field."]
    if errors:
        raise _Invalid(errors)
    return out


def _convert(value: Any, spec: _Field) -> Any:
    kind = spec.kind
    ok = True
    if kind == "str":
        ok = isinstance(value, str)
    elif kind == "int":
        # marshmallow's Integer is not strict: it loads int(value), so 1.5 as 1 and "3" as 3
        ok = isinstance(value, int | float | str) and not isinstance(value, bool)
        try:
            value = int(value) if ok else value
        except (ValueError, OverflowError):
            ok = False
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "object":
        ok = isinstance(value, dict)
    elif kind == "list":
        ok = isinstance(value, list) and all(isinstance(v, str) or v is None for v in value)
    elif kind == "datetime":
        try:
            value = _parse_dt(value) if isinstance(value, str) else None
        except ValueError:
            value = None
        ok = value is not None
    if not ok:
        raise _Invalid({"_": [_KIND_ERRORS[kind]]})
    if spec.choices is not None and value not in spec.choices:
        raise _Invalid({"_": [f"Must be one of: {', '.join(spec.choices)}."]})
    if spec.max_length is not None and isinstance(value, str) and len(value) > spec.max_length:
        raise _Invalid({"_": [f"Longer than maximum length {spec.max_length}."]})
    if spec.minimum is not None and isinstance(value, int) and value < spec.minimum:
        raise _Invalid({"_": [f"Must be greater than or equal to {spec.minimum}."]})
    return value


_DATE_FILTERS = (
    "execution_date_gte",
    "execution_date_lte",
    "start_date_gte",
    "start_date_lte",
    "end_date_gte",
    "end_date_lte",
    "updated_at_gte",
    "updated_at_lte",
)


def _check_limit(query: dict[str, Any]) -> int:
    """``airflow.api_connexion.parameters.check_limit``: above the maximum -> the maximum, 0 -> fallback."""
    limit = query.get("limit")
    value = DEFAULT_PAGE_LIMIT if limit is None else int(limit)
    if value > MAXIMUM_PAGE_LIMIT:
        return MAXIMUM_PAGE_LIMIT
    if value == 0:
        return FALLBACK_PAGE_LIMIT
    if value < 0:
        raise _bad_request(None, title="Page limit must be a positive integer")
    return value


def _raw_limit(query: dict[str, Any]) -> int:
    """The limit of endpoints without ``check_limit`` (task instances): taken as given."""
    limit = query.get("limit")
    return DEFAULT_PAGE_LIMIT if limit is None else int(limit)


def _offset(query: dict[str, Any]) -> int:
    offset = query.get("offset")
    if offset is None:
        return 0
    value = int(offset)
    if value < 0:
        raise _bad_request(
            f"{value} is less than the minimum of 0\n\nFailed validating 'minimum' in schema:\n"
            f"    {{'type': 'integer', 'minimum': 0}}\n\nOn instance:\n    {value}"
        )
    return value


def _page(items: Sequence[T], offset: int, limit: int) -> list[T]:
    """SQL ``OFFSET .. LIMIT ..`` (SQLite reads a negative limit as no limit)."""
    rest = list(items[offset:])
    return rest if limit < 0 else rest[:limit]


def _sort_key(value: Any) -> tuple[bool, Any]:
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True)
    return (value is not None, value)  # NULLs first ascending, last descending (SQLite)


def _apply_sorting(
    items: Sequence[T],
    order_by: str,
    value: Callable[[T, str], Any],
    allowed: Container[str],
) -> list[T]:
    """``airflow.api_connexion.parameters.apply_sorting``."""
    name = order_by.lstrip("-")
    if name not in allowed:
        raise _bad_request(
            f"Ordering with '{name}' is disallowed or the attribute does not exist on the model"
        )
    return sorted(items, key=lambda item: _sort_key(value(item, name)), reverse=order_by.startswith("-"))


def _listed(
    records: Mapping[str, JSON], query: dict[str, Any], allowed: Container[str]
) -> tuple[list[JSON], int]:
    """One page of a keyed collection as ``query`` orders and pages it, and the collection's size.
    ``id`` orders by when a record was added (its row id on the server)."""
    limit, offset = _check_limit(query), _offset(query)
    values = list(records.values())
    row = {id(record): n for n, record in enumerate(values)}
    ordered = _apply_sorting(
        values,
        query.get("order_by", "id"),
        lambda record, name: row[id(record)] if name == "id" else record[name],
        allowed,
    )
    return _page(ordered, offset, limit), len(values)


def _like(pattern: str) -> re.Pattern[str]:
    """SQL ``ILIKE '%pattern%'`` (``%`` and ``_`` are wildcards)."""
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(f".*{body}.*", re.IGNORECASE | re.DOTALL)


def _query_dt(query: dict[str, Any], name: str) -> datetime | None:
    value = query.get(name)
    if value is None:
        return None
    if isinstance(value, str) and not value.strip().endswith("Z"):
        value = value.strip().replace(" ", "+")  # a '+' sent unencoded arrives as a space
    try:
        return _parse_dt(value)
    except ValueError as exc:
        raise _bad_request(str(exc), title="Incorrect datetime argument") from None


def _in_range(value: Any, low: Any, high: Any) -> bool:
    if low is not None and (value is None or value < low):
        return False
    return not (high is not None and (value is None or value > high))


def _states(values: Iterable[Any] | None) -> list[str | None] | None:
    if not values:
        return None
    return [None if v in ("none", None) else str(v) for v in values]


def _mask(query: dict[str, Any]) -> list[str] | None:
    """``update_mask`` as a list (``a,b`` split, as ``explode: false`` asks)."""
    raw = query.get("update_mask")
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else list(raw)
    mask = [part for item in items for part in str(item).split(",")]
    return mask or None


def _fields_param(query: dict[str, Any]) -> list[str] | None:
    raw = query.get("fields")
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else list(raw)
    # connexion splits on commas and keeps empty names ("fields=" asks for the field ""): the
    # schemas refuse them as they refuse unknown ones
    return [part for item in items for part in str(item).split(",")] or [""]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sign(payload: Any) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = _b64(hmac.new(_SECRET_KEY, body.encode(), hashlib.sha1).digest())
    return f"{body}.{signature}"


def _unsign(token: str) -> Any:
    body, _, signature = token.rpartition(".")
    expected = _b64(hmac.new(_SECRET_KEY, body.encode(), hashlib.sha1).digest())
    if not body or not hmac.compare_digest(signature, expected):
        raise ValueError("bad signature")
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _facts_of(resource: str) -> dict[str, Any]:
    """What ``spec/v1/facts.yaml`` says of a resource (read at each request, so a changed fact shows)."""
    return _facts.RESOURCES[resource]


def _updatable(resource: str) -> list[str]:
    """The fields of ``resource`` the server updates (the fact the client's update() follows)."""
    return list(_facts_of(resource)["updatable"])


def _extract_update_mask(mask: Sequence[str], data: JSON, schema: Sequence[_Field], resource: str) -> JSON:
    """``extract_update_mask_data``: the masked part of ``data`` (loaded names).

    The server takes a name that is in the loaded body and is not one of its fields that must not
    change; that is, the name an updatable field is loaded as (``value`` is loaded as ``val``: an
    update_mask cannot name it, the facts' ``unmaskable``)."""
    loaded = {spec.attribute or spec.name for spec in schema if spec.name in _updatable(resource)}
    changes = {}
    for name in (m.strip() for m in mask):
        if name not in data or name not in loaded:
            raise _bad_request(f"'{name}' is unknown or cannot be updated.")
        changes[name] = data[name]
    return changes


def _sensitive_words() -> list[str]:
    """What makes the server mask a key of a connection's extra (the facts' ``masked``)."""
    return list(_facts.MASKED["extra_keys"])


def _is_sensitive(name: Any) -> bool:
    return isinstance(name, str) and any(s in name.strip().lower() for s in _sensitive_words())


def _redact_all(item: Any) -> Any:
    if isinstance(item, str):
        return "***"
    if isinstance(item, dict):
        return {k: _redact_all(v) for k, v in item.items()}
    if isinstance(item, list | tuple):
        return [_redact_all(v) for v in item]
    return item


def _redact(item: Any, name: str | None = None) -> Any:
    if name is not None and _is_sensitive(name):
        return _redact_all(item)
    if isinstance(item, dict):
        return {k: _redact(v, k) for k, v in item.items()}
    if isinstance(item, list):
        return [_redact(v) for v in item]
    return item


def _redacted_extra(extra: Any) -> Any:
    if extra is None:
        return None
    if not isinstance(extra, str):
        extra = json.dumps(extra)
    try:
        parsed = json.loads(extra)
    except ValueError:
        return extra
    return json.dumps(_redact(parsed))
