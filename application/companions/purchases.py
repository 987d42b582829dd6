"""Buying and granting catalogue items, and counting who saw them (decision 0040).

A purchase reads the item from the tenant's *published* catalogue (decision 0034), checks the
buyer against its requirements, sells one unit of a limited item, debits its prices and
records the ownership: the buddy, its wallet, the ``ItemPurchase`` record and the item's
``ItemStock`` are saved in one transaction, or nothing is. An unlock is the customer's grant:
the same record without payment, requirements or stock.

Order of checks: the buddy (404, another tenant's too), archived (409), the item (404),
already owned (409 ``item_already_owned``; a booster is bought again), requirements (403
``requirements_not_met``), stock (409 ``out_of_stock``), the wallet (400
``insufficient_balance``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from application.companions.buddies import Buddies, BuddyState
from application.configs.configs import Configs
from application.economy.wallets import settle
from application.shared.ports import Clock, Secrets
from application.shared.store import WRITE_LINES, EventStore, retry_on_conflict
from domain.companions.egg import Egg
from domain.configs.rulebook import COINS, ItemDef, Rulebook
from domain.economy.catalogue import Shopper, Unmet, check_requirements, offer
from domain.economy.item_impression import ItemImpression
from domain.economy.item_purchase import ItemPurchase, Source, pay
from domain.economy.item_stock import ItemStock
from domain.shared.correlation import correlated
from domain.shared.errors import DomainError, NotFound
from domain.shared.tenancy import Tenant


@dataclass(frozen=True)
class Acquisition:
    """What a purchase or an unlock answers: the record, the buddy and wallet after it, and
    what is left of a limited item (``None`` for an unlimited one)."""

    record: ItemPurchase
    state: BuddyState
    item: ItemDef
    stock_remaining: int | None

    @property
    def buddy(self) -> Any:
        return self.state.buddy


@dataclass(frozen=True)
class ShelfItem:
    """An item on sale as one buddy sees it: owned, worn, locked (``unmet``), affordable."""

    item: ItemDef
    token_key: str
    quantity: int
    equipped: bool
    unmet: tuple[Unmet, ...]
    affordable: bool
    stock_remaining: int | None


class Purchases:
    def __init__(
        self, store: EventStore, clock: Clock, secrets: Secrets, configs: Configs, buddies: Buddies
    ) -> None:
        self._store = store
        self._clock = clock
        self._secrets = secrets
        self._configs = configs
        self._buddies = buddies

    def published(self, tenant: Tenant) -> Rulebook:
        """The tenant's published rulebook; with none published, no item is on sale."""
        version = self._configs.published_version(tenant)
        if version is None:
            raise DomainError(
                "no_published_config", "publish a config version before selling items", {}
            )
        return self._configs.rulebook(version.id)

    def purchase(
        self,
        tenant: Tenant,
        buddy_id: str,
        item_id: str,
        actor: str,
        correlation_id: str | None = None,
    ) -> Acquisition:
        """Buy ``item_id`` at its published prices (coins, the primary token, or both)."""
        self._buddies.load(tenant, buddy_id)  # 404 before anything is read of the item

        def attempt() -> Acquisition:
            state = self._active(tenant, buddy_id, "buy items")
            rulebook = self._on_sale(tenant, item_id)
            item = offer(rulebook, item_id).item
            self._not_owned(state, item)
            unmet = check_requirements(item.requirements, self._shopper(state)).unmet
            if unmet:
                raise DomainError(
                    "requirements_not_met",
                    f"the buddy does not meet the requirements of {item_id}: "
                    + "; ".join(u.reason for u in unmet),
                    {"item_id": item_id, "unmet": [u.to_dict() for u in unmet]},
                )
            now = self._clock.now()
            purchase_id = self._secrets.uuid()
            stock = None
            if item.stock is not None:
                stock_id = ItemStock.id_for(tenant, item_id)
                stock = self._store.find(ItemStock, stock_id) or ItemStock(
                    id=stock_id,
                    customer_id=tenant.customer_id,
                    mode=tenant.mode,
                    item_id=item_id,
                    timestamp=now,
                )
                stock.sell(limit=item.stock, purchase_id=purchase_id, timestamp=now)
            token_key = rulebook.token_config.primary.token_key
            prices = {COINS: item.price_coins or 0, token_key: item.price_tokens or 0}
            cause = {"actor": actor, **correlated(correlation_id), "item_id": item_id}
            entries = pay(
                state.ledger,
                {currency: amount for currency, amount in prices.items() if amount},
                reason=f"item:{item_id}",
                purchase_id=purchase_id,
                causation={**cause, "purchase_id": purchase_id},
                timestamp=now,
            )
            record = self._record(
                state, item, "purchase", purchase_id, prices, token_key, entries, cause, now
            )
            remaining = stock.remaining(item.stock) if stock and item.stock else None
            self._store.save(state.buddy, state.ledger, record, *([stock] if stock else []))
            return Acquisition(record, state, item, remaining)

        if self._limited(tenant, item_id):
            # Every buyer of a limited item writes its stock: in this process they take turns
            # on it (a nested line is not queued again, so the buddy's is not taken too).
            with WRITE_LINES.hold(ItemStock.id_for(tenant, item_id)):
                return retry_on_conflict(attempt, line=buddy_id)
        return retry_on_conflict(attempt, line=buddy_id)

    def unlock(
        self,
        tenant: Tenant,
        buddy_id: str,
        item_id: str,
        actor: str,
        correlation_id: str | None = None,
    ) -> Acquisition:
        """Grant ``item_id`` without payment: the customer's say, so no requirement is
        checked and no stock is used; any item of the published catalogue, listed or not."""
        self._buddies.load(tenant, buddy_id)

        def attempt() -> Acquisition:
            state = self._active(tenant, buddy_id, "receive items")
            rulebook = self.published(tenant)
            item = rulebook.item(item_id)
            if item is None:
                raise NotFound("item", item_id)
            self._not_owned(state, item)
            now = self._clock.now()
            cause = {"actor": actor, **correlated(correlation_id), "item_id": item_id}
            record = self._record(
                state,
                item,
                "unlock",
                self._secrets.uuid(),
                {},
                None,
                [],
                cause,
                now,
            )
            self._store.save(state.buddy, state.ledger, record)
            return Acquisition(record, state, item, None)

        return retry_on_conflict(attempt, line=buddy_id)

    def track_view(self, tenant: Tenant, buddy_id: str, item_id: str) -> bool:
        """The buddy saw ``item_id`` in the shop; ``True`` when it is its first view today
        (the only one counted). An item not on sale is 404."""
        buddy = self._buddies.load(tenant, buddy_id)
        offer(self._on_sale(tenant, item_id), item_id)
        now = self._clock.now()
        day = now.astimezone(UTC).date().isoformat()
        impression_id = ItemImpression.id_for(buddy.id, item_id, day)
        if self._store.find(ItemImpression, impression_id) is not None:
            return False
        impression = ItemImpression(
            id=impression_id,
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            buddy_id=buddy.id,
            item_id=item_id,
            day=day,
            timestamp=now,
        )
        try:
            retry_on_conflict(lambda: self._store.save(impression), retries=1)
        except DomainError:  # a concurrent report of the same view won: it is counted once
            return False
        return True

    def shelf(self, tenant: Tenant, buddy_id: str) -> tuple[BuddyState, list[ShelfItem]]:
        """Every item the open marketplaces sell, in shop order, as this buddy sees it."""
        state = self._buddies.state(tenant, buddy_id)
        version = self._configs.published_version(tenant)
        if version is None:
            return state, []
        rulebook = self._configs.rulebook(version.id)
        open_shops = [m.id for m in rulebook.marketplaces if m.active]
        token_key = rulebook.token_config.primary.token_key
        shopper = self._shopper(state)
        ledger, buddy = state.ledger, state.buddy
        shelf = []
        for shop in open_shops:
            listed = [i for i in rulebook.items if i.marketplace_id == shop]
            for item in sorted(listed, key=lambda i: (i.sort_order, i.item_id)):
                remaining = None
                if item.stock is not None:
                    remaining = item.stock - self.stock_sold(tenant, item.item_id)
                prices = {COINS: item.price_coins or 0, token_key: item.price_tokens or 0}
                affordable = all(ledger.balance(c) >= amount for c, amount in prices.items())
                shelf.append(
                    ShelfItem(
                        item=item,
                        token_key=token_key,
                        quantity=buddy.item_quantity(item.item_id),
                        equipped=item.item_id in buddy.equipped_item_ids,
                        unmet=check_requirements(item.requirements, shopper).unmet,
                        affordable=affordable,
                        stock_remaining=max(remaining, 0) if remaining is not None else None,
                    )
                )
        return state, shelf

    def stock_sold(self, tenant: Tenant, item_id: str) -> int:
        stock = self._store.find(ItemStock, ItemStock.id_for(tenant, item_id))
        return stock.sold if stock is not None else 0

    # -- helpers ---------------------------------------------------------------------

    def _on_sale(self, tenant: Tenant, item_id: str) -> Rulebook:
        try:
            return self.published(tenant)
        except DomainError:
            raise NotFound("item", item_id) from None

    def _limited(self, tenant: Tenant, item_id: str) -> bool:
        version = self._configs.published_version(tenant)
        if version is None:
            return False
        item = self._configs.rulebook(version.id).item(item_id)
        return item is not None and item.stock is not None

    def _active(self, tenant: Tenant, buddy_id: str, doing: str) -> BuddyState:
        state = self._buddies.state(tenant, buddy_id)
        if not state.buddy.is_active:
            raise DomainError(
                "invalid_state_transition",
                f"an archived buddy cannot {doing}",
                {"current_status": state.buddy.status, "requested_status": "active"},
            )
        return state

    @staticmethod
    def _not_owned(state: BuddyState, item: ItemDef) -> None:
        if item.item_id in state.buddy.owned_item_ids and not item.is_consumable:
            raise DomainError(
                "item_already_owned",
                f"the buddy already owns {item.item_id}; only boosters can be bought again",
                {"item_id": item.item_id},
            )

    def _shopper(self, state: BuddyState) -> Shopper:
        buddy, ledger = state.buddy, state.ledger
        egg = self._store.find(Egg, buddy.egg_id)
        return Shopper(
            stage=buddy.evolution_stage,
            badges=frozenset(buddy.badges),
            owned_items=frozenset(buddy.owned_item_ids),
            progression_tokens=ledger.lifetime_earned(ledger.token_keys["progression"]),
            audience=egg.audience if egg is not None else None,
        )

    def _record(
        self,
        state: BuddyState,
        item: ItemDef,
        source: Source,
        purchase_id: Any,
        prices: dict[str, int],
        token_key: str | None,
        entries: list[Any],
        cause: dict[str, Any],
        now: Any,
    ) -> ItemPurchase:
        """Own the item, settle what owning it earns, and make the record of how it came."""
        buddy = state.buddy
        causation = {**cause, "source": source, "purchase_id": purchase_id}
        if entries:
            causation["ledger_entry_id"] = entries[0]
        buddy.acquire_item(
            item_id=item.item_id,
            causation=causation,
            consumable=item.is_consumable,
            timestamp=now,
        )
        settle(buddy, state.ledger, state.rulebook, {"source": source, **cause}, now)
        return ItemPurchase(
            id=purchase_id,
            customer_id=buddy.customer_id,
            mode=buddy.mode,
            buddy_id=buddy.id,
            user_id=buddy.user_id,
            item_id=item.item_id,
            category=item.category,
            source=source,
            price_coins=prices.get(COINS, 0),
            price_tokens=prices.get(token_key, 0) if token_key else 0,
            token_key=token_key if prices.get(token_key or "", 0) else None,
            ledger_entry_ids=entries,
            causation=cause,
            timestamp=now,
        )
