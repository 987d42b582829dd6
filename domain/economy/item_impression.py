"""A buddy saw an item in the shop: the first step of the analytics funnel.

One stream per buddy, item and UTC day (its id derives from the three), so an impression is
counted once per viewer and day however often the widget reports it, and the log does not
grow with every scroll (decision 0040).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.ids import natural_id
from domain.shared.tenancy import Mode


class ItemImpression(Aggregate):
    class Viewed(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        buddy_id: UUID
        item_id: str
        day: str

    @event(Viewed)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        buddy_id: UUID,
        item_id: str,
        day: str,
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.buddy_id = buddy_id
        self.item_id = item_id
        self.day = day

    @staticmethod
    def id_for(buddy_id: UUID, item_id: str, day: str) -> UUID:
        return natural_id("item_impression", buddy_id.hex, item_id, day)
