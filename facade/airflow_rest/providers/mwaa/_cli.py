"""The MWAA remote CLI: ``POST https://{WebServerHostname}/aws_mwaa/cli`` with a CLI token.

    from airflow_rest.providers import mwaa

    with mwaa.cli("my-environment", region_name="eu-west-1") as cli:
        result = cli.run(["dags", "trigger", "my_dag", "--conf", '{"a": 1}'])
        print(result.stdout, result.stderr)

``create_cli_token(Name=...)`` gives ``CliToken`` (valid 60 s) and ``WebServerHostname``; the command
line is the body (``text/plain``, bearer the CLI token), the answer ``{"stdout": <base64>, "stderr":
<base64>}``, decoded here. The endpoint and the token are the same on Airflow 2 and 3; the commands
checked are the Airflow 2 ones MWAA documents (``MWAA_COMMANDS``). An error status whose answer still
carries the CLI's base64 output gives the ``CommandError`` that output, decoded, in ``stdout`` and
``stderr``.

MWAA asks callers to send one CLI request at a time per environment. Sync runners share one lock
per environment (region and name) in the process; async runners share one per environment and
event loop. Sync and async runners do not wait for each other, nor do other processes. Nothing
logged, shown in a repr or put in an error message carries the CLI token.
"""

from __future__ import annotations

import base64
import binascii
import logging
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from ... import errors
from ..._core import DEFAULT_HEADERS, TimeoutTypes, as_timeout, redact_httpx_logs
from .._shared.remote_cli import (
    DEFAULT_CLI_TIMEOUT,
    CommandResult,
    PreparedCommand,
    json_object,
    prepare_command,
    server_message,
    text_field,
    transport_error,
    undecodable,
    without_query,
)
from ._aws import Environment

if TYPE_CHECKING:
    import asyncio

__all__ = ["CLI_TOKEN_LIFETIME", "CLI_TOKEN_SAFETY_MARGIN", "MWAA_COMMANDS", "AsyncMwaaCli", "MwaaCli"]

log = logging.getLogger(__name__)


# "group subcommand" or a single word; "*" stands for any subcommand ("providers (all)").
MWAA_COMMANDS: tuple[str, ...] = (
    "cheat-sheet",
    "connections add",
    "connections delete",
    "dags backfill",
    "dags delete",
    "dags list",
    "dags list-jobs",
    "dags list-runs",
    "dags next-execution",
    "dags pause",
    "dags report",
    "dags show",
    "dags state",
    "dags test",
    "dags trigger",
    "dags unpause",
    "providers *",
    "roles create",
    "roles list",
    "tasks clear",
    "tasks failed-deps",
    "tasks list",
    "tasks render",
    "tasks state",
    "tasks states-for-dag-run",
    "tasks test",
    "variables delete",
    "variables get",
    "variables set",
    "variables list",
    "version",
)
"""The Airflow 2 CLI commands MWAA runs."""

CLI_TOKEN_LIFETIME = 60.0
"""Seconds an MWAA CLI token is valid."""
CLI_TOKEN_SAFETY_MARGIN = 15.0
"""A token is reused only while younger than ``CLI_TOKEN_LIFETIME - CLI_TOKEN_SAFETY_MARGIN``
(measured from before it was asked for), so it is still valid when the request reaches AWS."""


def _decode_base64(value: str, key: str) -> str:
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{key!r} is not base64") from None
    return raw.decode("utf-8", errors="replace")


def _mwaa_output(response: httpx.Response) -> tuple[str, str]:
    """``stdout`` and ``stderr`` of an MWAA CLI answer, base64-decoded; ``ValueError`` if it is not one."""
    body = json_object(response)
    return (
        _decode_base64(text_field(body, "stdout"), "stdout"),
        _decode_base64(text_field(body, "stderr"), "stderr"),
    )


def _last_line(text: str) -> str:
    """The last line a command printed (where its error usually is), shortened for a message."""
    lines = [line for line in text.splitlines() if line.strip()]
    return errors.shorten(lines[-1]) if lines else "(no output)"


class _CliToken:
    """An MWAA CLI token, the web server it is for, and when it was asked for (monotonic clock)."""

    __slots__ = ("host", "issued_at", "value")

    def __init__(self, value: str, host: str, issued_at: float) -> None:
        self.value = value
        self.host = host
        self.issued_at = issued_at

    def reusable(self, now: float) -> bool:
        return now - self.issued_at < CLI_TOKEN_LIFETIME - CLI_TOKEN_SAFETY_MARGIN

    def __repr__(self) -> str:
        return f"_CliToken(host={self.host!r}, value='***')"


_LockKey = tuple[str | None, str]
_registry_lock = threading.Lock()
_thread_locks: dict[_LockKey, threading.Lock] = {}
_loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_LockKey, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _thread_lock(key: _LockKey) -> threading.Lock:
    """The lock sync runners of one environment share."""
    with _registry_lock:
        return _thread_locks.setdefault(key, threading.Lock())


def _loop_lock(key: _LockKey) -> asyncio.Lock:
    """The lock async runners of one environment share within the running event loop."""
    import asyncio

    loop = asyncio.get_running_loop()
    with _registry_lock:
        locks = _loop_locks.setdefault(loop, {})
        lock = locks.get(key)
        if lock is None:
            lock = locks[key] = asyncio.Lock()
        return lock


class _MwaaBase:
    """Settings, token cache and wire format common to both MWAA runners."""

    supported_commands: tuple[str, ...] = MWAA_COMMANDS

    def _setup(
        self,
        name: str,
        *,
        mwaa_client: Any,
        region_name: str | None,
        boto3_session: Any,
        profile_name: str | None,
        endpoint_url: str | None,
        timeout: TimeoutTypes,
    ) -> None:
        self._environment = Environment(
            name,
            purpose="the MWAA remote CLI",
            mwaa_client=mwaa_client,
            region_name=region_name,
            boto3_session=boto3_session,
            profile_name=profile_name,
            endpoint_url=endpoint_url,
        )
        self.name = name
        self._timeout = as_timeout(timeout)
        region = getattr(getattr(self._environment.client(), "meta", None), "region_name", None)
        self._lock_key: _LockKey = (region if isinstance(region, str) else None, name)
        self._token: _CliToken | None = None
        self._monotonic: Callable[[], float] = time.monotonic
        redact_httpx_logs()

    def _new_token(self, issued_at: float) -> _CliToken:
        """A new CLI token from ``create_cli_token`` (a blocking call); its failure, or an answer
        without the token and host, as ``LoginError``."""
        answer = self._environment.call("create_cli_token")
        token, host = answer.get("CliToken"), answer.get("WebServerHostname")
        if not isinstance(token, str) or not token or not isinstance(host, str) or not host:
            raise errors.LoginError(
                f"MWAA create_cli_token for {self.name!r} answered without a CliToken and WebServerHostname",
                provider="mwaa",
            )
        return _CliToken(token, host, issued_at)

    def _reusable_token(self) -> _CliToken | None:
        token = self._token
        if token is not None and token.reusable(self._monotonic()):
            return token
        self._token = None
        return None

    def _where(self, prepared: PreparedCommand) -> str:
        return f"MWAA CLI {prepared.words!r} on environment {self.name!r}:"

    def _request(
        self, http: httpx.Client | httpx.AsyncClient, token: _CliToken, prepared: PreparedCommand
    ) -> httpx.Request:
        return http.build_request(
            "POST",
            httpx.URL(scheme="https", host=token.host, path="/aws_mwaa/cli"),
            content=prepared.line.encode("utf-8"),
            headers={"Authorization": f"Bearer {token.value}", "Content-Type": "text/plain"},
            timeout=self._timeout,
        )

    def _outcome(
        self, response: httpx.Response, token: _CliToken, fresh: bool, prepared: PreparedCommand
    ) -> CommandResult | None:
        """The result of a 2xx answer; ``None`` when a reused token was refused (fetch a new one and
        try again); ``CommandError`` otherwise."""
        where = f"{self._where(prepared)} POST {without_query(response.request.url)}"
        refused = response.status_code in (401, 403) or errors.is_login_page(response)
        if refused and not fresh:
            log.debug(
                "MWAA CLI token for environment %r refused (%s): asking for a new one",
                self.name,
                response.status_code,
            )
            self._token = None
            return None
        if refused:
            self._token = None
            raise self._failed(where, response, token, prepared, "a new CLI token was not accepted: ")
        if not response.is_success:
            raise self._failed(where, response, token, prepared)
        try:
            stdout, stderr = _mwaa_output(response)
        except ValueError as exc:
            raise undecodable(where, response, prepared.line, exc) from exc
        return CommandResult(command=prepared.line, stdout=stdout, stderr=stderr)

    def _failed(
        self,
        where: str,
        response: httpx.Response,
        token: _CliToken,
        prepared: PreparedCommand,
        what: str = "",
    ) -> errors.CommandError:
        """The error for an error status; an answer in the CLI's own form (base64 ``stdout`` and
        ``stderr``) gives the error its decoded output, and the message the last line printed."""
        try:
            stdout, stderr = (text.replace(token.value, "***") for text in _mwaa_output(response))
        except ValueError:
            stdout = stderr = ""
            message = server_message(response, hide=token.value)
        else:
            message = server_message(response, text=_last_line(stderr or stdout))
        return errors.CommandError(
            f"{where} -> {what}{message}",
            command=prepared.line,
            status_code=response.status_code,
            stdout=stdout,
            stderr=stderr,
        )

    def _prepare(self, command: str | Sequence[str]) -> PreparedCommand:
        prepared = prepare_command(command, MWAA_COMMANDS, provider="MWAA")
        log.debug("MWAA CLI %r on environment %r", prepared.words, self.name)
        return prepared

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class MwaaCli(_MwaaBase):
    """Runs Airflow CLI commands on an MWAA environment through ``/aws_mwaa/cli``.

    ``mwaa_client`` is a boto3 MWAA client; without one, one is made from ``boto3_session`` (or a
    session for ``profile_name``, or boto3's default session), ``region_name`` and ``endpoint_url``.
    A CLI token is reused while it is younger than ``CLI_TOKEN_LIFETIME - CLI_TOKEN_SAFETY_MARGIN``
    seconds; a reused token that is refused (401/403) is replaced once. Runners of the same
    environment send one command at a time."""

    def __init__(
        self,
        name: str,
        *,
        mwaa_client: Any = None,
        region_name: str | None = None,
        boto3_session: Any = None,
        profile_name: str | None = None,
        endpoint_url: str | None = None,
        timeout: TimeoutTypes = DEFAULT_CLI_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self._setup(
            name,
            mwaa_client=mwaa_client,
            region_name=region_name,
            boto3_session=boto3_session,
            profile_name=profile_name,
            endpoint_url=endpoint_url,
            timeout=timeout,
        )
        self._transport = transport
        self._verify = verify
        self._http_client: httpx.Client | None = None

    @property
    def _http(self) -> httpx.Client:
        if self._http_client is None:  # made on first use: building the TLS context costs ~0.1 s
            self._http_client = httpx.Client(
                headers=DEFAULT_HEADERS,
                transport=self._transport,
                verify=self._verify,
                follow_redirects=False,
            )
        return self._http_client

    def _current_token(self) -> tuple[_CliToken, bool]:
        """The token to use and whether it was just asked for."""
        token = self._reusable_token()
        if token is not None:
            return token, False
        started = self._monotonic()
        self._token = token = self._new_token(started)
        log.debug("MWAA CLI token for environment %r created", self.name)
        return token, True

    def run(self, command: str | Sequence[str]) -> CommandResult:
        """Run ``command`` (``"dags trigger my_dag"`` or ``["dags", "trigger", "my_dag"]``) and
        return what it printed."""
        prepared = self._prepare(command)
        with _thread_lock(self._lock_key):
            for _ in range(2):  # the second round always has a fresh token
                token, fresh = self._current_token()
                request = self._request(self._http, token, prepared)
                try:
                    response = self._http.send(request)
                except httpx.TransportError as exc:
                    raise transport_error(self._where(prepared), prepared.line, exc) from exc
                result = self._outcome(response, token, fresh, prepared)
                if result is not None:
                    return result
        raise AssertionError("unreachable: a fresh token either succeeds or raises")

    def close(self) -> None:
        if self._http_client is not None:
            self._http_client.close()
        self._environment.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncMwaaCli(_MwaaBase):
    """The async form of :class:`MwaaCli`: ``await cli.run(...)``. The boto3 call runs in a worker
    thread."""

    def __init__(
        self,
        name: str,
        *,
        mwaa_client: Any = None,
        region_name: str | None = None,
        boto3_session: Any = None,
        profile_name: str | None = None,
        endpoint_url: str | None = None,
        timeout: TimeoutTypes = DEFAULT_CLI_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self._setup(
            name,
            mwaa_client=mwaa_client,
            region_name=region_name,
            boto3_session=boto3_session,
            profile_name=profile_name,
            endpoint_url=endpoint_url,
            timeout=timeout,
        )
        self._transport = transport
        self._verify = verify
        self._http_client: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._http_client is None:
            self._http_client = httpx.AsyncClient(
                headers=DEFAULT_HEADERS,
                transport=self._transport,
                verify=self._verify,
                follow_redirects=False,
            )
        return self._http_client

    async def _current_token(self) -> tuple[_CliToken, bool]:
        import asyncio

        token = self._reusable_token()
        if token is not None:
            return token, False
        started = self._monotonic()
        token = await asyncio.to_thread(self._new_token, started)
        self._token = token
        log.debug("MWAA CLI token for environment %r created", self.name)
        return token, True

    async def run(self, command: str | Sequence[str]) -> CommandResult:
        """Run ``command`` and return what it printed."""
        prepared = self._prepare(command)
        async with _loop_lock(self._lock_key):
            for _ in range(2):
                token, fresh = await self._current_token()
                request = self._request(self._http, token, prepared)
                try:
                    response = await self._http.send(request)
                except httpx.TransportError as exc:
                    raise transport_error(self._where(prepared), prepared.line, exc) from exc
                result = self._outcome(response, token, fresh, prepared)
                if result is not None:
                    return result
        raise AssertionError("unreachable: a fresh token either succeeds or raises")

    async def aclose(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()
        self._environment.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
