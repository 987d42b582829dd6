"""Which of our customers a payment provider's customer id belongs to (decision 0049).

Subscription and invoice events name the provider's customer, not ours: this stream, whose id
derives from the provider's customer id, answers in one load. Created once, by the first
event that ties the two together.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.ids import natural_id


class ProviderCustomer(Aggregate):
    class Linked(Aggregate.Created):
        provider_customer_id: str
        customer_id: UUID

    @event(Linked)
    def __init__(
        self, *, id: UUID, provider_customer_id: str, customer_id: UUID, timestamp: datetime
    ) -> None:
        self.provider_customer_id = provider_customer_id
        self.customer_id = customer_id

    @staticmethod
    def id_for(provider_customer_id: str) -> UUID:
        return natural_id("provider_customer", provider_customer_id)
