"""``IdempotencyRecord`` (the domain rules) and ``Idempotency`` (the use case) in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from application.idempotency.idempotency import (
    RETENTION,
    Claim,
    Idempotency,
    Replay,
    fingerprint,
    validate_key,
)
from application.shared.store import EventStore
from domain.idempotency.idempotency_record import IdempotencyRecord, StoredResponse
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
TENANT = Tenant(uuid4(), "live")
OK = StoredResponse(200, '{"ok":true}', "utf-8", {"content-type": "application/json"})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def claimed(fingerprint: str = "fp-a", **overrides: Any) -> IdempotencyRecord:
    fields: dict[str, Any] = {
        "id": IdempotencyRecord.id_for(TENANT, "key-1"),
        "customer_id": TENANT.customer_id,
        "mode": TENANT.mode,
        "key": "key-1",
        "fingerprint": fingerprint,
        "expires_at": at(86_400),
        "locked_until": at(60),
        "timestamp": T0,
    }
    fields.update(overrides)
    return IdempotencyRecord(**fields)


def admit(record: IdempotencyRecord, fp: str, seconds: float) -> StoredResponse | None:
    return record.admit(
        fingerprint=fp,
        expires_at=at(seconds + 86_400),
        locked_until=at(seconds + 60),
        timestamp=at(seconds),
    )


def codes_of(call: Any) -> str:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


# -- the aggregate -------------------------------------------------------------------------


def test_the_id_is_per_tenant_and_key() -> None:
    other_mode = Tenant(TENANT.customer_id, "test")
    assert IdempotencyRecord.id_for(TENANT, "k") == IdempotencyRecord.id_for(TENANT, "k")
    assert IdempotencyRecord.id_for(TENANT, "k") != IdempotencyRecord.id_for(other_mode, "k")
    assert IdempotencyRecord.id_for(TENANT, "k") != IdempotencyRecord.id_for(TENANT, "k2")


def test_a_claim_is_in_flight_and_refuses_its_twin_and_other_requests() -> None:
    record = claimed()
    assert record.state == "in_flight" and record.claims == 1 and record.claimed_at == T0
    assert record.holds(1) and not record.holds(2)
    assert codes_of(lambda: admit(record, "fp-a", 5)) == "conflict"
    assert codes_of(lambda: admit(record, "fp-b", 5)) == "idempotency_key_conflict"
    assert record.claims == 1


def test_a_completed_claim_replays_until_it_expires() -> None:
    record = claimed()
    record.complete(claim=1, response=OK, timestamp=at(1))
    assert record.state == "completed" and not record.holds(1)
    assert admit(record, "fp-a", 10) == OK
    assert admit(record, "fp-a", 86_399) == OK
    assert codes_of(lambda: admit(record, "fp-b", 10)) == "idempotency_key_conflict"
    assert admit(record, "fp-b", 86_400) is None  # expired: anyone may claim it again
    assert record.state == "in_flight" and record.claims == 2 and record.fingerprint == "fp-b"
    assert record.response is None and record.expires_at == at(2 * 86_400)


def test_a_released_key_is_free_for_a_corrected_request() -> None:
    record = claimed()
    record.release(claim=1, timestamp=at(1))
    assert record.state == "released"
    assert admit(record, "fp-corrected", 2) is None
    assert record.holds(2) and record.fingerprint == "fp-corrected"


def test_an_abandoned_claim_may_be_taken_over_by_its_twin_only() -> None:
    record = claimed()
    assert codes_of(lambda: admit(record, "fp-a", 59)) == "conflict"
    assert codes_of(lambda: admit(record, "fp-b", 61)) == "idempotency_key_conflict"
    assert admit(record, "fp-a", 61) is None
    assert record.holds(2)
    # the first claimant comes back late: it no longer holds the key
    assert codes_of(lambda: record.complete(claim=1, response=OK, timestamp=at(62))) == "conflict"
    assert codes_of(lambda: record.release(claim=1, timestamp=at(62))) == "conflict"


def test_only_a_2xx_response_is_kept_and_times_must_make_sense() -> None:
    record = claimed()
    with pytest.raises(ValueError):
        record.complete(claim=1, response=StoredResponse(400, "{}"), timestamp=at(1))
    with pytest.raises(ValueError):
        claimed(locked_until=T0)
    with pytest.raises(ValueError):
        claimed(expires_at=at(30), locked_until=at(60))


def test_the_record_survives_a_round_trip_through_the_store() -> None:
    app: Application[Any] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    record = claimed()
    record.release(claim=1, timestamp=at(1))
    admit(record, "fp-b", 2)
    record.complete(claim=2, response=OK, timestamp=at(3))
    app.save(record)
    loaded = app.repository.get(record.id)
    assert isinstance(loaded, IdempotencyRecord)
    assert loaded.state == "completed" and loaded.claims == 2 and loaded.response == OK
    assert loaded.version == 4


# -- the use case --------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.moment = T0

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> Idempotency:
    store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return Idempotency(store, clock)


def test_begin_complete_replay(service: Idempotency, clock: Clock) -> None:
    claim = service.begin(TENANT, "k", "fp")
    assert isinstance(claim, Claim) and claim.number == 1
    assert codes_of(lambda: service.begin(TENANT, "k", "fp")) == "conflict"
    service.complete(claim, 201, b'{"id":"x"}', {"content-type": "application/json"})
    clock.moment = at(3600)
    replay = service.begin(TENANT, "k", "fp")
    assert replay == Replay(201, b'{"id":"x"}', {"content-type": "application/json"})
    assert codes_of(lambda: service.begin(TENANT, "k", "other")) == "idempotency_key_conflict"
    assert isinstance(service.begin(Tenant(TENANT.customer_id, "test"), "k", "other"), Claim)
    assert isinstance(service.begin(Tenant(uuid4(), "live"), "k", "other"), Claim)


def test_a_failure_frees_the_key_and_expiry_frees_it_after_24_hours(
    service: Idempotency, clock: Clock
) -> None:
    first = service.begin(TENANT, "k", "fp")
    assert isinstance(first, Claim)
    service.release(first)
    second = service.begin(TENANT, "k", "fp-corrected")
    assert isinstance(second, Claim) and second.number == 2
    service.complete(second, 200, b"{}", {})
    clock.moment = T0 + RETENTION - timedelta(seconds=1)
    assert isinstance(service.begin(TENANT, "k", "fp-corrected"), Replay)
    clock.moment = T0 + RETENTION
    third = service.begin(TENANT, "k", "fp-new")
    assert isinstance(third, Claim) and third.number == 3
    record = service.record(TENANT, "k")
    assert record is not None and record.expires_at == T0 + 2 * RETENTION


def test_a_late_finish_after_a_takeover_changes_nothing(service: Idempotency, clock: Clock) -> None:
    first = service.begin(TENANT, "k", "fp")
    assert isinstance(first, Claim)
    clock.moment = at(61)
    second = service.begin(TENANT, "k", "fp")
    assert isinstance(second, Claim) and second.number == 2
    service.complete(first, 200, b"late", {})
    service.release(first)
    record = service.record(TENANT, "k")
    assert record is not None and record.holds(2)


def test_a_body_that_is_not_utf8_is_kept_exactly(service: Idempotency) -> None:
    claim = service.begin(TENANT, "k", "fp")
    assert isinstance(claim, Claim)
    service.complete(claim, 200, b"\xff\x00binary", {})
    assert service.begin(TENANT, "k", "fp") == Replay(200, b"\xff\x00binary", {})


def test_fingerprints() -> None:
    base = fingerprint("POST", "/api/v1/buddies/b/coins", "", b'{"amount": 5, "reason": "x"}')
    same = fingerprint("post", "/api/v1/buddies/b/coins", "", b'{"reason":"x","amount":5}')
    assert base == same
    assert base != fingerprint("POST", "/api/v1/buddies/b/coins", "", b'{"amount":6,"reason":"x"}')
    assert base != fingerprint("PUT", "/api/v1/buddies/b/coins", "", b'{"amount":5,"reason":"x"}')
    assert base != fingerprint("POST", "/api/v1/buddies/c/coins", "", b'{"amount":5,"reason":"x"}')
    assert base != fingerprint(
        "POST", "/api/v1/buddies/b/coins", "a=1", b'{"amount":5,"reason":"x"}'
    )
    assert fingerprint("POST", "/p", "a=1&b=2", b"") == fingerprint("POST", "/p", "b=2&a=1", b"")
    assert fingerprint("POST", "/p", "", b"") == fingerprint("POST", "/p", "", b"  ")
    assert fingerprint("POST", "/p", "", b"not json") != fingerprint("POST", "/p", "", b"not  json")
    # parts cannot bleed into each other
    assert fingerprint("POST", "/p", "a=1", b"") != fingerprint("POST", "/pa=1", "", b"")


@pytest.mark.parametrize("key", ["a", "x" * 255, "550e8400-e29b-41d4-a716-446655440000", "a b~!"])
def test_valid_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "é", "tab\there", "nul\x00", "del\x7f"])
def test_invalid_keys_are_refused_naming_the_header(key: str) -> None:
    with pytest.raises(DomainError) as refused:
        validate_key(key)
    assert refused.value.code == "validation_failed"
    assert "Idempotency-Key" in refused.value.message
    assert refused.value.details is not None
    assert refused.value.details["fields"][0]["field"] == "Idempotency-Key"
