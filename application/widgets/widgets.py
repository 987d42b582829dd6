"""Widgets: browser credentials for one buddy, checked on every call, and what widgets read.

Two credentials, both signed JWTs bound to one tenant and one buddy (``infrastructure/
widget_tokens.py``):

* a **widget session** (``POST /widget-sessions``): scoped, at most an hour, recorded as a
  ``WidgetSession`` so it can be revoked; every call looks it up, so a revocation bites on the
  very next request;
* an **embed token** (``POST /embed-tokens``): read-only, up to a day, stateless.

``authenticate`` turns a bearer token into a ``WidgetGrant`` or refuses it with
``401 unauthorized`` and a ``details.reason`` the widget can explain to a person: ``expired``
("reload"), ``revoked`` ("sign in again"), ``invalid`` or ``wrong_audience`` (decision 0029).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from application.companions.appearance import request_rerender
from application.companions.buddies import Buddies, BuddyState
from application.companions.operations import Operations
from application.companions.progression import badge_progress
from application.shared.ports import BuddyDirectory, Clock, Secrets, WidgetTokens
from application.shared.store import EventStore, retry_on_conflict
from domain.accounts.customer import Customer
from domain.companions.operation import Operation
from domain.configs.rulebook import BadgeDef
from domain.ingestion.rules import badge_condition_holds
from domain.shared.errors import DomainError, NotFound, Unauthorized
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant
from domain.widgets.widget_session import (
    BROWSE,
    EMBED_MAX_TTL_SECONDS,
    EQUIP,
    READ,
    SESSION_MAX_TTL_SECONDS,
    WidgetGrant,
    WidgetSession,
    checked_scopes,
    expiry,
)

WIDGET_EVENT_PREFIX = "wgt_"
PREVIEW_SCOPES = (READ,)
PREVIEW_TTL_SECONDS = 900
NEXT_UP_BADGES = 3

BadgeStatus = Literal["earned", "ready", "locked"]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    grant: WidgetGrant


@dataclass(frozen=True)
class Preview:
    buddy_id: str
    session: WidgetSession
    session_token: str
    embed: IssuedToken


@dataclass(frozen=True)
class BadgeTile:
    """One badge of the buddy's rulebook as a widget shows it, with progress when locked."""

    badge: BadgeDef
    status: BadgeStatus
    awarded_at: datetime | None
    progress: float
    required: object
    actual: object


class Widgets:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        secrets: Secrets,
        tokens: WidgetTokens,
        buddies: Buddies,
        operations: Operations,
        directory: BuddyDirectory,
    ) -> None:
        self._store = store
        self._clock = clock
        self._secrets = secrets
        self._tokens = tokens
        self._buddies = buddies
        self._operations = operations
        self._directory = directory

    # -- minting -------------------------------------------------------------------

    def open_session(
        self,
        tenant: Tenant,
        buddy_id: str,
        user_id: str | None,
        scopes: Sequence[str],
        ttl_seconds: int,
        actor: str,
    ) -> tuple[WidgetSession, str]:
        buddy = self._buddies.load(tenant, buddy_id)
        if user_id is not None and user_id != buddy.user_id:
            reason = f"is not the owner of buddy {buddy_id}"
            raise DomainError(
                "validation_failed",
                f"user_id: {reason}",
                {"fields": [{"field": "user_id", "reason": reason}]},
            )
        now = self._clock.now()
        session = WidgetSession(
            id=self._secrets.uuid(),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            buddy_id=buddy.id,
            user_id=buddy.user_id,
            scopes=list(checked_scopes(scopes)),
            expires_at=expiry(now, ttl_seconds, SESSION_MAX_TTL_SECONDS),
            issued_by=actor,
            timestamp=now,
        )
        self._store.save(session)
        return session, self._tokens.issue(session.grant(), now)

    def embed_token(self, tenant: Tenant, buddy_id: str, ttl_seconds: int) -> IssuedToken:
        buddy = self._buddies.load(tenant, buddy_id)
        now = self._clock.now()
        grant = WidgetGrant(
            kind="embed",
            tenant=tenant,
            buddy_id=buddy.id,
            user_id=buddy.user_id,
            scopes=(READ,),
            expires_at=expiry(now, ttl_seconds, EMBED_MAX_TTL_SECONDS),
            issued_at=now,
        )
        return IssuedToken(self._tokens.issue(grant, now), grant)

    def preview(self, tenant: Tenant, buddy_id: str | None, actor: str) -> Preview:
        """Short-lived, read-only tokens for the dashboard's widget preview: the buddy asked
        for, else the tenant's newest active buddy."""
        if buddy_id is None:
            newest = self._directory.buddy_ids(tenant)[-1:]
            if not newest:
                raise DomainError(
                    "resource_not_found",
                    "there is no active buddy to preview yet: hatch one, or pass buddy_id",
                )
            buddy_id = public_id("buddy", newest[0])
        session, token = self.open_session(
            tenant, buddy_id, None, PREVIEW_SCOPES, PREVIEW_TTL_SECONDS, actor
        )
        embed = self.embed_token(tenant, buddy_id, PREVIEW_TTL_SECONDS)
        return Preview(buddy_id, session, token, embed)

    def session(self, tenant: Tenant, session_id: str) -> WidgetSession:
        uuid = parse_public_id("widget_session", session_id)
        return self._store.load_owned(WidgetSession, uuid, tenant, "widget session", session_id)

    def revoke(self, tenant: Tenant, session_id: str, actor: str) -> WidgetSession:
        def attempt() -> WidgetSession:
            session = self.session(tenant, session_id)
            session.revoke(actor=actor, timestamp=self._clock.now())
            self._store.save(session)
            return session

        return retry_on_conflict(attempt)

    def now(self) -> datetime:
        return self._clock.now()

    def event_id(self, grant: WidgetGrant, client_event_id: str | None) -> str:
        """The id a widget's event is recorded under: the client's (or a new one) inside the
        buddy's own namespace, so a browser can neither read another user's event through a
        duplicate nor claim an ``event_id`` the customer's server is about to send."""
        own = client_event_id or self._secrets.uuid().hex
        return f"{WIDGET_EVENT_PREFIX}{grant.buddy_id.hex}_{own}"

    # -- checking, on every call -----------------------------------------------------

    def authenticate(self, token: str) -> WidgetGrant:
        claimed = self._tokens.read(token)
        if claimed.kind == "embed":
            if self._clock.now() >= claimed.expires_at:
                raise _expired(claimed)
            return claimed
        assert claimed.session_id is not None

        def attempt() -> WidgetGrant:
            session = self._store.find(WidgetSession, claimed.session_id)  # type: ignore[arg-type]
            if session is None or session.grant() != claimed:
                raise Unauthorized("invalid", "the widget token is invalid")
            now = self._clock.now()
            status = session.status_at(now)
            if status == "revoked":
                raise Unauthorized(
                    "revoked",
                    "this widget session was revoked",
                    {"session_id": public_id("widget_session", session.id)},
                )
            if status == "expired":
                raise _expired(claimed)
            if status == "issued":
                session.activate(timestamp=now)
                self._store.save(session)
            return session.grant()  # the token's grant, with the exact issue time

        return retry_on_conflict(attempt)

    # -- what widgets read and do ------------------------------------------------------

    def buddy(self, grant: WidgetGrant, scope: str = READ) -> str:
        """The buddy ``grant`` opens, named as the use cases take it (its public id), once
        the grant holds ``scope``: what every widget route asks before it acts on the
        buddy. Browsing the shop (``marketplace:browse``) is allowed by ``read`` too."""
        if scope != BROWSE or BROWSE not in grant.scopes:
            grant.require(READ if scope == BROWSE else scope)
        return public_id("buddy", grant.buddy_id)

    def state(self, grant: WidgetGrant) -> BuddyState:
        return self._buddies.state(grant.tenant, self.buddy(grant))

    def operation(self, grant: WidgetGrant, operation_id: str) -> Operation:
        """One of this buddy's operations; any other (another buddy's too) is not found."""
        grant.require(READ)
        operation = self._operations.get(grant.tenant, operation_id)
        if operation.buddy_id != grant.buddy_id:
            raise NotFound("operation", operation_id)
        return operation

    def theme(self, grant: WidgetGrant) -> str:
        grant.require(READ)
        customer = self._store.load(Customer, grant.tenant.customer_id, "customer", "me")
        return str(customer.settings.get("widget_theme", "light"))

    def rerender(self, grant: WidgetGrant) -> Operation:
        """``POST /buddies/{id}/appearance/rerender`` for the token's buddy."""
        return request_rerender(self._buddies, grant.tenant, self.buddy(grant, EQUIP))


def _expired(grant: WidgetGrant) -> Unauthorized:
    return Unauthorized(
        "expired",
        f"this {'embed token' if grant.kind == 'embed' else 'widget session'} has expired; "
        "mint a new one",
        {"expired_at": grant.expires_at.isoformat()},
    )


def badge_tiles(state: BuddyState) -> list[BadgeTile]:
    """Every badge of the buddy's rulebook: earned, ready (manual, awaiting an award) or
    locked with how far along it is (0..1)."""
    progress_state = state.buddy.progress_state(state.ledger.wallet())
    tiles = []
    for badge in state.rulebook.badges:
        _, details = badge_condition_holds(badge.condition, state.rulebook, progress_state)
        required, actual = details["required"], details["actual"]
        if badge.key in state.buddy.badges:
            tiles.append(
                BadgeTile(badge, "earned", state.buddy.badges[badge.key], 1.0, required, actual)
            )
            continue
        status: BadgeStatus = "ready" if badge.key in state.buddy.badges_ready else "locked"
        tiles.append(
            BadgeTile(
                badge, status, None, badge_progress(badge, required, actual), required, actual
            )
        )
    return tiles


def next_up(tiles: Sequence[BadgeTile], limit: int = NEXT_UP_BADGES) -> list[BadgeTile]:
    """The locked badges closest to being earned, closest first."""
    locked = [t for t in tiles if t.status == "locked"]
    return sorted(locked, key=lambda t: (-t.progress, t.badge.key))[:limit]
