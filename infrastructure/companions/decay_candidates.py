"""The buddies view answering the skill decay sweep's question: whom to judge?"""

from __future__ import annotations

from uuid import UUID

from infrastructure.persistence.view_store import ViewStore
from projections.companions.buddies import BUDDIES


class ViewDecayCandidates:
    """The ``DecayCandidates`` port: candidates only; the sweep loads every buddy."""

    def __init__(self, views: ViewStore) -> None:
        self._views = views

    def versions_in_use(self) -> list[UUID]:
        rows = self._views.select(
            f"SELECT DISTINCT config_version_id FROM {BUDDIES.name} WHERE status = {{p}}",
            ["active"],
        )
        return sorted(UUID(hex=row["config_version_id"]) for row in rows)

    def buddies_on(self, config_version_id: UUID, after: UUID | None, limit: int) -> list[UUID]:
        rows = self._views.rows(
            BUDDIES.name,
            {
                "config_version_id": config_version_id.hex,
                "status": "active",
                "buddy_id": (">", after.hex) if after is not None else None,
            },
            order_by=[("buddy_id", False)],
            limit=limit,
        )
        return [UUID(hex=row["buddy_id"]) for row in rows]
