"""The customer events log: one row per ingested event, with its outcome and effects."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.ingestion.event_ingestion import EventIngestion
from projections.shared.base import RowChange, Table, Upsert, iso

EVENTS = Table(
    name="view_events",
    key=("ingestion_id",),
    columns={
        "ingestion_id": "text",
        "customer_id": "text",
        "mode": "text",
        "event_id": "text",
        "user_id": "text",
        "type": "text",
        "outcome": "text",
        "occurred_at": "text",
        "received_at": "text",
        "data": "text",
    },
    indexes=(
        ("customer_id", "mode", "received_at"),
        ("customer_id", "mode", "user_id"),
        ("customer_id", "mode", "type"),
        ("customer_id", "mode", "user_id", "received_at"),  # a user's recent events
    ),
)


class EventLogView:
    name = "event_log"
    tables: tuple[Table, ...] = (EVENTS,)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, EventIngestion.Recorded):
            yield Upsert(
                EVENTS.name,
                {"ingestion_id": event.originator_id.hex},
                {
                    "customer_id": event.customer_id.hex,
                    "mode": event.mode,
                    "event_id": event.event_id,
                    "user_id": event.user_id,
                    "type": event.type,
                    "outcome": event.outcome,
                    "occurred_at": iso(event.occurred_at),
                    "received_at": iso(event.timestamp),
                    "data": {
                        "properties": event.properties,
                        "effects": event.effects,
                        "applied_to": [b.hex for b in event.applied_to],
                    },
                },
            )
