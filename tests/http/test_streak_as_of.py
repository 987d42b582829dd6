"""``GET /buddies/{id}?as_of=`` replays streak facts: at each instant the buddy shows the
streak count and the milestone's tokens it had then, not what it has now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, send_event

API = "/api/v1"
DAILY = {
    "key": "daily_quiz",
    "event_types": ["quiz_passed"],
    "period": "daily",
    "milestones": [{"count": 3, "tokens": {"stars": 4}}],
}


def buddy(client: TestClient, account: Account, buddy_id: str, **query: str) -> dict[str, Any]:
    response = client.get(f"{API}/buddies/{buddy_id}", params=query, headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_as_of_shows_each_streak_count_and_milestone_as_it_was(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    created = client.post(f"{API}/streak-definitions", json=DAILY, headers=account.headers())
    assert created.status_code == 201, created.text
    draft = created.json()["config_version_id"]
    published = client.post(f"{API}/config-versions/{draft}/publish", headers=account.headers())
    assert published.status_code == 200, published.text
    user = "as_of_streaker"
    buddy_id = hatch_buddy(client, account, user)
    seen = [buddy(client, account, buddy_id)]
    now = datetime.now(UTC)
    for days_ago in (2, 1, 0):
        occurred = (now - timedelta(days=days_ago)).isoformat()
        send_event(client, account, user, "quiz_passed", occurred_at=occurred)
        seen.append(buddy(client, account, buddy_id))
    assert [s["streaks"].get("daily_quiz", 0) for s in seen] == [0, 1, 2, 3]
    assert seen[3]["tokens"]["stars"] == seen[2]["tokens"]["stars"] + 4

    for then in seen:
        moment = datetime.fromisoformat(then["updated_at"])
        replayed = buddy(client, account, buddy_id, as_of=moment.isoformat())
        assert replayed["streaks"] == then["streaks"]
        assert replayed["tokens"] == then["tokens"]
    for earlier, then in pairwise(seen):
        moment = datetime.fromisoformat(then["updated_at"]) - timedelta(microseconds=1)
        just_before = buddy(client, account, buddy_id, as_of=moment.isoformat())
        assert just_before["streaks"] == earlier["streaks"]
