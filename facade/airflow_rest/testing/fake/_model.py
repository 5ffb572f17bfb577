"""The fake's records: DAG and task definitions (``FakeDag``, ``FakeTask``), DAG runs, task instances
and XComs as the metadata database holds them, the state names, and enough cron for data intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ._wire import JSON, _utc

DEFAULT_POOL = "default_pool"


WORKER_HOSTNAME = "airflow-worker"


UNIXNAME = "airflow"


DAGS_FOLDER = "/opt/airflow/dags"


LOG_FOLDER = "/opt/airflow/logs"


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
    # dataset URIs the task updates: each successful try writes a dataset event with this extra
    outlets: list[str] = field(default_factory=list)
    outlet_extra: dict[str, Any] = field(default_factory=dict)

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
    # a dataset schedule ({"all"|"any": [uri | {"alias": name} | nested]}): the DAG consumes its URIs
    dataset_expression: dict[str, Any] | None = None
    # the `extra` of the Dataset objects the DAG's file defines, by URI (kept from the first definition)
    dataset_extra: dict[str, dict[str, Any]] = field(default_factory=dict)
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
