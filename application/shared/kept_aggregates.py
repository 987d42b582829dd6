"""The aggregates this process loaded or saved, kept between loads: the one cache of them.

A kept buddy or wallet is *checked* when it is caught up with the store (the events recorded
after its version are read and applied: one query, instead of a snapshot query and an events
query) and when this process saves it (a save that succeeded on the stream's version leaves it
exactly as stored). The one freshness rule: a load answers as stored now, unless its caller
accepts a copy checked less than ``max_age`` seconds ago, which then costs no query at all.
The ingestion pipeline accepts one second on its first attempt at a group: a stale copy it
changes fails its save on the stream version, and the group is decided again from loads
that accept nothing old.

A caller may ask for an aggregate's *absence* to be kept too (``keep_absence``): a load
accepting ``max_age`` then answers ``None`` without a query while that finding is younger.
The store asks it only for types whose absence decides nothing but a creation that its save
would refuse on a race (a month's quota shard: decision 0057).

Many copies can be checked together (``refresh_many``): one read brings the new events of
all of them (and all the events of those not kept yet), so reading a batch's hundred users
ahead costs two queries, not three hundred.

When more than ``catch_up_limit`` events came since a kept version (a busy buddy written a
thousand times by another process), the copy is dropped and the aggregate is reconstructed
from its snapshot instead, so a load never replays a long history.

Every load hands out a deep copy and every save keeps one: a use case that changes its copy
and then fails (a refusal, a lost race) leaves the kept one as stored. A caller that only
reads (``copy=False``: the customer and the user's account on every event) is handed the kept
object itself, which is why a kept object is never changed once kept: catching one up applies
the new events to a copy, and a save keeps a copy of what was saved. Each entry has its own
lock, so loads of different aggregates never wait for each other.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import deepcopy
from typing import Any
from uuid import UUID

EventsAfter = Callable[[int, int], Sequence[Any]]
"""``events_after(version, limit)``: up to ``limit`` of the stream's events after ``version``."""
StreamsAfter = Callable[[Mapping[UUID, int], int], Mapping[UUID, Sequence[Any]]]
"""``streams_after(versions, limit)``: up to ``limit`` events of each stream after its version
in ``versions``, by stream, read together (streams with none may be missing)."""


class _Entry:
    __slots__ = ("aggregate", "checked_at", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.aggregate: Any = None
        self.checked_at = float("-inf")


class KeptAggregates:
    def __init__(
        self,
        capacity: int,
        catch_up_limit: int,
        apply: Callable[[Any, Sequence[Any]], Any],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._catch_up_limit = catch_up_limit
        self._apply = apply
        self._now = now
        self._entries: OrderedDict[UUID, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def load(
        self,
        aggregate_id: UUID,
        events_after: EventsAfter,
        reconstruct: Callable[[], Any],
        *,
        max_age: float = 0.0,
        checked_since: float | None = None,
        keep_absence: bool = False,
        copy: bool = True,
    ) -> Any:
        """A copy of the aggregate as stored now, or as checked less than ``max_age`` seconds
        ago, or as checked at or after the instant ``checked_since`` (of this store's clock:
        a caller that refreshed it since then); ``None`` if there is none. With
        ``keep_absence``, an aggregate found not to exist is kept as absent under the same
        rule. Without ``copy``, the kept object itself, for a caller that promises only to
        read it."""
        hand_out = deepcopy if copy else _as_kept
        fresh = _Freshness(max_age, checked_since)
        return self._checked(aggregate_id, events_after, reconstruct, fresh, hand_out, keep_absence)

    def refresh_many(
        self,
        aggregate_ids: Iterable[UUID],
        streams_after: StreamsAfter,
        *,
        max_age: float = 0.0,
        keep_absence: Callable[[UUID], bool] = lambda _: False,
    ) -> None:
        """Check the kept copies of many aggregates now (those not checked within
        ``max_age``), so that a later load accepting that age costs no query, with one read:
        the kept copies are caught up from what it returns, and one not kept is built from
        its events (read from the start); ``keep_absence`` says of which ids a finding of
        none is kept. Nothing is copied but a copy caught up.

        No entry is held during the read: a copy that another thread caught up, saved,
        built or dropped meanwhile (its version is no longer the one read after) is left as
        that thread left it. What the read found is taken as checked at the instant before
        it. A stream with ``catch_up_limit`` or more new events is left for its next load,
        which builds it from its snapshot.
        """
        now = self._now()
        fresh = _Freshness(max_age, None)
        behind: dict[UUID, int] = {}
        for aggregate_id in dict.fromkeys(aggregate_ids):
            entry = self._entry(aggregate_id)
            with entry.lock:
                kept = entry.aggregate
                known = kept is not None or keep_absence(aggregate_id)
                if not (known and fresh.accepts(entry.checked_at, now)):
                    behind[aggregate_id] = kept.version if kept is not None else 0
        newer = streams_after(behind, self._catch_up_limit) if behind else {}
        for aggregate_id, version in behind.items():
            entry = self._entry(aggregate_id)
            with entry.lock:
                kept = entry.aggregate
                if (kept.version if kept is not None else 0) != version:
                    continue
                events = newer.get(aggregate_id, ())
                if len(events) >= self._catch_up_limit:
                    entry.aggregate, entry.checked_at = None, float("-inf")
                    continue
                if events:  # a reader may hold the kept object: it is not changed
                    entry.aggregate = self._apply(deepcopy(kept) if kept else None, events)
                elif kept is None and not keep_absence(aggregate_id):
                    self._forget(aggregate_id)
                    continue
                entry.checked_at = max(entry.checked_at, now)

    def saved(self, aggregates: Iterable[Any]) -> None:
        """Keep copies of aggregates whose save just succeeded: they are as stored."""
        for aggregate in aggregates:
            entry = self._entry(aggregate.id)
            with entry.lock:
                held = entry.aggregate
                if held is None or aggregate.version >= held.version:
                    entry.aggregate = deepcopy(aggregate)
                    entry.checked_at = self._now()

    def _checked(
        self,
        aggregate_id: UUID,
        events_after: EventsAfter,
        reconstruct: Callable[[], Any],
        fresh: _Freshness,
        hand_out: Callable[[Any], Any],
        keep_absence: bool,
    ) -> Any:
        """What ``hand_out`` makes of the checked copy, while no other thread can touch it."""
        entry = self._entry(aggregate_id)
        with entry.lock:
            now = self._now()
            kept, entry.aggregate = entry.aggregate, None
            if kept is None and keep_absence and fresh.accepts(entry.checked_at, now):
                return None  # found absent recently enough for this caller
            if kept is not None and not fresh.accepts(entry.checked_at, now):
                newer = events_after(kept.version, self._catch_up_limit)
                too_far_behind = len(newer) >= self._catch_up_limit
                if too_far_behind:
                    kept = None
                elif newer:  # a reader may hold the kept object: it is not changed
                    kept = self._apply(deepcopy(kept), newer)
                entry.checked_at = now
            if kept is None:
                kept = reconstruct()
                entry.checked_at = now
            if kept is None:
                if not keep_absence:
                    self._forget(aggregate_id)
                return None
            entry.aggregate = kept
            return hand_out(kept)

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


class _Freshness:
    """How recently a kept copy must have been checked for a caller to take it as it is."""

    __slots__ = ("checked_since", "max_age")

    def __init__(self, max_age: float, checked_since: float | None) -> None:
        self.max_age = max_age
        self.checked_since = checked_since

    def accepts(self, checked_at: float, now: float) -> bool:
        if self.checked_since is not None and checked_at >= self.checked_since:
            return True
        return now - checked_at < self.max_age


def _as_kept(aggregate: Any) -> Any:
    return aggregate
