"""Followers of the notification log: projections and reactors, each with its own position.

A follower reads notifications after its tracked position, turns them into domain events
and hands them on; its position moves only after the work is done, so a crash repeats
work rather than losing it (reactors must therefore be idempotent). SQLite has no
subscriptions, so followers poll, and are woken early by this process's own writes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from infrastructure.view_store import ViewStore
from projections.base import Projection, RowChange

log = logging.getLogger("hatched.followers")

BATCH = 500
IDLE_POLL_SECONDS = 0.25


class EventSource(Protocol):
    """The slice of the event store a follower reads."""

    def notifications_after(self, position: int, limit: int) -> list[tuple[int, Any]]: ...


class Reactor(Protocol):
    """Does something outside the view tables for each event (enqueue a job, send a hook)."""

    name: str

    def react(self, event: Any) -> None: ...


class Follower:
    def __init__(
        self,
        name: str,
        source: EventSource,
        views: ViewStore,
        handle: Callable[[Any], Iterable[RowChange]],
    ) -> None:
        self.name = name
        self._source = source
        self._views = views
        self._handle = handle
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_projection(
        cls, projection: Projection, source: EventSource, views: ViewStore
    ) -> Follower:
        views.register(projection)
        return cls(projection.name, source, views, projection.handle)

    @classmethod
    def for_reactor(cls, reactor: Reactor, source: EventSource, views: ViewStore) -> Follower:
        def handle(event: Any) -> Iterable[RowChange]:
            reactor.react(event)
            return ()

        return cls(reactor.name, source, views, handle)

    def catch_up(self) -> int:
        """Process everything recorded so far; return how many events were handled."""
        handled = 0
        while True:
            position = self._views.position(self.name)
            batch = self._source.notifications_after(position, BATCH)
            if not batch:
                return handled
            changes: list[RowChange] = []
            for _, event in batch:
                changes.extend(self._handle(event))
            self._views.apply(self.name, changes, batch[-1][0])
            handled += len(batch)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"follower-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.catch_up()
            except Exception:
                log.exception("follower %s failed; retrying", self.name)
                self._stopping.wait(1.0)
            self._wake.wait(IDLE_POLL_SECONDS)
