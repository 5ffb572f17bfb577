"""The oracle against reality: one scripted scenario replayed against the real Airflow and against
the fake (over HTTP, as `python -m airflow_rest.testing serve` serves it), comparing status codes,
Problem JSON titles and response shapes (keys and value types)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from airflow_rest.testing._serve import make_server, serve_in_thread

from . import differential as d
from . import differential_adm
from .conftest import API_URL, PASSWORD, USER

pytestmark = pytest.mark.integration

# Objects whose keys are data, not fields: a run's conf, a connection's extra, rendered templates.
FREE_FORM = ("conf", "dag_runs[].conf", "rendered_fields", "task_instances[].rendered_fields", "extra")

# Differences that remain, each with its reason: (step name, key path) -> why.
ACCEPTED: dict[tuple[str, str], str] = {}


def _sender(client: httpx.Client) -> Any:
    def send(method: str, path: str, params: dict[str, Any], body: Any) -> httpx.Response:
        return client.request(method, path.lstrip("/"), params=params or None, json=body)

    return send


@pytest.fixture(scope="module")
def outcomes(client: Any) -> tuple[list[d.Outcome], list[d.Outcome], Any]:
    """The scenario against the real server (the ``client`` fixture makes sure it is up), then
    against a fresh fake served over HTTP on 127.0.0.1."""
    steps = d.scenario(uuid.uuid4().hex[:8])
    headers = {"Accept": "application/json"}
    with httpx.Client(
        base_url=API_URL + "/", auth=(USER, PASSWORD), headers=headers, timeout=60
    ) as real_http:
        real = d.replay(steps, _sender(real_http))
    server = make_server("127.0.0.1", 0, auth=(USER, PASSWORD))
    for section, option, value in differential_adm.FAKE_CONFIG:  # configured as the local server
        server.oracle.fake.set_config(section, option, value)
    serve_in_thread(server)
    try:
        with httpx.Client(
            base_url=server.oracle.api_url + "/", auth=(USER, PASSWORD), headers=headers, timeout=10
        ) as fake_http:
            fake = d.replay(steps, _sender(fake_http))
        oracle = server.oracle
    finally:
        server.shutdown()
        server.server_close()
    return real, fake, oracle


def test_the_scenario_is_long_enough_and_the_real_server_answers_as_scripted(
    outcomes: tuple[list[d.Outcome], list[d.Outcome], Any],
) -> None:
    real, _fake, _oracle = outcomes
    assert len(real) >= 30
    assert {o.status for o in real} >= {200, 204, 400, 404, 409}
    unexpected = [
        f"{o.step.name}: {o.status} (scripted {o.step.expect}) {o.body}"
        for o in real
        if o.status != o.step.expect
    ]
    assert not unexpected, "\n".join(unexpected)


def test_the_fake_answers_with_the_real_statuses_titles_and_shapes(
    outcomes: tuple[list[d.Outcome], list[d.Outcome], Any],
) -> None:
    real, fake, _oracle = outcomes
    problems: list[str] = []
    for theirs, ours in zip(real, fake, strict=True):
        name = theirs.step.name
        if ours.status != theirs.status:
            problems.append(f"{name}: fake {ours.status}, real {theirs.status} ({ours.body} / {theirs.body})")
            continue
        if (
            theirs.status >= 400
            and isinstance(theirs.body, dict)
            and isinstance(ours.body, dict)
            and ours.body.get("title") != theirs.body.get("title")
        ):
            problems.append(f"{name}: title {ours.body.get('title')!r}, real {theirs.body.get('title')!r}")
        for difference in d.differences(theirs.body, ours.body, free=FREE_FORM):
            key = difference.split(":", 1)[0]
            if (name, key) not in ACCEPTED:
                problems.append(f"{name}: {difference}")
    assert not problems, "\n".join(problems)


def test_the_oracle_flags_exactly_the_requests_the_real_server_refuses(
    outcomes: tuple[list[d.Outcome], list[d.Outcome], Any],
) -> None:
    real, _fake, oracle = outcomes
    refused = {o.step.name for o in real if o.status == 400}
    flagged = {e.path for e in oracle.exchanges if e.violations}
    assert len(flagged) == len(refused), (sorted(flagged), sorted(refused))
    assert all(v.side == "request" for v in oracle.violations), oracle.violations


def test_the_shape_comparison_finds_missing_keys_and_type_changes() -> None:
    real = {"dags": [{"dag_id": "a", "tags": [{"name": "t"}], "owners": ["x"]}], "total_entries": 1}
    fake = {"dags": [{"dag_id": 1, "tags": [], "extra_key": None}], "total_entries": 1}
    assert sorted(d.differences(real, fake)) == [
        "dags[].dag_id: fake ['number'], real ['str']",
        "dags[].extra_key: only in the fake",
        "dags[].owners: only in the real server",
        "dags[].owners[]: only in the real server",
    ]


def test_the_shape_comparison_leaves_nulls_empty_lists_and_other_union_branches_alone() -> None:
    real = {"a": None, "b": [], "s": {"__type": "CronExpression", "value": "@daily"}, "conf": {"k": 1}}
    fake = {"a": {"x": 1}, "b": [{"y": 2}], "s": {"__type": "TimeDelta", "days": 1}, "conf": {"j": "v"}}
    assert list(d.differences(real, fake, free=("conf",))) == []
