"""Issue 5's "done when": the API (``hatched serve`` without a worker of its own), a
``hatched worker`` and a webhook receiver, as separate processes on PostgreSQL and Redis.

The seed's bootstrap produces ``buddy.hatched``, an event ``coins.earned``, an evolve
``buddy.evolved``; every delivery verifies with the ``standardwebhooks`` package and with
the ``X-Hatched-Signature`` scheme.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from standardwebhooks import Webhook

from infrastructure.shared.settings import Settings
from tests.conftest import register_account
from tests.http.flow import apply_preset, satisfy_next_stage, send_event
from tests.integration.processes import ServeProcess, require_postgres_and_redis, worker
from tests.receiver import Received, Receiver
from tests.waiting import eventually

PATIENCE = 60.0
"""Seconds to wait for another process: generous, for a busy two-core machine."""


@pytest.fixture
def api(settings: Settings, backend: str) -> Iterator[tuple[httpx.Client, Settings]]:
    require_postgres_and_redis(backend)
    settings = replace(settings, webhook_allow_private=True, webhook_retry_schedule=(0, 0.5, 1))
    with ServeProcess(settings, HATCHED_EMBEDDED_WORKER="false") as server:
        yield server.client, settings


def finished(client: httpx.Client, headers: dict[str, str], operation_id: str) -> dict:
    def completed() -> dict:
        body = client.get(f"/api/v1/operations/{operation_id}", headers=headers).json()
        assert body["status"] == "completed", body
        return dict(body)

    return eventually(completed, PATIENCE)


def verify(request: Received, secret: str) -> dict:
    payload = Webhook(secret).verify(request.body, request.headers)
    signed = f"{request.headers['X-Hatched-Timestamp']}.".encode() + request.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Hatched-Signature"], expected)
    return dict(payload)


def test_bootstrap_event_and_evolve_arrive_signed_at_a_separate_receiver(
    api: tuple[httpx.Client, Settings],
) -> None:
    client, settings = api
    with Receiver() as receiver, worker(settings, threads=2):
        account = register_account(client)  # type: ignore[arg-type]
        apply_preset(client, account)  # type: ignore[arg-type]
        hook = client.post(
            "/api/v1/webhook-configs",
            json={
                "url": receiver.url,
                "events": ["buddy.hatched", "coins.earned", "buddy.evolved"],
            },
            headers=account.headers(),
        )
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]
        headers = account.headers()

        egg = client.post("/api/v1/eggs?ensure=true", json={"user_id": "user_123"}, headers=headers)
        egg_id = egg.json()["egg_id"]
        client.patch(f"/api/v1/eggs/{egg_id}/status", json={"status": "ready"}, headers=headers)
        hatch = client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=headers)
        assert hatch.status_code == 202
        done = finished(client, account.headers(), hatch.json()["operation_id"])
        buddy_id = done["result"]["buddy_id"]
        (hatched,) = receiver.wait_for(lambda got: len(got) >= 1, PATIENCE)
        assert hatched.event == "buddy.hatched"
        payload = verify(hatched, secret)
        assert payload["buddy_id"] == buddy_id and payload["egg_id"] == egg_id

        event = send_event(client, account, "user_123")  # type: ignore[arg-type]
        coins = receiver.wait_for(lambda got: any(r.event == "coins.earned" for r in got), PATIENCE)
        earned = verify(next(r for r in coins if r.event == "coins.earned"), secret)
        assert earned["reference_id"] == event["event_id"] and earned["amount"] == 10

        satisfy_next_stage(client, account, buddy_id)  # type: ignore[arg-type]
        evolve = client.post(f"/api/v1/buddies/{buddy_id}/evolve", headers=headers)
        assert evolve.status_code == 202, evolve.text
        finished(client, account.headers(), evolve.json()["operation_id"])
        got = receiver.wait_for(lambda got: any(r.event == "buddy.evolved" for r in got), PATIENCE)
        evolved = verify(next(r for r in got if r.event == "buddy.evolved"), secret)
        assert (evolved["buddy_id"], evolved["previous_stage"], evolved["new_stage"]) == (
            buddy_id,
            1,
            2,
        )
        assert evolved["image_url"] and evolved["image_url"] != payload["image_url"], "a new image"
        picture = client.get(evolved["image_url"])
        assert picture.status_code == 200 and picture.content.lstrip().startswith(b"<")
        for request in receiver.received:
            verify(request, secret)
