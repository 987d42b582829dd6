"""The progression loop's guarantees over HTTP: dedupe, wallets, transitions, isolation."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, send_event, wait_for_operation


@pytest.fixture
def buddy(client: TestClient, account: Account) -> tuple[str, str]:
    """A hatched buddy on the language-learning preset: ``(buddy_id, user_id)``."""
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    return hatch_buddy(client, account, user_id), user_id


def coins_of(client: TestClient, account: Account, buddy_id: str) -> int:
    return int(client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers()).json()["coins"])


def test_event_id_sent_200_times_concurrently_has_one_effect(
    client: TestClient, account: Account, buddy: tuple[str, str]
) -> None:
    buddy_id, user_id = buddy
    body = {"event_id": "evt_once", "user_id": user_id, "type": "lesson_completed"}

    def post(_: int) -> dict:
        return client.post("/api/v1/events", json=body, headers=account.headers()).json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(post, range(200)))
    firsts = [a for a in answers if not a.get("duplicate")]
    assert len(firsts) == 1, [a for a in answers if "error" in a][:3]
    assert all(a["effects"] == firsts[0]["effects"] for a in answers)
    assert coins_of(client, account, buddy_id) == firsts[0]["effects"]["coins"] == 10
    ledger = client.get(
        f"/api/v1/economy/buddies/{buddy_id}/ledger", headers=account.headers()
    ).json()
    assert sum(e["amount"] for e in ledger["data"] if e["direction"] == "credit") == 10


def test_concurrent_spends_never_overdraw(
    client: TestClient, account: Account, buddy: tuple[str, str], backend: str
) -> None:
    buddy_id, _ = buddy
    headers = account.headers()
    credit = client.post(
        f"/api/v1/buddies/{buddy_id}/coins", json={"amount": 50, "reason": "seed"}, headers=headers
    )
    assert credit.status_code == 200
    start = coins_of(client, account, buddy_id)
    attempts = 200 if backend == "postgres" else 60

    def spend(_: int) -> int:
        return client.post(
            f"/api/v1/buddies/{buddy_id}/coins/spend",
            json={"amount": 1, "reason": "race"},
            headers=headers,
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(spend, range(attempts)))
    spent = statuses.count(200)
    assert set(statuses) <= {200, 400}
    assert spent <= start
    final = coins_of(client, account, buddy_id)
    assert final == start - spent >= 0
    entries, cursor = [], None
    while True:
        url = f"/api/v1/economy/buddies/{buddy_id}/ledger?limit=100" + (
            f"&cursor={cursor}" if cursor else ""
        )
        page = client.get(url, headers=headers).json()
        entries += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    total = sum(e["amount"] if e["direction"] == "credit" else -e["amount"] for e in entries)
    assert total == final


def test_racing_plain_credits_and_spends_never_answer_conflict(
    client: TestClient, account: Account, buddy: tuple[str, str], backend: str
) -> None:
    """A plain wallet write has nothing for the client to decide: a race the server lost is
    the server's to retry, so none of these may answer 409."""
    buddy_id, _ = buddy
    headers = account.headers()
    start = coins_of(client, account, buddy_id)
    attempts = 400 if backend == "postgres" else 120

    def move(index: int) -> tuple[int, int, str]:
        path = "coins/spend" if index % 2 else "coins"
        response = client.post(
            f"/api/v1/buddies/{buddy_id}/{path}",
            json={"amount": 3 if index % 2 else 5, "reason": "race"},
            headers=headers,
        )
        return index, response.status_code, response.text

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(move, range(attempts)))
    refused = [(i, status, text) for i, status, text in outcomes if status != 200]
    assert all(status == 400 and "insufficient_balance" in text for _, status, text in refused), (
        refused
    )
    credited = sum(5 for i, status, _ in outcomes if status == 200 and not i % 2)
    spent = sum(3 for i, status, _ in outcomes if status == 200 and i % 2)
    assert credited == 5 * (attempts // 2)
    assert coins_of(client, account, buddy_id) == start + credited - spent


def test_spending_more_than_the_balance_or_the_progression_token(
    client: TestClient, account: Account, buddy: tuple[str, str]
) -> None:
    buddy_id, _ = buddy
    headers = account.headers()
    before = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()
    too_much = client.post(
        f"/api/v1/buddies/{buddy_id}/coins/spend",
        json={"amount": 10_000, "reason": "x"},
        headers=headers,
    )
    assert too_much.status_code == 400
    error = too_much.json()["error"]
    assert error["code"] == "insufficient_balance"
    assert error["details"]["balance"] == before["coins"] and error["details"]["required"] == 10_000
    progression = before["token_slots"]["progression"]
    spend_progression = client.post(
        f"/api/v1/buddies/{buddy_id}/coins/spend",
        json={"amount": 1, "reason": "x", "token_key": progression},
        headers=headers,
    )
    assert spend_progression.status_code == 400
    assert spend_progression.json()["error"]["code"] == "progression_not_spendable"
    assert (
        client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()["coins"]
        == before["coins"]
    )


def test_event_for_a_user_without_buddy_is_stored_and_explained(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    answer = send_event(client, account, "nobody")
    assert answer["accepted"] is True and answer["effects"]["coins"] == 0
    explained = client.get(f"/api/v1/events/{answer['event_id']}", headers=account.headers()).json()
    assert explained["outcome"] == "no_active_buddy"
    assert explained["trace"][0]["reason"] == "no_active_buddy"


def test_events_list_and_types(
    client: TestClient, account: Account, buddy: tuple[str, str]
) -> None:
    _, user_id = buddy
    for _ in range(3):
        send_event(client, account, user_id)
    send_event(client, account, user_id, "custom_thing")
    listed = client.get(
        f"/api/v1/events?user_id={user_id}&limit=2", headers=account.headers()
    ).json()
    assert len(listed["data"]) == 2 and listed["next_cursor"]
    rest = client.get(
        f"/api/v1/events?user_id={user_id}&limit=10&cursor={listed['next_cursor']}",
        headers=account.headers(),
    ).json()
    assert len(rest["data"]) == 2 and rest["next_cursor"] is None
    types = {
        t["type"]: t
        for t in client.get("/api/v1/events/types", headers=account.headers()).json()["data"]
    }
    assert types["lesson_completed"]["count"] == 3 and types["custom_thing"]["registered"] is False
    bad = client.get(
        "/api/v1/events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        headers=account.headers(),
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"


def test_malformed_events_are_refused_and_change_nothing(
    client: TestClient, account: Account, buddy: tuple[str, str]
) -> None:
    buddy_id, user_id = buddy
    headers = account.headers()
    bad_bodies = [
        {"user_id": user_id, "type": "lesson_completed"},
        {"event_id": "e1", "user_id": user_id, "type": "Lesson Completed"},
        {
            "event_id": "e2",
            "user_id": user_id,
            "type": "lesson_completed",
            "occurred_at": "yesterday",
        },
        {
            "event_id": "e3",
            "user_id": user_id,
            "type": "lesson_completed",
            "occurred_at": "2026-01-01T00:00:00",
        },
        {"event_id": "e4", "userId": user_id, "type": "lesson_completed"},
        {"event_id": "e5", "user_id": user_id, "type": "lesson_completed", "properties": []},
    ]
    for body in bad_bodies:
        response = client.post("/api/v1/events", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
    assert coins_of(client, account, buddy_id) == 0
    for event_id in ("e1", "e2", "e3", "e4", "e5"):
        assert client.get(f"/api/v1/events/{event_id}", headers=headers).status_code == 404


def test_batch_items_stand_alone(
    client: TestClient, account: Account, buddy: tuple[str, str]
) -> None:
    buddy_id, user_id = buddy
    events = [
        {"event_id": "b1", "user_id": user_id, "type": "lesson_completed"},
        {"event_id": "b1", "user_id": user_id, "type": "lesson_completed"},
        {
            "event_id": "b2",
            "user_id": user_id,
            "type": "lesson_completed",
            "buddy_id": "bdy_" + "0" * 32,
        },
    ]
    results = client.post(
        "/api/v1/events/batch", json={"events": events}, headers=account.headers()
    ).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate", "rejected"]
    assert results[2]["error"]["code"] == "resource_not_found"
    too_many = [{"event_id": f"x{i}", "user_id": user_id, "type": "t"} for i in range(501)]
    assert (
        client.post(
            "/api/v1/events/batch", json={"events": too_many}, headers=account.headers()
        ).status_code
        == 422
    )
    assert coins_of(client, account, buddy_id) == 10


def test_illegal_transitions(client: TestClient, account: Account) -> None:
    apply_preset(client, account)
    headers = account.headers()
    egg = client.post("/api/v1/eggs", json={"user_id": "u1"}, headers=headers).json()
    waiting_hatch = client.post(f"/api/v1/eggs/{egg['egg_id']}/hatch", headers=headers)
    assert waiting_hatch.status_code == 409
    assert waiting_hatch.json()["error"]["code"] == "invalid_state_transition"
    bad_status = client.patch(
        f"/api/v1/eggs/{egg['egg_id']}/status", json={"status": "hatched"}, headers=headers
    )
    assert bad_status.status_code == 422
    assert (
        client.get(f"/api/v1/eggs/{egg['egg_id']}", headers=headers).json()["status"] == "waiting"
    )

    buddy_id = hatch_buddy(client, account, "u2")
    operations = client.get(
        "/api/v1/operations?type=hatch&status=completed", headers=headers
    ).json()["data"]
    completed = operations[0]["operation_id"]
    cancel = client.post(f"/api/v1/operations/{completed}/cancel", headers=headers)
    assert (
        cancel.status_code == 409 and cancel.json()["error"]["code"] == "invalid_state_transition"
    )
    equip_unowned = client.patch(
        f"/api/v1/buddies/{buddy_id}/equipped-items",
        json={"item_ids": ["not_owned"]},
        headers=headers,
    )
    assert (
        equip_unowned.status_code == 400
        and equip_unowned.json()["error"]["code"] == "item_not_owned"
    )
    five = client.patch(
        f"/api/v1/buddies/{buddy_id}/equipped-items",
        json={"item_ids": ["a", "b", "c", "d", "e"]},
        headers=headers,
    )
    assert five.status_code == 400 and five.json()["error"]["code"] == "too_many_items"
    assert five.json()["error"]["details"] == {"max": 4, "attempted": 5}


def test_active_egg_cap_and_no_published_config(client: TestClient, account: Account) -> None:
    headers = account.headers()
    none = client.post("/api/v1/eggs", json={"user_id": "u"}, headers=headers)
    assert none.status_code == 409 and none.json()["error"]["code"] == "no_published_config"
    assert "publish_url" in none.json()["error"]["details"]
    apply_preset(client, account)
    for _ in range(3):
        assert (
            client.post("/api/v1/eggs", json={"user_id": "u"}, headers=headers).status_code == 201
        )
    fourth = client.post("/api/v1/eggs", json={"user_id": "u"}, headers=headers)
    assert fourth.status_code == 409
    error = fourth.json()["error"]
    assert error["code"] == "active_egg_limit" and error["details"]["max"] == 3
    assert len(error["details"]["active"]) == 3
    assert (
        client.post("/api/v1/eggs?ensure=true", json={"user_id": "u"}, headers=headers).status_code
        == 200
    )


def test_concurrent_egg_creation_respects_the_cap(client: TestClient, account: Account) -> None:
    apply_preset(client, account)

    def lay(_: int) -> int:
        return client.post(
            "/api/v1/eggs", json={"user_id": "racer"}, headers=account.headers()
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lay, range(12)))
    assert statuses.count(201) == 3
    eggs = client.get("/api/v1/eggs?user_id=racer", headers=account.headers()).json()["data"]
    assert len(eggs) == 3


def test_another_tenants_ids_are_not_found(
    client: TestClient, account: Account, other_account: Account, buddy: tuple[str, str]
) -> None:
    buddy_id, user_id = buddy
    headers = account.headers()
    egg_id = client.get(f"/api/v1/eggs?user_id={user_id}", headers=headers).json()["data"][0][
        "egg_id"
    ]
    operation_id = client.get("/api/v1/operations", headers=headers).json()["data"][0][
        "operation_id"
    ]
    event_id = send_event(client, account, user_id)["event_id"]
    intruder = other_account.headers()
    own_test_mode = account.headers(account.test_key)
    requests = [
        ("GET", f"/api/v1/eggs/{egg_id}", None),
        ("PATCH", f"/api/v1/eggs/{egg_id}/status", {"status": "cancelled"}),
        ("POST", f"/api/v1/eggs/{egg_id}/hatch", None),
        ("GET", f"/api/v1/operations/{operation_id}", None),
        ("POST", f"/api/v1/operations/{operation_id}/cancel", None),
        ("GET", f"/api/v1/events/{event_id}", None),
        ("GET", f"/api/v1/buddies/{buddy_id}", None),
        ("PATCH", f"/api/v1/buddies/{buddy_id}", {"name": "Mine"}),
        ("PATCH", f"/api/v1/buddies/{buddy_id}/archive", None),
        ("GET", f"/api/v1/buddies/{buddy_id}/evolution", None),
        ("POST", f"/api/v1/buddies/{buddy_id}/evolve", None),
        ("PATCH", f"/api/v1/buddies/{buddy_id}/equipped-items", {"item_ids": []}),
        ("PATCH", f"/api/v1/buddies/{buddy_id}/skills", {"skills": {"x": 1}}),
        ("POST", f"/api/v1/buddies/{buddy_id}/coins", {"amount": 5, "reason": "steal"}),
        ("POST", f"/api/v1/buddies/{buddy_id}/coins/spend", {"amount": 1, "reason": "steal"}),
        (
            "POST",
            f"/api/v1/buddies/{buddy_id}/tokens",
            {"token_key": "xp", "amount": 1, "reason": "x"},
        ),
        ("POST", f"/api/v1/buddies/{buddy_id}/badges", {"badge_key": "x"}),
        ("POST", f"/api/v1/buddies/{buddy_id}/items", {"item_id": "x"}),
        ("GET", f"/api/v1/economy/buddies/{buddy_id}/ledger", None),
    ]
    for headers_ in (intruder, own_test_mode):
        for method, url, body in requests:
            response = client.request(method, url, json=body, headers=headers_)
            assert response.status_code == 404, (method, url, response.text)
            assert response.json()["error"]["code"] == "resource_not_found"
        assert (
            client.get(f"/api/v1/buddies?user_id={user_id}", headers=headers_).json()["data"] == []
        )
        summary = client.get(f"/api/v1/buddies/users/{user_id}/summary", headers=headers_).json()
        assert summary["buddy_count"] == 0
    buddy = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()
    assert buddy["name"] != "Mine" and buddy["status"] == "active" and buddy["coins"] == 10


def test_publishable_key_reads_but_does_not_write(
    client: TestClient, account: Account, buddy: tuple[str, str]
) -> None:
    buddy_id, user_id = buddy
    publishable = client.post(
        "/api/v1/auth/publishable-keys", json={}, headers=account.headers(account.token)
    )
    headers = account.headers(publishable.json()["key"])
    assert client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).status_code == 200
    refused = client.post(
        "/api/v1/events", json={"event_id": "p", "user_id": user_id, "type": "t"}, headers=headers
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "publishable_key_scope"


def test_archived_buddy_is_read_only(
    client: TestClient, account: Account, buddy: tuple[str, str]
) -> None:
    buddy_id, user_id = buddy
    headers = account.headers()
    assert (
        client.patch(f"/api/v1/buddies/{buddy_id}/archive", headers=headers).json()["status"]
        == "archived"
    )
    again = client.patch(f"/api/v1/buddies/{buddy_id}/archive", headers=headers)
    assert again.status_code == 409
    answer = send_event(client, account, user_id)
    assert answer["effects"]["coins"] == 0
    refused = client.post(
        f"/api/v1/buddies/{buddy_id}/coins", json={"amount": 1, "reason": "x"}, headers=headers
    )
    assert refused.status_code == 409


def test_cancel_a_pending_hatch_gives_the_egg_back(
    client: TestClient, account: Account, container
) -> None:
    apply_preset(client, account)
    headers = account.headers()
    for follower in container.followers:
        if follower.name == "operation_dispatcher":
            follower.stop()
    egg = client.post("/api/v1/eggs", json={"user_id": "slow"}, headers=headers).json()
    client.patch(f"/api/v1/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=headers)
    operation_id = client.post(f"/api/v1/eggs/{egg['egg_id']}/hatch", headers=headers).json()[
        "operation_id"
    ]
    cancelled = client.post(f"/api/v1/operations/{operation_id}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.get(f"/api/v1/eggs/{egg['egg_id']}", headers=headers).json()["status"] == "ready"
    assert wait_for_operation(client, account, operation_id)["status"] == "cancelled"
