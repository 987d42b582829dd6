"""``History`` on an in-memory store: timelines, stage transitions, as-of state, explanations,
and old stored events read through their upcasters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

import application.shared.streams
from application.history.history import (
    BUDDY_EVENTS,
    EGG_EVENTS,
    KINDS,
    OPERATION_EVENTS,
    WALLET_EVENTS,
    TimelineEntry,
    parse_kinds,
)
from application.ingestion.ingestion import EventInput
from application.shared.store import SNAPSHOT_INTERVAL
from domain.companions.buddy import Buddy
from domain.companions.egg import Egg
from domain.companions.operation import Operation
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant
from interfaces.http.companions.buddies import buddy_state_view
from tests.unit.event_shapes import events_of
from tests.unit.history_world import World

ACTOR = "secret_key:test"


def wallet_total(entries: list[TimelineEntry]) -> int:
    signs = {"CoinsCredited": 1, "CoinsDebited": -1}
    return sum(signs[e.type] * e.data["amount"] for e in entries if e.type in signs)


def whole(world: World, tenant: Tenant, buddy_id: str, **options: Any) -> list[TimelineEntry]:
    return world.history.timeline(tenant, buddy_id, limit=10_000, **options).entries


def paged(
    world: World, tenant: Tenant, buddy_id: str, size: int, **options: Any
) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    after = None
    for _ in range(1000):  # a cursor that never moves fails instead of hanging
        page = world.history.timeline(tenant, buddy_id, after=after, limit=size, **options)
        assert len(page.entries) <= size
        entries += page.entries
        if page.next_position is None:
            return entries
        assert page.entries, "a cursor is only given with a full page"
        after = page.next_position
    raise AssertionError("the pages never ended")


@cache
def busy_world() -> tuple[World, Tenant, str]:
    """A buddy with a bit of everything: events, a badge, overrides, an evolution, a rename."""
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    for i in range(12):
        world.send(tenant, buddy_id, score=100 if i % 3 == 0 else 60)
    world.send(tenant, buddy_id, "quiz_passed")
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 200, "gift", ACTOR)
    world.buddies.override_wallet(tenant, buddy_id, "spend", None, 35, "shop", ACTOR)
    world.evolve(tenant, buddy_id)
    world.buddies.rename(tenant, buddy_id, "Pip")
    world.send(tenant, buddy_id)
    return world, tenant, buddy_id


def test_the_timeline_accounts_for_every_coin_of_the_balance() -> None:
    world, tenant, buddy_id = busy_world()
    entries = whole(world, tenant, buddy_id)
    balance = world.buddies.state(tenant, buddy_id).ledger.balance("coins")
    assert balance > 0 and wallet_total(entries) == balance
    badge_coins = [e for e in entries if e.type == "CoinsCredited" and "badge_key" in e.causation]
    assert badge_coins and all(
        e.causation["rule_id"] == e.causation["badge_key"] for e in badge_coins
    )


def test_entries_carry_their_causation() -> None:
    world, tenant, buddy_id = busy_world()
    entries = whole(world, tenant, buddy_id)
    by_type: dict[str, list[TimelineEntry]] = {}
    for entry in entries:
        by_type.setdefault(entry.type, []).append(entry)
    progress = by_type["ProgressRecorded"][0]
    assert progress.causation["event_id"].startswith("evt_")
    assert progress.causation["config_version_id"].startswith("cfg_")
    assert progress.occurred_at == progress.data["occurred_at"]
    rule_credit = next(e for e in by_type["CoinsCredited"] if "rule_id" in e.causation)
    assert rule_credit.causation["event_id"].startswith("evt_")
    assert rule_credit.data["ledger_entry_id"].startswith("led_")
    manual = next(e for e in by_type["CoinsDebited"])
    assert manual.causation == {"actor": ACTOR} and manual.data["reason"] == "shop"
    evolved = by_type["Evolved"][0]
    assert evolved.causation["operation_id"].startswith("op_")
    assert evolved.causation["operation_id"] == evolved.data["operation_id"]
    operations = {e.causation["operation_id"] for e in entries if e.kind == "operation"}
    assert evolved.causation["operation_id"] in operations and len(operations) == 2  # + hatch
    assert by_type["BuddyRenamed"][0].data == {"name": "Pip", "previous_name": "Buddy"}
    assert [e.type for e in entries[:3]] == ["EggLaid", "EggMarkedReady", "EggHatchStarted"]


def test_entries_are_merged_by_recorded_time_and_each_stream_keeps_its_order() -> None:
    world, tenant, buddy_id = busy_world()
    entries = whole(world, tenant, buddy_id)
    assert [e.key for e in entries] == sorted(e.key for e in entries)
    streams = {(e.stream, e.stream_id) for e in entries}
    for stream, stream_id in streams:
        versions = [e.version for e in entries if (e.stream, e.stream_id) == (stream, stream_id)]
        assert versions == list(range(1, len(versions) + 1)), stream
    hatched_at = next(e.recorded_at for e in entries if e.type == "EggHatched")
    one_save = [e.type for e in entries if e.recorded_at == hatched_at]
    assert one_save == ["EggHatched", "BuddyHatched", "WalletOpened"]


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=12),
    order=st.sampled_from(["asc", "desc"]),
    kinds=st.one_of(st.none(), st.sets(st.sampled_from(KINDS), min_size=1, max_size=3)),
    chunk=st.integers(min_value=1, max_value=5),
)
def test_pages_of_any_size_add_up_to_the_whole_timeline(
    size: int, order: str, kinds: set[str] | None, chunk: int
) -> None:
    world, tenant, buddy_id = busy_world()
    everything = whole(world, tenant, buddy_id)
    wanted = [e for e in everything if kinds is None or e.kind in kinds]
    if order == "desc":
        wanted.reverse()
    previous = application.shared.streams.CHUNK
    application.shared.streams.CHUNK = chunk  # long streams are read in many small chunks
    try:
        got = paged(
            world,
            tenant,
            buddy_id,
            size,
            order=order,
            kinds=frozenset(kinds) if kinds else None,
        )
    finally:
        application.shared.streams.CHUNK = previous
    assert got == wanted


def test_bad_filters_and_cursors_are_refused() -> None:
    world, tenant, buddy_id = busy_world()
    with pytest.raises(DomainError) as unknown:
        parse_kinds("wallet,coins")
    assert unknown.value.code == "bad_request" and unknown.value.details == {
        "kind": "wallet,coins",
        "allowed": list(KINDS),
    }
    assert parse_kinds("wallet, badge") == {"wallet", "badge"}
    first = world.history.timeline(tenant, buddy_id, limit=2)
    assert first.next_position is not None
    for after, order in (
        (first.next_position, "desc"),  # issued for asc
        ([*first.next_position[:1], "yesterday", *first.next_position[2:]], "asc"),
        (["asc", 1, 2], "asc"),
    ):
        with pytest.raises(DomainError) as refused:
            world.history.timeline(tenant, buddy_id, order=order, after=after, limit=2)  # type: ignore[arg-type]
        assert refused.value.code == "bad_request"


def test_every_event_of_a_buddys_streams_has_a_type_and_a_kind() -> None:
    tables = (
        (Buddy, BUDDY_EVENTS),
        (Ledger, WALLET_EVENTS),
        (Egg, EGG_EVENTS),
        (Operation, OPERATION_EVENTS),
    )
    for aggregate, named in tables:
        assert set(events_of(aggregate)) == set(named), aggregate
        assert {kind for _, kind in named.values()} <= set(KINDS)
    # Egg and operation entries are named after their stream and their class, as ever.
    for prefix, named in (("Egg", EGG_EVENTS), ("Operation", OPERATION_EVENTS)):
        assert all(t == f"{prefix}{e.__name__}" for e, (t, _) in named.items())


def test_evolutions_start_at_the_hatch_and_follow_every_evolve() -> None:
    world, tenant, buddy_id = busy_world()
    stage, transitions = world.history.evolutions(tenant, buddy_id)
    assert stage == world.buddies.load(tenant, buddy_id).evolution_stage == 2
    assert [(t["from_stage"], t["to_stage"]) for t in transitions] == [(None, 1), (1, 2)]
    born = world.buddies.load(tenant, buddy_id).created_on
    assert transitions[0]["occurred_at"] == born
    assert all(t["operation_id"].startswith("op_") for t in transitions)
    assert transitions[0]["operation_id"] != transitions[1]["operation_id"]


def test_evolutions_across_a_migration_agree_with_the_timeline() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    v1 = world.buddies.load(tenant, buddy_id).config_version_id
    for _ in range(5):
        world.send(tenant, buddy_id, score=60)  # first_steps
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 100, "gift", ACTOR)
    world.evolve(tenant, buddy_id)
    for _ in range(SNAPSHOT_INTERVAL):
        world.send(tenant, buddy_id, "quiz_passed")

    def easy_stage_3(document: dict[str, Any]) -> dict[str, Any]:
        document["evolution"]["stages"][1]["conditions"] = {
            "min_progression_tokens": None,
            "min_skill_levels": {},
            "badges": [],
            "min_coins_earned": 1,
        }
        return document

    v2 = world.configs.edit_draft(tenant, easy_stage_3)
    world.configs.publish(tenant, v2.public_id)
    world.configs.migrate_buddies(tenant, v2.public_id, None)
    for _ in range(7):
        world.send(tenant, buddy_id, "quiz_passed")
    world.evolve(tenant, buddy_id)
    world.send(tenant, buddy_id)

    stage, transitions = world.history.evolutions(tenant, buddy_id)
    entries = whole(world, tenant, buddy_id)
    evolved = [e for e in entries if e.type == "Evolved"]
    assert stage == 3 and len(evolved) == 2
    assert transitions[1:] == [
        {
            "from_stage": e.data["from_stage"],
            "to_stage": e.data["to_stage"],
            "occurred_at": e.recorded_at,
            "operation_id": e.causation["operation_id"],
            "config_version_id": cfg,
        }
        for e, cfg in zip(evolved, [f"cfg_{v1.hex}", v2.public_id], strict=True)
    ]


def test_as_of_replays_the_buddy_to_any_recorded_instant() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    snapshots: list[tuple[datetime, dict[str, Any]]] = []

    def snap() -> None:
        snapshots.append(
            (world.clock.moment, buddy_state_view(world.buddies.state(tenant, buddy_id)))
        )

    snap()
    for i in range(SNAPSHOT_INTERVAL + 10):  # past a snapshot of the buddy and of its wallet
        world.send(tenant, buddy_id, score=100 if i % 2 else 10)
        if i % 9 == 0:
            snap()
    assert world.store.snapshots is not None
    assert list(world.store.snapshots.get(parse_public_id("buddy", buddy_id)))
    world.buddies.override_wallet(tenant, buddy_id, "credit", None, 100, "gift", ACTOR)
    snap()
    world.evolve(tenant, buddy_id)
    snap()
    world.buddies.rename(tenant, buddy_id, "Later")
    snap()
    for moment, expected in snapshots:
        assert buddy_state_view(world.history.as_of(tenant, buddy_id, moment)) == expected
        half_second_later = moment + timedelta(milliseconds=500)  # between two facts
        assert (
            buddy_state_view(world.history.as_of(tenant, buddy_id, half_second_later)) == expected
        )
    future = world.clock.moment + timedelta(days=365)
    assert buddy_state_view(world.history.as_of(tenant, buddy_id, future)) == snapshots[-1][1]


def test_as_of_before_the_buddy_existed_or_without_a_zone_is_refused() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    born = world.buddies.load(tenant, buddy_id).created_on
    with pytest.raises(DomainError) as before:
        world.history.as_of(tenant, buddy_id, born - timedelta(microseconds=1))
    assert before.value.code == "resource_not_found"
    assert "did not exist" in before.value.message
    assert before.value.details == {"as_of": born - timedelta(microseconds=1), "created_at": born}
    with pytest.raises(DomainError) as naive:
        world.history.as_of(tenant, buddy_id, born.replace(tzinfo=None))
    assert naive.value.code == "validation_failed"


def test_another_tenant_or_mode_finds_nothing() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    other = world.open_tenant()
    same_customer_test_mode = Tenant(tenant.customer_id, "test")
    moment = world.clock.now()
    for stranger in (other, same_customer_test_mode):
        for call in (
            lambda t: world.history.timeline(t, buddy_id, limit=5),
            lambda t: world.history.evolutions(t, buddy_id),
            lambda t: world.history.as_of(t, buddy_id, moment),
        ):
            with pytest.raises(DomainError) as hidden:
                call(stranger)
            assert hidden.value.code == "resource_not_found"
            assert hidden.value.details is None  # nothing about the buddy leaks
    with pytest.raises(DomainError):
        world.history.timeline(tenant, "bdy_" + "0" * 32, limit=5)


def test_explanations_name_a_buddy_pinned_to_an_older_version() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    v1 = world.configs.published_version(tenant)
    assert v1 is not None
    first = world.send(tenant, buddy_id)
    lines = world.history.explanations(tenant, world.ingestion.find(tenant, first))
    assert lines and all(line["reason"] != "pinned_to_older_version" for line in lines)

    def richer(document: dict[str, Any]) -> dict[str, Any]:
        document["coin_rules"][0]["amount"] = 50
        return document

    draft = world.configs.edit_draft(tenant, richer)
    world.configs.publish(tenant, draft.public_id)
    second = world.send(tenant, buddy_id)
    lines = world.history.explanations(tenant, world.ingestion.find(tenant, second))
    assert lines[0]["reason"] == "pinned_to_older_version"
    assert lines[0]["buddy_id"] == buddy_id
    assert f"version 1 ({v1.public_id})" in lines[0]["message"]
    assert f"version 2 ({draft.public_id})" in lines[0]["message"]
    assert lines[-1]["reason"] == "duplicate"
    fired = [line for line in lines if line["rule_id"] == "lesson_completed"]
    assert fired and fired[0]["message"] == "coin rule lesson_completed awarded 10 coins."


def test_explanations_of_an_event_no_buddy_received() -> None:
    world = World()
    tenant = world.open_tenant()
    ingestion, _ = world.ingestion.ingest(
        tenant, EventInput("evt_lonely", "nobody", "lesson_completed")
    )
    lines = world.history.explanations(tenant, ingestion)
    assert [line["reason"] for line in lines] == ["no_active_buddy", "duplicate"]
    assert "hatch an egg" in lines[0]["message"]


def test_renamed_events_stored_before_previous_name_existed_are_upcast() -> None:
    """Write version-1 ``Renamed`` events (no ``previous_name``, no ``class_version``) through
    the recorder, as the store held them before version 2, then load the buddy."""
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    uuid = parse_public_id("buddy", buddy_id)
    version = world.buddies.load(tenant, buddy_id).version
    transcoder = world.store.mapper.transcoder
    renamed_at = world.clock.now()
    old = [
        StoredEvent(
            originator_id=uuid,
            originator_version=version + offset,
            topic="domain.companions.buddy:Buddy.Renamed",
            state=transcoder.encode(
                {"timestamp": renamed_at + timedelta(seconds=offset), "name": name}
            ),
        )
        for offset, name in ((1, "Old One"), (2, "Old Two"))
    ]
    assert "previous_name" not in transcoder.decode(old[0].state)
    world.store.recorder.insert_events(old)
    buddy = world.store.repository.get(uuid)
    assert buddy.name == "Old Two"
    renames = [e for e in whole(world, tenant, buddy_id) if e.type == "BuddyRenamed"]
    assert [(e.data["name"], e.data["previous_name"]) for e in renames] == [
        ("Old One", None),
        ("Old Two", None),
    ]
    world.buddies.rename(tenant, buddy_id, "New")  # written as version 2
    newest = world.store.recorder.select_events(uuid, desc=True, limit=1)[0]
    state = transcoder.decode(newest.state)
    assert state["class_version"] == 2 and state["previous_name"] == "Old Two"
    assert Buddy.Renamed.class_version == 2


def test_a_long_history_is_read_in_chunks_from_the_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page reads only what it needs: the calls to the store stay bounded by the page."""
    world, tenant, buddy_id = busy_world()
    monkeypatch.setattr(application.shared.streams, "CHUNK", 3)
    reads: list[dict[str, Any]] = []
    original = world.store.events.get

    def counting(originator_id: UUID, **selection: Any) -> Any:
        reads.append(selection)
        return original(originator_id, **selection)

    monkeypatch.setattr(world.store.events, "get", counting)
    page = world.history.timeline(tenant, buddy_id, limit=2, kinds=frozenset({"wallet"}))
    chunked = [r for r in reads if r.get("limit") == 3]
    assert len(page.entries) == 2 and page.next_position is not None
    assert len(chunked) <= 6  # a few chunks of the buddy and the wallet, not the whole streams


def test_as_of_moment_is_compared_in_utc() -> None:
    world = World()
    tenant = world.open_tenant()
    buddy_id = world.hatch(tenant)
    world.send(tenant, buddy_id)
    moment = world.clock.moment
    elsewhere = moment.astimezone(timezone(timedelta(hours=-7)))
    assert buddy_state_view(world.history.as_of(tenant, buddy_id, elsewhere)) == buddy_state_view(
        world.history.as_of(tenant, buddy_id, moment)
    )
