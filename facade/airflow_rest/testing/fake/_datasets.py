"""Datasets, dataset events and queued dataset events (``DatasetDagRunQueue``).

As in Airflow 2.11, datasets come from the DAGs: parsing a DAG (adding it to the fake) registers the
URIs of its dataset schedule (``FakeDag.dataset_expression``: the DAG consumes them) and of its tasks'
``outlets`` (the tasks produce them). A dataset event is written by ``POST /datasets/events`` (its
extra gets ``from_rest_api``) or by a producing task instance that succeeds on a worker
(``set_task_state``/``complete_run``; marking it successful through the API writes none, as there).
Each event queues a record for every active, unpaused consuming DAG; once a DAG's queued datasets
satisfy its dataset expression, the scheduler creates a ``dataset_triggered`` run that consumes the
events since its previous one, and clears the DAG's queue. The fake does that at once, where the
real scheduler does it within a loop or two.
"""

from __future__ import annotations

import copy
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._model import _TI, FakeDag
from ._state import FakeAirflowState, _locked
from ._wire import (
    JSON,
    Call,
    Reply,
    _apply_sorting,
    _bad_request,
    _check_limit,
    _Field,
    _Invalid,
    _iso,
    _like,
    _load,
    _not_found,
    _offset,
    _page,
    _query_dt,
    _server_error,
)

_EVENT_BODY = (_Field("dataset_uri", "str"), _Field("extra", "object"))
_DATASET_SORT = ("id", "uri", "created_at", "updated_at")
_EVENT_SORT = ("source_dag_id", "source_task_id", "source_run_id", "source_map_index", "timestamp")
_QUEUE_NOT_FOUND = "Queue event not found"


@dataclass
class _Dataset:
    id: int
    uri: str
    extra: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass
class _DatasetEvent:
    id: int
    dataset_id: int
    uri: str
    extra: dict[str, Any]
    timestamp: datetime
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int = -1
    # ids of the dataset-triggered runs that consumed the event
    created_runs: list[int] = field(default_factory=list)


def sanitize_uri(uri: str) -> str:
    """``airflow.datasets._sanitize_uri`` without the providers' scheme normalizers: the scheme in
    lower case, no auth, no fragment, sorted query, no trailing slashes (an empty path is ``/``)."""
    if not uri or uri.isspace() or not uri.isascii():
        raise ValueError(f"not a valid dataset URI: {uri!r}")
    parsed = urllib.parse.urlsplit(uri)
    if not parsed.scheme and not parsed.netloc:  # does not look like a URI
        return uri
    scheme = parsed.scheme.lower()
    if not scheme or scheme.startswith("x-"):
        return uri
    if scheme == "airflow":
        raise ValueError("Dataset scheme 'airflow' is reserved")
    query = urllib.parse.urlencode(sorted(urllib.parse.parse_qsl(parsed.query))) if parsed.query else ""
    return urllib.parse.urlunsplit(
        (scheme, parsed.netloc.rpartition("@")[2], parsed.path.rstrip("/") or "/", query, "")
    )


def _expression_uris(expression: Any) -> Iterator[str]:
    """The dataset URIs of a dataset expression, first occurrence first (aliases left out)."""
    if isinstance(expression, str):
        yield expression
    elif isinstance(expression, dict):
        for key in ("all", "any"):
            for item in expression.get(key) or []:
                yield from _expression_uris(item)


def _sanitize_expression(expression: Any) -> Any:
    if isinstance(expression, str):
        return sanitize_uri(expression)
    if isinstance(expression, dict):
        return {
            key: [_sanitize_expression(item) for item in value] if key in ("all", "any") else value
            for key, value in expression.items()
        }
    return expression


def _evaluate(expression: Any, queued: set[str]) -> bool:
    """``BaseDataset.evaluate``: a URI is true once queued; an alias nothing resolved is false."""
    if isinstance(expression, str):
        return expression in queued
    if isinstance(expression, dict):
        if "all" in expression:
            return all(_evaluate(item, queued) for item in expression["all"])
        if "any" in expression:
            return any(_evaluate(item, queued) for item in expression["any"])
    return False


class DatasetsMixin(FakeAirflowState):
    """Dataset operations, the dataset references of the DAGs, and dataset-triggered runs."""

    def __init__(self, *, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(now=now)
        self._datasets: dict[str, _Dataset] = {}
        self._dataset_ids = 0
        # (uri, dag_id) -> (created_at, updated_at): DAGs scheduled on the dataset
        self._consumer_refs: dict[tuple[str, str], tuple[datetime, datetime]] = {}
        # (uri, dag_id, task_id) -> (created_at, updated_at): tasks with the dataset as outlet
        self._producer_refs: dict[tuple[str, str, str], tuple[datetime, datetime]] = {}
        self._dataset_events: list[_DatasetEvent] = []
        # (dataset_id, target_dag_id) -> created_at: the DatasetDagRunQueue
        self._queue: dict[tuple[int, str], datetime] = {}

    # --- read access and seeding ------------------------------------------------------------------

    @property
    @_locked
    def datasets(self) -> dict[str, JSON]:
        """Every dataset as the API shows it, by URI."""
        self._prune()
        return {uri: self._dataset_json(d) for uri, d in self._datasets.items()}

    @property
    @_locked
    def dataset_events(self) -> list[JSON]:
        """Every dataset event as the API shows it, oldest first."""
        return [self._event_json(e) for e in self._dataset_events]

    @property
    @_locked
    def queued_dataset_events(self) -> list[JSON]:
        """Every queued dataset event (``DatasetDagRunQueue`` record) as the API shows it."""
        self._prune()
        return [self._queued_json(key) for key in sorted(self._queue)]

    @_locked
    def add_dataset(self, uri: str, extra: dict[str, Any] | None = None) -> JSON:
        """Register a dataset no DAG refers to (as one a removed DAG left behind); its Dataset JSON."""
        return self._dataset_json(self._ensure_dataset(sanitize_uri(uri), extra or {}, self.now()))

    # --- parsing: the datasets a DAG refers to ----------------------------------------------------

    def _register(self, dag: FakeDag) -> None:
        """``DAG.bulk_write_to_db``: the DAG's datasets and references, reconciled with its file."""
        for task in dag.tasks:
            task.outlets = [sanitize_uri(uri) for uri in task.outlets]
        if dag.dataset_expression is not None:
            dag.dataset_expression = _sanitize_expression(dag.dataset_expression)
            if dag.schedule_interval is None:
                dag.schedule_interval = "Dataset"
        dag.dataset_extra = {sanitize_uri(uri): extra for uri, extra in dag.dataset_extra.items()}
        known = dag.dag_id in self.dags
        super()._register(dag)
        now = self.now()
        self._prune()
        if not known:  # queue records of a DAG deleted before went with it
            self._queue = {k: v for k, v in self._queue.items() if k[1] != dag.dag_id}
        outlets = [(task.task_id, uri) for task in dag.tasks for uri in task.outlets]
        consumed = list(dict.fromkeys(_expression_uris(dag.dataset_expression)))
        for uri in [uri for _, uri in outlets] + consumed:
            self._ensure_dataset(uri, dag.dataset_extra.get(uri, {}), now)
        consumers = {(uri, dag.dag_id) for uri in consumed}
        self._consumer_refs = {
            k: v for k, v in self._consumer_refs.items() if k[1] != dag.dag_id or k in consumers
        }
        for key in sorted(consumers - set(self._consumer_refs)):
            self._consumer_refs[key] = (now, now)
        producers = {(uri, dag.dag_id, task_id) for task_id, uri in outlets}
        self._producer_refs = {
            k: v for k, v in self._producer_refs.items() if k[1] != dag.dag_id or k in producers
        }
        for ref in sorted(producers - set(self._producer_refs)):
            self._producer_refs[ref] = (now, now)

    def _ensure_dataset(self, uri: str, extra: dict[str, Any], now: datetime) -> _Dataset:
        dataset = self._datasets.get(uri)
        if dataset is None:
            self._dataset_ids += 1
            dataset = _Dataset(self._dataset_ids, uri, copy.deepcopy(extra), now, now)
            self._datasets[uri] = dataset
        return dataset

    def _prune(self) -> None:
        """What deleting a DAG deletes with it: its dataset references and its queued events."""
        self._consumer_refs = {k: v for k, v in self._consumer_refs.items() if k[1] in self.dags}
        self._producer_refs = {k: v for k, v in self._producer_refs.items() if k[1] in self.dags}
        self._queue = {k: v for k, v in self._queue.items() if k[1] in self.dags}

    # --- events: what a worker, the API and the scheduler do --------------------------------------

    def _worker_transition(self, ti: _TI, state: str | None) -> None:
        previous = ti.state
        super()._worker_transition(ti, state)
        if state == "success" and previous != "success":
            dag = self._dag(ti.dag_id)
            task = dag.task(ti.task_id) if dag else None
            for uri in task.outlets if task else []:
                dataset = self._datasets.get(uri)
                if dataset is not None:  # the task's file defined it, unless the DAG changed since
                    self._register_change(dataset, copy.deepcopy(task.outlet_extra) if task else {}, ti)

    def _register_change(self, dataset: _Dataset, extra: dict[str, Any], ti: _TI | None) -> _DatasetEvent:
        """``DatasetManager.register_dataset_change``: the event, then the consumers' queue records."""
        now = self.now()
        event = _DatasetEvent(len(self._dataset_events) + 1, dataset.id, dataset.uri, extra, now)
        if ti is not None:
            event.source_dag_id, event.source_task_id = ti.dag_id, ti.task_id
            event.source_run_id, event.source_map_index = ti.run_id, ti.map_index
        self._dataset_events.append(event)
        self._prune()
        for uri, dag_id in self._consumer_refs:
            dag = self._dag(dag_id)
            if uri == dataset.uri and dag is not None and dag.is_active and not dag.is_paused:
                self._queue.setdefault((dataset.id, dag_id), now)  # an existing record keeps its time
        self._create_dataset_triggered_runs()
        return event

    def _create_dataset_triggered_runs(self) -> None:
        """``DagModel.dags_needing_dagruns`` and ``_create_dag_runs_dataset_triggered``."""
        by_id = {d.id: d for d in self._datasets.values()}
        for dag_id in list(dict.fromkeys(k[1] for k in self._queue)):
            dag = self._dag(dag_id)
            records = {k: v for k, v in self._queue.items() if k[1] == dag_id}
            queued = {by_id[k[0]].uri for k in records}
            if (
                dag is None
                or dag.is_paused
                or not dag.is_active
                or dag.has_import_errors
                or not _evaluate(dag.dataset_expression, queued)
            ):
                continue
            runs = [r for r in self._runs.values() if r.dag_id == dag_id]
            if sum(r.state in ("queued", "running") for r in runs) >= dag.max_active_runs:
                continue
            logical_date = max(records.values())
            if any(r.logical_date == logical_date for r in runs):
                continue
            previous = max(
                (
                    r.logical_date
                    for r in runs
                    if r.run_type == "dataset_triggered" and r.logical_date < logical_date
                ),
                default=None,
            )
            consumed = {uri for uri, consumer in self._consumer_refs if consumer == dag_id}
            events = [
                e
                for e in self._dataset_events
                if e.uri in consumed
                and e.timestamp <= logical_date
                and (previous is None or e.timestamp > previous)
            ]
            run = self._create_run(
                dag,
                f"dataset_triggered__{logical_date.isoformat()}",
                logical_date,
                self._events_interval(logical_date, events),
                conf={},
                note=None,
                run_type="dataset_triggered",
            )
            for event in events:
                event.created_runs.append(run.id)
            self._queue = {k: v for k, v in self._queue.items() if k[1] != dag_id}

    def _events_interval(
        self, logical_date: datetime, events: list[_DatasetEvent]
    ) -> tuple[datetime, datetime]:
        """``DatasetTriggeredTimetable.data_interval_for_events``."""
        starts, ends = [], []
        for event in events:
            source = self._runs.get((event.source_dag_id or "", event.source_run_id or ""))
            if source is not None and source.data_interval_start and source.data_interval_end:
                starts.append(source.data_interval_start)
                ends.append(source.data_interval_end)
            else:
                starts.append(event.timestamp)
                ends.append(event.timestamp)
        return (min(starts), max(ends)) if events else (logical_date, logical_date)

    # --- JSON views -------------------------------------------------------------------------------

    def _dataset_json(self, dataset: _Dataset) -> JSON:
        return {
            "aliases": [],
            "consuming_dags": [
                {"created_at": _iso(created), "dag_id": dag_id, "updated_at": _iso(updated)}
                for (uri, dag_id), (created, updated) in sorted(self._consumer_refs.items())
                if uri == dataset.uri
            ],
            "created_at": _iso(dataset.created_at),
            "extra": copy.deepcopy(dataset.extra),
            "id": dataset.id,
            "producing_tasks": [
                {
                    "created_at": _iso(created),
                    "dag_id": dag_id,
                    "task_id": task_id,
                    "updated_at": _iso(updated),
                }
                for (uri, dag_id, task_id), (created, updated) in sorted(self._producer_refs.items())
                if uri == dataset.uri
            ],
            "updated_at": _iso(dataset.updated_at),
            "uri": dataset.uri,
        }

    def _event_json(self, event: _DatasetEvent) -> JSON:
        runs = {run.id: run for run in self._runs.values()}
        return {
            "created_dagruns": [
                {
                    "dag_id": run.dag_id,
                    "dag_run_id": run.run_id,
                    "data_interval_end": _iso(run.data_interval_end),
                    "data_interval_start": _iso(run.data_interval_start),
                    "end_date": _iso(run.end_date),
                    "logical_date": _iso(run.logical_date),
                    "start_date": _iso(run.start_date),
                    "state": run.state,
                }
                for run in (runs[i] for i in event.created_runs if i in runs)
            ],
            "dataset_id": event.dataset_id,
            "dataset_uri": event.uri,
            "extra": copy.deepcopy(event.extra),
            "id": event.id,
            "source_dag_id": event.source_dag_id,
            "source_map_index": event.source_map_index,
            "source_run_id": event.source_run_id,
            "source_task_id": event.source_task_id,
            "timestamp": _iso(event.timestamp),
        }

    def _queued_json(self, key: tuple[int, str]) -> JSON:
        uri = next(d.uri for d in self._datasets.values() if d.id == key[0])
        return {"created_at": _iso(self._queue[key]), "dag_id": key[1], "uri": uri}

    # --- operations: datasets and events ----------------------------------------------------------

    def _op_get_datasets(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        self._prune()
        datasets = list(self._datasets.values())
        total = len(datasets)  # the server counts every dataset, whatever the filters
        dag_ids = query.get("dag_ids")
        if dag_ids:
            wanted = set(str(dag_ids).split(","))
            related = {uri for uri, dag_id in self._consumer_refs if dag_id in wanted}
            related |= {uri for uri, dag_id, _ in self._producer_refs if dag_id in wanted}
            datasets = [d for d in datasets if d.uri in related]
        pattern = query.get("uri_pattern")
        if pattern:
            regex = _like(str(pattern))
            datasets = [d for d in datasets if regex.fullmatch(d.uri)]
        ordered = _apply_sorting(
            datasets, query.get("order_by", "id"), lambda d, name: getattr(d, name), _DATASET_SORT
        )
        page = [self._dataset_json(d) for d in _page(ordered, offset, limit)]
        return 200, {"datasets": page, "total_entries": total}

    def _op_get_dataset(self, call: Call) -> Reply:
        uri = call.path["uri"]
        self._prune()
        dataset = self._datasets.get(uri)
        if dataset is None:
            raise _not_found("Dataset not found", f"The Dataset with uri: `{uri}` was not found")
        return 200, self._dataset_json(dataset)

    def _op_get_dataset_events(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        events = self._dataset_events
        # the server filters on the values that are truthy only: dataset_id=0, source_map_index=0 do not
        for name in ("dataset_id", "source_dag_id", "source_task_id", "source_run_id", "source_map_index"):
            if query.get(name):
                events = [e for e in events if getattr(e, name) == query[name]]
        ordered = _apply_sorting(
            events, query.get("order_by", "timestamp"), lambda e, name: getattr(e, name), _EVENT_SORT
        )
        page = [self._event_json(e) for e in _page(ordered, offset, limit)]
        return 200, {"dataset_events": page, "total_entries": len(events)}

    def _op_create_dataset_event(self, call: Call) -> Reply:
        try:
            body = _load(call.body, _EVENT_BODY)
        except _Invalid as exc:
            raise _bad_request(str(exc)) from None
        if "dataset_uri" not in body:
            raise _server_error()  # the server's KeyError (the spec makes it required)
        uri = body["dataset_uri"]
        dataset = self._datasets.get(uri)
        if dataset is None:
            raise _not_found("Dataset not found", f"Dataset with uri: '{uri}' not found")
        extra = copy.deepcopy(body.get("extra", {}))
        extra["from_rest_api"] = True
        return 200, self._event_json(self._register_change(dataset, extra, None))

    def _op_get_upstream_dataset_events(self, call: Call) -> Reply:
        dag_id, run_id = call.path["dag_id"], call.path["dag_run_id"]
        run = self._runs.get((dag_id, run_id))
        if run is None:
            raise _not_found(
                "DAGRun not found", f"DAGRun with DAG ID: '{dag_id}' and DagRun ID: '{run_id}' not found"
            )
        events = [self._event_json(e) for e in self._dataset_events if run.id in e.created_runs]
        return 200, {"dataset_events": events, "total_entries": len(events)}

    # --- operations: queued events ----------------------------------------------------------------

    def _queued(
        self, query: dict[str, Any], *, dag_id: str | None = None, uri: str | None = None
    ) -> list[tuple[int, str]]:
        """``_generate_queued_event_where_clause``: the matching queue records, in key order."""
        before = _query_dt(query, "before")
        self._prune()
        ids = {d.id for d in self._datasets.values() if uri is None or d.uri == uri}
        return [
            key
            for key in sorted(self._queue)
            if key[0] in ids
            and (dag_id is None or key[1] == dag_id)
            and (before is None or self._queue[key] < before)
        ]

    def _queued_collection(self, keys: list[tuple[int, str]]) -> JSON:
        return {"queued_events": [self._queued_json(k) for k in keys], "total_entries": len(keys)}

    def _op_get_dataset_queued_events(self, call: Call) -> Reply:
        uri = call.path["uri"]
        keys = self._queued(call.query, uri=uri)
        if not keys:
            raise _not_found(_QUEUE_NOT_FOUND, f"Queue event with dataset uri: `{uri}` was not found")
        return 200, self._queued_collection(keys)

    def _op_delete_dataset_queued_events(self, call: Call) -> Reply:
        uri = call.path["uri"]
        keys = self._queued(call.query, uri=uri)
        if not keys:
            raise _not_found(_QUEUE_NOT_FOUND, f"Queue event with dataset uri: `{uri}` was not found")
        for key in keys:
            del self._queue[key]
        return 204, None

    def _op_get_dag_dataset_queued_events(self, call: Call) -> Reply:
        dag_id = call.path["dag_id"]
        keys = self._queued(call.query, dag_id=dag_id)
        if not keys:
            raise _not_found(_QUEUE_NOT_FOUND, f"Queue event with dag_id: `{dag_id}` was not found")
        return 200, self._queued_collection(keys)

    def _op_delete_dag_dataset_queued_events(self, call: Call) -> Reply:
        dag_id = call.path["dag_id"]
        keys = self._queued(call.query, dag_id=dag_id)
        if not keys:
            raise _not_found(_QUEUE_NOT_FOUND, f"Queue event with dag_id: `{dag_id}` was not found")
        for key in keys:
            del self._queue[key]
        return 204, None

    def _queued_one(self, call: Call) -> list[tuple[int, str]]:
        dag_id, uri = call.path["dag_id"], call.path["uri"]
        keys = self._queued(call.query, dag_id=dag_id, uri=uri)
        if not keys:
            raise _not_found(
                _QUEUE_NOT_FOUND,
                f"Queue event with dag_id: `{dag_id}` and dataset uri: `{uri}` was not found",
            )
        return keys

    def _op_get_dag_dataset_queued_event(self, call: Call) -> Reply:
        key = self._queued_one(call)[0]
        return 200, {"created_at": _iso(self._queue[key]), "dag_id": key[1], "uri": call.path["uri"]}

    def _op_delete_dag_dataset_queued_event(self, call: Call) -> Reply:
        for key in self._queued_one(call):
            del self._queue[key]
        return 204, None
