"""Turning user-given datetimes into the aware ones the client sends (it refuses naive ones)."""

from __future__ import annotations

import datetime as dt

__all__ = ["as_utc"]


def as_utc(value: dt.datetime | str, *, naive: str = "utc") -> dt.datetime:
    """``value`` as an aware datetime in UTC.

    An aware datetime is converted to UTC. A naive one (or a string without an offset) is read as
    UTC with ``naive="utc"`` or as this machine's local time with ``naive="local"``; any other
    ``naive`` is refused. Strings are parsed as ISO 8601 (``python-dateutil``).
    """
    if naive not in ("utc", "local"):
        raise ValueError(f"naive must be 'utc' or 'local', got {naive!r}")
    if isinstance(value, str):
        from dateutil import parser

        try:
            value = parser.isoparse(value)
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 date-time: {value!r} ({exc})") from None
    if not isinstance(value, dt.datetime):
        raise TypeError(f"as_utc() takes a datetime or an ISO 8601 string, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        if naive == "utc":
            return value.replace(tzinfo=dt.UTC)
        from dateutil import tz

        value = value.replace(tzinfo=tz.tzlocal())
    return value.astimezone(dt.UTC)
