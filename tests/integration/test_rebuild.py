"""Online rebuilds and verification of views, on a small seeded workload."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from benchmarks.workload import Workload
from infrastructure.persistence.followers import Follower
from infrastructure.persistence.rebuild import (
    LOCK_TTL,
    LOCKS_TABLE,
    LockInfo,
    Rebuilder,
    RebuildRefused,
    Stopped,
    UnknownViews,
)
from interfaces.container import Container
from projections.analytics.leaderboard import LEADERBOARD_EARNINGS, LeaderboardView
from projections.registry import all_projections

CHUNK = 50


class QuickHasher:
    """Tenants' passwords are beside the point here; Argon2 would only slow the tests."""

    def hash(self, password: str) -> str:
        return f"plain:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"plain:{password}"


def workload(container: Container, seed: int = 11) -> Workload:
    return Workload(container.store, seed, hasher=QuickHasher())


def fill(container: Container, events: int = 50, seed: int = 11) -> None:
    """Write a workload and bring the live views up to date, as a running projector would."""
    workload(container, seed).run(events, tenants=2)
    settle(container)


def settle(container: Container) -> None:
    for follower in container.followers:
        if follower.projection is not None:
            follower.catch_up()


def rebuilder(container: Container, **options: Any) -> Rebuilder:
    return Rebuilder(container.store, container.views, all_projections(), chunk=CHUNK, **options)


def snapshot(container: Container) -> dict[str, list[dict[str, Any]]]:
    """Every row of every view table, in key order."""
    rows = {}
    for projection in all_projections():
        for table in projection.tables:
            order = ", ".join(table.key)
            rows[table.name] = container.views.select(
                f"SELECT * FROM {table.name} ORDER BY {order}"
            )
    return rows


def leftovers(container: Container) -> list[str]:
    positions = container.views.positions()
    return [name for name in positions if name.endswith(("__rebuild", "__verify"))] + [
        row["name"] for row in container.views.select(f"SELECT name FROM {LOCKS_TABLE}")
    ]


class Recorder:
    """A ``Progress`` that runs ``then`` once, after the first chunk lands."""

    def __init__(self, then: Any = None) -> None:
        self.advanced: dict[str, int] = {}
        self._then = then

    def start(self, view: str, done: int, total: int) -> None:
        self.advanced.setdefault(view, done)

    def advance(self, view: str, amount: int) -> None:
        self.advanced[view] += amount
        then, self._then = self._then, None
        if then is not None:
            then()


def test_a_rebuild_replays_to_the_same_rows_and_verify_finds_none_different(
    container: Container,
) -> None:
    fill(container)
    before = snapshot(container)
    assert sum(len(rows) for rows in before.values()) > 0
    progress = Recorder()

    replayed = rebuilder(container).rebuild([p.name for p in all_projections()], progress)

    head = container.store.head()
    assert replayed == len(container.store.notifications_after(0, head + 1))
    assert snapshot(container) == before
    assert set(progress.advanced.values()) == {head}
    assert all(container.views.position(p.name) == head for p in all_projections())
    results = rebuilder(container).verify(rebuilder(container).names)
    assert [(r.view, r.differences) for r in results] == [(p.name, []) for p in all_projections()]
    assert all(r.position == head for r in results)
    assert leftovers(container) == []


def test_verify_reports_changed_missing_and_unexpected_rows_and_changes_nothing(
    container: Container,
) -> None:
    fill(container)
    views = container.views
    with views.transaction() as tx:
        tx.execute("UPDATE view_leaderboard_earnings SET amount = amount + 1 WHERE period = 'all'")
        gone = tx.execute("SELECT buddy_id FROM view_buddies ORDER BY buddy_id").fetchone()[0]
        tx.execute(f"DELETE FROM view_buddies WHERE buddy_id = {tx.p}", (gone,))
        tx.execute(
            "INSERT INTO view_eggs (egg_id, customer_id, mode, status) "
            "VALUES ('forged', 'c', 'live', 'waiting')"
        )
    tampered = snapshot(container)

    results = {r.view: r for r in rebuilder(container).verify(["leaderboard", "buddies", "eggs"])}

    changed = results["leaderboard"].differences
    assert changed and all(d.table == "view_leaderboard_earnings" for d in changed)
    assert all(
        d.live and d.expected and d.live["amount"] == d.expected["amount"] + 1 for d in changed
    )
    assert "live" in changed[0].describe() and "replayed" in changed[0].describe()
    [missing] = results["buddies"].differences
    assert missing.key == {"buddy_id": gone} and missing.live is None and missing.expected
    [unexpected] = results["eggs"].differences
    assert unexpected.key == {"egg_id": "forged"} and unexpected.expected is None
    assert snapshot(container) == tampered
    assert leftovers(container) == []

    rebuilder(container).rebuild(["leaderboard", "buddies", "eggs"])
    assert all(not r.differences for r in rebuilder(container).verify(rebuilder(container).names))


def test_a_second_rebuild_of_a_view_is_refused_while_the_first_runs(container: Container) -> None:
    fill(container)
    first, second = rebuilder(container), rebuilder(container)
    refusals: list[RebuildRefused] = []

    def try_second() -> None:
        with pytest.raises(RebuildRefused) as refused:
            second.rebuild(["eggs", "leaderboard"])
        refusals.append(refused.value)
        assert second.verify(["leaderboard"])[0].differences == []  # verifying is allowed

    first.rebuild(["leaderboard"], Recorder(then=try_second))

    [refusal] = refusals
    assert refusal.lock.name == "leaderboard" and refusal.lock.holder == first.holder
    assert "already being rebuilt" in str(refusal)
    assert leftovers(container) == []  # the refused call gave back the eggs lock it took


def test_a_lock_whose_holder_died_or_went_silent_is_taken_over(container: Container) -> None:
    fill(container, events=30)
    dead = subprocess.Popen(["true"])  # a process of this host that has ended
    dead.wait()
    host, now = socket.gethostname(), datetime.now(UTC)
    locks = {
        "eggs": (f"{host}:{dead.pid}:x", now),
        "buddies": ("another-host:1:x", now - LOCK_TTL - timedelta(seconds=1)),
        "operations": (f"{host}:{os.getpid()}:x", now),  # alive: this very process
    }
    worker = rebuilder(container)
    with container.views.transaction() as tx:
        for name, (holder, beat) in locks.items():
            stamp = beat.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            tx.execute(
                f"INSERT INTO {LOCKS_TABLE} VALUES ({tx.p}, {tx.p}, {tx.p}, {tx.p})",
                (name, holder, stamp, stamp),
            )
    assert sorted(worker.abandoned()) == ["buddies", "eggs"]
    with pytest.raises(RebuildRefused):
        worker.rebuild(["operations"])

    worker.rebuild(["eggs", "buddies"])

    assert leftovers(container) == ["operations"]
    assert [r.differences for r in worker.verify(["eggs", "buddies"])] == [[], []]


def test_a_stopped_rebuild_is_resumed_from_its_shadow(container: Container) -> None:
    fill(container)
    stop = threading.Event()
    worker = rebuilder(container)
    with pytest.raises(Stopped):
        worker.rebuild(["leaderboard", "event_log"], Recorder(then=stop.set), stop=stop)

    [lock] = [s.rebuild for s in worker.status() if s.name == "leaderboard"]
    assert isinstance(lock, LockInfo)
    shadow = container.views.position("leaderboard__rebuild")
    assert 0 < shadow < container.store.head()
    assert sorted(worker.abandoned()) == ["event_log", "leaderboard"]
    workload(container, seed=99).run(20, tenants=1)  # the log moves on meanwhile

    progress = Recorder()
    rebuilder(container).rebuild(["leaderboard", "event_log"], progress)

    assert progress.advanced["leaderboard"] == container.store.head()
    settle(container)
    results = rebuilder(container).verify(["leaderboard", "event_log"])
    assert [r.differences for r in results] == [[], []]
    assert leftovers(container) == []


def test_a_fresh_rebuild_starts_a_stopped_shadow_over(container: Container) -> None:
    fill(container)
    stop = threading.Event()
    with pytest.raises(Stopped):
        rebuilder(container).rebuild(["leaderboard"], Recorder(then=stop.set), stop=stop)
    assert 0 < container.views.position("leaderboard__rebuild") < container.store.head()

    replayed = rebuilder(container).rebuild(["leaderboard"], fresh=True)

    assert replayed == len(container.store.notifications_after(0, 1_000_000))
    [result] = rebuilder(container).verify(["leaderboard"])
    assert result.differences == [] and leftovers(container) == []


def test_a_paused_rebuild_holds_after_each_chunk_until_stopped(container: Container) -> None:
    fill(container)
    stop = threading.Event()
    paused = rebuilder(container, pause=600)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            paused.rebuild(["leaderboard"], stop=stop)
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while container.views.position("leaderboard__rebuild") == 0 and thread.is_alive():
        stop.wait(0.01)
    held_at = container.views.position("leaderboard__rebuild")
    stop.wait(0.3)
    assert 0 < container.views.position("leaderboard__rebuild") == held_at < container.store.head()
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive() and [type(e) for e in outcome] == [Stopped]


def test_runners_of_one_view_never_apply_a_batch_twice_even_across_a_swap(
    container: Container,
) -> None:
    """Two runners of the leaderboard (increments: a batch applied twice would double a
    score), a writer, a reader and online rebuilds, all at once."""
    runners = [
        Follower.for_projection(LeaderboardView(), container.store, container.views)
        for _ in range(2)
    ]
    for runner in runners:
        container.store.on_saved(runner.wake)
        runner.start()
    writer = threading.Thread(target=lambda: workload(container, seed=5).run(80, tenants=2))
    failures: list[Exception] = []

    def read() -> None:
        while writer.is_alive():
            try:
                container.views.select(f"SELECT COUNT(*) AS n FROM {LEADERBOARD_EARNINGS.name}")
            except Exception as failure:  # a reader must never see a table vanish
                failures.append(failure)

    reader = threading.Thread(target=read)
    writer.start()
    reader.start()
    swaps = 0
    try:
        while writer.is_alive():
            rebuilder(container).rebuild(["leaderboard"])
            swaps += 1
    finally:
        writer.join()
        reader.join()
        for runner in runners:
            runner.stop()
    runners[0].catch_up()
    [result] = rebuilder(container).verify(["leaderboard"])
    assert swaps > 0 and failures == []
    assert result.position == container.store.head()
    assert result.rows > 0 and result.differences == []


def test_a_runner_whose_remembered_position_was_moved_on_applies_nothing_twice(
    container: Container,
) -> None:
    """Runner A remembers where it stopped; runner B then applies the next events. A's next
    batch starts from its old position, is refused by the compare-and-set, and A re-reads."""
    first, second = (
        Follower.for_projection(LeaderboardView(), container.store, container.views)
        for _ in range(2)
    )
    workload(container, seed=3).run(20, tenants=1)
    assert first.catch_up() > 0
    workload(container, seed=4).run(20, tenants=1)
    assert second.catch_up() > 0
    assert first.catch_up() == 0
    assert container.views.position("leaderboard") == container.store.head()
    [result] = rebuilder(container).verify(["leaderboard"])
    assert result.rows > 0 and result.differences == []


def test_unknown_views_are_named(container: Container) -> None:
    with pytest.raises(UnknownViews) as unknown:
        rebuilder(container).resolve(["leaderboard", "nope", "nada"])
    assert unknown.value.names == ["nope", "nada"]
    assert "known: eggs" in str(unknown.value)
    with pytest.raises(UnknownViews):
        rebuilder(container).rebuild(["nope"])
    assert rebuilder(container).resolve([]) == [p.name for p in all_projections()]
    assert leftovers(container) == []
