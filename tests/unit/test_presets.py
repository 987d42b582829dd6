from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from domain.configs.presets import PRESET_KEYS, PRESET_SUMMARIES, preset_document, preset_summary
from domain.configs.rulebook import MAX_STAGE, Rulebook
from domain.ingestion.rules import CustomerEvent, ProgressState, evaluate
from domain.shared.errors import NotFound


def test_the_four_presets_of_the_contract() -> None:
    assert PRESET_KEYS == ("language-learning", "fitness", "productivity", "custom")
    for summary in PRESET_SUMMARIES:
        assert set(summary) == {"key", "name", "description"}
        assert summary["name"] and summary["description"]
    assert preset_summary("fitness")["key"] == "fitness"


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_every_preset_validates_and_is_already_canonical(key: str) -> None:
    document = preset_document(key)
    rulebook = Rulebook.from_dict(document)
    assert rulebook.to_dict() == document
    assert Rulebook.from_dict(rulebook.to_dict()) == rulebook
    assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_every_preset_is_a_complete_day_one_rulebook(key: str) -> None:
    rulebook = Rulebook.from_dict(preset_document(key))
    assert rulebook.skills
    assert rulebook.coin_rules
    assert all(r.daily_cap or r.weekly_cap or r.total_limit for r in rulebook.coin_rules)
    assert rulebook.badges
    assert rulebook.token_config.primary.token_key != rulebook.token_config.progression.token_key
    assert [s.stage for s in rulebook.evolution.stages] == [2, 3, 4, 5]
    assert rulebook.max_stage == MAX_STAGE
    assert rulebook.streaks
    assert all(set(s.event_types) <= set(rulebook.event_types) for s in rulebook.streaks)
    assert 5 <= len(rulebook.items) <= 8
    used = {r.event_type for r in rulebook.coin_rules} | {
        r.event_type for r in rulebook.skill_rules
    }
    assert used <= set(rulebook.event_types)


def test_preset_documents_are_copies() -> None:
    document = preset_document("custom")
    document["coin_rules"].clear()
    assert preset_document("custom")["coin_rules"]


def test_an_unknown_preset_is_not_found() -> None:
    with pytest.raises(NotFound):
        preset_document("chess")
    with pytest.raises(NotFound):
        preset_summary("chess")


def test_language_learning_gives_the_seed_example_its_10_coins() -> None:
    rulebook = Rulebook.from_dict(preset_document("language-learning"))
    event = CustomerEvent(
        event_id="evt_789",
        type="lesson_completed",
        user_id="user_123",
        occurred_at=datetime(2026, 4, 8, 10, 30, tzinfo=UTC),
        properties={"lesson_id": "lesson_456", "score": 87},
    )
    effects = evaluate(rulebook, ProgressState(), event).effects
    assert effects.coins == 10
    assert effects.badges_awarded == ()
    assert effects.token_credits == ()
    assert effects.evolution_ready is False
