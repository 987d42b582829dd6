"""Analytics rollups: per tenant, audience and UTC period, counters a read only adds up.

Every figure of ``/analytics/*`` (``docs/analytics.md`` defines each) comes from these
tables, and each row is a counter for one tenant (customer and mode), one audience and one
UTC period, so a read costs the number of periods it shows, never the number of events
behind them.

* A period is ``day:2025-01-06``, ``week:2025-01-06`` (the Monday, UTC) or ``month:2025-01``,
  of the moment Hatched *recorded* the event (its log time, not the customer's
  ``occurred_at``): a closed day's figures never change afterwards.
* ``audience`` is ``""`` for every audience together and the audience's key for one; an event
  that names an audience counts in both.
* Distinct counts (active users, new users, a cohort's returning users) are counters too:
  a marker row per (period, user) or per user is inserted ``Once``, and only the insert that
  created it increments the counter. A retention cell finds the user's cohort with a
  ``Lookup`` of the user's row, written by the user's first event earlier in the log.
* Ledger entries name their ledger only; ``Ledger.Opened`` records its tenant in
  ``view_analytics_ledgers`` and each entry looks it up.

The markers grow with users times periods, but reads never touch them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from eventsourcing.domain import DomainEvent

from domain.economy.ledger import Ledger
from domain.ingestion.event_ingestion import EventIngestion
from projections.analytics.leaderboard import month_start, utc, week_start
from projections.shared.base import Lookup, Once, RowChange, Table, Upsert, tenant_table

EVERY_AUDIENCE: Final = ""

ACTIVITY = tenant_table(
    "view_analytics_activity",
    {"audience": "text", "period": "text"},
    counters=("events", "active_users", "new_users"),
)

EVENT_TYPES = tenant_table(
    "view_analytics_event_types",
    {"audience": "text", "day": "text", "type": "text"},
    counters=("events", "rejected"),
)

MEMBERS = tenant_table(
    "view_analytics_members", {"audience": "text", "period": "text", "user_id": "text"}
)

USERS = tenant_table(
    "view_analytics_users",
    {"audience": "text", "user_id": "text"},
    {"cohort": "text", "first_day": "text"},
)

RETENTION = tenant_table(
    "view_analytics_retention",
    {"audience": "text", "cohort": "text", "week": "text"},
    counters=("users",),
)

LEDGERS = Table(
    name="view_analytics_ledgers",
    key=("ledger_id",),
    columns={"ledger_id": "text", "customer_id": "text", "mode": "text"},
)

ECONOMY = tenant_table(
    "view_analytics_economy",
    {"day": "text", "currency": "text"},
    counters=("credited", "debited", "credits", "debits"),
)

BALANCES = tenant_table("view_analytics_balances", {"bucket": "text"}, counters=("wallets",))

BALANCE_BUCKETS: Final = ("0", "1-9", "10-99", "100-999", "1000-9999", "10000+")


def day_of(moment: datetime) -> str:
    return _calendar(utc(moment).date())[0]


def period_key(kind: str, moment: datetime) -> str:
    """The ``kind`` period (``day``, ``week``, ``month``) that contains ``moment``."""
    return periods_of(moment)[kind]


def periods_of(moment: datetime) -> Mapping[str, str]:
    """The key of each period kind that contains ``moment``."""
    return _calendar(utc(moment).date())[1]


@lru_cache(maxsize=512)
def _calendar(day: date) -> tuple[str, Mapping[str, str]]:
    """A day's text and its periods' keys, worked out once per day: a view asks for them
    several times for every event, and the events of a day are many."""
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    text = f"{day:%Y-%m-%d}"
    periods = {
        "day": f"day:{text}",
        "week": f"week:{week_start(moment):%Y-%m-%d}",
        "month": f"month:{month_start(moment):%Y-%m}",
    }
    return text, MappingProxyType(periods)


def balance_bucket(balance: int) -> str:
    """The wallet-balance bucket (powers of ten) a coin balance falls in."""
    if balance <= 0:
        return BALANCE_BUCKETS[0]
    return BALANCE_BUCKETS[min(len(str(balance)), len(BALANCE_BUCKETS) - 1)]


class AnalyticsRollupsView:
    name = "analytics_rollups"
    tables: tuple[Table, ...] = (
        ACTIVITY,
        EVENT_TYPES,
        MEMBERS,
        USERS,
        RETENTION,
        LEDGERS,
        ECONOMY,
        BALANCES,
    )
    handles: tuple[type[DomainEvent], ...] = (
        EventIngestion.Recorded,
        Ledger.Opened,
        Ledger.CoinsCredited,
        Ledger.CoinsDebited,
        Ledger.TokensCredited,
        Ledger.TokensDebited,
    )

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, EventIngestion.Recorded):
            yield from _recorded(
                event, [EVERY_AUDIENCE, *([event.audience] if event.audience else [])]
            )
        elif isinstance(event, Ledger.Opened):
            tenant = {"customer_id": event.customer_id.hex, "mode": event.mode}
            yield Upsert(LEDGERS.name, {"ledger_id": event.originator_id.hex}, tenant)
            yield Upsert(BALANCES.name, {**tenant, "bucket": "0"}, increments={"wallets": 1})
        elif isinstance(
            event,
            Ledger.CoinsCredited
            | Ledger.CoinsDebited
            | Ledger.TokensCredited
            | Ledger.TokensDebited,
        ):
            yield from _entry(event)


def _recorded(event: EventIngestion.Recorded, audiences: list[str]) -> Iterable[RowChange]:
    """The event's counters in each of ``audiences``, all of them first (one batch per
    table), then one ``Once`` per audience: the user's marker of the day (``_active``)."""
    owner = {"customer_id": event.customer_id.hex, "mode": event.mode}
    tenants = [{**owner, "audience": audience} for audience in audiences]
    rejected = event.outcome == "rejected"
    day = day_of(event.timestamp)
    for tenant in tenants:
        yield Upsert(
            EVENT_TYPES.name,
            {**tenant, "day": day, "type": event.type},
            increments={"events": 1, "rejected": int(rejected)},
        )
    if rejected:
        return  # refused events are counted per type, but make nobody active
    periods = periods_of(event.timestamp)
    for tenant in tenants:
        for period in periods.values():
            yield Upsert(ACTIVITY.name, {**tenant, "period": period}, increments={"events": 1})
    for tenant in tenants:
        yield _active(event, tenant, periods)


def _active(
    event: EventIngestion.Recorded, tenant: dict[str, str], periods: Mapping[str, str]
) -> Once:
    """The user's marker of the day; only when it is new, their markers of the week and the
    month and their first-event row. A user already counted today was counted in this week
    and month and has a cohort (all were written with the day's marker, and markers are never
    deleted), so the usual event (a user active again the same day) costs one insert."""
    user = {**tenant, "user_id": event.user_id}
    week = periods["week"].removeprefix("week:")

    def counted(period: str, *then: Upsert | Once) -> Once:
        active = Upsert(ACTIVITY.name, {**tenant, "period": period}, increments={"active_users": 1})
        return Once(
            MEMBERS.name,
            {**tenant, "period": period, "user_id": event.user_id},
            then=(active, *then),
        )

    first_event = Once(
        USERS.name,
        user,
        {"cohort": week, "first_day": day_of(event.timestamp)},
        then=tuple(
            Upsert(ACTIVITY.name, {**tenant, "period": p}, increments={"new_users": 1})
            for p in periods.values()
        ),
    )
    returning = Upsert(
        RETENTION.name,
        {**tenant, "cohort": Lookup(USERS.name, user, "cohort"), "week": week},
        increments={"users": 1},
    )
    return counted(
        periods["day"],
        first_event,  # before the retention cell, whose Lookup reads the row it writes
        counted(periods["week"], returning),
        counted(periods["month"]),
    )


def _entry(
    event: Ledger.CoinsCredited
    | Ledger.CoinsDebited
    | Ledger.TokensCredited
    | Ledger.TokensDebited,
) -> Iterable[RowChange]:
    ledger = {"ledger_id": event.originator_id.hex}
    tenant = {
        "customer_id": Lookup(LEDGERS.name, ledger, "customer_id"),
        "mode": Lookup(LEDGERS.name, ledger, "mode"),
    }
    credited = event.credited
    yield Upsert(
        ECONOMY.name,
        {**tenant, "day": day_of(event.timestamp), "currency": event.currency},
        increments={
            "credited": event.amount if credited else 0,
            "debited": 0 if credited else event.amount,
            "credits": int(credited),
            "debits": int(not credited),
        },
    )
    if isinstance(event, Ledger.CoinsCredited | Ledger.CoinsDebited):
        before = event.balance_after - (event.amount if credited else -event.amount)
        old, new = balance_bucket(before), balance_bucket(event.balance_after)
        if old != new:
            yield Upsert(BALANCES.name, {**tenant, "bucket": old}, increments={"wallets": -1})
            yield Upsert(BALANCES.name, {**tenant, "bucket": new}, increments={"wallets": 1})
