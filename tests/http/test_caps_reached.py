"""``caps_reached``: an event answer says which daily or weekly cap held its reward back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy


@pytest.fixture
def buddy(client: TestClient, account: Account) -> tuple[str, str]:
    """A hatched buddy on the language-learning preset (lessons: 10 coins, 50 a day)."""
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    return hatch_buddy(client, account, user_id), user_id


def test_the_lesson_past_the_daily_cap_says_the_cap_was_reached(
    client: TestClient, account: Account, buddy: tuple[str, str]
) -> None:
    buddy_id, user_id = buddy
    at = datetime.now(UTC).replace(microsecond=0)  # one UTC day for every lesson
    lesson = {"user_id": user_id, "type": "lesson_completed", "occurred_at": at.isoformat()}
    for n in range(5):
        answer = client.post(
            "/api/v1/events", json={**lesson, "event_id": f"l{n}"}, headers=account.headers()
        ).json()
        assert answer["accepted"] is True and answer["effects"]["coins"] >= 10
        assert "caps_reached" not in answer  # nothing held back: the seed's shape
    capped = client.post(
        "/api/v1/events", json={**lesson, "event_id": "l5"}, headers=account.headers()
    )
    assert capped.status_code == 200
    assert capped.json()["effects"]["coins"] == 0
    assert capped.json()["caps_reached"] == [
        {
            "buddy_id": buddy_id,
            "rule_id": "lesson_completed",
            "kind": "coin",
            "period": "day",
            "bucket": at.date().isoformat(),
            "cap": 50,
            "count": 50,
            "awarded": 0,
        }
    ]
    again = client.post(
        "/api/v1/events", json={**lesson, "event_id": "l5"}, headers=account.headers()
    ).json()
    assert again == {**capped.json(), "duplicate": True}
    batch = client.post(
        "/api/v1/events/batch",
        json={"events": [{**lesson, "event_id": "l5"}, {**lesson, "event_id": "l6"}]},
        headers=account.headers(),
    ).json()["results"]
    assert [r["status"] for r in batch] == ["duplicate", "accepted"]
    assert batch[0]["caps_reached"] == capped.json()["caps_reached"]
    assert batch[1]["caps_reached"][0]["count"] == 50


def test_the_openapi_document_types_caps_reached(client: TestClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for answer in ("IngestedEvent", "BatchItem"):
        field = schemas[answer]["properties"]["caps_reached"]
        assert field["items"] == {"$ref": "#/components/schemas/CapReached"}
    cap = schemas["CapReached"]
    assert set(cap["required"]) == {
        "buddy_id",
        "rule_id",
        "kind",
        "period",
        "bucket",
        "cap",
        "count",
        "awarded",
    }
    assert cap["properties"]["period"]["enum"] == ["day", "week"]
