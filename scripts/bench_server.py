"""A fast fake Airflow webserver on 127.0.0.1 (2.11's /api/v1 and 3.3's /api/v2), for scripts/benchmark.py.

    python scripts/bench_server.py --port 0 --items 20000 --latency-ms 0

Prints ``PORT <n>`` on stdout once listening (flushed), then serves until killed. It answers

* ``GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances?limit=&offset=`` with
  ``{"task_instances": [...], "total_entries": <items>}``: every item a TaskInstance with all 29
  fields Airflow 2.11 sends, deterministic per index (the same items whatever the path says);
* ``GET /api/v1/health``;
* ``GET /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances?limit=&offset=`` with Airflow
  3.3's ``{"task_instances": [...], "total_entries": <items>, "total_entries_limit": null,
  "next_cursor": null, "previous_cursor": null}``: every item a ``TaskInstanceResponse`` with all 34
  fields (dates ending in ``Z``, a ``dag_version`` object, a ``trigger`` and ``triggerer_job`` on
  deferred tasks, the nulls of tasks not yet run), ordered as Airflow orders them (``map_index``,
  then ``id``), deterministic per index;
* anything else under ``/api/v2`` with FastAPI's ``{"detail": "Not Found"}``, and anything else
  with Airflow 2's 404 problem document.

Like Airflow 2, ``limit=0`` means the fallback page size (100) on v1 and a negative ``limit`` or
``offset`` is a 400; ``--max-page-limit`` caps v1's ``limit`` like Airflow's ``[api]
maximum_page_limit`` (off by default, so the benchmark can ask for pages of 1000).

Like Airflow 3.3 with its default settings, v2 sends 50 items without ``limit``, none with
``limit=0``, and at most 100 whatever ``limit`` asks (silently); a negative or non-integer ``limit``
or ``offset`` is a 422 with FastAPI's validation detail. With a ``cursor`` parameter (empty for the
first page; what the client's pager sends) it pages by cursor as 3.3 does: the offset is ignored,
``next_cursor`` / ``previous_cursor`` are 3.3's tokens (URL-safe base64 of the msgpack list
``[map_index, id]``, ``~`` in front for backward), ``total_entries`` is counted up to 50,000
(``total_entries_limit``); a token it cannot read is a 400.

The server must never be the bottleneck: every item is serialised once at start-up, and every page
body is joined from those on the first request for its (limit, offset) and cached as bytes. It is
a minimal hand-written HTTP/1.1 server on asyncio (keep-alive, Content-Length bodies, any number of
concurrent connections); ``--latency-ms`` delays each answer with ``asyncio.sleep``, so concurrent
requests overlap as they would against a real webserver.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import datetime as dt
import json
import re
import sys
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

API = "/api/v1"
TASK_INSTANCES = re.compile(r"^/api/v1/dags/([^/]+)/dagRuns/([^/]+)/taskInstances$")
ERRORS_DOC = "https://airflow.apache.org/docs/apache-airflow/2.11.0/stable-rest-api-ref.html"
FALLBACK_PAGE_LIMIT = 100
CACHE_BUDGET = 1 << 30  # bytes of cached page bodies before the cache is emptied
TASKS_PER_RUN = 20
DAGS = 25
EPOCH = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
OPERATORS = ("PythonOperator", "BashOperator", "KubernetesPodOperator", "EmptyOperator")

API_V2 = "/api/v2"
TASK_INSTANCES_V2 = re.compile(r"^/api/v2/dags/([^/]+)/dagRuns/([^/]+)/taskInstances$")
V2_FALLBACK_PAGE_LIMIT = 50  # Airflow 3's [api] fallback_page_limit: no ``limit`` given
V2_MAX_PAGE_LIMIT = 100  # Airflow 3's [api] maximum_page_limit: larger limits are lowered to it
EXACT_COUNT_LIMIT = 50_000  # how far a cursor page counts total_entries
RENDERED_KEPT = 30  # [core] max_num_rendered_ti_fields_per_task: the newest runs keep rendered fields
MAX_TRIES = 2
TRIGGERER_JOB = 3
TRIGGERER_HOST = "airflow-triggerer-0.airflow-triggerer.airflow.svc.cluster.local"
# (operator, operator_name) of the transform tasks, in turn; TaskFlow tasks show ``@task``
TRANSFORMS = (
    ("_PythonDecoratedOperator", "@task"),
    ("BashOperator", "BashOperator"),
    ("KubernetesPodOperator", "KubernetesPodOperator"),
    ("SQLExecuteQueryOperator", "SQLExecuteQueryOperator"),
)


def _at(moment: dt.datetime) -> str:
    """Airflow's rendering: ISO 8601 with microseconds and ``+00:00``."""
    if moment.microsecond == 0:
        moment = moment.replace(microsecond=1)
    return moment.isoformat()


def task_instance(index: int) -> dict[str, Any]:
    """The TaskInstance at ``index``: run ``index // 20`` of one of 25 DAGs, task ``index % 20``."""
    run, task = divmod(index, TASKS_PER_RUN)
    dag = run % DAGS
    logical = EPOCH + dt.timedelta(hours=run, microseconds=(run * 7919) % 1_000_000)
    queued = logical + dt.timedelta(seconds=2 + 3 * task, microseconds=(index * 104_729) % 1_000_000)
    started = queued + dt.timedelta(microseconds=150_000 + (index * 7_127) % 800_000)
    duration = round(0.5 + (index * 2_654_435_761 % 600_000) / 1000, 6)
    ended = started + dt.timedelta(seconds=duration)
    task_id = f"transform_{task:02d}" if task else "extract"
    return {
        "dag_id": f"etl_pipeline_{dag:02d}",
        "dag_run_id": f"manual__{logical.isoformat()}",
        "duration": duration,
        "end_date": _at(ended),
        "execution_date": _at(logical),
        "executor": None,
        "executor_config": "{}",
        "hostname": f"airflow-worker-{index % 4}.airflow-worker.airflow.svc.cluster.local",
        "map_index": -1,
        "max_tries": 2,
        "note": None,
        "operator": OPERATORS[task % len(OPERATORS)],
        "pid": 1000 + (index * 37) % 60_000,
        "pool": "default_pool",
        "pool_slots": 1,
        "priority_weight": TASKS_PER_RUN - task,
        "queue": "default",
        "queued_when": _at(queued),
        "rendered_fields": {},
        "rendered_map_index": None,
        "sla_miss": None,
        "start_date": _at(started),
        "state": "success",
        "task_display_name": task_id,
        "task_id": task_id,
        "trigger": None,
        "triggerer_job": None,
        "try_number": 1,
        "unixname": "airflow",
    }


def _z(moment: dt.datetime | None) -> str | None:
    """Airflow 3's rendering (pydantic's): ISO 8601 in UTC ending in ``Z``, microseconds when not 0."""
    return None if moment is None else moment.replace(tzinfo=None).isoformat() + "Z"


def _uuid7(moment: dt.datetime, salt: int) -> str:
    """A UUID version 7 (what Airflow 3 gives task instances and DAG versions): ``moment``'s
    milliseconds, then bits drawn from ``salt``."""
    bits = (salt * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & ((1 << 74) - 1)
    ms = int(moment.timestamp() * 1000)
    value = (ms << 80) | (7 << 76) | ((bits >> 62) << 64) | (0b10 << 62) | (bits & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def _task_v2(task: int) -> tuple[str, str, str]:
    """(task_id, operator, operator_name) of task ``task`` of a run."""
    if task == 0:
        return "wait_for_partition", "DateTimeSensorAsync", "DateTimeSensorAsync"
    if task == 1:
        return "extract", "_PythonDecoratedOperator", "@task"
    if task == TASKS_PER_RUN - 1:
        return "publish", "EmptyOperator", "EmptyOperator"
    return f"transform_{task:02d}", *TRANSFORMS[task % len(TRANSFORMS)]


def _rendered(operator_name: str, dag_id: str, task_id: str, logical: dt.datetime) -> dict[str, Any]:
    """The rendered template fields Airflow 3 keeps for a task that ran."""
    ds = logical.date().isoformat()
    if operator_name == "DateTimeSensorAsync":
        return {"target_time": (logical + dt.timedelta(minutes=90)).isoformat()}
    if operator_name == "@task":
        return {"templates_dict": None, "op_args": [], "op_kwargs": {"ds": ds}}
    if operator_name == "BashOperator":
        return {"bash_command": f"python -m etl.{task_id} --ds {ds}", "env": None, "cwd": None}
    if operator_name == "KubernetesPodOperator":
        return {
            "image": "registry.example.com/etl/transform:2.4.1",
            "name": f"{dag_id}-{task_id}".replace("_", "-"),
            "namespace": "airflow-jobs",
            "cmds": ["python", "-m"],
            "arguments": [f"etl.{task_id}", f"--ds={ds}"],
            "env_vars": [],
            "labels": {"dag_id": dag_id, "task_id": task_id},
        }
    if operator_name == "SQLExecuteQueryOperator":
        sql = f"INSERT INTO staging.{task_id} SELECT * FROM raw.{task_id} WHERE ds = '{ds}'"
        return {"conn_id": "warehouse", "sql": sql, "parameters": None, "hook_params": {}}
    return {}


def _state_v2(run: int, task: int, runs: int) -> str | None:
    """The state of task ``task`` in run ``run`` of ``runs``: the newest run of each DAG is under
    way, about one older run in 23 failed, and a branch skips one task in every fifth run."""
    if run >= runs - DAGS:
        at = 0 if run % 5 == 0 else 1 + run % (TASKS_PER_RUN - 1)  # the task being worked on
        if task < at:
            return "success"
        if task == at:
            return "deferred" if at == 0 else "up_for_retry" if run % 3 == 0 else "running"
        if at and task == at + 1:
            return "queued"
        if at and task == at + 2:
            return "scheduled"
        return None
    if run % 23 == 7:
        failed = 2 + run % 17
        return "success" if task < failed else "failed" if task == failed else "upstream_failed"
    if run % 5 == 0 and task == TASKS_PER_RUN - 3:
        return "skipped"
    return "success"


def task_instance_v2(index: int, runs: int) -> dict[str, Any]:
    """The TaskInstanceResponse at ``index`` when ``runs`` DAG runs exist: run ``index // 20`` of
    one of 25 DAGs, task ``index % 20``; keys in the order Airflow 3.3 sends them."""
    run, task = divmod(index, TASKS_PER_RUN)
    dag_id = f"etl_pipeline_{run % DAGS:02d}"
    task_id, operator, operator_name = _task_v2(task)
    if run % 10 == 3:  # triggered by hand: the logical date is when
        run_after = EPOCH + dt.timedelta(hours=run, minutes=17, microseconds=(run * 7919) % 1_000_000)
        logical = run_after
        run_id = f"manual__{run_after.isoformat()}"
    else:
        logical = EPOCH + dt.timedelta(hours=run)
        run_after = logical + dt.timedelta(hours=1)
        run_id = f"scheduled__{logical.isoformat()}"
    state = _state_v2(run, task, runs)
    ran = state in ("running", "deferred", "up_for_retry", "success", "failed")
    scheduled = run_after + dt.timedelta(seconds=1 + 3 * task, microseconds=(index * 104_729) % 1_000_000)
    queued = scheduled + dt.timedelta(microseconds=200_000 + (index * 7_127) % 600_000)
    started = queued + dt.timedelta(microseconds=150_000 + (index * 6_007) % 800_000)
    duration: float | None = round(0.5 + (index * 2_654_435_761 % 600_000) / 1000, 6)
    ended: dt.datetime | None = started + dt.timedelta(seconds=duration or 0)
    try_number = 1
    if state in ("skipped", "upstream_failed"):  # set by the scheduler, never run
        started = ended = scheduled
        duration, try_number = 0.0, 0
    elif state in (None, "scheduled", "queued", "running", "deferred"):
        duration = ended = None
        try_number = 0 if state is None else 1
    elif state == "failed":
        try_number = MAX_TRIES + 1
    elif state == "success" and index % 53 == 0:
        try_number = 2
    trigger = triggerer_job = None
    if state == "deferred":
        trigger = {
            "id": 100 + run,
            "classpath": "airflow.providers.standard.triggers.temporal.DateTimeTrigger",
            "kwargs": "{}",
            "created_date": _z(started + dt.timedelta(seconds=2)),
            "queue": None,
            "triggerer_id": TRIGGERER_JOB,
        }
        triggerer_job = {
            "id": TRIGGERER_JOB,
            "dag_id": None,
            "state": "running",
            "job_type": "TriggererJob",
            "start_date": _z(EPOCH - dt.timedelta(days=1, microseconds=250_117)),
            "end_date": None,
            "latest_heartbeat": _z(started + dt.timedelta(seconds=9, microseconds=512_304)),
            "executor_class": None,
            "hostname": TRIGGERER_HOST,
            "unixname": "airflow",
            "dag_display_name": None,
        }
    version = 1 + (run // DAGS) // 10  # a new DAG version every 10 runs
    version_created = EPOCH + dt.timedelta(hours=run - (run // DAGS) % 10 * DAGS, minutes=-13, seconds=7)
    runs_of_dag = (runs - 1 - run % DAGS) // DAGS + 1
    keeps_rendered = ran and run // DAGS >= runs_of_dag - RENDERED_KEPT
    rendered = _rendered(operator_name, dag_id, task_id, logical) if keeps_rendered else {}
    return {
        "id": _uuid7(run_after + dt.timedelta(milliseconds=task), index),
        "task_id": task_id,
        "dag_id": dag_id,
        "dag_run_id": run_id,
        "map_index": -1,
        "logical_date": _z(logical),
        "run_after": _z(run_after),
        "start_date": _z(started) if ran or ended else None,
        "end_date": _z(ended),
        "duration": duration,
        "state": state,
        "try_number": try_number,
        "max_tries": MAX_TRIES,
        "task_display_name": task_id,
        "dag_display_name": dag_id,
        "hostname": f"airflow-worker-{index % 4}.airflow-worker.airflow.svc.cluster.local" if ran else "",
        "unixname": "airflow",
        "pool": "default_pool",
        "pool_slots": 1,
        "queue": "default",
        "priority_weight": TASKS_PER_RUN - task,
        "operator": operator,
        "operator_name": operator_name,
        "queued_when": _z(queued) if state not in (None, "scheduled", "skipped", "upstream_failed") else None,
        "scheduled_when": _z(scheduled) if state not in (None, "skipped", "upstream_failed") else None,
        "pid": 1000 + (index * 37) % 60_000 if ran else None,
        "executor": None,
        "executor_config": "{}",
        "note": "Rerun once the warehouse is back." if state == "failed" and run % 2 else None,
        "rendered_map_index": None,
        "rendered_fields": rendered,
        "trigger": trigger,
        "triggerer_job": triggerer_job,
        "dag_version": {
            "id": _uuid7(version_created, run % DAGS * 1000 + version),
            "version_number": version,
            "dag_id": dag_id,
            "bundle_name": "dags-folder",
            "bundle_version": None,
            "created_at": _z(version_created),
            "dag_display_name": dag_id,
            "bundle_url": None,
        },
    }


def encode_cursor(map_index: int, ti_id: str) -> str:
    """Airflow 3.3's cursor token for the row ``(map_index, id)``: URL-safe base64 (no padding) of
    the msgpack list of the two."""
    if not -32 <= map_index < 128:
        raise ValueError("this fake encodes only map indexes from -32 to 127")
    text = ti_id.encode()
    payload = b"\x92" + (map_index & 0xFF).to_bytes(1, "big") + b"\xd9" + bytes([len(text)]) + text
    return base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")


def decode_cursor(token: str) -> tuple[int, str]:
    """The ``(map_index, id)`` an ``encode_cursor`` token holds; ValueError for anything else."""
    try:
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError as exc:
        raise ValueError("Invalid cursor token") from exc
    if len(payload) < 4 or payload[0] != 0x92 or payload[2] != 0xD9 or len(payload) != 4 + payload[3]:
        raise ValueError("Invalid cursor token")
    map_index = payload[1] - 256 if payload[1] >= 0xE0 else payload[1]
    if 0x80 <= payload[1] < 0xE0:
        raise ValueError("Invalid cursor token")
    try:
        return map_index, payload[4:].decode()
    except UnicodeDecodeError as exc:
        raise ValueError("Invalid cursor token") from exc


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _json_v2(obj: Any) -> bytes:
    """FastAPI's rendering: no spaces."""
    return json.dumps(obj, separators=(",", ":")).encode()


def _detail(status: HTTPStatus, detail: Any) -> tuple[int, bytes, bytes]:
    """An Airflow 3 (FastAPI) error answer."""
    return int(status), b"application/json", _json_v2({"detail": detail})


def _query_int(query: dict[str, list[str]], name: str, default: int) -> tuple[int, dict[str, Any] | None]:
    """A non-negative integer query parameter as FastAPI reads it: (value, None) or (0, its error)."""
    if name not in query:
        return default, None
    raw = query[name][-1]
    loc = ["query", name]
    if not re.fullmatch(r"[+-]?\d+", raw.strip()):
        msg = "Input should be a valid integer, unable to parse string as an integer"
        return 0, {"type": "int_parsing", "loc": loc, "msg": msg, "input": raw}
    if int(raw) < 0:
        msg = "Input should be greater than or equal to 0"
        return 0, {"type": "greater_than_equal", "loc": loc, "msg": msg, "input": raw, "ctx": {"ge": 0}}
    return int(raw), None


def _problem(status: HTTPStatus, detail: str) -> tuple[int, bytes, bytes]:
    body = {
        "detail": detail,
        "status": int(status),
        "title": status.phrase,
        "type": f"{ERRORS_DOC}#section/Errors/{status.phrase.replace(' ', '')}",
    }
    return int(status), b"application/problem+json", _json(body)


class App:
    """The routes; page bodies are cached per (limit, offset)."""

    def __init__(self, items: int, max_page_limit: int) -> None:
        self.total = items
        self.max_page_limit = max_page_limit
        self.items = [_json(task_instance(i)) for i in range(items)]
        runs = -(-items // TASKS_PER_RUN)
        v2 = [task_instance_v2(i, runs) for i in range(items)]
        self.items_v2 = [_json_v2(item) for item in v2]
        self.keys_v2 = [(item["map_index"], item["id"]) for item in v2]  # the order Airflow 3 sorts by
        del v2
        self.pages: dict[tuple[Any, ...], bytes] = {}
        self.cached_bytes = 0
        self.health = _json(
            {
                "dag_processor": {"latest_dag_processor_heartbeat": None, "status": None},
                "metadatabase": {"status": "healthy"},
                "scheduler": {
                    "latest_scheduler_heartbeat": _at(dt.datetime.now(dt.UTC)),
                    "status": "healthy",
                },
                "triggerer": {"latest_triggerer_heartbeat": None, "status": None},
            }
        )

    def cached(self, key: tuple[Any, ...], build: Callable[[], bytes]) -> bytes:
        """The page body for ``key``, built on first use."""
        body = self.pages.get(key)
        if body is None:
            body = build()
            if self.cached_bytes + len(body) > CACHE_BUDGET:
                self.pages.clear()
                self.cached_bytes = 0
            self.pages[key] = body
            self.cached_bytes += len(body)
        return body

    def page(self, limit: int, offset: int) -> bytes:
        def build() -> bytes:
            tail = b'], "total_entries": ' + str(self.total).encode() + b"}"
            return b'{"task_instances": [' + b", ".join(self.items[offset : offset + limit]) + tail

        return self.cached((limit, offset), build)

    def page_v2(self, start: int, stop: int, tail: dict[str, Any]) -> bytes:
        """Items ``start:stop`` as Airflow 3's collection, then the ``tail`` fields."""

        def build() -> bytes:
            rest = _json_v2(tail)
            return b'{"task_instances":[' + b",".join(self.items_v2[start:stop]) + b"]," + rest[1:]

        return self.cached(("v2", start, stop, *tail.values()), build)

    def route_v2(self, method: str, path: str, query_string: str) -> tuple[int, bytes, bytes]:
        if not TASK_INSTANCES_V2.match(path):
            return _detail(HTTPStatus.NOT_FOUND, "Not Found")
        if method != "GET":
            return _detail(HTTPStatus.METHOD_NOT_ALLOWED, "Method Not Allowed")
        query = parse_qs(query_string, keep_blank_values=True)
        limit, limit_error = _query_int(query, "limit", V2_FALLBACK_PAGE_LIMIT)
        offset, offset_error = _query_int(query, "offset", 0)
        problems = [e for e in (limit_error, offset_error) if e]
        if problems:
            return _detail(HTTPStatus.UNPROCESSABLE_ENTITY, problems)
        limit = min(limit, V2_MAX_PAGE_LIMIT)
        if "cursor" not in query:
            start, stop = min(offset, self.total), min(offset + limit, self.total)
            tail = {"total_entries": self.total, "total_entries_limit": None}
            tail |= {"next_cursor": None, "previous_cursor": None}
            return 200, b"application/json", self.page_v2(start, stop, tail)
        cursor = query["cursor"][-1]
        backward = cursor.startswith("~")
        try:
            key = decode_cursor(cursor[1:] if backward else cursor) if cursor else None
        except ValueError as exc:
            return _detail(HTTPStatus.BAD_REQUEST, str(exc))
        if key is None:
            start, stop, has_next, has_prev = 0, min(limit, self.total), limit < self.total, False
        elif backward:
            stop = bisect.bisect_left(self.keys_v2, key)
            start = max(0, stop - limit)
            has_next, has_prev = True, start > 0
        else:
            start = bisect.bisect_right(self.keys_v2, key)
            stop = min(start + limit, self.total)
            has_next, has_prev = stop < self.total, True
        tail = {"total_entries": min(self.total, EXACT_COUNT_LIMIT), "total_entries_limit": EXACT_COUNT_LIMIT}
        following = encode_cursor(*self.keys_v2[stop - 1]) if has_next and stop > start else None
        preceding = "~" + encode_cursor(*self.keys_v2[start]) if has_prev and stop > start else None
        tail |= {"next_cursor": following, "previous_cursor": preceding}
        return 200, b"application/json", self.page_v2(start, stop, tail)

    def route(self, method: str, target: str) -> tuple[int, bytes, bytes]:
        url = urlsplit(target)
        if url.path.startswith(f"{API_V2}/"):
            return self.route_v2(method, url.path, url.query)
        if method not in ("GET", "HEAD"):
            if TASK_INSTANCES.match(url.path) or url.path == f"{API}/health":
                return _problem(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed here")
            return _problem(HTTPStatus.NOT_FOUND, "The requested URL was not found on the server.")
        if url.path == f"{API}/health":
            return 200, b"application/json", self.health
        if TASK_INSTANCES.match(url.path):
            query = parse_qs(url.query)
            try:
                limit = int(query.get("limit", [str(FALLBACK_PAGE_LIMIT)])[-1])
                offset = int(query.get("offset", ["0"])[-1])
            except ValueError:
                return _problem(HTTPStatus.BAD_REQUEST, "limit and offset must be integers")
            if limit < 0:
                return _problem(HTTPStatus.BAD_REQUEST, "Page limit must be a positive integer")
            if offset < 0:
                return _problem(HTTPStatus.BAD_REQUEST, f"{offset} is less than the minimum of 0 - 'offset'")
            if limit == 0:
                limit = FALLBACK_PAGE_LIMIT
            if self.max_page_limit:
                limit = min(limit, self.max_page_limit)
            return 200, b"application/json", self.page(limit, offset)
        return _problem(HTTPStatus.NOT_FOUND, "The requested URL was not found on the server.")


def _head(status: int, content_type: bytes, length: int, keep_alive: bool) -> bytes:
    return b"".join(
        (
            b"HTTP/1.1 %d %s\r\n" % (status, HTTPStatus(status).phrase.encode()),
            b"Server: airflow-rest-bench\r\nContent-Type: ",
            content_type,
            b"\r\nContent-Length: %d\r\n" % length,
            b"Connection: keep-alive\r\n\r\n" if keep_alive else b"Connection: close\r\n\r\n",
        )
    )


class Server:
    def __init__(self, app: App, latency: float) -> None:
        self.app = app
        self.latency = latency

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.LimitOverrunError:
                    writer.write(_head(431, b"text/plain", 0, False))
                    await writer.drain()
                    return
                except (asyncio.IncompleteReadError, ConnectionError):
                    return  # the client closed the connection
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, version = lines[0].split(" ", 2)
                except ValueError:
                    writer.write(_head(400, b"text/plain", 0, False))
                    await writer.drain()
                    return
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                connection = headers.get("connection", "").lower()
                keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
                status, content_type, body = self.app.route(method, target)
                if self.latency:
                    await asyncio.sleep(self.latency)
                writer.write(_head(status, content_type, len(body), keep_alive))
                if method != "HEAD":
                    writer.write(body)
                await writer.drain()
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def serve(port: int, app: App, latency: float) -> None:
    server = Server(app, latency)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", port, backlog=1024)
    bound = listener.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    async with listener:
        await listener.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--items", type=int, default=20_000, help="task instances served (default 20000)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    parser.add_argument(
        "--max-page-limit", type=int, default=0, help="cap on v1's limit; 0: no cap (default; v2 caps at 100)"
    )
    args = parser.parse_args(argv)
    app = App(args.items, args.max_page_limit)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, app, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
