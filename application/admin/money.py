"""What an admin does to a customer's money: adjust its credits (a grant, or a claw-back that
never takes a pool below zero), and its Stripe billing — cancel the subscription, refund the
latest charge (optionally clawing credits back), reconcile what we hold with Stripe
(decision 0053). Every write is an audited act saved with what it changed (``audit.py``).

A call to the payment provider happens at most once per act: a retry after a lost race
reuses its answer, so Stripe never sees one admin request twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from application.accounts.accounts import Accounts
from application.admin.audit import AdminCaller, Auditor, Change, Target
from application.billing.billing import PURCHASABLE, Billing, BillingStatus
from application.credits.credits import Balance, Credits
from application.shared.ports import Clock, ProviderRefund, ProviderSubscription, Secrets
from application.shared.store import EventStore
from domain.accounts.customer import Customer
from domain.billing.billing_account import BillingAccount
from domain.credits.credit_account import SPEND_ORDER, CreditAccount
from domain.shared.errors import DomainError
from domain.shared.ids import public_id

DEFAULT_GRANT_POOL: Final = "paid"
"""Where an operator's grant goes unless it names a pool: the pool that never expires and
is not the one-off welcome."""


@dataclass(frozen=True)
class Adjustment:
    balance: Balance
    amount: int
    pools: dict[str, int]
    """What each pool gained (a grant) or gave (a claw-back, as negative figures)."""


@dataclass(frozen=True)
class Refund:
    status: BillingStatus
    refund: ProviderRefund
    credits_clawed_back: dict[str, int]


@dataclass(frozen=True)
class Sync:
    status: BillingStatus
    provider: ProviderSubscription | None
    changed: bool


LIVE_STATUSES: Final = frozenset({"active", "trialing", "past_due"})
"""A provider subscription in one of these still pays for its plan."""


def _target(customer_id: UUID) -> Target:
    return Target("customer", public_id("customer", customer_id))


def _figures(balance: Balance) -> dict[str, int]:
    return {"promo": balance.promo, "welcome": balance.welcome, "paid": balance.paid}


def billing_fields(customer: Customer, account: BillingAccount | None) -> dict[str, Any]:
    """The admin-visible billing fields an act reads and leaves (its audit record)."""
    return {
        "plan": customer.plan,
        "event_quota": customer.event_quota,
        "subscription_id": account.subscription_id if account else None,
        "subscription_status": account.subscription_status if account else "none",
        "subscription_plan": account.subscription_plan if account else None,
    }


class AdminMoney:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        accounts: Accounts,
        credits: Credits,
        billing: Billing,
        auditor: Auditor,
        secrets: Secrets,
    ) -> None:
        self._store = store
        self._clock = clock
        self._secrets = secrets
        self._accounts = accounts
        self._credits = credits
        self._billing = billing
        self._audit = auditor

    # -- credits ----------------------------------------------------------------

    def balance(self, customer_id: UUID) -> tuple[Balance, int]:
        """What each pool can pay now, and the credits held by jobs still running."""
        self._accounts.customer(customer_id)
        account = self._credits.account(customer_id)
        held = sum(int(charge["amount"]) for charge in account.held.values())
        return self._credits.figures(account), held

    def adjust(
        self,
        caller: AdminCaller,
        customer_id: UUID,
        amount: int,
        reason: str,
        pools: tuple[str, ...] | None,
    ) -> Adjustment:
        """A positive ``amount`` is a grant into the one named pool (``paid`` by default,
        through ``Credits.granting``: the one way credits enter); a negative one a claw-back
        from ``pools`` in that order (the spend order by default), refused whole when they
        hold less (``claw_back_exceeds_balance``). Zero is not an adjustment."""
        cause = self._cause(caller, reason)

        def attempt() -> Change[Adjustment]:
            self._accounts.customer(customer_id)
            before = _figures(self._credits.balance(customer_id))
            account, moved = self._move(customer_id, amount, pools, cause)
            balance = self._credits.figures(account)
            after = {**_figures(balance), "amount": amount, "reason": reason}
            return Change(Adjustment(balance, amount, moved), before, after, [account])

        return self._audit.act(
            caller,
            "customer.credits.adjust",
            _target(customer_id),
            "operator",
            attempt,
            line=Credits.line(customer_id),
        )

    def _move(
        self,
        customer_id: UUID,
        amount: int,
        pools: tuple[str, ...] | None,
        cause: dict[str, Any],
    ) -> tuple[CreditAccount, dict[str, int]]:
        if amount > 0:
            named = pools or (DEFAULT_GRANT_POOL,)
            if len(named) != 1:
                raise DomainError(
                    "validation_failed",
                    "a grant goes into one pool: name it with `pool`",
                    {"fields": [{"field": "pools", "reason": "a grant names one pool"}]},
                )
            account = self._credits.granting(customer_id, named[0], amount, cause)
            return account, {named[0]: amount}
        if amount == 0:
            raise DomainError(
                "validation_failed",
                "amount should not be 0: positive grants, negative claws back",
                {"fields": [{"field": "amount", "reason": "zero"}]},
            )
        account, drawn = self._credits.debiting(customer_id, -amount, pools or SPEND_ORDER, cause)
        return account, {pool: -taken for pool, taken in drawn.items()}

    @staticmethod
    def _cause(caller: AdminCaller, reason: str) -> dict[str, Any]:
        return {
            "source": "admin",
            "actor": public_id("admin_user", caller.admin_id),
            "request_id": caller.request_id,
            "reason": reason,
        }

    # -- billing ----------------------------------------------------------------

    def _billing_account(self, customer_id: UUID) -> BillingAccount | None:
        return self._store.find(BillingAccount, BillingAccount.id_for(customer_id))

    def _require_billing_account(self, customer_id: UUID) -> BillingAccount:
        account = self._billing_account(customer_id)
        if account is None:
            raise DomainError(
                "no_billing_customer",
                "this customer has no customer at the payment provider (it never checked out)",
            )
        return account

    def _status(self, customer: Customer, account: BillingAccount | None) -> BillingStatus:
        return BillingStatus(customer, account, self._billing.provider.configured)

    def cancel_subscription(
        self, caller: AdminCaller, customer_id: UUID, reason: str
    ) -> BillingStatus:
        """End the customer's subscription at the provider now, and here in the same act:
        the customer goes back to ``starter`` (the provider's later deletion event finds it
        ended and changes nothing)."""
        cause = {**self._cause(caller, reason), "by": "admin"}
        answered: list[ProviderSubscription] = []

        def attempt() -> Change[BillingStatus]:
            customer = self._accounts.customer(customer_id)
            self._billing.require_provider()
            account = self._require_billing_account(customer_id)
            before = billing_fields(customer, account)
            changed: list[Any] = []
            if account.subscription_status == "active":
                if not answered:
                    assert account.subscription_id is not None
                    answered.append(
                        self._billing.provider.cancel_subscription(
                            subscription_id=account.subscription_id
                        )
                    )
                changed = self._billing.subscription_ended(
                    customer, account, _reference(caller, "cancel"), cause
                )
            elif not answered:
                raise DomainError(
                    "invalid_state_transition",
                    "this customer has no active subscription to cancel",
                    {
                        "current_status": account.subscription_status,
                        "requested_status": "canceled",
                    },
                )
            after = billing_fields(customer, account)
            return Change(self._status(customer, account), before, after, changed)

        return self._audit.act(
            caller,
            "customer.billing.cancel_subscription",
            _target(customer_id),
            "operator",
            attempt,
            line=customer_id,
        )

    def refund(
        self,
        caller: AdminCaller,
        customer_id: UUID,
        amount: int | None,
        reason: str,
        claw_back: int | None,
        pools: tuple[str, ...] | None,
    ) -> Refund:
        """Refund the customer's latest charge at the provider (all of it, or ``amount``
        cents), recorded on its billing account, and optionally claw ``claw_back`` credits
        back in the same save. The claw-back is checked before the provider is called: past
        zero, ``claw_back_exceeds_balance`` and nothing happens anywhere."""
        cause = self._cause(caller, reason)
        refunded: list[ProviderRefund] = []
        # One key per act, ours: the provider answers a repeated key with the refund it made
        # for it, so a key a client can choose (its X-Request-Id) would turn a second refund
        # into the first one, recorded twice.
        provider_key = f"admin:refund:{self._secrets.uuid().hex}"

        def attempt() -> Change[Refund]:
            if pools is not None and claw_back is None:
                raise DomainError(
                    "validation_failed",
                    "`pools` orders a claw-back: send `claw_back_credits` with it",
                    {"fields": [{"field": "pools", "reason": "given without claw_back_credits"}]},
                )
            customer = self._accounts.customer(customer_id)
            self._billing.require_provider()
            account = self._require_billing_account(customer_id)
            changed: list[Any] = [account]
            drawn: dict[str, int] = {}
            before: dict[str, Any] = {"refunds": len(account.refunds)}
            if claw_back is not None:
                take = claw_back
                if refunded:  # the money is back already: take what a race left
                    held = self._credits.account(customer_id)
                    now = self._clock.now()
                    take = min(take, sum(held.spendable(p, now) for p in pools or SPEND_ORDER))
                if take:
                    before |= _figures(self._credits.balance(customer_id))
                    credit_account, drawn = self._credits.debiting(
                        customer_id, take, pools or SPEND_ORDER, cause
                    )
                    changed.append(credit_account)
            if not refunded:
                refunded.append(
                    self._billing.provider.refund_latest_charge(
                        provider_customer_id=account.provider_customer_id,
                        amount=amount,
                        idempotency_key=provider_key,
                    )
                )
            made = refunded[0]
            account.record_refund(
                refund_id=made.refund_id,
                charge_id=made.charge_id,
                amount=made.amount,
                currency=made.currency,
                status=made.status,
                cause=cause,
                timestamp=self._clock.now(),
            )
            after = {
                "refunds": len(account.refunds),
                "refund_id": made.refund_id,
                "charge_id": made.charge_id,
                "amount": made.amount,
                "currency": made.currency,
                "reason": reason,
                "credits_clawed_back": drawn,
            }
            status = self._status(customer, account)
            return Change(Refund(status, made, drawn), before, after, changed)

        return self._audit.act(
            caller,
            "customer.billing.refund",
            _target(customer_id),
            "operator",
            attempt,
            line=Credits.line(customer_id),
        )

    def sync(self, caller: AdminCaller, customer_id: UUID) -> Sync:
        """Reconcile the billing account and the plan with the provider's newest
        subscription: a live one on a plan we sell is the current one (the plan follows);
        none live ends ours (back to ``starter``). A missed or lost webhook is repaired."""
        seen: list[ProviderSubscription | None] = []

        def attempt() -> Change[Sync]:
            customer = self._accounts.customer(customer_id)
            self._billing.require_provider()
            account = self._require_billing_account(customer_id)
            if not seen:
                seen.append(
                    self._billing.provider.latest_subscription(
                        provider_customer_id=account.provider_customer_id
                    )
                )
            found = seen[0]
            before = billing_fields(customer, account)
            cause = {**self._cause(caller, "sync"), "by": "admin"}
            reference = _reference(caller, "sync")
            changed: list[Any] = []
            live = found is not None and found.status in LIVE_STATUSES
            if live and found is not None and found.plan in PURCHASABLE:
                assert found.plan is not None
                current = (
                    account.subscription_id,
                    account.subscription_status,
                    account.subscription_plan,
                )
                if current != (found.subscription_id, "active", found.plan) or (
                    customer.plan,
                    customer.event_quota,
                ) != (found.plan, None):
                    changed = self._billing.subscription_started(
                        customer, account, found.subscription_id, found.plan, reference, cause
                    )
            elif not live and account.subscription_status == "active":
                changed = self._billing.subscription_ended(customer, account, reference, cause)
            after = billing_fields(customer, account)
            return Change(
                Sync(self._status(customer, account), found, bool(changed)),
                before,
                after,
                changed,
            )

        return self._audit.act(
            caller,
            "customer.billing.sync",
            _target(customer_id),
            "operator",
            attempt,
            line=customer_id,
        )


def _reference(caller: AdminCaller, act: str) -> str:
    """What names an operator's act where a provider event id would be."""
    return f"admin:{act}:{caller.request_id or caller.admin_id.hex}"
