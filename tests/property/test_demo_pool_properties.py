"""Whatever visitors come, in whatever order and whatever the pool's size setting does, the
demo pool holds each once, at most ``size`` of them after every admission (a smaller size
takes effect at the next one), and lets go of a buddy exactly when its visitor loses the
slot; at a steady size, the visitor admitted longest ago goes first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.widgets.demo_pool import DemoPool

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)


def visits(sizes: st.SearchStrategy[int]) -> st.SearchStrategy[list[tuple[int, int, bool]]]:
    """(visitor number, pool size at that visit, whether a buddy is hatched for the visitor)."""
    return st.lists(st.tuples(st.integers(0, 12), sizes, st.booleans()), min_size=1, max_size=60)


def assign_if_hatched(pool: DemoPool, user_id: str, hatches: bool) -> uuid.UUID | None:
    """A buddy hatched for the visitor, recorded if the slot has none yet (the first one
    recorded is kept); the new buddy's id when it was recorded."""
    if not hatches:
        return None
    recorded = pool.buddy_of(user_id)
    hatched = uuid.uuid4()
    kept = pool.assign_buddy(user_id=user_id, buddy_id=hatched, timestamp=T0)
    assert kept == (recorded or hatched) == pool.buddy_of(user_id)
    return hatched if recorded is None else None


@settings(max_examples=300, deadline=None)
@given(visits(st.integers(1, 5)))
def test_every_buddy_is_either_held_by_its_visitor_or_released_once(
    steps: list[tuple[int, int, bool]],
) -> None:
    pool = DemoPool(id=uuid.uuid4(), timestamp=T0)
    owner: dict[uuid.UUID, str] = {}
    released: list[uuid.UUID] = []
    for number, size, hatches in steps:
        user_id = f"visitor_{number}"
        admitting = not pool.holds(user_id, size)
        released.extend(pool.released_by_admitting(size) if admitting else [])
        pool.admit(user_id=user_id, size=size, timestamp=T0)
        if (buddy_id := assign_if_hatched(pool, user_id, hatches)) is not None:
            owner[buddy_id] = user_id

        assert pool.holds(user_id, size)
        assert len(pool.holders) <= size or not admitting
        assert len(set(pool.holders)) == len(pool.holders)
        held = [b for b in pool.buddy_ids if b is not None]
        assert all(pool.buddy_of(owner[b]) == b for b in held)
        assert len(released) == len(set(released))
        assert set(held) | set(released) == set(owner) and not set(held) & set(released)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5), visits(st.just(0)))
def test_at_a_steady_size_the_oldest_visitor_makes_room(
    size: int, steps: list[tuple[int, int, bool]]
) -> None:
    pool = DemoPool(id=uuid.uuid4(), timestamp=T0)
    oldest_first: list[str] = []
    for number, _, hatches in steps:
        user_id = f"visitor_{number}"
        pool.admit(user_id=user_id, size=size, timestamp=T0)
        if user_id not in oldest_first:
            oldest_first = [*oldest_first[-(size - 1) :], user_id] if size > 1 else [user_id]
        assign_if_hatched(pool, user_id, hatches)
        assert sorted(pool.holders) == sorted(oldest_first)
