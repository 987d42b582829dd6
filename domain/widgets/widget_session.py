"""Browser credentials for one buddy: tracked widget sessions and what a widget token grants.

A widget session (seed §5.5) is interactive, scoped and short-lived::

    issued ──▶ active ──▶ expired
      │  │        │
      │  └────────┼──▶ expired
      └──────┬────┘
             ▼
          revoked

``issued`` until its token is first used, ``active`` after; ``expired`` once ``expires_at``
has passed — a fact of time, not an event, so the status is always asked *at* an instant
(``status_at(now)``); ``revoked`` for good. Revoking an expired session is allowed (a logout
path must not fail because the session ran out first); revoking twice is refused.

An embed token is the read-only, stateless sibling: nothing is stored, its signature and
expiry are the whole of it. Both tokens name one tenant and one buddy; ``WidgetGrant`` is what
a verified token lets its bearer do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError, InvalidStateTransition
from domain.shared.tenancy import Mode, Tenant

READ: Final = "read"
TRACK: Final = "events:track"
EQUIP: Final = "items:equip"
PURCHASE: Final = "marketplace:purchase"
BROWSE: Final = "marketplace:browse"
"""Browse the shop; ``read`` browses it too."""
WIDGET_SCOPES: Final[tuple[str, ...]] = (
    READ,
    TRACK,
    BROWSE,
    PURCHASE,
    EQUIP,
)
SESSION_MAX_TTL_SECONDS: Final = 3600
EMBED_MAX_TTL_SECONDS: Final = 86400

WidgetSessionStatus = Literal["issued", "active", "expired", "revoked"]
TokenKind = Literal["widget_session", "embed"]


def checked_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Known, non-empty scopes in canonical order, each once; else ``validation_failed``."""
    wanted = list(scopes)
    unknown = sorted({s for s in wanted if s not in WIDGET_SCOPES})
    if not wanted or unknown:
        reason = (
            f"unknown scope(s) {', '.join(unknown)}; allowed: {', '.join(WIDGET_SCOPES)}"
            if unknown
            else "at least one scope is required"
        )
        raise DomainError(
            "validation_failed",
            f"scopes: {reason}",
            {"fields": [{"field": "scopes", "reason": reason}]},
        )
    return tuple(s for s in WIDGET_SCOPES if s in wanted)


def expiry(issued_at: datetime, ttl_seconds: int, max_ttl_seconds: int) -> datetime:
    """When a token issued at ``issued_at`` for ``ttl_seconds`` expires, on a whole second.

    JWT ``exp`` is whole seconds; rounding down keeps what the API answers and what the token
    says identical. A TTL outside ``1..max`` is ``validation_failed``.
    """
    if not 1 <= ttl_seconds <= max_ttl_seconds:
        reason = f"must be between 1 and {max_ttl_seconds} seconds"
        raise DomainError(
            "validation_failed",
            f"ttl_seconds: {reason}",
            {"fields": [{"field": "ttl_seconds", "reason": reason}]},
        )
    return (issued_at + timedelta(seconds=ttl_seconds)).replace(microsecond=0)


@dataclass(frozen=True, kw_only=True)
class WidgetGrant:
    """What a verified widget token lets its bearer do: read (and maybe act on) one buddy.

    ``issued_at`` bounds how far back the bearer may date a tracked event (decision 0018).
    It is not compared: a token carries it in whole seconds (``iat``), a session's record to
    the microsecond, and the two must still match as the same grant.
    """

    kind: TokenKind
    tenant: Tenant
    buddy_id: UUID
    user_id: str
    scopes: tuple[str, ...]
    expires_at: datetime
    issued_at: datetime = field(compare=False)
    session_id: UUID | None = None

    def require(self, scope: str) -> None:
        """Refuse unless the token carries ``scope``; an embed token only ever reads."""
        if self.kind == "embed" and scope != READ:
            raise DomainError(
                "forbidden",
                f"an embed token is read-only; {scope} needs a widget session "
                "(POST /widget-sessions)",
                {"token_type": "embed", "required_scope": scope},
            )
        if scope not in self.scopes:
            raise DomainError(
                "insufficient_scope",
                f"this widget token lacks the {scope} scope",
                {"required_scope": scope, "scopes": list(self.scopes)},
            )


class WidgetSession(Aggregate):
    class Issued(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        buddy_id: UUID
        user_id: str
        scopes: list[str]
        expires_at: datetime
        issued_by: str

    @event(Issued)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        buddy_id: UUID,
        user_id: str,
        scopes: list[str],
        expires_at: datetime,
        issued_by: str,
        timestamp: datetime,
    ) -> None:
        if expires_at <= timestamp:
            raise ValueError("a widget session must expire after it is issued")
        self.customer_id = customer_id
        self.mode = mode
        self.buddy_id = buddy_id
        self.user_id = user_id
        self.scopes = list(checked_scopes(scopes))
        self.expires_at = expires_at
        self.issued_by = issued_by
        self.activated_at: datetime | None = None
        self.revoked_at: datetime | None = None
        self.revoked_by: str | None = None

    # Queries -------------------------------------------------------------------------

    def status_at(self, now: datetime) -> WidgetSessionStatus:
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active" if self.activated_at is not None else "issued"

    def grant(self) -> WidgetGrant:
        return WidgetGrant(
            kind="widget_session",
            tenant=Tenant(self.customer_id, self.mode),
            buddy_id=self.buddy_id,
            user_id=self.user_id,
            scopes=tuple(self.scopes),
            expires_at=self.expires_at,
            issued_at=self.created_on,
            session_id=self.id,
        )

    # Commands ------------------------------------------------------------------------

    def activate(self, *, timestamp: datetime) -> None:
        """First use of the token: ``issued → active``. Using an active session again is a
        no-op; an expired or revoked one is refused."""
        status = self.status_at(timestamp)
        if status == "active":
            return
        if status != "issued":
            raise InvalidStateTransition("widget session", status, "active")
        self._activated(timestamp=timestamp)

    def revoke(self, *, actor: str, timestamp: datetime) -> None:
        if self.revoked_at is not None:
            raise InvalidStateTransition("widget session", "revoked", "revoked")
        self._revoked(actor=actor, timestamp=timestamp)

    # Events --------------------------------------------------------------------------

    class Activated(Aggregate.Event):
        pass

    @event(Activated)
    def _activated(self, *, timestamp: datetime) -> None:
        self.activated_at = timestamp

    class Revoked(Aggregate.Event):
        actor: str

    @event(Revoked)
    def _revoked(self, *, actor: str, timestamp: datetime) -> None:
        self.revoked_at = timestamp
        self.revoked_by = actor
