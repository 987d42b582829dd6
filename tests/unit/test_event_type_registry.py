"""The rulebook's event-type registry (decision 0041): old string entries still parse and are
written back unchanged, objects round-trip, ids and keys are unique; the did-you-mean
suggestion is always a registered type."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.configs.event_types import suggestion, users_of
from domain.configs.presets import preset_document
from domain.configs.rulebook import EventTypeDef, Rulebook
from domain.shared.errors import DomainError


def with_types(entries: list[Any]) -> dict[str, Any]:
    return {**preset_document("language-learning"), "event_types": entries}


def test_a_document_of_plain_names_parses_and_is_written_back_unchanged() -> None:
    document = preset_document("language-learning")
    rulebook = Rulebook.from_dict(document)
    assert rulebook.event_types[0] == "lesson_completed"
    assert rulebook.event_type_defs[0] == EventTypeDef(
        id="lesson_completed", key="lesson_completed"
    )
    assert rulebook.to_dict()["event_types"] == document["event_types"]


def test_an_object_entry_round_trips_and_a_plain_object_is_written_as_its_name() -> None:
    renamed = {
        "id": "chapter",
        "key": "chapter_finished",
        "label": "Chapter finished",
        "description": None,
        "former_keys": ["chapter_read"],
    }
    rulebook = Rulebook.from_dict(with_types([renamed, {"key": "plain_one"}]))
    assert rulebook.event_types == ("chapter_finished", "plain_one")
    assert rulebook.to_dict()["event_types"] == [renamed, "plain_one"]
    assert Rulebook.from_dict(rulebook.to_dict()) == rulebook


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        (["a_type", "a_type"], "event_types[1]"),
        ([{"id": "x", "key": "a"}, {"id": "x", "key": "b"}], "event_types[1].id"),
        ([{"key": "a", "colour": "red"}], "event_types[0].colour"),
        ([{"key": "Not OK"}], "event_types[0].key"),
        ([{"key": "a", "former_keys": "b"}], "event_types[0].former_keys"),
        ([{"key": "a", "label": "x" * 81}], "event_types[0].label"),
    ],
)
def test_bad_entries_are_named_by_their_path(entries: list[Any], field: str) -> None:
    with pytest.raises(DomainError) as raised:
        Rulebook.from_dict(with_types(entries))
    assert field in [f["field"] for f in (raised.value.details or {})["fields"]]


def test_users_of_a_type_are_the_rules_and_streaks_naming_it() -> None:
    rulebook = Rulebook.from_dict(preset_document("language-learning"))
    users = users_of(rulebook, "lesson_completed")
    assert "coin_rules[0]" in users and "streaks[0]" in users
    assert users_of(rulebook, "never_used") == []


def test_a_typo_is_matched_to_the_registered_type() -> None:
    registered = ["lesson_completed", "quiz_passed", "daily_login"]
    assert suggestion("lesson_complete", registered) == "lesson_completed"
    assert suggestion("quiz_pased", registered) == "quiz_passed"
    assert suggestion("purchase_made", registered) is None


names = st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True)


@given(st.lists(names, max_size=8), names)
def test_a_suggestion_is_always_a_registered_type_other_than_the_one_sent(
    registered: list[str], sent: str
) -> None:
    suggested = suggestion(sent, [r for r in registered if r != sent])
    assert suggested is None or (suggested in registered and suggested != sent)
