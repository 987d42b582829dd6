"""The leaderboard: what each buddy earned and reached, per calendar window.

Every score is kept three times, once per window it counts in: ``all`` (all time), the UTC
month (``month:2025-11``) and the UTC week starting on Monday (``week:2025-11-24``), each
bucketed by the time of the ledger entry or evolution that produced it. A window's board is
then a plain ordered read of one period key; nothing is recomputed at query time.

Ledger events name their ledger, not their buddy or tenant, and a projection sees one event
at a time without reading its own tables. So the earnings are keyed by ledger id, and two
small lookup tables, filled from ``Ledger.Opened`` and ``Buddy.Hatched``, map a ledger to its
buddy (and its current progression token) and a buddy to its tenant; the query joins them.
That keeps the projection a pure function of the events: replaying the log rebuilds the same
rows whatever order the lookups and the earnings were written in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from eventsourcing.domain import DomainEvent

from domain.companions.buddy import Buddy
from domain.configs.rulebook import COINS, MIN_STAGE
from domain.economy.ledger import Ledger
from projections.shared.base import RowChange, Table, Upsert, iso

Window = Literal["all_time", "monthly", "weekly"]
Metric = Literal["coins_earned", "xp", "stage"]
WINDOWS: Final = ("all_time", "monthly", "weekly")
METRICS: Final = ("coins_earned", "xp", "stage")
ALL_TIME: Final = "all"

LEADERBOARD_BUDDIES = Table(
    name="view_leaderboard_buddies",
    key=("buddy_id",),
    columns={
        "buddy_id": "text",
        "customer_id": "text",
        "mode": "text",
        "user_id": "text",
        "name": "text",
        "status": "text",
        "evolution_stage": "int",
    },
    indexes=(("customer_id", "mode", "status"),),
)

LEADERBOARD_LEDGERS = Table(
    name="view_leaderboard_ledgers",
    key=("ledger_id",),
    columns={"ledger_id": "text", "buddy_id": "text", "progression_key": "text"},
    indexes=(("buddy_id",),),
)

LEADERBOARD_EARNINGS = Table(
    name="view_leaderboard_earnings",
    key=("ledger_id", "currency", "period"),
    columns={
        "ledger_id": "text",
        "currency": "text",
        "period": "text",
        "amount": "int",
        "reached_at": "text",
    },
)

LEADERBOARD_STAGES = Table(
    name="view_leaderboard_stages",
    key=("buddy_id", "period"),
    columns={"buddy_id": "text", "period": "text", "stage": "int", "reached_at": "text"},
)


def utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def month_start(moment: datetime) -> datetime:
    moment = utc(moment)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def week_start(moment: datetime) -> datetime:
    """Midnight UTC of the Monday on or before ``moment``."""
    moment = utc(moment)
    day = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return day - timedelta(days=day.weekday())


def period_of(window: Window, moment: datetime) -> str:
    """The period key of the ``window`` that contains ``moment``."""
    if window == "monthly":
        return f"month:{month_start(moment):%Y-%m}"
    if window == "weekly":
        return f"week:{week_start(moment):%Y-%m-%d}"
    return ALL_TIME


def bounds_of(window: Window, moment: datetime) -> tuple[datetime | None, datetime | None]:
    """``[start, end)`` of the window containing ``moment``; ``(None, None)`` for all time."""
    if window == "monthly":
        start = month_start(moment)
        end = month_start(start + timedelta(days=32))
        return start, end
    if window == "weekly":
        start = week_start(moment)
        return start, start + timedelta(days=7)
    return None, None


def periods_of(moment: datetime) -> tuple[str, ...]:
    return tuple(period_of(window, moment) for window in WINDOWS)


class LeaderboardView:
    name = "leaderboard"
    tables: tuple[Table, ...] = (
        LEADERBOARD_BUDDIES,
        LEADERBOARD_LEDGERS,
        LEADERBOARD_EARNINGS,
        LEADERBOARD_STAGES,
    )
    handles: tuple[type[DomainEvent], ...] = (
        Ledger.CoinsCredited,
        Ledger.TokensCredited,
        Ledger.Opened,
        Ledger.TokenKeysChanged,
        Buddy.Hatched,
        Buddy.Evolved,
        Buddy.Renamed,
        Buddy.Archived,
    )

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, Ledger.CoinsCredited):
            yield from _earned(event, COINS)
        elif isinstance(event, Ledger.TokensCredited):
            yield from _earned(event, event.token_key)
        elif isinstance(event, Ledger.Opened):
            yield Upsert(
                LEADERBOARD_LEDGERS.name,
                {"ledger_id": event.originator_id.hex},
                {
                    "buddy_id": event.buddy_id.hex,
                    "progression_key": event.token_keys["progression"],
                },
            )
        elif isinstance(event, Ledger.TokenKeysChanged):
            yield Upsert(
                LEADERBOARD_LEDGERS.name,
                {"ledger_id": event.originator_id.hex},
                {"progression_key": event.token_keys["progression"]},
            )
        elif isinstance(event, Buddy.Hatched):
            yield Upsert(
                LEADERBOARD_BUDDIES.name,
                {"buddy_id": event.originator_id.hex},
                {
                    "customer_id": event.customer_id.hex,
                    "mode": event.mode,
                    "user_id": event.user_id,
                    "name": event.name,
                    "status": "active",
                    "evolution_stage": MIN_STAGE,
                },
            )
            yield from _reached(event, MIN_STAGE)
        elif isinstance(event, Buddy.Evolved):
            yield Upsert(
                LEADERBOARD_BUDDIES.name,
                {"buddy_id": event.originator_id.hex},
                {"evolution_stage": event.to_stage},
            )
            yield from _reached(event, event.to_stage)
        elif isinstance(event, Buddy.Renamed):
            yield Upsert(
                LEADERBOARD_BUDDIES.name,
                {"buddy_id": event.originator_id.hex},
                {"name": event.name},
            )
        elif isinstance(event, Buddy.Archived):
            yield Upsert(
                LEADERBOARD_BUDDIES.name,
                {"buddy_id": event.originator_id.hex},
                {"status": "archived"},
            )


def _earned(
    event: Ledger.CoinsCredited | Ledger.TokensCredited, currency: str
) -> Iterable[RowChange]:
    """Add a credit to its ledger's score in every window; debits never lower what was earned."""
    for period in periods_of(event.timestamp):
        yield Upsert(
            LEADERBOARD_EARNINGS.name,
            {"ledger_id": event.originator_id.hex, "currency": currency, "period": period},
            {"reached_at": iso(event.timestamp)},
            {"amount": event.amount},
        )


def _reached(event: Buddy.Hatched | Buddy.Evolved, stage: int) -> Iterable[RowChange]:
    """A stage only ever rises, so the latest one reached in a window is that window's best."""
    for period in periods_of(event.timestamp):
        yield Upsert(
            LEADERBOARD_STAGES.name,
            {"buddy_id": event.originator_id.hex, "period": period},
            {"stage": stage, "reached_at": iso(event.timestamp)},
        )
