"""How many of a limited item the tenant's buddies have bought.

Stock is shared by every buddy of a tenant, so it cannot be counted on one buddy: each
limited item has one ``ItemStock`` stream per tenant, its id derived from the tenant and the
item (``ItemStock.id_for``). A purchase sells one unit and saves the stream with the buddy and
its wallet in one transaction, so two buyers of the last unit race on its stream version and
the loser, reloading, finds it sold out (decision 0040).

The catalogue holds the limit (``ItemDef.stock``); this stream holds only what was sold, so a
customer who raises or lowers the limit at publish changes what is left at once.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError
from domain.shared.ids import natural_id
from domain.shared.tenancy import Mode, Tenant


class ItemStock(Aggregate):
    class Opened(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        item_id: str

    @event(Opened)
    def __init__(
        self, *, id: UUID, customer_id: UUID, mode: Mode, item_id: str, timestamp: datetime
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.item_id = item_id
        self.sold = 0

    @staticmethod
    def id_for(tenant: Tenant, item_id: str) -> UUID:
        return natural_id("item_stock", tenant.key, item_id)

    def remaining(self, limit: int) -> int:
        return max(limit - self.sold, 0)

    def sell(self, *, limit: int, purchase_id: UUID, timestamp: datetime) -> None:
        """One more unit sold; ``out_of_stock`` when ``limit`` units are gone."""
        if self.sold >= limit:
            raise DomainError(
                "out_of_stock",
                f"{self.item_id} is sold out: all {limit} were bought",
                {"item_id": self.item_id, "stock": limit, "sold": self.sold},
            )
        self._sold(purchase_id=purchase_id, timestamp=timestamp)

    class Sold(Aggregate.Event):
        purchase_id: UUID

    @event(Sold)
    def _sold(self, *, purchase_id: UUID, timestamp: datetime) -> None:
        self.sold += 1
