"""DAGs and their tasks: ``/dags``, ``/dags/{dag_id}``, ``/dags/{dag_id}/details``, ``/dags/{dag_id}/tasks``,
``/dagStats``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from ._model import _OPERATORS, RUN_STATES, FakeDag, FakeTask, _param
from ._state import FakeAirflowState, _locked
from ._wire import (
    JSON,
    Call,
    Reply,
    _apply_sorting,
    _bad_request,
    _check_limit,
    _conflict,
    _Field,
    _fields_param,
    _Invalid,
    _iso,
    _like,
    _load,
    _mask,
    _not_found,
    _offset,
    _page,
    _server_error,
    _sign,
    _sort_key,
    _timedelta_json,
    _updatable,
)

_DAG_BODY = (
    _Field("is_paused", "bool", allow_none=True),
    _Field("schedule_interval", "any", allow_none=True),
)


class DagsMixin(FakeAirflowState):
    """DAG and task operations."""

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
        ordered = _apply_sorting(dags, query.get("order_by", "dag_id"), lambda d, _: d.dag_id, ("dag_id",))
        wanted = _fields_param(query)
        page = [
            self._only(self._dag_json(d), wanted, "DAGSchema", "DAGCollectionSchema error")
            for d in _page(ordered, offset, limit)
        ]
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
            updatable = _updatable("dag")
            if len(mask) != 1 or mask[0] not in updatable:
                fields = ", ".join(f"`{name}`" for name in updatable)
                raise _bad_request(f"Only {fields} field can be updated through the REST API")
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
        order_by = call.query.get("order_by", "task_id")
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
