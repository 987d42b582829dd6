"""Issue 11 item 1: strings the event store accepted but a view's text column cannot hold
(NUL above all, on PostgreSQL) must not stop the read models of every tenant.

The poison goes in through the application services, below HTTP (whose edge refuses NUL
now), as a log written before that refusal holds it. Decision 0016.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from application.ingestion.ingestion import EventInput
from domain.shared.tenancy import Tenant
from infrastructure.persistence.parked_events import ParkedEvents
from infrastructure.persistence.rebuild import Rebuilder
from infrastructure.persistence.view_text import MARK
from infrastructure.shared.settings import Settings
from interfaces.container import Container, build_container
from interfaces.http.app import create_app
from interfaces.http.consistency import VIEW_LAG_HEADER
from projections.analytics.leaderboard import LEADERBOARD_BUDDIES
from projections.companions.buddies import BUDDIES
from projections.companions.eggs import EGGS
from projections.ingestion.event_log import EVENTS
from projections.registry import all_projections
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, hatch_buddy, send_event
from tests.receiver import Receiver
from tests.waiting import eventually

USER = "user\x00one"
EVENT_ID = "evt\x00\x01one"
NAME = f"Pip\x00{MARK}py"
ODD_TYPE = "odd\x00type"
EGG_USER = "egg\x00user"
LISTS = (
    "/api/v1/eggs",
    "/api/v1/buddies",
    "/api/v1/events",
    "/api/v1/operations",
    "/api/v1/analytics",
)
"""Every list the other tenant reads, each waiting for its view (``read_your_writes``)."""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, webhook_allow_private=True, webhook_retry_schedule=(0.0,))


def tenant_of(account: Account) -> Tenant:
    return Tenant(UUID(hex=account.customer_id.rsplit("_", 1)[-1]), "live")


def poison(container: Container, tenant: Tenant) -> str:
    """An egg, a hatched buddy, a renamed buddy and an ingested event whose strings hold NUL
    (and the view encoding's own mark); returns the buddy's id."""
    container.eggs.lay(tenant, EGG_USER, {}, None, False)
    egg, _ = container.eggs.lay(tenant, USER, {"note": "a\x00b"}, None, False)
    container.eggs.set_status(tenant, egg.public_id, "ready")
    operation = container.eggs.hatch(tenant, egg.public_id)

    def hatched() -> str:
        done = container.operations.get(tenant, operation.public_id)
        assert done.status == "completed" and done.result is not None, done.status
        return str(done.result["buddy_id"])

    buddy_id = eventually(hatched)
    container.buddies.rename(tenant, buddy_id, NAME)
    container.ingestion.ingest(
        tenant, EventInput(event_id=EVENT_ID, user_id=USER, type="lesson_completed")
    )
    container.ingestion.ingest(tenant, EventInput(event_id="evt-2", user_id=USER, type=ODD_TYPE))
    return buddy_id


def lists_are_current(client: TestClient, account: Account) -> dict[str, Any]:  # type: ignore[type-arg]
    """Every list of ``account``, each answered within the read bound (no lag header)."""
    bodies = {}
    for path in LISTS:
        response = client.get(path, headers=account.headers())
        assert response.status_code == 200, response.text
        assert VIEW_LAG_HEADER not in response.headers, (path, response.headers)
        bodies[path] = response.json()
    return bodies


def assert_poison_stored_as_written(container: Container, tenant: Tenant) -> None:
    scope = {"customer_id": tenant.customer_id.hex, "mode": tenant.mode}
    eggs = container.views.rows(EGGS.name, scope)
    assert {row["user_id"] for row in eggs} == {EGG_USER, USER}
    assert container.views.rows(EGGS.name, {**scope, "user_id": EGG_USER})[0]["user_id"] == EGG_USER
    (buddy,) = container.views.rows(BUDDIES.name, {**scope, "user_id": USER})
    assert buddy["name"] == NAME
    (ranked,) = container.views.rows(LEADERBOARD_BUDDIES.name, {**scope, "name": NAME})
    assert ranked["user_id"] == USER
    (event,) = container.views.rows(EVENTS.name, {**scope, "event_id": EVENT_ID})
    assert event["user_id"] == USER
    (odd,) = container.views.rows(EVENTS.name, {**scope, "type": ODD_TYPE})
    assert odd["event_id"] == "evt-2"


def all_caught_up(container: Container) -> None:
    head = container.store.head()
    positions = container.views.positions()
    assert all(positions.get(f.name, 0) == head for f in container.followers), positions


def test_poisoned_strings_reach_every_view_and_other_tenants_keep_flowing(
    container: Container,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    poisoned, other = register_account(client), register_account(client)
    apply_preset(client, poisoned)
    apply_preset(client, other)
    tenant = tenant_of(poisoned)
    with Receiver() as receiver:
        hook = client.post(
            "/api/v1/webhook-configs",
            json={"url": receiver.url, "events": ["buddy.hatched", "coins.earned"]},
            headers=poisoned.headers(),
        )
        assert hook.status_code == 201, hook.text

        buddy_id = poison(container, tenant)

        other_buddy = hatch_buddy(client, other, "user_b")
        other_event = send_event(client, other, "user_b")
        lists = lists_are_current(client, other)
        assert [b["buddy_id"] for b in lists["/api/v1/buddies"]["data"]] == [other_buddy]
        assert [e["event_id"] for e in lists["/api/v1/events"]["data"]] == [other_event["event_id"]]
        assert len(lists["/api/v1/eggs"]["data"]) == 1

        got = receiver.wait_for(
            lambda got: {r.event for r in got} >= {"buddy.hatched", "coins.earned"}
        )
    payloads = {r.event: json.loads(r.body) for r in got}
    assert payloads["buddy.hatched"]["user_id"] == USER
    assert payloads["coins.earned"]["user_id"] == USER and buddy_id

    assert_poison_stored_as_written(container, tenant)
    eventually(lambda: all_caught_up(container))
    assert ParkedEvents(container.views).counts() == {}

    rebuilder = Rebuilder(container.store, container.views, all_projections(), chunk=40)
    results = rebuilder.verify(rebuilder.names)
    assert [(r.view, r.differences, r.parked) for r in results] == [
        (name, [], []) for name in rebuilder.names
    ]
    rebuilder.rebuild(rebuilder.names)
    assert_poison_stored_as_written(container, tenant)
    assert all(not r.differences for r in rebuilder.verify(rebuilder.names))
    assert ParkedEvents(container.views).counts() == {}


@pytest.fixture
def stuck_log(settings: Settings) -> Iterator[tuple[Tenant, Account]]:
    """A database whose log holds poisoned events no view has applied yet, as a server
    stuck before this fix left it: written with no follower running."""
    quiet = build_container(replace(settings, run_followers=False, embedded_worker=False))
    with TestClient(create_app(quiet)) as client:  # type: ignore[arg-type]  # closes it
        poisoned, other = register_account(client), register_account(client)
        apply_preset(client, poisoned)
        apply_preset(client, other)
        tenant = tenant_of(poisoned)
        quiet.eggs.lay(tenant, EGG_USER, {}, None, False)
        quiet.ingestion.ingest(
            tenant, EventInput(event_id=EVENT_ID, user_id=USER, type="lesson_completed")
        )
        client.post("/api/v1/eggs", json={"user_id": "user_b"}, headers=other.headers())
        assert quiet.views.position("eggs") < quiet.store.head()
    yield tenant, other


def test_a_server_started_on_a_poisoned_log_heals(
    stuck_log: tuple[Tenant, Account], settings: Settings
) -> None:
    tenant, other = stuck_log
    container = build_container(settings)
    with TestClient(create_app(container)) as client:  # type: ignore[arg-type]
        lists = lists_are_current(client, other)
        assert [e["user_id"] for e in lists["/api/v1/eggs"]["data"]] == ["user_b"]
        send_event(client, other, "user_b")
        assert len(lists_are_current(client, other)["/api/v1/events"]["data"]) == 1
        scope = {"customer_id": tenant.customer_id.hex, "mode": tenant.mode}
        assert [r["user_id"] for r in container.views.rows(EGGS.name, scope)] == [EGG_USER]
        (event,) = container.views.rows(EVENTS.name, {**scope, "user_id": USER})
        assert event["event_id"] == EVENT_ID
        assert ParkedEvents(container.views).counts() == {}
