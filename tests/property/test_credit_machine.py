"""Grants, authorisations, commits and roll-backs on one customer's credits against a model,
through the ``Credits`` use cases and a store.

Whatever the order: no pool is ever negative; a job is charged to exactly one pool, the
first in promo → welcome → paid that covers its whole price, and only when one does (else
``credit_insufficient`` and nothing is recorded); a roll-back returns the amount to the
pool it came from; a commit changes no pool; a claw-back (``debit``, decision 0053) takes
from the named pools in the order given, each down to zero at most, never touches a held
charge, and when those pools hold less than asked is ``claw_back_exceeds_balance`` and
records nothing; and the account rebuilt from its stored events equals the one in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from application.credits.credits import Credits
from application.shared.store import EventStore
from domain.credits.credit_account import (
    SPEND_ORDER,
    CreditAccount,
    credit_account_id,
    open_credit_account,
)
from domain.credits.prices import JOB_PRICES, JOBS
from domain.shared.errors import DomainError

PAID_JOBS = [job for job in JOBS if JOB_PRICES[job] > 0]


class StepClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 4, 8, tzinfo=UTC)

    def now(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


class CreditMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.clock = StepClock()
        self.customer_id = uuid4()
        self.store.save(open_credit_account(self.customer_id, "starter", self.clock.now()))
        self.credits = Credits(self.store, self.clock, upgrade_url="https://example.com/billing")
        self.pools = {"promo": 0, "welcome": 20, "paid": 0}
        self.held: dict[UUID, tuple[str, int]] = {}
        self.refusals = 0
        self.debited = 0

    def account(self) -> CreditAccount:
        account = self.store.find(CreditAccount, credit_account_id(self.customer_id))
        assert account is not None
        return account

    @rule(pool=st.sampled_from(SPEND_ORDER), amount=st.integers(min_value=1, max_value=5))
    def grant(self, pool: str, amount: int) -> None:
        self.credits.grant(self.customer_id, pool, amount, {"source": "test"})
        self.pools[pool] += amount

    @rule(pool=st.sampled_from(SPEND_ORDER), amount=st.integers(max_value=0))
    def grant_nothing(self, pool: str, amount: int) -> None:
        version = self.account().version
        try:
            self.credits.grant(self.customer_id, pool, amount, {"source": "test"})
        except DomainError as refusal:
            assert refusal.code == "validation_failed"
        else:
            raise AssertionError("a grant of no credits was accepted")
        assert self.account().version == version

    @rule(job=st.sampled_from(PAID_JOBS))
    def authorise(self, job: str) -> None:
        price = JOB_PRICES[job]
        authorisation = uuid4()
        version = self.account().version
        expected = next((p for p in SPEND_ORDER if self.pools[p] >= price), None)
        try:
            saved = self.credits.hold(
                self.customer_id, job, authorisation, {"operation_id": authorisation.hex}
            )
        except DomainError as refusal:
            assert refusal.code == "credit_insufficient"
            assert expected is None
            assert refusal.details is not None
            assert refusal.details["required"] == price
            assert refusal.details["available"] == sum(self.pools.values())
            assert {p: refusal.details[p] for p in SPEND_ORDER} == self.pools
            assert self.account().version == version, "a refusal recorded something"
            self.refusals += 1
            return
        assert expected is not None, "authorised although no single pool covers the price"
        self.store.save(*saved)
        self.pools[expected] -= price
        self.held[authorisation] = (expected, price)
        charged = self.account().held[authorisation.hex]
        assert (charged["pool"], charged["amount"]) == (expected, price)

    @rule(
        pools=st.lists(st.sampled_from(SPEND_ORDER), min_size=1, max_size=3, unique=True),
        amount=st.integers(min_value=1, max_value=12),
    )
    def debit(self, pools: list[str], amount: int) -> None:
        version = self.account().version
        held = dict(self.account().held)
        available = sum(self.pools[p] for p in pools)
        try:
            account, drawn = self.credits.debiting(
                self.customer_id, amount, tuple(pools), {"source": "test", "reason": "claw"}
            )
        except DomainError as refusal:
            assert refusal.code == "claw_back_exceeds_balance"
            assert available < amount, "refused although the pools held enough"
            assert refusal.details == {
                "requested": amount,
                "available": available,
                "pools": {p: self.pools[p] for p in pools},
            }
            assert self.account().version == version, "a refused claw-back recorded something"
            return
        assert available >= amount, "took more than the pools held"
        self.store.save(account)
        expected: dict[str, int] = {}
        left = amount
        for pool in pools:  # drawn in the order given, each down to zero at most
            take = min(left, self.pools[pool])
            if take:
                expected[pool] = take
                left -= take
        assert drawn == expected
        for pool, take in drawn.items():
            self.pools[pool] -= take
        self.debited += amount
        assert self.account().held == held, "a claw-back touched a held charge"

    @precondition(lambda self: bool(self.held))
    @rule(data=st.data(), succeeded=st.booleans())
    def settle(self, data: st.DataObject, succeeded: bool) -> None:
        authorisation = data.draw(st.sampled_from(sorted(self.held)))
        saved = self.credits.settle(
            self.customer_id, authorisation, succeeded=succeeded, reason="failed"
        )
        self.store.save(*saved)
        pool, amount = self.held.pop(authorisation)
        if not succeeded:
            self.pools[pool] += amount
        # settling twice changes nothing
        assert self.credits.settle(self.customer_id, authorisation, succeeded=False) == []

    @invariant()
    def pools_match_the_model_and_are_never_negative(self) -> None:
        account = self.account()
        assert all(amount >= 0 for amount in account.pools.values())
        assert account.pools == self.pools
        assert set(account.held) == {a.hex for a in self.held}

    @invariant()
    def the_account_rebuilds_from_its_events(self) -> None:
        events = list(self.store.events.get(credit_account_id(self.customer_id)))
        rebuilt = None
        for stored in events:
            rebuilt = stored.mutate(rebuilt)
        assert isinstance(rebuilt, CreditAccount)
        assert rebuilt.pools == self.account().pools
        assert rebuilt.held == self.account().held

    @invariant()
    def every_credit_is_accounted_for(self) -> None:
        """Granted = in the pools + held + committed + clawed back (the facts add up)."""
        granted = committed = debited = 0
        for stored in self.store.events.get(credit_account_id(self.customer_id)):
            if isinstance(stored, CreditAccount.Granted):
                granted += stored.amount
            elif isinstance(stored, CreditAccount.Committed):
                committed += stored.amount
            elif isinstance(stored, CreditAccount.Debited):
                debited += stored.amount
        assert debited == self.debited
        held = sum(amount for _, amount in self.held.values())
        assert granted == sum(self.pools.values()) + held + committed + debited


CreditMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestCredits = CreditMachine.TestCase
