"""DAG runs: ``/dags/{dag_id}/dagRuns`` and everything under one run but its task instances."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from ._model import RUN_FINISHED, TI_FINISHED, FakeDag, _Cron, _Run
from ._state import FakeAirflowState, _locked
from ._wire import (
    _DATE_FILTERS,
    JSON,
    Call,
    Reply,
    _apply_sorting,
    _bad_request,
    _check_limit,
    _conflict,
    _Field,
    _fields_param,
    _in_range,
    _Invalid,
    _iso,
    _load,
    _not_found,
    _offset,
    _page,
    _query_dt,
    _server_error,
)

_DAG_RUN_BODY = (
    # auto_fields of DagRun columns that are not nullable: null is refused ("Field may not be null.")
    _Field("dag_run_id", "str", attribute="run_id"),
    _Field("logical_date", "datetime"),
    _Field("conf", "any"),
    _Field("data_interval_start", "datetime", allow_none=True),
    _Field("data_interval_end", "datetime", allow_none=True),
    _Field("note", "str", allow_none=True),
)


_RUN_STATE_BODY = (_Field("state", "str", choices=("success", "failed", "queued")),)


_CLEAR_RUN_BODY = (_Field("dry_run", "bool"),)


_NOTE_BODY = (_Field("note", "str", allow_none=True, max_length=1000),)


_RUNS_BATCH_BODY = (
    _Field("order_by", "str"),
    _Field("page_offset", "int", minimum=0),
    _Field("page_limit", "int", minimum=1),
    _Field("dag_ids", "list"),
    _Field("states", "list"),
    *(_Field(name, "datetime") for name in _DATE_FILTERS),
)


class DagRunsMixin(FakeAirflowState):
    """DAG run operations."""

    @property
    @_locked
    def dag_runs(self) -> dict[tuple[str, str], JSON]:
        """Every DAG run as the API shows it, by ``(dag_id, run_id)``."""
        return {key: self._run_json(run) for key, run in self._runs.items()}

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
        page, total = self._fetch_runs(runs, filters, query.get("order_by", "id"), offset, limit)
        wanted = _fields_param(query)
        items = self._runs_json(page, wanted, "DAGRunCollectionSchema error")
        return 200, {"dag_runs": items, "total_entries": total}

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
            form.get("order_by", "id"),
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
        if isinstance(raw, dict) and "execution_date" in raw:  # an explicit null counts as given
            logical, execution = raw.get("logical_date"), raw.pop("execution_date")
            if "logical_date" not in raw:
                raw["logical_date"] = execution
            elif logical != execution:
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
