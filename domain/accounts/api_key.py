"""A credential: a secret or publishable key, known only by the hash of its text.

The aggregate id is derived from that hash (``natural_id("api_key", digest)``), so
authenticating a request is a single load by id, and the key itself is never stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError
from domain.shared.tenancy import Mode

KeyKind = Literal["secret", "publishable"]
PUBLISHABLE_SCOPES = ("buddies:read", "operations:read", "embed_tokens:write")


class ApiKey(Aggregate):
    class Issued(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        kind: str
        name: str | None
        prefix: str
        scopes: list[str]

    @event(Issued)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        kind: str,
        name: str | None,
        prefix: str,
        scopes: list[str],
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.kind = kind
        self.name = name
        self.prefix = prefix
        self.scopes = scopes
        self.revoked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, *, timestamp: datetime) -> None:
        if not self.is_active:
            raise DomainError("conflict", "this API key is already revoked")
        self._revoked(timestamp=timestamp)

    class Revoked(Aggregate.Event):
        pass

    @event(Revoked)
    def _revoked(self, *, timestamp: datetime) -> None:
        self.revoked_at = timestamp
