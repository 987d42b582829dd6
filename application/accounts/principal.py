"""Who is calling: the credential kind, its tenant, and what it may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from domain.shared.errors import DomainError
from domain.shared.tenancy import Mode, Tenant

CredentialKind = Literal["secret_key", "publishable_key", "dashboard"]


@dataclass(frozen=True)
class Principal:
    kind: CredentialKind
    customer_id: UUID
    mode: Mode
    key_id: UUID | None = None
    scopes: tuple[str, ...] = field(default=())
    impersonator: UUID | None = None
    """The admin seeing the dashboard as the customer: a read-only token (decision 0051)."""

    @property
    def actor(self) -> str:
        """Who to name in an audit trail: the credential, never its secret."""
        if self.key_id is not None:
            return f"{self.kind}:{self.key_id.hex}"
        return f"{self.kind}:{self.customer_id.hex}"

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.customer_id, self.mode)

    def require_dashboard(self) -> None:
        if self.kind != "dashboard":
            raise DomainError(
                "forbidden", "this endpoint needs a dashboard token (POST /auth/login)"
            )

    def require_secret(self) -> None:
        """Reject publishable keys on anything but the reads they are allowed."""
        if self.kind == "publishable_key":
            raise DomainError(
                "publishable_key_scope",
                "a publishable key can only read buddies, operations and the published catalogue,"
                " and mint embed tokens",
            )
