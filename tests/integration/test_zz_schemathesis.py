"""Runs last (file order): a bounded schemathesis run of the effective v1 spec
(generated/airflow_rest_v1/openapi.json) against the real server, with the checks that say whether
the spec describes what the server answers (response_schema_conformance, status_code_conformance,
content_type_conformance) and not_a_server_error: input the spec allows must not crash the server.
A failure is fixed by a correction in spec/v1/corrections.yaml; what no spec can express is listed,
with its reason, in schemathesis_exclusions.yaml, as are the operations that are not called or are
pointed at objects the suite owns. The run itself is tests/support/schemathesis_gate.py.

Around the run the suite creates the objects it points writes at (a user, a role and a pool named
``airflow_rest_schemathesis``) and afterwards deletes whatever the run created: users, roles, pools,
variables, connections and runs of airflow_rest_target that were not there before, and it sets
airflow_rest_consumer's pause flag back.

Outputs:

``.cache/schemathesis-v1.txt``
    the figures: requests, operations, seconds, failing checks by (operation, check, status).
``.cache/schemathesis-v1-exchanges.jsonl``
    every exchange of the run, in the order it was made, one JSON object a line:

    ``operation``              the operationId
    ``method``                 GET, POST, PATCH, PUT or DELETE
    ``path``                   the path as sent (percent-encoded), relative to /api/v1
    ``query``                  the query string as sent, without the ``?`` ("" when none)
    ``content_type``           the request's Content-Type header, or null
    ``accept``                 the request's Accept header, or null
    ``body``                   the request body as text (UTF-8, undecodable bytes replaced), or null
    ``status``                 the answer's HTTP status (null when no answer came)
    ``response_content_type``  the answer's Content-Type header, or null
    ``response_body``          the first 4 KB of the answer's body as text

    Credentials are not recorded: every request carried basic auth as admin.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

import airflow_rest_v1
from airflow_rest_v1 import _meta

from ..support import schemathesis_gate
from .conftest import API_URL, PASSWORD, ROOT_URL, USER

EXCLUSIONS = Path(__file__).with_name("schemathesis_exclusions.yaml")
CACHE = Path(__file__).resolve().parents[2] / ".cache"
REPORT = CACHE / "schemathesis-v1.txt"
EXCHANGES = CACHE / "schemathesis-v1-exchanges.jsonl"
PINNED_VERSION = _meta.AIRFLOW_VERSION
SEED = 20261201
# per operation, in the fuzzing phase (the coverage phase adds its own cases); a deeper run than the
# gate's few minutes: SCHEMATHESIS_MAX_EXAMPLES=25 make test-integration
MAX_EXAMPLES = schemathesis_gate.max_examples(default=3)
CHECKS = (
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "not_a_server_error",
)
OWNED = "airflow_rest_schemathesis"  # the user, role and pool the pinned writes go to
TARGET_DAG = "airflow_rest_target"  # paused, unscheduled: its runs stay queued
CONSUMER_DAG = "airflow_rest_consumer"
# collection -> (list key, name field) of the objects the run may create
CREATED = {
    "users": ("users", "username"),
    "roles": ("roles", "name"),
    "pools": ("pools", "name"),
    "variables": ("variables", "key"),
    "connections": ("connections", "connection_id"),
}


def gate() -> schemathesis_gate.Gate:
    credentials = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return schemathesis_gate.Gate(
        package=airflow_rest_v1,
        base_url=API_URL,  # v1's paths are relative to /api/v1
        headers={"Authorization": f"Basic {credentials}"},
        exclusions=EXCLUSIONS,
        report=REPORT,
        server=f"Airflow {PINNED_VERSION} at {ROOT_URL}",
        seed=SEED,
        max_examples=MAX_EXAMPLES,
        checks=CHECKS,
        exchanges=EXCHANGES,
        api_prefix="/api/v1",
        # methods a path does not declare answer 405 whatever the spec says; leaving them out
        # keeps the run to a few minutes (basic auth checks the password hash on every request:
        # about 0.1 s each). One operation at a time: with two worker threads, CPython 3.11's ast
        # module can fail ("AST constructor recursion depth mismatch", a bug of its recursion tracking)
        # while schemathesis generates a case, which ends the run with an error
        unexpected_methods=False,
        workers=1,
        continue_on_failure=True,
    )


def names(http: httpx.Client, collection: str) -> set[str]:
    key, name = CREATED[collection]
    found: set[str] = set()
    while True:
        page = http.get(f"/{collection}", params={"limit": 100, "offset": len(found)})
        assert page.status_code == 200, page.text[:300]
        items = page.json()[key]
        found |= {item[name] for item in items}
        if len(items) < 100:
            return found


def target_runs(http: httpx.Client) -> set[str]:
    found: set[str] = set()
    while True:
        page = http.get(
            f"/dags/{TARGET_DAG}/dagRuns",
            params={"limit": 100, "offset": len(found), "order_by": "execution_date"},
        )
        assert page.status_code == 200, page.text[:300]
        runs = page.json()["dag_runs"]
        found |= {run["dag_run_id"] for run in runs}
        if len(runs) < 100:
            return found


@contextmanager
def owned_objects() -> Iterator[list[str]]:
    """Creates what the pinned writes go to; afterwards deletes what the run created and lists, in
    the list it yields, what could not be deleted."""
    leftovers: list[str] = []
    with httpx.Client(base_url=API_URL, auth=(USER, PASSWORD), timeout=60.0) as http:
        paused = http.get(f"/dags/{CONSUMER_DAG}").json()["is_paused"]
        before = {collection: names(http, collection) for collection in CREATED}
        runs = target_runs(http)
        try:
            for path, body in (
                ("/roles", {"name": OWNED, "actions": []}),
                (
                    "/users",
                    {
                        "username": OWNED,
                        "email": f"{OWNED}@example.com",
                        "first_name": "schemathesis",
                        "last_name": "gate",
                        "password": "not-a-secret",
                        "roles": [{"name": "Viewer"}],
                    },
                ),
                ("/pools", {"name": OWNED, "slots": 1}),
            ):
                answer = http.post(path, json=body)
                assert answer.status_code == 200, f"POST {path}: {answer.status_code} {answer.text[:300]}"
            yield leftovers
        finally:
            http.patch(
                f"/dags/{CONSUMER_DAG}", params={"update_mask": "is_paused"}, json={"is_paused": paused}
            )
            for run_id in sorted(target_runs(http) - runs):
                http.delete(f"/dags/{TARGET_DAG}/dagRuns/{quote(run_id, safe='')}")
            leftovers += [f"run {TARGET_DAG}/{run_id}" for run_id in target_runs(http) - runs]
            for collection in CREATED:
                for name in sorted(names(http, collection) - before[collection]):
                    if collection in UNNAMED and name == "":
                        delete_unnamed(collection)
                    else:
                        http.delete(f"/{collection}/{quote(name, safe='')}")
                leftovers += [
                    f"{collection} {name!r}" for name in names(http, collection) - before[collection]
                ]
            if leftovers and REPORT.exists():
                with REPORT.open("a", encoding="utf-8") as report:
                    report.write("".join(f"  left on the server: {item}\n" for item in leftovers))


# collection -> (the web UI's model view, the id of its name field): POST takes an empty name there
UNNAMED = {"pools": ("pool", "pool"), "variables": ("variable", "key")}


def delete_unnamed(collection: str) -> None:
    """POST /pools and POST /variables take an empty name, and no path of the API reaches the
    object then (/api/v1/pools/ is 404): it is deleted through the web UI's list, as a person
    would."""
    view, name_field = UNNAMED[collection]
    with httpx.Client(base_url=ROOT_URL, timeout=60.0) as web:
        login = web.get("/login/").text
        web.post("/login/", data={"csrf_token": csrf_token(login), "username": USER, "password": PASSWORD})
        listing = web.get(f"/{view}/list/").text
        rows = sorted(set(re.findall(rf"/{view}/delete/(\d+)", listing)), key=int)
        empty = re.compile(rf'<input[^>]*id="{name_field}"[^>]*value=""')
        for row in rows:  # the list links every object: the one whose edit form has an empty name
            if empty.search(web.get(f"/{view}/edit/{row}").text):
                web.post(f"/{view}/delete/{row}", data={"csrf_token": csrf_token(listing)})
                return


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def server_version() -> str:
    answer = httpx.get(f"{API_URL}/version", timeout=10.0)
    assert answer.status_code == 200, answer.text[:300]
    return str(answer.json()["version"])


def test_effective_spec_describes_what_the_server_answers() -> None:
    version = server_version()
    if version != PINNED_VERSION:
        pytest.skip(
            f"the effective spec is {PINNED_VERSION}'s and this server is Airflow {version}: "
            "schemathesis gates the pinned release only"
        )
    with owned_objects() as leftovers:
        schemathesis_gate.check(gate())
    assert leftovers == [], f"the run left objects it created on the server: {leftovers}"
