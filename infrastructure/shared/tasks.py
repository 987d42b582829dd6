"""Background work on dramatiq: Redis in production, an in-process broker and worker otherwise.

Messages carry only an operation id; the actor reloads everything, so a message delivered
twice (dramatiq delivers at least once) does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import UUID

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, TimeLimit

from infrastructure.shared.settings import Settings
from infrastructure.shared.worker_heartbeats import WorkerHeartbeats

log = logging.getLogger("hatched.tasks")

OPERATIONS_QUEUE = "hatched-operations"
WEBHOOKS_QUEUE = "hatched-webhooks"
WEBHOOK_MAX_RETRIES = 5
"""Retries of a webhook *task* that crashed (say, the database was away); the receiver's
failures are not crashes: they are recorded and retried on the webhook schedule."""
WEBHOOK_TIME_LIMIT_MS = 60_000
MAX_RETRIES = 8
MIN_BACKOFF_MS = 200
MAX_BACKOFF_MS = 60_000
TIME_LIMIT_MS = 120_000


def build_broker(settings: Settings) -> dramatiq.Broker:
    middleware = [AgeLimit(), TimeLimit(), Callbacks(), Pipelines(), Retries()]
    if settings.redis_url:
        return RedisBroker(  # type: ignore[no-untyped-call]
            url=settings.redis_url, middleware=middleware, namespace=settings.redis_namespace
        )
    return StubBroker(middleware=middleware)


class TaskQueue:
    """Declares the actors on a broker and enqueues work for them."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        run_operation: Callable[[UUID], None],
        deliver_webhook: Callable[[UUID, int], None] | None = None,
        retry_later: tuple[type[Exception], ...] = (),
        heartbeats: WorkerHeartbeats | None = None,
    ) -> None:
        """``retry_later``: what ``run_operation`` raises when another worker is on it: the
        message is retried after the backoff, logged at info, never as an error."""
        self.broker = broker
        expected = retry_later
        self.heartbeats = heartbeats

        def run_operation_message(operation_id: str) -> None:
            try:
                run_operation(UUID(operation_id))
            except expected as busy:
                raise dramatiq.Retry(f"{type(busy).__name__}: {busy}") from None

        self._run_operation = dramatiq.actor(
            actor_name="run_operation",
            queue_name=OPERATIONS_QUEUE,
            broker=broker,
            max_retries=MAX_RETRIES,
            min_backoff=MIN_BACKOFF_MS,
            max_backoff=MAX_BACKOFF_MS,
            time_limit=TIME_LIMIT_MS,
        )(run_operation_message)

        self._deliver_webhook: dramatiq.Actor[[str, int], None] | None = None
        if deliver_webhook is not None:
            deliver = deliver_webhook

            def deliver_webhook_message(delivery_id: str, attempt: int) -> None:
                deliver(UUID(delivery_id), attempt)

            self._deliver_webhook = dramatiq.actor(
                actor_name="deliver_webhook",
                queue_name=WEBHOOKS_QUEUE,
                broker=broker,
                max_retries=WEBHOOK_MAX_RETRIES,
                min_backoff=MIN_BACKOFF_MS,
                max_backoff=MAX_BACKOFF_MS,
                time_limit=WEBHOOK_TIME_LIMIT_MS,
            )(deliver_webhook_message)
        self._worker: dramatiq.Worker | None = None

    def enqueue_operation(self, operation_id: UUID) -> None:
        self._run_operation.send(str(operation_id))

    def enqueue_webhook(self, delivery_id: UUID, attempt: int, delay_seconds: float) -> None:
        """Attempt ``attempt`` of a delivery, after ``delay_seconds`` (dramatiq's delay)."""
        if self._deliver_webhook is None:
            raise RuntimeError("this task queue was built without a webhook deliverer")
        delay = int(delay_seconds * 1000) or None
        self._deliver_webhook.send_with_options(args=(str(delivery_id), attempt), delay=delay)

    def start_worker(self, threads: int = 2) -> None:
        """Run consumers in this process (the embedded default, and `hatched worker`)."""
        self._worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)
        self._worker.start()
        if self.heartbeats is not None:
            self.heartbeats.start(threads)

    def stop_worker(self) -> None:
        if self.heartbeats is not None:
            self.heartbeats.stop()
        if self._worker is not None:
            self._worker.stop(timeout=10_000)
            self._worker = None
        self.broker.close()
