"""airflow-rest: a typed client for Apache Airflow 2.x's stable REST API v1.

    from airflow_rest import AirflowClient

    with AirflowClient("http://localhost:8080", auth=("admin", "admin")) as client:
        for dag in client.paginate(client.dag.get_dags, page_size=100):
            print(dag.dag_id, dag.is_paused)

Models live in ``airflow_rest.models`` (generated from Airflow's corrected spec); errors in
``airflow_rest.errors``.
"""

from __future__ import annotations

from airflow_rest_v1.types import UNSET, Unset

from . import errors
from ._client import AirflowClient, AsyncAirflowClient
from ._datetimes import as_utc
from ._retry import RetryPolicy
from .auth import BasicAuth, BearerAuth, PasswordTokenAuth, SessionCookieAuth

__all__ = [
    "UNSET",
    "AirflowClient",
    "AsyncAirflowClient",
    "BasicAuth",
    "BearerAuth",
    "PasswordTokenAuth",
    "RetryPolicy",
    "SessionCookieAuth",
    "Unset",
    "as_utc",
    "errors",
]
