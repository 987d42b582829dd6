"""``/widget/*`` with a widget token: state and its ETag, reads, track, scopes, isolation."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.container import Container
from tests.conftest import Account
from tests.http.flow import send_event, wait_for_operation
from tests.http.widget_flow import (
    WidgetBuddy,
    bearer,
    error_of,
    mint_embed,
    mint_session,
    widget_buddy,
)

API = "/api/v1/widget"


@pytest.fixture
def buddy(client: TestClient, account: Account) -> WidgetBuddy:
    return widget_buddy(client, account)


@pytest.fixture
def token(client: TestClient, buddy: WidgetBuddy) -> str:
    return str(mint_session(client, buddy)["token"])


def track(client: TestClient, token: str, **body: Any) -> Any:
    return client.post(
        f"{API}/track", json={"type": "lesson_completed", **body}, headers=bearer(token)
    )


def evolve_to_stage_two(client: TestClient, buddy: WidgetBuddy) -> str:
    """Meet stage 2 (100 coins earned and the first_steps badge) and evolve; the operation id."""
    headers = buddy.account.headers()
    for _ in range(5):
        send_event(client, buddy.account, buddy.user_id)
    client.post(
        f"/api/v1/buddies/{buddy.buddy_id}/coins",
        json={"amount": 50, "reason": "x"},
        headers=headers,
    )
    evolve = client.post(f"/api/v1/buddies/{buddy.buddy_id}/evolve", headers=headers)
    assert evolve.status_code == 202, evolve.text
    operation_id = str(evolve.json()["operation_id"])
    assert wait_for_operation(client, buddy.account, operation_id)["status"] == "completed"
    return operation_id


def test_state_carries_everything_a_widget_shows_with_an_etag(
    client: TestClient, buddy: WidgetBuddy, token: str
) -> None:
    first = client.get(f"{API}/state", headers=bearer(token))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["buddy"]["buddy_id"] == buddy.buddy_id and body["buddy"]["coins"] == 0
    assert body["stage_name"] == "Hatchling"
    assert body["token_type"] == "widget_session" and "events:track" in body["scopes"]
    assert body["pending_operations"] == []
    assert body["appearance"]["status"] == body["buddy"]["appearance"]["status"]
    assert body["tokens"]["primary"]["key"] == "stars"
    assert body["badges"]["total"] == len(body["badges"]["data"]) > 0
    assert body["theme"]["theme"] == "light"
    etag = first.headers["etag"]

    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        unchanged = client.get(f"{API}/state", headers={**bearer(token), "If-None-Match": sent})
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert unchanged.headers["etag"] == etag
    stale = client.get(f"{API}/state", headers={**bearer(token), "If-None-Match": '"other"'})
    assert stale.status_code == 200

    assert track(client, token).status_code == 200
    changed = client.get(f"{API}/state", headers={**bearer(token), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["buddy"]["coins"] == 10


def test_track_runs_the_events_pipeline_for_the_tokens_buddy(
    client: TestClient, buddy: WidgetBuddy, token: str
) -> None:
    answer = track(client, token, event_id="lesson-1", properties={"score": 100})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accepted"] is True and body["effects"]["coins"] == 15
    assert set(body["effects"]) >= {"coins", "badges_awarded", "tokens", "evolution_ready"}
    assert body["event_id"].startswith("wgt_") and body["event_id"].endswith("_lesson-1")

    again = track(client, token, event_id="lesson-1", properties={"score": 100})
    assert again.json()["duplicate"] is True and again.json()["effects"] == body["effects"]
    generated = [track(client, token).json()["event_id"] for _ in range(2)]
    assert generated[0] != generated[1]

    recorded = client.get(f"/api/v1/events/{body['event_id']}", headers=buddy.account.headers())
    assert recorded.json()["user_id"] == buddy.user_id
    assert recorded.json()["applied_to"] == [buddy.buddy_id]
    coins = client.get(f"/api/v1/buddies/{buddy.buddy_id}", headers=buddy.account.headers())
    assert coins.json()["coins"] == 35


def test_a_widget_cannot_replay_or_claim_the_customers_event_ids(
    client: TestClient, buddy: WidgetBuddy, token: str
) -> None:
    server = send_event(client, buddy.account, buddy.user_id)
    from_browser = track(client, token, event_id=server["event_id"])
    assert from_browser.json().get("duplicate") is not True
    assert from_browser.json()["event_id"] != server["event_id"]


def test_track_refuses_bad_input_and_missing_scopes_and_changes_nothing(
    client: TestClient, buddy: WidgetBuddy, container: Container
) -> None:
    session = mint_session(client, buddy, ["read"])["token"]
    embed = mint_embed(client, buddy)["token"]
    full = mint_session(client, buddy)["token"]
    for used in (session, full):  # a session's first use records its activation
        assert client.get(f"{API}/buddy", headers=bearer(used)).status_code == 200
    head = container.store.head()
    assert error_of(track(client, session)) == (403, "insufficient_scope")
    assert error_of(track(client, embed)) == (403, "forbidden")
    for body in (
        {"userId": "x"},
        {"user_id": "someone_else"},
        {"buddy_id": buddy.buddy_id},
        {"type": "Not A Type"},
        {"occurred_at": "2026-04-08T10:30:00"},
        {"event_id": "x" * 201},
        {"properties": []},
    ):
        response = track(client, full, **body)
        assert error_of(response) == (422, "validation_failed"), body
    assert container.store.head() == head


def test_reads_need_the_read_scope_and_writes_refuse_embed_tokens(
    client: TestClient, buddy: WidgetBuddy
) -> None:
    track_only = mint_session(client, buddy, ["events:track"])["token"]
    for path in ("state", "buddy", "badges", "tokens", "evolutions", "theme"):
        assert error_of(client.get(f"{API}/{path}", headers=bearer(track_only))) == (
            403,
            "insufficient_scope",
        )
    assert track(client, track_only).status_code == 200
    embed = mint_embed(client, buddy)["token"]
    assert client.get(f"{API}/buddy", headers=bearer(embed)).status_code == 200
    rerender = client.post(f"{API}/appearance/rerender", headers=bearer(embed))
    assert error_of(rerender) == (403, "forbidden")
    no_equip = mint_session(client, buddy, ["read", "events:track"])["token"]
    rerender = client.post(f"{API}/appearance/rerender", headers=bearer(no_equip))
    assert error_of(rerender) == (403, "insufficient_scope")


def test_buddy_badges_and_tokens_follow_progress(
    client: TestClient, buddy: WidgetBuddy, token: str
) -> None:
    for _ in range(5):
        track(client, token)
    assert client.get(f"{API}/buddy", headers=bearer(token)).json()["coins"] == 75
    badges = client.get(f"{API}/badges", headers=bearer(token)).json()
    earned = [t for t in badges["data"] if t["status"] == "earned"]
    assert [t["badge_key"] for t in earned] == ["first_steps"] and badges["earned"] == 1
    assert earned[0]["awarded_at"] is not None and earned[0]["progress"] == 1
    next_up = badges["next_up"]
    assert 1 <= len(next_up) <= 3 and all(t["status"] == "locked" for t in next_up)
    assert [t["progress"] for t in next_up] == sorted(
        (t["progress"] for t in next_up), reverse=True
    )
    scholar = next(t for t in badges["data"] if t["badge_key"] == "scholar")
    assert scholar["progress"] == pytest.approx(5 / 25) and scholar["condition"]["actual"] == 5
    tokens = client.get(f"{API}/tokens", headers=bearer(token)).json()
    assert tokens["coins"] == {"balance": 75, "lifetime": 75}
    assert tokens["primary"] == {"key": "stars", "label": "Stars", "balance": 0, "lifetime": 0}
    assert tokens["progression"]["key"] == "xp" and tokens["progression"]["label"] == "XP"


def test_evolutions_and_operations_are_the_buddys_own(
    client: TestClient, buddy: WidgetBuddy, token: str, account: Account
) -> None:
    before = client.get(f"{API}/evolutions", headers=bearer(token)).json()
    assert [s["status"] for s in before["stages"]] == [
        "reached",
        "next",
        "locked",
        "locked",
        "locked",
    ]
    assert before["stages"][0]["reached_at"] is not None and before["next"]["ready"] is False
    operation_id = evolve_to_stage_two(client, buddy)

    after = client.get(f"{API}/evolutions", headers=bearer(token)).json()
    assert after["stages"][1]["status"] == "reached"
    assert after["stages"][1]["operation_id"] == operation_id
    assert after["stages"][1]["conditions"]["badges"] == ["first_steps"]
    assert client.get(f"{API}/state", headers=bearer(token)).json()["stage_name"] == "Fledgling"
    own = client.get(f"{API}/operations/{operation_id}", headers=bearer(token))
    assert own.status_code == 200 and own.json()["status"] == "completed"

    sibling = widget_buddy(client, account, preset=False)
    sibling_token = mint_session(client, sibling)["token"]
    for other, op in ((sibling_token, operation_id), (token, "op_" + "0" * 32), (token, "nope")):
        response = client.get(f"{API}/operations/{op}", headers=bearer(other))
        assert error_of(response) == (404, "resource_not_found")
    hatch = client.get("/api/v1/operations?type=hatch", headers=account.headers()).json()
    for row in hatch["data"]:
        response = client.get(f"{API}/operations/{row['operation_id']}", headers=bearer(token))
        assert error_of(response) == (404, "resource_not_found")


def test_rerender_starts_an_operation_the_state_shows_until_done(
    client: TestClient, token: str
) -> None:
    rerender = client.post(f"{API}/appearance/rerender", headers=bearer(token))
    assert rerender.status_code == 202, rerender.text
    operation_id = rerender.json()["operation_id"]
    operation = client.get(f"{API}/operations/{operation_id}", headers=bearer(token)).json()
    assert operation["type"] == "equip_item"
    pending = client.get(f"{API}/state", headers=bearer(token)).json()["pending_operations"]
    assert [p["operation_id"] for p in pending] in ([operation_id], [])
    for _ in range(200):
        done = client.get(f"{API}/operations/{operation_id}", headers=bearer(token)).json()
        if done["status"] == "completed":
            break
    assert done["status"] == "completed"
    assert client.get(f"{API}/state", headers=bearer(token)).json()["pending_operations"] == []


def test_theme_follows_the_customers_setting(
    client: TestClient, buddy: WidgetBuddy, token: str
) -> None:
    assert client.get(f"{API}/theme", headers=bearer(token)).json()["theme"] == "light"
    changed = client.patch(
        "/api/v1/customers/me/settings",
        json={"widget_theme": "dark"},
        headers=buddy.account.headers(),
    )
    assert changed.status_code == 200, changed.text
    theme = client.get(f"{API}/theme", headers=bearer(token)).json()
    assert theme["theme"] == "dark" and theme["geometry"] == "rounded"


def test_live_and_test_worlds_do_not_mix(client: TestClient, account: Account) -> None:
    live = widget_buddy(client, account)
    test_headers = account.headers(account.test_key)
    test_world = client.post(
        "/api/v1/customers/me/apply-preset",
        json={"preset_key": "language-learning"},
        headers=test_headers,
    )
    assert test_world.status_code in (200, 201)
    live_token = mint_session(client, live)["token"]
    assert track(client, live_token).status_code == 200
    state = client.get(f"{API}/state", headers=bearer(live_token)).json()
    assert state["buddy"]["buddy_id"] == live.buddy_id
    events = client.get("/api/v1/events", headers=test_headers).json()["data"]
    assert events == []


def test_browsers_may_call_the_widget_api_from_any_origin(client: TestClient, token: str) -> None:
    origin = {"Origin": "https://customer.example"}
    preflight = client.options(
        f"{API}/state",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, if-none-match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "if-none-match" in preflight.headers["access-control-allow-headers"]
    read = client.get(f"{API}/state", headers={**origin, **bearer(token)})
    assert read.headers["access-control-allow-origin"] == "*"
    assert "etag" in read.headers["access-control-expose-headers"]
    refused = client.get(f"{API}/state", headers={**origin, **bearer("nope")})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"
    embed = client.options(
        "/api/v1/embed-tokens", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert embed.headers["access-control-allow-origin"] == "*"
    other = client.get("/api/v1/health", headers=origin)
    assert "access-control-allow-origin" not in other.headers


def test_the_leaderboard_shows_display_data_and_marks_the_tokens_buddy(
    client: TestClient, buddy: WidgetBuddy, token: str, account: Account
) -> None:
    rival = widget_buddy(client, account, preset=False)
    for _ in range(2):
        send_event(client, account, rival.user_id)
    track(client, token)
    board = client.get(f"{API}/leaderboard?limit=1", headers=bearer(token))
    assert board.status_code == 200, board.text
    body = board.json()
    assert body["metric"] == "coins_earned" and body["total"] == 2
    assert body["data"] == [
        {"rank": 1, "name": "Buddy", "evolution_stage": 1, "value": 20, "me": False}
    ]
    assert body["me"] == {"rank": 2, "name": "Buddy", "evolution_stage": 1, "value": 10, "me": True}
    assert rival.user_id not in board.text and buddy.user_id not in board.text
    assert rival.buddy_id not in board.text
    embed = mint_embed(client, buddy)["token"]
    assert client.get(f"{API}/leaderboard", headers=bearer(embed)).status_code == 200
    too_many = client.get(f"{API}/leaderboard?limit=21", headers=bearer(token))
    assert error_of(too_many) == (422, "validation_failed")
    track_only = mint_session(client, buddy, ["events:track"])["token"]
    assert error_of(client.get(f"{API}/leaderboard", headers=bearer(track_only))) == (
        403,
        "insufficient_scope",
    )
