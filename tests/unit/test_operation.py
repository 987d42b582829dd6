from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from domain.companions.operation import OPERATION_STATUSES, Operation
from domain.shared.errors import InvalidStateTransition

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def request(kind: str = "hatch", **overrides: Any) -> Operation:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "customer_id": uuid4(),
        "mode": "test",
        "type": kind,
        "buddy_id": None if kind == "hatch" else uuid4(),
        "egg_id": uuid4() if kind == "hatch" else None,
        "params": {"items": ["hat"]} if kind == "equip_item" else {},
        "correlation_id": None,
        "timestamp": T0,
    }
    fields.update(overrides)
    return Operation(**fields)


def operation_in(status: str) -> Operation:
    operation = request()
    if status in ("processing", "completed", "failed"):
        operation.start(lease_until=at(300), timestamp=at(1))
    if status == "completed":
        operation.complete(result={"buddy_id": "bdy_1"}, timestamp=at(2))
    if status == "failed":
        operation.fail(code="hatch_failed", message="render failed", timestamp=at(2))
    if status == "cancelled":
        operation.cancel(timestamp=at(1))
    assert operation.status == status
    return operation


@pytest.mark.parametrize("kind", ["hatch", "evolve", "equip_item"])
def test_a_new_operation_is_pending(kind: str) -> None:
    operation = request(kind)
    assert operation.type == kind
    assert operation.status == "pending"
    assert operation.attempts == 0
    assert operation.lease_until is None and operation.result is None and operation.error is None
    assert not operation.is_terminal
    assert operation.created_on == T0
    assert operation.public_id == "op_" + operation.id.hex


def test_a_hatch_names_its_egg_and_other_operations_their_buddy() -> None:
    with pytest.raises(ValueError):
        request("hatch", egg_id=None)
    with pytest.raises(ValueError):
        request("evolve", buddy_id=None)
    with pytest.raises(ValueError):
        request("equip_item", buddy_id=None)
    with pytest.raises(ValueError):
        request("rerender", buddy_id=uuid4())


def test_start_takes_a_lease_and_counts_the_attempt() -> None:
    operation = request()
    assert operation.start(lease_until=at(300), timestamp=at(1)) == 1
    assert operation.status == "processing"
    assert operation.attempts == 1
    assert operation.lease_until == at(300)
    assert operation.started_at == at(1)
    assert operation.modified_on == at(1)


def test_a_running_lease_keeps_others_out() -> None:
    operation = operation_in("processing")
    for moment in (at(2), at(300)):  # the lease ends at 300 s: still held at that instant
        with pytest.raises(InvalidStateTransition) as raised:
            operation.start(lease_until=moment + LEASE, timestamp=moment)
        assert raised.value.details == {
            "current_status": "processing",
            "requested_status": "processing",
            "lease_until": at(300),
            "attempts": 1,
        }
    assert operation.attempts == 1 and operation.lease_until == at(300)


def test_an_expired_lease_lets_another_worker_start_again() -> None:
    operation = operation_in("processing")
    assert operation.lease_expired(at(301))
    assert not operation.lease_expired(at(299))
    assert operation.start(lease_until=at(601), timestamp=at(301)) == 2
    assert (operation.status, operation.attempts, operation.lease_until) == (
        "processing",
        2,
        at(601),
    )
    assert operation.started_at == at(1)  # the first start
    assert operation.start(lease_until=at(1000), timestamp=at(700)) == 3
    assert operation.attempts == 3


def test_an_expected_attempt_number_must_match() -> None:
    operation = request()
    with pytest.raises(InvalidStateTransition):
        operation.start(lease_until=at(300), timestamp=at(1), attempt=2)
    assert operation.status == "pending"
    assert operation.start(lease_until=at(300), timestamp=at(1), attempt=1) == 1
    with pytest.raises(InvalidStateTransition):
        operation.start(lease_until=at(700), timestamp=at(400), attempt=1)  # someone beat us
    assert operation.start(lease_until=at(700), timestamp=at(400), attempt=2) == 2


def test_a_lease_must_end_in_the_future() -> None:
    operation = request()
    with pytest.raises(ValueError):
        operation.start(lease_until=at(1), timestamp=at(1))
    assert operation.status == "pending"


def test_complete_records_the_result_and_ends_the_lease() -> None:
    operation = operation_in("processing")
    operation.complete(result={"buddy_id": "bdy_42"}, timestamp=at(9))
    assert operation.status == "completed"
    assert operation.result == {"buddy_id": "bdy_42"}
    assert operation.lease_until is None and operation.finished_at == at(9)
    assert operation.is_terminal and not operation.lease_expired(at(10_000))


def test_fail_records_the_error() -> None:
    operation = operation_in("processing")
    operation.fail(code="render_failed", message="renderer crashed", timestamp=at(9))
    assert operation.status == "failed"
    assert operation.error == {"code": "render_failed", "message": "renderer crashed"}
    assert operation.result is None and operation.lease_until is None
    assert operation.finished_at == at(9)


def test_a_worker_whose_lease_expired_may_still_finish() -> None:
    operation = operation_in("processing")
    operation.complete(result={"ok": True}, timestamp=at(900))
    assert operation.status == "completed"


def test_a_pending_operation_can_be_cancelled() -> None:
    operation = request()
    operation.cancel(timestamp=at(4))
    assert operation.status == "cancelled" and operation.finished_at == at(4)


def test_completing_again_with_the_same_result_is_a_no_op() -> None:
    operation = operation_in("completed")
    operation.collect_events()
    operation.complete(result={"buddy_id": "bdy_1"}, timestamp=at(50))
    assert operation.collect_events() == []
    assert operation.finished_at == at(2)


def test_failing_again_with_the_same_error_is_a_no_op() -> None:
    operation = operation_in("failed")
    operation.collect_events()
    operation.fail(code="hatch_failed", message="render failed", timestamp=at(50))
    assert operation.collect_events() == []


@pytest.mark.parametrize(
    "status, command, wanted",
    [
        ("pending", "complete", "completed"),
        ("pending", "fail", "failed"),
        ("processing", "cancel", "cancelled"),
        ("completed", "start", "processing"),
        ("completed", "complete", "completed"),  # a different result
        ("completed", "fail", "failed"),
        ("completed", "cancel", "cancelled"),
        ("failed", "start", "processing"),
        ("failed", "complete", "completed"),
        ("failed", "fail", "failed"),  # a different error
        ("failed", "cancel", "cancelled"),
        ("cancelled", "start", "processing"),
        ("cancelled", "complete", "completed"),
        ("cancelled", "fail", "failed"),
        ("cancelled", "cancel", "cancelled"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(
    status: str, command: str, wanted: str
) -> None:
    operation = operation_in(status)
    operation.collect_events()
    before = dict(operation.__dict__)
    moment = at(10_000)  # long after any lease
    arguments: dict[str, Any] = {"timestamp": moment}
    if command == "start":
        arguments["lease_until"] = moment + LEASE
    if command == "complete":
        arguments["result"] = {"buddy_id": "bdy_other"}
    if command == "fail":
        arguments.update(code="evolve_failed", message="another reason")
    with pytest.raises(InvalidStateTransition) as raised:
        getattr(operation, command)(**arguments)
    assert raised.value.code == "invalid_state_transition"
    assert raised.value.details == {"current_status": status, "requested_status": wanted}
    assert operation.__dict__ == before
    assert operation.collect_events() == []


def test_the_event_names() -> None:
    operation = request()
    operation.start(lease_until=at(300), timestamp=at(1))
    operation.start(lease_until=at(700), timestamp=at(400))
    operation.fail(code="hatch_failed", message="x", timestamp=at(500))
    kinds = [type(e) for e in operation.collect_events()]
    assert kinds == [Operation.Requested, Operation.Started, Operation.Started, Operation.Failed]
    assert [type(e) for e in operation_in("cancelled").collect_events()] == [
        Operation.Requested,
        Operation.Cancelled,
    ]


@pytest.mark.parametrize("status", OPERATION_STATUSES)
def test_replaying_the_events_rebuilds_the_same_operation(status: str) -> None:
    operation = operation_in(status)
    rebuilt = None
    for stored in operation.collect_events():
        rebuilt = stored.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.__dict__ == operation.__dict__


def test_an_operation_saved_and_loaded_through_an_event_store_is_equal() -> None:
    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    operation = request("equip_item", params={"equip": ["hat", "scarf"], "unequip": []})
    operation.start(lease_until=at(300), timestamp=at(1))
    operation.start(lease_until=at(700), timestamp=at(400))
    operation.complete(result={"equipped": ["hat", "scarf"]}, timestamp=at(500))
    app.save(operation)
    assert app.repository.get(operation.id).__dict__ == operation.__dict__
