"""Astronomer: a deployment's Airflow with a Deployment or Workspace API token as bearer.

    from airflow_rest.providers import astronomer

    with astronomer.client("https://myorg.astronomer.run/d8fxz2a1", token=os.environ["ASTRO_API_TOKEN"]) as c:
        c.dag.get_dags(limit=5)

The deployment URL carries a path prefix, which the client keeps. The Airflow API URL that
``astro deployment inspect`` prints (``<host>/<deployment>/api/v1``, often without ``https://``) is
taken as well: its ``/api/v1`` is dropped and ``https://`` added. ``token`` may be a callable asked
before each request (for tokens that rotate); without it, ``ASTRO_API_TOKEN`` is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from .._core import API_PATH
from .._v1 import AirflowClient, AsyncAirflowClient
from ..auth import BearerAuth

__all__ = ["TOKEN_ENV", "async_client", "client"]

TOKEN_ENV = "ASTRO_API_TOKEN"


def _deployment_root(deployment_url: str) -> str:
    """The deployment URL, without the ``/api/v1`` the Astro CLI prints at its end and with
    ``https://`` when it has no scheme."""
    url = str(deployment_url).strip()
    if "://" not in url:
        url = f"https://{url}"
    return url.rstrip("/").removesuffix(API_PATH)


def _auth(token: str | Callable[[], str] | None, client_kwargs: Mapping[str, Any]) -> BearerAuth:
    if "auth" in client_kwargs:
        raise TypeError("auth= is set from the Astronomer API token; pass token= instead")
    if token is None:
        token = os.environ.get(TOKEN_ENV) or None
        if token is None:
            raise ValueError(
                f"give token= (an Astronomer Deployment or Workspace API token) or set {TOKEN_ENV}"
            )
    return BearerAuth(token)


def client(
    deployment_url: str, *, token: str | Callable[[], str] | None = None, **client_kwargs: Any
) -> AirflowClient:
    """An ``AirflowClient`` for an Astronomer deployment URL (or the API URL the Astro CLI prints)."""
    return AirflowClient(_deployment_root(deployment_url), auth=_auth(token, client_kwargs), **client_kwargs)


def async_client(
    deployment_url: str, *, token: str | Callable[[], str] | None = None, **client_kwargs: Any
) -> AsyncAirflowClient:
    """An ``AsyncAirflowClient`` for an Astronomer deployment URL."""
    return AsyncAirflowClient(
        _deployment_root(deployment_url), auth=_auth(token, client_kwargs), **client_kwargs
    )
