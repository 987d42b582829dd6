"""A buddy's unlock of one token gate, and the one way to pay for it.

Each unlock is a stream of its own whose id derives from the buddy and the gate key
(``GateUnlock.id_for``), so "each buddy unlocks a gate at most once" is the event store's
unique stream version: of two concurrent unlocks only one can create the stream, and the
loser, reloading, finds the unlock already there. ``unlock_gate`` debits the wallet and
creates the record; the caller saves both in one transaction, so there is never a debit
without its unlock, nor an unlock that was not paid for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.configs.rulebook import GateDef
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError
from domain.shared.ids import natural_id
from domain.shared.tenancy import Mode


class GateUnlock(Aggregate):
    """What the buddy paid to pass one gate, and when; it never changes after."""

    class Unlocked(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        buddy_id: UUID
        gate_key: str
        token_key: str
        cost: int
        ledger_entry_id: UUID
        causation: dict[str, Any]

    @event(Unlocked)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        buddy_id: UUID,
        gate_key: str,
        token_key: str,
        cost: int,
        ledger_entry_id: UUID,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.buddy_id = buddy_id
        self.gate_key = gate_key
        self.token_key = token_key
        self.cost = cost
        self.ledger_entry_id = ledger_entry_id

    @staticmethod
    def id_for(buddy_id: UUID, gate_key: str) -> UUID:
        return natural_id("gate_unlock", buddy_id.hex, gate_key)


def unlock_gate(
    ledger: Ledger, gate: GateDef, causation: dict[str, Any], timestamp: datetime
) -> GateUnlock:
    """Debit ``gate.cost`` of its token from ``ledger`` and record the unlock.

    The gate comes from the tenant's published rulebook and the wallet's slots from the
    buddy's pinned one. A gate token that is the wallet's progression token is
    ``progression_not_spendable`` (the ledger says so); one the wallet does not hold at all
    (the buddy is pinned to a version with other slots) is ``config_version_mismatch``.
    Too little balance is the ledger's ``insufficient_balance``.
    """
    if gate.token_key not in ledger.token_keys.values():
        raise DomainError(
            "config_version_mismatch",
            f"gate {gate.gate_key} costs {gate.token_key}, which this buddy's wallet does not "
            "hold: its config version has other token slots; migrate the buddy to the "
            "published version first",
            {
                "gate_key": gate.gate_key,
                "token_key": gate.token_key,
                "wallet_token_keys": dict(ledger.token_keys),
            },
        )
    unlock_id = GateUnlock.id_for(ledger.buddy_id, gate.gate_key)
    entry_id = natural_id("ledger_entry", unlock_id.hex)
    cause = {**causation, "gate_key": gate.gate_key}
    ledger.debit(
        currency=gate.token_key,
        amount=gate.cost,
        reason=f"gate:{gate.gate_key}",
        entry_id=entry_id,
        causation=cause,
        timestamp=timestamp,
    )
    return GateUnlock(
        id=unlock_id,
        customer_id=ledger.customer_id,
        mode=ledger.mode,
        buddy_id=ledger.buddy_id,
        gate_key=gate.gate_key,
        token_key=gate.token_key,
        cost=gate.cost,
        ledger_entry_id=entry_id,
        causation=cause,
        timestamp=timestamp,
    )
