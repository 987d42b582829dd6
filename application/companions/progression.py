"""What a buddy has achieved, read at an instant: its streaks, badges and progression metrics.

One use case answers ``GET /buddies/{id}/progression-metrics``, its legacy twin
``GET /buddies/{id}/progression``, ``GET /buddies/{id}/badges`` and ``GET /widget/streak/{key}``
(decision 0042). Nothing here writes: a streak is read *as of now* by running the streak
engine's ``sweep`` on a copy of its record, so a streak whose period passed without a tick
reads as frozen or burned even before the scheduled sweep recorded it, and the widget, the
metrics and the next sweep agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from application.companions.buddies import Buddies, BuddyState
from application.shared.ports import Clock
from domain.configs.rulebook import BadgeDef, CollectionCondition, StreakDef
from domain.ingestion.rules import badge_condition_holds
from domain.ingestion.streaks import StreakRecord, period_index, period_label, sweep
from domain.shared.errors import NotFound
from domain.shared.tenancy import Tenant

PeriodStatus = Literal["ticked", "frozen", "missed", "open"]
BadgeSource = Literal["auto", "manual", "rule"]


@dataclass(frozen=True)
class PeriodMark:
    """One period of a streak's row: ``open`` is the current period before its tick."""

    period: str
    status: PeriodStatus


@dataclass(frozen=True)
class StreakStanding:
    """A streak as of ``now``: the count the next sweep would leave, and what it shows."""

    streak: StreakDef
    count: int
    alive: bool
    last_period: str | None
    current_period: str
    ticked_this_period: bool
    freeze_tokens: int
    next_milestone: int | None
    recent: tuple[PeriodMark, ...]


@dataclass(frozen=True)
class AwardRecord:
    """How a badge was awarded, as the ``buddy_badges`` view keeps it."""

    source: str  # as recorded: ``rule`` (the engine's badge pass) or ``manual``
    awarded_at: datetime


@dataclass(frozen=True)
class BadgeStanding:
    """One badge for one buddy: earned (with how), or how far along (``progress`` 0..1, with
    the condition's ``required`` and ``actual``). ``badge`` is ``None`` for a badge the buddy
    holds that its rulebook no longer defines (badges are never revoked)."""

    key: str
    badge: BadgeDef | None
    earned: bool
    ready: bool
    source: BadgeSource | None
    awarded_at: datetime | None
    progress: float
    required: object
    actual: object


class Progression:
    def __init__(self, buddies: Buddies, clock: Clock) -> None:
        self._buddies = buddies
        self._clock = clock

    def state(self, tenant: Tenant, buddy_id: str) -> tuple[BuddyState, datetime]:
        """The buddy's state and the instant it is read at."""
        return self._buddies.state(tenant, buddy_id), self._clock.now()

    def streak(self, tenant: Tenant, buddy_id: str, key: str) -> StreakStanding:
        """One streak of the buddy's rulebook; ``resource_not_found`` for an unknown key."""
        state, now = self.state(tenant, buddy_id)
        definition = state.rulebook.streak(key)
        if definition is None:
            raise NotFound("streak", key)
        return streak_standing(state, definition, now)


def streak_standing(state: BuddyState, streak: StreakDef, now: datetime) -> StreakStanding:
    records = state.buddy.records()
    stored = records.get(streak.key)
    if stored is not None and stored.period != streak.period:
        stored = None  # a changed period starts afresh at the next tick (decision 0036)
    freeze_key = streak.freeze_token_key
    held = state.ledger.balance(freeze_key) if freeze_key is not None else 0
    outcome = sweep(streak.key, stored, now, freeze_token=freeze_key, tokens=held)
    record = outcome.record if stored is not None else StreakRecord(streak.period)
    current = period_index(streak.period, now)
    ticked = record.covers(current) and current not in record.frozen
    milestones = sorted(m.count for m in streak.milestones if m.count > record.count)
    return StreakStanding(
        streak=streak,
        count=record.count,
        alive=record.alive,
        last_period=record.last_period,
        current_period=period_label(streak.period, current),
        ticked_this_period=ticked,
        freeze_tokens=held - outcome.tokens_spent,
        next_milestone=milestones[0] if milestones else None,
        recent=_recent(record, current, streak.max_row_icons or 7),
    )


def streak_standings(state: BuddyState, now: datetime) -> list[StreakStanding]:
    return [streak_standing(state, s, now) for s in sorted(state.rulebook.streaks, key=_key)]


def _key(streak: StreakDef) -> str:
    return streak.key


def _recent(record: StreakRecord, current: int, size: int) -> tuple[PeriodMark, ...]:
    """The ``size`` periods ending with the current one, oldest first, for the row mode."""
    marks = []
    for index in range(current - size + 1, current + 1):
        status: PeriodStatus
        if index in record.frozen:
            status = "frozen"
        elif record.covers(index):
            status = "ticked"
        elif index == current:
            status = "open"
        else:
            status = "missed"
        marks.append(PeriodMark(period_label(record.period, index), status))
    return tuple(marks)


def badge_standings(state: BuddyState, awards: Mapping[str, AwardRecord]) -> list[BadgeStanding]:
    """Every badge the buddy holds, in award order, then every other badge of its rulebook.

    A held badge's ``source``: ``manual`` when a person awarded it (``POST
    /buddies/{id}/badges``), ``rule`` when a streak milestone of the rulebook awards it, else
    ``auto`` (its own condition held)."""
    rulebook, buddy = state.rulebook, state.buddy
    definitions = {b.key: b for b in rulebook.badges}
    by_milestone = {m.badge_key for s in rulebook.streaks for m in s.milestones if m.badge_key}
    progress_state = buddy.progress_state(state.ledger.wallet())
    standings = []
    for key, awarded_at in buddy.badges.items():
        badge = definitions.get(key)
        required = actual = None
        if badge is not None:
            _, details = badge_condition_holds(badge.condition, rulebook, progress_state)
            required, actual = details["required"], details["actual"]
        record = awards.get(key)
        source: BadgeSource
        if record is not None and record.source == "manual":
            source = "manual"
        elif key in by_milestone:
            source = "rule"
        else:
            source = "auto"
        standings.append(
            BadgeStanding(key, badge, True, False, source, awarded_at, 1.0, required, actual)
        )
    for badge in rulebook.badges:
        if badge.key in buddy.badges:
            continue
        _, details = badge_condition_holds(badge.condition, rulebook, progress_state)
        required, actual = details["required"], details["actual"]
        standings.append(
            BadgeStanding(
                badge.key,
                badge,
                False,
                badge.key in buddy.badges_ready,
                None,
                None,
                badge_progress(badge, required, actual),
                required,
                actual,
            )
        )
    return standings


def badge_progress(badge: BadgeDef, required: object, actual: object) -> float:
    """How far a badge's condition is along, 0..1, from the rule engine's ``required`` and
    ``actual`` (a collection counts the items owned)."""
    if isinstance(badge.condition, CollectionCondition):
        have, need = len(actual), len(required)  # type: ignore[arg-type]
    else:
        have, need = int(actual), int(required)  # type: ignore[call-overload]
    return 1.0 if need <= 0 else max(0.0, min(1.0, have / need))
