"""Every webhook carries ``request_id``: the ``X-Request-Id`` of the API request that caused
its fact, also when a worker recorded the fact later (hatch, evolve), and ``null`` when no
request did (decision 0031)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from tests.conftest import Account
from tests.http.flow import apply_preset, satisfy_next_stage, wait_for_operation
from tests.http.test_webhook_deliveries import deliveries, subscribe
from tests.receiver import Received, Receiver
from tests.waiting import eventually


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, webhook_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def with_id(account: Account, request_id: str) -> dict[str, str]:
    return {**account.headers(), "X-Request-Id": request_id}


def hatch(client: TestClient, account: Account, user_id: str, request_id: str) -> str:
    headers = account.headers()
    egg = client.post("/api/v1/eggs?ensure=true", json={"user_id": user_id}, headers=headers)
    egg_id = egg.json()["egg_id"]
    ready = client.patch(f"/api/v1/eggs/{egg_id}/status", json={"status": "ready"}, headers=headers)
    assert ready.status_code == 200, ready.text
    started = client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=with_id(account, request_id))
    assert started.status_code == 202, started.text
    assert started.headers["x-request-id"] == request_id
    operation = wait_for_operation(client, account, started.json()["operation_id"])
    assert operation["status"] == "completed", operation
    return str(operation["result"]["buddy_id"])


def payloads(received: list[Received]) -> list[tuple[str, dict[str, Any]]]:
    return [(r.event, json.loads(r.body)) for r in received]


def test_facts_carry_the_request_id_of_the_request_that_caused_them(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    apply_preset(client, account)
    webhook = subscribe(client, account, receiver.url)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch(client, account, user_id, "req-hatch-1")
    body = {"event_id": f"evt_{uuid.uuid4().hex}", "user_id": user_id, "type": "lesson_completed"}
    sent = client.post("/api/v1/events", json=body, headers=with_id(account, "req-event-1"))
    assert sent.status_code == 200, sent.text

    got = payloads(
        receiver.wait_for(
            lambda r: (
                {"buddy.hatched", "operation.completed", "coins.earned"} <= {x.event for x in r}
            )
        )
    )
    by_event = {name: payload for name, payload in got}
    assert by_event["buddy.hatched"]["request_id"] == "req-hatch-1"
    assert by_event["buddy.hatched"]["buddy_id"] == buddy_id
    assert by_event["operation.completed"]["request_id"] == "req-hatch-1"
    assert by_event["coins.earned"]["request_id"] == "req-event-1"
    # The delivery log shows the payload as it was sent.
    logged = eventually(lambda: _with(deliveries(client, account, webhook["id"]), "coins.earned"))
    detail = client.get(
        f"/api/v1/webhook-configs/{webhook['id']}/deliveries/{logged['id']}",
        headers=account.headers(),
    )
    assert detail.json()["payload"]["request_id"] == "req-event-1"


def _with(rows: list[dict], event: str) -> dict:
    found = [r for r in rows if r["event"] == event]
    assert found, rows
    return found[0]


def test_an_evolve_and_the_badge_it_settles_carry_the_evolve_request_id(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    apply_preset(client, account)
    hook = {"url": receiver.url, "events": ["buddy.evolved", "badge.awarded"]}
    assert client.post("/api/v1/webhook-configs", json=hook, headers=account.headers()).is_success
    buddy_id = hatch(client, account, f"user_{uuid.uuid4().hex[:8]}", "req-hatch-2")
    satisfy_next_stage(client, account, buddy_id)
    evolve = client.post(
        f"/api/v1/buddies/{buddy_id}/evolve", headers=with_id(account, "req-evolve-2")
    )
    assert evolve.status_code == 202, evolve.text
    wait_for_operation(client, account, evolve.json()["operation_id"])

    got = payloads(
        receiver.wait_for(
            lambda r: (
                any(x.event == "buddy.evolved" for x in r)
                and any(json.loads(x.body).get("badge_key") == "fledgling" for x in r)
            )
        )
    )
    evolved = next(p for name, p in got if name == "buddy.evolved")
    fledgling = next(p for _, p in got if p.get("badge_key") == "fledgling")
    assert evolved["request_id"] == fledgling["request_id"] == "req-evolve-2"
    # The badge satisfy_next_stage awarded by hand came with its own request.
    first_steps = next(p for _, p in got if p.get("badge_key") == "first_steps")
    assert first_steps["request_id"] not in (None, "req-evolve-2")


def test_without_a_header_the_generated_request_id_is_carried(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    apply_preset(client, account)
    hook = {"url": receiver.url, "events": ["coins.earned"]}
    assert client.post("/api/v1/webhook-configs", json=hook, headers=account.headers()).is_success
    buddy_id = hatch(client, account, f"user_{uuid.uuid4().hex[:8]}", "req-hatch-3")
    credit = client.post(
        f"/api/v1/buddies/{buddy_id}/coins",
        json={"amount": 7, "reason": "goodwill"},
        headers=account.headers(),
    )
    assert credit.status_code == 200, credit.text
    generated = credit.headers["x-request-id"]
    [(_, payload)] = payloads(receiver.wait_for(lambda r: len(r) >= 1))
    assert payload["request_id"] == generated and payload["amount"] == 7


def test_an_unsafe_request_id_is_replaced_and_the_replacement_is_carried(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    apply_preset(client, account)
    hook = {"url": receiver.url, "events": ["buddy.hatched"]}
    assert client.post("/api/v1/webhook-configs", json=hook, headers=account.headers()).is_success
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    headers = account.headers()
    egg = client.post("/api/v1/eggs?ensure=true", json={"user_id": user_id}, headers=headers)
    egg_id = egg.json()["egg_id"]
    client.patch(f"/api/v1/eggs/{egg_id}/status", json={"status": "ready"}, headers=headers)
    started = client.post(
        f"/api/v1/eggs/{egg_id}/hatch", headers={**headers, "X-Request-Id": "not safe!"}
    )
    assert started.status_code == 202
    assigned = started.headers["x-request-id"]
    assert assigned != "not safe!"
    [(_, payload)] = payloads(receiver.wait_for(lambda r: len(r) >= 1))
    assert payload["request_id"] == assigned
