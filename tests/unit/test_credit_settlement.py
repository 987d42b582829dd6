"""A job's credit charge ends with its operation: rolled back when it fails, is cancelled, or
its workers keep dying (the sweeper's re-enqueued attempts run out), committed only on success."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from application.companions.operations import MAX_ATTEMPTS, Operations
from application.credits.credits import Credits
from application.shared.store import EventStore
from domain.companions.operation import Operation
from domain.credits.credit_account import CreditAccount, credit_account_id, open_credit_account
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
LEASE = timedelta(seconds=7)


class Clock:
    def __init__(self) -> None:
        self.moment = T0

    def now(self) -> datetime:
        return self.moment


def world() -> tuple[EventStore, Clock, Operations, Credits, UUID]:
    store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    clock = Clock()
    credits = Credits(store, clock, upgrade_url="https://example.com/billing")
    customer = uuid4()
    store.save(open_credit_account(customer, "starter", T0))
    configs: Any = None  # never reached: these operations fail before needing a rulebook
    return (
        store,
        clock,
        Operations(store, clock, configs, lease=LEASE, credits=credits),
        credits,
        customer,
    )


def held_equip(store: EventStore, credits: Credits, customer: UUID) -> UUID:
    """An equip of a buddy that does not exist (its run fails), its credit held."""
    operation = Operation(
        id=uuid4(),
        customer_id=customer,
        mode="live",
        type="equip_item",
        buddy_id=uuid4(),
        egg_id=None,
        params={"item_ids": []},
        correlation_id=None,
        timestamp=T0,
    )
    held = credits.hold(
        customer, "equip_composite", operation.id, {"operation_id": operation.id.hex}
    )
    store.save(operation, *held)
    return operation.id


def account(store: EventStore, customer: UUID) -> CreditAccount:
    return store.load(CreditAccount, credit_account_id(customer), "credits", "")


def test_a_failed_job_rolls_its_charge_back_in_the_same_transaction() -> None:
    store, _clock, operations, credits, customer = world()
    operation_id = held_equip(store, credits, customer)
    assert credits.balance(customer).welcome == 19
    operations.run(operation_id)
    assert store.load(Operation, operation_id, "op", "").status == "failed"
    assert credits.balance(customer).welcome == 20
    assert account(store, customer).held == {}
    rolled = [
        e
        for e in store.events.get(credit_account_id(customer))
        if isinstance(e, CreditAccount.RolledBack)
    ]
    assert [(e.authorisation_id, e.pool, e.amount) for e in rolled] == [
        (operation_id, "welcome", 1)
    ]


def test_a_cancelled_job_rolls_its_charge_back() -> None:
    store, _clock, operations, credits, customer = world()
    operation_id = held_equip(store, credits, customer)
    operations.cancel(Tenant(customer, "live"), public_id("operation", operation_id))
    assert credits.balance(customer).welcome == 20
    assert account(store, customer).held == {}


def test_a_job_whose_workers_keep_dying_is_rolled_back_when_its_attempts_run_out() -> None:
    store, clock, operations, credits, customer = world()
    operation_id = held_equip(store, credits, customer)
    for attempt in range(MAX_ATTEMPTS):
        operation = store.load(Operation, operation_id, "op", "")
        operation.start(lease_until=clock.moment + LEASE, timestamp=clock.moment)
        store.save(operation)  # ... and the worker dies
        clock.moment += LEASE + timedelta(seconds=1)
        assert credits.balance(customer).welcome == 19, f"released after attempt {attempt}"
    operations.run(operation_id)  # what the sweeper's re-enqueued message runs
    assert store.load(Operation, operation_id, "op", "").status == "failed"
    assert credits.balance(customer).welcome == 20


def test_settling_a_settled_charge_changes_nothing() -> None:
    store, _clock, operations, credits, customer = world()
    operation_id = held_equip(store, credits, customer)
    operations.run(operation_id)
    version = account(store, customer).version
    assert credits.settle(customer, operation_id, succeeded=True) == []
    assert account(store, customer).version == version
