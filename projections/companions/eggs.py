"""The eggs list: one row per egg, filterable by user and status."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.companions.egg import Egg
from projections.shared.base import RowChange, Table, Upsert, iso

EGGS = Table(
    name="view_eggs",
    key=("egg_id",),
    columns={
        "egg_id": "text",
        "customer_id": "text",
        "mode": "text",
        "user_id": "text",
        "status": "text",
        "buddy_id": "text",
        "created_at": "text",
        "updated_at": "text",
        "data": "text",
    },
    indexes=(("customer_id", "mode", "created_at"), ("customer_id", "mode", "user_id")),
)

_STATUS_AFTER: dict[type[DomainEvent], str] = {
    Egg.MarkedReady: "ready",
    Egg.Cancelled: "cancelled",
    Egg.HatchStarted: "hatching",
    Egg.HatchFailed: "ready",
    Egg.Hatched: "hatched",
}


class EggsView:
    name = "eggs"
    tables: tuple[Table, ...] = (EGGS,)
    handles: tuple[type[DomainEvent], ...] = (Egg.Laid, *_STATUS_AFTER)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        key = {"egg_id": event.originator_id.hex}
        if isinstance(event, Egg.Laid):
            yield Upsert(
                EGGS.name,
                key,
                {
                    "customer_id": event.customer_id.hex,
                    "mode": event.mode,
                    "user_id": event.user_id,
                    "status": "waiting",
                    "buddy_id": None,
                    "created_at": iso(event.timestamp),
                    "updated_at": iso(event.timestamp),
                    "data": {
                        "config_version_id": event.config_version_id.hex,
                        "metadata": event.metadata,
                        "audience": event.audience,
                    },
                },
            )
        elif type(event) in _STATUS_AFTER:
            values = {"status": _STATUS_AFTER[type(event)], "updated_at": iso(event.timestamp)}
            if isinstance(event, Egg.Hatched):
                values["buddy_id"] = event.buddy_id.hex
            yield Upsert(EGGS.name, key, values)
