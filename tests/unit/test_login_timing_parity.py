"""An unknown e-mail costs the same password verification as a known one (decision 0019).

Timing is not asserted (``benchmarks/login_timing.py`` measures it); what makes the times
alike is: the hasher verifies on every path, against a hash it made itself (so with the
same parameters) when the e-mail is unknown.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.accounts.accounts import Accounts
from application.shared.quotas import AUTH, LOGIN
from application.shared.store import EventStore
from domain.shared.errors import DomainError
from infrastructure.accounts.security import (
    Argon2PasswordHasher,
    JwtDashboardTokens,
    JwtDeviceTokens,
    RandomSecrets,
    digest,
)
from infrastructure.shared.rate_limits import RateLimiter

PASSWORD = "correct horse battery"


class FrozenClock:
    def now(self) -> datetime:
        return datetime(2026, 4, 8, 10, 30, tzinfo=UTC)


class CountingHasher:
    """The real Argon2 hasher, recording what it is asked to do."""

    def __init__(self) -> None:
        self._argon2 = Argon2PasswordHasher()
        self.hashed: list[str] = []
        self.verified: list[str] = []

    def hash(self, password: str) -> str:
        made = self._argon2.hash(password)
        self.hashed.append(made)
        return made

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return self._argon2.verify(password_hash, password)


@pytest.fixture
def world() -> tuple[Accounts, CountingHasher]:
    hasher = CountingHasher()
    accounts = Accounts(
        EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}),
        FrozenClock(),
        hasher,
        RandomSecrets(),
        JwtDashboardTokens("k" * 32, 3600),
        digest,
        RateLimiter({AUTH: "100/day", LOGIN: "100/day"}),
        JwtDeviceTokens("k" * 32),
    )
    return accounts, hasher


def refused(accounts: Accounts, email: str, password: str) -> str:
    with pytest.raises(DomainError) as refusal:
        accounts.login(email, password)
    return f"{refusal.value.code}: {refusal.value.message}"


def test_an_unknown_email_is_verified_against_a_hash_made_like_every_account_s(
    world: tuple[Accounts, CountingHasher],
) -> None:
    accounts, hasher = world
    customer, _, _ = accounts.register("known@example.com", PASSWORD, "Acme")
    hasher.hashed.clear()

    unknown = refused(accounts, "nobody@example.com", PASSWORD)
    assert len(hasher.verified) == 1
    dummy = hasher.verified[0]
    assert hasher.hashed == [dummy]  # made by this hasher: the same algorithm and parameters
    assert dummy.split("$")[:4] == customer.password_hash.split("$")[:4]  # $argon2id$v=..$m=..

    wrong = refused(accounts, "known@example.com", "not-the-password")
    assert hasher.verified[1] == customer.password_hash
    assert unknown == wrong == "unauthorized: invalid email or password"

    refused(accounts, "someone-else@example.com", PASSWORD)
    assert hasher.verified[2] == dummy and len(hasher.hashed) == 1  # made once, then reused


def test_the_right_password_signs_in_with_one_verification(
    world: tuple[Accounts, CountingHasher],
) -> None:
    accounts, hasher = world
    customer, _, _ = accounts.register("known@example.com", PASSWORD, "Acme")
    signed_in = accounts.login(" Known@Example.com ", PASSWORD)
    assert signed_in.token and signed_in.device_token
    assert hasher.verified == [customer.password_hash]
