"""Unlocking a token gate for a buddy: pay once, recorded once (decision 0035).

The gate is read from the tenant's *published* rulebook, whatever version the buddy is
pinned to: a gate the customer publishes is open to every buddy at once, as gates are the
customer's product features rather than rules of a buddy's progression. The wallet's token
slots still come from the buddy's own version (``domain/economy/gate_unlock.py`` refuses a
gate token the wallet does not hold).
"""

from __future__ import annotations

from dataclasses import dataclass

from application.configs.configs import Configs
from application.economy.wallets import ledger_id_for
from application.shared.ports import Clock
from application.shared.store import EventStore, retry_on_conflict
from domain.companions.buddy import Buddy
from domain.configs.rulebook import GateDef
from domain.economy.gate_unlock import GateUnlock, unlock_gate
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant


@dataclass(frozen=True)
class Unlocking:
    """What an unlock answers: the record (new or found), the gate, and whether it was new."""

    already_unlocked: bool
    unlock: GateUnlock
    gate: GateDef


class GateUnlocks:
    def __init__(self, store: EventStore, clock: Clock, configs: Configs) -> None:
        self._store = store
        self._clock = clock
        self._configs = configs

    def published_gate(self, tenant: Tenant, gate_key: str) -> GateDef:
        """The gate as the tenant's published rulebook defines it; ``resource_not_found``
        when there is none (a gate only in the draft is not open yet)."""
        version = self._configs.published_version(tenant)
        gate = self._configs.rulebook(version.id).gate(gate_key) if version else None
        if gate is None:
            raise NotFound("gate", gate_key)
        return gate

    def unlock(self, tenant: Tenant, buddy_id: str, gate_key: str, actor: str) -> Unlocking:
        """Debit the gate's cost and record the unlock in one save; a buddy that already
        unlocked the gate gets its record back and nothing is written.

        Checked in this order: the buddy (404), archived (409), the gate (404), an earlier
        unlock (200, ``already_unlocked``), then the wallet (400).
        """
        uuid = parse_public_id("buddy", buddy_id)

        def attempt() -> Unlocking:
            buddy = self._store.load_owned(Buddy, uuid, tenant, "buddy", buddy_id)
            if not buddy.is_active:
                raise DomainError(
                    "invalid_state_transition",
                    "an archived buddy cannot unlock gates",
                    {"current_status": buddy.status, "requested_status": "active"},
                )
            gate = self.published_gate(tenant, gate_key)
            found = self._store.find(GateUnlock, GateUnlock.id_for(buddy.id, gate_key))
            if found is not None:
                return Unlocking(True, found, gate)
            ledger = self._store.load(
                Ledger, ledger_id_for(buddy.id), "ledger", public_id("buddy", buddy.id)
            )
            record = unlock_gate(ledger, gate, {"actor": actor}, self._clock.now())
            self._store.save(ledger, record)
            return Unlocking(False, record, gate)

        return retry_on_conflict(attempt, line=buddy_id)
