"""AWS MWAA's ``InvokeRestApi`` as an httpx transport: every operation of the client, relayed by AWS.

    from airflow_rest.providers import mwaa

    with mwaa.invoke_client("MyEnvironment", region_name="eu-west-1") as client:
        dags = client.dag.get_dags(limit=50)

MWAA can run Airflow REST API calls for a caller that has AWS credentials and the IAM permission
``airflow:InvokeRestApi`` (boto3 ``mwaa.invoke_rest_api``; Airflow 2.4.3 or later). The transports
here turn each request the client builds into one such call and its reply back into an HTTP
response, so operations, paging, updates, retries and typed errors work unchanged. The base URL of
the client only carries paths: :func:`invoke_client` uses ``https://<name>.invoke-rest-api.mwaa.invalid``,
a host that never resolves. :func:`invoke_client` gives an ``AirflowClient`` (``/api/v1``) on
Airflow 2 and an ``Airflow3Client`` (``/api/v2``) on Airflow 3: ``airflow_version`` as given, else
from ``get_environment`` (asked once, before the client is made).

Request: ``Method`` is the request's method (GET, PUT, POST, PATCH or DELETE; others are refused).
``Path`` is the URL path after its ``/api/v1`` or ``/api/v2`` segment (on Airflow 3 the relay's
``Path`` is relative to ``/api/v2``), each segment decoded and re-encoded in its
shortest RFC 3986 form (``manual__2024-01-01T00:00:00+00:00`` stays as written, a ``/`` inside a
key stays ``%2F``), so the relay gets the path a browser would send and the 64-character limit of
``Path`` is spent on as little as possible. ``QueryParameters`` is a JSON object of the query
string's values as strings (as they are on the wire: ``limit=5`` is ``"5"``, ``only_active=true``
is ``"true"``); a key given more than once (``tags=a&tags=b``) becomes a list of its values in
order, so nothing is lost. ``Body`` is the parsed JSON body. Either is left out when the request
has none (a body of ``{}`` is sent: Airflow tells an empty object from no body). A body that is not
JSON, or a URL with no ``/api/v1`` or ``/api/v2`` segment, is refused with ``ValueError`` before any
call: InvokeRestApi can carry nothing else, and no operation of the API sends anything else.
Headers, cookies and the client's ``auth`` are not relayed (AWS authenticates the call with IAM),
nor is the client's timeout: botocore's own timeouts and the relay's limit apply.

Reply: a success becomes ``RestApiStatusCode`` with ``RestApiResponse`` as its JSON body (no body
when there is none, as for 204). ``RestApiClientException`` and ``RestApiServerException`` carry
Airflow's own status and body, which become the response, so the client raises ``NotFoundError``,
``ConflictError``, ``ServerError``... with Airflow's own error (Airflow 2's Problem JSON, Airflow
3's ``{"detail": ...}``). MWAA's own errors
(``AccessDeniedException``, ``ResourceNotFoundException`` of the environment, ``ValidationException``,
``InternalServerException``, throttling) become a response with the HTTP status AWS answered
(throttling: 429, which is retried) and a Problem JSON body whose title names the AWS error code
and whose detail carries its message, with a hint for the usual causes (the IAM permission, the
environment name and region). botocore's connection errors are raised as the matching httpx
transport errors (``ConnectTimeoutError`` as ``httpx.ConnectTimeout``, ``ReadTimeoutError`` as
``httpx.ReadTimeout``, ``EndpointConnectionError`` as ``httpx.ConnectError``, ``ConnectionClosedError``
as ``httpx.RemoteProtocolError``...), which the client retries when the request is idempotent and
raises as ``APIConnectionError`` / ``APITimeoutError``. Other botocore errors (no credentials, no
region) are raised as they are.

The relay's limits. AWS documents them (10 seconds for Airflow to answer, 6 MB of response) but
not which error a call that breaks one gets, so both are recognised by what the operation's
documented errors carry (the tests check this against botocore's service model, not the live
service):

* 10 s: a ``RestApiClientException`` / ``RestApiServerException`` whose ``RestApiStatusCode`` is
  504 or 408 (Airflow's webserver answers neither: only a gateway that gave up waiting does); a
  ``RestApiServerException`` with no status or a 5xx one whose message or body says "timeout" /
  "timed out"; one of MWAA's own errors whose message says so, whose code names a timeout, or whose
  HTTP status is 504 or 408. Raised as :class:`InvokeRestApiTimeout`, an ``httpx.ReadTimeout`` whose
  message names the 10 s limit: the client retries it when the request is idempotent, then raises
  ``APITimeoutError``.
* 6 MB: an error of MWAA's own, or a ``RestApi*Exception`` with no status or a 5xx one, whose
  message or body speaks of the response or payload size or of the limit (``payload size``,
  ``response ... too large``, ``ResponseSizeTooLarge``, ``6 MB``, ``6291456`` / ``6291556`` bytes)
  and not of the request's size (``Request must be smaller than 6291456 bytes`` stays the error it
  is). Raised as :class:`airflow_rest.errors.ResponseTooLargeError` (``limit_bytes`` 6 MB), not
  retried: the same request would fail again; ask for fewer items per call (a smaller ``limit`` or
  ``page_size``).

Bodies Airflow itself sends with a 4xx status are never read for these words, so a validation error
about, say, ``dagrun_timeout`` stays a ``BadRequestError``.

boto3 is needed (``pip install 'airflow-rest[mwaa]'``) and imported only when a transport first
needs an MWAA client it was not given, or at once for ``profile_name`` (so that an unknown profile
is refused before any call). A client the transport makes itself has botocore's retries turned off,
so the client's retry policy (which knows which requests are idempotent) is the only one: botocore
would otherwise send a relayed POST again after a read timeout. Give your own ``mwaa_client`` the
same setting (``Config(retries={"total_max_attempts": 1})``) for the same reason.
boto3 clients are thread-safe; the async transport runs each call in a worker thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NoReturn, overload
from urllib.parse import quote, unquote

import httpx

from ..._connect import async_client_class, checked_major, client_class
from ...errors import ResponseTooLargeError
from ._aws import Environment, check_name

if TYPE_CHECKING:
    from ..._v1 import AirflowClient, AsyncAirflowClient
    from ..._v2 import Airflow3Client, AsyncAirflow3Client

__all__ = [
    "PLACEHOLDER_URL",
    "RELAY_TIMEOUT_SECONDS",
    "RESPONSE_LIMIT_BYTES",
    "AsyncInvokeRestApiTransport",
    "InvokeRestApiTimeout",
    "InvokeRestApiTransport",
    "async_invoke_client",
    "invoke_client",
]

RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024
RELAY_TIMEOUT_SECONDS = 10
PLACEHOLDER_URL = "https://{name}.invoke-rest-api.mwaa.invalid"

_OPERATION = "InvokeRestApi"
_METHODS = frozenset({"GET", "PUT", "POST", "PATCH", "DELETE"})
_API_SEGMENT = re.compile(r"/api/v[12](?=/|$)")
# RFC 3986 pchar (beyond the unreserved characters, which quote never encodes)
_PCHAR_SAFE = "!$&'()*+,;=:@"
_RELAYED = frozenset({"RestApiClientException", "RestApiServerException"})
_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)
_TIMEOUT_WORDS = re.compile(r"time[sd]?[\s_-]?out", re.IGNORECASE)
_SIZE_WORDS = re.compile(
    r"ResponseSizeTooLarge"
    r"|(?:response|payload)\W+(?:\w+\W+){0,3}?(?:size|too\s+large|exceed)"
    r"|\b6\s?MB\b"
    r"|\b629(?:1456|1556)\b",
    re.IGNORECASE,
)
# the same limits, said of the request: not the response limit
_REQUEST_SIZE_WORDS = re.compile(
    r"RequestTooLarge|RequestEntityTooLarge|\brequest\W+(?:\w+\W+){0,3}?(?:size|too\s+large|smaller|exceed)",
    re.IGNORECASE,
)


class InvokeRestApiTimeout(httpx.ReadTimeout):
    """Airflow did not answer within InvokeRestApi's 10 s limit (the relay gave up waiting)."""


# --- request -> InvokeRestApi parameters ----------------------------------------------------------


def _relay_path(url: httpx.URL) -> str:
    """The URL's path after its ``/api/v1`` or ``/api/v2`` segment, each segment in its shortest
    encoding."""
    raw = url.raw_path.decode("ascii").partition("?")[0]
    found = _API_SEGMENT.search(raw)
    if found is None:
        raise ValueError(
            f"MWAA {_OPERATION} relays only Airflow REST API paths (under /api/v1 or /api/v2), got {raw!r}"
        )
    rest = raw[found.end() :] or "/"
    return "/".join(quote(unquote(segment), safe=_PCHAR_SAFE) for segment in rest.split("/"))


def _query_document(url: httpx.URL) -> dict[str, str | list[str]]:
    """The query string as a JSON object: one string per key, a list for a key given more than once."""
    document: dict[str, str | list[str]] = {}
    for key, value in url.params.multi_items():
        seen = document.get(key)
        if seen is None:
            document[key] = value
        elif isinstance(seen, list):
            seen.append(value)
        else:
            document[key] = [seen, value]
    return document


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


_NO_BODY = object()


def _body_document(request: httpx.Request) -> Any:
    content = request.content
    if not content:
        return _NO_BODY
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        raise ValueError(
            f"MWAA {_OPERATION} carries only a JSON body; {request.method} {request.url.path} "
            f"has a body of type {content_type or 'unknown'!r}"
        )
    try:
        return json.loads(content)
    except ValueError as exc:
        raise ValueError(
            f"MWAA {_OPERATION}: the body of {request.method} {request.url.path} is not valid JSON: {exc}"
        ) from None


def invoke_parameters(name: str, request: httpx.Request) -> dict[str, Any]:
    """The keyword arguments of ``mwaa.invoke_rest_api`` for ``request`` (see the module's docstring)."""
    method = request.method.upper()
    if method not in _METHODS:
        raise ValueError(f"MWAA {_OPERATION} relays only {', '.join(sorted(_METHODS))}, not {method}")
    parameters: dict[str, Any] = {"Name": name, "Path": _relay_path(request.url), "Method": method}
    query = _query_document(request.url)
    if query:
        parameters["QueryParameters"] = query
    body = _body_document(request)
    if body is not _NO_BODY:
        parameters["Body"] = body
    return parameters


# --- InvokeRestApi reply -> response --------------------------------------------------------------


def _json_response(
    status: int, document: Any, request: httpx.Request, headers: Mapping[str, str]
) -> httpx.Response:
    if document is None:
        return httpx.Response(status, headers=headers, request=request)
    return httpx.Response(
        status,
        headers={**headers, "content-type": "application/json"},
        content=json.dumps(document).encode(),
        request=request,
    )


def _request_id_header(reply: Mapping[str, Any]) -> dict[str, str]:
    metadata = reply.get("ResponseMetadata")
    request_id = metadata.get("RequestId") if isinstance(metadata, Mapping) else None
    return {"x-amzn-requestid": request_id} if isinstance(request_id, str) and request_id else {}


def _valid_status(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return None


def success_response(reply: Mapping[str, Any], request: httpx.Request) -> httpx.Response:
    """The HTTP response an ``invoke_rest_api`` reply stands for."""
    status = _valid_status(reply.get("RestApiStatusCode")) or 200
    return _json_response(status, reply.get("RestApiResponse"), request, _request_id_header(reply))


class _Relay:
    """What both transports share: the environment (its MWAA client made on first use) and the
    mapping both ways."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.name = environment.name

    def send(self, request: httpx.Request) -> httpx.Response:
        """One InvokeRestApi call for ``request`` (blocking); its reply as an HTTP response."""
        parameters = invoke_parameters(self.name, request)
        client = self.environment.client()
        try:
            reply = client.invoke_rest_api(**parameters)
        except Exception as exc:
            return self._failed(exc, request, parameters)
        return success_response(reply, request)

    # --- errors ---------------------------------------------------------------------------------

    def _failed(
        self, exc: Exception, request: httpx.Request, parameters: Mapping[str, Any]
    ) -> httpx.Response:
        try:
            from botocore import exceptions as bx
        except ImportError:  # a client of another make: nothing to translate
            raise exc from None
        if isinstance(exc, bx.ClientError):
            return self._client_error(exc.response, request, parameters)
        if isinstance(exc, bx.BotoCoreError):
            _raise_transport_error(bx, exc, request)
        raise exc

    def _client_error(
        self, reply: Mapping[str, Any], request: httpx.Request, parameters: Mapping[str, Any]
    ) -> httpx.Response:
        error: Mapping[str, Any] = reply["Error"] if isinstance(reply.get("Error"), Mapping) else {}
        code = str(error.get("Code") or "")
        message = str(error.get("Message") or "")
        metadata = reply.get("ResponseMetadata")
        aws_status = _valid_status(metadata.get("HTTPStatusCode") if isinstance(metadata, Mapping) else None)
        headers = _request_id_header(reply)
        where = f"{parameters['Method']} {parameters['Path']}"
        if code in _RELAYED:
            status = _valid_status(reply.get("RestApiStatusCode"))
            document = reply.get("RestApiResponse")
            # a body Airflow sent with a 4xx is Airflow's: only a relay's answer is read for the limits
            relay_text = status is None or status >= 500
            text = " ".join([message, _text_of(document)]) if relay_text else message
            if relay_text and _too_large(text):
                _raise_too_large(where, code, text)
            if status in (408, 504) or (
                code == "RestApiServerException" and relay_text and _TIMEOUT_WORDS.search(text)
            ):
                _raise_timeout(where, code, text, request)
            if status is None:
                status = 500 if code == "RestApiServerException" else (aws_status or 400)
            return _json_response(status, document, request, headers)
        # MWAA's own errors: the call never reached Airflow, or Airflow's answer never came back
        if _too_large(message):
            _raise_too_large(where, code, message)
        if aws_status in (408, 504) or "timeout" in code.lower() or _TIMEOUT_WORDS.search(message):
            _raise_timeout(where, code, message, request)
        status = 429 if code in _THROTTLING else (aws_status or 500)
        detail = (message or "(no message)") + self._hint(code, message, parameters)
        problem = {
            "type": "about:blank",
            "title": f"MWAA {_OPERATION} {code or 'error'}",
            "detail": detail,
            "status": status,
        }
        return httpx.Response(
            status,
            headers={**headers, "content-type": "application/problem+json"},
            content=json.dumps(problem).encode(),
            request=request,
        )

    def _hint(self, code: str, message: str, parameters: Mapping[str, Any]) -> str:
        if code == "AccessDeniedException":
            return (
                f" (the AWS identity needs the IAM permission airflow:{_OPERATION} on MWAA environment "
                f"{self.name!r}, and an Airflow role allowed to make this call)"
            )
        if code == "ResourceNotFoundException":
            region = self.environment.region_name
            return f" (no MWAA environment named {self.name!r}{f' in {region}' if region else ''})"
        if code == "ValidationException":
            hints = []
            limit = _path_limit(self.environment.client())
            path = str(parameters.get("Path", ""))
            if limit is not None and len(path) > limit:
                hints.append(f"the Path is {len(path)} characters; {_OPERATION} takes at most {limit}")
            if "update your environment" in message.lower():
                hints.append(f"{_OPERATION} needs Airflow 2.4.3 or later on an environment updated for it")
            return f" ({'; '.join(hints)})" if hints else ""
        return ""


def _too_large(text: str) -> bool:
    return _SIZE_WORDS.search(text) is not None and _REQUEST_SIZE_WORDS.search(text) is None


def _text_of(document: Any) -> str:
    if document is None:
        return ""
    if isinstance(document, str):
        return document
    return json.dumps(document)


def _path_limit(client: Any) -> int | None:
    """The longest ``Path`` the MWAA client's service model allows (64 in the 2020-07-01 model)."""
    try:
        shape = client.meta.service_model.operation_model(_OPERATION).input_shape.members["Path"]
        limit = shape.metadata.get("max")
    except Exception:  # a client of another make
        return None
    return limit if isinstance(limit, int) else None


def _raise_too_large(where: str, code: str, text: str) -> NoReturn:
    raise ResponseTooLargeError(
        f"{where} via MWAA {_OPERATION}: the answer is larger than the relay's 6 MB response limit "
        f"({code}: {' '.join(text.split())[:300]}); ask for fewer items per call: a smaller `limit` "
        "(or `page_size` with paginate), or fewer `fields`",
        limit_bytes=RESPONSE_LIMIT_BYTES,
    )


def _raise_timeout(where: str, code: str, text: str, request: httpx.Request) -> NoReturn:
    said = " ".join(text.split())[:300]
    raise InvokeRestApiTimeout(
        f"{where} via MWAA {_OPERATION}: Airflow did not answer within the relay's "
        f"{RELAY_TIMEOUT_SECONDS} s limit ({code}{': ' + said if said else ''})",
        request=request,
    )


def _raise_transport_error(bx: Any, exc: Exception, request: httpx.Request) -> NoReturn:
    """botocore's connection errors as the httpx errors the client retries and types."""
    kinds: list[tuple[Any, type[httpx.TransportError]]] = [
        (bx.ConnectTimeoutError, httpx.ConnectTimeout),
        (bx.ReadTimeoutError, httpx.ReadTimeout),
        (bx.ProxyConnectionError, httpx.ProxyError),
        (bx.ConnectionClosedError, httpx.RemoteProtocolError),
        (bx.ResponseStreamingError, httpx.ReadError),
        (bx.ConnectionError, httpx.ConnectError),  # EndpointConnectionError, SSLError
        (bx.HTTPClientError, httpx.NetworkError),
    ]
    for botocore_class, httpx_class in kinds:
        if isinstance(exc, botocore_class):
            raise httpx_class(f"MWAA {_OPERATION}: {exc}", request=request) from exc
    raise exc


# --- transports -----------------------------------------------------------------------------------


class _RelayTransport:
    """What both transports share: the environment and its relay, made from the same arguments."""

    def __init__(
        self,
        name: str,
        *,
        mwaa_client: Any = None,
        region_name: str | None = None,
        boto3_session: Any = None,
        profile_name: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        self.environment = Environment(
            name,
            purpose=f"MWAA {_OPERATION}",
            mwaa_client=mwaa_client,
            region_name=region_name,
            boto3_session=boto3_session,
            profile_name=profile_name,
            endpoint_url=endpoint_url,
            config=_relay_config,
        )
        self._relay = _Relay(self.environment)

    @property
    def name(self) -> str:
        return self.environment.name

    @property
    def mwaa_client(self) -> Any:
        """The boto3 MWAA client (made now, blocking, if it was not given and not made yet)."""
        return self.environment.client()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, region_name={self.environment.region_name!r})"


def _relay_config() -> Any:
    """botocore's retries off for a client made here: the client's retry policy decides what may
    be sent again, and botocore would send a relayed POST again after a read timeout."""
    from botocore.config import Config

    return Config(retries={"total_max_attempts": 1}, user_agent_extra="airflow-rest")


class InvokeRestApiTransport(_RelayTransport, httpx.BaseTransport):
    """Sends each request through MWAA's ``InvokeRestApi`` (boto3), for the sync clients.

    ``name`` is the MWAA environment; ``mwaa_client`` a boto3 MWAA client to use, or else one is
    made on first use from ``boto3_session`` (or a session for ``profile_name``, made now; default:
    boto3's default session) for ``region_name``, with ``endpoint_url`` when given. See the
    module's docstring for the mapping both ways.
    """

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self._relay.send(request)

    def close(self) -> None:
        self.environment.close()


class AsyncInvokeRestApiTransport(_RelayTransport, httpx.AsyncBaseTransport):
    """The async form of :class:`InvokeRestApiTransport`: each boto3 call runs in a worker thread."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from anyio import to_thread  # httpx's own dependency: works under asyncio and trio

        await request.aread()
        return await to_thread.run_sync(self._relay.send, request)

    async def aclose(self) -> None:
        self.environment.close()


# --- clients --------------------------------------------------------------------------------------

_NOT_FOR_RELAY = {
    "base_url": "the client's URL only carries paths to the relay",
    "transport": "the transport is the InvokeRestApi relay",
    "auth": "AWS authenticates InvokeRestApi calls with IAM; no Airflow credentials are sent",
}


def _check_client_kwargs(client_kwargs: Mapping[str, Any]) -> None:
    for key, why in _NOT_FOR_RELAY.items():
        if key in client_kwargs:
            raise TypeError(f"{key}= cannot be given to an MWAA InvokeRestApi client: {why}")


def placeholder_url(name: str) -> str:
    """The base URL an InvokeRestApi client carries paths on: a host that never resolves."""
    return PLACEHOLDER_URL.format(name=check_name(name).lower())


def _environment_major(environment: Environment) -> int:
    """The environment's major (``get_environment``, a blocking call); the MWAA client made for
    that is closed if the call fails, as no client will own it."""
    try:
        return environment.airflow_major()
    except BaseException:
        environment.close()
        raise


@overload
def invoke_client(
    name: str,
    *,
    airflow_version: Literal[2],
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AirflowClient: ...
@overload
def invoke_client(
    name: str,
    *,
    airflow_version: Literal[3],
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> Airflow3Client: ...
@overload
def invoke_client(
    name: str,
    *,
    airflow_version: int | str | None = ...,
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AirflowClient | Airflow3Client: ...
def invoke_client(
    name: str,
    *,
    airflow_version: int | str | None = None,
    region_name: str | None = None,
    boto3_session: Any = None,
    mwaa_client: Any = None,
    profile_name: str | None = None,
    endpoint_url: str | None = None,
    **client_kwargs: Any,
) -> AirflowClient | Airflow3Client:
    """A client whose every request goes through MWAA's ``InvokeRestApi``: ``AirflowClient`` on
    Airflow 2, ``Airflow3Client`` on Airflow 3 (``airflow_version``, else asked of
    ``get_environment`` now).

    ``client_kwargs`` are passed on (``max_retries``, ``retry_post``, ``headers``...); ``base_url``,
    ``transport`` and ``auth`` cannot be given.
    """
    given = checked_major(airflow_version)
    transport = InvokeRestApiTransport(
        name,
        mwaa_client=mwaa_client,
        region_name=region_name,
        boto3_session=boto3_session,
        profile_name=profile_name,
        endpoint_url=endpoint_url,
    )
    _check_client_kwargs(client_kwargs)
    major = given if given is not None else _environment_major(transport.environment)
    return client_class(major)(placeholder_url(name), transport=transport, **client_kwargs)


@overload
async def async_invoke_client(
    name: str,
    *,
    airflow_version: Literal[2],
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflowClient: ...
@overload
async def async_invoke_client(
    name: str,
    *,
    airflow_version: Literal[3],
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflow3Client: ...
@overload
async def async_invoke_client(
    name: str,
    *,
    airflow_version: int | str | None = ...,
    region_name: str | None = ...,
    boto3_session: Any = ...,
    mwaa_client: Any = ...,
    profile_name: str | None = ...,
    endpoint_url: str | None = ...,
    **client_kwargs: Any,
) -> AsyncAirflowClient | AsyncAirflow3Client: ...
async def async_invoke_client(
    name: str,
    *,
    airflow_version: int | str | None = None,
    region_name: str | None = None,
    boto3_session: Any = None,
    mwaa_client: Any = None,
    profile_name: str | None = None,
    endpoint_url: str | None = None,
    **client_kwargs: Any,
) -> AsyncAirflowClient | AsyncAirflow3Client:
    """The async form of :func:`invoke_client` (``await mwaa.async_invoke_client(...)``);
    ``get_environment`` runs in a worker thread."""
    from anyio import to_thread

    given = checked_major(airflow_version)
    transport = AsyncInvokeRestApiTransport(
        name,
        mwaa_client=mwaa_client,
        region_name=region_name,
        boto3_session=boto3_session,
        profile_name=profile_name,
        endpoint_url=endpoint_url,
    )
    _check_client_kwargs(client_kwargs)
    major = (
        given if given is not None else await to_thread.run_sync(_environment_major, transport.environment)
    )
    return async_client_class(major)(placeholder_url(name), transport=transport, **client_kwargs)
