"""A typed client for the Airflow 1.x REST API plugin (teamclairvoyant ``airflow-rest-api-plugin``).

    from airflow_rest.airflow1 import Airflow1PluginClient

    with Airflow1PluginClient("https://airflow.example.com", token="changeme") as plugin:
        reply = plugin.trigger_dag("etl", conf={"day": "2017-01-02"})
        print(reply.text)

Every call is one request to ``{base_url}/admin/rest_api/api?api=<name>&<arguments>``: ``GET``, or a
multipart ``POST`` for ``deploy_dag``. ``base_url`` is the webserver root; a path prefix is kept.

Arguments
  Each method takes the arguments the plugin reads, under its names (``log-file`` is ``log_file``,
  ``import`` is ``import_``); ``call(api, **arguments)`` reaches any api by name with the same
  checks. Unknown api names and unknown arguments are refused before any request (the plugin
  would ignore a misspelt argument, so a ``clear`` with a typo in a filter would clear everything).
  Flags: ``True`` is sent as ``name=on``, ``False`` leaves the argument out (the plugin passes a
  flag when the argument is present, whatever its value, so ``name=false`` would turn it on).
  ``conf`` and ``task_params`` may be a mapping or a JSON string; either way they are sent as
  compact JSON whose spaces are written ``\\u0020``, the same JSON, which also survives older
  releases of the plugin that split argument values at spaces.

Dates
  ``execution_date`` (and ``trigger_dag``'s ``exec_date``) take a ``datetime``, a ``date``
  (midnight) or an ISO 8601 string, and are sent as ``YYYY-MM-DDTHH:MM:SS`` (with ``.ffffff`` when
  there are microseconds), without an offset, the form the Airflow 1.x CLI takes. A naive value is
  sent as it is: Airflow 1.x reads it in its ``default_timezone`` (UTC unless configured). An aware
  value is converted to UTC first, which matches a server in UTC; for a server configured with
  another ``default_timezone``, pass naive values in that zone. ``start_date``/``end_date`` of
  ``backfill`` and ``clear`` also take a ``date``, sent as ``YYYY-MM-DD``.

Authentication
  ``token`` is sent in the header ``rest_api_plugin_http_token`` (the plugin's
  ``rest_api_plugin_expected_http_token``; ``token_header`` changes the name). Under RBAC, pass a
  JWT as ``auth=BearerAuth(jwt)``; a web session as ``auth=SessionCookieAuth(cookie)``. Both may be
  given with a token. Neither the token nor any credential appears in reprs, logs or errors, and the
  values of ``conn_uri``, ``conn_extra`` and a variable's ``value`` are hidden in the URLs this
  module shows (errors, httpx's request log).

Errors
  * an HTTP error status (the plugin answers 400 for a missing argument or an unknown DAG, 403 for
    a wrong token, 500 when a refresh fails): the typed ``APIStatusError`` of
    ``errors.error_from_response`` (``BadRequestError``, ``PermissionDeniedError``...), its message
    carrying the plugin's ``output``; a login page is an ``AuthenticationError``;
  * a 2xx reply whose ``status`` is ``"ERROR"``: ``CommandError`` with the api name and output;
  * a 2xx reply that is not the plugin's JSON: ``ResponseDecodeError``;
  * no answer: ``APIConnectionError`` / ``APITimeoutError``;
  * a CLI command that failed although the plugin answered ``200 OK`` (the plugin never looks at
    the exit code): ``CommandError`` with ``stdout`` and ``stderr`` attached, unless the call is
    made with ``check=False``. The rule is kept narrow so that a command that worked is never
    called failed; a reply of a CLI-backed api is a failure when

      1. its stderr holds an uncaught Python traceback: the last ``Traceback (most recent call
         last):`` line, at the start of a line, is followed by a first frame ``in <module>`` (the
         ``airflow`` script itself, which is where a traceback that ended the process starts) and
         then by the exception line; or
      2. the last line of its stderr is an argparse error, ``airflow <command>: error: ...``
         (a bad argument; argparse exits right after printing it); or
      3. for the apis the plugin starts in the background (kerberos, worker, flower, scheduler,
         serve_logs), its stdout is ``exit_code: N`` with N other than 0.

    Other text on stderr is not taken as a failure: Airflow 1.x writes warnings and, in some
    versions, all its logging there, including the traceback of a DAG file that failed to import
    while the DagBag was filled (that traceback starts in Airflow's own code, not ``in <module>``),
    and lines such as ``airflow.exceptions.AirflowException: ...`` or ``...Error: ...`` are also
    logged for errors that were handled.

There are no retries: most plugin calls run a CLI command and are not safe to repeat.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import ssl
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeGuard, TypeVar

import httpx

from . import errors
from ._core import DEFAULT_HEADERS, TimeoutTypes, as_timeout, connection_error, redact_httpx_logs

__all__ = [
    "PLUGIN_APIS",
    "PLUGIN_PATH",
    "TOKEN_HEADER",
    "Airflow1PluginClient",
    "AsyncAirflow1PluginClient",
    "PluginReply",
    "hidden_failure",
]

log = logging.getLogger("airflow_rest")

PLUGIN_PATH = "/admin/rest_api/api"
TOKEN_HEADER = "rest_api_plugin_http_token"
_FLAG_ON = "on"
# Arguments whose values are secrets often enough to be hidden wherever a URL is shown.
_SECRET_ARGS = frozenset({"conn_uri", "conn_extra", "value"})
# The plugin runs its background apis through a shell (os.system), with values in double quotes
# in recent releases and bare in older ones: only characters that mean nothing to a shell pass.
_SHELL_SAFE = re.compile(r"[\w.,:/@=+%~-]+")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")

_Kind = Literal["text", "flag", "when", "day", "json", "extra", "set"]


@dataclass(frozen=True, slots=True)
class _Arg:
    name: str
    kind: _Kind = "text"
    required: bool = False


@dataclass(frozen=True, slots=True)
class _Api:
    name: str
    args: tuple[_Arg, ...] = ()
    background: bool = False
    cli: bool = True  # the output is a CLI command's {stderr, stdin, stdout}
    set_fields: tuple[str, ...] = ()  # the fields of the plugin's ``cmd=set`` form

    def arg(self, name: str) -> _Arg | None:
        return next((a for a in self.args if a.name == name), None)


def _req(name: str, kind: _Kind = "text") -> _Arg:
    return _Arg(name, kind, required=True)


def _flags(*names: str) -> tuple[_Arg, ...]:
    return tuple(_Arg(n, "flag") for n in names)


_SUBDIR = _Arg("subdir")
_TASK_INSTANCE = (_req("dag_id"), _req("task_id"), _req("execution_date", "when"), _SUBDIR)
_DAEMON_OUTPUT = (_Arg("stdout"), _Arg("stderr"), _Arg("log-file"))

# What the plugin reads, as in its ``apis_metadata`` (release 1.0.9, a superset of the earlier ones).
_APIS: dict[str, _Api] = {
    api.name: api
    for api in (
        _Api("version", cli=False),
        _Api("rest_api_plugin_version", cli=False),
        _Api("render", _TASK_INSTANCE),
        _Api(
            "variables",
            (
                _Arg("set", "set"),
                _Arg("get"),
                _Arg("json", "flag"),
                _Arg("default"),
                _Arg("import"),
                _Arg("export"),
                _Arg("delete"),
            ),
            set_fields=("key", "value"),
        ),
        _Api(
            "connections",
            (
                *_flags("list", "add", "delete"),
                _Arg("conn_id"),
                _Arg("conn_uri"),
                _Arg("conn_type"),
                _Arg("conn_extra", "extra"),
            ),
        ),
        _Api("pause", (_req("dag_id"), _SUBDIR)),
        _Api("unpause", (_req("dag_id"), _SUBDIR)),
        _Api("task_failed_deps", _TASK_INSTANCE),
        _Api(
            "trigger_dag",
            (_req("dag_id"), _SUBDIR, _Arg("run_id"), _Arg("conf", "json"), _Arg("exec_date", "when")),
        ),
        _Api("test", (*_TASK_INSTANCE, _Arg("dry_run", "flag"), _Arg("task_params", "json"))),
        _Api("dag_state", (_req("dag_id"), _req("execution_date", "when"), _SUBDIR)),
        _Api(
            "run",
            (
                *_TASK_INSTANCE,
                *_flags("mark_success", "force"),
                _Arg("pool"),
                _Arg("cfg_path"),
                *_flags(
                    "local",
                    "ignore_all_dependencies",
                    "ignore_dependencies",
                    "ignore_depends_on_past",
                    "ship_dag",
                ),
                _Arg("pickle"),
            ),
        ),
        _Api("list_tasks", (_req("dag_id"), _Arg("tree", "flag"), _SUBDIR)),
        _Api(
            "backfill",
            (
                _req("dag_id"),
                _Arg("task_regex"),
                _Arg("start_date", "day"),
                _Arg("end_date", "day"),
                *_flags(
                    "mark_success",
                    "local",
                    "donot_pickle",
                    "include_adhoc",
                    "ignore_dependencies",
                    "ignore_first_depends_on_past",
                ),
                _SUBDIR,
                _Arg("pool"),
                _Arg("dry_run", "flag"),
            ),
        ),
        _Api("list_dags", (_SUBDIR, _Arg("report", "flag"))),
        _Api(
            "kerberos",
            (_req("principal"), _Arg("keytab"), _Arg("pid"), _Arg("daemon", "flag"), *_DAEMON_OUTPUT),
            background=True,
        ),
        _Api(
            "worker",
            (
                _Arg("do_pickle", "flag"),
                _Arg("queues"),
                _Arg("concurrency"),
                _Arg("pid", "flag"),  # the plugin passes --pid without its value
                _Arg("daemon", "flag"),
                *_DAEMON_OUTPUT,
            ),
            background=True,
        ),
        _Api(
            "flower",
            (
                _Arg("hostname"),
                _Arg("port"),
                _Arg("flower_conf"),
                _Arg("broker_api"),
                _Arg("pid"),
                _Arg("daemon", "flag"),
                *_DAEMON_OUTPUT,
            ),
            background=True,
        ),
        _Api(
            "scheduler",
            (
                _Arg("dag_id"),
                _SUBDIR,
                _Arg("run-duration"),
                _Arg("num_runs"),
                _Arg("do_pickle"),  # the plugin passes a value to what the CLI takes as a flag
                _Arg("pid", "flag"),  # and --pid without its value
                _Arg("daemon", "flag"),
                *_DAEMON_OUTPUT,
            ),
            background=True,
        ),
        _Api("task_state", _TASK_INSTANCE),
        _Api(
            "pool",
            (_Arg("set", "set"), _Arg("get"), _Arg("delete")),
            set_fields=("pool_name", "slot_count", "pool_description"),
        ),
        _Api("serve_logs", background=True),
        _Api(
            "clear",
            (
                _req("dag_id"),
                _Arg("task_regex"),
                _Arg("start_date", "day"),
                _Arg("end_date", "day"),
                _SUBDIR,
                *_flags("upstream", "downstream", "only_failed", "only_running", "exclude_subdags"),
            ),
        ),
        _Api("deploy_dag", cli=False),
        _Api("refresh_dag", (_req("dag_id"),), cli=False),
        _Api("refresh_all_dags", cli=False),
    )
}

PLUGIN_APIS: tuple[str, ...] = tuple(_APIS)
"""The api names the plugin knows (``refresh_all_dags`` came with its later releases)."""


# ---------------------------------------------------------------------------------------------
# The reply


@dataclass(frozen=True, slots=True)
class PluginReply:
    """The plugin's reply. ``output`` is as sent: a string (``version``, ``deploy_dag``...) or,
    for CLI-backed apis, ``{"stderr", "stdin", "stdout"}``. ``arguments``, ``post_arguments`` and
    ``airflow_cmd`` echo what was sent, so they are left out of the repr."""

    status: str
    http_response_code: int | None
    call_time: str | None
    arguments: Mapping[str, Any] = field(repr=False)
    post_arguments: Mapping[str, Any] = field(repr=False)
    response_time: str | None
    output: str | Mapping[str, Any] | None
    airflow_cmd: str | None = field(repr=False)
    warning: str | None

    @property
    def stdout(self) -> str:
        """The command's standard output; ``""`` when ``output`` is a string."""
        return _stream(self.output, "stdout")

    @property
    def stderr(self) -> str:
        """The command's standard error; ``""`` when ``output`` is a string."""
        return _stream(self.output, "stderr")

    @property
    def text(self) -> str:
        """The string output, or the command's stdout."""
        return self.output if isinstance(self.output, str) else self.stdout

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> PluginReply:
        """The reply of a decoded body; ``ValueError`` if it is not the plugin's."""
        status = body.get("status")
        if not isinstance(status, str):
            raise ValueError("no 'status' string")
        output = body.get("output")
        if output is not None and not isinstance(output, str | Mapping):
            raise ValueError(f"'output' is a {type(output).__name__}, not a string or an object")
        code = body.get("http_response_code")
        return cls(
            status=status,
            http_response_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            call_time=_opt_str(body.get("call_time")),
            arguments=_mapping(body.get("arguments")),
            post_arguments=_mapping(body.get("post_arguments")),
            response_time=_opt_str(body.get("response_time")),
            output=output,
            airflow_cmd=_opt_str(body.get("airflow_cmd")),
            warning=_opt_str(body.get("warning")),
        )


def _stream(output: object, name: str) -> str:
    if not isinstance(output, Mapping):
        return ""
    value = output.get(name)
    return "" if value is None else str(value)


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _mapping(value: object) -> Mapping[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


_TRACEBACK = "Traceback (most recent call last):"
_MODULE_FRAME = re.compile(r'\s+File ".*", line \d+, in <module>')
_ARGPARSE_ERROR = re.compile(r"airflow(?: [\w-]+)*: error: .+")
_EXIT_CODE = re.compile(r"exit_code: (-?\d+)")


def hidden_failure(reply: PluginReply, *, background: bool = False) -> str | None:
    """Why a ``200 OK`` reply of a CLI-backed api shows that its command failed (the rule in the
    module's docstring), or ``None``. ``background``: the api ran in the background."""
    if not isinstance(reply.output, Mapping):
        return None
    lines = [line.rstrip() for line in reply.stderr.splitlines()]
    starts = [i for i, line in enumerate(lines) if line == _TRACEBACK]
    if starts:
        after = lines[starts[-1] + 1 :]
        first = next((line for line in after if line.strip()), "")
        exception = next((line for line in after if line.strip() and not line[0].isspace()), None)
        if _MODULE_FRAME.fullmatch(first) and exception is not None:
            return f"the command raised {exception}"
    written = [line.strip() for line in lines if line.strip()]
    if written and _ARGPARSE_ERROR.fullmatch(written[-1]):
        return f"the command refused its arguments: {written[-1]}"
    if background:
        match = _EXIT_CODE.fullmatch(reply.stdout.strip())
        if match and int(match[1]) != 0:
            return f"the shell that starts the command exited with {match[1]}"
    return None


# ---------------------------------------------------------------------------------------------
# Turning arguments into query parameters


def _format_datetime(value: dt.datetime) -> str:
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds")


def _when(value: object, what: str) -> str:
    if isinstance(value, dt.datetime):
        return _format_datetime(value)
    if isinstance(value, dt.date):
        return _format_datetime(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{what} must be an ISO 8601 date-time such as 2017-01-02T03:04:05, got {value!r}"
            ) from None
        return _format_datetime(parsed)
    raise TypeError(f"{what} must be a datetime, a date or an ISO 8601 string, got {type(value).__name__}")


def _day(value: object, what: str) -> str:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    return _when(value, what)


def _json_text(value: object, what: str, *, text_allowed: bool = False) -> str:
    if isinstance(value, str):
        raw = value
        try:
            value = json.loads(raw)
        except ValueError:
            if text_allowed:
                return raw
            raise ValueError(
                f"{what} must be a JSON object or a mapping, got text that is not JSON"
            ) from None
        if not text_allowed and not isinstance(value, dict):
            raise ValueError(f"{what} must be a JSON object, got a JSON {type(value).__name__}")
    elif not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a mapping or a JSON string, got {type(value).__name__}")
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} is not JSON-serializable: {exc}") from None
    # Compact JSON has spaces only inside strings, where \u0020 means the same.
    return text.replace(" ", "\\u0020")


def _text(value: object, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    text = str(value)
    if not text:
        raise ValueError(f"{what} must not be empty (the plugin cannot pass an empty value)")
    return text


def _python_name(name: str) -> str:
    name = name.replace("-", "_")
    return name + "_" if name in ("import",) else name


def _plugin_name(api: _Api, given: str) -> str:
    for arg in api.args:
        if given in (arg.name, _python_name(arg.name)):
            return arg.name
    accepted = ", ".join(_python_name(a.name) for a in api.args) or "none"
    raise TypeError(f"{api.name}() got an unexpected argument {given!r}; it takes: {accepted}")


def _api(name: object) -> _Api:
    if not isinstance(name, str):
        raise TypeError(f"api must be a string, got {type(name).__name__}")
    api = _APIS.get(name)
    if api is None:
        raise ValueError(f"unknown plugin api {name!r}; the plugin knows: {', '.join(PLUGIN_APIS)}")
    return api


def _encode(api: _Api, arg: _Arg, value: object) -> list[tuple[str, str]]:
    what = f"{api.name}() argument {_python_name(arg.name)}"
    if arg.kind == "flag":
        if not isinstance(value, bool):
            raise TypeError(f"{what} is a flag: pass True or False, got {type(value).__name__}")
        return [(arg.name, _FLAG_ON)] if value else []
    if arg.kind == "set":
        if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != len(api.set_fields):
            raise TypeError(f"{what} takes a tuple ({', '.join(api.set_fields)})")
        return [("cmd", "set")] + [
            (name, _text(part, f"{what} {name}")) for name, part in zip(api.set_fields, value, strict=True)
        ]
    if arg.kind == "when":
        text = _when(value, what)
    elif arg.kind == "day":
        text = _day(value, what)
    elif arg.kind in ("json", "extra"):
        text = _json_text(value, what, text_allowed=arg.kind == "extra")
    else:
        text = _text(value, what)
    if api.background and not _SHELL_SAFE.fullmatch(text):
        raise ValueError(
            f"{what} may only hold letters, digits and . , : / @ = + % ~ - _ "
            "(the plugin hands the background commands to a shell)"
        )
    return [(arg.name, text)]


def _check_combinations(api: _Api, args: Mapping[str, object]) -> None:
    given = {name for name, value in args.items() if value is not None and value is not False}
    if api.name == "backfill" and not given & {"start_date", "end_date"}:
        raise ValueError("backfill() needs start_date or end_date (or both)")
    if api.name == "connections":
        actions = given & {"list", "add", "delete"}
        if len(actions) != 1:
            raise ValueError("connections() takes exactly one of list=True, add=True, delete=True")
        if given & {"add", "delete"} and "conn_id" not in given:
            raise ValueError(f"connections({actions.pop()}=True) needs conn_id")
        if "add" in given and not given & {"conn_uri", "conn_type"}:
            raise ValueError("connections(add=True) needs conn_uri or conn_type")


@dataclass(frozen=True, slots=True)
class _Call:
    api: _Api
    method: str
    params: list[tuple[str, str]]
    check: bool
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None


def _prepare(api: _Api, args: Mapping[str, object], check: bool) -> _Call:
    """The request of a call, every argument checked and encoded, by the plugin's names."""
    for arg in api.args:
        value = args.get(arg.name)
        if arg.required and (value is None or value == ""):
            raise ValueError(f"{api.name}() needs {_python_name(arg.name)}")
    _check_combinations(api, args)
    params = [("api", api.name)]
    for arg in api.args:
        value = args.get(arg.name)
        if value is not None:
            params += _encode(api, arg, value)
    if not isinstance(check, bool):
        raise TypeError(f"check must be True or False, got {type(check).__name__}")
    return _Call(api, "GET", params, check)


def _prepare_deploy(
    dag_file: str | os.PathLike[str] | bytes,
    filename: str | None,
    force: bool,
    pause: bool,
    unpause: bool,
    check: bool,
) -> _Call:
    for name, flag in (("force", force), ("pause", pause), ("unpause", unpause), ("check", check)):
        if not isinstance(flag, bool):
            raise TypeError(f"deploy_dag() argument {name} must be True or False, got {type(flag).__name__}")
    if pause and unpause:
        raise ValueError("deploy_dag() takes pause=True or unpause=True, not both")
    if isinstance(dag_file, bytes | bytearray):
        if filename is None:
            raise ValueError("deploy_dag() needs filename= when dag_file is the file's content")
        content = bytes(dag_file)
    elif isinstance(dag_file, str | os.PathLike):
        path = Path(dag_file)
        filename = path.name if filename is None else filename
        content = path.read_bytes()
    else:
        raise TypeError(f"dag_file must be a path or the file's bytes, got {type(dag_file).__name__}")
    if not isinstance(filename, str):
        raise TypeError(f"filename must be a string, got {type(filename).__name__}")
    if (
        not filename.endswith(".py")
        or filename == ".py"
        or any(c in filename for c in "/\\\0")
        or filename.startswith(".")
    ):
        raise ValueError(
            f"deploy_dag() filename must be a plain file name ending in .py (the plugin saves it as is "
            f"in the DAGs folder), got {filename!r}"
        )
    data = {
        name: _FLAG_ON for name, flag in (("force", force), ("pause", pause), ("unpause", unpause)) if flag
    }
    return _Call(
        _APIS["deploy_dag"],
        "POST",
        [("api", "deploy_dag")],
        check,
        data=data,
        files={"dag_file": (filename, content, "text/x-python")},
    )


# ---------------------------------------------------------------------------------------------
# URLs, errors and logs


def plugin_endpoint(base_url: str | httpx.URL) -> httpx.URL:
    """``{base_url}/admin/rest_api/api``; ``base_url`` is the webserver root, with any path prefix."""
    try:
        url = httpx.URL(str(base_url))
    except httpx.InvalidURL:
        raise ValueError("base_url is not a valid URL") from None
    if url.userinfo:
        raise ValueError("base_url must not carry credentials: pass token= or auth=")
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"base_url must be an absolute http(s) URL of the Airflow webserver, got {str(url)!r}"
        )
    if url.query or url.fragment:
        raise ValueError("base_url must not carry a query or fragment")
    path = url.path.rstrip("/")
    for suffix in (PLUGIN_PATH, PLUGIN_PATH.rsplit("/", 1)[0]):
        if path.endswith(suffix):
            root = str(url.copy_with(path=path[: -len(suffix)] or "/"))
            raise ValueError(f"base_url is the webserver root (the client adds {PLUGIN_PATH}); pass {root!r}")
    return url.copy_with(path=path + PLUGIN_PATH)


def _shown_url(url: httpx.URL | str) -> str:
    """The URL as messages and logs show it: no credentials, secret argument values hidden."""
    shown = httpx.URL(errors.safe_url(url))
    if shown.query and any(name in _SECRET_ARGS for name in shown.params):
        shown = shown.copy_with(
            params=[(k, "***" if k in _SECRET_ARGS else v) for k, v in shown.params.multi_items()]
        )
    return str(shown)


class _RedactPluginArgs(logging.Filter):
    """Hides secret argument values of plugin URLs in httpx's request log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_is_plugin_url(a) for a in record.args):
            record.args = tuple(_shown_url(a) if _is_plugin_url(a) else a for a in record.args)
        return True


def _is_plugin_url(value: object) -> TypeGuard[httpx.URL | str]:
    if isinstance(value, httpx.URL):
        return value.path.endswith(PLUGIN_PATH)
    return isinstance(value, str) and value.startswith("http") and PLUGIN_PATH + "?" in value


def _redact_logs() -> None:
    redact_httpx_logs()
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactPluginArgs) for f in logger.filters):
        logger.addFilter(_RedactPluginArgs())


def _operation(api: str) -> str:
    return f"airflow1 {api}"


def _where(api: str, request: httpx.Request) -> str:
    return f"{_operation(api)}: {request.method} {_shown_url(request.url)}"


def _output_text(output: object) -> str:
    """What an output says: the string, or stderr (else stdout) of a CLI output."""
    if isinstance(output, str):
        return output
    if isinstance(output, Mapping):
        return _stream(output, "stderr").strip() or _stream(output, "stdout").strip()
    return ""


def _status_error(response: httpx.Response, api: str) -> errors.APIStatusError:
    """The typed error of an error status, with the plugin's own message when it sent one."""
    cls = type(errors.error_from_response(response, _operation(api)))
    status = response.status_code
    said = ""
    if errors.is_login_page(response):
        summary = f"{status} with a login page instead of JSON: session or credentials not accepted"
    else:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if isinstance(body, Mapping) and "status" in body:
            said = _output_text(body.get("output"))
        text = said or (errors.shorten(response.text) if response.content else "(empty body)")
        summary = f"{status} {response.reason_phrase}: {errors.shorten(text)}"
    error = cls(
        f"{_where(api, response.request)} -> {summary}",
        response=response,
        problem=errors.problem_of(response),
    )
    error.url = _shown_url(response.request.url)
    return error


def _reply_of(response: httpx.Response, call: _Call) -> PluginReply:
    """The reply of a 2xx answer; a typed error for anything else (see the module's docstring)."""
    api = call.api.name
    if not response.is_success or errors.is_login_page(response):
        raise _status_error(response, api)
    where = _where(api, response.request)
    try:
        body = json.loads(response.content)
        if not isinstance(body, Mapping):
            raise ValueError(f"a JSON {type(body).__name__}, not an object")
        reply = PluginReply.from_json(body)
    except ValueError as exc:
        content_type = response.headers.get("content-type", "unknown")
        raise errors.ResponseDecodeError(
            f"{where} -> {response.status_code} with a body that is not the plugin's JSON reply "
            f"({content_type}, {len(response.content)} bytes): {exc}",
            response=response,
        ) from exc
    code = reply.http_response_code or response.status_code
    if reply.status == "ERROR":
        said = errors.shorten(_output_text(reply.output)) or "(no output)"
        raise errors.CommandError(
            f"{where} -> the plugin answered status ERROR: {said}",
            command=api,
            status_code=code,
            stdout=reply.stdout,
            stderr=reply.stderr,
        )
    if reply.status != "OK":
        raise errors.ResponseDecodeError(
            f"{where} -> {response.status_code} with an unknown plugin status {reply.status!r}",
            response=response,
        )
    failure = hidden_failure(reply, background=call.api.background) if call.check else None
    if failure is not None:
        raise errors.CommandError(
            f"{where} -> the plugin answered OK but {failure} (check=False returns the reply anyway)",
            command=api,
            status_code=code,
            stdout=reply.stdout,
            stderr=reply.stderr,
        )
    return reply


# ---------------------------------------------------------------------------------------------
# The clients

R = TypeVar("R")
PathOrBytes = str | os.PathLike[str] | bytes
When = dt.datetime | dt.date | str
Day = dt.date | str


class _PluginMethods(Generic[R]):
    """The plugin's apis, one method each; ``R`` is the reply (sync) or an awaitable of it (async).

    Arguments are checked when the method is called, before any request. Every method takes
    ``check=False`` to skip the search for a CLI failure behind a ``200 OK``."""

    def _run(self, call: _Call) -> R:
        raise NotImplementedError

    def call(self, api: str, /, *, check: bool = True, **arguments: Any) -> R:
        """Call any api by name, with arguments by the plugin's names (``log_file`` for
        ``log-file``, ``import_`` for ``import``); ``None`` leaves an argument out."""
        target = _api(api)
        if target.name == "deploy_dag":
            return self.deploy_dag(check=check, **arguments)
        by_plugin_name: dict[str, object] = {}
        for given, value in arguments.items():
            by_plugin_name[_plugin_name(target, given)] = value
        return self._run(_prepare(target, by_plugin_name, check))

    def _call(self, api: str, check: bool, **arguments: object) -> R:
        return self._run(_prepare(_APIS[api], arguments, check))

    def version(self, *, check: bool = True) -> R:
        """Airflow's version (``reply.text``)."""
        return self._call("version", check)

    def rest_api_plugin_version(self, *, check: bool = True) -> R:
        """The plugin's version (``reply.text``)."""
        return self._call("rest_api_plugin_version", check)

    def render(
        self,
        dag_id: str,
        task_id: str,
        execution_date: When,
        *,
        subdir: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow render``: a task instance's rendered templates."""
        return self._call(
            "render", check, dag_id=dag_id, task_id=task_id, execution_date=execution_date, subdir=subdir
        )

    def variables(
        self,
        *,
        get: str | None = None,
        set: tuple[str, str] | None = None,
        json: bool = False,
        default: str | None = None,
        import_: str | None = None,
        export: str | None = None,
        delete: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow variables``; ``set=(key, value)`` (sent as ``cmd=set&key=..&value=..``), with no
        argument the variables are listed. ``import_``/``export`` are file paths on the server."""
        return self._call(
            "variables",
            check,
            set=set,
            get=get,
            json=json,
            default=default,
            export=export,
            delete=delete,
            **{"import": import_},
        )

    def connections(
        self,
        *,
        list: bool = False,
        add: bool = False,
        delete: bool = False,
        conn_id: str | None = None,
        conn_uri: str | None = None,
        conn_type: str | None = None,
        conn_extra: str | Mapping[str, Any] | None = None,
        check: bool = True,
    ) -> R:
        """``airflow connections``: exactly one of ``list``, ``add`` (``conn_id`` and ``conn_uri``
        or ``conn_type``) or ``delete`` (``conn_id``). ``conn_extra`` may be a mapping (sent as JSON)."""
        return self._call(
            "connections",
            check,
            list=list,
            add=add,
            delete=delete,
            conn_id=conn_id,
            conn_uri=conn_uri,
            conn_type=conn_type,
            conn_extra=conn_extra,
        )

    def pause(self, dag_id: str, *, subdir: str | None = None, check: bool = True) -> R:
        """``airflow pause``."""
        return self._call("pause", check, dag_id=dag_id, subdir=subdir)

    def unpause(self, dag_id: str, *, subdir: str | None = None, check: bool = True) -> R:
        """``airflow unpause``."""
        return self._call("unpause", check, dag_id=dag_id, subdir=subdir)

    def task_failed_deps(
        self,
        dag_id: str,
        task_id: str,
        execution_date: When,
        *,
        subdir: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow task_failed_deps``: why a task instance is not scheduled."""
        return self._call(
            "task_failed_deps",
            check,
            dag_id=dag_id,
            task_id=task_id,
            execution_date=execution_date,
            subdir=subdir,
        )

    def trigger_dag(
        self,
        dag_id: str,
        *,
        run_id: str | None = None,
        conf: Mapping[str, Any] | str | None = None,
        exec_date: When | None = None,
        subdir: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow trigger_dag``; ``conf`` a mapping or a JSON object string; ``exec_date`` (the
        plugin's name) the run's execution date."""
        return self._call(
            "trigger_dag", check, dag_id=dag_id, run_id=run_id, conf=conf, exec_date=exec_date, subdir=subdir
        )

    def test(
        self,
        dag_id: str,
        task_id: str,
        execution_date: When,
        *,
        subdir: str | None = None,
        dry_run: bool = False,
        task_params: Mapping[str, Any] | str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow test``: run a task instance without recording its state."""
        return self._call(
            "test",
            check,
            dag_id=dag_id,
            task_id=task_id,
            execution_date=execution_date,
            subdir=subdir,
            dry_run=dry_run,
            task_params=task_params,
        )

    def dag_state(
        self, dag_id: str, execution_date: When, *, subdir: str | None = None, check: bool = True
    ) -> R:
        """``airflow dag_state``: the state of a DAG run (the last line of ``reply.stdout``)."""
        return self._call("dag_state", check, dag_id=dag_id, execution_date=execution_date, subdir=subdir)

    def run(
        self,
        dag_id: str,
        task_id: str,
        execution_date: When,
        *,
        subdir: str | None = None,
        mark_success: bool = False,
        force: bool = False,
        pool: str | None = None,
        cfg_path: str | None = None,
        local: bool = False,
        ignore_all_dependencies: bool = False,
        ignore_dependencies: bool = False,
        ignore_depends_on_past: bool = False,
        ship_dag: bool = False,
        pickle: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow run``: run one task instance."""
        return self._call(
            "run",
            check,
            dag_id=dag_id,
            task_id=task_id,
            execution_date=execution_date,
            subdir=subdir,
            mark_success=mark_success,
            force=force,
            pool=pool,
            cfg_path=cfg_path,
            local=local,
            ignore_all_dependencies=ignore_all_dependencies,
            ignore_dependencies=ignore_dependencies,
            ignore_depends_on_past=ignore_depends_on_past,
            ship_dag=ship_dag,
            pickle=pickle,
        )

    def list_tasks(
        self, dag_id: str, *, tree: bool = False, subdir: str | None = None, check: bool = True
    ) -> R:
        """``airflow list_tasks``."""
        return self._call("list_tasks", check, dag_id=dag_id, tree=tree, subdir=subdir)

    def backfill(
        self,
        dag_id: str,
        *,
        start_date: When | None = None,
        end_date: When | None = None,
        task_regex: str | None = None,
        mark_success: bool = False,
        local: bool = False,
        donot_pickle: bool = False,
        include_adhoc: bool = False,
        ignore_dependencies: bool = False,
        ignore_first_depends_on_past: bool = False,
        subdir: str | None = None,
        pool: str | None = None,
        dry_run: bool = False,
        check: bool = True,
    ) -> R:
        """``airflow backfill`` over ``start_date``..``end_date`` (one of them at least)."""
        return self._call(
            "backfill",
            check,
            dag_id=dag_id,
            task_regex=task_regex,
            start_date=start_date,
            end_date=end_date,
            mark_success=mark_success,
            local=local,
            donot_pickle=donot_pickle,
            include_adhoc=include_adhoc,
            ignore_dependencies=ignore_dependencies,
            ignore_first_depends_on_past=ignore_first_depends_on_past,
            subdir=subdir,
            pool=pool,
            dry_run=dry_run,
        )

    def list_dags(self, *, subdir: str | None = None, report: bool = False, check: bool = True) -> R:
        """``airflow list_dags``."""
        return self._call("list_dags", check, subdir=subdir, report=report)

    def kerberos(
        self,
        principal: str,
        *,
        keytab: str | None = None,
        pid: str | None = None,
        daemon: bool = False,
        stdout: str | None = None,
        stderr: str | None = None,
        log_file: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow kerberos``, started in the background by the plugin."""
        return self._call(
            "kerberos",
            check,
            principal=principal,
            keytab=keytab,
            pid=pid,
            daemon=daemon,
            stdout=stdout,
            stderr=stderr,
            **{"log-file": log_file},
        )

    def worker(
        self,
        *,
        queues: str | None = None,
        concurrency: int | None = None,
        do_pickle: bool = False,
        daemon: bool = False,
        stdout: str | None = None,
        stderr: str | None = None,
        log_file: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow worker``, started in the background by the plugin. (The plugin passes ``pid``
        without its value, so it is left out here; ``call("worker", pid=True)`` still sends it.)"""
        return self._call(
            "worker",
            check,
            queues=queues,
            concurrency=concurrency,
            do_pickle=do_pickle,
            daemon=daemon,
            stdout=stdout,
            stderr=stderr,
            **{"log-file": log_file},
        )

    def flower(
        self,
        *,
        hostname: str | None = None,
        port: int | None = None,
        flower_conf: str | None = None,
        broker_api: str | None = None,
        pid: str | None = None,
        daemon: bool = False,
        stdout: str | None = None,
        stderr: str | None = None,
        log_file: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow flower``, started in the background by the plugin."""
        return self._call(
            "flower",
            check,
            hostname=hostname,
            port=port,
            flower_conf=flower_conf,
            broker_api=broker_api,
            pid=pid,
            daemon=daemon,
            stdout=stdout,
            stderr=stderr,
            **{"log-file": log_file},
        )

    def scheduler(
        self,
        *,
        dag_id: str | None = None,
        subdir: str | None = None,
        run_duration: int | None = None,
        num_runs: int | None = None,
        daemon: bool = False,
        stdout: str | None = None,
        stderr: str | None = None,
        log_file: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow scheduler``, started in the background by the plugin. (The plugin mishandles
        ``do_pickle`` and ``pid``, left out here; ``call("scheduler", ...)`` still sends them.)"""
        return self._call(
            "scheduler",
            check,
            dag_id=dag_id,
            subdir=subdir,
            num_runs=num_runs,
            daemon=daemon,
            stdout=stdout,
            stderr=stderr,
            **{"run-duration": run_duration, "log-file": log_file},
        )

    def task_state(
        self,
        dag_id: str,
        task_id: str,
        execution_date: When,
        *,
        subdir: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow task_state``: a task instance's state (the last line of ``reply.stdout``)."""
        return self._call(
            "task_state", check, dag_id=dag_id, task_id=task_id, execution_date=execution_date, subdir=subdir
        )

    def pool(
        self,
        *,
        get: str | None = None,
        set: tuple[str, int, str] | None = None,
        delete: str | None = None,
        check: bool = True,
    ) -> R:
        """``airflow pool``; ``set=(name, slots, description)`` (sent as ``cmd=set&pool_name=..&
        slot_count=..&pool_description=..``), with no argument the pools are listed."""
        return self._call("pool", check, set=set, get=get, delete=delete)

    def serve_logs(self, *, check: bool = True) -> R:
        """``airflow serve_logs``, started in the background by the plugin."""
        return self._call("serve_logs", check)

    def clear(
        self,
        dag_id: str,
        *,
        task_regex: str | None = None,
        start_date: When | None = None,
        end_date: When | None = None,
        subdir: str | None = None,
        upstream: bool = False,
        downstream: bool = False,
        only_failed: bool = False,
        only_running: bool = False,
        exclude_subdags: bool = False,
        check: bool = True,
    ) -> R:
        """``airflow clear --no_confirm`` (the plugin always adds it): with no filter, every task
        instance of the DAG is cleared."""
        return self._call(
            "clear",
            check,
            dag_id=dag_id,
            task_regex=task_regex,
            start_date=start_date,
            end_date=end_date,
            subdir=subdir,
            upstream=upstream,
            downstream=downstream,
            only_failed=only_failed,
            only_running=only_running,
            exclude_subdags=exclude_subdags,
        )

    def deploy_dag(
        self,
        dag_file: PathOrBytes,
        *,
        filename: str | None = None,
        force: bool = False,
        pause: bool = False,
        unpause: bool = False,
        check: bool = True,
    ) -> R:
        """Upload a DAG file into the DAGs folder (a multipart ``POST``, field ``dag_file``).

        ``dag_file`` is a path (``str`` or ``PathLike``, read now) or the file's bytes (then
        ``filename`` is needed); ``filename`` must end in ``.py``. ``force`` overwrites an existing
        file; ``pause``/``unpause`` set the new DAG's state (the plugin reports a failure to do so
        in ``reply.warning``, not as an error)."""
        return self._run(_prepare_deploy(dag_file, filename, force, pause, unpause, check))

    def refresh_dag(self, dag_id: str, *, check: bool = True) -> R:
        """Have the webserver reload one DAG."""
        return self._call("refresh_dag", check, dag_id=dag_id)

    def refresh_all_dags(self, *, check: bool = True) -> R:
        """Have the webserver reload every DAG (later releases of the plugin)."""
        return self._call("refresh_all_dags", check)


def _check_token(token: object) -> str | None:
    if token is None:
        return None
    if not isinstance(token, str):
        raise TypeError(f"token must be a string, got {type(token).__name__}")
    if not token or token != token.strip() or any(not 0x20 <= ord(c) < 0x7F for c in token):
        raise ValueError("token must be non-empty printable ASCII without surrounding spaces")
    return token


def _check_auth(auth: object) -> httpx.Auth | None:
    if auth is not None and not isinstance(auth, httpx.Auth):
        raise TypeError("auth must be an httpx.Auth, e.g. airflow_rest.BearerAuth(jwt)")
    return auth


class _Settings:
    """What both clients keep: the endpoint, the token (never shown), the httpx settings."""

    def __init__(
        self,
        base_url: str | httpx.URL,
        token: str | None,
        token_header: str,
        auth: httpx.Auth | None,
        timeout: TimeoutTypes,
    ) -> None:
        self.endpoint = plugin_endpoint(base_url)
        self.__token = _check_token(token)
        if not isinstance(token_header, str) or not _HEADER_NAME.fullmatch(token_header):
            raise ValueError("token_header must be an HTTP header name")
        self.token_header = token_header
        self.auth = _check_auth(auth)
        self.timeout = as_timeout(timeout)
        _redact_logs()

    @property
    def has_token(self) -> bool:
        return self.__token is not None

    def build(self, http: httpx.Client | httpx.AsyncClient, call: _Call) -> httpx.Request:
        headers = {self.token_header: self.__token} if self.__token is not None else None
        request = http.build_request(
            call.method,
            self.endpoint,
            params=tuple(call.params),
            data=call.data,
            files=call.files,
            headers=headers,
        )
        log.debug("%s", _where(call.api.name, request))
        return request

    def describe(self, cls: str) -> str:
        root = str(self.endpoint.copy_with(path=self.endpoint.path[: -len(PLUGIN_PATH)] or "/"))
        parts = [repr(root)]
        if self.has_token:
            parts.append("token='***'")
        if self.auth is not None:
            parts.append(f"auth={self.auth!r}")
        return f"{cls}({', '.join(parts)})"


class Airflow1PluginClient(_PluginMethods[PluginReply]):
    """The Airflow 1.x REST API plugin over a blocking connection (see the module's docstring).

    ``base_url`` is the webserver root (a path prefix is kept); ``token`` the plugin's shared
    secret, sent in the header ``token_header``; ``auth`` an ``httpx.Auth`` such as ``BearerAuth``
    (RBAC) or ``SessionCookieAuth``. Use it as a context manager, or ``close()`` it."""

    def __init__(
        self,
        base_url: str | httpx.URL,
        *,
        token: str | None = None,
        token_header: str = TOKEN_HEADER,
        auth: httpx.Auth | None = None,
        timeout: TimeoutTypes = 30.0,
        verify: bool | str | ssl.SSLContext = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._settings = _Settings(base_url, token, token_header, auth, timeout)
        self._verify = verify
        self._transport = transport
        self._http: httpx.Client | None = None

    @property
    def endpoint(self) -> str:
        """The plugin's URL: ``{base_url}/admin/rest_api/api``."""
        return str(self._settings.endpoint)

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                auth=self._settings.auth,
                headers=DEFAULT_HEADERS,
                timeout=self._settings.timeout,
                verify=self._verify,
                transport=self._transport,
                follow_redirects=False,
            )
        return self._http

    def _run(self, call: _Call) -> PluginReply:
        http = self._client()
        request = self._settings.build(http, call)
        try:
            response = http.send(request)
        except httpx.RequestError as exc:
            raise connection_error(
                _operation(call.api.name), httpx.Request(request.method, _shown_url(request.url)), exc
            ) from None
        return _reply_of(response, call)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return self._settings.describe(type(self).__name__)


class AsyncAirflow1PluginClient(_PluginMethods[Coroutine[Any, Any, PluginReply]]):
    """``Airflow1PluginClient`` for asyncio: the same methods, awaited. Arguments are checked when
    a method is called, before it is awaited. Use ``async with``, or ``await client.aclose()``."""

    def __init__(
        self,
        base_url: str | httpx.URL,
        *,
        token: str | None = None,
        token_header: str = TOKEN_HEADER,
        auth: httpx.Auth | None = None,
        timeout: TimeoutTypes = 30.0,
        verify: bool | str | ssl.SSLContext = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = _Settings(base_url, token, token_header, auth, timeout)
        self._verify = verify
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    @property
    def endpoint(self) -> str:
        """The plugin's URL: ``{base_url}/admin/rest_api/api``."""
        return str(self._settings.endpoint)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                auth=self._settings.auth,
                headers=DEFAULT_HEADERS,
                timeout=self._settings.timeout,
                verify=self._verify,
                transport=self._transport,
                follow_redirects=False,
            )
        return self._http

    async def _run(self, call: _Call) -> PluginReply:
        http = self._client()
        request = self._settings.build(http, call)
        try:
            response = await http.send(request)
        except httpx.RequestError as exc:
            raise connection_error(
                _operation(call.api.name), httpx.Request(request.method, _shown_url(request.url)), exc
            ) from None
        return _reply_of(response, call)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def close(self) -> None:
        """The same as ``aclose()``."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return self._settings.describe(type(self).__name__)
