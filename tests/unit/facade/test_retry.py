"""Retry decisions and delays (pure functions, frozen clock, fixed randomness), then the clients' loop."""

from __future__ import annotations

import email.utils
import itertools

import httpx
import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import RetryPolicy, errors
from airflow_rest._retry import is_idempotent, parse_retry_after, retry_delay, should_retry
from airflow_rest_v1.models import Pool

from .conftest import FROZEN_NOW, arun, async_client, sleeps, sync_client

NOW = FROZEN_NOW
POLICY = RetryPolicy()
METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "POST"]
RETRY_STATUSES = [408, 429, 502, 503, 504]
FINAL_STATUSES = [400, 401, 403, 404, 405, 409, 422, 500, 501, 505]
OK = {"dags": [], "total_entries": 0}


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


# --- is_idempotent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "has_update_mask", "retry_post", "expected"),
    [
        ("GET", False, False, True),
        ("get", False, False, True),
        ("HEAD", False, False, True),
        ("OPTIONS", False, False, True),
        ("PUT", False, False, True),
        ("DELETE", False, False, True),
        ("PATCH", False, False, False),
        ("PATCH", False, True, False),
        ("PATCH", True, False, True),
        ("patch", True, False, True),
        ("POST", False, False, False),
        ("POST", True, False, False),
        ("POST", False, True, True),
        ("TRACE", False, False, False),
    ],
)
def test_is_idempotent(method: str, has_update_mask: bool, retry_post: bool, expected: bool) -> None:
    assert is_idempotent(method, has_update_mask=has_update_mask, retry_post=retry_post) is expected


# --- should_retry: methods x statuses x connection errors --------------------------------------


def _idempotent(method: str, mask: bool, retry_post: bool) -> bool:
    return method in {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"} or (
        (method == "PATCH" and mask) or (method == "POST" and retry_post)
    )


@pytest.mark.parametrize(
    ("method", "mask", "retry_post", "status"),
    list(itertools.product(METHODS, [False, True], [False, True], RETRY_STATUSES + FINAL_STATUSES)),
)
def test_should_retry_on_status(method: str, mask: bool, retry_post: bool, status: int) -> None:
    policy = RetryPolicy(retry_post=retry_post)
    expected = _idempotent(method, mask, retry_post) and status in RETRY_STATUSES
    got = should_retry(policy, method=method, has_update_mask=mask, retries_done=0, status=status)
    assert got is expected


@pytest.mark.parametrize(
    ("method", "mask", "retry_post"), list(itertools.product(METHODS, [False, True], [False, True]))
)
def test_should_retry_on_connection_error(method: str, mask: bool, retry_post: bool) -> None:
    policy = RetryPolicy(retry_post=retry_post)
    got = should_retry(policy, method=method, has_update_mask=mask, retries_done=0, connection_error=True)
    assert got is _idempotent(method, mask, retry_post)


@pytest.mark.parametrize(
    ("max_retries", "retries_done", "expected"),
    [(0, 0, False), (1, 0, True), (1, 1, False), (2, 0, True), (2, 1, True), (2, 2, False), (2, 5, False)],
)
def test_should_retry_stops_after_max_retries(max_retries: int, retries_done: int, expected: bool) -> None:
    policy = RetryPolicy(max_retries=max_retries)
    kwargs = {"method": "GET", "has_update_mask": False, "retries_done": retries_done}
    assert should_retry(policy, **kwargs, status=503) is expected
    assert should_retry(policy, **kwargs, connection_error=True) is expected


def test_should_retry_without_status_or_connection_error_is_false() -> None:
    assert not should_retry(POLICY, method="GET", has_update_mask=False, retries_done=0)


# --- parse_retry_after ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("120", 120.0),
        (http_date(NOW + 30), 30.0),
        (http_date(NOW), 0.0),
        (http_date(NOW - 3600), 0.0),  # in the past: retry now
        ("-5", 0.0),
        ("Tue, 14 Nov 2023 22:13:50", None),  # no zone: unusable
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
        ("Mon, 99 Foo 2023 99:99:99 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_http_date_is_relative_to_now() -> None:
    date = http_date(NOW + 60)
    assert parse_retry_after(date, now=NOW) == 60.0
    assert parse_retry_after(date, now=NOW + 45) == 15.0


# --- retry_delay ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retries_done", "expected"), [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (20, 8.0)]
)
def test_backoff_doubles_up_to_max_delay(retries_done: int, expected: float) -> None:
    delay = retry_delay(POLICY, retries_done=retries_done, retry_after=None, now=NOW, rand=lambda: 0.0)
    assert delay == expected


@pytest.mark.parametrize("retries_done", range(6))
@pytest.mark.parametrize("rand", [0.0, 0.25, 0.5, 0.999999])
def test_jitter_shortens_the_delay_by_at_most_the_jitter_fraction(retries_done: int, rand: float) -> None:
    base = min(0.5 * 2**retries_done, 8.0)
    delay = retry_delay(POLICY, retries_done=retries_done, retry_after=None, now=NOW, rand=lambda: rand)
    assert delay == pytest.approx(base * (1 - 0.25 * rand))
    assert base * 0.75 <= delay <= base


def test_no_jitter_gives_the_exact_schedule() -> None:
    policy = RetryPolicy(jitter=0.0, initial_delay=1.0, max_delay=3.0)
    got = [retry_delay(policy, retries_done=n, retry_after=None, now=NOW, rand=lambda: 0.9) for n in range(4)]
    assert got == [1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("2", 2.0),
        (http_date(NOW + 10), 10.0),
        ("3600", 60.0),  # capped at max_retry_after
        (http_date(NOW + 3600), 60.0),
        ("soon", 0.5),  # garbage: the backoff schedule
        ("", 0.5),
    ],
)
def test_retry_after_wins_over_backoff_up_to_the_cap(retry_after: str, expected: float) -> None:
    delay = retry_delay(POLICY, retries_done=0, retry_after=retry_after, now=NOW, rand=lambda: 0.0)
    assert delay == expected


def test_retry_after_is_not_jittered() -> None:
    assert retry_delay(POLICY, retries_done=3, retry_after="2", now=NOW, rand=lambda: 0.99) == 2.0


@pytest.mark.parametrize(
    "kwargs", [{"max_retries": -1}, {"jitter": 1.5}, {"jitter": -0.1}, {"initial_delay": -1}]
)
def test_retry_policy_refuses_bad_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


# --- the clients' retry loop ---------------------------------------------------------------------


def test_503_with_retry_after_then_200_succeeds_after_the_server_delay(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "2"})
    httpx_mock.add_response(json=OK)
    with sync_client() as client:
        assert client.dag.get_dags().total_entries == 0
        assert sleeps(client) == [2.0]
    assert len(httpx_mock.get_requests()) == 2


def test_503_with_retry_after_then_200_succeeds_after_the_server_delay_async(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "2"})
    httpx_mock.add_response(json=OK)
    client = async_client()
    assert arun(client, lambda c: c.dag.get_dags()).total_entries == 0
    assert sleeps(client) == [2.0]


def test_retry_after_http_date_uses_the_client_clock(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": http_date(NOW + 5)})
    httpx_mock.add_response(json=OK)
    with sync_client() as client:
        client.dag.get_dags()
        assert sleeps(client) == [5.0]


def test_retries_exhausted_raise_the_last_error(httpx_mock: HTTPXMock) -> None:
    for _ in range(3):
        httpx_mock.add_response(status_code=503)
    with sync_client(max_retries=2) as client, pytest.raises(errors.ServerError) as info:
        client.dag.get_dags()
    assert info.value.status_code == 503
    assert len(httpx_mock.get_requests()) == 3
    delays = sleeps(client)
    assert len(delays) == 2
    assert 0.375 <= delays[0] <= 0.5
    assert 0.75 <= delays[1] <= 1.0


def test_retries_exhausted_raise_the_last_error_async(httpx_mock: HTTPXMock) -> None:
    for _ in range(3):
        httpx_mock.add_response(status_code=503)
    client = async_client(max_retries=2)
    with pytest.raises(errors.ServerError):
        arun(client, lambda c: c.dag.get_dags())
    assert len(httpx_mock.get_requests()) == 3
    assert len(sleeps(client)) == 2


def test_post_is_not_retried(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", status_code=503)
    with sync_client() as client, pytest.raises(errors.ServerError):
        client.pool.post_pool(body=Pool(name="p", slots=1))
    assert len(httpx_mock.get_requests()) == 1
    assert sleeps(client) == []


def test_post_is_not_retried_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", status_code=503)
    client = async_client()
    with pytest.raises(errors.ServerError):
        arun(client, lambda c: c.pool.post_pool(body=Pool(name="p", slots=1)))
    assert len(httpx_mock.get_requests()) == 1


def test_post_is_retried_with_retry_post(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", status_code=502)
    httpx_mock.add_response(method="POST", json={"name": "p", "slots": 1})
    with sync_client(retry_post=True) as client:
        assert client.pool.post_pool(body=Pool(name="p", slots=1)).name == "p"
    first, second = httpx_mock.get_requests()
    assert first.content == second.content  # the same body is sent again


def test_patch_with_update_mask_is_retried(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="PATCH", status_code=503)
    httpx_mock.add_response(method="PATCH", json={"name": "p", "slots": 2})
    with sync_client() as client:
        assert client.pool.patch_pool("p", body=Pool(slots=2), update_mask=["slots"]).slots == 2
    assert len(httpx_mock.get_requests()) == 2


def test_patch_without_update_mask_is_not_retried(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="PATCH", status_code=503)
    with sync_client() as client, pytest.raises(errors.ServerError):
        client.pool.patch_pool("p", body=Pool(slots=2))
    assert len(httpx_mock.get_requests()) == 1


def test_with_options_max_retries_0_disables_retries_and_shares_the_pool(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(json=OK)
    with sync_client() as client:
        once = client.with_options(max_retries=0)
        assert once._http is client._http
        with pytest.raises(errors.ServerError):
            once.dag.get_dags()
        assert len(httpx_mock.get_requests()) == 1
        assert client.retry_policy.max_retries == 2
        once.close()  # does not close the shared pool
        assert client.dag.get_dags().total_entries == 0  # the original still retries
    assert len(httpx_mock.get_requests()) == 3


def test_with_options_max_retries_0_disables_retries_and_shares_the_pool_async(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(json=OK)

    async def scenario(client):  # type: ignore[no-untyped-def]
        once = client.with_options(max_retries=0)
        assert once._http is client._http
        with pytest.raises(errors.ServerError):
            await once.dag.get_dags()
        await once.aclose()
        return await client.dag.get_dags()

    assert arun(async_client(), scenario).total_entries == 0
    assert len(httpx_mock.get_requests()) == 3


def test_connection_error_is_retried_then_succeeds(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("Connection refused"))
    httpx_mock.add_response(json=OK)
    with sync_client() as client:
        assert client.dag.get_dags().total_entries == 0
        assert len(sleeps(client)) == 1
    assert len(httpx_mock.get_requests()) == 2


def test_connection_error_is_retried_then_succeeds_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    httpx_mock.add_response(json=OK)
    client = async_client()
    assert arun(client, lambda c: c.dag.get_dags()).total_entries == 0
    assert len(sleeps(client)) == 1


def test_connection_errors_exhausted_raise_api_connection_error(httpx_mock: HTTPXMock) -> None:
    for _ in range(2):
        httpx_mock.add_exception(httpx.ConnectError("Connection refused"))
    with sync_client(max_retries=1) as client, pytest.raises(errors.APIConnectionError):
        client.dag.get_dags()
    assert len(httpx_mock.get_requests()) == 2


def test_500_is_not_retried(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=500)
    with sync_client() as client, pytest.raises(errors.ServerError):
        client.dag.get_dags()
    assert len(httpx_mock.get_requests()) == 1
