"""Pictures drawn inside hatch, evolve and equip, and what a failing renderer leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.companions.appearance import Appearance, request_rerender
from application.companions.operations import Operations
from domain.accounts.customer import Customer
from domain.companions.appearance import NEEDS_RERENDER, Portrait, RenderedImages
from domain.companions.buddy import Buddy
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant
from infrastructure.companions.assets import FileAssetStore
from infrastructure.companions.renderer import SvgRenderer
from tests.unit.history_world import World


class FlakyRenderer:
    """The real renderer, until told to fail."""

    def __init__(self, root: Path) -> None:
        self.real = SvgRenderer(FileAssetStore(root))
        self.failing = False
        self.portraits: list[Portrait] = []

    def render_buddy(self, portrait: Portrait) -> RenderedImages:
        self.portraits.append(portrait)
        if self.failing:
            raise OSError("disk full")
        return self.real.render_buddy(portrait)

    def render_stage_art(self, stage: int, style: str, seed: int) -> str:
        return self.real.render_stage_art(stage, style, seed)

    def render_egg(self, visual_variant: int, style: str) -> str:
        return self.real.render_egg(visual_variant, style)


@pytest.fixture
def renderer(tmp_path: Path) -> FlakyRenderer:
    return FlakyRenderer(tmp_path)


@pytest.fixture
def world(renderer: FlakyRenderer) -> World:
    built = World()
    built.operations = Operations(
        built.store, built.clock, built.configs, appearance=Appearance(built.store, renderer)
    )
    return built


def ready_to_evolve(world: World, tenant: Tenant, buddy_id: str) -> None:
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 100, "test", "support")
    world.buddies.award_badge(tenant, buddy_id, "first_steps", "support")


def equip(world: World, tenant: Tenant, buddy_id: str, item_ids: list[str]) -> None:
    operation = world.buddies.request_equip(tenant, buddy_id, item_ids)
    world.operations.run(operation.id)


def test_a_hatched_buddy_is_drawn_in_the_same_transaction(world: World) -> None:
    tenant = world.open_tenant()
    buddy = world.buddies.load(tenant, world.hatch(tenant))
    assert buddy.appearance is not None
    assert buddy.appearance["status"] == "ready" and buddy.appearance["stage"] == 1
    assert buddy.appearance["rendered_equipped_item_ids"] == []
    kinds = [type(e) for e in world.store.events.get(buddy.id)]
    assert kinds[0] is Buddy.Hatched and Buddy.AppearanceRendered in kinds


def test_evolving_and_equipping_draw_new_pictures(world: World, renderer: FlakyRenderer) -> None:
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    hatched = dict(world.buddies.load(tenant, buddy_id).appearance or {})
    ready_to_evolve(world, tenant, buddy_id)
    world.evolve(tenant, buddy_id)
    evolved = dict(world.buddies.load(tenant, buddy_id).appearance or {})
    assert evolved["stage"] == 2 and evolved["base_image"] != hatched["base_image"]
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 100, "test", "support")
    world.purchases.purchase(tenant, buddy_id, "quill", "support")
    equip(world, tenant, buddy_id, ["quill"])
    dressed = dict(world.buddies.load(tenant, buddy_id).appearance or {})
    assert dressed["rendered_equipped_item_ids"] == ["quill"]
    assert dressed["base_image"] == evolved["base_image"] and dressed["image"] != evolved["image"]
    assert [i.item_id for i in renderer.portraits[-1].items] == ["quill"]


def test_a_render_failure_keeps_the_stage_and_asks_for_a_rerender(
    world: World, renderer: FlakyRenderer
) -> None:
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    before = dict(world.buddies.load(tenant, buddy_id).appearance or {})
    ready_to_evolve(world, tenant, buddy_id)
    renderer.failing = True
    operation = world.buddies.request_evolve(tenant, buddy_id)
    world.operations.run(operation.id)
    assert world.operations.get(tenant, operation.public_id).status == "completed"
    buddy = world.buddies.load(tenant, buddy_id)
    assert buddy.evolution_stage == 2
    failed = buddy.appearance or {}
    assert failed["status"] == "failed" and failed["error"]["code"] == NEEDS_RERENDER
    assert failed["image"] == before["image"]  # the last good picture stays

    renderer.failing = False
    rerender = request_rerender(world.buddies, tenant, buddy_id)
    world.operations.run(rerender.id)
    redrawn = world.buddies.load(tenant, buddy_id).appearance or {}
    assert redrawn["status"] == "ready" and redrawn["error"] is None and redrawn["stage"] == 2


def test_a_rerender_only_draws(world: World) -> None:
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    buddy = world.buddies.load(tenant, buddy_id)
    version = buddy.version
    world.operations.run(request_rerender(world.buddies, tenant, buddy_id).id)
    assert world.buddies.load(tenant, buddy_id).version == version  # same pictures: no event


def test_another_tenants_buddy_cannot_be_rerendered(world: World) -> None:
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    other = world.open_tenant()
    test_world = Tenant(tenant.customer_id, "test")
    for stranger in (other, test_world):
        with pytest.raises(DomainError) as refused:
            request_rerender(world.buddies, stranger, buddy_id)
        assert refused.value.code == "resource_not_found"


def test_pictures_follow_the_customer_settings(world: World, renderer: FlakyRenderer) -> None:
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    customer = world.store.load(Customer, tenant.customer_id, "customer", "c")
    customer.change_settings(
        changes={"creature_style": "sci-fi", "widget_theme": "dark"}, timestamp=world.clock.now()
    )
    world.store.save(customer)
    world.operations.run(request_rerender(world.buddies, tenant, buddy_id).id)
    assert renderer.portraits[-1].style == "sci-fi" and renderer.portraits[-1].theme == "dark"


def test_recording_the_same_pictures_twice_records_nothing(world: World) -> None:
    tenant = world.open_tenant()
    buddy = world.buddies.load(tenant, world.hatch(tenant))
    drawn = buddy.appearance or {}
    images = RenderedImages(drawn["image"], drawn["base_image"], drawn["thumb"])
    buddy.record_appearance(images=images, timestamp=world.clock.now())
    assert list(buddy.collect_events()) == []
    buddy.record_render_failure(message="x", timestamp=world.clock.now())
    buddy.record_appearance(images=images, timestamp=world.clock.now())
    assert [type(e) for e in buddy.collect_events()] == [
        Buddy.AppearanceRenderFailed,
        Buddy.AppearanceRendered,
    ]
