"""The DMS remote CLI: ``POST {Host}/api/v1/command?command=<command line>`` over the client's
session, answered ``{"stdout": ..., "stderr": ...}`` in plain text.

    from airflow_rest.providers import dms

    with dms.client("cn-hangzhou", "af-123") as client:
        print(dms.cli(client).run("dags list-runs -d etl").stdout)

Commands are checked against ``DMS_COMMANDS``. The command line travels in the query string, so
the command (and so its arguments, passwords included) is hidden in the URLs httpx logs and in
error messages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx

from ... import errors
from ..._core import TimeoutTypes, as_timeout, redact_httpx_logs
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

__all__ = ["DMS_COMMANDS", "AsyncDmsCli", "DmsCli"]

log = logging.getLogger(__name__)

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
        where = f"{self._where(prepared)} POST {without_query(response.request.url)}"
        if errors.is_login_page(response) or response.status_code == 401:
            raise errors.CommandError(
                f"{where} -> {response.status_code}: the DMS session was not accepted "
                "(answered with a login page or 401); log in again",
                command=prepared.line,
                status_code=response.status_code,
            )
        if not response.is_success:
            raise errors.CommandError(
                f"{where} -> {server_message(response)}",
                command=prepared.line,
                status_code=response.status_code,
            )
        try:
            body = json_object(response)
            stdout, stderr = text_field(body, "stdout"), text_field(body, "stderr")
        except ValueError as exc:
            raise undecodable(where, response, prepared.line, exc) from exc
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
            raise transport_error(self._where(prepared), prepared.line, exc) from exc
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
            raise transport_error(self._where(prepared), prepared.line, exc) from exc
        return self._outcome(response, prepared)
