"""A fact names what caused it by id, and each id field has one type: the UUID (decision 0038).

Public ids (``cfg_…``, ``op_…``, ``led_…``) are the API's spelling of those UUIDs, made when a
timeline or a ledger entry is shown; facts recorded before held the public id string there,
and read exactly as before."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from application.shared.public_values import PUBLIC_KINDS, public_causation
from domain.shared.correlation import CORRELATION_ID
from domain.shared.ids import public_id
from tests.unit.history_world import World

STAFF = "secret_key:test"


def every_causation(world: World) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for notification in world.store.recorder.select_notifications(start=1, limit=10_000):
        event = world.store.mapper.to_domain_event(notification)
        causation = getattr(event, "causation", None)
        if causation:
            found.append((type(event).__qualname__, causation))
    return found


def test_every_id_in_every_recorded_causation_is_a_uuid() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    for _ in range(3):
        world.send(tenant, buddy_id)
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 500, "seed", STAFF)
    world.buddies.award_badge(tenant, buddy_id, "first_steps", STAFF)
    item = world.buddies.state(tenant, buddy_id).rulebook.items[0]
    world.purchases.purchase(tenant, buddy_id, item.item_id, STAFF)
    world.evolve(tenant, buddy_id)

    causations = every_causation(world)
    seen = {key for _, causation in causations for key in causation if key in PUBLIC_KINDS}
    assert {"config_version_id", "operation_id", "ledger_entry_id"} <= seen
    wrong = [
        (event, key, value)
        for event, causation in causations
        for key, value in causation.items()
        if key in PUBLIC_KINDS and not isinstance(value, UUID)
    ]
    assert wrong == []


def test_a_causation_is_shown_with_public_ids_whether_recorded_new_or_old() -> None:
    config, operation, entry = uuid4(), uuid4(), uuid4()
    new = {
        "event_id": "evt_1",
        "config_version_id": config,
        "operation_id": operation,
        "ledger_entry_id": entry,
        CORRELATION_ID: "req_1",
    }
    old = {
        "event_id": "evt_1",
        "config_version_id": public_id("config_version", config),
        "operation_id": public_id("operation", operation),
        "ledger_entry_id": public_id("ledger_entry", entry),
    }
    shown = {
        "event_id": "evt_1",
        "config_version_id": public_id("config_version", config),
        "operation_id": public_id("operation", operation),
        "ledger_entry_id": public_id("ledger_entry", entry),
    }
    assert public_causation(new) == shown
    assert public_causation(old) == shown
