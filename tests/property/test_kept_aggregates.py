"""Kept aggregates: every load equals a full replay, hands out a copy, and never replays
more than the catch-up limit of events on top of a kept copy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from application.shared.kept_aggregates import KeptAggregates

LIMIT = 5


class Counter:
    def __init__(self) -> None:
        self.id: UUID | None = None
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
            if not stored:
                return None
            counter = apply(None, stored)
            counter.id = aggregate_id
            return counter

        return from_scratch

    def load(
        self,
        kept: KeptAggregates,
        aggregate_id: UUID,
        *,
        max_age: float = 0.0,
        keep_absence: bool = False,
        copy: bool = True,
    ) -> Counter | None:
        loaded: Counter | None = kept.load(
            aggregate_id,
            self.after(aggregate_id),
            self.reconstruct(aggregate_id),
            max_age=max_age,
            keep_absence=keep_absence,
            copy=copy,
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


read_only_steps = st.lists(
    st.tuples(st.sampled_from(["append", "read", "load", "save"]), st.integers(1, 9)),
    max_size=40,
)


@given(steps=read_only_steps)
def test_what_a_reader_was_handed_never_changes_afterwards(
    steps: list[tuple[str, int]],
) -> None:
    """A read-only load hands out the kept object itself; catching up, saves and other
    loads never change it, so a reader holding it sees the state it was handed."""
    streams = Streams()
    aggregate_id = uuid4()
    streams.events[aggregate_id] = [0]
    kept = KeptAggregates(2, LIMIT, apply)
    handed: list[tuple[Counter, list[int], int]] = []
    for action, count in steps:
        if action == "append":  # another process writes
            streams.events[aggregate_id] += list(range(count))
        elif action == "read":
            shared = streams.load(kept, aggregate_id, copy=False)
            assert shared is not None and shared.values == streams.events[aggregate_id]
            handed.append((shared, list(shared.values), shared.version))
        elif action == "load":
            copied = streams.load(kept, aggregate_id)
            assert copied is not None and all(copied is not shared for shared, _, _ in handed)
        else:  # this process changes its copy and saves it
            changed = streams.load(kept, aggregate_id)
            assert changed is not None
            changed.values.append(count)
            changed.version += 1
            streams.events[aggregate_id].append(count)
            kept.saved([changed])
        for shared, values, version in handed:
            assert (shared.values, shared.version) == (values, version)


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


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


freshness_steps = st.lists(
    st.tuples(
        st.sampled_from(["written elsewhere", "saved here", "load", "tick"]),
        st.integers(1, 3),
        st.sampled_from([0.0, 0.5, 1.0, 5.0]),
    ),
    max_size=60,
)


@given(steps=freshness_steps, capacity=st.integers(1, 2))
def test_a_load_is_as_stored_or_as_checked_within_the_age_its_caller_accepts(
    steps: list[tuple[str, int, float]], capacity: int
) -> None:
    """One freshness rule: a load accepting ``max_age`` answers a state the store held at
    most that long ago, never one older, never one that was not stored; with no age it
    answers the store as it is. A save here is kept as saved."""
    streams, ticks = Streams(), Ticks()
    aggregate_id = uuid4()
    streams.events[aggregate_id] = [0]
    stored_at = [(float("-inf"), 1)]  # (since when, version stored)
    kept = KeptAggregates(capacity, LIMIT, apply, now=ticks)
    for action, count, age in steps:
        stream = streams.events[aggregate_id]
        if action == "tick":
            ticks.now += age
        elif action == "written elsewhere":
            stream += list(range(count))
            stored_at.append((ticks.now, len(stream)))
        elif action == "saved here":
            mine = streams.load(kept, aggregate_id)
            assert mine is not None
            apply(mine, list(range(count)))
            stream += list(range(count))
            stored_at.append((ticks.now, len(stream)))
            kept.saved([mine])
        else:
            loaded = streams.load(kept, aggregate_id, max_age=age)
            assert_stored_within(loaded, stream, stored_at, ticks.now, age)


def assert_stored_within(
    loaded: Counter | None,
    stream: list[int],
    stored_at: list[tuple[float, int]],
    now: float,
    age: float,
) -> None:
    """``loaded`` (with ``max_age=age``) is a state the store held at most ``age`` before
    ``now`` (``stored_at``: since when each version was stored); with no age, the state now."""
    assert loaded is not None
    assert loaded.values == stream[: loaded.version]  # a state that was stored
    oldest_acceptable = max(v for since, v in stored_at if since <= now - age)
    assert loaded.version >= oldest_acceptable
    if age == 0.0:
        assert loaded.version == len(stream)


def test_a_fresh_enough_copy_costs_no_read_and_a_save_here_is_never_missed() -> None:
    streams, ticks = Streams(), Ticks()
    aggregate_id = uuid4()
    streams.events[aggregate_id] = [1, 2]
    kept = KeptAggregates(10, LIMIT, apply, now=ticks)
    mine = streams.load(kept, aggregate_id)
    assert mine is not None and streams.reconstructed == 1
    apply(mine, [3])
    streams.events[aggregate_id].append(3)
    kept.saved([mine])
    ticks.now += 0.9
    fresh = streams.load(kept, aggregate_id, max_age=1.0)
    assert fresh is not None and fresh.values == [1, 2, 3] and fresh is not mine
    assert streams.caught_up == [] and streams.reconstructed == 1  # nothing read
    streams.events[aggregate_id].append(4)  # written elsewhere
    ticks.now += 0.2
    caught_up = streams.load(kept, aggregate_id, max_age=1.0)
    assert caught_up is not None and caught_up.values == [1, 2, 3, 4]
    assert streams.caught_up == [1]


def test_a_kept_absence_costs_no_read_within_the_age_and_a_save_here_replaces_it() -> None:
    streams, ticks = Streams(), Ticks()
    missing = uuid4()
    kept = KeptAggregates(10, LIMIT, apply, now=ticks)

    def load(max_age: float) -> Counter | None:
        found: Counter | None = streams.load(kept, missing, max_age=max_age, keep_absence=True)
        return found

    assert load(1.0) is None and streams.reconstructed == 1
    ticks.now += 0.9
    assert load(1.0) is None and streams.reconstructed == 1  # nothing read
    assert load(0.0) is None and streams.reconstructed == 2  # no age accepted: read
    streams.events[missing] = [7]  # created by another process
    assert load(1.0) is None and streams.reconstructed == 2  # still within the age
    ticks.now += 1.5
    created = load(1.0)
    assert created is not None and created.values == [7] and streams.reconstructed == 3
    other = uuid4()
    streams.load(kept, other, keep_absence=True)
    mine = apply(None, [1])
    mine.id = other
    streams.events[other] = [1]
    kept.saved([mine])  # created here: the absence is forgotten at once
    found = streams.load(kept, other, max_age=5.0, keep_absence=True)
    assert found is not None and found.values == [1] and found is not mine


absence_steps = st.lists(
    st.tuples(
        st.sampled_from(["created elsewhere", "load", "tick"]),
        st.sampled_from([0.0, 0.5, 1.0, 5.0]),
    ),
    max_size=40,
)


@given(steps=absence_steps)
def test_a_kept_absence_is_never_older_than_the_caller_accepts(
    steps: list[tuple[str, float]],
) -> None:
    """``None`` from a load accepting ``max_age`` means the aggregate did not exist at some
    moment within that age; with no age, it does not exist now."""
    streams, ticks = Streams(), Ticks()
    aggregate_id = uuid4()
    created_at: float | None = None
    kept = KeptAggregates(4, LIMIT, apply, now=ticks)
    for action, age in steps:
        if action == "tick":
            ticks.now += age
        elif action == "created elsewhere":
            if created_at is None:
                streams.events[aggregate_id] = [1]
                created_at = ticks.now
        else:
            loaded = streams.load(kept, aggregate_id, max_age=age, keep_absence=True)
            if loaded is None:
                assert created_at is None or created_at > ticks.now - age
                if age == 0.0:
                    assert created_at is None
            else:
                assert created_at is not None and loaded.values == [1]


@given(checked_at=st.floats(0, 100), since=st.floats(0, 100), later=st.floats(0, 10))
def test_a_copy_checked_since_the_callers_instant_is_taken_without_a_query(
    checked_at: float, since: float, later: float
) -> None:
    """A caller that refreshed the copy itself (``checked_since``: when it began) takes it
    as it is however little later it asks; a copy checked before that instant is caught up."""
    clock = [checked_at]
    streams = Streams()
    aggregate_id = uuid4()
    streams.events[aggregate_id] = [0]
    kept = KeptAggregates(4, LIMIT, apply, now=lambda: clock[0])
    assert streams.load(kept, aggregate_id) is not None  # checked at ``checked_at``
    streams.events[aggregate_id].append(1)  # another process writes meanwhile
    clock[0] = checked_at + later
    streams.caught_up.clear()

    loaded = kept.load(
        aggregate_id,
        streams.after(aggregate_id),
        streams.reconstruct(aggregate_id),
        checked_since=since,
    )

    assert loaded is not None
    if checked_at >= since:
        assert streams.caught_up == [] and loaded.values == [0]
    else:
        assert streams.caught_up == [1] and loaded.values == [0, 1]


class TogetherStreams(Streams):
    """``Streams`` read many at a time, as ``EventStore.refresh_many`` reads them; while the
    read is under way, ``meanwhile`` runs (another thread loading, saving, writing)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads_together: list[dict[UUID, int]] = []
        self.meanwhile: list[Callable[[], None]] = []

    def together(
        self, versions: Mapping[UUID, int], limit: int
    ) -> dict[UUID, list[tuple[UUID, int]]]:
        """Each stream's events after its version, naming their stream (as stored events
        do: a copy built from them knows its id)."""
        self.reads_together.append(dict(versions))
        newer = {
            i: [(i, value) for value in self.events.get(i, [])[v : v + limit]]
            for i, v in versions.items()
        }
        while self.meanwhile:
            self.meanwhile.pop(0)()
        return newer

    def refresh_many(self, kept: KeptAggregates, ids: list[UUID], max_age: float) -> None:
        kept.refresh_many(ids, self.together, max_age=max_age)


def apply_read(aggregate: Counter | None, events: Sequence[Any]) -> Counter:
    """``apply`` for events that may name their stream (``TogetherStreams.together``)."""
    aggregate = apply(aggregate, [e[1] if isinstance(e, tuple) else e for e in events])
    for event in events:
        if isinstance(event, tuple):
            aggregate.id = event[0]
    return aggregate


together_steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["written elsewhere", "saved here", "load", "tick", "refresh", "refresh in a race"]
        ),
        st.integers(0, 2),
        st.integers(1, 2 * LIMIT),
        st.sampled_from([0.0, 0.5, 1.0, 5.0]),
    ),
    max_size=60,
)


@given(steps=together_steps, capacity=st.integers(1, 4))
def test_refreshing_many_at_once_keeps_the_freshness_rule(
    steps: list[tuple[str, int, int, float]], capacity: int
) -> None:
    """Copies caught up together by one read answer loads exactly as copies checked one by
    one would: a load accepting ``max_age`` gets a state stored at most that long ago, with
    no age the state stored now, including when another thread loads, saves or writes
    elsewhere while the read is under way. A refresh of copies checked within its age reads
    nothing."""
    streams, ticks = TogetherStreams(), Ticks()
    ids = [uuid4() for _ in range(3)]
    stored_at: dict[UUID, list[tuple[float, int]]] = {}
    for aggregate_id in ids:
        streams.events[aggregate_id] = [0]
        stored_at[aggregate_id] = [(float("-inf"), 1)]
    kept = KeptAggregates(capacity, LIMIT, apply_read, now=ticks)

    def write_elsewhere(aggregate_id: UUID, count: int) -> None:
        streams.events[aggregate_id] += list(range(count))
        stored_at[aggregate_id].append((ticks.now, len(streams.events[aggregate_id])))

    def tick(seconds: float) -> None:
        ticks.now += seconds

    def save_here(aggregate_id: UUID, count: int) -> None:
        mine = streams.load(kept, aggregate_id)
        assert mine is not None
        apply(mine, list(range(count)))
        streams.events[aggregate_id] += list(range(count))
        stored_at[aggregate_id].append((ticks.now, len(streams.events[aggregate_id])))
        kept.saved([mine])

    for action, index, count, age in steps:
        aggregate_id = ids[index]
        if action == "tick":
            ticks.now += age
        elif action == "written elsewhere":
            write_elsewhere(aggregate_id, count)
        elif action == "saved here":
            save_here(aggregate_id, count)
        elif action in ("refresh", "refresh in a race"):
            if action == "refresh in a race":
                streams.meanwhile += [
                    partial(tick, 0.5),
                    partial(save_here, ids[0], 1),
                    partial(tick, 0.5),
                    partial(write_elsewhere, ids[1], count),
                    partial(streams.load, kept, ids[2]),
                ]
            reads = len(streams.reads_together)
            streams.refresh_many(kept, ids, age)
            assert len(streams.reads_together) - reads <= 1  # one read for them all
            streams.meanwhile.clear()
        else:
            loaded = streams.load(kept, aggregate_id, max_age=age)
            stream = streams.events[aggregate_id]
            assert_stored_within(loaded, stream, stored_at[aggregate_id], ticks.now, age)


def test_a_refresh_reads_only_the_copies_older_than_its_age_and_then_loads_read_nothing() -> None:
    streams, ticks = TogetherStreams(), Ticks()
    ids = [uuid4() for _ in range(4)]
    for aggregate_id in ids:
        streams.events[aggregate_id] = [0]
    kept = KeptAggregates(10, LIMIT, apply_read, now=ticks)
    for aggregate_id in ids[:3]:
        streams.load(kept, aggregate_id)
    ticks.now += 2.0
    streams.load(kept, ids[0])  # checked just now
    streams.events[ids[1]] += [1, 2]
    streams.caught_up.clear()

    streams.refresh_many(kept, ids, max_age=1.0)

    # ids[3] was not kept: read from its start in the same read, and built from that
    assert streams.reads_together == [{ids[1]: 1, ids[2]: 1, ids[3]: 0}]
    assert streams.reconstructed == 3
    for aggregate_id in ids:
        loaded = streams.load(kept, aggregate_id, max_age=1.0)
        assert loaded is not None and loaded.values == streams.events[aggregate_id]
        assert loaded.id == aggregate_id
    assert streams.caught_up == [] and streams.reconstructed == 3  # nothing read since
    streams.events[ids[2]] += [9] * LIMIT  # too far behind: dropped, then reconstructed
    ticks.now += 2.0
    streams.refresh_many(kept, ids, max_age=1.0)
    loaded = streams.load(kept, ids[2], max_age=1.0)
    assert loaded is not None and loaded.values == streams.events[ids[2]]
    assert streams.reconstructed == 4


def test_an_absence_found_by_a_refresh_is_kept_only_where_asked() -> None:
    streams, ticks = TogetherStreams(), Ticks()
    kept_absent, forgotten = uuid4(), uuid4()
    kept = KeptAggregates(10, LIMIT, apply_read, now=ticks)

    kept.refresh_many(
        [kept_absent, forgotten], streams.together, keep_absence={kept_absent}.__contains__
    )

    assert streams.load(kept, kept_absent, max_age=1.0, keep_absence=True) is None
    assert streams.reconstructed == 0  # the absence was kept: nothing read
    assert streams.load(kept, forgotten, max_age=1.0, keep_absence=True) is None
    assert streams.reconstructed == 1
    streams.events[kept_absent] = [5]  # created elsewhere
    reads = len(streams.reads_together)
    kept.refresh_many([kept_absent], streams.together, max_age=1.0, keep_absence=lambda _: True)
    assert len(streams.reads_together) == reads  # the absence is within its age: no read
    ticks.now += 2.0
    kept.refresh_many([kept_absent], streams.together, max_age=1.0, keep_absence=lambda _: True)
    found = streams.load(kept, kept_absent, max_age=1.0, keep_absence=True)
    assert found is not None and found.values == [5] and streams.reconstructed == 1


def test_a_copy_changed_or_written_elsewhere_during_the_read_is_not_spoiled() -> None:
    """While one read catches copies up, another thread saves one of them here and another
    process writes a second: the events read are not applied on top of the newer saved copy,
    and the second is taken as checked when the read began, not when it ended."""
    streams, ticks = TogetherStreams(), Ticks()
    saved, written = uuid4(), uuid4()
    kept = KeptAggregates(10, LIMIT, apply_read, now=ticks)
    for aggregate_id in (saved, written):
        streams.events[aggregate_id] = [0]
        streams.load(kept, aggregate_id)
        streams.events[aggregate_id] += [1]  # both are behind the store
    ticks.now += 2.0

    def save_saved_here() -> None:
        mine = streams.load(kept, saved)
        assert mine is not None and mine.values == [0, 1]
        apply(mine, [2])
        streams.events[saved].append(2)
        kept.saved([mine])

    def write_elsewhere_later() -> None:
        ticks.now += 0.5
        streams.events[written].append(3)
        ticks.now += 0.5

    streams.meanwhile += [save_saved_here, write_elsewhere_later]
    streams.refresh_many(kept, [saved, written], max_age=0.0)

    mine = streams.load(kept, saved, max_age=5.0)
    assert mine is not None and mine.values == [0, 1, 2]
    theirs = streams.load(kept, written, max_age=0.5)  # checked 1 s ago: caught up again
    assert theirs is not None and theirs.values == [0, 1, 3]
