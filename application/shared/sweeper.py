"""Re-enqueues work whose message may be gone, so no operation or delivery waits forever.

A message can disappear after the log says the work is wanted: a Redis restarted without
persistence drops its queues, a worker killed with ``kill -9`` holds a message until the
broker notices, a retry due in hours is deliberately not parked in the broker. The log and
the views still know, so every ``interval`` the sweeper asks the views for work that should
have moved more than ``grace`` ago and re-checks each item on its aggregate:

* an operation still ``pending``, or ``processing`` with its lease expired (its worker died
  mid-job), is enqueued again; ``Operations.run`` takes a new lease and finishes it;
* a webhook delivery still ``pending`` and overdue is enqueued for its next attempt.

Handlers are idempotent, so a message that was not lost after all (a long backlog) only
costs a duplicate that does nothing. An item nudged once is not nudged again within
``grace``, so a backlog does not snowball.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.shared.ports import Clock, StalledWork, TaskQueue, WebhookQueue
from application.shared.store import EventStore
from domain.companions.operation import Operation
from domain.integrations.webhook_delivery import WebhookDelivery

log = logging.getLogger("hatched.sweeper")

BATCH = 500


@dataclass(frozen=True)
class Swept:
    operations: int
    deliveries: int


class Sweeper:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        stalled: StalledWork,
        operations: TaskQueue,
        webhooks: WebhookQueue,
        grace: timedelta,
    ) -> None:
        self._store = store
        self._clock = clock
        self._stalled = stalled
        self._operations = operations
        self._webhooks = webhooks
        self._grace = grace
        self._nudged: dict[UUID, datetime] = {}

    def sweep(self) -> Swept:
        now = self._clock.now()
        before = now - self._grace
        self._nudged = {k: at for k, at in self._nudged.items() if at > before}
        operations = 0
        for operation_id in self._stalled.stalled_operations(before, BATCH):
            operation = self._store.find(Operation, operation_id)
            if operation is None or operation.is_terminal or operation_id in self._nudged:
                continue
            if operation.status == "processing" and not operation.lease_expired(now):
                continue
            self._operations.enqueue_operation(operation_id)
            self._nudged[operation_id] = now
            operations += 1
        deliveries = 0
        for delivery_id in self._stalled.overdue_deliveries(before, BATCH):
            delivery = self._store.find(WebhookDelivery, delivery_id)
            if delivery is None or delivery.status != "pending" or delivery_id in self._nudged:
                continue
            if delivery.next_attempt_at is None or delivery.next_attempt_at > before:
                continue
            self._webhooks.enqueue_webhook(delivery_id, delivery.next_attempt, 0.0)
            self._nudged[delivery_id] = now
            deliveries += 1
        if operations or deliveries:
            log.info("re-enqueued %d operations and %d webhook attempts", operations, deliveries)
        return Swept(operations, deliveries)
