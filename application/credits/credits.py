"""The customer's credits as use cases: read the pools, grant credits, and the charge an image
job holds before it runs, commits when it succeeds and rolls back when it fails (decision
0048).

A job's charge is saved *with the job* — the operation that is requested, the picture that
is drawn — in the same transaction: ``hold``, ``settle`` and ``charge`` change the
``CreditAccount`` and hand it back for the caller to save with its own aggregates. So a
refused charge (``credit_insufficient``) leaves no operation behind, and an operation that
ended always settled its charge. Callers run their attempt in the account's ``line``
(``retry_on_conflict(line=...)``), so this process's jobs of one customer take turns on the
account instead of racing it.

Every customer's account is opened on first use with the welcome credits of its plan
(``open_credit_account``) — at registration for new customers, at their first job or read
for those registered before credits existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.shared.ports import Clock
from application.shared.store import EventStore, retry_on_conflict
from domain.accounts.customer import Customer
from domain.credits.credit_account import (
    CreditAccount,
    CreditInsufficient,
    credit_account_id,
    open_credit_account,
)
from domain.credits.prices import price_of
from domain.shared.errors import NotFound
from domain.shared.ids import public_id

PEEK_MAX_AGE = timedelta(seconds=1)
"""How old a copy of the account the usage headers accept (like the plan's entitlements)."""


@dataclass(frozen=True)
class Balance:
    promo: int
    welcome: int
    paid: int
    promo_expires_at: datetime | None

    @property
    def total_spendable(self) -> int:
        return self.promo + self.welcome + self.paid


class Credits:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        *,
        upgrade_url: str,
        enabled: bool = True,
        unmetered: frozenset[UUID] = frozenset(),
    ) -> None:
        """``enabled=False`` charges nothing and sends no credit headers; ``unmetered``
        customers (the product's own demo) are never charged."""
        self._store = store
        self._clock = clock
        self._upgrade_url = upgrade_url
        self._top_up_url = upgrade_url + ("&" if "?" in upgrade_url else "?") + "action=top_up"
        self.enabled = enabled
        self._unmetered = unmetered

    @classmethod
    def off(cls, store: EventStore, clock: Clock) -> Credits:
        """Charges nothing (worlds of tests that do not meter jobs)."""
        return cls(store, clock, upgrade_url="", enabled=False)

    @staticmethod
    def line(customer_id: UUID) -> UUID:
        """The stream a job's attempt writes besides its own: pass to ``retry_on_conflict``."""
        return credit_account_id(customer_id)

    def account(self, customer_id: UUID, *, max_age: timedelta | None = None) -> CreditAccount:
        """The customer's account, opened (not yet saved) when it has none."""
        found = self._store.find(CreditAccount, credit_account_id(customer_id), max_age=max_age)
        if found is not None:
            return found
        customer = self._store.find(Customer, customer_id, max_age=max_age)
        if customer is None:
            raise NotFound("customer", public_id("customer", customer_id))
        return open_credit_account(customer_id, customer.plan, self._clock.now())

    # -- reads ---------------------------------------------------------------------

    def balance(self, customer_id: UUID) -> Balance:
        return self._balance(self.account(customer_id))

    def peek(self, customer_id: UUID) -> Balance | None:
        """The figures for the ``X-Credits-*-Remaining`` headers (``None``: credits off)."""
        if not self.enabled:
            return None
        try:
            return self._balance(self.account(customer_id, max_age=PEEK_MAX_AGE))
        except NotFound:
            return None

    def _balance(self, account: CreditAccount) -> Balance:
        now = self._clock.now()
        figures = account.figures(now)
        expires = account.promo_expires_at
        return Balance(
            promo=figures["promo"],
            welcome=figures["welcome"],
            paid=figures["paid"],
            promo_expires_at=expires if expires is not None and figures["promo"] else None,
        )

    # -- grants --------------------------------------------------------------------

    def grant(
        self,
        customer_id: UUID,
        pool: str,
        amount: int,
        cause: dict[str, Any],
        expires_at: datetime | None = None,
    ) -> Balance:
        """Add ``amount`` credits to ``pool`` because of ``cause`` (``{"source": "stripe",
        "stripe_event_id": ...}``, ``{"source": "admin", "actor": ..., "note": ...}``). Jobs
        waiting for credits are resumed by a follower of the log (``CreditWaiters``)."""

        def attempt() -> CreditAccount:
            account = self.granting(customer_id, pool, amount, cause, expires_at)
            self._store.save(account)
            return account

        return self._balance(retry_on_conflict(attempt, line=self.line(customer_id)))

    def granting(
        self,
        customer_id: UUID,
        pool: str,
        amount: int,
        cause: dict[str, Any],
        expires_at: datetime | None = None,
    ) -> CreditAccount:
        """``grant``'s change, unsaved: for a caller that saves it with a record of its own
        (an operator's adjustment and its audit entry), in the account's ``line``."""
        account = self.account(customer_id)
        account.grant(
            pool=pool,
            amount=amount,
            cause=cause,
            expires_at=expires_at,
            timestamp=self._clock.now(),
        )
        return account

    def debiting(
        self, customer_id: UUID, amount: int, pools: tuple[str, ...], cause: dict[str, Any]
    ) -> tuple[CreditAccount, dict[str, int]]:
        """A claw-back of ``amount`` credits from ``pools`` in that order, unsaved, and what
        each pool gave: never below zero (``claw_back_exceeds_balance``, nothing changed)."""
        account = self.account(customer_id)
        drawn = account.debit(amount=amount, pools=pools, cause=cause, timestamp=self._clock.now())
        return account, drawn

    def figures(self, account: CreditAccount) -> Balance:
        """What ``account``'s pools can pay now."""
        return self._balance(account)

    # -- charges (saved by the caller with its job) ---------------------------------

    def metered(self, customer_id: UUID, job: str) -> bool:
        return self.enabled and customer_id not in self._unmetered and price_of(job) > 0

    def hold(
        self, customer_id: UUID, job: str, authorisation_id: UUID, subject: dict[str, Any]
    ) -> list[CreditAccount]:
        """Authorise ``job``'s price before it runs; what to save with the job (nothing for a
        free job). No pool covers it: ``credit_insufficient`` (402), nothing changed."""
        if not self.metered(customer_id, job):
            return []
        account = self.account(customer_id)
        try:
            account.authorise(
                authorisation_id=authorisation_id,
                job=job,
                amount=price_of(job),
                subject=subject,
                timestamp=self._clock.now(),
            )
        except CreditInsufficient as refusal:
            assert refusal.details is not None
            refusal.details["upgrade_url"] = self._upgrade_url
            refusal.details["top_up_url"] = self._top_up_url
            raise
        return [account]

    def settle(
        self, customer_id: UUID, authorisation_id: UUID, *, succeeded: bool, reason: str = ""
    ) -> list[CreditAccount]:
        """Commit (the job succeeded) or roll back (it failed, was cancelled) the charge held
        under ``authorisation_id``; what to save with the job's end (nothing when no charge is
        held: a free job, an unmetered customer, one settled already)."""
        account = self._store.find(CreditAccount, credit_account_id(customer_id))
        if account is None or authorisation_id.hex not in account.held:
            return []
        now = self._clock.now()
        if succeeded:
            account.commit(authorisation_id=authorisation_id, timestamp=now)
        else:
            account.roll_back(authorisation_id=authorisation_id, reason=reason, timestamp=now)
        return [account]

    def charge(
        self, customer_id: UUID, job: str, charge_id: UUID, subject: dict[str, Any]
    ) -> list[CreditAccount]:
        """A job done inside the request (it cannot fail after it is paid): authorised and
        committed at once, saved with its result."""
        held = self.hold(customer_id, job, charge_id, subject)
        for account in held:
            account.commit(authorisation_id=charge_id, timestamp=self._clock.now())
        return held

    def charge_or_wait(
        self, customer_id: UUID, job: str, charge_id: UUID, subject: dict[str, Any]
    ) -> tuple[bool, list[CreditAccount]]:
        """A job the product starts itself (a new stage's outfit): charged when a pool covers
        it, else recorded as waiting for credits. ``(paid, what to save)``."""
        try:
            return True, self.charge(customer_id, job, charge_id, subject)
        except CreditInsufficient:
            account = self.account(customer_id)
            account.await_credits(job=job, subject=subject, timestamp=self._clock.now())
            return False, [account]
