"""Billing use cases: checkout and the portal at the payment provider, the provider's events
processed once, and plan changes from outside the code (decision 0049).

A provider event is recorded as a ``PaymentEvent`` (its id derived from the provider's event
id) in the same transaction as every change it makes: the customer's plan, its billing
account, the link from the provider's customer id. A replay, or the same event delivered
several times at once, finds the record (or loses the race to create it and finds it on the
retry) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from application.accounts.accounts import Accounts
from application.billing.provider_events import (
    CHECKOUT_COMPLETED,
    HANDLED,
    INVOICE_PAID,
    SUBSCRIPTION_DELETED,
    ProviderEvent,
    amount,
    customer_reference,
    invoice_period,
    invoice_price,
    metadata_plan,
    provider_customer,
    read_event,
    subscription_of,
)
from application.credits.credits import Credits
from application.shared.ports import Clock, PaymentProvider
from application.shared.store import EventStore, retry_on_conflict
from domain.accounts.customer import Customer
from domain.accounts.customer_email import CustomerEmail, email_claim_id, normalise_email
from domain.accounts.plans import DEFAULT_PLAN, PLANS
from domain.billing.billing_account import MONTHLY_CREDITS, PAID_POOL, BillingAccount
from domain.billing.payment_event import PaymentEvent
from domain.billing.provider_customer import ProviderCustomer
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import parse_public_id, public_id

PURCHASABLE: Final = ("growth", "pro")
"""Plans a checkout sells; ``starter`` is free (cancel in the portal), ``enterprise`` is by
contract (an operator sets it)."""


@dataclass(frozen=True)
class Receipt:
    """What a provider event did: ``applied``, ``ignored`` (``reason``), or ``duplicate``
    (processed before; ``reason`` is what it did then)."""

    event_id: str
    type: str
    outcome: str
    reason: str | None = None


@dataclass(frozen=True)
class BillingStatus:
    customer: Customer
    account: BillingAccount | None
    configured: bool


def check_plan(plan: str) -> None:
    if plan not in PLANS:
        raise DomainError(
            "unknown_plan",
            f"there is no plan {plan[:64]!r}: plans are {', '.join(PLANS)}",
            {"plan": plan[:64], "plans": list(PLANS)},
        )


class Billing:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        accounts: Accounts,
        provider: PaymentProvider,
        credits: Credits,
    ) -> None:
        self._store = store
        self._clock = clock
        self._accounts = accounts
        self._provider = provider
        self._credits = credits

    @property
    def provider(self) -> PaymentProvider:
        return self._provider

    # -- reads ----------------------------------------------------------------

    def status(self, customer_id: UUID) -> BillingStatus:
        customer = self._accounts.customer(customer_id)
        account = self._store.find(BillingAccount, BillingAccount.id_for(customer_id))
        return BillingStatus(customer, account, self._provider.configured)

    def find_customer(self, reference: str) -> Customer:
        """A customer by public id (``cus_…``) or e-mail, for an operator."""
        if "@" in reference:
            claim = self._store.find(CustomerEmail, email_claim_id(normalise_email(reference)))
            if claim is None:
                raise NotFound("customer", reference)
            return self._accounts.customer(claim.customer_id)
        return self._accounts.customer(parse_public_id("customer", reference))

    # -- the provider's pages -------------------------------------------------

    def checkout(self, customer_id: UUID, plan: str, success_url: str, cancel_url: str) -> str:
        """A hosted checkout page for ``plan``; the plan changes when the provider says the
        checkout completed (the webhook), never on this call."""
        check_plan(plan)
        if plan not in PURCHASABLE:
            raise DomainError(
                "bad_request",
                f"{plan} is not sold through checkout: "
                + (
                    "enterprise is by contract"
                    if plan == "enterprise"
                    else "to go back to starter, cancel the subscription in the billing portal"
                ),
                {"plan": plan, "purchasable": list(PURCHASABLE)},
            )
        self.require_provider()
        customer = self._accounts.customer(customer_id)
        account = self._store.find(BillingAccount, BillingAccount.id_for(customer_id))
        if account is not None and account.subscription_status == "active":
            raise DomainError(
                "subscription_active",
                f"this account already has an active subscription ({account.subscription_plan}); "
                "change plans in the billing portal (POST /billing/portal)",
                {"plan": account.subscription_plan},
            )
        return self._provider.checkout_url(
            plan=plan,
            customer_reference=public_id("customer", customer_id),
            email=customer.email,
            provider_customer_id=account.provider_customer_id if account else None,
            success_url=success_url,
            cancel_url=cancel_url,
        )

    def portal(self, customer_id: UUID, return_url: str) -> str:
        self.require_provider()
        account = self._store.find(BillingAccount, BillingAccount.id_for(customer_id))
        if account is None:
            raise DomainError(
                "no_billing_customer",
                "this account has no customer at the payment provider yet: "
                "subscribe first (POST /billing/checkout)",
            )
        return self._provider.portal_url(
            provider_customer_id=account.provider_customer_id, return_url=return_url
        )

    def require_provider(self) -> None:
        if not self._provider.configured:
            raise DomainError(
                "billing_not_configured",
                "billing is not configured on this server (no payment provider key)",
            )

    # -- plan changes from outside the code -----------------------------------

    def override_plan(
        self, customer_id: UUID, plan: str, event_quota: int | None, cause: dict[str, Any]
    ) -> Customer:
        """The customer's own override (``POST /billing/override-plan``): only while no
        payment provider is configured, where whoever runs the server decides the plans;
        with one, plans follow what was paid for."""
        check_plan(plan)
        if self._provider.configured:
            raise DomainError(
                "forbidden",
                "plans follow the subscription while billing is configured: use checkout or "
                "the billing portal (an operator can still run `hatched customers plan`)",
            )
        return self.set_plan(customer_id, plan, event_quota, cause)

    def set_plan(
        self, customer_id: UUID, plan: str, event_quota: int | None, cause: dict[str, Any]
    ) -> Customer:
        """An operator's plan change (``hatched customers plan``)."""
        check_plan(plan)
        return self._accounts.change_plan(customer_id, plan, event_quota, cause)

    # -- the provider's events ------------------------------------------------

    def receive(self, payload: bytes, signature: str | None) -> Receipt:
        """Verify and process one webhook delivery, at most once per provider event id."""
        event = read_event(self._provider.verify(payload, signature))
        if event.type not in HANDLED:
            return Receipt(event.id, event.type, "ignored", "not an event billing acts on")
        record_id = PaymentEvent.id_for(event.id)

        def attempt() -> Receipt:
            done = self._store.find(PaymentEvent, record_id)
            if done is not None:
                return Receipt(event.id, event.type, "duplicate", done.reason or done.outcome)
            changed, reason, customer_id = self._apply(event)
            record = PaymentEvent(
                id=record_id,
                provider_event_id=event.id,
                type=event.type,
                customer_id=customer_id,
                outcome="ignored" if reason else "applied",
                reason=reason,
                timestamp=self._clock.now(),
            )
            self._store.save(record, *changed)
            return Receipt(event.id, event.type, record.outcome, reason)

        return retry_on_conflict(attempt, line=record_id)

    def _apply(self, event: ProviderEvent) -> tuple[list[Any], str | None, UUID | None]:
        """The aggregates ``event`` changed, or why it changes nothing, and whose it is."""
        obj = event.object
        customer = self._customer_of(obj)
        if customer is None:
            return [], "no customer of ours is named", None
        if event.type == CHECKOUT_COMPLETED:
            changed, reason = self._checkout_completed(event, customer)
        elif event.type == SUBSCRIPTION_DELETED:
            changed, reason = self._subscription_deleted(event, customer)
        else:
            assert event.type == INVOICE_PAID
            changed, reason = self._invoice_paid(event, customer)
        return changed, reason, customer.id

    def _customer_of(self, obj: Mapping[str, Any]) -> Customer | None:
        reference = customer_reference(obj)
        if reference is not None:
            try:
                customer_id = parse_public_id("customer", reference)
            except NotFound:
                return None
            return self._store.find(Customer, customer_id)
        provider_id = provider_customer(obj)
        link = self._store.find(ProviderCustomer, ProviderCustomer.id_for(provider_id or ""))
        return self._store.find(Customer, link.customer_id) if link and provider_id else None

    def _account(self, customer: Customer, provider_id: str) -> tuple[BillingAccount, list[Any]]:
        """The customer's billing account (opened now if new) and the link from the
        provider's customer id (created now if new)."""
        now = self._clock.now()
        made: list[Any] = []
        account = self._store.find(BillingAccount, BillingAccount.id_for(customer.id))
        if account is None:
            account = BillingAccount(
                id=BillingAccount.id_for(customer.id),
                customer_id=customer.id,
                provider_customer_id=provider_id,
                timestamp=now,
            )
        link_id = ProviderCustomer.id_for(provider_id)
        if self._store.find(ProviderCustomer, link_id) is None:
            made.append(
                ProviderCustomer(
                    id=link_id,
                    provider_customer_id=provider_id,
                    customer_id=customer.id,
                    timestamp=now,
                )
            )
        return account, made

    def _cause(self, event: ProviderEvent) -> dict[str, Any]:
        return {"by": "stripe", "event_id": event.id, "event_type": event.type}

    def _checkout_completed(
        self, event: ProviderEvent, customer: Customer
    ) -> tuple[list[Any], str | None]:
        obj = event.object
        plan, provider_id = metadata_plan(obj), provider_customer(obj)
        subscription = subscription_of(obj)
        if plan not in PURCHASABLE:
            return [], f"the checkout names no plan we sell ({str(plan)[:64]})"
        if provider_id is None or subscription is None:
            return [], "the checkout has no customer or subscription"
        account, made = self._account(customer, provider_id)
        changed = self.subscription_started(
            customer, account, subscription, plan, event.id, self._cause(event), provider_id
        )
        return [*changed, *made], None

    def _subscription_deleted(
        self, event: ProviderEvent, customer: Customer
    ) -> tuple[list[Any], str | None]:
        subscription = subscription_of(event.object)
        account = self._store.find(BillingAccount, BillingAccount.id_for(customer.id))
        if account is None or subscription is None or account.subscription_id != subscription:
            return [], "not the customer's current subscription"
        if account.subscription_status != "active":
            return [], "the subscription had already ended"
        return self.subscription_ended(customer, account, event.id, self._cause(event)), None

    def subscription_ended(
        self, customer: Customer, account: BillingAccount, reference: str, cause: dict[str, Any]
    ) -> list[Any]:
        """The account's current subscription ended: the customer goes back to the free plan.
        ``reference`` names what said so (a provider event, an operator's act). Unsaved."""
        now = self._clock.now()
        assert account.subscription_id is not None
        account.end_subscription(
            subscription_id=account.subscription_id, provider_event_id=reference, timestamp=now
        )
        changed: list[Any] = [account]
        if customer.plan != DEFAULT_PLAN or customer.event_quota is not None:
            customer.change_plan(plan=DEFAULT_PLAN, event_quota=None, cause=cause, timestamp=now)
            changed.append(customer)
        return changed

    def subscription_started(
        self,
        customer: Customer,
        account: BillingAccount,
        subscription_id: str,
        plan: str,
        reference: str,
        cause: dict[str, Any],
        provider_customer_id: str | None = None,
    ) -> list[Any]:
        """``subscription_id`` on ``plan`` is the account's current one (at the provider's
        ``provider_customer_id``, by default the account's), and the customer's plan follows
        it. Unsaved."""
        now = self._clock.now()
        account.start_subscription(
            subscription_id=subscription_id,
            plan=plan,
            provider_customer_id=provider_customer_id or account.provider_customer_id,
            provider_event_id=reference,
            timestamp=now,
        )
        changed: list[Any] = [account]
        if (customer.plan, customer.event_quota) != (plan, None):
            customer.change_plan(plan=plan, event_quota=None, cause=cause, timestamp=now)
            changed.append(customer)
        return changed

    def _invoice_paid(
        self, event: ProviderEvent, customer: Customer
    ) -> tuple[list[Any], str | None]:
        obj = event.object
        invoice_id, provider_id = obj.get("id"), provider_customer(obj)
        period = invoice_period(obj)
        if not isinstance(invoice_id, str) or provider_id is None or period is None:
            return [], "the invoice has no id, customer or period"
        account, made = self._account(customer, provider_id)
        if account.has_paid(invoice_id):
            return [], "this invoice's payment was recorded already"
        price = invoice_price(obj)
        named = [
            self._provider.plan_of_price(price) if price else None,
            metadata_plan(obj),
            account.subscription_plan,
        ]
        plan = next((p for p in named if p in PLANS), customer.plan)
        paid, currency = amount(obj)
        now = self._clock.now()
        monthly = MONTHLY_CREDITS.get(plan, 0)
        account.record_invoice(
            customer_id=customer.id,
            invoice_id=invoice_id[:255],
            subscription_id=subscription_of(obj),
            plan=plan,
            period_start=period[0],
            period_end=period[1],
            amount_paid=paid,
            currency=currency[:16],
            pool=PAID_POOL,
            credits=monthly,
            provider_event_id=event.id,
            timestamp=now,
        )
        changed: list[Any] = [account, *made]
        if monthly:
            # The plan's monthly credits land in the save that records the invoice, so a
            # Stripe event processed once grants once.
            pool = self._credits.account(customer.id)
            pool.grant(
                pool=PAID_POOL,
                amount=monthly,
                cause={"source": "stripe", "stripe_event_id": event.id, "invoice_id": invoice_id},
                timestamp=now,
            )
            changed.append(pool)
        return changed, None
