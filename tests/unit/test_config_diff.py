from __future__ import annotations

from typing import Any

from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook
from domain.configs.rulebook_diff import describe_changes


def book(change: Any = None) -> Rulebook:
    document = preset_document("language-learning")
    if change is not None:
        change(document)
    return Rulebook.from_dict(document)


def test_equal_rulebooks_have_no_changes() -> None:
    assert describe_changes(book(), book()) == []


def test_coin_amounts_read_like_the_seed() -> None:
    def bump(document: dict[str, Any]) -> None:
        document["coin_rules"][0]["amount"] = 25

    assert describe_changes(book(), book(bump)) == ["lesson_completed coins: 10 → 25"]


def test_added_removed_and_changed_items_are_named() -> None:
    def edit(document: dict[str, Any]) -> None:
        document["coin_rules"] = [r for r in document["coin_rules"] if r["id"] != "quiz_passed"]
        document["badges"].append(
            {
                "key": "night_owl",
                "name": "Night Owl",
                "description": "",
                "condition": {"kind": "coin_threshold", "coins": 10},
                "coin_reward": None,
                "auto_award": True,
            }
        )
        document["badges"][1]["condition"]["count"] = 30
        document["skill_rules"][0]["amount"] = 5
        document["token_config"]["primary"]["label"] = "Gold stars"
        document["evolution"]["auto_evolve"] = True
        document["evolution"]["stages"][0]["conditions"]["min_coins_earned"] = 150
        document["event_types"].append("essay_submitted")

    assert describe_changes(book(), book(edit)) == [
        "new event type: essay_submitted",
        "removed coin rule: quiz_passed",
        "lesson_vocabulary vocabulary points: 2 → 5",
        "primary token: label Stars → Gold stars",
        "new badge: night_owl",
        "badge scholar: condition 25 x lesson_completed → 30 x lesson_completed",
        "auto evolve: off → on",
        "evolution stage 2: min coins earned 100 → 150",
    ]


def test_conditions_and_streaks_are_described_in_words() -> None:
    def edit(document: dict[str, Any]) -> None:
        document["coin_rules"][0]["conditions"] = [
            {"property": "level", "operator": "in", "value": ["b1", "b2"]}
        ]
        document["streaks"] = [{"key": "daily_quiz", "event_types": ["quiz_passed"]}]
        document["badges"] = [b for b in document["badges"] if b["key"] != "week_warrior"]

    lines = describe_changes(book(), book(edit))
    assert "coin rule lesson_completed: conditions none → level in [b1, b2]" in lines
    assert "removed streak: daily_lesson" in lines
    assert "new streak: daily_quiz (quiz_passed)" in lines
