"""What-if on an in-memory store: a draft's rules over the tenant's recent events."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

from application.configs.what_if import MAX_DAYS, WhatIfLimits, check_days
from domain.configs.config_version import ConfigVersion
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant
from tests.unit.history_world import World


def draft_with(world: World, tenant: Tenant, **changes: Any) -> ConfigVersion:
    """A draft whose ``lesson_completed`` coin rule and ``first_steps`` badge are changed."""

    def change(document: dict[str, Any]) -> dict[str, Any]:
        lesson = next(r for r in document["coin_rules"] if r["id"] == "lesson_completed")
        lesson["amount"] = changes.get("lesson_amount", lesson["amount"])
        lesson["daily_cap"] = None
        badge = next(b for b in document["badges"] if b["key"] == "first_steps")
        badge["condition"]["count"] = changes.get("first_steps_after", 5)
        return document

    return world.configs.edit_draft(tenant, change)


def test_a_draft_doubling_lesson_coins_shows_the_difference_per_buddy_and_in_total() -> None:
    world = World()
    tenant = world.open_tenant()
    busy, quiet = world.hatch(tenant), world.hatch(tenant)
    for _ in range(4):
        world.send(tenant, busy, score=60)
    world.send(tenant, quiet, "quiz_passed")
    draft = draft_with(world, tenant, lesson_amount=20)
    head = world.store.head()
    replay = world.configs.impact(tenant, draft.public_id)["what_if"]
    assert world.store.head() == head  # a preview changes nothing
    assert replay["sampled"] is False and replay["cut_by"] == []
    assert replay["days"] == 30 and replay["buddies_eligible"] == 2
    reports = {r["buddy_id"]: r for r in replay["buddies"]}
    assert reports[busy]["events_replayed"] == 4
    assert reports[busy]["actual"]["coins"] == 40
    assert reports[busy]["draft"]["coins"] == 80
    assert reports[busy]["difference"]["coins"] == 40
    assert reports[quiet]["difference"] == {
        "coins": 0,
        "tokens": {"xp": 0},
        "badges_gained": [],
        "badges_lost": [],
        "readiness": "unchanged",
    }
    assert reports[quiet]["actual"]["tokens"] == reports[quiet]["draft"]["tokens"] == {"xp": 10}
    totals = replay["totals"]
    assert totals["coins"] == {
        "actual": sum(r["actual"]["coins"] for r in replay["buddies"]),
        "draft": sum(r["draft"]["coins"] for r in replay["buddies"]),
        "difference": 40,
    }
    assert totals["events_replayed"] == 5 and totals["buddies_with_events"] == 2


def test_the_window_starts_from_each_buddys_state_at_its_start() -> None:
    """Events before the window are not replayed, but what they left (counts toward a
    milestone) is where the replay starts: the draft's earlier badge is gained in-window."""
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    for _ in range(2):
        world.send(tenant, buddy_id, score=60)
    world.clock.advance(days=40)
    for _ in range(2):
        world.send(tenant, buddy_id, score=60)
    draft = draft_with(world, tenant, first_steps_after=3)
    replay = world.configs.impact(tenant, draft.public_id, days=30)["what_if"]
    (report,) = replay["buddies"]
    assert report["events_replayed"] == 2
    assert report["actual"]["badges"] == []  # 4 lessons in all: v1 wants 5
    assert report["draft"]["badges"] == ["first_steps"]  # the draft wants 3
    assert report["difference"]["badges_gained"] == ["first_steps"]
    assert report["difference"]["coins"] == 25  # the badge's coin reward
    assert replay["totals"]["badges_gained"] == {"first_steps": 1}
    everything = world.configs.impact(tenant, draft.public_id, days=MAX_DAYS)["what_if"]
    assert everything["buddies"][0]["events_replayed"] == 4
    assert everything["buddies"][0]["actual"]["coins"] == 40


def test_badges_the_draft_would_not_award_are_reported_lost() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    for _ in range(5):
        world.send(tenant, buddy_id, score=60)
    draft = draft_with(world, tenant, first_steps_after=50)
    (report,) = world.configs.impact(tenant, draft.public_id)["what_if"]["buddies"]
    assert report["actual"]["badges"] == ["first_steps"]
    assert report["difference"]["badges_lost"] == ["first_steps"]
    assert report["difference"]["coins"] == -25


def test_bounds_cut_the_replay_and_say_so() -> None:
    world = World(limits=WhatIfLimits(max_buddies=1, max_events=3, time_budget_seconds=60))
    tenant = world.open_tenant()
    buddies = [world.hatch(tenant) for _ in range(2)]
    for buddy_id in buddies:
        for _ in range(2):
            world.send(tenant, buddy_id, score=60)
    draft = draft_with(world, tenant, lesson_amount=11)
    replay = world.configs.impact(tenant, draft.public_id)["what_if"]
    assert replay["sampled"] is True and replay["cut_by"] == ["max_buddies"]
    assert replay["bounds"] == {"max_buddies": 1, "max_events": 3, "time_budget_seconds": 60}
    assert replay["buddies_eligible"] == 2 and replay["totals"]["buddies_examined"] == 1
    sample = min(buddies, key=lambda b: b[4:])  # the stable sample: lowest ids first
    assert replay["buddies"][0]["buddy_id"] == sample

    few = World(limits=WhatIfLimits(max_events=3))
    tenant = few.open_tenant()
    buddy_id = few.hatch(tenant)
    for _ in range(5):
        few.send(tenant, buddy_id, score=60)
    draft = draft_with(few, tenant, lesson_amount=11)
    replay = few.configs.impact(tenant, draft.public_id)["what_if"]
    (report,) = replay["buddies"]
    assert replay["cut_by"] == ["max_events"] and report["truncated"] is True
    assert report["events_replayed"] == 3
    assert report["actual"]["coins"] == 30 and report["draft"]["coins"] == 33  # same 3 events


def test_the_time_budget_cuts_too() -> None:
    ticks = count(step=10)
    world = World(limits=WhatIfLimits(time_budget_seconds=5), monotonic=lambda: next(ticks))
    tenant = world.open_tenant()
    world.send(tenant, world.hatch(tenant))
    draft = draft_with(world, tenant, lesson_amount=11)
    replay = world.configs.impact(tenant, draft.public_id)["what_if"]
    assert replay["sampled"] is True and replay["cut_by"] == ["time_budget"]
    assert replay["totals"]["buddies_examined"] == 0


def test_days_out_of_range_or_on_a_published_version_is_refused() -> None:
    world = World()
    tenant = world.open_tenant()
    draft = draft_with(world, tenant, lesson_amount=11)
    published = world.configs.published_version(tenant)
    assert published is not None
    assert check_days(None) == 30 and check_days(MAX_DAYS) == MAX_DAYS
    for days in (0, -1, MAX_DAYS + 1):
        with pytest.raises(DomainError) as refused:
            world.configs.impact(tenant, draft.public_id, days=days)
        assert refused.value.code == "validation_failed"
        assert refused.value.details == {
            "fields": [{"field": "days", "reason": f"must be between 1 and {MAX_DAYS}"}]
        }
    with pytest.raises(DomainError) as not_a_draft:
        world.configs.impact(tenant, published.public_id, days=7)
    assert not_a_draft.value.code == "bad_request"
    assert "what_if" not in world.configs.impact(tenant, published.public_id)


def test_each_buddy_is_reported_with_the_version_it_is_pinned_to() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    world.send(tenant, buddy_id, score=60)
    v2 = draft_with(world, tenant, lesson_amount=12)
    world.configs.publish(tenant, v2.public_id)
    world.configs.migrate_buddies(tenant, v2.public_id, None)
    world.send(tenant, buddy_id, score=60)
    draft = draft_with(world, tenant, lesson_amount=30)
    (report,) = world.configs.impact(tenant, draft.public_id)["what_if"]["buddies"]
    assert report["config_version_id"] == v2.public_id
    assert report["actual"]["coins"] == 10 + 12  # each event under the version it met
    assert report["draft"]["coins"] == 30 + 30
