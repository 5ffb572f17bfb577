"""The clients of Airflow 2's REST API v1."""

from __future__ import annotations

from airflow_rest_v1.api import AsyncOperations, Operations

from ._api import V1
from ._client import AsyncClient, SyncClient


class AirflowClient(SyncClient, Operations):
    """A client for Airflow 2's REST API v1: ``client.<tag>.<operation>(...)``, ``client.paginate(...)``.

    ``base_url`` is the webserver root (a path prefix is kept); ``auth`` an ``httpx.Auth`` or a
    ``(username, password)`` pair for basic auth. Errors are raised as ``airflow_rest.errors``;
    idempotent requests are retried ``max_retries`` times on connection errors, 408, 429, 502, 503
    and 504. Use it as a context manager, or call ``close()``.

    ``paginate`` and ``pages`` with ``concurrency=N`` fetch up to N pages ahead on worker threads
    once the first page has told how many items there are; items still come in order.
    """

    _major = V1


class AsyncAirflowClient(AsyncClient, AsyncOperations):
    """The async form of :class:`AirflowClient`: ``await client.<tag>.<operation>(...)``.

    ``paginate`` is an async iterator and, with ``concurrency=N``, fetches up to N pages at once
    once the first page has told how many items there are; items still come in order.
    """

    _major = V1
