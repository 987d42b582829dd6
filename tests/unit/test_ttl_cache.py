"""The expiring cache: entries kept until discarded or expired, and bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.shared.ttl_cache import TtlCache


class Thing:
    def __init__(self) -> None:
        self.id: UUID = uuid4()


class FrozenClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def test_an_entry_is_got_until_it_expires() -> None:
    clock = FrozenClock()
    cache = TtlCache[Thing](clock, timedelta(seconds=1))
    thing = Thing()
    assert cache.get(thing.id) is None
    cache.put(thing.id, thing)
    assert cache.get(thing.id) is thing and cache.get(thing.id) is thing
    clock.moment += timedelta(seconds=1)
    assert cache.get(thing.id) is None


def test_a_discarded_entry_is_gone() -> None:
    cache = TtlCache[Thing](FrozenClock(), timedelta(seconds=1))
    kept, other = Thing(), Thing()
    cache.put(kept.id, kept)
    cache.put(other.id, other)
    cache.discard(kept.id)
    assert cache.get(kept.id) is None
    assert cache.get(other.id) is other


def test_an_entry_expires_after_the_ttl() -> None:
    clock = FrozenClock()
    cache = TtlCache[Thing](clock, timedelta(seconds=1))
    thing = Thing()
    cache.put(thing.id, thing)
    clock.moment += timedelta(milliseconds=999)
    assert cache.get(thing.id) is thing
    cache.put(thing.id, thing)
    clock.moment += timedelta(seconds=1)
    assert cache.get(thing.id) is None


def test_the_oldest_entries_make_room() -> None:
    cache = TtlCache[Thing](FrozenClock(), timedelta(seconds=1), max_entries=2)
    first, second, third = Thing(), Thing(), Thing()
    cache.put(first.id, first)
    cache.put(second.id, second)
    cache.put(third.id, third)
    assert cache.get(first.id) is None
    assert cache.get(second.id) is second and cache.get(third.id) is third
