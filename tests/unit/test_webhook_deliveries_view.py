"""The deliveries view and its health counters, applied to a real (SQLite) view store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from domain.integrations.webhook_delivery import AttemptResult, WebhookDelivery
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.settings import Settings
from projections.integrations.webhook_deliveries import (
    DELIVERIES,
    ENDPOINT_HEALTH,
    HEALTH,
    WebhookDeliveriesView,
)

T0 = datetime(2026, 4, 8, 23, 59, 58, tzinfo=UTC)
SCHEDULE = (0, 1, 1)
ENDPOINT = uuid4()
CUSTOMER = uuid4()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def delivery() -> WebhookDelivery:
    return WebhookDelivery(
        id=uuid4(),
        customer_id=CUSTOMER,
        mode="live",
        endpoint_id=ENDPOINT,
        event_name="coins.earned",
        payload={"amount": 1},
        source="s:1",
        single_attempt=False,
        timestamp=T0,
    )


def attempt(d: WebhookDelivery, status: int, seconds: float) -> None:
    d.record_attempt(
        number=d.next_attempt,
        result=AttemptResult(status_code=status),
        schedule=SCHEDULE,
        started_at=at(seconds),
        timestamp=at(seconds),
    )


def project(tmp_path: Path, *aggregates: Any) -> ViewStore:
    views = ViewStore(Settings(data_dir=tmp_path, secret_key="k"))
    view = WebhookDeliveriesView()
    views.register(view)
    events = sorted((e for a in aggregates for e in a.collect_events()), key=lambda e: e.timestamp)
    for position, event in enumerate(events, start=1):
        views.apply(view.name, list(view.handle(event)), position)
    return views


def test_deliveries_health_and_failure_streaks(tmp_path: Path) -> None:
    ok, flaky, dead = delivery(), delivery(), delivery()
    attempt(ok, 200, 0)
    attempt(flaky, 500, 0)
    attempt(flaky, 503, 1)  # crosses midnight: the next day's bucket
    attempt(flaky, 204, 3)
    attempt(dead, 410, 4)
    views = project(tmp_path, ok, flaky, dead)

    rows = {r["delivery_id"]: r for r in views.rows(DELIVERIES.name, {})}
    assert rows[ok.id.hex]["status"] == "succeeded" and rows[ok.id.hex]["attempts"] == 1
    assert rows[flaky.id.hex]["attempts"] == 3 and rows[flaky.id.hex]["last_status_code"] == 204
    assert rows[dead.id.hex]["failure_reason"] == "endpoint_gone"
    assert rows[dead.id.hex]["next_attempt_at"] is None

    days = {r["day"]: r for r in views.rows(HEALTH.name, {"endpoint_id": ENDPOINT.hex})}
    assert sorted(days) == ["2026-04-08", "2026-04-09"]
    total = {k: sum(d[k] or 0 for d in days.values()) for k in ("attempts", "attempts_failed")}
    assert total == {"attempts": 5, "attempts_failed": 3}
    assert sum(d["deliveries_succeeded"] or 0 for d in days.values()) == 2
    assert sum(d["deliveries_failed"] or 0 for d in days.values()) == 1

    (health,) = views.rows(ENDPOINT_HEALTH.name, {})
    assert health["consecutive_failures"] == 1, "the 410 came after the last success"
    assert health["last_status_code"] == 410


def test_a_pending_retry_is_visible_to_the_sweeper(tmp_path: Path) -> None:
    d = delivery()
    attempt(d, 500, 0)
    views = project(tmp_path, d)
    (row,) = views.rows(DELIVERIES.name, {"status": "pending"})
    assert row["next_attempt_at"] == "2026-04-08T23:59:59.000000Z"
