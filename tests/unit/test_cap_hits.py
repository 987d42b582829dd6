"""``cap_hits``: the caps that held an event's rewards back, read from its trace."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from domain.ingestion.cap_hits import CapHit, cap_hits
from domain.ingestion.rules import Evaluation
from tests.unit.test_rules import T0, book, coin, ev, run

BUDDY = UUID(int=1)


def hits(evaluation: Evaluation) -> list[CapHit]:
    return cap_hits([{"buddy_id": BUDDY, **t.to_dict()} for t in evaluation.trace])


def test_a_clipped_award_then_a_refusal_each_name_the_daily_cap() -> None:
    rulebook = book(coin_rules=[coin(amount=10, daily_cap=25), coin("other", amount=3)])
    _, evaluations = run(rulebook, [ev(at=T0 + timedelta(minutes=i)) for i in range(4)])
    assert [hits(e) for e in evaluations[:2]] == [[], []]
    clipped = CapHit(
        buddy_id=BUDDY,
        rule_id="lesson",
        kind="coin",
        period="day",
        bucket="2026-04-08",
        cap=25,
        count=20,
        awarded=5,
    )
    assert hits(evaluations[2]) == [clipped]
    assert hits(evaluations[3]) == [replace(clipped, count=25, awarded=0)]


def test_a_weekly_token_cap_is_named_with_its_iso_week() -> None:
    rulebook = book(
        token_config={
            "primary": {"token_key": "gems", "label": "Gems"},
            "progression": {
                "token_key": "xp",
                "label": "XP",
                "earn_rules": [
                    {"id": "xp", "event_type": "lesson_completed", "amount": 8, "weekly_cap": 8}
                ],
            },
        }
    )
    _, evaluations = run(rulebook, [ev(), ev(at=T0 + timedelta(days=1))])
    assert hits(evaluations[0]) == []
    [hit] = hits(evaluations[1])
    assert (hit.kind, hit.period, hit.bucket, hit.cap, hit.count, hit.awarded) == (
        "token",
        "week",
        "2026-W15",
        8,
        8,
        0,
    )


def test_other_refusals_and_clips_are_not_caps() -> None:
    trace = [
        {"rule_id": "a", "kind": "coin", "fired": False, "reason": "total_limit_reached"},
        {"rule_id": "b", "kind": "coin", "fired": False, "reason": "cap_window_expired"},
        {
            "rule_id": "c",
            "kind": "token",
            "fired": True,
            "reason": "fired",
            "amount": 2,
            "requested": 5,
            "clipped": True,
        },  # the max balance clipped it, or an older record
        {"rule_id": "d", "kind": "badge", "fired": False, "reason": "daily_cap_reached"},
    ]
    assert cap_hits(trace) == []
