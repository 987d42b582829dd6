"""``GroupCommit``: concurrent submits share groups, and each caller gets its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.ingestion.group_commit import GroupCommit, Outcome


class Refused(Exception):
    pass


def doubling(requests: Sequence[int]) -> list[Outcome[int]]:
    return [Refused(r) if r < 0 else r * 2 for r in requests]


def test_a_lone_request_is_its_own_group() -> None:
    groups: list[list[int]] = []

    def handle(requests: Sequence[int]) -> list[Outcome[int]]:
        groups.append(list(requests))
        return doubling(requests)

    combiner = GroupCommit(handle)
    assert combiner.submit(4) == 8
    assert combiner.submit(5) == 10
    assert groups == [[4], [5]]


def test_requests_arriving_during_a_group_share_the_next_one() -> None:
    """The first group blocks until nine more requests queued behind it; they form one group."""
    groups: list[list[int]] = []
    first_started = threading.Event()
    release = threading.Event()

    def handle(requests: Sequence[int]) -> list[Outcome[int]]:
        groups.append(list(requests))
        if len(groups) == 1:
            first_started.set()
            release.wait(10)
        return doubling(requests)

    combiner: GroupCommit[int, int] = GroupCommit(handle)
    with ThreadPoolExecutor(max_workers=10) as pool:
        first = pool.submit(combiner.submit, 0)
        assert first_started.wait(10)
        rest = [pool.submit(combiner.submit, n) for n in range(1, 10)]
        while len(combiner._queue) < 9:  # every follower is queued behind the leader
            threading.Event().wait(0.001)
        release.set()
        answers = [first.result(10)] + [f.result(10) for f in rest]
    assert answers == [n * 2 for n in range(10)]
    assert groups[0] == [0]
    assert sorted(groups[1]) == list(range(1, 10)) and len(groups) == 2


def test_each_request_gets_its_own_refusal() -> None:
    combiner = GroupCommit(doubling)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {n: pool.submit(combiner.submit, n) for n in range(-20, 20)}
    for n, future in futures.items():
        if n < 0:
            with pytest.raises(Refused):
                future.result()
        else:
            assert future.result() == n * 2


def test_a_broken_handler_fails_its_group_only() -> None:
    calls = 0

    def handle(requests: Sequence[int]) -> list[Outcome[int]]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database gone")
        return doubling(requests)

    combiner = GroupCommit(handle)
    with pytest.raises(RuntimeError, match="database gone"):
        combiner.submit(1)
    assert combiner.submit(2) == 4


def test_a_handler_must_answer_every_request() -> None:
    combiner: GroupCommit[int, int] = GroupCommit(lambda requests: [])
    with pytest.raises(RuntimeError, match="answer every request"):
        combiner.submit(1)
    assert not combiner._leading  # the next caller can lead again


@settings(max_examples=25, deadline=None)
@given(
    requests=st.lists(st.integers(min_value=-50, max_value=50), min_size=1, max_size=60),
    threads=st.integers(min_value=1, max_value=12),
    max_group=st.integers(min_value=1, max_value=8),
)
def test_every_request_gets_exactly_its_own_outcome(
    requests: list[int], threads: int, max_group: int
) -> None:
    handled: list[int] = []
    lock = threading.Lock()

    def handle(group: Sequence[int]) -> list[Outcome[int]]:
        assert 1 <= len(group) <= max_group
        with lock:
            handled.extend(group)
        return doubling(group)

    combiner = GroupCommit(handle, max_group=max_group)

    def call(n: int) -> int | str:
        try:
            return combiner.submit(n)
        except Refused:
            return "refused"

    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(pool.map(call, requests))
    assert answers == [n * 2 if n >= 0 else "refused" for n in requests]
    assert sorted(handled) == sorted(requests)


def test_a_group_is_bounded_by_weight_but_takes_at_least_one() -> None:
    groups: list[list[list[int]]] = []
    first_started = threading.Event()
    release = threading.Event()

    def handle(requests: Sequence[list[int]]) -> list[Outcome[int]]:
        groups.append(list(requests))
        if len(groups) == 1:
            first_started.set()
            release.wait(10)
        return [sum(r) for r in requests]

    combiner: GroupCommit[list[int], int] = GroupCommit(handle, max_group=5, weight=len)
    with ThreadPoolExecutor(max_workers=5) as pool:
        first = pool.submit(combiner.submit, [1])
        assert first_started.wait(10)
        units = [[1, 1, 1], [2, 2], [3] * 7, [4]]
        futures = []
        for unit in units:  # queued in this order behind the running group
            futures.append(pool.submit(combiner.submit, unit))
            while len(combiner._queue) < len(futures):
                threading.Event().wait(0.001)
        release.set()
        assert [f.result(10) for f in futures] == [3, 4, 21, 4]
        assert first.result(10) == 1
    assert groups[1:] == [[[1, 1, 1], [2, 2]], [[3] * 7], [[4]]]
