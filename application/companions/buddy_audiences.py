"""The audience each buddy was hatched for: its egg's (decision 0041).

A buddy never changes audience, so a process reads each buddy's egg once and keeps the
answer (bounded: forgotten wholesale past ``LIMIT`` buddies, then read again as needed).
"""

from __future__ import annotations

from uuid import UUID

from application.shared.store import EventStore
from domain.companions.buddy import Buddy
from domain.companions.egg import Egg

LIMIT = 100_000


class BuddyAudiences:
    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._known: dict[UUID, str | None] = {}

    def of(self, buddy: Buddy) -> str | None:
        """The buddy's audience, ``None`` when its egg named none."""
        if buddy.id not in self._known:
            egg = self._store.find(Egg, buddy.egg_id)
            if len(self._known) > LIMIT:
                self._known.clear()
            self._known[buddy.id] = egg.audience if egg is not None else None
        return self._known[buddy.id]
