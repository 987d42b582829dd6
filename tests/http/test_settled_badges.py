"""Over HTTP: the stage badge is there as soon as the evolve completes, and its webhook is the
same ``badge.awarded`` an event's award sends; an override answers with the badge it earned."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, satisfy_next_stage, wait_for_operation
from tests.receiver import Received, Receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, webhook_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def badge_keys(client: TestClient, account: Account, buddy_id: str) -> set[str]:
    buddy = client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers()).json()
    return {b["badge_key"] for b in buddy["badges"]}


def test_the_stage_badge_is_awarded_by_the_evolve_itself(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    apply_preset(client, account)
    hook = {"url": receiver.url, "events": ["badge.awarded"]}
    assert client.post("/api/v1/webhook-configs", json=hook, headers=account.headers()).is_success
    buddy_id = hatch_buddy(client, account)
    satisfy_next_stage(client, account, buddy_id)
    assert "fledgling" not in badge_keys(client, account, buddy_id)

    evolve = client.post(f"/api/v1/buddies/{buddy_id}/evolve", headers=account.headers())
    assert evolve.status_code == 202, evolve.text
    operation = wait_for_operation(client, account, evolve.json()["operation_id"])
    assert operation["status"] == "completed", operation

    assert "fledgling" in badge_keys(client, account, buddy_id)
    received = receiver.wait_for(lambda got: any(_fledgling(r) for r in got))
    payload = next(json.loads(r.body) for r in received if _fledgling(r))
    assert payload["buddy_id"] == buddy_id
    assert (payload["source"], payload["reference_id"]) == ("rule", None)


def _fledgling(request: Received) -> bool:
    return bool(json.loads(request.body).get("badge_key") == "fledgling")


def test_a_skill_override_answers_with_the_badge_it_earned(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account, f"user_{uuid.uuid4().hex[:8]}")
    response = client.patch(
        f"/api/v1/buddies/{buddy_id}/skills",
        json={"skills": {"grammar": 60}},
        headers=account.headers(),
    )
    assert response.status_code == 200, response.text
    assert "grammar_guru" in {b["badge_key"] for b in response.json()["badges"]}
