"""The seed's first-user bootstrap, end to end over HTTP, with the seed's exact shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, satisfy_next_stage, wait_for_operation

SEED_EGG_KEYS = {
    "egg_id",
    "status",
    "visual_variant",
    "config_version_id",
    "user_id",
    "buddy_id",
    "metadata",
    "created_at",
}


def test_first_user_bootstrap(client: TestClient, account: Account) -> None:
    headers = account.headers()
    config = apply_preset(client, account)
    assert config["status"] == "published" and config["version"] == 1

    egg = client.post(
        "/api/v1/eggs?ensure=true",
        json={"user_id": "user_123", "metadata": {"age": 12, "level": "beginner"}},
        headers=headers,
    )
    assert egg.status_code == 201
    egg_body = egg.json()
    assert set(egg_body) == SEED_EGG_KEYS
    assert egg_body["egg_id"].startswith("egg_")
    assert egg_body["status"] == "waiting"
    assert 0 <= egg_body["visual_variant"] <= 11
    assert egg_body["config_version_id"] == config["config_version_id"]
    assert egg_body["buddy_id"] is None
    assert egg_body["metadata"] == {"age": 12, "level": "beginner"}

    again = client.post("/api/v1/eggs?ensure=true", json={"user_id": "user_123"}, headers=headers)
    assert again.status_code == 200 and again.json()["egg_id"] == egg_body["egg_id"]

    egg_id = egg_body["egg_id"]
    assert (
        client.patch(
            f"/api/v1/eggs/{egg_id}/status", json={"status": "ready"}, headers=headers
        ).json()["status"]
        == "ready"
    )
    hatch = client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=headers)
    assert hatch.status_code == 202
    assert set(hatch.json()) == {"accepted", "operation_id", "status"}
    assert hatch.json()["accepted"] is True and hatch.json()["status"] == "pending"

    operation = wait_for_operation(client, account, hatch.json()["operation_id"])
    assert operation["status"] == "completed", operation
    buddy_id = operation["result"]["buddy_id"]
    assert client.get(f"/api/v1/eggs/{egg_id}", headers=headers).json()["buddy_id"] == buddy_id
    assert client.get(f"/api/v1/eggs/{egg_id}", headers=headers).json()["status"] == "hatched"

    event = client.post(
        "/api/v1/events",
        json={
            "event_id": "evt_789",
            "user_id": "user_123",
            "type": "lesson_completed",
            # the seed's example is dated 2026-04-08T10:30:00Z; an hour ago stays inside the
            # window events may be dated in (decision 0018) whenever the test runs
            "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "properties": {"lesson_id": "lesson_456", "score": 87},
        },
        headers=headers,
    )
    assert event.status_code == 200, event.text
    body = event.json()
    assert body["accepted"] is True and body["event_id"] == "evt_789"
    effects = body["effects"]
    assert {"coins", "badges_awarded", "tokens", "evolution_ready"} <= set(effects)
    assert effects["coins"] >= 10
    assert isinstance(effects["badges_awarded"], list) and isinstance(effects["tokens"], list)

    buddy = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()
    assert buddy["coins"] == effects["coins"]
    assert buddy["evolution_stage"] == 1
    assert buddy["config_version_id"] == config["config_version_id"]
    assert buddy["user_id"] == "user_123"

    duplicate = client.post(
        "/api/v1/events",
        json={"event_id": "evt_789", "user_id": "user_123", "type": "lesson_completed"},
        headers=headers,
    ).json()
    assert duplicate["duplicate"] is True and duplicate["effects"] == effects
    assert (
        client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()["coins"] == buddy["coins"]
    )

    not_ready = client.post(f"/api/v1/buddies/{buddy_id}/evolve", headers=headers)
    if not client.get(f"/api/v1/buddies/{buddy_id}/evolution", headers=headers).json()["ready"]:
        assert not_ready.status_code == 409
        assert not_ready.json()["error"]["code"] == "evolution_not_ready"
    satisfy_next_stage(client, account, buddy_id)
    assert (
        client.get(f"/api/v1/buddies/{buddy_id}/evolution", headers=headers).json()["ready"] is True
    )
    evolve = client.post(f"/api/v1/buddies/{buddy_id}/evolve", headers=headers)
    assert evolve.status_code == 202, evolve.text
    evolved = wait_for_operation(client, account, evolve.json()["operation_id"])
    assert evolved["status"] == "completed", evolved
    assert client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()["evolution_stage"] == 2

    catalog = client.get(
        f"/api/v1/config-versions/{config['config_version_id']}", headers=headers
    ).json()
    item = min(catalog["document"]["items"], key=lambda i: i["price_coins"])
    client.post(
        f"/api/v1/buddies/{buddy_id}/coins",
        json={"amount": item["price_coins"] + 1, "reason": "t"},
        headers=headers,
    )
    bought = client.post(
        f"/api/v1/buddies/{buddy_id}/items", json={"item_id": item["item_id"]}, headers=headers
    )
    assert bought.status_code == 200, bought.text
    equip = client.patch(
        f"/api/v1/buddies/{buddy_id}/equipped-items",
        json={"item_ids": [item["item_id"]]},
        headers=headers,
    )
    assert equip.status_code == 202, equip.text
    assert (
        wait_for_operation(client, account, equip.json()["operation_id"])["status"] == "completed"
    )
    assert client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()["equipped_items"] == [
        item["item_id"]
    ]

    listed = client.get("/api/v1/buddies?user_id=user_123", headers=headers).json()["data"]
    assert [b["buddy_id"] for b in listed] == [buddy_id]
