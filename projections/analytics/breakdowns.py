"""Analytics breakdowns: badges, stages, streaks, items, most active users, buddy vs no buddy.

The second follower of the analytics (``docs/analytics.md`` defines each figure; decision
0052). Like ``analytics_rollups`` it keeps counters per tenant and UTC day (the day Hatched
recorded the fact), so a read adds up the days of its window and never reads the log. It is
a view of its own, not more tables of ``analytics_rollups``: a new view starts at the log's
first event, so a deployment fills these tables from its whole history by itself.

* A buddy's facts (badges, evolutions, streaks, equips) name the buddy only; ``Buddy.Hatched``
  records its tenant in ``view_analytics_buddy_tenants`` and each later fact looks it up
  (``Lookup``), with the stage the buddy is at, so the stage distribution can move it.
* ``equips`` counts a buddy wearing an item for the first time (a marker per buddy and
  item, ``Once``); taking it off and on again is not a new equip.
* Customer events count per user and day (``view_analytics_user_days``: the most active
  users) and per segment (``with_buddy`` when the event reached an active buddy, outcome
  ``applied``; ``without_buddy`` for ``no_active_buddy``), with distinct users per segment,
  day and week counted ``Once``. Rejected events make nobody active and count in neither.
* ``view_analytics_type_totals`` counts every recorded event per type, rejected ones too:
  ``GET /events/types`` reads it instead of the event list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from eventsourcing.domain import DomainEvent

from domain.companions.buddy import Buddy
from domain.configs.rulebook import MIN_STAGE
from domain.economy.item_purchase import ItemPurchase
from domain.ingestion.event_ingestion import EventIngestion
from projections.analytics.rollups import EVERY_AUDIENCE, day_of, period_key
from projections.shared.base import (
    ColumnType,
    Lookup,
    Once,
    RowChange,
    Table,
    Upsert,
    iso,
    tenant_table,
)

WITH_BUDDY: Final = "with_buddy"
WITHOUT_BUDDY: Final = "without_buddy"
SEGMENTS: Final = (WITH_BUDDY, WITHOUT_BUDDY)
SEGMENT_PERIODS: Final = ("day", "week")

BUDDY_TENANTS = Table(
    name="view_analytics_buddy_tenants",
    key=("buddy_id",),
    columns={
        "buddy_id": "text",
        "customer_id": "text",
        "mode": "text",
        "stage": "int",
        "status": "text",
    },
)

BADGES = tenant_table(
    "view_analytics_badges",
    {"day": "text", "badge_key": "text"},
    counters=("awarded", "by_rules", "manual"),
)

STAGE_REACHED = tenant_table(
    "view_analytics_stage_reached", {"day": "text", "stage": "int"}, counters=("buddies",)
)

STAGES = tenant_table("view_analytics_stages", {"stage": "int"}, counters=("buddies",))

STREAK_COUNTS: Final = ("ticks", "restarts", "freezes", "burns", "counts_lost", "milestones")

STREAKS = tenant_table(
    "view_analytics_streaks", {"day": "text", "streak_key": "text"}, counters=STREAK_COUNTS
)

ITEMS = tenant_table(
    "view_analytics_items",
    {"day": "text", "item_id": "text"},
    counters=("grants", "coins_spent", "equips"),
)

EQUIPPED = Table(
    name="view_analytics_equipped",
    key=("buddy_id", "item_id"),
    columns={"buddy_id": "text", "item_id": "text"},
)

USER_DAYS = tenant_table(
    "view_analytics_user_days",
    {"audience": "text", "day": "text", "user_id": "text"},
    {"events": "int", "last_event_at": "text"},
)

SEGMENT_KEY: Final[dict[str, ColumnType]] = {
    "audience": "text",
    "segment": "text",
    "period": "text",
}

SEGMENT_ACTIVITY = tenant_table(
    "view_analytics_segments", SEGMENT_KEY, counters=("events", "active_users")
)

SEGMENT_MEMBERS = tenant_table("view_analytics_segment_members", {**SEGMENT_KEY, "user_id": "text"})

TYPE_TOTALS = tenant_table("view_analytics_type_totals", {"type": "text"}, counters=("events",))


class AnalyticsBreakdownsView:
    name = "analytics_breakdowns"
    tables: tuple[Table, ...] = (
        BUDDY_TENANTS,
        BADGES,
        STAGE_REACHED,
        STAGES,
        STREAKS,
        ITEMS,
        EQUIPPED,
        USER_DAYS,
        SEGMENT_ACTIVITY,
        SEGMENT_MEMBERS,
        TYPE_TOTALS,
    )
    handles: tuple[type[DomainEvent], ...] = (
        EventIngestion.Recorded,
        Buddy.Hatched,
        Buddy.Evolved,
        Buddy.Archived,
        Buddy.BadgeAwarded,
        Buddy.StreakTicked,
        Buddy.StreakFrozen,
        Buddy.StreakBurned,
        Buddy.StreakMilestoneReached,
        Buddy.ItemsEquipped,
        ItemPurchase.Recorded,
    )

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, EventIngestion.Recorded):
            yield from _recorded(event)
        elif isinstance(event, Buddy.Hatched):
            tenant = {"customer_id": event.customer_id.hex, "mode": event.mode}
            yield Upsert(
                BUDDY_TENANTS.name,
                {"buddy_id": event.originator_id.hex},
                {**tenant, "stage": MIN_STAGE, "status": "active"},
            )
            day = day_of(event.timestamp)
            yield Upsert(
                STAGE_REACHED.name,
                {**tenant, "day": day, "stage": MIN_STAGE},
                increments={"buddies": 1},
            )
            yield Upsert(STAGES.name, {**tenant, "stage": MIN_STAGE}, increments={"buddies": 1})
        elif isinstance(event, Buddy.Evolved):
            yield from _evolved(event)
        elif isinstance(event, Buddy.Archived):
            buddy = {"buddy_id": event.originator_id.hex}
            stage = Lookup(BUDDY_TENANTS.name, buddy, "stage")
            yield Upsert(
                STAGES.name, {**_buddy_tenant(event), "stage": stage}, increments={"buddies": -1}
            )
            yield Upsert(BUDDY_TENANTS.name, buddy, {"status": "archived"})
        elif isinstance(event, Buddy.BadgeAwarded):
            yield Upsert(
                BADGES.name,
                {
                    **_buddy_tenant(event),
                    "day": day_of(event.timestamp),
                    "badge_key": event.badge_key,
                },
                increments={
                    "awarded": 1,
                    "by_rules": int(event.source != "manual"),
                    "manual": int(event.source == "manual"),
                },
            )
        elif isinstance(
            event,
            Buddy.StreakTicked
            | Buddy.StreakFrozen
            | Buddy.StreakBurned
            | Buddy.StreakMilestoneReached,
        ):
            yield _streak(event)
        elif isinstance(event, Buddy.ItemsEquipped):
            yield from _equipped(event)
        elif isinstance(event, ItemPurchase.Recorded):
            tenant = {"customer_id": event.customer_id.hex, "mode": event.mode}
            bought = event.source == "purchase"
            yield Upsert(
                ITEMS.name,
                {**tenant, "day": day_of(event.timestamp), "item_id": event.item_id},
                increments={
                    "grants": int(not bought),
                    "coins_spent": event.price_coins if bought else 0,
                    "equips": 0,
                },
            )


def _buddy_tenant(event: DomainEvent) -> dict[str, Lookup]:
    buddy = {"buddy_id": event.originator_id.hex}
    return {
        "customer_id": Lookup(BUDDY_TENANTS.name, buddy, "customer_id"),
        "mode": Lookup(BUDDY_TENANTS.name, buddy, "mode"),
    }


def _evolved(event: Buddy.Evolved) -> Iterable[RowChange]:
    tenant = _buddy_tenant(event)
    yield Upsert(
        STAGE_REACHED.name,
        {**tenant, "day": day_of(event.timestamp), "stage": event.to_stage},
        increments={"buddies": 1},
    )
    yield Upsert(STAGES.name, {**tenant, "stage": event.from_stage}, increments={"buddies": -1})
    yield Upsert(STAGES.name, {**tenant, "stage": event.to_stage}, increments={"buddies": 1})
    yield Upsert(
        BUDDY_TENANTS.name, {"buddy_id": event.originator_id.hex}, {"stage": event.to_stage}
    )


def _streak(
    event: Buddy.StreakTicked
    | Buddy.StreakFrozen
    | Buddy.StreakBurned
    | Buddy.StreakMilestoneReached,
) -> Upsert:
    counts = dict.fromkeys(STREAK_COUNTS, 0)
    if isinstance(event, Buddy.StreakTicked):
        counts["ticks"] = 1
        counts["restarts"] = int(event.reset)
    elif isinstance(event, Buddy.StreakFrozen):
        counts["freezes"] = 1
    elif isinstance(event, Buddy.StreakBurned):
        counts["burns"] = 1
        counts["counts_lost"] = event.count
    else:
        counts["milestones"] = 1
    return Upsert(
        STREAKS.name,
        {**_buddy_tenant(event), "day": day_of(event.timestamp), "streak_key": event.streak_key},
        increments=counts,
    )


def _equipped(event: Buddy.ItemsEquipped) -> Iterable[RowChange]:
    buddy_id = event.originator_id.hex
    day = day_of(event.timestamp)
    for item_id in sorted(set(event.item_ids) - set(event.previous_item_ids)):
        yield Once(
            EQUIPPED.name,
            {"buddy_id": buddy_id, "item_id": item_id},
            then=(
                Upsert(
                    ITEMS.name,
                    {**_buddy_tenant(event), "day": day, "item_id": item_id},
                    increments={"grants": 0, "coins_spent": 0, "equips": 1},
                ),
            ),
        )


def _recorded(event: EventIngestion.Recorded) -> Iterable[RowChange]:
    owner = {"customer_id": event.customer_id.hex, "mode": event.mode}
    yield Upsert(TYPE_TOTALS.name, {**owner, "type": event.type}, increments={"events": 1})
    if event.outcome == "rejected":
        return
    segment = WITH_BUDDY if event.outcome == "applied" else WITHOUT_BUDDY
    audiences = [EVERY_AUDIENCE, *([event.audience] if event.audience else [])]
    tenants = [{**owner, "audience": audience} for audience in audiences]
    for tenant in tenants:
        yield Upsert(
            USER_DAYS.name,
            {**tenant, "day": day_of(event.timestamp), "user_id": event.user_id},
            {"last_event_at": iso(event.timestamp)},
            increments={"events": 1},
        )
    rows = [
        [
            {**tenant, "segment": segment, "period": period_key(kind, event.timestamp)}
            for kind in SEGMENT_PERIODS
        ]
        for tenant in tenants
    ]
    for row in (row for periods in rows for row in periods):
        yield Upsert(SEGMENT_ACTIVITY.name, row, increments={"events": 1, "active_users": 0})
    for day, week in rows:  # a user counted in the segment today was counted in its week too
        yield _counted(event, day, _counted(event, week))


def _counted(event: EventIngestion.Recorded, row: dict[str, str], *then: Once) -> Once:
    """The user's marker of the segment's period ``row``: its active users count them once."""
    active = Upsert(SEGMENT_ACTIVITY.name, row, increments={"active_users": 1})
    return Once(SEGMENT_MEMBERS.name, {**row, "user_id": event.user_id}, then=(active, *then))
