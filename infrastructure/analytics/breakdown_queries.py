"""Reading the analytics breakdowns: badges, stages, streaks, items, segments, active users.

Like ``rollup_queries.py`` (whose ``Window`` every read here takes), each read selects
counter rows of the days of its window, so its cost follows the days, badges, items or
users it answers with, never the number of events behind them
(``projections/analytics/breakdowns.py``; ``docs/analytics.md`` defines the figures).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.shared.tenancy import Tenant
from infrastructure.analytics.rollup_queries import Granularity, Window, monday
from infrastructure.persistence.view_store import ViewStore
from projections.analytics.breakdowns import (
    BADGES,
    ITEMS,
    SEGMENT_ACTIVITY,
    SEGMENTS,
    STAGE_REACHED,
    STAGES,
    STREAK_COUNTS,
    STREAKS,
    TYPE_TOTALS,
    USER_DAYS,
)
from projections.analytics.rollups import EVERY_AUDIENCE
from projections.economy.item_funnel import ITEM_FUNNEL


@dataclass(frozen=True)
class BadgeCount:
    badge_key: str
    awarded: int
    by_rules: int
    manual: int


@dataclass
class ItemCount:
    item_id: str
    impressions: int = 0
    purchases: int = 0
    grants: int = 0
    coins_spent: int = 0
    equips: int = 0


@dataclass
class StageSeries:
    """Buddies that reached each stage, per day or week (stage 1: hatched)."""

    totals: dict[int, int]
    series: dict[date, dict[int, int]]


@dataclass
class StreakCount:
    streak_key: str
    totals: dict[str, int]
    series: dict[date, dict[str, int]] = field(default_factory=dict)


@dataclass
class SegmentActivity:
    segment: str
    series: dict[date, tuple[int, int]]
    days: dict[date, tuple[int, int]]


@dataclass(frozen=True)
class ActiveUser:
    user_id: str
    events: int
    active_days: int
    last_event_at: str


class BreakdownQueries:
    def __init__(self, views: ViewStore) -> None:
        self._views = views

    def _days(
        self, table: str, columns: str, tenant: Tenant, window: Window, extra: str = ""
    ) -> list[dict[str, Any]]:
        return self._views.select(
            f"SELECT day, {columns} FROM {table}"
            " WHERE customer_id = {p} AND mode = {p} AND day >= {p} AND day <= {p}" + extra,
            [
                tenant.customer_id.hex,
                tenant.mode,
                window.first.isoformat(),
                window.last.isoformat(),
            ],
        )

    # -- badges ------------------------------------------------------------------------

    def badges(self, tenant: Tenant, window: Window) -> list[BadgeCount]:
        """Each badge awarded in the window, most awarded first (then by key)."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in self._days(BADGES.name, "badge_key, awarded, by_rules, manual", tenant, window):
            counts = totals[row["badge_key"]]
            for n, column in enumerate(("awarded", "by_rules", "manual")):
                counts[n] += int(row[column] or 0)
        ordered = sorted(totals, key=lambda key: (-totals[key][0], key))
        return [BadgeCount(key, *totals[key]) for key in ordered]

    # -- items -------------------------------------------------------------------------

    def items(self, tenant: Tenant, window: Window) -> list[ItemCount]:
        """Per item seen, bought, granted or first worn in the window: its counts."""
        counts: dict[str, ItemCount] = {}

        def of(item_id: str) -> ItemCount:
            return counts.setdefault(item_id, ItemCount(item_id))

        for row in self._days(ITEM_FUNNEL.name, "item_id, impressions, purchases", tenant, window):
            item = of(row["item_id"])
            item.impressions += int(row["impressions"] or 0)
            item.purchases += int(row["purchases"] or 0)
        for row in self._days(ITEMS.name, "item_id, grants, coins_spent, equips", tenant, window):
            item = of(row["item_id"])
            item.grants += int(row["grants"] or 0)
            item.coins_spent += int(row["coins_spent"] or 0)
            item.equips += int(row["equips"] or 0)
        return sorted(counts.values(), key=lambda item: item.item_id)

    # -- evolution ---------------------------------------------------------------------

    def stages_reached(
        self, tenant: Tenant, window: Window, granularity: Granularity
    ) -> StageSeries:
        starts = window.periods(granularity)
        reached = StageSeries({}, {start: {} for start in starts})
        for row in self._days(STAGE_REACHED.name, "stage, buddies", tenant, window):
            stage, buddies = int(row["stage"]), int(row["buddies"] or 0)
            reached.totals[stage] = reached.totals.get(stage, 0) + buddies
            point = reached.series[_start(row["day"], granularity)]
            point[stage] = point.get(stage, 0) + buddies
        return reached

    def stage_distribution(self, tenant: Tenant) -> dict[int, int]:
        """How many of the tenant's active buddies are at each stage, now."""
        rows = self._views.select(
            f"SELECT stage, buddies FROM {STAGES.name} WHERE customer_id = {{p}} AND mode = {{p}}",
            [tenant.customer_id.hex, tenant.mode],
        )
        return {int(row["stage"]): int(row["buddies"] or 0) for row in rows}

    # -- streaks -----------------------------------------------------------------------

    def streaks(
        self, tenant: Tenant, window: Window, granularity: Granularity
    ) -> list[StreakCount]:
        """Per streak definition that moved in the window: ticks, restarts, freezes, burns,
        the counts burned and milestones, in all and per day or week; by key."""
        starts = window.periods(granularity)
        found: dict[str, StreakCount] = {}
        columns = ", ".join(("streak_key", *STREAK_COUNTS))
        for row in self._days(STREAKS.name, columns, tenant, window):
            streak = found.get(row["streak_key"])
            if streak is None:
                streak = found[row["streak_key"]] = StreakCount(
                    row["streak_key"],
                    dict.fromkeys(STREAK_COUNTS, 0),
                    {start: dict.fromkeys(STREAK_COUNTS, 0) for start in starts},
                )
            point = streak.series[_start(row["day"], granularity)]
            for column in STREAK_COUNTS:
                streak.totals[column] += int(row[column] or 0)
                point[column] += int(row[column] or 0)
        return [found[key] for key in sorted(found)]

    # -- buddy vs no buddy -------------------------------------------------------------

    def segments(
        self, tenant: Tenant, audience: str | None, window: Window, granularity: Granularity
    ) -> list[SegmentActivity]:
        """Per segment (``with_buddy``, ``without_buddy``): events and active users of each
        day of the window, and of each day or week."""
        days = self._segment_rows(tenant, audience, "day", window.periods("day"))
        series = (
            days
            if granularity == "day"
            else self._segment_rows(tenant, audience, "week", window.periods("week"))
        )
        return [SegmentActivity(s, series[s], days[s]) for s in SEGMENTS]

    def _segment_rows(
        self, tenant: Tenant, audience: str | None, kind: str, starts: list[date]
    ) -> dict[str, dict[date, tuple[int, int]]]:
        rows = self._views.select(
            f"SELECT segment, period, events, active_users FROM {SEGMENT_ACTIVITY.name}"
            " WHERE customer_id = {p} AND mode = {p} AND audience = {p}"
            " AND period >= {p} AND period <= {p}",
            [
                tenant.customer_id.hex,
                tenant.mode,
                audience or EVERY_AUDIENCE,
                f"{kind}:{starts[0]:%Y-%m-%d}",
                f"{kind}:{starts[-1]:%Y-%m-%d}",
            ],
        )
        found = {s: dict.fromkeys(starts, (0, 0)) for s in SEGMENTS}
        for row in rows:
            start = date.fromisoformat(row["period"].partition(":")[2])
            found[row["segment"]][start] = (
                int(row["events"] or 0),
                int(row["active_users"] or 0),
            )
        return found

    # -- users -------------------------------------------------------------------------

    def most_active(
        self, tenant: Tenant, audience: str | None, window: Window, limit: int
    ) -> list[ActiveUser]:
        """The ``limit`` users with the most events in the window (then by user id)."""
        rows = self._views.select(
            "SELECT user_id, SUM(events) AS events, COUNT(*) AS active_days,"
            f" MAX(last_event_at) AS last_event_at FROM {USER_DAYS.name}"
            " WHERE customer_id = {p} AND mode = {p} AND audience = {p}"
            " AND day >= {p} AND day <= {p}"
            " GROUP BY user_id ORDER BY SUM(events) DESC, user_id LIMIT {p}",
            [
                tenant.customer_id.hex,
                tenant.mode,
                audience or EVERY_AUDIENCE,
                window.first.isoformat(),
                window.last.isoformat(),
                limit,
            ],
        )
        return [
            ActiveUser(
                row["user_id"], int(row["events"]), int(row["active_days"]), row["last_event_at"]
            )
            for row in rows
        ]

    # -- event types -------------------------------------------------------------------

    def type_totals(self, tenant: Tenant) -> dict[str, int]:
        """Every event type the tenant ever sent, with its recorded events (rejected too)."""
        rows = self._views.select(
            f"SELECT type, events FROM {TYPE_TOTALS.name}"
            " WHERE customer_id = {p} AND mode = {p}",
            [tenant.customer_id.hex, tenant.mode],
        )
        return {row["type"]: int(row["events"] or 0) for row in rows}


def _start(day: str, granularity: Granularity) -> date:
    moment = date.fromisoformat(day)
    return moment if granularity == "day" else monday(moment)
