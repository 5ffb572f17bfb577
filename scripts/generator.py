"""openapi-python-client, with free-form JSON objects typed as plain ``dict[str, Any]``, reading
the effective spec through ``generator_input``.

    python scripts/generator.py generate --path SPEC ...   # the generator's own arguments

The generator makes a model class for every ``type: object`` schema, even one that declares no
properties: a DAG run's ``conf``, a task's ``params``, a dataset's ``extra``. Users would then wrap
and unwrap plain JSON (``DAGRunConf.from_dict({...})``), and a nullable one gets a placeholder
name (``DatasetExtraType0``). Here such a schema becomes a property whose Python value is the JSON
object itself, in both directions.

The effective spec says what the server does in standard OpenAPI 3.0 terms; a few of those forms
the generator reads badly, so it is handed an equivalent spelling (``generator_input``). The shipped
``openapi.json`` keeps the standard form. Everything else is the pinned generator as it is.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import openapi_python_client
from openapi_python_client import schema as oai
from openapi_python_client.parser import properties, responses
from openapi_python_client.parser.properties import AnyProperty
from openapi_python_client.strings import PythonCode, PythonIdentifier


class JsonObjectProperty(AnyProperty):
    """A free-form JSON object: kept as the ``dict`` it is (no construct or transform step)."""

    _type_string: ClassVar[str] = "dict[str, Any]"
    _json_type_string: ClassVar[str] = "dict[str, Any]"

    def get_instance_type_string(self) -> PythonCode:
        return PythonCode("dict")


def is_free_form_object(data: Any) -> bool:
    """``type: object`` with no properties and no constraint on its other keys."""
    if not isinstance(data, oai.Schema) or data.type != oai.DataType.OBJECT:
        return False
    if data.properties or data.allOf or data.anyOf or data.oneOf or data.enum:
        return False
    extra = data.additionalProperties
    if extra is None or extra is True:
        return True
    return isinstance(extra, oai.Schema) and extra == oai.Schema()


_generated_property_from_data = properties.property_from_data


def property_from_data(name: Any, required: bool, data: Any, *args: Any, **kwargs: Any) -> Any:
    if is_free_form_object(data):
        schemas = kwargs["schemas"] if "schemas" in kwargs else args[0]
        config = kwargs["config"] if "config" in kwargs else args[2]
        prop = JsonObjectProperty.build(
            name=name,
            required=required,
            default=data.default,
            python_name=PythonIdentifier(value=name, prefix=config.field_prefix),
            description=data.description,
            example=data.example,
        )
        return prop, schemas
    return _generated_property_from_data(name, required, data, *args, **kwargs)


NAIVE_DATE_TIME = "naive-date-time"  # a date-time sent without an offset (spec/v1 naive-user-dates)


def generator_input(spec: dict[str, Any]) -> dict[str, Any]:
    """The effective spec in the spelling the generator reads as meant (a copy):

    - a nullable enum with null among its values (OpenAPI 3.0.3's form) loses ``nullable``: with
      both the generator builds three identical enum classes, with the null value alone one
      ``Enum | None``;
    - a one-value ``enum`` (OpenAPI 3.0 has no ``const``) becomes the ``const`` it is, which the
      generator turns into a ``Literal`` checked on parsing;
    - ``format: naive-date-time`` (a timestamp sent without an offset) becomes ``date-time``: the
      templates parse such values as aware datetimes, read as UTC;
    - a 204 answer loses its content: it declares the Content-Type header of an empty body, and
      there is nothing to parse.
    """
    result = copy.deepcopy(spec)

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        enum = node.get("enum")
        if isinstance(enum, list):
            if None in enum and node.get("nullable") is True:
                del node["nullable"]
            if len(enum) == 1 and enum[0] is not None and "const" not in node:
                node["const"] = node.pop("enum")[0]
        if node.get("format") == NAIVE_DATE_TIME:
            node["format"] = "date-time"
            node.pop("pattern", None)
        for value in node.values():
            visit(value)

    visit(result)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                answer = operation.get("responses", {}).get("204")
                if isinstance(answer, dict):
                    answer.pop("content", None)
    return result


_generated_get_document = openapi_python_client._get_document


def get_document(*args: Any, **kwargs: Any) -> Any:
    document = _generated_get_document(*args, **kwargs)
    return generator_input(document) if isinstance(document, dict) else document


def main() -> None:
    openapi_python_client._get_document = get_document
    properties.property_from_data = property_from_data  # type: ignore[assignment]
    responses.property_from_data = property_from_data  # type: ignore[assignment]
    from openapi_python_client.cli import app

    app()


if __name__ == "__main__":
    main()
