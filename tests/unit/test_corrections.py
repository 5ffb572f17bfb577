"""The corrections engine: each op, its guards, version ranges, and the real corrections file."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import corrections  # noqa: E402
import generate  # noqa: E402
import generator  # noqa: E402
from corrections import Correction, CorrectionError  # noqa: E402
from majors import MAJORS, V1, Major  # noqa: E402


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "paths": {
            "/pools": {
                "get": {
                    "operationId": "get_pools",
                    "parameters": [{"$ref": "#/components/parameters/Limit"}],
                    "responses": {"200": {"description": "ok"}},
                },
                "post": {
                    "operationId": "post_pool",
                    "requestBody": {"content": {}},
                    "responses": {"200": {"description": "ok"}, "400": {"description": "bad"}},
                },
            },
            "/pools/{pool_name}": {
                "parameters": [{"in": "path", "name": "pool_name", "required": True}],
                "get": {"operationId": "get_pool", "responses": {"200": {"description": "ok"}}},
            },
            "/health": {"get": {"operationId": "get_health", "responses": {"200": {"description": "ok"}}}},
        },
        "components": {
            "parameters": {"Limit": {"in": "query", "name": "limit", "schema": {"type": "integer"}}},
            "schemas": {
                "Pool": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "created": {"type": "string", "format": "datetime"},
                        "updated": {"type": "string", "format": "datetime"},
                        "slots": {"type": "integer"},
                    },
                },
                "State": {"type": "string", "enum": [None, "a", "b"], "nullable": True},
            },
        },
    }


def one(*ops: dict[str, Any], airflow: str | None = None) -> list[Correction]:
    return [Correction(id="c1", why="w", evidence="e", ops=tuple(ops), airflow=airflow)]


def test_replace_with_expect_and_remove() -> None:
    out, report = corrections.apply(
        spec(),
        one(
            {
                "op": "replace",
                "path": "/components/schemas/Pool/properties/slots/type",
                "expect": "integer",
                "value": "number",
            },
            {"op": "remove", "path": "/components/schemas/State/nullable", "expect": True},
        ),
        "2.11.2",
    )
    assert out["components"]["schemas"]["Pool"]["properties"]["slots"]["type"] == "number"
    assert "nullable" not in out["components"]["schemas"]["State"]
    assert report.applied == ["c1"] and report.changes == 2


def test_input_is_not_mutated() -> None:
    original = spec()
    corrections.apply(original, one({"op": "remove", "path": "/components/schemas/State/nullable"}), "2.11.2")
    assert original == spec()


def test_add_appends_to_list_and_sets_new_key() -> None:
    out, _ = corrections.apply(
        spec(),
        one(
            {"op": "add", "path": "/components/schemas/State/enum/-", "value": "c"},
            {"op": "add", "path": "/components/schemas/State/title", "value": "State"},
        ),
        "2.11.2",
    )
    assert out["components"]["schemas"]["State"]["enum"] == [None, "a", "b", "c"]
    assert out["components"]["schemas"]["State"]["title"] == "State"


def test_add_refuses_to_overwrite_an_existing_key() -> None:
    with pytest.raises(CorrectionError, match=r"correction 'c1'.*already exists.*still needed"):
        corrections.apply(
            spec(), one({"op": "add", "path": "/components/schemas/State/nullable", "value": True}), "2.11.2"
        )


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (
            {"op": "replace", "path": "/components/schemas/Nope/type", "value": "x"},
            "parent .* does not exist",
        ),
        ({"op": "remove", "path": "/components/schemas/Pool/properties/nope"}, "target does not exist"),
        ({"op": "add", "path": "/components/schemas/Nope/properties/x", "value": {}}, "does not exist"),
        (
            {
                "op": "replace",
                "path": "/components/schemas/Pool/properties/slots/type",
                "expect": "string",
                "value": "x",
            },
            "expected current value 'string', found 'integer'",
        ),
        (
            {"op": "test", "path": "/components/schemas/State/nullable", "value": False},
            "expected False, found True",
        ),
        (
            {
                "op": "replace",
                "path": "/components/schemas/*/properties/*/format",
                "expect": "date",
                "value": "x",
            },
            "no match",
        ),
    ],
)
def test_missing_or_changed_targets_fail_loudly(op: dict[str, Any], message: str) -> None:
    with pytest.raises(CorrectionError, match=message) as info:
        corrections.apply(spec(), one(op), "2.11.2")
    assert "'c1'" in str(info.value) and "2.11.2" in str(info.value)


def test_wildcard_replaces_every_match_with_the_expected_value() -> None:
    out, report = corrections.apply(
        spec(),
        one(
            {
                "op": "replace",
                "path": "/components/schemas/*/properties/*/format",
                "expect": "datetime",
                "value": "date-time",
            }
        ),
        "2.11.2",
    )
    props = out["components"]["schemas"]["Pool"]["properties"]
    assert props["created"]["format"] == props["updated"]["format"] == "date-time"
    assert "format" not in props["slots"]
    assert report.changes == 2


def test_pointer_escapes() -> None:
    doc = {"paths": {"/a/{b}": {"get": {"x": 1}}}}
    out, _ = corrections.apply(
        doc, one({"op": "replace", "path": "/paths/~1a~1{b}/get/x", "value": 2}), "2.11.2"
    )
    assert out["paths"]["/a/{b}"]["get"]["x"] == 2


def test_ensure_responses_selectors() -> None:
    bad = {"400": {"description": "bad"}}
    out, report = corrections.apply(
        spec(), one({"op": "ensure_responses", "operations": "with_input", "responses": bad}), "2.11.2"
    )
    ops = {o["operationId"]: o for *_, o in corrections.operations(out)}
    assert "400" in ops["get_pools"]["responses"] and "400" in ops["get_pool"]["responses"]
    assert "400" not in ops["get_health"]["responses"]
    assert ops["post_pool"]["responses"]["400"] == {"description": "bad"}  # already declared: kept
    assert report.changes == 2

    out, _ = corrections.apply(
        spec(),
        one(
            {
                "op": "ensure_responses",
                "operations": "all",
                "except": ["get_health"],
                "responses": {"403": {}},
            }
        ),
        "2.11.2",
    )
    ops = {o["operationId"]: o for *_, o in corrections.operations(out)}
    assert [k for k, o in ops.items() if "403" in o["responses"]] == ["get_pools", "post_pool", "get_pool"]

    out, _ = corrections.apply(
        spec(),
        one({"op": "ensure_responses", "operations": "with_path_params", "responses": {"404": {}}}),
        "2.11.2",
    )
    ops = {o["operationId"]: o for *_, o in corrections.operations(out)}
    assert [k for k, o in ops.items() if "404" in o["responses"]] == ["get_pool"]

    out, _ = corrections.apply(
        spec(), one({"op": "ensure_responses", "operations": "with_body", "responses": {"415": {}}}), "2.11.2"
    )
    ops = {o["operationId"]: o for *_, o in corrections.operations(out)}
    assert [k for k, o in ops.items() if "415" in o["responses"]] == ["post_pool"]

    by_parameter = {"with_parameter": "limit"}  # a $ref parameter is resolved to find its name
    out, _ = corrections.apply(
        spec(), one({"op": "ensure_responses", "operations": by_parameter, "responses": bad}), "2.11.2"
    )
    ops = {o["operationId"]: o for *_, o in corrections.operations(out)}
    assert [k for k, o in ops.items() if "400" in o["responses"]] == ["get_pools", "post_pool"]


def test_ensure_responses_fails_when_nothing_to_add_or_unknown_operation() -> None:
    with pytest.raises(CorrectionError, match="already declares them"):
        corrections.apply(
            spec(),
            one({"op": "ensure_responses", "operations": ["post_pool"], "responses": {"400": {}}}),
            "2.11.2",
        )
    with pytest.raises(CorrectionError, match=r"no operation with operationId \['nope'\]"):
        corrections.apply(
            spec(),
            one({"op": "ensure_responses", "operations": ["nope"], "responses": {"400": {}}}),
            "2.11.2",
        )


def test_unrequire_makes_required_fields_optional_and_fails_when_they_are_not_required() -> None:
    doc = spec()
    doc["components"]["schemas"]["Pool"]["required"] = ["name", "slots"]
    op = {"op": "unrequire", "path": "/components/schemas/Pool", "fields": ["slots"]}
    out, report = corrections.apply(doc, one(op), "3.3.2")
    assert out["components"]["schemas"]["Pool"]["required"] == ["name"] and report.changes == 1
    both = {**op, "fields": ["slots", "name"]}
    assert "required" not in corrections.apply(doc, one(both), "3.3.2")[0]["components"]["schemas"]["Pool"]
    with pytest.raises(CorrectionError, match=r"does not require \['created'\]"):
        corrections.apply(doc, one({**op, "fields": ["created"]}), "3.3.2")
    with pytest.raises(CorrectionError, match="no such schema"):
        corrections.apply(doc, one({**op, "path": "/components/schemas/Nope"}), "3.3.2")


def test_version_range_skips_older_releases() -> None:
    op = {"op": "remove", "path": "/components/schemas/Gone"}
    out, report = corrections.apply(spec(), one(op, airflow=">=2.10"), "2.8.4")
    assert report.skipped_version == ["c1"] and out == spec()
    with pytest.raises(CorrectionError, match="target does not exist"):
        corrections.apply(spec(), one(op, airflow=">=2.10"), "2.10.5")


def write(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "corrections.yaml"
    path.write_text(yaml.safe_dump({"corrections": entries}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "a", "why": "w", "ops": [{"op": "test", "path": "/x", "value": 1}]}, "'evidence' must be"),
        ({"id": "a", "why": "w", "evidence": "e"}, "either 'ops' or 'handled_in'"),
        (
            {
                "id": "a",
                "why": "w",
                "evidence": "e",
                "handled_in": "x",
                "ops": [{"op": "test", "path": "/x", "value": 1}],
            },
            "either 'ops' or 'handled_in'",
        ),
        (
            {"id": "a", "why": "w", "evidence": "e", "ops": [{"op": "move", "path": "/x"}]},
            "unknown op 'move'",
        ),
        (
            {"id": "a", "why": "w", "evidence": "e", "ops": [{"op": "replace", "path": "/x"}]},
            r"missing \['value'\]",
        ),
        (
            {"id": "a", "why": "w", "evidence": "e", "ops": [{"op": "remove", "path": "/x", "valu": 1}]},
            "does not take",
        ),
        ({"id": "a", "why": "w", "evidence": "e", "because": "x", "handled_in": "y"}, "unknown keys"),
    ],
)
def test_load_rejects_malformed_entries(tmp_path: Path, entry: dict[str, Any], message: str) -> None:
    with pytest.raises(CorrectionError, match=message):
        corrections.load(write(tmp_path, [entry]))


def test_load_rejects_duplicate_ids(tmp_path: Path) -> None:
    entry = {"id": "a", "why": "w", "evidence": "e", "handled_in": "x"}
    with pytest.raises(CorrectionError, match="duplicate id 'a'"):
        corrections.load(write(tmp_path, [entry, entry]))


@pytest.mark.parametrize("major", MAJORS, ids=lambda m: m.api)
def test_every_correction_applies_to_the_pinned_spec(major: Major) -> None:
    entries = corrections.load(major.corrections)
    _out, report = generate.effective_spec(major, generate.upstream_spec(major), major.pinned_version())
    assert report.skipped_version == []
    assert sorted(report.applied + [i for i, _ in report.handled_elsewhere]) == sorted(e.id for e in entries)


def test_the_real_v1_corrections_fix_what_they_say() -> None:
    entries = corrections.load(V1.corrections)
    out, report = generate.effective_spec(V1, generate.upstream_spec(V1), V1.pinned_version())
    assert sorted(report.applied + [i for i, _ in report.handled_elsewhere]) == sorted(e.id for e in entries)
    schemas = out["components"]["schemas"]
    assert not [
        name
        for name, s in schemas.items()
        for p in s.get("properties", {}).values()
        if p.get("format") == "datetime"
    ]
    assert None in schemas["HealthStatus"]["enum"] and None in schemas["TaskState"]["enum"]
    ops = {o["operationId"]: o for *_, o in corrections.operations(out)}
    assert all("403" in o["responses"] for k, o in ops.items() if k not in {"get_health", "get_version"})
    assert "409" in ops["post_pool"]["responses"] and "409" in ops["post_connection"]["responses"]
    assert "409" in ops["patch_user"]["responses"] and "409" in ops["post_role"]["responses"]
    # OpenAPI 3.0.3's nullable enum: the flag and the null value
    assert schemas["HealthStatus"]["nullable"] is True and schemas["TaskState"]["nullable"] is True
    # every error answer is Problem JSON but the 406 of DAG sources and config (text/html), every
    # 204 says which content type its empty body has
    answers = out["components"]["responses"]
    assert all(
        list(r["content"]) == ["application/problem+json"] for k, r in answers.items() if k != "NotAcceptable"
    )
    not_acceptable = [ops[k]["responses"]["406"] for k in ("get_dag_source", "get_config", "get_value")]
    assert not_acceptable[0] == {"$ref": "#/components/responses/NotAcceptable"}
    bodies = [r["content"]["text/html"]["schema"] for r in (answers["NotAcceptable"], *not_acceptable[1:])]
    assert re.fullmatch(bodies[0]["pattern"], "Not Allowed Accept Header")
    assert bodies[1:] == [{"type": "string", "maxLength": 0}] * 2
    created = ops["reparse_dag_file"]["responses"]["201"]["content"]["text/html"]["schema"]
    assert re.fullmatch(created["pattern"], "") and re.fullmatch(created["pattern"], "Duplicate request")
    dag_runs = schemas["BasicDAGRun"]["properties"]
    assert "dag_run_id" in dag_runs and "run_id" not in dag_runs
    no_content = [o["responses"]["204"] for o in ops.values() if "204" in o["responses"]]
    assert len(no_content) == 10 and all(
        list(r["content"]) in (["application/json"], ["text/html"]) for r in no_content
    )
    users = schemas["UserCollectionItem"]["properties"]
    assert {users[k]["format"] for k in ("created_on", "changed_on", "last_login")} == {"naive-date-time"}
    # input the server crashes on is refused
    assert schemas["ActionResource"]["required"] == ["action", "resource"]
    assert schemas["DAG"]["minProperties"] == 1


def test_spec_facts_lists_comma_joined_query_parameters() -> None:
    doc = spec()
    doc["components"]["parameters"]["Mask"] = {
        "in": "query",
        "name": "update_mask",
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": False,
    }
    doc["paths"]["/pools"]["get"]["parameters"].append(
        {"in": "query", "name": "state", "schema": {"type": "array", "items": {"type": "string"}}}
    )
    assert '["update_mask"]' in generate.spec_facts(doc)


def test_every_place_named_for_a_mismatch_handled_outside_the_spec_exists() -> None:
    entries = [e for m in MAJORS for e in corrections.load(m.corrections) if e.handled_in]
    assert entries
    skip = {".venv", ".airflow", ".airflow3", ".cache", ".git"}
    tracked = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.parts)]
    for entry in entries:
        assert entry.handled_in is not None
        named = re.findall(r"[\w./-]+\.(?:py|jinja)", entry.handled_in)
        for path in named:
            assert any(t.endswith(path) for t in tracked), f"{entry.id}: {path} does not exist"


def test_the_generator_reads_standard_forms_in_the_spelling_it_understands() -> None:
    doc = spec()
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["State"] = {"type": "string", "nullable": True, "enum": ["a", None]}
    schemas["Plain"] = {"type": "string", "nullable": True, "enum": ["a", "b"]}
    schemas["Kind"] = {"type": "object", "properties": {"__type": {"type": "string", "enum": ["Kind"]}}}
    schemas["User"] = {
        "type": "object",
        "properties": {"created_on": {"type": "string", "format": "naive-date-time", "pattern": "^x$"}},
    }
    doc["paths"]["/pools"]["get"]["responses"]["204"] = {
        "description": "gone",
        "content": {"text/html": {}},
    }
    before = yaml.safe_dump(doc)
    out = generator.generator_input(doc)
    assert yaml.safe_dump(doc) == before  # the effective spec itself keeps the standard form
    got = out["components"]["schemas"]
    assert got["State"] == {"type": "string", "enum": ["a", None]}
    assert got["Plain"] == schemas["Plain"]  # null is not a value: the flag stays
    assert got["Kind"]["properties"]["__type"] == {"type": "string", "const": "Kind"}
    assert got["User"]["properties"]["created_on"] == {"type": "string", "format": "date-time"}
    assert out["paths"]["/pools"]["get"]["responses"]["204"] == {"description": "gone"}
