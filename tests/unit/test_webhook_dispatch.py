"""The webhook fan-out and the worker's side, on an in-memory store with fakes at the edges."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from standardwebhooks import Webhook

from application.integrations.webhook_dispatch import WebhookDispatcher
from application.integrations.webhooks import Webhooks
from application.shared.store import EventStore
from domain.companions.appearance import RenderedImages
from domain.companions.buddy import Buddy
from domain.economy.ledger import Ledger
from domain.integrations.webhook_delivery import AttemptResult, WebhookDelivery
from domain.integrations.webhook_endpoint import WebhookEndpoint, WebhookSubscriptions
from domain.shared.tenancy import Tenant
from infrastructure.integrations.webhook_secrets import SealedWebhookSecrets

TENANT = Tenant(uuid4(), "live")
SCHEDULE = (0, 5, 30, 300, 3600)


class Clock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC)  # signatures are checked against the real time

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class Ids:
    def uuid(self) -> UUID:
        return uuid4()

    def token(self, prefix: str, nbytes: int = 32) -> str:
        return prefix + uuid4().hex


class AnyUrl:
    def check(self, url: str) -> None:
        return None


class Sender:
    def __init__(self) -> None:
        self.answers: list[AttemptResult] = []
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        self.sent.append((url, body, headers))
        return self.answers.pop(0) if self.answers else AttemptResult(status_code=204)


class Queue:
    def __init__(self) -> None:
        self.enqueued: list[tuple[UUID, int, float]] = []

    def enqueue_webhook(self, delivery_id: UUID, attempt: int, delay_seconds: float) -> None:
        self.enqueued.append((delivery_id, attempt, delay_seconds))


class World:
    def __init__(self) -> None:
        self.store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.clock = Clock()
        self.sender = Sender()
        self.queue = Queue()
        self.signing = SealedWebhookSecrets("unit-test-key")
        self.webhooks = Webhooks(
            self.store, self.clock, Ids(), self.signing, AnyUrl(), self.sender, SCHEDULE
        )
        self.dispatcher = WebhookDispatcher(
            self.store, self.clock, self.queue, asset_url=lambda name: f"https://cdn.test/{name}"
        )
        self.position = 0

    def follow(self) -> None:
        """Hand everything recorded since the last call to the dispatcher, like its follower."""
        batch = self.store.notifications_after(self.position, 1000)
        if batch:
            self.dispatcher.react_batch([event for _, event in batch])
            self.position = batch[-1][0]

    def replay(self) -> None:
        self.position = 0
        self.follow()

    def buddy_with_coins(self, tenant: Tenant = TENANT, amount: int = 10) -> Ledger:
        now = self.clock.now()
        buddy = Buddy(
            id=uuid4(),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            user_id="user_1",
            egg_id=uuid4(),
            config_version_id=uuid4(),
            name="Pip",
            correlation_id=None,
            timestamp=now,
        )
        ledger = Ledger(
            id=uuid4(),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            buddy_id=buddy.id,
            token_keys={"primary": "gems", "progression": "xp"},
            timestamp=now,
        )
        self.credit(ledger, amount)
        self.store.save(buddy, ledger)
        return ledger

    def credit(self, ledger: Ledger, amount: int) -> None:
        ledger.credit(
            currency="coins",
            amount=amount,
            reason="rule:x",
            entry_id=uuid4(),
            causation={"event_id": "evt_1"},
            timestamp=self.clock.now(),
        )

    def deliveries(self) -> list[WebhookDelivery]:
        found = []
        for _, event in self.store.notifications_after(0, 10_000):
            if isinstance(event, WebhookDelivery.Scheduled):
                found.append(self.store.load(WebhookDelivery, event.originator_id, "d", ""))
        return found


@pytest.fixture
def world() -> World:
    return World()


def test_one_delivery_per_subscribed_endpoint_and_none_twice(world: World) -> None:
    coins = world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.webhooks.register(TENANT, "https://b.example/h", ["buddy.hatched"], None)
    world.clock.advance(1)
    world.buddy_with_coins()
    world.follow()
    world.replay()
    world.replay()
    (delivery,) = [d for d in world.deliveries() if d.event_name == "coins.earned"]
    assert delivery.endpoint_id == coins.endpoint.id
    hatched = [d for d in world.deliveries() if d.event_name == "buddy.hatched"]
    assert len(hatched) == 1
    world.follow()
    first_attempts = {d for d, n, delay in world.queue.enqueued if n == 1 and delay == 0}
    assert first_attempts == {d.id for d in world.deliveries()}


def test_events_before_an_endpoint_existed_or_of_other_tenants_are_not_its_own(
    world: World,
) -> None:
    world.buddy_with_coins()
    world.clock.advance(1)
    world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.clock.advance(1)
    world.buddy_with_coins(Tenant(uuid4(), "live"))
    world.buddy_with_coins(Tenant(TENANT.customer_id, "test"))
    world.follow()
    assert world.deliveries() == []
    world.buddy_with_coins()
    world.follow()
    assert len(world.deliveries()) == 1


def test_a_tenant_remembered_without_endpoints_is_forgotten_when_it_adds_one(
    world: World,
) -> None:
    ledger = world.buddy_with_coins()
    world.follow()  # the dispatcher now remembers: no subscriptions for this tenant
    world.clock.advance(1)
    world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.clock.advance(1)
    world.credit(ledger, 5)
    world.store.save(ledger)
    world.follow()
    (delivery,) = world.deliveries()
    assert delivery.payload["amount"] == 5 and delivery.payload["balance"] == 15


def test_retries_due_soon_go_to_the_queue_later_ones_wait_for_the_sweeper(world: World) -> None:
    world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.buddy_with_coins()
    world.follow()
    (delivery,) = world.deliveries()
    world.sender.answers = [AttemptResult(status_code=500)] * 4
    for attempt in range(1, 5):
        world.webhooks.deliver(delivery.id, attempt)
    world.follow()
    retries = [(n, delay) for d, n, delay in world.queue.enqueued if d == delivery.id and n > 1]
    assert retries == [(2, 5.0), (3, 30.0), (4, 300.0)], "the 1 h retry is not parked in Redis"
    assert world.store.load(WebhookDelivery, delivery.id, "d", "").next_attempt == 5


def test_hatched_and_evolved_carry_the_pictures_drawn_with_them(world: World) -> None:
    world.webhooks.register(TENANT, "https://a.example/h", ["buddy.hatched", "buddy.evolved"], None)
    world.clock.advance(1)
    now = world.clock.now()
    buddy = Buddy(
        id=uuid4(),
        customer_id=TENANT.customer_id,
        mode=TENANT.mode,
        user_id="user_1",
        egg_id=uuid4(),
        config_version_id=uuid4(),
        name="Pip",
        correlation_id=None,
        timestamp=now,
    )
    buddy.record_appearance(images=RenderedImages("a.svg", "b.svg", "c.svg"), timestamp=now)
    world.store.save(buddy)
    world.clock.advance(1)
    buddy.update_evolution_readiness(ready=True, causation={}, timestamp=world.clock.now())
    buddy.evolve(to_stage=2, operation_id=uuid4(), timestamp=world.clock.now())
    world.store.save(buddy)  # drawing failed this time: no pictures recorded
    world.follow()
    by_event = {d.event_name: d.payload for d in world.deliveries()}
    hatched = by_event["buddy.hatched"]
    assert (hatched["image_url"], hatched["thumb_url"]) == (
        "https://cdn.test/a.svg",
        "https://cdn.test/c.svg",
    )
    assert by_event["buddy.evolved"]["image_url"] is None


def test_a_delivery_is_signed_with_the_endpoints_secret(world: World) -> None:
    issued = world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.buddy_with_coins()
    world.follow()
    (delivery,) = world.deliveries()
    world.webhooks.deliver(delivery.id, 1)
    ((url, body, headers),) = world.sender.sent
    assert url == "https://a.example/h"
    assert Webhook(issued.secret).verify(body, headers)["amount"] == 10
    assert headers["X-Hatched-Delivery"] == delivery.public_id
    assert world.store.load(WebhookDelivery, delivery.id, "d", "").status == "succeeded"


def test_stale_and_duplicate_messages_send_nothing(world: World) -> None:
    world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.buddy_with_coins()
    world.follow()
    (delivery,) = world.deliveries()
    world.webhooks.deliver(delivery.id, 2)
    world.webhooks.deliver(delivery.id, 1)
    world.webhooks.deliver(delivery.id, 1)
    world.webhooks.deliver(uuid4(), 1)
    assert len(world.sender.sent) == 1


def test_gone_disables_the_endpoint_and_stops_new_deliveries(world: World) -> None:
    issued = world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    ledger = world.buddy_with_coins()
    world.follow()
    (delivery,) = world.deliveries()
    world.sender.answers = [AttemptResult(status_code=410)]
    world.webhooks.deliver(delivery.id, 1)
    endpoint = world.store.load(WebhookEndpoint, issued.endpoint.id, "e", "")
    assert endpoint.status == "disabled" and endpoint.disabled_reason == "receiver_gone"
    subs = world.store.load(WebhookSubscriptions, WebhookSubscriptions.id_for(TENANT), "s", "")
    assert subs.subscribers("coins.earned", world.clock.now()) == []
    world.follow()
    world.clock.advance(1)
    world.credit(ledger, 1)
    world.store.save(ledger)
    world.follow()
    assert len(world.deliveries()) == 1


def test_a_deleted_endpoint_abandons_its_pending_deliveries(world: World) -> None:
    issued = world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.buddy_with_coins()
    world.follow()
    world.webhooks.delete(TENANT, issued.endpoint.public_id)
    (delivery,) = world.deliveries()
    world.webhooks.deliver(delivery.id, 1)
    after = world.store.load(WebhookDelivery, delivery.id, "d", "")
    assert after.status == "failed" and after.failure_reason == "endpoint_deleted"
    assert world.sender.sent == []


def test_a_secret_sealed_under_another_key_is_an_attempt_that_failed(world: World) -> None:
    world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.buddy_with_coins()
    world.follow()
    (delivery,) = world.deliveries()
    rekeyed = Webhooks(
        world.store,
        world.clock,
        Ids(),
        SealedWebhookSecrets("a-new-key"),
        AnyUrl(),
        world.sender,
        SCHEDULE,
    )
    rekeyed.deliver(delivery.id, 1)
    after = world.store.load(WebhookDelivery, delivery.id, "d", "")
    assert after.attempt_log[0]["error"] == "secret_unavailable" and world.sender.sent == []


def test_concurrent_twins_of_one_attempt_record_it_once(world: World) -> None:
    world.webhooks.register(TENANT, "https://a.example/h", ["coins.earned"], None)
    world.buddy_with_coins()
    world.follow()
    (delivery,) = world.deliveries()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: world.webhooks.deliver(delivery.id, 1), range(8)))
    after = world.store.load(WebhookDelivery, delivery.id, "d", "")
    assert after.attempts == 1 and len(after.attempt_log) == 1
