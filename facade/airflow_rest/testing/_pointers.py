"""JSON pointers and local ``$ref``\\s in an OpenAPI document, and where its schemas are.

Pointers are written as local references (``#/components/schemas/Pool``, ``#`` for the root), the
form a ``$ref`` uses; tokens are escaped as RFC 6901 says (``~`` is ``~0``, ``/`` is ``~1``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

__all__ = [
    "METHODS",
    "deref",
    "escape",
    "follow",
    "join",
    "resolve",
    "schema_positions",
    "subschemas",
    "unescape",
    "walk_schemas",
]

METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# JSON Schema (draft 4, which OpenAPI 3.0 extends) keywords whose value is a schema, a list of
# schemas, or a map of names to schemas
_ONE: Final = ("items", "additionalItems", "additionalProperties", "not")
_LISTS: Final = ("items", "allOf", "anyOf", "oneOf")
_MAPS: Final = ("properties", "patternProperties", "definitions", "dependencies")
# a chain of references longer than this is taken for a cycle
_MAX_HOPS: Final = 50


def escape(token: str) -> str:
    """``token`` as a pointer segment."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    """The token a pointer segment stands for."""
    return segment.replace("~1", "/").replace("~0", "~")


def join(pointer: str, *tokens: str | int) -> str:
    """``pointer`` followed by ``tokens``, escaped: ``join("#/paths", "/pools", "get")``."""
    return pointer.rstrip("/") + "".join(f"/{escape(str(token))}" for token in tokens)


def resolve(document: Any, pointer: str) -> Any:
    """The node ``pointer`` names in ``document``.

    Raises `KeyError` or `IndexError` when it names nothing, `ValueError` when it is not local.
    """
    if not pointer.startswith("#"):
        raise ValueError(f"only local references are supported, got {pointer!r}")
    node = document
    if pointer in ("#", "#/"):
        return node
    for segment in pointer[2:].split("/"):
        token = unescape(segment)
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, Mapping):
            node = node[token]
        else:
            raise KeyError(pointer)
    return node


def follow(document: Any, node: Any) -> tuple[Any, str | None]:
    """``node`` with its ``$ref`` chain followed, and the pointer of the last reference (None when
    ``node`` is no reference). Raises `ValueError` on a reference cycle."""
    pointer = None
    for _ in range(_MAX_HOPS):
        if not (isinstance(node, Mapping) and "$ref" in node):
            return node, pointer
        pointer = node["$ref"]
        node = resolve(document, pointer)
    raise ValueError(f"reference cycle through {pointer}")


def deref(document: Any, node: Any) -> Any:
    """``node`` with its ``$ref`` chain followed."""
    return follow(document, node)[0]


def subschemas(schema: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    """The schemas directly inside ``schema`` (``properties``, ``items``, ``allOf``...), with pointers."""
    if not isinstance(schema, Mapping):
        return
    for keyword, value in schema.items():
        if keyword in _ONE and isinstance(value, Mapping):
            yield join(pointer, keyword), value
        elif keyword in _LISTS and isinstance(value, list):
            for index, item in enumerate(value):
                yield join(pointer, keyword, index), item
        elif keyword in _MAPS and isinstance(value, Mapping):
            for name, item in value.items():
                if isinstance(item, Mapping):
                    yield join(pointer, keyword, name), item


def schema_positions(document: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The outermost schemas of an OpenAPI 3.0 document: ``components/schemas``, parameter schemas,
    and request and response media-type schemas (in ``paths`` and ``components``)."""

    def content(holder: Any, pointer: str) -> Iterator[tuple[str, Any]]:
        media_types = holder.get("content") if isinstance(holder, Mapping) else None
        for media, media_object in (media_types or {}).items():
            if isinstance(media_object, Mapping) and "schema" in media_object:
                yield join(pointer, "content", media, "schema"), media_object["schema"]

    def parameters(listed: Any, pointer: str) -> Iterator[tuple[str, Any]]:
        for index, parameter in enumerate(listed or ()):
            if isinstance(parameter, Mapping) and "schema" in parameter:
                yield join(pointer, index, "schema"), parameter["schema"]

    components = document.get("components", {})
    for name, schema in components.get("schemas", {}).items():
        yield join("#/components/schemas", name), schema
    for name, parameter in components.get("parameters", {}).items():
        if "schema" in parameter:
            yield join("#/components/parameters", name, "schema"), parameter["schema"]
    for name, body in components.get("requestBodies", {}).items():
        yield from content(body, join("#/components/requestBodies", name))
    for name, response in components.get("responses", {}).items():
        yield from content(response, join("#/components/responses", name))
    for path, item in document.get("paths", {}).items():
        path_pointer = join("#/paths", path)
        yield from parameters(item.get("parameters"), join(path_pointer, "parameters"))
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            op_pointer = join(path_pointer, method)
            yield from parameters(operation.get("parameters"), join(op_pointer, "parameters"))
            yield from content(operation.get("requestBody"), join(op_pointer, "requestBody"))
            for status, response in operation.get("responses", {}).items():
                yield from content(response, join(op_pointer, "responses", str(status)))


def walk_schemas(document: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every schema of an OpenAPI 3.0 document, outermost first, each once, with its pointer."""
    stack = list(schema_positions(document))
    stack.reverse()
    while stack:
        pointer, schema = stack.pop()
        yield pointer, schema
        stack.extend(reversed(list(subschemas(schema, pointer))))
