"""Any text the event store accepted round-trips through the view store unchanged, on both
backends: NUL, control characters, lone surrogates and the encoding's own ``MARK`` included;
equality lookups and keyset pagination over such values find every row exactly once."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infrastructure.persistence.event_store import ensure_postgres_schema
from infrastructure.persistence.view_store import ViewStore
from infrastructure.persistence.view_text import MARK, decode_text, encode_text
from infrastructure.shared.settings import Settings
from projections.shared.base import Delete, Table, Upsert

TEXTS = Table(
    name="view_test_texts",
    key=("key",),
    columns={"key": "text", "value": "text", "tag": "text", "data": "text"},
)
TRICKY = ["\x00", "\x01", "\x1f", "\x7f", MARK, "\ud800", "\udfff", "0", "f", "\ufffe", "é"]
"""NUL, control characters, the mark, lone surrogates and the hex digits that follow a mark."""

text = st.text(
    alphabet=st.one_of(st.sampled_from(TRICKY), st.characters(codec=None, exclude_categories=())),
    max_size=12,
)
_counter = itertools.count()


@pytest.fixture
def views(settings: Settings) -> Iterator[ViewStore]:
    if settings.database_schema:
        ensure_postgres_schema(settings)
    store = ViewStore(settings)
    store.create_tables([TEXTS])
    yield store
    store.close()


@given(text)
def test_the_encoding_is_reversible_and_leaves_storable_text_alone(value: str) -> None:
    stored = encode_text(value)
    assert decode_text(stored) == value
    assert "\x00" not in stored
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in stored)
    storable = not any(c in ("\x00", MARK) or 0xD800 <= ord(c) <= 0xDFFF for c in value)
    if storable:
        assert stored == value


@given(text, text)
def test_the_encoding_is_injective(first: str, second: str) -> None:
    assert (encode_text(first) == encode_text(second)) == (first == second)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=text, tag=text)
def test_any_text_round_trips_through_the_view_store(
    views: ViewStore, value: str, tag: str
) -> None:
    key = f"{value}#{next(_counter)}"
    document = {"value": value}
    views.apply(
        "texts",
        [Upsert(TEXTS.name, {"key": key}, {"value": value, "tag": tag, "data": document})],
        1,
    )

    found = views.rows(TEXTS.name, {"key": key})
    assert found == [{"key": key, "value": value, "tag": tag, "data": document}]
    assert views.rows(TEXTS.name, {"key": key, "value": value, "tag": tag}) == found
    assert views.count(TEXTS.name, {"key": key, "tag": tag}) == 1
    assert views.select(f"SELECT value FROM {TEXTS.name} WHERE key = {{p}}", [key]) == [
        {"value": value}
    ]
    views.apply("texts", [Delete(TEXTS.name, {"key": key})], 1)
    assert views.rows(TEXTS.name, {"key": key}) == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keys=st.lists(text, min_size=1, max_size=12, unique=True), size=st.integers(1, 5))
def test_keyset_pages_over_any_text_return_every_row_once(
    views: ViewStore, keys: list[str], size: int
) -> None:
    tag = f"page-{next(_counter)}"
    views.apply("texts", [Upsert(TEXTS.name, {"key": k}, {"tag": tag}) for k in keys], 1)

    seen: list[str] = []
    after: list[str] | None = None
    while True:
        page = views.rows(
            TEXTS.name, {"tag": tag}, order_by=[("key", False)], after=after, limit=size
        )
        seen += [row["key"] for row in page]
        if len(page) < size:
            break
        after = [page[-1]["key"]]
    assert sorted(seen) == sorted(keys)
