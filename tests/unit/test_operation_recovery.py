"""``Operations.run`` after a worker died: the lease it takes, twins, and giving up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.companions.operations import MAX_ATTEMPTS, OperationBusy, Operations
from application.shared.store import EventStore
from domain.companions.operation import Operation

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
LEASE = timedelta(seconds=7)


class Clock:
    def __init__(self) -> None:
        self.moment = T0

    def now(self) -> datetime:
        return self.moment


def setup() -> tuple[EventStore, Clock, Operations]:
    store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    clock = Clock()
    configs: Any = None  # never reached: these operations fail before needing a rulebook
    return store, clock, Operations(store, clock, configs, lease=LEASE)


def evolve_of_a_missing_buddy(store: EventStore) -> UUID:
    operation = Operation(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        type="evolve",
        buddy_id=uuid4(),
        egg_id=None,
        params={"to_stage": 2},
        correlation_id=None,
        timestamp=T0,
    )
    store.save(operation)
    return operation.id


def test_a_run_takes_the_configured_lease() -> None:
    store, _clock, operations = setup()
    operation_id = evolve_of_a_missing_buddy(store)
    operations.run(operation_id)
    started = next(e for e in store.events.get(operation_id) if isinstance(e, Operation.Started))
    assert started.lease_until == T0 + LEASE
    assert store.load(Operation, operation_id, "op", "").status == "failed"


def test_a_live_lease_makes_a_twin_back_off_and_a_finished_one_is_left_alone() -> None:
    store, clock, operations = setup()
    operation_id = evolve_of_a_missing_buddy(store)
    operation = store.load(Operation, operation_id, "op", "")
    operation.start(lease_until=T0 + LEASE, timestamp=T0)
    store.save(operation)
    with pytest.raises(OperationBusy):
        operations.run(operation_id)
    clock.moment = T0 + LEASE + timedelta(seconds=1)
    operations.run(operation_id)
    finished = store.load(Operation, operation_id, "op", "")
    assert finished.status == "failed" and finished.attempts == 2
    version = finished.version
    operations.run(operation_id)
    assert store.load(Operation, operation_id, "op", "").version == version


def test_an_operation_whose_workers_keep_dying_is_failed_after_the_last_attempt() -> None:
    store, clock, operations = setup()
    operation_id = evolve_of_a_missing_buddy(store)
    operation = store.load(Operation, operation_id, "op", "")
    for attempt in range(MAX_ATTEMPTS):
        clock.moment = T0 + attempt * 2 * LEASE
        operation.start(lease_until=clock.moment + LEASE, timestamp=clock.moment)
    store.save(operation)
    clock.moment += 2 * LEASE
    operations.run(operation_id)
    failed = store.load(Operation, operation_id, "op", "")
    assert failed.status == "failed" and failed.attempts == MAX_ATTEMPTS
    assert failed.error == {
        "code": "evolve_failed",
        "message": f"gave up after {MAX_ATTEMPTS} attempts that never finished",
    }
