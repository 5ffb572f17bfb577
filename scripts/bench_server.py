"""A fast fake Airflow 2.11 webserver on 127.0.0.1, for scripts/benchmark.py.

    python scripts/bench_server.py --port 0 --items 20000 --latency-ms 0

Prints ``PORT <n>`` on stdout once listening (flushed), then serves until killed. It answers

* ``GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances?limit=&offset=`` with
  ``{"task_instances": [...], "total_entries": <items>}``: every item a TaskInstance with all 29
  fields Airflow 2.11 sends, deterministic per index (the same items whatever the path says);
* ``GET /api/v1/health``;
* anything else with Airflow's 404 problem document.

Like Airflow, ``limit=0`` means the fallback page size (100) and a negative ``limit`` or ``offset``
is a 400; ``--max-page-limit`` caps ``limit`` like Airflow's ``[api] maximum_page_limit`` (off by
default, so the benchmark can ask for pages of 1000).

The server must never be the bottleneck: every item is serialised once at start-up, and every page
body is joined from those on the first request for its (limit, offset) and cached as bytes. It is
a minimal hand-written HTTP/1.1 server on asyncio (keep-alive, Content-Length bodies, any number of
concurrent connections); ``--latency-ms`` delays each answer with ``asyncio.sleep``, so concurrent
requests overlap as they would against a real webserver.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import re
import sys
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


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


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
        self.pages: dict[tuple[int, int], bytes] = {}
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

    def page(self, limit: int, offset: int) -> bytes:
        key = (limit, offset)
        body = self.pages.get(key)
        if body is None:
            tail = b'], "total_entries": ' + str(self.total).encode() + b"}"
            body = b'{"task_instances": [' + b", ".join(self.items[offset : offset + limit]) + tail
            if self.cached_bytes + len(body) > CACHE_BUDGET:
                self.pages.clear()
                self.cached_bytes = 0
            self.pages[key] = body
            self.cached_bytes += len(body)
        return body

    def route(self, method: str, target: str) -> tuple[int, bytes, bytes]:
        url = urlsplit(target)
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
    parser.add_argument("--max-page-limit", type=int, default=0, help="cap on limit; 0: no cap (default)")
    args = parser.parse_args(argv)
    app = App(args.items, args.max_page_limit)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, app, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
