"""Buddies and ledgers the ingestion pipeline last used, kept to spare the next group a reload.

A busy buddy receives events many times a second; reloading it and its wallet (a snapshot
and the events after it, each) for every group would cost more than deciding the event.
After a group commits, the buddies and ledgers it changed are exactly as stored (their
save succeeded on their versions), so the next group starts from them. The ones it only read
are not kept: a save by another thread while the group held them could not drop them (the
group had taken them), and they would come back stale.

Correctness of writes does not rest on this cache: a stale aggregate that the next group
changes fails its save on the stream version, and the group is decided again from fresh
loads. A stale aggregate the group only *reads* (a wallet not credited because a cap is
reached) is the read skew every load-decide-save cycle has between its load and its save,
here bounded:

* an entry is dropped as soon as any other save in this process writes that aggregate
  (``EventStore.on_written``);
* an entry lives at most ``ttl`` (a write by another API process is seen within that time);
* ``take`` removes the entry, so two threads never share an aggregate object: a concurrent
  user of the same aggregate loads its own copy from the store.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from uuid import UUID

from application.ports import Clock


class WrittenAggregates:
    def __init__(self, clock: Clock, ttl: timedelta, max_entries: int = 20_000) -> None:
        self._clock = clock
        self._ttl = ttl.total_seconds()
        self._max_entries = max_entries
        self._entries: OrderedDict[UUID, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, aggregate_id: UUID) -> Any | None:
        now = self._clock.now().timestamp()
        with self._lock:
            entry = self._entries.pop(aggregate_id, None)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def holds(self, aggregate_id: UUID) -> bool:
        """Whether an unexpired entry is there now (it may be taken or expire right after)."""
        now = self._clock.now().timestamp()
        with self._lock:
            entry = self._entries.get(aggregate_id)
        return entry is not None and entry[1] > now

    def keep(self, aggregates: Iterable[Any]) -> None:
        expires = self._clock.now().timestamp() + self._ttl
        with self._lock:
            for aggregate in aggregates:
                self._entries[aggregate.id] = (aggregate, expires)
                self._entries.move_to_end(aggregate.id)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        with self._lock:
            for aggregate_id in aggregate_ids:
                self._entries.pop(aggregate_id, None)
