"""AWS MWAA (Managed Workflows for Apache Airflow), three ways in. All need ``airflow-rest[mwaa]``.

    from airflow_rest.providers import mwaa

    with mwaa.client("MyEnvironment", region_name="eu-west-1") as client:      # web login
        client.dag.get_dags(limit=5)
    with mwaa.invoke_client("MyEnvironment", region_name="eu-west-1") as client:  # InvokeRestApi
        client.dag.get_dags(limit=5)
    with mwaa.cli("MyEnvironment", region_name="eu-west-1") as runner:           # remote CLI
        print(runner.run("dags list").stdout)

Web login (Airflow 2): ``create_web_login_token(Name=...)`` gives ``WebToken`` (valid 60 s) and
``WebServerHostname``; ``POST https://{WebServerHostname}/aws_mwaa/login`` with the form field
``token`` gives the ``session`` cookie sent with every request. A rejected session (a login page,
401 or 403 after it worked) leads to one new login with a new token.

Web login (Airflow 3, :class:`MwaaLogin` with ``airflow_version=3``): the same token posted to
``/pluginsv2/aws_mwaa/login`` gives a ``_token`` cookie holding a JWT, sent as ``Authorization:
Bearer`` on ``/api/v2/...``; it is replaced a minute before it expires, and after a 401 or a 403
"Invalid JWT token". Without ``airflow_version``, ``get_environment`` tells the version (asked once).

Every way in takes ``region_name``, ``boto3_session`` or ``profile_name`` (a boto3 Session for that
AWS profile) and ``endpoint_url`` to make the boto3 MWAA client, as boto3 does; or a ready
``mwaa_client``. botocore's DEBUG log of tokens and relayed bodies is masked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .. import errors
from .._core import redact_botocore_logs
from .._v1 import AirflowClient, AsyncAirflowClient
from ._session import WEB_SESSION, BearerJwt, SessionKind, SessionLogin
from .cli import AsyncMwaaCli, MwaaCli, _boto3_client, _check_boto3_options, _profile_session
from .mwaa_invoke import async_mwaa_invoke_client, mwaa_invoke_client

__all__ = [
    "WEB_TOKEN_LIFETIME",
    "MwaaLogin",
    "WebLoginToken",
    "async_cli",
    "async_client",
    "async_invoke_client",
    "cli",
    "client",
    "invoke_client",
]

WEB_TOKEN_LIFETIME = 60.0
WEB_TOKEN_MARGIN = 15.0
EXTRA = "pip install 'airflow-rest[mwaa]'"
_MISSING = f"MWAA logins need boto3: {EXTRA}"
AIRFLOW3_TOKEN = BearerJwt(cookie="_token")  # what /pluginsv2/aws_mwaa/login sets
_VERSION = re.compile(r"\s*(\d+)(?:\.[0-9A-Za-z.+-]*)?\s*")

invoke_client = mwaa_invoke_client
async_invoke_client = async_mwaa_invoke_client
cli = MwaaCli
async_cli = AsyncMwaaCli


@dataclass(frozen=True, slots=True)
class WebLoginToken:
    """``create_web_login_token``'s answer; the repr hides the token."""

    hostname: str
    token: str

    def __repr__(self) -> str:
        return f"WebLoginToken(hostname={self.hostname!r}, token='***')"


def _major_of(version: object) -> int | None:
    """2 or 3 from an Airflow version (``3``, ``"3.0.6"``, ``"2.10.3"``); None for any other."""
    major: int | None = None
    if isinstance(version, int) and not isinstance(version, bool):
        major = version
    elif isinstance(version, str) and (match := _VERSION.fullmatch(version)):
        major = int(match[1])
    return major if major in (2, 3) else None


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
        if not isinstance(name, str) or not name.strip():
            raise ValueError("name must be the MWAA environment name")
        self._major = None if airflow_version is None else _major_of(airflow_version)
        if airflow_version is not None and self._major is None:
            raise ValueError(
                f"airflow_version must be 2, 3 or a version such as '3.0.6', got {airflow_version!r}"
            )
        _check_boto3_options(mwaa_client, region_name, boto3_session, profile_name, endpoint_url)
        self._major_lock = threading.Lock()
        self.name = name
        self._mwaa = mwaa_client
        self._region_name = region_name
        self._boto3_session = _profile_session(profile_name, boto3_session, missing=_MISSING)
        self._endpoint_url = endpoint_url
        redact_botocore_logs()

    def _client(self) -> Any:
        if self._mwaa is None:
            self._mwaa = _boto3_client(
                self._region_name, self._boto3_session, endpoint_url=self._endpoint_url, missing=_MISSING
            )
        return self._mwaa

    def _ask(self, operation: str) -> Mapping[str, Any]:
        """The answer of the boto3 MWAA ``operation`` for this environment; its failure as a
        ``LoginError`` with AWS's code and message."""
        mwaa = self._client()
        try:
            reply: Mapping[str, Any] = getattr(mwaa, operation)(Name=self.name)
        except Exception as exc:  # botocore's ClientError / BotoCoreError
            response: Mapping[str, Any] = getattr(exc, "response", None) or {}
            error = response.get("Error", {})
            code = error.get("Code") or type(exc).__name__
            message = error.get("Message") or str(exc)
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise errors.LoginError(
                f"MWAA {operation} for {self.name!r} failed: {code}: {message}",
                provider=self.provider,
                status_code=status,
            ) from None
        return reply

    def airflow_major(self) -> int:
        """The environment's Airflow major version: as given, or from ``get_environment`` (asked
        once; a blocking call)."""
        if self._major is not None:
            return self._major
        with self._major_lock:
            if self._major is None:
                version = self._ask("get_environment").get("Environment", {}).get("AirflowVersion")
                self._major = _major_of(version)
                if self._major is None:
                    raise errors.LoginError(
                        f"MWAA get_environment for {self.name!r} reports AirflowVersion {version!r}; "
                        "the web login supports Airflow 2 and 3",
                        provider=self.provider,
                    )
            return self._major

    def _kind(self) -> SessionKind:
        return WEB_SESSION if self.airflow_major() == 2 else AIRFLOW3_TOKEN

    def _fetch_credential(self) -> WebLoginToken:
        self.airflow_major()  # first: the web token is good for 60 s only
        reply = self._ask("create_web_login_token")
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
        path = "aws_mwaa/login" if self.airflow_major() == 2 else "pluginsv2/aws_mwaa/login"
        return httpx.Request(
            "POST",
            f"{_web_root(credential.hostname)}/{path}",
            data={"token": credential.token},
            headers={"Accept": "text/html,application/json"},
        )

    def _describe(self) -> str:
        return f"MWAA {self.name}"


def _web_root(hostname: str) -> str:
    hostname = hostname.strip().rstrip("/")
    return hostname if hostname.startswith(("https://", "http://")) else f"https://{hostname}"


def _no_auth(client_kwargs: Mapping[str, Any]) -> None:
    for key in ("auth", "base_url"):
        if key in client_kwargs:
            raise TypeError(f"{key}= is set by the MWAA login; do not pass it")


def client(
    name: str,
    *,
    region_name: str | None = None,
    boto3_session: Any = None,
    mwaa_client: Any = None,
    profile_name: str | None = None,
    endpoint_url: str | None = None,
    **client_kwargs: Any,
) -> AirflowClient:
    """An ``AirflowClient`` logged in to an MWAA environment's web server. Asks for one web login
    token now (to learn the host); logs in on the first request."""
    _no_auth(client_kwargs)
    auth = MwaaLogin(
        name,
        airflow_version=2,  # AirflowClient speaks Airflow 2's /api/v1
        mwaa_client=mwaa_client,
        region_name=region_name,
        boto3_session=boto3_session,
        profile_name=profile_name,
        endpoint_url=endpoint_url,
    )
    first = auth._fetch_credential()
    auth.seed_credential(first)
    return AirflowClient(_web_root(first.hostname), auth=auth, **client_kwargs)


async def async_client(
    name: str,
    *,
    region_name: str | None = None,
    boto3_session: Any = None,
    mwaa_client: Any = None,
    profile_name: str | None = None,
    endpoint_url: str | None = None,
    **client_kwargs: Any,
) -> AsyncAirflowClient:
    """The async form of :func:`client` (``await mwaa.async_client(...)``); boto3 calls run in a
    worker thread."""
    _no_auth(client_kwargs)
    auth = MwaaLogin(
        name,
        airflow_version=2,  # AirflowClient speaks Airflow 2's /api/v1
        mwaa_client=mwaa_client,
        region_name=region_name,
        boto3_session=boto3_session,
        profile_name=profile_name,
        endpoint_url=endpoint_url,
    )
    first = await auth._afetch_credential()
    auth.seed_credential(first)
    return AsyncAirflowClient(_web_root(first.hostname), auth=auth, **client_kwargs)
