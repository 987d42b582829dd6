"""One process's quota attempts each count on a shard of their own (decision 0058)."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import Any, cast

from application.ingestion.event_quotas import EventQuotas
from domain.ingestion.event_quota import SHARDS


def quotas() -> EventQuotas:
    return EventQuotas(cast(Any, None), cast(Any, None))


def test_attempts_at_the_same_time_start_on_different_shards() -> None:
    counted = quotas()
    with ExitStack() as held:
        orders = [held.enter_context(counted.turn()) for _ in range(SHARDS)]
        assert sorted(order[0] for order in orders) == list(range(SHARDS))
        assert all(sorted(order) == list(range(SHARDS)) for order in orders)


def test_with_every_shard_taken_the_next_attempt_waits_for_one() -> None:
    counted = quotas()
    got: list[int] = []

    def ninth() -> None:
        with counted.turn() as order:
            got.append(order[0])

    with ExitStack() as held:
        orders = [held.enter_context(counted.turn()) for _ in range(SHARDS - 1)]
        with counted.turn() as last:
            waiting = threading.Thread(target=ninth)
            waiting.start()
            waiting.join(0.2)
            assert waiting.is_alive() and not got  # every shard is someone's
        waiting.join(10)
        assert got == [last[0]]  # the one that ended
        assert last[0] not in {order[0] for order in orders}


def test_a_turn_ends_with_its_attempt_even_when_the_attempt_fails() -> None:
    counted = quotas()
    for _ in range(SHARDS + 1):
        try:
            with counted.turn():
                raise RuntimeError("the attempt failed")
        except RuntimeError:
            pass
    with ExitStack() as held:
        firsts = {held.enter_context(counted.turn())[0] for _ in range(SHARDS)}
    assert firsts == set(range(SHARDS))
