"""Every fault of the matrix against both clients, over a real socket to ``FaultServer``.

Each outcome is either success or exactly one typed ``airflow_rest.errors`` error (anything else
escapes ``run`` and fails the test), and a pager never loses or repeats an item: it yields every
item once, in order, or a strict prefix of them before its error. ``client._sleep`` is replaced by
a recorder (the intended test hook) except in the tests marked "real wait".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_rest import AirflowClient, AsyncAirflowClient, errors

from .conftest import (
    DAG_IDS,
    N_ITEMS,
    FaultServer,
    bad_gzip,
    half_json,
    html_login,
    page_body,
    reset,
    slow,
    status,
    truncated_json,
)

PAGE = 10
ALL_OFFSETS = list(range(0, N_ITEMS, PAGE))  # 5 pages: 0, 10, 20, 30, 40
PAGE_3 = 20
TIMEOUT = 5.0  # generous: only the timeout tests want the client to give up early
MODES = ["sync", "async"]


@dataclass
class Outcome:
    """What a client did: the items (dag_ids) or page it got, its one error, its recorded sleeps."""

    items: list[str] = field(default_factory=list)
    page: Any = None
    error: errors.AirflowError | None = None
    sleeps: list[float] = field(default_factory=list)
    elapsed: float = 0.0


def run(
    mode: str,
    server: FaultServer,
    *,
    paginate: bool,
    concurrency: int = 1,
    patch_sleep: bool = True,
    **client_options: Any,
) -> Outcome:
    """Page through ``get_dags`` (``paginate``) or fetch one page, with the sync or async client.

    Only ``errors.AirflowError`` is caught: any other exception fails the test.
    """
    client_options.setdefault("timeout", TIMEOUT)
    outcome = Outcome()
    start = time.monotonic()
    if mode == "sync":
        with AirflowClient(server.url, **client_options) as client:
            client._overlap_worthwhile = 0.0  # a local server answers at once: page concurrently anyway
            if patch_sleep:
                client._sleep = outcome.sleeps.append
            try:
                if paginate:
                    for dag in client.paginate(client.dag.get_dags, page_size=PAGE, concurrency=concurrency):
                        outcome.items.append(dag.dag_id)
                else:
                    outcome.page = client.dag.get_dags(limit=PAGE, offset=0)
            except errors.AirflowError as exc:
                outcome.error = exc
    else:

        async def record_sleep(delay: float) -> None:
            outcome.sleeps.append(delay)

        async def main() -> None:
            async with AsyncAirflowClient(server.url, **client_options) as client:
                client._overlap_worthwhile = 0.0  # a local server answers at once: page concurrently anyway
                if patch_sleep:
                    client._sleep = record_sleep
                try:
                    if paginate:
                        pager = client.paginate(client.dag.get_dags, page_size=PAGE, concurrency=concurrency)
                        async for dag in pager:
                            outcome.items.append(dag.dag_id)
                    else:
                        outcome.page = await client.dag.get_dags(limit=PAGE, offset=0)
                except errors.AirflowError as exc:
                    outcome.error = exc

        asyncio.run(main())
    outcome.elapsed = time.monotonic() - start
    return outcome


def assert_complete(outcome: Outcome) -> None:
    assert outcome.error is None, f"unexpected {outcome.error!r}"
    assert outcome.items == DAG_IDS  # every item exactly once, in order


def assert_strict_prefix(outcome: Outcome, length: int) -> None:
    assert len(set(outcome.items)) == len(outcome.items), "an item was repeated"
    assert outcome.items == DAG_IDS[:length]
    assert len(outcome.items) < N_ITEMS


def assert_backoff(sleeps: list[float], count: int) -> None:
    """``count`` exponential-backoff delays (no Retry-After): 0.5, 1.0, ... each minus <= 25% jitter."""
    assert len(sleeps) == count
    for n, delay in enumerate(sleeps):
        base = 0.5 * 2**n
        assert 0.75 * base <= delay <= base


def assert_only(outcome: Outcome, cls: type[errors.AirflowError]) -> Any:
    assert outcome.error is not None, "expected an error, the call succeeded"
    assert type(outcome.error) is cls, f"expected exactly {cls.__name__}, got {outcome.error!r}"
    return outcome.error


def page_ids(outcome: Outcome) -> list[str]:
    return [dag.dag_id for dag in outcome.page.dags]


# -- 1. connection reset in the middle of pagination ----------------------------------------------


@pytest.mark.parametrize("when", ["before", "mid_body"])
@pytest.mark.parametrize("mode", MODES)
def test_reset_on_page_3_is_retried_and_paging_completes(server: FaultServer, mode: str, when: str) -> None:
    server.on_offset(PAGE_3, reset(when))
    outcome = run(mode, server, paginate=True)
    assert_complete(outcome)
    assert server.offsets() == [0, 10, 20, 20, 30, 40]  # page 3 asked twice, no other page again
    assert_backoff(outcome.sleeps, 1)


@pytest.mark.parametrize("when", ["before", "mid_body"])
@pytest.mark.parametrize("mode", MODES)
def test_reset_without_retries_raises_after_a_strict_prefix(
    server: FaultServer, mode: str, when: str
) -> None:
    server.on_offset(PAGE_3, reset(when))
    outcome = run(mode, server, paginate=True, max_retries=0)
    error = assert_only(outcome, errors.APIConnectionError)
    assert error.method == "GET"
    assert "offset=20" in error.url and "get_dags" in str(error)
    assert_strict_prefix(outcome, PAGE_3)
    assert server.offsets() == [0, 10, 20]
    assert outcome.sleeps == []


# -- 2. 500 and 503 ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_500_once_is_a_server_error_and_not_retried(server: FaultServer, mode: str) -> None:
    server.on_request(0, status(500, message="database is locked"))
    outcome = run(mode, server, paginate=False)
    error = assert_only(outcome, errors.ServerError)
    assert error.status_code == 500
    assert error.detail == "database is locked"
    assert "database is locked" in str(error) and "500" in str(error)
    assert len(server.requests) == 1  # 500 is not retried
    assert outcome.sleeps == []


@pytest.mark.parametrize("mode", MODES)
def test_503_with_retry_after_then_ok_succeeds(server: FaultServer, mode: str) -> None:
    server.on_request(0, status(503, retry_after=1))
    outcome = run(mode, server, paginate=False)
    assert outcome.error is None
    assert page_ids(outcome) == DAG_IDS[:PAGE]
    assert outcome.sleeps == [1.0]  # the server's Retry-After, not the backoff
    assert len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_503_retry_after_is_capped_at_60_seconds(server: FaultServer, mode: str) -> None:
    server.on_request(0, status(503, retry_after=3600))
    outcome = run(mode, server, paginate=False)
    assert outcome.error is None
    assert outcome.sleeps == [60.0]


@pytest.mark.parametrize("mode", MODES)
def test_503_always_is_a_server_error_after_max_retries_plus_one_requests(
    server: FaultServer, mode: str
) -> None:
    server.always(status(503, retry_after=1, message="scheduler is restarting"))
    outcome = run(mode, server, paginate=False, max_retries=2)
    error = assert_only(outcome, errors.ServerError)
    assert error.status_code == 503
    assert "scheduler is restarting" in str(error)
    assert len(server.requests) == 3
    assert outcome.sleeps == [1.0, 1.0]


@pytest.mark.parametrize("mode", MODES)
def test_503_retry_after_0_in_pagination_real_wait(server: FaultServer, mode: str) -> None:
    """Real wait: no patched sleep; the client's own sleep(0) path, end to end."""
    server.on_offset(PAGE_3, status(503, retry_after=0), status(503, retry_after=0))
    outcome = run(mode, server, paginate=True, patch_sleep=False)
    assert_complete(outcome)
    assert server.offsets() == [0, 10, 20, 20, 20, 30, 40]
    assert outcome.elapsed < 5.0


# -- 3. a login page instead of JSON -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_html_login_page_is_an_authentication_error(server: FaultServer, mode: str) -> None:
    server.on_offset(PAGE_3, html_login())
    outcome = run(mode, server, paginate=True)
    error = assert_only(outcome, errors.AuthenticationError)
    assert error.status_code == 200
    assert "login page" in str(error)
    assert "<form" in error.text
    assert_strict_prefix(outcome, PAGE_3)
    assert server.offsets() == [0, 10, 20]  # not retried


# -- 4. truncated JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_short_body_then_close_is_retried_as_a_connection_error(server: FaultServer, mode: str) -> None:
    server.on_offset(PAGE_3, truncated_json())
    outcome = run(mode, server, paginate=True)
    assert_complete(outcome)
    assert server.offsets() == [0, 10, 20, 20, 30, 40]
    assert_backoff(outcome.sleeps, 1)


@pytest.mark.parametrize("mode", MODES)
def test_short_body_every_time_is_a_connection_error(server: FaultServer, mode: str) -> None:
    server.always(truncated_json())
    outcome = run(mode, server, paginate=False, max_retries=2)
    error = assert_only(outcome, errors.APIConnectionError)
    assert "RemoteProtocolError" in str(error)
    assert len(server.requests) == 3
    assert_backoff(outcome.sleeps, 2)


@pytest.mark.parametrize("mode", MODES)
def test_half_a_json_document_is_a_decode_error_carrying_the_response(server: FaultServer, mode: str) -> None:
    server.on_offset(PAGE_3, half_json())
    outcome = run(mode, server, paginate=True)
    error = assert_only(outcome, errors.ResponseDecodeError)
    assert error.status_code == 200
    assert error.response.status_code == 200
    full = page_body({"limit": str(PAGE), "offset": str(PAGE_3)})
    assert error.response.content == full[: len(full) // 2]
    assert "JSONDecodeError" in str(error)
    assert_strict_prefix(outcome, PAGE_3)
    assert server.offsets() == [0, 10, 20]  # not retried
    assert outcome.sleeps == []


@pytest.mark.parametrize("mode", MODES)
def test_body_that_fails_its_content_encoding_is_a_typed_error(server: FaultServer, mode: str) -> None:
    """A 200 whose gzip body is corrupt (a broken proxy) must still end in one typed error."""
    server.on_request(0, bad_gzip())
    outcome = run(mode, server, paginate=False, max_retries=0)
    assert isinstance(outcome.error, errors.ResponseDecodeError | errors.APIConnectionError)
    assert "get_dags" in str(outcome.error)
    assert len(server.requests) == 1


# -- 5. slower than the timeout ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_slower_than_the_timeout_is_a_timeout_error(server: FaultServer, mode: str) -> None:
    server.always(slow(1.0))
    outcome = run(mode, server, paginate=False, timeout=0.3, max_retries=1)
    error = assert_only(outcome, errors.APITimeoutError)
    assert "timed out" in str(error) and "ReadTimeout" in str(error)
    assert len(server.requests) == 2  # timeouts are retried like any connection error
    assert_backoff(outcome.sleeps, 1)
    assert outcome.elapsed < 1.5  # gave up at 0.3 s per attempt, did not wait for the server


@pytest.mark.parametrize("mode", MODES)
def test_one_slow_answer_then_a_fast_one_succeeds(server: FaultServer, mode: str) -> None:
    server.on_offset(PAGE_3, slow(1.0))
    outcome = run(mode, server, paginate=True, timeout=0.3)
    assert_complete(outcome)
    assert server.offsets() == [0, 10, 20, 20, 30, 40]
    assert_backoff(outcome.sleeps, 1)


# -- 6. the concurrent pagers (async tasks, sync threads) -----------------------------------------

CONCURRENT_FAULTS: dict[str, Callable[[], Any]] = {
    "reset_before": lambda: reset("before"),
    "reset_mid_body": lambda: reset("mid_body"),
    "truncated_json": truncated_json,
    "503_retry_after_0": lambda: status(503, retry_after=0),
    "slow": lambda: slow(1.0),
}


@pytest.mark.parametrize("fault", list(CONCURRENT_FAULTS))
@pytest.mark.parametrize("mode", MODES)
def test_concurrent_pager_retries_one_failed_page(server: FaultServer, mode: str, fault: str) -> None:
    server.on_offset(PAGE_3, CONCURRENT_FAULTS[fault]())
    outcome = run(mode, server, paginate=True, concurrency=4, timeout=0.3 if fault == "slow" else TIMEOUT)
    assert_complete(outcome)
    offsets = server.offsets()
    assert offsets[0] == 0  # the first page is fetched alone, to learn total_entries
    assert sorted(offsets) == [0, 10, 20, 20, 30, 40]
    assert len(outcome.sleeps) == 1


@pytest.mark.parametrize("fault", ["reset_before", "reset_mid_body", "truncated_json"])
@pytest.mark.parametrize("mode", MODES)
def test_concurrent_pager_without_retries_raises_after_a_strict_prefix(
    server: FaultServer, mode: str, fault: str
) -> None:
    server.on_offset(PAGE_3, CONCURRENT_FAULTS[fault]())
    outcome = run(mode, server, paginate=True, concurrency=4, max_retries=0)
    assert_only(outcome, errors.APIConnectionError)
    assert_strict_prefix(outcome, PAGE_3)
    offsets = server.offsets()
    assert {0, 10, 20} <= set(offsets) <= set(ALL_OFFSETS)  # pages 4-5 may have been cancelled unsent
    assert len(set(offsets)) == len(offsets)  # nothing asked twice: no retry
    assert offsets[0] == 0
    assert outcome.sleeps == []


# -- the harness itself --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_no_fault_pages_through_everything_once(server: FaultServer, mode: str) -> None:
    outcome = run(mode, server, paginate=True)
    assert_complete(outcome)
    assert server.offsets() == ALL_OFFSETS
    assert all(r.query["limit"] == str(PAGE) for r in server.requests)
    assert outcome.sleeps == []
