"""``retry_on_conflict``: losers retry, and a process's writers of one stream take turns."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from eventsourcing.persistence import IntegrityError

from application.shared.store import retry_on_conflict
from domain.shared.errors import DomainError


class ContendedStream:
    """A stream version checked on save, like the event store's, with a window between the
    load and the save in which another writer can win."""

    def __init__(self) -> None:
        self.version = 0
        self._lock = threading.Lock()

    def append(self) -> int:
        seen = self.version
        time.sleep(0.001)
        with self._lock:
            if self.version != seen:
                raise IntegrityError("a competing write won")
            self.version += 1
            return self.version


def test_a_stream_written_by_many_threads_of_one_process_never_gives_up() -> None:
    stream = ContendedStream()
    writers = 64

    def write(_: int) -> int:
        return retry_on_conflict(stream.append, line="stream-1")

    with ThreadPoolExecutor(max_workers=writers) as pool:
        versions = sorted(pool.map(write, range(writers)))
    assert versions == list(range(1, writers + 1))


def test_without_a_line_the_race_is_lost_past_the_bound() -> None:
    """The same race unlined: with every writer loading at once, somebody runs out of
    retries. This is what a plain wallet write must never show the client."""
    stream = ContendedStream()
    barrier = threading.Barrier(32)

    def write(_: int) -> str:
        barrier.wait()
        try:
            retry_on_conflict(stream.append, retries=2)
        except DomainError as error:
            return error.code
        return "ok"

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(write, range(32)))
    assert "conflict" in outcomes


def test_a_nested_retry_inside_a_line_does_not_wait_for_a_line_again() -> None:
    finished = threading.Event()

    def outer() -> None:
        retry_on_conflict(lambda: retry_on_conflict(lambda: None, line="b"), line="a")
        retry_on_conflict(lambda: retry_on_conflict(lambda: None, line="a"), line="a")
        finished.set()

    thread = threading.Thread(target=outer, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert finished.is_set(), "a nested retry waited for a line its own thread holds"


def test_a_refusal_is_not_retried() -> None:
    calls = []

    def refuse() -> None:
        calls.append(1)
        raise DomainError("insufficient_balance", "no")

    with pytest.raises(DomainError):
        retry_on_conflict(refuse, line="x")
    assert len(calls) == 1
