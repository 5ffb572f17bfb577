"""Differential steps for users, roles and permissions: the listings, paging and ordering, a role
and a user made, changed with update masks and deleted, and the 400, 404 and 409 answers. The
default roles and the admin user are only read (the admin's email is used, not changed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # differential imports this module: Step is taken when the steps are made
    from .differential import Step


def _perm(action: str, resource: str) -> dict[str, Any]:
    return {"action": {"name": action}, "resource": {"name": resource}}


def steps(suffix: str) -> list[Step]:
    """28 requests, leaving the server as they found it."""
    from .differential import Step

    role, user = f"sec_role_{suffix}", f"sec_user_{suffix}"
    email = f"{user}@example.com"
    person = {"username": user, "email": email, "first_name": "Sec", "last_name": "User"}
    return [
        Step("permissions", "GET", "/permissions"),
        Step("roles page", "GET", "/roles", {"limit": 3}),
        Step("roles by id", "GET", "/roles", {"order_by": "role_id", "limit": 2, "offset": 1}),
        Step("roles descending", "GET", "/roles", {"order_by": "-name"}, expect=400),
        Step("role Viewer", "GET", "/roles/Viewer"),
        Step("role missing", "GET", f"/roles/{role}", expect=404),
        Step("create role", "POST", "/roles", json={"name": role, "actions": [_perm("can_read", "DAGs")]}),
        Step("create role again", "POST", "/roles", json={"name": role, "actions": []}, expect=409),
        Step(
            "role unknown resource",
            "POST",
            "/roles",
            json={"name": f"{role}_x", "actions": [_perm("can_read", f"no_such_{suffix}")]},
            expect=400,
        ),
        Step(
            "role more actions",
            "PATCH",
            f"/roles/{role}",
            {"update_mask": "actions"},
            {"name": role, "actions": [_perm("can_edit", "DAGs")]},
        ),
        Step(
            "role bad mask",
            "PATCH",
            f"/roles/{role}",
            {"update_mask": "permissions"},
            {"name": role, "actions": []},
            expect=400,
        ),
        Step("role", "GET", f"/roles/{role}"),
        Step(
            "create user",
            "POST",
            "/users",
            json=person | {"password": f"pw_{suffix}", "roles": [{"name": role}]},
        ),
        Step("create user again", "POST", "/users", json=person, expect=409),
        Step("user email taken", "POST", "/users", json=person | {"username": f"{user}_b"}, expect=409),
        Step(
            "user unknown role",
            "POST",
            "/users",
            json=person | {"username": f"{user}_c", "email": f"c_{email}", "roles": [{"name": f"{role}_x"}]},
            expect=400,
        ),
        Step("users", "GET", "/users", {"limit": 100}),
        Step("users by email", "GET", "/users", {"order_by": "email", "limit": 2}),
        Step("users descending", "GET", "/users", {"order_by": "-username"}, expect=400),
        Step("user", "GET", f"/users/{user}"),
        Step(
            "user last name",
            "PATCH",
            f"/users/{user}",
            {"update_mask": "last_name"},
            person | {"first_name": "Ignored", "last_name": "Masked"},
        ),
        Step(
            "user email in use",
            "PATCH",
            f"/users/{user}",
            json=person | {"email": "admin@example.com"},
            expect=409,
        ),
        Step("user bad mask", "PATCH", f"/users/{user}", {"update_mask": "active"}, person, expect=400),
        Step("delete user", "DELETE", f"/users/{user}", expect=204),
        Step("user gone", "GET", f"/users/{user}", expect=404),
        Step("delete user again", "DELETE", f"/users/{user}", expect=404),
        Step("delete role", "DELETE", f"/roles/{role}", expect=204),
        Step("delete role again", "DELETE", f"/roles/{role}", expect=404),
    ]
