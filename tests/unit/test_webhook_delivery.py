from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from domain.integrations.webhook_delivery import (
    CLIENT_ERROR_ATTEMPTS,
    DEFAULT_SCHEDULE,
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER,
    AttemptResult,
    WebhookDelivery,
    delivery_id_for,
)
from domain.shared.errors import DomainError

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
SCHEDULE = DEFAULT_SCHEDULE
OK = AttemptResult(status_code=204, duration_ms=12)
DOWN = AttemptResult(status_code=503, duration_ms=20, response_excerpt="maintenance")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def schedule(**overrides: Any) -> WebhookDelivery:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "customer_id": uuid4(),
        "mode": "test",
        "endpoint_id": uuid4(),
        "event_name": "coins.earned",
        "payload": {"buddy_id": "bdy_1", "amount": 10},
        "source": "abc:3",
        "single_attempt": False,
        "timestamp": T0,
    }
    fields.update(overrides)
    return WebhookDelivery(**fields)


def attempt(delivery: WebhookDelivery, result: AttemptResult, seconds: float) -> None:
    delivery.record_attempt(
        number=delivery.next_attempt,
        result=result,
        schedule=SCHEDULE,
        started_at=at(seconds),
        timestamp=at(seconds),
    )


def test_a_new_delivery_is_due_at_once() -> None:
    delivery = schedule()
    assert delivery.status == "pending" and delivery.attempts == 0
    assert delivery.next_attempt_at == T0 and delivery.next_attempt == 1
    assert delivery.public_id == "whd_" + delivery.id.hex
    assert not delivery.manual


def test_the_delivery_id_is_deterministic_per_endpoint_and_source() -> None:
    endpoint = uuid4()
    assert delivery_id_for(endpoint, "s:1", "coins.earned") == delivery_id_for(
        endpoint, "s:1", "coins.earned"
    )
    assert delivery_id_for(endpoint, "s:1", "coins.earned") != delivery_id_for(
        uuid4(), "s:1", "coins.earned"
    )
    assert delivery_id_for(endpoint, "s:1", "coins.earned") != delivery_id_for(
        endpoint, "s:2", "coins.earned"
    )


def test_a_2xx_ends_it() -> None:
    delivery = schedule()
    attempt(delivery, OK, 0)
    assert delivery.status == "succeeded" and delivery.next_attempt_at is None
    assert delivery.attempt_log[0]["status_code"] == 204 and delivery.attempt_log[0]["succeeded"]


def test_failures_follow_the_schedule_until_it_runs_out() -> None:
    delivery = schedule()
    clock = 0.0
    for number in range(1, len(SCHEDULE)):
        attempt(delivery, DOWN, clock)
        assert delivery.status == "pending"
        assert delivery.next_attempt_at == at(clock + SCHEDULE[number])
        clock += SCHEDULE[number]
    attempt(delivery, DOWN, clock)
    assert delivery.status == "failed" and delivery.failure_reason == "retries_exhausted"
    assert delivery.attempts == len(SCHEDULE) == 9
    assert [e["number"] for e in delivery.attempt_log] == list(range(1, 10))


@pytest.mark.parametrize("error", ["timeout", "connection_failed", "dns_failed"])
def test_network_errors_are_retried_on_the_schedule(error: str) -> None:
    delivery = schedule()
    for number in range(1, 5):
        attempt(delivery, AttemptResult(error=error), number)
    assert delivery.status == "pending"


@pytest.mark.parametrize("status", [301, 302, 400, 401, 404, 422])
def test_a_refusal_that_retrying_wont_fix_ends_sooner(status: int) -> None:
    delivery = schedule()
    for number in range(CLIENT_ERROR_ATTEMPTS):
        assert delivery.status == "pending"
        attempt(delivery, AttemptResult(status_code=status), number)
    assert delivery.status == "failed" and delivery.failure_reason == "client_error"
    assert delivery.attempts == CLIENT_ERROR_ATTEMPTS < len(SCHEDULE)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502])
def test_transient_statuses_get_the_whole_schedule(status: int) -> None:
    delivery = schedule()
    for number in range(CLIENT_ERROR_ATTEMPTS + 1):
        attempt(delivery, AttemptResult(status_code=status), number)
    assert delivery.status == "pending"


def test_410_gone_ends_it_at_once() -> None:
    delivery = schedule()
    attempt(delivery, AttemptResult(status_code=410), 0)
    assert delivery.status == "failed" and delivery.failure_reason == "endpoint_gone"


def test_retry_after_is_honoured_when_longer_than_the_schedule() -> None:
    delivery = schedule()
    attempt(delivery, AttemptResult(status_code=429, retry_after_seconds=120), 0)
    assert delivery.next_attempt_at == at(120)
    attempt(delivery, AttemptResult(status_code=503, retry_after_seconds=1), 120)
    assert delivery.next_attempt_at == at(120 + SCHEDULE[2]), "never sooner than the schedule"
    attempt(delivery, AttemptResult(status_code=503, retry_after_seconds=10**9), 200)
    assert delivery.next_attempt_at == at(200) + MAX_RETRY_AFTER, "and bounded"


def test_a_stale_or_duplicate_attempt_is_refused_and_changes_nothing() -> None:
    delivery = schedule()
    attempt(delivery, DOWN, 0)
    version = delivery.version
    for number in (1, 3):
        with pytest.raises(DomainError) as caught:
            delivery.record_attempt(
                number=number, result=OK, schedule=SCHEDULE, started_at=T0, timestamp=T0
            )
        assert caught.value.code == "conflict"
    attempt(delivery, OK, 5)
    with pytest.raises(DomainError):
        attempt(delivery, OK, 6)
    assert delivery.version == version + 1


def test_a_redelivery_is_one_more_attempt_and_no_retries() -> None:
    delivery = schedule()
    attempt(delivery, AttemptResult(status_code=410), 0)
    assert delivery.redeliver(actor="secret_key:1", timestamp=at(60)) == 2
    assert delivery.status == "pending" and delivery.next_attempt_at == at(60)
    assert delivery.manual
    attempt(delivery, DOWN, 60)
    assert delivery.status == "failed" and delivery.failure_reason == "redelivery_failed"
    delivery.redeliver(actor="secret_key:1", timestamp=at(120))
    attempt(delivery, OK, 120)
    assert delivery.status == "succeeded" and delivery.attempts == 3


def test_a_pending_delivery_cannot_be_redelivered() -> None:
    delivery = schedule()
    with pytest.raises(DomainError) as caught:
        delivery.redeliver(actor="a", timestamp=T0)
    assert caught.value.code == "conflict"


def test_a_delivery_attempted_the_most_times_allowed_cannot_be_redelivered() -> None:
    delivery = schedule(single_attempt=True)
    attempt(delivery, DOWN, 0)
    for n in range(1, MAX_ATTEMPTS):
        delivery.redeliver(actor="a", timestamp=at(n))
        attempt(delivery, DOWN, n)
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    version = delivery.version
    with pytest.raises(DomainError) as caught:
        delivery.redeliver(actor="a", timestamp=at(MAX_ATTEMPTS))
    assert caught.value.code == "conflict"
    assert caught.value.details == {"attempts": MAX_ATTEMPTS, "max_attempts": MAX_ATTEMPTS}
    assert delivery.version == version


def test_a_single_attempt_delivery_is_never_retried() -> None:
    delivery = schedule(single_attempt=True)
    assert delivery.manual
    attempt(delivery, DOWN, 0)
    assert delivery.status == "failed"


def test_abandoning_ends_a_pending_delivery_only() -> None:
    delivery = schedule()
    delivery.abandon(reason="endpoint_deleted", timestamp=at(1))
    assert delivery.status == "failed" and delivery.failure_reason == "endpoint_deleted"
    with pytest.raises(DomainError):
        delivery.abandon(reason="endpoint_deleted", timestamp=at(2))


def test_a_delivery_replays_to_the_same_state() -> None:
    app: Application[Any] = Application()
    delivery = schedule()
    attempt(delivery, DOWN, 0)
    attempt(delivery, AttemptResult(status_code=410), 5)
    delivery.redeliver(actor="a", timestamp=at(10))
    attempt(delivery, OK, 10)
    app.save(delivery)
    assert app.repository.get(delivery.id).__dict__ == delivery.__dict__
