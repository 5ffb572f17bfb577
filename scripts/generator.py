"""openapi-python-client, with free-form JSON objects typed as plain ``dict[str, Any]``.

    python scripts/generator.py generate --path SPEC ...   # the generator's own arguments

The generator makes a model class for every ``type: object`` schema, even one that declares no
properties: a DAG run's ``conf``, a task's ``params``, a dataset's ``extra``. Users would then wrap
and unwrap plain JSON (``DAGRunConf.from_dict({...})``), and a nullable one gets a placeholder
name (``DatasetExtraType0``). Here such a schema becomes a property whose Python value is the JSON
object itself, in both directions. Everything else is the pinned generator as it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

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


def main() -> None:
    properties.property_from_data = property_from_data  # type: ignore[assignment]
    responses.property_from_data = property_from_data  # type: ignore[assignment]
    from openapi_python_client.cli import app

    app()


if __name__ == "__main__":
    main()
