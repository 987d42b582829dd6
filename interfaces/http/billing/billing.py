"""``/billing/*``: checkout, the portal, status, the Stripe webhook and the plan override
(decision 0049).

Checkout and the portal are Stripe-backed: without ``HATCHED_STRIPE_SECRET_KEY`` they answer
``503 billing_not_configured``, and the webhook does without ``HATCHED_STRIPE_WEBHOOK_SECRET``;
status and the override work either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.billing.billing import Billing, BillingStatus, Receipt
from domain.accounts.plans import PLANS
from domain.shared.text_patterns import WEB_URL
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.routing import Access, Limit, get, post
from interfaces.http.uploads import read_limited

ReturnUrl = Annotated[str, msgspec.Meta(pattern=WEB_URL.regex, max_length=2048)]
PlanName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
WEBHOOK_MAX_BYTES = 1_048_576


class CheckoutRequest(Model):
    plan: PlanName
    success_url: ReturnUrl | None = None
    """Where the provider sends the customer after paying (default: the dashboard's billing
    page, ``HATCHED_UPGRADE_URL``)."""
    cancel_url: ReturnUrl | None = None


class PortalRequest(Model):
    return_url: ReturnUrl | None = None


class RedirectView(msgspec.Struct):
    url: str
    """The provider's hosted page: send the person's browser there."""


class OverridePlanRequest(Model):
    plan: PlanName
    event_quota: Annotated[int, msgspec.Meta(ge=0, le=10**12)] | None = None
    """A monthly event quota replacing the plan's (a contract's figure); omitted: the plan's."""
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class SubscriptionView(msgspec.Struct):
    subscription_id: str | None
    status: str
    """``none``, ``active`` or ``canceled``."""
    plan: str | None


class InvoiceView(msgspec.Struct):
    invoice_id: str
    plan: str
    period_start: datetime
    period_end: datetime
    amount_paid: int
    currency: str
    credits: int
    paid_at: datetime


class BillingStatusView(msgspec.Struct):
    plan: str
    event_quota: int
    """This month's event quota (the plan's, or the contract's that replaces it)."""
    billing_configured: bool
    """Whether checkout and the portal are available on this server."""
    provider_customer_id: str | None
    subscription: SubscriptionView | None
    last_invoice: InvoiceView | None
    plans: list[str]

    @classmethod
    def of(cls, status: BillingStatus) -> BillingStatusView:
        account, customer = status.account, status.customer
        invoice = account.last_invoice if account else None
        return cls(
            plan=customer.plan,
            event_quota=customer.monthly_event_quota,
            billing_configured=status.configured,
            provider_customer_id=account.provider_customer_id if account else None,
            subscription=SubscriptionView(
                account.subscription_id, account.subscription_status, account.subscription_plan
            )
            if account
            else None,
            last_invoice=InvoiceView(**{k: v for k, v in invoice.items() if k != "subscription_id"})
            if invoice
            else None,
            plans=list(PLANS),
        )


class PlanView(msgspec.Struct):
    plan: str
    event_quota: int


class ReceiptView(msgspec.Struct):
    received: bool
    event_id: str
    type: str
    outcome: str
    """``applied``, ``ignored`` (see ``reason``) or ``duplicate`` (processed before)."""
    reason: str | None

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptView:
        return cls(True, receipt.event_id, receipt.type, receipt.outcome, receipt.reason)


class BillingController(Controller):
    path = "/billing"
    tags = ["billing"]

    @post(
        "/checkout",
        access=Access.DASHBOARD,
        body=CheckoutRequest,
        errors=(
            "unknown_plan",
            "bad_request",
            "subscription_active",
            "billing_not_configured",
            "billing_provider_error",
        ),
        status_code=200,
        summary="Start a Stripe checkout for a plan (the plan changes when it completes)",
    )
    def checkout(
        self,
        principal: Caller,
        billing: NamedDependency[Billing],
        request: Request[Any, Any, Any],
        data: JSONBody[CheckoutRequest],
    ) -> RedirectView:
        back = request.app.state.container.settings.upgrade_url
        url = billing.checkout(
            principal.customer_id,
            data.plan,
            data.success_url or back,
            data.cancel_url or back,
        )
        return RedirectView(url)

    @post(
        "/portal",
        access=Access.DASHBOARD,
        body=PortalRequest,
        errors=("no_billing_customer", "billing_not_configured", "billing_provider_error"),
        status_code=200,
        summary="Open the Stripe billing portal (change plan, cancel, invoices)",
    )
    def portal(
        self,
        principal: Caller,
        billing: NamedDependency[Billing],
        request: Request[Any, Any, Any],
        data: JSONBody[PortalRequest],
    ) -> RedirectView:
        back = request.app.state.container.settings.upgrade_url
        return RedirectView(billing.portal(principal.customer_id, data.return_url or back))

    @get("/status", access=Access.SECRET, summary="The plan, subscription and last paid invoice")
    def status(self, principal: Caller, billing: NamedDependency[Billing]) -> BillingStatusView:
        return BillingStatusView.of(billing.status(principal.customer_id))

    @post(
        "/override-plan",
        access=Access.DASHBOARD,
        body=OverridePlanRequest,
        errors=("unknown_plan", "conflict"),
        status_code=200,
        summary="Set the plan directly (servers without billing; operators use the CLI)",
    )
    def override_plan(
        self,
        principal: Caller,
        billing: NamedDependency[Billing],
        data: JSONBody[OverridePlanRequest],
    ) -> PlanView:
        cause: dict[str, Any] = {"by": "dashboard", "route": "POST /billing/override-plan"}
        if data.reason:
            cause["reason"] = data.reason
        customer = billing.override_plan(principal.customer_id, data.plan, data.event_quota, cause)
        return PlanView(customer.plan, customer.monthly_event_quota)

    @post(
        "/webhook",
        access=Access.PUBLIC,
        errors=(
            "invalid_signature",
            "bad_request",
            "payload_too_large",
            "billing_not_configured",
            "conflict",
        ),
        limit=Limit.NONE,
        opt={"raw_body": True},
        status_code=200,
        summary="Stripe's webhook: signed with the webhook secret, each event processed once",
    )
    async def webhook(
        self, request: Request[Any, Any, Any], billing: NamedDependency[Billing]
    ) -> ReceiptView:
        """Verified against ``Stripe-Signature``; ``checkout.session.completed`` and
        ``customer.subscription.deleted`` change the plan, ``invoice.payment_succeeded``
        records the paid invoice; a replayed event id answers ``duplicate``."""
        payload = await read_limited(request, WEBHOOK_MAX_BYTES)
        signature = request.headers.get("stripe-signature")
        receipt = await anyio.to_thread.run_sync(billing.receive, payload, signature)
        return ReceiptView.of(receipt)
