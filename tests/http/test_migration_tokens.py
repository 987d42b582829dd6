"""Migrating a buddy to a rulebook with other token slots moves its wallet to those slots."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, send_event


def test_migration_to_other_token_slots_lets_new_tokens_be_earned(
    client: TestClient, account: Account
) -> None:
    headers = account.headers()
    apply_preset(client, account, "language-learning")
    user_id = "migrating_user"
    buddy_id = hatch_buddy(client, account, user_id)
    before = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()["token_slots"]

    fitness = client.get("/api/v1/presets/fitness", headers=headers).json()["document"]
    draft = client.post("/api/v1/config-versions", json={"document": fitness}, headers=headers)
    assert draft.status_code == 201, draft.text
    version_id = draft.json()["config_version_id"]
    assert (
        client.post(f"/api/v1/config-versions/{version_id}/publish", headers=headers).status_code
        == 200
    )
    migrated = client.post(
        f"/api/v1/config-versions/{version_id}/migrate-buddies",
        json={"buddy_ids": [buddy_id]},
        headers=headers,
    )
    assert migrated.status_code == 200, migrated.text
    assert migrated.json()["migrated"] == 1

    slots = fitness["token_config"]
    after = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()
    assert after["token_slots"] == {
        "primary": slots["primary"]["token_key"],
        "progression": slots["progression"]["token_key"],
    }
    assert after["token_slots"] != before

    rule = next(
        r
        for slot in ("primary", "progression")
        for r in slots[slot]["earn_rules"]
        if not r["conditions"]
    )
    answer = send_event(client, account, user_id, rule["event_type"])
    assert answer["accepted"] is True
    token_key = next(
        slots[s]["token_key"] for s in ("primary", "progression") if rule in slots[s]["earn_rules"]
    )
    assert f"{token_key}:{rule['amount']}" in answer["effects"]["tokens"]
    tokens = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()["tokens"]
    assert tokens[token_key] == rule["amount"]
