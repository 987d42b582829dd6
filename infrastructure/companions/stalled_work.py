"""The views answering the sweeper's question: what should have moved by now?"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from infrastructure.persistence.view_store import ViewStore
from projections.companions.operations import OPERATIONS
from projections.integrations.webhook_deliveries import DELIVERIES
from projections.shared.base import iso


class ViewStalledWork:
    """The ``StalledWork`` port: candidates only; the sweeper re-checks each aggregate."""

    def __init__(self, views: ViewStore) -> None:
        self._views = views

    def stalled_operations(self, before: datetime, limit: int) -> list[UUID]:
        """Operations pending or processing that have not changed since ``before``."""
        found: list[UUID] = []
        for status in ("pending", "processing"):
            rows = self._views.rows(
                OPERATIONS.name,
                {"status": status, "updated_at": ("<", iso(before))},
                order_by=[("updated_at", False)],
                limit=limit,
            )
            found.extend(UUID(hex=row["operation_id"]) for row in rows)
        return found

    def overdue_deliveries(self, before: datetime, limit: int) -> list[UUID]:
        """Pending deliveries whose next attempt was due before ``before``."""
        rows = self._views.rows(
            DELIVERIES.name,
            {"status": "pending", "next_attempt_at": ("<", iso(before))},
            order_by=[("next_attempt_at", False)],
            limit=limit,
        )
        return [UUID(hex=row["delivery_id"]) for row in rows]
