"""Webhook deliveries end to end inside one process: progression events reach a local
receiver signed both ways, failures are retried on the schedule, ``410`` disables, a
redelivery resends the same message, a rotation signs with both secrets."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient
from standardwebhooks import Webhook

from domain.integrations.webhook_endpoint import WEBHOOK_EVENTS
from infrastructure.shared.settings import Settings
from interfaces.container import Container
from interfaces.http.consistency import VIEW_LAG_HEADER
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, send_event
from tests.receiver import Received, Receiver
from tests.waiting import eventually

BASE = "/api/v1/webhook-configs"
FAST_SCHEDULE = (0, 0.2, 0.2, 0.3, 0.3, 0.5)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Deliveries to 127.0.0.1 (the test receiver) and a retry schedule in tenths of seconds."""
    return replace(settings, webhook_allow_private=True, webhook_retry_schedule=FAST_SCHEDULE)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def subscribe(
    client: TestClient, account: Account, url: str, credential: str | None = None, **body: Any
) -> dict[str, Any]:
    payload = {"url": url, "events": list(WEBHOOK_EVENTS), **body}
    response = client.post(BASE, json=payload, headers=account.headers(credential))
    assert response.status_code == 201, response.text
    return dict(response.json())


def verified(request: Received, secret: str) -> dict[str, Any]:
    """The payload, after checking both signature schemes the way receivers do."""
    payload = Webhook(secret).verify(request.body, request.headers)
    signed = f"{request.headers['X-Hatched-Timestamp']}.".encode() + request.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert expected in request.headers["X-Hatched-Signature"].split(",")
    assert request.headers["webhook-id"] == request.headers["X-Hatched-Delivery"]
    return dict(payload)


def deliveries(
    client: TestClient, account: Account, webhook_id: str, key: str | None = None, **query: str
) -> list[dict]:
    path = f"{BASE}/{webhook_id}/deliveries"
    response = client.get(path, params=query, headers=account.headers(key))
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_progression_events_arrive_signed_and_are_logged(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    apply_preset(client, account)
    webhook = subscribe(client, account, receiver.url)
    test_world = subscribe(client, account, receiver.url + "/test-mode", account.test_key)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch_buddy(client, account, user_id)
    event = send_event(client, account, user_id)

    received = receiver.wait_for(
        lambda got: (
            {"buddy.hatched", "operation.completed", "coins.earned"} <= {r.event for r in got}
        )
    )
    payloads = {r.event: verified(r, webhook["secret"]) for r in received}
    hatched = payloads["buddy.hatched"]
    assert hatched["buddy_id"] == buddy_id and hatched["user_id"] == user_id
    assert hatched["evolution_stage"] == 1 and "image_url" in hatched
    assert payloads["operation.completed"]["result"]["buddy_id"] == buddy_id
    coins = payloads["coins.earned"]
    assert coins["buddy_id"] == buddy_id and coins["amount"] == coins["balance"] == 10
    assert coins["reference_id"] == event["event_id"] and coins["is_lucky"] is False
    assert coins["ledger_id"].startswith("led_")
    assert received and all(r.path == "/hooks" for r in received), (
        "the test world's endpoint got nothing"
    )

    logged = eventually(lambda: _all_succeeded(deliveries(client, account, webhook["id"])))
    assert {d["event"] for d in logged} >= {"buddy.hatched", "operation.completed", "coins.earned"}
    one = next(d for d in logged if d["event"] == "coins.earned")
    detail = client.get(f"{BASE}/{webhook['id']}/deliveries/{one['id']}", headers=account.headers())
    assert detail.status_code == 200
    assert detail.json()["payload"] == coins
    (attempt,) = detail.json()["attempt_log"]
    assert attempt["status_code"] == 204 and attempt["succeeded"] is True
    assert deliveries(client, account, test_world["id"], account.test_key) == []
    assert deliveries(client, account, webhook["id"], status="failed") == []


def _all_succeeded(rows: list[dict]) -> list[dict]:
    assert rows and all(r["status"] == "succeeded" for r in rows), rows
    return rows


def test_a_receiver_that_fails_for_a_while_then_recovers_gets_everything(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    receiver.respond = lambda index, request: (503, {}, b"down") if index < 5 else (204, {}, b"")
    webhook = subscribe(client, account, receiver.url)
    sent = [
        client.post(f"{BASE}/{webhook['id']}/test", json={"event": name}, headers=account.headers())
        for name in ("coins.earned", "badge.awarded")
    ]
    # a test send is one attempt only; events retry: make real ones too
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    hatch_buddy(client, account, user_id)
    for _ in range(2):
        send_event(client, account, user_id)

    got = receiver.wait_for(
        lambda rs: (
            sum(1 for r in rs if r.event == "coins.earned" and _ok(receiver, rs, r)) >= 2
            and any(r.event == "buddy.hatched" and _ok(receiver, rs, r) for r in rs)
        ),
        timeout=20,
    )
    assert all(s.status_code == 202 for s in sent)
    by_delivery: dict[str, list[Received]] = {}
    for request in got:
        verified(request, webhook["secret"])
        by_delivery.setdefault(request.headers["X-Hatched-Delivery"], []).append(request)
    retried = [rs for rs in by_delivery.values() if len(rs) > 1]
    assert retried, "the first answers were 503s, so something was retried"
    for attempts in retried:
        assert len({r.body for r in attempts}) == 1, "a retry sends the same body"
        numbers = [int(r.headers["X-Hatched-Attempt"]) for r in attempts]
        assert numbers == sorted(numbers) and numbers[0] == 1
    health = eventually(lambda: _health_counted(client, account, 5))
    assert health["attempts"]["failed"] >= 5


def _ok(receiver: Receiver, received: list[Received], request: Received) -> bool:
    return received.index(request) >= 5


def _health_counted(client: TestClient, account: Account, failures: int) -> dict[str, Any]:
    health = client.get("/api/v1/analytics/webhooks", headers=account.headers()).json()
    assert health["attempts"]["failed"] >= failures, health
    return dict(health)


def test_gone_disables_the_endpoint_and_a_redelivery_resends_the_same_message(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    receiver.respond = lambda index, request: (410, {}, b"") if index == 0 else (200, {}, b"ok")
    webhook = subscribe(client, account, receiver.url, events=["coins.earned"])
    path = f"{BASE}/{webhook['id']}"
    sent = client.post(f"{path}/test", json={"event": "coins.earned"}, headers=account.headers())
    delivery_id = sent.json()["delivery_id"]
    receiver.wait_for(lambda rs: len(rs) == 1)

    disabled = eventually(lambda: _status(client, account, path, "disabled"))
    assert disabled["disabled_reason"] == "receiver_gone"
    health = eventually(lambda: _failing(client, account, webhook["id"]))
    assert health["deliveries"]["failed"] >= 1

    eventually(lambda: _delivery_status(client, account, path, delivery_id, "failed"))
    redeliver = f"{path}/deliveries/{delivery_id}/redeliver"
    accepted = client.post(redeliver, headers=account.headers())
    assert accepted.status_code == 202 and accepted.json()["attempt"] == 2
    first, again = receiver.wait_for(lambda rs: len(rs) == 2)
    assert again.headers["X-Hatched-Delivery"] == first.headers["X-Hatched-Delivery"] == delivery_id
    assert again.body == first.body and again.headers["X-Hatched-Attempt"] == "2"
    done = eventually(lambda: _delivery_status(client, account, path, delivery_id, "succeeded"))
    assert [a["status_code"] for a in done["attempt_log"]] == [410, 200]


def _status(client: TestClient, account: Account, path: str, status: str) -> dict[str, Any]:
    body = client.get(path, headers=account.headers()).json()
    assert body["status"] == status, body
    return dict(body)


def _failing(client: TestClient, account: Account, webhook_id: str) -> dict[str, Any]:
    health = client.get("/api/v1/analytics/webhooks", headers=account.headers()).json()
    assert health["failing_endpoints"] == [webhook_id], health
    return dict(health)


def _delivery_status(
    client: TestClient, account: Account, path: str, delivery_id: str, status: str
) -> dict[str, Any]:
    body = client.get(f"{path}/deliveries/{delivery_id}", headers=account.headers()).json()
    assert body["status"] == status, body
    return dict(body)


def test_after_a_rotation_both_secrets_sign(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    webhook = subscribe(client, account, receiver.url)
    rotated = client.post(f"{BASE}/{webhook['id']}/rotate-secret", headers=account.headers()).json()
    client.post(f"{BASE}/{webhook['id']}/test", headers=account.headers())
    (request,) = receiver.wait_for(lambda rs: len(rs) == 1)
    assert request.event == "webhook.test"
    for secret in (webhook["secret"], rotated["secret"]):
        payload = verified(request, secret)
        assert payload["test"] is True and payload["webhook_id"] == webhook["id"]
    assert len(request.headers["X-Hatched-Signature"].split(",")) == 2
    assert json.loads(request.body) == payload


def test_a_lagging_deliveries_view_is_served_with_its_lag(
    client: TestClient,
    account: Account,
    container: Container,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the read bound the list answers from the view as it is and says how far behind."""
    webhook = subscribe(client, account, receiver.url)
    assert (
        VIEW_LAG_HEADER.lower()
        not in client.get(f"{BASE}/{webhook['id']}/deliveries", headers=account.headers()).headers
    )
    monkeypatch.setattr("interfaces.container.READ_CONSISTENCY_TIMEOUT_SECONDS", 0.05)
    [runner] = [f for f in container.followers if f.name == "webhook_deliveries"]
    runner.stop()
    apply_preset(client, account)  # new events the stopped view has not applied
    response = client.get(f"{BASE}/{webhook['id']}/deliveries", headers=account.headers())
    assert response.status_code == 200
    assert int(response.headers[VIEW_LAG_HEADER]) >= 1


def test_webhook_health_refuses_a_bad_window(client: TestClient, account: Account) -> None:
    for days in ("0", "91", "week"):
        response = client.get(
            "/api/v1/analytics/webhooks", params={"days": days}, headers=account.headers()
        )
        assert response.status_code == 422, (days, response.text)
        assert response.json()["error"]["code"] == "validation_failed"
    one_day = client.get(
        "/api/v1/analytics/webhooks", params={"days": "1"}, headers=account.headers()
    )
    assert one_day.status_code == 200
    period = one_day.json()["period"]
    assert period["days"] == 1 and period["from"] == period["to"]
    assert client.get("/api/v1/analytics/webhooks").status_code == 401


def test_delivery_lists_wait_for_their_views_only_once_the_credential_is_checked(
    client: TestClient,
    account: Account,
    container: Container,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both delivery reads answer from the caught-up views; a caller without a valid
    credential is refused before anything waits on them (no lag noted on its answer)."""
    webhook = subscribe(client, account, receiver.url)
    monkeypatch.setattr("interfaces.container.READ_CONSISTENCY_TIMEOUT_SECONDS", 0.05)
    [runner] = [f for f in container.followers if f.name == "webhook_deliveries"]
    runner.stop()
    apply_preset(client, account)  # new events the stopped view has not applied
    for path in (f"{BASE}/{webhook['id']}/deliveries", "/api/v1/analytics/webhooks"):
        stranger = client.get(path, headers={"Authorization": "Bearer hatch_live_nope"})
        assert stranger.status_code == 401
        assert VIEW_LAG_HEADER.lower() not in stranger.headers
        response = client.get(path, headers=account.headers())
        assert response.status_code == 200, response.text
        assert int(response.headers[VIEW_LAG_HEADER]) >= 1
