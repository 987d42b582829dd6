"""How each of a buddy's badges was awarded: by the rule engine or by a person, and when.

The ``Buddy`` keeps only when it got each badge (what the engine needs); ``GET
/buddies/{id}/badges`` also says how (decision 0042), which this view keeps from the
``BadgeAwarded`` facts, so a read need not replay the buddy's stream.
"""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.companions.buddy import Buddy
from projections.shared.base import RowChange, Table, Upsert, iso

BADGES = Table(
    name="view_buddy_badges",
    key=("buddy_id", "badge_key"),
    columns={"buddy_id": "text", "badge_key": "text", "source": "text", "awarded_at": "text"},
)


class BuddyBadgesView:
    name = "buddy_badges"
    tables: tuple[Table, ...] = (BADGES,)
    handles: tuple[type[DomainEvent], ...] = (Buddy.BadgeAwarded,)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, Buddy.BadgeAwarded):
            key = {"buddy_id": event.originator_id.hex, "badge_key": event.badge_key}
            values = {"source": event.source, "awarded_at": iso(event.timestamp)}
            yield Upsert(BADGES.name, key, values)
