"""``domain/ingestion/explanations.py``: every reason code of the engine reads as a sentence with its numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook
from domain.ingestion.explanations import (
    PinnedVersion,
    explain,
    explain_duplicate,
    explain_pin,
    explain_trace,
)
from domain.ingestion.rules import CustomerEvent, ProgressState, fold

LESSON = "lesson_completed"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {
                "rule_id": "quiz",
                "kind": "coin",
                "reason": "type_mismatch",
                "expected": "quiz_passed",
            },
            ["coin rule quiz", "quiz_passed", LESSON],
        ),
        (
            {
                "rule_id": "bonus",
                "kind": "coin",
                "reason": "condition_false",
                "property": "score",
                "operator": "gte",
                "expected": 90,
                "actual": 72,
            },
            ["coin rule bonus", "score at least 90", "score = 72"],
        ),
        (
            {
                "rule_id": "bonus",
                "kind": "skill",
                "reason": "condition_false",
                "property": "level",
                "operator": "in",
                "expected": ["a", "b"],
                "actual": None,
            },
            ["skill rule bonus", 'level one of ["a", "b"]', "has no level"],
        ),
        (
            {
                "rule_id": "daily",
                "kind": "coin",
                "reason": "daily_cap_reached",
                "cap": 50,
                "count": 50,
            },
            ["coin rule daily", "daily cap", "50 of 50", "today"],
        ),
        (
            {
                "rule_id": "daily",
                "kind": "coin",
                "reason": "daily_cap_reached",
                "cap": 50,
                "count": 50,
                "bucket": "2026-04-05",
            },
            ["coin rule daily", "daily cap", "50 of 50", "on 2026-04-05", "the event is dated"],
        ),
        (
            {
                "rule_id": "xp",
                "kind": "token",
                "reason": "weekly_cap_reached",
                "cap": 500,
                "count": 500,
                "bucket": "2026-W14",
            },
            ["token rule xp", "weekly cap", "500 of 500", "in 2026-W14"],
        ),
        (
            {
                "rule_id": "xp",
                "kind": "token",
                "reason": "weekly_cap_reached",
                "cap": 500,
                "count": 510,
            },
            ["token rule xp", "weekly cap", "510 of 500", "ISO week"],
        ),
        (
            {
                "rule_id": "once",
                "kind": "coin",
                "reason": "total_limit_reached",
                "limit": 1,
                "count": 1,
            },
            ["at most once", "already did once"],
        ),
        (
            {
                "rule_id": "vip",
                "kind": "coin",
                "reason": "audience_mismatch",
                "expected": "premium",
                "actual": None,
            },
            ["audience premium", "no audience"],
        ),
        (
            {"rule_id": "first_steps", "kind": "badge", "reason": "already_awarded"},
            ["badge first_steps", "already holds it"],
        ),
        (
            {
                "rule_id": "old",
                "kind": "coin",
                "reason": "cap_window_expired",
                "bucket": "2025-01-01",
            },
            ["2025-01-01", "35 days", "10 weeks"],
        ),
        (
            {"rule_id": "vocab", "kind": "skill", "reason": "skill_maxed", "max_value": 100},
            ["skill rule vocab", "maximum of 100"],
        ),
        (
            {
                "rule_id": "stars",
                "kind": "token",
                "reason": "max_balance_reached",
                "max_balance": 10,
                "balance": 10,
            },
            ["balance of 10", "maximum of 10"],
        ),
        (
            {
                "rule_id": "guru",
                "kind": "badge",
                "reason": "awaiting_manual_award",
                "condition": "stage",
                "required": 2,
                "actual": 2,
            },
            ["badge guru", "awarded by hand"],
        ),
        (
            {
                "rule_id": "scholar",
                "kind": "badge",
                "reason": "condition_false",
                "condition": "milestone",
                "required": 25,
                "actual": 3,
            },
            ["badge scholar", "25 events", "has 3"],
        ),
        (
            {
                "rule_id": "daily_lesson",
                "kind": "streak",
                "reason": "already_ticked",
                "day": "2026-04-08",
                "count": 3,
            },
            ["streak daily_lesson", "already counted 2026-04-08", "3 days"],
        ),
        (
            {
                "rule_id": "daily_lesson",
                "kind": "streak",
                "reason": "late_event",
                "day": "2026-04-01",
                "last_day": "2026-04-08",
            },
            ["2026-04-01", "2026-04-08"],
        ),
        (
            {
                "rule_id": "evolution",
                "kind": "evolution",
                "reason": "condition_false",
                "stage": 1,
                "next_stage": 2,
                "unmet": [
                    {"condition": "min_coins_earned", "required": 100, "actual": 40},
                    {"condition": "badges", "required": ["a", "b"], "missing": ["b"]},
                ],
            },
            ["stage 2", "100 coins earned in total (has 40)", "the badges b"],
        ),
        (
            {
                "rule_id": "evolution",
                "kind": "evolution",
                "reason": "max_stage_reached",
                "stage": 5,
            },
            ["stage 5, the last one"],
        ),
        (
            {
                "rule_id": "lesson",
                "kind": "coin",
                "reason": "fired",
                "amount": 5,
                "requested": 10,
                "clipped": True,
            },
            ["awarded 5 coins", "10 before a cap clipped it"],
        ),
        ({"kind": "event", "reason": "no_active_buddy"}, ["No active buddy", "hatch an egg"]),
    ],
)
def test_each_reason_reads_with_its_numbers(entry: dict[str, Any], expected: list[str]) -> None:
    sentence = explain(entry, event_type=LESSON)
    for part in expected:
        assert part in sentence, (part, sentence)


def test_trace_lines_keep_the_buddy_and_the_order() -> None:
    trace = [
        {
            "buddy_id": "bdy_1",
            "rule_id": "a",
            "kind": "coin",
            "fired": True,
            "reason": "fired",
            "amount": 10,
        },
        {
            "buddy_id": "bdy_1",
            "rule_id": "b",
            "kind": "coin",
            "fired": False,
            "reason": "type_mismatch",
            "expected": "x",
        },
    ]
    lines = explain_trace(trace, event_type=LESSON)
    assert [(line["buddy_id"], line["rule_id"], line["fired"]) for line in lines] == [
        ("bdy_1", "a", True),
        ("bdy_1", "b", False),
    ]
    assert lines[0]["message"] == "coin rule a awarded 10 coins."


def test_a_pinned_buddy_and_a_repeat_are_explained() -> None:
    pin = PinnedVersion(
        buddy_id="bdy_1",
        pinned_id="cfg_old",
        pinned_number=1,
        published_id="cfg_new",
        published_number=2,
    )
    line = explain_pin(pin)
    assert line["reason"] == "pinned_to_older_version" and line["buddy_id"] == "bdy_1"
    assert "version 1 (cfg_old)" in line["message"] and "version 2 (cfg_new)" in line["message"]
    assert "/config-versions/cfg_new/migrate-buddies" in line["message"]
    repeat = explain_duplicate("evt_9")
    assert repeat["reason"] == "duplicate" and "evt_9" in repeat["message"]


T0 = datetime(2026, 4, 1, tzinfo=UTC)
events = st.lists(
    st.builds(
        lambda kind, minutes, score, audience: (kind, minutes, score, audience),
        st.sampled_from(["lesson_completed", "quiz_passed", "daily_goal_reached", "other"]),
        st.integers(min_value=0, max_value=60 * 24 * 20),
        st.one_of(st.none(), st.integers(min_value=0, max_value=100), st.text(max_size=3)),
        st.sampled_from([None, "premium"]),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(events)
def test_every_entry_the_engine_writes_has_a_specific_sentence(
    generated: list[tuple[str, int, Any, str | None]],
) -> None:
    rulebook = Rulebook.from_dict(preset_document("language-learning"))
    stream = [
        CustomerEvent(
            event_id=f"e{i}",
            type=kind,
            user_id="u",
            occurred_at=T0 + timedelta(minutes=minutes),
            properties={} if score is None else {"score": score},
            audience=audience,
        )
        for i, (kind, minutes, score, audience) in enumerate(generated)
    ]
    _, evaluations = fold(rulebook, ProgressState(), stream)
    for evaluation in evaluations:
        for entry in evaluation.trace:
            sentence = explain(entry.to_dict(), event_type=evaluation.event_type)
            assert "did not fire (" not in sentence  # the generic fallback
            if entry.kind != "evolution":
                assert entry.rule_id in sentence
