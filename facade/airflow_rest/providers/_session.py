"""Web-session logins as ``httpx.Auth``: log in on first use, keep the session cookie, log in again
by itself when a session that was used before is rejected (once per request), one login at a time.

A provider supplies three steps: get a credential (a login token; blocking SDK calls run in a
worker thread under the async client), build the login request from it, and read the session
cookie from the login answer. Everything else (locking, expiry, re-login, secrecy) lives here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, Generic, TypeVar

import httpx

from .. import errors

log = logging.getLogger("airflow_rest.providers")
Cred = TypeVar("Cred")

REJECTED_STATUSES = frozenset({401, 403})


def session_rejected(response: httpx.Response) -> bool:
    """What an expired or unknown session gets: a login page (or a redirect to one), 401 or 403."""
    return response.status_code in REJECTED_STATUSES or errors.is_login_page(response)


def cookie_from(response: httpx.Response, name: str) -> str | None:
    """The value a response sets for cookie ``name`` (from its Set-Cookie headers), if any."""
    for header in response.headers.get_list("set-cookie"):
        first = header.split(";", 1)[0]
        key, sep, value = first.partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value or None
    return None


def _timed_like(login: httpx.Request, request: httpx.Request) -> httpx.Request:
    """``login`` with the timeout of the request that needed it: a login request is built here,
    not by the client, so it would otherwise go out with no timeout at all."""
    if "timeout" in request.extensions:
        login.extensions.setdefault("timeout", request.extensions["timeout"])
    return login


class _Fetch:
    """Marks the step of a login that needs a new credential."""


FETCH = _Fetch()


class _Session:
    __slots__ = ("generation", "used", "value")

    def __init__(self, value: str, generation: int) -> None:
        self.value = value
        self.generation = generation
        self.used = False  # answered once: a refusal may now mean it expired


class SessionLogin(httpx.Auth, Generic[Cred]):
    """Base of the provider logins. Subclasses implement ``_fetch_credential``, ``_login_request``
    and, when a credential can be reused, ``_credential_fresh``.

    A session counts as rejected when an answer is a login page, 401 or 403 *after the session
    has been used once* (a new session refused at once says a new login would not help); the
    request is then sent again after one fresh login. An answer that is rejected again is handed
    back unchanged, so the client raises its typed error with the server's message, and the new
    session is kept: a 403 may refuse the request, not the session. A login answered without a
    session cookie, or with a login page (even one that sets a cookie), raises ``LoginError``.
    """

    requires_response_body = True
    provider = "session"
    cookie_name = "session"

    def __init__(self) -> None:
        self._session: _Session | None = None
        self._generation = 0
        self._credential: Cred | None = None
        self._credential_at = 0.0
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None
        self._monotonic: Callable[[], float] = time.monotonic
        self.logins = 0  # how many logins this object has made (for tests and metrics)

    # -- provider steps ----------------------------------------------------------------------

    def _fetch_credential(self) -> Cred:
        raise NotImplementedError

    async def _afetch_credential(self) -> Cred:
        return await asyncio.to_thread(self._fetch_credential)

    def _credential_fresh(self, age: float) -> bool:
        """Whether a credential fetched ``age`` seconds ago may still be used to log in."""
        return False

    def _login_request(self, credential: Cred) -> httpx.Request:
        raise NotImplementedError

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
        refused = errors.is_login_page(response)
        value = None if refused else cookie_from(response, self.cookie_name)
        if value is None:
            if reused:
                return None
            where = f"{response.request.method} {errors.safe_url(response.request.url)}"
            if refused:
                what = "redirected to a login page" if response.is_redirect else "with a login page"
            else:
                what = f"without a {self.cookie_name!r} cookie"
            raise errors.LoginError(
                f"{self._describe()} login failed: {where} -> {response.status_code} {what}",
                provider=self.provider,
                status_code=response.status_code,
            )
        self._generation += 1
        self.logins += 1
        self._session = _Session(value, self._generation)
        log.info("%s: logged in (session %d)", self._describe(), self._generation)
        return self._session

    def _needs_login(self, stale: _Session | None) -> bool:
        current = self._session
        return current is None or (stale is not None and current.generation == stale.generation)

    def _with_cookie(self, request: httpx.Request, session: _Session) -> httpx.Request:
        cookie = f"{self.cookie_name}={session.value}"
        existing = request.headers.get("Cookie")
        if existing:
            kept = [c for c in existing.split("; ") if not c.startswith(f"{self.cookie_name}=")]
            cookie = "; ".join([*kept, cookie])
        request.headers["Cookie"] = cookie
        return request

    def _after(self, response: httpx.Response, session: _Session, used: bool) -> None:
        """Book the answer to a request sent with ``session`` (``used``: answered before)."""
        session.used = True
        if not used and session_rejected(response):
            # A new session refused at once: it is kept (the request may be what was refused), but
            # the credential behind it may be spent, so the next login asks for a new one.
            if self._session is session:
                self._credential = None
        elif response.is_success and not errors.is_login_page(response):  # a 200 login page is no success
            renewed = cookie_from(response, self.cookie_name)
            if renewed and renewed != session.value and self._session is session:
                session.value = renewed  # the server rotated the session: keep the new one

    def _login_steps(self) -> Generator[httpx.Request | _Fetch, Any, None]:
        """One login (the caller holds the lock): yields login requests to send (their answers
        come back in) or ``FETCH`` when a new credential is needed (it comes back in)."""
        credential = self._usable_credential()
        if credential is not None and self._accept_login(
            (yield self._login_request(credential)), reused=True
        ):
            return
        credential = self._store_credential((yield FETCH))
        self._accept_login((yield self._login_request(credential)), reused=False)

    def _login(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        steps = self._login_steps()
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
        if self._session is None:
            with self._lock:
                if self._needs_login(None):
                    yield from self._login(request)
        session = self._current()
        used = session.used
        response = yield self._with_cookie(request, session)
        response.read()
        if used and session_rejected(response):
            with self._lock:
                if self._needs_login(session):
                    self._log_rejected(response)
                    yield from self._login(request)
            session = self._current()
            used = session.used
            response = yield self._with_cookie(request, session)
            response.read()
        self._after(response, session, used)

    def _async_lock(self) -> asyncio.Lock:
        if self._alock is None:
            self._alock = asyncio.Lock()
        return self._alock

    async def _alogin(
        self, stale: _Session | None, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        async with self._async_lock():
            if not self._needs_login(stale):
                return
            steps = self._login_steps()
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
            if attempt or self._session is None:
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
            response = yield self._with_cookie(request, session)
            await response.aread()
            if attempt or not (used and session_rejected(response)):
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
