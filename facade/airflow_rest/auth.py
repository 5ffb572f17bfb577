"""Authentication as ``httpx.Auth`` objects. Their reprs never show the secret."""

from __future__ import annotations

import base64
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._token_auth import PasswordTokenAuth

__all__ = ["BasicAuth", "BearerAuth", "PasswordTokenAuth", "SessionCookieAuth"]


class BasicAuth(httpx.Auth):
    """HTTP Basic credentials, as Airflow's FAB ``basic_auth`` API backend expects them."""

    def __init__(self, username: str, password: str) -> None:
        if not username:
            raise ValueError("BasicAuth needs a username")
        self.username = username
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self.__header = f"Basic {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.__header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password='***')"


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>``; ``token`` may be a callable asked before every request."""

    def __init__(self, token: str | Callable[[], str]) -> None:
        if not token:
            raise ValueError("BearerAuth needs a token")
        self.__token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.__token() if callable(self.__token) else self.__token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token='***')"


class SessionCookieAuth(httpx.Auth):
    """A web session cookie (Airflow's ``session`` API backend), sent as ``Cookie: <name>=<value>``."""

    def __init__(self, value: str, *, name: str = "session") -> None:
        if not value:
            raise ValueError("SessionCookieAuth needs the cookie value")
        self.name = name
        self.__value = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        cookie = f"{self.name}={self.__value}"
        existing = request.headers.get("Cookie")
        request.headers["Cookie"] = f"{existing}; {cookie}" if existing else cookie
        yield request

    def __repr__(self) -> str:
        return f"SessionCookieAuth(name={self.name!r}, value='***')"


def __getattr__(name: str) -> Any:
    if name == "PasswordTokenAuth":  # imported when first used, with the session machinery it needs
        from ._token_auth import PasswordTokenAuth

        return PasswordTokenAuth
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
