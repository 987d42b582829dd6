"""The streak view answering the streak sweep: which buddies have a streak due by now?"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from infrastructure.persistence.view_store import ViewStore
from projections.companions.streaks import STREAK_DUES
from projections.shared.base import iso


class ViewStreakDues:
    """The ``StreakDues`` port: candidates only; the sweep re-decides each on its buddy."""

    def __init__(self, views: ViewStore) -> None:
        self._views = views

    def due_before(
        self, moment: datetime, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[str, UUID]]:
        rows = self._views.rows(
            STREAK_DUES.name,
            {"next_due_at": ("<=", iso(moment))},
            order_by=[("next_due_at", False), ("buddy_id", False)],
            after=after,
            limit=limit,
        )
        return [(row["next_due_at"], UUID(hex=row["buddy_id"])) for row in rows]
