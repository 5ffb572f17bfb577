"""Google Cloud Composer 2: the environment's Airflow web server with a Google access token.

    from airflow_rest.providers import composer

    with composer.client("https://abc-dot-europe-west1.composer.googleusercontent.com") as client:
        client.dag.get_dags(limit=5)                                   # needs airflow-rest[composer]

Credentials are ``google.auth.default(scopes=[".../auth/cloud-platform"])`` unless given. The access
token is refreshed before it expires (google-auth decides when), and once more when the web server
answers 401; one refresh at a time. Token refreshes go through httpx, so proxies and test doubles
that work for the client work for them too.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any

import httpx

from .. import errors
from .._v1 import AirflowClient, AsyncAirflowClient

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

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current() or self._refresh(None)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = self._refresh(token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._current() or await asyncio.to_thread(self._refresh, None)
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


def _no_auth(client_kwargs: Mapping[str, Any]) -> None:
    if "auth" in client_kwargs:
        raise TypeError("auth= is set from the Google credentials; pass credentials= instead")


def client(
    web_server_url: str,
    *,
    credentials: Any = None,
    token_transport: httpx.BaseTransport | None = None,
    **client_kwargs: Any,
) -> AirflowClient:
    """An ``AirflowClient`` for a Composer environment's Airflow web server URL."""
    _no_auth(client_kwargs)
    return AirflowClient(
        web_server_url,
        auth=GoogleAuth(credentials, transport=token_transport, verify=client_kwargs.get("verify", True)),
        **client_kwargs,
    )


def async_client(
    web_server_url: str,
    *,
    credentials: Any = None,
    token_transport: httpx.BaseTransport | None = None,
    **client_kwargs: Any,
) -> AsyncAirflowClient:
    """An ``AsyncAirflowClient`` for a Composer environment; token refreshes run in a worker thread."""
    _no_auth(client_kwargs)
    return AsyncAirflowClient(
        web_server_url,
        auth=GoogleAuth(credentials, transport=token_transport, verify=client_kwargs.get("verify", True)),
        **client_kwargs,
    )
