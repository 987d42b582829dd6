"""Skill decay on the buddy, for any rule and any times the sweeps run (decision 0037):

* the value never goes below the floor;
* each (rule, period) decays at most once, however many sweeps judge it;
* every period due is applied once, in order, whether one sweep found them all or many
  sweeps found them one by one: the final value only depends on the last sweep's time;
* replaying the buddy's events gives the same skill and the same decay cursor.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.companions.buddy import Buddy
from domain.companions.skill_decay import first_period_from, period_containing
from domain.configs.rulebook import DECAY_CADENCES, DecayRule, SkillDef

T0 = datetime(2026, 1, 30, 13, 45, tzinfo=UTC)
SKILL = SkillDef(key="vocabulary", name="Vocabulary", max_value=100, points_per_level=20)

rules = st.builds(
    DecayRule,
    id=st.just("decay_vocabulary"),
    skill_key=st.just("vocabulary"),
    cadence=st.sampled_from(DECAY_CADENCES),
    amount=st.integers(1, 40),
    floor_level=st.integers(0, 5),
    grace_days=st.integers(0, 20),
    apply_only_above=st.none() | st.integers(0, 5),
    active=st.just(True),
)
# Sweep times as hours after the skill was set, in any order (sorted when used).
sweeps = st.lists(st.integers(0, 24 * 200), min_size=1, max_size=12)


def buddy_with(value: int) -> Buddy:
    buddy = Buddy(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        user_id="user_1",
        egg_id=uuid4(),
        config_version_id=uuid4(),
        name="Pip",
        correlation_id=None,
        timestamp=T0 - timedelta(days=1),
    )
    buddy.set_skills(values={"vocabulary": value}, skills=[SKILL], actor="t", timestamp=T0)
    return buddy


def decays(buddy: Buddy) -> list[Buddy.SkillDecayed]:
    return [e for e in buddy.collect_events() if isinstance(e, Buddy.SkillDecayed)]


@settings(max_examples=200, deadline=None)
@given(rule=rules, value=st.integers(0, 100), hours=sweeps, repeats=st.integers(1, 3))
def test_never_below_the_floor_and_never_twice_per_period(
    rule: DecayRule, value: int, hours: list[int], repeats: int
) -> None:
    buddy = buddy_with(value)
    buddy.collect_events()
    recorded: list[Buddy.SkillDecayed] = []
    for hour in sorted(hours):
        for _ in range(repeats):  # the same sweep again finds nothing more
            buddy.decay_skill(rule, SKILL, causation={}, timestamp=T0 + timedelta(hours=hour))
            recorded += decays(buddy)
    floor = rule.floor_level * SKILL.points_per_level
    assert buddy.skills["vocabulary"] >= min(value, floor)
    assert all(e.new_value >= floor and e.new_value < e.previous_value for e in recorded)
    assert max(Counter((e.rule_id, e.period) for e in recorded).values(), default=1) == 1
    assert len({e.decay_id for e in recorded}) == len(recorded)


@settings(max_examples=200, deadline=None)
@given(rule=rules, value=st.integers(0, 100), hours=sweeps)
def test_missed_periods_are_each_applied_once_on_the_next_run(
    rule: DecayRule, value: int, hours: list[int]
) -> None:
    """Many sweeps and one late sweep at the last of their times end in the same state."""
    last = T0 + timedelta(hours=max(hours))
    often, once = buddy_with(value), buddy_with(value)
    for hour in sorted(hours):
        often.decay_skill(rule, SKILL, causation={}, timestamp=T0 + timedelta(hours=hour))
    once.decay_skill(rule, SKILL, causation={}, timestamp=last)
    assert often.skills == once.skills
    assert [e.period for e in decays(often)] == [e.period for e in decays(once)]
    periods = [e.period for e in decays(once)]
    assert periods == sorted(periods)
    due_from = first_period_from(rule.cadence, T0 + timedelta(days=rule.grace_days))
    for event in decays(once):
        assert event.period_end <= last
        assert period_containing(rule.cadence, event.period_end - timedelta(seconds=1)).start >= (
            due_from.start
        )


@settings(max_examples=100, deadline=None)
@given(rule=rules, value=st.integers(0, 100), hours=sweeps)
def test_replay_gives_the_same_skill_and_cursor(
    rule: DecayRule, value: int, hours: list[int]
) -> None:
    buddy = buddy_with(value)
    events = list(buddy.collect_events())
    for hour in sorted(hours):
        buddy.decay_skill(rule, SKILL, causation={}, timestamp=T0 + timedelta(hours=hour))
        events += buddy.collect_events()
    replayed: Buddy | None = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.skills == buddy.skills
    assert replayed.decayed_through == buddy.decayed_through


def test_practice_moves_the_grace_and_the_period_of_practice_never_decays() -> None:
    rule = DecayRule(
        id="decay_vocabulary", skill_key="vocabulary", cadence="daily", amount=5, active=True
    )
    buddy = buddy_with(50)  # practised on 2026-01-30
    buddy.decay_skill(rule, SKILL, causation={}, timestamp=datetime(2026, 2, 2, 1, tzinfo=UTC))
    assert [e.period for e in decays(buddy)] == ["2026-01-31", "2026-02-01"]
    buddy.set_skills(
        values={"vocabulary": 50},
        skills=[SKILL],
        actor="t",
        timestamp=datetime(2026, 2, 2, 9, tzinfo=UTC),
    )
    buddy.collect_events()
    buddy.decay_skill(rule, SKILL, causation={}, timestamp=datetime(2026, 2, 3, 12, tzinfo=UTC))
    assert decays(buddy) == []  # 2026-02-02 was practised; 2026-02-03 has not ended
    buddy.decay_skill(rule, SKILL, causation={}, timestamp=datetime(2026, 2, 4, tzinfo=UTC))
    assert [e.period for e in decays(buddy)] == ["2026-02-03"]


def test_weekly_and_monthly_periods_are_iso_weeks_and_calendar_months() -> None:
    moment = datetime(2026, 1, 1, 12, tzinfo=UTC)  # a Thursday in ISO week 2026-W01
    week = period_containing("weekly", moment)
    assert (week.key, week.start, week.end) == (
        "2026-W01",
        datetime(2025, 12, 29, tzinfo=UTC),
        datetime(2026, 1, 5, tzinfo=UTC),
    )
    month = period_containing("monthly", datetime(2026, 2, 28, 23, tzinfo=UTC))
    assert (month.key, month.end) == ("2026-02", datetime(2026, 3, 1, tzinfo=UTC))
    assert first_period_from("daily", datetime(2026, 3, 1, tzinfo=UTC)).key == "2026-03-01"
