"""The Astronomer login: a Deployment, Workspace or Organization API token as bearer, on Astro Runtime
2 (Airflow 2, ``/api/v1``) and 3 (Airflow 3, ``/api/v2``).

The deployment URL carries a path prefix, which the client keeps. The Airflow API URL that
``astro deployment inspect`` prints (``<host>/<deployment>/api/v1`` or ``.../api/v2``, often without
``https://``) is taken as well: its API path is dropped, ``https://`` added, and the major it names
is the client's (``airflow_version`` may repeat it, not contradict it). Otherwise, without
``airflow_version``, the deployment is asked with the token: ``GET /api/v2/version`` (Airflow 2
answers 404, then ``GET /api/v1/version``), before the client is made. ``token`` may be a callable
asked before each request (for tokens that rotate); without it, ``ASTRO_API_TOKEN`` is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

from ..._connect import async_client_class, checked_major, client_class
from ..._core import split_base_url
from ...auth import BearerAuth
from .._shared.majors import ask_major, async_ask_major

if TYPE_CHECKING:
    from ..._v1 import AirflowClient, AsyncAirflowClient
    from ..._v2 import Airflow3Client, AsyncAirflow3Client

__all__ = ["TOKEN_ENV", "async_client", "client"]

TOKEN_ENV = "ASTRO_API_TOKEN"
_API_PATHS = {"/api/v1": 2, "/api/v2": 3}

Token = str | Callable[[], str]


def _deployment(deployment_url: str) -> tuple[str, int | None]:
    """The deployment URL without the API path the Astro CLI prints at its end (and the major that
    path names), with ``https://`` when it has no scheme."""
    url = str(deployment_url).strip()
    if "://" not in url:
        url = f"https://{url}"
    url = url.rstrip("/")
    for path, major in _API_PATHS.items():
        if url.endswith(path):
            return url.removesuffix(path), major
    return url, None


class _Plan:
    """What a client for one deployment is made of, arguments checked before any call: its root, the
    major given or named by the URL (None: ask), the token and its auth."""

    def __init__(
        self,
        deployment_url: str,
        airflow_version: int | str | None,
        token: Token | None,
        client_kwargs: Mapping[str, Any],
    ) -> None:
        if "auth" in client_kwargs:
            raise TypeError("auth= is set from the Astronomer API token; pass token= instead")
        self.root, named = _deployment(deployment_url)
        split_base_url(self.root)
        given = checked_major(airflow_version)
        if given is not None and named is not None and given != named:
            raise ValueError(
                f"airflow_version={airflow_version!r} but the deployment URL ends in the API of "
                f"Airflow {named}; give the deployment URL without its API path to use another"
            )
        self.major = given if given is not None else named
        if token is None:
            token = os.environ.get(TOKEN_ENV) or None
            if token is None:
                raise ValueError(
                    "give token= (an Astronomer Deployment, Workspace or Organization API token) "
                    f"or set {TOKEN_ENV}"
                )
        self.token = token
        self.auth = BearerAuth(token)

    def bearer(self) -> str:
        """The token to ask the deployment's major with."""
        return self.token() if callable(self.token) else self.token


@overload
def client(
    deployment_url: str, *, airflow_version: Literal[2], token: Token | None = ..., **client_kwargs: Any
) -> AirflowClient: ...
@overload
def client(
    deployment_url: str, *, airflow_version: Literal[3], token: Token | None = ..., **client_kwargs: Any
) -> Airflow3Client: ...
@overload
def client(
    deployment_url: str,
    *,
    airflow_version: int | str | None = ...,
    token: Token | None = ...,
    **client_kwargs: Any,
) -> AirflowClient | Airflow3Client: ...
def client(
    deployment_url: str,
    *,
    airflow_version: int | str | None = None,
    token: Token | None = None,
    **client_kwargs: Any,
) -> AirflowClient | Airflow3Client:
    """A client for an Astronomer deployment URL (or the API URL the Astro CLI prints):
    ``AirflowClient`` on Airflow 2, ``Airflow3Client`` on Airflow 3. Other keyword arguments go to
    the client."""
    plan = _Plan(deployment_url, airflow_version, token, client_kwargs)
    major = plan.major
    if major is None:
        major = ask_major(plan.root, plan.bearer(), client_kwargs, provider="Astronomer")
    return client_class(major)(plan.root, auth=plan.auth, **client_kwargs)


@overload
async def async_client(
    deployment_url: str, *, airflow_version: Literal[2], token: Token | None = ..., **client_kwargs: Any
) -> AsyncAirflowClient: ...
@overload
async def async_client(
    deployment_url: str, *, airflow_version: Literal[3], token: Token | None = ..., **client_kwargs: Any
) -> AsyncAirflow3Client: ...
@overload
async def async_client(
    deployment_url: str,
    *,
    airflow_version: int | str | None = ...,
    token: Token | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflowClient | AsyncAirflow3Client: ...
async def async_client(
    deployment_url: str,
    *,
    airflow_version: int | str | None = None,
    token: Token | None = None,
    **client_kwargs: Any,
) -> AsyncAirflowClient | AsyncAirflow3Client:
    """The async form of :func:`client` (``await astronomer.async_client(...)``)."""
    plan = _Plan(deployment_url, airflow_version, token, client_kwargs)
    major = plan.major
    if major is None:
        major = await async_ask_major(plan.root, plan.bearer(), client_kwargs, provider="Astronomer")
    return async_client_class(major)(plan.root, auth=plan.auth, **client_kwargs)
