"""A rulebook with ``auto_evolve`` evolves a buddy as soon as it becomes ready."""

from __future__ import annotations

import time

from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, satisfy_next_stage


def publish_with_auto_evolve(client: TestClient, account: Account, enabled: bool) -> None:
    published = apply_preset(client, account)
    document = published["document"]
    document["evolution"]["auto_evolve"] = enabled
    headers = account.headers()
    draft = client.post("/api/v1/config-versions", json={"document": document}, headers=headers)
    assert draft.status_code == 201, draft.text
    publish = client.post(
        f"/api/v1/config-versions/{draft.json()['config_version_id']}/publish", headers=headers
    )
    assert publish.status_code == 200, publish.text


def stage_after(client: TestClient, account: Account, buddy_id: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        stage = client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers()).json()
        if stage["evolution_stage"] > 1 or time.monotonic() > deadline:
            return int(stage["evolution_stage"])
        time.sleep(0.05)


def test_ready_buddy_evolves_by_itself(client: TestClient, account: Account) -> None:
    publish_with_auto_evolve(client, account, enabled=True)
    buddy_id = hatch_buddy(client, account)
    satisfy_next_stage(client, account, buddy_id)
    assert stage_after(client, account, buddy_id, seconds=10) == 2
    evolves = client.get("/api/v1/operations?type=evolve", headers=account.headers()).json()["data"]
    assert len(evolves) == 1


def test_without_auto_evolve_the_buddy_waits(client: TestClient, account: Account) -> None:
    publish_with_auto_evolve(client, account, enabled=False)
    buddy_id = hatch_buddy(client, account)
    satisfy_next_stage(client, account, buddy_id)
    assert stage_after(client, account, buddy_id, seconds=1) == 1
    evolution = client.get(f"/api/v1/buddies/{buddy_id}/evolution", headers=account.headers())
    assert evolution.json()["ready"] is True
    evolves = client.get("/api/v1/operations?type=evolve", headers=account.headers()).json()["data"]
    assert evolves == []
