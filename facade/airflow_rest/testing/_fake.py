"""The state and the request handlers of an in-memory Airflow 2.11.2 (stable REST API v1).

``FakeAirflow`` keeps DAGs, DAG runs, task instances, XComs, logs, variables, pools, connections
and import errors in memory and answers operations by their ``operationId`` the way the real
webserver does: the same fields, nulls and timestamp formats, the same paging limits, ordering
rules, filters and ``update_mask`` semantics, and the same Problem JSON errors (status, title,
detail). The HTTP side (routing, parameter parsing, spec validation) lives elsewhere: a handler gets
a ``Call`` with path parameters, typed query values and the parsed JSON body, and returns
``(status, body)``.

Nothing runs tasks: tests drive progress with ``set_task_state`` and ``complete_run``, and the DAG
run follows as the scheduler would make it (queued -> running -> success or failed).
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import hmac
import itertools
import json
import re
import threading
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, ParamSpec, TypeVar

from airflow_rest_v1._meta import AIRFLOW_VERSION

from ._spec import ABOUT_BLANK, DOCS_LINK, problem_type

__all__ = [
    "AIRFLOW_VERSION",
    "Call",
    "FakeAirflow",
    "FakeDag",
    "FakeTask",
    "Reply",
    "default_dags",
    "problem",
]

DOCS_URL = DOCS_LINK

# [api] maximum_page_limit and fallback_page_limit of a default configuration
MAXIMUM_PAGE_LIMIT = 100
FALLBACK_PAGE_LIMIT = 100
DEFAULT_PAGE_LIMIT = 100  # the spec's default for `limit`

DEFAULT_POOL = "default_pool"
WORKER_HOSTNAME = "airflow-worker"
UNIXNAME = "airflow"
DAGS_FOLDER = "/opt/airflow/dags"
LOG_FOLDER = "/opt/airflow/logs"
_SECRET_KEY = b"fake-airflow-webserver-secret-key"

JSON = dict[str, Any]
T = TypeVar("T")
P = ParamSpec("P")

TI_FINISHED = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
TI_STATES = frozenset(
    {
        "success",
        "running",
        "failed",
        "upstream_failed",
        "skipped",
        "up_for_retry",
        "up_for_reschedule",
        "queued",
        "scheduled",
        "deferred",
        "removed",
        "restarting",
    }
)
# states from which a task instance has yet to start its (next) attempt
_NOT_STARTED = frozenset({None, "scheduled", "queued", "up_for_retry", "restarting", "removed"})
RUN_STATES = ("queued", "running", "success", "failed")  # DagRunState, in its declaration order
RUN_FINISHED = frozenset({"success", "failed"})


# --- the contract with the HTTP layer -------------------------------------------------------------


@dataclass
class Call:
    """One request, already routed and parsed.

    ``query`` holds typed values (ints, bools, strings, lists for array parameters; date-times as
    ISO 8601 strings) and only the parameters the request sent: the handlers apply the server's
    defaults themselves.
    """

    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None


Reply = tuple[int, Any]


def problem(status: int, title: str, detail: str | None, **extra: Any) -> dict[str, Any]:
    """Airflow's Problem JSON, with the ``type`` link the real server sends for ``status``."""
    kind = problem_type(status)
    if kind == ABOUT_BLANK:  # a status Airflow has no link for: named after its title
        kind = f"{DOCS_LINK}#section/Errors/{title.replace(' ', '')}"
    return {"detail": detail, "status": status, "title": title, "type": kind} | extra


class _Abort(Exception):
    """Raised inside a handler to answer with ``reply``."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply)
        self.reply = reply


def _bad_request(detail: str | None, title: str = "Bad Request") -> _Abort:
    return _Abort((400, problem(400, title, detail)))


def _not_found(title: str = "Not Found", detail: str | None = None) -> _Abort:
    return _Abort((404, problem(404, title, detail)))


def _conflict(detail: str) -> _Abort:
    return _Abort((409, problem(409, "Conflict", detail)))


def _server_error() -> _Abort:
    """What the server answers where its code raises (it sends an HTML page; this is the JSON twin)."""
    return _Abort(
        (
            500,
            problem(
                500,
                "Internal Server Error",
                "The server encountered an internal error and was unable to complete your request. "
                "Either the server is overloaded or there is an error in the application.",
            ),
        )
    )


# --- time -----------------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    """How the server formats a timestamp: ``2026-01-02T03:04:05.123456+00:00`` (no zero microseconds)."""
    return None if value is None else _utc(value).isoformat()


def _parse_dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    if not isinstance(value, str):
        raise ValueError(f"Invalid isoformat string: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return _utc(datetime.fromisoformat(text))


def _timedelta_json(value: timedelta | None) -> JSON | None:
    if value is None:
        return None
    return {
        "__type": "TimeDelta",
        "days": value.days,
        "microseconds": value.microseconds,
        "seconds": value.seconds,
    }


# --- cron, enough for data intervals and next runs ------------------------------------------------

_CRON_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_CRON_NAMES = {
    name: number
    for names in (
        ("sun", "mon", "tue", "wed", "thu", "fri", "sat"),
        ("", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    )
    for number, name in enumerate(names)
    if name
}
_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


@dataclass(frozen=True)
class _Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> _Cron | None:
        parts = _CRON_PRESETS.get(expression.strip().lower(), expression).split()
        if len(parts) != 5:
            return None
        bounds = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
        try:
            sets = [_cron_field(part, low, high) for part, (low, high) in zip(parts, bounds, strict=True)]
        except ValueError:
            return None
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == "*", parts[4] == "*")

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.weekday() + 1) % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow  # both restricted: either matches (as cron and croniter do)

    def previous(self, moment: datetime, *, inclusive: bool) -> datetime | None:
        """The latest matching minute at or before (``inclusive``) or strictly before ``moment``."""
        moment = _utc(moment)
        limit = moment.replace(second=0, microsecond=0)
        if not inclusive and limit == moment:
            limit -= timedelta(minutes=1)
        day = limit.replace(hour=0, minute=0)
        for _ in range(366 * 8):
            if self._day_matches(day):
                for hour in sorted(self.hours, reverse=True):
                    for minute in sorted(self.minutes, reverse=True):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate <= limit:
                            return candidate
            day -= timedelta(days=1)
        return None

    def following(self, moment: datetime, *, inclusive: bool) -> datetime | None:
        """The earliest matching minute at or after (``inclusive``) or strictly after ``moment``."""
        moment = _utc(moment)
        start = moment.replace(second=0, microsecond=0)
        if start < moment or (not inclusive and start == moment):
            start += timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 8):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def _cron_field(part: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for item in part.lower().split(","):
        spec, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(item)
        if spec in ("*", "?"):
            first, last = low, high
        elif "-" in spec:
            a, b = spec.split("-", 1)
            first, last = _cron_number(a), _cron_number(b)
        else:
            first = _cron_number(spec)
            last = high if step_text else first
        if not low <= first <= last <= high:
            raise ValueError(item)
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _cron_number(text: str) -> int:
    return _CRON_NAMES[text] if text in _CRON_NAMES else int(text)


def _describe_schedule(schedule: str | timedelta | None) -> str:
    """The DAG's ``timetable_description`` for the common schedules."""
    if schedule is None:
        return "Never, external triggers only"
    if isinstance(schedule, timedelta):
        return ""
    if schedule == "@once":
        return "Once, as soon as possible"
    if schedule == "@continuous":
        return "As frequently as possible, but only one run at a time."
    if schedule.lower() in ("dataset", "datasets"):
        return "Triggered by datasets"
    parts = _CRON_PRESETS.get(schedule.lower(), schedule).split()
    if len(parts) != 5:
        return schedule
    minute, hour, dom, month, dow = parts
    if [hour, dom, month, dow] == ["*"] * 4:
        if minute in ("*", "*/1"):
            return "Every minute"
        if minute.startswith("*/") and minute[2:].isdigit():
            return f"Every {int(minute[2:])} minutes"
        if minute == "0":
            return "Every hour"
        if minute.isdigit():
            return f"At {int(minute)} minutes past the hour"
    if minute.isdigit() and hour.isdigit() and dom == "*" and month == "*":
        at = f"At {int(hour):02d}:{int(minute):02d}"
        if dow == "*":
            return at
        if dow.isdigit() and 0 <= int(dow) <= 7:
            return f"{at}, only on {_WEEKDAYS[int(dow) % 7]}"
    return schedule


# --- DAGs and tasks -------------------------------------------------------------------------------

_OPERATORS: dict[str, tuple[str, list[str], str]] = {
    # class name -> (module path, template fields, ui_color)
    "BashOperator": ("airflow.operators.bash", ["bash_command", "env", "cwd"], "#f0ede4"),
    "PythonOperator": ("airflow.operators.python", ["templates_dict", "op_args", "op_kwargs"], "#ffefeb"),
    "_PythonDecoratedOperator": (
        "airflow.decorators.python",
        ["templates_dict", "op_args", "op_kwargs"],
        "#ffefeb",
    ),
    "EmptyOperator": ("airflow.operators.empty", [], "#e8f7e4"),
    "TriggerDagRunOperator": (
        "airflow.operators.trigger_dagrun",
        ["trigger_dag_id", "trigger_run_id", "logical_date", "conf", "wait_for_completion"],
        "#ffefeb",
    ),
}


@dataclass
class FakeTask:
    """A task of a ``FakeDag``; ``map_count`` makes it a mapped task expanded into that many instances."""

    task_id: str
    operator: str = "BashOperator"
    downstream: list[str] = field(default_factory=list)
    retries: int = 0
    map_count: int | None = None
    owner: str = "airflow"
    pool: str = DEFAULT_POOL
    pool_slots: int = 1
    queue: str = "default"
    trigger_rule: str = "all_success"
    weight_rule: str = "downstream"
    priority_weight: int = 1
    operator_name: str | None = None
    module_path: str | None = None
    template_fields: list[str] | None = None
    ui_color: str | None = None
    ui_fgcolor: str = "#000"
    doc_md: str | None = None
    params: dict[str, Any] | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    execution_timeout: timedelta | None = None
    retry_delay: timedelta = timedelta(seconds=300)
    retry_exponential_backoff: bool = False
    depends_on_past: bool = False
    wait_for_downstream: bool = False
    display_name: str | None = None
    extra_links: list[str] = field(default_factory=list)

    @property
    def is_mapped(self) -> bool:
        return self.map_count is not None


@dataclass
class FakeDag:
    """A DAG as the fake's "DAG bag" holds it. Fields left as ``None`` get the server's values."""

    dag_id: str
    tasks: list[FakeTask] = field(default_factory=list)
    is_paused: bool = False
    is_active: bool = True
    tags: list[str] = field(default_factory=list)
    schedule_interval: str | timedelta | None = None
    owners: list[str] = field(default_factory=lambda: ["airflow"])
    description: str | None = None
    doc_md: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    fileloc: str | None = None
    start_date: datetime | None = datetime(2024, 1, 1, tzinfo=UTC)
    end_date: datetime | None = None
    catchup: bool = False
    dagrun_timeout: timedelta | None = None
    max_active_runs: int = 16
    max_active_tasks: int = 16
    max_consecutive_failed_dag_runs: int = 0
    has_import_errors: bool = False
    has_task_concurrency_limits: bool = False
    timetable_description: str | None = None
    display_name: str | None = None
    default_view: str = "grid"
    orientation: str = "LR"
    timezone: str = "UTC"
    render_template_as_native_obj: bool = False
    is_paused_upon_creation: bool | None = None
    template_searchpath: list[str] | None = None
    dataset_expression: dict[str, Any] | None = None
    last_parsed_time: datetime | None = None
    next_dagrun: datetime | None = None
    next_dagrun_create_after: datetime | None = None
    next_dagrun_data_interval_start: datetime | None = None
    next_dagrun_data_interval_end: datetime | None = None
    # compute the next_dagrun* fields from the schedule when the DAG is added
    auto_next_dagrun: bool = True

    def task(self, task_id: str) -> FakeTask | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    @property
    def task_ids(self) -> list[str]:
        return [t.task_id for t in self.tasks]


def _param(value: Any, description: str | None = None) -> JSON:
    """A DAG/task param as the server dumps it (``Param.dump()``)."""
    return {"__class": "airflow.models.param.Param", "description": description, "schema": {}, "value": value}


def default_dags() -> list[FakeDag]:
    """A few DAGs modelled on Airflow's example DAGs (tasks, schedules, tags), paused as they load."""
    start = datetime(2021, 1, 1, tzinfo=UTC)
    example_key = {"example_key": "example_value"}

    def bash(task_id: str, downstream: Sequence[str] = (), **kw: Any) -> FakeTask:
        return FakeTask(task_id, "BashOperator", list(downstream), start_date=start, **kw)

    def python(task_id: str, downstream: Sequence[str] = (), **kw: Any) -> FakeTask:
        return FakeTask(task_id, "PythonOperator", list(downstream), start_date=start, **kw)

    bash_dag = FakeDag(
        "example_bash_operator",
        [
            FakeTask("run_this_last", "EmptyOperator", start_date=start, params=example_key),
            bash("run_after_loop", ["run_this_last"], params=example_key),
            bash("runme_0", ["run_after_loop"], params=example_key),
            bash("runme_1", ["run_after_loop"], params=example_key),
            bash("runme_2", ["run_after_loop"], params=example_key),
            bash("also_run_this", ["run_this_last"], params=example_key),
            bash("this_will_skip", ["run_this_last"], params=example_key),
        ],
        is_paused=True,
        tags=["example2", "example"],
        schedule_interval="0 0 * * *",
        fileloc=f"{DAGS_FOLDER}/example_bash_operator.py",
        start_date=start,
        dagrun_timeout=timedelta(minutes=60),
        params=example_key,
    )
    tutorial = FakeDag(
        "tutorial",
        [
            bash(
                "print_date",
                ["sleep", "templated"],
                retries=1,
                doc_md="#### Task Documentation\nYou can document your task using the attributes "
                "`doc_md` (markdown),\n`doc` (plain text), `doc_rst`, `doc_json`, `doc_yaml` which gets\n"
                "rendered in the UI's Task Instance Details page.\n"
                "![img](https://imgs.xkcd.com/comics/fixing_problems.png)\n"
                "**Image Credit:** Randall Munroe, [XKCD](https://xkcd.com/license.html)\n",
            ),
            bash("sleep", retries=3),
            bash("templated", retries=1),
        ],
        is_paused=True,
        tags=["example"],
        schedule_interval=timedelta(days=1),
        description="A simple tutorial DAG",
        doc_md="\n    This is a documentation placed anywhere\n    ",
        fileloc=f"{DAGS_FOLDER}/tutorial.py",
        start_date=start,
    )
    python_dag = FakeDag(
        "example_python_operator",
        [
            python("print_the_context", ["log_sql_query"]),
            python("log_sql_query", [f"sleep_for_{i}" for i in range(5)]),
            *(python(f"sleep_for_{i}") for i in range(5)),
        ],
        is_paused=True,
        tags=["example"],
        fileloc=f"{DAGS_FOLDER}/example_python_operator.py",
        start_date=start,
    )
    mapping_start = datetime(2022, 3, 4, tzinfo=UTC)
    mapping = FakeDag(
        "example_dynamic_task_mapping",
        [
            FakeTask(
                "add_one",
                "_PythonDecoratedOperator",
                ["sum_it"],
                map_count=3,
                operator_name="@task",
                start_date=mapping_start,
            ),
            FakeTask("sum_it", "_PythonDecoratedOperator", operator_name="@task", start_date=mapping_start),
        ],
        is_paused=True,
        fileloc=f"{DAGS_FOLDER}/example_dynamic_task_mapping.py",
        start_date=mapping_start,
        catchup=True,
    )
    return [bash_dag, tutorial, python_dag, mapping]


# --- internal records -----------------------------------------------------------------------------


@dataclass
class _Run:
    id: int
    dag_id: str
    run_id: str
    logical_date: datetime
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    state: str
    run_type: str
    conf: Any
    note: str | None
    queued_at: datetime | None
    updated_at: datetime
    external_trigger: bool = True
    start_date: datetime | None = None
    end_date: datetime | None = None
    last_scheduling_decision: datetime | None = None
    clear_number: int = 0


TIKey = tuple[str, str, str, int]


@dataclass
class _TI:
    seq: int
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    operator: str
    pool: str
    pool_slots: int
    queue: str
    priority_weight: int
    max_tries: int
    updated_at: datetime
    state: str | None = None
    try_number: int = 0
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    hostname: str = ""
    unixname: str = UNIXNAME
    pid: int | None = None
    queued_when: datetime | None = None
    executor: str | None = None
    note: str | None = None
    rendered_fields: dict[str, Any] = field(default_factory=dict)
    rendered_map_index: str | None = None
    # log lines by try number
    logs: dict[int, list[str]] = field(default_factory=dict)

    @property
    def key(self) -> TIKey:
        return (self.dag_id, self.run_id, self.task_id, self.map_index)


@dataclass
class _XCom:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    key: str
    value: Any
    timestamp: datetime


# --- loading request bodies the way the server's marshmallow schemas do ---------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str  # str, int, number, bool, datetime, object, any, list
    required: bool = False
    allow_none: bool = False
    attribute: str | None = None
    choices: tuple[str, ...] | None = None
    max_length: int | None = None
    minimum: int | None = None


class _Invalid(Exception):
    def __init__(self, messages: dict[str, list[str]]) -> None:
        super().__init__(messages)
        self.messages = messages

    def __str__(self) -> str:
        return str(self.messages)


_KIND_ERRORS = {
    "str": "Not a valid string.",
    "int": "Not a valid integer.",
    "number": "Not a valid number.",
    "bool": "Not a valid boolean.",
    "datetime": "Not a valid datetime.",
    "object": "Not a valid mapping type.",
    "list": "Not a valid list.",
}


def _load(body: Any, schema: Sequence[_Field], *, partial: bool = False) -> JSON:
    """Validate and convert ``body``; the messages and their order are marshmallow's."""
    data = {} if body is None else body
    if not isinstance(data, dict):
        raise _Invalid({"_schema": ["Invalid input type."]})
    out: JSON = {}
    errors: dict[str, list[str]] = {}
    known = {f.name for f in schema}
    for spec in schema:
        target = spec.attribute or spec.name
        if spec.name not in data:
            if spec.required and not partial:
                errors[spec.name] = ["Missing data for required field."]
            continue
        value = data[spec.name]
        if value is None:
            if spec.allow_none:
                out[target] = None
            else:
                errors[spec.name] = ["Field may not be null."]
            continue
        try:
            out[target] = _convert(value, spec)
        except _Invalid as exc:
            errors[spec.name] = exc.messages["_"]
    for name in data:
        if name not in known:
            errors[name] = ["Unknown field."]
    if errors:
        raise _Invalid(errors)
    return out


def _convert(value: Any, spec: _Field) -> Any:
    kind = spec.kind
    ok = True
    if kind == "str":
        ok = isinstance(value, str)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "object":
        ok = isinstance(value, dict)
    elif kind == "list":
        ok = isinstance(value, list) and all(isinstance(v, str) or v is None for v in value)
    elif kind == "datetime":
        try:
            value = _parse_dt(value) if isinstance(value, str) else None
        except ValueError:
            value = None
        ok = value is not None
    if not ok:
        raise _Invalid({"_": [_KIND_ERRORS[kind]]})
    if spec.choices is not None and value not in spec.choices:
        raise _Invalid({"_": [f"Must be one of: {', '.join(spec.choices)}."]})
    if spec.max_length is not None and isinstance(value, str) and len(value) > spec.max_length:
        raise _Invalid({"_": [f"Longer than maximum length {spec.max_length}."]})
    if spec.minimum is not None and isinstance(value, int) and value < spec.minimum:
        raise _Invalid({"_": [f"Must be greater than or equal to {spec.minimum}."]})
    return value


_DAG_BODY = (
    _Field("is_paused", "bool", allow_none=True),
    _Field("schedule_interval", "any", allow_none=True),
)
_POOL_BODY = (
    _Field("name", "str", attribute="pool"),
    _Field("slots", "int", allow_none=True),
    _Field("description", "str", allow_none=True),
    _Field("include_deferred", "bool"),
)
_POOL_READ_ONLY = (
    "occupied_slots",
    "running_slots",
    "queued_slots",
    "scheduled_slots",
    "open_slots",
    "deferred_slots",
)
_VARIABLE_BODY = (
    _Field("key", "str", required=True),
    _Field("value", "str", required=True, attribute="val"),
    _Field("description", "str"),
)
_CONNECTION_BODY = (
    _Field("connection_id", "str", required=True, attribute="conn_id"),
    _Field("conn_type", "str", required=True),
    _Field("description", "str", allow_none=True),
    _Field("host", "str", allow_none=True),
    _Field("login", "str", allow_none=True),
    _Field("schema", "str", allow_none=True),
    _Field("port", "int", allow_none=True),
    _Field("password", "str", allow_none=True),
    _Field("extra", "any", allow_none=True),
)
_DAG_RUN_BODY = (
    _Field("dag_run_id", "str", allow_none=True, attribute="run_id"),
    _Field("logical_date", "datetime", allow_none=True),
    _Field("conf", "any"),
    _Field("data_interval_start", "datetime", allow_none=True),
    _Field("data_interval_end", "datetime", allow_none=True),
    _Field("note", "str", allow_none=True),
)
_RUN_STATE_BODY = (_Field("state", "str", choices=("success", "failed", "queued")),)
_CLEAR_RUN_BODY = (_Field("dry_run", "bool"),)
_NOTE_BODY = (_Field("note", "str", allow_none=True, max_length=1000),)
_TI_NOTE_BODY = (_Field("map_index", "int"), _Field("note", "str", allow_none=True, max_length=1000))
_UPDATE_TI_BODY = (
    _Field("dry_run", "bool"),
    _Field("new_state", "str", required=True, choices=("success", "failed", "skipped")),
)
_SET_TIS_STATE_BODY = (
    _Field("dry_run", "bool"),
    _Field("task_id", "str", required=True),
    _Field("execution_date", "datetime"),
    _Field("dag_run_id", "str"),
    _Field("include_upstream", "bool", required=True),
    _Field("include_downstream", "bool", required=True),
    _Field("include_future", "bool", required=True),
    _Field("include_past", "bool", required=True),
    _Field("new_state", "str", required=True, choices=("success", "failed", "skipped")),
)
_CLEAR_TIS_BODY = (
    _Field("dry_run", "bool"),
    _Field("start_date", "datetime"),
    _Field("end_date", "datetime"),
    _Field("only_failed", "bool"),
    _Field("only_running", "bool"),
    _Field("include_subdags", "bool"),
    _Field("include_parentdag", "bool"),
    _Field("reset_dag_runs", "bool"),
    _Field("task_ids", "list"),
    _Field("dag_run_id", "str", allow_none=True),
    _Field("include_upstream", "bool"),
    _Field("include_downstream", "bool"),
    _Field("include_future", "bool"),
    _Field("include_past", "bool"),
)
_DATE_FILTERS = (
    "execution_date_gte",
    "execution_date_lte",
    "start_date_gte",
    "start_date_lte",
    "end_date_gte",
    "end_date_lte",
    "updated_at_gte",
    "updated_at_lte",
)
_RUNS_BATCH_BODY = (
    _Field("order_by", "str"),
    _Field("page_offset", "int", minimum=0),
    _Field("page_limit", "int", minimum=1),
    _Field("dag_ids", "list"),
    _Field("states", "list"),
    *(_Field(name, "datetime") for name in _DATE_FILTERS),
)
_TIS_BATCH_BODY = (
    _Field("page_offset", "int", minimum=0),
    _Field("page_limit", "int", minimum=1),
    _Field("dag_ids", "list"),
    _Field("dag_run_ids", "list"),
    _Field("task_ids", "list"),
    *(_Field(name, "datetime") for name in _DATE_FILTERS[:6]),
    _Field("duration_gte", "int"),
    _Field("duration_lte", "int"),
    _Field("state", "list"),
    _Field("pool", "list"),
    _Field("queue", "list"),
    _Field("executor", "list"),
)


# --- paging, ordering, filtering ------------------------------------------------------------------


def _check_limit(query: dict[str, Any]) -> int:
    """``airflow.api_connexion.parameters.check_limit``: above the maximum -> the maximum, 0 -> fallback."""
    limit = query.get("limit")
    value = DEFAULT_PAGE_LIMIT if limit is None else int(limit)
    if value > MAXIMUM_PAGE_LIMIT:
        return MAXIMUM_PAGE_LIMIT
    if value == 0:
        return FALLBACK_PAGE_LIMIT
    if value < 0:
        raise _bad_request(None, title="Page limit must be a positive integer")
    return value


def _raw_limit(query: dict[str, Any]) -> int:
    """The limit of endpoints without ``check_limit`` (task instances): taken as given."""
    limit = query.get("limit")
    return DEFAULT_PAGE_LIMIT if limit is None else int(limit)


def _offset(query: dict[str, Any]) -> int:
    offset = query.get("offset")
    if offset is None:
        return 0
    value = int(offset)
    if value < 0:
        raise _bad_request(
            f"{value} is less than the minimum of 0\n\nFailed validating 'minimum' in schema:\n"
            f"    {{'type': 'integer', 'minimum': 0}}\n\nOn instance:\n    {value}"
        )
    return value


def _page(items: Sequence[T], offset: int, limit: int) -> list[T]:
    """SQL ``OFFSET .. LIMIT ..`` (SQLite reads a negative limit as no limit)."""
    rest = list(items[offset:])
    return rest if limit < 0 else rest[:limit]


def _sort_key(value: Any) -> tuple[bool, Any]:
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True)
    return (value is not None, value)  # NULLs first ascending, last descending (SQLite)


def _apply_sorting(
    items: Sequence[T],
    order_by: str,
    value: Callable[[T, str], Any],
    allowed: Container[str],
) -> list[T]:
    """``airflow.api_connexion.parameters.apply_sorting``."""
    name = order_by.lstrip("-")
    if name not in allowed:
        raise _bad_request(
            f"Ordering with '{name}' is disallowed or the attribute does not exist on the model"
        )
    return sorted(items, key=lambda item: _sort_key(value(item, name)), reverse=order_by.startswith("-"))


def _like(pattern: str) -> re.Pattern[str]:
    """SQL ``ILIKE '%pattern%'`` (``%`` and ``_`` are wildcards)."""
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(f".*{body}.*", re.IGNORECASE | re.DOTALL)


def _query_dt(query: dict[str, Any], name: str) -> datetime | None:
    value = query.get(name)
    if value is None:
        return None
    if isinstance(value, str) and not value.strip().endswith("Z"):
        value = value.strip().replace(" ", "+")  # a '+' sent unencoded arrives as a space
    try:
        return _parse_dt(value)
    except ValueError as exc:
        raise _bad_request(str(exc), title="Incorrect datetime argument") from None


def _in_range(value: Any, low: Any, high: Any) -> bool:
    if low is not None and (value is None or value < low):
        return False
    return not (high is not None and (value is None or value > high))


def _states(values: Iterable[Any] | None) -> list[str | None] | None:
    if not values:
        return None
    return [None if v in ("none", None) else str(v) for v in values]


def _mask(query: dict[str, Any]) -> list[str] | None:
    """``update_mask`` as a list (``a,b`` split, as ``explode: false`` asks)."""
    raw = query.get("update_mask")
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else list(raw)
    mask = [part for item in items for part in str(item).split(",")]
    return mask or None


def _fields_param(query: dict[str, Any]) -> list[str] | None:
    raw = query.get("fields")
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else list(raw)
    return [part for item in items for part in str(item).split(",") if part] or None


# --- signing (itsdangerous' URLSafeSerializer format) ---------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sign(payload: Any) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = _b64(hmac.new(_SECRET_KEY, body.encode(), hashlib.sha1).digest())
    return f"{body}.{signature}"


def _unsign(token: str) -> Any:
    body, _, signature = token.rpartition(".")
    expected = _b64(hmac.new(_SECRET_KEY, body.encode(), hashlib.sha1).digest())
    if not body or not hmac.compare_digest(signature, expected):
        raise ValueError("bad signature")
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


# --- secrets masking of connection extras ---------------------------------------------------------

_SENSITIVE = (
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "proxy",
    "proxies",
    "secret",
    "token",
    "keyfile_dict",
    "service_account",
)


def _is_sensitive(name: Any) -> bool:
    return isinstance(name, str) and any(s in name.strip().lower() for s in _SENSITIVE)


def _redact_all(item: Any) -> Any:
    if isinstance(item, str):
        return "***"
    if isinstance(item, dict):
        return {k: _redact_all(v) for k, v in item.items()}
    if isinstance(item, list | tuple):
        return [_redact_all(v) for v in item]
    return item


def _redact(item: Any, name: str | None = None) -> Any:
    if name is not None and _is_sensitive(name):
        return _redact_all(item)
    if isinstance(item, dict):
        return {k: _redact(v, k) for k, v in item.items()}
    if isinstance(item, list):
        return [_redact(v) for v in item]
    return item


def _redacted_extra(extra: Any) -> Any:
    if extra is None:
        return None
    if not isinstance(extra, str):
        extra = json.dumps(extra)
    try:
        parsed = json.loads(extra)
    except ValueError:
        return extra
    return json.dumps(_redact(parsed))


# --- the fake -------------------------------------------------------------------------------------

Handler = Callable[[Call], Reply]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _locked(method: Callable[P, T]) -> Callable[P, T]:
    """Run a public method under the instance's lock: an HTTP server thread and the test share it."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with args[0]._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return wrapper


class FakeAirflow:
    """An in-memory Airflow 2.11.2 answering REST API v1 operations by ``operationId``."""

    def __init__(
        self,
        *,
        dags: Iterable[FakeDag] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._clock = now or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self.dags: dict[str, FakeDag] = {}
        self.variables: dict[str, JSON] = {}
        self.connections: dict[str, JSON] = {}
        self._pools: dict[str, JSON] = {}
        self.import_errors: list[JSON] = []
        self._runs: dict[tuple[str, str], _Run] = {}
        self._tis: dict[TIKey, _TI] = {}
        self._history: dict[TIKey, list[JSON]] = {}
        self._xcoms: list[_XCom] = []
        self._ids = 0
        self._pids = 4000
        self.add_pool(DEFAULT_POOL, 128, "Default pool")
        for dag in default_dags() if dags is None else dags:
            self._register(dag)
        self.handlers: dict[str, Handler] = {
            name.removeprefix("_op_"): getattr(self, name) for name in dir(self) if name.startswith("_op_")
        }

    # --- dispatch ---------------------------------------------------------------------------------

    @_locked
    def handle(self, operation_id: str, call: Call) -> Reply:
        """Answer one operation (its spec ``operationId``; ``getDags`` and ``get_dags`` both work)."""
        handler = self.handlers.get(operation_id) or self.handlers.get(_snake(operation_id))
        if handler is None:
            raise NotImplementedError(
                f"the fake Airflow does not implement {operation_id!r}; it implements: "
                + ", ".join(sorted(self.handlers))
            )
        try:
            return handler(call)
        except _Abort as abort:
            return abort.reply

    # --- read access for assertions ---------------------------------------------------------------

    @property
    @_locked
    def dag_runs(self) -> dict[tuple[str, str], JSON]:
        """Every DAG run as the API shows it, by ``(dag_id, run_id)``."""
        return {key: self._run_json(run) for key, run in self._runs.items()}

    @property
    @_locked
    def task_instances(self) -> dict[TIKey, JSON]:
        """Every task instance as the API shows it, by ``(dag_id, run_id, task_id, map_index)``."""
        return {key: self._ti_json(ti) for key, ti in self._tis.items()}

    @property
    @_locked
    def pools(self) -> dict[str, JSON]:
        """Every pool as the API shows it (slot counts included), by name."""
        return {name: self._pool_json(pool) for name, pool in self._pools.items()}

    @property
    @_locked
    def xcoms(self) -> list[JSON]:
        return [
            {
                "dag_id": x.dag_id,
                "run_id": x.run_id,
                "task_id": x.task_id,
                "map_index": x.map_index,
                "key": x.key,
                "value": copy.deepcopy(x.value),
            }
            for x in self._xcoms
        ]

    # --- seeding ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return _utc(self._clock())

    @_locked
    def add_dag(
        self,
        dag_id: str,
        *,
        tasks: Sequence[str | FakeTask] = ("task",),
        is_paused: bool = False,
        tags: Sequence[str] = (),
        schedule_interval: str | timedelta | None = None,
        owners: Sequence[str] = ("airflow",),
        **fields: Any,
    ) -> FakeDag:
        """Add (or replace) a DAG. Task ids given as strings run one after the other."""
        built: list[FakeTask] = []
        for item in tasks:
            built.append(FakeTask(item) if isinstance(item, str) else item)
        for before, after in itertools.pairwise(tasks):
            if isinstance(before, str) and isinstance(after, str):
                task = built[tasks.index(before)]
                if after not in task.downstream:
                    task.downstream.append(after)
        dag = FakeDag(
            dag_id,
            built,
            is_paused=is_paused,
            tags=list(tags),
            schedule_interval=schedule_interval,
            owners=list(owners),
            **fields,
        )
        self._register(dag)
        return dag

    @_locked
    def add_variable(self, key: str, value: str, description: str | None = None) -> JSON:
        self.variables[key] = {"key": key, "value": value, "description": description}
        return self.variables[key]

    @_locked
    def add_pool(
        self, name: str, slots: int, description: str | None = None, *, include_deferred: bool = False
    ) -> JSON:
        self._pools[name] = {
            "name": name,
            "slots": slots,
            "description": description,
            "include_deferred": include_deferred,
        }
        return self._pool_json(self._pools[name])

    @_locked
    def add_connection(self, connection_id: str, conn_type: str, **fields: Any) -> JSON:
        known = {"description", "host", "login", "schema", "port", "password", "extra"}
        unknown = set(fields) - known
        if unknown:
            raise TypeError(f"unknown connection fields {sorted(unknown)}; known: {sorted(known)}")
        record: JSON = {"connection_id": connection_id, "conn_type": conn_type}
        record.update({name: fields.get(name) for name in sorted(known)})
        if record["extra"] is not None and not isinstance(record["extra"], str):
            record["extra"] = json.dumps(record["extra"])
        self.connections[connection_id] = record
        return record

    @_locked
    def add_import_error(self, filename: str, stack_trace: str) -> JSON:
        error = {
            "filename": filename,
            "import_error_id": max((e["import_error_id"] for e in self.import_errors), default=0) + 1,
            "stack_trace": stack_trace,
            "timestamp": _iso(self.now()),
        }
        self.import_errors.append(error)
        return error

    @_locked
    def add_xcom(
        self, dag_id: str, run_id: str, task_id: str, key: str, value: Any, *, map_index: int = -1
    ) -> None:
        """Push an XCom as the task would (``return_value`` for a returned value)."""
        ti = self._ti_or_error(dag_id, run_id, task_id, map_index)
        self._xcoms = [
            x for x in self._xcoms if (x.dag_id, x.run_id, x.task_id, x.map_index, x.key) != (*ti.key, key)
        ]
        self._xcoms.append(_XCom(dag_id, run_id, task_id, map_index, key, copy.deepcopy(value), self.now()))

    @_locked
    def log(self, dag_id: str, run_id: str, task_id: str, message: str, *, map_index: int = -1) -> None:
        """Write a line into the task instance's log of its current try, as the task's logger would."""
        ti = self._ti_or_error(dag_id, run_id, task_id, map_index)
        self._log(ti, "logging_mixin.py:190", message)

    @_locked
    def trigger(
        self,
        dag_id: str,
        run_id: str | None = None,
        *,
        conf: dict[str, Any] | None = None,
        logical_date: datetime | str | None = None,
        note: str | None = None,
    ) -> JSON:
        """Create a manual DAG run as ``POST /dags/{dag_id}/dagRuns`` would; its DAGRun JSON."""
        body: JSON = {"conf": conf or {}}
        if run_id is not None:
            body["dag_run_id"] = run_id
        if logical_date is not None:
            body["logical_date"] = logical_date if isinstance(logical_date, str) else _iso(logical_date)
        if note is not None:
            body["note"] = note
        status, reply = self.handle("post_dag_run", Call(path={"dag_id": dag_id}, body=body))
        if status != 200:
            raise ValueError(f"cannot trigger {dag_id!r}: {status} {reply['title']}: {reply['detail']}")
        return dict(reply)

    @_locked
    def set_task_state(
        self, dag_id: str, run_id: str, task_id: str, state: str | None, *, map_index: int = -1
    ) -> JSON:
        """Move a task instance as the scheduler and a worker would; the DAG run follows.

        ``scheduled``/``queued``/``running`` start an attempt (try number + 1 on entering it);
        a finished state sets the end date and duration; ``up_for_retry`` records the attempt in the
        history. ``failed`` (or ``upstream_failed``) makes waiting ``all_success`` downstream tasks
        ``upstream_failed``, ``skipped`` skips them. A queued run starts running; once every task
        instance is finished the run ends ``failed`` if any failed, else ``success``.
        """
        if state is not None and state not in TI_STATES:
            raise ValueError(f"not a task instance state: {state!r}; states: {sorted(TI_STATES)}")
        ti = self._ti_or_error(dag_id, run_id, task_id, map_index)
        run = self._runs[(dag_id, run_id)]
        self._worker_transition(ti, state)
        if state in ("failed", "upstream_failed", "skipped"):
            self._propagate(ti, "skipped" if state == "skipped" else "upstream_failed")
        self._schedule(run)
        return self._ti_json(ti)

    @_locked
    def complete_run(self, dag_id: str, run_id: str, state: str = "success") -> JSON:
        """Finish every task instance of the run in ``state`` (``success`` or ``failed``), and the run."""
        if state not in RUN_FINISHED:
            raise ValueError(f"a run completes as 'success' or 'failed', not {state!r}")
        run = self._runs.get((dag_id, run_id))
        if run is None:
            raise LookupError(f"no DAG run {run_id!r} of DAG {dag_id!r}")
        for ti in self._run_tis(run):
            if ti.state != state:
                self._worker_transition(ti, state)
        self._set_run_state(run, "running")
        self._set_run_state(run, state)
        run.last_scheduling_decision = self.now()
        return self._run_json(run)

    # --- internals: registration ------------------------------------------------------------------

    def _register(self, dag: FakeDag) -> None:
        ids = dag.task_ids
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate task ids in DAG {dag.dag_id!r}")
        for task in dag.tasks:
            missing = [d for d in task.downstream if d not in ids]
            if missing:
                raise ValueError(f"task {task.task_id!r} of {dag.dag_id!r} has unknown downstream {missing}")
            if task.start_date is None:
                task.start_date = dag.start_date
        now = self.now()
        if dag.fileloc is None:
            dag.fileloc = f"{DAGS_FOLDER}/{dag.dag_id}.py"
        if dag.last_parsed_time is None:
            dag.last_parsed_time = now
        if dag.timetable_description is None:
            dag.timetable_description = _describe_schedule(dag.schedule_interval)
        if dag.auto_next_dagrun:
            start, end = self._next_interval(dag, now)
            dag.next_dagrun = dag.next_dagrun_data_interval_start = start
            dag.next_dagrun_data_interval_end = dag.next_dagrun_create_after = end
            if dag.schedule_interval == "@once":
                dag.next_dagrun_create_after = start
        self.dags[dag.dag_id] = dag

    def _next_interval(self, dag: FakeDag, now: datetime) -> tuple[datetime | None, datetime | None]:
        """The next run's data interval as the DAG processor records it for a DAG without runs."""
        schedule, start_date = dag.schedule_interval, dag.start_date
        if schedule is None or start_date is None:
            return None, None
        if isinstance(schedule, timedelta):
            if dag.catchup:
                return start_date, start_date + schedule
            steps = max(0, (now - start_date) // schedule)
            end = start_date + steps * schedule
            return end - schedule, end
        if schedule == "@once":
            return start_date, start_date
        cron = _Cron.parse(schedule)
        if cron is None:
            return None, None
        if dag.catchup:
            first = cron.following(start_date, inclusive=True)
            return first, cron.following(first, inclusive=False) if first else None
        last = cron.previous(now, inclusive=True)
        return (cron.previous(last, inclusive=False) if last else None), last

    def _manual_interval(self, dag: FakeDag, logical_date: datetime) -> tuple[datetime, datetime]:
        """``timetable.infer_manual_data_interval(run_after=logical_date)``."""
        schedule = dag.schedule_interval
        if isinstance(schedule, timedelta):
            return logical_date - schedule, logical_date
        cron = _Cron.parse(schedule) if isinstance(schedule, str) and schedule != "@once" else None
        if cron is not None:
            end = cron.previous(logical_date, inclusive=True)
            start = cron.previous(end, inclusive=False) if end else None
            if start is not None and end is not None:
                return start, end
        return logical_date, logical_date

    # --- internals: lookups -----------------------------------------------------------------------

    def _dag(self, dag_id: str) -> FakeDag | None:
        return self.dags.get(dag_id)

    def _run_tis(self, run: _Run) -> list[_TI]:
        return sorted(
            (ti for ti in self._tis.values() if ti.dag_id == run.dag_id and ti.run_id == run.run_id),
            key=lambda ti: ti.seq,
        )

    def _ti_or_error(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> _TI:
        ti = self._tis.get((dag_id, run_id, task_id, map_index))
        if ti is None:
            raise LookupError(f"no task instance {(dag_id, run_id, task_id, map_index)!r}")
        return ti

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    # --- internals: JSON views --------------------------------------------------------------------

    def _dag_json(self, dag: FakeDag) -> JSON:
        schedule = dag.schedule_interval
        if isinstance(schedule, timedelta):
            schedule_json: JSON | None = _timedelta_json(schedule)
        elif schedule is None:
            schedule_json = None
        else:
            schedule_json = {"__type": "CronExpression", "value": schedule}
        return {
            "dag_display_name": dag.display_name or dag.dag_id,
            "dag_id": dag.dag_id,
            "default_view": dag.default_view,
            "description": dag.description,
            "file_token": _sign(dag.fileloc),
            "fileloc": dag.fileloc,
            "has_import_errors": dag.has_import_errors,
            "has_task_concurrency_limits": dag.has_task_concurrency_limits,
            "is_active": dag.is_active,
            "is_paused": dag.is_paused,
            "is_subdag": False,
            "last_expired": None,
            "last_parsed_time": _iso(dag.last_parsed_time),
            "last_pickled": None,
            "max_active_runs": dag.max_active_runs,
            "max_active_tasks": dag.max_active_tasks,
            "max_consecutive_failed_dag_runs": dag.max_consecutive_failed_dag_runs,
            "next_dagrun": _iso(dag.next_dagrun),
            "next_dagrun_create_after": _iso(dag.next_dagrun_create_after),
            "next_dagrun_data_interval_end": _iso(dag.next_dagrun_data_interval_end),
            "next_dagrun_data_interval_start": _iso(dag.next_dagrun_data_interval_start),
            "owners": list(dag.owners),
            "pickle_id": None,
            "root_dag_id": None,
            "schedule_interval": schedule_json,
            "scheduler_lock": None,
            "tags": [{"name": tag} for tag in dag.tags],
            "timetable_description": dag.timetable_description,
        }

    def _dag_detail_json(self, dag: FakeDag) -> JSON:
        return self._dag_json(dag) | {
            "catchup": dag.catchup,
            "concurrency": dag.max_active_tasks,
            "dag_run_timeout": _timedelta_json(dag.dagrun_timeout),
            "dataset_expression": copy.deepcopy(dag.dataset_expression),
            "doc_md": dag.doc_md,
            "end_date": _iso(dag.end_date),
            "is_paused_upon_creation": dag.is_paused_upon_creation,
            "last_parsed": _iso(dag.last_parsed_time),
            "orientation": dag.orientation,
            # the server reads `owner` off the DAG model, which has none: always empty here
            "owners": [],
            "params": {k: _param(v) for k, v in dag.params.items()},
            "render_template_as_native_obj": dag.render_template_as_native_obj,
            "start_date": _iso(dag.start_date),
            "template_searchpath": copy.deepcopy(dag.template_searchpath),
            "timezone": dag.timezone,
        }

    def _task_json(self, dag: FakeDag, task: FakeTask) -> JSON:
        module, template_fields, ui_color = _OPERATORS.get(
            task.operator, ("airflow.models.baseoperator", [], "#fff")
        )
        params = dag.params | (task.params or {})
        return {
            "class_ref": {"class_name": task.operator, "module_path": task.module_path or module},
            "depends_on_past": task.depends_on_past,
            "doc_md": task.doc_md,
            "downstream_task_ids": list(task.downstream),
            "end_date": _iso(task.end_date),
            "execution_timeout": _timedelta_json(task.execution_timeout),
            "extra_links": [
                {"class_name": name.replace(" ", ""), "module_path": task.module_path or module}
                for name in task.extra_links
            ],
            "is_mapped": task.is_mapped,
            "operator_name": task.operator_name or task.operator,
            "owner": task.owner,
            "params": {k: _param(v) for k, v in params.items()},
            "pool": task.pool,
            "pool_slots": float(task.pool_slots),
            "priority_weight": float(task.priority_weight),
            "queue": task.queue,
            "retries": float(task.retries),
            "retry_delay": _timedelta_json(task.retry_delay),
            "retry_exponential_backoff": task.retry_exponential_backoff,
            "start_date": _iso(task.start_date),
            "task_display_name": task.display_name or task.task_id,
            "task_id": task.task_id,
            "template_fields": list(
                task.template_fields if task.template_fields is not None else template_fields
            ),
            "trigger_rule": task.trigger_rule,
            "ui_color": task.ui_color or ui_color,
            "ui_fgcolor": task.ui_fgcolor,
            "wait_for_downstream": task.wait_for_downstream,
            "weight_rule": task.weight_rule,
        }

    def _run_json(self, run: _Run) -> JSON:
        logical = _iso(run.logical_date)
        return {
            "conf": copy.deepcopy(run.conf) if run.conf else {},
            "dag_id": run.dag_id,
            "dag_run_id": run.run_id,
            "data_interval_end": _iso(run.data_interval_end),
            "data_interval_start": _iso(run.data_interval_start),
            "end_date": _iso(run.end_date),
            "execution_date": logical,
            "external_trigger": run.external_trigger,
            "last_scheduling_decision": _iso(run.last_scheduling_decision),
            "logical_date": logical,
            "note": run.note,
            "run_type": run.run_type,
            "start_date": _iso(run.start_date),
            "state": run.state,
        }

    def _task_display_name(self, ti: _TI) -> str:
        dag = self._dag(ti.dag_id)
        task = dag.task(ti.task_id) if dag else None
        return (task.display_name if task else None) or ti.task_id

    def _ti_history_json(self, ti: _TI) -> JSON:
        return {
            "dag_id": ti.dag_id,
            "dag_run_id": ti.run_id,
            "duration": ti.duration,
            "end_date": _iso(ti.end_date),
            "executor": ti.executor,
            "executor_config": "{}",
            "hostname": ti.hostname,
            "map_index": ti.map_index,
            "max_tries": ti.max_tries,
            "operator": ti.operator,
            "pid": ti.pid,
            "pool": ti.pool,
            "pool_slots": ti.pool_slots,
            "priority_weight": ti.priority_weight,
            "queue": ti.queue,
            "queued_when": _iso(ti.queued_when),
            "start_date": _iso(ti.start_date),
            "state": ti.state,
            "task_display_name": self._task_display_name(ti),
            "task_id": ti.task_id,
            "try_number": ti.try_number,
            "unixname": ti.unixname,
        }

    def _ti_json(self, ti: _TI) -> JSON:
        run = self._runs[(ti.dag_id, ti.run_id)]
        data = self._ti_history_json(ti)
        return data | {
            "execution_date": _iso(run.logical_date),
            "note": ti.note,
            "rendered_fields": copy.deepcopy(ti.rendered_fields),
            "rendered_map_index": ti.rendered_map_index,
            "sla_miss": None,
            "trigger": None,
            "triggerer_job": None,
        }

    def _ti_ref_json(self, ti: _TI) -> JSON:
        run = self._runs[(ti.dag_id, ti.run_id)]
        return {
            "dag_id": ti.dag_id,
            "dag_run_id": ti.run_id,
            "execution_date": _iso(run.logical_date),
            "task_id": ti.task_id,
        }

    def _pool_json(self, pool: JSON) -> JSON:
        used = {state: 0 for state in ("running", "queued", "scheduled", "deferred")}
        for ti in self._tis.values():
            if ti.pool == pool["name"] and ti.state in used:
                used[ti.state] += ti.pool_slots
        occupied = used["running"] + used["queued"] + (used["deferred"] if pool["include_deferred"] else 0)
        slots = pool["slots"]
        return {
            "deferred_slots": used["deferred"],
            "description": pool["description"],
            "include_deferred": pool["include_deferred"],
            "name": pool["name"],
            "occupied_slots": occupied,
            "open_slots": slots - occupied if slots >= 0 else slots,
            "queued_slots": used["queued"],
            "running_slots": used["running"],
            "scheduled_slots": used["scheduled"],
            "slots": slots,
        }

    @staticmethod
    def _connection_item_json(conn: JSON) -> JSON:
        return {
            "conn_type": conn["conn_type"],
            "connection_id": conn["connection_id"],
            "description": conn["description"],
            "host": conn["host"],
            "login": conn["login"],
            "port": conn["port"],
            "schema": conn["schema"],
        }

    def _connection_json(self, conn: JSON) -> JSON:
        return self._connection_item_json(conn) | {"extra": _redacted_extra(conn["extra"])}

    def _xcom_item_json(self, xcom: _XCom) -> JSON:
        run = self._runs[(xcom.dag_id, xcom.run_id)]
        return {
            "dag_id": xcom.dag_id,
            "execution_date": _iso(run.logical_date),
            "key": xcom.key,
            "map_index": xcom.map_index,
            "task_id": xcom.task_id,
            "timestamp": _iso(xcom.timestamp),
        }

    # --- internals: state changes -----------------------------------------------------------------

    def _set_run_state(self, run: _Run, state: str) -> None:
        """``DagRun.set_state``: its table of start/end dates per transition."""
        now = self.now()
        if run.state != state:
            if state == "queued":
                run.queued_at = now
                run.start_date = None
                run.end_date = None
            if state == "running":
                run.start_date = now if run.state in RUN_FINISHED else (run.start_date or now)
                run.end_date = None
            if run.state not in RUN_FINISHED and state in RUN_FINISHED:
                run.end_date = now
            run.state = state
        elif state == "queued":
            run.queued_at = now
        run.updated_at = now

    def _mark(self, ti: _TI, state: str | None) -> bool:
        """``TaskInstance._set_state`` (what API state changes do): dates filled in, no attempt made."""
        if ti.state == state:
            return False
        now = self.now()
        ti.state = state
        ti.start_date = ti.start_date or now
        if state in TI_FINISHED or state == "up_for_retry":
            ti.end_date = ti.end_date or now
            ti.duration = (ti.end_date - ti.start_date).total_seconds()
        ti.updated_at = now
        return True

    def _record_history(self, ti: _TI) -> None:
        """``TaskInstanceHistory.record_ti``: one entry per try, an unfinished try recorded as failed."""
        entries = self._history.setdefault(ti.key, [])
        if any(e["try_number"] == ti.try_number for e in entries):
            return
        if ti.state not in TI_FINISHED:
            ti.end_date = self.now()
            ti.duration = (ti.end_date - ti.start_date).total_seconds() if ti.start_date else None
        entry = self._ti_history_json(ti)
        if ti.state not in TI_FINISHED:
            entry["state"] = "failed"
        entries.append(entry)

    def _log(self, ti: _TI, source: str, message: str, level: str = "INFO") -> None:
        stamp = self.now().strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.now().microsecond // 1000:03d}+0000"
        ti.logs.setdefault(ti.try_number, []).append(f"[{stamp}] {{{source}}} {level} - {message}")

    def _worker_transition(self, ti: _TI, state: str | None) -> None:
        """A state change made by the scheduler/executor/worker (``set_task_state``)."""
        now = self.now()
        previous = ti.state
        new_attempt = previous in (None, "up_for_retry", "restarting", "removed") or (
            previous in TI_FINISHED and state in ("scheduled", "queued", "running")
        )
        if state == "up_for_retry" and previous == "running":
            self._record_history(ti)
        # a finished state reached without running first: the attempt ran in between
        ran_through = state in ("success", "failed") and previous in _NOT_STARTED
        if (state in ("scheduled", "queued", "running") or ran_through) and new_attempt:
            if ti.try_number > 0 and previous in TI_FINISHED:
                self._record_history(ti)
            ti.try_number += 1
            ti.start_date = ti.end_date = ti.duration = None
        if state == "queued":
            ti.queued_when = now
        if (state == "running" and previous not in ("running", "deferred")) or ran_through:
            ti.start_date = now
            ti.end_date = ti.duration = None
            ti.hostname = WORKER_HOSTNAME
            self._pids += 1
            ti.pid = self._pids
            self._log(ti, "taskinstance.py:2885", f"Starting attempt {ti.try_number} of {ti.max_tries + 1}")
            run = self._runs[(ti.dag_id, ti.run_id)]
            self._log(
                ti,
                "taskinstance.py:2908",
                f"Executing <Task({ti.operator}): {ti.task_id}> on {run.logical_date}",
            )
        ti.state = state
        if state in TI_FINISHED or state == "up_for_retry":
            ti.start_date = ti.start_date or now
            ti.end_date = now
            ti.duration = (ti.end_date - ti.start_date).total_seconds()
            if state in ("success", "failed") and ti.try_number > 0:
                run = self._runs[(ti.dag_id, ti.run_id)]
                self._log(
                    ti,
                    "taskinstance.py:361",
                    f"Marking task as {state.upper()}. dag_id={ti.dag_id}, task_id={ti.task_id}, "
                    f"run_id={ti.run_id}, execution_date={run.logical_date:%Y%m%dT%H%M%S}, "
                    f"start_date={ti.start_date:%Y%m%dT%H%M%S}, end_date={ti.end_date:%Y%m%dT%H%M%S}",
                )
        elif state is None:
            ti.end_date = ti.duration = None
        ti.updated_at = now

    def _propagate(self, ti: _TI, state: str) -> None:
        """What the scheduler does to ``all_success`` tasks waiting below a failed or skipped one."""
        dag = self._dag(ti.dag_id)
        task = dag.task(ti.task_id) if dag else None
        if dag is None or task is None:
            return
        for child_id in task.downstream:
            child = dag.task(child_id)
            if child is None or child.trigger_rule != "all_success":
                continue
            for other in list(self._tis.values()):
                if (other.dag_id, other.run_id, other.task_id) == (ti.dag_id, ti.run_id, child_id) and (
                    other.state is None or other.state == "scheduled"
                ):
                    self._worker_transition(other, state)
                    self._propagate(other, state)

    def _schedule(self, run: _Run) -> None:
        """The scheduler's pass over a run: start it, and end it once every task instance is done."""
        if run.state not in ("queued", "running"):
            return
        now = self.now()
        tis = self._run_tis(run)
        if run.state == "queued" and any(ti.state is not None for ti in tis):
            self._set_run_state(run, "running")
        if run.state == "running" and tis and all(ti.state in TI_FINISHED for ti in tis):
            failed = any(ti.state in ("failed", "upstream_failed") for ti in tis)
            self._set_run_state(run, "failed" if failed else "success")
        run.last_scheduling_decision = now

    def _clear(self, tis: Sequence[_TI], dag_run_state: str | None) -> None:
        """``clear_task_instances``: back to no state (a running one to restarting), runs re-queued."""
        for ti in tis:
            self._record_history(ti)
            if ti.state == "running":
                ti.state = "restarting"
            else:
                dag = self._dag(ti.dag_id)
                task = dag.task(ti.task_id) if dag else None
                ti.max_tries = ti.try_number + task.retries if task else max(ti.max_tries, ti.try_number)
                ti.state = None
            ti.updated_at = self.now()
        if dag_run_state is None:
            return
        for key in dict.fromkeys((ti.dag_id, ti.run_id) for ti in tis):
            run = self._runs[key]
            if run.state in RUN_FINISHED:
                self._set_run_state(run, dag_run_state)
                run.start_date = self.now()
                if dag_run_state == "queued":
                    run.last_scheduling_decision = None
                    run.start_date = None
                    run.clear_number += 1

    def _relatives(
        self, dag: FakeDag, task_ids: Iterable[str], *, upstream: bool, downstream: bool
    ) -> list[str]:
        """The task ids and, optionally, everything up- and/or downstream of them (DAG order)."""
        chosen = set(task_ids)
        if downstream:
            todo = list(chosen)
            while todo:
                task = dag.task(todo.pop())
                for child in task.downstream if task else []:
                    if child not in chosen:
                        chosen.add(child)
                        todo.append(child)
        if upstream:
            parents = {
                t.task_id: [p.task_id for p in dag.tasks if t.task_id in p.downstream] for t in dag.tasks
            }
            todo = list(set(task_ids))
            while todo:
                for parent in parents.get(todo.pop(), []):
                    if parent not in chosen:
                        chosen.add(parent)
                        todo.append(parent)
        return [tid for tid in dag.task_ids if tid in chosen]

    def _priority(self, dag: FakeDag, task: FakeTask) -> int:
        if task.weight_rule == "absolute":
            return task.priority_weight
        related = self._relatives(
            dag,
            [task.task_id],
            upstream=task.weight_rule == "upstream",
            downstream=task.weight_rule == "downstream",
        )
        return sum(t.priority_weight for t in dag.tasks if t.task_id in related)

    def _set_state_api(
        self, dag: FakeDag, ti_list: Sequence[_TI], task_id: str, state: str, runs: Sequence[_Run]
    ) -> None:
        """``DAG.set_task_instance_state`` with commit: mark, then clear failed tasks downstream."""
        for ti in ti_list:
            self._mark(ti, state)
        below = set(self._relatives(dag, [task_id], upstream=False, downstream=True)) - {task_id}
        to_clear = [
            ti
            for run in runs
            for ti in self._run_tis(run)
            if ti.task_id in below and ti.state in ("failed", "upstream_failed")
        ]
        if to_clear:
            self._clear(to_clear, "queued")

    # --- operations: DAGs -------------------------------------------------------------------------

    def _dag_or_404(self, dag_id: str) -> FakeDag:
        dag = self._dag(dag_id)
        if dag is None:
            raise _not_found("DAG not found", f"The DAG with dag_id: {dag_id} was not found")
        return dag

    @staticmethod
    def _only(data: JSON, wanted: Sequence[str] | None, schema: str, title: str) -> JSON:
        if not wanted:
            return data
        invalid = [name for name in dict.fromkeys(wanted) if name not in data]
        if invalid:
            raise _bad_request(
                f"Invalid fields for <{schema}(many=False)>: OrderedSet({invalid!r}).", title=title
            )
        return {name: data[name] for name in data if name in wanted}

    def _filtered_dags(self, query: dict[str, Any], *, tilde_is_all: bool) -> list[FakeDag]:
        dags = list(self.dags.values())
        if query.get("only_active", True):
            dags = [d for d in dags if d.is_active]
        paused = query.get("paused")
        if paused is not None:
            dags = [d for d in dags if d.is_paused == bool(paused)]
        pattern = query.get("dag_id_pattern")
        if pattern:
            regex = _like("%" if pattern == "~" and tilde_is_all else str(pattern))
            dags = [d for d in dags if regex.fullmatch(d.dag_id)]
        tags = query.get("tags")
        if tags:
            wanted = {tags} if isinstance(tags, str) else set(tags)
            dags = [d for d in dags if wanted & set(d.tags)]
        return dags

    def _op_get_dags(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        dags = self._filtered_dags(query, tilde_is_all=False)
        ordered = _apply_sorting(dags, query.get("order_by") or "dag_id", lambda d, _: d.dag_id, ("dag_id",))
        wanted = _fields_param(query)
        page = [
            self._only(self._dag_json(d), wanted, "DAGSchema", "DAGCollectionSchema error")
            for d in _page(ordered, offset, limit)
        ]
        if wanted and not page:
            self._only(self._dag_json(FakeDag("-")), wanted, "DAGSchema", "DAGCollectionSchema error")
        return 200, {"dags": page, "total_entries": len(dags)}

    def _op_get_dag(self, call: Call) -> Reply:
        dag = self._dag_or_404(call.path["dag_id"])
        return 200, self._only(
            self._dag_json(dag), _fields_param(call.query), "DAGSchema", "DAGSchema init error"
        )

    def _op_get_dag_details(self, call: Call) -> Reply:
        dag = self._dag_or_404(call.path["dag_id"])
        data = self._dag_detail_json(dag)
        return 200, self._only(
            data, _fields_param(call.query), "DAGDetailSchema", "DAGDetailSchema init error"
        )

    def _load_dag_patch(self, call: Call) -> JSON:
        try:
            body = _load(call.body, _DAG_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        mask = _mask(call.query)
        if mask:
            if mask != ["is_paused"]:
                raise _bad_request("Only `is_paused` field can be updated through the REST API")
            if "is_paused" not in body:
                raise _server_error()
            body = {"is_paused": body["is_paused"]}
        if "is_paused" not in body:
            raise _server_error()
        return body

    def _op_patch_dag(self, call: Call) -> Reply:
        body = self._load_dag_patch(call)
        dag_id = call.path["dag_id"]
        dag = self._dag(dag_id)
        if dag is None:
            raise _not_found(f"Dag with id: '{dag_id}' not found")
        dag.is_paused = bool(body["is_paused"])
        return 200, self._dag_json(dag)

    def _op_patch_dags(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        body = self._load_dag_patch(call)
        # the server filters on ILIKE '%{dag_id_pattern}%' even when none is given: '%None%'
        query = {"only_active": True, "dag_id_pattern": "None"} | query
        dags = sorted(self._filtered_dags(query, tilde_is_all=True), key=lambda d: d.dag_id)
        page = _page(dags, offset, limit)
        for dag in page:
            dag.is_paused = bool(body["is_paused"])
        return 200, {"dags": [self._dag_json(d) for d in page], "total_entries": len(dags)}

    def _op_delete_dag(self, call: Call) -> Reply:
        dag_id = call.path["dag_id"]
        if dag_id not in self.dags:
            raise _not_found(f"Dag with id: '{dag_id}' not found")
        if any(ti.dag_id == dag_id and ti.state == "running" for ti in self._tis.values()):
            raise _conflict(f"Task instances of dag with id: '{dag_id}' are still running")
        del self.dags[dag_id]
        self._runs = {k: v for k, v in self._runs.items() if k[0] != dag_id}
        self._tis = {k: v for k, v in self._tis.items() if k[0] != dag_id}
        self._history = {k: v for k, v in self._history.items() if k[0] != dag_id}
        self._xcoms = [x for x in self._xcoms if x.dag_id != dag_id]
        return 204, None

    def _op_get_tasks(self, call: Call) -> Reply:
        dag = self._dag(call.path["dag_id"])
        if dag is None:
            raise _not_found("DAG not found")
        order_by = call.query.get("order_by") or "task_id"
        name = order_by.lstrip("-")
        tasks = [self._task_json(dag, t) for t in dag.tasks]
        if tasks and name not in tasks[0]:
            raise _bad_request(f"'SerializedBaseOperator' object has no attribute '{name}'")
        ordered = sorted(tasks, key=lambda t: _sort_key(t[name]), reverse=order_by.startswith("-"))
        return 200, {"tasks": ordered, "total_entries": len(ordered)}

    def _op_get_task(self, call: Call) -> Reply:
        dag = self._dag(call.path["dag_id"])
        if dag is None:
            raise _not_found("DAG not found")
        task = dag.task(call.path["task_id"])
        if task is None:
            raise _not_found("Task not found")
        return 200, self._task_json(dag, task)

    def _op_get_dag_stats(self, call: Call) -> Reply:
        raw = call.query.get("dag_ids") or ""
        wanted = raw if isinstance(raw, list) else str(raw).split(",")
        dag_ids = [d for d in dict.fromkeys(wanted) if d in self.dags]
        counts: dict[tuple[str, str], int] = {}
        for run in self._runs.values():
            counts[(run.dag_id, run.state)] = counts.get((run.dag_id, run.state), 0) + 1
        dags = [
            {"dag_id": d, "stats": [{"count": counts.get((d, s), 0), "state": s} for s in RUN_STATES]}
            for d in dag_ids
        ]
        return 200, {"dags": dags, "total_entries": len(dags)}

    # --- operations: DAG runs ---------------------------------------------------------------------

    _RUN_SORT: ClassVar[tuple[str, ...]] = (
        "id",
        "state",
        "dag_id",
        "execution_date",
        "dag_run_id",
        "start_date",
        "end_date",
        "updated_at",
        "external_trigger",
        "conf",
    )

    @staticmethod
    def _run_value(run: _Run, name: str) -> Any:
        if name == "execution_date":
            return run.logical_date
        if name == "dag_run_id":
            return run.run_id
        return getattr(run, name)

    def _fetch_runs(
        self, runs: list[_Run], filters: dict[str, datetime | None], order_by: str, offset: int, limit: int
    ) -> tuple[list[_Run], int]:
        def keep(run: _Run) -> bool:
            return (
                _in_range(run.start_date, filters.get("start_date_gte"), filters.get("start_date_lte"))
                and _in_range(
                    run.logical_date, filters.get("execution_date_gte"), filters.get("execution_date_lte")
                )
                and _in_range(run.end_date, filters.get("end_date_gte"), filters.get("end_date_lte"))
                and _in_range(run.updated_at, filters.get("updated_at_gte"), filters.get("updated_at_lte"))
            )

        kept = [r for r in sorted(runs, key=lambda r: r.id) if keep(r)]
        ordered = _apply_sorting(kept, order_by, self._run_value, self._RUN_SORT)
        return _page(ordered, offset, limit), len(kept)

    def _runs_json(self, runs: Sequence[_Run], wanted: Sequence[str] | None, title: str) -> list[JSON]:
        out = []
        for run in runs:
            data = self._run_json(run)
            if wanted:
                missing = next((f for f in wanted if f not in data), None)
                if missing is not None:
                    raise _bad_request(f"{missing} not in DAGRunSchema", title=title)
                data = {name: data[name] for name in wanted}
            out.append(data)
        return out

    def _op_get_dag_runs(self, call: Call) -> Reply:
        query, dag_id = call.query, call.path["dag_id"]
        filters = {name: _query_dt(query, name) for name in _DATE_FILTERS}
        limit, offset = _check_limit(query), _offset(query)
        runs = [
            r for r in self._runs.values() if (dag_id == "~" and r.dag_id in self.dags) or r.dag_id == dag_id
        ]
        states = query.get("state")
        if states:
            runs = [r for r in runs if r.state in set(states)]
        page, total = self._fetch_runs(runs, filters, query.get("order_by") or "id", offset, limit)
        wanted = _fields_param(query)
        items = self._runs_json(page, wanted, "DAGRunCollectionSchema error")
        if wanted and not page:
            self._runs_json([self._placeholder_run()], wanted, "DAGRunCollectionSchema error")
        return 200, {"dag_runs": items, "total_entries": total}

    def _placeholder_run(self) -> _Run:
        now = self.now()
        return _Run(0, "-", "-", now, None, None, "queued", "manual", {}, None, None, now)

    def _op_get_dag_runs_batch(self, call: Call) -> Reply:
        try:
            form = _load(call.body, _RUNS_BATCH_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        dag_ids = form.get("dag_ids")
        allowed = set(self.dags) & set(dag_ids) if dag_ids else set(self.dags)
        runs = [r for r in self._runs.values() if r.dag_id in allowed]
        states = form.get("states")
        if states:
            runs = [r for r in runs if r.state in set(states)]
        filters = {name: form.get(name) for name in _DATE_FILTERS[:6]}
        page, total = self._fetch_runs(
            runs,
            filters,
            form.get("order_by") or "id",
            form.get("page_offset", 0),
            form.get("page_limit", 100),
        )
        return 200, {"dag_runs": [self._run_json(r) for r in page], "total_entries": total}

    def _run_or_404(self, dag_id: str, run_id: str, title: str, *, in_title: bool = False) -> _Run:
        run = self._runs.get((dag_id, run_id))
        if run is None:
            if in_title:
                raise _not_found(title)
            raise _not_found(title, f"DAGRun with DAG ID: '{dag_id}' and DagRun ID: '{run_id}' not found")
        return run

    def _op_get_dag_run(self, call: Call) -> Reply:
        run = self._run_or_404(call.path["dag_id"], call.path["dag_run_id"], "DAGRun not found")
        wanted = _fields_param(call.query)
        return 200, self._runs_json([run], wanted, "DAGRunSchema error")[0]

    def _op_post_dag_run(self, call: Call) -> Reply:
        dag_id = call.path["dag_id"]
        dag = self._dag(dag_id)
        if dag is None or not dag.is_active:
            raise _not_found("DAG not found", f"DAG with dag_id: '{dag_id}' not found")
        if dag.has_import_errors:
            raise _bad_request(
                f"DAG with dag_id: '{dag_id}' has import errors", title="DAG cannot be triggered"
            )
        raw: Any = {} if call.body is None else dict(call.body) if isinstance(call.body, dict) else call.body
        if isinstance(raw, dict):
            logical, execution = raw.get("logical_date"), raw.pop("execution_date", None)
            if "logical_date" not in raw and execution is not None:
                raw["logical_date"] = execution
            elif execution is not None and logical != execution:
                raise _bad_request(
                    f"{logical!r} != {execution!r}", title="logical_date conflicts with execution_date"
                )
        try:
            body = _load(raw, _DAG_RUN_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        for name in ("logical_date", "data_interval_start", "data_interval_end"):
            text = raw.get(name) if isinstance(raw, dict) else None
            if isinstance(text, str) and not re.search(r"(Z|z|[+-]\d\d:?\d\d)$", text.strip()):
                raise _bad_request("Naive datetime is disallowed", title="Invalid datetime format")
        if (body.get("data_interval_start") is None) != (body.get("data_interval_end") is None):
            raise _bad_request(
                str(
                    {
                        "_schema": [
                            "Both 'data_interval_start' and 'data_interval_end' must be specified together"
                        ]
                    }
                )
            )
        logical_date = body.get("logical_date") or self.now()
        run_id = body.get("run_id") or f"manual__{logical_date.isoformat()}"
        existing = next(
            (
                r
                for r in sorted(self._runs.values(), key=lambda r: r.id)
                if r.dag_id == dag_id and (r.run_id == run_id or r.logical_date == logical_date)
            ),
            None,
        )
        if existing is not None:
            if existing.logical_date == logical_date:
                raise _conflict(
                    f"DAGRun with DAG ID: '{dag_id}' and DAGRun logical date: "
                    f"'{logical_date.isoformat(sep=' ')}' already exists"
                )
            raise _conflict(f"DAGRun with DAG ID: '{dag_id}' and DAGRun ID: '{run_id}' already exists")
        if not re.fullmatch(r"[A-Za-z0-9_.~:+-]+", run_id):
            raise _server_error()  # the server's run_id check raises outside its error handling
        conf = body.get("conf")
        if isinstance(conf, str):
            try:
                conf = json.loads(conf)
            except ValueError:
                raise _bad_request(f"'{conf}' is not of type 'object' - 'conf'") from None
        if body.get("data_interval_start") is not None:
            interval = (body["data_interval_start"], body["data_interval_end"])
        else:
            interval = self._manual_interval(dag, logical_date)
        run = self._create_run(
            dag, run_id, logical_date, interval, conf=conf or {}, note=body.get("note") or None
        )
        return 200, self._run_json(run)

    def _create_run(
        self,
        dag: FakeDag,
        run_id: str,
        logical_date: datetime,
        interval: tuple[datetime, datetime],
        *,
        conf: Any,
        note: str | None,
        run_type: str = "manual",
    ) -> _Run:
        now = self.now()
        run = _Run(
            id=self._next_id(),
            dag_id=dag.dag_id,
            run_id=run_id,
            logical_date=logical_date,
            data_interval_start=interval[0],
            data_interval_end=interval[1],
            state="queued",
            run_type=run_type,
            conf=copy.deepcopy(conf),
            note=note,
            queued_at=now,
            updated_at=now,
            external_trigger=run_type == "manual",
        )
        self._runs[(dag.dag_id, run_id)] = run
        for task in dag.tasks:
            indexes = [-1] if task.map_count is None else list(range(task.map_count)) or [-1]
            for index in indexes:
                ti = _TI(
                    seq=self._next_id(),
                    dag_id=dag.dag_id,
                    run_id=run_id,
                    task_id=task.task_id,
                    map_index=index,
                    operator=task.operator,
                    pool=task.pool,
                    pool_slots=task.pool_slots,
                    queue=task.queue,
                    priority_weight=self._priority(dag, task),
                    max_tries=task.retries,
                    updated_at=now,
                )
                if task.map_count == 0:
                    ti.state = "skipped"
                self._tis[ti.key] = ti
        return run

    def _op_delete_dag_run(self, call: Call) -> Reply:
        dag_id, run_id = call.path["dag_id"], call.path["dag_run_id"]
        self._run_or_404(dag_id, run_id, "Not Found")
        del self._runs[(dag_id, run_id)]
        self._tis = {k: v for k, v in self._tis.items() if k[:2] != (dag_id, run_id)}
        self._history = {k: v for k, v in self._history.items() if k[:2] != (dag_id, run_id)}
        self._xcoms = [x for x in self._xcoms if (x.dag_id, x.run_id) != (dag_id, run_id)]
        return 204, None

    def _op_update_dag_run_state(self, call: Call) -> Reply:
        dag_id, run_id = call.path["dag_id"], call.path["dag_run_id"]
        run = self._run_or_404(
            dag_id, run_id, f"Dag Run id {run_id} not found in dag {dag_id}", in_title=True
        )
        try:
            body = _load(call.body, _RUN_STATE_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        if "state" not in body:
            raise _server_error()
        state = body["state"]
        tis = self._run_tis(run)
        if state == "success":
            for ti in tis:
                self._mark(ti, "success")
            self._set_run_state(run, "success")
        elif state == "queued":
            self._set_run_state(run, "queued")
        else:
            running = ("running", "deferred", "up_for_reschedule")
            for ti in tis:
                if ti.state in running:
                    self._mark(ti, "failed")
                elif ti.state is None or ti.state not in TI_FINISHED:
                    self._mark(ti, "skipped")
            self._set_run_state(run, "failed")
        return 200, self._run_json(run)

    def _op_clear_dag_run(self, call: Call) -> Reply:
        dag_id, run_id = call.path["dag_id"], call.path["dag_run_id"]
        run = self._run_or_404(
            dag_id, run_id, f"Dag Run id {run_id} not found in dag   {dag_id}", in_title=True
        )
        try:
            body = _load(call.body, _CLEAR_RUN_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        same_date = [
            r for r in self._runs.values() if r.dag_id == dag_id and r.logical_date == run.logical_date
        ]
        tis = [ti for r in same_date for ti in self._run_tis(r)]
        if body.get("dry_run", True):
            return 200, {"task_instances": [self._ti_ref_json(ti) for ti in tis]}
        self._clear(tis, "queued")
        return 200, self._run_json(run)

    def _op_set_dag_run_note(self, call: Call) -> Reply:
        dag_id, run_id = call.path["dag_id"], call.path["dag_run_id"]
        run = self._run_or_404(
            dag_id, run_id, f"Dag Run id {run_id} not found in dag {dag_id}", in_title=True
        )
        try:
            body = _load(call.body, _NOTE_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        if "note" not in body:
            raise _server_error()
        run.note = body["note"]
        run.updated_at = self.now()
        return 200, self._run_json(run)

    def _op_get_upstream_dataset_events(self, call: Call) -> Reply:
        self._run_or_404(call.path["dag_id"], call.path["dag_run_id"], "DAGRun not found")
        return 200, {"dataset_events": [], "total_entries": 0}

    # --- operations: task instances ---------------------------------------------------------------

    def _ti_filter(self, tis: Iterable[_TI], query: dict[str, Any], *, dates: bool = True) -> list[_TI]:
        bounds = {name: _query_dt(query, name) for name in _DATE_FILTERS} if dates else {}
        states = _states(query.get("state"))
        out = []
        for ti in tis:
            run = self._runs[(ti.dag_id, ti.run_id)]
            if not (
                _in_range(
                    run.logical_date, bounds.get("execution_date_gte"), bounds.get("execution_date_lte")
                )
                and _in_range(ti.start_date, bounds.get("start_date_gte"), bounds.get("start_date_lte"))
                and _in_range(ti.end_date, bounds.get("end_date_gte"), bounds.get("end_date_lte"))
                and _in_range(ti.duration, query.get("duration_gte"), query.get("duration_lte"))
                and _in_range(ti.updated_at, bounds.get("updated_at_gte"), bounds.get("updated_at_lte"))
            ):
                continue
            if states is not None and ti.state not in states:
                continue
            if any(
                query.get(name) is not None and getattr(ti, name) not in query[name]
                for name in ("pool", "queue", "executor")
            ):
                continue
            out.append(ti)
        return out

    def _all_tis(self) -> list[_TI]:
        return sorted(self._tis.values(), key=lambda ti: ti.seq)

    def _op_get_task_instances(self, call: Call) -> Reply:
        dag_id, run_id = call.path["dag_id"], call.path["dag_run_id"]
        tis = [
            ti
            for ti in self._all_tis()
            if (ti.dag_id == dag_id or (dag_id == "~" and ti.dag_id in self.dags))
            and (run_id == "~" or ti.run_id == run_id)
        ]
        kept = self._ti_filter(tis, call.query)
        page = _page(kept, _offset(call.query), _raw_limit(call.query))
        return 200, {"task_instances": [self._ti_json(ti) for ti in page], "total_entries": len(kept)}

    def _op_get_task_instances_batch(self, call: Call) -> Reply:
        try:
            form = _load(call.body, _TIS_BATCH_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        dag_ids = form.get("dag_ids") or list(self.dags)
        tis = [ti for ti in self._all_tis() if ti.dag_id in dag_ids]
        for name, attr in (("dag_run_ids", "run_id"), ("task_ids", "task_id")):
            if form.get(name) is not None:
                tis = [ti for ti in tis if getattr(ti, attr) in form[name]]
        query = {
            k: v
            for k, v in form.items()
            if k in ("state", "pool", "queue", "executor", "duration_gte", "duration_lte")
        }
        query |= {name: _iso(form.get(name)) for name in _DATE_FILTERS[:6]}
        kept = self._ti_filter(tis, query)
        page = _page(kept, form.get("page_offset", 0), form.get("page_limit", 100))
        return 200, {"task_instances": [self._ti_json(ti) for ti in page], "total_entries": len(kept)}

    def _op_get_task_instance(self, call: Call) -> Reply:
        p = call.path
        found = [
            ti
            for ti in self._all_tis()
            if (ti.dag_id, ti.run_id, ti.task_id) == (p["dag_id"], p["dag_run_id"], p["task_id"])
        ]
        if not found:
            raise _not_found("Task instance not found")
        if len(found) > 1 or found[0].map_index != -1:
            raise _not_found(
                "Task instance not found", "Task instance is mapped, add the map_index value to the URL"
            )
        return 200, self._ti_json(found[0])

    def _op_get_mapped_task_instance(self, call: Call) -> Reply:
        p = call.path
        ti = self._tis.get((p["dag_id"], p["dag_run_id"], p["task_id"], int(p["map_index"])))
        if ti is None:
            raise _not_found("Task instance not found")
        return 200, self._ti_json(ti)

    _MAPPED_ORDER: ClassVar[dict[str, tuple[str, bool]]] = {
        "state": ("state", False),
        "-state": ("state", True),
        "duration": ("duration", False),
        "-duration": ("duration", True),
        "start_date": ("start_date", False),
        "-start_date": ("start_date", True),
        "end_date": ("end_date", False),
        "-end_date": ("end_date", True),
    }

    def _op_get_mapped_task_instances(self, call: Call) -> Reply:
        p, query = call.path, call.query
        dag_id, task_id = p["dag_id"], p["task_id"]
        base = [
            ti
            for ti in self._all_tis()
            if (ti.dag_id, ti.run_id, ti.task_id) == (dag_id, p["dag_run_id"], task_id) and ti.map_index >= 0
        ]
        if not base:
            dag = self._dag(dag_id)
            if dag is None:
                raise _not_found(f"DAG {dag_id} not found")
            task = dag.task(task_id)
            if task is None:
                raise _not_found(f"Task id {task_id} not found")
            if not task.is_mapped:
                raise _not_found(f"Task id {task_id} is not mapped")
        kept = self._ti_filter(base, query)
        order_by = query.get("order_by")
        by_index = sorted(kept, key=lambda ti: ti.map_index)
        if order_by is None:
            ordered = by_index
        elif order_by == "-map_index":
            ordered = by_index[::-1]
        elif order_by in self._MAPPED_ORDER:
            name, desc = self._MAPPED_ORDER[order_by]
            # a stable sort, reversed or not, keeps ties in map_index order (the server's second key)
            ordered = sorted(by_index, key=lambda ti: _sort_key(getattr(ti, name)), reverse=desc)
        else:
            raise _bad_request(f"Ordering with '{order_by}' is not supported")
        page = _page(ordered, _offset(query), _raw_limit(query))
        return 200, {"task_instances": [self._ti_json(ti) for ti in page], "total_entries": len(kept)}

    def _patch_ti(self, call: Call, map_index: int) -> Reply:
        p = call.path
        dag_id, run_id, task_id = p["dag_id"], p["dag_run_id"], p["task_id"]
        try:
            body = _load(call.body, _UPDATE_TI_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        dag = self._dag(dag_id)
        if dag is None:
            raise _not_found("DAG not found", f"DAG {dag_id!r} not found")
        if dag.task(task_id) is None:
            raise _not_found("Task not found", f"Task {task_id!r} not found in DAG {dag_id!r}")
        ti = self._tis.get((dag_id, run_id, task_id, map_index))
        if ti is None:
            raise _not_found(
                detail=f"Task instance not found for task {task_id!r} on DAG run with ID {run_id!r}"
            )
        if body.get("dry_run", True):
            return 200, self._ti_ref_json(ti)
        self._set_state_api(dag, [ti], task_id, body["new_state"], [self._runs[(dag_id, run_id)]])
        return 200, {}  # the server dumps the list of changed instances with a one-object schema

    def _op_patch_task_instance(self, call: Call) -> Reply:
        return self._patch_ti(call, -1)

    def _op_patch_mapped_task_instance(self, call: Call) -> Reply:
        return self._patch_ti(call, int(call.path["map_index"]))

    def _note_ti(self, call: Call, map_index: int) -> Reply:
        p = call.path
        try:
            body = _load(call.body, _TI_NOTE_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        if "note" not in body:
            raise _server_error()
        ti = self._tis.get((p["dag_id"], p["dag_run_id"], p["task_id"], map_index))
        if ti is None:
            raise _not_found(
                f"Task Instance not found for dag_id={p['dag_id']}, "
                f"run_id={p['dag_run_id']}, task_id={p['task_id']}"
            )
        ti.note = body["note"]
        ti.updated_at = self.now()
        return 200, self._ti_json(ti)

    def _op_set_task_instance_note(self, call: Call) -> Reply:
        return self._note_ti(call, -1)

    def _op_set_mapped_task_instance_note(self, call: Call) -> Reply:
        return self._note_ti(call, int(call.path["map_index"]))

    def _tries(self, call: Call, map_index: int) -> Reply:
        p = call.path
        key = (p["dag_id"], p["dag_run_id"], p["task_id"], map_index)
        entries = [dict(e) for e in self._history.get(key, [])]
        ti = self._tis.get(key)
        if ti is not None and ti.state != "up_for_retry":
            entries.append(self._ti_history_json(ti))
        return 200, {"task_instances": entries, "total_entries": len(entries)}

    def _op_get_task_instance_tries(self, call: Call) -> Reply:
        return self._tries(call, -1)

    def _op_get_mapped_task_instance_tries(self, call: Call) -> Reply:
        return self._tries(call, int(call.path["map_index"]))

    def _try_details(self, call: Call, map_index: int) -> Reply:
        p = call.path
        number = int(p["task_try_number"])
        key = (p["dag_id"], p["dag_run_id"], p["task_id"], map_index)
        ti = self._tis.get(key)
        if ti is not None and ti.try_number == number:
            return 200, self._ti_history_json(ti)
        for entry in self._history.get(key, []):
            if entry["try_number"] == number:
                return 200, dict(entry)
        raise _not_found(
            "Task instance not found",
            f"Task Instance not found for dag_id={p['dag_id']}, run_id={p['dag_run_id']}, "
            f"task_id={p['task_id']}, map_index={map_index}, try_number={number}.",
        )

    def _op_get_task_instance_try_details(self, call: Call) -> Reply:
        return self._try_details(call, -1)

    def _op_get_mapped_task_instance_try_details(self, call: Call) -> Reply:
        return self._try_details(call, int(call.path["map_index"]))

    def _op_get_extra_links(self, call: Call) -> Reply:
        p = call.path
        dag = self._dag(p["dag_id"])
        if dag is None:
            raise _not_found("DAG not found", f'DAG with ID = "{p["dag_id"]}" not found')
        task = dag.task(p["task_id"])
        if task is None:
            raise _not_found("Task not found", f'Task with ID = "{p["task_id"]}" not found')
        map_index = call.query.get("map_index")
        if (
            p["dag_id"],
            p["dag_run_id"],
            p["task_id"],
            -1 if map_index is None else int(map_index),
        ) not in self._tis:
            raise _not_found("DAG Run not found", f'DAG Run with ID = "{p["dag_run_id"]}" not found')
        return 200, {name: None for name in sorted(task.extra_links)}

    def _op_post_clear_task_instances(self, call: Call) -> Reply:
        dag_id = call.path["dag_id"]
        try:
            defaults: JSON = {
                "dry_run": True,
                "only_failed": True,
                "only_running": False,
                "reset_dag_runs": False,
                "start_date": None,
                "end_date": None,
                "dag_run_id": None,
            }
            form = defaults | _load(call.body, _CLEAR_TIS_BODY)
            errors = self._clear_form_errors(form)
            if errors:
                raise _Invalid({"_schema": errors})
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        dag = self._dag(dag_id)
        if dag is None:
            raise _not_found(f"Dag id {dag_id} not found")
        start, end = form["start_date"], form["end_date"]
        if form["dag_run_id"] is not None:
            run = self._runs.get((dag_id, form["dag_run_id"]))
            if run is None:
                raise _not_found(f"Dag Run id {form['dag_run_id']} not found in dag {dag_id}")
            start = end = run.logical_date
        if form.get("include_past"):
            start = None
        if form.get("include_future"):
            end = None
        task_ids = form.get("task_ids")
        if task_ids is not None:
            task_ids = self._relatives(
                dag,
                task_ids,
                upstream=bool(form.get("include_upstream")),
                downstream=bool(form.get("include_downstream")),
            )
        runs = sorted(
            (r for r in self._runs.values() if r.dag_id == dag_id and _in_range(r.logical_date, start, end)),
            key=lambda r: r.logical_date,
        )
        tis = [
            ti
            for run in runs
            for ti in self._run_tis(run)
            if (task_ids is None or ti.task_id in task_ids)
            and (not form["only_failed"] or ti.state in ("failed", "upstream_failed"))
            and (not form["only_running"] or ti.state == "running")
        ]
        if not form["dry_run"]:
            self._clear(tis, "queued" if form["reset_dag_runs"] else None)
        return 200, {"task_instances": [self._ti_ref_json(ti) for ti in tis]}

    @staticmethod
    def _clear_form_errors(form: JSON) -> list[str]:
        if form["only_failed"] and form["only_running"]:
            return ["only_failed and only_running both are set to True"]
        start, end, run_id = form["start_date"], form["end_date"], form["dag_run_id"]
        if start and end and start > end:
            return ["end_date is sooner than start_date"]
        if start and end and run_id:
            return ["Exactly one of dag_run_id or (start_date and end_date) must be provided"]
        if start and run_id:
            return ["Exactly one of dag_run_id or start_date must be provided"]
        if end and run_id:
            return ["Exactly one of dag_run_id or end_date must be provided"]
        task_ids = form.get("task_ids")
        if task_ids is not None and len(task_ids) < 1:
            raise _Invalid({"task_ids": ["Shorter than minimum length 1."]})
        return []

    def _op_post_set_task_instances_state(self, call: Call) -> Reply:
        dag_id = call.path["dag_id"]
        try:
            form = _load(call.body, _SET_TIS_STATE_BODY)
            if (form.get("execution_date") is None) == (form.get("dag_run_id") is None):
                raise _Invalid({"_schema": ["Exactly one of execution_date or dag_run_id must be provided"]})
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        dag = self._dag(dag_id)
        if dag is None:
            raise _not_found(f"Dag ID {dag_id} not found")
        task_id = form["task_id"]
        if dag.task(task_id) is None:
            raise _not_found(f"Task ID {task_id} not found")
        run: _Run | None
        if form.get("execution_date") is not None:
            date = form["execution_date"]
            run = next(
                (r for r in self._runs.values() if r.dag_id == dag_id and r.logical_date == date), None
            )
            matches = [ti for ti in self._run_tis(run) if ti.task_id == task_id] if run else []
            if len(matches) > 1:
                raise _server_error()
            if not matches:
                raise _not_found(
                    detail=f"Task instance not found for task {task_id!r} on execution_date {date}"
                )
        else:
            run = self._runs.get((dag_id, form["dag_run_id"]))
            if (dag_id, form["dag_run_id"], task_id, -1) not in self._tis:
                raise _not_found(
                    detail=f"Task instance not found for task {task_id!r} "
                    f"on DAG run with ID {form['dag_run_id']!r}"
                )
        assert run is not None
        runs = [
            r
            for r in self._runs.values()
            if r.dag_id == dag_id
            and (
                r is run
                or (form["include_future"] and r.logical_date >= run.logical_date)
                or (form["include_past"] and r.logical_date <= run.logical_date)
            )
        ]
        task_ids = self._relatives(
            dag, [task_id], upstream=form["include_upstream"], downstream=form["include_downstream"]
        )
        new_state = form["new_state"]
        altered = [
            ti
            for r in sorted(runs, key=lambda r: r.logical_date)
            for ti in self._run_tis(r)
            if ti.task_id in task_ids and ti.state != new_state
        ]
        refs = [self._ti_ref_json(ti) for ti in altered]
        if not form.get("dry_run", True):
            self._set_state_api(dag, altered, task_id, new_state, runs)
        return 200, {"task_instances": refs}

    # --- operations: logs and XCom ----------------------------------------------------------------

    def _op_get_log(self, call: Call) -> Reply:
        p, query = call.path, call.query
        number = int(p["task_try_number"])
        map_index = -1 if query.get("map_index") is None else int(query["map_index"])
        token = query.get("token")
        metadata: JSON = {}
        if token:
            try:
                loaded = _unsign(str(token))
            except ValueError:
                raise _bad_request(
                    None, title="Bad Signature. Please use only the tokens provided by the API."
                ) from None
            metadata = loaded if isinstance(loaded, dict) else {}
        key = (p["dag_id"], p["dag_run_id"], p["task_id"], map_index)
        ti = self._tis.get(key)
        if ti is None:
            raise _not_found("TaskInstance not found")
        if number < 1:
            content = [("default_host", f"Error fetching the logs. Try number {number} is invalid.")]
            return 200, {"content": repr(content), "continuation_token": _sign({"end_of_log": True})}
        lines = ti.logs.get(number, [])
        logs = "\n".join(lines)
        messages: list[str] = []
        index_part = f"/map_index={map_index}" if map_index >= 0 else ""
        relative = (
            f"dag_id={ti.dag_id}/run_id={ti.run_id}/task_id={ti.task_id}{index_part}/attempt={number}.log"
        )
        if lines:
            messages += ["Found local files:", f"  * {LOG_FOLDER}/{relative}"]
        elif ti.state in TI_FINISHED or ti.state in (
            "running",
            "deferred",
            "up_for_retry",
            "up_for_reschedule",
        ):
            if ti.hostname:
                messages.append(
                    f"Could not read served logs: HTTPConnectionPool(host='{ti.hostname}', port=8793): "
                    f"Max retries exceeded with url: /log/{relative}"
                )
            else:
                messages.append(
                    f"Could not read served logs: Invalid URL 'http://:8793/log/{relative}': No host supplied"
                )
        header = " INFO - ::group::Log message source details\n"
        header += "".join(f"*** {m}\n" for m in messages)
        header += " INFO - ::endgroup::\n"
        text = logs[int(metadata["log_pos"]) :] if "log_pos" in metadata else header + logs
        end_of_log = ti.try_number != number or ti.state not in ("running", "deferred")
        return 200, {
            "content": repr([(ti.hostname, text)]),
            "continuation_token": _sign({"end_of_log": end_of_log, "log_pos": len(logs)}),
        }

    def _op_get_xcom_entries(self, call: Call) -> Reply:
        p, query = call.path, call.query
        limit, offset = _check_limit(query), _offset(query)
        dag_id, run_id, task_id = p["dag_id"], p["dag_run_id"], p["task_id"]
        items = [
            x
            for x in self._xcoms
            if (x.dag_id == dag_id or (dag_id == "~" and x.dag_id in self.dags))
            and (task_id == "~" or x.task_id == task_id)
            and (run_id == "~" or x.run_id == run_id)
            and (query.get("map_index") is None or x.map_index == query["map_index"])
            and (query.get("xcom_key") is None or x.key == query["xcom_key"])
        ]
        items.sort(key=lambda x: (x.dag_id, x.task_id, x.run_id, x.map_index, x.key))
        page = _page(items, offset, limit)
        return 200, {"total_entries": len(items), "xcom_entries": [self._xcom_item_json(x) for x in page]}

    def _op_get_xcom_entry(self, call: Call) -> Reply:
        p, query = call.path, call.query
        if query.get("deserialize"):
            raise _bad_request("XCom deserialization is disabled in configuration.")
        map_index = -1 if query.get("map_index") is None else int(query["map_index"])
        xcom = next(
            (
                x
                for x in self._xcoms
                if (x.dag_id, x.run_id, x.task_id, x.map_index, x.key)
                == (p["dag_id"], p["dag_run_id"], p["task_id"], map_index, p["xcom_key"])
            ),
            None,
        )
        if xcom is None:
            raise _not_found("XCom entry not found")
        stringify = query.get("stringify", True)
        value = copy.deepcopy(xcom.value)
        if stringify and value is not None:
            value = str(value)
        return 200, self._xcom_item_json(xcom) | {"value": value}

    # --- operations: variables --------------------------------------------------------------------

    def _op_get_variables(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        records = list(self.variables.values())
        ordered = _apply_sorting(
            records,
            query.get("order_by") or "id",
            lambda v, name: list(self.variables).index(v["key"]) if name == "id" else v[name],
            ("value", "key", "id"),
        )
        return 200, {
            "total_entries": len(records),
            "variables": [dict(v) for v in _page(ordered, offset, limit)],
        }

    def _op_get_variable(self, call: Call) -> Reply:
        record = self.variables.get(call.path["variable_key"])
        if record is None:
            raise _not_found("Variable not found", "Variable does not exist")
        return 200, dict(record)

    def _load_variable(self, call: Call) -> JSON:
        try:
            return _load(call.body, _VARIABLE_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc), title="Invalid Variable schema") from None

    def _op_post_variables(self, call: Call) -> Reply:
        data = self._load_variable(call)
        # Variable.set replaces any variable of that key (no conflict), description included
        self.variables.pop(data["key"], None)
        self.add_variable(data["key"], data["val"], data.get("description"))
        answer = {"key": data["key"], "value": data["val"]}
        if "description" in data:
            answer["description"] = data["description"]
        return 200, answer

    def _op_patch_variable(self, call: Call) -> Reply:
        key = call.path["variable_key"]
        data = self._load_variable(call)
        if data["key"] != key:
            raise _bad_request("key from request body doesn't match uri parameter", title="Invalid post body")
        record = self.variables.get(key)
        if record is None:
            raise _not_found("Variable not found", "Variable does not exist")
        mask = _mask(call.query)
        if mask:
            changes = {}
            for name in (m.strip() for m in mask):
                if name not in data or name == "key":
                    raise _bad_request(f"'{name}' is unknown or cannot be updated.")
                changes[name] = data[name]
            data = changes
        for name, value in data.items():
            record["value" if name == "val" else name] = value
        return 200, dict(record)

    def _op_delete_variable(self, call: Call) -> Reply:
        if self.variables.pop(call.path["variable_key"], None) is None:
            raise _not_found("Variable not found")
        return 204, None

    # --- operations: connections ------------------------------------------------------------------

    def _connection_or_404(self, connection_id: str) -> JSON:
        record = self.connections.get(connection_id)
        if record is None:
            raise _not_found(
                "Connection not found", f"The Connection with connection_id: `{connection_id}` was not found"
            )
        return record

    def _op_get_connections(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        records = list(self.connections.values())
        ordered = _apply_sorting(
            records,
            query.get("order_by") or "id",
            lambda c, name: list(self.connections).index(c["connection_id"]) if name == "id" else c[name],
            ("connection_id", "conn_type", "description", "host", "port", "id"),
        )
        return 200, {
            "connections": [self._connection_item_json(c) for c in _page(ordered, offset, limit)],
            "total_entries": len(records),
        }

    def _op_get_connection(self, call: Call) -> Reply:
        return 200, self._connection_json(self._connection_or_404(call.path["connection_id"]))

    def _op_post_connection(self, call: Call) -> Reply:
        try:
            data = _load(call.body, _CONNECTION_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        conn_id = data.pop("conn_id")
        if len(conn_id) > 200:
            raise _bad_request("The key has to be less than 200 characters")
        if not re.fullmatch(r"[\w.-]+", conn_id):
            raise _bad_request(
                f"The key {conn_id!r} has to be made of alphanumeric characters, dashes, "
                "dots and underscores exclusively"
            )
        if conn_id in self.connections:
            raise _conflict(f"Connection already exist. ID: {conn_id}")
        record = self.add_connection(conn_id, **data)
        return 200, self._connection_json(record)

    def _op_patch_connection(self, call: Call) -> Reply:
        connection_id = call.path["connection_id"]
        try:
            data = _load(call.body, _CONNECTION_BODY, partial=True)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        record = self._connection_or_404(connection_id)
        if data.get("conn_id") and data["conn_id"] != connection_id:
            raise _bad_request("The connection_id cannot be updated.")
        mask = _mask(call.query)
        if mask:
            changes = {}
            for name in (m.strip() for m in mask):
                if name not in data or name in ("connection_id", "conn_id"):
                    raise _bad_request(f"'{name}' is unknown or cannot be updated.")
                changes[name] = data[name]
            data = changes
        for name, value in data.items():
            if name == "conn_id":
                continue
            record[name] = (
                json.dumps(value)
                if name == "extra" and value is not None and not isinstance(value, str)
                else value
            )
        return 200, self._connection_json(record)

    def _op_delete_connection(self, call: Call) -> Reply:
        self._connection_or_404(call.path["connection_id"])
        del self.connections[call.path["connection_id"]]
        return 204, None

    # --- operations: pools ------------------------------------------------------------------------

    def _op_get_pools(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        records = list(self._pools.values())
        ordered = _apply_sorting(
            records,
            query.get("order_by") or "id",
            lambda pool, name: list(self._pools).index(pool["name"]) if name == "id" else pool[name],
            ("name", "slots", "id"),
        )
        return 200, {
            "pools": [self._pool_json(pool) for pool in _page(ordered, offset, limit)],
            "total_entries": len(records),
        }

    def _pool_or_404(self, name: str) -> JSON:
        pool = self._pools.get(name)
        if pool is None:
            raise _not_found(detail=f"Pool with name:'{name}' not found")
        return pool

    def _op_get_pool(self, call: Call) -> Reply:
        return 200, self._pool_json(self._pool_or_404(call.path["pool_name"]))

    @staticmethod
    def _missing_pool_fields(body: Any) -> None:
        given = body if isinstance(body, dict) else {}
        missing = sorted({"name", "slots"} - set(given))
        if missing:
            raise _bad_request(f"Missing required property(ies): {missing}")

    def _op_post_pool(self, call: Call) -> Reply:
        self._missing_pool_fields(call.body)
        try:
            data = _load(call.body, _POOL_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        name = data["pool"]
        if name in self._pools:
            raise _conflict(f"Pool: {name} already exists")
        return 200, self.add_pool(
            name,
            data.get("slots") or 0,
            data.get("description"),
            include_deferred=data.get("include_deferred", False),
        )

    def _op_patch_pool(self, call: Call) -> Reply:
        name = call.path["pool_name"]
        body = call.body if isinstance(call.body, dict) else {}
        mask = _mask(call.query)
        only_slots = bool(mask) and all(m.strip() in ("slots", "include_deferred") for m in mask or ())
        if name == DEFAULT_POOL and body.get("name") != DEFAULT_POOL and not only_slots:
            raise _bad_request("Default Pool's name can't be modified")
        pool = self._pool_or_404(name)
        try:
            data = _load(call.body, _POOL_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        data.setdefault("include_deferred", False)
        if mask:
            changes = {}
            for field_name in (m.strip() for m in mask):
                if field_name not in {f.name for f in _POOL_BODY} | set(_POOL_READ_ONLY):
                    raise _bad_request(f"Invalid field: {field_name} in update mask")
                attribute = "pool" if field_name == "name" else field_name
                if attribute not in data:
                    raise _server_error()
                changes[attribute] = data[attribute]
            data = changes
        else:
            self._missing_pool_fields(call.body)
        new_name = data.pop("pool", name)
        if new_name != name:
            if new_name in self._pools:
                raise _server_error()
            self._pools = {(new_name if k == name else k): v for k, v in self._pools.items()}
            pool["name"] = new_name
            for ti in self._tis.values():
                if ti.pool == name:
                    ti.pool = new_name
        pool.update(data)
        return 200, self._pool_json(pool)

    def _op_delete_pool(self, call: Call) -> Reply:
        name = call.path["pool_name"]
        if name == DEFAULT_POOL:
            raise _bad_request("Default Pool can't be deleted")
        self._pool_or_404(name)
        del self._pools[name]
        return 204, None

    # --- operations: monitoring and the rest ------------------------------------------------------

    def _op_get_health(self, call: Call) -> Reply:
        return 200, {
            "dag_processor": {"latest_dag_processor_heartbeat": None, "status": None},
            "metadatabase": {"status": "healthy"},
            "scheduler": {"latest_scheduler_heartbeat": _iso(self.now()), "status": "healthy"},
            "triggerer": {"latest_triggerer_heartbeat": None, "status": None},
        }

    def _op_get_version(self, call: Call) -> Reply:
        return 200, {"git_version": "", "version": AIRFLOW_VERSION}

    def _op_get_import_errors(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        ordered = _apply_sorting(
            self.import_errors,
            query.get("order_by") or "import_error_id",
            lambda e, name: e[name],
            ("import_error_id", "timestamp", "filename"),
        )
        return 200, {
            "import_errors": [dict(e) for e in _page(ordered, offset, limit)],
            "total_entries": len(self.import_errors),
        }

    def _op_get_import_error(self, call: Call) -> Reply:
        error_id = int(call.path["import_error_id"])
        for error in self.import_errors:
            if error["import_error_id"] == error_id:
                return 200, dict(error)
        raise _not_found(
            "Import error not found", f"The ImportError with import_error_id: `{error_id}` was not found"
        )

    def _op_get_dag_warnings(self, call: Call) -> Reply:
        query = call.query
        _check_limit(query)
        _offset(query)
        _apply_sorting(
            [],
            query.get("order_by") or "timestamp",
            lambda w, n: None,
            ("dag_id", "warning_type", "message", "timestamp"),
        )
        return 200, {"dag_warnings": [], "total_entries": 0}

    def _op_get_plugins(self, call: Call) -> Reply:
        _check_limit(call.query)
        return 200, {"plugins": [], "total_entries": 0}
