"""The operations view answering the application's ``OperationIndex`` question."""

from __future__ import annotations

from uuid import UUID

from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
from projections.companions.operations import OPERATIONS


class ViewOperationIndex:
    def __init__(self, views: ViewStore) -> None:
        self._views = views

    def operation_ids(self, tenant: Tenant, buddy_id: UUID) -> list[UUID]:
        """The buddy's operations, oldest first (hatch operations carry no buddy id yet)."""
        rows = self._views.rows(
            OPERATIONS.name,
            {"customer_id": tenant.customer_id.hex, "mode": tenant.mode, "buddy_id": buddy_id.hex},
            order_by=[("created_at", False), ("operation_id", False)],
        )
        return [UUID(hex=row["operation_id"]) for row in rows]
