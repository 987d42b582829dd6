"""The sweeper re-enqueues exactly the work whose message may be lost, and not twice in a row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.shared.store import EventStore
from application.shared.sweeper import Sweeper
from domain.companions.operation import Operation
from domain.integrations.webhook_delivery import AttemptResult, WebhookDelivery

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
GRACE = timedelta(seconds=60)


class Clock:
    def __init__(self) -> None:
        self.moment = T0

    def now(self) -> datetime:
        return self.moment


class Candidates:
    """Plays the views: hands out every id it was given, whatever its state."""

    def __init__(self) -> None:
        self.operations: list[UUID] = []
        self.deliveries: list[UUID] = []
        self.asked: list[datetime] = []

    def stalled_operations(self, before: datetime, limit: int) -> list[UUID]:
        self.asked.append(before)
        return list(self.operations)

    def overdue_deliveries(self, before: datetime, limit: int) -> list[UUID]:
        return list(self.deliveries)


class Queue:
    def __init__(self) -> None:
        self.operations: list[UUID] = []
        self.webhooks: list[tuple[UUID, int]] = []

    def enqueue_operation(self, operation_id: UUID) -> None:
        self.operations.append(operation_id)

    def enqueue_webhook(self, delivery_id: UUID, attempt: int, delay_seconds: float) -> None:
        self.webhooks.append((delivery_id, attempt))


def setup() -> tuple[EventStore, Clock, Candidates, Queue, Sweeper]:
    store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    clock, candidates, queue = Clock(), Candidates(), Queue()
    return store, clock, candidates, queue, Sweeper(store, clock, candidates, queue, queue, GRACE)


def operation(store: EventStore, status: str, lease_seconds: float = 30) -> UUID:
    op = Operation(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        type="evolve",
        buddy_id=uuid4(),
        egg_id=None,
        params={"to_stage": 2},
        correlation_id=None,
        timestamp=T0 - timedelta(minutes=10),
    )
    if status != "pending":
        started = T0 - timedelta(minutes=5)
        op.start(lease_until=started + timedelta(seconds=lease_seconds), timestamp=started)
    if status == "completed":
        op.complete(result={}, timestamp=T0 - timedelta(minutes=4))
    store.save(op)
    return op.id


def delivery(store: EventStore, *, due_in: float, status: str = "pending") -> UUID:
    scheduled = T0 - timedelta(minutes=10)
    d = WebhookDelivery(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        endpoint_id=uuid4(),
        event_name="coins.earned",
        payload={},
        source="s:1",
        single_attempt=False,
        timestamp=scheduled,
    )
    result = AttemptResult(status_code=200 if status == "succeeded" else 500)
    d.record_attempt(
        number=1,
        result=result,
        schedule=(0, 600 + due_in),
        started_at=scheduled,
        timestamp=scheduled,
    )
    store.save(d)
    return d.id


def test_pending_and_abandoned_operations_are_enqueued_again() -> None:
    store, _clock, candidates, queue, sweeper = setup()
    pending = operation(store, "pending")
    lost = operation(store, "processing", lease_seconds=30)
    busy = operation(store, "processing", lease_seconds=3600)
    done = operation(store, "completed")
    candidates.operations = [pending, lost, busy, done, uuid4()]
    swept = sweeper.sweep()
    assert sorted(queue.operations) == sorted([pending, lost])
    assert swept.operations == 2
    assert candidates.asked == [T0 - GRACE]


def test_overdue_deliveries_are_enqueued_for_their_next_attempt() -> None:
    store, _clock, candidates, queue, sweeper = setup()
    overdue = delivery(store, due_in=-120)
    not_yet = delivery(store, due_in=+30)
    finished = delivery(store, due_in=-120, status="succeeded")
    candidates.deliveries = [overdue, not_yet, finished]
    assert sweeper.sweep().deliveries == 1
    assert queue.webhooks == [(overdue, 2)]


def test_an_item_is_not_nudged_again_within_the_grace_period() -> None:
    store, clock, candidates, queue, sweeper = setup()
    candidates.operations = [operation(store, "pending")]
    candidates.deliveries = [delivery(store, due_in=-120)]
    sweeper.sweep()
    clock.moment += GRACE / 2
    sweeper.sweep()
    assert len(queue.operations) == len(queue.webhooks) == 1
    clock.moment += GRACE
    sweeper.sweep()
    assert len(queue.operations) == len(queue.webhooks) == 2
