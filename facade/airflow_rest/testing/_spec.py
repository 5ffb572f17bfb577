"""The effective OpenAPI spec as a fake Airflow needs it: routing, request parsing, validation.

``Spec.load()`` reads the corrected spec shipped in ``airflow_rest_v1`` (``openapi.json``) and answers
what a real Airflow 2.x webserver (Flask + connexion 2 with ``strict_validation``) would decide
before and after a view function runs:

* ``match`` routes a method and path like Werkzeug does: the whole path is percent-decoded before
  routing (``%2F`` is a slash), literal segments win over templated ones and the search backtracks
  (``GET /dags/~/dagRuns/list`` is ``get_dag_run``, since the literal route only has POST), integer
  path parameters only match digits (``/eventLogs/abc`` is a 404, not a 400), ``format: path``
  parameters take the rest of the path, slashes are strict (``/pools/`` is a 404) and a path with
  doubled slashes is redirected (308) to the merged one when that one matches.
* ``parse_request`` checks a request as connexion does, in its order: the body first, then unknown
  query parameters (refused: ``strict_validation``), then query, path and header parameters. Each
  `Violation` carries the status, title and detail the real server answers with.
* ``check_response`` checks what a fake is about to send against the declared status, media type
  and schema.

The validator covers the OpenAPI 3.0 schema subset the spec uses (``HANDLED_KEYWORDS``) and
refuses to compile a schema with any other keyword. It follows connexion's request/response
validators: ``nullable`` (and ``null`` among ``enum`` values) allows null, a ``readOnly`` property
in a request body is refused ("Property is read-only") and is not required there, a ``writeOnly``
property in a response is refused, undeclared properties are allowed unless
``additionalProperties`` says otherwise. Beyond connexion (which uses JSON Schema draft 4) it also
enforces ``const`` and picks an ``anyOf``/``oneOf`` branch by ``discriminator``, as the corrected
spec intends; the real server never sees those keywords in a request.
"""

from __future__ import annotations

import calendar
import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pprint import pformat
from textwrap import indent
from typing import Any, Final, Literal
from urllib.parse import quote, unquote

from airflow_rest_v1._meta import AIRFLOW_VERSION

__all__ = [
    "ANNOTATION_KEYWORDS",
    "BASE_PATH",
    "HANDLED_KEYWORDS",
    "VALIDATION_KEYWORDS",
    "Match",
    "Operation",
    "Parameter",
    "ParsedRequest",
    "Spec",
    "SpecError",
    "Violation",
    "problem_type",
    "resolve_pointer",
    "schema_keywords",
]

Side = Literal["request", "response", "param"]

BASE_PATH: Final = "/api/v1"
DOCS_LINK: Final = (
    f"https://airflow.apache.org/docs/apache-airflow/{AIRFLOW_VERSION}/stable-rest-api-ref.html"
)
# Airflow's EXCEPTIONS_LINK_MAP: the Problem JSON "type" of its own errors, by status. Other statuses
# (415 from connexion) and Werkzeug's routing errors (404, 405) carry "about:blank".
_PROBLEM_ANCHORS: Final = {
    400: "BadRequest",
    401: "Unauthenticated",
    403: "PermissionDenied",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "AlreadyExists",
    500: "Unknown",
}
ABOUT_BLANK: Final = "about:blank"
NOT_FOUND_DETAIL: Final = (
    "The requested URL was not found on the server. If you entered the URL manually please check your "
    "spelling and try again."
)
METHOD_NOT_ALLOWED_DETAIL: Final = "The method is not allowed for the requested URL."
# what connexion answers (500) when a view's response does not validate (Airflow sets validate_responses)
_RESPONSE_TITLE: Final = "Response body does not conform to specification"

# Keywords that change whether a value is valid (side-dependent for readOnly and writeOnly).
VALIDATION_KEYWORDS: Final = frozenset(
    {
        "$ref",
        "type",
        "nullable",
        "enum",
        "const",
        "format",
        "readOnly",
        "writeOnly",
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
    }
)
# Keywords that only describe (``discriminator`` steers anyOf/oneOf; ``default`` fills query parameters).
ANNOTATION_KEYWORDS: Final = frozenset(
    {"title", "description", "default", "example", "externalDocs", "deprecated", "xml", "discriminator"}
)
HANDLED_KEYWORDS: Final = VALIDATION_KEYWORDS | ANNOTATION_KEYWORDS

_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_STYLE_DEFAULTS: Final = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}
_DELIMITERS: Final = {"spaceDelimited": " ", "pipeDelimited": "|", "simple": ",", "form": ","}
# Werkzeug converters: regex (matched with \Z) and weight (lower is tried first).
_CONVERTERS: Final = {
    "int": (re.compile(r"\d+\Z"), 50),
    "float": (re.compile(r"\d+\.\d+\Z"), 50),
    "string": (re.compile(r"[^/]+\Z"), 100),
    "path": (re.compile(r"[^/].*?\Z"), 200),
}
# what Werkzeug leaves unquoted in a redirect Location
_REDIRECT_SAFE: Final = "!$&'()*+,/:;=@"
# rfc3339_validator 0.1.4 (what jsonschema's "date-time" format check uses), applied to value.upper()
_RFC3339: Final = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0123]):(?:[0-5]\d):(?:[0-5]\d)(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0123]):[0-5]\d)$",
    re.ASCII,
)
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SpecError(ValueError):
    """The spec document uses something this module does not support."""


def problem_type(status: int) -> str:
    """The Problem JSON ``type`` Airflow gives its own errors of ``status`` (``about:blank`` otherwise)."""
    anchor = _PROBLEM_ANCHORS.get(status)
    return f"{DOCS_LINK}#section/Errors/{anchor}" if anchor else ABOUT_BLANK


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The node a JSON pointer (``#/components/schemas/Pool``, ``#`` for the root) names in ``document``."""
    if not pointer.startswith("#"):
        raise SpecError(f"only local references are supported, got {pointer!r}")
    node = document
    if pointer in ("#", "#/"):
        return node
    for raw in pointer[2:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise KeyError(pointer)
    return node


def _is_date_time(value: str) -> bool:
    match = _RFC3339.match(value.upper())
    if match is None:
        return False
    year, month, day = (int(group) for group in match.groups())
    return year != 0 and 1 <= day <= calendar.monthrange(year, month)[1]


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPE_CHECKS: Final[dict[str, Callable[[Any], bool]]] = {
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "array": lambda value: isinstance(value, list | tuple),
    "object": lambda value: isinstance(value, dict),
}


def schema_keywords(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every keyword used in a schema position of ``document``, with the pointers of the schemas using it.

    Schema positions: ``components/schemas``, parameter schemas, request and response media-type schemas
    (in ``paths`` and ``components``), and recursively ``properties``, ``items``,
    ``additionalProperties``, ``allOf``/``anyOf``/``oneOf`` and ``not``.
    """
    found: dict[str, list[str]] = {}

    def walk(schema: Any, pointer: str) -> None:
        if not isinstance(schema, dict):
            return
        for keyword, value in schema.items():
            found.setdefault(keyword, []).append(pointer)
            if keyword == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    walk(sub, f"{pointer}/properties/{_escape(name)}")
            elif keyword in ("items", "additionalProperties", "not"):
                walk(value, f"{pointer}/{keyword}")
            elif keyword in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
                for index, sub in enumerate(value):
                    walk(sub, f"{pointer}/{keyword}/{index}")

    def walk_content(content: Any, pointer: str) -> None:
        if isinstance(content, dict):
            for media, media_object in content.items():
                if isinstance(media_object, dict) and "schema" in media_object:
                    walk(media_object["schema"], f"{pointer}/content/{_escape(media)}/schema")

    def walk_parameters(parameters: Any, pointer: str) -> None:
        for index, parameter in enumerate(parameters or ()):
            if isinstance(parameter, dict) and "schema" in parameter:
                walk(parameter["schema"], f"{pointer}/{index}/schema")

    components = document.get("components", {})
    for name, schema in components.get("schemas", {}).items():
        walk(schema, f"#/components/schemas/{_escape(name)}")
    for name, parameter in components.get("parameters", {}).items():
        if "schema" in parameter:
            walk(parameter["schema"], f"#/components/parameters/{_escape(name)}/schema")
    for name, body in components.get("requestBodies", {}).items():
        walk_content(body.get("content"), f"#/components/requestBodies/{_escape(name)}")
    for name, response in components.get("responses", {}).items():
        walk_content(response.get("content"), f"#/components/responses/{_escape(name)}")
    for path, item in document.get("paths", {}).items():
        path_pointer = f"#/paths/{_escape(path)}"
        walk_parameters(item.get("parameters"), f"{path_pointer}/parameters")
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            op_pointer = f"{path_pointer}/{method}"
            walk_parameters(operation.get("parameters"), f"{op_pointer}/parameters")
            body = operation.get("requestBody")
            if isinstance(body, dict):
                walk_content(body.get("content"), f"{op_pointer}/requestBody")
            for status, response in operation.get("responses", {}).items():
                if isinstance(response, dict):
                    walk_content(response.get("content"), f"{op_pointer}/responses/{_escape(str(status))}")
    return found


# --------------------------------------------------------------------------------------------------
# public data


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule of the spec, in a request or a response.

    ``status``, ``title``, ``detail`` and ``problem_type`` say what the real server answers when this is
    the first violation of a request (`Spec.request_problem`).
    """

    side: str
    operation: str
    where: str
    pointer: str
    location: str
    message: str
    status: int = 400
    title: str | None = "Bad Request"
    detail: str | None = None
    problem_type: str | None = None

    def __str__(self) -> str:
        return f"{self.side} {self.where}: {self.location}: {self.message} (spec {self.pointer})"


@dataclass(frozen=True)
class Parameter:
    """A parameter of an operation. ``pointer`` is where its definition lives (a ``$ref`` followed);
    ``declared_at`` is where the operation (or its path item) lists it."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    style: str
    explode: bool
    pointer: str
    declared_at: str = ""


@dataclass(frozen=True)
class Operation:
    """An operation of the spec. ``responses`` maps a status (or ``"default"``) to the JSON schema of
    its ``application/json`` body, or None when it declares none."""

    operation_id: str
    method: str
    path: str
    tag: str
    parameters: tuple[Parameter, ...]
    body_schema: dict[str, Any] | None
    body_required: bool
    responses: dict[int | str, dict[str, Any] | None]
    pointer: str
    deprecated: bool
    body_pointer: str | None = None
    body_media_types: tuple[str, ...] = ()
    response_pointers: dict[int | str, str] = field(default_factory=dict)
    response_media_types: dict[int | str, tuple[str, ...]] = field(default_factory=dict)
    summary: str = ""

    @property
    def where(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Match:
    """Where a request goes.

    ``operation`` is None when nothing matched: ``allowed`` then lists the spec's methods for the path
    (405) or is empty (404). ``redirect`` is set when the path only matches with doubled slashes merged
    (the server answers 308 with ``Location: /api/v1`` + ``redirect``). ``options`` is set for an
    OPTIONS request on a known path (Flask answers 200, empty ``text/html``, with an ``Allow`` header).
    ``violation`` describes a 404 or 405.
    """

    operation: Operation | None
    path_params: dict[str, str]
    allowed: tuple[str, ...]
    redirect: str | None = None
    options: bool = False
    violation: Violation | None = None

    @property
    def status(self) -> int:
        """200 (operation or OPTIONS), 308 (redirect), 404 or 405."""
        if self.operation is not None or self.options:
            return 200
        if self.redirect is not None:
            return 308
        return 405 if self.allowed else 404

    @property
    def allow_header(self) -> str:
        """The ``Allow`` header Flask sends for OPTIONS (HEAD comes with GET, OPTIONS always)."""
        methods = set(self.allowed)
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join([*sorted(methods), "OPTIONS"])


@dataclass
class ParsedRequest:
    """Typed request values as connexion hands them to a view.

    ``query`` holds every declared query parameter that was sent or has a schema ``default`` (names in
    ``defaulted``), ``path`` and ``headers`` the declared ones; integers, numbers and booleans are
    converted, arrays split, ``date-time`` values stay strings (their format is checked). ``body`` is
    the JSON body as sent (no defaults filled in: Airflow's own schemas do that in the view; see
    `Spec.body_defaults`), None when there is none.
    """

    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    headers: dict[str, Any] = field(default_factory=dict)
    defaulted: frozenset[str] = frozenset()


# --------------------------------------------------------------------------------------------------
# schema compilation


class _Err:
    """One schema failure, relative to the value that was checked."""

    __slots__ = ("keyword", "member", "message", "path", "pointer")

    def __init__(
        self,
        path: tuple[str | int, ...],
        pointer: str,
        message: str,
        keyword: str,
        member: str | None = None,
    ) -> None:
        self.path = path
        self.pointer = pointer
        self.message = message
        self.keyword = keyword
        self.member = member

    def under(self, key: str | int) -> _Err:
        return _Err((key, *self.path), self.pointer, self.message, self.keyword, self.member)


Check = Callable[[Any], "list[_Err] | None"]


def _accept(value: Any) -> list[_Err] | None:
    return None


def _join(errors: list[_Err] | None, more: list[_Err]) -> list[_Err]:
    if errors is None:
        return list(more)
    errors.extend(more)
    return errors


def _under(errors: list[_Err], key: str | int) -> list[_Err]:
    return [error.under(key) for error in errors]


def _deref(document: Any, node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = resolve_pointer(document, node["$ref"])
        seen += 1
        if seen > 50:
            raise SpecError("reference cycle")
    return node


class _Compiler:
    """Compiles schema nodes (by pointer and side) into checking functions, once each."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._cache: dict[tuple[str, str], Check] = {}
        self._lock = threading.RLock()

    def compile(self, pointer: str, side: Side) -> Check:
        key = (pointer, side)
        check = self._cache.get(key)
        if check is not None:
            return check
        with self._lock:
            check = self._cache.get(key)
            if check is not None:
                return check
            cell: list[Check] = []

            def forward(value: Any) -> list[_Err] | None:
                return cell[0](value)

            self._cache[key] = forward  # a schema that refers to itself
            try:
                node = resolve_pointer(self.document, pointer)
            except (KeyError, IndexError, ValueError) as exc:
                del self._cache[key]
                raise SpecError(f"{pointer} does not resolve") from exc
            try:
                built = self._build(node, pointer, side)
            except BaseException:
                del self._cache[key]
                raise
            cell.append(built)
            self._cache[key] = built
            return built

    def _build(self, node: Any, pointer: str, side: Side) -> Check:
        if node is True or node == {}:
            return _accept
        if node is False:
            return lambda value: [_Err((), pointer, f"{value!r} is not allowed here", "false")]
        if not isinstance(node, dict):
            raise SpecError(f"{pointer}: a schema must be an object, got {node!r}")
        for keyword in node:
            if keyword not in HANDLED_KEYWORDS and not keyword.startswith("x-"):
                raise SpecError(f"{pointer}: unsupported schema keyword {keyword!r}")
        if "$ref" not in node:
            return self._build_plain(node, pointer, side)
        target = self.compile(node["$ref"], side)
        siblings = {k: v for k, v in node.items() if k != "$ref" and k not in ANNOTATION_KEYWORDS}
        if not siblings:
            return target
        # Connexion merges a $ref's siblings into the referenced schema: both apply, and a sibling
        # `nullable` lets null through.
        sibling_check = self._build_plain(siblings, pointer, side)
        nullable = siblings.get("nullable") is True

        def check_ref(value: Any) -> list[_Err] | None:
            first = sibling_check(value)
            if value is None and nullable:
                return first
            if first and first[0].keyword in ("readOnly", "writeOnly"):
                return first
            second = target(value)
            if second:
                return _join(first, second)
            return first

        return check_ref

    def _build_plain(self, node: dict[str, Any], pointer: str, side: Side) -> Check:
        if side == "request" and node.get("readOnly") is True:
            return lambda value: [_Err((), pointer, "Property is read-only", "readOnly")]
        if side == "response" and node.get("writeOnly") is True:
            return lambda value: [_Err((), pointer, "Property is write-only", "writeOnly")]
        enum = node.get("enum")
        nullable = node.get("nullable") is True or (isinstance(enum, list) and None in enum)
        type_name = node.get("type")
        type_ok: Callable[[Any], bool] | None = None
        if isinstance(type_name, str):
            if type_name not in _TYPE_CHECKS:
                raise SpecError(f"{pointer}: unknown type {type_name!r}")
            type_ok = _TYPE_CHECKS[type_name]
        elif type_name is not None:
            raise SpecError(f"{pointer}: type must be a string in OpenAPI 3.0, got {type_name!r}")

        steps: list[Check] = []
        if enum is not None:
            steps.append(self._enum(enum, pointer))
        if "const" in node:
            steps.append(self._const(node["const"], pointer))
        if node.get("format") == "date-time":
            steps.append(self._date_time(pointer))
        steps.extend(self._string_steps(node, pointer))
        steps.extend(self._number_steps(node, pointer))
        if any(k in node for k in ("items", "minItems", "maxItems", "uniqueItems")):
            steps.append(self._array(node, pointer, side))
        if any(
            k in node
            for k in ("properties", "required", "additionalProperties", "minProperties", "maxProperties")
        ):
            steps.append(self._object(node, pointer, side))
        if "allOf" in node:
            steps.append(self._all_of(node["allOf"], pointer, side))
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                steps.append(self._any_of(node, keyword, pointer, side))
        if "not" in node:
            steps.append(self._not(node["not"], pointer, side))
        return self._combine(tuple(steps), type_name, type_ok, nullable, pointer)

    @staticmethod
    def _combine(
        steps: tuple[Check, ...],
        type_name: str | None,
        type_ok: Callable[[Any], bool] | None,
        nullable: bool,
        pointer: str,
    ) -> Check:
        if not steps:

            def check_type(value: Any) -> list[_Err] | None:
                if value is None:
                    if nullable or type_name is None:
                        return None
                    return [_Err((), pointer, f"None is not of type {type_name!r}", "type")]
                if type_ok is not None and not type_ok(value):
                    return [_Err((), pointer, f"{value!r} is not of type {type_name!r}", "type")]
                return None

            return check_type
        if len(steps) == 1:
            (only,) = steps

            def check_one(value: Any) -> list[_Err] | None:
                if value is None:
                    if nullable:
                        return None
                    if type_name is not None:
                        return [_Err((), pointer, f"None is not of type {type_name!r}", "type")]
                elif type_ok is not None and not type_ok(value):
                    return [_Err((), pointer, f"{value!r} is not of type {type_name!r}", "type")]
                return only(value)

            return check_one

        def check(value: Any) -> list[_Err] | None:
            if value is None:
                if nullable:
                    return None
                if type_name is not None:
                    return [_Err((), pointer, f"None is not of type {type_name!r}", "type")]
            elif type_ok is not None and not type_ok(value):
                return [_Err((), pointer, f"{value!r} is not of type {type_name!r}", "type")]
            errors: list[_Err] | None = None
            for step in steps:
                found = step(value)
                if found:
                    errors = _join(errors, found)
            return errors

        return check

    @staticmethod
    def _enum(enum: Any, pointer: str) -> Check:
        if not isinstance(enum, list):
            raise SpecError(f"{pointer}: enum must be a list")
        strings = frozenset(item for item in enum if isinstance(item, str))
        values = tuple(enum)

        def check_enum(value: Any) -> list[_Err] | None:
            if isinstance(value, str):
                if value in strings:
                    return None
            elif any(_json_equal(value, item) for item in values):
                return None
            return [_Err((), pointer, f"{value!r} is not one of {enum!r}", "enum")]

        return check_enum

    @staticmethod
    def _const(const: Any, pointer: str) -> Check:
        def check_const(value: Any) -> list[_Err] | None:
            if _json_equal(value, const):
                return None
            return [_Err((), pointer, f"{const!r} was expected", "const")]

        return check_const

    @staticmethod
    def _date_time(pointer: str) -> Check:
        def check_date_time(value: Any) -> list[_Err] | None:
            if isinstance(value, str) and not _is_date_time(value):
                return [_Err((), pointer, f"{value!r} is not a 'date-time'", "format")]
            return None

        return check_date_time

    @staticmethod
    def _string_steps(node: dict[str, Any], pointer: str) -> list[Check]:
        steps: list[Check] = []
        if "minLength" in node:
            low = int(node["minLength"])
            word = "should be non-empty" if low == 1 else "is too short"

            def check_min_length(value: Any) -> list[_Err] | None:
                if isinstance(value, str) and len(value) < low:
                    return [_Err((), pointer, f"{value!r} {word}", "minLength")]
                return None

            steps.append(check_min_length)
        if "maxLength" in node:
            high = int(node["maxLength"])
            long_word = "is expected to be empty" if high == 0 else "is too long"

            def check_max_length(value: Any) -> list[_Err] | None:
                if isinstance(value, str) and len(value) > high:
                    return [_Err((), pointer, f"{value!r} {long_word}", "maxLength")]
                return None

            steps.append(check_max_length)
        if "pattern" in node:
            source = node["pattern"]
            regex = re.compile(source)

            def check_pattern(value: Any) -> list[_Err] | None:
                if isinstance(value, str) and regex.search(value) is None:
                    return [_Err((), pointer, f"{value!r} does not match {source!r}", "pattern")]
                return None

            steps.append(check_pattern)
        return steps

    @staticmethod
    def _number_steps(node: dict[str, Any], pointer: str) -> list[Check]:
        steps: list[Check] = []
        if "minimum" in node:
            minimum = node["minimum"]
            exclusive = node.get("exclusiveMinimum") is True
            relation = "less than or equal to" if exclusive else "less than"

            def check_minimum(value: Any) -> list[_Err] | None:
                if _is_number(value) and (value <= minimum if exclusive else value < minimum):
                    return [
                        _Err((), pointer, f"{value!r} is {relation} the minimum of {minimum!r}", "minimum")
                    ]
                return None

            steps.append(check_minimum)
        if "maximum" in node:
            maximum = node["maximum"]
            exclusive_max = node.get("exclusiveMaximum") is True
            relation_max = "greater than or equal to" if exclusive_max else "greater than"

            def check_maximum(value: Any) -> list[_Err] | None:
                if _is_number(value) and (value >= maximum if exclusive_max else value > maximum):
                    message = f"{value!r} is {relation_max} the maximum of {maximum!r}"
                    return [_Err((), pointer, message, "maximum")]
                return None

            steps.append(check_maximum)
        if "multipleOf" in node:
            divisor = node["multipleOf"]

            def check_multiple(value: Any) -> list[_Err] | None:
                if not _is_number(value):
                    return None
                if isinstance(divisor, float) or isinstance(value, float):
                    quotient = value / divisor
                    failed = quotient != int(quotient) if quotient == quotient else True
                else:
                    failed = value % divisor != 0
                if failed:
                    return [_Err((), pointer, f"{value!r} is not a multiple of {divisor}", "multipleOf")]
                return None

            steps.append(check_multiple)
        return steps

    def _array(self, node: dict[str, Any], pointer: str, side: Side) -> Check:
        items = self.compile(f"{pointer}/items", side) if "items" in node else None
        min_items = node.get("minItems")
        max_items = node.get("maxItems")
        unique = node.get("uniqueItems") is True

        def check_array(value: Any) -> list[_Err] | None:
            if not isinstance(value, list | tuple):
                return None
            errors: list[_Err] | None = None
            if items is not None:
                for index, item in enumerate(value):
                    found = items(item)
                    if found:
                        errors = _join(errors, _under(found, index))
            if min_items is not None and len(value) < min_items:
                word = "should be non-empty" if min_items == 1 else "is too short"
                errors = _join(errors, [_Err((), pointer, f"{value!r} {word}", "minItems")])
            if max_items is not None and len(value) > max_items:
                word = "is expected to be empty" if max_items == 0 else "is too long"
                errors = _join(errors, [_Err((), pointer, f"{value!r} {word}", "maxItems")])
            if unique:
                for i, a in enumerate(value):
                    if any(_json_equal(a, b) for b in value[i + 1 :]):
                        message = f"{value!r} has non-unique elements"
                        errors = _join(errors, [_Err((), pointer, message, "uniqueItems")])
                        break
            return errors

        return check_array

    def _object(self, node: dict[str, Any], pointer: str, side: Side) -> Check:
        declared = node.get("properties", {})
        properties = {name: self.compile(f"{pointer}/properties/{_escape(name)}", side) for name in declared}
        skip: set[str] = set()
        if side in ("request", "response"):
            flag = "readOnly" if side == "request" else "writeOnly"
            for name, sub in declared.items():
                if _flagged(self.document, sub, flag):
                    skip.add(name)
        required = tuple(name for name in node.get("required", ()) if name not in skip)
        extra_node = node.get("additionalProperties", True)
        additional: Check | Literal[False] | None
        if extra_node is True or extra_node == {}:
            additional = None
        elif extra_node is False:
            additional = False
        else:
            additional = self.compile(f"{pointer}/additionalProperties", side)
        min_properties = node.get("minProperties")
        max_properties = node.get("maxProperties")
        lookup = properties.get

        def check_object(value: Any) -> list[_Err] | None:
            if not isinstance(value, dict):
                return None
            errors: list[_Err] | None = None
            unexpected: list[str] | None = None
            for key, item in value.items():
                check = lookup(key)
                if check is None:
                    if additional is None:
                        continue
                    if additional is False:
                        unexpected = [*(unexpected or ()), key]
                        continue
                    check = additional
                found = check(item)
                if found:
                    errors = _join(errors, _under(found, key))
            for name in required:
                if name not in value:
                    message = f"{name!r} is a required property"
                    errors = _join(errors, [_Err((), pointer, message, "required", member=name)])
            if unexpected:
                listed = ", ".join(repr(key) for key in sorted(unexpected, key=str))
                verb = "was" if len(unexpected) == 1 else "were"
                message = f"Additional properties are not allowed ({listed} {verb} unexpected)"
                errors = _join(errors, [_Err((), pointer, message, "additionalProperties")])
            if min_properties is not None and len(value) < min_properties:
                message = f"{value!r} does not have enough properties"
                errors = _join(errors, [_Err((), pointer, message, "minProperties")])
            if max_properties is not None and len(value) > max_properties:
                message = f"{value!r} has too many properties"
                errors = _join(errors, [_Err((), pointer, message, "maxProperties")])
            return errors

        return check_object

    def _all_of(self, branches: Any, pointer: str, side: Side) -> Check:
        checks = tuple(self.compile(f"{pointer}/allOf/{i}", side) for i in range(len(branches)))

        def check_all_of(value: Any) -> list[_Err] | None:
            errors: list[_Err] | None = None
            for check in checks:
                found = check(value)
                if found:
                    errors = _join(errors, found)
            return errors

        return check_all_of

    def _any_of(self, node: dict[str, Any], keyword: str, pointer: str, side: Side) -> Check:
        branches = node[keyword]
        checks = tuple(self.compile(f"{pointer}/{keyword}/{i}", side) for i in range(len(branches)))
        one = keyword == "oneOf"
        by_tag: dict[str, Check] = {}
        tag_name: str | None = None
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict):
            tag_name = discriminator["propertyName"]
            mapping = discriminator.get("mapping", {})
            for index, branch in enumerate(branches):
                ref = branch.get("$ref") if isinstance(branch, dict) else None
                if ref:
                    by_tag[ref.rsplit("/", 1)[-1]] = checks[index]
            for tag, ref in mapping.items():
                by_tag[tag] = self.compile(
                    ref if ref.startswith("#") else f"#/components/schemas/{ref}", side
                )

        def failed(value: Any, hint: str = "") -> list[_Err]:
            return [
                _Err((), pointer, f"{value!r} is not valid under any of the given schemas{hint}", keyword)
            ]

        def check_any_of(value: Any) -> list[_Err] | None:
            if tag_name is not None and isinstance(value, dict):
                tag = value.get(tag_name)
                chosen = by_tag.get(tag) if isinstance(tag, str) else None
                if chosen is not None:
                    return chosen(value)
                known = sorted(by_tag)
                if tag_name not in value:
                    return failed(value, f" (its discriminator {tag_name!r} is missing; one of {known})")
                return failed(value, f" (discriminator {tag_name!r} is {tag!r}, not one of {known})")
            passed = 0
            for check in checks:
                if not check(value):
                    if not one:
                        return None
                    passed += 1
            if passed == 1:
                return None
            if passed > 1:
                reprs = ", ".join(repr(branch) for branch in branches)
                return [_Err((), pointer, f"{value!r} is valid under each of {reprs}", keyword)]
            return failed(value)

        return check_any_of

    def _not(self, sub: Any, pointer: str, side: Side) -> Check:
        check = self.compile(f"{pointer}/not", side)

        def check_not(value: Any) -> list[_Err] | None:
            if check(value):
                return None
            return [_Err((), pointer, f"{value!r} should not be valid under {sub!r}", "not")]

        return check_not


def _flagged(document: Any, schema: Any, flag: str) -> bool:
    """Whether a property schema (its $ref siblings or the referenced schema) sets ``flag``."""
    while isinstance(schema, dict):
        if schema.get(flag) is True:
            return True
        if "$ref" not in schema:
            return False
        schema = resolve_pointer(document, schema["$ref"])
    return False


# --------------------------------------------------------------------------------------------------
# helpers for connexion's wording


def _format_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(part)}]"
    return text


def _connexion_path(path: Iterable[str | int]) -> str:
    joined = ".".join(str(part) for part in path)
    return f" - '{joined}'" if joined else ""


def _type_first(schema: Any) -> Any:
    # Airflow's YAML lists `type` first; the shipped JSON is key-sorted.
    if isinstance(schema, dict) and "type" in schema:
        return {"type": schema["type"], **{k: v for k, v in schema.items() if k != "type"}}
    return schema


def _pretty(thing: Any) -> str:
    return indent(pformat(thing, width=72, sort_dicts=False), 16 * " ").lstrip()


def _long_message(error: _Err, root_pointer: str, document: Any, instance: Any) -> str:
    """``str(jsonschema.ValidationError)``: what connexion puts in the detail of a bad parameter."""
    relative = error.pointer[len(root_pointer) :] if error.pointer.startswith(root_pointer) else ""
    indices = [token for token in relative.split("/") if token]
    schema_path = "schema" + "".join(f"[{token!r}]" for token in indices)
    instance_path = "instance" + "".join(f"[{part!r}]" for part in error.path)
    node = _type_first(resolve_pointer(document, error.pointer))
    failing = instance
    for part in error.path:
        failing = failing[part]
    return (
        f"{error.message}\n\nFailed validating {error.keyword!r} in {schema_path}:\n    {_pretty(node)}"
        f"\n\nOn {instance_path}:\n    {_pretty(failing)}"
    )


def _mimetype(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_json_type(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(text)


_CONVERT: Final[dict[str, Callable[[str], Any]]] = {"integer": int, "number": float, "boolean": _boolean}


# --------------------------------------------------------------------------------------------------
# routing


class _Route:
    __slots__ = ("dynamic", "operations", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Route] = {}
        self.dynamic: list[tuple[int, str, str, _Route]] = []
        self.operations: list[Operation] = []


def _converter(parameter: Parameter | None) -> str:
    if parameter is None:
        return "string"
    schema = parameter.schema
    if schema.get("type") == "integer":
        return "int"
    if schema.get("type") == "number":
        return "float"
    if schema.get("type") == "string" and schema.get("format") == "path":
        return "path"
    return "string"


# --------------------------------------------------------------------------------------------------
# the spec


class Spec:
    """The effective spec: operations, routing, request parsing, request and response validation."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        servers = document.get("servers") or [{}]
        self.base_path = str(servers[0].get("url") or BASE_PATH).rstrip("/")
        self._compiler = _Compiler(document)
        self.operations: dict[str, Operation] = {}
        self._root = _Route()
        for path, item in document.get("paths", {}).items():
            for operation in self._operations_of(path, item):
                if operation.operation_id in self.operations:
                    raise SpecError(f"operationId {operation.operation_id!r} is used twice")
                self.operations[operation.operation_id] = operation
                self._add_route(operation)
        self._sort_routes(self._root)

    @classmethod
    def load(cls, document: Mapping[str, Any] | None = None) -> Spec:
        """The spec of ``document``; by default the one shipped in ``airflow_rest_v1`` (built once)."""
        if document is None:
            return _default_spec()
        return cls(document)

    # ---- building

    def _resolve(self, node: Any) -> tuple[Any, str | None]:
        pointer = None
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"]
            node = resolve_pointer(self.document, pointer)
        return node, pointer

    def _parameter(self, raw: Any, declared_at: str) -> Parameter:
        node, ref = self._resolve(raw)
        location = node["in"]
        style = node.get("style", _STYLE_DEFAULTS.get(location, "form"))
        return Parameter(
            name=node["name"],
            location=location,
            required=bool(node.get("required", False)) or location == "path",
            schema=node.get("schema", {}),
            style=style,
            explode=bool(node.get("explode", style == "form")),
            pointer=ref or declared_at,
            declared_at=declared_at,
        )

    def _operations_of(self, path: str, item: Mapping[str, Any]) -> Iterable[Operation]:
        path_pointer = f"#/paths/{_escape(path)}"
        shared = [
            self._parameter(raw, f"{path_pointer}/parameters/{i}")
            for i, raw in enumerate(item.get("parameters", ()))
        ]
        for method in _METHODS:
            raw_operation = item.get(method)
            if not isinstance(raw_operation, dict):
                continue
            pointer = f"{path_pointer}/{method}"
            parameters = {(p.name, p.location): p for p in shared}
            for i, raw in enumerate(raw_operation.get("parameters", ())):
                parameter = self._parameter(raw, f"{pointer}/parameters/{i}")
                parameters[(parameter.name, parameter.location)] = parameter
            body_schema: dict[str, Any] | None = None
            body_pointer: str | None = None
            body_required = False
            body_media: tuple[str, ...] = ()
            if "requestBody" in raw_operation:
                body, ref = self._resolve(raw_operation["requestBody"])
                body_base = ref or f"{pointer}/requestBody"
                content = body.get("content", {})
                body_media = tuple(content)
                body_required = bool(body.get("required", False))
                json_media = next((m for m in content if _is_json_type(_mimetype(m))), None)
                if json_media is not None and "schema" in content[json_media]:
                    body_schema = content[json_media]["schema"]
                    body_pointer = f"{body_base}/content/{_escape(json_media)}/schema"
            responses: dict[int | str, dict[str, Any] | None] = {}
            response_pointers: dict[int | str, str] = {}
            response_media: dict[int | str, tuple[str, ...]] = {}
            for status, raw_response in raw_operation.get("responses", {}).items():
                key: int | str = int(status) if str(status).isdigit() else str(status)
                response, ref = self._resolve(raw_response)
                response_pointer = ref or f"{pointer}/responses/{_escape(str(status))}"
                content = response.get("content", {})
                response_pointers[key] = response_pointer
                response_media[key] = tuple(content)
                schema = content.get("application/json", {}).get("schema")
                responses[key] = schema
            tags = raw_operation.get("tags") or [""]
            yield Operation(
                operation_id=raw_operation.get("operationId") or f"{method}_{path}",
                method=method.upper(),
                path=path,
                tag=str(tags[0]),
                parameters=tuple(parameters.values()),
                body_schema=body_schema,
                body_required=body_required,
                responses=responses,
                pointer=pointer,
                deprecated=bool(raw_operation.get("deprecated", False)),
                body_pointer=body_pointer,
                body_media_types=body_media,
                response_pointers=response_pointers,
                response_media_types=response_media,
                summary=str(raw_operation.get("summary", "")),
            )

    def _add_route(self, operation: Operation) -> None:
        by_name = {p.name: p for p in operation.parameters if p.location == "path"}
        segments = operation.path.split("/")[1:]
        route = self._root
        for position, segment in enumerate(segments):
            if segment.startswith("{") and segment.endswith("}") and segment.count("{") == 1:
                name = segment[1:-1]
                converter = _converter(by_name.get(name))
                if converter == "path" and position != len(segments) - 1:
                    raise SpecError(f"{operation.path}: a format: path parameter must come last")
                for _weight, conv, known, child in route.dynamic:
                    if (conv, known) == (converter, name):
                        route = child
                        break
                else:
                    child = _Route()
                    route.dynamic.append((_CONVERTERS[converter][1], converter, name, child))
                    route = child
            elif "{" in segment or "}" in segment:
                raise SpecError(f"{operation.path}: a path parameter must fill its whole segment")
            else:
                route = route.static.setdefault(segment, _Route())
        route.operations.append(operation)

    def _sort_routes(self, route: _Route) -> None:
        route.dynamic.sort(key=lambda entry: entry[0])
        for child in route.static.values():
            self._sort_routes(child)
        for *_, child in route.dynamic:
            self._sort_routes(child)

    # ---- routing

    def _walk(
        self, route: _Route, parts: list[str], values: dict[str, str], method: str, seen: dict[str, Operation]
    ) -> tuple[Operation, dict[str, str]] | None:
        if not parts:
            for operation in route.operations:
                if operation.method == method:
                    return operation, values
                seen.setdefault(operation.method, operation)
            return None
        part = parts[0]
        child = route.static.get(part)
        if child is not None:
            found = self._walk(child, parts[1:], values, method, seen)
            if found is not None:
                return found
        for _, converter, name, child in route.dynamic:
            if converter == "path":
                target, rest = "/".join(parts), []
            else:
                target, rest = part, parts[1:]
            if _CONVERTERS[converter][0].match(target) is None:
                continue
            found = self._walk(child, rest, {**values, name: target}, method, seen)
            if found is not None:
                return found
        return None

    def match(self, method: str, path: str) -> Match:
        """Route ``method`` and ``path`` as the real server does.

        ``path`` is relative to the base path (``/pools/p``; a leading ``/api/v1`` is also accepted) and
        still percent-encoded as sent: it is decoded once, as a whole, before routing, so ``%2F`` acts as
        a slash (a 404 for a string parameter, part of the value for ``format: path`` ones). A query
        string is ignored. HEAD is routed like GET. ``path_params`` values are decoded strings.
        """
        method = method.upper()
        raw = path.split("?", 1)[0]
        if raw == self.base_path or raw.startswith(self.base_path + "/"):
            raw = raw[len(self.base_path) :]
        decoded = unquote(raw, errors="replace")
        if not decoded.startswith("/"):
            decoded = "/" + decoded
        wanted = "GET" if method == "HEAD" else method
        seen: dict[str, Operation] = {}
        found = self._walk(self._root, decoded.split("/")[1:], {}, wanted, seen)
        if found is None:
            merged = re.sub("/{2,}", "/", decoded)
            if (
                merged != decoded
                and self._walk(self._root, merged.split("/")[1:], {}, wanted, seen) is not None
            ):
                return Match(None, {}, (), redirect=quote(merged, safe=_REDIRECT_SAFE))
        if found is not None:
            operation, values = found
            return Match(operation, values, ())
        allowed = tuple(sorted(seen))
        if method == "OPTIONS" and allowed:
            return Match(None, {}, allowed, options=True)
        where = f"{method} {decoded}"
        if allowed:
            template = next(iter(seen.values())).path
            violation = Violation(
                side="request",
                operation="",
                where=where,
                pointer=f"#/paths/{_escape(template)}",
                location="method",
                message=f"{method} is not among the methods of {template} ({', '.join(allowed)})",
                status=405,
                title="Method Not Allowed",
                detail=METHOD_NOT_ALLOWED_DETAIL,
                problem_type=ABOUT_BLANK,
            )
        else:
            violation = Violation(
                side="request",
                operation="",
                where=where,
                pointer="#/paths",
                location="path",
                message=f"no path of the spec matches {decoded}",
                status=404,
                title="Not Found",
                detail=NOT_FOUND_DETAIL,
                problem_type=ABOUT_BLANK,
            )
        return Match(None, {}, allowed, violation=violation)

    # ---- validation

    def validator(self, pointer: str, side: Side = "response") -> Callable[[Any], list[tuple[str, str, str]]]:
        """A function checking a value against the schema at ``pointer``: ``[(location, pointer, message)]``.

        ``location`` is relative to the value (``""``, ``.name``, ``[2].port``).
        """
        check = self._compiler.compile(pointer, side)

        def validate(value: Any) -> list[tuple[str, str, str]]:
            return [
                (_format_path((*e.path, e.member) if e.member else e.path), e.pointer, e.message)
                for e in check(value) or ()
            ]

        return validate

    def compile_all(self) -> int:
        """Compile every schema of the document for requests and responses; the number compiled.

        Raises `SpecError` on a keyword the validator does not handle.
        """
        pointers: set[str] = set()
        for keyword_pointers in schema_keywords(self.document).values():
            pointers.update(keyword_pointers)
        for pointer in sorted(pointers):
            for side in ("request", "response"):
                self._compiler.compile(pointer, side)
        return len(pointers)

    def _violations(
        self,
        errors: list[_Err] | None,
        operation: Operation,
        side: str,
        prefix: str,
    ) -> list[Violation]:
        out = []
        status, title = (400, "Bad Request") if side == "request" else (500, _RESPONSE_TITLE)
        for error in errors or ():
            path = (*error.path, error.member) if error.member else error.path
            out.append(
                Violation(
                    side=side,
                    operation=operation.operation_id,
                    where=operation.where,
                    pointer=error.pointer,
                    location=prefix + _format_path(path),
                    message=error.message,
                    status=status,
                    title=title,
                    detail=error.message + _connexion_path(error.path),
                )
            )
        return out

    def parse_request(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        query: Iterable[tuple[str, str]],
        body: bytes | None,
        content_type: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[ParsedRequest, list[Violation]]:
        """Typed values of a request and what connexion refuses in it, in the server's order.

        ``query`` is the decoded query string as (name, value) pairs in order. Like connexion: a
        scalar parameter given twice takes the last value; an array with ``explode: true`` joins all
        values and splits them at commas (``state=a,b&state=c`` is three); with ``explode: false``
        (``update_mask``) the last value is split at commas. Booleans are ``true``/``false`` in any
        case; integers and numbers are what Python's ``int``/``float`` accept. Query parameters
        the operation does not declare are refused. Schema defaults of absent query parameters are
        filled in. For an operation with a body, an empty body is refused even when the spec says
        it is optional, a body that is not JSON is a 400 (JSON content type) or a 415 (any other).
        """
        violations: list[Violation] = []
        parsed_body: Any = None
        if op.body_schema is not None:
            parsed_body, body_violations = self._parse_body(op, body, content_type)
            violations.extend(body_violations)
        pairs = list(query)
        declared = {p.name for p in op.parameters if p.location == "query"}
        extra = sorted({name for name, _ in pairs if name not in declared})
        if extra:
            detail = f"Extra query parameter(s) {', '.join(extra)} not in spec"
            for name in extra:
                violations.append(
                    Violation(
                        side="request",
                        operation=op.operation_id,
                        where=op.where,
                        pointer=op.pointer,
                        location=f"query.{name}",
                        message=f"query parameter {name!r} is not declared by {op.operation_id}",
                        title=None,
                        detail=detail,
                    )
                )
        parsed = ParsedRequest(path={}, query={}, body=parsed_body)
        defaulted: set[str] = set()
        header_map = {k.lower(): v for k, v in (headers or {}).items()}
        for where in ("query", "path", "header"):
            for parameter in op.parameters:
                if parameter.location != where:
                    continue
                raw: Any
                if where == "query":
                    values = [value for name, value in pairs if name == parameter.name]
                    raw = self._resolve_query(parameter, values) if values else None
                elif where == "path":
                    raw = path_params.get(parameter.name)
                else:
                    raw = header_map.get(parameter.name.lower())
                    if raw is not None and parameter.schema.get("type") == "array":
                        raw = raw.split(",")
                target = {"query": parsed.query, "path": parsed.path, "header": parsed.headers}[where]
                if raw is None:
                    if parameter.required:
                        violations.append(
                            self._param_violation(
                                op,
                                parameter,
                                parameter.pointer,
                                f"Missing {where} parameter '{parameter.name}'",
                            )
                        )
                    elif where == "query" and "default" in parameter.schema:
                        target[parameter.name] = parameter.schema["default"]
                        defaulted.add(parameter.name)
                    continue
                value, violation = self._check_parameter(op, parameter, raw)
                target[parameter.name] = value
                if violation is not None:
                    violations.append(violation)
        parsed.defaulted = frozenset(defaulted)
        return parsed, violations

    def _parse_body(
        self, op: Operation, body: bytes | None, content_type: str | None
    ) -> tuple[Any, list[Violation]]:
        assert op.body_pointer is not None
        request_body = op.body_pointer.rsplit("/content/", 1)[0]

        def refuse(pointer: str, location: str, message: str, **problem: Any) -> tuple[Any, list[Violation]]:
            violation = Violation(
                "request", op.operation_id, op.where, pointer, location, message, detail=message
            )
            return None, [replace(violation, **problem)]

        if body:
            mimetype = _mimetype(content_type)
            data: Any = None
            if _is_json_type(mimetype):
                try:
                    data = json.loads(body)
                except ValueError:
                    data = None
                if data is None:
                    media_pointer = op.body_pointer.rsplit("/", 1)[0]
                    return refuse(media_pointer, "body", "Request body is not valid JSON")
            else:
                return refuse(
                    f"{request_body}/content",
                    "content_type",
                    f"Invalid Content-type ({content_type or ''}), expected JSON data",
                    status=415,
                    title="Unsupported Media Type",
                    problem_type=ABOUT_BLANK,
                )
        else:
            if _deref(self.document, op.body_schema).get("nullable") is True:
                return None, []
            return refuse(request_body, "body", "Request body must not be empty")
        errors = self._compiler.compile(op.body_pointer, "request")(data)
        return data, self._violations(errors, op, "request", "body")

    @staticmethod
    def _resolve_query(parameter: Parameter, values: list[str]) -> Any:
        if parameter.schema.get("type") != "array":
            return values[-1]
        delimiter = _DELIMITERS.get(parameter.style, ",")
        joined = delimiter.join(values) if parameter.explode else values[-1]
        return joined.split(delimiter)

    def _param_violation(self, op: Operation, parameter: Parameter, pointer: str, detail: str) -> Violation:
        return Violation(
            side="request",
            operation=op.operation_id,
            where=op.where,
            pointer=pointer,
            location=f"{parameter.location}.{parameter.name}",
            message=detail,
            detail=detail,
        )

    def _check_parameter(self, op: Operation, parameter: Parameter, raw: Any) -> tuple[Any, Violation | None]:
        schema = parameter.schema
        schema_pointer = f"{parameter.pointer}/schema"
        if schema.get("nullable") is True and isinstance(raw, str) and raw.strip() in ("null", "None"):
            return None, None
        type_name = schema.get("type")
        value: Any = raw
        if type_name == "array":
            convert = _CONVERT.get(schema.get("items", {}).get("type", ""))
            if convert is not None:
                converted = []
                for item in raw:
                    try:
                        converted.append(convert(item))
                    except (ValueError, TypeError):
                        converted.append(item)
                value = converted
        elif type_name in _CONVERT:
            try:
                value = _CONVERT[type_name](raw)
            except ValueError:
                where = f"{parameter.location} parameter '{parameter.name}'"
                detail = f"Wrong type, expected '{type_name}' for {where}"
                return raw, self._param_violation(op, parameter, schema_pointer, detail)
        errors = self._compiler.compile(schema_pointer, "param")(value)
        if not errors:
            return value, None
        error = errors[0]
        violation = Violation(
            side="request",
            operation=op.operation_id,
            where=op.where,
            pointer=error.pointer,
            location=f"{parameter.location}.{parameter.name}{_format_path(error.path)}",
            message=error.message,
            detail=_long_message(error, schema_pointer, self.document, value),
        )
        return value, violation

    def body_defaults(self, op: Operation) -> dict[str, Any]:
        """Schema defaults of the top-level body properties (``allOf`` branches included)."""
        if op.body_schema is None:
            return {}
        defaults: dict[str, Any] = {}

        def collect(schema: Any) -> None:
            schema = _deref(self.document, schema)
            if not isinstance(schema, dict):
                return
            for branch in schema.get("allOf", ()):
                collect(branch)
            for name, sub in schema.get("properties", {}).items():
                sub = _deref(self.document, sub)
                if isinstance(sub, dict) and "default" in sub:
                    defaults.setdefault(name, sub["default"])

        collect(op.body_schema)
        return defaults

    def undeclared_body_fields(self, op: Operation, body: Any) -> list[str]:
        """Top-level keys of ``body`` the body schema does not declare (Airflow's schemas refuse them:
        ``{'bogus': ['Unknown field.']}``); empty when the schema allows any (``additionalProperties``)."""
        if op.body_schema is None or not isinstance(body, dict):
            return []
        names: set[str] = set()
        open_ended = False

        def collect(schema: Any) -> None:
            nonlocal open_ended
            schema = _deref(self.document, schema)
            if not isinstance(schema, dict):
                return
            for branch in schema.get("allOf", ()):
                collect(branch)
            names.update(schema.get("properties", {}))
            if schema.get("additionalProperties") not in (None, False):
                open_ended = True

        collect(op.body_schema)
        return [] if open_ended else [key for key in body if key not in names]

    def check_response(
        self, op: Operation, status: int, body: Any, content_type: str | None = "application/json"
    ) -> list[Violation]:
        """What is wrong with a response the fake is about to send.

        ``body`` is the decoded JSON value (bytes are decoded first) or text for a text media type;
        None or ``b""`` for no body. The status must be declared (or ``default``), the media type too
        (``application/problem+json`` counts as ``application/json``, which is how Airflow sends
        errors the spec declares as JSON; None means JSON), and the body must validate against the
        declared schema.
        """
        key: int | str = status
        if status not in op.response_pointers:
            if "default" not in op.response_pointers:
                declared = ", ".join(str(s) for s in op.response_pointers)
                return [
                    self._response_violation(
                        op,
                        f"{op.pointer}/responses",
                        "status",
                        f"status {status} is not declared (declared: {declared})",
                    )
                ]
            key = "default"
        pointer = op.response_pointers[key]
        media_types = op.response_media_types[key]
        empty = body is None or body == b"" or body == ""
        if not media_types:
            if empty:
                return []
            return [self._response_violation(op, pointer, "body", f"status {status} declares no body")]
        mimetype = _mimetype(content_type) if content_type else ""
        if not mimetype:
            mimetype = "application/json" if "application/json" in media_types else media_types[0]
        chosen = next((m for m in media_types if _mimetype(m) == mimetype), None)
        if chosen is None and _is_json_type(mimetype) and "application/json" in media_types:
            chosen = "application/json"
        if chosen is None:
            message = (
                f"content type {mimetype} is not declared for status {status} ({', '.join(media_types)})"
            )
            return [self._response_violation(op, f"{pointer}/content", "content_type", message)]
        schema_pointer = f"{pointer}/content/{_escape(chosen)}/schema"
        try:
            resolve_pointer(self.document, schema_pointer)
        except (KeyError, IndexError):
            return []
        if _is_json_type(_mimetype(chosen)):
            if isinstance(body, bytes | bytearray):
                if not body:
                    return [self._response_violation(op, schema_pointer, "body", "the body is empty")]
                try:
                    body = json.loads(body)
                except ValueError:
                    return [
                        self._response_violation(op, schema_pointer, "body", "the body is not valid JSON")
                    ]
        elif isinstance(body, bytes | bytearray):
            try:
                body = body.decode()
            except UnicodeDecodeError:
                return [self._response_violation(op, schema_pointer, "body", "the body is not UTF-8 text")]
        errors = self._compiler.compile(schema_pointer, "response")(body)
        return self._violations(errors, op, "response", "body")

    def _response_violation(self, op: Operation, pointer: str, location: str, message: str) -> Violation:
        return Violation(
            side="response",
            operation=op.operation_id,
            where=op.where,
            pointer=pointer,
            location=location,
            message=message,
            status=500,
            title=_RESPONSE_TITLE,
            detail=message,
        )

    # ---- Problem JSON

    def problem(
        self, status: int, title: str | None, detail: str | None, *, type: str | None = None
    ) -> dict[str, Any]:
        """Airflow's Problem JSON. ``type`` defaults to Airflow's link for ``status`` (`problem_type`)."""
        return {"detail": detail, "status": status, "title": title, "type": type or problem_type(status)}

    def request_problem(self, violations: Iterable[Violation]) -> tuple[int, dict[str, Any]] | None:
        """The status and Problem JSON the real server answers a request with these violations (the first
        one decides), or None when there are none."""
        for violation in violations:
            detail = violation.detail if violation.detail is not None else violation.message
            body = self.problem(violation.status, violation.title, detail, type=violation.problem_type)
            return violation.status, body
        return None


@functools.cache
def _default_spec() -> Spec:
    text = (resources.files("airflow_rest_v1") / "openapi.json").read_text(encoding="utf-8")
    return Spec(json.loads(text))
