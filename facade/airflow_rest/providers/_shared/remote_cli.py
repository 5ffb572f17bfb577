"""The remote Airflow CLI, what MWAA (``/aws_mwaa/cli``) and DMS (``{Host}/api/v1/command``) share:
commands checked and quoted, results, answers read, errors named.

A command is a string (split like a shell would, with :func:`shlex.split`) or a sequence of
arguments. Before anything is sent it is checked against the commands the provider runs
(``mwaa.MWAA_COMMANDS``, ``dms.DMS_COMMANDS``; :class:`~airflow_rest.errors.UnsupportedCommandError`
lists them) and joined again with :func:`shlex.join`, so arguments with spaces or quotes arrive
intact. A leading ``airflow`` word, as in the Airflow docs, is dropped: the providers take the
command without it.

Neither provider reports an exit status: a command that failed usually still answers with what it
printed on stderr. :class:`~airflow_rest.errors.CommandError` means the command could not be run
(or its answer not read). Logs and error messages name only the command words (``dags trigger``),
not its arguments, which may hold passwords.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx

from ... import errors

__all__ = [
    "DEFAULT_CLI_TIMEOUT",
    "AsyncRemoteCli",
    "CommandResult",
    "PreparedCommand",
    "RemoteCli",
    "prepare_command",
]

DEFAULT_CLI_TIMEOUT = 60.0
# Characters that would end the command on the server: NUL and every line break str.splitlines knows.
_FORBIDDEN = frozenset("\x00\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


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


# --- answers and errors, for the runners ---------------------------------------------------------


def server_message(response: httpx.Response, *, hide: str | None = None, text: str | None = None) -> str:
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


def without_query(url: httpx.URL) -> str:
    """The URL of a CLI request for messages: no query, which may carry the command's arguments."""
    return errors.safe_url(url.copy_with(query=None))


def transport_error(where: str, command: str, exc: httpx.TransportError) -> errors.CommandError:
    """A command that got no answer: it may have run (timeout) or was never sent."""
    if isinstance(exc, httpx.TimeoutException):
        what = f"got no answer in time ({type(exc).__name__}); the command may still have run"
    else:
        what = f"could not be sent: {type(exc).__name__}: {exc}"
    return errors.CommandError(f"{where} {what}", command=command)


def text_field(body: Mapping[str, Any], key: str) -> str:
    """The string ``body[key]``; ``ValueError`` if it is not one."""
    value = body.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} is {type(value).__name__}, not a string")
    return value


def json_object(response: httpx.Response) -> Mapping[str, Any]:
    """The answer's JSON object; ``ValueError`` if it is not one."""
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"the body is a JSON {type(body).__name__}, not an object")
    return body


def undecodable(where: str, response: httpx.Response, command: str, exc: Exception) -> errors.CommandError:
    """The error for an answer that is not the CLI's output."""
    content_type = response.headers.get("content-type", "unknown")
    return errors.CommandError(
        f"{where} -> {response.status_code} with an answer that is not the CLI's output "
        f"({content_type}, {len(response.content)} bytes): {exc}",
        command=command,
        status_code=response.status_code,
    )


# --- the common interface -----------------------------------------------------------------------


@runtime_checkable
class RemoteCli(Protocol):
    """What ``mwaa.MwaaCli`` and ``dms.DmsCli`` have in common."""

    @property
    def supported_commands(self) -> tuple[str, ...]: ...

    def run(self, command: str | Sequence[str]) -> CommandResult: ...


@runtime_checkable
class AsyncRemoteCli(Protocol):
    """What ``mwaa.AsyncMwaaCli`` and ``dms.AsyncDmsCli`` have in common."""

    @property
    def supported_commands(self) -> tuple[str, ...]: ...

    async def run(self, command: str | Sequence[str]) -> CommandResult: ...
