"""Kept aggregates: every load equals a full replay, hands out a copy, and never replays
more than the catch-up limit of events on top of a kept copy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from application.shared.kept_aggregates import KeptAggregates

LIMIT = 5


class Counter:
    def __init__(self) -> None:
        self.version = 0
        self.values: list[int] = []


def apply(aggregate: Counter | None, events: Sequence[int]) -> Counter:
    aggregate = aggregate or Counter()
    for value in events:
        aggregate.values.append(value)
        aggregate.version += 1
    return aggregate


class Streams:
    """Stored events by aggregate, and how each load was answered."""

    def __init__(self) -> None:
        self.events: dict[UUID, list[int]] = {}
        self.caught_up: list[int] = []
        self.reconstructed = 0

    def after(self, aggregate_id: UUID) -> Any:
        def events_after(version: int, limit: int) -> list[int]:
            newer = self.events[aggregate_id][version : version + limit]
            self.caught_up.append(len(newer))
            return newer

        return events_after

    def reconstruct(self, aggregate_id: UUID) -> Any:
        def from_scratch() -> Counter | None:
            self.reconstructed += 1
            stored = self.events.get(aggregate_id)
            return apply(None, stored) if stored else None

        return from_scratch

    def load(self, kept: KeptAggregates, aggregate_id: UUID) -> Counter | None:
        loaded: Counter | None = kept.load(
            aggregate_id, self.after(aggregate_id), self.reconstruct(aggregate_id)
        )
        return loaded


steps = st.lists(
    st.tuples(st.sampled_from(["append", "load", "spoil"]), st.integers(0, 2), st.integers(1, 9)),
    max_size=60,
)


@given(steps=steps, capacity=st.integers(1, 3))
def test_every_load_equals_a_replay_of_what_is_stored(
    steps: list[tuple[str, int, int]], capacity: int
) -> None:
    streams = Streams()
    ids = [uuid4() for _ in range(3)]
    for aggregate_id in ids:
        streams.events[aggregate_id] = [0]
    kept = KeptAggregates(capacity, LIMIT, apply)
    for action, index, count in steps:
        aggregate_id = ids[index]
        if action == "append":
            streams.events[aggregate_id] += list(range(count))
            continue
        loaded = streams.load(kept, aggregate_id)
        assert loaded is not None
        assert loaded.values == streams.events[aggregate_id]
        assert loaded.version == len(streams.events[aggregate_id])
        if action == "spoil":  # a use case changes its copy and never saves it
            loaded.values.append(-1)
            loaded.version += 1
    assert max(streams.caught_up, default=0) <= LIMIT  # never more than the limit replayed


def test_a_copy_far_behind_is_reconstructed_not_replayed() -> None:
    streams = Streams()
    aggregate_id = uuid4()
    streams.events[aggregate_id] = [1]
    kept = KeptAggregates(10, LIMIT, apply)
    assert streams.load(kept, aggregate_id) is not None
    streams.events[aggregate_id] += [2] * (LIMIT - 1)
    loaded = streams.load(kept, aggregate_id)
    assert loaded is not None and loaded.version == LIMIT
    assert streams.reconstructed == 1  # caught up: LIMIT - 1 events on the kept copy
    streams.events[aggregate_id] += [3] * 1000
    loaded = streams.load(kept, aggregate_id)
    assert loaded is not None and loaded.version == LIMIT + 1000
    assert streams.reconstructed == 2  # too far behind: from scratch (the snapshot, in use)
    assert streams.caught_up == [LIMIT - 1, LIMIT]


def test_an_aggregate_that_does_not_exist_is_none_and_not_kept() -> None:
    streams = Streams()
    missing = uuid4()
    kept = KeptAggregates(10, LIMIT, apply)
    assert streams.load(kept, missing) is None
    assert streams.load(kept, missing) is None
    assert streams.reconstructed == 2 and streams.caught_up == []
