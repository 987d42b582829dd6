"""Paying for a gate in the domain, the webhook the payment becomes, and the unlocks view."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from application.integrations.webhook_payloads import Origin, webhook_event
from domain.configs.rulebook import GateDef
from domain.economy.gate_unlock import GateUnlock, unlock_gate
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError
from domain.shared.ids import natural_id
from domain.shared.tenancy import Tenant
from projections.economy.gate_unlocks import GATE_UNLOCKS, GateUnlocksView
from projections.shared.base import Upsert

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
GATE = GateDef(gate_key="advanced_mode", token_key="gems", cost=30, metadata={"tier": 2})


def wallet(gems: int = 0) -> Ledger:
    ledger = Ledger(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        buddy_id=uuid4(),
        token_keys={"primary": "gems", "progression": "xp"},
        timestamp=T0,
    )
    for currency in ("gems", "xp"):
        if gems:
            ledger.credit(
                currency=currency,
                amount=gems,
                reason="t",
                entry_id=uuid4(),
                causation={},
                timestamp=T0,
            )
    ledger.collect_events()
    return ledger


def test_an_unlock_debits_the_cost_under_an_id_derived_from_the_buddy_and_gate() -> None:
    ledger = wallet(100)
    record = unlock_gate(ledger, GATE, {"actor": "api"}, T0)
    assert record.id == GateUnlock.id_for(ledger.buddy_id, "advanced_mode")
    assert (record.buddy_id, record.token_key, record.cost) == (ledger.buddy_id, "gems", 30)
    assert (record.customer_id, record.mode) == (ledger.customer_id, ledger.mode)
    [debit] = ledger.collect_events()
    assert isinstance(debit, Ledger.TokensDebited)
    assert (debit.amount, debit.reason, debit.balance_after) == (30, "gate:advanced_mode", 70)
    assert debit.entry_id == record.ledger_entry_id == natural_id("ledger_entry", record.id.hex)
    assert debit.causation == {"actor": "api", "gate_key": "advanced_mode"}
    assert GateUnlock.id_for(ledger.buddy_id, "export_pdf") != record.id


@pytest.mark.parametrize(
    ("gate", "gems", "code"),
    [
        (GATE, 29, "insufficient_balance"),
        (GateDef(gate_key="g", token_key="xp", cost=1), 10, "progression_not_spendable"),
        (GateDef(gate_key="g", token_key="stars", cost=1), 10, "config_version_mismatch"),
    ],
)
def test_a_refused_unlock_leaves_the_wallet_as_it_was(gate: GateDef, gems: int, code: str) -> None:
    ledger = wallet(gems)
    with pytest.raises(DomainError) as refused:
        unlock_gate(ledger, gate, {}, T0)
    assert refused.value.code == code
    assert ledger.collect_events() == []
    assert ledger.balance("gems") == gems


def test_the_payment_is_a_token_spent_webhook_naming_the_gate() -> None:
    ledger = wallet(100)
    unlock_gate(ledger, GATE, {}, T0)
    [debit] = ledger.collect_events()
    origin = Origin(Tenant(ledger.customer_id, "live"), ledger.buddy_id, "user_1")
    found = webhook_event(debit, origin)
    assert found is not None
    name, payload = found
    assert name == "token.spent"
    assert (payload["token_type"], payload["amount"], payload["balance"]) == ("gems", 30, 70)
    assert payload["reason"] == "gate:advanced_mode"


def test_the_view_holds_one_row_per_buddy_and_gate() -> None:
    ledger = wallet(100)
    record = unlock_gate(ledger, GATE, {}, T0)
    [created] = record.collect_events()
    [row] = list(GateUnlocksView().handle(created))
    assert row == Upsert(
        GATE_UNLOCKS.name,
        {"buddy_id": ledger.buddy_id.hex, "gate_key": "advanced_mode"},
        {
            "customer_id": ledger.customer_id.hex,
            "mode": "live",
            "token_key": "gems",
            "cost": 30,
            "ledger_entry_id": record.ledger_entry_id.hex,
            "unlocked_at": "2026-04-08T10:30:00.000000Z",
        },
    )
    [debit] = ledger.collect_events()
    assert list(GateUnlocksView().handle(debit)) == []
