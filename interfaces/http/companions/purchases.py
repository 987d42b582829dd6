"""A buddy's shopping: buy an item, be granted one, list what it got (decision 0040).

``POST /buddies/{id}/purchase-item`` is the one purchase; the older ``POST /buddies/{id}/items``
is its alias (the same use case, answering the buddy as it always did). Purchases are listed
from the ``purchased_items`` view, oldest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.companions.buddies import Buddies
from application.companions.purchases import Acquisition, Purchases
from domain.shared.ids import public_id
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.companions.buddies import BUDDY_CHANGE_REFUSALS, PURCHASE_REFUSALS
from interfaces.http.pagination import Page, Paging, TenantListing
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, get, post
from projections.economy.purchased_items import PURCHASED_ITEMS, PurchasedItemsView

ItemId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]

UNLOCK_REFUSALS = (*BUDDY_CHANGE_REFUSALS, "item_already_owned", "no_published_config")


class ItemRequest(Model):
    item_id: ItemId


class PricePaid(msgspec.Struct, kw_only=True):
    """What the buddy paid: coins and the primary token (``token_key``; ``null`` when none)."""

    coins: int
    tokens: int
    token_key: str | None


class PurchasedItem(msgspec.Struct, kw_only=True):
    """One acquisition: ``source`` is ``purchase`` (paid) or ``unlock`` (granted, free)."""

    purchase_id: str
    buddy_id: str
    item_id: str
    category: str
    source: str
    price: PricePaid
    acquired_at: datetime


class PurchaseResult(PurchasedItem, kw_only=True):
    """A purchase or unlock as it landed, with the wallet and the items after it."""

    ledger_entry_ids: list[str]
    quantity: int
    stock_remaining: int | None
    coins: int
    tokens: dict[str, int]
    owned_items: list[str]


def purchase_result(acquisition: Acquisition) -> PurchaseResult:
    record, buddy, ledger = acquisition.record, acquisition.state.buddy, acquisition.state.ledger
    return PurchaseResult(
        purchase_id=public_id("purchase", record.id),
        buddy_id=public_id("buddy", record.buddy_id),
        item_id=record.item_id,
        category=record.category,
        source=record.source,
        price=PricePaid(
            coins=record.price_coins, tokens=record.price_tokens, token_key=record.token_key
        ),
        acquired_at=record.created_on,
        ledger_entry_ids=[public_id("ledger_entry", e) for e in record.ledger_entry_ids],
        quantity=buddy.item_quantity(record.item_id),
        stock_remaining=acquisition.stock_remaining,
        coins=ledger.balance("coins"),
        tokens={key: ledger.balance(key) for key in ledger.token_keys.values()},
        owned_items=list(buddy.owned_item_ids),
    )


def purchased_row_view(row: dict[str, Any]) -> PurchasedItem:
    return PurchasedItem(
        purchase_id=f"pur_{row['purchase_id']}",
        buddy_id=f"bdy_{row['buddy_id']}",
        item_id=row["item_id"],
        category=row["category"],
        source=row["source"],
        price=PricePaid(
            coins=row["price_coins"], tokens=row["price_tokens"], token_key=row["token_key"]
        ),
        acquired_at=datetime.fromisoformat(row["acquired_at"]),
    )


PURCHASE_LIST = TenantListing(
    PurchasedItemsView.name,
    PURCHASED_ITEMS.name,
    (("acquired_at", False), ("purchase_id", False)),
    purchased_row_view,
    owner="buddy_id",
)


class BuddyShopController(Controller):
    path = "/buddies"
    tags = ["buddies"]

    @post(
        "/{buddy_id:str}/purchase-item",
        access=Access.SECRET,
        feature="marketplace",
        body=ItemRequest,
        errors=PURCHASE_REFUSALS,
        status_code=200,
        summary="Buy an item of the published catalogue with the buddy's coins and/or tokens",
    )
    def purchase(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        purchases: NamedDependency[Purchases],
        buddy_id: FromPath[str],
        data: JSONBody[ItemRequest],
    ) -> PurchaseResult:
        acquisition = purchases.purchase(
            principal.tenant, buddy_id, data.item_id, principal.actor, correlation_of(request)
        )
        return purchase_result(acquisition)

    @post(
        "/{buddy_id:str}/unlock-item",
        access=Access.SECRET,
        feature="marketplace",
        body=ItemRequest,
        errors=UNLOCK_REFUSALS,
        status_code=200,
        summary="Grant an item without payment (no requirements, no stock)",
    )
    def unlock(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        purchases: NamedDependency[Purchases],
        buddy_id: FromPath[str],
        data: JSONBody[ItemRequest],
    ) -> PurchaseResult:
        acquisition = purchases.unlock(
            principal.tenant, buddy_id, data.item_id, principal.actor, correlation_of(request)
        )
        return purchase_result(acquisition)

    @get(
        "/{buddy_id:str}/purchased-items",
        access=Access.READABLE,
        feature="marketplace",
        errors=("bad_request",),
        summary="What the buddy bought or was granted, oldest first",
    )
    def purchased_items(
        self,
        paging: NamedDependency[Paging],
        buddies: NamedDependency[Buddies],
        buddy_id: FromPath[str],
    ) -> Page[PurchasedItem]:
        return PURCHASE_LIST.page_of(paging, buddies.load(paging.tenant, buddy_id).id)
