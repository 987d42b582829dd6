"""The buddies list: one row per buddy, filterable by user, status and config version."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.companions.buddy import Buddy
from projections.shared.base import RowChange, Table, Upsert, iso

BUDDIES = Table(
    name="view_buddies",
    key=("buddy_id",),
    columns={
        "buddy_id": "text",
        "customer_id": "text",
        "mode": "text",
        "user_id": "text",
        "name": "text",
        "status": "text",
        "config_version_id": "text",
        "evolution_stage": "int",
        "created_at": "text",
        "updated_at": "text",
    },
    indexes=(
        ("customer_id", "mode", "created_at"),
        ("customer_id", "mode", "user_id"),
        ("customer_id", "mode", "config_version_id"),
        ("config_version_id", "status", "buddy_id"),  # the skill decay sweep's candidates
    ),
)


class BuddiesView:
    name = "buddies"
    tables: tuple[Table, ...] = (BUDDIES,)
    handles: tuple[type[DomainEvent], ...] = (
        Buddy.Hatched,
        Buddy.Evolved,
        Buddy.Migrated,
        Buddy.Renamed,
        Buddy.Archived,
    )

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        key = {"buddy_id": event.originator_id.hex}
        updated = {"updated_at": iso(event.timestamp)}
        if isinstance(event, Buddy.Hatched):
            yield Upsert(
                BUDDIES.name,
                key,
                {
                    "customer_id": event.customer_id.hex,
                    "mode": event.mode,
                    "user_id": event.user_id,
                    "name": event.name,
                    "status": "active",
                    "config_version_id": event.config_version_id.hex,
                    "evolution_stage": 1,
                    "created_at": iso(event.timestamp),
                    **updated,
                },
            )
        elif isinstance(event, Buddy.Evolved):
            yield Upsert(BUDDIES.name, key, {"evolution_stage": event.to_stage, **updated})
        elif isinstance(event, Buddy.Migrated):
            target = event.to_config_version_id.hex
            yield Upsert(BUDDIES.name, key, {"config_version_id": target, **updated})
        elif isinstance(event, Buddy.Renamed):
            yield Upsert(BUDDIES.name, key, {"name": event.name, **updated})
        elif isinstance(event, Buddy.Archived):
            yield Upsert(BUDDIES.name, key, {"status": "archived", **updated})
