"""``connect`` and ``connect_async``: one entry point for both majors.

The major is asked of the server before any credential is sent: Airflow 3 answers
``GET /api/v2/version`` without auth; Airflow 2 has no ``/api/v2`` (404) and answers
``GET /api/v1/version`` without auth. Then the client of that major is made with the caller's
``auth`` and options, so ``auth=("user", "password")`` means basic auth on Airflow 2 and a token
login on Airflow 3.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx

from . import errors

if TYPE_CHECKING:
    from ._client import AuthTypes
    from ._v1 import AirflowClient, AsyncAirflowClient
    from ._v2 import Airflow3Client, AsyncAirflow3Client

# what the probe may be given: the settings of the HTTP connection, not the credentials
_PROBE_OPTIONS = ("timeout", "verify", "headers", "transport", "max_retries")


def _probe_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k in _PROBE_OPTIONS}


_VERSION = re.compile(r"\s*(\d+)(?:\.[0-9A-Za-z.+-]*)?\s*")
MAJORS = (2, 3)


def _leading_major(version: object) -> int | None:
    """The major number of a version (``3``, ``"3.0.6"``), whatever it is; None when there is none."""
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    if isinstance(version, str) and (match := _VERSION.fullmatch(version)):
        return int(match[1])
    return None


def major_of(version: object) -> int | None:
    """2 or 3 from an Airflow version (``3``, ``"3.0.6"``, ``"2.10.3"``); None for any other."""
    major = _leading_major(version)
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
    """The client of Airflow ``major``'s REST API (2 or 3)."""
    if major == 2:
        from ._v1 import AirflowClient

        return AirflowClient
    from ._v2 import Airflow3Client

    return Airflow3Client


def async_client_class(major: int) -> type[AsyncAirflowClient] | type[AsyncAirflow3Client]:
    """The async client of Airflow ``major``'s REST API (2 or 3)."""
    if major == 2:
        from ._v1 import AsyncAirflowClient

        return AsyncAirflowClient
    from ._v2 import AsyncAirflow3Client

    return AsyncAirflow3Client


def _major_of(version: object) -> int:
    """The major a server's /version answer names."""
    text = str(getattr(version, "version", "") or "")
    major = _leading_major(text)
    if major is None:
        raise errors.AirflowError(f"the server's /version names no Airflow release: {text!r}")
    return major


def _unknown(
    base_url: str | httpx.URL, v2: errors.APIStatusError, v1: errors.APIStatusError
) -> errors.AirflowError:
    return errors.AirflowError(
        f"{errors.safe_url(str(base_url))} answers neither /api/v2/version ({v2.status_code}) nor "
        f"/api/v1/version ({v1.status_code}): is it an Airflow webserver root?"
    )


def airflow_major(base_url: str | httpx.URL, **options: Any) -> int:
    """The Airflow major (2 or 3) the webserver at ``base_url`` runs, asked without credentials."""
    from ._v1 import AirflowClient
    from ._v2 import Airflow3Client

    opts = _probe_options(options)
    v3 = Airflow3Client(base_url, **opts)
    try:
        return _major_of(v3.version.get_version())
    except errors.NotFoundError as v2_error:
        v2 = AirflowClient(base_url, **opts)
        try:
            return _major_of(v2.monitoring.get_version())
        except errors.APIStatusError as v1_error:
            raise _unknown(base_url, v2_error, v1_error) from None
        finally:
            if "transport" not in opts:  # a transport of the caller's is the caller's to close
                v2.close()
    finally:
        if "transport" not in opts:
            v3.close()


async def async_airflow_major(base_url: str | httpx.URL, **options: Any) -> int:
    """The async form of :func:`airflow_major`."""
    from ._v1 import AsyncAirflowClient
    from ._v2 import AsyncAirflow3Client

    opts = _probe_options(options)
    v3 = AsyncAirflow3Client(base_url, **opts)
    try:
        return _major_of(await v3.version.get_version())
    except errors.NotFoundError as v2_error:
        v2 = AsyncAirflowClient(base_url, **opts)
        try:
            return _major_of(await v2.monitoring.get_version())
        except errors.APIStatusError as v1_error:
            raise _unknown(base_url, v2_error, v1_error) from None
        finally:
            if "transport" not in opts:
                await v2.aclose()
    finally:
        if "transport" not in opts:
            await v3.aclose()


def connect(
    base_url: str | httpx.URL, *, auth: AuthTypes = None, major: int | None = None, **options: Any
) -> AirflowClient | Airflow3Client:
    """The client for the Airflow at ``base_url`` (its webserver root): ``AirflowClient`` on
    Airflow 2, ``Airflow3Client`` on Airflow 3. ``options`` are the clients' own keyword arguments
    (``timeout``, ``transport``, ``max_retries``...); ``major=2`` or ``3`` skips the question."""
    if major is None:
        major = airflow_major(base_url, **options)
    if major not in MAJORS:
        raise ValueError(f"Airflow {major} is not served by this client (2 and 3 are)")
    return client_class(major)(base_url, auth=auth, **options)


async def connect_async(
    base_url: str | httpx.URL, *, auth: AuthTypes = None, major: int | None = None, **options: Any
) -> AsyncAirflowClient | AsyncAirflow3Client:
    """The async form of :func:`connect`: ``await connect_async(...)``."""
    if major is None:
        major = await async_airflow_major(base_url, **options)
    if major not in MAJORS:
        raise ValueError(f"Airflow {major} is not served by this client (2 and 3 are)")
    return async_client_class(major)(base_url, auth=auth, **options)
