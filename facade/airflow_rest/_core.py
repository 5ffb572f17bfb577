"""What the sync and async clients share: URL handling, options, request building, answer checking.

Everything here is pure or works on values handed to it; the clients only add the I/O loop.
"""

from __future__ import annotations

import gc
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from airflow_rest_v1.errors import UnexpectedStatus
from airflow_rest_v2.errors import UnexpectedStatus as UnexpectedStatusV2

from . import errors
from ._retry import RetryPolicy

T = TypeVar("T")
log = logging.getLogger("airflow_rest")

API_PATH = "/api/v1"
API_PATHS = ("/api/v1", "/api/v2")  # what a base_url must not end in: the clients add them
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_HEADERS = {"Accept": "application/json", "User-Agent": "airflow-rest"}
TimeoutTypes = float | httpx.Timeout | None
# JSONDecodeError is a ValueError; a body of the wrong shape fails the generated parsers with the
# others; a 2xx status the spec does not declare for the operation raises UnexpectedStatus.
errors_of_decoding = (ValueError, KeyError, TypeError, AttributeError, UnexpectedStatus, UnexpectedStatusV2)


def split_base_url(
    base_url: str | httpx.URL, api_path: str = API_PATH
) -> tuple[httpx.URL, tuple[str, str] | None]:
    """The API root (``base_url``, the webserver root with any path prefix, joined with ``api_path``
    and ``/``) and the credentials the URL carried as ``user:password@``, removed from it."""
    try:
        url = httpx.URL(str(base_url))
    except httpx.InvalidURL:
        raise ValueError("base_url is not a valid URL") from None
    credentials = None
    if url.userinfo:
        credentials = (url.username, url.password)
        url = url.copy_with(username=None, password=None)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"base_url must be an absolute http(s) URL of the Airflow webserver, got {str(url)!r}"
        )
    if url.query or url.fragment:
        raise ValueError("base_url must not carry a query or fragment")
    path = url.path.rstrip("/")
    for known in API_PATHS:
        if path.endswith(known):
            raise ValueError(
                f"base_url is the webserver root (the client adds {api_path}); "
                f"pass {str(url.copy_with(path=path[: -len(known)] or '/'))!r}"
            )
    return url.copy_with(path=path + api_path + "/"), credentials


class _RedactURLs(logging.Filter):
    """Hides credentials in the URLs httpx logs (``HTTP Request: GET <url>``) at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(errors.safe_url(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


_SECRET_HEADER = re.compile(
    r"""(\(b['"](?:set-cookie|cookie|authorization|proxy-authorization)['"], b)(['"])(?:\\.|(?!\2).)*\2""",
    re.IGNORECASE,
)
# httpcore logs each response's header list at DEBUG on these loggers (filters do not inherit).
HTTPCORE_LOGGERS = (
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.connection",
    "httpcore.proxy",
    "httpcore.socks",
)


class _RedactHeaders(logging.Filter):
    """Hides cookie and authorization header values in httpcore's DEBUG traces."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "b'" in message:
            hidden = _SECRET_HEADER.sub(r"\1\2***\2", message)
            if hidden != message:
                record.msg, record.args = hidden, ()
        return True


# botocore logs each request's parameters (botocore.endpoint) and each response body
# (botocore.parsers) at DEBUG: MWAA's web and CLI tokens and the bodies InvokeRestApi relays are there,
# and an environment's Airflow configuration options, which may hold secrets (get_environment's
# answer carries them under Environment; create_environment and update_environment send them).
BOTOCORE_LOGGERS = ("botocore.endpoint", "botocore.parsers")
_BOTOCORE_SECRETS = ("WebToken", "CliToken", "Body", "RestApiResponse")
_BOTOCORE_SECRET_VALUES = ("AirflowConfigurationOptions",)  # its option names stay, its values go


def _hide_in(document: object) -> object:
    """A parsed JSON document with the secret fields hidden at any depth: the value of each field
    in ``_BOTOCORE_SECRETS``, and each value of an object in ``_BOTOCORE_SECRET_VALUES``."""
    if isinstance(document, list):
        return [_hide_in(item) for item in document]
    if not isinstance(document, dict):
        return document
    hidden: dict[str, object] = {}
    for key, value in document.items():
        if key in _BOTOCORE_SECRETS:
            hidden[key] = "***"
        elif key in _BOTOCORE_SECRET_VALUES:
            hidden[key] = {name: "***" for name in value} if isinstance(value, dict) else "***"
        else:
            hidden[key] = _hide_in(value)
    return hidden


def _hide_fields(body: object) -> object:
    """A JSON object body (bytes or str) with the values of MWAA's secret fields hidden; a body that
    names one but cannot be read is hidden whole; anything else is returned as it is."""
    if not isinstance(body, bytes | str):
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not any(f'"{name}"' in text for name in (*_BOTOCORE_SECRETS, *_BOTOCORE_SECRET_VALUES)):
        return body
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    hidden = json.dumps(_hide_in(document)) if isinstance(document, dict) else "***"
    return hidden.encode() if isinstance(body, bytes) else hidden


def _hide_botocore_arg(arg: object) -> object:
    if isinstance(arg, dict) and "body" in arg:  # botocore.endpoint's request dict: copied, it is sent
        body = _hide_fields(arg["body"])
        return arg if body is arg["body"] else {**arg, "body": body}
    return _hide_fields(arg)


class _RedactBotocore(logging.Filter):
    """Hides MWAA's tokens, the bodies InvokeRestApi relays and Airflow configuration values in
    botocore's DEBUG records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_hide_botocore_arg(a) for a in record.args)
        return True


def _install(names: tuple[str, ...], kind: type[logging.Filter]) -> None:
    """Add a ``kind`` filter to each named logger that has none (filters do not inherit)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())


def redact_httpx_logs() -> None:
    """Install the filters on httpx's and httpcore's loggers once."""
    _install(("httpx",), _RedactURLs)
    _install(HTTPCORE_LOGGERS, _RedactHeaders)


def redact_botocore_logs() -> None:
    """Install the filter on the botocore loggers that print MWAA's secrets, once; called wherever a
    provider makes or uses a boto3 client."""
    _install(BOTOCORE_LOGGERS, _RedactBotocore)


def as_timeout(value: TimeoutTypes) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if value is None:
        return httpx.Timeout(None)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"timeout must be a positive number of seconds or an httpx.Timeout, got {value!r}")
    return httpx.Timeout(float(value))


class Options:
    """Per-client settings; ``with_options`` derives a client with some of them changed."""

    __slots__ = ("headers", "retry", "timeout", "timeout_ext")

    def __init__(
        self,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.timeout_ext = timeout.as_dict()
        self.retry = retry if retry is not None else RetryPolicy()
        self.headers: Mapping[str, str] = dict(headers or {})

    def derive(
        self,
        *,
        timeout: TimeoutTypes | object = ...,
        max_retries: int | None = None,
        retry_post: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Options:
        retry = self.retry
        if max_retries is not None or retry_post is not None:
            retry = retry.replace(max_retries=max_retries, retry_post=retry_post)
        return Options(
            timeout=self.timeout if timeout is ... else as_timeout(timeout),  # type: ignore[arg-type]
            retry=retry,
            headers={**self.headers, **(headers or {})},
        )


def build_request(
    api: str, headers: Mapping[str, str], request: Mapping[str, Any], options: Options
) -> httpx.Request:
    """An ``httpx.Request`` from a generated operation's ``_get_kwargs`` result.

    ``api`` is the API root (ending in ``/``, with any path prefix); ``headers`` the client's own,
    merged once per client. The URL is parsed once, where ``httpx.Client.build_request`` would parse
    it three times; the client keeps no cookie jar of its own (sessions belong to auth objects).
    """
    url = api + request["url"].lstrip("/")
    params = request.get("params")
    if params:
        url += "?" + str(httpx.QueryParams(params))
    extra = request.get("headers")
    return httpx.Request(
        request["method"],
        url,
        json=request.get("json"),
        data=request.get("data"),
        files=request.get("files"),
        content=request.get("content"),
        headers={**headers, **extra} if extra else headers,
        cookies=request.get("cookies"),
        extensions={"timeout": options.timeout_ext},
    )


def has_update_mask(request: Mapping[str, Any]) -> bool:
    """Whether a generated operation's request carries an update_mask (then a PATCH is idempotent)."""
    return "update_mask" in (request.get("params") or ())


def where(operation: str, request: httpx.Request) -> str:
    return f"{operation}: {request.method} {errors.safe_url(request.url)}"


def connection_error(
    operation: str, request: httpx.Request, exc: httpx.RequestError
) -> errors.APIConnectionError:
    url = errors.safe_url(request.url)
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__
        detail = str(exc).strip()
        if detail and detail.lower() not in ("timed out", "the read operation timed out"):
            kind = f"{kind}: {detail}"
        return errors.APITimeoutError(
            f"{where(operation, request)} timed out ({kind})", method=request.method, url=url
        )
    return errors.APIConnectionError(
        f"{where(operation, request)} failed: {type(exc).__name__}: {exc}", method=request.method, url=url
    )


def finish(response: httpx.Response, operation: str, parse: Callable[[httpx.Response], T]) -> T:
    """The parsed result of a 2xx answer; a typed error for anything else."""
    if not response.is_success or errors.is_login_page(response):
        raise errors.error_from_response(response, operation)
    # Decoding builds many objects and no cycles: pausing the cyclic collector meanwhile saves
    # its repeated scans of the growing tree (about a third of the time of a 1000-item page).
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return parse(response)
    except errors_of_decoding as exc:
        content_type = response.headers.get("content-type", "unknown")
        undeclared = isinstance(exc, UnexpectedStatus | UnexpectedStatusV2)  # its text carries the body
        if undeclared:
            cause = f"the spec declares no {response.status_code} answer for this operation"
        else:
            cause = f"{type(exc).__name__}: {exc}"
        raise errors.ResponseDecodeError(
            f"{where(operation, response.request)} -> {response.status_code} with a body that does not match "
            f"the spec ({content_type}, {len(response.content)} bytes): {cause}",
            response=response,
        ) from (None if undeclared else exc)
    finally:
        if collecting:
            gc.enable()
