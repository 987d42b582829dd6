"""Skill decay: which periods a decay rule takes points for, and how many.

Pure arithmetic over a rule (``domain/configs/rulebook.py`` ``DecayRule``), its skill and
instants handed in; the buddy records the result (``Buddy.decay_skill``).

Periods are UTC: a ``daily`` period is a UTC day (``2024-05-03``), ``weekly`` an ISO week
(``2024-W18``, Monday to Monday), ``monthly`` a calendar month (``2024-05``). A period is
judged once it has ended. It takes ``amount`` points when

* it began at least ``grace_days`` after the skill's *anchor* — its last practice (an
  increase by a rule, or a value set by hand), or when the buddy was pinned to the
  rulebook holding the rule (hatched on it or migrated to it), whichever is later — so a
  period in which the skill was practised never decays it, and a rule never reaches back
  before the buddy had it;
* it began at or after the end of the last period this rule already decayed (each period
  decays at most once, whatever the number of sweeps);
* the skill's level is above ``apply_only_above`` (when set) and its value above the
  floor (``floor_level`` x points per level); the decay stops at the floor.

Periods missed while nothing judged them are each applied on the next run, in order. Once a
period changes nothing (floor reached, level not above ``apply_only_above``), no later one
can until the skill is practised again, which moves the anchor: the plan stops there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from domain.configs.rulebook import DecayCadence, DecayRule, SkillDef

MAX_STEPS: Final = 1000
"""Decays one plan may hold (one save); a longer backlog continues in the next plan."""
PREVIEW_LEVELS: Final = 101


@dataclass(frozen=True)
class Period:
    cadence: DecayCadence
    key: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class DecayStep:
    """One period's decay of one skill by one rule."""

    rule_id: str
    skill_key: str
    period: str
    period_end: datetime
    previous_value: int
    new_value: int
    previous_level: int
    new_level: int


def period_containing(cadence: DecayCadence, moment: datetime) -> Period:
    """The ``cadence`` period ``moment`` falls in."""
    day = moment.astimezone(UTC).date()
    if cadence == "daily":
        return _period(cadence, day.isoformat(), day, day + timedelta(days=1))
    if cadence == "weekly":
        monday = day - timedelta(days=day.weekday())
        year, week, _ = monday.isocalendar()
        return _period(cadence, f"{year}-W{week:02d}", monday, monday + timedelta(days=7))
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return _period(cadence, f"{first.year}-{first.month:02d}", first, following)


def first_period_from(cadence: DecayCadence, moment: datetime) -> Period:
    """The first ``cadence`` period that begins at or after ``moment``."""
    period = period_containing(cadence, moment)
    return period if period.start >= moment else period_containing(cadence, period.end)


def decay_once(rule: DecayRule, skill: SkillDef, value: int) -> int:
    """The value after one period's decay (``value`` itself when the rule does nothing)."""
    floor = min(rule.floor_level * skill.points_per_level, skill.max_value)
    if value <= floor:
        return value
    if rule.apply_only_above is not None and skill.level_for(value) <= rule.apply_only_above:
        return value
    return max(value - rule.amount, floor)


def plan_decay(
    rule: DecayRule,
    skill: SkillDef,
    *,
    value: int,
    anchor: datetime,
    decayed_through: datetime | None,
    now: datetime,
) -> list[DecayStep]:
    """The decays due by ``now``, in period order (see the module docstring)."""
    start = anchor + timedelta(days=rule.grace_days)
    if decayed_through is not None and decayed_through > start:
        start = decayed_through
    period = first_period_from(rule.cadence, start)
    steps: list[DecayStep] = []
    while period.end <= now and len(steps) < MAX_STEPS:
        after = decay_once(rule, skill, value)
        if after == value:
            break
        steps.append(
            DecayStep(
                rule_id=rule.id,
                skill_key=skill.key,
                period=period.key,
                period_end=period.end,
                previous_value=value,
                new_value=after,
                previous_level=skill.level_for(value),
                new_level=skill.level_for(after),
            )
        )
        value = after
        period = period_containing(rule.cadence, period.end)
    return steps


@dataclass(frozen=True)
class PreviewRow:
    level: int
    value: int
    value_after: int
    level_after: int
    decays: int
    """How many of the periods took points (the others found the floor or the gate)."""


def preview(rule: DecayRule, skill: SkillDef, periods: int) -> list[PreviewRow]:
    """Where a buddy at the first point of each level would be after ``periods`` periods
    without practice (grace already over). A skill of more than ``PREVIEW_LEVELS`` levels is
    shown at that many levels spread evenly from 0 to its last."""
    rows = []
    for level in preview_levels(skill):
        start = min(level * skill.points_per_level, skill.max_value)
        value, decays = start, 0
        for _ in range(periods):
            after = decay_once(rule, skill, value)
            if after == value:
                break
            value, decays = after, decays + 1
        rows.append(PreviewRow(level, start, value, skill.level_for(value), decays))
    return rows


def preview_levels(skill: SkillDef) -> list[int]:
    last = skill.max_level
    if last < PREVIEW_LEVELS:
        return list(range(last + 1))
    return sorted({round(i * last / (PREVIEW_LEVELS - 1)) for i in range(PREVIEW_LEVELS)})


def _period(cadence: DecayCadence, key: str, start: date, end: date) -> Period:
    return Period(cadence, key, _midnight(start), _midnight(end))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
