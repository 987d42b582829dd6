"""``copy_json`` copies JSON-shaped values deeply: equal, and no dict or list shared."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.shared.json_values import copy_json

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
scalars |= st.uuids() | st.datetimes() | st.decimals(allow_nan=False)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


def containers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *(c for v in value.values() for c in containers(v))]
    if isinstance(value, list):
        return [value, *(c for v in value for c in containers(v))]
    return []


@given(document=documents | st.sets(st.integers(), max_size=3))
def test_a_copy_is_equal_and_shares_no_container(document: Any) -> None:
    copied = copy_json(document)
    assert copied == document
    originals = {id(c) for c in containers(document)}
    assert not originals & {id(c) for c in containers(copied)}
    if isinstance(document, set):  # not JSON: handed to deepcopy
        assert copied is not document
