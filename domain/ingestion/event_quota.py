"""The monthly event quota: customer events accepted per customer and UTC calendar month.

Counted in ``SHARDS`` streams per customer and month (``EventQuotaShard``), never in one: the
ingestion group that admits events records how many in one shard, in the same transaction
as the events, so the count is exact and rebuilds from the log like everything else, and two
API processes writing at once usually write different shards instead of racing one stream.

Exactness without a single counter: the month's quota is split between the shards
(``shard_capacity``), and a shard never counts past its part. Each shard's stream version
makes its own count exact (a group that read a stale copy fails its save and decides again),
so the month's total never passes the quota; and a group refuses an event only when every
shard is full, so the quota is used to the last event before anything is refused.

``UsageThreshold`` is the fact that a customer's month reached a share of its quota (80 %):
its id derives from (customer, month, percent), so it is recorded once, and its webhook
(``usage.threshold_reached``) fires once per month.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.ids import natural_id

SHARDS = 8
THRESHOLD_PERCENT = 80


def month_of(moment: datetime) -> str:
    """The UTC calendar month an instant falls in, ``YYYY-MM``."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def reset_at(moment: datetime) -> datetime:
    """The first instant of the next UTC month: when the quota counts from zero again."""
    utc = moment.astimezone(UTC)
    if utc.month == 12:
        return datetime(utc.year + 1, 1, 1, tzinfo=UTC)
    return datetime(utc.year, utc.month + 1, 1, tzinfo=UTC)


def shard_capacity(quota: int, shard: int) -> int:
    """Shard ``shard``'s part of a month's ``quota``: the parts add up to the quota exactly."""
    return quota // SHARDS + (1 if shard < quota % SHARDS else 0)


def threshold_count(quota: int) -> int:
    """How many accepted events reach ``THRESHOLD_PERCENT`` of ``quota`` (at least one)."""
    return max(1, -(-quota * THRESHOLD_PERCENT // 100))


class EventQuotaShard(Aggregate):
    """One shard of a customer's month: how many events it admitted."""

    class Opened(Aggregate.Created):
        customer_id: UUID
        month: str
        shard: int

    @event(Opened)
    def __init__(
        self, *, id: UUID, customer_id: UUID, month: str, shard: int, timestamp: datetime
    ) -> None:
        self.customer_id = customer_id
        self.month = month
        self.shard = shard
        self.used = 0

    class Counted(Aggregate.Event):
        count: int

    @event(Counted)
    def count(self, *, count: int, timestamp: datetime) -> None:
        """``count`` more events accepted in one transaction."""
        self.used += count

    @staticmethod
    def id_for(customer_id: UUID, month: str, shard: int) -> UUID:
        return natural_id("event_quota", customer_id.hex, month, str(shard))


class UsageThreshold(Aggregate):
    """A customer's month reached ``percent`` % of its event quota (recorded once)."""

    class Reached(Aggregate.Created):
        customer_id: UUID
        mode: str
        month: str
        percent: int
        used: int
        limit: int
        reset_at: datetime

    @event(Reached)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: str,
        month: str,
        percent: int,
        used: int,
        limit: int,
        reset_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.month = month
        self.percent = percent
        self.used = used
        self.limit = limit
        self.reset_at = reset_at

    @staticmethod
    def id_for(customer_id: UUID, month: str, percent: int) -> UUID:
        return natural_id("usage_threshold", customer_id.hex, month, str(percent))
