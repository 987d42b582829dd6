"""The shop funnel per item and UTC day: how many buddies saw an item, how many bought it.

Fed by ``ItemImpression.Viewed`` (``POST /widget/marketplace/items/{id}/track-view``: one per
buddy, item and day) and by purchases (``ItemPurchase.Recorded`` with source ``purchase``;
a grant is no sale). The analytics funnel reads it; both counts are increments, so a replay
adds up to the same rows (decision 0040).
"""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.economy.item_impression import ItemImpression
from domain.economy.item_purchase import ItemPurchase
from projections.shared.base import RowChange, Table, Upsert, iso, tenant_table

ITEM_FUNNEL = tenant_table(
    "view_item_funnel",
    {"item_id": "text", "day": "text"},
    counters=("impressions", "purchases"),
    indexes=(("customer_id", "mode", "day"),),
)


class ItemFunnelView:
    name = "item_funnel"
    tables: tuple[Table, ...] = (ITEM_FUNNEL,)
    handles: tuple[type[DomainEvent], ...] = (ItemImpression.Viewed, ItemPurchase.Recorded)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if isinstance(event, ItemImpression.Viewed):
            key = _key(event.customer_id.hex, event.mode, event.item_id, event.day)
            yield Upsert(ITEM_FUNNEL.name, key, increments={"impressions": 1, "purchases": 0})
        elif isinstance(event, ItemPurchase.Recorded) and event.source == "purchase":
            day = iso(event.timestamp)[:10]
            key = _key(event.customer_id.hex, event.mode, event.item_id, day)
            yield Upsert(ITEM_FUNNEL.name, key, increments={"impressions": 0, "purchases": 1})


def _key(customer_id: str, mode: str, item_id: str, day: str) -> dict[str, str]:
    return {"customer_id": customer_id, "mode": mode, "item_id": item_id, "day": day}
