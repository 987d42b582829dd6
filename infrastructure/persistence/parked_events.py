"""Parked events: the dead letters of the log's followers (decision 0016).

When a follower meets an event it cannot handle for a reason of the event's own (its
projection raised, the database refused a value: ``infrastructure/persistence/failures.py``), it records
the event here and moves on, in the same transaction as its position, so one bad event
never stops a view (or a reactor) for every tenant. One row per follower and event: the
event's notification id, originator and topic, the error, and when it was parked.

A view's parked events are applied by replaying its log in order: ``hatched projections
rebuild`` or ``retry`` (a rebuild's shadow parks what it cannot apply in turn, and the
swap hands the shadow's parked events to the view). A reactor retries its own when it
starts. ``hatched projections status`` and ``verify``, ``/health/ready`` and the
``hatched_parked_events`` metric show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.utils import get_topic

from infrastructure.persistence.view_text import decode_value
from projections.shared.base import Delete, RowChange, Table, Upsert, iso

if TYPE_CHECKING:
    from infrastructure.persistence.view_store import Tx, ViewStore

MAX_ERROR_LENGTH = 2000

PARKED = Table(
    name="view_parked_events",
    key=("view", "notification_id"),
    columns={
        "view": "text",
        "notification_id": "int",
        "originator_id": "text",
        "originator_version": "int",
        "topic": "text",
        "error": "text",
        "parked_at": "text",
    },
)


@dataclass(frozen=True)
class Outcome:
    """What handling one event came to: the row changes to apply, or the error that parks it."""

    notification_id: int
    event: Any
    changes: list[RowChange] = field(default_factory=list)
    error: BaseException | None = None


@dataclass(frozen=True)
class ParkedEvent:
    view: str
    notification_id: int
    originator_id: str
    originator_version: int
    topic: str
    error: str
    parked_at: str

    def describe(self) -> str:
        return (
            f"#{self.notification_id} {self.topic} of {self.originator_id} "
            f"v{self.originator_version}, parked {self.parked_at}: {self.error}"
        )


def park(view: str, outcome: Outcome, error: BaseException) -> Upsert:
    """The row recording ``outcome``'s event as parked by ``view`` (replacing an earlier one)."""
    event = outcome.event
    text = f"{type(error).__name__}: {error}"
    originator: Any = getattr(event, "originator_id", None)
    return Upsert(
        PARKED.name,
        {"view": view, "notification_id": outcome.notification_id},
        {
            "originator_id": getattr(originator, "hex", str(originator)),
            "originator_version": int(getattr(event, "originator_version", 0) or 0),
            "topic": get_topic(type(event)),
            "error": text[:MAX_ERROR_LENGTH],
            "parked_at": iso(datetime.now(UTC)),
        },
    )


def unpark(view: str, notification_id: int) -> Delete:
    return Delete(PARKED.name, {"view": view, "notification_id": notification_id})


def forget(tx: Tx, view: str) -> None:
    """Drop every event ``view`` parked (its tables are being dropped or replaced)."""
    tx.execute(f"DELETE FROM {PARKED.name} WHERE view = {tx.p}", (view,))


def hand_over(tx: Tx, source: str, target: str) -> None:
    """``target``'s parked events become ``source``'s (a rebuilt shadow swapped in)."""
    forget(tx, target)
    tx.execute(f"UPDATE {PARKED.name} SET view = {tx.p} WHERE view = {tx.p}", (target, source))


def parked_by(tx: Tx, view: str) -> list[ParkedEvent]:
    """The events ``view`` parked, in log order, read in the caller's transaction."""
    columns = ", ".join(PARKED.columns)
    rows = tx.execute(
        f"SELECT {columns} FROM {PARKED.name} WHERE view = {tx.p} ORDER BY notification_id",
        (view,),
    ).fetchall()
    return [ParkedEvent(*map(decode_value, row)) for row in rows]


class ParkedEvents:
    """Reading the parked events."""

    def __init__(self, views: ViewStore) -> None:
        self._views = views

    def of(self, views: Sequence[str] = ()) -> list[ParkedEvent]:
        """The events parked by ``views`` (by every follower when none is named), in log
        order per follower."""
        where = f" WHERE view IN ({', '.join('{p}' for _ in views)})" if views else ""
        rows = self._views.select(
            f"SELECT * FROM {PARKED.name}{where} ORDER BY view, notification_id", list(views)
        )
        return [ParkedEvent(**row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many events each follower has parked (followers with none are left out, and
        so are the copies a rebuild or verify fills, named ``<view>__…``)."""
        rows = self._views.select(
            f"SELECT view, COUNT(*) AS parked FROM {PARKED.name} GROUP BY view ORDER BY view"
        )
        return {str(r["view"]): int(r["parked"]) for r in rows if "__" not in str(r["view"])}
