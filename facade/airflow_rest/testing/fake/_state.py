"""``FakeAirflowState``: the state every resource shares (DAGs, runs, task instances, XComs, pools...),
the dispatch of operations to ``_op_<operation_id>`` methods, and what the scheduler and workers do
to runs and task instances.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec

from ._model import (
    _NOT_STARTED,
    _TI,
    DAGS_FOLDER,
    RUN_FINISHED,
    TI_FINISHED,
    WORKER_HOSTNAME,
    FakeDag,
    FakeTask,
    TIKey,
    _Cron,
    _describe_schedule,
    _Run,
    _XCom,
)
from ._wire import JSON, Call, Reply, T, _Abort, _iso, _utc

P = ParamSpec("P")


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


def _runs_on(task: FakeTask, dag: FakeDag, logical_date: datetime) -> bool:
    """Whether a run of ``logical_date`` gets an instance of ``task`` (``DagRun.verify_integrity``'s
    task filter): the task's dates, bounded by the DAG's as ``DAG.add_task`` bounds them, hold
    the logical date. A run dated before them has no instance of the task."""
    starts = [d for d in (task.start_date, dag.start_date) if d is not None]
    ends = [d for d in (task.end_date, dag.end_date) if d is not None]
    return (not starts or max(starts) <= logical_date) and (not ends or logical_date <= min(ends))


class FakeAirflowState:
    """The state of an in-memory Airflow 2.11.2 and its dispatch; each resource module adds a mixin."""

    def __init__(self, *, now: Callable[[], datetime] | None = None) -> None:
        """Empty state. A mixin with state of its own extends this (same signature, ``super()`` first)."""
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
        self.handlers: dict[str, Handler] = {
            name.removeprefix("_op_"): getattr(self, name) for name in dir(self) if name.startswith("_op_")
        }

    @_locked
    def handle(self, operation_id: str, call: Call) -> Reply:
        """Answer one operation (its spec ``operationId``; ``getDags`` and ``get_dags`` both work)."""
        name = operation_id if operation_id in self.handlers else _snake(operation_id)
        handler = self.handlers.get(name)
        if handler is None:
            raise NotImplementedError(
                f"the fake Airflow does not implement {operation_id!r}; it implements: "
                + ", ".join(sorted(self.handlers))
            )
        self._record_call(name, call)  # as the server's views do, before they run
        try:
            return handler(call)
        except _Abort as abort:
            return abort.reply

    def now(self) -> datetime:
        return _utc(self._clock())

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
        self._record_task_run(ti, previous, state)

    def _record_call(self, operation: str, call: Call) -> None:
        """Hook: the event log entries a request to ``operation`` writes (``AdminMixin``)."""

    def _record_task_run(self, ti: _TI, previous: str | None, state: str | None) -> None:
        """Hook: the event log entries a worker writes as a task instance moves (``AdminMixin``)."""

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
            if not _runs_on(task, dag, logical_date):
                continue
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
