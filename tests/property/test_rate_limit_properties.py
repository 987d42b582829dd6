"""The rate limiter counts each key on its own and never lets more through than a window
holds, in memory and in Redis; with Redis, every process shares the counts.

Windows are a day long: the in-memory windows start on the clock's day boundaries, and one
crossed mid-example would let one more request through.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import parse

from infrastructure.shared.rate_limits import RateLimiter
from tests.conftest import REDIS_URL

STORAGES = ["memory", *(["redis"] if REDIS_URL else [])]


def limiter(storage: str, quotas: dict[str, str], namespace: str | None = None) -> RateLimiter:
    url = REDIS_URL if storage == "redis" else None
    return RateLimiter(quotas, url, namespace or f"hatched-test-{uuid.uuid4().hex[:12]}")


@pytest.mark.parametrize("storage", STORAGES)
@settings(max_examples=40, deadline=None)
@given(limit=st.integers(1, 4), keys=st.lists(st.sampled_from("abc"), max_size=20))
def test_each_key_gets_exactly_its_limit(storage: str, limit: int, keys: list[str]) -> None:
    limits = limiter(storage, {"q": f"{limit}/day"})
    allowed: Counter[str] = Counter()
    for key in keys:
        allowance = limits.hit("q", key)
        assert allowance.limit == limit
        assert allowance.reset_seconds >= 1
        if allowance.allowed:
            allowed[key] += 1
            assert allowance.remaining == limit - allowed[key]
        else:
            assert allowance.remaining == 0
    assert allowed == Counter({key: min(n, limit) for key, n in Counter(keys).items()})


@pytest.mark.parametrize("storage", STORAGES)
def test_a_request_refused_by_the_short_window_leaves_the_long_one_alone(storage: str) -> None:
    limits = limiter(storage, {"q": "5/day;2/minute"})
    assert [limits.hit("q", "k").allowed for _ in range(4)] == [True, True, False, False]
    day = limits._limiter.get_window_stats(parse("5/day"), "q", "k")
    assert day.remaining == 3  # the two refused requests did not count


@pytest.mark.skipif(not REDIS_URL, reason="needs HATCHED_TEST_REDIS_URL")
def test_processes_sharing_redis_share_the_counts() -> None:
    namespace = f"hatched-test-{uuid.uuid4().hex[:12]}"
    one, other = (limiter("redis", {"q": "3/day"}, namespace) for _ in range(2))
    assert [one.hit("q", "k").allowed, other.hit("q", "k").allowed] == [True, True]
    assert one.hit("q", "k").allowed and not other.hit("q", "k").allowed
