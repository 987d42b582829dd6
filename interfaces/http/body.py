"""Strict request bodies: exact JSON types, and unknown fields named one by one.

Litestar converts bodies non-strictly (``"3"`` would become ``3``) and names the
body rather than the field when one is unknown. ``StrictBody[Model]`` decodes
with msgspec in strict mode and reports every offending field the way the
contract says: ``property companyName should not exist``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import msgspec
import msgspec.inspect as mi
from litestar.dto import MsgspecDTO
from litestar.openapi.spec import Reference, Schema
from litestar.typing import FieldDefinition

from domain.shared.errors import DomainError
from domain.shared.text_patterns import TEXT_PATTERNS

T = TypeVar("T", bound=msgspec.Struct)

_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_MISSING = re.compile(r"missing required field `(?P<name>[^`]+)`")
_PATTERN_FAILURES = {
    f"Expected `str` matching regex {pattern.regex!r}": pattern.requirement
    for pattern in TEXT_PATTERNS
}
"""msgspec's words for a pattern failure → ours (``domain/shared/text_patterns.py``)."""


class Model(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: snake_case fields, nothing unknown accepted."""


def decode_strict(raw: bytes, model: type[T]) -> T:
    """Decode ``raw`` as ``model``; a body that does not fit is decoded again, slowly, to
    name every unknown field (msgspec itself stops at the first)."""
    if not raw.strip():
        raw = b"{}"
    try:
        return msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.DecodeError:
        pass
    try:
        document = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise DomainError("malformed_json", "request body is not valid JSON") from None
    unknown = sorted(_unknown_fields(document, _type_info(model), ""))
    if unknown:
        raise DomainError(
            "validation_failed",
            "; ".join(
                f"property {name} should not exist" + (f"; did you mean {hint}?" if hint else "")
                for name, hint in unknown
            ),
            {"fields": [{"field": name, "reason": "should not exist"} for name, _ in unknown]},
        )
    try:
        return msgspec.convert(document, model, strict=True)
    except msgspec.ValidationError as error:
        raise validation_error(str(error), _type_info(model)) from None


@functools.cache
def _type_info(model: type[msgspec.Struct]) -> mi.Type:
    return mi.type_info(model)


def validation_error(text: str, info: mi.Type | None = None) -> DomainError:
    """Turn a msgspec message (``Expected `int`, got `str` - at `$.amount```) into ours; a
    pattern failure says what the text must be, in words."""
    match = _PATH.search(text)
    path = match.group("path") if match else ""
    reason = _PATH.sub("", text)
    reason = _PATTERN_FAILURES.get(reason, reason)
    not_allowed = _NOT_ALLOWED.fullmatch(reason)
    allowed = _literal_values(info, path) if not_allowed and info is not None else None
    if not_allowed and allowed:
        reason = f"unknown value {not_allowed.group('value')}; allowed: " + ", ".join(
            str(value) for value in allowed
        )
    missing = _MISSING.search(reason)
    if missing:
        path = f"{path}.{missing.group('name')}" if path else missing.group("name")
        reason = "is required"
    field = path or "body"
    return DomainError(
        "validation_failed",
        f"{field}: {reason}",
        {"fields": [{"field": field, "reason": reason}]},
    )


_NOT_ALLOWED = re.compile(r"Invalid enum value (?P<value>.+)")
_STEP = re.compile(r"\.?(?P<name>[^.\[]+)|\[(?P<index>\d+)\]")


def _literal_values(info: mi.Type, path: str) -> tuple[object, ...] | None:
    """The values the ``Literal`` at ``path`` (``scopes[1]``, ``items[0].kind``) allows."""
    for step in _STEP.finditer(path):
        while isinstance(info, mi.UnionType):
            options = [t for t in info.types if not isinstance(t, mi.NoneType)]
            if len(options) != 1:
                return None
            info = options[0]
        if step.group("name") is not None and isinstance(info, mi.StructType):
            found = [f.type for f in info.fields if f.encode_name == step.group("name")]
            if not found:
                return None
            info = found[0]
        elif step.group("index") is not None and isinstance(info, mi.ListType):
            info = info.item_type
        else:
            return None
    while isinstance(info, mi.UnionType):
        literals = [t for t in info.types if isinstance(t, mi.LiteralType)]
        if len(literals) != 1:
            return None
        info = literals[0]
    return info.values if isinstance(info, mi.LiteralType) else None


def snake_case(name: str) -> str:
    """``eventId`` → ``event_id``: what a camelCase client most likely meant."""
    return _CAMEL_HUMP.sub("_", name).lower()


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _unknown_fields(value: Any, info: mi.Type, path: str) -> Iterator[tuple[str, str | None]]:
    """Each unknown field's path, with the known field it most likely meant (or ``None``)."""
    if isinstance(info, mi.UnionType):
        for option in info.types:
            if _accepts(option, value):
                yield from _unknown_fields(value, option, path)
                return
    elif isinstance(info, mi.StructType) and isinstance(value, dict):
        known = {f.encode_name: f for f in info.fields}
        for name, item in value.items():
            where = f"{path}.{name}" if path else name
            if name not in known:
                meant = snake_case(name)
                suggestion = f"{path}.{meant}" if path else meant
                yield where, suggestion if meant != name and meant in known else None
            else:
                yield from _unknown_fields(item, known[name].type, where)
    elif isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unknown_fields(item, info.item_type, f"{path}[{index}]")


def _accepts(info: mi.Type, value: Any) -> bool:
    if isinstance(info, mi.StructType):
        return isinstance(value, dict)
    if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType):
        return isinstance(value, list)
    return False


class StrictBody(MsgspecDTO[T], Generic[T]):
    """A DTO that only changes how the body is decoded; the schema is the model's own."""

    def decode_bytes(self, value: bytes) -> Any:
        return decode_strict(value, self.model_type)

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Reference | Schema:
        schema: Reference | Schema = schema_creator.for_field_definition(
            FieldDefinition.from_annotation(cls.model_type)
        )
        return schema
