"""The client core both majors share: one request path, one retry loop, one pager, update/edit and
waiting for runs, in a sync and an async form. ``_v1`` and ``_v2`` make the public clients from it
with each major's generated operations and facts (``_api.Api``)."""

from __future__ import annotations

import copy
import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, ParamSpec, Self, TypeVar

import httpx

from . import _pagination as pg
from . import _updates as up
from . import errors
from ._api import Api
from ._core import (
    DEFAULT_HEADERS,
    DEFAULT_TIMEOUT,
    Options,
    TimeoutTypes,
    as_timeout,
    build_request,
    connection_error,
    finish,
    has_update_mask,
    redact_httpx_logs,
    split_base_url,
    where,
)
from ._retry import RetryPolicy, retry_delay, should_retry

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

T = TypeVar("T")
C = TypeVar("C")
P = ParamSpec("P")
log = logging.getLogger("airflow_rest")
AuthTypes = httpx.Auth | tuple[str, str] | None
MAX_CONCURRENCY = pg.MAX_CONCURRENCY


TERMINAL_RUN_STATES = frozenset({"success", "failed"})


def _check_wait(timeout: float, poll_interval: float) -> None:
    if not timeout > 0 or not poll_interval > 0:
        raise ValueError(f"timeout and poll_interval must be > 0, got {timeout!r} and {poll_interval!r}")


def _wait_expired(dag_id: str, dag_run_id: str, timeout: float, state: object) -> errors.WaitTimeoutError:
    last = None if state is None else str(state)
    return errors.WaitTimeoutError(
        f"DAG run {dag_id}/{dag_run_id} still {last} after {timeout:g} s", last_state=last
    )


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio  # imported when first needed: it costs more than the rest of the client

    await asyncio.sleep(seconds)


def _auth(api: Api, auth: AuthTypes) -> httpx.Auth | None:
    """``auth`` as an httpx.Auth; a (username, password) pair means what it means on that major
    (basic auth on Airflow 2, a token login on Airflow 3)."""
    if auth is None or isinstance(auth, httpx.Auth):
        return auth
    if isinstance(auth, tuple) and len(auth) == 2 and all(isinstance(p, str) for p in auth):
        return api.password_auth(*auth)
    raise TypeError(
        "auth must be an httpx.Auth (e.g. airflow_rest.BasicAuth) or a (username, password) tuple"
    )


class _LazyHTTP:
    """The httpx client, made on first use (making one builds an SSL context) and shared by the
    clients that ``with_options`` derives."""

    __slots__ = ("client", "factory", "lock")

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory
        self.client: Any = None
        self.lock = threading.Lock()

    def get(self) -> Any:
        client = self.client
        if client is None:
            with self.lock:  # threads making their first requests at once share one client
                if self.client is None:
                    self.client = self.factory()
                client = self.client
        return client


class _Base:
    """Settings and helpers common to both clients."""

    _major: ClassVar[Api]  # set by each public client class
    _options: Options
    _api: httpx.URL

    def _setup(
        self,
        http_class: type[httpx.Client] | type[httpx.AsyncClient],
        base_url: str | httpx.URL,
        *,
        auth: AuthTypes,
        timeout: TimeoutTypes,
        max_retries: int,
        retry_post: bool,
        verify: bool | str | ssl.SSLContext,
        headers: Mapping[str, str] | None,
        transport: Any,
    ) -> None:
        """Check the settings (credentials in base_url become basic auth); the httpx client is made
        on first use."""
        major = self._major
        self._api, credentials = split_base_url(base_url, major.path)
        # the generated operations' URLs are relative to this (v2's start with /api/v2 themselves)
        root = self._api.copy_with(path=self._api.path[: -len(major.path) - 1] + "/")
        self._api_str = str(root if major.absolute_paths else self._api)
        self._merged_headers: dict[str, str] | None = None
        if credentials is not None:
            if auth is not None:
                raise ValueError("give credentials either in base_url or as auth=, not both")
            auth = credentials
        http_auth = _auth(major, auth)
        redact_httpx_logs()
        self._options = Options(
            timeout=as_timeout(timeout), retry=RetryPolicy(max_retries=max_retries, retry_post=retry_post)
        )
        self._owns_http = True
        self._clock: Callable[[], float] = time.time
        self._monotonic: Callable[[], float] = time.monotonic
        api, default_timeout, all_headers = (
            self._api_str,
            self._options.timeout,
            {**DEFAULT_HEADERS, **(headers or {})},
        )
        self._lazy_http = _LazyHTTP(
            lambda: http_class(
                base_url=api,
                auth=http_auth,
                headers=all_headers,
                timeout=default_timeout,
                verify=verify,
                transport=transport,
                follow_redirects=False,
            )
        )

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | object = ...,
        max_retries: int | None = None,
        retry_post: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A client sharing this one's connections, with some settings changed (for one call or more)."""
        clone = copy.copy(self)
        clone._options = self._options.derive(
            timeout=timeout, max_retries=max_retries, retry_post=retry_post, headers=headers
        )
        clone._owns_http = False
        clone._merged_headers = None
        clone._bind_operations(clone._send)
        return clone

    def _exchange(
        self, operation: str, req: httpx.Request, masked: bool, parse: Callable[[httpx.Response], T]
    ) -> Generator[httpx.Request | float, httpx.Response | None, T]:
        """One operation's request, retried as the policy says: yields the request to send (its
        response is sent back in, a transport error thrown in) or seconds to sleep."""
        retries = 0
        while True:
            try:
                response = yield req
            except httpx.TransportError as exc:
                if should_retry(
                    self._options.retry,
                    method=req.method,
                    has_update_mask=masked,
                    retries_done=retries,
                    connection_error=True,
                ):
                    yield self._retry_wait(operation, req, retries, None)
                    retries += 1
                    continue
                raise connection_error(operation, req, exc) from None
            except httpx.RequestError as exc:  # e.g. a body that fails its Content-Encoding: not retried
                raise connection_error(operation, req, exc) from None
            assert response is not None
            if not response.is_success and should_retry(
                self._options.retry,
                method=req.method,
                has_update_mask=masked,
                retries_done=retries,
                status=response.status_code,
            ):
                yield self._retry_wait(operation, req, retries, response)
                retries += 1
                continue
            return finish(response, operation, parse)

    def _request_headers(self, http: httpx.Client | httpx.AsyncClient) -> dict[str, str]:
        """The client's headers with this client's options applied, merged once."""
        merged = self._merged_headers
        if merged is None:
            headers = httpx.Headers(http.headers)
            headers.update(self._options.headers)
            merged = self._merged_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers.raw}
        return merged

    if TYPE_CHECKING:

        def _bind_operations(self, call: Any, /) -> None: ...
        def _send(
            self, operation: str, request: dict[str, Any], parse: Callable[[httpx.Response], T], /
        ) -> Any: ...

    @property
    def base_url(self) -> str:
        """The API root (``<webserver>/api/v1/`` or ``<webserver>/api/v2/``)."""
        return errors.safe_url(self._api)

    @property
    def airflow_major(self) -> int:
        """The Airflow major this client speaks to: 2 (REST API v1) or 3 (v2)."""
        return self._major.airflow

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._options.retry

    def _retry_wait(
        self, operation: str, request: httpx.Request, retries: int, response: httpx.Response | None
    ) -> float:
        delay = retry_delay(
            self._options.retry,
            retries_done=retries,
            retry_after=response.headers.get("retry-after") if response is not None else None,
            now=self._clock(),
        )
        cause = f"HTTP {response.status_code}" if response is not None else "a connection error"
        log.info("%s: retry %d after %s in %.2fs", where(operation, request), retries + 1, cause, delay)
        return delay

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={errors.safe_url(self._api)!r})"


class SyncClient(_Base):
    """The sync client of a major: its generated ``Operations`` come as a second base."""

    def __init__(
        self,
        base_url: str | httpx.URL,
        *,
        auth: AuthTypes = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        retry_post: bool = False,
        verify: bool | str | ssl.SSLContext = True,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._setup(
            httpx.Client,
            base_url,
            auth=auth,
            timeout=timeout,
            max_retries=max_retries,
            retry_post=retry_post,
            verify=verify,
            headers=headers,
            transport=transport,
        )
        self._sleep: Callable[[float], None] = time.sleep
        self._overlap_worthwhile = pg.OVERLAP_WORTHWHILE
        self._bind_operations(self._send)

    def _send(self, operation: str, request: dict[str, Any], parse: Callable[[httpx.Response], T], /) -> T:
        http = self._http
        flow = self._exchange(
            operation,
            build_request(self._api_str, self._request_headers(http), request, self._options),
            has_update_mask(request),
            parse,
        )
        try:
            step = next(flow)
            while True:
                if isinstance(step, httpx.Request):
                    try:
                        response = http.send(step)
                    except httpx.RequestError as exc:
                        step = flow.throw(exc)
                    else:
                        step = flow.send(response)
                else:
                    self._sleep(step)
                    step = flow.send(None)
        except StopIteration as stop:
            result: T = stop.value
            return result

    def _paginate(
        self,
        operation: Callable[..., Any],
        /,
        page_size: int = 100,
        max_items: int | None = None,
        on_total_change: str = "warn",
        concurrency: int = 1,
        *args: Any,
        **params: Any,
    ) -> Iterator[Any]:
        req = pg.plan(
            operation,
            self._major.paged_items,
            is_async=False,
            page_size=page_size,
            max_items=max_items,
            on_total_change=on_total_change,
            args=args,
            params=params,
        )
        pg.check_concurrency(concurrency)
        return self._items(req, self._walk(req) if concurrency == 1 else self._walk_ahead(req, concurrency))

    def pages(
        self,
        operation: Callable[P, C],
        /,
        page_size: int = 100,
        on_total_change: Literal["warn", "error"] = "warn",
        concurrency: int = 1,
        *args: P.args,
        **params: P.kwargs,
    ) -> Iterator[C]:
        """Every page (the collection objects) of a list operation, in order; with ``concurrency=N``
        up to N pages are fetched ahead on worker threads."""
        req = pg.plan(
            operation,
            self._major.paged_items,
            is_async=False,
            page_size=page_size,
            on_total_change=on_total_change,
            args=args,
            params=params,
        )
        pg.check_concurrency(concurrency)
        return self._page_objects(self._walk(req) if concurrency == 1 else self._walk_ahead(req, concurrency))

    @staticmethod
    def _page_objects(walk: Generator[tuple[Any, list[Any]], None, None]) -> Iterator[Any]:
        try:
            for page, _items in walk:
                yield page
        finally:
            walk.close()  # at once, not when collected: stops the pages fetched ahead

    @staticmethod
    def _items(req: pg.PageRequest, walk: Generator[tuple[Any, list[Any]], None, None]) -> Iterator[Any]:
        yielded = 0
        try:
            for _page, items in walk:
                if req.max_items is not None and yielded + len(items) > req.max_items:
                    yield from items[: req.max_items - yielded]
                    return
                yield from items
                yielded += len(items)
                del _page, items  # not kept alive while the next page is fetched
        finally:
            walk.close()  # at once, not when collected: stops the pages fetched ahead

    def _walk(self, req: pg.PageRequest) -> Generator[tuple[Any, list[Any]], None, None]:
        flow = pg.sequential(req)
        for step in flow:
            if isinstance(step, pg.Fetch):
                pair = flow.send(req.operation(**req.params, **step.query()))
                assert not isinstance(pair, pg.Fetch)
                yield pair
                del pair
            else:
                yield step

    def _walk_ahead(
        self, req: pg.PageRequest, concurrency: int
    ) -> Generator[tuple[Any, list[Any]], None, None]:
        """``pg.ahead`` on a pool of at most ``concurrency`` threads, made only if pages overlap.
        When the walk ends early (the consumer stopped, or an error), pages not yet started are
        cancelled, running ones waited for, and the pool is shut down."""
        operation, params = req.operation, req.params
        flow = pg.ahead(req, concurrency, self._overlap_worthwhile)
        pool: ThreadPoolExecutor | None = None
        started: deque[Future[Any]] = deque()
        reply: Any = None
        try:
            while True:
                try:
                    step = flow.send(reply)
                except StopIteration:
                    return
                reply = None
                if isinstance(step, pg.Submit):
                    from concurrent.futures import ThreadPoolExecutor  # imported when first needed
                    from contextvars import copy_context

                    if pool is None:
                        pool = ThreadPoolExecutor(concurrency, thread_name_prefix="airflow_rest-pager")
                    call = partial(operation, **params, limit=step.limit, offset=step.offset)
                    # in the caller's context variables, as an asyncio task would be
                    started.append(pool.submit(copy_context().run, call))
                elif isinstance(step, pg.Take):
                    reply = started.popleft().result()
                elif isinstance(step, pg.Fetch):
                    reply = operation(**params, limit=step.limit, offset=step.offset)
                elif isinstance(step, pg.Probe):
                    mark = pg.clock()
                    reply = (operation(**params, limit=step.limit, offset=step.offset), pg.waited_since(mark))
                else:
                    yield step
                    del step
        finally:
            flow.close()
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _update(self, kind: str, key: str | tuple[str, ...], changes: dict[str, Any], /) -> Any:
        spec = up.resource(self._major.resources, kind)
        keys = up.key_args(spec, key)
        up.check_changes(spec, changes)
        return self._run_flow(up.update_flow(self._major.models, spec, keys, changes))

    def _edit(self, kind: str, key: str | tuple[str, ...], change: up.EditFn, /) -> Any:
        spec = up.resource(self._major.resources, kind)
        return self._run_flow(up.edit_flow(self._major.models, spec, up.key_args(spec, key), change))

    def _run_flow(self, flow: Generator[up.Call, Any, Any]) -> Any:
        try:
            group, operation, kwargs = next(flow)
            while True:
                result = getattr(getattr(self, group), operation)(**kwargs)
                group, operation, kwargs = flow.send(result)
        except StopIteration as stop:
            return stop.value

    def _create(self, kind: str, fields: dict[str, Any], /) -> Any:
        spec = up.resource(self._major.resources, kind)
        return self._run_flow(up.create_flow(self._major.models, spec, fields))

    def _read(self, kind: str, key: str | tuple[str, ...], /) -> Any:
        spec = up.resource(self._major.resources, kind)
        return self._run_flow(up.read_flow(spec, up.key_args(spec, key)))

    def _delete(self, kind: str, key: str | tuple[str, ...], /) -> None:
        spec = up.resource(self._major.resources, kind)
        self._run_flow(up.delete_flow(spec, up.key_args(spec, key)))

    def _trigger_dag_run(self, dag_id: str, fields: dict[str, Any], /) -> Any:
        return self._run_flow(up.trigger_flow(self._major.models, self._major.trigger, dag_id, fields))

    def _task_log(
        self, dag_id: str, dag_run_id: str, task_id: str, try_number: int, map_index: int | None, /
    ) -> str:
        more = {} if map_index is None else {"map_index": map_index}
        get_log: Callable[..., Any] = self.task_instance.get_log  # type: ignore[attr-defined]
        return up.log_text(get_log(dag_id, dag_run_id, task_id, try_number, full_content=True, **more))

    def _wait_for_dag_run(self, dag_id: str, dag_run_id: str, timeout: float, poll_interval: float, /) -> Any:
        _check_wait(timeout, poll_interval)
        deadline = self._monotonic() + timeout
        get_dag_run: Callable[[str, str], Any] = self.dag_run.get_dag_run  # type: ignore[attr-defined]
        while True:
            run = get_dag_run(dag_id, dag_run_id)
            if run.state in TERMINAL_RUN_STATES:
                return run
            left = deadline - self._monotonic()
            if left <= 0:
                raise _wait_expired(dag_id, dag_run_id, timeout, run.state)
            self._sleep(min(poll_interval, left))

    @property
    def _http(self) -> httpx.Client:
        client: httpx.Client = self._lazy_http.get()
        return client

    def close(self) -> None:
        if self._owns_http and self._lazy_http.client is not None:
            self._lazy_http.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient(_Base):
    """The async client of a major: its generated ``AsyncOperations`` come as a second base."""

    def __init__(
        self,
        base_url: str | httpx.URL,
        *,
        auth: AuthTypes = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        retry_post: bool = False,
        verify: bool | str | ssl.SSLContext = True,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._setup(
            httpx.AsyncClient,
            base_url,
            auth=auth,
            timeout=timeout,
            max_retries=max_retries,
            retry_post=retry_post,
            verify=verify,
            headers=headers,
            transport=transport,
        )
        self._sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep
        self._overlap_worthwhile = pg.OVERLAP_WORTHWHILE
        self._bind_operations(self._send)

    async def _send(
        self, operation: str, request: dict[str, Any], parse: Callable[[httpx.Response], T], /
    ) -> T:
        http = self._http
        flow = self._exchange(
            operation,
            build_request(self._api_str, self._request_headers(http), request, self._options),
            has_update_mask(request),
            parse,
        )
        try:
            step = next(flow)
            while True:
                if isinstance(step, httpx.Request):
                    try:
                        response = await http.send(step)
                    except httpx.RequestError as exc:
                        step = flow.throw(exc)
                    else:
                        step = flow.send(response)
                else:
                    await self._sleep(step)
                    step = flow.send(None)
        except StopIteration as stop:
            result: T = stop.value
            return result

    def _paginate(
        self,
        operation: Callable[..., Any],
        /,
        page_size: int = 100,
        max_items: int | None = None,
        on_total_change: str = "warn",
        concurrency: int = 1,
        *args: Any,
        **params: Any,
    ) -> AsyncIterator[Any]:
        req = pg.plan(
            operation,
            self._major.paged_items,
            is_async=True,
            page_size=page_size,
            max_items=max_items,
            on_total_change=on_total_change,
            args=args,
            params=params,
        )
        return self._items(req, pg.check_concurrency(concurrency))

    def pages(
        self,
        operation: Callable[P, Awaitable[C]],
        /,
        page_size: int = 100,
        on_total_change: Literal["warn", "error"] = "warn",
        concurrency: int = 1,
        *args: P.args,
        **params: P.kwargs,
    ) -> AsyncIterator[C]:
        """Every page (the collection objects) of a list operation, in order."""
        req = pg.plan(
            operation,
            self._major.paged_items,
            is_async=True,
            page_size=page_size,
            on_total_change=on_total_change,
            args=args,
            params=params,
        )
        return self._page_objects(req, pg.check_concurrency(concurrency))

    async def _page_objects(self, req: pg.PageRequest, concurrency: int) -> AsyncIterator[Any]:
        walk = self._walk(req, concurrency)
        try:
            async for page, _items in walk:
                yield page
        finally:
            await walk.aclose()  # at once, not when collected: stops the pages fetched ahead

    async def _items(self, req: pg.PageRequest, concurrency: int) -> AsyncIterator[Any]:
        yielded = 0
        walk = self._walk(req, concurrency)
        try:
            async for _page, items in walk:
                if req.max_items is not None and yielded + len(items) > req.max_items:
                    items = items[: req.max_items - yielded]
                for item in items:
                    yield item
                yielded += len(items)
                if req.max_items is not None and yielded >= req.max_items:
                    return
                del _page, items
        finally:
            await walk.aclose()  # at once, not when collected: stops the pages fetched ahead

    def _walk(self, req: pg.PageRequest, concurrency: int) -> AsyncGenerator[tuple[Any, list[Any]], None]:
        return self._walk_sequential(req) if concurrency == 1 else self._walk_ahead(req, concurrency)

    async def _walk_ahead(
        self, req: pg.PageRequest, concurrency: int
    ) -> AsyncGenerator[tuple[Any, list[Any]], None]:
        """``pg.ahead`` with asyncio tasks. When the walk ends early (the consumer stopped, or an
        error), the tasks still pending are cancelled and waited for."""
        import asyncio

        operation, params = req.operation, req.params
        flow = pg.ahead(req, concurrency, self._overlap_worthwhile)
        started: deque[asyncio.Future[Any]] = deque()
        reply: Any = None
        try:
            while True:
                try:
                    step = flow.send(reply)
                except StopIteration:
                    return
                reply = None
                if isinstance(step, pg.Submit):
                    started.append(
                        asyncio.ensure_future(operation(**params, limit=step.limit, offset=step.offset))
                    )
                elif isinstance(step, pg.Take):
                    reply = await started.popleft()
                elif isinstance(step, pg.Fetch):
                    reply = await operation(**params, limit=step.limit, offset=step.offset)
                elif isinstance(step, pg.Probe):
                    mark = pg.clock()
                    page = await operation(**params, limit=step.limit, offset=step.offset)
                    reply = (page, pg.waited_since(mark))
                    del page
                else:
                    yield step
                    del step
        finally:
            flow.close()
            for task in started:
                task.cancel()
            if started:
                await asyncio.gather(*started, return_exceptions=True)

    async def _walk_sequential(self, req: pg.PageRequest) -> AsyncGenerator[tuple[Any, list[Any]], None]:
        flow = pg.sequential(req)
        for step in flow:
            if isinstance(step, pg.Fetch):
                pair = flow.send(await req.operation(**req.params, **step.query()))
                assert not isinstance(pair, pg.Fetch)
                yield pair
                del pair
            else:
                yield step

    async def _update(self, kind: str, key: str | tuple[str, ...], changes: dict[str, Any], /) -> Any:
        spec = up.resource(self._major.resources, kind)
        keys = up.key_args(spec, key)
        up.check_changes(spec, changes)
        return await self._run_flow(up.update_flow(self._major.models, spec, keys, changes))

    async def _edit(self, kind: str, key: str | tuple[str, ...], change: up.EditFn, /) -> Any:
        spec = up.resource(self._major.resources, kind)
        return await self._run_flow(up.edit_flow(self._major.models, spec, up.key_args(spec, key), change))

    async def _run_flow(self, flow: Generator[up.Call, Any, Any]) -> Any:
        try:
            group, operation, kwargs = next(flow)
            while True:
                result = await getattr(getattr(self, group), operation)(**kwargs)
                group, operation, kwargs = flow.send(result)
        except StopIteration as stop:
            return stop.value

    async def _create(self, kind: str, fields: dict[str, Any], /) -> Any:
        spec = up.resource(self._major.resources, kind)
        return await self._run_flow(up.create_flow(self._major.models, spec, fields))

    async def _read(self, kind: str, key: str | tuple[str, ...], /) -> Any:
        spec = up.resource(self._major.resources, kind)
        return await self._run_flow(up.read_flow(spec, up.key_args(spec, key)))

    async def _delete(self, kind: str, key: str | tuple[str, ...], /) -> None:
        spec = up.resource(self._major.resources, kind)
        await self._run_flow(up.delete_flow(spec, up.key_args(spec, key)))

    async def _trigger_dag_run(self, dag_id: str, fields: dict[str, Any], /) -> Any:
        return await self._run_flow(up.trigger_flow(self._major.models, self._major.trigger, dag_id, fields))

    async def _task_log(
        self, dag_id: str, dag_run_id: str, task_id: str, try_number: int, map_index: int | None, /
    ) -> str:
        more = {} if map_index is None else {"map_index": map_index}
        get_log: Callable[..., Awaitable[Any]] = self.task_instance.get_log  # type: ignore[attr-defined]
        return up.log_text(await get_log(dag_id, dag_run_id, task_id, try_number, full_content=True, **more))

    async def _wait_for_dag_run(
        self, dag_id: str, dag_run_id: str, timeout: float, poll_interval: float, /
    ) -> Any:
        _check_wait(timeout, poll_interval)
        deadline = self._monotonic() + timeout
        get_dag_run: Callable[[str, str], Awaitable[Any]] = self.dag_run.get_dag_run  # type: ignore[attr-defined]
        while True:
            run = await get_dag_run(dag_id, dag_run_id)
            if run.state in TERMINAL_RUN_STATES:
                return run
            left = deadline - self._monotonic()
            if left <= 0:
                raise _wait_expired(dag_id, dag_run_id, timeout, run.state)
            await self._sleep(min(poll_interval, left))

    @property
    def _http(self) -> httpx.AsyncClient:
        client: httpx.AsyncClient = self._lazy_http.get()
        return client

    async def aclose(self) -> None:
        if self._owns_http and self._lazy_http.client is not None:
            await self._lazy_http.client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
