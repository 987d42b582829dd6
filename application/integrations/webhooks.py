"""Webhook endpoints (``/webhook-configs``) and the worker's side of delivering to them.

Endpoints are managed here; deliveries are created by the ``WebhookDispatcher`` follower of
the event log (``application/integrations/webhook_dispatch.py``), which also hands each due attempt to
the task queue. ``deliver`` is what a worker runs for one attempt. It is safe to run twice:
a delivery that is no longer pending, or whose next attempt is not the one asked for, is
left alone, and recording an attempt races on the delivery's stream version.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.integrations.webhook_payloads import sample_payload
from application.integrations.webhook_signatures import delivery_headers, encode_body
from application.shared.ports import (
    Clock,
    Secrets,
    WebhookSecrets,
    WebhookSender,
    WebhookUrlPolicy,
)
from application.shared.store import EventStore, retry_on_conflict
from domain.integrations.webhook_delivery import AttemptResult, WebhookDelivery
from domain.integrations.webhook_endpoint import (
    TEST_EVENT,
    WEBHOOK_EVENTS,
    EndpointStatus,
    WebhookEndpoint,
    WebhookSubscriptions,
)
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant

log = logging.getLogger("hatched.webhooks")


@dataclass(frozen=True)
class IssuedSecret:
    """An endpoint with its signing secret in clear: shown once, on creation or rotation."""

    endpoint: WebhookEndpoint
    secret: str
    previous_secret_expires_at: datetime | None = None


class Webhooks:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        secrets: Secrets,
        signing: WebhookSecrets,
        url_policy: WebhookUrlPolicy,
        sender: WebhookSender,
        schedule: Sequence[float],
    ) -> None:
        self._store = store
        self._clock = clock
        self._secrets = secrets
        self._signing = signing
        self._url_policy = url_policy
        self._sender = sender
        self._schedule = tuple(schedule)

    # -- endpoints -------------------------------------------------------------------

    def register(
        self, tenant: Tenant, url: str, events: list[str], description: str | None
    ) -> IssuedSecret:
        self._url_policy.check(url)
        secret = self._signing.new_secret()
        sealed = self._signing.seal(secret)

        def attempt() -> WebhookEndpoint:
            now = self._clock.now()
            endpoint = WebhookEndpoint.register(
                id=self._secrets.uuid(),
                customer_id=tenant.customer_id,
                mode=tenant.mode,
                url=url,
                events=events,
                description=description,
                sealed_secret=sealed,
                timestamp=now,
            )
            subscriptions = self._subscriptions(tenant, now)
            subscriptions.track(endpoint, timestamp=now)
            self._store.save(endpoint, subscriptions)
            return endpoint

        return IssuedSecret(retry_on_conflict(attempt), secret)

    def endpoints(self, tenant: Tenant) -> list[WebhookEndpoint]:
        """The tenant's endpoints, newest first."""
        subscriptions = self._store.find(WebhookSubscriptions, WebhookSubscriptions.id_for(tenant))
        if subscriptions is None:
            return []
        ids = list(reversed(subscriptions.endpoint_ids()))
        return [self._store.load(WebhookEndpoint, i, "webhook", str(i)) for i in ids]

    def get(self, tenant: Tenant, webhook_id: str) -> WebhookEndpoint:
        uuid = parse_public_id("webhook", webhook_id)
        endpoint = self._store.load_owned(WebhookEndpoint, uuid, tenant, "webhook", webhook_id)
        if endpoint.deleted:
            raise NotFound("webhook", webhook_id)
        return endpoint

    def update(
        self,
        tenant: Tenant,
        webhook_id: str,
        url: str,
        events: list[str],
        description: str | None,
        status: EndpointStatus | None,
    ) -> WebhookEndpoint:
        self.get(tenant, webhook_id)
        self._url_policy.check(url)

        def change(endpoint: WebhookEndpoint, now: datetime) -> None:
            endpoint.update(
                url=url, events=events, description=description, status=status, timestamp=now
            )

        return self._change(tenant, webhook_id, change)

    def delete(self, tenant: Tenant, webhook_id: str) -> None:
        self._change(tenant, webhook_id, lambda e, now: e.delete(timestamp=now))

    def rotate_secret(self, tenant: Tenant, webhook_id: str) -> IssuedSecret:
        self.get(tenant, webhook_id)
        secret = self._signing.new_secret()
        sealed = self._signing.seal(secret)
        expiries: list[datetime] = []

        def change(endpoint: WebhookEndpoint, now: datetime) -> None:
            expiries.append(endpoint.rotate_secret(sealed_secret=sealed, timestamp=now))

        endpoint = self._change(tenant, webhook_id, change)
        return IssuedSecret(endpoint, secret, expiries[-1])

    def _change(self, tenant: Tenant, webhook_id: str, change: Any) -> WebhookEndpoint:
        def attempt() -> WebhookEndpoint:
            endpoint = self.get(tenant, webhook_id)
            now = self._clock.now()
            change(endpoint, now)
            subscriptions = self._subscriptions(tenant, now)
            subscriptions.track(endpoint, timestamp=now)
            self._store.save(endpoint, subscriptions)
            return endpoint

        return retry_on_conflict(attempt)

    def _subscriptions(self, tenant: Tenant, now: datetime) -> WebhookSubscriptions:
        existing = self._store.find(WebhookSubscriptions, WebhookSubscriptions.id_for(tenant))
        if existing is not None:
            return existing
        return WebhookSubscriptions(
            id=WebhookSubscriptions.id_for(tenant),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            timestamp=now,
        )

    # -- deliveries --------------------------------------------------------------------

    def send_test(self, tenant: Tenant, webhook_id: str, event_name: str | None) -> WebhookDelivery:
        """Queue one attempt of an example event (``webhook.test`` by default), even to a
        disabled endpoint: checking a receiver before enabling it is what a test is for."""
        endpoint = self.get(tenant, webhook_id)
        name = event_name or TEST_EVENT
        if name not in (TEST_EVENT, *WEBHOOK_EVENTS):
            raise DomainError(
                "validation_failed",
                "event: unknown event name",
                {
                    "fields": [{"field": "event", "reason": "unknown event name"}],
                    "known_events": [TEST_EVENT, *WEBHOOK_EVENTS],
                },
            )
        now = self._clock.now()
        delivery = WebhookDelivery(
            id=self._secrets.uuid(),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            endpoint_id=endpoint.id,
            event_name=name,
            payload=sample_payload(name, endpoint.public_id, now),
            source="test",
            single_attempt=True,
            timestamp=now,
        )
        self._store.save(delivery)
        return delivery

    def delivery(self, tenant: Tenant, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        """One delivery of one endpoint; another endpoint's (or tenant's) is not found."""
        endpoint = self.get(tenant, webhook_id)
        uuid = parse_public_id("webhook_delivery", delivery_id)
        delivery = self._store.load_owned(
            WebhookDelivery, uuid, tenant, "webhook delivery", delivery_id
        )
        if delivery.endpoint_id != endpoint.id:
            raise NotFound("webhook delivery", delivery_id)
        return delivery

    def redeliver(
        self, tenant: Tenant, webhook_id: str, delivery_id: str, actor: str
    ) -> WebhookDelivery:
        def attempt() -> WebhookDelivery:
            delivery = self.delivery(tenant, webhook_id, delivery_id)
            delivery.redeliver(actor=actor, timestamp=self._clock.now())
            self._store.save(delivery)
            return delivery

        return retry_on_conflict(attempt)

    # -- the worker's side -------------------------------------------------------------

    def deliver(self, delivery_id: UUID, attempt: int) -> None:
        """Make attempt ``attempt`` of a delivery and record what the receiver answered."""
        delivery = self._store.find(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending" or delivery.next_attempt != attempt:
            return
        endpoint = self._store.find(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None or endpoint.deleted:
            self._abandon(delivery_id, "endpoint_deleted")
            return
        if endpoint.status == "disabled" and not delivery.manual:
            self._abandon(delivery_id, "endpoint_disabled")
            return
        started = self._clock.now()
        result = self._send(delivery, endpoint, attempt, started)
        self._record(delivery_id, attempt, result, started)

    def _send(
        self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, attempt: int, now: datetime
    ) -> AttemptResult:
        try:
            secrets = [self._signing.unseal(s) for s in endpoint.sealed_secrets(now)]
        except ValueError:
            log.error(
                "cannot unseal the secret of %s: was HATCHED_SECRET_KEY changed?", endpoint.id
            )
            return AttemptResult(error="secret_unavailable")
        body = encode_body(delivery.payload)
        headers = delivery_headers(
            delivery_id=delivery.public_id,
            event_name=delivery.event_name,
            attempt=attempt,
            timestamp=int(now.timestamp()),
            body=body,
            secrets=secrets,
        )
        return self._sender.send(endpoint.url, body, headers)

    def _record(
        self, delivery_id: UUID, number: int, result: AttemptResult, started: datetime
    ) -> None:
        def attempt() -> None:
            delivery = self._delivery(delivery_id)
            if delivery.status != "pending" or delivery.next_attempt != number:
                return  # a twin of this message recorded it first
            delivery.record_attempt(
                number=number,
                result=result,
                schedule=self._schedule,
                started_at=started,
                timestamp=self._clock.now(),
            )
            changed: list[Any] = [delivery]
            if result.gone:
                changed.extend(self._disabled_by_receiver(delivery.endpoint_id))
            self._store.save(*changed)

        retry_on_conflict(attempt)

    def _disabled_by_receiver(self, endpoint_id: UUID) -> list[Any]:
        """A ``410 Gone`` disables the endpoint, in the same transaction as the attempt."""
        endpoint = self._store.find(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.deleted:
            return []
        now = self._clock.now()
        endpoint.disable(reason="receiver_gone", timestamp=now)
        tenant = Tenant(endpoint.customer_id, endpoint.mode)
        subscriptions = self._subscriptions(tenant, now)
        subscriptions.track(endpoint, timestamp=now)
        return [endpoint, subscriptions]

    def _abandon(self, delivery_id: UUID, reason: str) -> None:
        def attempt() -> None:
            delivery = self._delivery(delivery_id)
            if delivery.status != "pending":
                return
            delivery.abandon(reason=reason, timestamp=self._clock.now())
            self._store.save(delivery)

        retry_on_conflict(attempt)

    def _delivery(self, delivery_id: UUID) -> WebhookDelivery:
        public = public_id("webhook_delivery", delivery_id)
        return self._store.load(WebhookDelivery, delivery_id, "webhook delivery", public)
