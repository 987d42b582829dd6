"""The monthly event quota, admitted by the ingestion group that decides the events.

An ingestion group (``ingestion.py``) decides its events one after the other; each new event
(not a duplicate, not refused for another reason) asks its group's ``QuotaTally`` for
admission before anything is applied. The tally reads the customer's month shards
(``domain/ingestion/event_quota.py``) as the group's attempt reads everything else (kept
copies checked within a second on a first attempt, fresh after a conflict), admits into a
shard with room, and at the end of the attempt counts each shard it admitted into once, in
the same transaction as the events. A refused event changes nothing: it is the
``event_quota_exceeded`` refusal of that request (or of that batch item).

Each attempt admits first into a shard of its own (``EventQuotas.turn``): one no other
attempt of this process is counting on meanwhile, drawn at random, so attempts of one process
never race each other on a shard's version (with group commit off every request is its own
attempt), and those of different processes rarely do. While every shard is taken, the next
attempt waits for one. With a fixed shard per process, concurrent attempts all counted on
one shard, lost the race on its version and some ran out of retries (decision 0058).

``EventQuotas`` also answers what the ``X-Event-Quota-*`` headers say, from a figure this
process keeps per customer and month: updated by every group it saves, read again from the
shards when older than a second (so another process's events show within about a second).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.shared.ports import Clock
from application.shared.store import EventStore
from domain.accounts.customer import Customer
from domain.ingestion.event_quota import (
    SHARDS,
    THRESHOLD_PERCENT,
    EventQuotaShard,
    UsageThreshold,
    month_of,
    reset_at,
    shard_capacity,
    threshold_count,
)
from domain.shared.errors import DomainError

ShardFinder = Callable[[type[EventQuotaShard], UUID], EventQuotaShard | None]
STATUS_MAX_AGE = 1.0
"""Seconds a kept figure for the headers is used before the shards are read again."""


@dataclass(frozen=True)
class QuotaStatus:
    limit: int
    used: int
    reset_at: datetime


def exceeded(used: int, limit: int, now: datetime) -> DomainError:
    resets = reset_at(now)
    return DomainError(
        "event_quota_exceeded",
        f"this month's event quota is used up ({used} of {limit}); it resets on "
        f"{resets.date().isoformat()} (UTC), or upgrade the plan for more",
        {"used": used, "limit": limit, "reset_at": resets.isoformat().replace("+00:00", "Z")},
    )


def month_shard_ids(customer_id: UUID, month: str) -> list[UUID]:
    return [EventQuotaShard.id_for(customer_id, month, index) for index in range(SHARDS)]


class QuotaTally:
    """One attempt's admissions: which shards it admitted into, and how many."""

    def __init__(
        self,
        quotas: EventQuotas,
        find: ShardFinder,
        now: datetime,
        order: list[int],
    ) -> None:
        self._quotas = quotas
        self._find = find
        self._now = now
        self._month = month_of(now)
        self._order = order
        self._shards: dict[UUID, list[EventQuotaShard | None]] = {}
        self._admitted: dict[tuple[UUID, int], int] = {}
        self._limits: dict[UUID, int] = {}
        self._reached: set[UUID] = set()
        self._totals: dict[UUID, int] = {}
        """Each customer's month with this attempt's admissions, taken before ``changed``
        counts them on the shards (after it, shard and admission would count them twice)."""

    def admit(self, customer: Customer) -> None:
        """Admit one more event of ``customer``'s, or raise ``event_quota_exceeded``."""
        customer_id = customer.id
        limit = customer.monthly_event_quota
        self._limits[customer_id] = limit
        shards = self._shards_of(customer_id)
        for index in self._order:
            if self._used(customer_id, shards, index) < shard_capacity(limit, index):
                key = (customer_id, index)
                self._admitted[key] = self._admitted.get(key, 0) + 1
                return
        raise exceeded(self.used(customer_id), limit, self._now)

    def used(self, customer_id: UUID) -> int:
        shards = self._shards_of(customer_id)
        return sum(self._used(customer_id, shards, index) for index in range(SHARDS))

    def changed(self) -> list[Aggregate]:
        """The shards counted (and a threshold reached), to save with the group's events."""
        admitting = {customer_id for customer_id, _ in self._admitted}
        self._totals = {customer_id: self.used(customer_id) for customer_id in admitting}
        changed: list[Aggregate] = []
        for (customer_id, index), count in self._admitted.items():
            shard = self._shards_of(customer_id)[index]
            if shard is None:
                shard = EventQuotaShard(
                    id=EventQuotaShard.id_for(customer_id, self._month, index),
                    customer_id=customer_id,
                    month=self._month,
                    shard=index,
                    timestamp=self._now,
                )
            shard.count(count=count, timestamp=self._now)
            changed.append(shard)
        for customer_id in admitting:
            reached = self._threshold(customer_id)
            if reached is not None:
                self._reached.add(customer_id)
                changed.append(reached)
        return changed

    def saved(self) -> None:
        """The attempt's save succeeded: its figures are the newest this process knows."""
        for customer_id, used in self._totals.items():
            self._quotas.note(customer_id, self._month, used)
        for customer_id in self._reached:
            self._quotas.remember_threshold(customer_id, self._month)

    def _threshold(self, customer_id: UUID) -> UsageThreshold | None:
        limit, used = self._limits[customer_id], self._totals[customer_id]
        if used < threshold_count(limit) or self._quotas.threshold_known(customer_id, self._month):
            return None
        threshold_id = UsageThreshold.id_for(customer_id, self._month, THRESHOLD_PERCENT)
        if self._quotas.threshold_recorded(threshold_id):
            self._quotas.remember_threshold(customer_id, self._month)
            return None
        return UsageThreshold(
            id=threshold_id,
            customer_id=customer_id,
            mode="live",  # a plan's usage is the account's: its live endpoints hear of it
            month=self._month,
            percent=THRESHOLD_PERCENT,
            used=used,
            limit=limit,
            reset_at=reset_at(self._now),
            timestamp=self._now,
        )

    def _shards_of(self, customer_id: UUID) -> list[EventQuotaShard | None]:
        if customer_id not in self._shards:
            self._shards[customer_id] = [
                self._find(EventQuotaShard, shard_id)
                for shard_id in month_shard_ids(customer_id, self._month)
            ]
        return self._shards[customer_id]

    def _used(self, customer_id: UUID, shards: list[EventQuotaShard | None], index: int) -> int:
        shard = shards[index]
        return (shard.used if shard else 0) + self._admitted.get((customer_id, index), 0)


class EventQuotas:
    def __init__(self, store: EventStore, clock: Clock, *, enabled: bool = True) -> None:
        self._store = store
        self._clock = clock
        self.enabled = enabled
        self._lock = threading.Lock()
        self._turn_ended = threading.Condition()
        self._shards_in_turn: set[int] = set()
        self._figures: dict[tuple[UUID, str], tuple[float, int]] = {}
        self._thresholds: set[tuple[UUID, str]] = set()

    def tally(self, find: ShardFinder, now: datetime, order: list[int]) -> QuotaTally:
        return QuotaTally(self, find, now, order)

    def shard_ids(self, customer_id: UUID, now: datetime) -> list[UUID]:
        """The ids of the shards a tally at ``now`` reads for ``customer_id``."""
        return month_shard_ids(customer_id, month_of(now))

    @contextmanager
    def turn(self) -> Iterator[list[int]]:
        """One attempt's order of the shards, starting at one that no other attempt of this
        process counts on until this one ends (a free one at random; when none is free, wait
        for one). A full first shard sends admissions on to the others, which may then race."""
        start = random.randrange(SHARDS)
        with self._turn_ended:
            while len(self._shards_in_turn) == SHARDS:
                self._turn_ended.wait()
            first = next(
                index
                for index in ((start + i) % SHARDS for i in range(SHARDS))
                if index not in self._shards_in_turn
            )
            self._shards_in_turn.add(first)
        try:
            yield [(first + i) % SHARDS for i in range(SHARDS)]
        finally:
            with self._turn_ended:
                self._shards_in_turn.discard(first)
                self._turn_ended.notify()

    def status(self, customer: Customer) -> QuotaStatus:
        """The customer's month so far: what the ``X-Event-Quota-*`` headers say."""
        now = self._clock.now()
        month = month_of(now)
        key = (customer.id, month)
        with self._lock:
            kept = self._figures.get(key)
        if kept is None or time.monotonic() - kept[0] > STATUS_MAX_AGE:
            used = sum(
                shard.used
                for i in range(SHARDS)
                if (shard := self._find_shard(customer.id, month, i)) is not None
            )
            self.note(customer.id, month, used, keep_higher=False)
        else:
            used = kept[1]
        return QuotaStatus(customer.monthly_event_quota, used, reset_at(now))

    def peek(self, customer: Customer) -> QuotaStatus | None:
        """The kept figure only (no I/O): for headers written after the handler ran."""
        now = self._clock.now()
        with self._lock:
            kept = self._figures.get((customer.id, month_of(now)))
        if kept is None:
            return None
        return QuotaStatus(customer.monthly_event_quota, kept[1], reset_at(now))

    def note(self, customer_id: UUID, month: str, used: int, *, keep_higher: bool = True) -> None:
        with self._lock:
            kept = self._figures.get((customer_id, month))
            if keep_higher and kept is not None and kept[1] > used:
                used = kept[1]  # a later group of this process saved first
            self._figures[(customer_id, month)] = (time.monotonic(), used)

    def threshold_known(self, customer_id: UUID, month: str) -> bool:
        with self._lock:
            return (customer_id, month) in self._thresholds

    def remember_threshold(self, customer_id: UUID, month: str) -> None:
        with self._lock:
            self._thresholds.add((customer_id, month))

    def threshold_recorded(self, threshold_id: UUID) -> bool:
        return self._store.find(UsageThreshold, threshold_id) is not None

    def _find_shard(self, customer_id: UUID, month: str, index: int) -> EventQuotaShard | None:
        return self._store.find(
            EventQuotaShard,
            EventQuotaShard.id_for(customer_id, month, index),
            max_age=timedelta(seconds=STATUS_MAX_AGE),
        )
