"""Loaded aggregates kept between loads, and caught up with what was recorded since.

A load of a kept buddy or wallet reads only the events recorded after the kept version (one
query, instead of a snapshot query and an events query) and applies them to the kept copy.
When more than ``catch_up_limit`` events came since (the pipeline wrote a busy buddy a
thousand times while nobody loaded it through here), the copy is dropped and the aggregate
is reconstructed from its snapshot instead, so a load never replays a long history.

Every load hands out a deep copy: a use case that changes its copy and then fails (a
refusal, a lost race) leaves the kept one as stored. Each entry has its own lock, so loads
of different aggregates never wait for each other.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from copy import deepcopy
from typing import Any
from uuid import UUID

EventsAfter = Callable[[int, int], Sequence[Any]]
"""``events_after(version, limit)``: up to ``limit`` of the stream's events after ``version``."""


class _Entry:
    __slots__ = ("aggregate", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.aggregate: Any = None


class KeptAggregates:
    def __init__(
        self, capacity: int, catch_up_limit: int, apply: Callable[[Any, Sequence[Any]], Any]
    ) -> None:
        self._capacity = capacity
        self._catch_up_limit = catch_up_limit
        self._apply = apply
        self._entries: OrderedDict[UUID, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def load(
        self, aggregate_id: UUID, events_after: EventsAfter, reconstruct: Callable[[], Any]
    ) -> Any:
        """A copy of the aggregate as stored now; ``None`` if there is none."""
        entry = self._entry(aggregate_id)
        with entry.lock:
            kept, entry.aggregate = entry.aggregate, None
            if kept is not None:
                newer = events_after(kept.version, self._catch_up_limit)
                too_far_behind = len(newer) >= self._catch_up_limit
                kept = None if too_far_behind else self._apply(kept, newer)
            if kept is None:
                kept = reconstruct()
            if kept is None:
                self._forget(aggregate_id)
                return None
            entry.aggregate = kept
            return deepcopy(kept)

    def _entry(self, aggregate_id: UUID) -> _Entry:
        with self._lock:
            entry = self._entries.get(aggregate_id)
            if entry is None:
                entry = self._entries[aggregate_id] = _Entry()
                while len(self._entries) > self._capacity:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(aggregate_id)
            return entry

    def _forget(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._entries.pop(aggregate_id, None)
