"""The wallet of one buddy: coins and its two token slots, as an append-only ledger.

Every credit and debit is an event (the events *are* the ledger entries); the aggregate keeps
only what its invariants need: a balance, lifetime earned and spent per currency, and an
entry count, so its size does not grow with its history.

Invariants: a balance never goes negative; the progression token is earn-only; amounts are
positive integers. A currency is ``"coins"`` or one of the two token keys in ``token_keys``.

Duplicate entries are not detected here: the customer's ``event_id`` is deduplicated by
``EventIngestion`` and other writes by ``Idempotency-Key``. ``entry_id`` is the public id of
the entry (``led_…``) and lets a caller derive it deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Final, TypedDict, Unpack
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.configs.rulebook import COINS
from domain.shared.errors import DomainError
from domain.shared.tenancy import Mode

SLOTS: Final = ("primary", "progression")
MAX_ENTRY_AMOUNT: Final = 1_000_000_000


class EntryRequest(TypedDict):
    """What a credit or a debit names: the currency, the amount and why."""

    currency: str
    amount: int
    reason: str
    entry_id: UUID
    causation: dict[str, Any]
    timestamp: datetime


@dataclass(frozen=True, kw_only=True)
class WalletBalances:
    """What the rule engine reads from the wallet (see ``Buddy.progress_state``)."""

    coins: int = 0
    coins_earned: int = 0
    tokens: dict[str, int] = field(default_factory=dict)
    tokens_earned: dict[str, int] = field(default_factory=dict)


def _check_token_keys(token_keys: dict[str, str]) -> None:
    if (
        sorted(token_keys) != sorted(SLOTS)
        or not all(isinstance(v, str) and v for v in token_keys.values())
        or COINS in token_keys.values()
        or token_keys["primary"] == token_keys["progression"]
    ):
        raise DomainError(
            "validation_failed",
            "token_keys needs two distinct keys, primary and progression, neither 'coins'",
            {"fields": [{"field": "token_keys", "reason": "invalid token slots"}]},
        )


class _EntryRecorded(Aggregate.Event):
    """A ledger entry: ``amount`` of its currency moved in its class's direction. The four
    entry events differ only in those two, so they share one way to apply."""

    amount: int
    reason: str
    entry_id: UUID
    causation: dict[str, Any]
    balance_after: int

    credited: ClassVar[bool]

    @property
    def currency(self) -> str:
        return COINS

    def apply(self, aggregate: Any) -> None:
        aggregate._move(self.currency, self.amount, credited=self.credited)


class _TokenKeyed(Aggregate.Event):
    token_key: str


class _TokenEntryRecorded(_EntryRecorded, _TokenKeyed):
    """A token entry. Its bases in this order store ``token_key`` before the entry's fields,
    as token entries have been stored from the start."""

    @property
    def currency(self) -> str:
        return self.token_key


class Ledger(Aggregate):
    """One wallet per buddy (its id is usually derived from the buddy id)."""

    class Opened(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        buddy_id: UUID
        token_keys: dict[str, str]

    @event(Opened)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        buddy_id: UUID,
        token_keys: dict[str, str],
        timestamp: datetime,
    ) -> None:
        _check_token_keys(token_keys)
        self.customer_id = customer_id
        self.mode = mode
        self.buddy_id = buddy_id
        self.token_keys = {slot: token_keys[slot] for slot in SLOTS}
        currencies = [COINS, *self.token_keys.values()]
        self.balances: dict[str, int] = dict.fromkeys(currencies, 0)
        self.earned: dict[str, int] = dict.fromkeys(currencies, 0)
        self.spent: dict[str, int] = dict.fromkeys(currencies, 0)
        self.entry_count = 0

    # Queries -------------------------------------------------------------------------

    @property
    def currencies(self) -> tuple[str, ...]:
        return (COINS, self.token_keys["primary"], self.token_keys["progression"])

    def balance(self, currency: str) -> int:
        return self.balances.get(currency, 0)

    def lifetime_earned(self, currency: str) -> int:
        return self.earned.get(currency, 0)

    def wallet(self) -> WalletBalances:
        keys = self.token_keys.values()
        return WalletBalances(
            coins=self.balances[COINS],
            coins_earned=self.earned[COINS],
            tokens={k: self.balances.get(k, 0) for k in keys},
            tokens_earned={k: self.earned.get(k, 0) for k in keys},
        )

    # Commands ------------------------------------------------------------------------

    def credit(self, **entry: Unpack[EntryRequest]) -> int:
        """Add ``amount`` of ``currency``; returns the new balance."""
        self._check(entry["currency"], entry["amount"])
        return self._record(credited=True, **entry)

    def debit(self, **entry: Unpack[EntryRequest]) -> int:
        """Take ``amount`` of ``currency``; returns the new balance.

        Raises ``progression_not_spendable`` for the progression token and
        ``insufficient_balance`` (with ``balance`` and ``required``) when short.
        """
        currency, amount = entry["currency"], entry["amount"]
        self._check(currency, amount)
        if currency == self.token_keys["progression"]:
            raise DomainError(
                "progression_not_spendable",
                f"{currency} is the progression token: it can be earned, never spent",
                {"token_key": currency},
            )
        balance = self.balance(currency)
        if amount > balance:
            raise DomainError(
                "insufficient_balance",
                f"the {currency} balance is {balance}, {amount} is required",
                {"currency": currency, "balance": balance, "required": amount},
            )
        return self._record(credited=False, **entry)

    def _record(
        self,
        *,
        credited: bool,
        currency: str,
        amount: int,
        reason: str,
        entry_id: UUID,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> int:
        """One ledger entry as the event of its direction and currency (coins or a token);
        returns the balance after it."""
        after = self.balance(currency) + (amount if credited else -amount)
        fields: dict[str, Any] = {
            "amount": amount,
            "reason": reason,
            "entry_id": entry_id,
            "causation": causation,
            "balance_after": after,
            "timestamp": timestamp,
        }
        if currency == COINS:
            self.trigger_event(self.CoinsCredited if credited else self.CoinsDebited, **fields)
        else:
            self.trigger_event(
                self.TokensCredited if credited else self.TokensDebited,
                token_key=currency,
                **fields,
            )
        return after

    def change_token_keys(
        self, *, token_keys: dict[str, str], causation: dict[str, Any], timestamp: datetime
    ) -> None:
        """Follow a migration to a config with other token slots.

        Balances of a key that leaves a slot are kept (history) but no longer usable; a key
        new to the wallet starts at zero. Nothing happens when the keys are unchanged.
        """
        _check_token_keys(token_keys)
        if {s: token_keys[s] for s in SLOTS} == self.token_keys:
            return
        self._token_keys_changed(token_keys=token_keys, causation=causation, timestamp=timestamp)

    def _check(self, currency: str, amount: int) -> None:
        fields = []
        if currency not in self.currencies:
            fields.append(
                {
                    "field": "currency",
                    "reason": f"must be one of {', '.join(self.currencies)}",
                }
            )
        if (
            not isinstance(amount, int)
            or isinstance(amount, bool)
            or not 0 < amount <= MAX_ENTRY_AMOUNT
        ):
            fields.append(
                {"field": "amount", "reason": f"must be an integer from 1 to {MAX_ENTRY_AMOUNT}"}
            )
        if fields:
            raise DomainError("validation_failed", fields[0]["reason"], {"fields": fields})

    # Events --------------------------------------------------------------------------

    def _move(self, currency: str, amount: int, *, credited: bool) -> None:
        self.balances[currency] = self.balances.get(currency, 0) + (amount if credited else -amount)
        totals = self.earned if credited else self.spent
        totals[currency] = totals.get(currency, 0) + amount
        self.entry_count += 1

    class CoinsCredited(_EntryRecorded):
        credited = True

    class CoinsDebited(_EntryRecorded):
        credited = False

    class TokensCredited(_TokenEntryRecorded):
        credited = True

    class TokensDebited(_TokenEntryRecorded):
        credited = False

    class TokenKeysChanged(Aggregate.Event):
        token_keys: dict[str, str]
        causation: dict[str, Any]

    @event(TokenKeysChanged)
    def _token_keys_changed(
        self, *, token_keys: dict[str, str], causation: dict[str, Any], timestamp: datetime
    ) -> None:
        self.token_keys = {slot: token_keys[slot] for slot in SLOTS}
        for key in self.token_keys.values():
            self.balances.setdefault(key, 0)
            self.earned.setdefault(key, 0)
            self.spent.setdefault(key, 0)


# The wallet's entries, by what they do; each is a type for annotations and ``isinstance``.
Credit = Ledger.CoinsCredited | Ledger.TokensCredited
Debit = Ledger.CoinsDebited | Ledger.TokensDebited
TokenEntry = Ledger.TokensCredited | Ledger.TokensDebited
LedgerEntry = Credit | Debit
