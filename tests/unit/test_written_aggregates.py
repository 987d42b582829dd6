"""The pipeline's reuse of what it wrote: taken once, forgotten on other writes, expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.written_aggregates import WrittenAggregates


class Thing:
    def __init__(self) -> None:
        self.id: UUID = uuid4()


class FrozenClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def test_an_entry_is_taken_once() -> None:
    written = WrittenAggregates(FrozenClock(), timedelta(seconds=1))
    thing = Thing()
    written.keep([thing])
    assert written.take(thing.id) is thing
    assert written.take(thing.id) is None


def test_holding_an_entry_does_not_take_it() -> None:
    clock = FrozenClock()
    written = WrittenAggregates(clock, timedelta(seconds=1))
    thing = Thing()
    assert not written.holds(thing.id)
    written.keep([thing])
    assert written.holds(thing.id) and written.take(thing.id) is thing
    assert not written.holds(thing.id)
    written.keep([thing])
    clock.moment += timedelta(seconds=1)
    assert not written.holds(thing.id)


def test_another_write_forgets_the_entry() -> None:
    written = WrittenAggregates(FrozenClock(), timedelta(seconds=1))
    kept, other = Thing(), Thing()
    written.keep([kept, other])
    written.forget({kept.id})
    assert written.take(kept.id) is None
    assert written.take(other.id) is other


def test_an_entry_expires_after_the_ttl() -> None:
    clock = FrozenClock()
    written = WrittenAggregates(clock, timedelta(seconds=1))
    thing = Thing()
    written.keep([thing])
    clock.moment += timedelta(milliseconds=999)
    assert written.take(thing.id) is thing
    written.keep([thing])
    clock.moment += timedelta(seconds=1)
    assert written.take(thing.id) is None


def test_the_oldest_entries_make_room() -> None:
    written = WrittenAggregates(FrozenClock(), timedelta(seconds=1), max_entries=2)
    first, second, third = Thing(), Thing(), Thing()
    written.keep([first, second])
    written.keep([third])
    assert written.take(first.id) is None
    assert written.take(second.id) is second and written.take(third.id) is third
