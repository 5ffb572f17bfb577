"""Task instances: listing, batches, mapped instances, tries, notes, state changes and clearing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from ._model import _TI, TI_STATES, TIKey, _Run
from ._state import FakeAirflowState, _locked
from ._wire import (
    _DATE_FILTERS,
    JSON,
    Call,
    Reply,
    _bad_request,
    _Field,
    _in_range,
    _Invalid,
    _iso,
    _load,
    _not_found,
    _offset,
    _page,
    _query_dt,
    _raw_limit,
    _server_error,
    _sort_key,
    _states,
)

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


class TaskInstancesMixin(FakeAirflowState):
    """Task instance operations."""

    @property
    @_locked
    def task_instances(self) -> dict[TIKey, JSON]:
        """Every task instance as the API shows it, by ``(dag_id, run_id, task_id, map_index)``."""
        return {key: self._ti_json(ti) for key, ti in self._tis.items()}

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
            if form.get("dag_run_id") == "":
                form["dag_run_id"] = None  # the server's exactly_one() tests truth: "" is not given
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
