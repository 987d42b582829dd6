"""The rulebook shapes' constraints in the OpenAPI document.

A rulebook shape (``domain/configs/shapes.py``) says what a value must be with markers of its
own (``Chars``, ``Between``, ``Entries``) rather than ``msgspec.Meta``, so that the domain can
report every problem in its own words (decision 0044). Litestar knows nothing of those markers:
without this plugin the document would say ``string`` where the server demands
``^[a-z0-9][a-z0-9_.\\-]{0,63}$``. ``ShapeSchemaPlugin`` documents a shape as Litestar documents
any Struct, with each marker turned into the ``pattern``, ``maxLength``, ``minimum``,
``maximum`` or ``maxItems`` it stands for, so a generated client can check what the server
checks.
"""

from __future__ import annotations

import functools
import operator
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from litestar.openapi.spec import OpenAPIType, Reference, Schema
from litestar.params import KwargDefinition
from litestar.plugins import OpenAPISchemaPlugin
from litestar.types import Empty
from litestar.typing import FieldDefinition

from domain.configs.shapes import Between, Chars, Entries, Shape

if typing.TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator


def constraint_of(marker: Chars | Between | Entries) -> KwargDefinition:
    """The OpenAPI constraints a marker stands for."""
    if isinstance(marker, Chars):
        pattern = marker.pattern.regex if marker.pattern else None
        return KwargDefinition(pattern=pattern, max_length=marker.max_length)
    if isinstance(marker, Between):
        return KwargDefinition(ge=marker.minimum, le=marker.maximum)
    return KwargDefinition(max_items=marker.limit)


def documented(hint: Any) -> Any:
    """``hint`` with every marker, at any depth, replaced by its ``KwargDefinition``."""
    origin = get_origin(hint)
    if origin is Annotated:
        inner, *extras = get_args(hint)
        kept = [constraint_of(e) if isinstance(e, Chars | Between | Entries) else e for e in extras]
        return Annotated[(documented(inner), *kept)]
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, [documented(a) for a in get_args(hint)])
    if origin is tuple:
        elements = tuple(a if a is Ellipsis else documented(a) for a in get_args(hint))
        return tuple[elements]  # type: ignore[valid-type]
    return hint


class ShapeSchemaPlugin(OpenAPISchemaPlugin):
    """Documents a rulebook shape (and every Struct that extends one) with its constraints."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return not field_definition.is_union and field_definition.is_subclass_of(Shape)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        shape = field_definition.type_
        hints = typing.get_type_hints(shape, include_extras=True)
        info = msgspec.inspect.type_info(shape)
        assert isinstance(info, msgspec.inspect.StructType)
        properties = {
            field.encode_name: FieldDefinition.from_annotation(
                documented(hints[field.name]),
                name=field.encode_name,
                default=field.default
                if field.default not in (msgspec.NODEFAULT, msgspec.UNSET)
                else Empty,
            )
            for field in info.fields
        }
        required = [field.encode_name for field in info.fields if field.required]
        if info.tag_field:
            properties[info.tag_field] = FieldDefinition.from_annotation(Literal[info.tag])
            required.append(info.tag_field)
        schema = schema_creator.create_component_schema(
            field_definition, required=sorted(required), property_fields=properties
        )
        for field in info.fields:
            if _minimum_zero(hints[field.name]) and schema.properties:
                _set_minimum_zero(schema.properties[field.encode_name])
        return schema


def _minimum_zero(hint: Any) -> bool:
    """Whether ``hint`` (or its non-null arm) is an integer of ``Between(0, ...)``: Litestar
    drops a bound that is falsy, so a zero minimum is written after the schema is made."""
    if get_origin(hint) in (Union, types.UnionType):
        return any(_minimum_zero(a) for a in get_args(hint))
    if get_origin(hint) is Annotated:
        return any(isinstance(e, Between) and e.minimum == 0 for e in get_args(hint)[1:])
    return False


def _set_minimum_zero(schema: Schema | Reference) -> None:
    if not isinstance(schema, Schema):
        return
    if schema.type == OpenAPIType.INTEGER:
        schema.minimum = 0
    for arm in schema.one_of or ():
        _set_minimum_zero(arm)
