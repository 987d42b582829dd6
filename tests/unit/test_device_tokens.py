"""Device tokens say "this browser signed in as this e-mail"; nothing else passes for one,
and one passes for nothing else (decision 0019)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from domain.shared.errors import WrongCredential
from infrastructure.accounts.security import DEVICE_TTL, JwtDashboardTokens, JwtDeviceTokens, digest

NOW = datetime.now(UTC)
SECRET = "s" * 40


def test_a_device_token_is_read_back_only_for_its_own_email() -> None:
    devices = JwtDeviceTokens(SECRET)
    token = devices.issue("owner@example.com", NOW)
    device_id = devices.read(token, "owner@example.com")
    assert device_id
    assert devices.read(devices.issue("owner@example.com", NOW), "owner@example.com") != device_id
    assert devices.read(token, "other@example.com") is None
    assert JwtDeviceTokens("t" * 40).read(token, "owner@example.com") is None  # another key
    assert "owner@example.com" not in jwt.decode(token, options={"verify_signature": False})["sub"]


def test_expired_forged_and_dashboard_tokens_are_not_devices() -> None:
    devices = JwtDeviceTokens(SECRET)
    expired = devices.issue("owner@example.com", NOW - DEVICE_TTL - timedelta(seconds=5))
    assert devices.read(expired, "owner@example.com") is None
    unsigned = jwt.encode(
        {"sub": digest("owner@example.com"), "aud": "hatched:device", "typ": "device"},
        key=None,
        algorithm="none",
    )
    assert devices.read(unsigned, "owner@example.com") is None
    assert devices.read("not-a-token", "owner@example.com") is None

    dashboards = JwtDashboardTokens(SECRET, 3600)
    dashboard, _ = dashboards.issue(uuid.uuid4(), NOW)
    assert devices.read(dashboard, "owner@example.com") is None
    with pytest.raises(WrongCredential) as refused:
        dashboards.verify(devices.issue("owner@example.com", NOW))
    assert refused.value.reason == "wrong_audience"  # ours, but it opens nothing
