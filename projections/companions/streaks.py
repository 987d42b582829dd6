"""When each buddy's next streak burns: the question the streak sweep asks of the log.

One row per buddy that ever had a streak: ``next_due_at`` is the instant its earliest running
streak burns unless ticked or frozen (every streak fact records it), ``NULL`` once none runs
or the buddy is archived. The sweep reads the rows whose instant passed and re-decides each
on its aggregate (``application/companions/streak_sweep.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.companions.buddy import Buddy
from projections.shared.base import RowChange, Table, Upsert, iso

STREAK_DUES = Table(
    name="view_streak_dues",
    key=("buddy_id",),
    columns={"buddy_id": "text", "next_due_at": "text", "updated_at": "text"},
    indexes=(("next_due_at",),),
)

STREAK_FACTS = (
    Buddy.StreakTicked,
    Buddy.StreakFrozen,
    Buddy.StreakBurned,
    Buddy.StreakMilestoneReached,
)


class StreakDuesView:
    name = "streak_dues"
    tables: tuple[Table, ...] = (STREAK_DUES,)
    handles: tuple[type[DomainEvent], ...] = (*STREAK_FACTS, Buddy.Archived)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        key = {"buddy_id": event.originator_id.hex}
        if isinstance(event, STREAK_FACTS):
            due = event.next_due_at
            yield Upsert(
                STREAK_DUES.name,
                key,
                {"next_due_at": iso(due) if due else None, "updated_at": iso(event.timestamp)},
            )
        elif isinstance(event, Buddy.Archived):
            yield Upsert(
                STREAK_DUES.name, key, {"next_due_at": None, "updated_at": iso(event.timestamp)}
            )
