"""Minting browser credentials: ``/widget-sessions`` (tracked, revocable) and ``/embed-tokens``.

Both need an existing buddy of the caller's tenant (another tenant's buddy is 404) and are
minted server-side with a secret key or a dashboard token; a publishable key may mint embed
tokens only, which is why that route also answers cross-origin calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.widgets.widgets import Widgets
from domain.shared.ids import public_id
from domain.widgets.widget_session import (
    EMBED_MAX_TTL_SECONDS,
    SESSION_MAX_TTL_SECONDS,
    WIDGET_SCOPES,
    WidgetSession,
)
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.browser_cors import BrowserCors
from interfaces.http.consistency import read_your_writes
from interfaces.http.ingestion.events import UserId
from interfaces.http.routing import Access, Limit, delete, get, post
from interfaces.widget import snippet

Scope = Literal["read", "events:track", "marketplace:browse", "marketplace:purchase", "items:equip"]
"""The domain's ``WIDGET_SCOPES``, spelled out so the schema can list them."""
BuddyId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class SessionRequest(Model):
    buddy_id: BuddyId
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=len(WIDGET_SCOPES))]
    user_id: UserId | None = None
    ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=SESSION_MAX_TTL_SECONDS)] = (
        SESSION_MAX_TTL_SECONDS
    )


class EmbedRequest(Model):
    buddy_id: BuddyId
    ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=EMBED_MAX_TTL_SECONDS)] = (
        EMBED_MAX_TTL_SECONDS
    )


class SessionView(msgspec.Struct):
    session_id: str
    buddy_id: str
    user_id: str
    scopes: list[str]
    status: str
    expires_at: datetime
    created_at: datetime
    activated_at: datetime | None
    revoked_at: datetime | None


class MintedSession(SessionView):
    """A session as it is minted: with its token, shown only here."""

    token: str


class EmbedView(msgspec.Struct):
    token: str
    expires_at: datetime


class EmbedToken(EmbedView):
    buddy_id: str


class PreviewView(msgspec.Struct):
    buddy_id: str
    session: MintedSession
    embed: EmbedView
    snippet: str


def session_view(session: WidgetSession, now: datetime) -> SessionView:
    return SessionView(
        session_id=public_id("widget_session", session.id),
        buddy_id=public_id("buddy", session.buddy_id),
        user_id=session.user_id,
        scopes=list(session.scopes),
        status=session.status_at(now),
        expires_at=session.expires_at,
        created_at=session.created_on,
        activated_at=session.activated_at,
        revoked_at=session.revoked_at,
    )


def minted_session(session: WidgetSession, now: datetime, token: str) -> MintedSession:
    return MintedSession(**msgspec.structs.asdict(session_view(session, now)), token=token)


class WidgetSessionController(Controller):
    path = "/widget-sessions"
    tags = ["widgets"]

    @post(
        access=Access.SECRET,
        limit=Limit.WIDGET,
        body=SessionRequest,
        errors=("resource_not_found",),
        status_code=201,
        summary="Mint an interactive widget session token (scoped, at most 1 h, revocable)",
    )
    def create(
        self, principal: Caller, widgets: NamedDependency[Widgets], data: JSONBody[SessionRequest]
    ) -> MintedSession:
        session, token = widgets.open_session(
            principal.tenant,
            data.buddy_id,
            data.user_id,
            data.scopes,
            data.ttl_seconds,
            principal.actor,
        )
        return minted_session(session, widgets.now(), token)

    @get(
        "/preview",
        access=Access.DASHBOARD,
        limit=Limit.WIDGET,
        errors=("resource_not_found",),
        summary="Read-only preview tokens and snippet for the dashboard (15 minutes)",
    )
    def preview(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        widgets: NamedDependency[Widgets],
        buddy_id: FromQuery[str | None] = None,
    ) -> PreviewView:
        if buddy_id is None:
            read_your_writes(request, "buddies")  # the newest buddy comes from the view
        preview = widgets.preview(principal.tenant, buddy_id, principal.actor)
        script = str(request.base_url).rstrip("/") + "/widget.js"
        return PreviewView(
            buddy_id=preview.buddy_id,
            session=minted_session(preview.session, widgets.now(), preview.session_token),
            embed=EmbedView(token=preview.embed.token, expires_at=preview.embed.grant.expires_at),
            snippet=snippet(script, "data-embed-token", preview.embed.token),
        )

    @get(
        "/{session_id:str}",
        access=Access.SECRET,
        limit=Limit.WIDGET,
        summary="A widget session and its status",
    )
    def get_session(
        self, principal: Caller, widgets: NamedDependency[Widgets], session_id: FromPath[str]
    ) -> SessionView:
        return session_view(widgets.session(principal.tenant, session_id), widgets.now())

    @delete(
        "/{session_id:str}",
        access=Access.SECRET,
        limit=Limit.WIDGET,
        errors=("invalid_state_transition", "conflict"),
        status_code=200,
        summary="Revoke a widget session at once (its next call gets 401, reason revoked)",
    )
    def revoke(
        self, principal: Caller, widgets: NamedDependency[Widgets], session_id: FromPath[str]
    ) -> SessionView:
        session = widgets.revoke(principal.tenant, session_id, principal.actor)
        return session_view(session, widgets.now())


class EmbedTokenController(Controller):
    path = "/embed-tokens"
    tags = ["widgets"]
    middleware = [BrowserCors]

    @post(
        access=Access.READABLE,
        limit=Limit.WIDGET,
        body=EmbedRequest,
        errors=("resource_not_found",),
        status_code=201,
        summary="Mint a read-only, stateless embed token (at most 24 h)",
    )
    def create(
        self, principal: Caller, widgets: NamedDependency[Widgets], data: JSONBody[EmbedRequest]
    ) -> EmbedToken:
        issued = widgets.embed_token(principal.tenant, data.buddy_id, data.ttl_seconds)
        return EmbedToken(
            token=issued.token,
            expires_at=issued.grant.expires_at,
            buddy_id=public_id("buddy", issued.grant.buddy_id),
        )
