"""A payment provider's event, processed once (decision 0049).

The stream's id derives from the provider's event id, so recording it twice fails in the
database: it is saved in the same transaction as whatever the event changed, and a replayed
or concurrently delivered event finds it and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.ids import natural_id

OUTCOMES: Final = ("applied", "ignored")


class PaymentEvent(Aggregate):
    class Processed(Aggregate.Created):
        provider_event_id: str
        type: str
        customer_id: UUID | None
        outcome: str
        reason: str | None

    @event(Processed)
    def __init__(
        self,
        *,
        id: UUID,
        provider_event_id: str,
        type: str,
        customer_id: UUID | None,
        outcome: str,
        reason: str | None,
        timestamp: datetime,
    ) -> None:
        """``outcome``: ``applied`` (it changed the customer's billing) or ``ignored``
        (``reason`` says why: an unknown customer, a subscription that is not the current
        one, ...)."""
        self.provider_event_id = provider_event_id
        self.type = type
        self.customer_id = customer_id
        self.outcome = outcome
        self.reason = reason

    @staticmethod
    def id_for(provider_event_id: str) -> UUID:
        return natural_id("payment_event", provider_event_id)
