from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.configs.rulebook import Condition, Rulebook
from domain.ingestion.rules import (
    DAILY_WINDOW_DAYS,
    BadgeAward,
    CoinCredit,
    CustomerEvent,
    Evaluation,
    ProgressState,
    TokenCredit,
    TraceEntry,
    apply,
    check_evolution,
    condition_holds,
    evaluate,
    fold,
    iso_week,
    utc_day,
)
from domain.ingestion.streaks import StreakBurn, StreakTick
from domain.shared.errors import DomainError

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)  # a Wednesday, ISO week 2026-W15


def base_doc(**sections: Any) -> dict[str, Any]:
    """A rulebook document with a gems/xp token config and whatever sections are given."""
    document: dict[str, Any] = {
        "token_config": {
            "primary": {"token_key": "gems", "label": "Gems"},
            "progression": {"token_key": "xp", "label": "XP"},
        }
    }
    document.update(sections)
    return document


def book(**sections: Any) -> Rulebook:
    return Rulebook.from_dict(base_doc(**sections))


def coin(
    rule_id: str = "lesson", event_type: str = "lesson_completed", amount: int = 10, **more: Any
) -> dict[str, Any]:
    return {"id": rule_id, "event_type": event_type, "amount": amount, **more}


_counter = iter(range(10**9))


def ev(
    event_type: str = "lesson_completed",
    at: datetime = T0,
    properties: dict[str, Any] | None = None,
    audience: str | None = None,
) -> CustomerEvent:
    return CustomerEvent(
        event_id=f"evt_{next(_counter)}",
        type=event_type,
        user_id="user_1",
        occurred_at=at,
        properties=properties or {},
        audience=audience,
    )


def entry(evaluation: Evaluation, rule_id: str) -> TraceEntry:
    matches = [t for t in evaluation.trace if t.rule_id == rule_id]
    assert len(matches) == 1, evaluation.trace
    return matches[0]


def run(
    rulebook: Rulebook, events: Iterable[CustomerEvent], state: ProgressState | None = None
) -> tuple[ProgressState, list[Evaluation]]:
    return fold(rulebook, state or ProgressState(), events)


# Basic firing and reasons ------------------------------------------------------------


def test_a_matching_event_fires_its_coin_rule() -> None:
    evaluation = evaluate(book(coin_rules=[coin()]), ProgressState(), ev())
    assert evaluation.effects.coins == 10
    assert evaluation.effects.coin_credits == (CoinCredit("lesson", 10, 10),)
    assert entry(evaluation, "lesson").to_dict() == {
        "rule_id": "lesson",
        "kind": "coin",
        "fired": True,
        "reason": "fired",
        "amount": 10,
        "requested": 10,
        "clipped": False,
    }


def test_another_event_type_is_a_type_mismatch() -> None:
    evaluation = evaluate(book(coin_rules=[coin()]), ProgressState(), ev("quiz_passed"))
    assert evaluation.effects.coins == 0
    found = entry(evaluation, "lesson")
    assert (found.fired, found.reason) == (False, "type_mismatch")


def test_a_false_condition_says_which_property_and_why() -> None:
    rulebook = book(
        coin_rules=[
            coin(
                conditions=[
                    {"property": "lesson_id", "operator": "exists"},
                    {"property": "score", "operator": "gte", "value": 90},
                ]
            )
        ]
    )
    evaluation = evaluate(rulebook, ProgressState(), ev(properties={"lesson_id": "l", "score": 87}))
    assert evaluation.effects.coins == 0
    assert entry(evaluation, "lesson").to_dict() == {
        "rule_id": "lesson",
        "kind": "coin",
        "fired": False,
        "reason": "condition_false",
        "property": "score",
        "operator": "gte",
        "expected": 90,
        "actual": 87,
    }
    assert (
        evaluate(
            rulebook, ProgressState(), ev(properties={"lesson_id": "l", "score": 90})
        ).effects.coins
        == 10
    )


@pytest.mark.parametrize(
    ("operator", "value", "properties", "holds"),
    [
        ("eq", "speaking", {"p": "speaking"}, True),
        ("eq", "speaking", {"p": "reading"}, False),
        ("eq", 1, {"p": 1.0}, True),
        ("eq", 1, {"p": True}, False),
        ("eq", True, {"p": 1}, False),
        ("eq", "1", {"p": 1}, False),
        ("eq", None, {"p": None}, True),
        ("eq", "x", {}, False),
        ("neq", "free", {"p": "premium"}, True),
        ("neq", "free", {"p": "free"}, False),
        ("neq", "free", {}, True),
        ("gt", 5, {"p": 6}, True),
        ("gt", 5, {"p": 5}, False),
        ("gte", 5, {"p": 5}, True),
        ("lt", 5, {"p": 4.5}, True),
        ("lt", 5, {"p": 5}, False),
        ("lte", 5, {"p": 5}, True),
        ("gt", 5, {"p": "6"}, False),
        ("gt", 0, {"p": True}, False),
        ("gte", 0, {}, False),
        ("in", ("a", "b"), {"p": "b"}, True),
        ("in", ("a", "b"), {"p": "c"}, False),
        ("in", (1, 2), {"p": 2.0}, True),
        ("in", ("a",), {}, False),
        ("exists", True, {"p": 0}, True),
        ("exists", True, {"p": None}, False),
        ("exists", True, {}, False),
        ("exists", False, {}, True),
        ("exists", False, {"p": "x"}, False),
    ],
)
def test_operators(operator: Any, value: Any, properties: dict[str, Any], holds: bool) -> None:
    condition = Condition(property="p", operator=operator, value=value)
    assert condition_holds(condition, properties)[0] is holds


def test_a_dotted_property_reads_nested_objects_but_an_exact_key_wins() -> None:
    condition = Condition(property="lesson.level", operator="eq", value="b1")
    assert condition_holds(condition, {"lesson": {"level": "b1"}}) == (True, "b1")
    assert condition_holds(condition, {"lesson.level": "b1", "lesson": {"level": "a1"}}) == (
        True,
        "b1",
    )
    assert condition_holds(condition, {"lesson": "b1"}) == (False, None)


def test_the_audience_must_match_when_the_rule_names_one() -> None:
    rulebook = book(coin_rules=[coin("checkout", "checkout_complete", 500, audience="premium")])
    for audience in (None, "student"):
        evaluation = evaluate(rulebook, ProgressState(), ev("checkout_complete", audience=audience))
        assert entry(evaluation, "checkout").to_dict() == {
            "rule_id": "checkout",
            "kind": "coin",
            "fired": False,
            "reason": "audience_mismatch",
            "expected": "premium",
            "actual": audience,
        }
    premium = evaluate(rulebook, ProgressState(), ev("checkout_complete", audience="premium"))
    assert premium.effects.coins == 500


# Caps, multiplier, total limit ---------------------------------------------------------


def test_the_daily_cap_clips_the_last_award_then_refuses() -> None:
    rulebook = book(coin_rules=[coin(amount=10, daily_cap=25)])
    _, evaluations = run(rulebook, [ev(at=T0 + timedelta(minutes=i)) for i in range(4)])
    assert [e.effects.coins for e in evaluations] == [10, 10, 5, 0]
    assert entry(evaluations[2], "lesson").details["clipped"] is True
    assert entry(evaluations[3], "lesson").to_dict() == {
        "rule_id": "lesson",
        "kind": "coin",
        "fired": False,
        "reason": "daily_cap_reached",
        "cap": 25,
        "count": 25,
        "bucket": "2026-04-08",
    }


def test_days_are_utc_days_whatever_the_offset_of_occurred_at() -> None:
    rulebook = book(coin_rules=[coin(amount=10, daily_cap=10)])
    before_midnight = datetime(2026, 4, 8, 23, 59, 59, tzinfo=UTC)
    # 01:30 at UTC+02:00 is 23:30 UTC the day before: still 2026-04-08.
    same_utc_day = datetime(2026, 4, 9, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    next_utc_day = datetime(2026, 4, 9, 0, 0, tzinfo=UTC)
    assert utc_day(same_utc_day) == "2026-04-08"
    _, evaluations = run(
        rulebook, [ev(at=before_midnight), ev(at=same_utc_day), ev(at=next_utc_day)]
    )
    assert [e.effects.coins for e in evaluations] == [10, 0, 10]
    assert entry(evaluations[1], "lesson").reason == "daily_cap_reached"


def test_weeks_are_iso_weeks() -> None:
    rulebook = book(coin_rules=[coin(amount=10, weekly_cap=15)])
    sunday = datetime(2026, 4, 12, 23, 0, tzinfo=UTC)
    monday = datetime(2026, 4, 13, 0, 0, tzinfo=UTC)
    assert (iso_week(sunday), iso_week(monday)) == ("2026-W15", "2026-W16")
    _, evaluations = run(rulebook, [ev(at=T0), ev(at=sunday), ev(at=sunday), ev(at=monday)])
    assert [e.effects.coins for e in evaluations] == [10, 5, 0, 10]
    assert entry(evaluations[2], "lesson").to_dict()["reason"] == "weekly_cap_reached"
    assert entry(evaluations[2], "lesson").details == {"cap": 15, "count": 15, "bucket": "2026-W15"}


def test_an_iso_week_can_span_new_year() -> None:
    rulebook = book(coin_rules=[coin(amount=10, weekly_cap=10)])
    new_years_eve = datetime(2026, 12, 31, 12, tzinfo=UTC)
    new_years_day = datetime(2027, 1, 1, 12, tzinfo=UTC)
    assert iso_week(new_years_eve) == iso_week(new_years_day) == "2026-W53"
    _, evaluations = run(rulebook, [ev(at=new_years_eve), ev(at=new_years_day)])
    assert [e.effects.coins for e in evaluations] == [10, 0]


def test_the_multiplier_applies_before_the_cap() -> None:
    rulebook = book(coin_rules=[coin(amount=10, multiplier=1.5, daily_cap=20)])
    _, evaluations = run(rulebook, [ev(), ev(), ev()])
    assert [e.effects.coins for e in evaluations] == [15, 5, 0]
    assert evaluations[1].effects.coin_credits == (CoinCredit("lesson", 5, 15),)


def test_the_multiplier_rounds_down() -> None:
    rulebook = book(coin_rules=[coin(amount=7, multiplier=1.5)])
    assert evaluate(rulebook, ProgressState(), ev()).effects.coins == 10


def test_the_total_limit_counts_awards_for_the_buddy_forever() -> None:
    rulebook = book(coin_rules=[coin("bonus", amount=50, total_limit=2)])
    days = [T0 + timedelta(days=d) for d in range(3)]
    _, evaluations = run(rulebook, [ev(at=d) for d in days])
    assert [e.effects.coins for e in evaluations] == [50, 50, 0]
    assert entry(evaluations[2], "bonus").to_dict() == {
        "rule_id": "bonus",
        "kind": "coin",
        "fired": False,
        "reason": "total_limit_reached",
        "limit": 2,
        "count": 2,
    }


def test_each_rule_has_its_own_counter() -> None:
    rulebook = book(
        coin_rules=[coin("a", amount=10, daily_cap=10), coin("b", amount=3, daily_cap=6)]
    )
    _, evaluations = run(rulebook, [ev(), ev(), ev()])
    assert [e.effects.coins for e in evaluations] == [13, 3, 0]


def test_late_events_inside_the_window_count_against_their_own_day() -> None:
    rulebook = book(coin_rules=[coin(amount=10, daily_cap=10)])
    today, yesterday = T0, T0 - timedelta(days=1)
    _, evaluations = run(rulebook, [ev(at=today), ev(at=yesterday), ev(at=yesterday)])
    assert [e.effects.coins for e in evaluations] == [10, 10, 0]


def test_events_older_than_the_cap_window_are_refused_by_capped_rules_only() -> None:
    rulebook = book(
        coin_rules=[coin("capped", amount=10, daily_cap=10), coin("uncapped", amount=1)]
    )
    too_old = T0 - timedelta(days=DAILY_WINDOW_DAYS + 1)
    _, evaluations = run(rulebook, [ev(at=T0), ev(at=too_old)])
    assert entry(evaluations[1], "capped").reason == "cap_window_expired"
    assert evaluations[1].effects.coins == 1


# Skills and tokens ---------------------------------------------------------------------


SKILLS = [{"key": "grammar", "name": "Grammar", "max_value": 50, "points_per_level": 10}]


def test_skill_rules_increment_clip_at_max_and_report_level_ups() -> None:
    rulebook = book(
        skills=SKILLS,
        skill_rules=[
            {"id": "g", "event_type": "quiz_passed", "skill_key": "grammar", "amount": 15}
        ],
    )
    state, evaluations = run(rulebook, [ev("quiz_passed") for _ in range(5)])
    assert [sum(i.amount for i in e.effects.skill_increments) for e in evaluations] == [
        15,
        15,
        15,
        5,
        0,
    ]
    assert [tuple(u) for u in evaluations[0].effects.skill_level_ups] == [("grammar", 0, 1, 15)]
    assert [tuple(u) for u in evaluations[1].effects.skill_level_ups] == [("grammar", 1, 3, 30)]
    assert entry(evaluations[4], "g").reason == "skill_maxed"
    assert state.skills == {"grammar": 50}


def test_token_rules_credit_their_slot_with_weekly_caps() -> None:
    tokens = {
        "primary": {
            "token_key": "gems",
            "label": "Gems",
            "earn_rules": [{"id": "gem", "event_type": "quiz_passed", "amount": 2}],
        },
        "progression": {
            "token_key": "xp",
            "label": "XP",
            "earn_rules": [
                {"id": "xp", "event_type": "quiz_passed", "amount": 30, "weekly_cap": 50}
            ],
        },
    }
    rulebook = book(token_config=tokens)
    state, evaluations = run(rulebook, [ev("quiz_passed"), ev("quiz_passed"), ev("quiz_passed")])
    assert evaluations[0].effects.token_credits == (
        TokenCredit("gems", 2, "gem"),
        TokenCredit("xp", 30, "xp"),
    )
    assert evaluations[1].effects.token_credits == (
        TokenCredit("gems", 2, "gem"),
        TokenCredit("xp", 20, "xp"),
    )
    assert entry(evaluations[2], "xp").reason == "weekly_cap_reached"
    assert state.tokens == {"gems": 6, "xp": 50}
    assert state.tokens_earned == {"gems": 6, "xp": 50}


def test_the_primary_max_balance_clips_earnings() -> None:
    tokens = {
        "primary": {
            "token_key": "gems",
            "label": "Gems",
            "max_balance": 5,
            "earn_rules": [{"id": "gem", "event_type": "quiz_passed", "amount": 3}],
        },
        "progression": {"token_key": "xp", "label": "XP"},
    }
    _, evaluations = run(book(token_config=tokens), [ev("quiz_passed") for _ in range(3)])
    assert [e.effects.tokens_by_key() for e in evaluations] == [{"gems": 3}, {"gems": 2}, {}]
    assert entry(evaluations[2], "gem").to_dict()["reason"] == "max_balance_reached"


# Badges ----------------------------------------------------------------------------------


def badge(key: str, condition: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"key": key, "name": key.title(), "condition": condition, **more}


def test_a_milestone_badge_counts_this_event_too() -> None:
    rulebook = book(
        badges=[badge("third", {"kind": "milestone", "event_type": "lesson_completed", "count": 3})]
    )
    state, evaluations = run(rulebook, [ev(), ev(), ev(), ev()])
    assert [e.effects.badges_awarded for e in evaluations] == [
        (),
        (),
        (BadgeAward("third", 0),),
        (),
    ]
    assert entry(evaluations[1], "third").to_dict() == {
        "rule_id": "third",
        "kind": "badge",
        "fired": False,
        "reason": "condition_false",
        "condition": "milestone",
        "required": 3,
        "actual": 2,
    }
    assert entry(evaluations[3], "third").reason == "already_awarded"
    assert state.badges == frozenset({"third"})
    assert state.event_counts == {"lesson_completed": 4}


def test_a_coin_threshold_badge_sees_this_events_coins_and_pays_its_reward() -> None:
    rulebook = book(
        coin_rules=[coin(amount=10)],
        badges=[badge("rich", {"kind": "coin_threshold", "coins": 20}, coin_reward=5)],
    )
    state, evaluations = run(rulebook, [ev(), ev()])
    assert evaluations[1].effects.badges_awarded == (BadgeAward("rich", 5),)
    assert evaluations[1].effects.coins == 15
    assert (state.coins, state.coins_earned) == (25, 25)


def test_coin_threshold_uses_lifetime_earnings_not_the_balance() -> None:
    rulebook = book(badges=[badge("rich", {"kind": "coin_threshold", "coins": 100})])
    spent = ProgressState(coins=0, coins_earned=100)
    assert evaluate(rulebook, spent, ev()).effects.badges_awarded == (BadgeAward("rich", 0),)


def test_a_skill_level_badge_sees_this_events_skill_increase() -> None:
    rulebook = book(
        skills=SKILLS,
        skill_rules=[
            {"id": "g", "event_type": "quiz_passed", "skill_key": "grammar", "amount": 10}
        ],
        badges=[badge("guru", {"kind": "skill_level", "skill_key": "grammar", "level": 2})],
    )
    _, evaluations = run(rulebook, [ev("quiz_passed"), ev("quiz_passed")])
    assert [len(e.effects.badges_awarded) for e in evaluations] == [0, 1]


def test_stage_and_collection_badges_read_the_state() -> None:
    rulebook = book(
        items=[
            {"item_id": "hat", "name": "Hat", "category": "head", "price_coins": 1},
            {"item_id": "pin", "name": "Pin", "category": "accessory", "price_coins": 1},
        ],
        badges=[
            badge("grown", {"kind": "stage", "stage": 3}),
            badge("dressed", {"kind": "collection", "item_ids": ["hat", "pin"]}),
        ],
    )
    young = evaluate(rulebook, ProgressState(stage=2, owned_items=frozenset({"hat"})), ev())
    assert young.effects.badges_awarded == ()
    assert entry(young, "dressed").details["actual"] == ["hat"]
    grown = evaluate(rulebook, ProgressState(stage=3, owned_items=frozenset({"hat", "pin"})), ev())
    assert [b.badge_key for b in grown.effects.badges_awarded] == ["dressed", "grown"]


def test_streaks_count_consecutive_utc_days_and_a_late_event_fills_its_own_day() -> None:
    rulebook = book(
        streak={"key": "daily", "event_type": "lesson_completed"},
        badges=[badge("three", {"kind": "streak", "streak_key": "daily", "days": 3})],
    )
    day = lambda n: T0 + timedelta(days=n)  # noqa: E731
    events = [
        ev(at=day(0)),
        ev(at=day(0)),
        ev(at=day(1)),
        ev(at=day(3)),
        ev(at=day(4)),
        ev(at=day(5)),
        ev(at=day(2)),
    ]
    state, evaluations = run(rulebook, events)
    facts = [e.effects.streaks for e in evaluations]
    assert facts[0] == (StreakTick("daily", "2026-04-08", 1, False, False),)
    assert facts[1] == () and entry(evaluations[1], "daily").reason == "already_ticked"
    assert facts[2] == (StreakTick("daily", "2026-04-09", 2, False, False),)
    assert facts[3] == (  # a missed day burns the streak; the next tick starts it again
        StreakBurn("daily", "2026-04-10", 2),
        StreakTick("daily", "2026-04-11", 1, True, False),
    )
    assert [f[0].count for f in facts[4:6]] == [2, 3]
    assert [len(e.effects.badges_awarded) for e in evaluations] == [0, 0, 0, 0, 0, 1, 0]
    # The missed day's event arrives late: it counts in its own day and joins the runs.
    assert facts[6] == (StreakTick("daily", "2026-04-10", 6, False, True),)
    assert state.streaks == {"daily": 6}
    assert state.streak_records["daily"].last_period == "2026-04-13"


def test_without_a_streak_definition_streak_badges_never_fire() -> None:
    document = base_doc(streak={"key": "daily", "event_type": "lesson_completed"})
    document["badges"] = [badge("three", {"kind": "streak", "streak_key": "daily", "days": 1})]
    assert (
        len(evaluate(Rulebook.from_dict(document), ProgressState(), ev()).effects.badges_awarded)
        == 1
    )
    unrelated = book(
        streak={"key": "daily", "event_type": "quiz_passed"}, badges=document["badges"]
    )
    assert evaluate(unrelated, ProgressState(), ev()).effects.badges_awarded == ()


def test_badge_rewards_cascade_within_one_event() -> None:
    rulebook = book(
        badges=[
            badge(
                "b_first",
                {"kind": "milestone", "event_type": "lesson_completed", "count": 1},
                coin_reward=50,
            ),
            badge("a_rich", {"kind": "coin_threshold", "coins": 50}),
        ]
    )
    evaluation = evaluate(rulebook, ProgressState(), ev())
    assert evaluation.effects.badges_awarded == (BadgeAward("a_rich", 0), BadgeAward("b_first", 50))
    assert evaluation.effects.coins == 50


def test_manual_badges_become_ready_but_are_not_awarded() -> None:
    rulebook = book(
        badges=[
            badge(
                "coach",
                {"kind": "milestone", "event_type": "lesson_completed", "count": 1},
                auto_award=False,
            )
        ]
    )
    evaluation = evaluate(rulebook, ProgressState(), ev())
    assert evaluation.effects.badges_awarded == ()
    assert evaluation.effects.badges_ready == ("coach",)
    assert entry(evaluation, "coach").reason == "awaiting_manual_award"
    held = evaluate(rulebook, ProgressState(badges=frozenset({"coach"})), ev())
    assert held.effects.badges_ready == ()
    assert entry(held, "coach").reason == "already_awarded"


# Evolution ------------------------------------------------------------------------------


def evolving_book() -> Rulebook:
    return book(
        coin_rules=[coin(amount=10)],
        token_config={
            "primary": {"token_key": "gems", "label": "Gems"},
            "progression": {
                "token_key": "xp",
                "label": "XP",
                "earn_rules": [{"id": "xp", "event_type": "quiz_passed", "amount": 10}],
            },
        },
        badges=[
            badge("first", {"kind": "milestone", "event_type": "lesson_completed", "count": 2})
        ],
        evolution={
            "stages": [
                {"stage": 2, "conditions": {"min_progression_tokens": 20, "badges": ["first"]}},
                {"stage": 3, "conditions": {"min_coins_earned": 1000}},
            ]
        },
    )


def test_evolution_readiness_needs_every_condition_of_the_next_stage() -> None:
    rulebook = evolving_book()
    _, evaluations = run(rulebook, [ev("quiz_passed"), ev("quiz_passed"), ev(), ev()])
    assert [e.effects.evolution_ready for e in evaluations] == [False, False, False, True]
    not_yet = entry(evaluations[2], "evolution")
    assert not_yet.reason == "condition_false"
    assert not_yet.details["unmet"] == [
        {"condition": "badges", "required": ["first"], "missing": ["first"]}
    ]
    assert evaluations[3].effects.next_stage == 2
    assert entry(evaluations[3], "evolution").fired is True
    only_badge = ProgressState(badges=frozenset({"first"}), tokens={"xp": 19})
    check = check_evolution(rulebook, only_badge)
    assert check.ready is False
    assert check.unmet == ({"condition": "min_progression_tokens", "required": 20, "actual": 19},)


def test_no_readiness_past_the_last_configured_stage_or_stage_5() -> None:
    rulebook = evolving_book()
    assert check_evolution(rulebook, ProgressState(stage=3)).reason == "not_configured"
    at_five = evaluate(rulebook, ProgressState(stage=5), ev())
    assert at_five.effects.evolution_ready is False
    assert entry(at_five, "evolution").reason == "max_stage_reached"


def test_a_stage_with_no_conditions_is_ready_at_once() -> None:
    rulebook = book(evolution={"stages": [{"stage": 2, "conditions": {}}]})
    assert evaluate(rulebook, ProgressState(), ev()).effects.evolution_ready is True


# Purity, order, apply -------------------------------------------------------------------


def test_the_trace_covers_every_rule_in_a_stable_order() -> None:
    rulebook = book(
        coin_rules=[coin("zeta"), coin("alpha")],
        badges=[
            badge("zz", {"kind": "stage", "stage": 5}),
            badge("aa", {"kind": "stage", "stage": 5}),
        ],
    )
    evaluation = evaluate(rulebook, ProgressState(), ev())
    assert [(t.kind, t.rule_id) for t in evaluation.trace] == [
        ("coin", "alpha"),
        ("coin", "zeta"),
        ("badge", "aa"),
        ("badge", "zz"),
        ("evolution", "evolution"),
    ]


def test_evaluate_does_not_change_its_inputs_and_apply_folds_everything() -> None:
    rulebook = book(
        skills=SKILLS,
        coin_rules=[coin(amount=10, daily_cap=100)],
        skill_rules=[
            {"id": "g", "event_type": "lesson_completed", "skill_key": "grammar", "amount": 4}
        ],
        streak={"key": "daily", "event_type": "lesson_completed"},
    )
    state = ProgressState()
    evaluation = evaluate(rulebook, state, ev())
    assert state == ProgressState()
    after = apply(state, evaluation)
    assert after.coins == after.coins_earned == 10
    assert after.skills == {"grammar": 4}
    assert after.event_counts == {"lesson_completed": 1}
    assert after.streaks == {"daily": 1}
    counter = after.rule_counters["lesson"]
    assert (counter.total_count, counter.total_amount) == (1, 10)
    assert counter.daily == {"2026-04-08": 10}
    assert counter.weekly == {"2026-W15": 10}
    assert after.stage == 1  # evolving is a separate, explicit step
    assert ProgressState.from_dict(after.to_dict()) == after


def test_unknown_event_types_are_still_counted() -> None:
    state, _ = run(book(), [ev("something_else")])
    assert state.event_counts == {"something_else": 1}


def test_occurred_at_must_be_timezone_aware() -> None:
    with pytest.raises(DomainError) as caught:
        ev(at=datetime(2026, 4, 8, 10, 30))
    assert caught.value.code == "validation_failed"


def test_the_evaluation_serialises_to_plain_json() -> None:
    import json

    evaluation = evaluate(evolving_book(), ProgressState(), ev(properties={"score": 1}))
    as_json = json.loads(json.dumps(evaluation.to_dict()))
    assert as_json["effects"]["coins"] == 10
    assert as_json["trace"][0]["rule_id"] == "lesson"
