"""The views of a process run in one thread, each batch applied to all of them in one
transaction, and so do its reactors; a follower that cannot share a batch is applied on its
own and ends as it would alone (decision 0059)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from infrastructure.persistence.followers import BATCH, Follower, JointRunner, stop_all
from infrastructure.persistence.parked_events import Outcome, ParkedEvents
from infrastructure.persistence.view_store import ViewStore
from projections.shared.base import RowChange, Table, Upsert
from tests.integration.test_parked_events import (  # noqa: F401  (views: the fixture)
    Happened,
    Log,
    Numbers,
    Reactor,
    views,
)
from tests.waiting import eventually


class Tally:
    """A view counting, per event value, how often it was applied (an increment: a batch
    applied twice shows), and noting the order its events were handled in."""

    def __init__(self, name: str, handled: list[tuple[str, Any]]) -> None:
        self.name = name
        self.table = Table(
            name=f"view_test_{name}", key=("value",), columns={"value": "text", "times": "int"}
        )
        self.tables = (self.table,)
        self.handles = (Happened,)
        self._handled = handled

    def handle(self, event: Any) -> Iterable[RowChange]:
        self._handled.append((self.name, event.value))
        yield Upsert(self.table.name, {"value": str(event.value)}, increments={"times": 1})


def tallied(store: ViewStore, view: Tally) -> dict[str, int]:
    rows = store.select(f"SELECT value, times FROM {view.table.name}")
    return {row["value"]: row["times"] for row in rows}


@pytest.fixture
def runner_of(views: ViewStore) -> Iterator[Any]:  # noqa: F811  (the fixture)
    started: list[Follower] = []

    def run(log: Log, *projections: Any) -> list[Follower]:
        runner = JointRunner.for_views(log, views)
        followers = [Follower.for_projection(p, log, views, runner) for p in projections]
        for follower in followers:
            follower.start()
            started.append(follower)
        return followers

    yield run
    for follower in started:
        follower.stop()


def none_parked(store: ViewStore) -> None:
    assert ParkedEvents(store).counts() == {}


def numbered(log: Log) -> Log:
    for index, (_, event) in enumerate(log.events, start=1):
        event.originator_version = index
    return log


def test_one_transaction_carries_every_views_batch(
    views: ViewStore,  # noqa: F811
    runner_of: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def alone(*args: Any, **kwargs: Any) -> bool:
        raise AssertionError("a view was applied on its own")

    monkeypatch.setattr(views, "apply_outcomes", alone)
    for view in ("one", "two", "three"):  # tracked already: the joint path from the start
        views.apply(view, [], 0)
    handled: list[tuple[str, Any]] = []
    log = Log()
    views_ = [Tally(name, handled) for name in ("one", "two", "three")]
    followers = runner_of(log, *views_)  # all three have joined before there is work
    log.events.extend(Log(*range(1, 41)).events)
    followers[0].wake()

    assert views.wait_for(["one", "two", "three"], 40, timeout=30)
    for view in views_:
        assert tallied(views, view) == {str(n): 1 for n in range(1, 41)}


def test_a_view_far_behind_catches_up_without_holding_the_others_back(
    views: ViewStore,  # noqa: F811
    runner_of: Any,
) -> None:
    handled: list[tuple[str, Any]] = []
    backlog = 3 * BATCH
    log = Log(*range(1, backlog + 2))
    views.apply("fast", [], backlog)  # has every event but the last
    fast, slow = Tally("fast", handled), Tally("slow", handled)
    runner_of(log, fast, slow)

    assert views.wait_for(["fast", "slow"], backlog + 1, timeout=60)
    assert tallied(views, fast) == {str(backlog + 1): 1}
    assert tallied(views, slow) == {str(n): 1 for n in range(1, backlog + 2)}
    # the fast view had its new event before the slow one was through the backlog
    assert handled.index(("fast", backlog + 1)) < handled.index(("slow", backlog))


def test_an_event_one_view_refuses_is_parked_and_the_other_views_apply_the_batch(
    views: ViewStore,  # noqa: F811
    runner_of: Any,
) -> None:
    handled: list[tuple[str, Any]] = []
    log = numbered(Log(1, 2**70, 3))  # beyond BIGINT: SQLite and PostgreSQL refuse it
    for view in ("numbers", "tally"):
        views.apply(view, [], 0)
    tally = Tally("tally", handled)
    runner_of(log, Numbers(), tally)

    assert views.wait_for(["numbers", "tally"], 3, timeout=30)
    rows = views.select("SELECT id, amount FROM view_test_numbers ORDER BY id")
    assert rows == [{"id": 1, "amount": 1}, {"id": 3, "amount": 3}]
    (parked,) = ParkedEvents(views).of(["numbers", "tally"])
    assert (parked.view, parked.notification_id) == ("numbers", 2)
    assert tallied(views, tally) == {"1": 1, str(2**70): 1, "3": 1}


class Meddling(Tally):
    """A view whose first event makes another writer apply ``other``'s first event (as a
    second projector would), between the runner's read of the positions and its write."""

    def __init__(
        self, name: str, handled: list[tuple[str, Any]], store: ViewStore, other: Tally
    ) -> None:
        super().__init__(name, handled)
        self._store, self._other, self._done = store, other, False

    def handle(self, event: Any) -> Iterable[RowChange]:
        if not self._done:
            self._done = True
            change = Upsert(self._other.table.name, {"value": "1"}, increments={"times": 1})
            assert self._store.apply_outcomes(
                self._other.name, [Outcome(1, event, [change])], 1, expected=0
            )
        return super().handle(event)


def test_a_view_another_writer_moved_meanwhile_re_reads_and_applies_nothing_twice(
    views: ViewStore,  # noqa: F811
    runner_of: Any,
) -> None:
    handled: list[tuple[str, Any]] = []
    for view in ("meddling", "other"):
        views.apply(view, [], 0)
    other = Tally("other", handled)
    meddling = Meddling("meddling", handled, views, other)
    log = Log(*range(1, 6))
    runner_of(log, meddling, other)

    assert views.wait_for(["meddling", "other"], 5, timeout=30)
    assert tallied(views, other) == {str(n): 1 for n in range(1, 6)}
    assert tallied(views, meddling) == {str(n): 1 for n in range(1, 6)}


def test_a_stopped_view_stays_behind_while_the_others_go_on(
    views: ViewStore,  # noqa: F811
    runner_of: Any,
) -> None:
    handled: list[tuple[str, Any]] = []
    log = Log(1, 2)
    stopped, running = runner_of(log, Tally("stopped", handled), Tally("running", handled))
    assert views.wait_for(["stopped", "running"], 2, timeout=30)

    stopped.stop()
    log.events.append((3, Happened(3)))
    running.wake()

    assert views.wait_for(["running"], 3, timeout=30)
    assert views.position("stopped") == 2


def test_reactors_share_a_runner_park_alone_and_retry_what_they_parked_when_they_join(
    views: ViewStore,  # noqa: F811
) -> None:
    log = Log("a", "b", "c")
    broken, healthy = Reactor({"b"}), Reactor(set())
    healthy.name = "healthy_reactor"
    runner = JointRunner.for_reactors(log, views)
    followers = [Follower.for_reactor(r, log, views, runner) for r in (broken, healthy)]
    for follower in followers:
        follower.start()
    try:
        assert views.wait_for([broken.name, healthy.name], 3, timeout=30)
    finally:
        stop_all(followers)
    assert (broken.seen, healthy.seen) == (["a", "c"], ["a", "b", "c"])
    (parked,) = ParkedEvents(views).of([broken.name, healthy.name])
    assert (parked.view, parked.notification_id) == (broken.name, 2)

    broken.broken.clear()
    again = Follower.for_reactor(broken, log, views, JointRunner.for_reactors(log, views))
    again.start()
    try:
        eventually(lambda: none_parked(views))
    finally:
        again.stop()
    assert broken.seen == ["a", "c", "b"] and views.position(broken.name) == 3


def test_a_reactor_whose_parked_events_cannot_be_retried_yet_retries_them_next_round(
    views: ViewStore,  # noqa: F811
) -> None:
    log = Log("a", "b", "c")
    reactor = Reactor({"b"})
    assert Follower.for_reactor(reactor, log, views).catch_up() == 3  # "b" is parked
    reactor.broken.clear()
    again = Follower.for_reactor(reactor, log, views, JointRunner.for_reactors(log, views))
    retry, failures = again.retry_parked, []

    def failing_once() -> int:
        if not failures:
            failures.append("the database is restarting")
            raise ConnectionError(failures[0])
        return retry()

    again.retry_parked = failing_once  # type: ignore[method-assign]
    again.start()
    try:
        eventually(lambda: none_parked(views))
    finally:
        again.stop()
    assert failures and reactor.seen == ["a", "c", "b"]
