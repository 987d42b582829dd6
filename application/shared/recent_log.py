"""The newest stretch of the notification log, read once for every follower of a process.

A process runs a dozen followers (views and reactors) and all of them want the same new
events at the same moment: each reading them from the database would cost a query per
follower per wake-up. ``RecentLog`` keeps the events read last, from ``start`` (exclusive)
to ``end``, and answers a follower from memory when it can.

The window is *complete*: every position between its ends that the log will ever hold is
in it. That rests on the log handing out positions in commit order (the PostgreSQL recorder
locks the table while it inserts, SQLite has one writer), so a read that returned positions
up to P has seen every position up to P, gaps included.

A follower at or past ``end`` joins the next *shared read*: one thread reads from ``end``
for everyone who was waiting when it started (never for those who came later, so an answer
never predates the question). When that read reached the head of the log, a follower it
brought nothing new is told, truthfully, that nothing follows its position. A follower behind
the window reads the database on its own and leaves the window alone.

An answer can hold fewer events than the log has after the position (the window ends
before the head); followers read until an answer is empty, and an empty answer always
comes from a read of the database that started after they asked.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

Read = Callable[[int, int], list[tuple[int, Any]]]
"""``read(position, limit)``: up to ``limit`` (position, event) pairs after ``position``."""


class RecentLog:
    def __init__(self, read: Read, capacity: int, read_limit: int = 500) -> None:
        self._read = read
        self._capacity = capacity
        self._read_limit = read_limit
        self._changed = threading.Condition()
        self._start: int | None = None  # None until the first shared read
        self._positions: list[int] = []
        self._events: list[Any] = []
        self._reading = False
        self._reads_started = 0
        self._reads_finished = 0
        self._last_read_reached_head = False

    @property
    def end(self) -> int | None:
        if self._start is None:
            return None
        return self._positions[-1] if self._positions else self._start

    def notifications_after(self, position: int, limit: int) -> list[tuple[int, Any]]:
        with self._changed:
            held = self._held_after(position, limit)
            if held:
                return held
            behind = self._start is not None and position < self._start
        if behind:
            return self._read(position, limit)
        return self._shared_read_after(position, limit)

    def _shared_read_after(self, position: int, limit: int) -> list[tuple[int, Any]]:
        with self._changed:
            asked_before = self._reads_started
        while True:
            with self._changed:
                while self._reads_finished <= asked_before and self._reading:
                    self._changed.wait()
                if self._reads_finished > asked_before:  # a read begun after the question
                    behind = self._start is not None and position < self._start
                    if not behind:
                        held = self._held_after(position, limit)
                        if held:
                            return held
                        end = self.end
                        if self._last_read_reached_head and end is not None and position >= end:
                            return []
                        asked_before = self._reads_started
                        continue
                else:
                    behind = False
                    self._reading = True
                    self._reads_started += 1
                    end = self.end
                    start = position if end is None or position > end else end
            if behind:
                return self._read(position, limit)
            self._shared_read(start)

    def _shared_read(self, start: int) -> None:
        """Read from ``start`` for every follower waiting, and wake them."""
        read: list[tuple[int, Any]] | None = None
        try:
            read = self._read(start, self._read_limit)
        finally:  # a failed read wakes the waiters too: one of them reads again
            with self._changed:
                if read is not None:
                    self._record(start, read)
                self._reading = False
                self._reads_finished += 1
                self._last_read_reached_head = read is not None and len(read) < self._read_limit
                self._changed.notify_all()

    def _held_after(self, position: int, limit: int) -> list[tuple[int, Any]]:
        """The window's events after ``position``, if it covers the position; else none."""
        if self._start is None or position < self._start:
            return []
        first = bisect_right(self._positions, position)
        last = first + limit
        return list(zip(self._positions[first:last], self._events[first:last], strict=True))

    def _record(self, start: int, read: list[tuple[int, Any]]) -> None:
        """Keep what a read from ``start`` returned: the window now ends at its last event."""
        end = self.end
        if end is None or start > end:
            self._start, self._positions, self._events = start, [], []
            end = start
        for position, event in read:
            if position > end:
                self._positions.append(position)
                self._events.append(event)
        overflow = len(self._positions) - self._capacity
        if overflow > 0:
            self._start = self._positions[overflow - 1]
            del self._positions[:overflow]
            del self._events[:overflow]
