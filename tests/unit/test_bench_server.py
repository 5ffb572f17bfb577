"""scripts/bench_server.py's Airflow 3 task-instance list, answered in-process (no network)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from airflow_rest_v2.models.task_instance_collection_response import TaskInstanceCollectionResponse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_server  # noqa: E402

LIST = "/api/v2/dags/~/dagRuns/~/taskInstances"
ITEMS = 700  # 35 runs: ten finished, then the newest run of each of the 25 DAGs under way


@pytest.fixture(scope="module")
def app() -> bench_server.App:
    return bench_server.App(ITEMS, 0)


def get(app: bench_server.App, query: str = "") -> tuple[int, Any]:
    status, content_type, body = app.route("GET", f"{LIST}?{query}" if query else LIST)
    assert content_type == b"application/json"
    return status, json.loads(body)


def test_every_item_matches_the_3_3_schema(app: bench_server.App) -> None:
    spec = json.loads((ROOT / "generated/airflow_rest_v2/openapi.json").read_text())
    schema = {"$ref": "#/components/schemas/TaskInstanceCollectionResponse", "components": spec["components"]}
    fields = set(spec["components"]["schemas"]["TaskInstanceResponse"]["properties"])
    validator = jsonschema.Draft202012Validator(schema)
    states = set()
    for offset in range(0, ITEMS, 100):
        status, page = get(app, f"limit=100&offset={offset}")
        assert status == 200
        assert list(validator.iter_errors(page)) == []
        for item in page["task_instances"]:
            assert set(item) == fields
            dates = (item["run_after"], item["start_date"], item["end_date"], item["scheduled_when"])
            assert all(d is None or d.endswith("Z") for d in dates)
            states.add(item["state"])
        parsed = TaskInstanceCollectionResponse.from_dict(page)
        assert all(not ti.additional_properties for ti in parsed.task_instances)
    assert {"success", "failed", "upstream_failed", "skipped", "running", "deferred", None} <= states


def test_limits_as_airflow_3(app: bench_server.App) -> None:
    assert len(get(app)[1]["task_instances"]) == 50
    assert len(get(app, "limit=1000")[1]["task_instances"]) == 100
    status, page = get(app, "limit=0")
    assert (status, page["task_instances"], page["total_entries"]) == (200, [], ITEMS)
    assert page["next_cursor"] is None and page["total_entries_limit"] is None
    status, problem = get(app, "limit=-1&offset=x")
    assert status == 422
    assert [(d["type"], d["loc"]) for d in problem["detail"]] == [
        ("greater_than_equal", ["query", "limit"]),
        ("int_parsing", ["query", "offset"]),
    ]
    assert app.route("POST", LIST)[0] == 405
    assert app.route("GET", "/api/v2/nowhere")[:1] == (404,)


def test_cursor_pages_cover_the_offset_pages_in_order(app: bench_server.App) -> None:
    offsets = range(0, ITEMS, 100)
    by_offset = [ti["id"] for o in offsets for ti in get(app, f"limit=100&offset={o}")[1]["task_instances"]]
    assert len(set(by_offset)) == ITEMS
    by_cursor: list[str] = []
    cursor, pages = "", []
    while cursor is not None:
        status, page = get(app, f"limit=1000&cursor={cursor}&offset=300")  # offset is ignored
        assert status == 200 and page["total_entries"] == ITEMS and page["total_entries_limit"] == 50_000
        by_cursor += [ti["id"] for ti in page["task_instances"]]
        pages.append(page)
        cursor = page["next_cursor"]
    assert by_cursor == by_offset
    assert pages[0]["previous_cursor"] is None and len(pages) == ITEMS // 100
    _, back = get(app, f"limit=100&cursor={pages[3]['previous_cursor']}")
    assert back["task_instances"] == pages[2]["task_instances"]
    assert get(app, "cursor=not-a-token")[0] == 400


def test_the_cursor_token_is_airflows() -> None:
    # what Airflow 3.3 (msgspec) encodes for [-1, "0195512a-8e3c-7b2a-9d1e-4f5a6b7c8d9e"]
    token = "kv_ZJDAxOTU1MTJhLThlM2MtN2IyYS05ZDFlLTRmNWE2YjdjOGQ5ZQ"
    assert bench_server.encode_cursor(-1, "0195512a-8e3c-7b2a-9d1e-4f5a6b7c8d9e") == token
    assert bench_server.decode_cursor(token) == (-1, "0195512a-8e3c-7b2a-9d1e-4f5a6b7c8d9e")
