"""What the use cases need from the outside world; ``infrastructure/`` provides it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.tenancy import Tenant


class Clock(Protocol):
    def now(self) -> datetime: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class Secrets(Protocol):
    def token(self, prefix: str, nbytes: int = 32) -> str: ...

    def uuid(self) -> UUID: ...


class DashboardTokens(Protocol):
    def issue(self, customer_id: UUID, now: datetime) -> tuple[str, datetime]: ...

    def verify(self, token: str) -> UUID | None: ...


class Digest(Protocol):
    def __call__(self, secret: str) -> str: ...


class BuddyDirectory(Protocol):
    """Which buddies a tenant has, read from the buddies view (``projections/buddies.py``)."""

    def buddy_ids(self, tenant: Tenant, *, config_version_id: UUID | None = None) -> list[UUID]: ...

    def counts_by_config_version(self, tenant: Tenant) -> dict[UUID, int]: ...


class TaskQueue(Protocol):
    def enqueue_operation(self, operation_id: UUID) -> None: ...
