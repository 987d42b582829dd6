"""The task queues as the log's views see them: one reading for readiness and the queue page.

A queue's messages carry only ids (``infrastructure/shared/tasks.py``); what waits, runs and
failed is in the views the log feeds (``view_operations``, ``view_webhook_deliveries``), the
same whichever broker carries the messages, and the sweeper re-sends what a lost message
left waiting. So the counts here are of work, not of messages (decisions 0028, 0054).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from application.shared.ports import FailedWork, QueueDepth
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.tasks import OPERATIONS_QUEUE, WEBHOOKS_QUEUE
from infrastructure.shared.worker_heartbeats import WorkerHeartbeats
from projections.companions.operations import OPERATIONS
from projections.integrations.webhook_deliveries import DELIVERIES


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class ViewQueueMonitor:
    """The ``QueueMonitor`` port."""

    def __init__(self, views: ViewStore, heartbeats: WorkerHeartbeats) -> None:
        self._views = views
        self._heartbeats = heartbeats

    def workers(self) -> int:
        return self._heartbeats.alive()

    def operations(self) -> QueueDepth:
        """Operations by status; the oldest pending one by when it became pending."""
        counts = self._counts(OPERATIONS.name, ("pending", "processing", "failed"))
        oldest = self._views.rows(
            OPERATIONS.name,
            {"status": "pending"},
            order_by=[("updated_at", False)],
            limit=1,
        )
        return QueueDepth(
            queue=OPERATIONS_QUEUE,
            work="operations",
            pending=counts.get("pending", 0),
            processing=counts.get("processing", 0),
            failed=counts.get("failed", 0),
            oldest_pending_at=_moment(oldest[0]["updated_at"]) if oldest else None,
        )

    def webhooks(self) -> QueueDepth:
        """Deliveries not yet settled (an attempt due or waiting for its retry) and the ones
        that gave up; the oldest pending one by when its fact was logged."""
        counts = self._counts(DELIVERIES.name, ("pending", "failed"))
        oldest = self._views.rows(
            DELIVERIES.name,
            {"status": "pending"},
            order_by=[("created_at", False)],
            limit=1,
        )
        return QueueDepth(
            queue=WEBHOOKS_QUEUE,
            work="webhook deliveries",
            pending=counts.get("pending", 0),
            processing=None,
            failed=counts.get("failed", 0),
            oldest_pending_at=_moment(oldest[0]["created_at"]) if oldest else None,
        )

    def depths(self) -> list[QueueDepth]:
        return [self.operations(), self.webhooks()]

    def latest_failed(self, limit: int) -> list[FailedWork]:
        rows = self._views.rows(
            OPERATIONS.name,
            {"status": "failed"},
            order_by=[("updated_at", True), ("operation_id", True)],
            limit=limit,
        )
        return [
            FailedWork(
                operation_id=UUID(hex=row["operation_id"]),
                customer_id=UUID(hex=row["customer_id"]),
                type=row["type"],
                failed_at=_moment(row["updated_at"]),
            )
            for row in rows
        ]

    def _counts(self, table: str, statuses: tuple[str, ...]) -> dict[str, int]:
        """One indexed count per status (readiness calls this often: no table scan)."""
        return {status: self._views.count(table, {"status": status}) for status in statuses}
