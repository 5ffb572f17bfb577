"""The MWAA web login, on Airflow 2 and 3.

``create_web_login_token(Name=...)`` gives ``WebToken`` (valid 60 s) and ``WebServerHostname``.
Airflow 2: ``POST https://{WebServerHostname}/aws_mwaa/login`` with the form field ``token`` gives
the ``session`` cookie sent with every request to ``/api/v1``. Airflow 3: the same token posted to
``/pluginsv2/aws_mwaa/login`` gives a ``_token`` cookie holding a JWT, sent as ``Authorization:
Bearer`` to ``/api/v2``; it is replaced a minute before it expires. A session that worked and is
refused (a login page, 401, or Airflow 3's 403 "Invalid JWT token") leads to one new login.
Without ``airflow_version``, ``get_environment`` tells the version (asked once, before the first
web token: that one is good for 60 s only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import httpx

from ... import errors
from ..._connect import async_client_class, checked_major, client_class
from .._shared.session import WEB_SESSION, BearerJwt, SessionKind, SessionLogin
from ._aws import Environment

if TYPE_CHECKING:
    from ..._v1 import AirflowClient, AsyncAirflowClient
    from ..._v2 import Airflow3Client, AsyncAirflow3Client

__all__ = ["WEB_TOKEN_LIFETIME", "MwaaLogin", "WebLoginToken", "async_client", "client"]

WEB_TOKEN_LIFETIME = 60.0
WEB_TOKEN_MARGIN = 15.0
AIRFLOW3_TOKEN = BearerJwt(cookie="_token")  # what /pluginsv2/aws_mwaa/login sets
LOGIN_PATHS = {2: "aws_mwaa/login", 3: "pluginsv2/aws_mwaa/login"}


@dataclass(frozen=True, slots=True)
class WebLoginToken:
    """``create_web_login_token``'s answer; the repr hides the token."""

    hostname: str
    token: str

    def __repr__(self) -> str:
        return f"WebLoginToken(hostname={self.hostname!r}, token='***')"


class MwaaLogin(SessionLogin[WebLoginToken]):
    """``httpx.Auth`` for the MWAA web server: a web login token exchanged for a session cookie
    (Airflow 2) or a JWT sent as bearer (Airflow 3). ``airflow_version`` is 2, 3 or a version such
    as ``"3.0.6"``; without it, ``get_environment`` is asked once, at the first login."""

    provider = "mwaa"

    def __init__(
        self,
        name: str,
        *,
        airflow_version: int | str | None = None,
        mwaa_client: Any = None,
        region_name: str | None = None,
        boto3_session: Any = None,
        profile_name: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        super().__init__()
        self._major = checked_major(airflow_version)
        self._environment = Environment(
            name,
            purpose="the MWAA web login",
            mwaa_client=mwaa_client,
            region_name=region_name,
            boto3_session=boto3_session,
            profile_name=profile_name,
            endpoint_url=endpoint_url,
        )
        self.name = name

    def airflow_major(self) -> int:
        """The environment's Airflow major version: as given, or from ``get_environment`` (asked
        once; a blocking call)."""
        return self._major if self._major is not None else self._environment.airflow_major()

    def _kind(self) -> SessionKind:
        return WEB_SESSION if self.airflow_major() == 2 else AIRFLOW3_TOKEN

    def _fetch_credential(self) -> WebLoginToken:
        self.airflow_major()  # first: the web token is good for 60 s only
        reply = self._environment.call("create_web_login_token")
        hostname, token = reply.get("WebServerHostname"), reply.get("WebToken")
        if not hostname or not token:
            raise errors.LoginError(
                f"MWAA create_web_login_token for {self.name!r} answered without "
                "WebServerHostname or WebToken",
                provider=self.provider,
            )
        return WebLoginToken(str(hostname), str(token))

    def _credential_fresh(self, age: float) -> bool:
        return age < WEB_TOKEN_LIFETIME - WEB_TOKEN_MARGIN

    def _login_request(self, credential: WebLoginToken, request: httpx.Request) -> httpx.Request:
        return httpx.Request(
            "POST",
            f"{web_root(credential.hostname)}/{LOGIN_PATHS[self.airflow_major()]}",
            data={"token": credential.token},
            headers={"Accept": "text/html,application/json"},
        )

    def _describe(self) -> str:
        return f"MWAA {self.name}"


def web_root(hostname: str) -> str:
    """The web server's URL for the ``WebServerHostname`` MWAA answers with."""
    hostname = hostname.strip().rstrip("/")
    return hostname if hostname.startswith(("https://", "http://")) else f"https://{hostname}"


def _login(
    name: str, airflow_version: int | str | None, client_kwargs: dict[str, Any], **boto3_options: Any
) -> MwaaLogin:
    """The login for a client's factory; its arguments refused before any call."""
    for key in ("auth", "base_url"):
        if key in client_kwargs:
            raise TypeError(f"{key}= is set by the MWAA login; do not pass it")
    return MwaaLogin(name, airflow_version=airflow_version, **boto3_options)


@overload
def client(
    name: str,
    *,
    airflow_version: Literal[2],
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AirflowClient: ...
@overload
def client(
    name: str,
    *,
    airflow_version: Literal[3],
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> Airflow3Client: ...
@overload
def client(
    name: str,
    *,
    airflow_version: int | str | None = ...,
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AirflowClient | Airflow3Client: ...
def client(
    name: str,
    *,
    airflow_version: int | str | None = None,
    region_name: str | None = None,
    boto3_session: Any = None,
    mwaa_client: Any = None,
    profile_name: str | None = None,
    endpoint_url: str | None = None,
    **client_kwargs: Any,
) -> AirflowClient | Airflow3Client:
    """A client logged in to an MWAA environment's web server: ``AirflowClient`` on Airflow 2,
    ``Airflow3Client`` on Airflow 3. Asks ``get_environment`` for the version unless
    ``airflow_version`` is given, and one web login token now (to learn the host); logs in on the
    first request. Other keyword arguments go to the client."""
    auth = _login(
        name,
        airflow_version,
        client_kwargs,
        mwaa_client=mwaa_client,
        region_name=region_name,
        boto3_session=boto3_session,
        profile_name=profile_name,
        endpoint_url=endpoint_url,
    )
    first = auth._fetch_credential()
    auth.seed_credential(first)
    return client_class(auth.airflow_major())(web_root(first.hostname), auth=auth, **client_kwargs)


@overload
async def async_client(
    name: str,
    *,
    airflow_version: Literal[2],
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflowClient: ...
@overload
async def async_client(
    name: str,
    *,
    airflow_version: Literal[3],
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflow3Client: ...
@overload
async def async_client(
    name: str,
    *,
    airflow_version: int | str | None = ...,
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflowClient | AsyncAirflow3Client: ...
async def async_client(
    name: str,
    *,
    airflow_version: int | str | None = None,
    region_name: str | None = None,
    boto3_session: Any = None,
    mwaa_client: Any = None,
    profile_name: str | None = None,
    endpoint_url: str | None = None,
    **client_kwargs: Any,
) -> AsyncAirflowClient | AsyncAirflow3Client:
    """The async form of :func:`client` (``await mwaa.async_client(...)``); boto3 calls run in a
    worker thread."""
    auth = _login(
        name,
        airflow_version,
        client_kwargs,
        mwaa_client=mwaa_client,
        region_name=region_name,
        boto3_session=boto3_session,
        profile_name=profile_name,
        endpoint_url=endpoint_url,
    )
    first = await auth._afetch_credential()  # get_environment too, when asked, in the same thread
    auth.seed_credential(first)
    return async_client_class(auth.airflow_major())(web_root(first.hostname), auth=auth, **client_kwargs)
