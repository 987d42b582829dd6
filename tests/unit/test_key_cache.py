"""API key lookups are cached for a second: revocation in this process is immediate, and a
revocation elsewhere (another API process) is seen once the entry expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.accounts.accounts import KEY_CACHE_TTL, Accounts, api_key_id
from application.shared.quotas import AUTH, LOGIN
from application.shared.store import EventStore
from domain.accounts.api_key import ApiKey
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from infrastructure.accounts.security import (
    Argon2PasswordHasher,
    JwtDashboardTokens,
    JwtDeviceTokens,
    RandomSecrets,
    digest,
)
from infrastructure.shared.rate_limits import RateLimiter
from infrastructure.shared.settings import AUTH_RATE_LIMIT


class FrozenClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


class CountingStore(EventStore):
    """Counts API key loads, to see which lookups reach the store."""

    key_loads = 0

    def find(self, cls, aggregate_id, **kwargs):  # type: ignore[no-untyped-def]
        if cls is ApiKey:
            self.key_loads += 1
        return super().find(cls, aggregate_id, **kwargs)


@pytest.fixture
def world() -> tuple[Accounts, CountingStore, FrozenClock]:
    store = CountingStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    clock = FrozenClock()
    accounts = Accounts(
        store,
        clock,
        Argon2PasswordHasher(),
        RandomSecrets(),
        JwtDashboardTokens("k" * 32, 3600),
        digest,
        RateLimiter({AUTH: AUTH_RATE_LIMIT, LOGIN: AUTH_RATE_LIMIT}),
        JwtDeviceTokens("k" * 32),
    )
    return accounts, store, clock


def test_a_key_is_looked_up_once_per_ttl(
    world: tuple[Accounts, CountingStore, FrozenClock],
) -> None:
    accounts, store, clock = world
    customer, _, _ = accounts.register("a@example.com", "correct horse battery", "Acme")
    issued = accounts.create_key(customer.id, "live", None, "secret")
    first = accounts.authenticate(issued.secret, None)
    assert accounts.authenticate(issued.secret, None) == first
    assert store.key_loads == 1
    clock.moment += KEY_CACHE_TTL
    assert accounts.authenticate(issued.secret, None) == first
    assert store.key_loads == 2


def test_revoking_here_takes_effect_at_once(
    world: tuple[Accounts, CountingStore, FrozenClock],
) -> None:
    accounts, _, _ = world
    customer, _, _ = accounts.register("b@example.com", "correct horse battery", "Acme")
    issued = accounts.create_key(customer.id, "live", None, "secret")
    kept = accounts.create_key(customer.id, "live", None, "secret")
    accounts.authenticate(issued.secret, None)
    accounts.authenticate(kept.secret, None)
    accounts.revoke_key(customer.id, public_id("api_key", issued.key.id), issued.key.id)
    with pytest.raises(DomainError) as refused:
        accounts.authenticate(issued.secret, None)
    assert refused.value.code == "unauthorized"
    rotated = accounts.rotate_keys(customer.id, "live", None)
    with pytest.raises(DomainError):
        accounts.authenticate(kept.secret, None)
    assert accounts.authenticate(rotated.secret, None).key_id == rotated.key.id


def test_a_revocation_elsewhere_is_seen_within_the_ttl(
    world: tuple[Accounts, CountingStore, FrozenClock],
) -> None:
    accounts, store, clock = world
    customer, _, _ = accounts.register("c@example.com", "correct horse battery", "Acme")
    issued = accounts.create_key(customer.id, "live", None, "secret")
    accounts.authenticate(issued.secret, None)
    key = store.find(ApiKey, api_key_id(issued.secret, digest))
    assert key is not None
    key.revoke(timestamp=clock.now())
    store.save(key)  # as another API process would: this process's cache is not told
    clock.moment += KEY_CACHE_TTL - timedelta(milliseconds=1)
    accounts.authenticate(issued.secret, None)
    clock.moment += timedelta(milliseconds=1)
    with pytest.raises(DomainError):
        accounts.authenticate(issued.secret, None)


def test_failed_lookups_are_never_cached(
    world: tuple[Accounts, CountingStore, FrozenClock],
) -> None:
    accounts, store, _ = world
    for _ in range(3):
        with pytest.raises(DomainError):
            accounts.authenticate("hatch_live_" + "x" * 43, None)
    assert store.key_loads == 3
