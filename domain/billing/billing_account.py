"""A customer's billing account: its customer at the payment provider, its subscription and
the invoices it paid (decision 0049).

One per customer (``id_for``), opened by the first provider event that names the customer.
The plan itself stays on the ``Customer`` (``Customer.PlanChanged``, whose cause names the
provider event); this stream keeps what the provider said, so ``GET /billing/status`` and a
credit grant read it, and a replay rebuilds both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.ids import natural_id

MONTHLY_CREDITS: Final[dict[str, int]] = {"starter": 0, "growth": 50, "pro": 250, "enterprise": 0}
"""Credits a paid month of each plan grants to the ``paid`` pool (reference §20: Growth 50,
Pro 250; Enterprise by contract, granted by an operator)."""

PAID_POOL: Final = "paid"
"""The credit pool a paid invoice's grant goes to."""


class BillingAccount(Aggregate):
    """What the payment provider told us about one customer."""

    class Opened(Aggregate.Created):
        customer_id: UUID
        provider_customer_id: str

    @event(Opened)
    def __init__(
        self, *, id: UUID, customer_id: UUID, provider_customer_id: str, timestamp: datetime
    ) -> None:
        self.customer_id = customer_id
        self.provider_customer_id = provider_customer_id
        self.subscription_id: str | None = None
        self.subscription_status = "none"
        self.subscription_plan: str | None = None
        self.paid_invoice_ids: list[str] = []
        self.last_invoice: dict[str, Any] | None = None
        """The newest paid invoice's fields (``InvoicePaid``'s but the provider event)."""
        self.refunds: list[dict[str, Any]] = []
        """Refunds an operator made, oldest first (``RefundIssued``'s fields)."""

    @staticmethod
    def id_for(customer_id: UUID) -> UUID:
        return natural_id("billing_account", customer_id.hex)

    class SubscriptionStarted(Aggregate.Event):
        subscription_id: str
        plan: str
        provider_customer_id: str
        provider_event_id: str

    @event(SubscriptionStarted)
    def start_subscription(
        self,
        *,
        subscription_id: str,
        plan: str,
        provider_customer_id: str,
        provider_event_id: str,
        timestamp: datetime,
    ) -> None:
        """A checkout completed: ``subscription_id`` on ``plan`` is now the customer's."""
        self.subscription_id = subscription_id
        self.subscription_plan = plan
        self.subscription_status = "active"
        self.provider_customer_id = provider_customer_id

    class SubscriptionEnded(Aggregate.Event):
        subscription_id: str
        provider_event_id: str

    @event(SubscriptionEnded)
    def end_subscription(
        self, *, subscription_id: str, provider_event_id: str, timestamp: datetime
    ) -> None:
        self.subscription_status = "canceled"

    class InvoicePaid(Aggregate.Event):
        """A paid invoice: what a monthly credit grant needs (``customer_id``, ``pool``,
        ``credits``; the cause is this event, one per ``invoice_id``)."""

        customer_id: UUID
        invoice_id: str
        subscription_id: str | None
        plan: str
        period_start: datetime
        period_end: datetime
        amount_paid: int
        currency: str
        pool: str
        credits: int
        provider_event_id: str

    @event(InvoicePaid)
    def record_invoice(
        self,
        *,
        customer_id: UUID,
        invoice_id: str,
        subscription_id: str | None,
        plan: str,
        period_start: datetime,
        period_end: datetime,
        amount_paid: int,
        currency: str,
        pool: str,
        credits: int,
        provider_event_id: str,
        timestamp: datetime,
    ) -> None:
        """Once per invoice: the caller checks ``has_paid`` first (a provider may send one
        invoice's payment under two event ids)."""
        self.paid_invoice_ids = [*self.paid_invoice_ids, invoice_id]
        self.last_invoice = {
            "invoice_id": invoice_id,
            "subscription_id": subscription_id,
            "plan": plan,
            "period_start": period_start,
            "period_end": period_end,
            "amount_paid": amount_paid,
            "currency": currency,
            "credits": credits,
            "paid_at": timestamp,
        }

    def has_paid(self, invoice_id: str) -> bool:
        return invoice_id in self.paid_invoice_ids

    class RefundIssued(Aggregate.Event):
        """An operator refunded a charge at the provider (decision 0053); ``cause`` names
        the admin, the request and the reason."""

        refund_id: str
        charge_id: str
        amount: int
        currency: str
        status: str
        cause: dict[str, Any]

    @event(RefundIssued)
    def record_refund(
        self,
        *,
        refund_id: str,
        charge_id: str,
        amount: int,
        currency: str,
        status: str,
        cause: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self.refunds = [
            *self.refunds,
            {
                "refund_id": refund_id,
                "charge_id": charge_id,
                "amount": amount,
                "currency": currency,
                "status": status,
                "refunded_at": timestamp,
            },
        ]
