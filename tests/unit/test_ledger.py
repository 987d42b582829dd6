from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application

from domain.economy.ledger import Ledger, WalletBalances
from domain.shared.errors import DomainError

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
KEYS = {"primary": "gems", "progression": "xp"}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def open_ledger(**overrides: Any) -> Ledger:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "customer_id": uuid4(),
        "mode": "live",
        "buddy_id": uuid4(),
        "token_keys": dict(KEYS),
        "timestamp": T0,
    }
    fields.update(overrides)
    return Ledger(**fields)


def credit(ledger: Ledger, currency: str, amount: Any, minute: int = 1) -> int:
    return ledger.credit(
        currency=currency,
        amount=amount,
        reason="rule:lesson",
        entry_id=uuid4(),
        causation={"event_id": "evt_1", "rule_id": "lesson"},
        timestamp=at(minute),
    )


def debit(ledger: Ledger, currency: str, amount: Any, minute: int = 2) -> int:
    return ledger.debit(
        currency=currency,
        amount=amount,
        reason="purchase",
        entry_id=uuid4(),
        causation={"actor": "api"},
        timestamp=at(minute),
    )


def refusal(call: Any, *args: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args)
    return caught.value


def test_a_new_wallet_is_empty() -> None:
    ledger = open_ledger()
    assert ledger.wallet() == WalletBalances(
        coins=0, coins_earned=0, tokens={"gems": 0, "xp": 0}, tokens_earned={"gems": 0, "xp": 0}
    )
    assert ledger.currencies == ("coins", "gems", "xp")
    assert ledger.created_on == T0


def test_credits_and_debits_move_the_balance_and_keep_lifetime_totals() -> None:
    ledger = open_ledger()
    assert credit(ledger, "coins", 30) == 30
    assert debit(ledger, "coins", 12) == 18
    assert credit(ledger, "gems", 5) == 5
    assert credit(ledger, "xp", 7) == 7
    assert debit(ledger, "gems", 5) == 0
    assert ledger.wallet() == WalletBalances(
        coins=18, coins_earned=30, tokens={"gems": 0, "xp": 7}, tokens_earned={"gems": 5, "xp": 7}
    )
    assert ledger.spent["coins"] == 12
    assert ledger.entry_count == 5


def test_entries_are_past_tense_events_with_causation_and_balance_after() -> None:
    ledger = open_ledger()
    credit(ledger, "coins", 10)
    debit(ledger, "coins", 4)
    credit(ledger, "xp", 3)
    events = ledger.collect_events()
    opened, coins_credited, coins_debited, tokens_credited = events
    assert isinstance(opened, Ledger.Opened)
    assert isinstance(coins_credited, Ledger.CoinsCredited)
    assert isinstance(coins_debited, Ledger.CoinsDebited)
    assert isinstance(tokens_credited, Ledger.TokensCredited)
    assert coins_credited.amount == 10
    assert coins_credited.balance_after == 10
    assert coins_credited.causation == {"event_id": "evt_1", "rule_id": "lesson"}
    assert coins_debited.balance_after == 6
    assert tokens_credited.token_key == "xp"
    assert tokens_credited.timestamp == at(1)


def test_a_debit_past_the_balance_is_refused_with_balance_and_required() -> None:
    ledger = open_ledger()
    credit(ledger, "coins", 10)
    ledger.collect_events()
    error = refusal(debit, ledger, "coins", 11)
    assert error.code == "insufficient_balance"
    assert error.details == {"currency": "coins", "balance": 10, "required": 11}
    assert ledger.balance("coins") == 10
    assert ledger.collect_events() == []


def test_the_progression_token_can_never_be_spent() -> None:
    ledger = open_ledger()
    credit(ledger, "xp", 100)
    error = refusal(debit, ledger, "xp", 1)
    assert error.code == "progression_not_spendable"
    assert ledger.balance("xp") == 100


@pytest.mark.parametrize("amount", [0, -5, True, 1.5, "3", None])
def test_amounts_must_be_positive_integers(amount: Any) -> None:
    ledger = open_ledger()
    for call in (credit, debit):
        error = refusal(call, ledger, "coins", amount)
        assert error.code == "validation_failed"
        assert error.details == {"fields": [{"field": "amount", "reason": error.message}]}


def test_an_unknown_currency_is_refused() -> None:
    error = refusal(credit, open_ledger(), "diamonds", 1)
    assert error.code == "validation_failed"
    assert error.details is not None
    assert error.details["fields"][0]["field"] == "currency"


@pytest.mark.parametrize(
    "token_keys",
    [
        {"primary": "gems"},
        {"primary": "xp", "progression": "xp"},
        {"primary": "coins", "progression": "xp"},
        {"primary": "gems", "progression": "xp", "bonus": "b"},
    ],
)
def test_the_wallet_needs_two_distinct_token_slots(token_keys: dict[str, str]) -> None:
    error = refusal(lambda: open_ledger(token_keys=token_keys))
    assert error.code == "validation_failed"


def test_token_keys_follow_a_migration_and_old_balances_stay_on_record() -> None:
    ledger = open_ledger()
    credit(ledger, "gems", 5)
    ledger.change_token_keys(
        token_keys={"primary": "stars", "progression": "xp"},
        causation={"actor": "admin"},
        timestamp=at(3),
    )
    assert ledger.currencies == ("coins", "stars", "xp")
    assert ledger.balance("stars") == 0
    assert ledger.balances["gems"] == 5
    assert refusal(credit, ledger, "gems", 1).code == "validation_failed"
    version = ledger.version
    ledger.change_token_keys(
        token_keys={"primary": "stars", "progression": "xp"}, causation={}, timestamp=at(4)
    )
    assert ledger.version == version


def test_the_ledger_survives_storage_and_snapshots() -> None:
    app: Application = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", "IS_SNAPSHOTTING_ENABLED": "y"}
    )
    ledger = open_ledger()
    credit(ledger, "coins", 40)
    debit(ledger, "coins", 15)
    credit(ledger, "gems", 2)
    app.save(ledger)
    app.take_snapshot(ledger.id)
    loaded = app.repository.get(ledger.id)
    assert isinstance(loaded, Ledger)
    credit(loaded, "xp", 9, minute=5)
    app.save(loaded)
    again = app.repository.get(ledger.id)
    assert again.wallet() == WalletBalances(
        coins=25, coins_earned=40, tokens={"gems": 2, "xp": 9}, tokens_earned={"gems": 2, "xp": 9}
    )
    assert again.entry_count == 4
    assert isinstance(again.buddy_id, UUID)
