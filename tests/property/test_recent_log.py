"""The shared log window: every answer is the start of what the log holds after the position,
an empty answer only when the log holds nothing more, and followers share their reads."""

from __future__ import annotations

import threading
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from application.shared.recent_log import RecentLog
from tests.waiting import eventually


class FakeLog:
    """Positions with gaps, handed out in order, like the recorders do."""

    def __init__(self) -> None:
        self.positions: list[int] = []
        self.reads = 0
        self.lock = threading.Lock()

    def append(self, gap: int) -> int:
        with self.lock:
            position = (self.positions[-1] if self.positions else 0) + gap
            self.positions.append(position)
            return position

    def after(self, position: int, limit: int) -> list[tuple[int, Any]]:
        with self.lock:
            self.reads += 1
            return [(p, f"event {p}") for p in self.positions if p > position][:limit]


class RecentLogMachine(RuleBasedStateMachine):
    @initialize(capacity=st.integers(1, 8), read_limit=st.integers(1, 5))
    def start(self, capacity: int, read_limit: int) -> None:
        self.log = FakeLog()
        self.recent = RecentLog(self.log.after, capacity, read_limit=read_limit)
        self.followers = [0, 0, 0]

    @rule(gap=st.integers(1, 3), count=st.integers(1, 6))
    def record(self, gap: int, count: int) -> None:
        for _ in range(count):
            self.log.append(gap)

    @rule(follower=st.integers(0, 2), limit=st.integers(1, 6))
    def read(self, follower: int, limit: int) -> None:
        position = self.followers[follower]
        truth = self.log.after(position, limit)
        answer = self.recent.notifications_after(position, limit)
        assert answer == truth[: len(answer)]
        assert bool(answer) == bool(truth)
        if answer:
            self.followers[follower] = answer[-1][0]

    @precondition(lambda self: bool(self.log.positions))
    @rule(follower=st.integers(0, 2), index=st.integers(0, 10_000))
    def jump(self, follower: int, index: int) -> None:
        """A swap or a restart puts the follower at another recorded position."""
        positions = [0, *self.log.positions]
        self.followers[follower] = positions[index % len(positions)]

    @invariant()
    def window_holds_recorded_events_in_order(self) -> None:
        if not hasattr(self, "recent"):
            return
        held = self.recent._positions
        assert held == sorted(held) and len(held) <= self.recent._capacity
        assert set(held) <= set(self.log.positions)


TestRecentLog = RecentLogMachine.TestCase
TestRecentLog.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


def test_followers_reading_while_events_arrive_each_see_every_event_once() -> None:
    log = FakeLog()
    recent = RecentLog(log.after, capacity=64, read_limit=16)
    total = 600
    seen: list[list[int]] = [[] for _ in range(6)]

    def write() -> None:
        for n in range(total):
            log.append(1 + n % 2)

    def follow(mine: list[int]) -> None:
        position = 0
        while len(mine) < total:
            for p, event in recent.notifications_after(position, 10):
                assert event == f"event {p}"
                mine.append(p)
                position = p

    threads = [threading.Thread(target=write)]
    threads += [threading.Thread(target=follow, args=(mine,)) for mine in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(mine == log.positions for mine in seen)


def test_followers_waiting_at_the_end_share_one_read() -> None:
    """While a read is under way, followers that ask join the next read, together."""
    log = FakeLog()
    released = threading.Event()
    first_read_started = threading.Event()

    def slow_read(position: int, limit: int) -> list[tuple[int, Any]]:
        found = log.after(position, limit)  # the database answers as of the query...
        first_read_started.set()
        released.wait(timeout=30)  # ...and the answer takes its time to arrive
        return found

    recent = RecentLog(slow_read, capacity=64)
    log.append(1)
    answers: list[list[tuple[int, Any]]] = []

    def ask() -> None:
        answers.append(recent.notifications_after(0, 10))

    first = threading.Thread(target=ask)
    first.start()
    assert first_read_started.wait(timeout=30)
    log.append(1)  # recorded after the first read began: only a later read can see it
    others = [threading.Thread(target=ask) for _ in range(5)]
    for thread in others:
        thread.start()

    def all_waiting() -> None:
        assert len(recent._changed._waiters) == 5  # type: ignore[attr-defined]

    eventually(all_waiting)
    released.set()
    for thread in [first, *others]:
        thread.join(timeout=30)
    assert log.reads == 2
    assert sorted(len(answer) for answer in answers) == [1, 2, 2, 2, 2, 2]
