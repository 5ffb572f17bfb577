"""The Composer login: a Google access token as bearer, on Composer 2 (Airflow 2, ``/api/v1``) and
Composer 3 (Airflow 3, ``/api/v2``; Airflow 2 where an environment still runs it).

Credentials are ``google.auth.default(scopes=[".../auth/cloud-platform"])`` unless given. The access
token is refreshed before it expires (google-auth decides when), and once more when the web server
answers 401; one refresh at a time. Token refreshes go through httpx, so proxies and test doubles
that work for the client work for them too.

Without ``airflow_version``, the web server is asked which major it runs, with the access token
(Composer's front end wants one on every request): ``GET /api/v2/version`` (Airflow 2 answers 404,
then ``GET /api/v1/version``), before the client is made.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

import httpx

from ... import errors
from ..._connect import async_client_class, checked_major, client_class
from ..._core import split_base_url
from .._shared.majors import ask_major, async_ask_major

if TYPE_CHECKING:
    from ..._v1 import AirflowClient, AsyncAirflowClient
    from ..._v2 import Airflow3Client, AsyncAirflow3Client

__all__ = ["CLOUD_PLATFORM_SCOPE", "GoogleAuth", "async_client", "client"]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
EXTRA = "pip install 'airflow-rest[composer]'"


def _google_request_class() -> type:
    try:
        from google.auth import transport
    except ImportError as exc:
        raise ImportError(f"Composer logins need google-auth: {EXTRA}") from exc

    class _Response(transport.Response):
        def __init__(self, response: httpx.Response) -> None:
            self._response = response

        @property
        def status(self) -> int:
            return self._response.status_code

        @property
        def headers(self) -> Mapping[str, str]:
            return self._response.headers

        @property
        def data(self) -> bytes:
            return self._response.content

    class HttpxRequest(transport.Request):
        """google-auth's transport interface over an httpx client."""

        def __init__(self, http: httpx.Client) -> None:
            self._http = http

        def __call__(
            self,
            url: str,
            method: str = "GET",
            body: bytes | None = None,
            headers: Mapping[str, str] | None = None,
            timeout: float | None = None,
            **kwargs: Any,
        ) -> _Response:
            from google.auth import exceptions

            try:
                response = self._http.request(
                    method, url, content=body, headers=headers, timeout=timeout or 30.0
                )
            except httpx.HTTPError as exc:
                raise exceptions.TransportError(f"{type(exc).__name__}: {exc}") from None  # type: ignore[no-untyped-call]
            return _Response(response)

    return HttpxRequest


class GoogleAuth(httpx.Auth):
    """``httpx.Auth`` sending ``Authorization: Bearer <access token>`` from google-auth credentials."""

    def __init__(
        self,
        credentials: Any = None,
        *,
        scopes: tuple[str, ...] = (CLOUD_PLATFORM_SCOPE,),
        transport: httpx.BaseTransport | None = None,
        verify: Any = True,
    ) -> None:
        self._credentials = credentials
        self._verify = verify
        self._scopes = list(scopes)
        self._transport = transport
        self._token_http: httpx.Client | None = None
        self._lock = threading.Lock()
        self.refreshes = 0

    def _creds(self) -> Any:
        if self._credentials is None:
            try:
                import google.auth
            except ImportError as exc:
                raise ImportError(f"Composer logins need google-auth: {EXTRA}") from exc
            self._credentials, _project = google.auth.default(scopes=self._scopes)
        return self._credentials

    def _refresh(self, stale_token: str | None) -> str:
        """A valid access token; refreshes when the credentials say so or ``stale_token`` was refused."""
        with self._lock:
            creds = self._creds()
            if creds.valid and creds.token and creds.token != stale_token:
                return str(creds.token)
            if self._token_http is None:
                self._token_http = httpx.Client(transport=self._transport, timeout=30.0, verify=self._verify)
            try:
                creds.refresh(_google_request_class()(self._token_http))
            except Exception as exc:  # google.auth.exceptions.RefreshError and TransportError
                raise errors.LoginError(
                    f"Google credentials could not be refreshed: {type(exc).__name__}: {_first_line(exc)}",
                    provider="composer",
                ) from None
            self.refreshes += 1
            if not creds.token:
                raise errors.LoginError("Google credentials refreshed without a token", provider="composer")
            return str(creds.token)

    def _current(self) -> str | None:
        creds = self._credentials
        if creds is not None and creds.valid and creds.token:
            return str(creds.token)
        return None

    def token(self) -> str:
        """A valid access token: the current one, else a refreshed one (a blocking call)."""
        return self._current() or self._refresh(None)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = self._refresh(token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._current() or await asyncio.to_thread(self.token)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = await asyncio.to_thread(self._refresh, token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def close(self) -> None:
        if self._token_http is not None:
            self._token_http.close()

    def __repr__(self) -> str:
        kind = type(self._credentials).__name__ if self._credentials is not None else "default"
        return f"GoogleAuth(credentials={kind}, token='***')"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


def _auth(
    web_server_url: str,
    credentials: Any,
    token_transport: httpx.BaseTransport | None,
    client_kwargs: Mapping[str, Any],
) -> GoogleAuth:
    """The login for a client of ``web_server_url``; arguments refused before any call."""
    if "auth" in client_kwargs:
        raise TypeError("auth= is set from the Google credentials; pass credentials= instead")
    split_base_url(web_server_url)
    return GoogleAuth(credentials, transport=token_transport, verify=client_kwargs.get("verify", True))


@overload
def client(
    web_server_url: str,
    *,
    airflow_version: Literal[2],
    credentials: Any = ...,
    token_transport: httpx.BaseTransport | None = ...,
    **client_kwargs: Any,
) -> AirflowClient: ...
@overload
def client(
    web_server_url: str,
    *,
    airflow_version: Literal[3],
    credentials: Any = ...,
    token_transport: httpx.BaseTransport | None = ...,
    **client_kwargs: Any,
) -> Airflow3Client: ...
@overload
def client(
    web_server_url: str,
    *,
    airflow_version: int | str | None = ...,
    credentials: Any = ...,
    token_transport: httpx.BaseTransport | None = ...,
    **client_kwargs: Any,
) -> AirflowClient | Airflow3Client: ...
def client(
    web_server_url: str,
    *,
    airflow_version: int | str | None = None,
    credentials: Any = None,
    token_transport: httpx.BaseTransport | None = None,
    **client_kwargs: Any,
) -> AirflowClient | Airflow3Client:
    """A client for a Composer environment's Airflow web server URL (``airflowUri``):
    ``AirflowClient`` on Airflow 2, ``Airflow3Client`` on Airflow 3. Without ``airflow_version``
    the server is asked now (after a token refresh). Other keyword arguments go to the client."""
    major = checked_major(airflow_version)
    auth = _auth(web_server_url, credentials, token_transport, client_kwargs)
    if major is None:
        major = ask_major(web_server_url, auth.token(), client_kwargs, provider="Composer")
    return client_class(major)(web_server_url, auth=auth, **client_kwargs)


@overload
async def async_client(
    web_server_url: str,
    *,
    airflow_version: Literal[2],
    credentials: Any = ...,
    token_transport: httpx.BaseTransport | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflowClient: ...
@overload
async def async_client(
    web_server_url: str,
    *,
    airflow_version: Literal[3],
    credentials: Any = ...,
    token_transport: httpx.BaseTransport | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflow3Client: ...
@overload
async def async_client(
    web_server_url: str,
    *,
    airflow_version: int | str | None = ...,
    credentials: Any = ...,
    token_transport: httpx.BaseTransport | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflowClient | AsyncAirflow3Client: ...
async def async_client(
    web_server_url: str,
    *,
    airflow_version: int | str | None = None,
    credentials: Any = None,
    token_transport: httpx.BaseTransport | None = None,
    **client_kwargs: Any,
) -> AsyncAirflowClient | AsyncAirflow3Client:
    """The async form of :func:`client` (``await composer.async_client(...)``); token refreshes run
    in a worker thread."""
    major = checked_major(airflow_version)
    auth = _auth(web_server_url, credentials, token_transport, client_kwargs)
    if major is None:
        token = await asyncio.to_thread(auth.token)
        major = await async_ask_major(web_server_url, token, client_kwargs, provider="Composer")
    return async_client_class(major)(web_server_url, auth=auth, **client_kwargs)
