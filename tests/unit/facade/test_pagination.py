"""client.paginate / client.pages over limit/offset list operations."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import AsyncAirflowClient, errors
from airflow_rest_v1.models import DAG, DAGCollection, TaskInstance

from .conftest import PagedServer, arun, async_client, collect, dag_json, sync_client

N = 23
DAG_ITEMS = [dag_json(i) for i in range(N)]
ALL_IDS = [d["dag_id"] for d in DAG_ITEMS]


def serve(httpx_mock: HTTPXMock, items: list[dict[str, Any]] = DAG_ITEMS, **kwargs: Any) -> PagedServer:
    server = PagedServer(items, **kwargs)
    httpx_mock.add_callback(server, is_reusable=True)
    return server


def ids(dags: list[DAG]) -> list[str]:
    return [dag.dag_id for dag in dags]  # type: ignore[misc]


# --- every item once, in order ---------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 5, 10, 23, 100])
def test_paginate_yields_every_item_once_in_order(httpx_mock: HTTPXMock, page_size: int) -> None:
    server = serve(httpx_mock)
    with sync_client() as client:
        dags = list(client.paginate(client.dag.get_dags, page_size=page_size))
    assert all(isinstance(dag, DAG) for dag in dags)
    assert ids(dags) == ALL_IDS
    assert len(server.calls) == -(-N // page_size)
    assert [offset for offset, _ in server.calls] == list(range(0, N, page_size))


@pytest.mark.parametrize("page_size", [1, 5, 23, 100])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_paginate_yields_every_item_once_in_order_async(
    httpx_mock: HTTPXMock, page_size: int, concurrency: int
) -> None:
    server = serve(httpx_mock)
    dags = arun(
        async_client(),
        lambda c: collect(c.paginate(c.dag.get_dags, page_size=page_size, concurrency=concurrency)),
    )
    assert ids(dags) == ALL_IDS
    assert sorted(offset for offset, _ in server.calls) == list(range(0, N, page_size))


def test_concurrency_gives_the_same_items_in_the_same_order(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock)

    async def both(c):  # type: ignore[no-untyped-def]
        one = await collect(c.paginate(c.dag.get_dags, page_size=4))
        four = await collect(c.paginate(c.dag.get_dags, page_size=4, concurrency=4))
        return one, four

    one, four = arun(async_client(), both)
    assert ids(four) == ids(one) == ALL_IDS


def test_empty_collection_gives_nothing_after_one_request(httpx_mock: HTTPXMock) -> None:
    server = serve(httpx_mock, [])
    with sync_client() as client:
        assert list(client.paginate(client.dag.get_dags)) == []
    assert len(server.calls) == 1


def test_empty_collection_gives_nothing_after_one_request_async(httpx_mock: HTTPXMock) -> None:
    server = serve(httpx_mock, [])
    assert arun(async_client(), lambda c: collect(c.paginate(c.dag.get_dags, concurrency=4))) == []
    assert len(server.calls) == 1


def test_filters_are_sent_with_every_page(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock)
    with sync_client() as client:
        dags = list(client.paginate(client.dag.get_dags, page_size=10, tags=["a", "b"], paused=False))
    assert ids(dags) == ALL_IDS
    for request in httpx_mock.get_requests():
        assert request.url.params.get_list("tags") == ["a", "b"]
        assert request.url.params["paused"] == "false"


def test_path_parameters_are_passed_as_keywords(httpx_mock: HTTPXMock) -> None:
    tis = [{"task_id": f"t{i}", "dag_id": "d", "dag_run_id": "r"} for i in range(7)]
    serve(httpx_mock, tis, field="task_instances")
    with sync_client() as client:
        got = list(
            client.paginate(
                client.task_instance.get_task_instances,
                page_size=3,
                dag_id="~",
                dag_run_id="~",
                state=["failed"],
            )
        )
    assert all(isinstance(ti, TaskInstance) for ti in got)
    assert [ti.task_id for ti in got] == [f"t{i}" for i in range(7)]
    requests = httpx_mock.get_requests()
    assert len(requests) == 3
    assert {r.url.path for r in requests} == {"/api/v1/dags/~/dagRuns/~/taskInstances"}
    assert all(r.url.params["state"] == "failed" for r in requests)


def test_path_parameters_are_passed_as_keywords_async(httpx_mock: HTTPXMock) -> None:
    tis = [{"task_id": f"t{i}"} for i in range(7)]
    serve(httpx_mock, tis, field="task_instances")
    got = arun(
        async_client(),
        lambda c: collect(
            c.paginate(c.task_instance.get_task_instances, page_size=3, dag_id="~", dag_run_id="~")
        ),
    )
    assert [ti.task_id for ti in got] == [f"t{i}" for i in range(7)]
    assert {r.url.path for r in httpx_mock.get_requests()} == {"/api/v1/dags/~/dagRuns/~/taskInstances"}


# --- max_items ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_items", [1, 5, 7, 23, 50])
def test_max_items_stops_early_and_asks_for_no_more_than_needed(
    httpx_mock: HTTPXMock, max_items: int
) -> None:
    server = serve(httpx_mock)
    with sync_client() as client:
        dags = list(client.paginate(client.dag.get_dags, page_size=5, max_items=max_items))
    assert ids(dags) == ALL_IDS[:max_items]
    assert sum(limit for _, limit in server.calls) <= max(max_items, 5) + 5


def test_max_items_0_sends_no_request(httpx_mock: HTTPXMock) -> None:
    with sync_client() as client:
        assert list(client.paginate(client.dag.get_dags, max_items=0)) == []
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("max_items", [1, 5, 7, 23, 50])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_max_items_stops_early_async(httpx_mock: HTTPXMock, max_items: int, concurrency: int) -> None:
    serve(httpx_mock)
    dags = arun(
        async_client(),
        lambda c: collect(
            c.paginate(c.dag.get_dags, page_size=5, max_items=max_items, concurrency=concurrency)
        ),
    )
    assert ids(dags) == ALL_IDS[:max_items]


def test_max_items_0_sends_no_request_async(httpx_mock: HTTPXMock) -> None:
    assert arun(async_client(), lambda c: collect(c.paginate(c.dag.get_dags, max_items=0))) == []
    assert httpx_mock.get_requests() == []


# --- a server that caps the page size ------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [2, 3, 5, 100])
def test_server_capping_the_limit_loses_nothing(httpx_mock: HTTPXMock, page_size: int) -> None:
    server = serve(httpx_mock, cap=3)
    with sync_client() as client:
        dags = list(client.paginate(client.dag.get_dags, page_size=page_size))
    assert ids(dags) == ALL_IDS
    assert all(limit == page_size for _, limit in server.calls)


@pytest.mark.parametrize("page_size", [2, 3, 5, 100])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_server_capping_the_limit_loses_nothing_async(
    httpx_mock: HTTPXMock, page_size: int, concurrency: int
) -> None:
    serve(httpx_mock, cap=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a capped but stable collection is not "changed"
        dags = arun(
            async_client(),
            lambda c: collect(c.paginate(c.dag.get_dags, page_size=page_size, concurrency=concurrency)),
        )
    assert ids(dags) == ALL_IDS


def test_server_capping_with_max_items_async(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, cap=3)
    dags = arun(
        async_client(),
        lambda c: collect(c.paginate(c.dag.get_dags, page_size=5, max_items=11, concurrency=4)),
    )
    assert ids(dags) == ALL_IDS[:11]


# --- total_entries changing while paging ----------------------------------------------------------------

ITEMS_10 = DAG_ITEMS[:10]


def growing(call: int) -> int:
    return 10 if call == 1 else 12


def test_total_change_warns_by_default(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, ITEMS_10, total=growing)
    with sync_client() as client, pytest.warns(errors.PaginationWarning, match="from 10 to 12"):
        dags = list(client.paginate(client.dag.get_dags, page_size=4))
    assert ids(dags) == ALL_IDS[:10]


def test_total_change_raises_with_on_total_change_error(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, ITEMS_10, total=growing)
    with sync_client() as client, pytest.raises(errors.PaginationError, match="from 10 to 12"):
        list(client.paginate(client.dag.get_dags, page_size=4, on_total_change="error"))


def test_stable_total_does_not_warn(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock)
    with sync_client() as client, warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(client.paginate(client.dag.get_dags, page_size=4))) == N


@pytest.mark.parametrize("concurrency", [1, 4])
def test_total_change_warns_by_default_async(httpx_mock: HTTPXMock, concurrency: int) -> None:
    serve(httpx_mock, ITEMS_10, total=growing)
    with pytest.warns(errors.PaginationWarning, match="from 10 to 12"):
        arun(
            async_client(),
            lambda c: collect(c.paginate(c.dag.get_dags, page_size=4, concurrency=concurrency)),
        )


@pytest.mark.parametrize("concurrency", [1, 4])
def test_total_change_raises_with_on_total_change_error_async(
    httpx_mock: HTTPXMock, concurrency: int
) -> None:
    serve(httpx_mock, ITEMS_10, total=growing)
    with pytest.raises(errors.PaginationError, match="from 10 to 12"):
        arun(
            async_client(),
            lambda c: collect(
                c.paginate(c.dag.get_dags, page_size=4, on_total_change="error", concurrency=concurrency)
            ),
        )


# --- bad input: a clear error before any request ------------------------------------------------------

BAD_CALLS: list[tuple[str, type[Exception], str]] = [
    ("not a list operation", TypeError, "list operation"),
    ("not paged", TypeError, "list operation"),
    ("unbound", TypeError, "list operation"),
    ("plain function", TypeError, "list operation"),
    ("page_size=0", ValueError, "page_size"),
    ("page_size=-1", ValueError, "page_size"),
    ("page_size=True", ValueError, "page_size"),
    ("page_size=2.5", ValueError, "page_size"),
    ("page_size=10001", ValueError, "page_size"),
    ("limit", TypeError, "'limit'"),
    ("offset", TypeError, "'offset'"),
    ("unknown filter", TypeError, "'dag_idd'"),
    ("missing path parameter", TypeError, "get_task_instances"),
    ("max_items=-1", ValueError, "max_items"),
    ("on_total_change", ValueError, "on_total_change"),
]


def bad_call(case: str, client: Any, **extra: Any) -> Any:
    dags = client.dag.get_dags
    calls = {
        "not a list operation": lambda: client.paginate(client.dag.get_dag, **extra),
        "not paged": lambda: client.paginate(client.pool.post_pool, **extra),
        "unbound": lambda: client.paginate(type(client.dag).get_dags, **extra),
        "plain function": lambda: client.paginate(lambda **kw: None, **extra),
        "page_size=0": lambda: client.paginate(dags, page_size=0, **extra),
        "page_size=-1": lambda: client.paginate(dags, page_size=-1, **extra),
        "page_size=True": lambda: client.paginate(dags, page_size=True, **extra),
        "page_size=2.5": lambda: client.paginate(dags, page_size=2.5, **extra),
        "page_size=10001": lambda: client.paginate(dags, page_size=10001, **extra),
        "limit": lambda: client.paginate(dags, limit=10, **extra),
        "offset": lambda: client.paginate(dags, offset=10, **extra),
        "unknown filter": lambda: client.paginate(dags, dag_idd="x", **extra),
        "missing path parameter": lambda: client.paginate(
            client.task_instance.get_task_instances, dag_id="~"
        ),
        "max_items=-1": lambda: client.paginate(dags, max_items=-1, **extra),
        "on_total_change": lambda: client.paginate(dags, on_total_change="ignore", **extra),
    }
    return calls[case]()


@pytest.mark.parametrize(("case", "exc", "match"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_paginate_input_fails_before_any_request(
    httpx_mock: HTTPXMock, case: str, exc: type[Exception], match: str
) -> None:
    with sync_client() as client, pytest.raises(exc, match=match):
        bad_call(case, client)  # raised by the call itself, not when iterating
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(("case", "exc", "match"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_paginate_input_fails_before_any_request_async(
    httpx_mock: HTTPXMock, case: str, exc: type[Exception], match: str
) -> None:
    async def scenario(c):  # type: ignore[no-untyped-def]
        with pytest.raises(exc, match=match):
            bad_call(case, c)

    arun(async_client(), scenario)
    assert httpx_mock.get_requests() == []


def test_concurrency_is_not_a_filter_of_the_sync_client(httpx_mock: HTTPXMock) -> None:
    with sync_client() as client, pytest.raises(TypeError, match="concurrency"):
        client.paginate(client.dag.get_dags, concurrency=4)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("concurrency", [0, -1, 65, True, 1.5, "2", None])
def test_bad_concurrency_fails_before_any_request_async(httpx_mock: HTTPXMock, concurrency: Any) -> None:
    async def scenario(c):  # type: ignore[no-untyped-def]
        with pytest.raises(ValueError, match="concurrency"):
            c.paginate(c.dag.get_dags, concurrency=concurrency)
        with pytest.raises(ValueError, match="concurrency"):
            c.pages(c.dag.get_dags, concurrency=concurrency)

    arun(async_client(), scenario)
    assert httpx_mock.get_requests() == []


def test_sync_operation_given_to_the_async_pager_fails_before_any_request(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_callback(PagedServer(DAG_ITEMS), is_optional=True, is_reusable=True)
    with sync_client() as sync:

        async def scenario(c):  # type: ignore[no-untyped-def]
            with pytest.raises(TypeError, match="belongs to a sync client"):
                c.paginate(sync.dag.get_dags)

        arun(async_client(), scenario)
    assert httpx_mock.get_requests() == []


def test_async_operation_given_to_the_sync_pager_is_a_clear_type_error(httpx_mock: HTTPXMock) -> None:
    other = async_client()
    with sync_client() as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TypeError, match="belongs to an async client"):
            client.paginate(other.dag.get_dags)
    assert httpx_mock.get_requests() == []


# --- pages ----------------------------------------------------------------------------------------


def test_pages_yields_the_collection_objects(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock)
    with sync_client() as client:
        pages = list(client.pages(client.dag.get_dags, page_size=10))
    assert all(isinstance(page, DAGCollection) for page in pages)
    assert [len(page.dags) for page in pages] == [10, 10, 3]
    assert {page.total_entries for page in pages} == {N}
    assert ids([dag for page in pages for dag in page.dags]) == ALL_IDS


@pytest.mark.parametrize("concurrency", [1, 4])
def test_pages_yields_the_collection_objects_async(httpx_mock: HTTPXMock, concurrency: int) -> None:
    serve(httpx_mock)
    pages = arun(
        async_client(), lambda c: collect(c.pages(c.dag.get_dags, page_size=10, concurrency=concurrency))
    )
    assert all(isinstance(page, DAGCollection) for page in pages)
    assert [len(page.dags) for page in pages] == [10, 10, 3]


def test_pages_bad_input_fails_before_any_request(httpx_mock: HTTPXMock) -> None:
    with sync_client() as client, pytest.raises(ValueError, match="page_size"):
        client.pages(client.dag.get_dags, page_size=0)
    assert httpx_mock.get_requests() == []


def test_error_while_paging_is_raised(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"dags": DAG_ITEMS[:5], "total_entries": N})
    httpx_mock.add_response(status_code=404, json={"title": "gone", "status": 404})
    with sync_client() as client:
        pager = client.paginate(client.dag.get_dags, page_size=5)
        assert ids([next(pager) for _ in range(5)]) == ALL_IDS[:5]
        with pytest.raises(errors.NotFoundError):
            next(pager)


@pytest.mark.parametrize("threshold", [0.0, 3600.0])
def test_concurrency_is_used_only_when_the_first_page_waited_on_the_network(
    httpx_mock: HTTPXMock, threshold: float
) -> None:
    # instant answers: with a threshold above the wait the pager falls back to one page at a time
    server = serve(httpx_mock)
    client = async_client()
    client._overlap_worthwhile = threshold
    in_flight: list[int] = []

    async def scenario(c: AsyncAirflowClient) -> list[Any]:
        original = c.dag.get_dags
        active = 0

        async def counting(**kwargs: Any) -> Any:
            nonlocal active
            active += 1
            in_flight.append(active)
            try:
                await asyncio.sleep(0)  # let the other pages' tasks start, as a network wait would
                return await original(**kwargs)
            finally:
                active -= 1

        counting.__name__ = "get_dags"
        counting.__self__ = c.dag  # type: ignore[attr-defined]
        return await collect(c.paginate(counting, page_size=5, concurrency=4))

    assert ids(arun(client, scenario)) == ALL_IDS
    assert (max(in_flight) > 1) is (threshold == 0.0)
    assert len(server.calls) == len(ALL_IDS) // 5 + (len(ALL_IDS) % 5 > 0)
