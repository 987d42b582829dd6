"""The ``/demo`` page's visitor slots: at most ``size`` visitors hold a demo buddy at once.

A new visitor takes an empty slot while there is one; when every slot is taken, the slots
are recycled in turn, so it takes the slot of the visitor admitted longest ago, whose buddy
the caller archives in the same save (decision 0019). Admitting and recording the buddy are separate steps because a buddy is
hatched in between; a slot records only the buddy of the visitor holding it.

Slots are plain lists (JSON-friendly, so snapshots serialise as they are). The size is the
caller's setting at admission time: when it shrinks, the slots past it are emptied by the
next admission, whose event lists every buddy it lets go.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError


class DemoPool(Aggregate):
    class Opened(Aggregate.Created):
        pass

    @event(Opened)
    def __init__(self, *, id: UUID, timestamp: datetime) -> None:
        self.holders: list[str] = []  # slot → the user id of the visitor holding it
        self.buddy_ids: list[UUID | None] = []  # slot → that visitor's buddy, once hatched
        self.next_slot = 0  # the slot to recycle next once all are taken: the oldest

    def slot_of(self, user_id: str) -> int | None:
        return self.holders.index(user_id) if user_id in self.holders else None

    def holds(self, user_id: str, size: int) -> bool:
        """Whether the visitor has a slot within ``size`` (one past it goes at the next
        admission, after the size setting shrank)."""
        slot = self.slot_of(user_id)
        return slot is not None and slot < size

    def buddy_of(self, user_id: str) -> UUID | None:
        slot = self.slot_of(user_id)
        return None if slot is None else self.buddy_ids[slot]

    def slot_for_next(self, size: int) -> int:
        if len(self.holders) < size:
            return len(self.holders)
        return self.next_slot if self.next_slot < size else 0

    def released_by_admitting(self, size: int) -> list[UUID]:
        """The buddies the next admission (at ``size``) takes away from their visitors."""
        slot = self.slot_for_next(size)
        released = self.buddy_ids[size:]
        if slot < len(self.buddy_ids):
            released.append(self.buddy_ids[slot])
        return [buddy_id for buddy_id in released if buddy_id is not None]

    def admit(self, *, user_id: str, size: int, timestamp: datetime) -> None:
        """Give ``user_id`` the next slot (a visitor already holding one keeps it)."""
        if size < 1:
            raise DomainError("bad_request", "the demo pool needs at least one slot")
        if self.holds(user_id, size):
            return
        self._admitted(
            user_id=user_id,
            slot=self.slot_for_next(size),
            size=size,
            released_buddy_ids=self.released_by_admitting(size),
            timestamp=timestamp,
        )

    def assign_buddy(self, *, user_id: str, buddy_id: UUID, timestamp: datetime) -> UUID:
        """Record the buddy hatched for the visitor, and answer the buddy the slot keeps: the
        first one recorded (another request of the same visitor may have hatched one too).
        ``conflict`` when the visitor lost the slot meanwhile (newer visitors went round
        the whole pool)."""
        slot = self.slot_of(user_id)
        if slot is None:
            raise DomainError("conflict", "the demo visitor's slot went to a newer visitor")
        kept = self.buddy_ids[slot]
        if kept is not None:
            return kept
        self._buddy_assigned(slot=slot, buddy_id=buddy_id, timestamp=timestamp)
        return buddy_id

    class VisitorAdmitted(Aggregate.Event):
        user_id: str
        slot: int
        size: int
        released_buddy_ids: list[UUID]

    @event(VisitorAdmitted)
    def _admitted(
        self,
        *,
        user_id: str,
        slot: int,
        size: int,
        released_buddy_ids: list[UUID],
        timestamp: datetime,
    ) -> None:
        del self.holders[size:]
        del self.buddy_ids[size:]
        if slot == len(self.holders):
            self.holders.append(user_id)
            self.buddy_ids.append(None)
        else:
            self.holders[slot] = user_id
            self.buddy_ids[slot] = None
            self.next_slot = (slot + 1) % size

    class BuddyAssigned(Aggregate.Event):
        slot: int
        buddy_id: UUID

    @event(BuddyAssigned)
    def _buddy_assigned(self, *, slot: int, buddy_id: UUID, timestamp: datetime) -> None:
        self.buddy_ids[slot] = buddy_id
