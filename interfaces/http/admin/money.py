"""``/admin/customers/{id}/credits`` and ``…/billing``: a customer's credits and its Stripe
billing, seen and corrected by an operator (decision 0053). Every write is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.admin.money import AdminMoney
from application.billing.billing import Billing, BillingStatus
from domain.credits.credit_account import MAX_GRANT, credit_account_id
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id, public_id
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.admin_auth import ADMIN_DEPENDENCIES, AdminAuth
from interfaces.http.billing.billing import BillingStatusView
from interfaces.http.body import Model
from interfaces.http.consistency import read_your_writes
from interfaces.http.credits.credits import (
    CreditBalance,
    CreditLedgerEntry,
    credit_balance,
    ledger_entry,
)
from interfaces.http.pagination import page
from interfaces.http.routing import Access, Limit, get, post
from projections.credits.credit_ledger import LEDGER, CreditLedgerView

PoolName = Literal["promo", "welcome", "paid"]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
SignedAmount = Annotated[int, msgspec.Meta(ge=-MAX_GRANT, le=MAX_GRANT)]


class AdminCredits(msgspec.Struct, kw_only=True):
    customer_id: str
    balance: CreditBalance
    held: int
    """Credits held by image jobs still running (out of the pools until they end)."""
    ledger: list[CreditLedgerEntry]
    """The newest movements first; ``next_cursor`` pages on."""
    next_cursor: str | None


class CreditAdjustmentRequest(Model):
    amount: SignedAmount
    """Positive: a grant into ``pool`` (``paid`` unless named). Negative: a claw-back from
    ``pools`` in that order (``promo``, ``welcome``, ``paid`` unless given) or from the one
    named ``pool``; never below zero. Not 0."""
    reason: Reason
    """Why: kept in the ledger and the audit trail."""
    pool: PoolName | None = None
    pools: Annotated[list[PoolName], msgspec.Meta(min_length=1, max_length=3)] | None = None


class CreditAdjustment(msgspec.Struct, kw_only=True):
    customer_id: str
    amount: int
    pools: dict[str, int]
    """What each pool gained (positive) or gave back (negative)."""
    balance: CreditBalance


def adjustment_pools(data: CreditAdjustmentRequest) -> tuple[str, ...] | None:
    if data.pool is not None and data.pools is not None:
        raise DomainError(
            "validation_failed",
            "name one `pool` or an order of `pools`, not both",
            {"fields": [{"field": "pools", "reason": "given with pool"}]},
        )
    if data.pool is not None:
        return (data.pool,)
    return tuple(data.pools) if data.pools is not None else None


class AdminMoneyController(Controller):
    path = "/admin/customers"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get(
        "/{customer_id:str}/credits",
        access=Access.ADMIN,
        errors=("bad_request",),
        limit=Limit.NONE,
        summary="A customer's credit pools and its recent credit ledger",
    )
    def credits(
        self,
        request: Request[Any, Any, Any],
        admin: AdminAuth,
        admin_money: NamedDependency[AdminMoney],
        views: NamedDependency[ViewStore],
        customer_id: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> AdminCredits:
        uuid = parse_public_id("customer", customer_id)
        balance, held = admin_money.balance(uuid)
        read_your_writes(request, CreditLedgerView.name)
        where = {"account_id": credit_account_id(uuid).hex}
        found = page(views, LEDGER.name, where, (("seq", True),), cursor, limit, ledger_entry)
        return AdminCredits(
            customer_id=public_id("customer", uuid),
            balance=credit_balance(balance),
            held=held,
            ledger=found.data,
            next_cursor=found.next_cursor,
        )

    @post(
        "/{customer_id:str}/credits/adjust",
        access=Access.ADMIN,
        body=CreditAdjustmentRequest,
        errors=("claw_back_exceeds_balance", "conflict"),
        limit=Limit.NONE,
        status_code=200,
        summary="Grant credits (positive amount) or claw them back (negative), with a reason",
    )
    def adjust_credits(
        self,
        admin: AdminAuth,
        admin_money: NamedDependency[AdminMoney],
        customer_id: FromPath[str],
        data: JSONBody[CreditAdjustmentRequest],
    ) -> CreditAdjustment:
        """A claw-back never takes a pool below zero: when the pools hold less than asked,
        ``409 claw_back_exceeds_balance`` and nothing changes."""
        uuid = parse_public_id("customer", customer_id)
        pools = adjustment_pools(data)
        done = admin_money.adjust(admin, uuid, data.amount, data.reason, pools)
        return CreditAdjustment(
            customer_id=public_id("customer", uuid),
            amount=done.amount,
            pools=done.pools,
            balance=credit_balance(done.balance),
        )


class BillingReasonRequest(Model):
    reason: Reason
    """Why: kept in the audit trail and the plan change's cause."""


class RefundRequest(Model):
    reason: Reason
    amount: Annotated[int, msgspec.Meta(ge=1, le=10**10)] | None = None
    """In the currency's smallest unit (cents); omitted: the whole charge."""
    claw_back_credits: Annotated[int, msgspec.Meta(ge=1, le=MAX_GRANT)] | None = None
    """Credits to take back with the refund, checked before the money moves."""
    pools: Annotated[list[PoolName], msgspec.Meta(min_length=1, max_length=3)] | None = None
    """The claw-back's pools, in order (default ``promo``, ``welcome``, ``paid``)."""


class RefundView(msgspec.Struct, kw_only=True):
    refund_id: str
    charge_id: str
    amount: int
    currency: str
    status: str
    refunded_at: datetime


class AdminBillingView(msgspec.Struct, kw_only=True):
    customer_id: str
    billing: BillingStatusView
    """What the payment provider's events told us (as ``GET /billing/status`` shows it)."""
    refunds: list[RefundView]


class AdminRefund(msgspec.Struct, kw_only=True):
    customer_id: str
    refund: RefundView
    credits_clawed_back: dict[str, int]
    billing: BillingStatusView


class ProviderSubscriptionView(msgspec.Struct, kw_only=True):
    subscription_id: str
    status: str
    plan: str | None


class AdminBillingSync(msgspec.Struct, kw_only=True):
    customer_id: str
    changed: bool
    """Whether what we held differed from the provider (and was corrected)."""
    provider_subscription: ProviderSubscriptionView | None
    billing: BillingStatusView


def admin_billing(status: BillingStatus) -> AdminBillingView:
    refunds = status.account.refunds if status.account else []
    return AdminBillingView(
        customer_id=public_id("customer", status.customer.id),
        billing=BillingStatusView.of(status),
        refunds=[RefundView(**refund) for refund in refunds],
    )


STRIPE_REFUSALS = ("billing_not_configured", "billing_provider_error", "no_billing_customer")


class AdminBillingController(Controller):
    path = "/admin/customers"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get(
        "/{customer_id:str}/billing",
        access=Access.ADMIN,
        limit=Limit.NONE,
        summary="A customer's billing as we hold it: plan, subscription, last invoice, refunds",
    )
    def billing(
        self,
        admin: AdminAuth,
        billing: NamedDependency[Billing],
        customer_id: FromPath[str],
    ) -> AdminBillingView:
        """Read from the event store, without calling Stripe (``…/billing/sync`` compares
        with Stripe and corrects)."""
        return admin_billing(billing.status(parse_public_id("customer", customer_id)))

    @post(
        "/{customer_id:str}/billing/cancel-subscription",
        access=Access.ADMIN,
        body=BillingReasonRequest,
        errors=(*STRIPE_REFUSALS, "invalid_state_transition", "conflict"),
        limit=Limit.NONE,
        status_code=200,
        summary="Cancel the customer's Stripe subscription now (back to starter)",
    )
    def cancel_subscription(
        self,
        admin: AdminAuth,
        admin_money: NamedDependency[AdminMoney],
        customer_id: FromPath[str],
        data: JSONBody[BillingReasonRequest],
    ) -> AdminBillingView:
        status = admin_money.cancel_subscription(
            admin, parse_public_id("customer", customer_id), data.reason
        )
        return admin_billing(status)

    @post(
        "/{customer_id:str}/billing/refund",
        access=Access.ADMIN,
        body=RefundRequest,
        errors=(
            *STRIPE_REFUSALS,
            "nothing_to_refund",
            "claw_back_exceeds_balance",
            "conflict",
        ),
        limit=Limit.NONE,
        status_code=200,
        summary="Refund the customer's latest Stripe charge, optionally clawing credits back",
    )
    def refund(
        self,
        admin: AdminAuth,
        admin_money: NamedDependency[AdminMoney],
        customer_id: FromPath[str],
        data: JSONBody[RefundRequest],
    ) -> AdminRefund:
        """The claw-back is checked before Stripe is called: past zero it is ``409
        claw_back_exceeds_balance`` and no money moves."""
        uuid = parse_public_id("customer", customer_id)
        pools = tuple(data.pools) if data.pools else None
        done = admin_money.refund(
            admin, uuid, data.amount, data.reason, data.claw_back_credits, pools
        )
        view = admin_billing(done.status)
        return AdminRefund(
            customer_id=view.customer_id,
            refund=view.refunds[-1],
            credits_clawed_back=done.credits_clawed_back,
            billing=view.billing,
        )

    @post(
        "/{customer_id:str}/billing/sync",
        access=Access.ADMIN,
        errors=(*STRIPE_REFUSALS, "conflict"),
        limit=Limit.NONE,
        status_code=200,
        summary="Reconcile the subscription and plan with Stripe's",
    )
    def sync(
        self,
        admin: AdminAuth,
        admin_money: NamedDependency[AdminMoney],
        customer_id: FromPath[str],
    ) -> AdminBillingSync:
        done = admin_money.sync(admin, parse_public_id("customer", customer_id))
        found = done.provider
        return AdminBillingSync(
            customer_id=public_id("customer", done.status.customer.id),
            changed=done.changed,
            provider_subscription=ProviderSubscriptionView(
                subscription_id=found.subscription_id, status=found.status, plan=found.plan
            )
            if found
            else None,
            billing=BillingStatusView.of(done.status),
        )
