"""``domain/ingestion/event_window.py`` and its use in ingestion: the bounds, their sentences, retries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from application.ingestion.ingestion import EventInput, Ingestion
from domain.ingestion.event_ingestion import EventIngestion
from domain.ingestion.event_window import DEFAULT_BACKFILL, FUTURE_SKEW, EventWindow
from domain.shared.errors import DomainError
from tests.unit.history_world import Clock, World

NOW = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)


def refusal(window: EventWindow, occurred_at: datetime) -> DomainError:
    with pytest.raises(DomainError) as refused:
        window.check(occurred_at)
    assert refused.value.code == "validation_failed"
    return refused.value


def test_a_secret_key_reaches_35_days_back_and_5_minutes_ahead() -> None:
    window = EventWindow.at(NOW, backfill=DEFAULT_BACKFILL)
    assert (window.earliest, window.latest) == (
        NOW - timedelta(days=35),
        NOW + timedelta(minutes=5),
    )
    for inside in (window.earliest, NOW, window.latest):
        window.check(inside)
    old = refusal(window, window.earliest - timedelta(microseconds=1))
    assert old.message == (
        "occurred_at: 2026-03-04T10:29:59.999999Z is too old: the earliest accepted is "
        "2026-03-04T10:30:00Z (35 days back)"
    )
    assert old.details == {
        "fields": [{"field": "occurred_at", "reason": old.message.removeprefix("occurred_at: ")}],
        "earliest": "2026-03-04T10:30:00Z",
        "latest": "2026-04-08T10:35:00Z",
    }
    future = refusal(window, datetime(2999, 1, 1, tzinfo=UTC))
    assert future.message == (
        "occurred_at: 2999-01-01T00:00:00Z is in the future: the latest accepted is "
        "2026-04-08T10:35:00Z (5 minutes past the server's clock)"
    )


def test_a_widget_session_reaches_back_to_its_issue_less_the_skew() -> None:
    issued = NOW - timedelta(minutes=40)
    window = EventWindow.at(NOW, backfill=DEFAULT_BACKFILL, session_issued_at=issued)
    assert (window.earliest, window.session_bound) == (issued - FUTURE_SKEW, True)
    window.check(issued - FUTURE_SKEW)
    early = refusal(window, NOW - timedelta(hours=1))
    assert "before this widget session was issued (less 5 minutes)" in early.message
    assert "the earliest accepted is 2026-04-08T09:45:00Z" in early.message
    # a backfill shorter than the session's age is the tighter bound
    short = EventWindow.at(NOW, backfill=timedelta(0), session_issued_at=issued)
    assert (short.earliest, short.session_bound) == (NOW, False)
    assert "(0 days back)" in refusal(short, NOW - timedelta(seconds=1)).message


def test_the_offset_of_occurred_at_does_not_matter_but_a_missing_zone_is_refused() -> None:
    window = EventWindow.at(NOW, backfill=DEFAULT_BACKFILL)
    window.check(datetime(2026, 4, 8, 15, 34, tzinfo=timezone(timedelta(hours=5))))  # 10:34 UTC
    refusal(window, datetime(2026, 4, 8, 15, 36, tzinfo=timezone(timedelta(hours=5))))
    naive = refusal(window, datetime(2026, 4, 8, 10, 0))
    assert naive.details == {
        "fields": [{"field": "occurred_at", "reason": "must be timezone-aware"}]
    }


@pytest.mark.parametrize("group_commit", [True, False])
def test_a_retry_after_the_window_moved_on_is_still_a_duplicate(group_commit: bool) -> None:
    clock = Clock(step=timedelta(0))
    world = World(clock=clock)
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    ingestion = Ingestion(world.store, clock, world.configs, group_commit=group_commit)
    user_id = world.user_of(tenant, buddy_id)
    item = EventInput(
        f"evt_{uuid.uuid4().hex}",
        user_id,
        "lesson_completed",
        occurred_at=clock.moment - timedelta(days=34),
    )
    first, duplicate = ingestion.ingest(tenant, item)
    assert not duplicate and first.effects["coins"] == 10
    clock.moment += timedelta(days=2)  # the event is now older than the backfill
    head = world.store.head()
    retried, duplicate = ingestion.ingest(tenant, item)
    assert duplicate and (retried.id, retried.effects) == (first.id, first.effects)
    fresh = EventInput(f"evt_{uuid.uuid4().hex}", user_id, "lesson_completed", item.occurred_at)
    again, refused = ingestion.ingest_many(tenant, [item, fresh])
    assert not isinstance(again, DomainError), again.message
    assert again[1] and again[0].id == first.id
    assert isinstance(refused, DomainError) and refused.code == "validation_failed"
    assert world.store.head() == head
    assert world.store.find(EventIngestion, EventIngestion.id_for(tenant, fresh.event_id)) is None
