"""Reading the analytics rollups: a window of UTC days, and the counters inside it.

Every read here selects counter rows by (tenant, audience, period range): its cost is the
number of periods, types or currencies it answers with, whatever the number of events
behind them (``projections/analytics/rollups.py``; the metrics are defined in
``docs/analytics.md``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Literal

from application.shared.ports import Clock
from domain.configs.rulebook import COINS
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
from projections.analytics.rollups import (
    ACTIVITY,
    BALANCE_BUCKETS,
    BALANCES,
    ECONOMY,
    EVENT_TYPES,
    EVERY_AUDIENCE,
    RETENTION,
)

Granularity = Literal["day", "week"]
DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 366
TOP_TYPES: Final = 5


@dataclass(frozen=True)
class Window:
    """The UTC days ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def periods(self, granularity: Granularity) -> list[date]:
        """The first day of each day or week (Monday) that overlaps the window."""
        if granularity == "day":
            return [self.first + timedelta(days=n) for n in range(self.days)]
        start = monday(self.first)
        return [start + timedelta(weeks=n) for n in range((self.last - start).days // 7 + 1)]


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def window_of(today: date, first: date | None, last: date | None, days: int | None) -> Window:
    """The window the parameters name: ``from``/``to`` (either may be left out), or the last
    ``days`` days up to ``to`` (default today); by default the last 30 days. ``from`` after
    ``to``, ``days`` together with ``from``, or a window longer than 366 days is
    ``bad_request``."""
    if days is not None and first is not None:
        raise DomainError(
            "bad_request", "send either `from` or `days`, not both", {"from": first, "days": days}
        )
    end = last or today
    if first is not None and first > end:
        raise DomainError("bad_request", "`from` is later than `to`", {"from": first, "to": end})
    start = first or end - timedelta(days=(days or DEFAULT_DAYS) - 1)
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError(
            "bad_request",
            f"a window spans at most {MAX_DAYS} days",
            {"from": start, "to": end, "max_days": MAX_DAYS},
        )
    return Window(start, end)


@dataclass(frozen=True)
class Activity:
    period_start: date
    events: int = 0
    active_users: int = 0
    new_users: int = 0


@dataclass(frozen=True)
class TypeCount:
    type: str
    events: int
    rejected: int
    series: list[tuple[date, int]]


@dataclass(frozen=True)
class CohortWeek:
    week: int
    active_users: int


@dataclass(frozen=True)
class Cohort:
    cohort_start: date
    users: int
    weeks: list[CohortWeek]


@dataclass
class Flow:
    currency: str
    credited: int = 0
    debited: int = 0
    credits: int = 0
    debits: int = 0
    series: dict[date, tuple[int, int]] = field(default_factory=dict)


class RollupQueries:
    def __init__(self, views: ViewStore, clock: Clock) -> None:
        self._views = views
        self._clock = clock

    def today(self) -> date:
        return self._clock.now().date()

    # -- activity ----------------------------------------------------------------------

    def activity(
        self, tenant: Tenant, audience: str | None, window: Window, granularity: Granularity
    ) -> list[Activity]:
        """Events, active and new users per day or week (Monday) overlapping the window."""
        starts = window.periods(granularity)
        kind = granularity
        rows = self._activity_rows(tenant, audience, kind, starts[0], starts[-1])
        return [rows.get(start, Activity(start)) for start in starts]

    def active_at(self, tenant: Tenant, audience: str | None, day: date) -> tuple[int, int, int]:
        """Active users on ``day``, in its week and in its month."""
        keys = [f"day:{day:%Y-%m-%d}", f"week:{monday(day):%Y-%m-%d}", f"month:{day:%Y-%m}"]
        rows = self._views.select(
            f"SELECT period, active_users FROM {ACTIVITY.name}"
            " WHERE customer_id = {p} AND mode = {p} AND audience = {p}"
            " AND period IN ({p}, {p}, {p})",
            [*_scope(tenant, audience), *keys],
        )
        found = {row["period"]: int(row["active_users"]) for row in rows}
        day_users, week_users, month_users = (found.get(key, 0) for key in keys)
        return day_users, week_users, month_users

    def _activity_rows(
        self, tenant: Tenant, audience: str | None, kind: str, first: date, last: date
    ) -> dict[date, Activity]:
        rows = self._views.select(
            f"SELECT period, events, active_users, new_users FROM {ACTIVITY.name}"
            " WHERE customer_id = {p} AND mode = {p} AND audience = {p}"
            " AND period >= {p} AND period <= {p}",
            [*_scope(tenant, audience), f"{kind}:{first:%Y-%m-%d}", f"{kind}:{last:%Y-%m-%d}"],
        )
        found = {}
        for row in rows:
            start = date.fromisoformat(row["period"].partition(":")[2])
            found[start] = Activity(
                start,
                int(row["events"] or 0),
                int(row["active_users"] or 0),
                int(row["new_users"] or 0),
            )
        return found

    # -- event types -------------------------------------------------------------------

    def event_types(
        self, tenant: Tenant, audience: str | None, window: Window, granularity: Granularity
    ) -> list[TypeCount]:
        """Each event type recorded in the window, most recorded first (then by name), with
        its count per day or week."""
        rows = self._views.select(
            f"SELECT day, type, events, rejected FROM {EVENT_TYPES.name}"
            " WHERE customer_id = {p} AND mode = {p} AND audience = {p}"
            " AND day >= {p} AND day <= {p}",
            [*_scope(tenant, audience), window.first.isoformat(), window.last.isoformat()],
        )
        starts = window.periods(granularity)
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        series: dict[str, dict[date, int]] = defaultdict(lambda: dict.fromkeys(starts, 0))
        for row in rows:
            day = date.fromisoformat(row["day"])
            start = day if granularity == "day" else monday(day)
            totals[row["type"]][0] += int(row["events"])
            totals[row["type"]][1] += int(row["rejected"])
            series[row["type"]][start] += int(row["events"])
        ordered = sorted(totals, key=lambda name: (-totals[name][0], name))
        return [
            TypeCount(name, totals[name][0], totals[name][1], list(series[name].items()))
            for name in ordered
        ]

    # -- retention ---------------------------------------------------------------------

    def retention(self, tenant: Tenant, audience: str | None, window: Window) -> list[Cohort]:
        """The weekly cohorts starting in the window's weeks, each with its users still
        active 0, 1, 2, … weeks later, up to the window's last week."""
        weeks = window.periods("week")
        last = f"{weeks[-1]:%Y-%m-%d}"
        rows = self._views.select(
            f"SELECT cohort, week, users FROM {RETENTION.name}"
            " WHERE customer_id = {p} AND mode = {p} AND audience = {p}"
            " AND cohort >= {p} AND cohort <= {p} AND week <= {p}",
            [*_scope(tenant, audience), f"{weeks[0]:%Y-%m-%d}", last, last],
        )
        cells = {(row["cohort"], row["week"]): int(row["users"]) for row in rows}
        cohorts = []
        for start in weeks:
            name = f"{start:%Y-%m-%d}"
            size = cells.get((name, name), 0)
            offsets = (weeks[-1] - start).days // 7
            later = [
                CohortWeek(k, cells.get((name, f"{start + timedelta(weeks=k):%Y-%m-%d}"), 0))
                for k in range(offsets + 1)
            ]
            cohorts.append(Cohort(start, size, later))
        return cohorts

    # -- economy -----------------------------------------------------------------------

    def flows(self, tenant: Tenant, window: Window, granularity: Granularity) -> list[Flow]:
        """Per currency (coins first, then tokens by key): what was credited and debited in
        the window, in all and per day or week."""
        rows = self._views.select(
            f"SELECT day, currency, credited, debited, credits, debits FROM {ECONOMY.name}"
            " WHERE customer_id = {p} AND mode = {p} AND day >= {p} AND day <= {p}",
            [
                tenant.customer_id.hex,
                tenant.mode,
                window.first.isoformat(),
                window.last.isoformat(),
            ],
        )
        starts = window.periods(granularity)
        flows: dict[str, Flow] = {}
        for row in rows:
            flow = flows.get(row["currency"])
            if flow is None:
                flow = flows[row["currency"]] = Flow(
                    row["currency"], series=dict.fromkeys(starts, (0, 0))
                )
            credited, debited = int(row["credited"]), int(row["debited"])
            flow.credited += credited
            flow.debited += debited
            flow.credits += int(row["credits"])
            flow.debits += int(row["debits"])
            day = date.fromisoformat(row["day"])
            start = day if granularity == "day" else monday(day)
            before = flow.series[start]
            flow.series[start] = (before[0] + credited, before[1] + debited)
        return sorted(flows.values(), key=lambda f: (f.currency != COINS, f.currency))

    def coin_flow(self, tenant: Tenant, window: Window, granularity: Granularity) -> Flow:
        coins = [f for f in self.flows(tenant, window, granularity) if f.currency == COINS]
        return (
            coins[0]
            if coins
            else Flow(COINS, series=dict.fromkeys(window.periods(granularity), (0, 0)))
        )

    def balances(self, tenant: Tenant) -> list[tuple[str, int]]:
        """How many of the tenant's wallets hold a coin balance in each bucket, now."""
        rows = self._views.select(
            f"SELECT bucket, wallets FROM {BALANCES.name} WHERE customer_id = {{p}} AND mode = {{p}}",
            [tenant.customer_id.hex, tenant.mode],
        )
        found = {row["bucket"]: int(row["wallets"]) for row in rows}
        return [(bucket, found.get(bucket, 0)) for bucket in BALANCE_BUCKETS]


def _scope(tenant: Tenant, audience: str | None) -> list[Any]:
    return [tenant.customer_id.hex, tenant.mode, audience or EVERY_AUDIENCE]


def ratio(part: float, whole: float, digits: int = 4) -> float | None:
    """``part / whole`` rounded, ``None`` when there is no whole."""
    return round(part / whole, digits) if whole else None
