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

Schemas are checked by ``jsonschema``'s draft 4 validator extended as connexion extends it
(``Draft4RequestValidator`` for request bodies, ``Draft4ResponseValidator`` for responses, neither
read-only nor write-only rules for parameters), so the messages are the real server's: ``nullable``
lets null through ``type`` and ``enum``; a ``readOnly`` property in a request body is refused
("Property is read-only") and is not required there; a ``writeOnly`` property in a response is
refused ("Property is write-only") and is not required there; ``format`` is checked with
jsonschema's draft 4 format checker (``date-time`` included); keywords it does not know are
ignored. Beyond connexion, as the corrected spec intends: a null among the ``enum`` values also lets
null through ``type``, a ``nullable`` sibling of a ``$ref`` lets null through, ``const`` is
enforced, and a ``discriminator`` picks the ``anyOf``/``oneOf`` branch to check. A schema's keywords
apply in a fixed order, ``type`` first as Airflow's YAML writes it, and an object's properties in
the order the value lists them (the shipped JSON is key-sorted, and the first error decides the
answer); a value of the wrong type gets no further errors from the schema's ``enum``, ``const``,
``$ref`` or ``allOf``/``anyOf``/``oneOf``/``not``.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, Final, Literal
from urllib.parse import quote, unquote

from airflow_rest_v1._meta import AIRFLOW_VERSION

from . import _pointers
from ._pointers import escape as _escape
from ._pointers import resolve as resolve_pointer

__all__ = [
    "ANNOTATION_KEYWORDS",
    "BASE_PATH",
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

# Keywords that change whether a value is valid (readOnly and writeOnly depending on the side).
VALIDATION_KEYWORDS: Final = frozenset(
    {
        # JSON Schema draft 4 (exclusiveMinimum and exclusiveMaximum are flags of minimum and maximum)
        "$ref",
        "additionalItems",
        "additionalProperties",
        "allOf",
        "anyOf",
        "dependencies",
        "enum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "format",
        "items",
        "maxItems",
        "maxLength",
        "maxProperties",
        "maximum",
        "minItems",
        "minLength",
        "minProperties",
        "minimum",
        "multipleOf",
        "not",
        "oneOf",
        "pattern",
        "patternProperties",
        "properties",
        "required",
        "type",
        "uniqueItems",
        # OpenAPI 3.0, and const (JSON Schema draft 6)
        "nullable",
        "readOnly",
        "writeOnly",
        "const",
    }
)
# Keywords that only describe (``discriminator`` steers anyOf/oneOf; ``default`` fills query parameters).
ANNOTATION_KEYWORDS: Final = frozenset(
    {"title", "description", "default", "example", "externalDocs", "deprecated", "xml", "discriminator"}
)

_METHODS: Final = _pointers.METHODS
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
_EXTRA: Final = "pip install 'airflow-rest[testing]'"
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SpecError(ValueError):
    """The spec document is broken: a reference that does not resolve, a schema that is not a schema."""


def problem_type(status: int) -> str:
    """The Problem JSON ``type`` Airflow gives its own errors of ``status`` (``about:blank`` otherwise)."""
    anchor = _PROBLEM_ANCHORS.get(status)
    return f"{DOCS_LINK}#section/Errors/{anchor}" if anchor else ABOUT_BLANK


def schema_keywords(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every keyword used in a schema of ``document``, with the pointers of the schemas using it.

    Schemas: those of ``components/schemas``, parameters, request and response media types (in
    ``paths`` and ``components``), and the schemas inside them (`_pointers.walk_schemas`).
    """
    found: dict[str, list[str]] = {}
    for pointer, schema in _pointers.walk_schemas(document):
        if isinstance(schema, Mapping):
            for keyword in schema:
                found.setdefault(keyword, []).append(pointer)
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
# schema validation

# The order a schema's keywords are applied in (the first error decides a request's answer); keywords
# not listed come last, in the schema's order.
_KEYWORD_ORDER: Final = {
    keyword: rank
    for rank, keyword in enumerate(
        (
            "type",
            "enum",
            "const",
            "format",
            "readOnly",
            "writeOnly",
            "x-writeOnly",
            "minLength",
            "maxLength",
            "pattern",
            "minimum",
            "maximum",
            "multipleOf",
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "properties",
            "patternProperties",
            "required",
            "additionalProperties",
            "dependencies",
            "minProperties",
            "maxProperties",
            "allOf",
            "anyOf",
            "oneOf",
            "not",
            "$ref",
        )
    )
}
# what each side refuses, and does not require: connexion's request and response validators
_REFUSED: Final[dict[Side, dict[str, str]]] = {
    "request": {"readOnly": "Property is read-only"},
    "response": {"writeOnly": "Property is write-only", "x-writeOnly": "Property is write-only"},
    "param": {},
}
# (validator, keyword value, instance, schema) -> errors: a jsonschema keyword function
Keyword = Callable[[Any, Any, Any, Mapping[str, Any]], Iterable[Any]]


@functools.cache
def _jsonschema() -> Any:
    """The jsonschema package, imported on first use: ``airflow_rest.testing`` imports without it (its
    pytest plugin is loaded by every pytest run where the package is installed)."""
    try:
        import jsonschema  # type: ignore[import-untyped]
        import jsonschema.validators  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"checking against the spec needs jsonschema: {_EXTRA}") from exc
    # connexion's format checker: jsonschema's draft 4 one, which checks date-time with rfc3339-validator
    if "date-time" not in jsonschema.Draft4Validator.FORMAT_CHECKER.checkers:  # pragma: no cover
        raise ImportError(f"checking date-time values as Airflow does needs rfc3339-validator: {_EXTRA}")
    return jsonschema


def _applicable(schema: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return sorted(schema.items(), key=lambda item: _KEYWORD_ORDER.get(item[0], len(_KEYWORD_ORDER)))


def _allows_null(schema: Mapping[str, Any]) -> bool:
    """connexion's ``nullable`` (or Swagger's ``x-nullable``), or a null among the ``enum`` values."""
    if schema.get("nullable") or schema.get("x-nullable") is True:
        return True
    enum = schema.get("enum")
    return isinstance(enum, list) and None in enum


def _wrong_type(validator: Any, instance: Any, schema: Mapping[str, Any]) -> bool:
    """Whether ``instance`` fails the ``type`` of ``schema`` (an error ``type`` reports)."""
    kind = schema.get("type")
    if kind is None or (instance is None and _allows_null(schema)):
        return False
    kinds = kind if isinstance(kind, list) else [kind]
    return not any(validator.is_type(instance, each) for each in kinds)


# Python types that are certainly of a JSON Schema type (others are left to jsonschema's type checker)
_CERTAINLY: Final[dict[str, type | tuple[type, ...]]] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


def _nullable_type(keyword: Keyword) -> Keyword:
    """Draft 4's ``type`` with connexion's ``nullable``, answering the common cases without the type
    checker (the errors are jsonschema's)."""

    def check(validator: Any, types: Any, instance: Any, schema: Mapping[str, Any]) -> Iterable[Any]:
        if instance is None:
            if _allows_null(schema):
                return ()
        elif isinstance(types, str):
            certain = _CERTAINLY.get(types)
            if (
                certain is not None
                and isinstance(instance, certain)
                and (types == "boolean" or not isinstance(instance, bool))
            ):
                return ()
        return keyword(validator, types, instance, schema)

    return check


def _nullable(keyword: Keyword) -> Keyword:
    """connexion's ``allow_nullable``: null passes the keyword when the schema allows null."""

    def check(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterable[Any]:
        if instance is None and _allows_null(schema):
            return ()
        return keyword(validator, value, instance, schema)

    return check


def _typed(keyword: Keyword) -> Keyword:
    """``keyword``, skipped for a value of the wrong type (whose error ``type`` already gives)."""

    def check(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterable[Any]:
        if _wrong_type(validator, instance, schema):
            return ()
        return keyword(validator, value, instance, schema)

    return check


class _Validators:
    """jsonschema validators for the schemas of one document: one class per side, one validator per
    schema node and side, built on first use and kept."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._classes: dict[Side, Any] = {}
        self._built: dict[Side, dict[int, tuple[Any, Any]]] = {side: {} for side in _REFUSED}
        self._targets: dict[str, Any] = {}
        self._pointers: dict[int, str] | None = None
        self._lock = threading.Lock()

    def compile(self, pointer: str, side: Side) -> Any:
        """The validator of the schema at ``pointer``."""
        try:
            schema = resolve_pointer(self.document, pointer)
        except (KeyError, IndexError, ValueError) as exc:
            raise SpecError(f"{pointer} does not resolve") from exc
        return self.of(schema, side)

    def of(self, schema: Any, side: Side) -> Any:
        """The validator of ``schema``, a node of the document."""
        built = self._built[side].get(id(schema))
        if built is not None and built[0] is schema:
            return built[1]
        cls = self._class(side)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        self._built[side][id(schema)] = (schema, validator)
        return validator

    def target(self, ref: str) -> Any:
        """The schema a ``$ref`` names."""
        schema = self._targets.get(ref)
        if schema is None:
            try:
                schema = resolve_pointer(self.document, ref)
            except (KeyError, IndexError, ValueError) as exc:
                raise SpecError(f"$ref {ref} does not resolve") from exc
            self._targets[ref] = schema
        return schema

    def pointer_of(self, schema: Any) -> str | None:
        """Where ``schema`` (a node of the document) is."""
        if self._pointers is None:
            with self._lock:
                if self._pointers is None:
                    index: dict[int, str] = {}
                    for pointer, node in _pointers.walk_schemas(self.document):
                        index.setdefault(id(node), pointer)
                    self._pointers = index
        return self._pointers.get(id(schema))

    def flagged(self, schema: Any, flag: str) -> bool:
        """Whether a property's schema (or, through ``$ref``, the schema it names) sets ``flag``."""
        seen: set[str] = set()
        while isinstance(schema, Mapping):
            if schema.get(flag):
                return True
            ref = schema.get("$ref")
            if not isinstance(ref, str) or ref in seen:
                return False
            seen.add(ref)
            schema = self.target(ref)
        return False

    # ---- the validator classes

    def _class(self, side: Side) -> Any:
        cls = self._classes.get(side)
        if cls is None:
            with self._lock:
                cls = self._classes.get(side)
                if cls is None:
                    draft4 = _jsonschema().Draft4Validator
                    cls = _jsonschema().validators.create(
                        meta_schema=draft4.META_SCHEMA,
                        validators=self._keywords(side),
                        type_checker=draft4.TYPE_CHECKER,
                        format_checker=draft4.FORMAT_CHECKER,
                        id_of=draft4.ID_OF,
                        applicable_validators=_applicable,
                    )
                    self._classes[side] = cls
        return cls

    def _keywords(self, side: Side) -> dict[str, Keyword]:
        """Draft 4's keywords with connexion's extensions for ``side``; those that look into subschemas
        use the validators kept here instead of building one per value (jsonschema's ``descend``)."""
        jsonschema = _jsonschema()
        draft4: Mapping[str, Keyword] = jsonschema.Draft4Validator.VALIDATORS
        error_class = jsonschema.ValidationError
        of = self.of
        built = self._built[side]
        refused = _REFUSED[side]
        # per `properties` map: (the map, {name: its schema's iter_errors})
        checks: dict[int, tuple[Any, dict[str, Callable[[Any], Iterator[Any]]]]] = {}

        def errors_of(instance: Any, schema: Any) -> Iterator[Any]:
            known = built.get(id(schema))
            validator = known[1] if known is not None and known[0] is schema else of(schema, side)
            return validator.iter_errors(instance)  # type: ignore[no-any-return]

        def descend(
            instance: Any, schema: Any, path: str | int | None = None, schema_path: str | int | None = None
        ) -> Iterator[Any]:
            for error in errors_of(instance, schema):
                if path is not None:
                    error.path.appendleft(path)
                if schema_path is not None:
                    error.schema_path.appendleft(schema_path)
                yield error

        def required(validator: Any, names: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
            # connexion's validate_required: what the side refuses is not required
            if not isinstance(instance, dict):
                return
            declared = schema.get("properties") or {}
            for name in names:
                if name in instance:
                    continue
                sub = declared.get(name)
                if sub is not None and any(self.flagged(sub, flag) for flag in refused):
                    continue
                missing = error_class(f"{name!r} is a required property")
                missing.member = name  # (the error's path is the object's)
                yield missing

        def refuse(message: str) -> Keyword:
            def check(validator: Any, flag: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
                if flag:
                    yield error_class(message)

            return check

        def properties(
            validator: Any, declared: Any, instance: Any, schema: Mapping[str, Any]
        ) -> Iterator[Any]:
            if not isinstance(instance, dict):
                return
            # in the order the value lists them (the real server follows its YAML, which the key-sorted
            # JSON has lost; clients tend to write fields in that order)
            known = checks.get(id(declared))
            if known is None or known[0] is not declared:
                known = (declared, {name: of(sub, side).iter_errors for name, sub in declared.items()})
                checks[id(declared)] = known
            by_name = known[1]
            for name, value in instance.items():
                errors = by_name.get(name)
                if errors is not None:
                    for error in errors(value):
                        error.path.appendleft(name)
                        error.schema_path.appendleft(name)
                        yield error

        def additional_properties(
            validator: Any, extra: Any, instance: Any, schema: Mapping[str, Any]
        ) -> Iterator[Any]:
            if (
                not (isinstance(extra, Mapping) and isinstance(instance, dict))
                or "patternProperties" in schema
            ):
                yield from draft4["additionalProperties"](validator, extra, instance, schema)
                return
            declared = schema.get("properties") or {}
            for name, value in instance.items():
                if name not in declared:
                    yield from descend(value, extra, path=name)

        def items(validator: Any, each: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
            if not isinstance(instance, list):
                return
            if isinstance(each, Mapping):
                for index, item in enumerate(instance):
                    for error in errors_of(item, each):
                        error.path.appendleft(index)
                        yield error
            else:
                for index, (item, sub) in enumerate(zip(instance, each, strict=False)):
                    yield from descend(item, sub, path=index, schema_path=index)

        def discriminated(keyword: str) -> Keyword:
            # the branch a discriminator names, else draft 4's anyOf/oneOf
            def check(
                validator: Any, branches: Any, instance: Any, schema: Mapping[str, Any]
            ) -> Iterable[Any]:
                picked = self._discriminated(branches, instance, schema)
                if picked is not None:
                    return picked(descend)
                return draft4[keyword](validator, branches, instance, schema)

            return check

        def ref(validator: Any, target: Any, instance: Any, schema: Mapping[str, Any]) -> Iterable[Any]:
            # connexion merges a $ref's siblings into the schema it names: both apply (siblings first),
            # and a nullable sibling lets null through
            if instance is None and _allows_null(schema):
                return ()
            if "type" in schema and _wrong_type(validator, instance, schema):
                return ()
            return errors_of(instance, self.target(target))

        keywords: dict[str, Keyword] = dict(draft4)
        keywords.update(
            {
                "type": _nullable_type(draft4["type"]),
                "enum": _typed(_nullable(draft4["enum"])),
                "const": _typed(jsonschema.Draft6Validator.VALIDATORS["const"]),
                "required": required,
                "properties": properties,
                "additionalProperties": additional_properties,
                "items": items,
                "allOf": _typed(draft4["allOf"]),
                "anyOf": _typed(discriminated("anyOf")),
                "oneOf": _typed(discriminated("oneOf")),
                "not": _typed(draft4["not"]),
                "$ref": ref,
            }
        )
        keywords.update({flag: refuse(message) for flag, message in refused.items()})
        return keywords

    def _discriminated(
        self, branches: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Callable[[Callable[..., Iterator[Any]]], Iterator[Any]] | None:
        """How to check an object against the branch its ``discriminator`` names; None without one.

        A branch is named by the last segment of its ``$ref`` or by the discriminator's ``mapping``.
        """
        discriminator = schema.get("discriminator")
        if not isinstance(discriminator, Mapping) or not isinstance(instance, dict):
            return None
        tag_name = discriminator.get("propertyName")
        by_tag: dict[str, tuple[int | None, Any]] = {}
        for index, branch in enumerate(branches):
            ref = branch.get("$ref") if isinstance(branch, Mapping) else None
            if isinstance(ref, str):
                by_tag[ref.rsplit("/", 1)[-1]] = (index, branch)
        for tag, ref in (discriminator.get("mapping") or {}).items():
            pointer = ref if ref.startswith("#") else f"#/components/schemas/{ref}"
            by_tag[tag] = (None, self.target(pointer))
        tag = instance.get(tag_name)
        chosen = by_tag.get(tag) if isinstance(tag, str) else None
        if chosen is not None:
            position, branch = chosen
            return lambda descend: descend(instance, branch, schema_path=position)
        known = sorted(by_tag)
        if tag_name not in instance:
            hint = f" (its discriminator {tag_name!r} is missing; one of {known})"
        else:
            hint = f" (discriminator {tag_name!r} is {tag!r}, not one of {known})"
        message = f"{instance!r} is not valid under any of the given schemas{hint}"
        return lambda descend: iter([_jsonschema().ValidationError(message)])


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


def _location(error: Any) -> tuple[str | int, ...]:
    """Where a failure is, relative to the checked value (a missing property's name included)."""
    member = getattr(error, "member", None)
    return (*error.path, member) if member is not None else tuple(error.path)


def _connexion_path(path: Iterable[str | int]) -> str:
    joined = ".".join(str(part) for part in path)
    return f" - '{joined}'" if joined else ""


def _type_first(schema: Any) -> Any:
    # Airflow's YAML lists `type` first; the shipped JSON is key-sorted.
    if isinstance(schema, dict) and "type" in schema:
        return {"type": schema["type"], **{k: v for k, v in schema.items() if k != "type"}}
    return schema


def _long_message(error: Any) -> str:
    """``str(error)``: what connexion puts in the detail of a bad parameter, the failing schema printed
    in the order of Airflow's YAML."""
    error.schema = _type_first(error.schema)
    return str(error)


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
        self._validators = _Validators(document)
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
        try:
            return _pointers.follow(self.document, node)
        except (KeyError, IndexError, ValueError) as exc:
            raise SpecError(f"{node!r} does not resolve") from exc

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
        check = self._validators.compile(pointer, side)

        def validate(value: Any) -> list[tuple[str, str, str]]:
            return [
                (_format_path(_location(error)), self._pointer_of(error, pointer), error.message)
                for error in check.iter_errors(value)
            ]

        return validate

    def _pointer_of(self, error: Any, fallback: str) -> str:
        return self._validators.pointer_of(error.schema) or fallback

    def compile_all(self) -> int:
        """Build the validators of every schema of the document, for requests and responses; the number
        of schemas.

        Raises `SpecError` on a schema that is not a JSON Schema (draft 4, which OpenAPI 3.0 extends) or
        a ``$ref`` that does not resolve.
        """
        draft4 = _jsonschema().Draft4Validator
        meta = draft4(draft4.META_SCHEMA)
        for pointer, schema in _pointers.schema_positions(self.document):
            problem = next(meta.iter_errors(schema), None)
            if problem is not None:
                where = _pointers.join(pointer, *problem.path)
                raise SpecError(f"{where}: not a schema: {problem.message}")
        count = 0
        for _pointer, schema in _pointers.walk_schemas(self.document):
            count += 1
            ref = schema.get("$ref") if isinstance(schema, Mapping) else None
            if isinstance(ref, str):
                self._validators.target(ref)
            for side in ("request", "response"):
                self._validators.of(schema, side)
        return count

    def _errors(self, pointer: str, side: Side, value: Any) -> list[Any]:
        return list(self._validators.compile(pointer, side).iter_errors(value))

    def _violations(
        self, errors: Iterable[Any], root: str, operation: Operation, side: str, prefix: str
    ) -> list[Violation]:
        out = []
        status, title = (400, "Bad Request") if side == "request" else (500, _RESPONSE_TITLE)
        for error in errors:
            out.append(
                Violation(
                    side=side,
                    operation=operation.operation_id,
                    where=operation.where,
                    pointer=self._pointer_of(error, root),
                    location=prefix + _format_path(_location(error)),
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
        the operation does not declare are refused when it declares any parameter. Schema
        defaults of absent query parameters are filled in. For an operation with a body, an empty
        body is refused even when the spec says it is optional, a body that is not JSON is a 400
        (JSON content type) or a 415 (any other).
        """
        violations: list[Violation] = []
        parsed_body: Any = None
        if op.body_schema is not None:
            parsed_body, body_violations = self._parse_body(op, body, content_type)
            violations.extend(body_violations)
        pairs = list(query)
        declared = {p.name for p in op.parameters if p.location == "query"}
        # connexion validates parameters only on operations that declare some: /health, /version
        # or POST /variables take any query string
        extra = sorted({name for name, _ in pairs if name not in declared}) if op.parameters else []
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
            if _pointers.deref(self.document, op.body_schema).get("nullable") is True:
                return None, []
            return refuse(request_body, "body", "Request body must not be empty")
        errors = self._errors(op.body_pointer, "request", data)
        return data, self._violations(errors, op.body_pointer, op, "request", "body")

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
        error = next(self._validators.compile(schema_pointer, "param").iter_errors(value), None)
        if error is None:
            return value, None
        pointer = self._pointer_of(error, schema_pointer)
        violation = Violation(
            side="request",
            operation=op.operation_id,
            where=op.where,
            pointer=pointer,
            location=f"{parameter.location}.{parameter.name}{_format_path(_location(error))}",
            message=error.message,
            detail=_long_message(error),
        )
        return value, violation

    def body_defaults(self, op: Operation) -> dict[str, Any]:
        """Schema defaults of the top-level body properties (``allOf`` branches included)."""
        if op.body_schema is None:
            return {}
        defaults: dict[str, Any] = {}

        def collect(schema: Any) -> None:
            schema = _pointers.deref(self.document, schema)
            if not isinstance(schema, dict):
                return
            for branch in schema.get("allOf", ()):
                collect(branch)
            for name, sub in schema.get("properties", {}).items():
                sub = _pointers.deref(self.document, sub)
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
            schema = _pointers.deref(self.document, schema)
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
        errors a spec may declare as JSON; None means the declared one), and the body must validate
        against the declared schema. A 204 or 304 answer has no body, whatever media type it declares.
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
        if not media_types or status in (204, 304):  # (a 204 may declare the type of its empty body)
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
        errors = self._errors(schema_pointer, "response", body)
        return self._violations(errors, schema_pointer, op, "response", "body")

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
