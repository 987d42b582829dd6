"""The wallet against a model: a dict of balances and the list of entries it accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.economy.ledger import Credit, Ledger, LedgerEntry, TokenEntry
from domain.shared.errors import DomainError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEYS = {"primary": "gems", "progression": "xp"}
CURRENCIES = ("coins", "gems", "xp")

currencies = st.sampled_from(CURRENCIES)
amounts = st.integers(min_value=1, max_value=500)
bad_amounts = st.one_of(st.integers(max_value=0), st.just(True), st.floats(allow_nan=False))


class WalletMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.steps = 0
        self.ledger = Ledger(
            id=uuid4(),
            customer_id=uuid4(),
            mode="test",
            buddy_id=uuid4(),
            token_keys=dict(KEYS),
            timestamp=T0,
        )
        self.model: dict[str, int] = dict.fromkeys(CURRENCIES, 0)
        self.earned: dict[str, int] = dict.fromkeys(CURRENCIES, 0)
        self.events: list[Any] = list(self.ledger.collect_events())

    def _now(self) -> datetime:
        self.steps += 1
        return T0 + timedelta(seconds=self.steps)

    def _call(self, verb: str, currency: str, amount: Any) -> int | DomainError:
        method = self.ledger.credit if verb == "credit" else self.ledger.debit
        try:
            result = method(
                currency=currency,
                amount=amount,
                reason=verb,
                entry_id=uuid4(),
                causation={"step": self.steps},
                timestamp=self._now(),
            )
        except DomainError as error:
            return error
        finally:
            self.events.extend(self.ledger.collect_events())
        return result

    @rule(currency=currencies, amount=amounts)
    def credit(self, currency: str, amount: int) -> None:
        result = self._call("credit", currency, amount)
        self.model[currency] += amount
        self.earned[currency] += amount
        assert result == self.model[currency]

    @rule(currency=currencies, amount=amounts)
    def debit(self, currency: str, amount: int) -> None:
        result = self._call("debit", currency, amount)
        if currency == KEYS["progression"]:
            assert isinstance(result, DomainError)
            assert result.code == "progression_not_spendable"
        elif amount > self.model[currency]:
            assert isinstance(result, DomainError)
            assert result.code == "insufficient_balance"
            assert result.details is not None
            assert (result.details["balance"], result.details["required"]) == (
                self.model[currency],
                amount,
            )
        else:
            self.model[currency] -= amount
            assert result == self.model[currency]

    @rule(currency=st.sampled_from(("coins", "gems")))
    def debit_everything(self, currency: str) -> None:
        """Spending exactly the balance is allowed (when there is one)."""
        balance = self.model[currency]
        result = self._call("debit", currency, balance)
        if balance == 0:
            assert isinstance(result, DomainError) and result.code == "validation_failed"
        else:
            self.model[currency] = 0
            assert result == 0

    @rule(currency=st.sampled_from(("coins", "gems")), excess=st.integers(min_value=1, max_value=3))
    def overdraw(self, currency: str, excess: int) -> None:
        """One more than the balance is always refused, and changes nothing."""
        balance = self.model[currency]
        result = self._call("debit", currency, balance + excess)
        assert isinstance(result, DomainError) and result.code == "insufficient_balance"
        assert self.ledger.balance(currency) == balance

    @rule(verb=st.sampled_from(("credit", "debit")), currency=currencies, amount=bad_amounts)
    def bad_amount(self, verb: str, currency: str, amount: Any) -> None:
        result = self._call(verb, currency, amount)
        assert isinstance(result, DomainError) and result.code == "validation_failed"

    @invariant()
    def balances_match_the_model_and_are_never_negative(self) -> None:
        for currency in CURRENCIES:
            assert self.ledger.balance(currency) == self.model[currency] >= 0
            assert self.ledger.lifetime_earned(currency) == self.earned[currency]

    @invariant()
    def balances_are_the_sum_of_the_recorded_entries(self) -> None:
        sums = dict.fromkeys(CURRENCIES, 0)
        for recorded in self.events[1:]:
            assert isinstance(recorded, LedgerEntry)
            currency = recorded.token_key if isinstance(recorded, TokenEntry) else "coins"
            sign = 1 if isinstance(recorded, Credit) else -1
            sums[currency] += sign * recorded.amount
            assert recorded.balance_after >= 0
        assert sums == {c: self.ledger.balance(c) for c in CURRENCIES}
        assert self.ledger.entry_count == len(self.events) - 1

    @invariant()
    def replaying_the_entries_rebuilds_the_wallet(self) -> None:
        rebuilt: Any = None
        for recorded in self.events:
            rebuilt = recorded.mutate(rebuilt)
        assert rebuilt.balances == self.ledger.balances
        assert rebuilt.earned == self.ledger.earned


TestWallet = WalletMachine.TestCase
TestWallet.settings = settings(max_examples=75, stateful_step_count=40, deadline=None)
