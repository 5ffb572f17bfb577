"""The oracle: every request routed, parsed and validated against the corrected spec, answered by
a canned response or the stateful fake, and every response validated before it leaves.

A request the real server would refuse is answered as it would answer (same status, same Problem
JSON) and recorded as a violation; a response the spec does not allow is recorded too. A canned
response is checked when it is registered, so no test can fake an answer Airflow could never send.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from airflow_rest_v1._facts import WEBSERVER

from ._spec import ABOUT_BLANK, NOT_FOUND_DETAIL, Operation, Spec, Violation
from .fake import Call, FakeAirflow, Text

__all__ = ["Exchange", "Oracle", "SpecViolationError"]

DEFAULT_BASE_URL = "http://airflow.test"
JSON_TYPE = "application/json"
PROBLEM_TYPE = "application/problem+json"
HTML_TYPE = "text/html; charset=utf-8"
HTML_TYPE_BARE = "text/html"  # gunicorn's own pages name no charset
# views without Airflow's access checks: they answer without credentials
PUBLIC_OPERATIONS = frozenset({"get_health", "get_version"})


class SpecViolationError(AssertionError):
    """Something that breaks the spec: a canned response Airflow could never send, or violations
    left unexamined when a strict fixture ends."""

    def __init__(self, message: str, violations: Iterable[Violation]) -> None:
        self.violations = list(violations)
        super().__init__(message + "".join(f"\n  - {v}" for v in self.violations))


@dataclass(frozen=True)
class Exchange:
    """One request the oracle answered: what came in, what went out, what broke the spec."""

    method: str
    path: str  # the request target as sent: path (with any prefix of the base URL) and query
    status: int
    operation: str  # operationId, "" when nothing matched
    violations: tuple[Violation, ...]


@dataclass
class _Canned:
    operation: Operation
    path_params: dict[str, str]
    status: int
    body: Any
    remaining: int | None  # None: every time


class Oracle:
    """A spec-checked, stateful fake Airflow 2.x REST API v1 at ``base_url``.

    The fake's state and seeding helpers (``add_dag``, ``add_variable``, ``trigger``, ``dags``,
    ``variables``...) are reachable directly on the oracle. ``auth`` = ``(username, password)``
    makes it insist on HTTP Basic credentials as Airflow's basic_auth backend does (403 otherwise):
    the fake's admin user gets that name and password, and any active user of the fake whose
    password matches is let in (each login counted on the user; roles grant no less).
    As there, the check belongs to the view: routing (404, 405) and request validation (400) come
    first, and ``/health`` and ``/version`` need no credentials.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        fake: FakeAirflow | None = None,
        auth: tuple[str, str] | None = None,
        spec: Spec | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._prefix = parts.path.rstrip("/") + "/api/v1"
        self.spec = spec or Spec.load()
        self.fake = fake if fake is not None else FakeAirflow()
        self._auth = None if auth is None else _basic(*auth)
        if auth is not None:
            self.fake.use_admin(*auth)
        self.violations: list[Violation] = []
        self.exchanges: list[Exchange] = []
        self._canned: list[_Canned] = []
        self._lock = threading.RLock()

    # -- what tests use -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The webserver root to give a client (``AirflowClient(oracle.url)``)."""
        return self.base_url

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v1"

    def take_violations(self) -> list[Violation]:
        """The violations recorded so far, forgetting them (a strict fixture then ends clean)."""
        with self._lock:
            taken, self.violations = self.violations, []
            return taken

    def assert_no_violations(self) -> None:
        if self.violations:
            raise SpecViolationError(
                f"{len(self.violations)} request(s) or response(s) broke the spec:", self.violations
            )

    def respond(
        self, method: str, path: str, *, status: int = 200, json: Any = None, times: int | None = 1
    ) -> None:
        """Answer the next ``times`` requests (None: all) to ``method path`` (relative to /api/v1,
        e.g. ``/dags/etl``) with ``status`` and ``json`` instead of the fake's state. Refused at once
        with ``SpecViolationError`` if the spec does not allow that answer for that operation."""
        match = self.spec.match(method.upper(), _api_relative(path))
        if match.operation is None:
            raise SpecViolationError(
                f"no operation of the spec answers {method.upper()} {path} (HTTP {match.status})",
                [match.violation] if match.violation is not None else [],
            )
        content_type = PROBLEM_TYPE if status >= 400 else JSON_TYPE
        found = self.spec.check_response(
            match.operation, status, json, content_type if json is not None else None
        )
        if found:
            raise SpecViolationError(
                f"Airflow could not answer {method.upper()} {path} with {status} and that body:", found
            )
        with self._lock:
            self._canned.append(_Canned(match.operation, dict(match.path_params), status, json, times))

    def __getattr__(self, name: str) -> Any:
        # the fake's seeding helpers and state (add_dag, trigger, dags, variables...)
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.fake, name)

    # -- answering --------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer an httpx request (a pytest-httpx callback, or ``httpx.MockTransport(oracle.handle)``)."""
        target = request.url.raw_path.decode("ascii")
        status, headers, content = self.handle_raw(
            request.method, target, dict(request.headers), request.read()
        )
        return httpx.Response(status, headers=headers, content=content)

    def transport(self) -> httpx.MockTransport:
        """An httpx transport (sync and async) answered by this oracle, for clients built by hand."""
        return httpx.MockTransport(self.handle)

    def handle_raw(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request: ``target`` is the path and query as sent (still encoded)."""
        with self._lock:
            return self._handle(method.upper(), target, {k.lower(): v for k, v in headers.items()}, body)

    def _handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        # the web server in front of Airflow refuses a long request line before Airflow sees it
        line = len(f"{method} {target} HTTP/1.1".encode())
        limit = int(WEBSERVER["request_line_limit"])
        if line > limit:
            page = _URI_TOO_LONG.format(size=line, limit=limit)
            return self._finish(method, target, "", 414, Text(page, HTML_TYPE_BARE), [])
        raw_path, _, query = target.partition("?")
        if not (raw_path == self._prefix or raw_path.startswith(self._prefix + "/")):
            return self._finish(method, target, "", 404, _not_found(self.spec), [], problem=True)
        match = self.spec.match(method, raw_path[len(self._prefix) :] or "/")
        op = match.operation
        if op is None:
            found = [match.violation] if match.violation is not None else []
            if match.options:
                allow = {"Allow": match.allow_header, "Content-Type": HTML_TYPE}  # Flask's own OPTIONS
                return self._finish(method, target, "", 200, None, [], extra=allow)
            if match.redirect is not None:
                location = self._prefix + match.redirect
                return self._finish(method, target, "", 308, None, [], extra={"Location": location})
            answer = self.spec.request_problem(found)
            status, problem_body = answer if answer is not None else (match.status, _not_found(self.spec))
            return self._finish(method, target, "", status, problem_body, found, problem=True)
        pairs = parse_qsl(query, keep_blank_values=True)
        parsed, found = self.spec.parse_request(
            op, match.path_params, pairs, body or None, headers.get("content-type"), headers
        )
        if found:
            answer = self.spec.request_problem(found)
            assert answer is not None
            return self._finish(method, target, op.operation_id, answer[0], answer[1], found, problem=True)
        if op.operation_id not in PUBLIC_OPERATIONS and not self._log_in(headers.get("authorization")):
            body_403 = self.spec.problem(403, "Forbidden", None)
            return self._finish(method, target, op.operation_id, 403, body_403, [], problem=True)
        canned = self._take_canned(op, match.path_params)
        if canned is not None:
            return self._finish(method, target, op.operation_id, canned.status, canned.body, [])
        call = Call(dict(parsed.path), dict(parsed.query), parsed.body, dict(headers), pairs)
        status, reply = self.fake.handle(op.operation_id, call)
        if isinstance(reply, Text):
            found = self.spec.check_response(op, status, reply.content, reply.content_type)
        else:
            content_type = PROBLEM_TYPE if status >= 400 else JSON_TYPE
            found = self.spec.check_response(op, status, reply, content_type if reply is not None else None)
        if status == 400:
            sent = [name for name in parsed.query if name not in parsed.defaulted]
            found.insert(0, _refused(op, sent, reply))
        return self._finish(method, target, op.operation_id, status, reply, found, problem=status >= 400)

    def _log_in(self, authorization: str | None) -> bool:
        """The fake's users decide, as with Airflow's basic_auth backend; without ``auth``, every
        request is the admin's."""
        if self._auth is None:
            return self.fake.log_in()
        credentials = _credentials(authorization)
        return credentials is not None and self.fake.log_in(*credentials)

    def _take_canned(self, op: Operation, path_params: Mapping[str, str]) -> _Canned | None:
        for canned in self._canned:
            if canned.operation is op and canned.path_params == dict(path_params):
                if canned.remaining is not None:
                    canned.remaining -= 1
                    if canned.remaining <= 0:
                        self._canned.remove(canned)
                return canned
        return None

    def _no_content_type(self, operation_id: str) -> str:
        """What a 204 says it is: the media type the spec declares for it (a bare Flask response
        says text/html, connexion's NoContent application/json), with Flask's charset for text."""
        op = self.spec.operations.get(operation_id)
        media = ((op.response_media_types.get(204) if op else None) or (JSON_TYPE,))[0]
        return f"{media}; charset=utf-8" if media.startswith("text/") else media

    def _finish(
        self,
        method: str,
        target: str,
        operation: str,
        status: int,
        body: Any,
        found: list[Violation],
        *,
        problem: bool = False,
        extra: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        self.violations.extend(found)
        self.exchanges.append(Exchange(method, target, status, operation, tuple(found)))
        headers = dict(extra or {})
        content = b""
        if status == 204:
            headers["Content-Type"] = self._no_content_type(operation)
        elif isinstance(body, Text):  # sent as it is, with its own content type
            headers["Content-Type"] = body.content_type
            content = body.content.encode()
        elif body is not None:
            headers["Content-Type"] = PROBLEM_TYPE if problem else JSON_TYPE
            content = json.dumps(body).encode()
        # HEAD: what GET would answer, headers only
        return status, headers, b"" if method == "HEAD" else content


# gunicorn's page for a request line over limit_request_line (spec/v1/facts.yaml: webserver)
_URI_TOO_LONG = (
    "<html>\n  <head>\n    <title>URI Too Long</title>\n  </head>\n  <body>\n"
    "    <h1><p>URI Too Long</p></h1>\n    Request Line is too large ({size} &gt; {limit})\n"
    "  </body>\n</html>\n"
)


def _refused(op: Operation, sent: Iterable[str], reply: Any) -> Violation:
    """A request the spec's schemas allow but the server refuses (Airflow's own checks: an
    update_mask field it will not update, a bad order_by, a pool that cannot be deleted...).

    It is blamed on a query parameter that was sent when the message names it (``update_mask`` or
    "update mask"), or else when the first word of exactly one such name starts a word of the
    message ("Ordering with 'x'..." for order_by, "can be updated" for update_mask); otherwise on
    the body, or the request as a whole."""
    detail = reply.get("detail") if isinstance(reply, dict) else None
    title = reply.get("title") if isinstance(reply, dict) else None
    message = "; ".join(str(part) for part in (title, detail) if part) or "refused by the server"
    lowered = message.lower()
    names = set(sent)
    candidates = [p for p in op.parameters if p.location == "query" and p.name in names]
    named = [p for p in candidates if p.name in lowered or p.name.replace("_", " ") in lowered]
    if not named:
        stems = [p for p in candidates if re.search(rf"\b{re.escape(p.name.split('_')[0])}", lowered)]
        named = stems if len(stems) == 1 else []
    pointer, location = op.pointer, "request"
    if named:
        pointer, location = named[0].pointer, f"query.{named[0].name}"
    elif op.body_pointer is not None:
        pointer, location = op.body_pointer, "body"
    return Violation(
        side="request",
        operation=op.operation_id,
        where=op.where,
        pointer=pointer,
        location=location,
        message=f"Airflow refuses it: {message}",
        status=400,
        title=str(title) if title is not None else None,
        detail=str(detail) if detail is not None else None,
    )


def _api_relative(path: str) -> str:
    path = path if path.startswith("/") else "/" + path
    return path[len("/api/v1") :] if path.startswith("/api/v1/") else path


def _not_found(spec: Spec) -> dict[str, Any]:
    return spec.problem(404, "Not Found", NOT_FOUND_DETAIL, type=ABOUT_BLANK)


def _credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(username, password)`` of a Basic ``Authorization`` header; None without both."""
    import base64
    import binascii

    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, password) if username and password else None


def _basic(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
