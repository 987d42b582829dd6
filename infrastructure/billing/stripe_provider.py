"""The payment provider port, with the official ``stripe`` library (decision 0049).

* Checkout and the portal use a ``StripeClient`` built from ``HATCHED_STRIPE_SECRET_KEY``
  (``HATCHED_STRIPE_API_BASE`` points it elsewhere: a local fake in the tests, stripe-mock).
  Without the key both answer ``503 billing_not_configured``.
* Webhooks are verified with the library's ``WebhookSignature.verify_header`` against
  ``HATCHED_STRIPE_WEBHOOK_SECRET`` (``503 billing_not_configured`` without it); the
  timestamp's tolerance is checked against our clock, so a test's clock decides it too.
* A provider failure (network, a refused request) is ``502 billing_provider_error`` with the
  provider's message; nothing changed on our side.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import stripe

from application.billing.provider_events import CUSTOMER_METADATA, PLAN_METADATA
from application.shared.ports import Clock, ProviderRefund, ProviderSubscription
from domain.shared.errors import DomainError

SIGNATURE_TOLERANCE = timedelta(minutes=5)
"""How old a signed delivery may be (Stripe's own default): an older one is a replay."""


def not_configured(what: str) -> DomainError:
    return DomainError(
        "billing_not_configured",
        f"billing is not configured on this server (no {what})",
        {"missing": what},
    )


class StripeProvider:
    def __init__(
        self,
        clock: Clock,
        secret_key: str | None,
        webhook_secret: str | None,
        prices: Mapping[str, str],
        api_base: str | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._clock = clock
        self._webhook_secret = webhook_secret
        self._prices = dict(prices)
        self._plans = {price: plan for plan, price in self._prices.items()}
        self._client: stripe.StripeClient | None = None
        if secret_key:
            self._client = stripe.StripeClient(
                secret_key,
                base_addresses={"api": api_base} if api_base else None,
                max_network_retries=1,
                http_client=stripe.RequestsClient(timeout=timeout_seconds),
            )

    @property
    def configured(self) -> bool:
        return self._client is not None

    def plan_of_price(self, price_id: str) -> str | None:
        return self._plans.get(price_id)

    def _require(self) -> stripe.StripeClient:
        if self._client is None:
            raise not_configured("HATCHED_STRIPE_SECRET_KEY")
        return self._client

    def checkout_url(
        self,
        *,
        plan: str,
        customer_reference: str,
        email: str,
        provider_customer_id: str | None,
        success_url: str,
        cancel_url: str,
    ) -> str:
        client = self._require()
        price = self._prices.get(plan)
        if price is None:
            raise not_configured(f"HATCHED_STRIPE_PRICE_{plan.upper()}")
        metadata = {CUSTOMER_METADATA: customer_reference, PLAN_METADATA: plan}
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": price, "quantity": 1}],
            "client_reference_id": customer_reference,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
        }
        if provider_customer_id:
            params["customer"] = provider_customer_id
        else:
            params["customer_email"] = email
        session = self._call(lambda: client.v1.checkout.sessions.create(params))  # type: ignore[arg-type]
        return str(session.url)

    def portal_url(self, *, provider_customer_id: str, return_url: str) -> str:
        client = self._require()
        params = {"customer": provider_customer_id, "return_url": return_url}
        session = self._call(lambda: client.v1.billing_portal.sessions.create(params))  # type: ignore[arg-type]
        return str(session.url)

    def cancel_subscription(self, *, subscription_id: str) -> ProviderSubscription:
        client = self._require()
        cancelled = self._call(lambda: client.v1.subscriptions.cancel(subscription_id))
        return self._subscription(cancelled)

    def refund_latest_charge(
        self, *, provider_customer_id: str, amount: int | None, idempotency_key: str
    ) -> ProviderRefund:
        client = self._require()
        listed = self._call(
            lambda: client.v1.charges.list({"customer": provider_customer_id, "limit": 1})
        )
        charges = list(listed.data)
        if not charges:
            raise DomainError(
                "nothing_to_refund",
                "this customer has no charge at the payment provider to refund",
                {"provider_customer_id": provider_customer_id},
            )
        charge = charges[0]
        params: dict[str, Any] = {"charge": charge.id}
        if amount is not None:
            params["amount"] = amount
        refund = self._call(
            lambda: client.v1.refunds.create(params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        )
        return ProviderRefund(
            refund_id=str(refund.id),
            charge_id=str(charge.id),
            amount=int(refund.amount),
            currency=str(refund.currency),
            status=str(refund.status),
        )

    def latest_subscription(self, *, provider_customer_id: str) -> ProviderSubscription | None:
        client = self._require()
        listed = self._call(
            lambda: client.v1.subscriptions.list(
                {"customer": provider_customer_id, "status": "all", "limit": 1}
            )
        )
        found = list(listed.data)
        return self._subscription(found[0]) if found else None

    def _subscription(self, subscription: Any) -> ProviderSubscription:
        document = subscription.to_dict() if hasattr(subscription, "to_dict") else {}
        items = (document.get("items") or {}).get("data") or []
        price = ((items[0] if items else {}).get("price") or {}).get("id")
        plan = self.plan_of_price(price) if isinstance(price, str) else None
        if plan is None:
            plan = (document.get("metadata") or {}).get(PLAN_METADATA)
        return ProviderSubscription(
            subscription_id=str(document.get("id")),
            status=str(document.get("status")),
            plan=plan if isinstance(plan, str) else None,
        )

    @staticmethod
    def _call(request: Any) -> Any:
        try:
            return request()
        except stripe.StripeError as failure:
            message = failure.user_message or str(failure) or type(failure).__name__
            raise DomainError(
                "billing_provider_error",
                f"the payment provider refused or could not be reached: {message[:300]}",
                {"provider_status": failure.http_status},
            ) from None

    def verify(self, payload: bytes, signature: str | None) -> dict[str, object]:
        if not self._webhook_secret:
            raise not_configured("HATCHED_STRIPE_WEBHOOK_SECRET")
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(text, signature, self._webhook_secret, None)
            timestamp = signed_at(signature or "")
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as refused:
            raise invalid_signature(str(refused)) from None
        age = self._clock.now().timestamp() - timestamp
        if age > SIGNATURE_TOLERANCE.total_seconds():
            raise invalid_signature(f"the signature is {int(age)} seconds old")
        document = json.loads(text)
        if not isinstance(document, dict):
            raise DomainError("bad_request", "the webhook body is not an event")
        return document


def signed_at(header: str) -> int:
    """The ``t=`` of a ``Stripe-Signature`` header (``t=<unix>,v1=<hex>,...``)."""
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            return int(value)
    raise ValueError("no timestamp in the signature header")


def invalid_signature(why: str) -> DomainError:
    return DomainError(
        "invalid_signature",
        "the Stripe-Signature header does not sign this body with the webhook secret: " + why[:200],
    )
