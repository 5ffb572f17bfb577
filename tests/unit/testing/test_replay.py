"""The replay of recorded exchanges against the fake (tests/support/replay.py), without a server:
reading a recording, rolling a snapshot back to before the recording, seeding, replaying with the
generated values mapped, and the comparison that the integration replay reports and gates on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ...support import replay as r


def recorded(
    index: int,
    method: str,
    path: str,
    status: int,
    answer: Any = None,
    *,
    query: str = "",
    body: Any = None,
    operation: str = "op",
    content_type: str | None = None,
) -> r.Recorded:
    text = answer if isinstance(answer, str) else json.dumps(answer) if answer is not None else ""
    if content_type is None:
        content_type = (
            None if not text else "application/problem+json" if status >= 400 else "application/json"
        )
    return r.Recorded(
        index=index,
        operation=operation,
        method=method,
        path=path,
        query=query,
        content_type="application/json" if body is not None else None,
        accept="application/json",
        body=json.dumps(body) if body is not None else None,
        status=status,
        response_content_type=content_type,
        response_body=text,
    )


def problem(status: int, title: str) -> dict[str, Any]:
    return {"detail": None, "status": status, "title": title, "type": "about:blank"}


# --- reading a recording -----------------------------------------------------------------------


def test_a_recording_line_is_read_as_the_schemathesis_module_writes_it(tmp_path: Path) -> None:
    line = {
        "operation": "get_dags",
        "method": "get",
        "path": "/dags",
        "query": "limit=2&order_by=",
        "content_type": None,
        "accept": "*/*",
        "body": None,
        "status": 400,
        "response_content_type": "application/problem+json",
        "response_body": '{"title": "Bad Request"}',
    }
    nested = {
        "operation": "get_pool",
        "request": {"method": "GET", "path": "/api/v1/pools/p%20q?x=1"},
        "response": {"status": 404, "content_type": "application/problem+json", "body": "{}"},
    }
    path = tmp_path / "exchanges.jsonl"
    path.write_text(json.dumps(line) + "\n\n" + json.dumps(nested) + "\n", encoding="utf-8")
    first, second = r.load_exchanges(path)
    assert (first.method, first.target, first.status, first.accept) == (
        "GET",
        "/dags?limit=2&order_by=",
        400,
        "*/*",
    )
    assert first.response_json() == {"title": "Bad Request"}
    assert (second.index, second.path, second.query, second.status) == (1, "/pools/p%20q", "x=1", 404)


# --- the comparison ----------------------------------------------------------------------------


def test_statuses_titles_and_media_types_are_compared_and_grouped_into_kinds() -> None:
    bad = problem(400, "Bad Request")
    exchanges = [
        recorded(0, "GET", "/dags", 200, {"dags": []}, operation="get_dags"),
        recorded(1, "GET", "/dags", 400, bad, query="order_by=", operation="get_dags"),
        recorded(2, "GET", "/dags", 400, bad, query="order_by=x", operation="get_dags"),
        recorded(
            3, "POST", "/variables", 400, problem(400, "Invalid Variable schema"), operation="post_variables"
        ),
        recorded(
            4, "DELETE", "/pools/p", 204, "", operation="delete_pool", content_type="text/html; charset=utf-8"
        ),
        recorded(
            5, "DELETE", "/pools/q", 204, "", operation="delete_pool", content_type="text/html; charset=UTF-8"
        ),
        recorded(6, "GET", "/dags/x", 500, "<html>", operation="get_dag", content_type="text/html"),
        recorded(7, "GET", "/datasets", 200, {"datasets": []}, operation="get_datasets"),
        recorded(8, "HEAD", "/dags", 200, "", operation="get_dags", content_type="application/json"),
    ]
    answers = [
        r.Answer(200, "application/json", "{}"),
        r.Answer(200, "application/json", "{}"),  # a status difference
        r.Answer(400, "application/problem+json", json.dumps(bad)),
        r.Answer(400, "application/problem+json", json.dumps(problem(400, "Bad Request"))),  # title
        r.Answer(204, None, ""),  # media type
        r.Answer(204, "text/html; charset=utf-8", ""),  # the same, case and spaces aside
        r.Answer(400, "application/problem+json", "{}"),  # a crash: not comparable
        r.Answer(0, None, ""),  # not modelled: not comparable
        r.Answer(200, None, ""),  # HEAD: headers are not compared
    ]
    result = r.compare(exchanges, answers)
    assert (result.total, result.comparable, result.agreeing, result.same_status) == (9, 7, 4, 6)
    assert result.agreement == pytest.approx(4 / 7)
    assert dict(result.kinds) == {
        ("get_dags", 400, 200, "status"): 1,
        ("post_variables", 400, 400, "title"): 1,
        ("delete_pool", 204, 204, "content type"): 1,
    }
    assert result.examples[("get_dags", 400, 200, "status")][0].index == 1
    assert sum(result.excluded.values()) == 2


def test_an_unlisted_kind_is_a_failure_and_a_listed_kind_not_seen_a_note(tmp_path: Path) -> None:
    result = r.compare(
        [recorded(0, "GET", "/dags", 400, problem(400, "Bad Request"), operation="get_dags")],
        [r.Answer(200, "application/json", "{}")],
    )
    listed = {
        ("get_dags", 400, 200, "status"): "why",
        ("get_pools", 400, 200, "status"): "fixed since",
    }
    assert r.check_listed(result, listed) == ([], [("get_pools", 400, 200, "status")])
    assert r.check_listed(result, {}) == ([("get_dags", 400, 200, "status")], [])
    text = r.render(result, listed)
    assert "listed       1x get_dags real 400 fake 200 status" in text
    assert "NOTE     listed, not seen in this recording: get_pools real 400 fake 200 status" in text
    assert "UNLISTED" not in text
    assert "UNLISTED     1x get_dags real 400 fake 200 status" in r.render(result, {})

    good = tmp_path / "good.yaml"
    good.write_text(
        "differences:\n  - {operation: get_dags, real: 400, fake: 200, aspect: status, why: because}\n",
        encoding="utf-8",
    )
    assert r.load_listed(good) == {("get_dags", 400, 200, "status"): "because"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "differences:\n  - {operation: get_dags, real: 400, fake: 200, aspect: status, why: ''}\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="no reason"):
        r.load_listed(bad)


# --- the state before the recording ------------------------------------------------------------


def test_the_snapshot_is_rolled_back_to_what_the_recording_first_saw() -> None:
    after = r.Snapshot(
        variables=[{"key": "made", "value": "1"}, {"key": "old", "value": "2"}],
        pools=[{"name": "default_pool", "slots": 128}],
        users=[{"username": "admin"}],
        runs=[{"dag_id": "d", "dag_run_id": "new"}, {"dag_id": "d", "dag_run_id": "kept"}],
        task_instances=[{"dag_id": "d", "dag_run_id": "new"}, {"dag_id": "d", "dag_run_id": "kept"}],
    )
    exchanges = [
        recorded(0, "GET", "/variables/made", 404, problem(404, "Variable not found")),
        recorded(1, "POST", "/variables", 200, {"key": "made"}, body={"key": "made", "value": "1"}),
        recorded(2, "GET", "/pools/gone", 200, {"name": "gone", "slots": 3, "description": None}),
        recorded(3, "DELETE", "/pools/gone", 204, ""),
        recorded(4, "OPTIONS", "/pools/other", 200, ""),  # says nothing of the pool
        recorded(5, "DELETE", "/users/owned", 204, ""),
        recorded(6, "POST", "/dags/d/dagRuns", 200, {"dag_run_id": "new"}, body={"dag_run_id": "new"}),
        recorded(7, "POST", "/pools", 409, problem(409, "Conflict"), body={"name": "default_pool"}),
    ]
    before = r.as_before(after, exchanges)
    assert [v["key"] for v in before.variables] == ["old"]
    assert before.pools == [
        {"name": "default_pool", "slots": 128},
        {"name": "gone", "slots": 3, "description": None},
    ]
    assert before.users == [{"username": "admin"}, {"username": "owned"}]
    assert before.runs == [{"dag_id": "d", "dag_run_id": "kept"}]
    assert before.task_instances == [{"dag_id": "d", "dag_run_id": "kept"}]


# --- seeding and replaying ---------------------------------------------------------------------


def snapshot() -> r.Snapshot:
    return r.Snapshot(
        dags=[
            {
                "dag_id": "etl",
                "is_paused": True,
                "is_active": True,
                "tags": [{"name": "t"}],
                "schedule_interval": {"__type": "CronExpression", "value": "0 0 * * *"},
                "owners": ["airflow"],
                "file_token": "real-token",
                "fileloc": "/dags/etl.py",
            }
        ],
        tasks={
            "etl": [
                {
                    "task_id": "extract",
                    "downstream_task_ids": ["load"],
                    "class_ref": {"class_name": "BashOperator"},
                },
                {"task_id": "load", "downstream_task_ids": [], "is_mapped": True},
            ]
        },
        runs=[
            {
                "dag_id": "etl",
                "dag_run_id": "r1",
                "logical_date": "2026-01-01T00:00:00+00:00",
                "state": "success",
                "conf": {},
            }
        ],
        task_instances=[
            {"dag_id": "etl", "dag_run_id": "r1", "task_id": "extract", "map_index": -1, "state": "success"},
            {"dag_id": "etl", "dag_run_id": "r1", "task_id": "load", "map_index": 0, "state": "success"},
            {"dag_id": "etl", "dag_run_id": "r1", "task_id": "load", "map_index": 1, "state": "success"},
        ],
        variables=[{"key": "v", "value": "1", "description": None}],
        pools=[
            {"name": "default_pool", "slots": 128, "description": "Default pool"},
            {"name": "p", "slots": 2},
        ],
        roles=[
            {"name": "Reader", "actions": [{"action": {"name": "can_read"}, "resource": {"name": "DAGs"}}]}
        ],
        users=[{"username": "ann", "email": "ann@example.com", "roles": [{"name": "Reader"}]}],
    )


def test_the_fake_is_seeded_with_the_snapshot_and_nothing_else() -> None:
    seeded = r.fresh_oracle(snapshot())
    fake = seeded.oracle.fake
    assert seeded.skipped == []
    assert list(fake.dags) == ["etl"] and fake.dags["etl"].is_paused
    assert fake.dag_runs[("etl", "r1")]["state"] == "success"
    assert fake.task_instances[("etl", "r1", "load", 1)]["state"] == "success"
    assert set(fake.pools) == {"default_pool", "p"} and fake.variables["v"]["value"] == "1"
    assert "ann" in fake.users and "Reader" in fake.roles
    assert set(seeded.renamed) == {"real-token"}


def test_the_replay_maps_generated_run_ids_and_file_tokens_to_the_fakes() -> None:
    seeded = r.fresh_oracle(snapshot())
    real_id = "manual__2026-12-01T17:05:24.533816+00:00"
    quoted = "manual__2026-12-01T17%3A05%3A24.533816%2B00%3A00"
    exchanges = [
        recorded(
            0, "POST", "/dags/etl/dagRuns", 200, {"dag_run_id": real_id}, body={}, operation="post_dag_run"
        ),
        recorded(
            1, "GET", f"/dags/etl/dagRuns/{quoted}", 200, {"dag_run_id": real_id}, operation="get_dag_run"
        ),
        recorded(2, "GET", "/dagSources/real-token", 200, "source", operation="get_dag_source"),
        recorded(3, "GET", "/dags/etl/dagRuns/r1", 200, {}, operation="get_dag_run"),
        recorded(4, "GET", "/dags/etl/dagRuns/nope", 200, {}, operation="get_dag_run"),
    ]
    answers = r.replay(exchanges, seeded.oracle, seeded.renamed)
    assert [a.status for a in answers] == [200, 200, 200, 200, 404]
    assert json.loads(answers[1].body)["dag_run_id"].startswith("manual__")
    result = r.compare(exchanges, answers)
    assert dict(result.kinds) == {("get_dag_run", 200, 404, "status"): 1}


def test_the_fakes_generated_run_ids_are_named_back_as_the_servers_in_its_answers() -> None:
    seeded = r.fresh_oracle(snapshot())
    real_id = "manual__2026-12-01T17:50:46.057943+00:00"
    quoted = "manual__2026-12-01T17%3A50%3A46.057943%2B00%3A00"
    trigger = {"dag_run_id": real_id, "logical_date": real_id.removeprefix("manual__")}

    def missing(dag_id: str, task_id: str) -> dict[str, Any]:
        title = f"Task Instance not found for dag_id={dag_id}, run_id={real_id}, task_id={task_id}"
        return problem(404, title)

    exchanges = [
        recorded(0, "POST", "/dags/etl/dagRuns", 200, trigger, body={}, operation="post_dag_run"),
        recorded(
            1,
            "GET",
            f"/dags/etl/dagRuns/{quoted}/taskInstances/nope/dependencies",
            404,
            missing("etl", "nope"),
            operation="get_task_instance_dependencies",
        ),
        recorded(
            2,
            "GET",
            f"/dags/0/dagRuns/{quoted}/taskInstances/0/0/dependencies",
            404,
            missing("0", "0"),
            operation="get_mapped_task_instance_dependencies",
        ),
        recorded(
            3,
            "PATCH",
            f"/dags/etl/dagRuns/{quoted}/taskInstances/0/setNote",
            404,
            missing("etl", "0"),
            body={"note": ""},
            operation="set_task_instance_note",
        ),
    ]
    answers = r.replay(exchanges, seeded.oracle, seeded.renamed)
    assert [a.status for a in answers] == [200, 404, 404, 404]
    fake_ids = [run_id for _dag, run_id in seeded.oracle.fake.dag_runs if run_id != "r1"]
    assert len(fake_ids) == 1 and fake_ids[0] != real_id  # the fake made up its own id
    assert json.loads(answers[0].body)["dag_run_id"] == real_id
    assert all(fake_ids[0] not in a.body for a in answers)
    result = r.compare(exchanges, answers)
    assert dict(result.kinds) == {} and result.agreeing == 4


def test_input_a_correction_forbids_is_counted_apart_when_the_fake_refuses_it() -> None:
    seeded = r.fresh_oracle(snapshot())
    bad_request = problem(400, "Invalid Variable schema")
    exchanges = [
        # the server's own spec lets these through; the corrected spec forbids them
        recorded(0, "GET", "/dags", 500, "<html>", query="offset=9223372036854775808", operation="get_dags"),
        recorded(
            1, "GET", "/plugins", 200, {"plugins": [], "total_entries": 0}, query="offset=9223372036854775808"
        ),
        recorded(2, "POST", "/variables", 400, bad_request, body={"value": ""}, operation="post_variables"),
        # both specs refuse this one: it is compared as usual
        recorded(3, "GET", "/dags", 400, problem(400, "Bad Request"), query="limit=x", operation="get_dags"),
        # and a refusal of the fake's own (not the spec's) is compared too
        recorded(4, "GET", "/pools", 200, {}, query="order_by=", operation="get_pools"),
    ]
    answers = r.replay(exchanges, seeded.oracle, seeded.renamed)
    assert [a.status for a in answers] == [400, 400, 400, 400, 400]
    assert [a.narrowed for a in answers] == [True, True, True, False, False]
    result = r.compare(exchanges, answers)
    assert result.excluded == {
        "the real server crashed (5xx) or did not answer": 1,
        r.NARROWED: 2,
    }
    assert result.comparable == 2 and result.agreeing == 1
    assert dict(result.kinds) == {("get_pools", 200, 400, "status"): 1}


def test_what_a_request_says_of_an_object_is_read_with_care() -> None:
    after = r.Snapshot(
        dags=[{"dag_id": "consumer", "dataset_expression": {"all": ["s3://a", "s3://b"]}}],
        runs=[],
    )
    exchanges = [
        # a 409 about the email says nothing of the username
        recorded(
            0, "POST", "/users", 409, {"detail": "The email `0` is already taken."}, body={"username": "0"}
        ),
        recorded(1, "POST", "/users", 200, {"username": "0"}, body={"username": "0", "email": "x"}),
        # a 409 that names the pool: it was there
        recorded(2, "POST", "/pools", 409, {"detail": "Pool: p already exists"}, body={"name": "p"}),
        # a filtered delete of the queue says nothing; an unfiltered 204 says there was one
        recorded(3, "DELETE", "/dags/consumer/datasets/queuedEvent", 404, {}, query="before=2000-01-01"),
        recorded(4, "DELETE", "/dags/consumer/datasets/queuedEvent", 204, ""),
        # a run deleted by the recording, never shown: made up from its id
        recorded(5, "DELETE", "/dags/d/dagRuns/manual__2026-01-02T03%3A04%3A05%2B00%3A00", 204, ""),
        # a run shown in a list before it was deleted
        recorded(
            6,
            "GET",
            "/dags/d/dagRuns",
            200,
            {
                "dag_runs": [
                    {
                        "dag_id": "d",
                        "dag_run_id": "shown",
                        "state": "failed",
                        "logical_date": "2026-01-01T00:00:00+00:00",
                    }
                ],
                "total_entries": 1,
            },
        ),
        recorded(7, "DELETE", "/dags/d/dagRuns/shown", 204, ""),
    ]
    before = r.as_before(after, exchanges)
    assert before.users == [] and before.pools == [{"name": "p"}]
    assert before.queued_events == [{"dag_id": "consumer", "uri": "s3://a"}]
    assert {run["dag_run_id"]: (run["state"], run["logical_date"]) for run in before.runs} == {
        "manual__2026-01-02T03:04:05+00:00": ("queued", "2026-01-02T03:04:05+00:00"),
        "shown": ("failed", "2026-01-01T00:00:00+00:00"),
    }


def test_queued_dataset_events_and_event_logs_are_seeded() -> None:
    snap = snapshot()
    snap.dags.append(
        {
            "dag_id": "consumer",
            "is_paused": True,
            "dataset_expression": {"all": ["s3://bucket/a", "s3://bucket/b"]},
        }
    )
    snap.tasks["consumer"] = [{"task_id": "t"}]
    snap.datasets = [
        {"uri": "s3://bucket/a", "extra": {}, "producing_tasks": [{"dag_id": "etl", "task_id": "extract"}]},
        {"uri": "s3://bucket/b", "extra": {}, "producing_tasks": []},
    ]
    snap.queued_events = [{"dag_id": "consumer", "uri": "s3://bucket/a"}]
    snap.event_logs = [{"event_log_id": 1, "event": "cli_check"}, {"event_log_id": 2, "event": "api.x"}]
    seeded = r.fresh_oracle(snap)
    fake = seeded.oracle.fake
    assert seeded.skipped == []
    assert [(q["dag_id"], q["uri"]) for q in fake.queued_dataset_events] == [("consumer", "s3://bucket/a")]
    assert fake.dags["consumer"].is_paused
    assert fake.datasets["s3://bucket/a"]["producing_tasks"][0]["task_id"] == "extract"
    assert [e["event"] for e in fake.event_logs[:2]] == ["cli_check", "api.x"]
