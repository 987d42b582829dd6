"""Strict decoding: any unknown field is named, any known-good body round-trips."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import DomainError
from interfaces.http.body import Model, decode_strict
from interfaces.http.ingestion.events import EventRequest


class Inner(Model):
    age: int | None = None


class Outer(Model):
    name: str
    count: int = 0
    inner: Inner | None = None
    items: list[Inner] = []


KNOWN = {"name", "count", "inner", "items"}
field_names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: n not in KNOWN
)


@given(extra=st.sets(field_names, min_size=1, max_size=4), name=st.text(max_size=20))
def test_every_unknown_top_level_field_is_named(extra: set[str], name: str) -> None:
    body = {"name": name, **{key: 1 for key in extra}}
    with pytest.raises(DomainError) as raised:
        decode_strict(msgspec.json.encode(body), Outer)
    assert raised.value.code == "validation_failed"
    named = {f["field"] for f in raised.value.details["fields"]}  # type: ignore[index]
    assert named == extra
    for key in extra:
        assert f"property {key} should not exist" in raised.value.message


@given(extra=field_names.filter(lambda n: n != "age"), index=st.integers(0, 3))
def test_unknown_nested_fields_are_named_with_their_path(extra: str, index: int) -> None:
    items = [{"age": 1} for _ in range(index)] + [{extra: True}]
    body = {"name": "n", "inner": {extra: 1}, "items": items}
    with pytest.raises(DomainError) as raised:
        decode_strict(msgspec.json.encode(body), Outer)
    named = {f["field"] for f in raised.value.details["fields"]}  # type: ignore[index]
    assert named == {f"inner.{extra}", f"items[{index}].{extra}"}


@given(
    name=st.text(max_size=30),
    count=st.integers(-(2**40), 2**40),
    age=st.none() | st.integers(0, 200),
)
def test_valid_bodies_decode_exactly(name: str, count: int, age: int | None) -> None:
    body = {"name": name, "count": count, "inner": {"age": age}}
    decoded = decode_strict(msgspec.json.encode(body), Outer)
    assert decoded == Outer(name=name, count=count, inner=Inner(age=age))


@given(value=st.one_of(st.text(), st.booleans(), st.floats(allow_nan=False)))
def test_types_are_never_coerced(value: object) -> None:
    with pytest.raises(DomainError) as raised:
        decode_strict(msgspec.json.encode({"name": "n", "count": value}), Outer)
    assert raised.value.details == {
        "fields": [{"field": "count", "reason": raised.value.details["fields"][0]["reason"]}]
    }  # type: ignore[index]
    reason = raised.value.details["fields"][0]["reason"]  # type: ignore[index]
    assert "int" in reason and reason in raised.value.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
event_bodies = st.fixed_dictionaries(
    {},
    optional={
        "event_id": st.text(min_size=1, max_size=20) | json_values,
        "user_id": st.text(min_size=1, max_size=20) | json_values,
        "type": st.text(min_size=1, max_size=20) | json_values,
        "occurred_at": st.sampled_from(["2026-04-08T10:30:00Z", "2026-04-08", "yesterday"])
        | json_values,
        "properties": st.dictionaries(st.text(max_size=8), json_values, max_size=3) | json_values,
        "buddy_id": st.none() | st.text(max_size=10),
        "extra": json_values,
    },
)


@given(body=event_bodies)
def test_the_fast_decode_accepts_exactly_what_the_field_by_field_check_accepts(
    body: dict[str, object],
) -> None:
    """A fitting body takes msgspec's one-pass decode; the answer is the one the slow path
    (decode to builtins, name unknown fields, convert strictly) gives."""
    raw = msgspec.json.encode(body)
    try:
        expected: object = msgspec.convert(body, EventRequest, strict=True)
    except msgspec.ValidationError:
        expected = DomainError
    try:
        decoded: object = decode_strict(raw, EventRequest)
    except DomainError:
        decoded = DomainError
    assert decoded == expected
