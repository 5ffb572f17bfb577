"""``connect`` and ``connect_async``: one entry point for both majors.

The major is asked of the server before any credential is sent: Airflow 3 answers
``GET /api/v2/version`` without auth; Airflow 2 has no ``/api/v2`` (404) and answers
``GET /api/v1/version`` without auth. Then the client of that major is made with the caller's
``auth`` and options, so ``auth=("user", "password")`` means basic auth on Airflow 2 and a token
login on Airflow 3.
"""

from __future__ import annotations

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


def _major_of(version: object) -> int:
    text = str(getattr(version, "version", "") or "")
    major = text.split(".", 1)[0]
    if not major.isdigit():
        raise errors.AirflowError(f"the server's /version names no Airflow release: {text!r}")
    return int(major)


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
    if major == 2:
        from ._v1 import AirflowClient

        return AirflowClient(base_url, auth=auth, **options)
    if major == 3:
        from ._v2 import Airflow3Client

        return Airflow3Client(base_url, auth=auth, **options)
    raise ValueError(f"Airflow {major} is not served by this client (2 and 3 are)")


async def connect_async(
    base_url: str | httpx.URL, *, auth: AuthTypes = None, major: int | None = None, **options: Any
) -> AsyncAirflowClient | AsyncAirflow3Client:
    """The async form of :func:`connect`: ``await connect_async(...)``."""
    if major is None:
        major = await async_airflow_major(base_url, **options)
    if major == 2:
        from ._v1 import AsyncAirflowClient

        return AsyncAirflowClient(base_url, auth=auth, **options)
    if major == 3:
        from ._v2 import AsyncAirflow3Client

        return AsyncAirflow3Client(base_url, auth=auth, **options)
    raise ValueError(f"Airflow {major} is not served by this client (2 and 3 are)")
