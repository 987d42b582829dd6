from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from domain.integrations.webhook_endpoint import (
    MAX_ENDPOINTS_PER_TENANT,
    SECRET_OVERLAP,
    WEBHOOK_EVENTS,
    WebhookEndpoint,
    WebhookSubscriptions,
)
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
TENANT = Tenant(uuid4(), "live")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def register(**overrides: Any) -> WebhookEndpoint:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "customer_id": TENANT.customer_id,
        "mode": TENANT.mode,
        "url": "https://hooks.acme.example/hatched",
        "events": ["coins.earned", "buddy.hatched"],
        "description": "production receiver",
        "sealed_secret": "sealed-1",
        "timestamp": T0,
    }
    fields.update(overrides)
    return WebhookEndpoint.register(**fields)


def subscriptions() -> WebhookSubscriptions:
    return WebhookSubscriptions(
        id=WebhookSubscriptions.id_for(TENANT),
        customer_id=TENANT.customer_id,
        mode=TENANT.mode,
        timestamp=T0,
    )


def refusal(call: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def test_a_new_endpoint_is_active_with_its_events_deduplicated_in_order() -> None:
    endpoint = register(events=["coins.earned", "buddy.hatched", "coins.earned"])
    assert endpoint.status == "active" and endpoint.disabled_reason is None
    assert endpoint.events == ["coins.earned", "buddy.hatched"]
    assert endpoint.public_id == "wh_" + endpoint.id.hex
    assert endpoint.sealed_secrets(at(1)) == ["sealed-1"]


@pytest.mark.parametrize(
    ("events", "fields"),
    [
        ([], ["events"]),
        (["coins.earned", "coins.stolen"], ["events[1]"]),
        (["nope", "buddy.hatched", "Coins.Earned"], ["events[0]", "events[2]"]),
    ],
)
def test_events_must_be_known_and_not_empty(events: list[str], fields: list[str]) -> None:
    error = refusal(register, events=events)
    assert error.code == "validation_failed"
    assert error.details is not None
    assert [f["field"] for f in error.details["fields"]] == fields
    assert error.details["known_events"] == list(WEBHOOK_EVENTS)


def test_a_description_is_bounded() -> None:
    assert refusal(register, description="x" * 501).code == "validation_failed"
    assert register(description="x" * 500).description == "x" * 500


def test_update_replaces_and_keeps_the_status_unless_given() -> None:
    endpoint = register()
    endpoint.update(
        url="https://other.acme.example/h",
        events=["operation.failed"],
        description=None,
        status=None,
        timestamp=at(1),
    )
    assert (endpoint.url, endpoint.events, endpoint.description, endpoint.status) == (
        "https://other.acme.example/h",
        ["operation.failed"],
        None,
        "active",
    )
    endpoint.update(
        url=endpoint.url,
        events=["coins.spent"],
        description=None,
        status="disabled",
        timestamp=at(2),
    )
    assert endpoint.status == "disabled" and endpoint.disabled_reason == "disabled_by_customer"
    endpoint.update(
        url=endpoint.url, events=["coins.spent"], description=None, status="active", timestamp=at(3)
    )
    assert endpoint.status == "active" and endpoint.disabled_reason is None


def test_a_refused_update_changes_nothing() -> None:
    endpoint = register()
    version = endpoint.version
    error = refusal(
        endpoint.update,
        url="https://x.example/",
        events=["unknown.event"],
        description=None,
        status=None,
        timestamp=at(1),
    )
    assert error.code == "validation_failed"
    assert endpoint.version == version and endpoint.url == "https://hooks.acme.example/hatched"


def test_rotation_signs_with_both_secrets_for_24_hours_then_only_the_new_one() -> None:
    endpoint = register()
    expires = endpoint.rotate_secret(sealed_secret="sealed-2", timestamp=at(10))
    assert expires == at(10) + SECRET_OVERLAP
    assert endpoint.sealed_secrets(at(11)) == ["sealed-2", "sealed-1"]
    assert endpoint.sealed_secrets(expires - timedelta(seconds=1)) == ["sealed-2", "sealed-1"]
    assert endpoint.sealed_secrets(expires) == ["sealed-2"]


def test_a_second_rotation_retires_the_oldest_secret_at_once() -> None:
    endpoint = register()
    endpoint.rotate_secret(sealed_secret="sealed-2", timestamp=at(1))
    endpoint.rotate_secret(sealed_secret="sealed-3", timestamp=at(2))
    assert endpoint.sealed_secrets(at(3)) == ["sealed-3", "sealed-2"]


def test_disable_is_idempotent_and_says_why() -> None:
    endpoint = register()
    endpoint.disable(reason="receiver_gone", timestamp=at(1))
    version = endpoint.version
    endpoint.disable(reason="receiver_gone", timestamp=at(2))
    assert endpoint.status == "disabled" and endpoint.disabled_reason == "receiver_gone"
    assert endpoint.version == version


def test_an_endpoint_replays_to_the_same_state() -> None:
    app: Application[Any] = Application()
    endpoint = register()
    endpoint.rotate_secret(sealed_secret="sealed-2", timestamp=at(1))
    endpoint.disable(reason="receiver_gone", timestamp=at(2))
    endpoint.delete(timestamp=at(3))
    app.save(endpoint)
    copy = app.repository.get(endpoint.id)
    assert copy.__dict__ == endpoint.__dict__


def test_subscriptions_follow_endpoints_and_answer_who_wants_an_event() -> None:
    subs = subscriptions()
    first = register()
    second = register(events=["coins.earned"], timestamp=at(5))
    subs.track(first, timestamp=T0)
    subs.track(second, timestamp=at(5))
    assert subs.subscribers("coins.earned", at(6)) == [first.id, second.id]
    assert subs.subscribers("buddy.hatched", at(6)) == [first.id]
    assert subs.subscribers("coins.earned", at(4)) == [first.id], "not before it existed"
    second.disable(reason="receiver_gone", timestamp=at(7))
    subs.track(second, timestamp=at(7))
    assert subs.subscribers("coins.earned", at(8)) == [first.id]
    first.delete(timestamp=at(9))
    subs.track(first, timestamp=at(9))
    assert subs.endpoint_ids() == [second.id]
    version = subs.version
    subs.track(second, timestamp=at(10))
    assert subs.version == version, "an unchanged endpoint writes nothing"


def test_a_tenant_has_at_most_the_cap_of_endpoints() -> None:
    subs = subscriptions()
    for _ in range(MAX_ENDPOINTS_PER_TENANT):
        subs.track(register(), timestamp=T0)
    error = refusal(subs.track, endpoint=register(), timestamp=T0)
    assert error.code == "conflict"
    assert len(subs.endpoint_ids()) == MAX_ENDPOINTS_PER_TENANT
