"""Every failure is raised as one of airflow_rest.errors, carrying what the server said."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import errors

from .conftest import API, PROBLEM_JSON, arun, async_client, problem, sync_client

BY_STATUS = [
    (400, errors.BadRequestError),
    (401, errors.AuthenticationError),
    (403, errors.PermissionDeniedError),
    (404, errors.NotFoundError),
    (409, errors.ConflictError),
    (429, errors.RateLimitError),
    (500, errors.ServerError),
    (503, errors.ServerError),
    (405, errors.APIStatusError),
    (418, errors.APIStatusError),
]
NOT_FOUND = problem(
    404, "DAG not found", "The DAG with dag_id: `nope` was not found", instance="/api/v1/dags/nope"
)
LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign In - Airflow</title></head><body>"
    '<form method="post" action="/login/"><input name="username"><input name="password" type="password">'
    "</form></body></html>"
)


@pytest.mark.parametrize(("status", "cls"), BY_STATUS)
def test_error_status_raises_its_error_class(httpx_mock: HTTPXMock, status: int, cls: type) -> None:
    body = problem(status, "Some title", "Some detail")
    httpx_mock.add_response(status_code=status, content=body, headers=PROBLEM_JSON)
    with sync_client(max_retries=0) as client, pytest.raises(errors.APIStatusError) as info:
        client.dag.get_dag("d")
    exc = info.value
    assert type(exc) is cls
    assert isinstance(exc, errors.AirflowError)
    assert exc.status_code == status
    assert exc.method == "GET"
    assert exc.url == f"{API}/dags/d"
    assert exc.response.status_code == status
    assert exc.text == body.decode()
    assert "Some title" in str(exc)
    assert "Some detail" in str(exc)


@pytest.mark.parametrize(("status", "cls"), BY_STATUS)
def test_error_status_raises_its_error_class_async(httpx_mock: HTTPXMock, status: int, cls: type) -> None:
    httpx_mock.add_response(status_code=status, content=problem(status, "T", "D"), headers=PROBLEM_JSON)
    with pytest.raises(errors.APIStatusError) as info:
        arun(async_client(max_retries=0), lambda c: c.dag.get_dag("d"))
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert (info.value.title, info.value.detail) == ("T", "D")


def test_problem_json_fields_are_carried(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, content=NOT_FOUND, headers=PROBLEM_JSON)
    with sync_client() as client, pytest.raises(errors.NotFoundError) as info:
        client.dag.get_dag("nope")
    exc = info.value
    assert exc.title == "DAG not found"
    assert exc.detail == "The DAG with dag_id: `nope` was not found"
    assert exc.type is not None and exc.type.endswith("#section/Errors/DAGnotfound")
    assert exc.instance == "/api/v1/dags/nope"
    assert "get_dag" in str(exc)
    assert "404 DAG not found: The DAG with dag_id: `nope` was not found" in str(exc)
    assert len(httpx_mock.get_requests()) == 1  # 404 is not retried


def test_problem_json_fields_are_carried_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, content=NOT_FOUND, headers=PROBLEM_JSON)
    with pytest.raises(errors.NotFoundError) as info:
        arun(async_client(), lambda c: c.dag.get_dag("nope"))
    assert info.value.title == "DAG not found"
    assert info.value.instance == "/api/v1/dags/nope"
    assert "DAG not found" in str(info.value)


def test_problem_with_null_detail(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=409, content=problem(409, "Conflict", None), headers=PROBLEM_JSON)
    with sync_client() as client, pytest.raises(errors.ConflictError) as info:
        client.dag.get_dag("d")
    assert info.value.detail is None
    assert info.value.title == "Conflict"
    assert str(info.value).endswith("409 Conflict")
    assert "None" not in str(info.value)


def test_problem_with_null_detail_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=409, content=problem(409, "Conflict", None), headers=PROBLEM_JSON)
    with pytest.raises(errors.ConflictError) as info:
        arun(async_client(), lambda c: c.dag.get_dag("d"))
    assert info.value.detail is None
    assert "None" not in str(info.value)


def test_html_403_page_gives_permission_denied_with_shortened_text(httpx_mock: HTTPXMock) -> None:
    page = "<html><body><h1>Forbidden</h1>" + "<p>go away</p>\n" * 300 + "</body></html>"
    httpx_mock.add_response(status_code=403, html=page)
    with sync_client() as client, pytest.raises(errors.PermissionDeniedError) as info:
        client.dag.get_dags()
    exc = info.value
    assert exc.title is None and exc.detail is None
    assert exc.text == page
    assert "Forbidden" in str(exc)
    assert str(exc).endswith("...")
    assert len(str(exc)) < 800


def test_html_403_page_gives_permission_denied_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=403, html="<html><h1>Forbidden</h1>" + "x" * 5000 + "</html>")
    with pytest.raises(errors.PermissionDeniedError) as info:
        arun(async_client(), lambda c: c.dag.get_dags())
    assert len(str(info.value)) < 800


def test_empty_error_body_is_described(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=400)
    with sync_client() as client, pytest.raises(errors.BadRequestError, match=r"400 Bad Request: \(empty"):
        client.dag.get_dags()


def test_200_login_page_is_an_authentication_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, html=LOGIN_PAGE)
    with sync_client() as client, pytest.raises(errors.AuthenticationError, match="login page") as info:
        client.dag.get_dags()
    assert info.value.status_code == 200


def test_200_login_page_is_an_authentication_error_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, html=LOGIN_PAGE)
    with pytest.raises(errors.AuthenticationError, match="login page"):
        arun(async_client(), lambda c: c.dag.get_dags())


def test_redirect_to_login_is_an_authentication_error_and_not_followed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=302, headers={"Location": "/login/?next=%2Fapi%2Fv1%2Fdags"})
    with sync_client() as client, pytest.raises(errors.AuthenticationError) as info:
        client.dag.get_dags()
    assert info.value.status_code == 302
    assert len(httpx_mock.get_requests()) == 1


def test_redirect_to_login_is_an_authentication_error_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=302, headers={"Location": "https://airflow.test/login/?next=/home"})
    with pytest.raises(errors.AuthenticationError):
        arun(async_client(), lambda c: c.dag.get_dags())
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize(
    "body", [b'{"dags": [{"dag_id": "a"}, ', b"not json at all", b"", b'{"dags": 5, "total_entries": 1}']
)
def test_2xx_with_a_body_that_does_not_parse_is_a_decode_error(httpx_mock: HTTPXMock, body: bytes) -> None:
    httpx_mock.add_response(status_code=200, content=body, headers={"content-type": "application/json"})
    with sync_client() as client, pytest.raises(errors.ResponseDecodeError) as info:
        client.dag.get_dags()
    exc = info.value
    assert exc.status_code == 200
    assert exc.response.content == body
    assert "get_dags" in str(exc)


def test_2xx_truncated_json_is_a_decode_error_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(content=b'{"dags": [', headers={"content-type": "application/json"})
    with pytest.raises(errors.ResponseDecodeError) as info:
        arun(async_client(), lambda c: c.dag.get_dags())
    assert info.value.response.content == b'{"dags": ['


def test_connection_error_is_an_api_connection_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("Connection refused"))
    with sync_client(max_retries=0) as client, pytest.raises(errors.APIConnectionError) as info:
        client.dag.get_dags()
    exc = info.value
    assert not isinstance(exc, errors.APITimeoutError)
    assert exc.method == "GET"
    assert exc.url.startswith(f"{API}/dags")
    assert "Connection refused" in str(exc)
    assert exc.__suppress_context__


def test_connection_error_is_an_api_connection_error_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("Connection refused"))
    with pytest.raises(errors.APIConnectionError) as info:
        arun(async_client(max_retries=0), lambda c: c.dag.get_dags())
    assert not isinstance(info.value, errors.APITimeoutError)


@pytest.mark.parametrize("timeout", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_timeout_is_an_api_timeout_error(httpx_mock: HTTPXMock, timeout: type) -> None:
    httpx_mock.add_exception(timeout("timed out"))
    with sync_client(max_retries=0) as client, pytest.raises(errors.APITimeoutError) as info:
        client.dag.get_dags()
    assert isinstance(info.value, errors.APIConnectionError)
    assert timeout.__name__ in str(info.value)


def test_timeout_is_an_api_timeout_error_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))
    with pytest.raises(errors.APITimeoutError):
        arun(async_client(max_retries=0), lambda c: c.dag.get_dags())


def test_a_timeout_that_says_why_keeps_its_reason(httpx_mock: HTTPXMock) -> None:
    # a transport (e.g. a relay with its own time limit) can say which limit was hit
    httpx_mock.add_exception(httpx.ReadTimeout("the relay gave up after 10 s"))
    with sync_client(max_retries=0) as client, pytest.raises(errors.APITimeoutError) as info:
        client.dag.get_dags()
    assert "timed out (ReadTimeout: the relay gave up after 10 s)" in str(info.value)


def test_a_timeout_that_says_why_keeps_its_reason_async(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("the relay gave up after 10 s"))
    with pytest.raises(errors.APITimeoutError) as info:
        arun(async_client(max_retries=0), lambda c: c.dag.get_dags())
    assert "the relay gave up after 10 s" in str(info.value)


def test_errors_are_raised_not_returned_for_statuses_the_spec_declares(httpx_mock: HTTPXMock) -> None:
    # the generated parser would return an Error model for 404; the client raises instead
    httpx_mock.add_response(
        method="DELETE", status_code=404, content=problem(404, "Pool not found", "x"), headers=PROBLEM_JSON
    )
    with sync_client() as client, pytest.raises(errors.NotFoundError):
        client.pool.delete_pool("p")


@pytest.mark.parametrize(
    ("location", "login"),
    [
        ("/login/?next=%2Fapi%2Fv1%2Fdags", True),
        ("https://airflow.test/prefix/login?next=/home", True),
        ("/airflow/t1/login/", True),
        ("/loginservice/airflow/home", False),
        ("/airflow/t1/w1/af-1/home", False),
    ],
)
def test_a_redirect_is_a_login_page_only_when_it_goes_to_a_login_path(location: str, login: bool) -> None:
    request = httpx.Request("GET", f"{API}/dags")
    response = httpx.Response(302, headers={"Location": location}, request=request)
    assert errors.is_login_page(response) is login
