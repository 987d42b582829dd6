"""Minting browser credentials: ``/widget-sessions`` (tracked, revocable) and ``/embed-tokens``.

Both need an existing buddy of the caller's tenant (another tenant's buddy is 404) and are
minted server-side with a secret key or a dashboard token; a publishable key may mint embed
tokens only, which is why that route also answers cross-origin calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from domain.shared.ids import public_id
from domain.widgets.widget_session import (
    EMBED_MAX_TTL_SECONDS,
    SESSION_MAX_TTL_SECONDS,
    WIDGET_SCOPES,
    WidgetSession,
)
from interfaces.http.auth import DASHBOARD_ONLY, PUBLISHABLE_OK, Caller, container_of
from interfaces.http.body import Model, StrictBody
from interfaces.http.browser_cors import BrowserCors
from interfaces.http.consistency import read_your_writes
from interfaces.http.ingestion.events import UserId
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


def session_view(session: WidgetSession, now: datetime) -> dict[str, Any]:
    return {
        "session_id": public_id("widget_session", session.id),
        "buddy_id": public_id("buddy", session.buddy_id),
        "user_id": session.user_id,
        "scopes": list(session.scopes),
        "status": session.status_at(now),
        "expires_at": session.expires_at,
        "created_at": session.created_on,
        "activated_at": session.activated_at,
        "revoked_at": session.revoked_at,
    }


class WidgetSessionController(Controller):
    path = "/widget-sessions"
    tags = ["widgets"]

    @post(
        "/",
        dto=StrictBody[SessionRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        summary="Mint an interactive widget session token (scoped, at most 1 h, revocable)",
    )
    def create(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[SessionRequest]
    ) -> dict[str, Any]:
        widgets = container_of(request).widgets
        session, token = widgets.open_session(
            principal.tenant,
            data.buddy_id,
            data.user_id,
            data.scopes,
            data.ttl_seconds,
            principal.actor,
        )
        return {**session_view(session, widgets.now()), "token": token}

    @get(
        "/preview",
        sync_to_thread=True,
        opt=DASHBOARD_ONLY,
        summary="Read-only preview tokens and snippet for the dashboard (15 minutes)",
    )
    def preview(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        widgets = container_of(request).widgets
        if buddy_id is None:
            read_your_writes(request, "buddies")  # the newest buddy comes from the view
        preview = widgets.preview(principal.tenant, buddy_id, principal.actor)
        script = str(request.base_url).rstrip("/") + "/widget.js"
        return {
            "buddy_id": preview.buddy_id,
            "session": {
                **session_view(preview.session, widgets.now()),
                "token": preview.session_token,
            },
            "embed": {"token": preview.embed.token, "expires_at": preview.embed.grant.expires_at},
            "snippet": snippet(script, "data-embed-token", preview.embed.token),
        }

    @get("/{session_id:str}", sync_to_thread=True, summary="A widget session and its status")
    def get_session(
        self, request: Request[Any, Any, Any], principal: Caller, session_id: FromPath[str]
    ) -> dict[str, Any]:
        widgets = container_of(request).widgets
        return session_view(widgets.session(principal.tenant, session_id), widgets.now())

    @delete(
        "/{session_id:str}",
        sync_to_thread=True,
        status_code=200,
        summary="Revoke a widget session at once (its next call gets 401 token_revoked)",
    )
    def revoke(
        self, request: Request[Any, Any, Any], principal: Caller, session_id: FromPath[str]
    ) -> dict[str, Any]:
        widgets = container_of(request).widgets
        session = widgets.revoke(principal.tenant, session_id, principal.actor)
        return session_view(session, widgets.now())


class EmbedTokenController(Controller):
    path = "/embed-tokens"
    tags = ["widgets"]
    middleware = [BrowserCors]

    @post(
        "/",
        dto=StrictBody[EmbedRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        opt=PUBLISHABLE_OK,
        summary="Mint a read-only, stateless embed token (at most 24 h)",
    )
    def create(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[EmbedRequest]
    ) -> dict[str, Any]:
        widgets = container_of(request).widgets
        issued = widgets.embed_token(principal.tenant, data.buddy_id, data.ttl_seconds)
        return {
            "token": issued.token,
            "expires_at": issued.grant.expires_at,
            "buddy_id": public_id("buddy", issued.grant.buddy_id),
        }
