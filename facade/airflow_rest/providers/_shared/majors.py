"""Which Airflow major a provider's client speaks, asked of its web server with its token.

``airflow_version`` is 2, 3 or a version such as ``"3.0.6"``. Without it a provider finds out: MWAA
from ``get_environment``; Composer and Astronomer by asking the web server with
:func:`airflow_rest.airflow_major` (``GET /api/v2/version``, which Airflow 3 answers and Airflow 2
answers with 404, then ``GET /api/v1/version``), with their bearer token: their front ends want
one on every request, ``/version`` included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import errors
from ..._connect import MAJORS, airflow_major, async_airflow_major


def _probe_options(bearer: str, client_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The client's connection settings, with the bearer token among its headers."""
    headers = {**(client_kwargs.get("headers") or {}), "Authorization": f"Bearer {bearer}"}
    return {**client_kwargs, "headers": headers}


def _checked(major: int, root: str, provider: str) -> int:
    if major not in MAJORS:
        raise errors.AirflowError(
            f"{provider} at {errors.safe_url(root)} runs Airflow {major}; these clients speak Airflow 2 and 3"
        )
    return major


def _skip_hint(exc: errors.AirflowError, provider: str) -> None:
    exc.add_note(f"{provider}: pass airflow_version=2 or 3 to make the client without asking the server")


def ask_major(root: str, bearer: str, client_kwargs: Mapping[str, Any], *, provider: str) -> int:
    """The Airflow major of the web server at ``root``, asked with ``bearer`` (one request on
    Airflow 3, two on Airflow 2); its errors are the client's own (``AuthenticationError``...)."""
    try:
        major = airflow_major(root, **_probe_options(bearer, client_kwargs))
    except errors.AirflowError as exc:
        _skip_hint(exc, provider)
        raise
    return _checked(major, root, provider)


async def async_ask_major(root: str, bearer: str, client_kwargs: Mapping[str, Any], *, provider: str) -> int:
    """The async form of :func:`ask_major`."""
    try:
        major = await async_airflow_major(root, **_probe_options(bearer, client_kwargs))
    except errors.AirflowError as exc:
        _skip_hint(exc, provider)
        raise
    return _checked(major, root, provider)
