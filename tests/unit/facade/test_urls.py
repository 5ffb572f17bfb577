"""base_url handling and the headers sent with every request."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import AirflowClient, AsyncAirflowClient

from .conftest import API, TLS, arun, async_client, sync_client

EMPTY_DAGS = {"dags": [], "total_entries": 0}


@pytest.mark.parametrize(
    ("base_url", "api_root"),
    [
        ("https://airflow.test", "https://airflow.test/api/v1/"),
        ("https://airflow.test/", "https://airflow.test/api/v1/"),
        ("http://localhost:8080", "http://localhost:8080/api/v1/"),
        ("https://host/airflow", "https://host/airflow/api/v1/"),
        ("https://host/airflow/", "https://host/airflow/api/v1/"),
    ],
)
@pytest.mark.parametrize("cls", [AirflowClient, AsyncAirflowClient])
def test_client_adds_api_v1_to_the_webserver_root(cls: type, base_url: str, api_root: str) -> None:
    assert cls(base_url, verify=TLS).base_url == api_root


def test_path_prefix_is_kept_in_request_urls(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=EMPTY_DAGS)
    with sync_client("https://host/airflow") as client:
        client.dag.get_dags(limit=5)
    url = httpx_mock.get_requests()[0].url
    assert str(url.copy_with(query=None)) == "https://host/airflow/api/v1/dags"
    assert url.params["limit"] == "5"


def test_path_prefix_is_kept_in_request_urls_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=EMPTY_DAGS)
    arun(async_client("https://host/airflow"), lambda c: c.dag.get_dags(limit=5))
    url = httpx_mock.get_requests()[0].url
    assert str(url.copy_with(query=None)) == "https://host/airflow/api/v1/dags"


def test_path_parameters_are_quoted_below_the_api_root(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"dag_id": "a/b c"})
    with sync_client("https://host/airflow") as client:
        client.dag.get_dag("a/b c")
    assert httpx_mock.get_requests()[0].url.raw_path == b"/airflow/api/v1/dags/a%2Fb%20c"


@pytest.mark.parametrize(
    ("base_url", "right_form"),
    [
        ("https://host/airflow/api/v1", "https://host/airflow"),
        ("https://host/airflow/api/v1/", "https://host/airflow"),
        ("https://host/api/v1", "https://host/"),
    ],
)
@pytest.mark.parametrize("cls", [AirflowClient, AsyncAirflowClient])
def test_base_url_ending_in_api_v1_is_refused_naming_the_right_form(
    cls: type, base_url: str, right_form: str
) -> None:
    with pytest.raises(ValueError, match="webserver root") as info:
        cls(base_url)
    assert repr(right_form) in str(info.value)


@pytest.mark.parametrize(
    "base_url", ["ftp://host", "file:///tmp/airflow", "host:8080", "/relative", "https://", "airflow.test"]
)
@pytest.mark.parametrize("cls", [AirflowClient, AsyncAirflowClient])
def test_non_http_base_url_is_refused(cls: type, base_url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        cls(base_url)


@pytest.mark.parametrize("base_url", ["https://host/?x=1", "https://host/#frag"])
def test_base_url_with_query_or_fragment_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="query or fragment"):
        AirflowClient(base_url)


def test_accept_user_agent_and_extra_headers_are_sent(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=EMPTY_DAGS)
    httpx_mock.add_response(json={"name": "p", "slots": 1})
    with sync_client(headers={"X-Team": "data"}) as client:
        client.dag.get_dags()
        client.pool.get_pool("p")
    for request in httpx_mock.get_requests():
        assert request.headers["Accept"] == "application/json"
        assert request.headers["User-Agent"].startswith("airflow-rest")
        assert request.headers["X-Team"] == "data"


def test_accept_user_agent_and_extra_headers_are_sent_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=EMPTY_DAGS)
    arun(async_client(headers={"X-Team": "data"}), lambda c: c.dag.get_dags())
    request = httpx_mock.get_requests()[0]
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("airflow-rest")
    assert request.headers["X-Team"] == "data"


def test_with_options_headers_are_added_for_that_client_only(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=EMPTY_DAGS, is_reusable=True)
    with sync_client() as client:
        client.with_options(headers={"X-Trace": "t1"}).dag.get_dags()
        client.dag.get_dags()
    first, second = httpx_mock.get_requests()
    assert first.headers["X-Trace"] == "t1"
    assert "X-Trace" not in second.headers
    assert str(first.url).startswith(f"{API}/dags")


def test_with_options_header_replaces_a_client_header_whatever_its_case(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=EMPTY_DAGS)
    with sync_client(headers={"X-Team": "data"}) as client:
        client.with_options(headers={"x-team": "ops"}).dag.get_dags()
    request = httpx_mock.get_requests()[0]
    assert request.headers.get_list("X-Team") == ["ops"]


def test_cookies_the_server_sets_are_not_sent_back(httpx_mock: HTTPXMock) -> None:
    # Sessions belong to auth objects: a Set-Cookie on an API answer does not ride along later.
    httpx_mock.add_response(json=EMPTY_DAGS, headers={"Set-Cookie": "session=from-server; Path=/"})
    httpx_mock.add_response(json=EMPTY_DAGS)
    with sync_client() as client:
        client.dag.get_dags()
        client.dag.get_dags()
    assert [r.headers.get("Cookie") for r in httpx_mock.get_requests()] == [None, None]


def test_cookies_the_server_sets_are_not_sent_back_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=EMPTY_DAGS, headers={"Set-Cookie": "session=from-server; Path=/"})
    httpx_mock.add_response(json=EMPTY_DAGS)

    async def twice(client: AsyncAirflowClient) -> None:
        await client.dag.get_dags()
        await client.dag.get_dags()

    arun(async_client(), twice)
    assert [r.headers.get("Cookie") for r in httpx_mock.get_requests()] == [None, None]


def test_query_parameters_are_encoded_as_httpx_encodes_them(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=EMPTY_DAGS)
    with sync_client() as client:
        client.dag.get_dags(dag_id_pattern="a b&c=d/é", tags=["x y", "z"], limit=3)
    url = httpx_mock.get_requests()[0].url
    assert url.params.get_list("tags") == ["x y", "z"]
    assert url.params["dag_id_pattern"] == "a b&c=d/é"
    assert url.params["limit"] == "3"


def test_threads_making_their_first_requests_at_once_share_one_http_client(httpx_mock: HTTPXMock) -> None:
    import threading

    httpx_mock.add_response(json=EMPTY_DAGS, is_reusable=True)
    client = sync_client()
    made: list[object] = []
    factory = client._lazy_http.factory

    def counting_factory() -> object:
        made.append(object())
        return factory()

    client._lazy_http.factory = counting_factory
    start = threading.Barrier(8)

    def first_call() -> None:
        start.wait()
        client.dag.get_dags()

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    client.close()
    assert len(made) == 1
    assert len(httpx_mock.get_requests()) == 8
