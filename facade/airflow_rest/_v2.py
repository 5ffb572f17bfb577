"""The clients of Airflow 3's REST API v2."""

from __future__ import annotations

from airflow_rest_v2.api import AsyncOperations, Operations

from ._api import V2
from ._client import AsyncClient, SyncClient


class Airflow3Client(SyncClient, Operations):
    """A client for Airflow 3's REST API v2: ``client.<tag>.<operation>(...)``, ``client.paginate(...)``.

    The same client as :class:`AirflowClient` on ``/api/v2``: ``auth=("user", "password")`` logs
    in with ``POST /auth/token`` and sends the token as bearer (a new one before it expires);
    ``BearerAuth(token)`` takes a token you hold. The server caps a page at 100 items; the pager
    follows what it really sends.
    """

    _major = V2


class AsyncAirflow3Client(AsyncClient, AsyncOperations):
    """The async form of :class:`Airflow3Client`."""

    _major = V2
