"""The gates each buddy has unlocked: one row per (buddy, gate), from ``GateUnlock`` streams.

Each unlock is a stream of its own (its id derives from the buddy and the gate), so listing
a buddy's unlocks needs an index over those streams; this view is it, rebuildable by replay
like every other.
"""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.economy.gate_unlock import GateUnlock
from projections.shared.base import RowChange, Table, Upsert, iso

GATE_UNLOCKS = Table(
    name="view_gate_unlocks",
    key=("buddy_id", "gate_key"),
    columns={
        "buddy_id": "text",
        "gate_key": "text",
        "customer_id": "text",
        "mode": "text",
        "token_key": "text",
        "cost": "int",
        "ledger_entry_id": "text",
        "unlocked_at": "text",
    },
    indexes=(("customer_id", "mode", "buddy_id", "unlocked_at"),),
)


class GateUnlocksView:
    name = "gate_unlocks"
    tables: tuple[Table, ...] = (GATE_UNLOCKS,)
    handles: tuple[type[DomainEvent], ...] = (GateUnlock.Unlocked,)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, GateUnlock.Unlocked):
            key = {"buddy_id": event.buddy_id.hex, "gate_key": event.gate_key}
            values = {
                "customer_id": event.customer_id.hex,
                "mode": event.mode,
                "token_key": event.token_key,
                "cost": event.cost,
                "ledger_entry_id": event.ledger_entry_id.hex,
                "unlocked_at": iso(event.timestamp),
            }
            yield Upsert(GATE_UNLOCKS.name, key, values)
