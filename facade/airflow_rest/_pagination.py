"""Paging through list operations: the plans are pure, the sync and async drivers only loop over them.

A list operation takes ``limit`` and ``offset`` and answers a collection with ``total_entries`` and
one list of items (the generated ``PAGED_ITEMS`` names it). Offsets advance by the number of items
a page really held, so a server that caps ``limit`` (Airflow's ``maximum_page_limit``) loses nothing.
When ``total_entries`` changes while paging, items may have been skipped or repeated: that is
reported as a ``PaginationWarning``, or raised as ``PaginationError`` with ``on_total_change="error"``.

Two plans, both generators of steps: ``sequential`` (page after page) and ``ahead`` (the first
page alone, then up to N pages fetched ahead, in order). Where an operation takes a ``cursor``
(Airflow 3.2+'s task-instance and DAG-run lists), ``sequential`` pages by cursor: each page names
the next (``next_cursor``), which holds steady while rows are added. A server that ignores the
cursor (3.0, 3.1) sends none, and paging goes on by offset from where it is. A driver performs
each step with its own means (a call, a thread pool, asyncio tasks) and hands out the
``(page, items)`` pairs.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections import deque
from collections.abc import Callable, Generator, Mapping
from typing import Any, NamedTuple

from .errors import PaginationError, PaginationWarning

MAX_PAGE_SIZE = 10_000
MAX_CONCURRENCY = 64
# Seconds the first page must have spent waiting on the network (wall time minus CPU time) for
# concurrent page requests to pay off; below it a concurrent pager fetches one page at a time.
OVERLAP_WORTHWHILE = 0.002


class PageRequest:
    """What the caller asked for, checked before any request."""

    __slots__ = (
        "by_cursor",
        "items_field",
        "max_items",
        "name",
        "on_total_change",
        "operation",
        "page_size",
        "params",
    )

    def __init__(
        self,
        operation: Callable[..., Any],
        name: str,
        items_field: str,
        page_size: int,
        max_items: int | None,
        on_total_change: str,
        params: Mapping[str, Any],
        by_cursor: bool = False,
    ) -> None:
        self.operation = operation
        self.name = name
        self.items_field = items_field
        self.page_size = page_size
        self.max_items = max_items
        self.on_total_change = on_total_change
        self.params = params
        # the operation pages by cursor too, and the caller did not choose a cursor of its own
        self.by_cursor = by_cursor


def plan(
    operation: Callable[..., Any],
    paged_items: Mapping[str, str],
    *,
    is_async: bool,
    page_size: int = 100,
    max_items: int | None = None,
    on_total_change: str = "warn",
    args: tuple[Any, ...] = (),
    params: Mapping[str, Any],
) -> PageRequest:
    """Validate a paging request; every mistake is a clear error before any request. ``args`` are
    the operation's positional arguments (path parameters), kept by name."""
    name = getattr(operation, "__name__", repr(operation))
    items_field = paged_items.get(name)
    if items_field is None or not hasattr(operation, "__self__"):
        raise TypeError(
            f"paginate() takes a list operation of the client, e.g. client.dag.get_dags; {name!r} is not one "
            f"(list operations: {', '.join(sorted(paged_items))})"
        )
    if inspect.iscoroutinefunction(operation) != is_async:
        kind, other = ("an async", "a sync") if is_async else ("a sync", "an async")
        raise TypeError(
            f"paginate() of {kind} client takes its own operations; {name!r} belongs to {other} client"
        )
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
    if max_items is not None and (
        isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
    ):
        raise ValueError(f"max_items must be a non-negative integer or None, got {max_items!r}")
    if on_total_change not in ("warn", "error"):
        raise ValueError(f"on_total_change must be 'warn' or 'error', got {on_total_change!r}")
    for reserved in ("limit", "offset"):
        if reserved in params:
            raise TypeError(f"paginate() sets {reserved!r} itself; use page_size and max_items")
    signature = inspect.signature(operation)
    accepted = set(signature.parameters) - {"limit", "offset"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise TypeError(
            f"{name}() has no parameter {', '.join(map(repr, unknown))}; it takes {sorted(accepted)}"
        )
    try:
        signature.bind(*args, **params, limit=page_size, offset=0)
    except TypeError as exc:
        raise TypeError(f"{name}(): {exc}") from None
    named = {**signature.bind_partial(*args).arguments, **params} if args else dict(params)
    by_cursor = "cursor" in signature.parameters and "cursor" not in named
    return PageRequest(operation, name, items_field, page_size, max_items, on_total_change, named, by_cursor)


def check_concurrency(concurrency: int) -> int:
    """``concurrency`` if it is an int from 1 to MAX_CONCURRENCY; a ValueError before any request."""
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise ValueError(f"concurrency must be an integer from 1 to {MAX_CONCURRENCY}, got {concurrency!r}")
    return concurrency


def items_of(req: PageRequest, page: Any) -> tuple[list[Any], int]:
    """The items and total_entries of one answered page."""
    items = getattr(page, req.items_field)
    total = page.total_entries
    if not isinstance(items, list) or not isinstance(total, int):
        raise PaginationError(
            f"{req.name}: the answer has no {req.items_field!r} list or no total_entries to page with"
        )
    return items, total


def report_change(req: PageRequest, *, first: int, now: int, offset: int) -> None:
    message = (
        f"{req.name}: total_entries changed from {first} to {now} while paging (at offset {offset}); "
        "items may have been skipped or repeated. Page a stable collection, or order by a stable key."
    )
    if req.on_total_change == "error":
        raise PaginationError(message)
    warnings.warn(message, PaginationWarning, stacklevel=4)


def remaining(req: PageRequest, yielded: int) -> int | None:
    return None if req.max_items is None else req.max_items - yielded


def page_offsets(
    first_count: int, total: int, page_size: int, max_items: int | None
) -> list[tuple[int, int]]:
    """(offset, limit) of the pages after the first, once total_entries and the real page size are known.

    ``first_count`` is how many items the first page held: when the server capped the limit, that
    is the page size to use, or pages would leave gaps.
    """
    step = first_count if 0 < first_count < page_size and first_count < total else page_size
    end = total if max_items is None else min(total, max_items)
    return [(offset, step) for offset in range(first_count, end, step)] if step else []


class Fetch(NamedTuple):
    """The page to fetch next: at ``offset``, or at ``cursor`` when it is not None."""

    limit: int
    offset: int
    cursor: str | None = None

    def query(self) -> dict[str, Any]:
        """The operation's paging arguments."""
        if self.cursor is None:
            return {"limit": self.limit, "offset": self.offset}
        return {"limit": self.limit, "cursor": self.cursor}


def sequential(req: PageRequest) -> Generator[Fetch | tuple[Any, list[Any]], Any, None]:
    """Page after page: yields the page to fetch (the page is sent back in), then the (page, items)
    pair to hand out; the sync and async clients only perform the fetches."""
    start: int | None = 0
    if req.by_cursor:
        start = yield from _by_cursor(req)
    if start is not None:
        yield from _by_offset(req, start)


def _by_cursor(req: PageRequest) -> Generator[Fetch | tuple[Any, list[Any]], Any, int | None]:
    """Pages by cursor; the offset to go on from when the server sent no cursor (it pages by
    offset only), None when done."""
    cursor, fetched = "", 0  # an empty cursor asks for the first page
    while req.max_items is None or fetched < req.max_items:
        left = remaining(req, fetched)
        page = yield Fetch(req.page_size if left is None else min(req.page_size, left), fetched, cursor)
        items = getattr(page, req.items_field)
        if not isinstance(items, list):
            raise PaginationError(f"{req.name}: the answer has no {req.items_field!r} list to page with")
        following = getattr(page, "next_cursor", None)
        yield page, items
        fetched += len(items)
        if not isinstance(following, str):
            # None: the last page. Anything else (UNSET): a server without cursors, which paged by
            # offset: go on from here by offset
            return None if following is None and hasattr(page, "next_cursor") else fetched
        if not items or not following:
            return None
        cursor = following
    return None


def _by_offset(req: PageRequest, start: int) -> Generator[Fetch | tuple[Any, list[Any]], Any, None]:
    offset, fetched, first_total = start, start, None
    while req.max_items is None or fetched < req.max_items:
        left = remaining(req, fetched)
        limit = req.page_size if left is None else min(req.page_size, left)
        page = yield Fetch(limit, offset)
        items, total = items_of(req, page)
        if first_total is None:
            first_total = total
        elif total != first_total:
            report_change(req, first=first_total, now=total, offset=offset)
            first_total = total
        yield page, items
        count = len(items)
        del page, items  # let this page go before the next is fetched and decoded
        fetched += count
        offset += count
        if not count or offset >= total:
            return


class Probe(NamedTuple):
    """The first page, fetched now and alone: send back ``(page, waited_since(mark))`` where
    ``mark = clock()`` was taken just before the request."""

    limit: int
    offset: int


class Submit(NamedTuple):
    """Start fetching this page in the background (nothing is sent back)."""

    limit: int
    offset: int


class Take(NamedTuple):
    """Wait for the oldest page submitted and not yet taken: send it back, or raise its error."""

    offset: int


Step = Fetch | Probe | Submit | Take | tuple[Any, list[Any]]


def clock() -> tuple[float, float]:
    """A mark for ``waited_since``: wall time and the process's CPU time."""
    return time.perf_counter(), time.process_time()


def waited_since(mark: tuple[float, float]) -> float:
    """Seconds spent since ``mark`` not computing, i.e. waiting on the network (or the server)."""
    wall, cpu = mark
    return (time.perf_counter() - wall) - (time.process_time() - cpu)


def ahead(req: PageRequest, concurrency: int, worthwhile: float) -> Generator[Step, Any, None]:
    """Pages fetched ahead: the first page alone (``Probe``) to learn total_entries and the real
    page size, then every other page's offset is known and up to ``concurrency`` of them are kept
    in flight (``Submit``, then ``Take`` in order). Pairs are yielded in order; each page is checked
    against total_entries and its expected size, a mismatch reported as a change.

    When the first page hardly waited on the network (less than ``worthwhile`` seconds), the
    server answers at once and overlapping requests would only add work: the other pages are then
    fetched one at a time (``Fetch``), on the same offsets.
    """
    if req.max_items == 0:
        return
    first_limit = req.page_size if req.max_items is None else min(req.page_size, req.max_items)
    page, waited = yield Probe(first_limit, 0)
    items, total = items_of(req, page)
    yield page, items
    if not items or len(items) >= total:
        return
    todo = iter(page_offsets(len(items), total, req.page_size, req.max_items))
    del page, items
    in_flight: deque[tuple[int, int]] = deque()
    if not (worthwhile > 0 and waited < worthwhile):
        for offset, limit in todo:
            in_flight.append((offset, limit))
            yield Submit(limit, offset)
            if len(in_flight) >= concurrency:
                break
    while True:
        if in_flight:
            offset, limit = in_flight.popleft()
            page = yield Take(offset)
            following = next(todo, None)  # keep the pipeline full while this page is handed out
            if following is not None:
                in_flight.append(following)
                yield Submit(following[1], following[0])
        else:
            following = next(todo, None)
            if following is None:
                return
            offset, limit = following
            page = yield Fetch(limit, offset)
        items, now = items_of(req, page)
        if now != total or len(items) != min(limit, total - offset):
            report_change(req, first=total, now=now, offset=offset)
        yield page, items
        del page, items
