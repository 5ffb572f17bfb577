"""Remote Airflow CLI: one interface over AWS MWAA (``/aws_mwaa/cli``) and Alibaba Cloud DMS
(``/api/v1/command``).

    from airflow_rest.providers.cli import MwaaCli

    with MwaaCli("my-environment", region_name="eu-west-1") as cli:
        result = cli.run(["dags", "trigger", "my_dag", "--conf", '{"a": 1}'])
        print(result.stdout, result.stderr)

A command is a string (split like a shell would, with :func:`shlex.split`) or a sequence of
arguments. Before anything is sent it is checked against the commands the provider runs
(``MWAA_COMMANDS``, ``DMS_COMMANDS``; :class:`~airflow_rest.errors.UnsupportedCommandError` lists
them) and joined again with :func:`shlex.join`, so arguments with spaces or quotes arrive intact.
A leading ``airflow`` word, as in the Airflow docs, is dropped: the providers take the command
without it.

Neither provider reports an exit status: a command that failed usually still answers with what it
printed on stderr. :class:`~airflow_rest.errors.CommandError` means the command could not be run
(or its answer not read); an MWAA error status whose answer still carries the CLI's base64 output
gives the error that output, decoded, in ``stdout`` and ``stderr``.

MWAA asks callers to send one CLI request at a time per environment. Sync runners share one lock
per environment (region and name) in the process; async runners share one per environment and
event loop. Sync and async runners do not wait for each other, nor do other processes.

Nothing logged, shown in a repr or put in an error message carries the CLI token or the session
cookie. Logs and error messages name only the command words (``dags trigger``), not its arguments,
which may hold passwords; so the DMS command is hidden in the URLs httpx logs.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import shlex
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

import httpx

from .. import errors
from .._core import DEFAULT_HEADERS, TimeoutTypes, as_timeout, redact_botocore_logs, redact_httpx_logs

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "CLI_TOKEN_LIFETIME",
    "CLI_TOKEN_SAFETY_MARGIN",
    "DMS_COMMANDS",
    "MWAA_COMMANDS",
    "AsyncDmsCli",
    "AsyncMwaaCli",
    "AsyncRemoteCli",
    "CommandResult",
    "DmsCli",
    "MwaaCli",
    "PreparedCommand",
    "RemoteCli",
    "prepare_command",
]

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

DMS_COMMANDS: tuple[str, ...] = (
    "cheat-sheet",
    "connections add",
    "connections delete",
    "dags backfill",
    "dags delete",
    "dags list",
    "dags list-jobs",
    "dags list-import-errors",
    "dags list-runs",
    "dags next-execution",
    "dags pause",
    "dags report",
    "dags reserialize",
    "dags show",
    "dags state",
    "dags test",
    "dags trigger",
    "dags unpause",
    "db clean",
    "providers behaviours",
    "providers get",
    "providers hooks",
    "providers links",
    "providers list",
    "providers notifications",
    "providers secrets",
    "providers triggerer",
    "providers widgets",
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
"""The Airflow CLI commands DMS runs."""

CLI_TOKEN_LIFETIME = 60.0
"""Seconds an MWAA CLI token is valid."""
CLI_TOKEN_SAFETY_MARGIN = 15.0
"""A token is reused only while younger than ``CLI_TOKEN_LIFETIME - CLI_TOKEN_SAFETY_MARGIN``
(measured from before it was asked for), so it is still valid when the request reaches AWS."""

DEFAULT_CLI_TIMEOUT = 60.0
# Characters that would end the command on the server: NUL and every line break str.splitlines knows.
_FORBIDDEN = frozenset("\x00\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_BOTO3_MISSING = "the MWAA remote CLI needs boto3: pip install 'airflow-rest[mwaa]'"


# --- results and command preparation (pure) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a remote CLI command printed. ``command`` is the exact command line sent.

    The providers report no exit status: a failed command usually shows up as text on ``stderr``
    (which also carries Airflow's warnings)."""

    command: str
    stdout: str
    stderr: str


@dataclass(frozen=True, slots=True)
class PreparedCommand:
    """A command checked against a provider's table: its arguments, the line to send
    (``shlex.join`` of them) and the command words matched (``dags trigger``), which alone are logged."""

    args: tuple[str, ...]
    line: str
    words: str


def _tokenise(command: str | Sequence[str]) -> list[str]:
    if isinstance(command, str):
        _check_characters(command)
        try:
            return shlex.split(command)
        except ValueError as exc:
            raise ValueError(
                f"the command cannot be split into arguments ({exc}): "
                "check that its quotes are balanced, or pass a list of arguments"
            ) from None
    if isinstance(command, bytes | bytearray) or not isinstance(command, Sequence):
        raise TypeError(f"a command is a str or a sequence of str arguments, got {type(command).__name__}")
    args = list(command)
    for i, arg in enumerate(args):
        if not isinstance(arg, str):
            raise TypeError(f"command argument {i} must be a str, got {type(arg).__name__}")
        _check_characters(arg)
    return args


def _check_characters(text: str) -> None:
    bad = _FORBIDDEN.intersection(text)
    if bad:
        names = ", ".join(sorted(repr(c) for c in bad))
        raise ValueError(
            f"a remote CLI command cannot contain NUL or line breaks (found {names}): "
            "the server would cut the command there"
        )


def _match(args: Sequence[str], supported: Sequence[str]) -> str | None:
    """The command words ``args`` starts with, if they are an entry of ``supported``."""
    for entry in supported:
        words = entry.split()
        if len(args) < len(words):
            continue
        head = args[: len(words)]
        if all(w == a or (w == "*" and not a.startswith("-")) for w, a in zip(words, head, strict=True)):
            return " ".join(head)
    return None


def _unsupported(
    args: Sequence[str], supported: tuple[str, ...], provider: str
) -> errors.UnsupportedCommandError:
    asked = " ".join(args[:2])
    group = [e.split(" ", 1)[1] for e in supported if " " in e and e.split(" ", 1)[0] == args[0]]
    hint = f" Its {args[0]} commands: {', '.join(group)}." if group else ""
    star = " (* = any subcommand)" if any("*" in e for e in supported) else ""
    return errors.UnsupportedCommandError(
        f"{provider} does not run the CLI command {asked!r}.{hint} "
        f"Supported commands{star}: {', '.join(supported)}",
        supported=supported,
    )


def prepare_command(
    command: str | Sequence[str], supported: Sequence[str], *, provider: str = "the provider"
) -> PreparedCommand:
    """Check ``command`` against ``supported`` (entries like ``"dags trigger"``, ``"version"``,
    ``"providers *"``) and quote it safely for the wire.

    A string is split like a shell would (unbalanced quotes: ``ValueError``); a sequence is taken as
    the arguments themselves. A leading ``airflow`` word is dropped. Empty commands, NUL and line
    breaks are refused (``ValueError``), arguments that are not str with ``TypeError``, commands not
    in the table with ``UnsupportedCommandError`` (a ``ValueError``) whose message lists the table."""
    args = _tokenise(command)
    if args[:1] == ["airflow"]:
        args = args[1:]
    if not args:
        raise ValueError("the CLI command is empty: give a command such as 'dags list'")
    table = tuple(supported)
    words = _match(args, table)
    if words is None:
        raise _unsupported(args, table, provider)
    return PreparedCommand(args=tuple(args), line=shlex.join(args), words=words)


def _server_message(response: httpx.Response, *, hide: str | None = None, text: str | None = None) -> str:
    """Status, reason and ``text``, else the server's message (Problem JSON title/detail, else the
    body text)."""
    if text is None:
        problem = errors.problem_of(response)
        if problem is not None and (problem.get("title") or problem.get("detail")):
            parts = [str(problem.get(k)) for k in ("title", "detail") if problem.get(k) not in (None, "")]
            text = ": ".join(parts)
        else:
            text = errors.shorten(response.text) if response.content else "(empty body)"
    if hide:
        text = text.replace(hide, "***")
    status = f"{response.status_code} {response.reason_phrase or ''}".rstrip()
    return f"{status}: {text}"


def _without_query(url: httpx.URL) -> str:
    """The URL of a CLI request for messages: no query, which may carry the command's arguments."""
    return errors.safe_url(url.copy_with(query=None))


def _hide_command(arg: object) -> object:
    """A DMS command URL (``.../api/v1/command?command=...``) with the command hidden; anything else
    as it is."""
    if isinstance(arg, str) and "/command?" in arg:
        try:
            url = httpx.URL(arg)
        except httpx.InvalidURL:
            return arg
        return _hide_command(url) if url.scheme in ("http", "https") else arg
    if isinstance(arg, httpx.URL) and arg.path.endswith("/api/v1/command") and "command" in arg.params:
        return str(arg.copy_set_param("command", "***"))
    return arg


class _HideCommands(logging.Filter):
    """Hides the command (and so its arguments, passwords included) in the DMS CLI URLs httpx logs at
    INFO; it may run after the filter that turns those URLs into text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_hide_command(a) for a in record.args)
        return True


def _hide_commands_in_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _HideCommands) for f in logger.filters):
        logger.addFilter(_HideCommands())


def _transport_error(where: str, command: str, exc: httpx.TransportError) -> errors.CommandError:
    if isinstance(exc, httpx.TimeoutException):
        what = f"got no answer in time ({type(exc).__name__}); the command may still have run"
    else:
        what = f"could not be sent: {type(exc).__name__}: {exc}"
    return errors.CommandError(f"{where} {what}", command=command)


def _text_field(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} is {type(value).__name__}, not a string")
    return value


def _json_object(response: httpx.Response) -> Mapping[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"the body is a JSON {type(body).__name__}, not an object")
    return body


def _decode_base64(value: str, key: str) -> str:
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{key!r} is not base64") from None
    return raw.decode("utf-8", errors="replace")


def _mwaa_output(response: httpx.Response) -> tuple[str, str]:
    """``stdout`` and ``stderr`` of an MWAA CLI answer, base64-decoded; ``ValueError`` if it is not one."""
    body = _json_object(response)
    return (
        _decode_base64(_text_field(body, "stdout"), "stdout"),
        _decode_base64(_text_field(body, "stderr"), "stderr"),
    )


def _last_line(text: str) -> str:
    """The last line a command printed (where its error usually is), shortened for a message."""
    lines = [line for line in text.splitlines() if line.strip()]
    return errors.shorten(lines[-1]) if lines else "(no output)"


def _undecodable(where: str, response: httpx.Response, command: str, exc: Exception) -> errors.CommandError:
    content_type = response.headers.get("content-type", "unknown")
    return errors.CommandError(
        f"{where} -> {response.status_code} with an answer that is not the CLI's output "
        f"({content_type}, {len(response.content)} bytes): {exc}",
        command=command,
        status_code=response.status_code,
    )


# --- MWAA ---------------------------------------------------------------------------------------


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


def _check_boto3_options(
    mwaa_client: Any, region_name: object, boto3_session: Any, profile_name: object, endpoint_url: object
) -> None:
    """Refuses, before any call, arguments that cannot make a boto3 MWAA client or conflict."""
    if mwaa_client is not None and any(
        value is not None for value in (region_name, boto3_session, profile_name, endpoint_url)
    ):
        raise ValueError(
            "give either mwaa_client or region_name/boto3_session/profile_name/endpoint_url to make one, "
            "not both"
        )
    if boto3_session is not None and profile_name is not None:
        raise ValueError("give either boto3_session or profile_name (a session is made for it), not both")
    for key, value in (("region_name", region_name), ("profile_name", profile_name)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{key} must be a non-empty str, got {value!r}")
    if endpoint_url is not None:
        url = None
        if isinstance(endpoint_url, str):
            with contextlib.suppress(httpx.InvalidURL):
                url = httpx.URL(endpoint_url)
        if url is None or url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
            shown = errors.safe_url(url) if url is not None else type(endpoint_url).__name__
            raise ValueError(
                "endpoint_url must be an absolute http(s) URL of the MWAA API, such as "
                f"https://airflow.eu-west-1.amazonaws.com, got {shown!r}"
            )


def _import_boto3(missing: str) -> Any:
    try:
        import boto3
    except ImportError as exc:
        raise ImportError(missing) from exc
    return boto3


def _profile_session(profile_name: str | None, boto3_session: Any, *, missing: str = _BOTO3_MISSING) -> Any:
    """``boto3_session``, or a boto3 Session for ``profile_name`` made now, so that an unknown profile
    is refused (botocore's ``ProfileNotFound``) before any call."""
    if profile_name is None:
        return boto3_session
    return _import_boto3(missing).session.Session(profile_name=profile_name)


def _boto3_client(
    region_name: str | None,
    boto3_session: Any,
    *,
    endpoint_url: str | None = None,
    config: Any = None,
    missing: str = _BOTO3_MISSING,
) -> Any:
    """A boto3 MWAA client from ``boto3_session`` or the default one, with ``endpoint_url`` and
    ``config`` when given; ``missing`` is the ImportError's message when boto3 is not installed."""
    options = {k: v for k, v in (("endpoint_url", endpoint_url), ("config", config)) if v is not None}
    if boto3_session is not None:
        return boto3_session.client("mwaa", region_name=region_name, **options)
    return _import_boto3(missing).client("mwaa", region_name=region_name, **options)


def _create_cli_token(mwaa_client: Any, name: str, issued_at: float) -> _CliToken:
    """``create_cli_token(Name=name)``; SDK failures and incomplete answers become ``LoginError``."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        sdk_errors: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
    except ImportError:  # an injected client that is not botocore's
        sdk_errors = ()
    try:
        answer = mwaa_client.create_cli_token(Name=name)
    except sdk_errors as exc:
        status = None
        meta = getattr(exc, "response", None)
        if isinstance(meta, dict):
            status = meta.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise errors.LoginError(
            f"MWAA CreateCliToken for environment {name!r} failed: {exc}", provider="mwaa", status_code=status
        ) from exc
    token = answer.get("CliToken") if isinstance(answer, Mapping) else None
    host = answer.get("WebServerHostname") if isinstance(answer, Mapping) else None
    if not isinstance(token, str) or not token or not isinstance(host, str) or not host:
        raise errors.LoginError(
            f"MWAA CreateCliToken for environment {name!r} answered without a CliToken and WebServerHostname",
            provider="mwaa",
        )
    return _CliToken(token, host, issued_at)


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
        if not isinstance(name, str) or not name:
            raise ValueError("name must be the MWAA environment name")
        _check_boto3_options(mwaa_client, region_name, boto3_session, profile_name, endpoint_url)
        self.name = name
        self._timeout = as_timeout(timeout)
        self._mwaa: Any = (
            mwaa_client
            if mwaa_client is not None
            else _boto3_client(
                region_name, _profile_session(profile_name, boto3_session), endpoint_url=endpoint_url
            )
        )
        self._owns_mwaa = mwaa_client is None
        region = getattr(getattr(self._mwaa, "meta", None), "region_name", None)
        self._lock_key: _LockKey = (region if isinstance(region, str) else None, name)
        self._token: _CliToken | None = None
        self._monotonic: Callable[[], float] = time.monotonic
        redact_httpx_logs()
        redact_botocore_logs()

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
        where = f"{self._where(prepared)} POST {_without_query(response.request.url)}"
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
            raise _undecodable(where, response, prepared.line, exc) from exc
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
            message = _server_message(response, hide=token.value)
        else:
            message = _server_message(response, text=_last_line(stderr or stdout))
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

    def _close_mwaa(self) -> None:
        if self._owns_mwaa:
            close = getattr(self._mwaa, "close", None)
            if callable(close):
                close()

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
        self._token = token = _create_cli_token(self._mwaa, self.name, started)
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
                    raise _transport_error(self._where(prepared), prepared.line, exc) from exc
                result = self._outcome(response, token, fresh, prepared)
                if result is not None:
                    return result
        raise AssertionError("unreachable: a fresh token either succeeds or raises")

    def close(self) -> None:
        if self._http_client is not None:
            self._http_client.close()
        self._close_mwaa()

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
        token = await asyncio.to_thread(_create_cli_token, self._mwaa, self.name, started)
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
                    raise _transport_error(self._where(prepared), prepared.line, exc) from exc
                result = self._outcome(response, token, fresh, prepared)
                if result is not None:
                    return result
        raise AssertionError("unreachable: a fresh token either succeeds or raises")

    async def aclose(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()
        self._close_mwaa()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


# --- DMS ----------------------------------------------------------------------------------------


class _DmsBase:
    """Wire format common to both DMS runners."""

    supported_commands: tuple[str, ...] = DMS_COMMANDS

    def _setup(self, http: httpx.Client | httpx.AsyncClient, timeout: TimeoutTypes) -> None:
        path = http.base_url.path
        if not http.base_url.host or not path.rstrip("/").endswith("/api/v1"):
            raise ValueError(
                "the httpx client's base_url must be the DMS API root, {Host}/api/v1/, got "
                f"{errors.safe_url(http.base_url)!r}"
            )
        self._timeout = as_timeout(timeout)
        self._root = errors.safe_url(http.base_url)
        redact_httpx_logs()
        _hide_commands_in_httpx_logs()

    def _prepare(self, command: str | Sequence[str]) -> PreparedCommand:
        prepared = prepare_command(command, DMS_COMMANDS, provider="DMS")
        log.debug("DMS CLI %r on %s", prepared.words, self._root)
        return prepared

    def _where(self, prepared: PreparedCommand) -> str:
        return f"DMS CLI {prepared.words!r} on {self._root}:"

    def _request(self, http: httpx.Client | httpx.AsyncClient, prepared: PreparedCommand) -> httpx.Request:
        # relative to the API root, which keeps the Host's path prefix
        return http.build_request("POST", "command", params={"command": prepared.line}, timeout=self._timeout)

    def _outcome(self, response: httpx.Response, prepared: PreparedCommand) -> CommandResult:
        where = f"{self._where(prepared)} POST {_without_query(response.request.url)}"
        if errors.is_login_page(response) or response.status_code == 401:
            raise errors.CommandError(
                f"{where} -> {response.status_code}: the DMS session was not accepted "
                "(answered with a login page or 401); log in again",
                command=prepared.line,
                status_code=response.status_code,
            )
        if not response.is_success:
            raise errors.CommandError(
                f"{where} -> {_server_message(response)}",
                command=prepared.line,
                status_code=response.status_code,
            )
        try:
            body = _json_object(response)
            stdout, stderr = _text_field(body, "stdout"), _text_field(body, "stderr")
        except ValueError as exc:
            raise _undecodable(where, response, prepared.line, exc) from exc
        return CommandResult(command=prepared.line, stdout=stdout, stderr=stderr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._root!r})"


class DmsCli(_DmsBase):
    """Runs Airflow CLI commands on a DMS Airflow instance through ``{Host}/api/v1/command``.

    ``http`` is an ``httpx.Client`` whose ``base_url`` is ``{Host}/api/v1/`` and whose ``auth``
    holds the DMS session; it is not closed by the runner. ``timeout`` applies to each command."""

    def __init__(self, http: httpx.Client, *, timeout: TimeoutTypes = DEFAULT_CLI_TIMEOUT) -> None:
        if not isinstance(http, httpx.Client):
            raise TypeError(f"DmsCli needs an httpx.Client, got {type(http).__name__}")
        self._setup(http, timeout)
        self._http = http

    def run(self, command: str | Sequence[str]) -> CommandResult:
        """Run ``command`` and return what it printed."""
        prepared = self._prepare(command)
        try:
            response = self._http.send(self._request(self._http, prepared))
        except httpx.TransportError as exc:
            raise _transport_error(self._where(prepared), prepared.line, exc) from exc
        return self._outcome(response, prepared)


class AsyncDmsCli(_DmsBase):
    """The async form of :class:`DmsCli`, over an ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient, *, timeout: TimeoutTypes = DEFAULT_CLI_TIMEOUT) -> None:
        if not isinstance(http, httpx.AsyncClient):
            raise TypeError(f"AsyncDmsCli needs an httpx.AsyncClient, got {type(http).__name__}")
        self._setup(http, timeout)
        self._http = http

    async def run(self, command: str | Sequence[str]) -> CommandResult:
        """Run ``command`` and return what it printed."""
        prepared = self._prepare(command)
        try:
            response = await self._http.send(self._request(self._http, prepared))
        except httpx.TransportError as exc:
            raise _transport_error(self._where(prepared), prepared.line, exc) from exc
        return self._outcome(response, prepared)


# --- the common interface -----------------------------------------------------------------------


@runtime_checkable
class RemoteCli(Protocol):
    """What :class:`MwaaCli` and :class:`DmsCli` have in common."""

    @property
    def supported_commands(self) -> tuple[str, ...]: ...

    def run(self, command: str | Sequence[str]) -> CommandResult: ...


@runtime_checkable
class AsyncRemoteCli(Protocol):
    """What :class:`AsyncMwaaCli` and :class:`AsyncDmsCli` have in common."""

    @property
    def supported_commands(self) -> tuple[str, ...]: ...

    async def run(self, command: str | Sequence[str]) -> CommandResult: ...
