"""Without its Redis the rate limiter refuses with 503 rather than letting everything through
(decision 0019: login fails closed)."""

from __future__ import annotations

import socket

import pytest

from domain.shared.errors import DomainError
from infrastructure.shared.rate_limits import RateLimiter


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_redis_is_service_unavailable() -> None:
    limits = RateLimiter({"auth": "10/minute"}, f"redis://127.0.0.1:{closed_port()}/0")
    with pytest.raises(DomainError) as refusal:
        limits.hit("auth", "10.0.0.1")
    assert refusal.value.code == "service_unavailable"
