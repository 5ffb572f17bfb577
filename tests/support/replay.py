"""Replaying recorded exchanges with the real Airflow 2 against the fake, and comparing the answers.

A recording is a JSON-lines file, one exchange with the real server a line, in the order they were
sent (tests/integration/test_zz_schemathesis.py writes one). ``take_snapshot`` reads what the real
server holds, read-only (DAGs with their details and tasks, runs, task instances, XComs, variables,
pools, connections, import errors, users, roles, datasets, queued dataset events, event logs and,
when exposed, the configuration). ``as_before`` rolls that back to what the server held before the
recording's first request: for variables, pools, connections, users, roles, DAG runs and a DAG's
queue of dataset events, the first exchange that tells whether the object was there decides (a
200/204/404 on its path, a create that succeeded or a 409 that names it); an object put back is
taken from the recording's answers, or made up from its key. ``fresh_oracle`` seeds a new fake
with it; ``replay`` sends every request to the fake through the oracle, in order, with the values
the server generated (a triggered run's id, a DAG's signed file token) mapped to the fake's, and
maps them back in the fake's answers, so that an answer naming such a value compares equal to the
server's; ``compare`` sets the answers side by side.

What is compared, for each comparable request: the status; on equal 4xx statuses, the Problem
JSON ``title``; on equal statuses (HEAD aside), the media type of the answer with its charset
parameter. A request is comparable unless

- the real server sent no answer or a 5xx (a crash: the fake answers what the server means to
  answer, it does not imitate its bugs; those requests are the schemathesis gate's business), or
- the fake does not model its operation (it raises ``NotImplementedError``), or
- the fake refused it with a 400 on the effective spec where the server's own spec (Airflow's
  uncorrected v1.yaml, which the server validates requests against) lets it through: input a
  correction forbids because the server crashes on it or misreads it (spec/v1/corrections.yaml
  has each with its evidence), so the fake refuses it by design. Those requests are counted apart;
  if the fake answers one with anything but a 400 it is compared like any other.

Nothing else is set aside beforehand: an answer that depended on the scheduler or on the
deployment (a run the scheduler moved on during the recording, a log file) counts like any other,
and if it differs, its kind is listed with that reason.

Differences are grouped into kinds, ``(operation, real status, fake status, aspect)``, aspect being
``status``, ``title`` or ``content type``; the agreement is the share of comparable requests that
differ in no aspect (the status agreement, the share with the same status, is given beside it).

A file of listed kinds, each with its reason (``load_listed``), is checked against the kinds seen
(``check_listed``): a kind seen but not listed is a new difference, and a failure of the replay; a
listed kind not seen is a note in the report, not a failure, since what the schemathesis run sends
depends on the server's state (its run ids, its timing) and a kind that needs a particular request
may not occur in every recording.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx

from airflow_rest.testing import Oracle, Spec
from airflow_rest.testing.fake import Call, FakeAirflow, FakeTask

JSON = dict[str, Any]

# --- the recording -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One request sent to the real server and its answer."""

    index: int
    operation: str  # operationId the recorder matched, "" when none
    method: str
    path: str  # relative to /api/v1, percent-encoded as sent
    query: str  # as sent, without "?"
    content_type: str | None
    accept: str | None
    body: str | None  # the request body as text
    status: int
    response_content_type: str | None
    response_body: str  # text, possibly truncated

    @property
    def target(self) -> str:
        return self.path + ("?" + self.query if self.query else "")

    def response_json(self) -> Any:
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None


def _first(data: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in data:
            return data[name]
    return None


def parse_exchange(index: int, data: Mapping[str, Any]) -> Recorded:
    """One line of a recording. Nested ``request``/``response`` objects and flat keys both work."""
    request = data.get("request") if isinstance(data.get("request"), dict) else data
    response = data.get("response") if isinstance(data.get("response"), dict) else None
    assert isinstance(request, dict)
    if response is not None:
        status = response.get("status")
        answer_type = _first(response, "content_type", "content-type")
        answer_body = _first(response, "body", "text")
    else:
        status = data.get("status")
        answer_type = data.get("response_content_type")
        answer_body = data.get("response_body")
    path = str(_first(request, "path") or "/")
    query = str(_first(request, "query") or "")
    if "?" in path and not query:
        path, _, query = path.partition("?")
    if path.startswith("/api/v1"):
        path = path[len("/api/v1") :] or "/"
    body = _first(request, "body", "request_body")
    return Recorded(
        index=index,
        operation=str(_first(data, "operation", "operation_id", "operationId") or ""),
        method=str(request["method"]).upper(),
        path=path,
        query=query.lstrip("?"),
        content_type=_first(request, "content_type", "request_content_type"),
        accept=request.get("accept"),
        body=body if body is None or isinstance(body, str) else json.dumps(body),
        status=int(status) if status is not None else 0,
        response_content_type=answer_type,
        response_body=answer_body if isinstance(answer_body, str) else "",
    )


def load_exchanges(path: Path) -> list[Recorded]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [parse_exchange(i, json.loads(line)) for i, line in enumerate(lines)]


# --- the snapshot of the real server -----------------------------------------------------------


@dataclass
class Snapshot:
    """What a server holds, as its API shows it (lists of API JSON objects)."""

    dags: list[JSON] = field(default_factory=list)  # DAG details
    tasks: dict[str, list[JSON]] = field(default_factory=dict)  # dag_id -> tasks
    runs: list[JSON] = field(default_factory=list)
    task_instances: list[JSON] = field(default_factory=list)
    xcoms: list[JSON] = field(default_factory=list)
    variables: list[JSON] = field(default_factory=list)
    pools: list[JSON] = field(default_factory=list)
    connections: list[JSON] = field(default_factory=list)
    import_errors: list[JSON] = field(default_factory=list)
    users: list[JSON] = field(default_factory=list)
    roles: list[JSON] = field(default_factory=list)
    datasets: list[JSON] = field(default_factory=list)
    config: list[JSON] = field(default_factory=list)  # sections, when the server exposes them
    event_logs: list[JSON] = field(default_factory=list)  # oldest first
    queued_events: list[JSON] = field(default_factory=list)  # {dag_id, uri, created_at}


def _pages(get: Callable[[int], JSON], key: str) -> Iterator[JSON]:
    offset = 0
    while True:
        page = get(offset)
        items = page.get(key) or []
        yield from items
        offset += len(items)
        if not items or offset >= int(page.get("total_entries") or 0):
            return


def _page_of(get: Callable[..., JSON], path: str, offset: int) -> JSON:
    return get(path, limit=100, offset=offset)


def take_snapshot(http: httpx.Client) -> Snapshot:
    """Read the server's objects over its API (GETs and the read-only list POSTs); ``http`` has the
    API root (.../api/v1/) as base URL and the credentials."""

    def get(path: str, **params: Any) -> JSON:
        answer = http.get(path, params=params)
        answer.raise_for_status()
        data: JSON = answer.json()
        return data

    def post(path: str, body: JSON) -> JSON:
        answer = http.post(path, json=body)
        answer.raise_for_status()
        data: JSON = answer.json()
        return data

    snap = Snapshot()
    listed = list(_pages(lambda o: get("dags", limit=100, offset=o, only_active="false"), "dags"))
    for dag in listed:
        dag_id = quote(dag["dag_id"], safe="")
        snap.dags.append(dag | get(f"dags/{dag_id}/details"))
        snap.tasks[dag["dag_id"]] = get(f"dags/{dag_id}/tasks")["tasks"]
    snap.runs = list(
        _pages(lambda o: post("dags/~/dagRuns/list", {"page_limit": 100, "page_offset": o}), "dag_runs")
    )
    snap.task_instances = list(
        _pages(
            lambda o: post("dags/~/dagRuns/~/taskInstances/list", {"page_limit": 100, "page_offset": o}),
            "task_instances",
        )
    )
    snap.xcoms = list(
        _pages(
            lambda o: get("dags/~/dagRuns/~/taskInstances/~/xcomEntries", limit=100, offset=o),
            "xcom_entries",
        )
    )
    # the entries name their run by its logical date only
    run_ids = {(r["dag_id"], _instant(r.get("execution_date"))): r["dag_run_id"] for r in snap.runs}
    for xcom in snap.xcoms:
        xcom.setdefault("dag_run_id", run_ids.get((xcom["dag_id"], _instant(xcom.get("execution_date")))))
    for name, key in (
        ("variables", "variables"),
        ("pools", "pools"),
        ("connections", "connections"),
        ("importErrors", "import_errors"),
        ("users", "users"),
        ("roles", "roles"),
        ("datasets", "datasets"),
    ):
        setattr(snap, key, list(_pages(functools.partial(_page_of, get, name), key)))
    for dag in snap.dags:
        if dag.get("dataset_expression"):
            answer = http.get(f"dags/{quote(dag['dag_id'], safe='')}/datasets/queuedEvent")
            if answer.status_code == 200:
                snap.queued_events += answer.json().get("queued_events") or []
    snap.event_logs = list(
        _pages(
            lambda o: get("eventLogs", limit=100, offset=o, order_by="event_log_id"),
            "event_logs",
        )
    )
    answer = http.get("config", headers={"Accept": "application/json"})
    if answer.status_code == 200:
        snap.config = answer.json().get("sections") or []
    return snap


# --- what the server held before the recording ----------------------------------------------------

_RUN_PATH = re.compile(r"^/dags/(?P<dag>[^/~]+)/dagRuns/(?P<run>[^/~]+)$")
_TRIGGER = re.compile(r"^/dags/(?P<dag>[^/~]+)/dagRuns$")
_QUEUE_PATH = re.compile(r"^/dags/(?P<dag>[^/~]+)/datasets/queuedEvent$")

# keyed collections the recording can create or delete: snapshot attribute -> (item key, path regex)
_KEYED: dict[str, tuple[str, str]] = {
    "variables": ("key", r"^/variables/(?P<key>[^/]+)$"),
    "pools": ("name", r"^/pools/(?P<key>[^/]+)$"),
    "connections": ("connection_id", r"^/connections/(?P<key>[^/]+)$"),
    "users": ("username", r"^/users/(?P<key>[^/]+)$"),
    "roles": ("name", r"^/roles/(?P<key>[^/]+)$"),
}
# where a successful create names the new object: snapshot attribute -> (POST path, body key)
_CREATES: dict[str, tuple[str, str]] = {
    "variables": ("/variables", "key"),
    "pools": ("/pools", "name"),
    "connections": ("/connections", "connection_id"),
    "users": ("/users", "username"),
    "roles": ("/roles", "name"),
}


def _first_sightings(exchanges: Sequence[Recorded]) -> dict[tuple[str, str], tuple[bool, JSON | None]]:
    """(collection, key) -> (whether the object existed before the recording, its first JSON seen),
    from the first exchange that tells: a 200/204/404 to a GET, PATCH or DELETE of its path, a
    successful create (for all but variables, which are upserted), or a 409 to a create whose
    detail names it (a user's 409 may be about the email). Runs are keyed "dag_id/run_id"."""
    seen: dict[tuple[str, str], tuple[bool, JSON | None]] = {}
    patterns = {name: re.compile(regex) for name, (_k, regex) in _KEYED.items()}
    for ex in exchanges:
        body = _json_or_none(ex.body)
        answer = ex.response_json() if ex.status == 200 else None
        found: list[tuple[str, str, bool]] = []  # (collection, key, existed)
        for name, pattern in patterns.items():
            match = pattern.match(ex.path)
            if match and ex.status in (200, 204, 404) and ex.method in ("GET", "PATCH", "DELETE"):
                found.append((name, unquote(match["key"]), ex.status != 404))
            post_path, body_key = _CREATES[name]
            item = body.get(body_key) if isinstance(body, dict) else None
            if ex.method == "POST" and ex.path == post_path and isinstance(item, str):
                if ex.status == 200 and name != "variables":
                    found.append((name, item, False))
                elif ex.status == 409 and _names(ex, item):
                    found.append((name, item, True))
        match = _RUN_PATH.match(ex.path)
        if match and ex.status in (200, 204, 404) and ex.method in ("GET", "PATCH", "DELETE"):
            found.append(("runs", f"{unquote(match['dag'])}/{unquote(match['run'])}", ex.status != 404))
        match = _QUEUE_PATH.match(ex.path)
        # with a `before` filter, a 404 or a 204 speaks of part of the queue only
        if match and ex.status in (200, 204, 404) and ex.method in ("GET", "DELETE") and not ex.query:
            found.append(("queues", unquote(match["dag"]), ex.status != 404))
        match = _TRIGGER.match(ex.path)
        if match and ex.method == "POST":
            dag_id = unquote(match["dag"])
            made = answer.get("dag_run_id") if isinstance(answer, dict) else None
            asked = body.get("dag_run_id") if isinstance(body, dict) else None
            if ex.status == 200 and isinstance(made, str):
                found.append(("runs", f"{dag_id}/{made}", False))
            elif ex.status == 409 and isinstance(asked, str) and _names(ex, asked):
                found.append(("runs", f"{dag_id}/{asked}", True))
        for collection, key, existed in found:
            if (collection, key) not in seen:
                first = answer if existed and ex.method == "GET" and isinstance(answer, dict) else None
                seen[(collection, key)] = (existed, first)
    return seen


def _names(conflict: Recorded, key: str) -> bool:
    """Whether a 409 is about ``key`` (not about a user's email, or a run's logical date)."""
    answer = conflict.response_json()
    detail = str(answer.get("detail") if isinstance(answer, dict) else conflict.response_body)
    return bool(key) and key in detail and "email" not in detail and "logical date" not in detail


def _runs_seen(exchanges: Sequence[Recorded]) -> dict[str, JSON]:
    """Every DAG run the recording's answers showed (single runs and lists), first sight kept."""
    runs: dict[str, JSON] = {}
    for ex in exchanges:
        answer = ex.response_json() if ex.status == 200 else None
        items = answer.get("dag_runs") if isinstance(answer, dict) else None
        for item in [answer, *(items if isinstance(items, list) else [])]:
            if isinstance(item, dict) and {"dag_id", "dag_run_id", "state", "logical_date"} <= set(item):
                runs.setdefault(f"{item['dag_id']}/{item['dag_run_id']}", item)
    return runs


def _expression_uris(expression: Any) -> list[str]:
    """The dataset URIs of a DAG's dataset expression ({"all": [...]}, {"any": [...]}, nested)."""
    if isinstance(expression, str):
        return [expression]
    if isinstance(expression, dict):
        return [uri for value in expression.values() for uri in _expression_uris(value)]
    if isinstance(expression, list):
        return [uri for value in expression for uri in _expression_uris(value)]
    return []


def _made_up_run(key: str) -> JSON:
    """A run known only by its id: its logical date from the id when the id carries one."""
    dag_id, _, run_id = key.partition("/")
    logical = _instant(run_id.partition("__")[2])
    return {
        "dag_id": dag_id,
        "dag_run_id": run_id,
        "logical_date": logical.isoformat() if logical else None,
        "state": "queued",
        "conf": {},
    }


def _json_or_none(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def as_before(snapshot: Snapshot, exchanges: Sequence[Recorded]) -> Snapshot:
    """The snapshot (taken after the recording) rolled back to what the server held before it:
    an object the recording first saw absent or created is dropped, one it first saw present but
    the snapshot lacks (deleted meanwhile) is put back from the recording's first sight of it."""
    seen = _first_sightings(exchanges)
    before = Snapshot(**{name: getattr(snapshot, name) for name in Snapshot.__dataclass_fields__})
    for name, (item_key, _regex) in _KEYED.items():
        items = {str(item[item_key]): item for item in getattr(snapshot, name)}
        for (collection, key), (existed, first) in seen.items():
            if collection != name:
                continue
            if not existed:
                items.pop(key, None)
            elif key not in items:
                items[key] = first if isinstance(first, dict) else {item_key: key}
        setattr(before, name, list(items.values()))
    runs = {f"{r['dag_id']}/{r['dag_run_id']}": r for r in snapshot.runs}
    seen_runs = _runs_seen(exchanges)
    for (collection, key), (existed, first) in seen.items():
        if collection != "runs":
            continue
        if not existed:
            runs.pop(key, None)
        elif key not in runs:
            runs[key] = first or seen_runs.get(key) or _made_up_run(key)
    before.runs = list(runs.values())
    queued = {(q["dag_id"], q["uri"]): q for q in snapshot.queued_events}
    consumed = {d["dag_id"]: _expression_uris(d.get("dataset_expression")) for d in snapshot.dags}
    for (collection, dag_id), (existed, first) in seen.items():
        if collection != "queues":
            continue
        if not existed:
            queued = {k: v for k, v in queued.items() if k[0] != dag_id}
        elif not any(k[0] == dag_id for k in queued):
            shown = (first or {}).get("queued_events") or []
            # a DELETE that emptied it does not say which datasets: the DAG's first one stands in
            uris = [q["uri"] for q in shown] or consumed.get(dag_id, [])[:1]
            queued.update({(dag_id, uri): {"dag_id": dag_id, "uri": uri} for uri in uris})
    before.queued_events = list(queued.values())
    kept = {(r["dag_id"], r["dag_run_id"]) for r in before.runs}
    before.task_instances = [t for t in snapshot.task_instances if (t["dag_id"], t["dag_run_id"]) in kept]
    before.xcoms = [x for x in snapshot.xcoms if (x["dag_id"], x.get("dag_run_id")) in kept]
    return before


# --- seeding the fake ------------------------------------------------------------------------------


def _schedule(value: Any) -> str | timedelta | None:
    if not isinstance(value, dict):
        return None
    if value.get("__type") == "CronExpression" and isinstance(value.get("value"), str):
        return str(value["value"])
    if value.get("__type") == "TimeDelta":
        return timedelta(
            days=value.get("days") or 0,
            seconds=value.get("seconds") or 0,
            microseconds=value.get("microseconds") or 0,
        )
    return None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _tasks(
    dag_id: str, tasks: Sequence[JSON], tis: Sequence[JSON], outlets: Mapping[tuple[str, str], list[str]]
) -> list[FakeTask]:
    mapped: Counter[str] = Counter()
    for ti in tis:
        if ti["dag_id"] == dag_id and ti["map_index"] >= 0:
            mapped[ti["task_id"]] = max(mapped[ti["task_id"]], ti["map_index"] + 1)
    built = []
    for task in tasks:
        ref = task.get("class_ref") or {}
        built.append(
            FakeTask(
                task["task_id"],
                operator=str(ref.get("class_name") or "BashOperator"),
                downstream=list(task.get("downstream_task_ids") or []),
                retries=int(task.get("retries") or 0),
                map_count=mapped[task["task_id"]] if task.get("is_mapped") else None,
                owner=str(task.get("owner") or "airflow"),
                pool=str(task.get("pool") or "default_pool"),
                pool_slots=int(task.get("pool_slots") or 1),
                queue=str(task.get("queue") or "default"),
                trigger_rule=str(task.get("trigger_rule") or "all_success"),
                weight_rule=str(task.get("weight_rule") or "downstream"),
                priority_weight=int(task.get("priority_weight") or 1),
                module_path=ref.get("module_path"),
                template_fields=list(task.get("template_fields") or []),
                ui_color=task.get("ui_color"),
                doc_md=task.get("doc_md"),
                start_date=_instant(task.get("start_date")),
                end_date=_instant(task.get("end_date")),
                depends_on_past=bool(task.get("depends_on_past")),
                wait_for_downstream=bool(task.get("wait_for_downstream")),
                display_name=task.get("task_display_name"),
                extra_links=[
                    link.get("class_ref", {}).get("class_name", "") for link in task.get("extra_links") or []
                ],
                outlets=list(outlets.get((dag_id, task["task_id"]), [])),
            )
        )
    return built


def seed(oracle: Oracle, snapshot: Snapshot) -> list[str]:
    """Load ``snapshot`` into the oracle's fake (which starts without DAGs); what could not be
    loaded, one line each (the report shows them)."""
    fake = oracle.fake
    skipped: list[str] = []
    # first, so that their ids are the server's (the fake numbers entries 1, 2...; seeding adds more)
    for number, entry in enumerate(snapshot.event_logs, start=1):
        if entry.get("event_log_id") != number:
            skipped.append(f"event logs from id {entry.get('event_log_id')}: the ids have a gap")
            break
        fake.add_event_log(
            str(entry.get("event") or ""),
            owner=entry.get("owner"),
            extra=entry.get("extra"),
            dag_id=entry.get("dag_id"),
            task_id=entry.get("task_id"),
            run_id=entry.get("run_id"),
        )
    outlets: dict[tuple[str, str], list[str]] = {}
    for dataset in snapshot.datasets:
        for producer in dataset.get("producing_tasks") or []:
            outlets.setdefault((producer["dag_id"], producer["task_id"]), []).append(dataset["uri"])
    for dag in snapshot.dags:
        dag_id = dag["dag_id"]
        fake.add_dag(
            dag_id,
            tasks=_tasks(dag_id, snapshot.tasks.get(dag_id, []), snapshot.task_instances, outlets),
            dataset_expression=dag.get("dataset_expression"),
            is_paused=bool(dag.get("is_paused")),
            tags=[t["name"] for t in dag.get("tags") or []],
            schedule_interval=_schedule(dag.get("schedule_interval")),
            owners=list(dag.get("owners") or []),
            is_active=bool(dag.get("is_active", True)),
            description=dag.get("description"),
            doc_md=dag.get("doc_md"),
            fileloc=dag.get("fileloc"),
            start_date=_instant(dag.get("start_date")),
            end_date=_instant(dag.get("end_date")),
            catchup=bool(dag.get("catchup")),
            max_active_runs=int(dag.get("max_active_runs") or 16),
            max_active_tasks=int(dag.get("max_active_tasks") or 16),
            has_import_errors=bool(dag.get("has_import_errors")),
            timetable_description=dag.get("timetable_description"),
            display_name=dag.get("dag_display_name"),
        )
    for pool in snapshot.pools:
        fake.add_pool(
            pool["name"],
            int(pool.get("slots") or 0),
            pool.get("description"),
            include_deferred=bool(pool.get("include_deferred")),
        )
    for variable in snapshot.variables:
        fake.add_variable(variable["key"], str(variable.get("value") or ""), variable.get("description"))
    for conn in snapshot.connections:
        fields = {k: conn.get(k) for k in ("description", "host", "login", "schema", "port", "extra")}
        fake.add_connection(conn["connection_id"], conn.get("conn_type") or "generic", **fields)
    for role in snapshot.roles:
        if role["name"] not in fake.roles:
            pairs = [(a["action"]["name"], a["resource"]["name"]) for a in role.get("actions") or []]
            fake.add_role(role["name"], pairs)
    for user in snapshot.users:
        if user["username"] not in fake.users:
            fake.add_user(
                user["username"],
                email=user.get("email"),
                first_name=user.get("first_name") or "",
                last_name=user.get("last_name") or "",
                roles=[r["name"] for r in user.get("roles") or [] if r.get("name") in fake.roles],
            )
    for dataset in snapshot.datasets:
        if dataset["uri"] not in fake.datasets:
            fake.add_dataset(dataset["uri"], dataset.get("extra") or {})
    for queued in snapshot.queued_events:
        # what filled the queue: an event on the dataset while the DAG was not paused
        consumer = fake.dags.get(queued["dag_id"])
        if consumer is None:
            skipped.append(f"queued event {queued['uri']} of {queued['dag_id']}: no such DAG")
            continue
        paused, consumer.is_paused = consumer.is_paused, False
        status, _ = fake.handle("create_dataset_event", _call({}, {}, {"dataset_uri": queued["uri"]}))
        consumer.is_paused = paused
        if status != 200:
            skipped.append(f"queued event {queued['uri']} of {queued['dag_id']}: HTTP {status}")
    for section in snapshot.config:
        for option in section.get("options") or []:
            fake.set_config(section["name"], option["key"], str(option["value"]))
    for error in snapshot.import_errors:
        fake.add_import_error(error.get("filename") or "", error.get("stack_trace") or "")
    tis_by_run: dict[tuple[str, str], list[JSON]] = {}
    for ti in snapshot.task_instances:
        tis_by_run.setdefault((ti["dag_id"], ti["dag_run_id"]), []).append(ti)
    for run in sorted(snapshot.runs, key=lambda r: r.get("logical_date") or ""):
        dag_id, run_id = run["dag_id"], run["dag_run_id"]
        if dag_id not in fake.dags:
            skipped.append(f"run {dag_id}/{run_id}: its DAG is not in the snapshot")
            continue
        try:
            fake.trigger(dag_id, run_id, conf=run.get("conf") or {}, logical_date=run.get("logical_date"))
        except ValueError as exc:
            skipped.append(f"run {dag_id}/{run_id}: {exc}")
            continue
        for ti in tis_by_run.get((dag_id, run_id), []):
            if ti.get("state") is None:
                continue
            try:
                fake.set_task_state(dag_id, run_id, ti["task_id"], ti["state"], map_index=ti["map_index"])
            except (LookupError, ValueError) as exc:
                skipped.append(f"task instance {dag_id}/{run_id}/{ti['task_id']}/{ti['map_index']}: {exc}")
        state = fake.dag_runs[(dag_id, run_id)]["state"]
        if state != run.get("state") and run.get("state") in ("queued", "success", "failed"):
            fake.handle(
                "update_dag_run_state",
                _call({"dag_id": dag_id, "dag_run_id": run_id}, {}, {"state": run["state"]}),
            )
    for xcom in snapshot.xcoms:
        try:
            fake.add_xcom(
                xcom["dag_id"],
                xcom["dag_run_id"],
                xcom["task_id"],
                xcom["key"],
                xcom.get("value"),
                map_index=xcom.get("map_index", -1),
            )
        except LookupError as exc:
            skipped.append(f"xcom {xcom['key']}: {exc}")
    return skipped


def _call(path: Mapping[str, str], query: Mapping[str, Any], body: Any) -> Call:
    return Call(dict(path), dict(query), body)


@dataclass
class Seeded:
    oracle: Oracle
    skipped: list[str]  # what could not be seeded, one line each
    renamed: dict[str, str]  # a real server's value -> the fake's, for values derived from secrets


def fresh_oracle(snapshot: Snapshot) -> Seeded:
    """A new oracle over a fake holding ``snapshot`` and nothing else. A DAG's file token is signed
    with the server's secret key: the real one is mapped to the fake's for the same DAG."""
    oracle = Oracle(fake=FakeAirflow(dags=[]))
    skipped = seed(oracle, snapshot)
    renamed = {}
    for dag in snapshot.dags:
        status, mine = oracle.fake.handle("get_dag", _call({"dag_id": dag["dag_id"]}, {}, None))
        theirs = dag.get("file_token")
        if status == 200 and isinstance(theirs, str) and theirs != mine.get("file_token"):
            renamed[theirs] = mine["file_token"]
    return Seeded(oracle, skipped, renamed)


# --- replay and comparison ---------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int  # 0: the fake does not model the operation
    content_type: str | None
    body: str  # the fake's values for what the server generated mapped back to the server's
    # the fake refused the request on the effective spec, where the server's own spec lets it
    # through: input a correction forbids (spec/v1/corrections.yaml)
    narrowed: bool = False


UPSTREAM_SPEC = Path(__file__).resolve().parents[2] / "spec" / "v1" / "upstream" / "v1.yaml"


@functools.cache
def server_spec() -> Spec:
    """The spec the real server validates requests against: Airflow's own v1.yaml, uncorrected."""
    import yaml

    return Spec(yaml.safe_load(UPSTREAM_SPEC.read_text(encoding="utf-8")))


def server_lets_through(
    spec: Spec, method: str, target: str, headers: Mapping[str, str], body: str | None
) -> bool:
    """Whether ``spec`` (the server's) routes ``target`` (relative to /api/v1) to an operation and
    finds nothing to refuse in the request."""
    path, _, query = target.partition("?")
    match = spec.match(method, path)
    if match.operation is None:
        return False
    _parsed, found = spec.parse_request(
        match.operation,
        match.path_params,
        parse_qsl(query, keep_blank_values=True),
        body.encode("utf-8") if body else None,
        headers.get("content-type"),
        headers,
    )
    return not found


# values the server makes up when a run is triggered without them: the fake makes up others
_GENERATED = ("dag_run_id", "logical_date", "execution_date")


def _renamed(target: str, body: str | None, renamed: Mapping[str, str]) -> tuple[str, str | None]:
    for theirs, ours in renamed.items():
        target = target.replace(quote(theirs, safe=""), quote(ours, safe="")).replace(theirs, ours)
        body = body.replace(theirs, ours) if body is not None else None
    return target, body


def _named_back(text: str, renamed: Mapping[str, str]) -> str:
    """``text`` (a fake's answer) with the fake's values of ``renamed`` put back to the server's,
    longest first (a generated run id holds its generated logical date)."""
    for theirs, ours in sorted(renamed.items(), key=lambda pair: -len(pair[1])):
        text = text.replace(ours, theirs).replace(quote(ours, safe=""), quote(theirs, safe=""))
    return text


def replay(
    exchanges: Iterable[Recorded], oracle: Oracle, renamed: Mapping[str, str] | None = None
) -> list[Answer]:
    """Send every recorded request to the oracle, in order; its answers. What the real server
    generated for a triggered run (its id and logical date, from the trigger time) is replaced in
    the later requests by what the fake generated for the same trigger, and the fake's values are
    put back to the server's in the answers (from the trigger's own answer on), so that the fake's
    404 for a run the server named by its generated id reads as the server's."""
    answers = []
    renamed = dict(renamed or {})
    root = urlsplit(oracle.api_url).path
    for ex in exchanges:
        headers = {}
        if ex.content_type:
            headers["content-type"] = ex.content_type
        if ex.accept:
            headers["accept"] = ex.accept
        target, body = _renamed(ex.target, ex.body, renamed)
        try:
            status, out, content = oracle.handle_raw(
                ex.method, root + target, headers, (body or "").encode("utf-8")
            )
        except NotImplementedError:
            answers.append(Answer(0, None, ""))
            continue
        kind = next((v for k, v in out.items() if k.lower() == "content-type"), None)
        text = content.decode("utf-8", "replace")
        narrowed = (
            status == 400
            and not server_lets_through(oracle.spec, ex.method, target, headers, body)
            and server_lets_through(server_spec(), ex.method, target, headers, body)
        )
        if ex.method == "POST" and _TRIGGER.match(ex.path) and ex.status == status == 200:
            theirs, ours = ex.response_json(), _json_or_none(text)
            if isinstance(theirs, dict) and isinstance(ours, dict):
                for name in _GENERATED:
                    real, fake = theirs.get(name), ours.get(name)
                    if isinstance(real, str) and isinstance(fake, str) and real != fake:
                        renamed[real] = fake
        answers.append(Answer(status, kind, _named_back(text, renamed), narrowed))
    return answers


Kind = tuple[str, int, int, str]  # (operation, real status, fake status, aspect)


@dataclass
class Comparison:
    total: int = 0
    comparable: int = 0
    agreeing: int = 0
    same_status: int = 0
    excluded: Counter[str] = field(default_factory=Counter)  # reason -> requests
    kinds: Counter[Kind] = field(default_factory=Counter)
    examples: dict[Kind, tuple[Recorded, Answer]] = field(default_factory=dict)

    @property
    def agreement(self) -> float:
        return self.agreeing / self.comparable if self.comparable else 1.0


def _title(text: str) -> Any:
    data = _json_or_none(text)
    return data.get("title") if isinstance(data, dict) else None


def _media(value: str | None) -> str:
    """The media type and its charset, lower case, without spaces ("" when absent)."""
    if not value:
        return ""
    parts = [p.strip().lower() for p in value.split(";")]
    charset = [p for p in parts[1:] if p.startswith("charset=")]
    return ";".join([parts[0], *charset])


NARROWED = "input a correction forbids: the fake refuses it with 400, the server's own spec lets it through"


def exclusion(ex: Recorded, answer: Answer) -> str | None:
    """Why a request is not comparable, or None."""
    if ex.status >= 500 or ex.status == 0:
        return "the real server crashed (5xx) or did not answer"
    if answer.status == 0:
        return "the fake does not model the operation"
    if answer.narrowed and answer.status == 400:
        return NARROWED
    return None


def differences(ex: Recorded, answer: Answer) -> list[str]:
    """The aspects in which the fake's answer differs from the real one."""
    if answer.status != ex.status:
        return ["status"]
    found = []
    if 400 <= ex.status < 500:
        theirs, ours = _title(ex.response_body), _title(answer.body)
        if theirs is not None and ours != theirs:
            found.append("title")
    if _media(ex.response_content_type) != _media(answer.content_type) and ex.method != "HEAD":
        found.append("content type")
    return found


def compare(exchanges: Sequence[Recorded], answers: Sequence[Answer]) -> Comparison:
    result = Comparison(total=len(exchanges))
    for ex, answer in zip(exchanges, answers, strict=True):
        why = exclusion(ex, answer)
        if why is not None:
            result.excluded[why] += 1
            continue
        result.comparable += 1
        result.same_status += answer.status == ex.status
        found = differences(ex, answer)
        if not found:
            result.agreeing += 1
        for aspect in found:
            kind = (ex.operation or "(no operation)", ex.status, answer.status, aspect)
            result.kinds[kind] += 1
            result.examples.setdefault(kind, (ex, answer))
    return result


def kind_label(kind: Kind) -> str:
    operation, real, fake, aspect = kind
    return f"{operation} real {real} fake {fake} {aspect}"


def render(result: Comparison, listed: Mapping[Kind, str], skipped: Sequence[str] = ()) -> str:
    lines = [
        f"{result.total} recorded requests, {result.comparable} comparable; the fake agrees on "
        f"{result.agreeing} ({100 * result.agreement:.1f}%), on the status alone on {result.same_status} "
        f"({100 * result.same_status / max(result.comparable, 1):.1f}%)",
    ]
    lines += [f"  not comparable: {count} ({why})" for why, count in sorted(result.excluded.items())]
    lines.append(f"{len(result.kinds)} kinds of difference (operation, real status, fake status, aspect):")
    for kind, count in sorted(result.kinds.items()):
        ex, answer = result.examples[kind]
        state = "listed  " if kind in listed else "UNLISTED"
        lines.append(f"  {state} {count:5d}x {kind_label(kind)}")
        detail = ""
        if kind[3] == "title":
            detail = f" title {_title(ex.response_body)!r} / fake {_title(answer.body)!r}"
        elif kind[3] == "content type":
            detail = f" type {ex.response_content_type!r} / fake {answer.content_type!r}"
        body = f" {ex.body[:150]}" if ex.body else ""
        lines.append(f"      #{ex.index} {ex.method} {ex.target[:200]}{body}{detail}")
        lines.append(f"      real: {ex.response_body[:160]!r}")
        lines.append(f"      fake: {answer.body[:160]!r}")
    unseen = sorted(set(listed) - set(result.kinds))
    lines += [f"  NOTE     listed, not seen in this recording: {kind_label(k)}" for k in unseen]
    if skipped:
        lines.append(f"{len(skipped)} objects of the snapshot not seeded:")
        lines += [f"  {line}" for line in skipped[:50]]
    return "\n".join(lines) + "\n"


def check_listed(result: Comparison, listed: Mapping[Kind, str]) -> tuple[list[Kind], list[Kind]]:
    """(kinds seen but not listed: failures, kinds listed but not seen: notes)."""
    unlisted = sorted(k for k in result.kinds if k not in listed)
    unseen = sorted(k for k in listed if k not in result.kinds)
    return unlisted, unseen


def load_listed(path: Path) -> dict[Kind, str]:
    """The differences file: a list of {operation, real, fake, aspect, why} entries."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    listed: dict[Kind, str] = {}
    for entry in data.get("differences") or []:
        why = str(entry.get("why") or "").strip()
        assert why, f"no reason given for {entry}"
        kind = (str(entry["operation"]), int(entry["real"]), int(entry["fake"]), str(entry["aspect"]))
        assert kind not in listed, f"listed twice: {kind}"
        listed[kind] = why
    return listed
