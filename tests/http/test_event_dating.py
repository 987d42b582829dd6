"""``occurred_at`` bounds over HTTP (decision 0018): no farming caps by back-dating from a
browser, nothing from the future, a secret-key backfill window, and late events explained.

Times are relative to the server's clock, with margins of minutes or days: the tests never
depend on how long they take or on the hour they run.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from domain.ingestion.rules import utc_day
from infrastructure.shared.settings import Settings
from interfaces.container import Container, build_container
from interfaces.http.app import create_app
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, hatch_buddy
from tests.http.widget_flow import WidgetBuddy, bearer, error_of, mint_session, widget_buddy

API = "/api/v1"
FAR_FUTURE = "2999-01-01T00:00:00Z"
DAY = timedelta(days=1)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(UTC)


def coins_of(client: TestClient, account: Account, buddy_id: str) -> int:
    buddy = client.get(f"{API}/buddies/{buddy_id}", headers=account.headers())
    return int(buddy.json()["coins"])


def track(client: TestClient, token: str, occurred_at: str | None = None) -> Any:
    body: dict[str, Any] = {"type": "lesson_completed"}
    if occurred_at is not None:
        body["occurred_at"] = occurred_at
    return client.post(f"{API}/widget/track", json=body, headers=bearer(token))


def post_event(client: TestClient, account: Account, user_id: str, **extra: Any) -> Any:
    body = {"event_id": f"evt_{uuid.uuid4().hex}", "user_id": user_id, "type": "lesson_completed"}
    return client.post(f"{API}/events", json={**body, **extra}, headers=account.headers())


def assert_refused_on_occurred_at(response: Any) -> dict[str, Any]:
    assert error_of(response) == (422, "validation_failed"), response.text
    error = response.json()["error"]
    assert error["message"].startswith("occurred_at: ")
    assert [f["field"] for f in error["details"]["fields"]] == ["occurred_at"]
    bounds = error["details"]["earliest"], error["details"]["latest"]
    assert any(bound in error["message"] for bound in bounds)  # the bound it broke
    return dict(error["details"])


@pytest.fixture
def buddy(client: TestClient, account: Account) -> WidgetBuddy:
    return widget_buddy(client, account)


def test_a_browser_cannot_farm_coins_past_the_daily_cap_by_back_dating(
    client: TestClient, buddy: WidgetBuddy, container: Container
) -> None:
    token = mint_session(client, buddy)["token"]
    today = now()
    earned = [track(client, token, stamp(today)) for _ in range(10)]
    assert [r.status_code for r in earned] == [200] * 10
    # 50 from lesson_completed (its daily cap) and 25 from the first_steps badge
    assert coins_of(client, buddy.account, buddy.buddy_id) == 75
    head = container.store.head()
    for days_back in range(1, 31):
        for _ in range(5):
            response = track(client, token, stamp(today - timedelta(days=days_back)))
            details = assert_refused_on_occurred_at(response)
            assert "before this widget session was issued" in response.json()["error"]["message"]
            assert details["earliest"] <= stamp(today)
    assert container.store.head() == head
    assert coins_of(client, buddy.account, buddy.buddy_id) == 75


def test_a_browser_may_date_events_only_while_its_session_lives_give_or_take_the_skew(
    client: TestClient, buddy: WidgetBuddy, container: Container
) -> None:
    session = mint_session(client, buddy)
    issued = datetime.fromisoformat(session["expires_at"]) - timedelta(seconds=3600)
    token = session["token"]
    assert track(client, token, stamp(issued - timedelta(minutes=4))).status_code == 200
    assert track(client, token, stamp(now() + timedelta(minutes=3))).status_code == 200
    head = container.store.head()
    too_early = track(client, token, stamp(issued - timedelta(minutes=6)))
    assert "before this widget session was issued" in too_early.json()["error"]["message"]
    assert_refused_on_occurred_at(too_early)
    for future in (stamp(now() + timedelta(minutes=10)), FAR_FUTURE, "2999-01-01T00:00:00+14:00"):
        refused = track(client, token, future)
        details = assert_refused_on_occurred_at(refused)
        assert details["latest"] in refused.json()["error"]["message"]
        assert "in the future" in refused.json()["error"]["message"]
    assert container.store.head() == head
    # the customer's server, with its secret key, may still backfill for the same user
    late = post_event(client, buddy.account, buddy.user_id, occurred_at=stamp(issued - DAY))
    assert late.status_code == 200, late.text


def test_a_secret_key_backfills_up_to_35_days_and_never_into_the_future(
    client: TestClient, account: Account, container: Container
) -> None:
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch_buddy(client, account, user_id)
    oldest = now() - timedelta(days=35) + timedelta(hours=1)
    accepted = post_event(client, account, user_id, occurred_at=stamp(oldest))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["effects"]["coins"] == 10
    head = container.store.head()
    too_old = post_event(client, account, user_id, occurred_at=stamp(now() - timedelta(days=36)))
    details = assert_refused_on_occurred_at(too_old)
    assert "35 days back" in too_old.json()["error"]["message"]
    assert stamp(now() - timedelta(days=36)) < details["earliest"] < stamp(oldest)
    for future in (stamp(now() + timedelta(minutes=10)), FAR_FUTURE):
        assert_refused_on_occurred_at(post_event(client, account, user_id, occurred_at=future))
    assert container.store.head() == head
    assert coins_of(client, account, buddy_id) == 10


def test_batch_items_outside_the_window_are_rejected_alone(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch_buddy(client, account, user_id)
    dates = [
        None,
        FAR_FUTURE,
        stamp(now() - timedelta(days=36)),
        stamp(now() - timedelta(days=2)),
        stamp(now() + timedelta(minutes=10)),
    ]
    events = [
        {"event_id": f"batch_{i}", "user_id": user_id, "type": "lesson_completed"}
        | ({"occurred_at": d} if d else {})
        for i, d in enumerate(dates)
    ]
    response = client.post(
        f"{API}/events/batch", json={"events": events}, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "accepted",
        "rejected",
        "rejected",
        "accepted",
        "rejected",
    ]
    for result in results[1:3] + results[4:]:
        assert result["error"]["code"] == "validation_failed"
        assert result["error"]["message"].startswith("occurred_at: ")
        assert "the latest accepted is" in result["error"]["message"] or (
            "the earliest accepted is" in result["error"]["message"]
        )
        gone = client.get(f"{API}/events/{result['event_id']}", headers=account.headers())
        assert gone.status_code == 404
    assert coins_of(client, account, buddy_id) == 20


def test_a_late_event_counts_against_its_own_day_and_is_explained_so(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch_buddy(client, account, user_id)
    then = now() - timedelta(days=3)
    sent = [post_event(client, account, user_id, occurred_at=stamp(then)) for _ in range(6)]
    assert [r.json()["effects"]["coins"] for r in sent] == [10, 10, 10, 10, 35, 0]
    capped = sent[-1].json()["event_id"]
    today = post_event(client, account, user_id)  # the late events left today's cap alone
    assert today.json()["effects"]["coins"] == 10
    assert coins_of(client, account, buddy_id) == 85

    body = client.get(f"{API}/events/{capped}", headers=account.headers()).json()
    assert body["occurred_at"] == stamp(then)
    assert datetime.fromisoformat(body["received_at"]) > then + timedelta(days=2)
    lines = {line["rule_id"]: line for line in body["explanations"] if line["rule_id"]}
    cap = lines["lesson_completed"]
    assert cap["reason"] == "daily_cap_reached"
    assert "50 of 50" in cap["message"]
    assert f"on {utc_day(then)}, the UTC day the event is dated" in cap["message"]
    assert "today" not in cap["message"]
    listed = client.get(
        f"{API}/events", params={"user_id": user_id}, headers=account.headers()
    ).json()["data"]
    assert sorted(row["occurred_at"] for row in listed)[:6] == [stamp(then)] * 6


@pytest.fixture
def short_backfill(settings: Settings) -> Iterator[TestClient]:
    """The API with ``HATCHED_EVENT_BACKFILL_DAYS=1``."""
    container = build_container(dataclasses.replace(settings, event_backfill_days=1))
    with TestClient(create_app(container)) as test_client:  # type: ignore[arg-type]
        yield test_client
    container.close()


def test_the_backfill_window_is_a_setting(short_backfill: TestClient) -> None:
    client = short_backfill
    account = register_account(client)
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    hatch_buddy(client, account, user_id)
    almost_a_day = post_event(
        client, account, user_id, occurred_at=stamp(now() - DAY + timedelta(hours=1))
    )
    assert almost_a_day.status_code == 200, almost_a_day.text
    refused = post_event(client, account, user_id, occurred_at=stamp(now() - 2 * DAY))
    assert_refused_on_occurred_at(refused)
    assert "1 day back" in refused.json()["error"]["message"]
