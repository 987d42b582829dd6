"""A small thread-safe cache whose entries expire after a fixed time.

For lookups that are hot and almost never change (API key → principal); aggregates are kept
by the event store instead (``application/shared/kept_aggregates.py``). Time comes from
the ``Clock`` port, so expiry is testable without sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from datetime import timedelta
from typing import Generic, TypeVar

from application.shared.ports import Clock

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(self, clock: Clock, ttl: timedelta, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[Hashable, tuple[V, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        now = self._clock.now().timestamp()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[1] <= now:
                del self._entries[key]
                return None
            return entry[0]

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value``; past ``max_entries`` the entries put longest ago make room."""
        expires = self._clock.now().timestamp() + self._ttl.total_seconds()
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (value, expires)
            while len(self._entries) > self._max_entries:
                del self._entries[next(iter(self._entries))]

    def discard(self, *keys: Hashable) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)
