"""A customer's end user, as far as Hatched needs one: the eggs and buddies it owns.

``UserAccount`` is the consistency boundary for the per-user rules: at most
``max_active_eggs_per_user`` active eggs (laying an egg and closing one both write to this
stream, so two concurrent ``POST /eggs`` cannot both take the last slot: optimistic
concurrency makes one of them reload and re-check), and the list of buddies the user owns.
Its id is derived from (tenant, the customer's ``user_id``), so there is one per user.

It knows *which* eggs are active and in which order they were laid, but not their
statuses: those live on each ``Egg``. Where a rule needs them, the caller loads the eggs
and passes what is needed (``EggSummary`` objects, a status mapping).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError
from domain.shared.ids import natural_id, public_id
from domain.shared.tenancy import Mode, Tenant

_REUSABLE = frozenset({"waiting", "ready"})


@dataclass(frozen=True, slots=True)
class EggSummary:
    """One active egg as ``active_egg_limit`` lists it (``Egg.summary()`` builds one)."""

    egg_id: UUID
    status: str
    created_at: datetime

    def as_detail(self) -> dict[str, Any]:
        """JSON-ready except ``created_at``, left a datetime for the HTTP encoder to format."""
        return {
            "egg_id": public_id("egg", self.egg_id),
            "status": self.status,
            "created_at": self.created_at,
        }


class UserAccount(Aggregate):
    @staticmethod
    def id_for(tenant: Tenant, user_id: str) -> UUID:
        return natural_id("user", tenant.key, user_id)

    class Opened(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        user_id: str

    @event(Opened)
    def __init__(
        self, *, id: UUID, customer_id: UUID, mode: Mode, user_id: str, timestamp: datetime
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.user_id = user_id
        self.active_egg_ids: list[UUID] = []
        self.buddy_ids: list[UUID] = []

    def has_room_for_egg(self, max_active: int) -> bool:
        """Whether ``egg_laid`` would succeed; lets a caller skip loading the active eggs."""
        return len(self.active_egg_ids) < max_active

    def latest_reusable_egg_id(self, statuses: Mapping[UUID, str]) -> UUID | None:
        """For ``POST /eggs?ensure=true``: the most recently laid ``waiting``/``ready`` egg.

        ``statuses`` maps active egg ids to their current status, as loaded by the caller.
        An active egg missing from it is skipped, so a caller can narrow the choice (to one
        audience, say) by leaving eggs out.
        """
        for egg_id in reversed(self.active_egg_ids):
            if statuses.get(egg_id) in _REUSABLE:
                return egg_id
        return None

    # Commands ------------------------------------------------------------------------

    def egg_laid(
        self,
        *,
        egg_id: UUID,
        max_active: int,
        active_summaries: Sequence[EggSummary],
        timestamp: datetime,
    ) -> None:
        """Take a slot for a new egg, or refuse with ``active_egg_limit``.

        ``active_summaries`` describes the currently active eggs (``Egg.summary()`` of each
        id in ``active_egg_ids``); it is used only for the error's ``details.active``, so a
        caller may pass ``()`` when ``has_room_for_egg`` is true. The details list the eggs
        in the order they were laid. Recording the same egg twice changes nothing.
        """
        if egg_id in self.active_egg_ids:
            return
        if not self.has_room_for_egg(max_active):
            by_id = {summary.egg_id: summary for summary in active_summaries}
            active = [by_id[i].as_detail() for i in self.active_egg_ids if i in by_id]
            count = len(self.active_egg_ids)
            raise DomainError(
                "active_egg_limit",
                f"User already has {count} active egg(s)",
                {"active": active, "max": max_active},
            )
        self._egg_laid(egg_id=egg_id, timestamp=timestamp)

    def egg_closed(self, *, egg_id: UUID, timestamp: datetime) -> None:
        """The egg hatched or was cancelled: its slot is free. Repeating it is a no-op."""
        if egg_id not in self.active_egg_ids:
            return
        self._egg_closed(egg_id=egg_id, timestamp=timestamp)

    def buddy_adopted(self, *, buddy_id: UUID, timestamp: datetime) -> None:
        """The user now owns ``buddy_id`` (hatched from one of its eggs). Idempotent."""
        if buddy_id in self.buddy_ids:
            return
        self._buddy_adopted(buddy_id=buddy_id, timestamp=timestamp)

    # Events --------------------------------------------------------------------------

    class EggLaid(Aggregate.Event):
        egg_id: UUID

    @event(EggLaid)
    def _egg_laid(self, *, egg_id: UUID, timestamp: datetime) -> None:
        self.active_egg_ids = [*self.active_egg_ids, egg_id]

    class EggClosed(Aggregate.Event):
        egg_id: UUID

    @event(EggClosed)
    def _egg_closed(self, *, egg_id: UUID, timestamp: datetime) -> None:
        self.active_egg_ids = [i for i in self.active_egg_ids if i != egg_id]

    class BuddyAdopted(Aggregate.Event):
        buddy_id: UUID

    @event(BuddyAdopted)
    def _buddy_adopted(self, *, buddy_id: UUID, timestamp: datetime) -> None:
        self.buddy_ids = [*self.buddy_ids, buddy_id]
