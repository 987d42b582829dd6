"""``/marketplaces``: the item catalogue, a part of the rulebook (decision 0034).

Writes (secret key or dashboard) land in the draft and answer with the draft's
``config_version_id`` and ``source: "draft"``; they reach buddies when the draft is
published. Reads with a secret key show the draft when there is one, else the published
version, like every rule editor. A publishable key (a shop front in a browser) may read too,
but only what is live: the published catalogue, open marketplaces only.

* ``GET|POST /marketplaces``, ``GET|PUT /marketplaces/{id}``;
* ``GET|POST /marketplaces/{id}/items``, ``GET|PUT|DELETE /marketplaces/{id}/items/{item_id}``;
* ``POST /marketplaces/{id}/items/import {items: [...]}`` — all rows or none, every bad row
  reported as ``items[i].field``;
* ``POST /marketplaces/{id}/items/reorder {item_ids}`` — a permutation of the shop's items;
* ``POST /marketplaces/{id}/items/{item_id}/upload-image[?stage=N]`` — the file itself as
  the body (``image/svg+xml`` or ``image/png``), through the stage-art upload checks;
* ``POST /marketplaces/{id}/items/{item_id}/regenerate-image {seed?}`` — ``202`` and an
  operation that draws our procedural icon.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import UNSET, UnsetType

from application.accounts.principal import Principal
from application.companions.item_art import ItemArt
from application.configs.configs import Document
from application.configs.marketplaces import Marketplaces
from application.configs.rule_editors import Current, Edited
from domain.configs.rulebook import LAYER_ORDER, ItemDef, MarketplaceDef, RuleId
from interfaces.http.accepted import AcceptedOperation, accepted_operation
from interfaces.http.asset_links import art_url, item_image, public_origin, stored_reference
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.configs.section_routes import RulebookList, Source, plain, where, written
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, delete, get, post, put
from interfaces.http.uploads import media_type, read_limited

WRITE_REFUSALS = ("conflict",)
"""A write to the draft that kept losing races (``conflict`` also names a taken id)."""
UPLOAD_REFUSALS = ("unsupported_media_type", "payload_too_large", "invalid_image", "unsafe_svg")


# Requests ----------------------------------------------------------------------------------


class MarketplaceBody(MarketplaceDef, frozen=True, kw_only=True):
    """A marketplace; without an ``id`` one is derived from its name."""

    id: RuleId | None = None  # type: ignore[assignment]


class ItemBody(ItemDef, frozen=True, kw_only=True):
    """An item (``ItemDef``); ``PUT`` replaces it, except its art and shop position when left
    out. Its marketplace is the one in the path (a ``marketplace_id`` here must be that one).
    ``requirements``: ``min_stage`` and ``min_progression_tokens`` take a number,
    ``has_badge`` a badge key, ``owns_item`` an item id, ``audience_in`` a list of audiences."""

    item_id: RuleId | None = None  # type: ignore[assignment]
    image_url: str | UnsetType | None = UNSET  # type: ignore[assignment]
    stage_image_urls: dict[str, str] | UnsetType = UNSET  # type: ignore[assignment]
    sort_order: int | UnsetType = UNSET  # type: ignore[assignment]
    marketplace_id: RuleId | UnsetType = UNSET  # type: ignore[assignment]


class ImportBody(Model):
    """Rows take ``ItemBody``'s fields; each is checked by the catalogue's rules, so every
    bad row is reported (``items[3].price_coins``), not only the first."""

    items: list[dict[str, Any]]


class ReorderBody(Model):
    item_ids: list[str]


class RegenerateImageBody(Model):
    seed: int | None = None


# Responses ---------------------------------------------------------------------------------


class Marketplace(MarketplaceDef, frozen=True, kw_only=True):
    """A marketplace (``MarketplaceDef``)."""


class MarketplaceView(Marketplace, frozen=True, kw_only=True):
    config_version_id: str | None
    source: Source | None


class Item(ItemDef, frozen=True, kw_only=True):
    """An item (``ItemDef``) in its marketplace; ``image_url`` and ``stage_image_urls`` are
    absolute URLs (ours for uploaded and generated art). An item without art of its own
    shows our procedural icon, drawn from its category, rarity, id and name (decision 0046):
    ``image_url`` is never null."""

    marketplace_id: str
    layer_order: int
    image_url: str


class ItemView(Item, frozen=True, kw_only=True):
    config_version_id: str | None
    source: Source | None


class ItemList(msgspec.Struct, kw_only=True):
    data: list[Item]
    marketplace_id: str
    config_version_id: str | None
    source: Source | None


def _item(stored: Document, origin: str) -> dict[str, Any]:
    stages = stored["stage_image_urls"]
    return {
        **stored,
        "layer_order": LAYER_ORDER[stored["category"]],
        "image_url": item_image(origin, stored, stored["image_url"]),
        "stage_image_urls": {stage: art_url(origin, ref) or "" for stage, ref in stages.items()},
    }


def _item_view(stored: Document, origin: str, placed: dict[str, Any]) -> ItemView:
    return msgspec.convert({**_item(stored, origin), **placed}, ItemView)


def _item_list(
    marketplace_id: str, items: list[Document], origin: str, current: Current
) -> ItemList:
    return ItemList(
        data=[msgspec.convert(_item(i, origin), Item) for i in items],
        marketplace_id=marketplace_id,
        **where(current),
    )


def _written_list(marketplace_id: str, edited: Edited, origin: str) -> ItemList:
    return ItemList(
        data=[msgspec.convert(_item(i, origin), Item) for i in edited.part],
        marketplace_id=marketplace_id,
        **written(edited),
    )


def _live_only(principal: Principal) -> bool:
    """A publishable key sees only what is live (decision 0034)."""
    return principal.kind == "publishable_key"


def _body(data: msgspec.Struct, request: Request[Any, Any, Any]) -> Document:
    """A request body as a document fragment; links to our own assets become references
    again (our procedural icon: no art), so a ``GET`` sent back as a ``PUT`` keeps the art as
    it was."""
    fragment = plain(data)
    origin = public_origin(request)
    if isinstance(fragment.get("image_url"), str):
        fragment["image_url"] = stored_reference(origin, fragment["image_url"])
    stages = fragment.get("stage_image_urls")
    if isinstance(stages, dict):
        fragment["stage_image_urls"] = {
            k: link for k, v in stages.items() if (link := stored_reference(origin, v))
        }
    return fragment


# Routes ------------------------------------------------------------------------------------

ITEM = "/{marketplace_id:str}/items/{item_id:str}"


class MarketplaceController(Controller):
    path = "/marketplaces"
    tags = ["marketplaces"]

    # -- marketplaces -----------------------------------------------------------------

    @get(access=Access.READABLE, feature="marketplace", summary="List marketplaces")
    def list_marketplaces(
        self, principal: Caller, marketplaces: NamedDependency[Marketplaces]
    ) -> RulebookList[Marketplace]:
        shops, current = marketplaces.marketplaces(
            principal.tenant, published_only=_live_only(principal)
        )
        return RulebookList([msgspec.convert(s, Marketplace) for s in shops], **where(current))

    @post(
        access=Access.SECRET,
        feature="marketplace",
        body=MarketplaceBody,
        errors=WRITE_REFUSALS,
        status_code=201,
        summary="Create a marketplace in the draft",
    )
    def create_marketplace(
        self,
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        data: JSONBody[MarketplaceBody],
    ) -> MarketplaceView:
        edited = marketplaces.create_marketplace(principal.tenant, plain(data))
        return msgspec.convert({**edited.part, **written(edited)}, MarketplaceView)

    @get(
        "/{marketplace_id:str}",
        access=Access.READABLE,
        feature="marketplace",
        summary="Get a marketplace",
    )
    def get_marketplace(
        self,
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
    ) -> MarketplaceView:
        found, current = marketplaces.marketplace(
            principal.tenant, marketplace_id, published_only=_live_only(principal)
        )
        return msgspec.convert({**found, **where(current)}, MarketplaceView)

    @put(
        "/{marketplace_id:str}",
        access=Access.SECRET,
        feature="marketplace",
        body=MarketplaceBody,
        errors=WRITE_REFUSALS,
        summary="Replace a marketplace in the draft (name, description, active)",
    )
    def replace_marketplace(
        self,
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
        data: JSONBody[MarketplaceBody],
    ) -> MarketplaceView:
        edited = marketplaces.replace_marketplace(principal.tenant, marketplace_id, plain(data))
        return msgspec.convert({**edited.part, **written(edited)}, MarketplaceView)

    # -- items --------------------------------------------------------------------------

    @get(
        "/{marketplace_id:str}/items",
        access=Access.READABLE,
        feature="marketplace",
        summary="List a marketplace's items",
    )
    def list_items(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
    ) -> ItemList:
        items, current = marketplaces.items(
            principal.tenant, marketplace_id, published_only=_live_only(principal)
        )
        return _item_list(marketplace_id, items, public_origin(request), current)

    @post(
        "/{marketplace_id:str}/items",
        access=Access.SECRET,
        feature="marketplace",
        body=ItemBody,
        errors=WRITE_REFUSALS,
        status_code=201,
        summary="Create an item in the draft",
    )
    def create_item(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
        data: JSONBody[ItemBody],
    ) -> ItemView:
        edited = marketplaces.create_item(principal.tenant, marketplace_id, _body(data, request))
        return _item_view(edited.part, public_origin(request), written(edited))

    @post(
        "/{marketplace_id:str}/items/import",
        access=Access.SECRET,
        feature="marketplace",
        body=ImportBody,
        errors=WRITE_REFUSALS,
        status_code=201,
        summary="Import items into the draft: all rows or none",
    )
    def import_items(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
        data: JSONBody[ImportBody],
    ) -> ItemList:
        edited = marketplaces.import_items(principal.tenant, marketplace_id, data.items)
        return _written_list(marketplace_id, edited, public_origin(request))

    @post(
        "/{marketplace_id:str}/items/reorder",
        access=Access.SECRET,
        feature="marketplace",
        body=ReorderBody,
        errors=WRITE_REFUSALS,
        status_code=200,
        summary="Put a marketplace's items in a new order (a permutation of them)",
    )
    def reorder_items(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
        data: JSONBody[ReorderBody],
    ) -> ItemList:
        edited = marketplaces.reorder(principal.tenant, marketplace_id, data.item_ids)
        return _written_list(marketplace_id, edited, public_origin(request))

    @get(ITEM, access=Access.READABLE, feature="marketplace", summary="Get an item")
    def get_item(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
        item_id: FromPath[str],
    ) -> ItemView:
        found, current = marketplaces.item(
            principal.tenant, marketplace_id, item_id, published_only=_live_only(principal)
        )
        return _item_view(found, public_origin(request), where(current))

    @put(
        ITEM,
        access=Access.SECRET,
        feature="marketplace",
        body=ItemBody,
        errors=WRITE_REFUSALS,
        summary="Replace an item in the draft",
    )
    def replace_item(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
        item_id: FromPath[str],
        data: JSONBody[ItemBody],
    ) -> ItemView:
        edited = marketplaces.replace_item(
            principal.tenant, marketplace_id, item_id, _body(data, request)
        )
        return _item_view(edited.part, public_origin(request), written(edited))

    @delete(
        ITEM,
        access=Access.SECRET,
        feature="marketplace",
        errors=WRITE_REFUSALS,
        status_code=200,
        summary="Delete an item from the draft (owners keep it)",
    )
    def delete_item(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        marketplaces: NamedDependency[Marketplaces],
        marketplace_id: FromPath[str],
        item_id: FromPath[str],
    ) -> ItemView:
        edited = marketplaces.delete_item(principal.tenant, marketplace_id, item_id)
        return _item_view(edited.part, public_origin(request), written(edited))

    @post(
        f"{ITEM}/upload-image",
        access=Access.SECRET,
        feature="marketplace",
        errors=(*UPLOAD_REFUSALS, *WRITE_REFUSALS),
        status_code=200,
        request_max_body_size=None,
        opt={"raw_body": True},
        summary="Upload the item's image (the file is the body), or its art at one stage",
    )
    async def upload_image(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        item_art: NamedDependency[ItemArt],
        marketplace_id: FromPath[str],
        item_id: FromPath[str],
        stage: FromQuery[int | None] = None,
    ) -> ItemView:
        content_type = media_type(request)
        data = await read_limited(request, item_art.intake.max_bytes)
        edited = await anyio.to_thread.run_sync(
            item_art.upload, principal.tenant, marketplace_id, item_id, content_type, data, stage
        )
        return _item_view(edited.part, public_origin(request), written(edited))

    @post(
        f"{ITEM}/regenerate-image",
        access=Access.SECRET,
        feature="marketplace",
        body=RegenerateImageBody,
        errors=("credit_insufficient",),
        status_code=202,
        summary="Draw a new procedural icon for the item (an operation)",
    )
    def regenerate_image(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        item_art: NamedDependency[ItemArt],
        marketplace_id: FromPath[str],
        item_id: FromPath[str],
        data: JSONBody[RegenerateImageBody],
    ) -> AcceptedOperation:
        operation = item_art.request(
            principal.tenant, marketplace_id, item_id, data.seed, correlation_of(request)
        )
        return accepted_operation(operation)
