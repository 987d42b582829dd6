"""Every request acts for one tenant: a customer in live or test mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol
from uuid import UUID

from domain.shared.errors import NotFound

Mode = Literal["live", "test"]
MODES: tuple[Mode, ...] = ("live", "test")


@dataclass(frozen=True, slots=True)
class Tenant:
    customer_id: UUID
    mode: Mode

    @property
    def key(self) -> str:
        """A stable string naming the tenant, used inside natural-key UUIDs."""
        return f"{self.customer_id.hex}:{self.mode}"


class TenantOwned(Protocol):
    customer_id: UUID
    mode: Mode


def ensure_owned(item: TenantOwned, tenant: Tenant, kind: str, public_id: str) -> None:
    """Another tenant's aggregate answers exactly like a missing one: not found."""
    if item.customer_id != tenant.customer_id or item.mode != tenant.mode:
        raise NotFound(kind, public_id)
