"""The buddies view answering the application's ``BuddyDirectory`` questions."""

from __future__ import annotations

from uuid import UUID

from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
from projections.companions.buddies import BUDDIES


class ViewBuddyDirectory:
    def __init__(self, views: ViewStore) -> None:
        self._views = views

    def buddy_ids(self, tenant: Tenant, *, config_version_id: UUID | None = None) -> list[UUID]:
        rows = self._views.rows(
            BUDDIES.name,
            {
                "customer_id": tenant.customer_id.hex,
                "mode": tenant.mode,
                "status": "active",
                "config_version_id": config_version_id.hex if config_version_id else None,
            },
            order_by=[("created_at", False), ("buddy_id", False)],
        )
        return [UUID(hex=row["buddy_id"]) for row in rows]

    def counts_by_config_version(self, tenant: Tenant) -> dict[UUID, int]:
        rows = self._views.rows(
            BUDDIES.name, {"customer_id": tenant.customer_id.hex, "mode": tenant.mode}
        )
        counts: dict[UUID, int] = {}
        for row in rows:
            version = UUID(hex=row["config_version_id"])
            counts[version] = counts.get(version, 0) + 1
        return counts
