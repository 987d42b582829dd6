"""The customer events log: one row per ingested event, with its outcome and effects.

``data.effects`` names each buddy by its UUID in hex, like every view; rows written before
decision 0045 hold the public id there (the HTTP layer reads both).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

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
    handles: tuple[type[DomainEvent], ...] = (EventIngestion.Recorded,)

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
                        "effects": _hex_ids(event.effects),
                        "applied_to": [b.hex for b in event.applied_to],
                    },
                },
            )


def _hex_ids(value: Any) -> Any:
    """``value`` with every UUID inside it as its hex, as a view column holds ids. A decoded
    event holds plain dicts, lists and UUIDs, so the exact type is checked (cheaper than
    ``isinstance`` on every leaf of every event's effects)."""
    kind = type(value)
    if kind is dict:
        return {k: _hex_ids(v) for k, v in value.items()}
    if kind is list:
        return [_hex_ids(v) for v in value]
    if kind is UUID:
        return value.hex
    return value
