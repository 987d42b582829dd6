"""``/widget/*``: what the embedded widget reads and does, with a widget token for one buddy.

Every route takes the buddy from the token (``widget: WidgetCaller``), never from the URL,
and asks the grant for its scope: ``read`` for reads, ``events:track`` to track,
``items:equip`` to rerender. An embed token only reads. ``/widget/state`` is what the loader
polls: everything its mounts show, with an ``ETag`` so an unchanged state costs a ``304``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.companions.buddies import BuddyState
from application.widgets.widgets import BadgeTile, badge_tiles, next_up
from domain.companions.appearance import STAGE_NAMES
from domain.companions.operation import TERMINAL_OPERATION_STATUSES
from domain.configs.rulebook import MIN_STAGE
from domain.ingestion.rules import check_evolution
from domain.shared.ids import public_id
from domain.widgets.widget_session import READ, TRACK, WidgetGrant
from infrastructure.analytics.leaderboard_queries import Board, Ranked
from interfaces.http.asset_links import public_origin
from interfaces.http.auth import container_of
from interfaces.http.body import Model, StrictBody
from interfaces.http.browser_cors import BrowserCors
from interfaces.http.companions.buddies import buddy_view, evolution_view
from interfaces.http.companions.operations import (
    AcceptedOperation,
    accepted_operation,
    operation_view,
)
from interfaces.http.consistency import read_your_writes
from interfaces.http.etag import etag_of, matches
from interfaces.http.ingestion.events import EventRequest, EventType, ingest_one
from interfaces.http.widget_auth import WIDGET_DEPENDENCIES, WidgetCaller
from projections.analytics.leaderboard import LeaderboardView
from projections.companions.evolutions import EVOLUTIONS
from projections.companions.operations import OPERATIONS

LEADERBOARD_LIMIT = 5
LEADERBOARD_MAX = 20
UNFINISHED = [("!=", status) for status in sorted(TERMINAL_OPERATION_STATUSES)]
THEME_AXES = {
    "surface": "paper",
    "geometry": "rounded",
    "motion_profile": "standard",
    "reward_voice": "joyful",
    "iconography": "geometric",
    "typography": "sans-serif-modern",
}


ClientEventId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
"""Recorded as ``wgt_<buddy>_<event_id>`` (see ``Widgets.event_id``), within the 256 allowed."""


class TrackRequest(Model):
    type: EventType
    event_id: ClientEventId | None = None
    properties: dict[str, Any] = {}
    occurred_at: datetime | None = None


def tokens_view(state: BuddyState) -> dict[str, Any]:
    ledger, slots = state.ledger, state.rulebook.token_config
    labels = {slots.primary.token_key: slots.primary.label}
    labels[slots.progression.token_key] = slots.progression.label

    def slot(key: str) -> dict[str, Any]:
        return {
            "key": key,
            "label": labels.get(key, key),
            "balance": ledger.balance(key),
            "lifetime": ledger.lifetime_earned(key),
        }

    return {
        "coins": {"balance": ledger.balance("coins"), "lifetime": ledger.lifetime_earned("coins")},
        "primary": slot(ledger.token_keys["primary"]),
        "progression": slot(ledger.token_keys["progression"]),
    }


def tile_view(tile: BadgeTile) -> dict[str, Any]:
    return {
        "badge_key": tile.badge.key,
        "name": tile.badge.name,
        "description": tile.badge.description,
        "status": tile.status,
        "awarded_at": tile.awarded_at,
        "coin_reward": tile.badge.coin_reward,
        "progress": round(tile.progress, 4),
        "condition": {
            "kind": tile.badge.condition.kind,
            "required": tile.required,
            "actual": tile.actual,
        },
    }


def badges_view(state: BuddyState) -> dict[str, Any]:
    tiles = badge_tiles(state)
    return {
        "data": [tile_view(t) for t in tiles],
        "earned": sum(1 for t in tiles if t.status == "earned"),
        "total": len(tiles),
        "next_up": [tile_view(t) for t in next_up(tiles)],
    }


def theme_view(theme: str) -> dict[str, Any]:
    return {"theme": theme, **THEME_AXES}


def ranked_entry(entry: Ranked, grant: WidgetGrant) -> dict[str, Any]:
    """A leaderboard line as a browser may see it: no other user's ids, only display data."""
    return {
        "rank": entry.rank,
        "name": entry.name,
        "evolution_stage": entry.evolution_stage,
        "value": entry.score,
        "me": entry.buddy_id == grant.buddy_id,
    }


def widget_board_view(board: Board, grant: WidgetGrant) -> dict[str, Any]:
    focus = board.focus
    return {
        "metric": board.metric,
        "window": board.window,
        "total": board.total,
        "data": [ranked_entry(e, grant) for e in board.top],
        "me": ranked_entry(focus, grant) if focus else None,
        "neighbors": [ranked_entry(e, grant) for e in board.neighbours],
    }


def pending_operations(request: Request[Any, Any, Any], grant: WidgetGrant) -> list[dict[str, Any]]:
    read_your_writes(request, "operations")
    rows = container_of(request).views.rows(
        OPERATIONS.name,
        {
            "customer_id": grant.tenant.customer_id.hex,
            "mode": grant.tenant.mode,
            "buddy_id": grant.buddy_id.hex,
            "status": UNFINISHED,
        },
        order_by=[("created_at", False), ("operation_id", False)],
    )
    return [
        {
            "operation_id": f"op_{row['operation_id']}",
            "type": row["type"],
            "status": row["status"],
            "created_at": datetime.fromisoformat(row["created_at"]),
        }
        for row in rows
    ]


def state_view(request: Request[Any, Any, Any], grant: WidgetGrant) -> dict[str, Any]:
    widgets = container_of(request).widgets
    state = widgets.state(grant)
    buddy = buddy_view(state, public_origin(request))
    return {
        "buddy": buddy,
        "stage_name": STAGE_NAMES.get(state.buddy.evolution_stage),
        "appearance": {
            **buddy["appearance"],
            "image_url": buddy["image_url"],
            "base_image_url": buddy["base_image_url"],
            "thumb_url": buddy["thumb_url"],
        },
        "token_type": grant.kind,
        "scopes": list(grant.scopes),
        "expires_at": grant.expires_at,
        "pending_operations": pending_operations(request, grant),
        "tokens": tokens_view(state),
        "badges": badges_view(state),
        "theme": theme_view(widgets.theme(grant)),
    }


class WidgetController(Controller):
    path = "/widget"
    tags = ["widget API"]
    dependencies = WIDGET_DEPENDENCIES
    middleware = [BrowserCors]

    @get(
        "/state",
        sync_to_thread=True,
        summary="Everything the widget shows, with an ETag (304 when unchanged)",
    )
    def state(self, request: Request[Any, Any, Any], widget: WidgetCaller) -> Response[Any]:
        body = msgspec.json.encode(state_view(request, widget))
        etag = etag_of(body)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if matches(request.headers.get("if-none-match"), etag):
            return Response(content=b"", status_code=304, headers=headers)
        return Response(content=body, media_type="application/json", headers=headers)

    @get("/buddy", sync_to_thread=True, summary="The token's buddy")
    def buddy(self, request: Request[Any, Any, Any], widget: WidgetCaller) -> dict[str, Any]:
        return buddy_view(container_of(request).widgets.state(widget), public_origin(request))

    @get("/badges", sync_to_thread=True, summary="Earned badges and the next ones to earn")
    def badges(self, request: Request[Any, Any, Any], widget: WidgetCaller) -> dict[str, Any]:
        return badges_view(container_of(request).widgets.state(widget))

    @get("/tokens", sync_to_thread=True, summary="The buddy's wallet: coins and both token slots")
    def tokens(self, request: Request[Any, Any, Any], widget: WidgetCaller) -> dict[str, Any]:
        return tokens_view(container_of(request).widgets.state(widget))

    @get("/evolutions", sync_to_thread=True, summary="The buddy's stages: reached, next, locked")
    def evolutions(self, request: Request[Any, Any, Any], widget: WidgetCaller) -> dict[str, Any]:
        container = container_of(request)
        state = container.widgets.state(widget)
        read_your_writes(request, "buddy_evolutions")
        reached = {
            row["stage"]: row
            for row in container.views.rows(EVOLUTIONS.name, {"buddy_id": widget.buddy_id.hex})
        }
        buddy, rulebook = state.buddy, state.rulebook
        check = check_evolution(rulebook, buddy.progress_state(state.ledger.wallet()))
        stages = []
        for number in range(MIN_STAGE, rulebook.max_stage + 1):
            row = reached.get(number)
            configured = rulebook.evolution.stage(number)
            stages.append(
                {
                    "stage": number,
                    "name": STAGE_NAMES[number],
                    "status": "reached"
                    if number <= buddy.evolution_stage
                    else ("next" if number == buddy.evolution_stage + 1 else "locked"),
                    "reached_at": datetime.fromisoformat(row["reached_at"]) if row else None,
                    "operation_id": f"op_{row['operation_id']}"
                    if row and row["operation_id"]
                    else None,
                    "conditions": configured.conditions.to_dict() if configured else None,
                }
            )
        return {
            "buddy_id": public_id("buddy", buddy.id),
            "max_stage": rulebook.max_stage,
            "stages": stages,
            "next": evolution_view(buddy.evolution_stage, check),
        }

    @get(
        "/operations/{operation_id:str}",
        sync_to_thread=True,
        summary="One of the buddy's operations",
    )
    def operation(
        self, request: Request[Any, Any, Any], widget: WidgetCaller, operation_id: FromPath[str]
    ) -> Any:
        return operation_view(container_of(request).widgets.operation(widget, operation_id))

    @get(
        "/leaderboard",
        sync_to_thread=True,
        summary="The tenant's leaderboard around the token's buddy (display names only)",
    )
    def leaderboard(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        metric: FromQuery[Literal["coins_earned", "xp", "stage"]] = "coins_earned",
        window: FromQuery[Literal["all_time", "monthly", "weekly"]] = "all_time",
        limit: Annotated[
            int, QueryParameter(name="limit", ge=1, le=LEADERBOARD_MAX)
        ] = LEADERBOARD_LIMIT,
    ) -> dict[str, Any]:
        widget.require(READ)
        container = container_of(request)
        read_your_writes(request, LeaderboardView.name)
        board = container.leaderboard.board(
            widget.tenant, metric, window, limit, buddy_id=widget.buddy_id
        )
        return widget_board_view(board, widget)

    @get("/theme", sync_to_thread=True, summary="The customer's live widget theme")
    def theme(self, request: Request[Any, Any, Any], widget: WidgetCaller) -> dict[str, Any]:
        return theme_view(container_of(request).widgets.theme(widget))

    @post(
        "/track",
        dto=StrictBody[TrackRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Track an event for the token's user and buddy; same answer as POST /events",
    )
    def track(
        self, request: Request[Any, Any, Any], widget: WidgetCaller, data: JSONBody[TrackRequest]
    ) -> dict[str, Any]:
        widget.require(TRACK)
        container = container_of(request)
        event = EventRequest(
            event_id=container.widgets.event_id(widget, data.event_id),
            user_id=widget.user_id,
            type=data.type,
            occurred_at=data.occurred_at,
            properties=data.properties,
            buddy_id=public_id("buddy", widget.buddy_id),
        )
        return ingest_one(container, widget.tenant, event, session_issued_at=widget.issued_at)

    @post(
        "/appearance/rerender",
        sync_to_thread=True,
        status_code=202,
        summary="Draw the buddy again (an operation; poll /widget/operations/{id})",
    )
    def rerender(self, request: Request[Any, Any, Any], widget: WidgetCaller) -> AcceptedOperation:
        return accepted_operation(container_of(request).widgets.rerender(widget))
