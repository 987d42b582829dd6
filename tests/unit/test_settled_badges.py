"""A badge is awarded by the change that makes its condition hold, whatever the change.

An evolve, a manual override or a purchase settles the buddy in its own save (``rules.settle``,
the engine's badge pass): the same ``BadgeAwarded`` (``source: rule``) a customer event would
have recorded, its coins credited in the same transaction, nothing waiting for the next event.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.companions.buddy import Buddy
from domain.configs.presets import preset_document
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant
from tests.unit.history_world import World

STAFF = "secret_key:test"


def tenant_with(world: World, change: Any = None) -> Tenant:
    """A tenant on the language-learning preset, changed by ``change(document)`` first."""
    tenant = world.open_tenant()
    if change is not None:
        document = preset_document("language-learning")
        change(document)
        draft = world.configs.create_draft(tenant, document)
        world.configs.publish(tenant, draft.public_id)
    return tenant


def badge_rewarded(key: str, coins: int) -> Any:
    def change(document: dict[str, Any]) -> None:
        for badge in document["badges"]:
            if badge["key"] == key:
                badge["coin_reward"] = coins

    return change


def awarded_events(world: World, buddy_id: str) -> list[Buddy.BadgeAwarded]:
    stream = world.store.events.get(parse_public_id("buddy", buddy_id))
    return [e for e in stream if isinstance(e, Buddy.BadgeAwarded)]


def make_ready(world: World, tenant: Tenant, buddy_id: str) -> None:
    """Stage 2 of the preset: 100 coins earned and the ``first_steps`` badge."""
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 100, "seed", STAFF)
    world.buddies.award_badge(tenant, buddy_id, "first_steps", STAFF)


def test_evolving_to_stage_2_awards_the_stage_badge_in_the_same_save() -> None:
    world = World()
    tenant = tenant_with(world, badge_rewarded("fledgling", 30))
    buddy_id = world.hatch(tenant)
    make_ready(world, tenant, buddy_id)
    before = world.buddies.state(tenant, buddy_id)
    assert "fledgling" not in before.buddy.badges
    coins_before = before.ledger.balance("coins")

    operation = world.buddies.request_evolve(tenant, buddy_id)
    world.operations.run(operation.id)

    after = world.buddies.state(tenant, buddy_id)
    assert after.buddy.evolution_stage == 2
    assert "fledgling" in after.buddy.badges
    assert after.ledger.balance("coins") == coins_before + 30
    fledgling = [e for e in awarded_events(world, buddy_id) if e.badge_key == "fledgling"]
    assert len(fledgling) == 1
    assert (fledgling[0].source, fledgling[0].coin_reward) == ("rule", 30)
    assert fledgling[0].causation["operation_id"] == operation.id
    # The badge, its coins and the stage were written by the operation's one transaction.
    evolved = next(
        e
        for e in world.store.events.get(parse_public_id("buddy", buddy_id))
        if isinstance(e, Buddy.Evolved)
    )
    assert fledgling[0].timestamp == evolved.timestamp
    credit = [
        e
        for e in world.store.events.get(after.ledger.id)
        if isinstance(e, Ledger.CoinsCredited) and e.reason == "badge:fledgling"
    ]
    assert [c.amount for c in credit] == [30]
    assert credit[0].timestamp == evolved.timestamp


def test_a_skill_override_that_meets_a_badge_awards_it_in_the_same_call() -> None:
    world = World()
    tenant = tenant_with(world)
    buddy_id = world.hatch(tenant)
    buddy = world.buddies.set_skills(tenant, buddy_id, {"grammar": 60}, STAFF)
    assert "grammar_guru" in buddy.badges
    assert world.buddies.load(tenant, buddy_id).badges.keys() >= {"grammar_guru"}
    [event] = awarded_events(world, buddy_id)
    assert (event.badge_key, event.source, event.actor) == ("grammar_guru", "rule", None)
    assert event.causation["source"] == "manual_override"


def test_a_coin_credit_over_the_threshold_awards_the_coin_badge() -> None:
    world = World()
    tenant = tenant_with(world)
    buddy_id = world.hatch(tenant)
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 499, "seed", STAFF)
    assert "coin_collector" not in world.buddies.load(tenant, buddy_id).badges
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 1, "seed", STAFF)
    assert "coin_collector" in world.buddies.load(tenant, buddy_id).badges


def test_buying_the_last_item_of_a_collection_awards_it_with_its_coins() -> None:
    world = World()
    tenant = tenant_with(world, badge_rewarded("book_lover", 40))
    buddy_id = world.hatch(tenant)
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 140, "seed", STAFF)
    world.purchases.purchase(tenant, buddy_id, "reading_glasses", STAFF)
    assert "book_lover" not in world.buddies.load(tenant, buddy_id).badges
    buddy = world.purchases.purchase(tenant, buddy_id, "scholar_scarf", STAFF).buddy
    assert "book_lover" in buddy.badges
    assert world.buddies.state(tenant, buddy_id).ledger.balance("coins") == 40


def test_a_manual_award_that_completes_a_stage_makes_the_buddy_ready() -> None:
    world = World()
    tenant = tenant_with(world)
    buddy_id = world.hatch(tenant)
    make_ready(world, tenant, buddy_id)
    assert world.buddies.load(tenant, buddy_id).evolution_ready


def test_a_refused_override_awards_nothing() -> None:
    world = World()
    tenant = tenant_with(world)
    buddy_id = world.hatch(tenant)
    with pytest.raises(DomainError):
        world.buddies.set_skills(tenant, buddy_id, {"grammar": 60, "nope": 1}, STAFF)
    assert awarded_events(world, buddy_id) == []
    assert world.buddies.load(tenant, buddy_id).skills == {}


def test_a_badge_earned_by_an_override_is_not_awarded_again_by_the_next_event() -> None:
    world = World()
    tenant = tenant_with(world)
    buddy_id = world.hatch(tenant)
    world.buddies.set_skills(tenant, buddy_id, {"grammar": 60}, STAFF)
    world.send(tenant, buddy_id, "quiz_passed")
    assert [e.badge_key for e in awarded_events(world, buddy_id)] == ["grammar_guru"]


def test_another_tenants_buddy_is_not_settled() -> None:
    world = World()
    tenant = tenant_with(world)
    other = tenant_with(world)
    buddy_id = world.hatch(tenant)
    with pytest.raises(DomainError) as refused:
        world.buddies.set_skills(other, buddy_id, {"grammar": 60}, STAFF)
    assert refused.value.code == "resource_not_found"
    assert awarded_events(world, buddy_id) == []


def test_migrating_to_a_rulebook_with_a_held_criterion_awards_its_badge() -> None:
    world = World()
    tenant = tenant_with(world)
    buddy_id = world.hatch(tenant)
    world.buddies.set_skills(tenant, buddy_id, {"speaking": 40}, STAFF)

    def speaking_badge(document: dict[str, Any]) -> None:
        document["badges"].append(
            {
                "key": "speaker",
                "name": "Speaker",
                "description": "Reach speaking level 2.",
                "condition": {"kind": "skill_level", "skill_key": "speaking", "level": 2},
                "coin_reward": None,
                "auto_award": True,
            }
        )

    document = preset_document("language-learning")
    speaking_badge(document)
    draft = world.configs.create_draft(tenant, document)
    world.configs.publish(tenant, draft.public_id)
    world.configs.migrate_buddies(
        tenant, draft.public_id, [parse_public_id("buddy", buddy_id)], STAFF
    )
    assert "speaker" in world.buddies.load(tenant, buddy_id).badges
