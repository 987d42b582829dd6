"""One acquisition of a catalogue item by a buddy: what it cost and how it came.

A purchase (paid from the wallet) and an unlock (granted by the customer, free) are each a
stream of their own, saved in the same transaction as the buddy's ``ItemAcquired`` (the
ownership), the wallet's debits and, for a limited item, its ``ItemStock``. The record names
its tenant and buddy, so the views that list purchases, count them per item and day, and
the ``marketplace.purchased`` webhook read it alone (decision 0040).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError
from domain.shared.ids import natural_id
from domain.shared.tenancy import Mode

Source = Literal["purchase", "unlock"]
SOURCES: Final[tuple[Source, ...]] = ("purchase", "unlock")


class ItemPurchase(Aggregate):
    """What one buddy got, what it paid (nothing for an unlock) and the entries that paid."""

    class Recorded(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        buddy_id: UUID
        user_id: str
        item_id: str
        category: str
        source: str
        price_coins: int
        price_tokens: int
        token_key: str | None
        ledger_entry_ids: list[UUID]
        causation: dict[str, Any]

    @event(Recorded)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        buddy_id: UUID,
        user_id: str,
        item_id: str,
        category: str,
        source: str,
        price_coins: int,
        price_tokens: int,
        token_key: str | None,
        ledger_entry_ids: list[UUID],
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.buddy_id = buddy_id
        self.user_id = user_id
        self.item_id = item_id
        self.category = category
        self.source = source
        self.price_coins = price_coins
        self.price_tokens = price_tokens
        self.token_key = token_key
        self.ledger_entry_ids = list(ledger_entry_ids)


def pay(
    ledger: Ledger,
    prices: Mapping[str, int],
    *,
    reason: str,
    purchase_id: UUID,
    causation: dict[str, Any],
    timestamp: datetime,
) -> list[UUID]:
    """Debit every price (``{currency: amount}``) from ``ledger``, or nothing at all.

    Every currency is checked before the first debit, so a shortfall names each currency
    that is short (``details.shortfalls``, each ``{currency, balance, required}``; the first
    one is also ``currency``/``balance``/``required``, the shape every spend refuses with).
    A price in a token the wallet does not hold is ``config_version_mismatch``. Entry ids
    derive from the purchase, one per currency.
    """
    missing = [c for c in prices if c not in ledger.currencies]
    if missing:
        raise DomainError(
            "config_version_mismatch",
            f"the price is in {', '.join(missing)}, which this buddy's wallet does not hold: "
            "its config version has other token slots; migrate the buddy to the published "
            "version first",
            {"token_key": missing[0], "wallet_token_keys": dict(ledger.token_keys)},
        )
    shortfalls = [
        {"currency": c, "balance": ledger.balance(c), "required": amount}
        for c, amount in prices.items()
        if amount > ledger.balance(c)
    ]
    if shortfalls:
        first = shortfalls[0]
        described = "; ".join(
            f"{s['currency']}: {s['balance']} of {s['required']}" for s in shortfalls
        )
        raise DomainError(
            "insufficient_balance",
            f"the wallet cannot pay ({described})",
            {**first, "shortfalls": shortfalls},
        )
    entries = []
    for currency, amount in prices.items():
        entry_id = natural_id("ledger_entry", purchase_id.hex, currency)
        ledger.debit(
            currency=currency,
            amount=amount,
            reason=reason,
            entry_id=entry_id,
            causation=causation,
            timestamp=timestamp,
        )
        entries.append(entry_id)
    return entries
