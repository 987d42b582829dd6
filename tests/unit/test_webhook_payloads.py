"""Domain events → webhook payloads, and the signatures receivers verify them with."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from application.integrations.webhook_payloads import (
    EVENT_DESCRIPTIONS,
    SOURCE_EVENTS,
    origin_of,
    sample_payload,
    webhook_event,
)
from application.integrations.webhook_signatures import delivery_headers, encode_body
from domain.companions.buddy import Buddy
from domain.companions.operation import Operation
from domain.configs.rulebook import Rulebook
from domain.economy.ledger import Ledger, WalletBalances
from domain.ingestion.rules import CustomerEvent, apply, evaluate, sweep_streaks
from domain.integrations.webhook_endpoint import TEST_EVENT, WEBHOOK_EVENTS
from infrastructure.integrations.webhook_secrets import SealedWebhookSecrets

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
KEYS = {"primary": "gems", "progression": "xp"}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def hatched() -> Buddy:
    return Buddy(
        id=uuid4(),
        customer_id=uuid4(),
        mode="test",
        user_id="user_123",
        egg_id=uuid4(),
        config_version_id=uuid4(),
        name="Pip",
        correlation_id=None,
        timestamp=T0,
    )


def ledger_of(buddy: Buddy) -> Ledger:
    return Ledger(
        id=uuid4(),
        customer_id=buddy.customer_id,
        mode=buddy.mode,
        buddy_id=buddy.id,
        token_keys=KEYS,
        timestamp=T0,
    )


def events_of(aggregate: Any) -> list[Any]:
    return list(aggregate.collect_events())


def test_every_webhook_event_is_described_and_produced() -> None:
    assert tuple(EVENT_DESCRIPTIONS) == WEBHOOK_EVENTS
    assert len(SOURCE_EVENTS) == len(WEBHOOK_EVENTS)


def test_buddy_events() -> None:
    buddy = hatched()
    buddy.update_evolution_readiness(ready=True, causation={"event_id": "evt_9"}, timestamp=at(1))
    operation_id = uuid4()
    buddy.evolve(to_stage=2, operation_id=operation_id, timestamp=at(2))
    buddy.award_badge(badge_key="scholar", actor="dashboard:x", coin_reward=5, timestamp=at(3))
    created, ready, evolved, badge = events_of(buddy)
    origin = origin_of(created)
    assert origin is not None and origin.user_id == "user_123" and origin.buddy_id == buddy.id
    bdy = "bdy_" + buddy.id.hex

    assert webhook_event(created, origin) == (
        "buddy.hatched",
        {
            "buddy_id": bdy,
            "user_id": "user_123",
            "egg_id": "egg_" + buddy.egg_id.hex,
            "name": "Pip",
            "evolution_stage": 1,
            "config_version_id": "cfg_" + buddy.config_version_id.hex,
            "image_url": None,
            "thumb_url": None,
            "request_id": None,
            "occurred_at": "2026-04-08T10:30:00Z",
        },
    )
    name, payload = webhook_event(ready, origin) or ("", {})
    assert name == "evolution.ready"
    assert payload["current_stage"] == 1 and payload["next_stage"] == 2
    assert payload["reference_id"] == "evt_9"
    name, payload = webhook_event(evolved, origin) or ("", {})
    assert name == "buddy.evolved"
    assert (payload["previous_stage"], payload["new_stage"]) == (1, 2)
    assert payload["operation_id"] == "op_" + operation_id.hex and "image_url" in payload
    name, payload = webhook_event(badge, origin) or ("", {})
    assert name == "badge.awarded"
    assert payload["badge_key"] == "scholar" and payload["coin_reward"] == 5
    assert payload["source"] == "manual" and payload["awarded_at"] == "2026-04-08T10:33:00Z"


def test_skill_level_ups() -> None:
    buddy = hatched()
    origin = origin_of(events_of(buddy)[0])
    assert origin is not None
    leveled = Buddy.SkillLeveledUp(
        originator_id=buddy.id,
        originator_version=7,
        timestamp=at(5),
        skill_key="vocabulary",
        from_level=1,
        to_level=2,
        value=100,
        causation={"event_id": "evt_3"},
    )
    assert webhook_event(leveled, origin) == (
        "skill.leveled",
        {
            "buddy_id": "bdy_" + buddy.id.hex,
            "user_id": "user_123",
            "skill_key": "vocabulary",
            "previous_level": 1,
            "new_level": 2,
            "value": 100,
            "reference_id": "evt_3",
            "request_id": None,
            "occurred_at": "2026-04-08T10:35:00Z",
        },
    )


def test_streak_ticks_milestones_and_burns() -> None:
    rulebook = Rulebook.from_dict(
        {
            "token_config": {
                "primary": {"token_key": "gems", "label": "Gems"},
                "progression": {"token_key": "xp", "label": "XP"},
            },
            "streaks": [
                {
                    "key": "daily_lesson",
                    "event_types": ["lesson_completed"],
                    "milestones": [{"count": 2, "coins": 50, "tokens": {"gems": 1}}],
                }
            ],
        }
    )
    buddy = hatched()
    state = buddy.progress_state(WalletBalances())
    for n, when in enumerate((T0, T0 + timedelta(days=1))):
        event = CustomerEvent(
            event_id=f"evt_{n}", type="lesson_completed", user_id="user_123", occurred_at=when
        )
        evaluation = evaluate(rulebook, state, event)
        buddy.record_progress(evaluation, correlation_id=f"req_{n}", timestamp=when)
        state = apply(state, evaluation)
    swept = sweep_streaks(rulebook, state, T0 + timedelta(days=3))
    buddy.record_streak_sweep(swept, causation={"source": "streak_sweep"}, timestamp=at(5000))
    created, *facts = events_of(buddy)
    origin = origin_of(created)
    assert origin is not None
    payloads = [p for p in (webhook_event(f, origin) for f in facts) if p is not None]
    assert [name for name, _ in payloads] == [
        "streak.ticked",
        "streak.ticked",
        "streak.milestone",
        "streak.burned",
    ]
    bdy = {"buddy_id": "bdy_" + buddy.id.hex, "user_id": "user_123", "streak_key": "daily_lesson"}
    assert payloads[1][1] == {
        **bdy,
        "count": 2,
        "period": "2026-04-09",
        "reset": False,
        "late": False,
        "reference_id": "evt_1",
        "request_id": "req_1",
        "occurred_at": "2026-04-09T10:30:00Z",
    }
    assert payloads[2][1] == {
        **bdy,
        "count": 2,
        "milestone": 2,
        "coins": 50,
        "tokens": {"gems": 1},
        "reference_id": "evt_1",
        "request_id": "req_1",
        "occurred_at": "2026-04-09T10:30:00Z",
    }
    assert payloads[3][1] == {
        **bdy,
        "count": 2,
        "period": "2026-04-10",
        "reference_id": None,
        "request_id": None,
        "occurred_at": "2026-04-11T21:50:00Z",
    }


def test_wallet_events_carry_the_catalogue_fields() -> None:
    buddy = hatched()
    ledger = ledger_of(buddy)
    entry = uuid4()
    ledger.credit(
        currency="coins",
        amount=10,
        reason="rule:lesson",
        entry_id=entry,
        causation={"event_id": "evt_1", "rule_id": "lesson"},
        timestamp=at(1),
    )
    ledger.debit(
        currency="coins",
        amount=4,
        reason="item:hat",
        entry_id=uuid4(),
        causation={},
        timestamp=at(2),
    )
    ledger.credit(
        currency="gems", amount=3, reason="rule:x", entry_id=uuid4(), causation={}, timestamp=at(3)
    )
    ledger.debit(
        currency="gems", amount=1, reason="gate", entry_id=uuid4(), causation={}, timestamp=at(4)
    )
    opened, earned, spent, tokens_in, tokens_out = events_of(ledger)
    origin = origin_of(opened, events_of(buddy)[0])
    assert origin is not None and origin.user_id == "user_123"
    assert webhook_event(earned, origin) == (
        "coins.earned",
        {
            "buddy_id": "bdy_" + buddy.id.hex,
            "user_id": "user_123",
            "amount": 10,
            "balance": 10,
            "reason": "rule:lesson",
            "reference_id": "evt_1",
            "ledger_id": "led_" + entry.hex,
            "is_lucky": False,
            "request_id": None,
            "occurred_at": "2026-04-08T10:31:00Z",
        },
    )
    name, payload = webhook_event(spent, origin) or ("", {})
    assert name == "coins.spent" and payload["balance"] == 6 and payload["reference_id"] is None
    name, payload = webhook_event(tokens_in, origin) or ("", {})
    assert name == "token.earned" and payload["token_type"] == "gems" and payload["balance"] == 3
    name, payload = webhook_event(tokens_out, origin) or ("", {})
    assert name == "token.spent" and payload["amount"] == 1 and "is_lucky" not in payload


def test_operation_outcomes() -> None:
    buddy_id, egg_id = uuid4(), uuid4()
    hatch = Operation(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        type="hatch",
        buddy_id=None,
        egg_id=egg_id,
        params={},
        correlation_id=None,
        timestamp=T0,
    )
    hatch.start(lease_until=at(5), timestamp=at(1))
    hatch.complete(result={"buddy_id": "bdy_" + buddy_id.hex}, timestamp=at(2))
    requested, _, completed = events_of(hatch)
    origin = origin_of(requested)
    assert origin is not None
    assert webhook_event(completed, origin) == (
        "operation.completed",
        {
            "operation_id": hatch.public_id,
            "type": "hatch",
            "buddy_id": "bdy_" + buddy_id.hex,
            "egg_id": "egg_" + egg_id.hex,
            "status": "completed",
            "result": {"buddy_id": "bdy_" + buddy_id.hex},
            "request_id": None,
            "occurred_at": "2026-04-08T10:32:00Z",
        },
    )
    evolve = Operation(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        type="evolve",
        buddy_id=buddy_id,
        egg_id=None,
        params={"to_stage": 2},
        correlation_id=None,
        timestamp=T0,
    )
    evolve.start(lease_until=at(5), timestamp=at(1))
    evolve.fail(code="evolve_failed", message="not ready", timestamp=at(2))
    requested, _, failed = events_of(evolve)
    name, payload = webhook_event(failed, origin_of(requested)) or ("", {})  # type: ignore[arg-type]
    assert name == "operation.failed"
    assert payload["error"] == {"code": "evolve_failed", "message": "not ready"}
    assert payload["buddy_id"] == "bdy_" + buddy_id.hex and payload["egg_id"] is None


def test_payloads_carry_the_correlation_id_as_request_id() -> None:
    """From the causation, from the fact's own field, or from the operation's request."""
    buddy = Buddy(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        user_id="user_1",
        egg_id=uuid4(),
        config_version_id=uuid4(),
        name="Pip",
        correlation_id="req-hatch",
        timestamp=T0,
    )
    buddy.update_evolution_readiness(
        ready=True, causation={"correlation_id": "req-event"}, timestamp=at(1)
    )
    buddy.evolve(to_stage=2, operation_id=uuid4(), correlation_id="req-evolve", timestamp=at(2))
    buddy.award_badge(badge_key="b", actor="x", correlation_id="req-award", timestamp=at(3))
    ledger = ledger_of(buddy)
    ledger.credit(
        currency="coins",
        amount=3,
        reason="t",
        entry_id=uuid4(),
        causation={"actor": "x", "correlation_id": "req-credit"},
        timestamp=at(4),
    )
    created, ready, evolved, badge = events_of(buddy)
    origin = origin_of(created)
    assert origin is not None
    ids = [
        (webhook_event(e, origin) or ("", {}))[1]["request_id"]
        for e in (created, ready, evolved, badge)
    ]
    assert ids == ["req-hatch", "req-event", "req-evolve", "req-award"]
    opened, credited = events_of(ledger)
    ledger_origin = origin_of(opened, created)
    assert ledger_origin is not None
    assert (webhook_event(credited, ledger_origin) or ("", {}))[1]["request_id"] == "req-credit"
    operation = Operation(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        type="evolve",
        buddy_id=buddy.id,
        egg_id=None,
        params={"to_stage": 2},
        correlation_id="req-op",
        timestamp=T0,
    )
    operation.start(lease_until=at(5), timestamp=at(1))
    operation.complete(result={}, timestamp=at(2))
    requested, _, completed = events_of(operation)
    op_origin = origin_of(requested)
    assert op_origin is not None
    assert (webhook_event(completed, op_origin) or ("", {}))[1]["request_id"] == "req-op"


def test_facts_recorded_before_correlation_ids_have_a_null_request_id() -> None:
    """Stored version 1 events are upcast with no correlation id; old causations lack one."""
    created_v1 = {k: v for k, v in vars(events_of(hatched())[0]).items() if k != "correlation_id"}
    Buddy.Hatched.upcast_v1_v2(created_v1)
    created = Buddy.Hatched(**created_v1)
    origin = origin_of(created)
    assert origin is not None
    assert (webhook_event(created, origin) or ("", {}))[1]["request_id"] is None
    requested_v1: dict[str, Any] = {"params": {}}
    Operation.Requested.upcast_v1_v2(requested_v1)
    assert requested_v1["correlation_id"] is None
    buddy = hatched()
    buddy.update_evolution_readiness(ready=True, causation={"event_id": "e"}, timestamp=at(1))
    _, ready = events_of(buddy)
    assert (webhook_event(ready, origin) or ("", {}))[1]["request_id"] is None


def test_events_without_a_webhook_form_give_none() -> None:
    buddy = hatched()
    buddy.rename(name="Pop", timestamp=at(1))
    created, renamed = events_of(buddy)
    origin = origin_of(created)
    assert origin is not None
    assert webhook_event(renamed, origin) is None
    assert origin_of(renamed) is None


@pytest.mark.parametrize("name", [TEST_EVENT, *WEBHOOK_EVENTS])
def test_every_event_has_a_sample_marked_as_a_test(name: str) -> None:
    payload = sample_payload(name, "wh_1", T0)
    assert payload["test"] is True and payload["occurred_at"] == "2026-04-08T10:30:00Z"
    assert payload["request_id"] is None
    json.dumps(payload)


# -- signatures ----------------------------------------------------------------------


SECRETS = SealedWebhookSecrets("test-secret-key")


def hatched_signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver following the product's docs does."""
    signed = f"{headers['X-Hatched-Timestamp']}.".encode() + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(
        hmac.compare_digest(expected, given.strip())
        for given in headers["X-Hatched-Signature"].split(",")
    )


def signed(secrets: list[str], body: bytes) -> dict[str, str]:
    return delivery_headers(
        delivery_id="whd_" + uuid4().hex,
        event_name="coins.earned",
        attempt=1,
        timestamp=int(time.time()),
        body=body,
        secrets=secrets,
    )


def test_both_signature_schemes_verify() -> None:
    secret = SECRETS.new_secret()
    body = encode_body({"buddy_id": "bdy_1", "amount": 10, "name": "Zoë"})
    headers = signed([secret], body)
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    assert hatched_signature_ok(secret, headers, body)
    assert headers["webhook-id"] == headers["X-Hatched-Delivery"]
    assert headers["webhook-timestamp"] == headers["X-Hatched-Timestamp"]
    assert headers["X-Hatched-Event"] == "coins.earned"


def test_a_tampered_body_or_another_secret_does_not_verify() -> None:
    secret, other = SECRETS.new_secret(), SECRETS.new_secret()
    body = encode_body({"amount": 10})
    headers = signed([secret], body)
    tampered = body.replace(b"10", b"99")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)
    assert not hatched_signature_ok(secret, headers, tampered)
    assert not hatched_signature_ok(other, headers, body)


def test_during_a_rotation_old_and_new_secrets_both_verify() -> None:
    new, old = SECRETS.new_secret(), SECRETS.new_secret()
    body = encode_body({"amount": 1})
    headers = signed([new, old], body)
    for secret in (new, old):
        Webhook(secret).verify(body, headers)
        assert hatched_signature_ok(secret, headers, body)
    assert len(headers["webhook-signature"].split(" ")) == 2


def test_secrets_are_sealed_and_only_our_key_opens_them() -> None:
    secret = SECRETS.new_secret()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    sealed = SECRETS.seal(secret)
    assert secret not in sealed and secret[6:] not in sealed
    assert SECRETS.seal(secret) != sealed, "a fresh nonce every time"
    assert SECRETS.unseal(sealed) == secret
    with pytest.raises(ValueError):
        SealedWebhookSecrets("another-key").unseal(sealed)
    with pytest.raises(ValueError):
        SECRETS.unseal("v1." + sealed[3:-4] + "AAAA")
    with pytest.raises(ValueError):
        SECRETS.unseal(secret)
