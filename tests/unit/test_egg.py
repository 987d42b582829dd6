from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application

from domain.companions.egg import EGG_STATUSES, Egg, visual_variant_for
from domain.companions.user_account import EggSummary
from domain.shared.errors import DomainError, InvalidStateTransition

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def lay(egg_id: UUID | None = None, **overrides: Any) -> Egg:
    fields: dict[str, Any] = {
        "id": egg_id or uuid4(),
        "customer_id": uuid4(),
        "mode": "live",
        "user_id": "user_123",
        "config_version_id": uuid4(),
        "metadata": {"age": 12, "level": "beginner"},
        "audience": None,
        "timestamp": T0,
    }
    fields.update(overrides)
    return Egg(**fields)


def egg_in(status: str) -> Egg:
    egg = lay()
    if status in ("ready", "hatching", "hatched"):
        egg.mark_ready(timestamp=at(1))
    if status in ("hatching", "hatched"):
        egg.start_hatching(operation_id=uuid4(), timestamp=at(2))
    if status == "hatched":
        egg.hatched(buddy_id=uuid4(), timestamp=at(3))
    if status == "cancelled":
        egg.cancel(timestamp=at(1))
    assert egg.status == status
    return egg


def test_a_new_egg_waits_pinned_to_its_config_version() -> None:
    config_id, customer_id = uuid4(), uuid4()
    egg = lay(config_version_id=config_id, customer_id=customer_id, audience="kids")
    assert egg.status == "waiting"
    assert egg.is_active and egg.is_reusable
    assert egg.config_version_id == config_id
    assert egg.customer_id == customer_id and egg.mode == "live"
    assert egg.user_id == "user_123"
    assert egg.metadata == {"age": 12, "level": "beginner"}
    assert egg.audience == "kids"
    assert egg.buddy_id is None and egg.operation_id is None
    assert egg.created_on == T0
    assert egg.public_id == "egg_" + egg.id.hex


def test_the_egg_keeps_its_own_copy_of_the_metadata() -> None:
    metadata: dict[str, Any] = {"tags": ["a"]}
    egg = lay(metadata=metadata)
    metadata["tags"].append("b")
    assert egg.metadata == {"tags": ["a"]}


@pytest.mark.parametrize(
    "egg_id, expected",
    [
        (UUID(int=0), 0),
        (UUID(int=7), 7),
        (UUID(int=12), 0),
        (UUID(int=12 * 1000 + 5), 5),
        (UUID(int=2**128 - 1), (2**128 - 1) % 12),
    ],
)
def test_the_visual_variant_is_a_function_of_the_egg_id(egg_id: UUID, expected: int) -> None:
    assert visual_variant_for(egg_id) == expected
    assert lay(egg_id).visual_variant == expected


def test_visual_variants_cover_all_twelve_looks() -> None:
    variants = {lay().visual_variant for _ in range(400)}
    assert variants == set(range(12))


def test_the_full_happy_path_records_who_and_when() -> None:
    egg = lay()
    operation_id, buddy_id = uuid4(), uuid4()
    egg.mark_ready(timestamp=at(1))
    assert (egg.status, egg.ready_at) == ("ready", at(1))
    egg.start_hatching(operation_id=operation_id, timestamp=at(2))
    assert (egg.status, egg.operation_id) == ("hatching", operation_id)
    assert egg.is_active and not egg.is_reusable
    egg.hatched(buddy_id=buddy_id, timestamp=at(3))
    assert (egg.status, egg.buddy_id, egg.hatched_at) == ("hatched", buddy_id, at(3))
    assert not egg.is_active
    assert egg.modified_on == at(3)
    kinds = [type(e) for e in egg.collect_events()]
    assert kinds == [Egg.Laid, Egg.MarkedReady, Egg.HatchStarted, Egg.Hatched]


@pytest.mark.parametrize("status", ["waiting", "ready"])
def test_waiting_and_ready_eggs_can_be_cancelled(status: str) -> None:
    egg = egg_in(status)
    egg.cancel(timestamp=at(9))
    assert egg.status == "cancelled"
    assert egg.cancelled_at == at(9)
    assert not egg.is_active


@pytest.mark.parametrize(
    "status, command, wanted",
    [
        ("waiting", "start_hatching", "hatching"),
        ("waiting", "hatched", "hatched"),
        ("waiting", "hatch_failed", "ready"),
        ("ready", "hatched", "hatched"),
        ("ready", "hatch_failed", "ready"),
        ("hatching", "mark_ready", "ready"),
        ("hatching", "cancel", "cancelled"),
        ("hatching", "start_hatching", "hatching"),
        ("hatched", "mark_ready", "ready"),
        ("hatched", "cancel", "cancelled"),
        ("hatched", "start_hatching", "hatching"),
        ("hatched", "hatch_failed", "ready"),
        ("cancelled", "mark_ready", "ready"),
        ("cancelled", "start_hatching", "hatching"),
        ("cancelled", "hatched", "hatched"),
        ("cancelled", "hatch_failed", "ready"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(
    status: str, command: str, wanted: str
) -> None:
    egg = egg_in(status)
    egg.collect_events()
    before = dict(egg.__dict__)
    arguments: dict[str, Any] = {"timestamp": at(20)}
    if command == "start_hatching":
        arguments["operation_id"] = uuid4()
    if command == "hatched":
        arguments["buddy_id"] = uuid4()
    with pytest.raises(InvalidStateTransition) as raised:
        getattr(egg, command)(**arguments)
    assert raised.value.code == "invalid_state_transition"
    assert raised.value.details == {"current_status": status, "requested_status": wanted}
    assert egg.__dict__ == before
    assert egg.collect_events() == []


def test_asking_again_for_the_status_an_egg_has_changes_nothing() -> None:
    ready = egg_in("ready")
    ready.collect_events()
    ready.mark_ready(timestamp=at(30))
    assert ready.ready_at == at(1)
    cancelled = egg_in("cancelled")
    cancelled.collect_events()
    cancelled.cancel(timestamp=at(30))
    assert cancelled.cancelled_at == at(1)
    assert ready.collect_events() == [] and cancelled.collect_events() == []


def test_an_egg_hatches_once_only() -> None:
    egg = egg_in("hatching")
    buddy_id = uuid4()
    egg.hatched(buddy_id=buddy_id, timestamp=at(5))
    egg.collect_events()
    egg.hatched(buddy_id=buddy_id, timestamp=at(6))  # a redelivered task: no-op
    assert egg.collect_events() == []
    with pytest.raises(InvalidStateTransition):
        egg.hatched(buddy_id=uuid4(), timestamp=at(7))
    assert egg.buddy_id == buddy_id and egg.hatched_at == at(5)


def test_a_failed_hatch_returns_the_egg_to_ready_so_it_can_be_retried() -> None:
    egg = egg_in("ready")
    first, second = uuid4(), uuid4()
    egg.start_hatching(operation_id=first, timestamp=at(2))
    egg.hatch_failed(operation_id=first, timestamp=at(3))
    assert egg.status == "ready" and egg.operation_id is None
    assert egg.is_active and egg.is_reusable
    egg.start_hatching(operation_id=second, timestamp=at(4))
    egg.hatch_failed(operation_id=first, timestamp=at(5))  # stale report: ignored
    assert (egg.status, egg.operation_id) == ("hatching", second)
    egg.hatched(buddy_id=uuid4(), timestamp=at(6))
    assert egg.status == "hatched"
    failures = [e for e in egg.collect_events() if isinstance(e, Egg.HatchFailed)]
    assert [f.operation_id for f in failures] == [first]


def test_a_failure_without_an_operation_id_applies_to_the_current_hatch() -> None:
    egg = egg_in("hatching")
    egg.hatch_failed(timestamp=at(9))
    assert egg.status == "ready"


def test_a_repeated_failure_report_is_a_no_op() -> None:
    egg = egg_in("ready")
    operation_id = uuid4()
    egg.start_hatching(operation_id=operation_id, timestamp=at(2))
    egg.hatch_failed(operation_id=operation_id, timestamp=at(3))
    egg.collect_events()
    egg.hatch_failed(operation_id=operation_id, timestamp=at(4))
    assert egg.status == "ready" and egg.collect_events() == []


def test_the_hatching_operation_cannot_fail_an_egg_it_already_hatched() -> None:
    egg = egg_in("ready")
    operation_id = uuid4()
    egg.start_hatching(operation_id=operation_id, timestamp=at(2))
    egg.hatched(buddy_id=uuid4(), timestamp=at(3))
    with pytest.raises(InvalidStateTransition):
        egg.hatch_failed(operation_id=operation_id, timestamp=at(4))
    assert egg.status == "hatched"


@pytest.mark.parametrize("status, expected", [("ready", "ready"), ("cancelled", "cancelled")])
def test_the_client_may_ask_for_ready_or_cancelled(status: str, expected: str) -> None:
    egg = lay()
    egg.request_status(status=status, timestamp=at(1))
    assert egg.status == expected


@pytest.mark.parametrize("status", ["waiting", "hatching", "hatched", "READY", "", "archived"])
def test_any_other_requested_status_is_a_validation_error(status: str) -> None:
    egg = lay()
    with pytest.raises(DomainError) as raised:
        egg.request_status(status=status, timestamp=at(1))
    assert raised.value.code == "validation_failed"
    assert not isinstance(raised.value, InvalidStateTransition)
    assert raised.value.details == {
        "fields": [{"field": "status", "reason": "must be one of: ready, cancelled"}]
    }
    assert egg.status == "waiting"


def test_a_requested_status_goes_through_the_state_machine() -> None:
    egg = egg_in("hatching")
    with pytest.raises(InvalidStateTransition):
        egg.request_status(status="cancelled", timestamp=at(9))
    assert egg.status == "hatching"


def test_is_active_for_every_status() -> None:
    active = {status: egg_in(status).is_active for status in EGG_STATUSES}
    assert active == {
        "waiting": True,
        "ready": True,
        "hatching": True,
        "hatched": False,
        "cancelled": False,
    }


def test_the_summary_lists_id_status_and_creation_time() -> None:
    egg = egg_in("ready")
    assert egg.summary() == EggSummary(egg_id=egg.id, status="ready", created_at=T0)


def rebuilt(events: list[Any]) -> Egg:
    aggregate = None
    for stored in events:
        aggregate = stored.mutate(aggregate)
    assert isinstance(aggregate, Egg)
    return aggregate


@pytest.mark.parametrize("status", EGG_STATUSES)
def test_replaying_the_events_rebuilds_the_same_egg(status: str) -> None:
    egg = egg_in(status)
    assert rebuilt(egg.collect_events()).__dict__ == egg.__dict__


def test_an_egg_saved_and_loaded_through_an_event_store_is_equal() -> None:
    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    egg = lay(metadata={"nested": {"list": [1, "two", None, True]}}, audience="teens")
    operation_id = uuid4()
    egg.mark_ready(timestamp=at(1))
    egg.start_hatching(operation_id=operation_id, timestamp=at(2))
    egg.hatch_failed(operation_id=operation_id, timestamp=at(3))
    egg.start_hatching(operation_id=uuid4(), timestamp=at(4))
    egg.hatched(buddy_id=uuid4(), timestamp=at(5))
    app.save(egg)
    loaded = app.repository.get(egg.id)
    assert loaded.__dict__ == egg.__dict__
