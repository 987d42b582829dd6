"""Turns the event log into webhook deliveries and due attempts, as a follower of the log.

For a domain event that has a webhook form (``application/integrations/webhook_payloads.py``) it creates
one ``WebhookDelivery`` per endpoint of the tenant subscribed to it; the delivery id derives
from (endpoint, source event), so a replayed follower creates none twice. It takes the log a
follower batch at a time and writes the batch's deliveries together: one transaction per
delivery would cap fan-out at a few dozen events a second. For the
deliveries' own events it enqueues the attempt that is due: the first one when a delivery is
scheduled, the next one when an attempt failed, one more on a redelivery. Nothing is ever
enqueued by the request that caused it, so a crash between "saved" and "enqueued" loses
nothing: the follower's position has not moved and the work is redone.

For ``buddy.hatched`` and ``buddy.evolved`` it adds the URLs of the pictures the operation
drew in the same transaction (the buddy's next recorded pictures at the same instant).

A retry due later than ``max_queued_delay`` is not handed to the broker (a message held for
hours is one a restarted Redis loses); the sweeper (``application/shared/sweeper.py``) enqueues it
when it falls due.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError

from application.integrations.webhook_payloads import (
    PICTURED_EVENTS,
    SOURCE_EVENTS,
    Origin,
    origin_of,
    webhook_event,
)
from application.shared.ports import Clock, WebhookQueue
from application.shared.store import EventStore
from domain.companions.buddy import Buddy
from domain.economy.ledger import Ledger
from domain.integrations.webhook_delivery import WebhookDelivery, delivery_id_for
from domain.integrations.webhook_endpoint import WebhookSubscriptions

ORIGIN_CACHE_SIZE = 50_000
SUBSCRIPTIONS_CACHE_SIZE = 10_000
MAX_QUEUED_DELAY = timedelta(minutes=10)
PICTURE_LOOKAHEAD = 4
SAVE_CHUNK = 200


class _Lru(OrderedDict[UUID, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def remember(self, key: UUID, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self._size:
            self.popitem(last=False)
        return value


class WebhookDispatcher:
    name = "webhook_dispatcher"

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        queue: WebhookQueue,
        asset_url: Callable[[str], str | None] = lambda name: None,
        max_queued_delay: timedelta = MAX_QUEUED_DELAY,
    ) -> None:
        self._store = store
        self._clock = clock
        self._queue = queue
        self._asset_url = asset_url
        self._max_queued_delay = max_queued_delay
        self._origins = _Lru(ORIGIN_CACHE_SIZE)
        # Subscriptions by their stream id; ``None`` remembers a tenant without any. An entry
        # is dropped when the log shows a change to it, which reaches this follower after the
        # load that filled it (the load saw every change committed before it).
        self._subscriptions = _Lru(SUBSCRIPTIONS_CACHE_SIZE)

    def react(self, event: DomainEvent) -> None:
        self.react_batch([event])

    def react_batch(self, events: list[DomainEvent]) -> None:
        """React to a follower's batch; the deliveries it makes are written together."""
        scheduled: list[WebhookDelivery] = []
        for event in events:
            if isinstance(event, WebhookSubscriptions.Event):
                self._subscriptions.pop(event.originator_id, None)
            elif isinstance(event, WebhookDelivery.Scheduled):
                self._queue.enqueue_webhook(event.originator_id, 1, 0.0)
            elif isinstance(event, WebhookDelivery.RedeliveryRequested):
                self._queue.enqueue_webhook(event.originator_id, event.attempt, 0.0)
            elif isinstance(event, WebhookDelivery.AttemptRecorded):
                self._enqueue_retry(event)
            elif isinstance(event, SOURCE_EVENTS):
                scheduled.extend(self._deliveries_for(event))
        self._save(scheduled)

    def _enqueue_retry(self, event: WebhookDelivery.AttemptRecorded) -> None:
        if event.next_attempt_at is None:
            return
        delay = event.next_attempt_at - self._clock.now()
        if delay <= self._max_queued_delay:
            seconds = max(delay.total_seconds(), 0.0)
            self._queue.enqueue_webhook(event.originator_id, event.number + 1, seconds)

    def _deliveries_for(self, event: DomainEvent) -> list[WebhookDelivery]:
        origin = self._origin(event.originator_id)
        if origin is None:
            return []
        subscriptions = self._subscriptions_of(origin)
        if subscriptions is None:
            return []
        built = webhook_event(event, origin, self._pictures(event))
        if built is None:
            return []
        name, payload = built
        source = f"{event.originator_id.hex}:{event.originator_version}"
        return [
            WebhookDelivery(
                id=delivery_id_for(endpoint_id, source, name),
                customer_id=origin.tenant.customer_id,
                mode=origin.tenant.mode,
                endpoint_id=endpoint_id,
                event_name=name,
                payload=payload,
                source=source,
                single_attempt=False,
                timestamp=self._clock.now(),
            )
            for endpoint_id in subscriptions.subscribers(name, event.timestamp)
        ]

    def _save(self, deliveries: list[WebhookDelivery]) -> None:
        """In chunks, one transaction each; a chunk holding one that was scheduled before
        (a batch handed over again after a crash) is saved one by one, skipping those."""
        for start in range(0, len(deliveries), SAVE_CHUNK):
            chunk = deliveries[start : start + SAVE_CHUNK]
            try:
                self._store.save(*chunk)
            except IntegrityError:
                for delivery in chunk:
                    try:
                        self._store.save(delivery)
                    except IntegrityError:
                        continue

    def _pictures(self, event: DomainEvent) -> dict[str, str | None] | None:
        if not isinstance(event, PICTURED_EVENTS):
            return None
        following: list[Any] = list(
            self._store.events.get(
                event.originator_id, gt=event.originator_version, limit=PICTURE_LOOKAHEAD
            )
        )
        for later in following:
            if later.timestamp != event.timestamp:
                break
            if isinstance(later, Buddy.AppearanceRendered):
                return {
                    "image_url": self._asset_url(later.image),
                    "thumb_url": self._asset_url(later.thumb),
                }
        return None

    def _origin(self, stream_id: UUID) -> Origin | None:
        if stream_id in self._origins:
            origin: Origin | None = self._origins[stream_id]
            return origin
        first = self._first_event(stream_id)
        buddy_first = None
        if isinstance(first, Ledger.Opened):
            buddy_first = self._first_event(first.buddy_id)
        return self._origins.remember(stream_id, origin_of(first, buddy_first))  # type: ignore[no-any-return]

    def _first_event(self, stream_id: UUID) -> Any:
        return next(iter(self._store.events.get(stream_id, lte=1)), None)

    def _subscriptions_of(self, origin: Origin) -> WebhookSubscriptions | None:
        stream_id = WebhookSubscriptions.id_for(origin.tenant)
        if stream_id in self._subscriptions:
            cached: WebhookSubscriptions | None = self._subscriptions[stream_id]
            return cached
        found = self._store.find(WebhookSubscriptions, stream_id)
        return self._subscriptions.remember(stream_id, found)  # type: ignore[no-any-return]
