"""client.paginate / client.pages over limit/offset list operations."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from airflow_rest import AirflowClient, AsyncAirflowClient, errors
from airflow_rest import _pagination as pg
from airflow_rest_v1.models import DAG, DAGCollection, TaskInstance

from .conftest import API, TLS, PagedServer, arun, async_client, collect, dag_json, sync_client

N = 23
DAG_ITEMS = [dag_json(i) for i in range(N)]
ALL_IDS = [d["dag_id"] for d in DAG_ITEMS]


def serve(httpx_mock: HTTPXMock, items: list[dict[str, Any]] = DAG_ITEMS, **kwargs: Any) -> PagedServer:
    server = PagedServer(items, **kwargs)
    httpx_mock.add_callback(server, is_reusable=True)
    return server


def ids(dags: list[DAG]) -> list[str]:
    return [dag.dag_id for dag in dags]  # type: ignore[misc]


def ahead_client() -> AirflowClient:
    """A sync client whose pager fetches ahead even though mocked answers are instant."""
    client = sync_client()
    client._overlap_worthwhile = 0.0
    return client


def pager_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("airflow_rest-pager")]


def list_operation(owner: Any, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    """``call`` dressed as the list operation ``owner.<name>`` (paginate checks both)."""
    call.__name__ = name
    call.__self__ = owner  # type: ignore[attr-defined]
    return call


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


def test_the_paging_options_and_path_parameters_may_come_by_position(httpx_mock: HTTPXMock) -> None:
    """As typed: the paging options first, then the operation's own positional parameters."""
    tis = [{"task_id": f"t{i}"} for i in range(5)]
    serve(httpx_mock, tis, field="task_instances")
    with sync_client() as client:
        op = client.task_instance.get_task_instances
        got = list(client.paginate(op, 2, None, "warn", 1, "etl", "~"))
        pages = list(client.pages(op, 3, "warn", 1, "etl", dag_run_id="~"))
        with pytest.raises(TypeError, match="multiple values for argument 'dag_id'"):
            client.paginate(op, 2, None, "warn", 1, "etl", dag_id="etl")
    assert [ti.task_id for ti in got] == [f"t{i}" for i in range(5)]
    assert [len(page.task_instances) for page in pages] == [3, 2]
    paths = {r.url.path for r in httpx_mock.get_requests()}
    assert paths == {"/api/v1/dags/etl/dagRuns/~/taskInstances"}
    assert [r.url.params["limit"] for r in httpx_mock.get_requests()][:3] == ["2", "2", "2"]


def test_the_paging_options_and_path_parameters_may_come_by_position_async(httpx_mock: HTTPXMock) -> None:
    tis = [{"task_id": f"t{i}"} for i in range(5)]
    serve(httpx_mock, tis, field="task_instances")

    async def both(c: AsyncAirflowClient) -> tuple[list[Any], list[Any]]:
        op = c.task_instance.get_task_instances
        items = await collect(c.paginate(op, 2, None, "warn", 2, "etl", "~"))
        return items, await collect(c.pages(op, 3, "warn", 1, "etl", dag_run_id="~"))

    got, pages = arun(async_client(), both)
    assert [ti.task_id for ti in got] == [f"t{i}" for i in range(5)]
    assert [len(page.task_instances) for page in pages] == [3, 2]
    assert {r.url.path for r in httpx_mock.get_requests()} == {"/api/v1/dags/etl/dagRuns/~/taskInstances"}


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


@pytest.mark.parametrize("concurrency", [0, -1, 65, True, 1.5, "2", None])
def test_bad_concurrency_fails_before_any_request(httpx_mock: HTTPXMock, concurrency: Any) -> None:
    with sync_client() as client:
        with pytest.raises(ValueError, match="concurrency"):
            client.paginate(client.dag.get_dags, concurrency=concurrency)
        with pytest.raises(ValueError, match="concurrency"):
            client.pages(client.dag.get_dags, concurrency=concurrency)
    assert httpx_mock.get_requests() == []
    assert pager_threads() == []


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


# --- the plan both concurrent pagers loop over ------------------------------------------------------


def drive(flow: Any, pages: dict[int, Any], waited: float) -> list[Any]:
    """Every step of a pure plan, answered from ``pages`` (offset -> page)."""
    steps, submitted, reply = [], [], None
    while True:
        try:
            step = flow.send(reply)
        except StopIteration:
            return steps
        steps.append(step if isinstance(step, pg.Fetch | pg.Probe | pg.Submit | pg.Take) else "pair")
        reply = None
        if isinstance(step, pg.Probe):
            reply = (pages[step.offset], waited)
        elif isinstance(step, pg.Fetch):
            reply = pages[step.offset]
        elif isinstance(step, pg.Submit):
            submitted.append(step.offset)
        elif isinstance(step, pg.Take):
            assert step.offset == submitted.pop(0)  # always the oldest
            reply = pages[step.offset]


def collection(offset: int, size: int = 5) -> DAGCollection:
    return DAGCollection.from_dict({"dags": DAG_ITEMS[offset : offset + size], "total_entries": N})


def test_plan_ahead_keeps_n_pages_in_flight_and_takes_them_in_order() -> None:
    with sync_client() as client:
        req = pg.plan(client.dag.get_dags, client._major.paged_items, is_async=False, page_size=5, params={})
    pages = {offset: collection(offset) for offset in range(0, N, 5)}
    steps = drive(pg.ahead(req, 2, pg.OVERLAP_WORTHWHILE), pages, waited=0.02)
    assert steps == [
        pg.Probe(5, 0), "pair",
        pg.Submit(5, 5), pg.Submit(5, 10),
        pg.Take(5), pg.Submit(5, 15), "pair",
        pg.Take(10), pg.Submit(5, 20), "pair",
        pg.Take(15), "pair",
        pg.Take(20), "pair",
    ]  # fmt: skip


def test_plan_ahead_pages_one_at_a_time_when_the_first_page_did_not_wait() -> None:
    with sync_client() as client:
        req = pg.plan(client.dag.get_dags, client._major.paged_items, is_async=False, page_size=5, params={})
    pages = {offset: collection(offset) for offset in range(0, N, 5)}
    steps = drive(pg.ahead(req, 8, pg.OVERLAP_WORTHWHILE), pages, waited=0.0001)
    assert steps == [pg.Probe(5, 0), "pair"] + [
        step for offset in range(5, N, 5) for step in (pg.Fetch(5, offset), "pair")
    ]


def test_plan_ahead_uses_the_capped_page_size_and_stops_at_max_items() -> None:
    with sync_client() as client:
        req = pg.plan(
            client.dag.get_dags,
            client._major.paged_items,
            is_async=False,
            page_size=5,
            max_items=11,
            params={},
        )
    pages = {offset: collection(offset, 3) for offset in range(0, N, 3)}  # the server caps at 3
    steps = drive(pg.ahead(req, 8, 0.0), pages, waited=0.0)
    submitted = [step for step in steps if isinstance(step, pg.Submit)]
    assert submitted == [pg.Submit(3, offset) for offset in (3, 6, 9)]


# --- the sync pager fetching ahead (concurrency=N) -------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 5, 23, 100])
@pytest.mark.parametrize("concurrency", [2, 4, 8])
def test_sync_concurrent_paginate_yields_every_item_once_in_order(
    httpx_mock: HTTPXMock, page_size: int, concurrency: int
) -> None:
    server = serve(httpx_mock)
    with ahead_client() as client, warnings.catch_warnings():
        warnings.simplefilter("error")
        dags = list(client.paginate(client.dag.get_dags, page_size=page_size, concurrency=concurrency))
    assert all(isinstance(dag, DAG) for dag in dags)
    assert ids(dags) == ALL_IDS
    assert server.calls[0] == (0, page_size)  # the first page alone, to learn total_entries
    assert sorted(offset for offset, _ in server.calls) == list(range(0, N, page_size))
    assert pager_threads() == []


def test_sync_concurrent_pages_fetch_pages_on_worker_threads(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock)
    threads: set[str] = set()
    with ahead_client() as client:
        original = client.dag.get_dags

        def get_dags(**kwargs: Any) -> Any:
            threads.add(threading.current_thread().name)
            return original(**kwargs)

        operation = list_operation(client.dag, "get_dags", get_dags)
        pages = list(client.pages(operation, page_size=5, concurrency=3))
    assert all(isinstance(page, DAGCollection) for page in pages)
    assert [len(page.dags) for page in pages] == [5, 5, 5, 5, 3]
    assert ids([dag for page in pages for dag in page.dags]) == ALL_IDS
    assert threading.current_thread().name in threads  # the first page
    assert 1 < len(threads) <= 1 + 3
    assert pager_threads() == []


def test_sync_concurrent_pages_are_fetched_in_the_callers_context(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock)
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[tuple[str, str | None]] = []
    with ahead_client() as client:
        original = client.dag.get_dags

        def get_dags(**kwargs: Any) -> Any:
            seen.append((threading.current_thread().name, request_id.get(None)))
            return original(**kwargs)

        operation = list_operation(client.dag, "get_dags", get_dags)
        request_id.set("job-42")
        assert ids(list(client.paginate(operation, page_size=5, concurrency=4))) == ALL_IDS
    assert any(name.startswith("airflow_rest-pager") for name, _ in seen)
    assert {value for _, value in seen} == {"job-42"}


def test_sync_concurrency_keeps_at_most_n_requests_in_flight(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock)
    lock = threading.Lock()
    active, peak = 0, 0
    with ahead_client() as client:
        original = client.dag.get_dags

        def get_dags(**kwargs: Any) -> Any:
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
            try:
                time.sleep(0.01)  # a network wait: the other pages' requests start meanwhile
                return original(**kwargs)
            finally:
                with lock:
                    active -= 1

        operation = list_operation(client.dag, "get_dags", get_dags)
        assert ids(list(client.paginate(operation, page_size=1, concurrency=3))) == ALL_IDS
    assert 1 < peak <= 3


@pytest.mark.parametrize("page_size", [2, 3, 5, 100])
def test_sync_concurrent_server_capping_the_limit_loses_nothing(
    httpx_mock: HTTPXMock, page_size: int
) -> None:
    server = serve(httpx_mock, cap=3)
    with ahead_client() as client, warnings.catch_warnings():
        warnings.simplefilter("error")  # a capped but stable collection is not "changed"
        dags = list(client.paginate(client.dag.get_dags, page_size=page_size, concurrency=4))
    assert ids(dags) == ALL_IDS
    offsets = [offset for offset, _ in server.calls]
    assert len(offsets) == len(set(offsets))  # no page asked twice
    assert sorted(offsets) == list(range(0, N, min(page_size, 3)))


@pytest.mark.parametrize("max_items", [1, 5, 7, 11, 23, 50])
@pytest.mark.parametrize("cap", [None, 3])
def test_sync_concurrent_max_items_stops_early(
    httpx_mock: HTTPXMock, max_items: int, cap: int | None
) -> None:
    server = serve(httpx_mock, cap=cap)
    with ahead_client() as client:
        dags = list(client.paginate(client.dag.get_dags, page_size=5, max_items=max_items, concurrency=4))
    assert ids(dags) == ALL_IDS[:max_items]
    assert max(offset for offset, _ in server.calls) < max_items  # no page beyond max_items
    assert pager_threads() == []


def test_sync_concurrent_max_items_0_sends_no_request(httpx_mock: HTTPXMock) -> None:
    with ahead_client() as client:
        assert list(client.paginate(client.dag.get_dags, max_items=0, concurrency=4)) == []
    assert httpx_mock.get_requests() == []


def test_sync_concurrent_empty_or_single_page_starts_no_thread(httpx_mock: HTTPXMock) -> None:
    server = serve(httpx_mock, DAG_ITEMS[:3])
    seen: list[str] = []
    with ahead_client() as client:
        original = client.dag.get_dags

        def get_dags(**kwargs: Any) -> Any:
            seen.append(threading.current_thread().name)
            return original(**kwargs)

        operation = list_operation(client.dag, "get_dags", get_dags)
        assert ids(list(client.paginate(operation, page_size=5, concurrency=4))) == ALL_IDS[:3]
    assert len(server.calls) == 1
    assert seen == [threading.current_thread().name]


def test_sync_concurrent_total_change_warns_by_default(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, ITEMS_10, total=growing)
    with ahead_client() as client, pytest.warns(errors.PaginationWarning, match="from 10 to 12"):
        dags = list(client.paginate(client.dag.get_dags, page_size=4, concurrency=4))
    assert ids(dags) == ALL_IDS[:10]


def test_sync_concurrent_total_change_raises_with_on_total_change_error(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, ITEMS_10, total=growing)
    got: list[str] = []
    with ahead_client() as client, pytest.raises(errors.PaginationError, match="from 10 to 12"):
        for dag in client.paginate(client.dag.get_dags, page_size=4, on_total_change="error", concurrency=4):
            got.append(dag.dag_id)  # type: ignore[arg-type]
    assert got == ALL_IDS[:4]  # the first page, which set the total
    assert pager_threads() == []


class SlowPages:
    """A PagedServer whose pages after the first take ``delay`` seconds and may fail; it records
    when each request starts and ends, and how many run at once."""

    def __init__(self, delay: float, fail_at: int | None = None, slow_at: int | None = None) -> None:
        self.server = PagedServer(DAG_ITEMS)
        self.delay = delay
        self.fail_at = fail_at
        self.slow_at = slow_at
        self.lock = threading.Lock()
        self.started: list[int] = []
        self.finished: list[int] = []
        self.active = 0

    def __call__(self, request: Any) -> Any:
        import httpx

        offset = int(request.url.params["offset"])
        with self.lock:
            self.started.append(offset)
            self.active += 1
        try:
            if offset == self.fail_at:
                return httpx.Response(404, json={"title": "DAG not found", "status": 404})
            if offset:
                time.sleep(self.delay * (5 if offset == self.slow_at else 1))
            return self.server(request)
        finally:
            with self.lock:
                self.active -= 1
                self.finished.append(offset)


@pytest.mark.parametrize("stop", ["break", "close", "drop"])
def test_sync_concurrent_early_stop_cancels_the_rest_and_leaves_no_thread(
    httpx_mock: HTTPXMock, stop: str
) -> None:
    pages = SlowPages(delay=0.05)
    httpx_mock.add_callback(pages, is_reusable=True)
    with ahead_client() as client:
        pager = client.paginate(client.dag.get_dags, page_size=1, concurrency=4)
        got: list[str] = []
        if stop == "break":
            for dag in pager:
                got.append(dag.dag_id)  # type: ignore[arg-type]
                if len(got) == 2:
                    break
        else:
            got = [next(pager).dag_id, next(pager).dag_id]  # type: ignore[list-item]
        if stop == "close" or stop == "break":
            pager.close()  # after break: closing again is harmless
        else:
            del pager
        # running requests were waited for, the rest never started, the pool is gone
        assert pages.active == 0
        assert pager_threads() == []
        sent = list(pages.started)
        assert sorted(pages.finished) == sorted(sent)
        assert len(sent) <= 2 + 4  # what was yielded plus at most 4 ahead
        time.sleep(0.2)
        assert pages.started == sent  # nothing was fetched after the stop
    assert got == ALL_IDS[:2]


@pytest.mark.parametrize("method", ["paginate", "pages"])
def test_sync_concurrent_error_on_page_k_is_raised_after_the_pages_before_it(
    httpx_mock: HTTPXMock, method: str
) -> None:
    # page 3 (offset 10) fails at once while page 2 (offset 5) is still slow: the error waits its turn
    pages = SlowPages(delay=0.01, fail_at=10, slow_at=5)
    httpx_mock.add_callback(pages, is_reusable=True)
    got: list[str] = []
    with ahead_client() as client:
        pager: Iterator[Any] = getattr(client, method)(client.dag.get_dags, page_size=5, concurrency=4)
        with pytest.raises(errors.NotFoundError, match="DAG not found"):
            for value in pager:
                got += ids(value.dags) if method == "pages" else [value.dag_id]
        assert pager_threads() == []
        assert pages.active == 0
    assert got == ALL_IDS[:10]


@pytest.mark.parametrize("threshold", [0.0, 3600.0])
def test_sync_concurrency_is_used_only_when_the_first_page_waited_on_the_network(
    httpx_mock: HTTPXMock, threshold: float
) -> None:
    # instant answers: with a threshold above the wait the pager fetches one page at a time, in
    # the caller's thread, on the same offsets
    server = serve(httpx_mock)
    client = sync_client()
    client._overlap_worthwhile = threshold
    lock = threading.Lock()
    active, peak = 0, 0
    threads: set[str] = set()
    with client:
        original = client.dag.get_dags

        def get_dags(**kwargs: Any) -> Any:
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
                threads.add(threading.current_thread().name)
            try:
                time.sleep(0.005)  # only the first page's wait is measured: the rest may overlap
                return original(**kwargs)
            finally:
                with lock:
                    active -= 1

        operation = list_operation(client.dag, "get_dags", get_dags)
        assert ids(list(client.paginate(operation, page_size=5, concurrency=4))) == ALL_IDS
    assert (peak > 1) is (threshold == 0.0)
    assert (threads == {threading.current_thread().name}) is (threshold != 0.0)
    assert sorted(offset for offset, _ in server.calls) == list(range(0, N, 5))


def test_sync_default_threshold_overlaps_pages_that_wait_on_the_network(httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock)
    threads: set[str] = set()
    with sync_client() as client:  # the real threshold
        original = client.dag.get_dags

        def get_dags(**kwargs: Any) -> Any:
            threads.add(threading.current_thread().name)
            time.sleep(0.01)  # 10 ms of latency: well above OVERLAP_WORTHWHILE
            return original(**kwargs)

        operation = list_operation(client.dag, "get_dags", get_dags)
        assert ids(list(client.paginate(operation, page_size=5, concurrency=4))) == ALL_IDS
    assert len(threads) > 1


def test_sync_and_async_concurrent_pagers_ask_for_the_same_pages(httpx_mock: HTTPXMock) -> None:
    sync_server = PagedServer(DAG_ITEMS, cap=3)
    async_server = PagedServer(DAG_ITEMS, cap=3)
    httpx_mock.add_callback(sync_server, url=f"{API}/dags?limit=5&offset=0", is_optional=True)
    httpx_mock.add_callback(
        lambda r: (sync_server if r.url.host == "sync.test" else async_server)(r), is_reusable=True
    )
    with AirflowClient("https://sync.test", verify=TLS) as client:
        client._overlap_worthwhile = 0.0
        sync_dags = list(client.paginate(client.dag.get_dags, page_size=5, max_items=17, concurrency=3))
    async_dags = arun(
        async_client("https://async.test"),
        lambda c: collect(c.paginate(c.dag.get_dags, page_size=5, max_items=17, concurrency=3)),
    )
    assert ids(sync_dags) == ids(async_dags) == ALL_IDS[:17]
    assert sorted(sync_server.calls) == sorted(async_server.calls)


# --- the async pager fetching ahead: what the sync tests above check too ---------------------------


def test_async_concurrent_error_on_page_k_is_raised_after_the_pages_before_it(httpx_mock: HTTPXMock) -> None:
    def answer(request: Any) -> Any:
        import httpx

        if request.url.params["offset"] == "10":
            return httpx.Response(404, json={"title": "DAG not found", "status": 404})
        return PagedServer(DAG_ITEMS)(request)

    httpx_mock.add_callback(answer, is_reusable=True)
    got: list[str] = []

    async def scenario(c: AsyncAirflowClient) -> None:
        original = c.dag.get_dags

        async def get_dags(**kwargs: Any) -> Any:
            if kwargs["offset"] == 5:
                await asyncio.sleep(0.05)  # page 2 slower than the failing page 3
            return await original(**kwargs)

        operation = list_operation(c.dag, "get_dags", get_dags)
        with pytest.raises(errors.NotFoundError, match="DAG not found"):
            async for dag in c.paginate(operation, page_size=5, concurrency=4):
                got.append(dag.dag_id)

    arun(async_client(), scenario)
    assert got == ALL_IDS[:10]


@pytest.mark.parametrize("stop", ["break", "aclose"])
def test_async_concurrent_early_stop_cancels_the_pages_fetched_ahead(
    httpx_mock: HTTPXMock, stop: str
) -> None:
    serve(httpx_mock)
    started: list[int] = []
    cancelled: list[int] = []
    finished: list[int] = []

    async def scenario(c: AsyncAirflowClient) -> list[str]:
        original = c.dag.get_dags

        async def get_dags(**kwargs: Any) -> Any:
            started.append(kwargs["offset"])
            try:
                if kwargs["offset"]:  # page 2 answers soon, the pages after it take long
                    await asyncio.sleep(0.01 if kwargs["offset"] == 1 else 10)
                return await original(**kwargs)
            except asyncio.CancelledError:
                cancelled.append(kwargs["offset"])
                raise
            finally:
                finished.append(kwargs["offset"])

        operation = list_operation(c.dag, "get_dags", get_dags)
        pager = c.paginate(operation, page_size=1, concurrency=4)
        got: list[str] = []
        if stop == "break":
            async for dag in pager:
                got.append(dag.dag_id)
                if len(got) == 2:
                    break
        else:
            got = [(await anext(pager)).dag_id, (await anext(pager)).dag_id]
        start = time.monotonic()
        await pager.aclose()  # type: ignore[attr-defined]
        assert time.monotonic() - start < 5  # not awaited to the end
        assert sorted(finished) == sorted(started)  # nothing left running
        assert {2, 3, 4} <= set(cancelled)  # the pages fetched ahead were cancelled
        sent = list(started)
        assert len(sent) <= 2 + 4
        await asyncio.sleep(0.1)
        assert started == sent
        return got

    assert arun(async_client(), scenario) == ALL_IDS[:2]
