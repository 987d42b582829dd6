"""The monthly event quota (decision 0039): headers, refusals that change nothing, the 80 %
webhook fact once a month, another tenant's figures never shown, exact under concurrency."""

from __future__ import annotations

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from application.ingestion.ingestion import EventInput
from domain.accounts.customer import Customer
from domain.ingestion.event_ingestion import EventIngestion
from domain.ingestion.event_quota import (
    SHARDS,
    EventQuotaShard,
    UsageThreshold,
    month_of,
    reset_at,
)
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant
from infrastructure.shared.settings import Settings
from interfaces.container import Container
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, hatch_buddy
from tests.http.peers import app_client

EVENTS = "/api/v1/events"


def customer_id(account: Account) -> uuid.UUID:
    return parse_public_id("customer", account.customer_id)


def set_quota(container: Container, account: Account, quota: int) -> None:
    container.accounts.change_plan(
        customer_id(account), "starter", quota, {"by": "test", "reason": "a small quota"}
    )


def post_event(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
    user_id: str = "user_1",
    event_id: str | None = None,
) -> Any:
    body = {"event_id": event_id or f"evt_{uuid.uuid4().hex}", "user_id": user_id}
    return client.post(EVENTS, json={**body, "type": "lesson_completed"}, headers=account.headers())


def quota_headers(response: Any) -> tuple[str, str, str]:
    h = response.headers
    return h["x-event-quota-limit"], h["x-event-quota-used"], h["x-event-quota-reset"]


def next_month() -> str:
    return reset_at(datetime.now(UTC)).isoformat().replace("+00:00", "Z")


def coins(client: TestClient, account: Account, buddy_id: str) -> int:  # type: ignore[type-arg]
    buddy = client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers()).json()
    return int(buddy["coins"])


def ingest_concurrently(
    container: Container, tenant: Tenant, events: list[EventInput]
) -> list[str]:
    """Each event ingested from one of 16 threads: ``accepted`` or its refusal's code."""

    def send(event: EventInput) -> str:
        try:
            container.ingestion.ingest(tenant, event)
        except DomainError as refusal:
            return refusal.code
        return "accepted"

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(send, events))


def month_shards(container: Container, tenant: Tenant) -> list[EventQuotaShard | None]:
    month = month_of(datetime.now(UTC))
    return [
        container.store.find(EventQuotaShard, EventQuotaShard.id_for(tenant.customer_id, month, i))
        for i in range(SHARDS)
    ]


def test_a_new_customer_is_on_starter_and_every_authenticated_answer_shows_its_quota(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
) -> None:
    me = client.get("/api/v1/customers/me", headers=account.headers())
    assert me.json()["plan"] == "starter"
    assert quota_headers(me) == ("10000", "0", next_month())
    accepted = post_event(client, account)
    assert accepted.status_code == 200
    assert quota_headers(accepted) == ("10000", "1", next_month())
    missing = client.get("/api/v1/buddies/bdy_" + "0" * 32, headers=account.headers())
    assert missing.status_code == 404 and quota_headers(missing)[1] == "1"  # on refusals too
    assert "x-event-quota-limit" not in client.get("/api/v1/health").headers  # no credential


def test_past_the_quota_an_event_is_refused_and_changes_nothing(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account, "user_1")
    set_quota(container, account, 2)
    first = post_event(client, account, event_id="evt_first")
    assert first.status_code == 200 and post_event(client, account).status_code == 200
    balance = coins(client, account, buddy_id)
    assert balance > 0

    refused = post_event(client, account, event_id="evt_over")
    assert refused.status_code == 402, refused.text
    error = refused.json()["error"]
    assert error["code"] == "event_quota_exceeded"
    assert error["details"] == {"used": 2, "limit": 2, "reset_at": next_month()}
    assert quota_headers(refused) == ("2", "2", next_month())
    assert coins(client, account, buddy_id) == balance  # no coin
    assert client.get(f"{EVENTS}/evt_over", headers=account.headers()).status_code == 404
    tenant = Tenant(customer_id(account), "live")
    assert container.store.find(EventIngestion, EventIngestion.id_for(tenant, "evt_over")) is None

    again = post_event(client, account, event_id="evt_first")  # a duplicate still answers
    assert again.status_code == 200
    assert again.json()["effects"] == first.json()["effects"]


def test_a_batch_is_refused_item_by_item_past_the_line(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    set_quota(container, account, 3)
    assert post_event(client, account, event_id="evt_0").status_code == 200
    items = [{"event_id": f"evt_{i}", "user_id": "u", "type": "t"} for i in range(6)]
    answer = client.post(f"{EVENTS}/batch", json={"events": items}, headers=account.headers())
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["duplicate", *["accepted"] * 2, *["rejected"] * 3]
    for result in results[3:]:
        assert result["error"]["code"] == "event_quota_exceeded"
        assert result["error"]["details"] == {"used": 3, "limit": 3, "reset_at": next_month()}
    assert quota_headers(answer)[1] == "3"
    listed = client.get(EVENTS, headers=account.headers()).json()["data"]
    assert sorted(e["event_id"] for e in listed) == ["evt_0", "evt_1", "evt_2"]


def test_the_quota_counts_live_and_test_keys_together_and_no_other_customer(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
    other_account: Account,
) -> None:
    set_quota(container, account, 2)
    assert post_event(client, account).status_code == 200
    by_test_key = client.post(
        EVENTS,
        json={"event_id": "e", "user_id": "u", "type": "t"},
        headers=account.headers(account.test_key),
    )
    assert by_test_key.status_code == 200
    assert post_event(client, account).status_code == 402
    other = post_event(client, other_account)  # another customer: its own month
    assert other.status_code == 200
    assert quota_headers(other) == ("10000", "1", next_month())


def test_the_threshold_fact_is_recorded_once_at_80_percent(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    set_quota(container, account, 5)
    month = month_of(datetime.now(UTC))
    threshold = UsageThreshold.id_for(customer_id(account), month, 80)
    for _ in range(3):
        assert post_event(client, account).status_code == 200
    assert container.store.find(UsageThreshold, threshold) is None  # 60 %
    assert post_event(client, account).status_code == 200  # 4 of 5: 80 %
    reached = container.store.find(UsageThreshold, threshold)
    assert reached is not None and (reached.used, reached.limit) == (4, 5)
    assert post_event(client, account).status_code == 200
    assert post_event(client, account).status_code == 402
    assert len(list(container.store.events.get(threshold))) == 1


def test_a_plan_change_is_a_fact_with_its_cause_and_rebuilds(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    set_quota(container, account, 1)
    container.accounts.change_plan(customer_id(account), "growth", None, {"by": "operator"})
    changes = [
        e
        for e in container.store.events.get(customer_id(account))
        if isinstance(e, Customer.PlanChanged)
    ]
    assert [(e.plan, e.event_quota, e.cause["by"]) for e in changes] == [
        ("starter", 1, "test"),
        ("growth", None, "operator"),
    ]
    rebuilt = container.store.find(Customer, customer_id(account))
    assert rebuilt is not None and rebuilt.monthly_event_quota == 500_000
    me = client.get("/api/v1/customers/me", headers=account.headers())
    assert me.json()["plan"] == "growth" and quota_headers(me)[0] == "500000"


def test_unknown_plans_and_negative_quotas_are_refused(
    container: Container, account: Account
) -> None:
    for plan, quota in (("platinum", None), ("pro", -1)):
        try:
            container.accounts.change_plan(customer_id(account), plan, quota, {"by": "test"})
        except DomainError as refusal:
            assert refusal.code == "validation_failed"
        else:
            raise AssertionError(f"{plan} {quota} was accepted")
    customer = container.store.find(Customer, customer_id(account))
    assert customer is not None and customer.plan == "starter"


def test_with_quotas_switched_off_nothing_is_counted_or_refused(settings: Settings) -> None:
    with app_client(settings, event_quotas=False) as (client, container):
        account = register_account(client)
        set_quota(container, account, 1)
        for _ in range(3):
            answer = post_event(client, account)
            assert answer.status_code == 200
            assert "x-event-quota-used" not in answer.headers


def test_parallel_events_are_admitted_exactly_up_to_the_quota(
    container: Container, settings: Settings
) -> None:
    """200 events at once against 50 left: exactly 50 accepted, on every backend."""
    client_account = container.accounts.register(
        f"q-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery", "Acme"
    )[0]
    tenant = Tenant(client_account.id, "live")
    container.accounts.change_plan(tenant.customer_id, "starter", 60, {"by": "test"})
    for i in range(10):
        container.ingestion.ingest(tenant, EventInput(f"warm_{i}", f"user_{i % 3}", "t"))

    events = [EventInput(f"evt_{i}", f"user_{i % 7}", "t") for i in range(200)]
    outcomes = ingest_concurrently(container, tenant, events)
    assert outcomes.count("accepted") == 50
    assert outcomes.count("event_quota_exceeded") == 150
    shards = month_shards(container, tenant)
    assert sum(s.used for s in shards if s is not None) == 60
    accepted = [
        i
        for i in range(200)
        if container.store.find(EventIngestion, EventIngestion.id_for(tenant, f"evt_{i}"))
    ]
    assert len(accepted) == 50


def test_without_group_commit_concurrent_events_spread_over_the_shards(
    settings: Settings,
) -> None:
    """With group commit off every request is an attempt of its own: 300 events from 16
    threads are all accepted, each counted once, on more than one shard (decision 0058)."""
    alone = dataclasses.replace(settings, ingest_group_commit=False)
    with app_client(alone) as (client, container):
        account = register_account(client)
        tenant = Tenant(customer_id(account), "live")

        events = [EventInput(f"solo_{i}", f"user_{i}", "t") for i in range(300)]
        outcomes = ingest_concurrently(container, tenant, events)
        shards = month_shards(container, tenant)
    assert outcomes == ["accepted"] * 300
    assert sum(s.used for s in shards if s is not None) == 300
    assert sum(1 for s in shards if s is not None) > 1


def test_two_processes_share_one_quota_exactly(settings: Settings) -> None:
    """Two containers (two API processes) on one store: together they admit the quota."""
    if settings.database_url is None:
        pytest.skip("the embedded SQLite store has one API process; shared stores are PG's")
    first = dataclasses.replace(settings)
    with app_client(first) as (client_a, container_a), app_client(first) as (client_b, _):
        account = register_account(client_a)
        set_quota(container_a, account, 30)

        def send(i: int) -> int:
            client = client_a if i % 2 else client_b
            return int(post_event(client, account, f"user_{i % 5}").status_code)

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(send, range(80)))
        assert statuses.count(200) == 30 and statuses.count(402) == 50


def test_the_used_header_and_the_threshold_count_each_event_once(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    """With 5 events per shard, most events land in a shard already counted: the figure the
    headers show and the threshold's ``used`` must count each of them once."""
    set_quota(container, account, 40)
    month = month_of(datetime.now(UTC))
    threshold = UsageThreshold.id_for(customer_id(account), month, 80)
    for n in range(1, 41):
        answer = post_event(client, account)
        assert answer.status_code == 200, answer.text
        assert quota_headers(answer)[1] == str(n), f"event {n}"
        reached = container.store.find(UsageThreshold, threshold)
        if n < 32:
            assert reached is None, f"the 80 % fact came at {n} of 40"
        else:
            assert reached is not None and (reached.used, reached.limit) == (32, 40)
    refused = post_event(client, account)
    assert refused.status_code == 402 and quota_headers(refused)[1] == "40"
