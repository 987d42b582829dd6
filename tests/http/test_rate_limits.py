"""Rate-limit buckets per credential (decision 0039), with the per-credential buckets on.

Each app gets a limiter with small day-long windows (a window crossed mid-test would let one
more request through), in Redis when the run has one (the PostgreSQL run), else in memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from litestar.testing import TestClient

from domain.ingestion.event_ingestion import EventIngestion
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant
from infrastructure.shared.rate_limits import RateLimiter
from infrastructure.shared.settings import Settings
from interfaces.container import Adapters, Container, build_container, rate_limiter
from interfaces.http.app import create_app
from tests.conftest import register_account
from tests.http.peers import PeerFromHeader, peer
from tests.unit.test_rate_limiter_outage import closed_port

SMALL = {
    "plan:starter": "3/day",
    "plan:growth": "5/day",
    "scoped": "4/day",
    "widget:starter": "9/day",
    "unauthenticated": "2/day",
    "auth": "1000/day",
}


def limiter(settings: Settings, redis_url: str | None = None) -> RateLimiter:
    quotas = {**rate_limiter(settings).windows, **SMALL}
    return RateLimiter(quotas, redis_url or settings.redis_url, settings.redis_namespace)


@contextmanager
def limited_app(
    settings: Settings, limits: RateLimiter | None = None
) -> Iterator[tuple[TestClient, Container]]:  # type: ignore[type-arg]
    settings = dataclasses.replace(settings, api_rate_limits=True)
    adapters = dataclasses.replace(
        Adapters.for_settings(settings), rate_limits=limits or limiter(settings)
    )
    container = build_container(settings, adapters)
    with TestClient(PeerFromHeader(create_app(container))) as client:  # type: ignore[arg-type]
        yield client, container
    container.close()


@pytest.fixture
def limited(settings: Settings) -> Iterator[tuple[TestClient, Container]]:  # type: ignore[type-arg]
    with limited_app(settings) as built:
        yield built


def me(client: TestClient, credential: str) -> Any:  # type: ignore[type-arg]
    return client.get("/api/v1/customers/me", headers={"Authorization": f"Bearer {credential}"})


def assert_429(response: Any) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and "details" not in error
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-ratelimit-remaining"] == "0"


def test_a_secret_key_counts_in_its_plans_bucket_with_headers_on_every_answer(
    limited: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, container = limited
    account = register_account(client)
    other = register_account(client)
    remaining = [me(client, account.live_key).headers["x-ratelimit-remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = client.post(
        "/api/v1/events",
        json={"event_id": "evt_limited", "user_id": "u", "type": "t"},
        headers=account.headers(),
    )
    assert_429(refused)
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert "x-event-quota-used" in refused.headers
    tenant = Tenant(parse_public_id("customer", account.customer_id), "live")
    stored = container.store.find(EventIngestion, EventIngestion.id_for(tenant, "evt_limited"))
    assert stored is None  # the 429 changed nothing
    assert me(client, account.test_key).status_code == 200  # another key: its own bucket
    assert me(client, other.live_key).status_code == 200  # another customer's key too

    customer_id = parse_public_id("customer", account.customer_id)
    container.accounts.change_plan(customer_id, "growth", None, {"by": "test"})
    upgraded = me(client, account.live_key)  # growth's bucket: 5 a day, counted afresh
    assert upgraded.status_code == 200 and upgraded.headers["x-ratelimit-limit"] == "5"


def test_a_refused_job_takes_no_credit_and_the_429_still_carries_every_usage_header(
    limited: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, _ = limited
    account = register_account(client)
    regenerate = "/api/v1/stage-assets/2/regenerate"
    drawn = client.post(regenerate, json={}, headers=account.headers())  # one credit
    assert drawn.status_code == 200, drawn.text
    assert drawn.headers["x-credits-remaining"] == "19"
    assert me(client, account.live_key).status_code == 200
    assert me(client, account.live_key).status_code == 200
    refused = client.post(regenerate, json={}, headers=account.headers())
    assert_429(refused)
    for name in ("x-event-quota-limit", "x-event-quota-used", "x-event-quota-reset"):
        assert name in refused.headers, name
    assert refused.headers["x-credits-remaining"] == "19"
    assert refused.headers["x-credits-welcome-remaining"] == "19"
    by_test_key = account.headers(account.test_key)  # its own bucket, the same credits
    balance = client.get("/api/v1/credits/balance", headers=by_test_key)
    assert balance.status_code == 200 and balance.json()["welcome"] == 19  # no credit taken


def test_scoped_principals_share_the_scoped_bucket_per_credential(
    limited: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, _ = limited
    account = register_account(client)  # two dashboard requests (the keys)
    statuses = [me(client, account.token).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert me(client, account.live_key).status_code == 200  # the secret key is not scoped


def test_unauthenticated_requests_and_refused_credentials_count_per_address(
    limited: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, _ = limited
    bad = {"Authorization": "Bearer hatch_live_not-a-key", **peer("10.7.0.1")}
    statuses = [client.get("/api/v1/customers/me", headers=bad).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    other_address = {**bad, **peer("10.7.0.2")}
    assert client.get("/api/v1/customers/me", headers=other_address).status_code == 401
    assert client.get("/api/v1/health", headers=peer("10.7.0.1")).status_code == 200  # exempt


def test_widget_routes_count_in_the_widget_bucket_not_the_keys(
    limited: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, _ = limited
    account = register_account(client)
    missing = client.get("/api/v1/widget-sessions/wss_" + "0" * 32, headers=account.headers())
    assert missing.status_code == 404 and missing.headers["x-ratelimit-limit"] == "9"
    assert me(client, account.live_key).headers["x-ratelimit-remaining"] == "2"


def test_an_unreachable_limiter_store_lets_requests_through_and_counts_it(
    settings: Settings,
) -> None:
    down = limiter(settings, f"redis://127.0.0.1:{closed_port()}/0")
    with limited_app(settings, down) as (client, container):
        account = register_account(client)
        assert [me(client, account.live_key).status_code for _ in range(5)] == [200] * 5
        assert container.metrics.rate_limits_unavailable._value.get() >= 5


def test_two_api_processes_sharing_redis_enforce_one_bucket_exactly(settings: Settings) -> None:
    """Two apps, one Redis: of 12 requests of one key sent to both at once, 3 pass."""
    if settings.redis_url is None:
        pytest.skip("needs HATCHED_TEST_REDIS_URL: buckets in memory are one process's")
    with limited_app(settings) as (first, _), limited_app(settings) as (second, _):
        account = register_account(first)

        def send(i: int) -> int:
            return int(me(first if i % 2 else second, account.live_key).status_code)

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(send, range(12)))
        assert statuses.count(200) == 3 and statuses.count(429) == 9
        assert me(second, account.live_key).status_code == 429  # whichever gets it
        assert me(first, account.live_key).status_code == 429


def test_every_plan_has_a_bucket_and_widgets_get_three_times_it(settings: Settings) -> None:
    quotas = rate_limiter(settings).windows
    assert quotas["plan:starter"] == "100/minute;5000/day"
    assert quotas["widget:starter"] == "300/minute;15000/day"
    assert quotas["plan:enterprise"] == "50000/minute"
    assert quotas["scoped"] == "200/minute;10000/day"
    assert quotas["unauthenticated"] == "20/minute;200/day"
