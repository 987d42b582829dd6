"""Over HTTP: a manual badge with a custom property condition and coin + token rewards.

Its condition holding records it *ready* (``GET /buddies/{id}/badges``, a signed
``badge.ready``); only ``POST /buddies/{id}/badges`` awards it, paying its rewards once in
the award's own save, whatever the number of parallel awards. Bad bodies change nothing,
another tenant's buddy is a 404 and a wrong credential a 401. Decision 0047.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, send_event
from tests.http.shop_flow import error_of
from tests.http.test_webhook_deliveries import subscribe, verified
from tests.receiver import Received, Receiver

API = "/api/v1"
MENTOR = {
    "key": "mentor_pick",
    "name": "Mentor's pick",
    "description": "Two lessons with a score of 90 or more, then a mentor's nod.",
    "condition": {
        "kind": "custom",
        "event_type": "lesson_completed",
        "conditions": [{"property": "score", "operator": "gte", "value": 90}],
        "count": 2,
    },
    "auto_award": False,
    "coin_reward": 25,
    "token_rewards": {"stars": 2},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, webhook_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def publish_mentor(client: TestClient, account: Account) -> None:
    apply_preset(client, account)
    created = client.post(f"{API}/badge-definitions", json=MENTOR, headers=account.headers())
    assert created.status_code == 201, created.text
    assert created.json()["token_rewards"] == {"stars": 2}
    assert created.json()["condition"] == MENTOR["condition"]
    draft = created.json()["config_version_id"]
    published = client.post(f"{API}/config-versions/{draft}/publish", headers=account.headers())
    assert published.status_code == 200, published.text


def standing(client: TestClient, account: Account, buddy_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/buddies/{buddy_id}/badges", headers=account.headers())
    assert response.status_code == 200, response.text
    return next(b for b in response.json()["data"] if b["badge_key"] == "mentor_pick")


def buddy(client: TestClient, account: Account, buddy_id: str, **query: str) -> dict[str, Any]:
    response = client.get(f"{API}/buddies/{buddy_id}", params=query, headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def award(client: TestClient, account: Account, buddy_id: str, **body: Any) -> Any:
    return client.post(
        f"{API}/buddies/{buddy_id}/badges",
        json={"badge_key": "mentor_pick", **body},
        headers=account.headers(),
    )


def badge_entries(client: TestClient, account: Account, buddy_id: str) -> list[dict[str, Any]]:
    path = f"{API}/economy/buddies/{buddy_id}/ledger?limit=100"
    response = client.get(path, headers=account.headers())
    assert response.status_code == 200, response.text
    return [e for e in response.json()["data"] if "mentor_pick" in str(e)]


def ready_buddy(client: TestClient, account: Account) -> str:
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch_buddy(client, account, user_id)
    for score in (95, 40, 91):
        send_event(client, account, user_id, properties={"score": score})
    return buddy_id


def test_a_manual_badge_is_ready_then_awarded_once_with_its_rewards(
    client: TestClient, account: Account, receiver: Receiver
) -> None:
    publish_mentor(client, account)
    hook = subscribe(client, account, receiver.url, events=["badge.ready", "badge.awarded"])
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch_buddy(client, account, user_id)
    first = send_event(client, account, user_id, properties={"score": 95})
    assert first["effects"]["badges_awarded"] == []
    assert standing(client, account, buddy_id)["status"] == "locked"
    assert standing(client, account, buddy_id)["condition"]["actual"] == 1
    send_event(client, account, user_id, properties={"score": 40})
    second = send_event(client, account, user_id, properties={"score": 91})
    assert second["effects"]["badges_awarded"] == []

    mentor = standing(client, account, buddy_id)
    assert (mentor["status"], mentor["auto_award"], mentor["token_rewards"]) == (
        "ready",
        False,
        {"stars": 2},
    )
    received = receiver.wait_for(lambda got: any(_named(r, "badge.ready") for r in got))
    ready = verified(next(r for r in received if _named(r, "badge.ready")), hook["secret"])
    assert (ready["buddy_id"], ready["badge_key"]) == (buddy_id, "mentor_pick")
    assert ready["reference_id"] == second["event_id"]

    before = buddy(client, account, buddy_id)
    answered = award(client, account, buddy_id)
    assert answered.status_code == 200, answered.text
    after = answered.json()
    assert "mentor_pick" in {b["badge_key"] for b in after["badges"]}
    assert after["coins"] == before["coins"] + 25
    assert after["tokens"]["stars"] == before["tokens"]["stars"] + 2
    assert standing(client, account, buddy_id)["status"] == "earned"
    assert standing(client, account, buddy_id)["source"] == "manual"
    paid = [(e["currency"], e["amount"]) for e in badge_entries(client, account, buddy_id)]
    assert sorted(paid) == [("coins", 25), ("stars", 2)]

    received = receiver.wait_for(lambda got: any(_named(r, "badge.awarded") for r in got))
    awarded = verified(next(r for r in received if _named(r, "badge.awarded")), hook["secret"])
    assert (awarded["source"], awarded["coin_reward"], awarded["token_rewards"]) == (
        "manual",
        25,
        {"stars": 2},
    )

    error_of(award(client, account, buddy_id), 409, "conflict")
    assert buddy(client, account, buddy_id)["coins"] == after["coins"]

    timeline = client.get(
        f"{API}/buddies/{buddy_id}/timeline", params={"kind": "badge"}, headers=account.headers()
    )
    assert timeline.status_code == 200, timeline.text
    types = [e["type"] for e in timeline.json()["data"]]
    assert types.count("BadgeBecameReady") == 1 and types.count("BadgeAwarded") == 1
    assert types.count("CustomConditionsMatched") == 2

    explained = client.get(f"{API}/events/{first['event_id']}", headers=account.headers())
    assert explained.status_code == 200, explained.text
    [why] = [e for e in explained.json()["explanations"] if e.get("rule_id") == "mentor_pick"]
    assert why["message"] == (
        "badge mentor_pick is not earned yet: it needs 2 lesson_completed events whose "
        "properties meet its conditions, and the buddy has 1."
    )


def _named(request: Received, name: str) -> bool:
    return request.headers.get("X-Hatched-Event") == name


def test_as_of_shows_the_buddy_before_and_after_the_award(
    client: TestClient, account: Account
) -> None:
    publish_mentor(client, account)
    buddy_id = ready_buddy(client, account)
    before = buddy(client, account, buddy_id)
    assert award(client, account, buddy_id).status_code == 200
    moment = datetime.fromisoformat(before["updated_at"]) + timedelta(microseconds=1)
    then = buddy(client, account, buddy_id, as_of=moment.isoformat())
    assert "mentor_pick" not in {b["badge_key"] for b in then["badges"]}
    assert (then["coins"], then["tokens"]) == (before["coins"], before["tokens"])
    now = buddy(client, account, buddy_id)
    assert now["tokens"]["stars"] == before["tokens"]["stars"] + 2


def test_twenty_parallel_awards_award_once_and_pay_once(
    client: TestClient, account: Account
) -> None:
    publish_mentor(client, account)
    buddy_id = ready_buddy(client, account)
    before = buddy(client, account, buddy_id)
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: award(client, account, buddy_id), range(20)))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 19
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"conflict"}
    after = buddy(client, account, buddy_id)
    assert after["coins"] == before["coins"] + 25
    assert after["tokens"]["stars"] == before["tokens"]["stars"] + 2
    paid = [(e["currency"], e["amount"]) for e in badge_entries(client, account, buddy_id)]
    assert sorted(paid) == [("coins", 25), ("stars", 2)]


def test_bad_awards_are_refused_and_change_nothing(
    client: TestClient, account: Account, other_account: Account
) -> None:
    publish_mentor(client, account)
    buddy_id = ready_buddy(client, account)
    before = buddy(client, account, buddy_id)
    path = f"{API}/buddies/{buddy_id}/badges"
    h = account.headers()
    for body, field in (
        ({}, "badge_key"),
        ({"badge_key": 7}, "badge_key"),
        ({"badge_key": "mentor_pick", "extra": 1}, "extra"),
    ):
        refused = error_of(client.post(path, json=body, headers=h), 422, "validation_failed")
        assert [f["field"] for f in refused["details"]["fields"]] == [field]
    error_of(
        client.post(path, json={"badge_key": "no_such_badge"}, headers=h),
        404,
        "resource_not_found",
    )
    # Another tenant's buddy, or this customer's other mode: as if it did not exist.
    error_of(award(client, other_account, buddy_id), 404, "resource_not_found")
    test_mode = client.post(
        path, json={"badge_key": "mentor_pick"}, headers=account.headers(account.test_key)
    )
    error_of(test_mode, 404, "resource_not_found")
    # Wrong credentials.
    error_of(client.post(path, json={"badge_key": "mentor_pick"}), 401, "unauthorized")
    error_of(
        client.post(path, json={"badge_key": "mentor_pick"}, headers=account.headers("sk_nope")),
        401,
        "unauthorized",
    )
    assert buddy(client, account, buddy_id) == before
    assert standing(client, account, buddy_id)["status"] == "ready"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"token_rewards": {"rubies": 1}}, "token_rewards.rubies"),
        ({"token_rewards": {"stars": 0}}, "token_rewards.stars"),
        ({"condition": {**MENTOR["condition"], "conditions": []}}, "condition.conditions"),
        ({"condition": {"kind": "formula"}}, "condition.kind"),
    ],
)
def test_a_bad_badge_definition_is_refused_and_changes_nothing(
    client: TestClient, account: Account, change: dict[str, Any], field: str
) -> None:
    apply_preset(client, account)
    response = client.post(
        f"{API}/badge-definitions", json={**MENTOR, **change}, headers=account.headers()
    )
    error = error_of(response, 422, "validation_failed")
    assert [f["field"] for f in error["details"]["fields"]] == [field]
    listed = client.get(f"{API}/badge-definitions", headers=account.headers()).json()["data"]
    assert "mentor_pick" not in {b["key"] for b in listed}
