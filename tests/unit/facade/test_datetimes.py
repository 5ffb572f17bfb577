"""Naive datetimes are refused before any request; aware ones go out as RFC 3339; ``as_utc`` converts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import AirflowClient, AsyncAirflowClient, as_utc, errors
from airflow_rest_v1.models import DAGRun

from .conftest import arun, async_client, sync_client

BOTH = pytest.mark.parametrize("mode", ["sync", "async"])
NAIVE = datetime(2024, 1, 1)
NEW_YEAR = datetime(2024, 1, 1, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))
RUNS = {"dag_runs": [], "total_entries": 0}
RUN = {"dag_id": "d", "dag_run_id": "r", "state": "queued"}


def run(mode: str, fn: Callable[[Any], Any]) -> Any:
    """``fn(client)`` on a sync or async client (``fn`` returns a coroutine for the async one)."""
    client: AirflowClient | AsyncAirflowClient = sync_client() if mode == "sync" else async_client()
    if isinstance(client, AirflowClient):
        with client:
            return fn(client)
    return arun(client, fn)


# --- requests -------------------------------------------------------------------------------------


@BOTH
def test_naive_datetime_in_a_query_is_refused_before_any_request(httpx_mock: HTTPXMock, mode: str) -> None:
    with pytest.raises(errors.NaiveDatetimeError, match="as_utc") as info:
        run(mode, lambda c: c.dag_run.get_dag_runs(dag_id="~", execution_date_gte=NAIVE))
    assert isinstance(info.value, ValueError)
    assert "2024-01-01T00:00:00" in str(info.value)
    assert httpx_mock.get_requests() == []


@BOTH
def test_naive_datetime_in_a_body_is_refused_before_any_request(httpx_mock: HTTPXMock, mode: str) -> None:
    with pytest.raises(errors.NaiveDatetimeError, match="as_utc"):
        run(mode, lambda c: c.dag_run.post_dag_run("d", body=DAGRun(logical_date=NAIVE)))
    assert httpx_mock.get_requests() == []


@BOTH
@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (NEW_YEAR, "2024-01-01T00:00:00+00:00"),
        (datetime(2024, 1, 1, 2, tzinfo=PLUS_TWO), "2024-01-01T02:00:00+02:00"),
        (datetime(2024, 1, 1, 0, 0, 0, 250000, tzinfo=UTC), "2024-01-01T00:00:00.250000+00:00"),
    ],
    ids=["utc", "plus-two", "microseconds"],
)
def test_aware_datetime_in_a_query_is_sent_as_rfc3339_with_its_offset(
    httpx_mock: HTTPXMock, mode: str, value: datetime, sent: str
) -> None:
    httpx_mock.add_response(method="GET", json=RUNS)
    run(mode, lambda c: c.dag_run.get_dag_runs(dag_id="~", execution_date_gte=value))
    [request] = httpx_mock.get_requests()
    assert request.url.path == "/api/v1/dags/~/dagRuns"
    assert request.url.params["execution_date_gte"] == sent


@BOTH
@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (NEW_YEAR, "2024-01-01T00:00:00+00:00"),
        (datetime(2024, 1, 1, 2, tzinfo=PLUS_TWO), "2024-01-01T02:00:00+02:00"),
    ],
    ids=["utc", "plus-two"],
)
def test_aware_datetime_in_a_body_is_sent_as_rfc3339_with_its_offset(
    httpx_mock: HTTPXMock, mode: str, value: datetime, sent: str
) -> None:
    httpx_mock.add_response(method="POST", json=RUN | {"logical_date": sent})
    result = run(mode, lambda c: c.dag_run.post_dag_run("d", body=DAGRun(logical_date=value)))
    [request] = httpx_mock.get_requests()
    assert (request.method, request.url.path) == ("POST", "/api/v1/dags/d/dagRuns")
    assert json.loads(request.content) == {"logical_date": sent}
    assert result.logical_date == value


@BOTH
def test_as_utc_makes_a_naive_datetime_sendable(httpx_mock: HTTPXMock, mode: str) -> None:
    httpx_mock.add_response(method="GET", json=RUNS)
    run(mode, lambda c: c.dag_run.get_dag_runs(dag_id="~", execution_date_gte=as_utc(NAIVE)))
    [request] = httpx_mock.get_requests()
    assert request.url.params["execution_date_gte"] == "2024-01-01T00:00:00+00:00"


# --- as_utc ---------------------------------------------------------------------------------------


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local zone is Asia/Kolkata (UTC+05:30, no DST) for the test."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def assert_utc(value: datetime, expected: datetime) -> None:
    assert value == expected
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
    assert (value.year, value.month, value.day, value.hour, value.minute) == (
        expected.year,
        expected.month,
        expected.day,
        expected.hour,
        expected.minute,
    )


def test_as_utc_converts_an_aware_datetime_to_utc() -> None:
    assert_utc(as_utc(datetime(2024, 1, 1, 2, tzinfo=PLUS_TWO)), NEW_YEAR)
    assert_utc(as_utc(NEW_YEAR), NEW_YEAR)


def test_as_utc_converts_an_aware_datetime_whatever_naive_says(kolkata: None) -> None:
    assert_utc(as_utc(datetime(2024, 1, 1, 2, tzinfo=PLUS_TWO), naive="local"), NEW_YEAR)


def test_as_utc_reads_a_naive_datetime_as_utc_by_default() -> None:
    assert_utc(as_utc(NAIVE), NEW_YEAR)
    assert_utc(as_utc(NAIVE, naive="utc"), NEW_YEAR)


def test_as_utc_default_ignores_the_local_zone(kolkata: None) -> None:
    assert_utc(as_utc(NAIVE), NEW_YEAR)


def test_as_utc_local_reads_a_naive_datetime_in_the_local_zone(kolkata: None) -> None:
    assert_utc(as_utc(datetime(2024, 1, 1, 5, 30), naive="local"), NEW_YEAR)
    assert_utc(as_utc("2024-01-01T05:30:00", naive="local"), NEW_YEAR)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T02:00:00+02:00",
        "2023-12-31T19:00:00-05:00",
        "2024-01-01T00:00:00",
        "2024-01-01",
    ],
)
def test_as_utc_parses_iso_strings(text: str) -> None:
    assert_utc(as_utc(text), NEW_YEAR)


@pytest.mark.parametrize("naive", ["UTC", "server", "", "Europe/Paris"])
def test_as_utc_refuses_an_unknown_naive_mode(naive: str) -> None:
    with pytest.raises(ValueError, match="naive must be 'utc' or 'local'"):
        as_utc(NAIVE, naive=naive)
    with pytest.raises(ValueError, match="naive must be 'utc' or 'local'"):
        as_utc(NEW_YEAR, naive=naive)


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-13-01", "2024-01-01T25:00", "01/02/2024", "2024-01-01 junk"]
)
def test_as_utc_refuses_strings_that_are_not_iso_8601(text: str) -> None:
    with pytest.raises(ValueError, match="not an ISO 8601 date-time"):
        as_utc(text)


@pytest.mark.parametrize("value", [1_704_067_200, 1_704_067_200.0, None, date(2024, 1, 1), b"2024-01-01"])
def test_as_utc_refuses_other_types(value: Any) -> None:
    with pytest.raises(TypeError, match="datetime or an ISO 8601 string"):
        as_utc(value)
