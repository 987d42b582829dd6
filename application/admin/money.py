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
from application.billing.billing import Billing
from application.credits.credits import Balance, Credits
from application.shared.ports import Clock
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
    ) -> None:
        self._store = store
        self._clock = clock
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
