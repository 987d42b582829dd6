"""Streak definitions and the streak engine (issue 15): periods, freezes, burns, late events,
milestones, and the documents of the first version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.configs.rulebook import Rulebook
from domain.ingestion.rules import CustomerEvent, ProgressState, apply, evaluate, sweep_streaks
from domain.ingestion.streaks import (
    StreakBurn,
    StreakFreeze,
    StreakMilestone,
    StreakRecord,
    StreakTick,
    label_index,
    period_end,
    period_index,
    period_label,
)
from domain.shared.errors import DomainError

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)  # a Wednesday, ISO week 2026-W15


def doc(**streak: Any) -> dict[str, Any]:
    return {
        "token_config": {
            "primary": {"token_key": "gems", "label": "Gems"},
            "progression": {"token_key": "xp", "label": "XP"},
        },
        "badges": [
            {
                "key": "week_warrior",
                "name": "Week Warrior",
                "condition": {"kind": "stage", "stage": 5},
            }
        ],
        "streaks": [{"key": "habit", "event_types": ["lesson_completed"], **streak}],
    }


def book(**streak: Any) -> Rulebook:
    return Rulebook.from_dict(doc(**streak))


_n = iter(range(10**9))


def ev(at: datetime, event_type: str = "lesson_completed", audience: str | None = None) -> Any:
    return CustomerEvent(
        event_id=f"e{next(_n)}", type=event_type, user_id="u", occurred_at=at, audience=audience
    )


def fold(rulebook: Rulebook, times: list[datetime], state: ProgressState | None = None) -> Any:
    state = state or ProgressState()
    facts = []
    for at in times:
        evaluation = evaluate(rulebook, state, ev(at))
        state = apply(state, evaluation)
        facts.append(evaluation.effects.streaks)
    return state, facts


@pytest.mark.parametrize(
    ("period", "moment", "label"),
    [
        ("daily", datetime(2026, 4, 8, 23, 59, tzinfo=UTC), "2026-04-08"),
        ("weekly", datetime(2026, 1, 1, tzinfo=UTC), "2026-W01"),
        ("weekly", datetime(2027, 1, 1, tzinfo=UTC), "2026-W53"),
        ("monthly", datetime(2026, 12, 31, 23, tzinfo=UTC), "2026-12"),
    ],
)
def test_periods_are_utc_days_iso_weeks_and_calendar_months(
    period: str, moment: datetime, label: str
) -> None:
    index = period_index(period, moment)
    assert period_label(period, index) == label
    assert label_index(label) == index
    assert period_end(period, index) > moment
    assert period_index(period, period_end(period, index)) == index + 1


def test_a_weekly_streak_ticks_once_per_iso_week_and_burns_after_a_missed_week() -> None:
    rulebook = book(period="weekly")
    week = timedelta(weeks=1)
    state, facts = fold(rulebook, [T0, T0 + timedelta(days=1), T0 + week, T0 + 3 * week])
    assert facts[0] == (StreakTick("habit", "2026-W15", 1, False, False),)
    assert facts[1] == ()
    assert facts[2] == (StreakTick("habit", "2026-W16", 2, False, False),)
    assert facts[3] == (
        StreakBurn("habit", "2026-W17", 2),
        StreakTick("habit", "2026-W18", 1, True, False),
    )
    assert state.streaks == {"habit": 1}


def test_a_freeze_token_is_spent_per_missed_period_and_the_streak_goes_on() -> None:
    rulebook = book(freeze_token_key="gems", tick_coins=5)
    day = timedelta(days=1)
    state, facts = fold(
        rulebook, [T0, T0 + day, T0 + 4 * day], ProgressState(tokens={"gems": 2, "xp": 0})
    )
    assert facts[2] == (
        StreakFreeze("habit", "2026-04-10", 2, "gems"),
        StreakFreeze("habit", "2026-04-11", 2, "gems"),
        StreakTick("habit", "2026-04-12", 3, False, False),
    )
    assert state.tokens["gems"] == 0
    assert state.coins == 15  # three ticks of 5


def test_a_late_event_in_a_frozen_period_counts_there_after_all() -> None:
    rulebook = book(freeze_token_key="gems")
    day = timedelta(days=1)
    state, facts = fold(
        rulebook, [T0, T0 + 2 * day, T0 + day], ProgressState(tokens={"gems": 1, "xp": 0})
    )
    assert facts[1][0] == StreakFreeze("habit", "2026-04-09", 1, "gems")
    assert facts[2] == (StreakTick("habit", "2026-04-09", 3, False, True),)
    assert state.streaks == {"habit": 3}
    assert state.tokens["gems"] == 0  # the token stays spent
    _, again = fold(rulebook, [T0 + day], state)
    assert again == [()]


def test_milestones_pay_once_per_run_even_when_a_late_event_joins_runs() -> None:
    rulebook = book(
        milestones=[
            {"count": 2, "coins": 50, "tokens": {"xp": 3}},
            {"count": 4, "badge_key": "week_warrior"},
        ]
    )
    day = timedelta(days=1)
    state, facts = fold(rulebook, [T0, T0 + day, T0 + 3 * day, T0 + 4 * day, T0 + 2 * day])
    assert StreakMilestone("habit", 2) in facts[1]
    assert StreakMilestone("habit", 2) in facts[3]  # a new run after the burn
    assert facts[4] == (
        StreakTick("habit", "2026-04-10", 5, False, True),
        StreakMilestone("habit", 4),
    )  # the joined run had reached 2 already: only 4 is new
    assert state.coins == 100 and state.tokens["xp"] == 6
    assert "week_warrior" in state.badges


def test_a_sweep_burns_once_and_a_streak_that_burned_stays_at_zero() -> None:
    rulebook = book()
    state, _ = fold(rulebook, [T0, T0 + timedelta(days=1)])
    early = sweep_streaks(rulebook, state, T0 + timedelta(days=2))
    assert early.facts == ()  # the 10th is not over yet
    swept = sweep_streaks(rulebook, state, T0 + timedelta(days=5))
    assert swept.facts == (StreakBurn("habit", "2026-04-10", 2),)
    assert swept.state.streaks == {"habit": 0}
    assert sweep_streaks(rulebook, swept.state, T0 + timedelta(days=9)).facts == ()


def test_only_the_listed_event_types_and_the_audience_tick() -> None:
    rulebook = book(event_types=["lesson_completed", "quiz_passed"], audience="student")
    quiz = evaluate(rulebook, ProgressState(), ev(T0, "quiz_passed", audience="student"))
    assert quiz.effects.streaks[0] == StreakTick("habit", "2026-04-08", 1, False, False)
    other = evaluate(rulebook, ProgressState(), ev(T0, "quiz_passed", audience="teacher"))
    assert other.effects.streaks == ()
    assert [t.reason for t in other.trace if t.kind == "streak"] == ["audience_mismatch"]


def test_a_document_of_the_first_version_still_parses() -> None:
    document = doc()
    del document["streaks"]
    document["streak"] = {"key": "daily_lesson", "event_type": "lesson_completed"}
    rulebook = Rulebook.from_dict(document)
    assert [s.key for s in rulebook.streaks] == ["daily_lesson"]
    assert rulebook.streaks[0].event_types == ("lesson_completed",)
    assert Rulebook.from_dict(rulebook.to_dict()) == rulebook
    assert "streak" not in rulebook.to_dict()


def test_a_buddy_recorded_before_records_keeps_its_daily_streak() -> None:
    record = StreakRecord.legacy(3, "2026-04-08")
    assert record.count == 3 and record.last_period == "2026-04-08"


@pytest.mark.parametrize(
    ("streak", "field"),
    [
        ({"period": "hourly"}, "streaks[0].period"),
        ({"display_mode": "grid"}, "streaks[0].display_mode"),
        ({"display_mode": "count", "max_row_icons": 5}, "streaks[0].max_row_icons"),
        ({"freeze_token_key": "xp"}, "streaks[0].freeze_token_key"),
        (
            {"milestones": [{"count": 7, "tokens": {"mana": 1}}]},
            "streaks[0].milestones[0].tokens.mana",
        ),
        ({"milestones": [{"count": 7, "badge_key": "nope"}]}, "streaks[0].milestones[0].badge_key"),
        ({"milestones": [{"count": 7}, {"count": 7}]}, "streaks[0].milestones[1]"),
        ({"event_types": []}, "streaks[0].event_types"),
        ({"tick_coins": 0}, "streaks[0].tick_coins"),
        ({"colour": "red"}, "streaks[0].colour"),
    ],
)
def test_a_bad_definition_names_its_field(streak: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        book(**streak)
    assert field in [f["field"] for f in refused.value.details["fields"]]


def test_the_row_display_mode_defaults_to_seven_icons() -> None:
    assert book(display_mode="row").streaks[0].max_row_icons == 7
