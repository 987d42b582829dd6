"""Rule shapes: each part of the rulebook document is declared once, as a msgspec Struct.

A shape (``class CoinRule(Shape)``) says which fields a part has, their types, which are
required and their defaults; ``Chars``, ``Between`` and ``Entries`` in its ``Annotated`` types
say what a value must be beyond its type (a pattern, a range, a length). The HTTP layer uses
the same Structs as request and response types, so the OpenAPI document lists every field the
domain reads (decision 0044).

``Reader`` checks a JSON object against a shape and reports *every* problem, in words, at its
path in the document (``coin_rules[0].amount: must be between 1 and 1000000``); a shape's own
rules (which fields go together, references between sections) stay in the function that reads
it. The constraints are markers of ours rather than ``msgspec.Meta``: msgspec would stop at the
first failure and name it in its own words, and a stored document that an older, looser rule
accepted must keep loading.

``Shape.to_dict`` is the canonical JSON form: fields in declaration order, every optional one
present (``None`` when unset), lists for tuples.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar, Union, cast, get_args, get_origin

import msgspec

from domain.shared.errors import DomainError
from domain.shared.text_patterns import TextPattern

MAX_COUNT: Final = 100_000_000
"""The largest integer a rule field takes unless it says otherwise."""
_MAX_TEXT: Final = 200
_MAX_ENTRIES: Final = 200


class Shape(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A part of the rulebook document: immutable, and nothing unknown accepted.

    msgspec applies ``kw_only`` to the fields a class itself declares: a shape with a
    required field after an optional one says ``kw_only=True`` again.
    """

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON-safe form (what the document stores)."""
        plain: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(self))
        return plain


@dataclass(frozen=True)
class Chars:
    """A string: ``pattern`` when given, else not blank when required; at most ``max_length``."""

    pattern: TextPattern | None = None
    max_length: int = _MAX_TEXT


@dataclass(frozen=True)
class Between:
    """An integer from ``minimum`` to ``maximum``."""

    minimum: int
    maximum: int = MAX_COUNT


@dataclass(frozen=True)
class Entries:
    """A list of at most ``limit`` entries."""

    limit: int


Kind = Literal["str", "int", "bool", "literal", "shapes", "other"]


@dataclass(frozen=True)
class FieldPlan:
    """How ``Reader.fields`` reads one declared field."""

    name: str
    kind: Kind
    required: bool
    default: Any
    marker: Any
    values: tuple[Any, ...] = ()
    """The allowed values of a ``Literal`` field."""
    shape: type[Shape] | None = None
    """The element shape of a ``tuple[Shape, ...]`` field."""


def _unwrap(hint: Any) -> tuple[Any, Any]:
    """``Annotated[T, marker] | None`` → ``(T, marker)``."""
    marker = None
    if get_origin(hint) in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) == 1:
            hint = options[0]
    if get_origin(hint) is typing.Annotated:
        hint, *extras = get_args(hint)
        marker = next((e for e in extras if isinstance(e, Chars | Between | Entries)), None)
    return hint, marker


def _kind(hint: Any) -> tuple[Kind, tuple[Any, ...], type[Shape] | None]:
    if hint is str:
        return "str", (), None
    if hint is int:
        return "int", (), None
    if hint is bool:
        return "bool", (), None
    if get_origin(hint) is Literal:
        return "literal", get_args(hint), None
    if get_origin(hint) is tuple:
        args = get_args(hint)
        element, _ = _unwrap(args[0]) if args else (None, None)
        variadic = len(args) == 2 and args[1] is Ellipsis
        if variadic and isinstance(element, type) and issubclass(element, Shape):
            return "shapes", (), element
    return "other", (), None


@functools.cache
def plan(shape: type[Shape]) -> tuple[FieldPlan, ...]:
    """Each declared field of ``shape`` as ``Reader.fields`` reads it (cached per shape)."""
    hints = typing.get_type_hints(shape, include_extras=True)
    plans = []
    for f in msgspec.structs.fields(shape):
        hint, marker = _unwrap(hints[f.name])
        kind, values, element = _kind(hint)
        default = None
        if f.default is not msgspec.NODEFAULT:
            default = f.default
        elif f.default_factory is not msgspec.NODEFAULT:
            default = f.default_factory()
        plans.append(
            FieldPlan(
                name=f.encode_name,
                kind=kind,
                required=f.required,
                default=default,
                marker=marker,
                values=values,
                shape=element,
            )
        )
    return tuple(plans)


def field_names(shape: type[Shape]) -> tuple[str, ...]:
    return tuple(f.name for f in plan(shape))


# --------------------------------------------------------------------------------------------
# Reading a document
# --------------------------------------------------------------------------------------------

T = TypeVar("T")
S = TypeVar("S", bound=Shape)


class Problems:
    """Collects field errors; ``raise_if_any`` raises them all as one ``validation_failed``."""

    def __init__(self) -> None:
        self.fields: list[dict[str, str]] = []

    def add(self, path: str, reason: str) -> None:
        self.fields.append({"field": path, "reason": reason})

    def raise_if_any(self) -> None:
        if self.fields:
            first = self.fields[0]
            raise DomainError(
                "validation_failed",
                f"invalid rulebook: {first['field']}: {first['reason']}"
                + (f" (and {len(self.fields) - 1} more)" if len(self.fields) > 1 else ""),
                {"fields": list(self.fields)},
            )


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class Reader:
    """Reads one JSON object at ``path``, reporting unknown keys and bad values.

    ``allowed`` is a shape (its declared fields) or the names themselves. ``null`` reads as
    an absent field: the default, or ``is required``.
    """

    def __init__(
        self,
        raw: object,
        path: str,
        problems: Problems,
        allowed: type[Shape] | Sequence[str],
        also: Sequence[str] = (),
    ) -> None:
        self.path = path
        self.problems = problems
        self.ok = True
        # Where each parsed list element stood in the document (failed ones are left out).
        self.positions: dict[str, list[int]] = {}
        if not isinstance(raw, Mapping):
            problems.add(path or "document", "must be an object")
            self.data: Mapping[str, Any] = {}
            self.ok = False
            return
        self.data = raw
        names = field_names(allowed) if isinstance(allowed, type) else tuple(allowed)
        known = {*names, *also}
        for key in raw:
            if key not in known:
                problems.add(self.at(str(key)), f"property {key} should not exist")
                self.ok = False

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, reason: str) -> None:
        self.problems.add(self.at(key), reason)
        self.ok = False

    def present(self, key: str) -> bool:
        return self.data.get(key) is not None

    def fields(
        self,
        shape: type[Shape],
        *,
        skip: Sequence[str] = (),
        own: Mapping[str, Callable[[], Any]] | None = None,
    ) -> dict[str, Any]:
        """Every declared field of ``shape`` but ``skip``, in declaration order: by its
        declaration, or by the shape's ``own`` reader of that field. A field that failed
        reads as its default (and the reader is no longer ``ok``)."""
        values: dict[str, Any] = {}
        for field in plan(shape):
            if field.name in skip:
                continue
            reader = own.get(field.name) if own else None
            values[field.name] = reader() if reader is not None else self.field(field)
        return values

    def field(self, field: FieldPlan) -> Any:
        name, marker, default = field.name, field.marker, field.default
        if field.kind == "str":
            text = marker if isinstance(marker, Chars) else Chars()
            return self.string(
                name,
                pattern=text.pattern,
                max_length=text.max_length,
                required=field.required,
                default=default,
            )
        if field.kind == "int":
            bounds = marker if isinstance(marker, Between) else Between(0)
            return self.integer(
                name,
                minimum=bounds.minimum,
                maximum=bounds.maximum,
                required=field.required,
                default=default,
            )
        if field.kind == "bool":
            return self.boolean(name, default=cast(bool, default))
        if field.kind == "literal":
            value = self.data.get(name)
            if value is None and not field.required:
                return default
            if value not in field.values:
                self.fail(name, f"must be one of {', '.join(map(str, field.values))}")
                return default
            return value
        if field.kind == "shapes" and field.shape is not None:
            element = field.shape
            limit = marker.limit if isinstance(marker, Entries) else _MAX_ENTRIES
            return tuple(
                self.items(
                    name, lambda raw, path: read(raw, path, self.problems, element), limit=limit
                )
            )
        raise TypeError(f"{name}: a field of this type is read by its shape's own reader")

    def string(
        self,
        key: str,
        *,
        pattern: TextPattern | None = None,
        max_length: int = _MAX_TEXT,
        required: bool = True,
        default: str | None = None,
    ) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return default
        if not isinstance(value, str):
            self.fail(key, "must be a string")
            return default
        if pattern is not None and not pattern.compiled.match(value):
            self.fail(key, pattern.requirement)
            return default
        if pattern is None and required and not value.strip():
            self.fail(key, "must not be blank")
            return default
        if len(value) > max_length:
            self.fail(key, f"must be at most {max_length} characters")
            return default
        return value

    def integer(
        self,
        key: str,
        *,
        minimum: int,
        maximum: int = MAX_COUNT,
        required: bool = True,
        default: int | None = None,
    ) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return default
        if not is_int(value):
            self.fail(key, "must be an integer")
            return default
        if not minimum <= value <= maximum:
            self.fail(key, f"must be between {minimum} and {maximum}")
            return default
        return cast(int, value)

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, "must be a boolean")
            return default
        return value

    def items(
        self,
        key: str,
        parse: Callable[[object, str], T | None],
        *,
        limit: int = _MAX_ENTRIES,
    ) -> list[T]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return []
        if len(value) > limit:
            self.fail(key, f"must have at most {limit} entries")
            return []
        parsed: list[T] = []
        positions = self.positions.setdefault(key, [])
        for index, element in enumerate(value):
            item = parse(element, f"{self.at(key)}[{index}]")
            if item is None:
                self.ok = False
            else:
                parsed.append(item)
                positions.append(index)
        return parsed

    def build(self, shape: type[S], values: Mapping[str, Any]) -> S | None:
        """The shape, when everything read was good (and every required field is there)."""
        if not self.ok:
            return None
        required = (f.name for f in plan(shape) if f.required)
        if any(values.get(name) is None for name in required):
            return None
        return shape(**values)


ShapeReader = Callable[[object, str, Problems], Any]
_READERS: dict[type[Shape], ShapeReader] = {}


def reads(shape: type[Shape]) -> Callable[[ShapeReader], ShapeReader]:
    """Declares the function that reads ``shape`` when its declaration is not enough."""

    def register(reader: ShapeReader) -> ShapeReader:
        _READERS[shape] = reader
        return reader

    return register


def read(raw: object, path: str, problems: Problems, shape: type[S]) -> S | None:
    """``shape`` read from ``raw``: by its own reader when it has one (``reads``), else by its
    declaration alone."""
    own = _READERS.get(shape)
    if own is not None:
        return cast(S | None, own(raw, path, problems))
    r = Reader(raw, path, problems, shape)
    return r.build(shape, r.fields(shape))
