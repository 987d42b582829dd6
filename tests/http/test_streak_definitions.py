"""``/streak-definitions`` over HTTP (issue 15): the draft, publishing to buddies, refusals,
tenant isolation and credentials; a published streak ticking, explained and in the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, send_event

API = "/api/v1"
DAILY = {
    "key": "daily_quiz",
    "event_types": ["quiz_passed"],
    "period": "daily",
    "tick_coins": 3,
    "milestones": [{"count": 2, "coins": 20, "tokens": {"stars": 1}}],
    "display_mode": "row",
    "max_row_icons": 5,
}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


def fields_of(response: Any) -> list[str]:
    return [f["field"] for f in error_of(response, 422, "validation_failed")["details"]["fields"]]


def publish_draft(client: TestClient, account: Account, draft_id: str) -> None:
    published = client.post(f"{API}/config-versions/{draft_id}/publish", headers=account.headers())
    assert published.status_code == 200, published.text


def test_a_definition_is_created_read_replaced_and_deleted_in_the_draft(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    h = account.headers()
    listed = client.get(f"{API}/streak-definitions", headers=h).json()
    assert [s["key"] for s in listed["data"]] == ["daily_lesson"]
    assert listed["source"] == "published"

    created = client.post(f"{API}/streak-definitions", json=DAILY, headers=h)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["source"] == "draft"
    assert {k: body[k] for k in DAILY} == {
        **DAILY,
        "milestones": [{**DAILY["milestones"][0], "badge_key": None}],
    }
    assert body["freeze_token_key"] is None and body["audience"] is None

    one = client.get(f"{API}/streak-definitions/daily_quiz", headers=h).json()
    assert one["tick_coins"] == 3 and one["source"] == "draft"

    replaced = client.put(
        f"{API}/streak-definitions/daily_quiz",
        json={"event_type": "quiz_passed", "period": "weekly", "freeze_token_key": "stars"},
        headers=h,
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["period"], replaced.json()["event_types"]) == (
        "weekly",
        ["quiz_passed"],
    )
    assert replaced.json()["display_mode"] == "count"

    deleted = client.delete(f"{API}/streak-definitions/daily_quiz", headers=h)
    assert deleted.status_code == 200 and deleted.json()["key"] == "daily_quiz"
    error_of(
        client.get(f"{API}/streak-definitions/daily_quiz", headers=h), 404, "resource_not_found"
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**DAILY, "period": "hourly"}, ["period"]),
        ({**DAILY, "display_mode": "grid"}, ["display_mode"]),
        ({**DAILY, "colour": "red"}, ["colour"]),
        ({**DAILY, "tick_coins": "3"}, ["tick_coins"]),
        ({**DAILY, "event_types": "quiz_passed"}, ["event_types"]),
        ({**DAILY, "display_mode": "mini"}, ["max_row_icons"]),
        ({**DAILY, "freeze_token_key": "xp"}, ["freeze_token_key"]),
        ({**DAILY, "milestones": [{"count": 0}]}, ["milestones[0].count"]),
        (
            {**DAILY, "milestones": [{"count": 3, "tokens": {"gold": 1}}]},
            ["milestones[0].tokens.gold"],
        ),
        ({**DAILY, "event_type": "quiz_passed"}, ["event_type"]),
        ({"key": "nothing"}, ["event_types"]),
    ],
)
def test_a_bad_definition_is_refused_and_changes_nothing(
    client: TestClient, account: Account, body: dict[str, Any], fields: list[str]
) -> None:
    apply_preset(client, account)
    h = account.headers()
    response = client.post(f"{API}/streak-definitions", json=body, headers=h)
    assert fields_of(response) == fields
    listed = client.get(f"{API}/streak-definitions", headers=h).json()
    assert [s["key"] for s in listed["data"]] == ["daily_lesson"]
    assert listed["source"] == "published"  # no draft was started


def test_unknown_ids_duplicates_other_tenants_and_credentials(
    client: TestClient, account: Account, other_account: Account
) -> None:
    apply_preset(client, account)
    apply_preset(client, other_account)
    h = account.headers()
    error_of(client.get(f"{API}/streak-definitions/nope", headers=h), 404, "resource_not_found")
    error_of(
        client.put(f"{API}/streak-definitions/nope", json={**DAILY, "key": None}, headers=h),
        404,
        "resource_not_found",
    )
    error_of(client.delete(f"{API}/streak-definitions/nope", headers=h), 404, "resource_not_found")
    created = client.post(f"{API}/streak-definitions", json=DAILY, headers=h)
    assert created.status_code == 201
    error_of(client.post(f"{API}/streak-definitions", json=DAILY, headers=h), 409, "conflict")
    # Another tenant's definition is as unknown as a missing one.
    theirs = other_account.headers()
    error_of(
        client.get(f"{API}/streak-definitions/daily_quiz", headers=theirs),
        404,
        "resource_not_found",
    )
    error_of(
        client.delete(f"{API}/streak-definitions/daily_quiz", headers=theirs),
        404,
        "resource_not_found",
    )
    assert client.get(f"{API}/streak-definitions/daily_quiz", headers=h).status_code == 200
    # A publishable key may not write; no key at all is 401.
    publishable = client.post(
        f"{API}/auth/publishable-keys", json={}, headers=account.headers(account.token)
    ).json()["key"]
    for method, path in (
        ("POST", "/streak-definitions"),
        ("PUT", "/streak-definitions/daily_quiz"),
        ("DELETE", "/streak-definitions/daily_quiz"),
    ):
        refused = client.request(
            method, f"{API}{path}", json=DAILY, headers=account.headers(publishable)
        )
        assert refused.status_code == 403, refused.text
    assert client.get(f"{API}/streak-definitions").status_code == 401


def test_a_published_streak_ticks_pays_and_explains_itself(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    h = account.headers()
    created = client.post(f"{API}/streak-definitions", json=DAILY, headers=h).json()
    publish_draft(client, account, created["config_version_id"])
    user = "streaker"
    buddy_id = hatch_buddy(client, account, user)
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).isoformat()
    first = send_event(client, account, user, "quiz_passed", occurred_at=yesterday)
    second = send_event(client, account, user, "quiz_passed")
    again = send_event(client, account, user, "quiz_passed")
    buddy = client.get(f"{API}/buddies/{buddy_id}", headers=h).json()
    assert buddy["streaks"]["daily_quiz"] == 2
    assert buddy["tokens"]["stars"] >= 1  # the milestone's token

    explained = client.get(f"{API}/events/{again['event_id']}", headers=h).json()
    lines = [line["message"] for line in explained["explanations"] if line["kind"] == "streak"]
    assert any("already counted" in line for line in lines), lines
    ticked = client.get(f"{API}/events/{second['event_id']}", headers=h).json()
    lines = [line["message"] for line in ticked["explanations"] if line["kind"] == "streak"]
    assert any("2 days in a row" in line and "Milestone reached: 2" in line for line in lines)
    assert first["event_id"]

    timeline = client.get(f"{API}/buddies/{buddy_id}/timeline", headers=h).json()["data"]
    types = [entry["type"] for entry in timeline]
    assert types.count("StreakTicked") >= 2 and "StreakMilestoneReached" in types
