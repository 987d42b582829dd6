"""Without its Redis the rate limiter lets requests through, uncounted, and says so
(decision 0039: fail open, logged and counted; it never answers 500 or 503)."""

from __future__ import annotations

import logging
import socket

import pytest

from infrastructure.shared.rate_limits import RateLimiter


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_redis_lets_the_request_through_and_counts_the_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = RateLimiter({"auth": "1/minute"}, f"redis://127.0.0.1:{closed_port()}/0")
    outages: list[None] = []
    limits.on_unavailable(lambda: outages.append(None))
    with caplog.at_level(logging.WARNING, logger="hatched.rate_limits"):
        first, second = limits.hit("auth", "10.0.0.1"), limits.hit("auth", "10.0.0.1")
    assert first.allowed and second.allowed  # a 1/minute quota, yet both pass: uncounted
    assert (first.limit, first.remaining) == (1, 1)
    assert len(outages) == 2
    assert sum("rate limits unavailable" in r.getMessage() for r in caplog.records) == 2
