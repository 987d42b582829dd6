"""``GET /buddies/{id}/progression-metrics`` equals a replay of what the buddy was sent: for
any sequence of events, the counters are the events counted by type, the badges are the
buddy's award facts, and the streak count is what the stored facts rebuild (decision 0042)."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from domain.companions.buddy import Buddy
from domain.ingestion.streaks import StreakRecord, StreakTick
from domain.shared.ids import parse_public_id
from interfaces.container import Container
from tests.conftest import Account
from tests.http.flow import send_event
from tests.http.widget_flow import widget_buddy

TYPES = ("lesson_completed", "quiz_passed", "something_else")
PRESET_APPLIED: set[str] = set()
"""The accounts (one per test run and backend) the language-learning preset is applied to."""


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(types=st.lists(st.sampled_from(TYPES), max_size=7))
def test_metrics_equal_a_replay_of_the_buddys_events(
    client: TestClient, account: Account, container: Container, types: list[str]
) -> None:
    buddy = widget_buddy(client, account, preset=account.customer_id not in PRESET_APPLIED)
    PRESET_APPLIED.add(account.customer_id)
    for event_type in types:
        send_event(client, account, buddy.user_id, event_type)
    response = client.get(
        f"/api/v1/buddies/{buddy.buddy_id}/progression-metrics", headers=account.headers()
    )
    assert response.status_code == 200, response.text
    body = response.json()

    assert body["event_counts"] == dict(Counter(types))
    assert body["total_events"] == len(types)
    stored = list(container.store.events.get(parse_public_id("buddy", buddy.buddy_id)))
    awarded = [e.badge_key for e in stored if isinstance(e, Buddy.BadgeAwarded)]
    assert body["badges"]["earned"] == awarded
    record = StreakRecord()
    for e in stored:
        if isinstance(e, Buddy.StreakTicked) and e.streak_key == "daily_lesson":
            record = record.after(StreakTick(e.streak_key, e.period, e.count, e.reset, e.late))
    [streak] = body["streaks"]
    assert streak["count"] == record.count == (1 if "lesson_completed" in types else 0)
