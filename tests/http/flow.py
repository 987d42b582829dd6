"""Steps of the seed's first-user bootstrap, shared by the HTTP tests."""

from __future__ import annotations

import time
import uuid
from typing import Any

from litestar.testing import TestClient

from tests.conftest import Account

POLL_SECONDS = 15.0


def apply_preset(client: TestClient, account: Account, preset: str = "language-learning") -> dict:
    response = client.post(
        "/api/v1/customers/me/apply-preset", json={"preset_key": preset}, headers=account.headers()
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def wait_for_operation(client: TestClient, account: Account, operation_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/operations/{operation_id}", headers=account.headers()).json()
        if body["status"] in ("completed", "failed", "cancelled"):
            return body
        time.sleep(0.02)
    raise AssertionError(f"operation {operation_id} did not finish: {body}")


def hatch_buddy(client: TestClient, account: Account, user_id: str | None = None) -> str:
    """Egg → ready → hatch → poll → the new buddy's id."""
    user_id = user_id or f"user_{uuid.uuid4().hex[:8]}"
    headers = account.headers()
    egg = client.post("/api/v1/eggs?ensure=true", json={"user_id": user_id}, headers=headers).json()
    ready = client.patch(
        f"/api/v1/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=headers
    )
    assert ready.status_code == 200, ready.text
    hatch = client.post(f"/api/v1/eggs/{egg['egg_id']}/hatch", headers=headers)
    assert hatch.status_code == 202, hatch.text
    operation = wait_for_operation(client, account, hatch.json()["operation_id"])
    assert operation["status"] == "completed", operation
    return str(operation["result"]["buddy_id"])


def send_event(
    client: TestClient,
    account: Account,
    user_id: str,
    event_type: str = "lesson_completed",
    **extra: Any,
) -> dict[str, Any]:
    body = {"event_id": f"evt_{uuid.uuid4().hex}", "user_id": user_id, "type": event_type, **extra}
    response = client.post("/api/v1/events", json=body, headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def satisfy_next_stage(client: TestClient, account: Account, buddy_id: str) -> None:
    """Meet each unmet condition of the next stage through the manual overrides."""
    headers = account.headers()
    evolution = client.get(f"/api/v1/buddies/{buddy_id}/evolution", headers=headers).json()
    buddy = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()
    config = client.get(f"/api/v1/config-versions/{buddy['config_version_id']}", headers=headers)
    skills = {s["key"]: s for s in config.json()["document"]["skills"]}
    base = f"/api/v1/buddies/{buddy_id}"
    for unmet in evolution["unmet"]:
        condition = unmet["condition"]
        if condition == "min_progression_tokens":
            key = buddy["token_slots"]["progression"]
            body = {"token_key": key, "amount": unmet["required"] - unmet["actual"], "reason": "t"}
            response = client.post(f"{base}/tokens", json=body, headers=headers)
        elif condition == "min_coins_earned":
            body = {"amount": unmet["required"] - unmet["actual"], "reason": "t"}
            response = client.post(f"{base}/coins", json=body, headers=headers)
        elif condition == "min_skill_levels":
            skill = skills[unmet["skill_key"]]
            value = unmet["required"] * skill["points_per_level"]
            body = {"skills": {unmet["skill_key"]: value}}
            response = client.patch(f"{base}/skills", json=body, headers=headers)
        elif condition == "badges":
            for badge_key in unmet["missing"]:
                response = client.post(
                    f"{base}/badges", json={"badge_key": badge_key}, headers=headers
                )
                assert response.status_code == 200, response.text
        else:
            raise AssertionError(f"no override for {unmet}")
        assert response.status_code == 200, response.text
