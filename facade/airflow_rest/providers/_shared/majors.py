"""Which Airflow major a provider's client speaks, and the client class for it.

``airflow_version`` is 2, 3 or a version such as ``"3.0.6"``. Without it a provider finds out: MWAA
from ``get_environment``; Composer and Astronomer by asking the web server with
:func:`airflow_rest.airflow_major` (``GET /api/v2/version``, which Airflow 3 answers and Airflow 2
answers with 404, then ``GET /api/v1/version``), with their bearer token: their front ends want
one on every request, ``/version`` included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ... import errors
from ..._connect import airflow_major, async_airflow_major

if TYPE_CHECKING:
    from ..._v1 import AirflowClient, AsyncAirflowClient
    from ..._v2 import Airflow3Client, AsyncAirflow3Client

_VERSION = re.compile(r"\s*(\d+)(?:\.[0-9A-Za-z.+-]*)?\s*")
MAJORS = (2, 3)


def major_of(version: object) -> int | None:
    """2 or 3 from an Airflow version (``3``, ``"3.0.6"``, ``"2.10.3"``); None for any other."""
    major: int | None = None
    if isinstance(version, int) and not isinstance(version, bool):
        major = version
    elif isinstance(version, str) and (match := _VERSION.fullmatch(version)):
        major = int(match[1])
    return major if major in MAJORS else None


def checked_major(airflow_version: object) -> int | None:
    """``airflow_version`` as 2 or 3, None when not given; anything else is refused before any call."""
    if airflow_version is None:
        return None
    major = major_of(airflow_version)
    if major is None:
        raise ValueError(
            f"airflow_version must be 2, 3 or a version such as '3.0.6', got {airflow_version!r}"
        )
    return major


def client_class(major: int) -> type[AirflowClient] | type[Airflow3Client]:
    """The client of Airflow ``major``'s REST API."""
    if major == 2:
        from ..._v1 import AirflowClient

        return AirflowClient
    from ..._v2 import Airflow3Client

    return Airflow3Client


def async_client_class(major: int) -> type[AsyncAirflowClient] | type[AsyncAirflow3Client]:
    """The async client of Airflow ``major``'s REST API."""
    if major == 2:
        from ..._v1 import AsyncAirflowClient

        return AsyncAirflowClient
    from ..._v2 import AsyncAirflow3Client

    return AsyncAirflow3Client


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
