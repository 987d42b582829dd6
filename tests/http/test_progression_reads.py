"""The progression reads (issue 15): ``GET /buddies/{id}/badges``, ``/progression-metrics``
and its legacy twin ``/progression``, and the widget's ``GET /widget/streak/{key}``
(decision 0042)."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import send_event
from tests.http.widget_flow import bearer, mint_embed, mint_session, refusal_of, widget_buddy

API = "/api/v1"


def publishable_key(client: TestClient, account: Account) -> str:
    issued = client.post(
        f"{API}/auth/publishable-keys", json={}, headers=account.headers(account.token)
    )
    assert issued.status_code == 201, issued.text
    return str(issued.json()["key"])


def badges_of(client: TestClient, account: Account, buddy_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/buddies/{buddy_id}/badges", headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["badge_key"]: b for b in body["data"]}


def test_badges_say_how_each_was_earned_and_how_far_the_others_are(
    client: TestClient, account: Account
) -> None:
    buddy = widget_buddy(client, account)
    for _ in range(5):
        send_event(client, account, buddy.user_id)
    before = by_key(badges_of(client, account, buddy.buddy_id))
    assert before["first_steps"]["status"] == "earned"
    assert before["first_steps"]["source"] == "auto"
    assert before["first_steps"]["coin_reward"] == 25
    assert before["first_steps"]["awarded_at"] is not None
    assert before["scholar"]["status"] == "locked"
    assert before["scholar"]["progress"] == 0.2
    assert before["scholar"]["condition"] == {"kind": "milestone", "required": 25, "actual": 5}
    assert before["scholar"]["source"] is None and before["scholar"]["awarded_at"] is None

    awarded = client.post(
        f"{API}/buddies/{buddy.buddy_id}/badges",
        json={"badge_key": "scholar"},
        headers=account.headers(),
    )
    assert awarded.status_code == 200, awarded.text
    body = badges_of(client, account, buddy.buddy_id)
    after = by_key(body)
    assert after["scholar"]["status"] == "earned"
    assert after["scholar"]["source"] == "manual"
    assert after["first_steps"]["source"] == "auto"
    assert body["earned"] == 2
    assert body["total"] == len(body["data"]) == len(before)
    assert [b["badge_key"] for b in body["data"][:2]] == ["first_steps", "scholar"]


def test_progression_metrics_count_what_the_buddy_did_and_the_legacy_route_agrees(
    client: TestClient, account: Account
) -> None:
    buddy = widget_buddy(client, account)
    for _ in range(3):
        send_event(client, account, buddy.user_id)
    send_event(client, account, buddy.user_id, "quiz_passed")
    url = f"{API}/buddies/{buddy.buddy_id}/progression"
    metrics = client.get(f"{url}-metrics", headers=account.headers())
    legacy = client.get(url, headers=account.headers())
    assert metrics.status_code == legacy.status_code == 200, metrics.text
    body = metrics.json()
    assert body["event_counts"] == {"lesson_completed": 3, "quiz_passed": 1}
    assert body["total_events"] == 4
    [streak] = body["streaks"]
    assert (streak["streak_key"], streak["count"], streak["ticked_this_period"]) == (
        "daily_lesson",
        1,
        True,
    )
    assert body["xp"] == sum(s["value"] for s in body["skills"].values()) > 0
    assert body["coins"]["lifetime"] >= body["coins"]["balance"] > 0
    assert body["badges"]["count"] == 0 and body["badges"]["total"] > 0
    assert body["items"] == {"owned": [], "equipped": []}
    twin = legacy.json()
    del body["measured_at"], twin["measured_at"]
    assert twin == body


def test_progression_reads_refuse_unknown_and_foreign_buddies_and_let_a_publishable_key_read(
    client: TestClient, account: Account, other_account: Account
) -> None:
    buddy = widget_buddy(client, account)
    publishable = publishable_key(client, account)
    for path in ("badges", "progression-metrics", "progression"):
        mine = f"{API}/buddies/{buddy.buddy_id}/{path}"
        assert client.get(mine, headers=account.headers(publishable)).status_code == 200
        foreign = client.get(mine, headers=other_account.headers())
        assert refusal_of(foreign)[:2] == (404, "resource_not_found")
        unknown = client.get(f"{API}/buddies/bdy_{'0' * 32}/{path}", headers=account.headers())
        assert refusal_of(unknown)[:2] == (404, "resource_not_found")
        malformed = client.get(f"{API}/buddies/nope/{path}", headers=account.headers())
        assert refusal_of(malformed)[:2] == (404, "resource_not_found")
        assert refusal_of(client.get(mine)) == (401, "unauthorized", "missing")


def test_the_widget_streak_counts_this_period_and_checks_its_token(
    client: TestClient, account: Account
) -> None:
    buddy = widget_buddy(client, account)
    session = mint_session(client, buddy)["token"]
    url = f"{API}/widget/streak/daily_lesson"
    fresh = client.get(url, headers=bearer(session))
    assert fresh.status_code == 200, fresh.text
    body = fresh.json()
    assert (body["count"], body["ticked_this_period"], body["display_mode"]) == (0, False, "count")
    assert body["recent"][-1]["status"] == "open"

    tracked = client.post(
        f"{API}/widget/track", json={"type": "lesson_completed"}, headers=bearer(session)
    )
    assert tracked.status_code == 200, tracked.text
    body = client.get(url, headers=bearer(session)).json()
    assert (body["count"], body["ticked_this_period"], body["alive"]) == (1, True, True)
    assert body["recent"][-1] == {"period": body["current_period"], "status": "ticked"}
    assert body["freeze_tokens"] == 0 and body["next_milestone"] is None

    embed = mint_embed(client, buddy)["token"]
    assert client.get(url, headers=bearer(embed)).json()["count"] == 1
    unknown = client.get(f"{API}/widget/streak/no_such_streak", headers=bearer(session))
    assert refusal_of(unknown)[:2] == (404, "resource_not_found")
    track_only = mint_session(client, buddy, ["events:track"])["token"]
    assert refusal_of(client.get(url, headers=bearer(track_only)))[:2] == (
        403,
        "insufficient_scope",
    )
    assert refusal_of(client.get(url, headers=account.headers())) == (
        403,
        "forbidden",
        "wrong_audience",
    )
    assert refusal_of(client.get(url)) == (401, "unauthorized", "missing")
