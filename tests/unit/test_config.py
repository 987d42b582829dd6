from __future__ import annotations

import json
from typing import Any

import pytest

from domain.configs.rulebook import (
    LAYER_ORDER,
    CoinRule,
    CollectionCondition,
    Condition,
    Rulebook,
    SkillDef,
    StreakCondition,
)
from domain.shared.errors import DomainError


def tokens(**primary_extra: Any) -> dict[str, Any]:
    return {
        "primary": {"token_key": "gems", "label": "Gems", **primary_extra},
        "progression": {"token_key": "xp", "label": "XP"},
    }


def doc(**sections: Any) -> dict[str, Any]:
    return {"token_config": tokens(), **sections}


def problems(document: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(DomainError) as caught:
        Rulebook.from_dict(document)
    assert caught.value.code == "validation_failed"
    assert caught.value.details is not None
    fields: list[dict[str, str]] = caught.value.details["fields"]
    return fields


def fields_of(document: dict[str, Any]) -> list[str]:
    return [p["field"] for p in problems(document)]


def coin_rule(**overrides: Any) -> dict[str, Any]:
    return {"id": "lesson", "event_type": "lesson_completed", "amount": 10, **overrides}


def test_a_minimal_document_gets_the_documented_defaults() -> None:
    rulebook = Rulebook.from_dict(
        doc(skills=[{"key": "grammar", "name": "Grammar"}], coin_rules=[coin_rule()])
    )
    assert rulebook.skills == (SkillDef(key="grammar", name="Grammar"),)
    assert rulebook.skills[0].max_value == 100
    assert rulebook.skills[0].points_per_level == 20
    rule = rulebook.coin_rules[0]
    assert (rule.multiplier, rule.daily_cap, rule.total_limit, rule.audience) == (
        1.0,
        None,
        None,
        None,
    )
    assert rulebook.evolution.auto_evolve is False
    assert rulebook.evolution.stages == ()
    assert rulebook.streaks == ()
    assert rulebook.token_config.token_keys == {"primary": "gems", "progression": "xp"}


def test_token_config_is_required() -> None:
    assert fields_of({"skills": []}) == ["token_config"]


def test_unknown_properties_are_rejected_with_their_path() -> None:
    found = problems(doc(colour="red", coin_rules=[coin_rule(userId="x")]))
    assert {"field": "colour", "reason": "property colour should not exist"} in found
    assert {"field": "coin_rules[0].userId", "reason": "property userId should not exist"} in found


def test_a_key_of_the_wrong_shape_is_told_what_it_must_be_in_words() -> None:
    found = problems(doc(coin_rules=[coin_rule(id="Lesson!", event_type="Lesson Done")]))
    assert found == [
        {
            "field": "coin_rules[0].id",
            "reason": "must be 1 to 64 lowercase letters, digits, `_` or `-`, starting with a "
            "letter or a digit",
        },
        {
            "field": "coin_rules[0].event_type",
            "reason": "must be 1 to 64 lowercase letters, digits, `_`, `.` or `-`, starting "
            "with a letter or a digit",
        },
    ]


def test_an_unknown_operator_is_a_validation_failure_naming_the_field() -> None:
    found = problems(
        doc(
            coin_rules=[
                coin_rule(conditions=[{"property": "score", "operator": "like", "value": 1}])
            ]
        )
    )
    assert found[0]["field"] == "coin_rules[0].conditions[0].operator"
    assert "like" in found[0]["reason"]


def test_every_problem_is_reported_at_once() -> None:
    found = fields_of(
        doc(
            coin_rules=[coin_rule(amount=0), coin_rule(id="Bad Id", daily_cap=-1)],
            skills=[{"key": "Grammar", "name": ""}],
        )
    )
    assert set(found) == {
        "coin_rules[0].amount",
        "coin_rules[1].id",
        "coin_rules[1].daily_cap",
        "skills[0].key",
        "skills[0].name",
    }


@pytest.mark.parametrize("amount", [True, 1.5, "10", None, 0, -3])
def test_amounts_are_positive_integers_and_bools_are_not_integers(amount: Any) -> None:
    assert fields_of(doc(coin_rules=[coin_rule(amount=amount)])) == ["coin_rules[0].amount"]


@pytest.mark.parametrize(
    ("operator", "value", "ok"),
    [
        ("eq", "x", True),
        ("eq", [1], False),
        ("neq", None, True),
        ("gt", 3, True),
        ("gte", "3", False),
        ("lt", True, False),
        ("in", ["a", "b"], True),
        ("in", "a", False),
        ("in", [], False),
        ("exists", True, True),
        ("exists", "yes", False),
    ],
)
def test_operator_values_are_checked(operator: str, value: Any, ok: bool) -> None:
    document = doc(
        coin_rules=[coin_rule(conditions=[{"property": "p", "operator": operator, "value": value}])]
    )
    if ok:
        Rulebook.from_dict(document)
    else:
        assert fields_of(document) == ["coin_rules[0].conditions[0].value"]


def test_exists_defaults_to_true_and_in_becomes_a_tuple() -> None:
    rulebook = Rulebook.from_dict(
        doc(
            coin_rules=[
                coin_rule(
                    conditions=[
                        {"property": "score", "operator": "exists"},
                        {"property": "level", "operator": "in", "value": ["a", "b"]},
                    ]
                )
            ]
        )
    )
    assert rulebook.coin_rules[0].conditions == (
        Condition(property="score", operator="exists", value=True),
        Condition(property="level", operator="in", value=("a", "b")),
    )


def test_rule_ids_are_unique_across_rule_kinds() -> None:
    document = doc(
        skills=[{"key": "grammar", "name": "Grammar"}],
        coin_rules=[coin_rule(id="lesson")],
        skill_rules=[
            {"id": "lesson", "event_type": "lesson_completed", "skill_key": "grammar", "amount": 1}
        ],
    )
    assert fields_of(document) == ["skill_rules[0].id"]


def test_references_to_skills_badges_items_and_streaks_must_resolve() -> None:
    document = doc(
        skills=[{"key": "grammar", "name": "Grammar"}],
        skill_rules=[{"id": "r", "event_type": "e", "skill_key": "spelling", "amount": 1}],
        badges=[
            {
                "key": "guru",
                "name": "Guru",
                "condition": {"kind": "skill_level", "skill_key": "grammar", "level": 6},
            },
            {
                "key": "set",
                "name": "Set",
                "condition": {"kind": "collection", "item_ids": ["hat"]},
            },
            {
                "key": "week",
                "name": "Week",
                "condition": {"kind": "streak", "streak_key": "daily", "days": 7},
            },
        ],
        evolution={"stages": [{"stage": 2, "conditions": {"badges": ["nope"]}}]},
    )
    assert fields_of(document) == [
        "skill_rules[0].skill_key",
        "badges[0].condition.level",
        "badges[1].condition.item_ids",
        "badges[2].condition.streak_key",
        "evolution.stages[0].conditions.badges",
    ]


def test_bad_skill_levels_and_token_amounts_are_reported_each_at_its_key() -> None:
    """A stage's ``min_skill_levels`` and a reward's tokens are objects of snake_case keys
    and positive integers (tokens at most 1000000); each bad entry is named."""
    streak = {"key": "daily", "event_types": ["lesson_completed"]}
    badge = {"key": "b", "name": "B", "condition": {"kind": "coin_threshold", "coins": 1}}
    document = doc(
        skills=[{"key": "grammar", "name": "Grammar"}],
        badges=[{**badge, "token_rewards": {"gems": 1_000_001, "Gems": 1}}],
        streaks=[{**streak, "milestones": [{"count": 3, "tokens": ["gems"]}]}],
        evolution={
            "stages": [
                {"stage": 2, "conditions": {"min_skill_levels": {"grammar": 0, "Grammar": 1}}},
                {"stage": 3, "conditions": {"min_skill_levels": [1]}},
                {"stage": 4, "conditions": {"min_skill_levels": {"grammar": True}}},
            ]
        },
    )
    assert problems(document) == [
        {"field": "badges[0].token_rewards.gems", "reason": "must be an integer from 1 to 1000000"},
        {"field": "badges[0].token_rewards.Gems", "reason": "must be a snake_case token key"},
        {
            "field": "evolution.stages[0].conditions.min_skill_levels.grammar",
            "reason": "must be an integer of at least 1",
        },
        {
            "field": "evolution.stages[0].conditions.min_skill_levels.Grammar",
            "reason": "must be a snake_case skill key",
        },
        {
            "field": "evolution.stages[1].conditions.min_skill_levels",
            "reason": "must be an object of skill_key: level",
        },
        {
            "field": "evolution.stages[2].conditions.min_skill_levels.grammar",
            "reason": "must be an integer of at least 1",
        },
        {
            "field": "streaks[0].milestones[0].tokens",
            "reason": "must be an object of token_key: amount",
        },
    ]
    stage = {"stage": 2, "conditions": {"min_skill_levels": {"grammar": 2}}}
    rewarded = {**badge, "token_rewards": {"xp": 2, "gems": 1}}
    rulebook = Rulebook.from_dict(
        doc(
            skills=[{"key": "grammar", "name": "Grammar"}],
            badges=[rewarded],
            evolution={"stages": [stage]},
        )
    )
    assert rulebook.evolution.stages[0].conditions.min_skill_levels == {"grammar": 2}
    assert list(rulebook.badges[0].token_rewards.items()) == [("gems", 1), ("xp", 2)]


def test_badge_conditions_of_every_kind_parse() -> None:
    rulebook = Rulebook.from_dict(
        doc(
            event_types=["lesson_completed"],
            skills=[{"key": "grammar", "name": "Grammar"}],
            items=[{"item_id": "hat", "name": "Hat", "category": "head", "price_coins": 10}],
            streak={"key": "daily", "event_type": "lesson_completed"},
            badges=[
                {"key": f"b{i}", "name": "B", "condition": condition}
                for i, condition in enumerate(
                    [
                        {"kind": "milestone", "event_type": "lesson_completed", "count": 3},
                        {"kind": "coin_threshold", "coins": 100},
                        {"kind": "skill_level", "skill_key": "grammar", "level": 2},
                        {"kind": "stage", "stage": 3},
                        {"kind": "collection", "item_ids": ["hat"]},
                        {"kind": "streak", "streak_key": "daily", "days": 7},
                    ]
                )
            ],
        )
    )
    kinds = [b.condition.kind for b in rulebook.badges]
    assert kinds == ["milestone", "coin_threshold", "skill_level", "stage", "collection", "streak"]
    assert rulebook.badges[4].condition == CollectionCondition(item_ids=("hat",))
    assert rulebook.badges[5].condition == StreakCondition(streak_key="daily", days=7)
    assert all(b.auto_award for b in rulebook.badges)


def test_an_unknown_badge_condition_kind_is_rejected() -> None:
    found = fields_of(doc(badges=[{"key": "b", "name": "B", "condition": {"kind": "formula"}}]))
    assert found == ["badges[0].condition.kind"]


@pytest.mark.parametrize(
    "stages",
    [
        [{"stage": 3, "conditions": {}}],  # must start at 2
        [{"stage": 2, "conditions": {}}, {"stage": 4, "conditions": {}}],  # gap
        [{"stage": 2, "conditions": {}}, {"stage": 2, "conditions": {}}],  # repeat
    ],
)
def test_evolution_stages_run_from_2_without_gaps(stages: list[dict[str, Any]]) -> None:
    assert fields_of(doc(evolution={"stages": stages})) == ["evolution.stages"]


def test_stage_6_does_not_exist() -> None:
    assert fields_of(doc(evolution={"stages": [{"stage": 6, "conditions": {}}]})) == [
        "evolution.stages[0].stage"
    ]


def test_token_slots() -> None:
    progression_cap = {
        "token_config": {
            "primary": {"token_key": "gems", "label": "Gems"},
            "progression": {"token_key": "xp", "label": "XP", "max_balance": 10},
        }
    }
    assert fields_of(progression_cap) == ["token_config.progression.max_balance"]
    same_keys = {
        "token_config": {
            "primary": {"token_key": "xp", "label": "A"},
            "progression": {"token_key": "xp", "label": "B"},
        }
    }
    assert fields_of(same_keys) == ["token_config.progression.token_key"]
    coins = {
        "token_config": {
            "primary": {"token_key": "coins", "label": "Coins"},
            "progression": {"token_key": "xp", "label": "XP"},
        }
    }
    assert fields_of(coins) == ["token_config.primary.token_key"]
    missing = {"token_config": {"primary": {"token_key": "gems", "label": "Gems"}}}
    assert fields_of(missing) == ["token_config.progression"]
    assert (
        Rulebook.from_dict(
            doc(token_config=tokens(max_balance=50))
        ).token_config.primary.max_balance
        == 50
    )


def test_the_multiplier_applies_in_decimal_and_rounds_down() -> None:
    assert CoinRule(id="r", event_type="e", amount=100, multiplier=1.15).effective_amount == 115
    assert CoinRule(id="r", event_type="e", amount=10, multiplier=1.5).effective_amount == 15
    assert CoinRule(id="r", event_type="e", amount=3, multiplier=0.5).effective_amount == 1
    assert fields_of(doc(coin_rules=[coin_rule(amount=1, multiplier=0.5)])) == [
        "coin_rules[0].multiplier"
    ]
    assert fields_of(doc(coin_rules=[coin_rule(multiplier=0)])) == ["coin_rules[0].multiplier"]


def test_items_have_a_category_and_its_layer_order() -> None:
    rulebook = Rulebook.from_dict(
        doc(items=[{"item_id": "hat", "name": "Hat", "category": "head", "price_coins": 10}])
    )
    assert rulebook.items[0].layer_order == 70 == LAYER_ORDER["head"]
    assert rulebook.item_categories == {"hat": "head"}
    assert fields_of(
        doc(items=[{"item_id": "x", "name": "X", "category": "costume", "price_coins": 1}])
    ) == ["items[0].category"]
    assert list(LAYER_ORDER.values()) == [10, 20, 30, 40, 50, 60, 70, 80, 90]
    booster = Rulebook.from_dict(
        doc(items=[{"item_id": "x", "name": "X", "category": "booster", "price_coins": 1}])
    ).items[0]
    assert (booster.layer_order, booster.is_visual, booster.is_consumable) == (90, False, True)


def test_duplicates_are_rejected() -> None:
    assert fields_of(doc(event_types=["a", "a"])) == ["event_types[1]"]
    assert fields_of(doc(skills=[{"key": "g", "name": "G"}, {"key": "g", "name": "H"}])) == [
        "skills[1]"
    ]


def test_skill_levels() -> None:
    skill = SkillDef(key="g", name="G", max_value=100, points_per_level=20)
    assert [skill.level_for(v) for v in (0, 19, 20, 99, 100, 500)] == [0, 0, 1, 4, 5, 5]
    assert skill.max_level == 5


def full_document() -> dict[str, Any]:
    return doc(
        event_types=["lesson_completed", "quiz_passed"],
        skills=[{"key": "grammar", "name": "Grammar", "max_value": 50, "points_per_level": 10}],
        coin_rules=[
            coin_rule(
                conditions=[{"property": "score", "operator": "gte", "value": 50}],
                daily_cap=50,
                weekly_cap=200,
                multiplier=2,
                total_limit=100,
                audience="premium",
            )
        ],
        skill_rules=[{"id": "s", "event_type": "quiz_passed", "skill_key": "grammar", "amount": 3}],
        badges=[
            {
                "key": "first",
                "name": "First",
                "description": "One lesson",
                "condition": {"kind": "milestone", "event_type": "lesson_completed", "count": 1},
                "coin_reward": 5,
                "auto_award": False,
            }
        ],
        streak={"key": "daily", "event_type": "lesson_completed", "period": "daily"},
        evolution={
            "auto_evolve": True,
            "stages": [
                {
                    "stage": 2,
                    "conditions": {
                        "min_progression_tokens": 10,
                        "min_skill_levels": {"grammar": 1},
                        "badges": ["first"],
                        "min_coins_earned": 20,
                    },
                }
            ],
        },
        items=[{"item_id": "hat", "name": "Hat", "category": "head", "price_coins": 10}],
    )


def test_to_dict_round_trips_and_is_json_safe_and_canonical() -> None:
    rulebook = Rulebook.from_dict(full_document())
    canonical = rulebook.to_dict()
    assert Rulebook.from_dict(canonical) == rulebook
    assert Rulebook.from_dict(json.loads(json.dumps(canonical))).to_dict() == canonical
    assert list(canonical) == list(Rulebook.SECTIONS)
    assert canonical["coin_rules"][0]["multiplier"] == 2.0
    assert list(canonical["coin_rules"][0]) == [
        "id",
        "event_type",
        "amount",
        "conditions",
        "daily_cap",
        "weekly_cap",
        "multiplier",
        "total_limit",
        "audience",
    ]
    # The same content in another key order serialises identically.
    shuffled = dict(reversed(list(full_document().items())))
    assert json.dumps(Rulebook.from_dict(shuffled).to_dict()) == json.dumps(canonical)
