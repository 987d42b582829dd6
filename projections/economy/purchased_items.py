"""What each buddy bought or was granted: one row per acquisition, from ``ItemPurchase``.

Each purchase and unlock is a stream of its own (decision 0040), so listing a buddy's items
with what it paid needs an index over those streams; this view is it, rebuildable by replay.
A booster bought twice is two rows. Items owned before purchases were recorded are on the
buddy (``owned_items``) but not here.
"""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.economy.item_purchase import ItemPurchase
from projections.shared.base import RowChange, Table, Upsert, iso

PURCHASED_ITEMS = Table(
    name="view_purchased_items",
    key=("purchase_id",),
    columns={
        "purchase_id": "text",
        "buddy_id": "text",
        "customer_id": "text",
        "mode": "text",
        "item_id": "text",
        "category": "text",
        "source": "text",
        "price_coins": "int",
        "price_tokens": "int",
        "token_key": "text",
        "acquired_at": "text",
    },
    indexes=(("customer_id", "mode", "buddy_id", "acquired_at"),),
)


class PurchasedItemsView:
    name = "purchased_items"
    tables: tuple[Table, ...] = (PURCHASED_ITEMS,)
    handles: tuple[type[DomainEvent], ...] = (ItemPurchase.Recorded,)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, ItemPurchase.Recorded):
            values = {
                "buddy_id": event.buddy_id.hex,
                "customer_id": event.customer_id.hex,
                "mode": event.mode,
                "item_id": event.item_id,
                "category": event.category,
                "source": event.source,
                "price_coins": event.price_coins,
                "price_tokens": event.price_tokens,
                "token_key": event.token_key,
                "acquired_at": iso(event.timestamp),
            }
            yield Upsert(PURCHASED_ITEMS.name, {"purchase_id": event.originator_id.hex}, values)
