"""Configuration, providers, event logs, DAG source, task instance dependencies, connection tests and
reparsing.

What the real server answers here comes from data files captured from a default Airflow 2.11.2
(``data/config_default.json``, ``data/providers.json``, ``data/dag_sources.json``) and from its
source (``data/event_logs.json``: which events the API views and task runs write).
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from ._connections import _CONNECTION_BODY
from ._model import _NOT_STARTED, _TI, DAGS_FOLDER, TI_FINISHED, UNIXNAME, WORKER_HOSTNAME, FakeDag, FakeTask
from ._state import FakeAirflowState, _locked
from ._wire import (
    JSON,
    Call,
    Reply,
    Text,
    _Abort,
    _apply_sorting,
    _bad_request,
    _check_limit,
    _Invalid,
    _iso,
    _load,
    _not_found,
    _offset,
    _page,
    _parse_dt,
    _redact,
    _server_error,
    _unsign,
    problem,
)

HTML = "text/html; charset=utf-8"  # Flask's type for a plain ``Response("...")``
HIDDEN = "< hidden >"
NOT_EXPOSED = (
    "Your Airflow administrator chose not to expose the configuration, most likely for security reasons."
)
TEST_CONNECTION_DISABLED = (
    "Testing connections is disabled in Airflow configuration. Contact your deployment admin to enable it."
)
# path parameters Flask hands the views as ints (``<int:map_index>``); the event log writes them so
_INT_PATH_PARAMS = frozenset({"map_index", "task_try_number", "import_error_id", "event_log_id"})
_EVENT_LOG_ORDER = (
    "event_log_id",
    "when",
    "dag_id",
    "task_id",
    "run_id",
    "event",
    "execution_date",
    "owner",
    "extra",
)
_TRUE, _FALSE = ("t", "true", "1"), ("f", "false", "0")  # AirflowConfigParser.getboolean
_QUEUEABLE = frozenset({"scheduled"})  # what the dependencies endpoint evaluates, and the valid state
_SUCCESSFUL = frozenset({"success", "skipped"})
_OPERATOR_MODULES = {
    "BashOperator": "airflow.operators.bash",
    "PythonOperator": "airflow.operators.python",
    "EmptyOperator": "airflow.operators.empty",
}


@cache
def _data(name: str) -> Any:
    """A data file of ``fake/data`` (each says where it came from under ``about``)."""
    return json.loads(resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8"))


# --- content negotiation: werkzeug's MIMEAccept.best_match ----------------------------------------

_MIME_SPLIT = re.compile(r"/|(?:[ \t]*;[ \t]*)")
_Q_VALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")


def _specificity(value: str) -> tuple[bool, ...]:
    return tuple(part != "*" for part in _MIME_SPLIT.split(value))


def _parse_accept(header: str | None) -> list[tuple[str, float]]:
    """The Accept header's media ranges, most specific and then best quality first."""
    items: list[tuple[str, float]] = []
    for part in (header or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        quality, params, valid = 1.0, [], True
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                valid = _Q_VALUE.fullmatch(value.strip(" \t")) is not None
                quality = float(value) if valid else 0.0
            elif param:
                params.append(param)
        if valid:
            items.append(("; ".join([pieces[0], *params]), quality))
    return sorted(items, key=lambda item: (_specificity(item[0]), item[1]), reverse=True)


def _mime_matches(offer: str, item: str) -> bool:
    if "/" not in item:
        return False
    offer_type, offer_sub, *offer_params = _MIME_SPLIT.split(offer.lower())
    item_type, item_sub, *item_params = _MIME_SPLIT.split(item.lower())
    if item_type == "*" and item_sub != "*":
        return False
    if item_type == "*" or (offer_type == "*" and offer_sub == "*"):
        return True
    return item_type == offer_type and (
        item_sub == "*"
        or offer_sub == "*"
        or (item_sub == offer_sub and sorted(item_params) == sorted(offer_params))
    )


def best_match(accept: str | None, offers: Sequence[str]) -> str | None:
    """What ``request.accept_mimetypes.best_match(offers)`` picks: None without an Accept header."""
    items = _parse_accept(accept)
    result, best_quality = None, -1.0
    best_specificity: tuple[bool, ...] = ()
    for offer in offers:
        found = next(((item, q) for item, q in items if _mime_matches(offer, item)), None)
        if found is None:
            continue
        item, quality = found
        specificity = _specificity(item)
        if quality <= 0 or quality < best_quality:
            continue
        if quality > best_quality or specificity > best_specificity:
            result, best_quality, best_specificity = offer, quality, specificity
    return result


def _accept(call: Call) -> str | None:
    """The request's Accept header; a call made without any header (straight to ``handle``, not
    over HTTP) asks for JSON."""
    return call.headers.get("accept") if call.headers else "application/json"


# --- the event log --------------------------------------------------------------------------------


@dataclass
class _Event:
    id: int
    dttm: datetime
    event: str
    owner: str | None
    extra: str | None = None
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    execution_date: datetime | None = None

    def json(self) -> JSON:
        return {
            "dag_id": self.dag_id,
            "event": self.event,
            "event_log_id": self.id,
            "execution_date": _iso(self.execution_date),
            "extra": self.extra,
            "map_index": self.map_index,
            "owner": self.owner,
            "run_id": self.run_id,
            "task_id": self.task_id,
            "try_number": self.try_number,
            "when": _iso(self.dttm),
        }

    def value(self, name: str) -> Any:
        return {"event_log_id": self.id, "when": self.dttm}.get(name, getattr(self, name, None))


def _caller(headers: dict[str, str]) -> str:
    """The user name of the request's Basic credentials; Airflow writes "anonymous" without a user."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(token.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            pass
    return str(_data("event_logs.json")["anonymous_owner"])


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return str(value[-1]) if value else ""
    return str(value)


def _mask_variable_fields(fields: Iterable[tuple[str, Any]]) -> JSON:
    """``airflow.www.decorators._mask_variable_fields``: the value masked by the variable's key."""
    result: JSON = {}
    key_name = None
    for name, value in fields:
        if name == "key":
            key_name = value
            result[name] = value
        elif key_name and name in ("val", "value"):
            result[name] = _redact(value, key_name if isinstance(key_name, str) else None)
            key_name = None
        else:
            result[name] = value
    return result


def _mask_connection_fields(fields: Iterable[tuple[str, Any]]) -> JSON:
    """``airflow.www.decorators._mask_connection_fields``: fields masked by name, extra by its keys."""
    result: JSON = {}
    for name, value in fields:
        if name == "extra" and value and isinstance(value, str):
            try:
                extra = json.loads(value)
            except ValueError:
                result[name] = "Encountered non-JSON in `extra` field"
                continue
            items = extra.items() if isinstance(extra, dict) else []
            result[name] = {k: _redact(v, k) for k, v in items}
        else:
            result[name] = _redact(value, name)
    return result


# --- DAG source of DAGs the fake made up ----------------------------------------------------------


def _schedule_source(schedule: str | timedelta | None) -> str:
    if isinstance(schedule, timedelta):
        return f"datetime.timedelta(seconds={int(schedule.total_seconds())})"
    return repr(schedule)


def _made_up_source(dag: FakeDag) -> str:
    """A DAG file that would define ``dag``: its tasks, operators and dependencies."""
    tasks: list[FakeTask] = dag.tasks
    modules: dict[str, set[str]] = {}
    for task in tasks:
        module = task.module_path or _OPERATOR_MODULES.get(task.operator, "airflow.models.baseoperator")
        modules.setdefault(module, set()).add(task.operator)
    imports = "".join(
        f"from {module} import {', '.join(sorted(names))}\n" for module, names in sorted(modules.items())
    )
    start = dag.start_date or datetime(2024, 1, 1)
    lines = [
        "from __future__ import annotations",
        "",
        "import datetime",
        "",
        "import pendulum",
        "",
        "from airflow.models.dag import DAG",
        imports.rstrip("\n"),
        "",
        "with DAG(",
        f"    dag_id={dag.dag_id!r},",
        f"    schedule={_schedule_source(dag.schedule_interval)},",
        f'    start_date=pendulum.datetime({start.year}, {start.month}, {start.day}, tz="UTC"),',
        f"    catchup={dag.catchup!r},",
        f"    tags={list(dag.tags)!r},",
        ") as dag:",
        "    tasks = {",
        *(f"        {t.task_id!r}: {t.operator}(task_id={t.task_id!r})," for t in tasks),
        "    }",
        *(f"    tasks[{t.task_id!r}] >> tasks[{d!r}]" for t in tasks for d in t.downstream),
    ]
    return "\n".join(lines) + "\n"


# --- the mixin ------------------------------------------------------------------------------------


class AdminMixin(FakeAirflowState):
    """Configuration (``[webserver] expose_config``, ``[core] test_connection``), providers, the
    event log the fake's own actions write, DAG sources, task instance dependencies and DAG file
    reparsing requests."""

    def __init__(self, *, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(now=now)
        self._config: dict[str, dict[str, str]] = copy.deepcopy(_data("config_default.json")["sections"])
        self._events: list[_Event] = []
        self._dag_sources: dict[str, str] = {}
        self._parse_requests: list[str] = []
        self._connection_tests: dict[str, tuple[bool, str]] = {}

    # --- seeding and read access ------------------------------------------------------------------

    @_locked
    def set_config(self, section: str, option: str, value: str) -> None:
        """Set ``[section] option`` as an ``AIRFLOW__SECTION__OPTION`` variable would; e.g.
        ``set_config("webserver", "expose_config", "True")`` (a default Airflow: ``False``) or
        ``set_config("core", "test_connection", "Enabled")`` (default ``Disabled``)."""
        self._config.setdefault(section.lower(), {})[option.lower()] = str(value)

    @property
    @_locked
    def config(self) -> dict[str, dict[str, str]]:
        """The configuration by section and option, with sensitive values shown."""
        return copy.deepcopy(self._config)

    @property
    @_locked
    def event_logs(self) -> list[JSON]:
        """Every event log entry as ``GET /eventLogs`` shows it, oldest first."""
        return [event.json() for event in self._events]

    @_locked
    def add_event_log(
        self,
        event: str,
        *,
        owner: str | None = None,
        extra: str | None = None,
        dag_id: str | None = None,
        task_id: str | None = None,
        run_id: str | None = None,
    ) -> JSON:
        """Write an event log entry as some other part of Airflow would (a CLI command, the UI)."""
        return self._add_event(event, owner, extra, dag_id=dag_id, task_id=task_id, run_id=run_id).json()

    @_locked
    def set_dag_source(self, dag_id: str, source: str) -> None:
        """The source text of the file ``dag_id`` is defined in (else: the example DAG's text for the
        default DAGs, a made-up file for the others)."""
        dag = self._dag(dag_id)
        if dag is None or dag.fileloc is None:
            raise LookupError(f"no DAG {dag_id!r}")
        self._dag_sources[dag.fileloc] = source

    @_locked
    def set_connection_test_result(self, conn_type: str, status: bool, message: str) -> None:
        """What testing a connection of ``conn_type`` answers once ``[core] test_connection`` is
        ``Enabled`` (else the server's answer for a type without a hook)."""
        self._connection_tests[conn_type] = (status, message)

    @property
    @_locked
    def parse_requests(self) -> list[str]:
        """DAG files ``PUT /parseDagFile`` asked to reparse that the DAG processor has yet to pick up."""
        return list(self._parse_requests)

    @_locked
    def process_parse_requests(self) -> list[str]:
        """What the DAG processor does with them: parse each file now (``last_parsed_time``) and
        forget the requests. The files it parsed."""
        done, self._parse_requests = self._parse_requests, []
        for dag in self.dags.values():
            if dag.fileloc in done:
                dag.last_parsed_time = self.now()
        return done

    # --- configuration ----------------------------------------------------------------------------

    def _exposure(self) -> tuple[bool, bool]:
        """``[webserver] expose_config``: (exposed, sensitive values shown)."""
        value = self._config.get("webserver", {}).get("expose_config", "False")
        if value.lower() == "non-sensitive-only":
            return True, False
        lowered = value.strip().lower()
        if lowered not in _TRUE + _FALSE:
            raise _server_error()
        return lowered in _TRUE, True

    @staticmethod
    def _config_reply(content_type: str, sections: list[tuple[str, list[tuple[str, str]]]]) -> Reply:
        if content_type == "text/plain":
            text = "\n".join(
                f"[{name}]\n" + "\n".join(f"{key} = {value}" for key, value in options) + "\n"
                for name, options in sections
            )
            return 200, Text(text, "text/plain")
        return 200, {
            "sections": [
                {"name": name, "options": [{"key": key, "value": value} for key, value in options]}
                for name, options in sections
            ]
        }

    def _op_get_config(self, call: Call) -> Reply:
        content_type = best_match(_accept(call), ("text/plain", "application/json"))
        exposed, sensitive_shown = self._exposure()
        if content_type is None:
            return 406, Text("", HTML)
        if not exposed:
            raise _Abort((403, problem(403, "Forbidden", NOT_EXPOSED)))
        section = call.query.get("section")
        if section and section not in self._config:
            raise _not_found("section not found.", f"section={section} not found.")
        sensitive = {tuple(pair) for pair in _data("config_default.json")["sensitive"]}
        sections = [
            (
                name,
                [
                    (key, HIDDEN if not sensitive_shown and (name, key) in sensitive and value else value)
                    for key, value in options.items()
                ],
            )
            for name, options in self._config.items()
            if not section or name == section
        ]
        return self._config_reply(content_type, sections)

    def _op_get_value(self, call: Call) -> Reply:
        section, option = call.path["section"], call.path["option"]
        content_type = best_match(_accept(call), ("text/plain", "application/json"))
        exposed, _ = self._exposure()
        if content_type is None:
            return 406, Text("", HTML)
        if not exposed:
            raise _Abort((403, problem(403, "Forbidden", NOT_EXPOSED)))
        value = self._config.get(section.lower(), {}).get(option.lower())
        if value is None:
            raise _not_found("Config not found.", f"The option [{section}/{option}] is not found in config.")
        sensitive = {tuple(pair) for pair in _data("config_default.json")["sensitive"]}
        if (section.lower(), option.lower()) in sensitive:
            value = HIDDEN
        return self._config_reply(content_type, [(section, [(option, value)])])

    # --- providers --------------------------------------------------------------------------------

    def _op_get_providers(self, call: Call) -> Reply:
        providers = copy.deepcopy(_data("providers.json")["providers"])
        return 200, {"providers": providers, "total_entries": len(providers)}

    # --- event logs -------------------------------------------------------------------------------

    def _add_event(self, event: str, owner: str | None, extra: str | None, **fields: Any) -> _Event:
        entry = _Event(len(self._events) + 1, self.now(), event, owner, extra, **fields)
        self._events.append(entry)
        return entry

    def _record_call(self, operation: str, call: Call) -> None:
        """``airflow.www.decorators.action_logging`` of the views ``operation`` runs."""
        spec = _data("event_logs.json")
        events: list[str] = spec["api"].get(operation, [])
        if not events:
            return
        if call.raw_query:
            values = list(call.raw_query)
        else:
            values = [(name, _query_text(value)) for name, value in call.query.items()]
        view_args: JSON = {
            name: int(value) if name in _INT_PATH_PARAMS and str(value).lstrip("-").isdigit() else value
            for name, value in call.path.items()
        }
        body = call.body
        content_type = call.headers.get("content-type", "application/json")
        json_body = body if isinstance(body, dict) and body and "application/json" in content_type else None
        skip = set(spec["skip_fields"])
        fields = {
            name: _redact(value, name)
            for name, value in itertools.chain(values, view_args.items())
            if name not in skip
        }
        params: JSON = {**dict(values), **view_args}
        for name in events:
            mask = next((kind for prefix, kind in spec["masks"].items() if name.startswith(prefix)), None)
            source = list(json_body.items()) if json_body is not None else list(fields.items())
            if mask == "variable":
                extra = _mask_variable_fields(source)
            elif mask == "connection":
                extra = _mask_connection_fields(source)
            elif json_body is not None:
                extra = {**fields, **{k: _redact(v, k) for k, v in json_body.items()}}
            else:
                extra = dict(fields)
            if "is_paused" in params:
                extra["is_paused"] = params["is_paused"] == "false"
            execution_date = None
            if "execution_date" in dict(values):
                try:
                    execution_date = _parse_dt(dict(values)["execution_date"])
                except ValueError:
                    execution_date = None
            self._add_event(
                spec["api_prefix"] + name,
                _caller(call.headers),
                json.dumps(extra),
                dag_id=params.get("dag_id"),
                task_id=params.get("task_id"),
                run_id=params.get("run_id") or params.get("dag_run_id"),
                execution_date=execution_date,
            )

    def _record_task_run(self, ti: _TI, previous: str | None, state: str | None) -> None:
        """What ``airflow tasks run`` writes as an attempt starts and ends (``set_task_state``)."""
        spec = _data("event_logs.json")["task_run"]
        ran_through = state in ("success", "failed") and previous in _NOT_STARTED
        started = (state == "running" and previous != "running") or ran_through
        finished = state in spec["finished"] and (previous == "running" or ran_through)
        if started:
            for name in spec["started"]:
                if name == spec["cli_event"]:
                    self._cli_task_run(ti, name, spec)
                else:
                    self._ti_event(ti, name)
        if finished:
            self._ti_event(ti, spec["finished"][state])

    def _ti_event(self, ti: _TI, name: str) -> None:
        run = self._runs.get((ti.dag_id, ti.run_id))
        dag = self._dag(ti.dag_id)
        task = dag.task(ti.task_id) if dag else None
        self._add_event(
            name,
            task.owner if task else None,
            None,
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            run_id=ti.run_id,
            map_index=ti.map_index,
            try_number=ti.try_number,
            execution_date=run.logical_date if run else None,
        )

    def _cli_task_run(self, ti: _TI, name: str, spec: JSON) -> None:
        dag = self._dag(ti.dag_id)
        fileloc = dag.fileloc if dag and dag.fileloc else f"{DAGS_FOLDER}/{ti.dag_id}.py"
        relative = fileloc.removeprefix(DAGS_FOLDER).lstrip("/")
        words = {"dag_id": ti.dag_id, "task_id": ti.task_id, "run_id": ti.run_id, "file": relative}
        words["map_index"] = str(ti.map_index)
        command = [part.format(**words) for part in spec["cli_command"]]
        if ti.map_index >= 0:
            command += [part.format(**words) for part in spec["cli_map_index"]]
        extra = json.dumps({"host_name": WORKER_HOSTNAME, "full_command": str(command)})
        self._add_event(name, UNIXNAME, extra, dag_id=ti.dag_id, task_id=ti.task_id)

    def _op_get_event_logs(self, call: Call) -> Reply:
        q = call.query
        limit, offset = _check_limit(q), _offset(q)
        events: list[_Event] = list(self._events)
        for name in ("dag_id", "task_id", "run_id", "map_index", "try_number", "owner", "event"):
            if q.get(name):  # the server skips empty and zero values
                events = [e for e in events if getattr(e, name) == q[name]]
        if q.get("included_events"):
            included = str(q["included_events"]).split(",")
            events = [e for e in events if e.event in included]
        if q.get("excluded_events"):
            excluded = str(q["excluded_events"]).split(",")
            events = [e for e in events if e.event not in excluded]
        try:
            before = _parse_dt(q["before"]) if q.get("before") else None
            after = _parse_dt(q["after"]) if q.get("after") else None
        except ValueError:
            raise _server_error() from None
        events = [
            e for e in events if (before is None or e.dttm < before) and (after is None or e.dttm > after)
        ]
        ordered = _apply_sorting(
            events, q.get("order_by", "event_log_id"), lambda e, name: e.value(name), _EVENT_LOG_ORDER
        )
        return 200, {
            "event_logs": [e.json() for e in _page(ordered, offset, limit)],
            "total_entries": len(events),
        }

    def _op_get_event_log(self, call: Call) -> Reply:
        wanted = int(call.path["event_log_id"])
        for event in self._events:
            if event.id == wanted:
                return 200, event.json()
        raise _not_found("Event Log not found")

    # --- DAG source and reparsing -----------------------------------------------------------------

    def _dags_in(self, token: str) -> tuple[str | None, list[FakeDag]]:
        try:
            path = _unsign(token)
        except ValueError:
            return None, []
        return path, [d for d in self.dags.values() if isinstance(path, str) and d.fileloc == path]

    def _source_of(self, path: str, dags: Sequence[FakeDag]) -> str:
        if path in self._dag_sources:
            return self._dag_sources[path]
        folder, _, name = path.rpartition("/")
        captured: dict[str, str] = _data("dag_sources.json")["sources"]
        if folder == DAGS_FOLDER and name in captured:
            return captured[name]
        return "\n\n".join(_made_up_source(dag) for dag in dags)

    def _op_get_dag_source(self, call: Call) -> Reply:
        path, dags = self._dags_in(call.path["file_token"])
        if path is None:
            raise _not_found("Dag source not found")
        if not dags:  # a well signed token for a file without DAG code: DagCodeNotFound, unhandled
            raise _server_error()
        source = self._source_of(path, dags)
        content_type = best_match(_accept(call), ("text/plain", "application/json"))
        if content_type == "text/plain":
            return 200, Text(source, "text/plain")
        if content_type == "application/json":
            return 200, {"content": source}
        return 406, Text("Not Allowed Accept Header", HTML)

    def _op_reparse_dag_file(self, call: Call) -> Reply:
        path, dags = self._dags_in(call.path["file_token"])
        if path is None or not dags:
            raise _not_found("File not found")
        if path in self._parse_requests:  # the request's primary key is the file's hash
            return 201, Text("Duplicate request", HTML)
        self._parse_requests.append(path)
        return 201, Text("", HTML)

    # --- connection test --------------------------------------------------------------------------

    def _op_test_connection(self, call: Call) -> Reply:
        setting = self._config.get("core", {}).get("test_connection", "Disabled")
        if setting.lower().strip() != "enabled":
            return 403, Text(TEST_CONNECTION_DISABLED, HTML)
        try:
            data = _load(call.body, _CONNECTION_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        conn_type = str(data.get("conn_type"))
        status, message = self._connection_tests.get(conn_type, (False, f'Unknown hook type "{conn_type}"'))
        return 200, {"message": message, "status": status}

    # --- task instance dependencies ---------------------------------------------------------------

    def _op_get_task_instance_dependencies(self, call: Call) -> Reply:
        return self._dependencies(call, -1)

    def _op_get_mapped_task_instance_dependencies(self, call: Call) -> Reply:
        return self._dependencies(call, int(call.path["map_index"]))

    def _dependencies(self, call: Call, map_index: int) -> Reply:
        dag_id, run_id, task_id = call.path["dag_id"], call.path["dag_run_id"], call.path["task_id"]
        ti = self._tis.get((dag_id, run_id, task_id, map_index))
        if ti is None:
            raise _not_found(
                f"Task Instance not found for dag_id={dag_id}, run_id={run_id}, task_id={task_id}"
            )
        deps: list[JSON] = []
        dag = self._dag(dag_id)
        task = dag.task(task_id) if dag else None
        if ti.state in (None, "scheduled") and dag is not None and task is not None:
            deps = [{"name": name, "reason": reason} for name, reason in self._failed_deps(dag, task, ti)]
            deps.sort(key=lambda dep: dep["name"])
        return 200, {"dependencies": deps}

    def _failed_deps(self, dag: FakeDag, task: FakeTask, ti: _TI) -> list[tuple[str, str]]:
        """The failing ``SCHEDULER_QUEUED_DEPS`` and task deps the scheduler evaluates for ``ti``."""
        run = self._runs[(ti.dag_id, ti.run_id)]
        now, logical = self.now(), run.logical_date
        failed: list[tuple[str, str]] = []
        if logical > now:
            failed.append(
                (
                    "Execution Date",
                    f"Execution date {logical.isoformat()} is in the future "
                    f"(the current date is {now.isoformat()}).",
                )
            )
        for end, whose in ((task.end_date, "task's"), (dag.end_date, "task's DAG's")):
            if end and logical > end:
                failed.append(
                    (
                        "Execution Date",
                        f"The execution date is {logical.isoformat()} but this is after "
                        f"the {whose} end date {end.isoformat()}.",
                    )
                )
        for start, whose in ((task.start_date, "task's"), (dag.start_date, "task's DAG's")):
            if start and logical < start:
                failed.append(
                    (
                        "Execution Date",
                        f"The execution date is {logical.isoformat()} but this is before "
                        f"the {whose} start date {start.isoformat()}.",
                    )
                )
        if ti.state not in _QUEUEABLE:
            failed.append(("Task Instance State", f"Task is in the '{ti.state}' state."))
        running = sum(
            1 for other in self._tis.values() if other.dag_id == dag.dag_id and other.state == "running"
        )
        if running >= dag.max_active_tasks:
            failed.append(
                (
                    "Task Instance Slots Available",
                    f"The maximum number of running tasks ({dag.max_active_tasks}) for this task's DAG "
                    f"'{dag.dag_id}' has been reached.",
                )
            )
        failed += self._pool_dep(ti)
        if run.state != "running":
            failed.append(
                (
                    "Dagrun Running",
                    f"Task instance's dagrun was not in the 'running' state but in the state '{run.state}'.",
                )
            )
        if run.run_type == "backfill":
            failed.append(
                (
                    "DagRun is not backfill job",
                    f"Task's DagRun run_type is {run.run_type} and cannot be run by the scheduler",
                )
            )
        if dag.is_paused:
            failed.append(("Dag Not Paused", f"Task's DAG '{dag.dag_id}' is paused."))
        failed += self._previous_run_dep(dag, task, ti)
        failed += self._trigger_rule_dep(dag, task, ti)
        return failed

    def _pool_dep(self, ti: _TI) -> list[tuple[str, str]]:
        pool = self._pools.get(ti.pool)
        if pool is None:
            return [
                ("Pool Slots Available", f"Tasks using non-existent pool '{ti.pool}' will not be scheduled")
            ]
        occupied_states = {"running", "queued"} | ({"deferred"} if pool.get("include_deferred") else set())
        slots = int(pool["slots"])
        if slots == -1:
            return []
        occupied = sum(
            other.pool_slots
            for other in self._tis.values()
            if other.pool == ti.pool and other.state in occupied_states
        )
        open_slots = slots - occupied
        if ti.state in occupied_states:
            open_slots += ti.pool_slots
        if open_slots <= ti.pool_slots - 1:
            return [
                (
                    "Pool Slots Available",
                    f"Not scheduling since there are {open_slots} open slots in pool {ti.pool} "
                    f"and require {ti.pool_slots} pool slots",
                )
            ]
        return []

    def _previous_run_dep(self, dag: FakeDag, task: FakeTask, ti: _TI) -> list[tuple[str, str]]:
        if not task.depends_on_past:
            return []
        run = self._runs[(ti.dag_id, ti.run_id)]
        earlier = [
            r
            for r in self._runs.values()
            if r.dag_id == run.dag_id
            and r.logical_date < run.logical_date
            and (not dag.catchup or r.run_type != "manual")
        ]
        if not earlier:
            return []
        last = max(earlier, key=lambda r: r.logical_date)
        if dag.catchup and task.start_date and last.logical_date < task.start_date:
            return []
        previous = [t for t in self._run_tis(last) if t.task_id == ti.task_id]
        if not previous:
            return [
                (
                    "Previous Dagrun State",
                    "depends_on_past is true for this task's DAG, but the previous task instance "
                    "has not run yet.",
                )
            ]
        unsuccessful = sum(1 for t in previous if t.state not in _SUCCESSFUL)
        if unsuccessful:
            return [
                (
                    "Previous Dagrun State",
                    f"depends_on_past is true for this task, but {unsuccessful} previous task instance(s) "
                    "are not in a successful state.",
                )
            ]
        if task.wait_for_downstream and any(
            t.task_id in task.downstream and t.state not in _SUCCESSFUL for t in self._run_tis(last)
        ):
            return [
                (
                    "Previous Dagrun State",
                    "The tasks downstream of the previous task instance(s) haven't completed, "
                    "and wait_for_downstream is True.",
                )
            ]
        return []

    def _trigger_rule_dep(self, dag: FakeDag, task: FakeTask, ti: _TI) -> list[tuple[str, str]]:
        """``TriggerRuleDep`` without setup tasks or mapped task groups."""
        upstream_tasks = [t for t in dag.tasks if task.task_id in t.downstream]
        rule = task.trigger_rule
        if not upstream_tasks or rule == "always":
            return []
        upstream_ids = {t.task_id for t in upstream_tasks}
        run_tis = [t for t in self._run_tis(self._runs[(ti.dag_id, ti.run_id)]) if t.task_id in upstream_ids]
        finished = [t for t in run_tis if t.state in TI_FINISHED]
        counts = {s: sum(1 for t in finished if t.state == s) for s in TI_FINISHED}
        success, skipped, failed = counts["success"], counts["skipped"], counts["failed"]
        upstream_failed, removed, done = counts["upstream_failed"], counts["removed"], len(finished)
        upstream = len(run_tis) if any(t.is_mapped for t in upstream_tasks) else len(upstream_tasks)
        upstream_done = done >= upstream
        states = (
            f"upstream_states=_UpstreamTIStates(success={success}, skipped={skipped}, failed={failed}, "
            f"upstream_failed={upstream_failed}, removed={removed}, done={done}, success_setup=0, "
            f"skipped_setup=0), upstream_task_ids={{{', '.join(repr(i) for i in sorted(upstream_ids))}}}"
        )
        mapped = ti.map_index > -1
        head = f"Task's trigger rule '{rule}' requires"
        reason: str | None = None
        if rule == "one_success" and success <= 0:
            reason = f"{head} one upstream task success, but none were found. {states}"
        elif rule == "one_failed" and not failed and not upstream_failed:
            reason = f"{head} one upstream task failure, but none were found. {states}"
        elif rule == "one_done" and success + failed <= 0:
            reason = (
                f"{head} at least one upstream task failure or success but none were failed or "
                f"success. {states}"
            )
        elif rule == "all_success":
            failures = upstream - success - (removed if mapped else 0)
            if failures > 0:
                reason = (
                    f"{head} all upstream tasks to have succeeded, but found {failures} "
                    f"non-success(es). {states}"
                )
        elif rule == "all_failed":
            successes = upstream - failed - upstream_failed - (removed if mapped else 0)
            if successes > 0:
                reason = (
                    f"{head} all upstream tasks to have failed, but found {successes} "
                    f"non-failure(s). {states}"
                )
        elif rule in ("all_done", "all_done_setup_success"):
            if not upstream_done:
                reason = (
                    f"{head} all upstream tasks to have completed, but found "
                    f"{len(upstream_tasks) - done} task(s) that were not done. {states}"
                )
        elif rule in ("none_failed", "none_failed_min_one_success"):
            failures = upstream - success - skipped - (removed if mapped else 0)
            if failures > 0:
                reason = (
                    f"{head} all upstream tasks to have succeeded or been skipped, but found {failures} "
                    f"non-success(es). {states}"
                )
        elif rule == "none_skipped":
            if not upstream_done or skipped > 0:
                reason = (
                    f"{head} all upstream tasks to not have been skipped, but found {skipped} task(s) "
                    f"skipped. {states}"
                )
        elif rule == "all_skipped":
            if upstream - skipped > 0:
                reason = (
                    f"{head} all upstream tasks to have been skipped, but found {upstream - skipped} "
                    f"task(s) in non skipped state. {states}"
                )
        elif rule not in ("one_success", "one_failed", "one_done"):
            reason = f"No strategy to evaluate trigger rule '{rule}'."
        return [("Trigger Rule", reason)] if reason else []
