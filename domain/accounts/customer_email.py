"""An email address claimed by one customer account.

Its id is derived from the normalised address, so two registrations racing for
the same email cannot both succeed: the second creation fails in the database.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.ids import natural_id


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_claim_id(email: str) -> UUID:
    return natural_id("customer_email", normalise_email(email))


class CustomerEmail(Aggregate):
    class Claimed(Aggregate.Created):
        customer_id: UUID

    @event(Claimed)
    def __init__(self, *, id: UUID, customer_id: UUID, timestamp: datetime) -> None:
        self.customer_id = customer_id
