"""The operations list: one row per operation, filterable by type and status."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.companions.operation import Operation
from projections.shared.base import RowChange, Table, Upsert, iso

OPERATIONS = Table(
    name="view_operations",
    key=("operation_id",),
    columns={
        "operation_id": "text",
        "customer_id": "text",
        "mode": "text",
        "type": "text",
        "status": "text",
        "buddy_id": "text",
        "egg_id": "text",
        "created_at": "text",
        "updated_at": "text",
    },
    indexes=(("customer_id", "mode", "created_at"), ("status", "updated_at")),
)

_STATUS_AFTER: dict[type[DomainEvent], str] = {
    Operation.Started: "processing",
    Operation.Completed: "completed",
    Operation.Failed: "failed",
    Operation.Cancelled: "cancelled",
}


class OperationsView:
    name = "operations"
    tables: tuple[Table, ...] = (OPERATIONS,)
    handles: tuple[type[DomainEvent], ...] = (Operation.Requested, *_STATUS_AFTER)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        key = {"operation_id": event.originator_id.hex}
        if isinstance(event, Operation.Requested):
            yield Upsert(
                OPERATIONS.name,
                key,
                {
                    "customer_id": event.customer_id.hex,
                    "mode": event.mode,
                    "type": event.type,
                    "status": "pending",
                    "buddy_id": event.buddy_id.hex if event.buddy_id else None,
                    "egg_id": event.egg_id.hex if event.egg_id else None,
                    "created_at": iso(event.timestamp),
                    "updated_at": iso(event.timestamp),
                },
            )
        elif type(event) in _STATUS_AFTER:
            status = _STATUS_AFTER[type(event)]
            yield Upsert(
                OPERATIONS.name, key, {"status": status, "updated_at": iso(event.timestamp)}
            )
