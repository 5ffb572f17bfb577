"""The fake Airflow answers as ``spec/v1/facts.yaml`` (``airflow_rest_v1._facts``) says the server does:
what an update_mask may name, which fields refuse null, and which keys of a connection's extra the
server masks. A fact changed here (monkeypatched) changes what the fake answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_rest.testing.fake import Call, FakeAirflow
from airflow_rest_v1 import _facts

VALUES: dict[str, Any] = {  # a value each updatable field takes
    "is_paused": True,
    "name": "renamed",
    "slots": 3,
    "description": "d",
    "include_deferred": True,
    "value": "v2",
    "conn_type": "http",
    "host": "h",
    "login": "l",
    "schema": "s",
    "port": 8080,
    "password": "p",
    "extra": "{}",
}


def fresh() -> FakeAirflow:
    fake = FakeAirflow()
    fake.add_pool("p", 2, "pool")
    fake.add_variable("k", "v", "about k")
    fake.add_connection("c", "http", host="old")
    return fake


PATCHES: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "dag": ("patch_dag", {"dag_id": "tutorial"}, {}),
    "pool": ("patch_pool", {"pool_name": "p"}, {"name": "p", "slots": 2}),
    "variable": ("patch_variable", {"variable_key": "k"}, {"key": "k", "value": "v"}),
    "connection": ("patch_connection", {"connection_id": "c"}, {"connection_id": "c", "conn_type": "http"}),
}


def patch(fake: FakeAirflow, kind: str, mask: list[str], changes: dict[str, Any]) -> tuple[int, Any]:
    op, path, base = PATCHES[kind]
    return fake.handle(op, Call(path=path, query={"update_mask": mask}, body=base | changes))


@pytest.mark.parametrize(
    ("kind", "field"),
    [(kind, field) for kind in PATCHES for field in _facts.RESOURCES[kind]["updatable"]],
)
def test_an_update_mask_takes_each_updatable_field_unless_the_facts_call_it_unmaskable(
    kind: str, field: str
) -> None:
    fake = fresh()
    status, reply = patch(fake, kind, [field], {field: VALUES[field]})
    if field in _facts.RESOURCES[kind].get("unmaskable", []):
        assert (status, reply["detail"]) == (400, f"'{field}' is unknown or cannot be updated.")
    else:
        assert status == 200, reply
        shown = fake.connections["c"] if field == "password" else reply  # a password is never sent
        assert shown[field] == VALUES[field]


def test_the_dag_refusal_names_the_facts_updatable_fields() -> None:
    status, reply = patch(fresh(), "dag", ["description"], {"is_paused": True})
    fields = ", ".join(f"`{name}`" for name in _facts.RESOURCES["dag"]["updatable"])
    assert (status, reply["detail"]) == (400, f"Only {fields} field can be updated through the REST API")
    # the server's own words
    assert reply["detail"] == "Only `is_paused` field can be updated through the REST API"


def test_a_field_the_facts_stop_calling_updatable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in ("variable", "connection", "dag"):
        updatable = _facts.RESOURCES[kind]["updatable"]
        monkeypatch.setitem(_facts.RESOURCES[kind], "updatable", [f for f in updatable if f != "description"])
    fake = fresh()
    status, reply = patch(fake, "variable", ["description"], {"description": "x"})
    assert (status, reply["detail"]) == (400, "'description' is unknown or cannot be updated.")
    status, reply = patch(fake, "connection", ["description"], {"description": "x"})
    assert (status, reply["detail"]) == (400, "'description' is unknown or cannot be updated.")
    assert patch(fake, "connection", ["host"], {"host": "x"})[0] == 200
    monkeypatch.setitem(_facts.RESOURCES["dag"], "updatable", ["is_paused", "description"])
    status, reply = patch(fake, "dag", ["tags"], {"is_paused": True})
    assert reply["detail"] == "Only `is_paused`, `description` field can be updated through the REST API"


def test_pool_fields_outside_the_facts_are_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fresh()
    updatable = _facts.RESOURCES["pool"]["updatable"]
    read_only = sorted(set(fake.pools["p"]) - set(updatable))
    assert read_only  # the slot counts the server computes
    for field in read_only:  # a field the server sends but does not load: its lookup fails
        assert patch(fake, "pool", [field], {})[0] == 500
    status, reply = patch(fake, "pool", ["nope"], {})
    assert (status, reply["detail"]) == (400, "Invalid field: nope in update mask")
    monkeypatch.setitem(_facts.RESOURCES["pool"], "updatable", [f for f in updatable if f != "description"])
    assert patch(fake, "pool", ["description"], {"description": "x"})[0] == 500


@pytest.mark.parametrize(
    ("kind", "field"), [(kind, f) for kind in PATCHES for f in _facts.RESOURCES[kind].get("non_null", [])]
)
def test_what_the_facts_call_non_null_is_refused_as_null(kind: str, field: str) -> None:
    status, reply = patch(fresh(), kind, [field], {field: None})
    assert (status, reply["detail"]) == (400, str({field: ["Field may not be null."]}))


def extra_of(fake: FakeAirflow, extra: dict[str, Any]) -> dict[str, Any]:
    fake.add_connection("masked", "http", extra=extra)
    status, reply = fake.handle("get_connection", Call(path={"connection_id": "masked"}))
    assert status == 200
    loaded: dict[str, Any] = json.loads(reply["extra"])
    return loaded


def test_the_extra_keys_the_facts_name_are_masked_at_any_depth_and_case() -> None:
    words = _facts.MASKED["extra_keys"]
    extra = {f"my_{word.upper()}": "v" for word in words} | {
        "region": "eu",
        "nested": {"Token": "t", "port": 1},
    }
    shown = extra_of(FakeAirflow(), extra)
    assert shown == {f"my_{word.upper()}": "***" for word in words} | {
        "region": "eu",
        "nested": {"Token": "***", "port": 1},
    }


def test_a_word_the_facts_drop_is_no_longer_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    words = _facts.MASKED["extra_keys"]
    monkeypatch.setitem(_facts.MASKED, "extra_keys", [w for w in words if w not in ("proxy", "proxies")])
    assert extra_of(FakeAirflow(), {"proxy": "http://p", "token": "t"}) == {
        "proxy": "http://p",
        "token": "***",
    }
    monkeypatch.setitem(_facts.MASKED, "extra_keys", [*words, "region"])
    assert extra_of(FakeAirflow(), {"region": "eu"}) == {"region": "***"}
