"""Export a buddy from one store, import it into an empty one: the same buddy, the same past."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.companions.gate_unlocks import GateUnlocks
from application.configs.rule_editors import GATES, ConfigItems
from application.history.buddy_export import FORMAT, BuddyExports
from domain.companions.buddy import Buddy
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant
from interfaces.http.companions.buddies import buddy_state_view
from tests.unit.history_world import World


def exports_of(world: World) -> BuddyExports:
    return BuddyExports(world.store, world.clock, world.index)


def lived(world: World) -> tuple[Tenant, str]:
    """A buddy that earned, spent, evolved, changed config version and was renamed."""
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    for i in range(6):
        world.send(tenant, buddy_id, score=100 if i % 2 else 40)
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 150, "gift", "secret_key:x")
    world.buddies.override_wallet(tenant, buddy_id, "spend", None, 20, "shop", "secret_key:x")
    world.evolve(tenant, buddy_id)
    draft = world.configs.edit_draft(
        tenant, lambda d: {**d, "coin_rules": [{**d["coin_rules"][0], "amount": 12}]}
    )
    world.configs.publish(tenant, draft.public_id)
    world.configs.migrate_buddies(tenant, draft.public_id, None)
    world.buddies.rename(tenant, buddy_id, "Pip")
    world.send(tenant, buddy_id)
    return tenant, buddy_id


def roundtrip(document: dict[str, Any]) -> dict[str, Any]:
    """Through a file's worth of JSON text."""
    return dict(json.loads(json.dumps(document)))


def test_an_imported_buddy_is_the_same_buddy_with_the_same_past() -> None:
    source = World()
    tenant, buddy_id = lived(source)
    document = roundtrip(exports_of(source).export(buddy_id))
    assert document["format"] == FORMAT and document["buddy_id"] == buddy_id
    assert document["tenant"] == {"customer_id": f"cus_{tenant.customer_id.hex}", "mode": "live"}
    kinds = [s["kind"] for s in document["streams"]]
    assert kinds.count("config_version") == 2  # hatched on v1, migrated to v2
    assert kinds.count("operation") == 2  # the hatch and the evolve

    target = World()
    imported = exports_of(target).import_(document)
    assert imported.buddy_id == buddy_id and imported.mode == "live"
    assert imported.events == sum(len(s["events"]) for s in document["streams"])
    assert buddy_state_view(target.buddies.state(tenant, buddy_id)) == buddy_state_view(
        source.buddies.state(tenant, buddy_id)
    )
    assert target.history.evolutions(tenant, buddy_id) == source.history.evolutions(
        tenant, buddy_id
    )
    timeline = source.history.timeline(tenant, buddy_id, limit=1000).entries
    assert target.history.timeline(tenant, buddy_id, limit=1000).entries == timeline
    middle = timeline[len(timeline) // 2].recorded_at
    assert buddy_state_view(target.history.as_of(tenant, buddy_id, middle)) == buddy_state_view(
        source.history.as_of(tenant, buddy_id, middle)
    )


def test_importing_twice_or_over_an_existing_buddy_is_a_conflict() -> None:
    source = World()
    _, buddy_id = lived(source)
    document = roundtrip(exports_of(source).export(buddy_id))
    target = World()
    exports_of(target).import_(document)
    head = target.store.head()
    with pytest.raises(DomainError) as again:
        exports_of(target).import_(document)
    assert again.value.code == "conflict" and target.store.head() == head
    with pytest.raises(DomainError) as over_itself:
        exports_of(source).import_(document)
    assert over_itself.value.code == "conflict"


def test_two_buddies_of_one_tenant_share_their_config_version() -> None:
    source = World()
    tenant = source.open_tenant()
    first, second = source.hatch(tenant), source.hatch(tenant)
    source.send(tenant, first)
    target = World()
    for buddy_id in (first, second):
        exports_of(target).import_(roundtrip(exports_of(source).export(buddy_id)))
        assert buddy_state_view(target.buddies.state(tenant, buddy_id)) == buddy_state_view(
            source.buddies.state(tenant, buddy_id)
        )


def test_a_config_version_that_differs_is_not_overwritten() -> None:
    source = World()
    tenant = source.open_tenant()
    first, second = source.hatch(tenant), source.hatch(tenant)
    target = World()
    exports_of(target).import_(roundtrip(exports_of(source).export(first)))
    document = roundtrip(exports_of(source).export(second))
    version = next(s for s in document["streams"] if s["kind"] == "config_version")
    version["events"][0]["state"]["version_number"] = 99
    head = target.store.head()
    with pytest.raises(DomainError) as clash:
        exports_of(target).import_(document)
    assert clash.value.code == "conflict" and clash.value.details is not None
    assert clash.value.details["stream"] == "config_version"
    assert target.store.head() == head
    assert target.store.find(Buddy, parse_public_id("buddy", second)) is None


@pytest.mark.parametrize(
    "broken",
    [
        {"format": "something-else"},
        {"format": FORMAT, "format_version": 2},
        {"format": FORMAT, "format_version": 1, "tenant": {}, "buddy_id": "bdy_x", "streams": []},
        {
            "format": FORMAT,
            "format_version": 1,
            "tenant": {"customer_id": "cus_1", "mode": "live"},
            "buddy_id": "bdy_" + "0" * 32,
            "streams": [{"kind": "customer", "id": "0" * 32, "events": []}],
        },
        {
            "format": FORMAT,
            "format_version": 1,
            "tenant": {"customer_id": "cus_1", "mode": "live"},
            "buddy_id": "bdy_" + "0" * 32,
            "streams": [{"kind": "egg", "id": "0" * 32, "events": []}],
        },
    ],
)
def test_a_file_that_is_not_an_export_is_refused(broken: dict[str, Any]) -> None:
    target = World()
    with pytest.raises(DomainError) as refused:
        exports_of(target).import_(broken)
    assert refused.value.code == "bad_request"
    assert target.store.head() == 0


def test_exporting_an_unknown_buddy_is_not_found() -> None:
    world = World()
    tenant = world.open_tenant()
    egg_not_buddy = world.eggs.lay(tenant, "u", {}, None, False)[0].public_id
    for buddy_id in ("bdy_" + "0" * 32, "bdy_nonsense", egg_not_buddy):
        with pytest.raises(DomainError) as missing:
            exports_of(world).export(buddy_id)
        assert missing.value.code == "resource_not_found"


def test_old_events_leave_at_their_current_class_version() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    world.buddies.rename(tenant, buddy_id, "Pip")
    stream = next(s for s in exports_of(world).export(buddy_id)["streams"] if s["kind"] == "buddy")
    renamed = next(e for e in stream["events"] if e["topic"].endswith("Buddy.Renamed"))
    assert renamed["state"]["class_version"] == 2
    assert renamed["state"]["previous_name"] == "Buddy"


def test_an_imported_buddy_keeps_the_gates_it_paid_for() -> None:
    """Its unlocks travel with it, so the imported buddy is not asked to pay again."""
    source = World()
    tenant = source.open_tenant()
    buddy_id = source.hatch(tenant)
    draft = (
        ConfigItems(source.configs)
        .upsert(tenant, GATES, "advanced_mode", {"token_key": "stars", "cost": 30})
        .draft
    )
    source.configs.publish(tenant, draft.public_id)
    source.buddies.override_wallet(tenant, buddy_id, "credit", "stars", 50, "gift", "secret_key:x")
    unlocks = GateUnlocks(source.store, source.clock, source.configs)
    paid = unlocks.unlock(tenant, buddy_id, "advanced_mode", "secret_key:x")
    document = roundtrip(exports_of(source).export(buddy_id))
    assert [s["kind"] for s in document["streams"]].count("gate_unlock") == 1

    target = World()
    target.configs.apply_preset(tenant, "language-learning")
    exports_of(target).import_(document)
    draft = (
        ConfigItems(target.configs)
        .upsert(tenant, GATES, "advanced_mode", {"token_key": "stars", "cost": 30})
        .draft
    )
    target.configs.publish(tenant, draft.public_id)
    again = GateUnlocks(target.store, target.clock, target.configs)
    repeat = again.unlock(tenant, buddy_id, "advanced_mode", "secret_key:x")
    assert repeat.already_unlocked
    assert repeat.unlock.ledger_entry_id == paid.unlock.ledger_entry_id
