"""airflow-rest: a typed client for Apache Airflow's REST API, Airflow 2 (``/api/v1``) and 3 (``/api/v2``).

    from airflow_rest import connect

    with connect("http://localhost:8080", auth=("admin", "admin")) as client:
        for dag in client.paginate(client.dag.get_dags, page_size=100):
            print(dag.dag_id, dag.is_paused)

``connect`` finds out which major it faces; ``AirflowClient`` (Airflow 2) and ``Airflow3Client``
(Airflow 3) are the clients themselves, with async forms. Models live in ``airflow_rest.models``
(Airflow 2) and ``airflow_rest.models_v2`` (Airflow 3), generated from Airflow's corrected specs;
errors in ``airflow_rest.errors``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_rest_v1.types import UNSET, Unset

from . import errors
from ._connect import airflow_major, async_airflow_major, connect, connect_async
from ._datetimes import as_utc
from ._retry import RetryPolicy
from ._v1 import AirflowClient, AsyncAirflowClient
from .auth import BasicAuth, BearerAuth, SessionCookieAuth

if TYPE_CHECKING:
    from ._token_auth import PasswordTokenAuth
    from ._v2 import Airflow3Client, AsyncAirflow3Client

__all__ = [
    "UNSET",
    "Airflow3Client",
    "AirflowClient",
    "AsyncAirflow3Client",
    "AsyncAirflowClient",
    "BasicAuth",
    "BearerAuth",
    "PasswordTokenAuth",
    "RetryPolicy",
    "SessionCookieAuth",
    "Unset",
    "airflow_major",
    "as_utc",
    "async_airflow_major",
    "connect",
    "connect_async",
    "errors",
]


def __getattr__(name: str) -> Any:
    if name in ("Airflow3Client", "AsyncAirflow3Client"):  # imported when first used
        from . import _v2

        return getattr(_v2, name)
    if name == "PasswordTokenAuth":
        from ._token_auth import PasswordTokenAuth

        return PasswordTokenAuth
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
