"""A customer's credits: three pools, and the charges held against them.

One ``CreditAccount`` stream per customer (its id derives from the customer's), for live
and test data alike: credits are the account's money, like its plan and its event quota.

* **Pools**, spent in ``SPEND_ORDER``: ``promo`` (bonus credits of a top-up, until
  ``promo_expires_at``), ``welcome`` (given once at sign-up, never expire), ``paid`` (top-ups
  and the plan's monthly grant). Every credit that enters a pool is a ``Granted`` fact with
  its cause.
* **A charge** is authorised before its job runs: the first pool in the order that alone
  covers the price pays all of it (a job is never split between pools), and the amount leaves
  the pool at once (``Authorised``), so nothing can spend it twice. The job's success
  ``Committed``s the charge; its failure or cancellation ``RolledBack``s it, and the amount
  goes back to the pool it came from. When no single pool covers the price, ``authorise``
  refuses with ``credit_insufficient`` and records nothing.
* **A render waiting for credits** (a job the product starts on its own, that must not fail
  for want of credits) is ``JobAwaitingCredits``; it stops waiting when a charge for the
  same subject is authorised.

* **A claw-back** (an operator's negative adjustment, a refund's) takes credits back out of
  the pools, in an order the operator chooses, each pool drawn recorded as ``Debited`` with
  its cause; it never takes more than a pool holds (``claw_back_exceeds_balance``, nothing
  recorded), and never touches a held charge.

So a pool is never negative: it only loses what ``authorise`` and ``debit`` checked it
holds, and gains back only what it lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError
from domain.shared.ids import natural_id

Pool = Literal["promo", "welcome", "paid"]
SPEND_ORDER: Final[tuple[Pool, ...]] = ("promo", "welcome", "paid")
WELCOME_CREDITS: Final[dict[str, int]] = {"starter": 20}
"""Welcome credits a new account gets once, by its plan (reference §20: Free only)."""
MAX_GRANT = 1_000_000_000
"""The most one grant may add (a guard against a typo of an operator, not a business rule)."""


def credit_account_id(customer_id: UUID) -> UUID:
    return natural_id("credit_account", customer_id.hex)


class CreditInsufficient(DomainError):
    """402: no single pool covers the job. Details carry the figures (reference §3)."""

    def __init__(self, job: str, required: int, pools: dict[str, int]) -> None:
        available = sum(pools.values())
        message = f"Not enough credits for this AI job (need {required}, have {available})."
        if available >= required:
            message += " A job is paid from one pool and none holds enough on its own."
        super().__init__(
            "credit_insufficient",
            message,
            {"job": job, "required": required, "available": available, **pools},
        )


def _check_amount(amount: int) -> None:
    """What one grant or claw-back may move: 1 to ``MAX_GRANT`` credits (not a bool)."""
    if isinstance(amount, bool) or not 1 <= amount <= MAX_GRANT:
        raise DomainError(
            "validation_failed",
            f"amount should be between 1 and {MAX_GRANT}",
            {"fields": [{"field": "amount", "reason": "out of range"}]},
        )


class CreditAccount(Aggregate):
    class Opened(Aggregate.Created):
        customer_id: UUID

    @event(Opened)
    def __init__(self, *, id: UUID, customer_id: UUID, timestamp: datetime) -> None:
        self.customer_id = customer_id
        self.pools: dict[str, int] = {pool: 0 for pool in SPEND_ORDER}
        self.promo_expires_at: datetime | None = None
        self.held: dict[str, dict[str, Any]] = {}
        """Authorised charges not yet committed or rolled back, by authorisation id (hex)."""
        self.waiting: dict[str, dict[str, Any]] = {}
        """Jobs waiting for credits, by subject (a buddy's id, hex), oldest first."""

    # Reads ---------------------------------------------------------------------------

    def spendable(self, pool: str, now: datetime) -> int:
        """What ``pool`` can pay now (expired promo credits pay nothing)."""
        if pool == "promo" and self.promo_expires_at is not None and now >= self.promo_expires_at:
            return 0
        return self.pools[pool]

    def figures(self, now: datetime) -> dict[str, int]:
        return {pool: self.spendable(pool, now) for pool in SPEND_ORDER}

    def total_spendable(self, now: datetime) -> int:
        return sum(self.figures(now).values())

    def pool_for(self, amount: int, now: datetime) -> Pool | None:
        """The pool that pays a job of ``amount``: the first in the order covering it alone."""
        for pool in SPEND_ORDER:
            if self.spendable(pool, now) >= amount:
                return pool
        return None

    # Commands ------------------------------------------------------------------------

    def grant(
        self,
        *,
        pool: str,
        amount: int,
        cause: dict[str, Any],
        timestamp: datetime,
        expires_at: datetime | None = None,
    ) -> None:
        """Add ``amount`` credits to ``pool`` because of ``cause`` (a welcome, a Stripe invoice,
        an operator's adjustment). Promo credits may carry when they expire."""
        if pool not in SPEND_ORDER:
            raise DomainError(
                "validation_failed",
                f"pool should be one of {', '.join(SPEND_ORDER)}",
                {"fields": [{"field": "pool", "reason": "unknown pool"}]},
            )
        _check_amount(amount)
        if expires_at is not None and pool != "promo":
            raise DomainError(
                "validation_failed",
                "only promo credits expire",
                {"fields": [{"field": "expires_at", "reason": "only for the promo pool"}]},
            )
        self._granted(
            pool=pool, amount=amount, cause=cause, expires_at=expires_at, timestamp=timestamp
        )

    def authorise(
        self,
        *,
        authorisation_id: UUID,
        job: str,
        amount: int,
        subject: dict[str, Any],
        timestamp: datetime,
    ) -> str:
        """Hold ``amount`` for ``job`` on the first pool covering it; return that pool.

        ``subject`` says what the charge is for (the operation, the buddy, the mode).
        Authorising an id already held returns its pool and records nothing (a retried
        request). No pool covers it: ``credit_insufficient``, nothing recorded."""
        if amount < 1:
            raise ValueError("a charge is at least one credit; free jobs are not authorised")
        held = self.held.get(authorisation_id.hex)
        if held is not None:
            return str(held["pool"])
        pool = self.pool_for(amount, timestamp)
        if pool is None:
            raise CreditInsufficient(job, amount, self.figures(timestamp))
        self._authorised(
            authorisation_id=authorisation_id,
            job=job,
            pool=pool,
            amount=amount,
            subject=dict(subject),
            timestamp=timestamp,
        )
        return pool

    def commit(self, *, authorisation_id: UUID, timestamp: datetime) -> bool:
        """The job succeeded: the held charge is spent. ``False`` (nothing recorded) when
        no charge is held under that id (a free job, or one settled already)."""
        held = self.held.get(authorisation_id.hex)
        if held is None:
            return False
        self._committed(
            authorisation_id=authorisation_id,
            job=held["job"],
            pool=held["pool"],
            amount=held["amount"],
            subject=held["subject"],
            timestamp=timestamp,
        )
        return True

    def roll_back(self, *, authorisation_id: UUID, reason: str, timestamp: datetime) -> bool:
        """The job failed or was cancelled: the held amount goes back to its pool. ``False``
        (nothing recorded) when no charge is held under that id."""
        held = self.held.get(authorisation_id.hex)
        if held is None:
            return False
        self._rolled_back(
            authorisation_id=authorisation_id,
            job=held["job"],
            pool=held["pool"],
            amount=held["amount"],
            subject=held["subject"],
            reason=reason,
            timestamp=timestamp,
        )
        return True

    def await_credits(self, *, job: str, subject: dict[str, Any], timestamp: datetime) -> None:
        """A job the product starts itself could not be paid: it waits for a grant.
        ``subject["buddy_id"]`` (hex) names what waits; waiting twice records nothing."""
        key = str(subject["buddy_id"])
        if key in self.waiting:
            return
        self._job_awaiting_credits(job=job, subject=dict(subject), timestamp=timestamp)

    def debit(
        self,
        *,
        amount: int,
        pools: tuple[str, ...],
        cause: dict[str, Any],
        timestamp: datetime,
    ) -> dict[str, int]:
        """Take ``amount`` credits back from ``pools``, drawn in that order, each down to
        zero at most; return what each pool gave. Together they must hold ``amount`` (expired
        promo credits hold nothing): otherwise ``claw_back_exceeds_balance`` and nothing is
        recorded. Held charges are not in the pools, so a claw-back never touches them."""
        unknown = [pool for pool in pools if pool not in SPEND_ORDER]
        if unknown or not pools or len(set(pools)) != len(pools):
            raise DomainError(
                "validation_failed",
                f"pools should be distinct names among {', '.join(SPEND_ORDER)}",
                {"fields": [{"field": "pools", "reason": "unknown or repeated pool"}]},
            )
        _check_amount(amount)
        available = {pool: self.spendable(pool, timestamp) for pool in pools}
        if sum(available.values()) < amount:
            raise DomainError(
                "claw_back_exceeds_balance",
                f"cannot take back {amount} credits: {', '.join(pools)} hold "
                f"{sum(available.values())} (a pool never goes below zero)",
                {"requested": amount, "available": sum(available.values()), "pools": available},
            )
        drawn: dict[str, int] = {}
        left = amount
        for pool in pools:
            take = min(left, available[pool])
            if take:
                self._debited(pool=pool, amount=take, cause=cause, timestamp=timestamp)
                drawn[pool] = take
                left -= take
        return drawn

    # Events --------------------------------------------------------------------------

    class Granted(Aggregate.Event):
        pool: str
        amount: int
        cause: dict[str, Any]
        expires_at: datetime | None

    @event(Granted)
    def _granted(
        self,
        *,
        pool: str,
        amount: int,
        cause: dict[str, Any],
        expires_at: datetime | None,
        timestamp: datetime,
    ) -> None:
        self.pools[pool] += amount
        if expires_at is not None and (
            self.promo_expires_at is None or expires_at > self.promo_expires_at
        ):
            self.promo_expires_at = expires_at

    class Debited(Aggregate.Event):
        """Credits taken back out of ``pool`` (a claw-back), because of ``cause``."""

        pool: str
        amount: int
        cause: dict[str, Any]

    @event(Debited)
    def _debited(
        self, *, pool: str, amount: int, cause: dict[str, Any], timestamp: datetime
    ) -> None:
        self.pools[pool] -= amount

    class Authorised(Aggregate.Event):
        authorisation_id: UUID
        job: str
        pool: str
        amount: int
        subject: dict[str, Any]

    @event(Authorised)
    def _authorised(
        self,
        *,
        authorisation_id: UUID,
        job: str,
        pool: str,
        amount: int,
        subject: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self.pools[pool] -= amount
        self.held[authorisation_id.hex] = {
            "job": job,
            "pool": pool,
            "amount": amount,
            "subject": dict(subject),
        }
        buddy = subject.get("buddy_id")
        if buddy is not None:
            self.waiting.pop(str(buddy), None)

    class Committed(Aggregate.Event):
        authorisation_id: UUID
        job: str
        pool: str
        amount: int
        subject: dict[str, Any]

    @event(Committed)
    def _committed(
        self,
        *,
        authorisation_id: UUID,
        job: str,
        pool: str,
        amount: int,
        subject: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        del self.held[authorisation_id.hex]

    class RolledBack(Aggregate.Event):
        authorisation_id: UUID
        job: str
        pool: str
        amount: int
        subject: dict[str, Any]
        reason: str

    @event(RolledBack)
    def _rolled_back(
        self,
        *,
        authorisation_id: UUID,
        job: str,
        pool: str,
        amount: int,
        subject: dict[str, Any],
        reason: str,
        timestamp: datetime,
    ) -> None:
        del self.held[authorisation_id.hex]
        self.pools[pool] += amount

    class JobAwaitingCredits(Aggregate.Event):
        job: str
        subject: dict[str, Any]

    @event(JobAwaitingCredits)
    def _job_awaiting_credits(
        self, *, job: str, subject: dict[str, Any], timestamp: datetime
    ) -> None:
        self.waiting[str(subject["buddy_id"])] = {
            "job": job,
            "subject": dict(subject),
            "since": timestamp,
        }


def open_credit_account(customer_id: UUID, plan: str, timestamp: datetime) -> CreditAccount:
    """A customer's new account, with the welcome credits of ``plan`` (unsaved)."""
    account = CreditAccount(
        id=credit_account_id(customer_id), customer_id=customer_id, timestamp=timestamp
    )
    welcome = WELCOME_CREDITS.get(plan, 0)
    if welcome:
        account.grant(
            pool="welcome",
            amount=welcome,
            cause={"source": "welcome", "plan": plan},
            timestamp=timestamp,
        )
    return account
