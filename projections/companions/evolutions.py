"""Each buddy's stage history: when it reached every stage, and through which operation."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.companions.buddy import Buddy
from domain.configs.rulebook import MIN_STAGE
from projections.shared.base import RowChange, Table, Upsert, iso

EVOLUTIONS = Table(
    name="view_buddy_evolutions",
    key=("buddy_id", "stage"),
    columns={"buddy_id": "text", "stage": "int", "reached_at": "text", "operation_id": "text"},
)


class BuddyEvolutionsView:
    name = "buddy_evolutions"
    tables: tuple[Table, ...] = (EVOLUTIONS,)
    handles: tuple[type[DomainEvent], ...] = (Buddy.Hatched, Buddy.Evolved)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        buddy_id = event.originator_id.hex
        if isinstance(event, Buddy.Hatched):
            key = {"buddy_id": buddy_id, "stage": MIN_STAGE}
            yield Upsert(EVOLUTIONS.name, key, {"reached_at": iso(event.timestamp)})
        elif isinstance(event, Buddy.Evolved):
            key = {"buddy_id": buddy_id, "stage": event.to_stage}
            values = {"reached_at": iso(event.timestamp), "operation_id": event.operation_id.hex}
            yield Upsert(EVOLUTIONS.name, key, values)
