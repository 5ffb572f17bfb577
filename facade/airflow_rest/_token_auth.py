"""``PasswordTokenAuth``: Airflow 3's token login from a username and password, on the session
machinery the provider logins share. ``airflow_rest.auth`` exports it and imports it when first used."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from . import errors
from .providers._shared.session import BearerJwt, SessionKind, SessionLogin

API_V2 = b"/api/v2/"
ACCESS_TOKEN = BearerJwt()


@dataclass(frozen=True, slots=True)
class _Credentials:
    """A username and password; the repr leaves the password out."""

    username: str
    password: str = field(repr=False)


def token_url_for(url: httpx.URL) -> str:
    """Airflow 3's token endpoint for an API request URL: the webserver root (the part before
    ``/api/v2/``, any path prefix kept) joined with ``/auth/token``."""
    path = url.raw_path.split(b"?", 1)[0]
    root, found, _ = (path + b"/").partition(API_V2)
    if not found:
        raise ValueError(f"{errors.safe_url(url)} is not under /api/v2/")
    return str(url.copy_with(raw_path=root + b"/auth/token", username=None, password=None, fragment=None))


def _checked_token_url(token_url: str) -> str:
    try:
        url = httpx.URL(token_url)
    except (httpx.InvalidURL, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or url.userinfo:
        shown = errors.safe_url(url) if url is not None else repr(token_url)
        raise ValueError(f"token_url must be an absolute http(s) URL without user info, got {shown}")
    return str(url)


class PasswordTokenAuth(SessionLogin[_Credentials]):
    """Airflow 3's API with a username and password: ``POST {webserver root}/auth/token`` gives a
    JWT, sent as ``Authorization: Bearer``.

    The webserver root is the part of the request URL before ``/api/v2/`` (path prefix kept), or
    ``token_url`` is the token endpoint. One login at a time, under threads and asyncio tasks; a
    new token a minute before the old one's ``exp`` (a token without one is used until refused);
    after a 401 or a 403 "Invalid JWT token" on a token that worked, one new login and one retry.
    ``/auth/logout`` is never called: it would revoke the token. Wrong credentials raise
    ``errors.LoginError`` with the server's detail.
    """

    provider = "airflow"

    def __init__(self, username: str, password: str, *, token_url: str | None = None) -> None:
        super().__init__()
        if not isinstance(username, str) or not username:
            raise ValueError("PasswordTokenAuth needs a username")
        if not isinstance(password, str) or not password:
            raise ValueError("PasswordTokenAuth needs a password")
        self.username = username
        self.token_url = None if token_url is None else _checked_token_url(token_url)
        self.__credentials = _Credentials(username, password)

    def _kind(self) -> SessionKind:
        return ACCESS_TOKEN

    def _fetch_credential(self) -> _Credentials:
        return self.__credentials

    async def _afetch_credential(self) -> _Credentials:
        return self.__credentials

    def _login_request(self, credential: _Credentials, request: httpx.Request) -> httpx.Request:
        url = self.token_url
        if url is None:
            try:
                url = token_url_for(request.url)
            except ValueError as exc:
                raise errors.LoginError(
                    f"{self._describe()}: cannot tell the token URL: {exc}; pass token_url=",
                    provider=self.provider,
                ) from None
        return httpx.Request(
            "POST",
            url,
            json={"username": credential.username, "password": credential.password},
            headers={"Accept": "application/json"},
        )

    def _describe(self) -> str:
        return f"Airflow user {self.username!r}"
