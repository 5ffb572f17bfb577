"""One scripted scenario, replayed against the real Airflow and against the fake, and a comparison
of what came back: status codes, and response shapes (keys and value types).

A shape maps each key path to the set of JSON types seen there (``"dags[].tags[].name": {"str"}``);
list items are merged, so collections of different lengths compare, and each branch of a
discriminated union (``__type``) is its own path, compared only when both sides sent it. ``null``
is compatible with any type (both servers may have a value or none for a nullable field). Keys
must match exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import differential_adm, differential_dse, differential_sec

DAG = "example_bash_operator"


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str  # relative to /api/v1, with {suffix} filled per run
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    expect: int = 200  # what the real server answers (checked too: the scenario is about them)


def scenario(suffix: str) -> list[Step]:
    """44 requests: reads, CRUD of variables, pools and connections, pause with update_mask, a run
    triggered and listed, paging, and the error cases 400, 404 and 409."""
    var, pool, conn, run = (
        f"diff_var_{suffix}",
        f"diff_pool_{suffix}",
        f"diff_conn_{suffix}",
        f"diff_run_{suffix}",
    )
    runs = f"/dags/{DAG}/dagRuns"
    return [
        Step("health", "GET", "/health"),
        Step("version", "GET", "/version"),
        Step("dags page 1", "GET", "/dags", {"limit": 2}),
        Step("dags page 2", "GET", "/dags", {"limit": 2, "offset": 2}),
        Step("dags ordered", "GET", "/dags", {"limit": 3, "order_by": "-dag_id"}),
        Step("dag", "GET", f"/dags/{DAG}"),
        Step("dag missing", "GET", "/dags/no_such_dag_here", expect=404),
        # the example DAGs start paused: unpause, then pause again so the scheduler leaves it alone
        Step("unpause", "PATCH", f"/dags/{DAG}", {"update_mask": "is_paused"}, {"is_paused": False}),
        Step("pause", "PATCH", f"/dags/{DAG}", {"update_mask": "is_paused"}, {"is_paused": True}),
        Step("dag tasks", "GET", f"/dags/{DAG}/tasks"),
        Step("trigger", "POST", runs, json={"dag_run_id": run, "conf": {"source": "differential"}}),
        Step("trigger again", "POST", runs, json={"dag_run_id": run}, expect=409),
        Step("runs", "GET", runs, {"limit": 5}),
        Step("run", "GET", f"{runs}/{run}"),
        Step("run task instances", "GET", f"{runs}/{run}/taskInstances"),
        Step("all task instances page", "GET", "/dags/~/dagRuns/~/taskInstances", {"limit": 3}),
        Step("fail run", "PATCH", f"{runs}/{run}", json={"state": "failed"}),
        Step("delete run", "DELETE", f"{runs}/{run}", expect=204),
        Step("run gone", "GET", f"{runs}/{run}", expect=404),
        Step("create variable", "POST", "/variables", json={"key": var, "value": "1", "description": "d"}),
        Step("variable", "GET", f"/variables/{var}"),
        Step(
            "variable description",
            "PATCH",
            f"/variables/{var}",
            {"update_mask": "description"},
            {"key": var, "value": "1", "description": "e"},
        ),
        Step("replace variable", "PATCH", f"/variables/{var}", json={"key": var, "value": "2"}),
        Step("variables", "GET", "/variables", {"limit": 100}),
        Step("delete variable", "DELETE", f"/variables/{var}", expect=204),
        Step("variable gone", "GET", f"/variables/{var}", expect=404),
        Step("create pool", "POST", "/pools", json={"name": pool, "slots": 2}),
        Step("create pool again", "POST", "/pools", json={"name": pool, "slots": 2}, expect=409),
        Step("pool slots", "PATCH", f"/pools/{pool}", {"update_mask": "slots"}, {"slots": 5}),
        Step("pool bad type", "PATCH", f"/pools/{pool}", json={"name": pool, "slots": "x"}, expect=400),
        Step("pool", "GET", f"/pools/{pool}"),
        Step("pools", "GET", "/pools"),
        Step("delete pool", "DELETE", f"/pools/{pool}", expect=204),
        Step("delete default pool", "DELETE", "/pools/default_pool", expect=400),
        Step(
            "create connection",
            "POST",
            "/connections",
            json={"connection_id": conn, "conn_type": "http", "host": "h", "port": 80},
        ),
        Step(
            "create connection again",
            "POST",
            "/connections",
            json={"connection_id": conn, "conn_type": "http"},
            expect=409,
        ),
        Step("connection", "GET", f"/connections/{conn}"),
        Step(
            "connection host",
            "PATCH",
            f"/connections/{conn}",
            {"update_mask": "host"},
            {"connection_id": conn, "conn_type": "http", "host": "h2"},
        ),
        Step("connections", "GET", "/connections", {"limit": 10}),
        Step("delete connection", "DELETE", f"/connections/{conn}", expect=204),
        Step("connection gone", "GET", f"/connections/{conn}", expect=404),
        Step("bad limit", "GET", "/dags", {"limit": "abc"}, expect=400),
        Step("bad order_by", "GET", "/dags", {"order_by": "no_such_field"}, expect=400),
        Step("pool without slots", "POST", "/pools", json={"name": f"{pool}_x"}, expect=400),
        *differential_sec.steps(suffix),
        *differential_dse.steps(suffix),
        *differential_adm.steps(suffix),
    ]


@dataclass
class Outcome:
    step: Step
    status: int
    body: Any  # parsed JSON, or None


def replay(
    steps: list[Step], send: Callable[[str, str, dict[str, Any], Any], httpx.Response]
) -> list[Outcome]:
    outcomes = []
    seen: dict[str, str] = {}  # top-level string fields of earlier answers, for `{name}` in paths
    for step in steps:
        path = re.sub(r"\{(\w+)\}", lambda m: seen.get(m[1], m[0]), step.path)
        response = send(step.method, path, step.params, step.json)
        body = (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else None
        )
        if isinstance(body, dict):
            seen.update((k, v) for k, v in body.items() if isinstance(v, str))
        outcomes.append(Outcome(step, response.status_code, body))
    return outcomes


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "object"


def shape(value: Any, path: str = "") -> dict[str, set[str]]:
    """Key path -> the JSON types seen there."""
    found: dict[str, set[str]] = {path or "$": {_kind(value)}}

    def merge(more: dict[str, set[str]]) -> None:
        for key, kinds in more.items():
            found.setdefault(key, set()).update(kinds)

    if isinstance(value, dict):
        kind = value.get("__type")
        if isinstance(kind, str):  # one branch of a discriminated union: compared with its own kind
            path = f"{path}<{kind}>"
            found[path] = {"object"}
        for key, item in value.items():
            merge(shape(item, f"{path}.{key}" if path else key))
    elif isinstance(value, list):
        for item in value:
            merge(shape(item, f"{path}[]"))
    return found


def _free_form(path: str, free: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith((f + ".", f + "[]")) for f in free)


def differences(real: Any, fake: Any, *, free: tuple[str, ...] = ()) -> Iterator[str]:
    """How the fake's body differs in shape from the real one. ``free`` names free-form objects
    (conf, extra, rendered fields) whose keys are data, not fields."""
    ours, theirs = shape(fake), shape(real)
    for key in sorted(set(ours) | set(theirs)):
        if _free_form(key, free) and key not in free:
            continue
        if key not in theirs:
            if not _list_only_on_one_side(key, theirs):
                yield f"{key}: only in the fake"
            continue
        if key not in ours:
            if not _list_only_on_one_side(key, ours):
                yield f"{key}: only in the real server"
            continue
        a, b = ours[key] - {"null"}, theirs[key] - {"null"}
        if a and b and a != b:
            yield f"{key}: fake {sorted(ours[key])}, real {sorted(theirs[key])}"


def _list_only_on_one_side(key: str, other: dict[str, set[str]]) -> bool:
    """A key under a list (or a null object) that is empty on the other side cannot be compared."""
    parent = key
    while "<" in parent:  # a union branch the other side never sent cannot be compared
        branch = parent[: parent.rindex(">") + 1]
        if branch not in other:
            return True
        parent = branch[: branch.rindex("<")]
    parent = key
    while True:
        cut = max(parent.rfind("."), parent.rfind("[]"))
        if cut <= 0:
            return False
        parent = parent[:cut]
        if parent in other:
            # nothing below it there: an empty list, or null where the other side has an object
            return not any(k.startswith((parent + ".", parent + "[]")) for k in other)
