"""Streaks: consecutive periods in which a buddy did something, as pure functions.

A streak definition (``StreakDef`` in the rulebook) names the event types that tick it and its
period: a UTC day, an ISO week or a calendar month. What one buddy has done towards one streak
is a ``StreakRecord``: its *runs* of consecutive covered periods (a period is covered when an
event ticked it or a freeze token kept it), the frozen periods, and the missed periods that
burned a run. The count is the number of ticked periods in the final run, or 0 once that run
burned (decision 0036).

* **At most one tick per period.** An event in a covered period ticks nothing, unless the
  period was only frozen: then the event counts in it after all (the token stays spent).
* **A missed period** (one that ended with no tick) burns the streak unless the wallet holds
  the definition's freeze token: one token keeps one missed period, missed periods are kept in
  order while tokens last, and the first one no token keeps burns the streak.
* **A late event** (dated in a period before the latest covered one) counts in its own
  period: it fills that gap, joins the runs on both sides, and if that joins the final run
  the streak is whole again. It never freezes or burns anything.
* **Burning does not wait for the user:** ``sweep`` finds the missed periods of a streak at a
  given instant (the application passes its clock's), exactly as the next event would.

Every change is a fact (``StreakTick``, ``StreakFreeze``, ``StreakBurn``, ``StreakMilestone``)
and ``StreakRecord.after(fact)`` is how the ``Buddy`` applies one, so replaying the facts
rebuilds the record the engine computed. State stays bounded: runs, frozen and burned periods
older than ``KEEP`` periods behind the final run are dropped (an event that old is refused by
the event window, decision 0018, long before).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal, NamedTuple

Period = Literal["daily", "weekly", "monthly"]
PERIODS: Final[tuple[Period, ...]] = ("daily", "weekly", "monthly")

KEEP: Final[dict[str, int]] = {"daily": 40, "weekly": 8, "monthly": 3}
"""How many periods behind the final run a record remembers (more than the event window)."""

REASON_FIRED: Final = "fired"
REASON_ALREADY_TICKED: Final = "already_ticked"
REASON_LATE_EVENT: Final = "late_event"


# --------------------------------------------------------------------------------------------
# Periods: each is a number (consecutive periods are consecutive numbers) and a label
# --------------------------------------------------------------------------------------------


def period_index(period: str, moment: datetime) -> int:
    """The number of the period ``moment`` falls in (UTC)."""
    day = moment.astimezone(UTC).date()
    if period == "daily":
        return day.toordinal()
    if period == "weekly":
        return (day.toordinal() - 1) // 7  # day 1 (0001-01-01) is a Monday
    return day.year * 12 + day.month - 1


def period_label(period: str, index: int) -> str:
    """``2026-04-22`` (daily), ``2026-W17`` (weekly), ``2026-04`` (monthly)."""
    if period == "daily":
        return date.fromordinal(index).isoformat()
    if period == "weekly":
        year, week, _ = date.fromordinal(index * 7 + 1).isocalendar()
        return f"{year}-W{week:02d}"
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def label_index(label: str) -> int:
    """The period number of a label (its form says which period it is)."""
    if "-W" in label:
        year, week = label.split("-W")
        return (date.fromisocalendar(int(year), int(week), 1).toordinal() - 1) // 7
    if len(label) == 7:
        year, month = label.split("-")
        return int(year) * 12 + int(month) - 1
    return date.fromisoformat(label).toordinal()


def period_start(period: str, index: int) -> datetime:
    """The first instant (UTC) of a period."""
    if period == "daily":
        first = date.fromordinal(index)
    elif period == "weekly":
        first = date.fromordinal(index * 7 + 1)
    else:
        first = date(index // 12, index % 12 + 1, 1)
    return datetime.combine(first, time(), tzinfo=UTC)


def period_end(period: str, index: int) -> datetime:
    """The first instant after the period (the start of the next one)."""
    if period == "monthly":
        year, month = index // 12, index % 12 + 1
        return period_start(period, index) + timedelta(days=calendar.monthrange(year, month)[1])
    return period_start(period, index + 1)


# --------------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreakTick:
    streak_key: str
    period: str  # the period the event counts in
    count: int  # the streak's count after the tick
    reset: bool  # the streak had burned or never run: it starts (again) here
    late: bool  # the event is dated before the latest covered period


@dataclass(frozen=True)
class StreakFreeze:
    streak_key: str
    period: str  # the missed period a token kept
    count: int  # unchanged by the freeze
    token_key: str


@dataclass(frozen=True)
class StreakBurn:
    streak_key: str
    period: str  # the missed period no token kept
    count: int  # the count that was lost


@dataclass(frozen=True)
class StreakMilestone:
    streak_key: str
    count: int  # the milestone reached


StreakFact = StreakTick | StreakFreeze | StreakBurn | StreakMilestone


def fact_dict(fact: StreakFact) -> dict[str, Any]:
    """A fact as JSON: its name (``StreakTick``, ...) and its fields."""
    return {"fact": type(fact).__name__, **asdict(fact)}


# --------------------------------------------------------------------------------------------
# The record
# --------------------------------------------------------------------------------------------


class Run(NamedTuple):
    first: int
    last: int
    ticks: int  # ticked periods in the run (the rest were frozen)
    rewarded: int  # the highest milestone already reached in this run


@dataclass(frozen=True)
class StreakRecord:
    """One buddy's progress towards one streak (see the module doc)."""

    period: str = "daily"
    runs: tuple[Run, ...] = ()
    frozen: frozenset[int] = frozenset()
    burned: frozenset[int] = frozenset()

    @property
    def final(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    @property
    def alive(self) -> bool:
        final = self.final
        return final is not None and final.last + 1 not in self.burned

    @property
    def count(self) -> int:
        final = self.final
        return final.ticks if final is not None and self.alive else 0

    @property
    def last_period(self) -> str | None:
        """The latest covered period, ticked or frozen."""
        final = self.final
        return period_label(self.period, final.last) if final is not None else None

    def covers(self, index: int) -> bool:
        return any(run.first <= index <= run.last for run in self.runs)

    def due(self) -> datetime | None:
        """When the streak burns unless ticked or frozen: the end of the period after its
        final run. ``None`` while there is nothing to lose."""
        final = self.final
        if final is None or not self.alive:
            return None
        return period_end(self.period, final.last + 1)

    # -- changes -------------------------------------------------------------------------

    def after(self, fact: StreakFact) -> StreakRecord:
        """The record once ``fact`` happened (the engine's decisions and replay share it)."""
        if isinstance(fact, StreakTick):
            return self._ticked(label_index(fact.period))._pruned()
        if isinstance(fact, StreakFreeze):
            index = label_index(fact.period)
            return StreakRecord(
                self.period, self._with(index, tick=False), self.frozen | {index}, self.burned
            )._pruned()
        if isinstance(fact, StreakBurn):
            return StreakRecord(
                self.period, self.runs, self.frozen, self.burned | {label_index(fact.period)}
            )._pruned()
        final = self.final
        assert final is not None  # a milestone follows a tick
        runs = (*self.runs[:-1], final._replace(rewarded=max(final.rewarded, fact.count)))
        return StreakRecord(self.period, runs, self.frozen, self.burned)

    def _ticked(self, index: int) -> StreakRecord:
        if index in self.frozen:  # a frozen period ticks after all: one more tick in its run
            runs = tuple(
                run._replace(ticks=run.ticks + 1) if run.first <= index <= run.last else run
                for run in self.runs
            )
            return StreakRecord(self.period, runs, self.frozen - {index}, self.burned)
        return StreakRecord(
            self.period, self._with(index, tick=True), self.frozen, self.burned - {index}
        )

    def _with(self, index: int, *, tick: bool) -> tuple[Run, ...]:
        """The runs with ``index`` covered, joined to the runs right before and after it."""
        before = [r for r in self.runs if r.last < index - 1]
        after = [r for r in self.runs if r.first > index + 1]
        touching = [r for r in self.runs if r not in before and r not in after]
        first = min([index, *(r.first for r in touching)])
        last = max([index, *(r.last for r in touching)])
        ticks = sum(r.ticks for r in touching) + (1 if tick else 0)
        rewarded = max([0, *(r.rewarded for r in touching)])
        return (*before, Run(first, last, ticks, rewarded), *after)

    def _pruned(self) -> StreakRecord:
        final = self.final
        if final is None:
            return self
        horizon = final.last - KEEP.get(self.period, KEEP["daily"])
        runs = (*tuple(r for r in self.runs[:-1] if r.last >= horizon), final)
        return StreakRecord(
            self.period,
            runs,
            frozenset(i for i in self.frozen if i >= horizon),
            frozenset(i for i in self.burned if i >= horizon),
        )

    # -- storage -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "runs": [list(r) for r in self.runs],
            "frozen": sorted(self.frozen),
            "burned": sorted(self.burned),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StreakRecord:
        return cls(
            period=str(data.get("period", "daily")),
            runs=tuple(Run(*r) for r in data.get("runs", ())),
            frozen=frozenset(data.get("frozen", ())),
            burned=frozenset(data.get("burned", ())),
        )

    @classmethod
    def legacy(cls, count: int, last_day: str) -> StreakRecord:
        """The record of a daily streak kept before records existed (a count and a day)."""
        last = label_index(last_day)
        return cls("daily", (Run(last - count + 1, last, count, 0),))


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one event or one sweep did to one streak: the facts in order, the record after
    them, the freeze tokens spent, and the trace entry's reason and details."""

    facts: tuple[StreakFact, ...]
    record: StreakRecord
    tokens_spent: int = 0
    reason: str = REASON_FIRED
    details: Mapping[str, Any] = field(default_factory=dict)


def _cover_gap(
    key: str,
    record: StreakRecord,
    upto: int,
    freeze_token: str | None,
    tokens: int,
    facts: list[StreakFact],
) -> tuple[StreakRecord, int]:
    """Deal with the missed periods after the final run up to ``upto`` (included): each is
    frozen while tokens last, the first one no token keeps burns the streak. Returns the
    record and the tokens spent."""
    final = record.final
    if final is None or not record.alive:
        return record, 0
    spent = 0
    for index in range(final.last + 1, upto + 1):
        if freeze_token is not None and tokens - spent >= 1:
            fact: StreakFact = StreakFreeze(
                key, period_label(record.period, index), record.count, freeze_token
            )
            spent += 1
        else:
            fact = StreakBurn(key, period_label(record.period, index), record.count)
        facts.append(fact)
        record = record.after(fact)
        if isinstance(fact, StreakBurn):
            break
    return record, spent


def tick(
    key: str,
    period: str,
    record: StreakRecord | None,
    moment: datetime,
    *,
    milestones: Sequence[int],
    freeze_token: str | None,
    tokens: int,
) -> Outcome:
    """An event at ``moment`` that ticks the streak ``key``: the facts, in order."""
    record = record if record is not None and record.period == period else StreakRecord(period)
    index = period_index(period, moment)
    label = period_label(period, index)
    final = record.final
    if record.covers(index) and index not in record.frozen:
        return Outcome(
            (), record, 0, REASON_ALREADY_TICKED, {"period": label, "count": record.count}
        )
    if final is not None and index < final.last - KEEP.get(period, KEEP["daily"]):
        return Outcome(
            (), record, 0, REASON_LATE_EVENT, {"period": label, "last_period": record.last_period}
        )
    facts: list[StreakFact] = []
    spent = 0
    late = final is not None and index < final.last
    if final is not None and index > final.last + 1:
        record, spent = _cover_gap(key, record, index - 1, freeze_token, tokens, facts)
    before = record.count
    record = record.after(StreakTick(key, label, 0, False, late))
    # A reset: a streak had run, and this tick starts it again from 1.
    reset = final is not None and not late and before == 0 and record.count == 1
    ticked = StreakTick(key, label, record.count, reset, late)
    facts.append(ticked)
    final_run = record.final
    if final_run is not None and record.alive and final_run.first <= index <= final_run.last:
        for milestone in sorted(milestones):
            if final_run.rewarded < milestone <= record.count:
                reached = StreakMilestone(key, milestone)
                facts.append(reached)
                record = record.after(reached)
    return Outcome(
        tuple(facts),
        record,
        spent,
        REASON_FIRED,
        {
            "period": label,
            "count": record.count,
            "previous_count": before,
            "reset": ticked.reset,
            "late": late,
        },
    )


def sweep(
    key: str, record: StreakRecord | None, now: datetime, *, freeze_token: str | None, tokens: int
) -> Outcome:
    """At ``now``, freeze or burn the periods that ended since the final run without a tick."""
    if record is None:
        return Outcome((), StreakRecord())
    facts: list[StreakFact] = []
    current = period_index(record.period, now)
    record, spent = _cover_gap(key, record, current - 1, freeze_token, tokens, facts)
    return Outcome(tuple(facts), record, spent)
