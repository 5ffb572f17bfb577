"""The DMS login: a DMS Airflow login token exchanged for the web session of an Airflow 2 instance.

The token comes from the DMS OpenAPI ``CreateAirflowLoginToken`` (``{Host, Token}``; credentials
from the Alibaba Cloud credential chain; the SDK calls ``dms.<region>.aliyuncs.com`` for any region,
or ``endpoint`` when given), or from ``token_provider``: any callable returning the
Host and Token (a pair, a mapping with ``Host``/``Token``, or a ``DmsToken``), sync or async, so
the SDK is not needed. ``Host`` carries a path prefix and becomes the client's base URL.

Login is ``GET {Host}/login?token=...`` (the 302 is not followed); its ``session`` cookie is sent
with every request. A rejected session (a login page, 401 or 403 after it worked) leads to one
new login; a token is reused for that only within its 2-hour window, else a fresh one is fetched.
DMS documents this session flow only, on Airflow 2's ``/api/v1``: the client is an ``AirflowClient``.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ... import errors
from ..._v1 import AirflowClient, AsyncAirflowClient
from .._shared.session import SessionLogin
from ._cli import AsyncDmsCli, DmsCli

__all__ = [
    "DMS_REGIONS",
    "TOKEN_WINDOW",
    "DmsLogin",
    "DmsToken",
    "TokenProvider",
    "async_cli",
    "async_client",
    "cli",
    "client",
    "sdk_token_provider",
]

DMS_REGIONS = ("cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen", "ap-southeast-1")
"""The regions the DMS documentation lists for Airflow; any region id is accepted."""
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?")
TOKEN_WINDOW = 2 * 3600.0  # a DMS login token must be used within two hours
TOKEN_MARGIN = 300.0  # reuse a token for a new login only while it has five minutes to spare
EXTRA = "pip install 'airflow-rest[dms]'"


@dataclass(frozen=True, slots=True)
class DmsToken:
    """What ``CreateAirflowLoginToken`` returns: the Airflow ``host`` (with its path prefix) and a
    one-time login ``token``. The repr hides the token."""

    host: str
    token: str

    def __repr__(self) -> str:
        return f"DmsToken(host={self.host!r}, token='***')"


TokenProvider = Callable[[], "DmsToken | tuple[str, str] | Mapping[str, str] | Awaitable[Any]"]


def _as_token(value: Any) -> DmsToken:
    if isinstance(value, DmsToken):
        token = value
    elif isinstance(value, Mapping):
        token = DmsToken(
            str(value.get("Host") or value.get("host") or ""),
            str(value.get("Token") or value.get("token") or ""),
        )
    elif isinstance(value, tuple) and len(value) == 2:
        token = DmsToken(str(value[0]), str(value[1]))
    else:
        raise errors.LoginError(
            f"the DMS token provider returned a {type(value).__name__}; expected (Host, Token), "
            "a mapping with Host and Token, or a DmsToken",
            provider="dms",
        )
    if not token.host or not token.token:
        raise errors.LoginError("the DMS token provider returned an empty Host or Token", provider="dms")
    return token


def sdk_token_provider(
    region: str, airflow_id: str, *, sdk_client: Any = None, endpoint: str | None = None
) -> Callable[[], DmsToken]:
    """A token provider calling ``CreateAirflowLoginToken`` through ``alibabacloud-dms20250414``.

    The SDK is imported on first call; ``sdk_client`` may be a ready ``alibabacloud_dms20250414``
    client (e.g. with explicit credentials), else one is built for ``endpoint`` (a host name;
    default ``dms.<region>.aliyuncs.com``) with the default credential chain."""
    _check_ids(region, airflow_id)
    if endpoint is not None:
        if sdk_client is not None:
            raise ValueError("give either sdk_client or endpoint (a client is made for it), not both")
        if not isinstance(endpoint, str) or not _HOST.fullmatch(endpoint):
            raise ValueError(
                "endpoint must be the host name of the DMS OpenAPI, such as "
                f"'dms-vpc.cn-hangzhou.aliyuncs.com' (no scheme or path), got {endpoint!r}"
            )
    host = endpoint or f"dms.{region}.aliyuncs.com"
    made: list[Any] = [sdk_client]

    def fetch() -> DmsToken:
        try:
            from alibabacloud_dms20250414 import models as dms_models
        except ImportError as exc:
            raise ImportError(f"DMS login tokens need the DMS SDK: {EXTRA}") from exc
        if made[0] is None:
            made[0] = _make_sdk_client(host)
        try:
            response = made[0].create_airflow_login_token(
                dms_models.CreateAirflowLoginTokenRequest(airflow_id=airflow_id)
            )
        except Exception as exc:  # the SDK raises its own error types
            code = getattr(exc, "code", None) or type(exc).__name__
            message = getattr(exc, "message", None) or str(exc)
            raise errors.LoginError(
                f"DMS CreateAirflowLoginToken for {airflow_id!r} in {region} failed: {code}: {message}",
                provider="dms",
                status_code=getattr(exc, "status_code", None) or getattr(exc, "statusCode", None),
            ) from None
        body = response.body
        if body is None or not body.success or body.data is None:
            code = getattr(body, "error_code", None) or getattr(body, "code", None)
            message = getattr(body, "message", None)
            raise errors.LoginError(
                f"DMS CreateAirflowLoginToken for {airflow_id!r} in {region} failed: {code}: {message} "
                f"(request {getattr(body, 'request_id', None)})",
                provider="dms",
                status_code=getattr(body, "http_status_code", None),
            )
        return _as_token((body.data.host, body.data.token))

    return fetch


def _make_sdk_client(endpoint: str) -> Any:
    try:
        from alibabacloud_credentials.client import Client as CredentialClient
        from alibabacloud_dms20250414.client import Client
        from alibabacloud_tea_openapi.utils_models import Config
    except ImportError as exc:
        raise ImportError(f"DMS login tokens need the DMS SDK: {EXTRA}") from exc
    return Client(Config(credential=CredentialClient(), endpoint=endpoint))


def _check_ids(region: str, airflow_id: str) -> None:
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ValueError(
            f"DMS region must be a region id such as {', '.join(DMS_REGIONS[:2])} "
            f"(the SDK calls dms.<region>.aliyuncs.com), got {region!r}"
        )
    if not isinstance(airflow_id, str) or not airflow_id.strip():
        raise ValueError("airflow_id must be the DMS Airflow instance id, e.g. 'af-123'")


class DmsLogin(SessionLogin[DmsToken]):
    """``httpx.Auth`` for DMS: ``GET {Host}/login?token=`` gives the ``session`` cookie."""

    provider = "dms"

    def __init__(self, token_provider: TokenProvider) -> None:
        super().__init__()
        if not callable(token_provider):
            raise TypeError("token_provider must be a callable returning the DMS Host and Token")
        self._provider = token_provider

    def _fetch_credential(self) -> DmsToken:
        value = self._provider()
        if isinstance(value, Awaitable):
            if inspect.iscoroutine(value):
                value.close()  # never awaited: closed, so Python does not warn about it
            raise TypeError("an async token provider needs the async client (dms.async_client)")
        return _as_token(value)

    async def _afetch_credential(self) -> DmsToken:
        if inspect.iscoroutinefunction(self._provider):
            return _as_token(await self._provider())
        value = await asyncio.to_thread(self._provider)  # an SDK call blocks: not on the event loop
        return _as_token(await value if inspect.isawaitable(value) else value)

    def _credential_fresh(self, age: float) -> bool:
        return age < TOKEN_WINDOW - TOKEN_MARGIN

    def _login_request(self, credential: DmsToken, request: httpx.Request) -> httpx.Request:
        return httpx.Request(
            "GET",
            credential.host.rstrip("/") + "/login",
            params={"token": credential.token},
            headers={"Accept": "text/html,application/json"},
        )

    def _describe(self) -> str:
        return "DMS"


def _provider_for(
    region: str | None,
    airflow_id: str | None,
    token_provider: TokenProvider | None,
    sdk_client: Any,
    endpoint: str | None,
) -> TokenProvider:
    if token_provider is not None:
        if any(v is not None for v in (region, airflow_id, sdk_client, endpoint)):
            raise ValueError("give either token_provider or region and airflow_id, not both")
        return token_provider
    if region is None or airflow_id is None:
        raise ValueError("give region and airflow_id (the SDK fetches the token), or token_provider")
    return sdk_token_provider(region, airflow_id, sdk_client=sdk_client, endpoint=endpoint)


def client(
    region: str | None = None,
    airflow_id: str | None = None,
    *,
    token_provider: TokenProvider | None = None,
    sdk_client: Any = None,
    endpoint: str | None = None,
    **client_kwargs: Any,
) -> AirflowClient:
    """An ``AirflowClient`` for a DMS Airflow instance in any region (``endpoint``: the DMS OpenAPI
    host, default ``dms.<region>.aliyuncs.com``). Fetches one token now (to learn the Host); logs in
    on the first request. Other keyword arguments go to ``AirflowClient``."""
    _no_auth(client_kwargs)
    auth = DmsLogin(_provider_for(region, airflow_id, token_provider, sdk_client, endpoint))
    first = auth._fetch_credential()
    auth.seed_credential(first)
    return AirflowClient(first.host, auth=auth, **client_kwargs)


async def async_client(
    region: str | None = None,
    airflow_id: str | None = None,
    *,
    token_provider: TokenProvider | None = None,
    sdk_client: Any = None,
    endpoint: str | None = None,
    **client_kwargs: Any,
) -> AsyncAirflowClient:
    """An ``AsyncAirflowClient`` for a DMS Airflow instance (``await dms.async_client(...)``); the
    SDK call runs in a worker thread."""
    _no_auth(client_kwargs)
    auth = DmsLogin(_provider_for(region, airflow_id, token_provider, sdk_client, endpoint))
    first = await auth._afetch_credential()
    auth.seed_credential(first)
    return AsyncAirflowClient(first.host, auth=auth, **client_kwargs)


def _no_auth(client_kwargs: Mapping[str, Any]) -> None:
    for key in ("auth", "base_url"):
        if key in client_kwargs:
            raise TypeError(f"{key}= is set by the DMS login; do not pass it")


def cli(airflow: AirflowClient) -> DmsCli:
    """The remote CLI (``POST {Host}/api/v1/command``) over a DMS client's session."""
    return DmsCli(airflow._http)


def async_cli(airflow: AsyncAirflowClient) -> AsyncDmsCli:
    """The async remote CLI over an async DMS client's session."""
    return AsyncDmsCli(airflow._http)
