"""The ``regenerate_badge_icon`` operation on the real use cases (decision 0046)."""

from __future__ import annotations

from pathlib import Path

from application.companions.icons import Icons
from application.companions.operations import Operations
from application.configs.rule_editors import BADGES, ConfigItems
from application.shared.images import ImageIntake
from infrastructure.accounts.security import RandomSecrets
from infrastructure.companions.assets import FileAssetStore
from infrastructure.companions.image_checks import SafeImageInspector
from infrastructure.companions.renderer import SvgRenderer
from tests.unit.history_world import World


def world_with_icons(root: Path) -> tuple[World, Icons, Operations, FileAssetStore]:
    world = World()
    assets = FileAssetStore(root)
    icons = Icons(
        world.store,
        world.clock,
        RandomSecrets(),
        world.configs,
        SvgRenderer(assets),
        ImageIntake(assets, SafeImageInspector(), 512 * 1024),
    )
    return world, icons, Operations(world.store, world.clock, world.configs, icons=icons), assets


def test_the_worker_sets_the_drawn_icon_in_the_draft(tmp_path: Path) -> None:
    world, icons, operations, assets = world_with_icons(tmp_path)
    tenant = world.open_tenant()
    operation = icons.request(tenant, "scholar", 3)
    operations.run(operation.id)
    done = operations.get(tenant, operation.public_id)
    assert (done.status, done.result["seed"]) == ("completed", 3)
    badge, current = ConfigItems(world.configs).item(tenant, BADGES, "scholar")
    assert current.source == "draft"
    assert badge["icon_url"] == done.result["icon"]
    stored = assets.get(badge["icon_url"].removeprefix("asset:"))
    assert stored is not None and b'data-emblem="badge"' in stored


def test_a_badge_deleted_before_the_worker_fails_the_operation_and_changes_nothing(
    tmp_path: Path,
) -> None:
    world, icons, operations, _ = world_with_icons(tmp_path)
    tenant = world.open_tenant()
    operation = icons.request(tenant, "coin_collector", None)
    edited = ConfigItems(world.configs).delete(tenant, BADGES, "coin_collector")
    operations.run(operation.id)
    failed = operations.get(tenant, operation.public_id)
    assert failed.status == "failed" and failed.error is not None
    assert failed.error["code"] == "badge_icon_failed"
    draft = world.configs.current(tenant)
    assert draft is not None and draft.id == edited.draft.id
    assert draft.document == edited.draft.document
