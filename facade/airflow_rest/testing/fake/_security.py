"""Users, roles and permissions, as the FAB auth manager of Airflow 2.11.2 answers them.

The default roles (Admin, Op, User, Viewer, Public) with their permissions, the actions and the
resources come from the real server (``data/security.json`` says how). Like there, the API only
ever adds permissions to a role, a role renamed to a name in use keeps its name, usernames are
matched without regard to case (emails are not), a password is never sent back, and the user
dates are sent without an offset. Each request an ``Oracle`` answers logs its caller in as the
basic_auth backend does (``log_in``): login count, last login, failed logins.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from ._state import FakeAirflowState, _locked
from ._wire import (
    JSON,
    Call,
    Reply,
    _bad_request,
    _check_limit,
    _conflict,
    _mask,
    _not_found,
    _offset,
    _page,
    _server_error,
    _utc,
)

_MISSING = "Missing data for required field."
_UNKNOWN = "Unknown field."


@functools.cache
def _catalogue() -> JSON:
    """The captured defaults (read once; callers copy what they keep)."""
    text = (resources.files(__package__) / "data" / "security.json").read_text(encoding="utf-8")
    data: JSON = json.loads(text)
    return data


def _naive(value: datetime | None) -> str | None:
    """How FAB's user dates are sent: UTC wall time without an offset (``2026-12-01T13:43:01.063486``)."""
    return None if value is None else _utc(value).replace(tzinfo=None).isoformat()


def _digest(password: str) -> bytes:
    return hashlib.sha256(password.encode()).digest()


@dataclass(eq=False)
class _Role:
    id: int
    name: str
    permissions: list[tuple[str, str]] = field(default_factory=list)  # (action, resource), as granted


@dataclass(eq=False)
class _User:
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    roles: list[_Role]
    password: bytes | None  # a digest; None: no password set, never logs in
    created_on: datetime
    changed_on: datetime
    active: bool = True
    last_login: datetime | None = None
    login_count: int | None = None
    fail_login_count: int | None = None


# --- loading bodies as the provider's marshmallow schemas do ---------------------------------------


@dataclass(frozen=True)
class _Key:
    """A field of a marshmallow schema: a string, or a (list of) nested schema(s)."""

    name: str
    required: bool = False
    allow_none: bool = False
    max_length: int | None = None
    nested: tuple[_Key, ...] | None = None
    many: bool = False
    attribute: str | None = None


_ACTION = (_Key("name", required=True, max_length=100),)
_RESOURCE = (_Key("name", required=True, max_length=250),)
_ACTION_RESOURCE = (_Key("action", nested=_ACTION), _Key("resource", nested=_RESOURCE))
_ROLE_BODY = (
    _Key("name", required=True, max_length=64),
    _Key("actions", nested=_ACTION_RESOURCE, many=True, attribute="permissions"),
)
_ROLE_NAME = (_Key("name", required=True, max_length=64),)
# UserSchema: the dump-only fields (active, dates, login counts) are unknown on load
_USER_BODY = (
    _Key("first_name", required=True, max_length=256),
    _Key("last_name", required=True, max_length=256),
    _Key("username", required=True, max_length=512),
    _Key("email", required=True, max_length=512),
    _Key("roles", nested=_ROLE_NAME, many=True),
    _Key("password", allow_none=True, max_length=256),
)


def _load_schema(data: Any, schema: Sequence[_Key]) -> tuple[JSON, dict[Any, Any]]:
    """``(loaded, errors)``; ``errors`` nests as marshmallow's messages (list items by index)."""
    if not isinstance(data, dict):
        return {}, {"_schema": ["Invalid input type."]}
    out: JSON = {}
    errors: dict[Any, Any] = {}
    for key in schema:
        if key.name not in data:
            if key.required:
                errors[key.name] = [_MISSING]
            continue
        value, error = _load_value(data[key.name], key)
        if error is not None:
            errors[key.name] = error
        else:
            out[key.attribute or key.name] = value
    known = {key.name for key in schema}
    for name in data:
        if name not in known:
            errors[name] = [_UNKNOWN]
    return out, errors


def _load_value(value: Any, key: _Key) -> tuple[Any, Any]:
    if value is None:
        return (None, None) if key.allow_none else (None, ["Field may not be null."])
    if key.nested is None:
        if not isinstance(value, str):
            return None, ["Not a valid string."]
        if key.max_length is not None and len(value) > key.max_length:
            return None, [f"Longer than maximum length {key.max_length}."]
        return value, None
    if not key.many:
        loaded, errors = _load_schema(value, key.nested)
        return (loaded, None) if not errors else (None, errors)
    if not isinstance(value, list):
        return None, ["Not a valid list."]
    items: list[JSON] = []
    by_index: dict[int, Any] = {}
    for index, item in enumerate(value):
        loaded, errors = _load_schema(item, key.nested)
        if errors:
            by_index[index] = errors
        items.append(loaded)
    return (items, None) if not by_index else (None, by_index)


def _load(body: Any, schema: Sequence[_Key]) -> JSON:
    loaded, errors = _load_schema(body, schema)
    if errors:
        raise _bad_request(str(errors))
    return loaded


def _permission_pairs(items: Iterable[JSON]) -> list[tuple[str, str]]:
    """``(action, resource)`` of each non-empty item. The real server fails with a 500 on an item
    that lacks one of them (a KeyError); a request the spec refuses, answered as its check would."""
    pairs = []
    for index, item in enumerate(items):
        if not item:  # the server skips empty items
            continue
        for part in ("action", "resource"):
            if part not in item:
                raise _bad_request(f"{part!r} is a required property - 'actions.{index}'")
        pairs.append((item["action"]["name"], item["resource"]["name"]))
    return pairs


class SecurityMixin(FakeAirflowState):
    """Users, roles and the permission catalogue of the FAB auth manager."""

    def __init__(self, *, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(now=now)
        catalogue = _catalogue()
        self._actions: list[str] = list(catalogue["actions"])
        self._resources: list[str] = list(catalogue["resources"])
        self._roles: dict[str, _Role] = {}
        self._users: dict[int, _User] = {}
        self._role_ids = 0
        self._user_ids = 0
        for role in catalogue["roles"]:
            self._new_role(
                role["name"], [(p["action"]["name"], p["resource"]["name"]) for p in role["actions"]]
            )
        admin = catalogue["admin"]
        self.add_user(
            admin["username"],
            email=admin["email"],
            first_name=admin["first_name"],
            last_name=admin["last_name"],
            roles=admin["roles"],
            password=admin["username"],
        )

    # --- seeding and read access ----------------------------------------------------------------

    @property
    @_locked
    def users(self) -> dict[str, JSON]:
        """Every user as the API shows it, by username."""
        return {user.username: self._user_json(user) for user in self._users.values()}

    @property
    @_locked
    def roles(self) -> dict[str, JSON]:
        """Every role as the API shows it, by name."""
        return {role.name: self._role_json(role) for role in self._roles.values()}

    @_locked
    def add_user(
        self,
        username: str,
        *,
        email: str | None = None,
        first_name: str = "",
        last_name: str = "",
        roles: Iterable[str] | None = None,
        password: str | None = None,
    ) -> JSON:
        """A user, as ``airflow users create`` makes one (``roles`` None: the registration role,
        Public). The email defaults to ``<username>@example.com``."""
        if self._user(username) is not None:
            raise ValueError(f"a user {username!r} exists already")
        names = list(roles) if roles is not None else [_catalogue()["registration_role"]]
        missing = [name for name in names if name not in self._roles]
        if missing:
            raise ValueError(f"unknown roles: {missing}")
        now = self.now()
        self._user_ids += 1
        user = _User(
            id=self._user_ids,
            username=username,
            email=email if email is not None else f"{username}@example.com",
            first_name=first_name,
            last_name=last_name,
            roles=[self._roles[name] for name in names],
            password=None if password is None else _digest(password),
            created_on=now,
            changed_on=now,
        )
        self._users[user.id] = user
        return self._user_json(user)

    @_locked
    def add_role(self, name: str, actions: Iterable[tuple[str, str]] = ()) -> JSON:
        """A role granted ``(action, resource)`` pairs (the resources need not exist here)."""
        if name in self._roles:
            raise ValueError(f"a role {name!r} exists already")
        return self._role_json(self._new_role(name, list(actions)))

    @_locked
    def use_admin(self, username: str, password: str) -> None:
        """Make the first user (the admin ``airflow users create`` made) ``username`` with
        ``password``, as the credentials a client sends; an ``Oracle`` built with ``auth`` does it."""
        admin = min(self._users.values(), key=lambda u: u.id, default=None)
        if admin is None:
            self.add_user(username, roles=["Admin"], password=password)
            return
        if admin.username != username:
            other = self._user(username)
            if other is not None and other is not admin:
                raise ValueError(f"a user {username!r} exists already")
            if admin.email == f"{admin.username}@example.com":
                admin.email = f"{username}@example.com"
            admin.username = username
        admin.password = _digest(password)

    @_locked
    def log_in(self, username: str | None = None, password: str | None = None) -> bool:
        """What the basic_auth backend does for a request's credentials: the user (found by
        username, else by email) must be active and the password match; a success counts a login
        and stamps ``last_login``, a wrong password counts a failed login. With no ``username``
        (an oracle without auth), the request is taken as the admin's."""
        if username is None:
            admin = min(self._users.values(), key=lambda u: u.id, default=None)
            if admin is not None:
                self._count_login(admin, success=True)
            return True
        user = self._user(username) or next((u for u in self._users.values() if u.email == username), None)
        if user is None or not user.active:
            return False
        ok = (
            password is not None
            and user.password is not None
            and hmac.compare_digest(user.password, _digest(password))
        )
        self._count_login(user, success=ok)
        return ok

    # --- helpers ------------------------------------------------------------------------------------

    def _count_login(self, user: _User, *, success: bool) -> None:
        """FAB's ``update_user_auth_stat``."""
        user.login_count = user.login_count or 0
        user.fail_login_count = user.fail_login_count or 0
        if success:
            user.login_count += 1
            user.last_login = self.now()
            user.fail_login_count = 0
        else:
            user.fail_login_count += 1

    def _new_role(self, name: str, permissions: list[tuple[str, str]]) -> _Role:
        self._role_ids += 1
        role = _Role(self._role_ids, name)
        self._grant(role, permissions)
        self._roles[name] = role
        return role

    @staticmethod
    def _grant(role: _Role, permissions: Iterable[tuple[str, str]]) -> None:
        """``bulk_sync_roles``: adds what the role lacks, removes nothing."""
        for pair in permissions:
            if pair not in role.permissions:
                role.permissions.append(pair)

    def _user(self, username: str) -> _User | None:
        """FAB's ``find_user(username=...)``: without regard to case."""
        wanted = username.lower()
        return next((u for u in self._users.values() if u.username.lower() == wanted), None)

    def _resource_names(self) -> set[str]:
        """The resources: the captured ones, and each DAG's ``DAG:<id>`` and ``DAG Run:<id>``."""
        names = set(self._resources)
        for dag_id in self.dags:
            names.update((f"DAG:{dag_id}", f"DAG Run:{dag_id}"))
        return names

    def _check_permissions(self, pairs: Iterable[tuple[str, str]]) -> None:
        resources_ = self._resource_names()
        for action, resource in pairs:
            if action not in self._actions:
                raise _bad_request(f"The specified action: {action!r} was not found")
            if resource not in resources_:
                raise _bad_request(f"The specified resource: {resource!r} was not found")

    def _roles_named(self, items: Iterable[JSON]) -> list[_Role]:
        names = [item["name"] for item in items]
        missing = [name for name in names if name not in self._roles]
        if missing:
            raise _bad_request(f"Unknown roles: {', '.join(repr(n) for n in missing)}")
        return [self._roles[name] for name in names]

    @staticmethod
    def _role_json(role: _Role) -> JSON:
        return {
            "actions": [
                {"action": {"name": action}, "resource": {"name": resource}}
                for action, resource in role.permissions
            ],
            "name": role.name,
        }

    @staticmethod
    def _user_json(user: _User) -> JSON:
        return {
            "active": user.active,
            "changed_on": _naive(user.changed_on),
            "created_on": _naive(user.created_on),
            "email": user.email,
            "fail_login_count": user.fail_login_count,
            "first_name": user.first_name,
            "last_login": _naive(user.last_login),
            "last_name": user.last_name,
            "login_count": user.login_count,
            "roles": [{"name": role.name} for role in user.roles],
            "username": user.username,
        }

    def _role_or_404(self, name: str) -> _Role:
        role = self._roles.get(name)
        if role is None:
            raise _not_found("Role not found", f"Role with name {name!r} was not found")
        return role

    def _user_or_404(self, username: str) -> _User:
        user = self._user(username)
        if user is None:
            raise _not_found("User not found", f"The User with username `{username}` was not found")
        return user

    @staticmethod
    def _check_order_by(order_by: str, allowed: Sequence[str]) -> None:
        """The provider's own check: the value as sent, so a descending ``-name`` is refused too."""
        if order_by not in allowed:
            raise _bad_request(
                f"Ordering with '{order_by}' is disallowed or the attribute does not exist on the model"
            )

    # --- operations: permissions and roles ----------------------------------------------------------

    def _op_get_permissions(self, call: Call) -> Reply:
        limit, offset = _check_limit(call.query), _offset(call.query)
        return 200, {
            "actions": [{"name": name} for name in _page(self._actions, offset, limit)],
            "total_entries": len(self._actions),
        }

    def _op_get_roles(self, call: Call) -> Reply:
        limit, offset = _check_limit(call.query), _offset(call.query)
        order_by = call.query.get("order_by", "name")
        self._check_order_by(order_by, ("role_id", "name"))
        roles = sorted(self._roles.values(), key=lambda r: r.id if order_by == "role_id" else r.name)
        return 200, {
            "roles": [self._role_json(role) for role in _page(roles, offset, limit)],
            "total_entries": len(roles),
        }

    def _op_get_role(self, call: Call) -> Reply:
        return 200, self._role_json(self._role_or_404(call.path["role_name"]))

    def _op_post_role(self, call: Call) -> Reply:
        data = _load(call.body, _ROLE_BODY)
        name = data["name"]
        if name in self._roles:
            raise _conflict(f"Role with name {name!r} already exists; please update with the PATCH endpoint")
        if "permissions" not in data:  # the server fails on the missing key (a KeyError)
            raise _server_error()
        pairs = _permission_pairs(data["permissions"])
        self._check_permissions(pairs)
        self._new_role(name, pairs)
        return 200, {}  # the server dumps the role it looked up before creating it: none

    def _op_patch_role(self, call: Call) -> Reply:
        data = _load(call.body, _ROLE_BODY)
        role = self._role_or_404(call.path["role_name"])
        mask = _mask(call.query)
        if mask:
            masked: JSON = {}
            for name in (m.strip() for m in mask):
                if name in data and name != "permissions":
                    masked[name] = data[name]
                elif name == "actions":
                    if "permissions" not in data:  # the server fails on the missing key
                        raise _server_error()
                    masked["permissions"] = data["permissions"]
                else:
                    raise _bad_request(f"'{name}' in update_mask is unknown")
            data = masked
        if "permissions" in data:
            pairs = _permission_pairs(data["permissions"])
            self._check_permissions(pairs)
            self._grant(role, pairs)
        new_name = data.get("name")
        # a name in use fails the update, which the server logs and ignores
        if new_name is not None and new_name != role.name and new_name not in self._roles:
            self._roles = {(new_name if key == role.name else key): r for key, r in self._roles.items()}
            role.name = new_name
        return 200, self._role_json(role)

    def _op_delete_role(self, call: Call) -> Reply:
        role = self._role_or_404(call.path["role_name"])
        del self._roles[role.name]
        for user in self._users.values():
            user.roles = [r for r in user.roles if r is not role]
        return 204, None

    # --- operations: users ----------------------------------------------------------------------

    def _op_get_users(self, call: Call) -> Reply:
        limit, offset = _check_limit(call.query), _offset(call.query)
        order_by = call.query.get("order_by", "id")
        self._check_order_by(
            order_by, ("id", "first_name", "last_name", "user_name", "email", "is_active", "role")
        )
        if order_by in ("user_name", "is_active", "role"):  # allowed, but no such column: a 500
            raise _server_error()
        users = sorted(self._users.values(), key=lambda u: (getattr(u, order_by), u.id))
        return 200, {
            "total_entries": len(users),
            "users": [self._user_json(user) for user in _page(users, offset, limit)],
        }

    def _op_get_user(self, call: Call) -> Reply:
        return 200, self._user_json(self._user_or_404(call.path["username"]))

    def _op_post_user(self, call: Call) -> Reply:
        data = _load(call.body, _USER_BODY)
        username, email = data["username"], data["email"]
        if self._user(username) is not None:
            raise _conflict(f"Username `{username}` already exists. Use PATCH to update.")
        if any(u.email == email for u in self._users.values()):
            raise _conflict(f"The email `{email}` is already taken.")
        roles = self._roles_named(data.get("roles") or ())
        return 200, self.add_user(
            username,
            email=email,
            first_name=data["first_name"],
            last_name=data["last_name"],
            roles=[r.name for r in roles] or None,  # none: the registration role
            password=data.get("password") or None,  # empty: basic auth never sends one
        )

    def _op_patch_user(self, call: Call) -> Reply:
        data = _load(call.body, _USER_BODY)
        username = call.path["username"]
        user = self._user_or_404(username)
        new_username = data.get("username")
        if new_username and new_username != username and self._user(new_username) is not None:
            raise _conflict(f"The username `{new_username}` already exists")
        email = data.get("email")
        if email and email != user.email and any(u.email == email for u in self._users.values()):
            raise _conflict(f"The email `{email}` already exists")
        mask = _mask(call.query)
        if mask is not None:
            names = [m.strip() for m in mask]
            unknown = [name for name in names if name not in data]
            if unknown:
                raise _bad_request(f"Unknown update masks: {', '.join(repr(n) for n in unknown)}")
            data = {name: data[name] for name in names}
        if "roles" in data:
            user.roles = self._roles_named(data.pop("roles"))
        if "password" in data:
            password = data.pop("password")
            user.password = _digest(password) if password else None
        for name, value in data.items():
            setattr(user, name, value)
        return 200, self._user_json(user)

    def _op_delete_user(self, call: Call) -> Reply:
        # The caller may delete itself, as on the real server (its next request is then refused).
        user = self._user_or_404(call.path["username"])
        del self._users[user.id]
        return 204, None
