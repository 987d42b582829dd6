"""The audit trail's index: one row per ``AdminAction``, searched by actor, target, action,
outcome and time. The entries themselves (before, after) are read from their streams."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.admin.admin_action import AdminAction
from projections.shared.base import RowChange, Table, Upsert, iso

AUDIT = Table(
    name="view_admin_audit",
    key=("action_id",),
    columns={
        "action_id": "text",
        "actor_id": "text",
        "action": "text",
        "target_type": "text",
        "target_id": "text",
        "outcome": "text",
        "occurred_at": "text",
    },
    indexes=(
        ("occurred_at",),
        ("actor_id", "occurred_at"),
        ("target_id", "occurred_at"),
        ("action", "occurred_at"),
    ),
)


class AdminAuditView:
    name = "admin_audit"
    tables: tuple[Table, ...] = (AUDIT,)
    handles: tuple[type[DomainEvent], ...] = (AdminAction.Recorded,)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, AdminAction.Recorded):
            yield Upsert(
                AUDIT.name,
                {"action_id": event.originator_id.hex},
                {
                    "actor_id": event.actor_id.hex if event.actor_id else None,
                    "action": event.action,
                    "target_type": event.target_type,
                    "target_id": event.target_id,
                    "outcome": event.outcome,
                    "occurred_at": iso(event.timestamp),
                },
            )
