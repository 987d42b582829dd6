"""Skill decay sweeps against the real store (both backends; run with
``HATCHED_TEST_BACKENDS=postgres`` for PostgreSQL): two sweepers at once decay each
(buddy, rule, period) once, a stale copy's write fails on the stream version, and the
scheduled pass sweeps again only once the UTC day has changed (decision 0037)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from litestar.testing import TestClient

import application.companions.skill_decay as skill_decay_module
from application.companions.skill_decay import DecayRun, SkillDecay
from application.shared.store import retry_on_conflict
from domain.companions.buddy import Buddy
from domain.shared.ids import parse_public_id
from infrastructure.companions.decay_candidates import ViewDecayCandidates
from infrastructure.companions.directory import ViewBuddyDirectory
from infrastructure.shared.settings import Settings
from interfaces.container import Adapters, Container, build_container
from tests.conftest import Account
from tests.http.flow import hatch_buddy
from tests.http.test_skill_decay import MovableClock, publish_rule, set_skill

R = TypeVar("R")


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def container(settings: Settings, clock: MovableClock) -> Iterator[Container]:
    built = build_container(settings, replace(Adapters.for_settings(settings), clock=clock))
    yield built
    built.close()


def sweeper(container: Container, clock: MovableClock) -> SkillDecay:
    """A sweeper of its own, as another worker process would have."""
    return SkillDecay(
        container.store,
        clock,
        container.configs,
        ViewDecayCandidates(container.views),
        ViewBuddyDirectory(container.views),
    )


def decayed(container: Container, buddy_ids: list[UUID]) -> list[Buddy.SkillDecayed]:
    return [
        event
        for buddy_id in buddy_ids
        for event in container.store.events.get(buddy_id)
        if isinstance(event, Buddy.SkillDecayed)
    ]


def world(
    client: TestClient, account: Account, container: Container, clock: MovableClock, buddies: int
) -> list[UUID]:
    publish_rule(client, account)
    ids = [hatch_buddy(client, account) for _ in range(buddies)]
    for buddy_id in ids:
        set_skill(client, account, buddy_id, 60)
    clock.advance(days=4)
    assert container.wait_for_views("buddies")
    return [parse_public_id("buddy", b) for b in ids]


def test_two_sweepers_at_once_decay_each_period_once(
    client: TestClient,
    account: Account,
    container: Container,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buddy_ids = world(client, account, container, clock, buddies=4)

    def unlined(attempt: Callable[[], R], **_: Any) -> R:
        """Without this process's write lines, as two processes race: only the database
        orders the two sweeps' writes."""
        return retry_on_conflict(attempt)

    monkeypatch.setattr(skill_decay_module, "retry_on_conflict", unlined)
    sweepers = [sweeper(container, clock) for _ in range(2)]
    start = threading.Barrier(len(sweepers))
    runs: list[DecayRun | None] = []

    def sweep(decay: SkillDecay) -> None:
        start.wait()
        runs.append(decay.sweep())

    threads = [threading.Thread(target=sweep, args=(s,)) for s in sweepers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    events = decayed(container, buddy_ids)
    per_period = Counter((e.originator_id, e.rule_id, e.period) for e in events)
    assert len(per_period) >= 3 * len(buddy_ids)  # at least three whole days each
    assert set(per_period.values()) == {1}
    applied = [d for run in runs if run is not None for d in run.decays]
    assert sorted((d.buddy_id, d.period) for d in applied) == sorted(
        (e.originator_id, e.period) for e in events
    )
    assert all(run is not None and run.buddies_checked == len(buddy_ids) for run in runs)


def test_a_stale_copy_cannot_write_a_period_again(
    client: TestClient, account: Account, container: Container, clock: MovableClock
) -> None:
    [buddy_id] = world(client, account, container, clock, buddies=1)
    first, second = container.store.find(Buddy, buddy_id), container.store.find(Buddy, buddy_id)
    assert first is not None and second is not None
    rulebook = container.configs.rulebook(first.config_version_id)
    [rule] = rulebook.decay_rules
    skill = rulebook.skill(rule.skill_key)
    assert skill is not None
    now = clock.now()
    assert first.decay_skill(rule, skill, causation={}, timestamp=now)
    assert second.decay_skill(rule, skill, causation={}, timestamp=now)
    container.store.save(first)
    with pytest.raises(IntegrityError):
        container.store.save(second)
    assert sweeper(container, clock).apply(buddy_id, {}) == []  # reloaded: all decayed


def test_the_scheduled_pass_runs_again_only_on_a_new_utc_day(
    client: TestClient, account: Account, container: Container, clock: MovableClock
) -> None:
    buddy_ids = world(client, account, container, clock, buddies=1)
    decay = sweeper(container, clock)
    first = decay.sweep()
    assert first is not None and first.decays
    assert decay.sweep() is None  # no period can have ended since
    count = len(decayed(container, buddy_ids))
    clock.advance(days=1)
    again = decay.sweep()
    assert again is not None and [d.period for d in again.decays] != []
    assert len(decayed(container, buddy_ids)) == count + len(again.decays)
