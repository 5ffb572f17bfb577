"""Users, roles and permissions of the fake Airflow, through the oracle with the real clients (sync
and async) and raw httpx: the captured defaults, paging and ordering, the writes and their update
masks, and the errors with the real server's titles and details (Airflow 2.11.2, FAB provider)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import httpx
import pytest

from airflow_rest import AirflowClient, AsyncAirflowClient, errors, models
from airflow_rest.testing import Oracle
from airflow_rest.testing.fake import Call, FakeAirflow
from airflow_rest_v1.types import Unset

from .clock import Clock

DATA: dict[str, Any] = json.loads(
    (resources.files("airflow_rest.testing.fake") / "data" / "security.json").read_text()
)
NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?")
T0 = datetime(2026, 12, 1, 13, 43, 1, 63486, tzinfo=UTC)
BAD_REQUEST = "Bad Request"


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def oracle(clock: Clock) -> Iterator[Oracle]:
    """A fresh oracle; a test that meant to break the spec takes its violations."""
    oracle = Oracle(fake=FakeAirflow(now=clock))
    yield oracle
    oracle.assert_no_violations()


@pytest.fixture
def raw(oracle: Oracle) -> Iterator[httpx.Client]:
    with httpx.Client(transport=oracle.transport(), base_url=oracle.api_url) as http:
        yield http


@pytest.fixture
def client(oracle: Oracle) -> Iterator[AirflowClient]:
    with AirflowClient(oracle.url, transport=oracle.transport()) as client:
        yield client


def given(value: Any) -> Any:
    assert not isinstance(value, Unset)
    return value


def user_body(name: str, **more: Any) -> dict[str, Any]:
    return {"username": name, "email": f"{name}@example.com", "first_name": "F", "last_name": "L"} | more


def refused(oracle: Oracle, *statuses: int) -> None:
    """The oracle recorded the requests it answered with ``statuses`` as refused, and nothing else."""
    found = oracle.take_violations()
    assert sorted(v.status for v in found) == sorted(statuses), found
    assert all(v.side == "request" for v in found), found


def perm(action: str, resource: str) -> dict[str, Any]:
    return {"action": {"name": action}, "resource": {"name": resource}}


# --- the captured defaults ------------------------------------------------------------------------


def test_the_defaults_are_what_the_real_server_sent(raw: httpx.Client) -> None:
    roles = raw.get("/roles", params={"order_by": "role_id"}).json()
    assert roles == {"roles": DATA["roles"], "total_entries": 5}
    assert [r["name"] for r in roles["roles"]] == ["Admin", "Public", "Viewer", "User", "Op"]
    assert [len(r["actions"]) for r in roles["roles"]] == [92, 0, 30, 39, 63]
    by_name = raw.get("/roles").json()["roles"]
    assert [r["name"] for r in by_name] == ["Admin", "Op", "Public", "User", "Viewer"]
    assert raw.get("/roles/Public").json() == {"actions": [], "name": "Public"}
    assert raw.get("/permissions").json() == {
        "actions": [{"name": n} for n in ("can_edit", "can_read", "can_create", "can_delete", "menu_access")],
        "total_entries": 5,
    }


def test_the_admin_looks_like_the_real_one_and_each_request_logs_it_in(
    oracle: Oracle, raw: httpx.Client, clock: Clock
) -> None:
    clock.now = T0 + timedelta(hours=1)
    first = raw.get("/users/admin").json()
    assert first == {
        "active": True,
        "changed_on": "2026-12-01T13:43:01.063486",
        "created_on": "2026-12-01T13:43:01.063486",
        "email": "admin@example.com",
        "fail_login_count": 0,
        "first_name": "Airflow",
        "last_login": "2026-12-01T14:43:01.063486",
        "last_name": "Admin",
        "login_count": 1,
        "roles": [{"name": "Admin"}],
        "username": "admin",
    }
    clock.now = T0.replace(microsecond=0) + timedelta(hours=2)
    listed = raw.get("/users").json()
    assert listed["total_entries"] == 1
    assert (listed["users"][0]["login_count"], listed["users"][0]["last_login"]) == (2, "2026-12-01T15:43:01")
    assert "password" not in listed["users"][0]
    assert all(NAIVE.fullmatch(listed["users"][0][k]) for k in ("created_on", "changed_on", "last_login"))


def test_with_auth_the_admin_is_the_caller_and_logins_are_counted() -> None:
    oracle = Oracle(auth=("ops", "s3cret"))
    with httpx.Client(transport=oracle.transport(), base_url=oracle.api_url) as http:
        assert http.get("/users/admin", auth=("ops", "s3cret")).status_code == 404
        assert http.get("/users", auth=("ops", "wrong")).status_code == 403
        assert http.get("/users", auth=("nobody", "s3cret")).status_code == 403
        me = http.get("/users/ops", auth=("ops", "s3cret")).json()
        assert (me["email"], me["roles"], me["login_count"], me["fail_login_count"]) == (
            "ops@example.com",
            [{"name": "Admin"}],
            2,
            0,
        )
        # a user made through the API logs in with its password, also by email
        body = user_body("sec_viewer", password="pw", roles=[{"name": "Viewer"}])
        assert http.post("/users", json=body, auth=("ops", "s3cret")).status_code == 200
        assert http.get("/version").status_code == 200
        assert http.get("/pools", auth=("sec_viewer@example.com", "pw")).status_code == 200
        assert oracle.users["sec_viewer"]["login_count"] == 1
        # the caller deletes itself, as the real server lets it: its credentials then fail
        assert http.delete("/users/ops", auth=("ops", "s3cret")).status_code == 204
        assert http.get("/pools", auth=("ops", "s3cret")).status_code == 403
    refused(oracle)


# --- paging and ordering ------------------------------------------------------------------------------


def test_paging_and_ordering_of_roles_users_and_permissions(oracle: Oracle, raw: httpx.Client) -> None:
    for name, first, last in (("sec_b", "Zed", "A"), ("sec_a", "Amy", "Zimmer"), ("sec_c", "Bob", "")):
        oracle.add_user(name, first_name=first, last_name=last)
    page = raw.get("/users", params={"limit": 2, "offset": 1}).json()
    assert page["total_entries"] == 4 and [u["username"] for u in page["users"]] == ["sec_b", "sec_a"]

    def names(order_by: str) -> list[str]:
        return [u["username"] for u in raw.get("/users", params={"order_by": order_by}).json()["users"]]

    assert names("first_name") == ["admin", "sec_a", "sec_c", "sec_b"]
    assert names("last_name") == ["sec_c", "sec_b", "admin", "sec_a"]
    assert names("email") == ["admin", "sec_a", "sec_b", "sec_c"]
    assert [r["name"] for r in raw.get("/roles", params={"limit": 2, "offset": 1}).json()["roles"]] == [
        "Op",
        "Public",
    ]
    assert raw.get("/permissions", params={"limit": 2, "offset": 1}).json() == {
        "actions": [{"name": "can_read"}, {"name": "can_create"}],
        "total_entries": 5,
    }
    refused(oracle)


@pytest.mark.parametrize(
    ("path", "order_by"),
    [
        ("/users", "-username"),
        ("/users", "username"),
        ("/users", "-id"),
        ("/roles", "-name"),
        ("/roles", "-role_id"),
        ("/roles", "nope"),
    ],
)
def test_orderings_the_server_refuses(oracle: Oracle, raw: httpx.Client, path: str, order_by: str) -> None:
    response = raw.get(path, params={"order_by": order_by})
    assert response.status_code == 400
    assert (response.json()["title"], response.json()["detail"]) == (
        BAD_REQUEST,
        f"Ordering with '{order_by}' is disallowed or the attribute does not exist on the model",
    )
    refused(oracle, 400)


def test_orderings_the_server_allows_but_fails_on(oracle: Oracle, raw: httpx.Client) -> None:
    for order_by in ("user_name", "role", "is_active"):
        assert raw.get("/users", params={"order_by": order_by}).status_code == 500
    assert raw.get("/users", params={"order_by": "id"}).status_code == 200
    # a status the spec does not declare: recorded against the response
    found = oracle.take_violations()
    assert [v.message.split(" (")[0] for v in found] == ["status 500 is not declared"] * 3


# --- roles ----------------------------------------------------------------------------------------------


def test_role_lifecycle_with_the_client(oracle: Oracle, client: AirflowClient) -> None:
    body = models.Role(
        name="sec_role",
        actions=[
            models.ActionResource(
                action=models.Action(name="can_read"), resource=models.Resource(name="DAG:tutorial")
            )
        ],
    )
    created = client.role.post_role(body=body)
    assert isinstance(created.name, Unset) and isinstance(created.actions, Unset)  # the server sends {}
    assert oracle.roles["sec_role"] == {"actions": [perm("can_read", "DAG:tutorial")], "name": "sec_role"}

    with pytest.raises(errors.ConflictError) as conflict:
        client.role.post_role(body=body)
    assert conflict.value.detail == (
        "Role with name 'sec_role' already exists; please update with the PATCH endpoint"
    )
    # PATCH only adds permissions; with update_mask=name the actions are left out
    more = models.Role(
        name="sec_role2",
        actions=[
            models.ActionResource(
                action=models.Action(name="can_edit"), resource=models.Resource(name="DAGs")
            )
        ],
    )
    patched = client.role.patch_role("sec_role", body=more, update_mask=["name"])
    assert (patched.name, len(given(patched.actions))) == ("sec_role2", 1)
    patched = client.role.patch_role("sec_role2", body=more, update_mask=["actions"])
    assert [given(given(a.action).name) for a in given(patched.actions)] == ["can_read", "can_edit"]
    assert given(client.role.get_role("sec_role2").name) == "sec_role2"
    client.role.delete_role("sec_role2")
    with pytest.raises(errors.NotFoundError) as missing:
        client.role.delete_role("sec_role2")
    assert (missing.value.title, missing.value.detail) == (
        "Role not found",
        "Role with name 'sec_role2' was not found",
    )
    refused(oracle)


def test_role_errors(oracle: Oracle, raw: httpx.Client) -> None:
    def problem(response: httpx.Response) -> tuple[int, str, str]:
        return response.status_code, response.json()["title"], response.json()["detail"]

    unknown_action = {"name": "sec_r", "actions": [perm("can_nope", "DAGs")]}
    assert problem(raw.post("/roles", json=unknown_action)) == (
        400,
        BAD_REQUEST,
        "The specified action: 'can_nope' was not found",
    )
    unknown_resource = {"name": "sec_r", "actions": [perm("can_read", "Nope")]}
    assert problem(raw.post("/roles", json=unknown_resource)) == (
        400,
        BAD_REQUEST,
        "The specified resource: 'Nope' was not found",
    )
    extra = {"name": "sec_r", "actions": [perm("can_read", "DAGs") | {"z": 1}]}
    assert problem(raw.post("/roles", json=extra))[2] == "{'actions': {0: {'z': ['Unknown field.']}}}"
    nameless = {"name": "sec_r", "actions": [{"action": {}, "resource": {"name": "DAGs"}}]}
    assert problem(raw.post("/roles", json=nameless))[2] == (
        "{'actions': {0: {'action': {'name': ['Missing data for required field.']}}}}"
    )
    assert problem(raw.post("/roles", json={"name": "sec_" + "x" * 61, "actions": []}))[2] == (
        "{'name': ['Longer than maximum length 64.']}"
    )
    assert problem(raw.get("/roles/Nope")) == (404, "Role not found", "Role with name 'Nope' was not found")
    masked = raw.patch("/roles/Viewer", params={"update_mask": "permissions"}, json={"name": "Viewer"})
    assert problem(masked) == (400, BAD_REQUEST, "'permissions' in update_mask is unknown")
    assert problem(raw.patch("/roles/Nope", json={"name": "Nope", "actions": []}))[:2] == (
        404,
        "Role not found",
    )
    refused(oracle, 400, 400, 400, 400, 400, 400)
    # no role was made by any of them, and the default ones are as they were
    assert sorted(oracle.roles) == ["Admin", "Op", "Public", "User", "Viewer"]
    assert [oracle.roles[r["name"]] for r in DATA["roles"]] == DATA["roles"]


def test_a_role_action_without_a_resource_is_refused(oracle: Oracle, raw: httpx.Client) -> None:
    # the real server fails on it with a 500; the request breaks the (corrected) spec
    response = raw.post("/roles", json={"name": "sec_r", "actions": [{"action": {"name": "can_read"}}]})
    assert response.status_code == 400
    assert "'resource'" in response.json()["detail"]
    refused(oracle, 400)
    assert "sec_r" not in oracle.roles
    # the server skips empty items (the spec refuses them: the fake alone answers as the server)
    assert oracle.fake.handle("post_role", Call(body={"name": "sec_r", "actions": [{}]})) == (200, {})
    assert oracle.roles["sec_r"]["actions"] == []


def test_renaming_a_role_onto_a_name_in_use_is_ignored(oracle: Oracle, raw: httpx.Client) -> None:
    oracle.add_role("sec_r", [("can_read", "DAGs")])
    oracle.add_user("sec_u", roles=["sec_r"])
    response = raw.patch("/roles/sec_r", json={"name": "Viewer", "actions": [perm("can_edit", "DAGs")]})
    assert response.status_code == 200
    assert response.json() == {
        "actions": [perm("can_read", "DAGs"), perm("can_edit", "DAGs")],
        "name": "sec_r",
    }
    assert len(oracle.roles["Viewer"]["actions"]) == 30
    # a rename shows on the users; a deletion takes the role off them
    raw.patch("/roles/sec_r", params={"update_mask": "name"}, json={"name": "sec_r2"})
    assert oracle.users["sec_u"]["roles"] == [{"name": "sec_r2"}]
    assert raw.delete("/roles/sec_r2").status_code == 204
    assert oracle.users["sec_u"]["roles"] == []


# --- users -------------------------------------------------------------------------------------------


def test_user_lifecycle_with_the_client(oracle: Oracle, client: AirflowClient, clock: Clock) -> None:
    clock.now = T0 + timedelta(minutes=5)
    body = models.User(
        username="sec_u1",
        email="sec_u1@example.com",
        first_name="Sec",
        last_name="One",
        password="pw1",
        roles=[models.UserRole(name="Viewer")],
    )
    created = client.user.post_user(body=body)
    assert (created.username, created.login_count, created.last_login, created.active) == (
        "sec_u1",
        None,
        None,
        True,
    )
    assert given(created.created_on) == clock.now  # sent without an offset: read as UTC
    assert "password" not in oracle.users["sec_u1"]

    with pytest.raises(errors.ConflictError) as taken:
        client.user.post_user(body=body)
    assert taken.value.detail == "Username `sec_u1` already exists. Use PATCH to update."

    change = models.User(
        username="sec_u1", email="sec_u1@example.com", first_name="Ignored", last_name="Masked"
    )
    patched = client.user.patch_user("sec_u1", body=change, update_mask=["last_name"])
    assert (patched.first_name, patched.last_name) == ("Sec", "Masked")
    assert [given(r.name) for r in given(patched.roles)] == ["Viewer"]
    users = client.user.get_users()
    assert users.total_entries == 2 and [u.username for u in given(users.users)] == ["admin", "sec_u1"]
    assert given(client.user.get_user("SEC_U1").username) == "sec_u1"  # usernames ignore case
    client.user.delete_user("sec_u1")
    with pytest.raises(errors.NotFoundError) as missing:
        client.user.get_user("sec_u1")
    assert (missing.value.title, missing.value.detail) == (
        "User not found",
        "The User with username `sec_u1` was not found",
    )
    refused(oracle)


def test_user_errors(oracle: Oracle, raw: httpx.Client) -> None:
    def problem(response: httpx.Response) -> tuple[int, str, str]:
        return response.status_code, response.json()["title"], response.json()["detail"]

    assert raw.post("/users", json=user_body("sec_u1")).json()["roles"] == [{"name": "Public"}]
    assert raw.post("/users", json=user_body("sec_u2")).status_code == 200
    assert problem(raw.post("/users", json=user_body("SEC_U1", email="other@example.com"))) == (
        409,
        "Conflict",
        "Username `SEC_U1` already exists. Use PATCH to update.",
    )
    assert problem(raw.post("/users", json=user_body("sec_u3", email="sec_u1@example.com"))) == (
        409,
        "Conflict",
        "The email `sec_u1@example.com` is already taken.",
    )
    roles = [{"name": "Nope"}, {"name": "Viewer"}, {"name": "Nada"}]
    assert problem(raw.post("/users", json=user_body("sec_u3", roles=roles))) == (
        400,
        BAD_REQUEST,
        "Unknown roles: 'Nope', 'Nada'",
    )
    assert problem(raw.post("/users", json=user_body("sec_u3", roles=[{}])))[2] == (
        "{'roles': {0: {'name': ['Missing data for required field.']}}}"
    )
    assert problem(raw.post("/users", json=user_body("sec_u3", zzz=1)))[2] == "{'zzz': ['Unknown field.']}"
    # PATCH: the email or username of another user, even with a mask that leaves them out
    in_use = user_body("sec_u1", email="sec_u2@example.com")
    assert problem(raw.patch("/users/sec_u1", json=in_use)) == (
        409,
        "Conflict",
        "The email `sec_u2@example.com` already exists",
    )
    assert problem(raw.patch("/users/sec_u1", params={"update_mask": "first_name"}, json=in_use))[0] == 409
    assert problem(raw.patch("/users/sec_u1", json=user_body("sec_u2", email="sec_u1@example.com"))) == (
        409,
        "Conflict",
        "The username `sec_u2` already exists",
    )
    masks = {"update_mask": "active,nope,last_name"}
    assert problem(raw.patch("/users/sec_u1", params=masks, json=user_body("sec_u1"))) == (
        400,
        BAD_REQUEST,
        "Unknown update masks: 'active', 'nope'",
    )
    password_mask = {"update_mask": "password"}
    assert problem(raw.patch("/users/sec_u1", params=password_mask, json=user_body("sec_u1")))[2] == (
        "Unknown update masks: 'password'"
    )
    assert problem(raw.patch("/users/sec_nope", json=user_body("sec_nope"))) == (
        404,
        "User not found",
        "The User with username `sec_nope` was not found",
    )
    assert problem(raw.delete("/users/sec_nope"))[:2] == (404, "User not found")
    refused(oracle, 400, 400, 400, 400, 400)


def test_patch_user_roles_password_and_rename(oracle: Oracle, raw: httpx.Client) -> None:
    raw.post("/users", json=user_body("sec_u", password="old", roles=[{"name": "Viewer"}]))
    both = user_body("sec_u", roles=[{"name": "Viewer"}, {"name": "Op"}])
    assert raw.patch("/users/sec_u", json=both).json()["roles"] == [{"name": "Viewer"}, {"name": "Op"}]
    # without roles in the body the roles stay; an empty list takes them all away
    assert len(raw.patch("/users/sec_u", json=user_body("sec_u")).json()["roles"]) == 2
    assert raw.patch("/users/sec_u", json=user_body("sec_u", roles=[])).json()["roles"] == []
    assert oracle.log_in("sec_u", "old")
    raw.patch("/users/sec_u", params={"update_mask": "password"}, json=user_body("sec_u", password="new"))
    assert not oracle.log_in("sec_u", "old") and oracle.log_in("sec_u", "new")
    assert oracle.users["sec_u"]["fail_login_count"] == 0 and oracle.users["sec_u"]["login_count"] == 2
    renamed = raw.patch("/users/sec_u", params={"update_mask": "username"}, json=user_body("sec_v"))
    assert (renamed.json()["username"], renamed.json()["email"]) == ("sec_v", "sec_u@example.com")
    assert sorted(oracle.users) == ["admin", "sec_v"]
    refused(oracle)


def test_users_and_roles_with_the_async_client(oracle: Oracle) -> None:
    async def scenario() -> None:
        async with AsyncAirflowClient(oracle.url, transport=oracle.transport()) as client:
            await client.role.post_role(body=models.Role(name="sec_async", actions=[]))
            body = models.User(
                username="sec_async",
                email="sec_async@example.com",
                first_name="A",
                last_name="Sync",
                roles=[models.UserRole(name="sec_async")],
            )
            created = await client.user.post_user(body=body)
            assert [given(r.name) for r in given(created.roles)] == ["sec_async"]
            users = await client.user.get_users(limit=1, offset=1)
            assert users.total_entries == 2 and [u.username for u in given(users.users)] == ["sec_async"]
            roles = await client.role.get_roles(order_by="role_id")
            assert [r.name for r in given(roles.roles)][-1] == "sec_async"
            permissions = await client.permission.get_permissions(limit=1)
            assert (permissions.total_entries, [a.name for a in given(permissions.actions)]) == (
                5,
                ["can_edit"],
            )
            with pytest.raises(errors.BadRequestError) as bad:
                body.roles = [models.UserRole(name="Nope")]
                await client.user.patch_user("sec_async", body=body)
            assert bad.value.detail == "Unknown roles: 'Nope'"
            await client.user.delete_user("sec_async")
            await client.role.delete_role("sec_async")

    asyncio.run(scenario())
    refused(oracle, 400)
    assert sorted(oracle.users) == ["admin"] and "sec_async" not in oracle.roles


def test_a_dags_resources_exist_while_the_dag_does(oracle: Oracle, raw: httpx.Client) -> None:
    body = {
        "name": "sec_dag",
        "actions": [perm("can_read", "DAG:sec_etl"), perm("can_read", "DAG Run:sec_etl")],
    }
    assert (
        raw.post("/roles", json=body).json()["detail"]
        == "The specified resource: 'DAG:sec_etl' was not found"
    )
    oracle.add_dag("sec_etl")
    assert raw.post("/roles", json=body).status_code == 200
    refused(oracle, 400)
