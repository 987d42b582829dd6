"""The JSON body check against a plain recursive oracle: exactly the bad fields are named, in
document order; depth is counted right whatever the strings hold; nothing ever recurses."""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.shared.errors import DomainError
from interfaces.http.json_hygiene import MAX_DEPTH, MAX_NAMED, check_json_body, nesting_depth
from interfaces.http.storable import INT_MAX, INT_MIN


class Pairs(list[tuple[str, Any]]):
    """A JSON object written as pairs, so a key can repeat."""


NASTY = "\x00\ud800\udbff\udc00\udfff"
storable_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
keys = st.text(alphabet=st.sampled_from('ab"\\[]{}') | storable_chars, max_size=4)
storable_text = st.text(alphabet=st.sampled_from('ab"\\[]{}/') | storable_chars, max_size=8)
any_text = st.text(
    alphabet=st.sampled_from('a"\\[]{}' + NASTY) | st.characters(codec=None), max_size=8
)
tricky_text = st.text(alphabet='\\"[]{}a', max_size=6)
"""Strings that end in a backslash, hold quotes and brackets: what could fool a depth count."""
storable_numbers = st.integers(INT_MIN, INT_MAX) | st.floats(allow_nan=False, allow_infinity=False)
any_numbers = st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)


def documents(text: st.SearchStrategy[str], numbers: st.SearchStrategy[Any]) -> Any:
    return st.recursive(
        st.none() | st.booleans() | numbers | text,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.lists(st.tuples(keys | text, inner), max_size=3).map(Pairs)
        ),
        max_leaves=12,
    )


def encode(value: Any, ascii_only: bool) -> str:
    if isinstance(value, Pairs):
        items = (f"{encode(k, ascii_only)}:{encode(v, ascii_only)}" for k, v in value)
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v, ascii_only) for v in value) + "]"
    if isinstance(value, float) and math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    if isinstance(value, Literal):
        return str(value)
    return json.dumps(value, ensure_ascii=ascii_only)


def raw_of(value: Any, ascii_only: bool) -> bytes:
    """UTF-8 JSON; lone surrogates can only travel escaped, so those texts go as ASCII."""
    text = encode(value, ascii_only)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return encode(value, True).encode("utf-8")


def as_read(text: str) -> str:
    """``text`` as a JSON parser reads it back: an escaped high+low surrogate pair is one
    (storable) character."""
    return str(json.loads(json.dumps(text)))


def bad(text: str) -> bool:
    return any(ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in as_read(text))


def shown(text: str) -> str:
    return "".join(f"\\u{ord(ch):04x}" if bad(ch) else ch for ch in as_read(text))


def oracle(value: Any, path: str = "") -> list[str]:
    """Every offending path, in document order, by plain recursion."""
    if isinstance(value, Pairs):
        found: list[str] = []
        seen: set[str] = set()
        for key, item in value:
            where = f"{path}.{shown(key)}" if path else shown(key)
            found += [where] * (bad(key) + (as_read(key) in seen))
            seen.add(as_read(key))
            found += oracle(item, where)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in oracle(item, f"{path}[{i}]")]
    if isinstance(value, str) and bad(value):
        return [path or "body"]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    out_of_range = isinstance(value, int) and not INT_MIN <= value <= INT_MAX
    return (
        [path or "body"] if out_of_range or (isinstance(value, float) and math.isinf(value)) else []
    )


def depth_of(value: Any) -> int:
    if isinstance(value, Pairs):
        return 1 + max((depth_of(v) for _, v in value), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def named(raw: bytes) -> list[str] | None:
    try:
        check_json_body(raw)
    except DomainError as refused:
        assert refused.code == "validation_failed"
        return [f["field"] for f in refused.details["fields"]]  # type: ignore[index]
    return None


@given(document=documents(any_text, any_numbers), ascii_only=st.booleans())
def test_exactly_the_offending_fields_are_named_in_document_order(
    document: Any, ascii_only: bool
) -> None:
    expected = oracle(document)
    result = named(raw_of(document, ascii_only))
    assert result == (expected[:MAX_NAMED] or None)


@given(document=documents(storable_text, storable_numbers), ascii_only=st.booleans())
def test_what_passes_is_what_msgspec_decodes(document: Any, ascii_only: bool) -> None:
    """Both parsers read an accepted body the same way, so the handler sees what was checked."""
    raw = raw_of(document, ascii_only)
    if named(raw) is None:
        assert msgspec.json.decode(raw) == json.loads(raw)


@settings(max_examples=300)
@given(document=documents(tricky_text | any_text, any_numbers), ascii_only=st.booleans())
def test_nesting_depth_ignores_brackets_inside_strings(document: Any, ascii_only: bool) -> None:
    assert nesting_depth(raw_of(document, ascii_only)) == depth_of(document)


@given(
    levels=st.integers(MAX_DEPTH + 1, 200_000),
    opener=st.sampled_from([b"[", b'{"k":']),
    closed=st.booleans(),
)
def test_any_depth_past_the_bound_is_malformed_json_and_never_recursion(
    levels: int, opener: bytes, closed: bool
) -> None:
    closer = b"]" if opener == b"[" else b"}"
    raw = opener * levels + b"1" + (closer * levels if closed else b"")
    with pytest.raises(DomainError) as refused:
        check_json_body(raw)
    assert refused.value.code == "malformed_json"
    assert refused.value.details == {"max_depth": MAX_DEPTH}


@given(levels=st.integers(1, MAX_DEPTH))
def test_depth_up_to_the_bound_passes(levels: int) -> None:
    check_json_body(b"[" * levels + b"]" * levels)


def node_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path (indexes) to every node of ``value``, the root included."""
    if isinstance(value, Pairs):
        inner = [p for i, (_, v) in enumerate(value) for p in node_paths(v, (*path, i))]
    elif isinstance(value, list):
        inner = [p for i, v in enumerate(value) for p in node_paths(v, (*path, i))]
    else:
        inner = []
    return [path, *inner]


def put(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    index, rest = path[0], path[1:]
    if isinstance(value, Pairs):
        return Pairs(
            [(k, put(v, rest, new) if i == index else v) for i, (k, v) in enumerate(value)]
        )
    return [put(v, rest, new) if i == index else v for i, v in enumerate(value)]


def path_text(value: Any, path: tuple[Any, ...]) -> str:
    text = ""
    for index in path:
        if isinstance(value, Pairs):
            key, value = value[index]
            text = f"{text}.{key}" if text else key
        else:
            text, value = f"{text}[{index}]", value[index]
    return text or "body"


@given(
    document=documents(storable_text, storable_numbers),
    bad_value=st.sampled_from(["\x00", "a\x00", "\ud800", "x\udbff", "\udc00y", "\udfff\ud800"])
    | st.sampled_from(["1e400", "-1e309", "9223372036854775808", "-9223372036854775809"]),
    ascii_only=st.booleans(),
    data=st.data(),
)
def test_one_bad_value_anywhere_is_named_with_its_path(
    document: Any, bad_value: str, ascii_only: bool, data: st.DataObject
) -> None:
    """The keys are unique here, so the one refusal is for the planted value."""
    document = dedupe(document)
    where = data.draw(st.sampled_from(node_paths(document)))
    planted = put(document, where, Literal(bad_value) if bad_value[-1].isdigit() else bad_value)
    assert named(raw_of(planted, ascii_only)) == [path_text(document, where)]


class Literal(str):
    """A number literal written as is."""


def dedupe(value: Any) -> Any:
    if isinstance(value, Pairs):
        unique = {as_read(k): dedupe(v) for k, v in value}
        return Pairs(unique.items())
    if isinstance(value, list):
        return [dedupe(v) for v in value]
    return value


@pytest.mark.parametrize(
    "raw", [b"{", b'{"a": NaN}', b"[Infinity]", b'"\xed\xa0\x80"', b"\xff", b'{"a":1}x', b"'a'"]
)
def test_text_that_is_not_utf8_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(DomainError) as refused:
        check_json_body(raw)
    assert refused.value.code == "malformed_json"


def test_only_the_first_offenders_are_listed() -> None:
    raw = json.dumps(["\x00"] * (MAX_NAMED + 5)).encode()
    with pytest.raises(DomainError) as refused:
        check_json_body(raw)
    assert len(refused.value.details["fields"]) == MAX_NAMED  # type: ignore[index]
    assert refused.value.message.endswith("and 5 more")
