"""Properties of the rule engine over generated rulebooks and event sequences."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.configs.rulebook import Rulebook
from domain.ingestion.cap_hits import cap_hits
from domain.ingestion.rules import (
    CustomerEvent,
    ProgressState,
    apply,
    evaluate,
    fold,
    iso_week,
    utc_day,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
EVENT_TYPES = ("lesson_completed", "quiz_passed", "other")
optional_cap = st.one_of(st.none(), st.integers(min_value=1, max_value=60))


@st.composite
def coin_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    rules = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        amount = draw(st.integers(min_value=1, max_value=40))
        multiplier = draw(st.sampled_from([1.0, 1.5, 2.0, 0.5, 1.15]))
        if int(amount * multiplier) < 1:
            multiplier = 1.0
        rule: dict[str, Any] = {
            "id": f"coin_{index}",
            "event_type": draw(st.sampled_from(EVENT_TYPES)),
            "amount": amount,
            "multiplier": multiplier,
            "daily_cap": draw(optional_cap),
            "weekly_cap": draw(optional_cap),
            "total_limit": draw(st.one_of(st.none(), st.integers(min_value=1, max_value=8))),
            "audience": draw(st.sampled_from([None, "premium"])),
        }
        if draw(st.booleans()):
            rule["conditions"] = [{"property": "score", "operator": "gte", "value": 50}]
        rules.append(rule)
    return rules


@st.composite
def rulebooks(draw: st.DrawFn) -> Rulebook:
    earn = [
        {
            "id": f"token_{i}",
            "event_type": draw(st.sampled_from(EVENT_TYPES)),
            "amount": draw(st.integers(min_value=1, max_value=30)),
            "weekly_cap": draw(optional_cap),
        }
        for i in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    split = draw(st.integers(min_value=0, max_value=len(earn)))
    document = {
        "skills": [{"key": "grammar", "name": "Grammar", "max_value": 50, "points_per_level": 10}],
        "coin_rules": draw(coin_rules()),
        "skill_rules": [
            {"id": "skill_0", "event_type": "quiz_passed", "skill_key": "grammar", "amount": 7}
        ],
        "token_config": {
            "primary": {
                "token_key": "gems",
                "label": "Gems",
                "earn_rules": earn[:split],
                "max_balance": draw(st.one_of(st.none(), st.integers(min_value=1, max_value=100))),
            },
            "progression": {"token_key": "xp", "label": "XP", "earn_rules": earn[split:]},
        },
        "streak": {"key": "daily", "event_type": "lesson_completed"},
        "badges": [
            {
                "key": "milestone",
                "name": "M",
                "condition": {"kind": "milestone", "event_type": "lesson_completed", "count": 3},
                "coin_reward": 25,
            },
            {
                "key": "rich",
                "name": "R",
                "condition": {"kind": "coin_threshold", "coins": 100},
                "coin_reward": 10,
            },
            {
                "key": "streak",
                "name": "S",
                "condition": {"kind": "streak", "streak_key": "daily", "days": 2},
            },
        ],
        "evolution": {
            "stages": [
                {"stage": 2, "conditions": {"min_coins_earned": 50, "badges": ["milestone"]}},
                {"stage": 3, "conditions": {"min_progression_tokens": 40}},
            ]
        },
    }
    return Rulebook.from_dict(document)


events = st.lists(
    st.builds(
        lambda n, t, minutes, score, audience: CustomerEvent(
            event_id=f"evt_{n}",
            type=t,
            user_id="u",
            occurred_at=T0 + timedelta(minutes=minutes),
            properties={} if score is None else {"score": score},
            audience=audience,
        ),
        st.integers(min_value=0, max_value=10**6),
        st.sampled_from(EVENT_TYPES),
        # A few days, some far apart: old buckets get pruned and then revisited late.
        st.builds(
            lambda day, minute: day * 24 * 60 + minute,
            st.sampled_from([0, 1, 2, 6, 7, 36, 40, 41, 90]),
            st.integers(min_value=0, max_value=24 * 60 - 1),
        ),
        st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
        st.sampled_from([None, "premium"]),
    ),
    max_size=40,
)

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


@PROPERTY_SETTINGS
@given(rulebook=rulebooks(), history=events)
def test_evaluate_is_deterministic(rulebook: Rulebook, history: list[CustomerEvent]) -> None:
    state = ProgressState()
    for event in history:
        first = evaluate(rulebook, state, event)
        again = evaluate(rulebook, ProgressState.from_dict(state.to_dict()), event)
        assert first == again
        assert first.to_dict() == again.to_dict()
        state = apply(state, first)
    replayed, _ = fold(rulebook, ProgressState(), history)
    assert replayed == state


@PROPERTY_SETTINGS
@given(rulebook=rulebooks(), history=events)
def test_caps_and_limits_are_never_exceeded(
    rulebook: Rulebook, history: list[CustomerEvent]
) -> None:
    _, evaluations = fold(rulebook, ProgressState(), history)
    per_day: dict[tuple[str, str], int] = defaultdict(int)
    per_week: dict[tuple[str, str], int] = defaultdict(int)
    awards: dict[str, int] = defaultdict(int)
    for event, evaluation in zip(history, evaluations, strict=True):
        day, week = utc_day(event.occurred_at), iso_week(event.occurred_at)
        for rule_id, amount in evaluation.rule_awards:
            per_day[rule_id, day] += amount
            per_week[rule_id, week] += amount
            awards[rule_id] += 1
    for rule in rulebook.coin_rules:
        for (rule_id, _), total in per_day.items():
            if rule_id == rule.id and rule.daily_cap is not None:
                assert total <= rule.daily_cap
        for (rule_id, _), total in per_week.items():
            if rule_id == rule.id and rule.weekly_cap is not None:
                assert total <= rule.weekly_cap
        if rule.total_limit is not None:
            assert awards[rule.id] <= rule.total_limit
    for slot in (rulebook.token_config.primary, rulebook.token_config.progression):
        for token_rule in slot.earn_rules:
            for (rule_id, _), total in per_week.items():
                if rule_id == token_rule.id and token_rule.weekly_cap is not None:
                    assert total <= token_rule.weekly_cap


@PROPERTY_SETTINGS
@given(rulebook=rulebooks(), history=events)
def test_effects_are_never_negative_and_add_up(
    rulebook: Rulebook, history: list[CustomerEvent]
) -> None:
    state, evaluations = fold(rulebook, ProgressState(), history)
    max_balance = rulebook.token_config.primary.max_balance
    running = ProgressState()
    for event, evaluation in zip(history, evaluations, strict=True):
        effects = evaluation.effects
        assert effects.coins >= 0
        assert all(c.amount > 0 and c.amount <= c.requested for c in effects.coin_credits)
        assert all(t.amount > 0 for t in effects.token_credits)
        assert all(s.amount > 0 for s in effects.skill_increments)
        assert all(b.coin_reward >= 0 for b in effects.badges_awarded)
        assert effects.coins == sum(c.amount for c in effects.coin_credits) + effects.badge_coins
        running = apply(running, evaluation)
        if max_balance is not None:
            assert running.tokens.get("gems", 0) <= max_balance
        assert all(0 <= v <= 50 for v in running.skills.values())
        assert len(evaluation.trace) >= len(rulebook.coin_rules) + len(rulebook.badges)
        assert evaluation.event_type == event.type
    assert state.coins == sum(e.effects.coins for e in evaluations)
    assert state.event_counts == {
        t: n for t in EVENT_TYPES if (n := sum(1 for e in history if e.type == t))
    }
    awarded = [b.badge_key for e in evaluations for b in e.effects.badges_awarded]
    assert len(awarded) == len(set(awarded))  # a badge is awarded at most once


@PROPERTY_SETTINGS
@given(rulebook=rulebooks(), history=events)
def test_every_coin_award_short_of_its_request_names_the_cap_that_held_it_back(
    rulebook: Rulebook, history: list[CustomerEvent]
) -> None:
    state = ProgressState()
    buddy_id = uuid4()  # a recorded trace names its buddy (ingestion adds it)
    for event in history:
        evaluation = evaluate(rulebook, state, event)
        state = apply(state, evaluation)
        trace = [{**t.to_dict(), "buddy_id": buddy_id} for t in evaluation.trace]
        hits = {hit.rule_id: hit for hit in cap_hits(trace)}
        for credit in evaluation.effects.coin_credits:
            if credit.amount < credit.requested:
                hit = hits[credit.rule_id]
                assert (hit.awarded, hit.cap - hit.count) == (credit.amount, credit.amount)
            else:
                assert credit.rule_id not in hits
        credited = {c.rule_id for c in evaluation.effects.coin_credits}
        credited |= {t.rule_id for t in evaluation.effects.token_credits}
        for hit in hits.values():
            period = hit.bucket == (evaluation.day if hit.period == "day" else evaluation.week)
            assert period, (hit, evaluation.day, evaluation.week)
            if hit.rule_id not in credited:
                assert hit.awarded == 0 and hit.count >= hit.cap
            else:
                assert 0 < hit.awarded <= hit.cap - hit.count
