"""Logins as ``httpx.Auth``: log in on first use, keep the session the login gave (a web session
cookie, or an Airflow 3 JWT sent as bearer), log in again by itself when a session that was used
before is refused (once per request) or is about to expire, one login at a time.

A login supplies three steps: get a credential (a login token, or a username and password; blocking
SDK calls run in a worker thread under the async client), build the login request from it, and
name the :class:`SessionKind` it gives (how the session is read from the login answer, sent, known
to be refused, and when it expires). Everything else (locking, expiry, re-login, secrecy) lives here.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Generator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ... import errors
from ..._core import redact_httpx_logs

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("airflow_rest.providers")
Cred = TypeVar("Cred")

REJECTED_STATUSES = frozenset({401, 403})
RENEW_MARGIN = 60.0  # seconds before its exp that a JWT is replaced
INVALID_JWT = "invalid jwt token"  # Airflow 3's 403 detail for a bad, expired or revoked token


def session_rejected(response: httpx.Response) -> bool:
    """What an expired or unknown session gets: a login page (or a redirect to one), 401 or 403."""
    return response.status_code in REJECTED_STATUSES or errors.is_login_page(response)


def cookie_from(response: httpx.Response, name: str) -> str | None:
    """The value a response sets for cookie ``name`` (from its Set-Cookie headers), if any; when
    redirects were followed, the latest one set along the way."""
    for answer in (response, *reversed(response.history)):
        for header in answer.headers.get_list("set-cookie"):
            first = header.split(";", 1)[0]
            key, sep, value = first.partition("=")
            if sep and key.strip() == name:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                return value or None
    return None


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (read, not verified), or None when there is none to read."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, int | float) or not math.isfinite(exp):
        return None
    return float(exp)


def _renew_at(expires_at: float | None, now: float) -> float | None:
    """When to replace a session that expires at ``expires_at``: ``RENEW_MARGIN`` before then, or
    half-way for a shorter-lived one. None (used until refused) without an expiry, or with one past
    already by this machine's clock: clocks that disagree must not cost a login per request."""
    if expires_at is None or expires_at <= now:
        return None
    return expires_at - min(RENEW_MARGIN, (expires_at - now) / 2)


def _server_message(response: httpx.Response) -> str:
    """The reason phrase of an error answer, with the server's ``detail`` when it gave one (a list
    of validation errors is shown by location and message only: their ``input`` may echo secrets)."""
    detail = (errors.problem_of(response) or {}).get("detail")
    if isinstance(detail, list):
        detail = "; ".join(
            ".".join(str(p) for p in item.get("loc", ())) + f": {item.get('msg', '')}"
            for item in detail
            if isinstance(item, dict)
        )
    reason = response.reason_phrase or "error"
    return f"{reason}: {errors.shorten(detail)}" if isinstance(detail, str) and detail else reason


def _timed_like(login: httpx.Request, request: httpx.Request) -> httpx.Request:
    """``login`` with the timeout of the request that needed it: a login request is built here,
    not by the client, so it would otherwise go out with no timeout at all."""
    if "timeout" in request.extensions:
        login.extensions.setdefault("timeout", request.extensions["timeout"])
    return login


class SessionKind(ABC):
    """What a login gives and how it is used: read from the login answer, put on each request,
    known to be refused, and when it expires."""

    carrier: str  # what a login answer must carry, for error messages

    @abstractmethod
    def read(self, response: httpx.Response) -> str | None:
        """The session a login answer gives, if it gives one."""

    @abstractmethod
    def attach(self, request: httpx.Request, value: str) -> httpx.Request:
        """``request`` carrying the session ``value``."""

    @abstractmethod
    def refused(self, response: httpx.Response) -> bool:
        """Whether ``response`` refuses the session (rather than the request)."""

    def expires_at(self, value: str) -> float | None:
        """When the session expires (Unix time), if it says."""
        return None

    def renewed(self, response: httpx.Response) -> str | None:
        """A new value for the session that an API answer sets, if any."""
        return None


class CookieSession(SessionKind):
    """A web session cookie (Airflow 2's web server): set by the login answer, sent back as that
    cookie, refused with a login page, 401 or 403; the server may rotate it in any answer."""

    def __init__(self, name: str = "session") -> None:
        self.name = name
        self.carrier = f"a {name!r} cookie"

    def read(self, response: httpx.Response) -> str | None:
        return cookie_from(response, self.name)

    def attach(self, request: httpx.Request, value: str) -> httpx.Request:
        cookie = f"{self.name}={value}"
        existing = request.headers.get("Cookie")
        if existing:
            kept = [c for c in existing.split("; ") if not c.startswith(f"{self.name}=")]
            cookie = "; ".join([*kept, cookie])
        request.headers["Cookie"] = cookie
        return request

    def refused(self, response: httpx.Response) -> bool:
        return session_rejected(response)

    def renewed(self, response: httpx.Response) -> str | None:
        return cookie_from(response, self.name)


class BearerJwt(SessionKind):
    """An Airflow 3 JWT sent as ``Authorization: Bearer``: the ``access_token`` of the login's JSON
    answer or, given ``cookie``, the value of that cookie. Refused with 401, a login page, or 403
    "Invalid JWT token" (bad, expired or revoked); any other 403 refuses the request, not the
    token. Replaced ``RENEW_MARGIN`` seconds before its ``exp``."""

    def __init__(self, cookie: str | None = None) -> None:
        self.cookie = cookie
        self.carrier = "an access_token" if cookie is None else f"a {cookie!r} cookie"

    def read(self, response: httpx.Response) -> str | None:
        if self.cookie is not None:
            return cookie_from(response, self.cookie)
        if not response.is_success:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        token = body.get("access_token") if isinstance(body, dict) else None
        return token if isinstance(token, str) and token else None

    def attach(self, request: httpx.Request, value: str) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {value}"
        return request

    def refused(self, response: httpx.Response) -> bool:
        status = response.status_code
        if status == 403:
            return INVALID_JWT in response.text[:2000].lower()
        return status == 401 or errors.is_login_page(response)

    def expires_at(self, value: str) -> float | None:
        return jwt_expiry(value)


WEB_SESSION = CookieSession("session")


class _Fetch:
    """Marks the step of a login that needs a new credential."""


FETCH = _Fetch()


class _Session:
    __slots__ = ("generation", "renew_at", "used", "value")

    def __init__(self, value: str, generation: int, renew_at: float | None) -> None:
        self.value = value
        self.generation = generation
        self.renew_at = renew_at  # Unix time after which the next request logs in first
        self.used = False  # answered once: a refusal may now mean it expired


class SessionLogin(httpx.Auth, Generic[Cred]):
    """Base of the logins. Subclasses implement ``_fetch_credential`` and ``_login_request``; and,
    when a credential can be reused, ``_credential_fresh``; and, for a session other than the
    ``session`` cookie, ``_kind``.

    A session counts as refused (``SessionKind.refused``) *after it has been used once* (a new
    session refused at once says a new login would not help); the request is then sent again after
    one fresh login. An answer that is refused again is handed back unchanged, so the client raises
    its typed error with the server's message, and the new session is kept: a 403 may refuse the
    request, not the session. A session that says when it expires is replaced shortly before. A
    login answered without a session, or with a login page (even one that sets a cookie), raises
    ``LoginError``.
    """

    requires_response_body = True
    provider = "session"

    def __init__(self) -> None:
        self._session: _Session | None = None
        self._generation = 0
        self._credential: Cred | None = None
        self._credential_at = 0.0
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None
        self._monotonic: Callable[[], float] = time.monotonic  # ages credentials
        self._wall_clock: Callable[[], float] = time.time  # compared with a session's expiry
        self.logins = 0  # how many logins this object has made (for tests and metrics)
        redact_httpx_logs()  # it may be given to any httpx client, not only to ours

    # -- login steps -------------------------------------------------------------------------

    def _fetch_credential(self) -> Cred:
        raise NotImplementedError

    async def _afetch_credential(self) -> Cred:
        import asyncio  # imported when first needed: it costs more than the rest of the client

        return await asyncio.to_thread(self._fetch_credential)

    def _credential_fresh(self, age: float) -> bool:
        """Whether a credential fetched ``age`` seconds ago may still be used to log in."""
        return False

    def _login_request(self, credential: Cred, request: httpx.Request) -> httpx.Request:
        """The login request for ``credential``; ``request`` is the request that needs the login."""
        raise NotImplementedError

    def _kind(self) -> SessionKind:
        return WEB_SESSION

    def _describe(self) -> str:
        return self.provider

    # -- shared machinery ---------------------------------------------------------------------

    def seed_credential(self, credential: Cred) -> None:
        """Use ``credential`` for the first login (a factory fetched it to learn the host)."""
        self._credential = credential
        self._credential_at = self._monotonic()

    def _usable_credential(self) -> Cred | None:
        if self._credential is not None and self._credential_fresh(self._monotonic() - self._credential_at):
            return self._credential
        return None

    def _store_credential(self, credential: Cred) -> Cred:
        self._credential = credential
        self._credential_at = self._monotonic()
        return credential

    def _accept_login(self, response: httpx.Response, reused: bool) -> _Session | None:
        """The new session from a login answer; None when a reused credential was refused. A login
        page is a refusal whatever cookie it sets (Flask sets one for its flash message)."""
        kind = self._kind()
        refused = errors.is_login_page(response)
        value = None if refused else kind.read(response)
        if value is None:
            if reused:
                return None
            where = f"{response.request.method} {errors.safe_url(response.request.url)}"
            if refused:
                what = "redirected to a login page" if response.is_redirect else "with a login page"
            elif response.is_error:
                what = _server_message(response)
            else:
                what = f"without {kind.carrier}"
            raise errors.LoginError(
                f"{self._describe()} login failed: {where} -> {response.status_code} {what}",
                provider=self.provider,
                status_code=response.status_code,
            )
        self._generation += 1
        self.logins += 1
        renew_at = _renew_at(kind.expires_at(value), self._wall_clock())
        self._session = _Session(value, self._generation, renew_at)
        log.info("%s: logged in (session %d)", self._describe(), self._generation)
        return self._session

    def _expiring(self, session: _Session) -> bool:
        return session.renew_at is not None and self._wall_clock() >= session.renew_at

    def _needs_login(self, stale: _Session | None) -> bool:
        """Whether to log in now: no session yet, the ``stale`` one refused is still current, or
        the current one is about to expire."""
        current = self._session
        return (
            current is None
            or (stale is not None and current.generation == stale.generation)
            or self._expiring(current)
        )

    def _after(self, response: httpx.Response, session: _Session, used: bool) -> None:
        """Book the answer to a request sent with ``session`` (``used``: answered before)."""
        session.used = True
        kind = self._kind()
        if not used and kind.refused(response):
            # A new session refused at once: it is kept (the request may be what was refused), but
            # the credential behind it may be spent, so the next login asks for a new one.
            if self._session is session:
                self._credential = None
        elif response.is_success and not errors.is_login_page(response):  # a 200 login page is no success
            renewed = kind.renewed(response)
            if renewed and renewed != session.value and self._session is session:
                session.value = renewed  # the server rotated the session: keep the new one

    def _login_steps(self, request: httpx.Request) -> Generator[httpx.Request | _Fetch, Any, None]:
        """One login (the caller holds the lock): yields login requests to send (their answers
        come back in) or ``FETCH`` when a new credential is needed (it comes back in)."""
        current = self._session
        if current is not None and self._expiring(current):
            log.info("%s: session %d expires soon; logging in again", self._describe(), current.generation)
        credential = self._usable_credential()
        if credential is not None and self._accept_login(
            (yield self._login_request(credential, request)), reused=True
        ):
            return
        credential = self._store_credential((yield FETCH))
        self._accept_login((yield self._login_request(credential, request)), reused=False)

    def _login(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        steps = self._login_steps(request)
        try:
            step = next(steps)
            while True:
                if isinstance(step, _Fetch):
                    step = steps.send(self._fetch_credential())
                else:
                    response = yield _timed_like(step, request)
                    response.read()
                    step = steps.send(response)
        except StopIteration:
            pass

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._needs_login(None):
            with self._lock:
                if self._needs_login(None):
                    yield from self._login(request)
        session = self._current()
        used = session.used
        response = yield self._kind().attach(request, session.value)
        response.read()
        if used and self._kind().refused(response):
            with self._lock:
                if self._needs_login(session):
                    self._log_rejected(response)
                    yield from self._login(request)
            session = self._current()
            used = session.used
            response = yield self._kind().attach(request, session.value)
            response.read()
        self._after(response, session, used)

    def _async_lock(self) -> asyncio.Lock:
        if self._alock is None:
            import asyncio

            self._alock = asyncio.Lock()
        return self._alock

    async def _alogin(
        self, stale: _Session | None, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        async with self._async_lock():
            if not self._needs_login(stale):
                return
            steps = self._login_steps(request)
            try:
                step = next(steps)
                while True:
                    if isinstance(step, _Fetch):
                        step = steps.send(await self._afetch_credential())
                    else:
                        response = yield _timed_like(step, request)
                        await response.aread()
                        step = steps.send(response)
            except StopIteration:
                pass

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        stale: _Session | None = None
        for attempt in range(2):
            if attempt or self._needs_login(None):
                login = self._alogin(stale, request)
                try:
                    step = await login.__anext__()
                    while True:
                        step = await login.asend((yield step))
                except StopAsyncIteration:
                    pass
                finally:  # a request that fails mid-login: release the login lock now, not when collected
                    await login.aclose()
            session = self._current()
            used = session.used
            response = yield self._kind().attach(request, session.value)
            await response.aread()
            if attempt or not (used and self._kind().refused(response)):
                break
            self._log_rejected(response)
            stale = session
        self._after(response, session, used)

    def _current(self) -> _Session:
        session = self._session
        if session is None:  # a login either stores a session or raises
            raise errors.LoginError(f"{self._describe()}: no session after login", provider=self.provider)
        return session

    def _log_rejected(self, response: httpx.Response) -> None:
        log.info("%s: session rejected (HTTP %d); logging in again", self._describe(), response.status_code)

    def __repr__(self) -> str:
        state = "logged in" if self._session is not None else "not logged in"
        return f"{type(self).__name__}({self._describe()}, {state})"
