"""Issue 16's promises not proven over HTTP elsewhere, on both backends (decisions 0039, 0048,
0049): a crashed worker's credit is rolled back when its attempts run out and charged once
when a later attempt succeeds; a render waiting for credits resumes when a paid Stripe
invoice grants them; the 80 % webhook reaches the customer's live endpoints once; 200
parallel ``POST /events`` against 50 left accept exactly 50."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from application.companions.operations import MAX_ATTEMPTS
from domain.companions.operation import Operation
from domain.ingestion.event_quota import month_of, reset_at
from domain.shared.ids import parse_public_id
from infrastructure.shared.settings import Settings
from interfaces.container import Adapters, Container, build_container
from interfaces.http.app import create_app
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, hatch_buddy, satisfy_next_stage, wait_for_operation
from tests.http.peers import app_client
from tests.http.test_billing import PRICES, WEBHOOK_SECRET, checkout_completed, deliver
from tests.http.test_billing import invoice_paid as paid_invoice
from tests.http.test_credits import balance, credit_headers, ledger, ready_egg, spend_all
from tests.receiver import Receiver
from tests.waiting import eventually

LEASE_SECONDS = 30.0


class MovableClock:
    """Real time until the test moves it past a lease (a worker that died mid-job)."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def workerless(settings: Settings, clock: MovableClock) -> Iterator[tuple[TestClient, Container]]:  # type: ignore[type-arg]
    """An API process whose operations wait in the queue until the test starts a worker."""
    settings = replace(settings, embedded_worker=False, operation_lease_seconds=LEASE_SECONDS)
    container = build_container(settings, replace(Adapters.for_settings(settings), clock=clock))
    with TestClient(create_app(container)) as client:  # type: ignore[arg-type]
        yield client, container
    container.close()


def worker_dies_mid_job(container: Container, clock: MovableClock, operation_id: str) -> None:
    """A worker takes the operation (its lease is committed) and is killed before its result:
    what ``Operations.run`` leaves behind when the process vanishes after ``_take_lease``."""
    uuid_ = parse_public_id("operation", operation_id)
    operation = container.store.load(Operation, uuid_, "operation", operation_id)
    now = clock.now()
    operation.start(lease_until=now + timedelta(seconds=LEASE_SECONDS), timestamp=now)
    container.store.save(operation)
    clock.advance(LEASE_SECONDS + 1)


def operation(client: TestClient, account: Account, operation_id: str) -> dict[str, Any]:  # type: ignore[type-arg]
    answer = client.get(f"/api/v1/operations/{operation_id}", headers=account.headers())
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def hatch_kinds(client: TestClient, account: Account, operation_id: str) -> list[str]:  # type: ignore[type-arg]
    rows = ledger(client, account, limit=100)
    return [r["kind"] for r in rows if r["operation_id"] == operation_id]


def test_a_crashed_workers_charge_is_rolled_back_when_its_attempts_run_out(
    workerless: tuple[TestClient, Container],  # type: ignore[type-arg]
    clock: MovableClock,
) -> None:
    client, container = workerless
    account = register_account(client)
    apply_preset(client, account)
    egg_id = ready_egg(client, account)
    hatch = client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=account.headers())
    assert hatch.status_code == 202, hatch.text
    operation_id = hatch.json()["operation_id"]
    assert credit_headers(hatch)["X-Credits-Welcome-Remaining"] == 19  # held
    for _ in range(MAX_ATTEMPTS):
        worker_dies_mid_job(container, clock, operation_id)
    assert balance(client, account)["welcome"] == 19, "still held while attempts remain"

    container.tasks.start_worker()  # the queued message (or the sweeper's) runs it again
    failed = wait_for_operation(client, account, operation_id)
    assert failed["status"] == "failed" and failed["attempts"] == MAX_ATTEMPTS, failed
    assert failed["error"]["code"] == "hatch_failed"
    assert balance(client, account)["welcome"] == 20, "the held credit went back to its pool"
    eventually(
        lambda: _assert_equal(hatch_kinds(client, account, operation_id), ["rollback", "authorize"])
    )
    egg = client.get(f"/api/v1/eggs/{egg_id}", headers=account.headers()).json()
    assert egg["status"] == "ready"  # the egg is given back, nothing hatched


def test_a_crashed_workers_charge_is_committed_once_when_a_later_attempt_succeeds(
    workerless: tuple[TestClient, Container],  # type: ignore[type-arg]
    clock: MovableClock,
) -> None:
    client, container = workerless
    account = register_account(client)
    apply_preset(client, account)
    egg_id = ready_egg(client, account)
    hatch = client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=account.headers())
    assert hatch.status_code == 202, hatch.text
    operation_id = hatch.json()["operation_id"]
    worker_dies_mid_job(container, clock, operation_id)

    container.tasks.start_worker()
    done = wait_for_operation(client, account, operation_id)
    assert done["status"] == "completed" and done["attempts"] == 2, done
    assert balance(client, account)["welcome"] == 19, "charged once"
    eventually(
        lambda: _assert_equal(hatch_kinds(client, account, operation_id), ["commit", "authorize"])
    )


def _assert_equal(seen: object, expected: object) -> None:
    assert seen == expected, seen


def test_a_render_waiting_for_credits_resumes_when_a_paid_invoice_grants_them(
    settings: Settings,
) -> None:
    with app_client(settings, stripe_webhook_secret=WEBHOOK_SECRET, stripe_prices=PRICES) as (
        client,
        _,
    ):
        account = register_account(client)
        headers = account.headers()
        apply_preset(client, account)
        buddy_id = hatch_buddy(client, account)
        base = f"/api/v1/buddies/{buddy_id}"
        client.post(f"{base}/coins", json={"amount": 500, "reason": "t"}, headers=headers)
        bought = client.post(f"{base}/items", json={"item_id": "quill"}, headers=headers)
        assert bought.status_code == 200, bought.text
        equip = client.patch(
            f"{base}/equipped-items", json={"item_ids": ["quill"]}, headers=headers
        )
        assert equip.status_code == 202, equip.text
        wait_for_operation(client, account, equip.json()["operation_id"])
        spend_all(client, account)
        dressed = client.get(base, headers=headers).json()
        satisfy_next_stage(client, account, buddy_id)
        evolve = client.post(f"{base}/evolve", headers=headers)
        assert evolve.status_code == 202, evolve.text
        wait_for_operation(client, account, evolve.json()["operation_id"])
        waiting = client.get(base, headers=headers).json()
        assert waiting["appearance"]["status"] == "awaiting_credits"

        assert deliver(client, checkout_completed(account, "growth")).status_code == 200
        assert balance(client, account)["paid"] == 0
        answer = deliver(client, paid_invoice(account))  # Growth's 50 monthly credits
        assert answer.json()["outcome"] == "applied", answer.text

        def drawn() -> dict[str, Any]:
            body = client.get(base, headers=headers).json()
            assert body["appearance"]["status"] == "ready", body["appearance"]
            return dict(body)

        ready = eventually(drawn)
        assert ready["evolution_stage"] == waiting["evolution_stage"]
        assert ready["image_url"] != dressed["image_url"]
        assert ready["appearance"]["rendered_equipped_item_ids"] == ["quill"]
        assert balance(client, account)["paid"] == 49  # the resumed render paid one


def test_the_80_percent_webhook_reaches_live_endpoints_once_a_month(
    settings: Settings,
) -> None:
    with Receiver() as receiver, app_client(settings, webhook_allow_private=True) as (client, _):
        account = register_account(client)
        dashboard = account.headers(account.token)
        override = client.post(
            "/api/v1/billing/override-plan",
            json={"plan": "starter", "event_quota": 5, "reason": "a small quota"},
            headers=dashboard,
        )
        assert override.status_code == 200, override.text
        webhooks = {}
        for credential, path in ((account.live_key, "/live"), (account.test_key, "/test")):
            subscribed = client.post(
                "/api/v1/webhook-configs",
                json={"url": receiver.url + path, "events": ["usage.threshold_reached"]},
                headers=account.headers(credential),
            )
            assert subscribed.status_code == 201, subscribed.text
            webhooks[path] = subscribed.json()["id"]
        statuses = []
        for i in range(7):
            body = {"event_id": f"evt_{i}", "user_id": "u", "type": "lesson_completed"}
            statuses.append(
                client.post("/api/v1/events", json=body, headers=account.headers()).status_code
            )
        assert statuses == [200] * 5 + [402] * 2

        def threshold_deliveries() -> list[dict[str, Any]]:
            listed = client.get(
                f"/api/v1/webhook-configs/{webhooks['/live']}/deliveries",
                headers=account.headers(),
            )
            assert listed.status_code == 200, listed.text
            found = [d for d in listed.json()["data"] if d["event"] == "usage.threshold_reached"]
            assert found and found[0]["status"] == "succeeded", found
            return found

        assert len(eventually(threshold_deliveries)) == 1
        [request] = [r for r in receiver.received if r.path.endswith("/live")]
        now = datetime.now(UTC)
        assert request.event == "usage.threshold_reached"
        payload = json.loads(request.body)
        assert {k: v for k, v in payload.items() if k not in ("occurred_at", "request_id")} == {
            "metric": "events",
            "percent": 80,
            "used": 4,
            "limit": 5,
            "period": month_of(now),
            "reset_at": reset_at(now).isoformat().replace("+00:00", "Z"),
        }
        assert [r for r in receiver.received if r.path.endswith("/test")] == []  # live only


def test_two_hundred_parallel_events_over_http_against_fifty_left_accept_exactly_fifty(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    customer_id = parse_public_id("customer", account.customer_id)
    container.accounts.change_plan(customer_id, "starter", 60, {"by": "test"})
    for i in range(10):
        body = {"event_id": f"warm_{i}", "user_id": f"user_{i % 3}", "type": "t"}
        assert (
            client.post("/api/v1/events", json=body, headers=account.headers()).status_code == 200
        )

    def send(i: int) -> Any:
        body = {"event_id": f"evt_{i}", "user_id": f"user_{i % 7}", "type": "t"}
        return client.post("/api/v1/events", json=body, headers=account.headers())

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(send, range(200)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 50 and statuses.count(402) == 150, statuses
    refused = [a for a in answers if a.status_code == 402]
    assert {a.json()["error"]["code"] for a in refused} == {"event_quota_exceeded"}
    assert {a.json()["error"]["details"]["used"] for a in refused} == {60}
    assert max(int(a.headers["x-event-quota-used"]) for a in answers) == 60
    accepted = {f"evt_{i}" for i, a in enumerate(answers) if a.status_code == 200}
    refused_ids = [f"evt_{i}" for i, a in enumerate(answers) if a.status_code == 402]
    for event_id in sorted(accepted)[:5] + refused_ids[:5]:  # nothing recorded for a 402
        found = client.get(f"/api/v1/events/{event_id}", headers=account.headers())
        assert found.status_code == (200 if event_id in accepted else 404), event_id
