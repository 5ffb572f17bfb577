"""One tree of errors for everything the client raises.

``AirflowError``
  ``APIStatusError`` (the server answered with an error status; ``status_code``, ``method``,
  ``url``, ``title``/``detail``/``type``/``instance`` from Airflow 2's Problem JSON or Airflow 3's
  ``{"detail": ...}``, ``body`` (the parsed JSON), ``text``, ``response``)
    ``BadRequestError`` 400 (``UnprocessableEntityError`` 422: Airflow 3's validation errors, each
    in ``errors`` with its ``loc``), ``AuthenticationError`` 401 or a login page,
    ``PermissionDeniedError`` 403, ``NotFoundError`` 404, ``ConflictError`` 409,
    ``RateLimitError`` 429, ``ServerError`` 5xx
  ``APIConnectionError`` (no answer) -> ``APITimeoutError``
  ``ResponseDecodeError`` (a 2xx body that is not what the spec says)
  ``PaginationError`` (a collection changed under a pager that was asked to be strict)
  ``WaitTimeoutError`` (a DAG run still running when ``wait_for_dag_run`` gave up)
  ``LoginError`` (a provider's login flow failed: no token, no session, or the session refused twice)
  ``CommandError`` (a remote CLI command could not be run, or ran and failed)
  ``ResponseTooLargeError`` (a provider relay refused an answer over its size limit)

Bad arguments are refused before any request with ``ValueError`` or ``TypeError``; a naive
datetime with ``NaiveDatetimeError`` (a ``ValueError``); a CLI command the provider does not
support with ``UnsupportedCommandError`` (a ``ValueError``).

Messages and reprs never carry credentials: URLs are shown without user info and with the
values of secret-looking query parameters replaced.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from airflow_rest_v1.types import NaiveDatetimeError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AirflowError",
    "AuthenticationError",
    "BadRequestError",
    "CommandError",
    "ConflictError",
    "LoginError",
    "NaiveDatetimeError",
    "NotFoundError",
    "PaginationError",
    "PaginationWarning",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ServerError",
    "UnprocessableEntityError",
    "UnsupportedCommandError",
    "WaitTimeoutError",
    "safe_url",
]

_SECRET_PARAMS = (
    "token",
    "password",
    "passwd",
    "secret",
    "key",
    "signature",
    "session",
    "auth",
    "credential",
)
_TEXT_LIMIT = 500


def safe_url(url: httpx.URL | str) -> str:
    """The URL without user info, with the values of secret-looking query parameters hidden."""
    import httpx

    parsed = httpx.URL(str(url))
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    if parsed.query:
        params = [
            (k, "***" if any(s in k.lower() for s in _SECRET_PARAMS) else v)
            for k, v in parsed.params.multi_items()
        ]
        parsed = parsed.copy_with(params=params)
    return str(parsed)


class AirflowError(Exception):
    """Base class of every error raised by airflow_rest."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class APIConnectionError(AirflowError):
    """The request got no HTTP answer (connection refused or reset, DNS, TLS...)."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class ResponseDecodeError(AirflowError):
    """A successful answer whose body is not what the spec says (not JSON, truncated, wrong shape)."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code


class PaginationError(AirflowError):
    """A paged collection changed while a strict pager walked it, so items may be missing or repeated."""


class WaitTimeoutError(AirflowError):
    """A DAG run did not finish within the time given to ``wait_for_dag_run``."""

    def __init__(self, message: str, *, last_state: str | None) -> None:
        super().__init__(message)
        self.last_state = last_state


class LoginError(AirflowError):
    """A provider's login flow failed: the token could not be had, the login answer carried no
    session, or a fresh session was refused as well. ``provider`` names the flow."""

    def __init__(self, message: str, *, provider: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code


class CommandError(AirflowError):
    """A remote CLI command could not be run (``status_code`` is the HTTP status then), or ran and
    reported failure. ``stdout`` and ``stderr`` hold what it printed, when known."""

    def __init__(
        self,
        message: str,
        *,
        command: str,
        status_code: int | None = None,
        stdout: str = "",
        stderr: str = "",
    ) -> None:
        super().__init__(message)
        self.command = command
        self.status_code = status_code
        self.stdout = stdout
        self.stderr = stderr


class UnsupportedCommandError(ValueError):
    """A CLI command the provider does not run, refused before any request; ``supported`` lists
    the commands it does."""

    def __init__(self, message: str, *, supported: tuple[str, ...]) -> None:
        super().__init__(message)
        self.supported = supported


class ResponseTooLargeError(AirflowError):
    """A provider relay (MWAA InvokeRestApi: 6 MB) refused an answer larger than its limit."""

    def __init__(self, message: str, *, limit_bytes: int) -> None:
        super().__init__(message)
        self.limit_bytes = limit_bytes


class PaginationWarning(UserWarning):
    """A paged collection changed while a pager walked it, so items may be missing or repeated."""


class APIStatusError(AirflowError):
    """The server answered with an error status. The original response is ``response``."""

    def __init__(self, message: str, *, response: httpx.Response, problem: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.method = response.request.method
        self.url = safe_url(response.request.url)
        self.body: dict[str, Any] | None = problem
        problem = problem or {}
        self.title: str | None = _str_or_none(problem.get("title"))
        self.detail: str | None = detail_text(problem.get("detail"))
        self.type: str | None = _str_or_none(problem.get("type"))
        self.instance: str | None = _str_or_none(problem.get("instance"))
        self.text = response.text


class BadRequestError(APIStatusError):
    """400: the server refused the request (parameters, body, update_mask)."""


class UnprocessableEntityError(BadRequestError):
    """422: Airflow 3 refused a parameter or the body; ``errors`` lists each problem as the server
    sent it (``type``, ``loc`` such as ``["query", "limit"]``, ``msg``, ``input``)."""

    def __init__(self, message: str, *, response: httpx.Response, problem: dict[str, Any] | None) -> None:
        super().__init__(message, response=response, problem=problem)
        detail = (problem or {}).get("detail")
        self.errors: list[dict[str, Any]] = (
            [e for e in detail if isinstance(e, dict)] if isinstance(detail, list) else []
        )


class AuthenticationError(APIStatusError):
    """401, or a login page where JSON was expected: the credentials or the session are not accepted."""


class PermissionDeniedError(APIStatusError):
    """403: wrong credentials (Airflow 2 answers 403, not 401) or not allowed."""


class NotFoundError(APIStatusError):
    """404: no such resource."""


class ConflictError(APIStatusError):
    """409: the resource exists already."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class ServerError(APIStatusError):
    """5xx: the server failed."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _location(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc") or ()) or "request"


def detail_text(detail: object) -> str | None:
    """The ``detail`` of an error answer as one line: Airflow 2's string, Airflow 3's string, its
    validation errors (``query.limit: Input should be a valid integer``) or its 409 object (the
    database's message)."""
    if detail is None or isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = [f"{_location(e)}: {e.get('msg', '')}" if isinstance(e, dict) else str(e) for e in detail]
        return "; ".join(parts)
    if isinstance(detail, dict):
        text = detail.get("message") or detail.get("reason") or json.dumps(detail, sort_keys=True)
        return shorten(str(text))
    return str(detail)


def shorten(text: str) -> str:
    """``text`` on one line, cut to a length fit for an error message."""
    text = " ".join(text.split())
    return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT] + "..."


def problem_of(response: httpx.Response) -> dict[str, Any] | None:
    """Airflow's Problem JSON (RFC 7807) of an error response, if it is one."""
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def is_login_page(response: httpx.Response) -> bool:
    """A redirect to, or the HTML of, a login page: what a web session that expired gets."""
    if response.is_redirect:
        # a login page is a path segment (".../login/?next=..."), not a prefix that merely says login
        path = str(response.headers.get("location", "")).split("?", 1)[0].lower().rstrip("/")
        return path.rsplit("/", 1)[-1].startswith("login")
    content_type = response.headers.get("content-type", "")
    if "html" not in content_type:
        return False
    head = response.text[:20000].lower()
    return "<form" in head and ("password" in head or "login" in head)


def error_from_response(response: httpx.Response, operation: str) -> APIStatusError:
    """The typed error for an error (or login-page) response of ``operation``."""
    problem = problem_of(response)
    status = response.status_code
    where = f"{operation}: {response.request.method} {safe_url(response.request.url)}"
    if is_login_page(response):
        cls: type[APIStatusError] = AuthenticationError
        summary = f"answered {status} with a login page instead of JSON: session or credentials not accepted"
    else:
        cls = _BY_STATUS.get(status, ServerError if status >= 500 else APIStatusError)
        if problem is not None and (problem.get("title") or problem.get("detail")):
            title = problem.get("title") or response.reason_phrase or ""
            detail = detail_text(problem.get("detail"))
            summary = f"{status} {title}" + (f": {detail}" if detail not in (None, "") else "")
        else:
            reason = response.reason_phrase or ""
            text = shorten(response.text) if response.content else "(empty body)"
            summary = f"{status} {reason}: {text}"
    return cls(f"{where} -> {summary}", response=response, problem=problem)
