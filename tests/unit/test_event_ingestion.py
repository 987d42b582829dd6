from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import RecordConflictError

from domain.ingestion.event_ingestion import INGESTION_OUTCOMES, EventIngestion
from domain.shared.ids import natural_id
from domain.shared.tenancy import Tenant
from interfaces.http.ingestion.events import batch_item, ingested_event

RECEIVED = datetime(2026, 4, 8, 10, 30, 5, tzinfo=UTC)
OCCURRED = RECEIVED - timedelta(seconds=5)
TENANT = Tenant(uuid4(), "live")
EFFECTS: dict[str, Any] = {
    "coins": 10,
    "badges_awarded": [],
    "tokens": [],
    "evolution_ready": False,
}
TRACE: list[dict[str, Any]] = [
    {"rule_id": "coin:lesson_completed", "kind": "coin", "fired": True, "effect": {"coins": 10}},
    {"rule_id": "badge:first_lesson", "kind": "badge", "fired": False, "reason": "condition_false"},
]


def record(event_id: str = "evt_789", **overrides: Any) -> EventIngestion:
    buddy = uuid4()
    fields: dict[str, Any] = {
        "id": EventIngestion.id_for(TENANT, event_id),
        "customer_id": TENANT.customer_id,
        "mode": TENANT.mode,
        "event_id": event_id,
        "user_id": "user_123",
        "type": "lesson_completed",
        "occurred_at": OCCURRED,
        "properties": {"lesson_id": "lesson_456", "score": 87},
        "audience": None,
        "buddy_id": None,
        "effects": EFFECTS,
        "trace": TRACE,
        "applied_to": [buddy],
        "outcome": "applied",
        "error": None,
        "timestamp": RECEIVED,
    }
    fields.update(overrides)
    return EventIngestion(**fields)


def answered(answer: Any) -> Any:
    """An answer as its JSON says it (what the interface layer sends)."""
    return msgspec.to_builtins(answer)


def test_the_id_is_derived_from_tenant_and_event_id() -> None:
    assert EventIngestion.id_for(TENANT, "evt_1") == natural_id("event", TENANT.key, "evt_1")
    assert EventIngestion.id_for(TENANT, "evt_1") != EventIngestion.id_for(TENANT, "evt_2")
    test_mode = Tenant(TENANT.customer_id, "test")
    assert EventIngestion.id_for(TENANT, "evt_1") != EventIngestion.id_for(test_mode, "evt_1")


def test_everything_is_recorded_in_one_event() -> None:
    buddy = uuid4()
    ingestion = record(applied_to=[buddy], audience="kids")
    assert ingestion.event_id == "evt_789"
    assert ingestion.user_id == "user_123"
    assert ingestion.type == "lesson_completed"
    assert ingestion.occurred_at == OCCURRED
    assert ingestion.received_at == RECEIVED == ingestion.created_on
    assert ingestion.properties == {"lesson_id": "lesson_456", "score": 87}
    assert ingestion.audience == "kids" and ingestion.buddy_id is None
    assert ingestion.effects == EFFECTS
    assert ingestion.trace == TRACE
    assert ingestion.applied_to == [buddy]
    assert ingestion.outcome == "applied" and ingestion.accepted
    assert ingestion.error is None
    events = ingestion.collect_events()
    assert [type(e) for e in events] == [EventIngestion.Recorded]


def test_the_ingestion_keeps_its_own_copies() -> None:
    effects: dict[str, Any] = {"coins": 10, "badges_awarded": []}
    trace: list[dict[str, Any]] = [{"rule_id": "r1", "fired": True}]
    ingestion = record(effects=effects, trace=trace)
    effects["badges_awarded"].append("b")
    trace[0]["fired"] = False
    assert ingestion.effects == {"coins": 10, "badges_awarded": []}
    assert ingestion.trace == [{"rule_id": "r1", "fired": True}]


def test_the_response_is_the_seeds_shape() -> None:
    ingestion = record()
    assert answered(ingested_event(ingestion)) == {
        "accepted": True,
        "event_id": "evt_789",
        "effects": EFFECTS,
    }


def test_a_duplicate_gets_the_original_response_flagged() -> None:
    ingestion = record(effects={**EFFECTS, "coins": 25})
    assert answered(ingested_event(ingestion, duplicate=True)) == {
        "accepted": True,
        "event_id": "evt_789",
        "effects": {**EFFECTS, "coins": 25},
        "duplicate": True,
    }


def test_the_response_cannot_change_the_ingestion() -> None:
    ingestion = record()
    ingested_event(ingestion).effects["badges_awarded"].append("first_lesson")  # type: ignore[index]
    assert ingestion.effects == EFFECTS


def test_a_rejected_event_answers_with_its_error() -> None:
    error = {"code": "event_type_not_registered", "message": "unknown type lesson_done"}
    ingestion = record(effects={}, trace=[], applied_to=[], outcome="rejected", error=error)
    assert not ingestion.accepted
    assert answered(ingested_event(ingestion)) == {
        "accepted": False,
        "event_id": "evt_789",
        "error": error,
    }
    assert answered(batch_item(ingestion)) == {
        "event_id": "evt_789",
        "status": "rejected",
        "error": error,
    }
    assert answered(batch_item(ingestion, duplicate=True))["status"] == "rejected"


def test_batch_results() -> None:
    ingestion = record()
    assert answered(batch_item(ingestion)) == {
        "event_id": "evt_789",
        "status": "accepted",
        "effects": EFFECTS,
    }
    assert answered(batch_item(ingestion, duplicate=True))["status"] == "duplicate"


def test_an_event_with_no_buddy_is_recorded_and_explained() -> None:
    zero = {"coins": 0, "badges_awarded": [], "tokens": [], "evolution_ready": False}
    trace = [{"rule_id": None, "fired": False, "reason": "no_active_buddy"}]
    ingestion = record(effects=zero, trace=trace, applied_to=[], outcome="no_active_buddy")
    assert ingestion.accepted
    assert answered(ingested_event(ingestion))["effects"] == zero
    assert ingestion.trace == trace


def test_an_error_comes_with_a_rejection_only() -> None:
    with pytest.raises(ValueError):
        record(outcome="rejected")
    with pytest.raises(ValueError):
        record(outcome="applied", error={"code": "x", "message": "y"})
    with pytest.raises(ValueError):
        record(outcome="ignored")


@pytest.mark.parametrize("outcome", INGESTION_OUTCOMES)
def test_replaying_the_recorded_event_rebuilds_the_ingestion(outcome: str) -> None:
    error = (
        {"code": "event_type_not_registered", "message": "no"} if outcome == "rejected" else None
    )
    ingestion = record(outcome=outcome, error=error, buddy_id=uuid4())
    rebuilt = None
    for stored in ingestion.collect_events():
        rebuilt = stored.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.__dict__ == ingestion.__dict__


def test_recording_the_same_event_id_twice_fails_in_the_store() -> None:
    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    original = record("evt_dup")
    app.save(original)
    with pytest.raises(RecordConflictError):
        app.save(record("evt_dup", effects={**EFFECTS, "coins": 999}))
    loaded: EventIngestion = app.repository.get(original.id)
    assert loaded.__dict__ == original.__dict__
    assert answered(ingested_event(loaded))["effects"]["coins"] == 10
    app.save(record("evt_other"))  # another id is fine
