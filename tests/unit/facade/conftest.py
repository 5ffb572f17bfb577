"""Helpers for the facade's unit tests: clients with a frozen clock and recorded sleeps, no network.

HTTP is mocked with pytest-httpx's ``httpx_mock`` fixture; async tests run their coroutine with
``asyncio.run`` inside a plain test function (no pytest-asyncio needed).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from airflow_rest import AirflowClient, AsyncAirflowClient

T = TypeVar("T")

BASE = "https://airflow.test"
API = f"{BASE}/api/v1"
FROZEN_NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
ERRORS_DOC = "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html"
PROBLEM_JSON = {"content-type": "application/problem+json"}
# One TLS context for every client: building one per client (certifi's bundle) costs ~0.1 s each.
TLS = ssl.create_default_context()


class SleepRecorder:
    """Stands in for ``time.sleep``: records the delays, never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class AsyncSleepRecorder(SleepRecorder):
    """Stands in for ``asyncio.sleep``."""

    async def __call__(self, seconds: float) -> None:  # type: ignore[override]
        self.calls.append(seconds)


def sync_client(base_url: str = BASE, **kwargs: Any) -> AirflowClient:
    kwargs.setdefault("verify", TLS)
    client = AirflowClient(base_url, **kwargs)
    client._sleep = SleepRecorder()
    client._clock = lambda: FROZEN_NOW
    return client


def async_client(base_url: str = BASE, **kwargs: Any) -> AsyncAirflowClient:
    kwargs.setdefault("verify", TLS)
    client = AsyncAirflowClient(base_url, **kwargs)
    client._sleep = AsyncSleepRecorder()
    client._clock = lambda: FROZEN_NOW
    client._overlap_worthwhile = 0.0  # mocked answers are instant: page concurrently anyway
    return client


def sleeps(client: AirflowClient | AsyncAirflowClient) -> list[float]:
    return client._sleep.calls  # type: ignore[union-attr]


def arun(client: AsyncAirflowClient, fn: Callable[[AsyncAirflowClient], Awaitable[T]]) -> T:
    """Run ``fn(client)`` in a fresh event loop, closing the client afterwards."""

    async def main() -> T:
        async with client:
            return await fn(client)

    return asyncio.run(main())


async def collect(items: Any) -> list[Any]:
    return [item async for item in items]


def problem(status: int, title: str, detail: str | None, **extra: Any) -> bytes:
    """An Airflow Problem JSON body (RFC 7807)."""
    body = {
        "detail": detail,
        "status": status,
        "title": title,
        "type": f"{ERRORS_DOC}#section/Errors/{title.replace(' ', '')}",
        **extra,
    }
    return json.dumps(body).encode()


def dag_json(i: int) -> dict[str, Any]:
    return {"dag_id": f"dag_{i:03d}", "is_paused": False, "fileloc": f"/dags/dag_{i:03d}.py"}


class PagedServer:
    """A list endpoint over a fixed list of items that honours ``limit``/``offset``.

    ``cap`` caps every page like Airflow's ``maximum_page_limit``; ``total`` may be a function of the
    call number to simulate a collection that changes while it is paged.
    """

    def __init__(
        self,
        items: list[dict[str, Any]],
        field: str = "dags",
        *,
        cap: int | None = None,
        total: Callable[[int], int] | None = None,
    ) -> None:
        self.items = items
        self.field = field
        self.cap = cap
        self.total = total
        self.calls: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        offset = int(request.url.params.get("offset", "0"))
        self.calls.append((offset, limit))
        size = limit if self.cap is None else min(limit, self.cap)
        total = len(self.items) if self.total is None else self.total(len(self.calls))
        return httpx.Response(
            200, json={self.field: self.items[offset : offset + size], "total_entries": total}
        )
