"""``/widget/marketplace``, ``/widget/purchase``, ``/widget/equip``: the shop in the widget.

The buddy is the token's (decision 0040). Browsing takes ``marketplace:browse`` or ``read``
(an embed token shows the shop), buying ``marketplace:purchase``, equipping ``items:equip``;
an embed token never buys or equips (``forbidden``). A purchase is the same use case as
``POST /buddies/{id}/purchase-item``; an equip the same operation as ``PATCH
/buddies/{id}/equipped-items``. ``track-view`` counts an impression for the funnel, once per
buddy, item and day.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.companions.buddies import Buddies
from application.companions.purchases import Purchases, ShelfItem
from application.widgets.widgets import Widgets
from domain.shared.ids import public_id
from domain.widgets.widget_session import BROWSE, EQUIP, PURCHASE
from interfaces.http.accepted import AcceptedOperation, accepted_operation
from interfaces.http.asset_links import item_image, public_origin
from interfaces.http.body import Model
from interfaces.http.companions.appearance import EQUIP_REFUSALS
from interfaces.http.companions.buddies import BUDDY_CHANGE_REFUSALS, PURCHASE_REFUSALS
from interfaces.http.companions.purchases import (
    ItemRequest,
    PurchaseResult,
    purchase_result,
)
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, get, post
from interfaces.http.widget_auth import WidgetCaller, WidgetRoutes

WIDGET_REFUSALS = ("resource_not_found", "forbidden")


class WidgetEquipRequest(Model):
    item_ids: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=32)
    ]


class Requirement(msgspec.Struct, kw_only=True):
    operator: str
    required: Any
    actual: Any
    reason: str


class ShelfItemView(msgspec.Struct, kw_only=True):
    """An item as the buddy sees it: ``locked`` while ``unmet`` is not empty, ``affordable``
    when the wallet holds every price, ``owned``/``quantity``/``equipped`` for what it has."""

    item_id: str
    marketplace_id: str | None
    name: str
    description: str
    category: str
    rarity: str
    layer_order: int
    price_coins: int | None
    price_tokens: int | None
    token_key: str
    image_url: str
    stock_remaining: int | None
    sold_out: bool
    owned: bool
    quantity: int
    equipped: bool
    equippable: bool
    locked: bool
    unmet: list[Requirement]
    affordable: bool


class WidgetMarketplace(msgspec.Struct, kw_only=True):
    buddy_id: str
    coins: int
    tokens: dict[str, int]
    equipped_items: list[str]
    items: list[ShelfItemView]


class TrackedView(msgspec.Struct, kw_only=True):
    item_id: str
    counted: bool


def shelf_item_view(entry: ShelfItem, origin: str, stage: int) -> ShelfItemView:
    item = entry.item
    return ShelfItemView(
        item_id=item.item_id,
        marketplace_id=item.marketplace_id,
        name=item.name,
        description=item.description,
        category=item.category,
        rarity=item.rarity,
        layer_order=item.layer_order,
        price_coins=item.price_coins,
        price_tokens=item.price_tokens,
        token_key=entry.token_key,
        image_url=item_image(origin, item, item.image_for_stage(stage)),
        stock_remaining=entry.stock_remaining,
        sold_out=entry.stock_remaining == 0,
        owned=entry.quantity > 0,
        quantity=entry.quantity,
        equipped=entry.equipped,
        equippable=item.is_visual,
        locked=bool(entry.unmet),
        unmet=[msgspec.convert(u.to_dict(), Requirement) for u in entry.unmet],
        affordable=entry.affordable,
    )


class WidgetMarketplaceController(WidgetRoutes):
    @get(
        "/marketplace",
        access=Access.WIDGET,
        feature="marketplace",
        errors=WIDGET_REFUSALS,
        summary="The shop as the token's buddy sees it: locked, affordable, owned, worn",
    )
    def marketplace(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
        purchases: NamedDependency[Purchases],
    ) -> WidgetMarketplace:
        state, shelf = purchases.shelf(widget.tenant, widgets.buddy(widget, BROWSE))
        origin, ledger = public_origin(request), state.ledger
        return WidgetMarketplace(
            buddy_id=public_id("buddy", state.buddy.id),
            coins=ledger.balance("coins"),
            tokens={key: ledger.balance(key) for key in ledger.token_keys.values()},
            equipped_items=list(state.buddy.equipped_item_ids),
            items=[shelf_item_view(e, origin, state.buddy.evolution_stage) for e in shelf],
        )

    @post(
        "/purchase",
        access=Access.WIDGET,
        feature="marketplace",
        body=ItemRequest,
        errors=(*WIDGET_REFUSALS, *PURCHASE_REFUSALS),
        status_code=200,
        summary="Buy an item for the token's buddy (scope marketplace:purchase)",
    )
    def purchase(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
        purchases: NamedDependency[Purchases],
        data: JSONBody[ItemRequest],
    ) -> PurchaseResult:
        acquisition = purchases.purchase(
            widget.tenant,
            widgets.buddy(widget, PURCHASE),
            data.item_id,
            f"widget:{widget.user_id}",
            correlation_of(request),
        )
        return purchase_result(acquisition)

    @post(
        "/equip",
        access=Access.WIDGET,
        body=WidgetEquipRequest,
        errors=(*WIDGET_REFUSALS, *EQUIP_REFUSALS, *BUDDY_CHANGE_REFUSALS),
        status_code=202,
        summary="Wear exactly these items (an operation; poll /widget/operations/{id})",
    )
    def equip(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
        buddies: NamedDependency[Buddies],
        data: JSONBody[WidgetEquipRequest],
    ) -> AcceptedOperation:
        buddy = widgets.buddy(widget, EQUIP)
        operation = buddies.request_equip(
            widget.tenant, buddy, data.item_ids, correlation_of(request)
        )
        return accepted_operation(operation)

    @post(
        "/marketplace/items/{item_id:str}/track-view",
        access=Access.WIDGET,
        feature="marketplace",
        errors=WIDGET_REFUSALS,
        status_code=200,
        summary="The buddy saw an item: one impression per buddy, item and day",
    )
    def track_view(
        self,
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
        purchases: NamedDependency[Purchases],
        item_id: FromPath[str],
    ) -> TrackedView:
        counted = purchases.track_view(widget.tenant, widgets.buddy(widget, BROWSE), item_id)
        return TrackedView(item_id=item_id, counted=counted)
