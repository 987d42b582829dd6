"""``/widget/*``: what the embedded widget reads and does, with a widget token for one buddy.

Every route takes the buddy from the token (``widget: WidgetCaller``), never from the URL,
and asks the grant for its scope: ``read`` for reads, ``events:track`` to track,
``items:equip`` to rerender. An embed token only reads. ``/widget/state`` is what the loader
polls: everything its mounts show, with an ``ETag`` so an unchanged state costs a ``304``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.companions.buddies import BuddyState
from application.companions.progression import Progression
from application.ingestion.ingestion import Ingestion
from application.widgets.widgets import BadgeTile, Widgets, badge_tiles, next_up
from domain.companions.appearance import STAGE_NAMES
from domain.companions.operation import TERMINAL_OPERATION_STATUSES
from domain.configs.rulebook import MIN_STAGE
from domain.ingestion.rules import check_evolution
from domain.shared.ids import public_id
from domain.widgets.widget_session import READ, TRACK, WidgetGrant
from infrastructure.analytics.leaderboard_queries import Board, LeaderboardQueries, Ranked
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.accepted import AcceptedOperation, accepted_operation
from interfaces.http.asset_links import badge_icon, public_origin
from interfaces.http.body import Model
from interfaces.http.companions.appearance import EQUIP_REFUSALS, AppearanceView
from interfaces.http.companions.buddies import (
    BUDDY_CHANGE_REFUSALS,
    BuddyView,
    EvolutionView,
    buddy_state_view,
    evolution_view,
)
from interfaces.http.companions.operations import OperationView, operation_view
from interfaces.http.companions.progression import StreakView, streak_view
from interfaces.http.consistency import read_your_writes
from interfaces.http.etag import etag_of, matches
from interfaces.http.ingestion.events import (
    INGEST_REFUSALS,
    EventRequest,
    EventType,
    IngestedEvent,
    ingest_one,
)
from interfaces.http.routing import Access, get, post
from interfaces.http.widget_auth import WidgetCaller, WidgetRoutes
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


WIDGET_READ_REFUSALS = ("resource_not_found",)
"""What every widget route can answer besides its credential's own refusals (``Access.WIDGET``:
an expired token, a revoked session): a buddy (or its record) that is gone."""
WIDGET_ACTION_REFUSALS = (*WIDGET_READ_REFUSALS, "forbidden")
"""An action also refuses an embed token (read-only): ``forbidden``."""


class CoinBalance(msgspec.Struct):
    balance: int
    lifetime: int


class TokenSlot(msgspec.Struct):
    key: str
    label: str
    balance: int
    lifetime: int


class WalletView(msgspec.Struct):
    coins: CoinBalance
    primary: TokenSlot
    progression: TokenSlot


class BadgeCondition(msgspec.Struct):
    kind: str
    required: Any
    actual: Any


class BadgeTileView(msgspec.Struct):
    badge_key: str
    name: str
    description: str
    status: str
    awarded_at: datetime | None
    coin_reward: int | None
    icon_url: str
    progress: float
    condition: BadgeCondition


class BadgesView(msgspec.Struct):
    data: list[BadgeTileView]
    earned: int
    total: int
    next_up: list[BadgeTileView]


class ThemeView(msgspec.Struct):
    theme: str
    surface: str
    geometry: str
    motion_profile: str
    reward_voice: str
    iconography: str
    typography: str


class RankedLine(msgspec.Struct):
    rank: int
    name: str
    evolution_stage: int
    value: int
    me: bool


class WidgetBoard(msgspec.Struct):
    metric: str
    window: str
    total: int
    data: list[RankedLine]
    me: RankedLine | None
    neighbors: list[RankedLine]


class PendingOperation(msgspec.Struct):
    operation_id: str
    type: str
    status: str
    created_at: datetime


class WidgetAppearance(AppearanceView):
    """The buddy's ``appearance`` with its picture URLs alongside."""

    image_url: str | None
    base_image_url: str | None
    thumb_url: str | None


class WidgetState(msgspec.Struct):
    buddy: BuddyView
    stage_name: str | None
    appearance: WidgetAppearance
    token_type: str
    scopes: list[str]
    expires_at: datetime
    pending_operations: list[PendingOperation]
    tokens: WalletView
    badges: BadgesView
    theme: ThemeView


class StageLine(msgspec.Struct):
    stage: int
    name: str
    status: Literal["reached", "next", "locked"]
    reached_at: datetime | None
    operation_id: str | None
    conditions: dict[str, Any] | None


class WidgetEvolutions(msgspec.Struct):
    buddy_id: str
    max_stage: int
    stages: list[StageLine]
    next: EvolutionView


def tokens_view(state: BuddyState) -> WalletView:
    ledger, slots = state.ledger, state.rulebook.token_config
    labels = {slots.primary.token_key: slots.primary.label}
    labels[slots.progression.token_key] = slots.progression.label

    def slot(key: str) -> TokenSlot:
        return TokenSlot(
            key=key,
            label=labels.get(key, key),
            balance=ledger.balance(key),
            lifetime=ledger.lifetime_earned(key),
        )

    return WalletView(
        coins=CoinBalance(
            balance=ledger.balance("coins"), lifetime=ledger.lifetime_earned("coins")
        ),
        primary=slot(ledger.token_keys["primary"]),
        progression=slot(ledger.token_keys["progression"]),
    )


def tile_view(tile: BadgeTile, origin: str) -> BadgeTileView:
    return BadgeTileView(
        badge_key=tile.badge.key,
        name=tile.badge.name,
        description=tile.badge.description,
        status=tile.status,
        awarded_at=tile.awarded_at,
        coin_reward=tile.badge.coin_reward,
        icon_url=badge_icon(origin, tile.badge),
        progress=round(tile.progress, 4),
        condition=BadgeCondition(
            kind=tile.badge.condition.kind, required=tile.required, actual=tile.actual
        ),
    )


def badges_view(state: BuddyState, origin: str) -> BadgesView:
    tiles = badge_tiles(state)
    return BadgesView(
        data=[tile_view(t, origin) for t in tiles],
        earned=sum(1 for t in tiles if t.status == "earned"),
        total=len(tiles),
        next_up=[tile_view(t, origin) for t in next_up(tiles)],
    )


def theme_view(theme: str) -> ThemeView:
    return ThemeView(theme=theme, **THEME_AXES)


def ranked_entry(entry: Ranked, grant: WidgetGrant) -> RankedLine:
    """A leaderboard line as a browser may see it: no other user's ids, only display data."""
    return RankedLine(
        rank=entry.rank,
        name=entry.name,
        evolution_stage=entry.evolution_stage,
        value=entry.score,
        me=entry.buddy_id == grant.buddy_id,
    )


def widget_board_view(board: Board, grant: WidgetGrant) -> WidgetBoard:
    focus = board.focus
    return WidgetBoard(
        metric=board.metric,
        window=board.window,
        total=board.total,
        data=[ranked_entry(e, grant) for e in board.top],
        me=ranked_entry(focus, grant) if focus else None,
        neighbors=[ranked_entry(e, grant) for e in board.neighbours],
    )


def pending_operations(
    request: Request[Any, Any, Any], views: ViewStore, grant: WidgetGrant
) -> list[PendingOperation]:
    read_your_writes(request, "operations")
    rows = views.rows(
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
        PendingOperation(
            operation_id=f"op_{row['operation_id']}",
            type=row["type"],
            status=row["status"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )
        for row in rows
    ]


def state_view(
    request: Request[Any, Any, Any], widgets: Widgets, views: ViewStore, grant: WidgetGrant
) -> WidgetState:
    state = widgets.state(grant)
    buddy = buddy_state_view(state, public_origin(request))
    return WidgetState(
        buddy=buddy,
        stage_name=STAGE_NAMES.get(state.buddy.evolution_stage),
        appearance=WidgetAppearance(
            status=buddy.appearance.status,
            rendered_equipped_item_ids=buddy.appearance.rendered_equipped_item_ids,
            error=buddy.appearance.error,
            image_url=buddy.image_url,
            base_image_url=buddy.base_image_url,
            thumb_url=buddy.thumb_url,
        ),
        token_type=grant.kind,
        scopes=list(grant.scopes),
        expires_at=grant.expires_at,
        pending_operations=pending_operations(request, views, grant),
        tokens=tokens_view(state),
        badges=badges_view(state, public_origin(request)),
        theme=theme_view(widgets.theme(grant)),
    )


def stage_status(number: int, stage: int) -> Literal["reached", "next", "locked"]:
    if number <= stage:
        return "reached"
    return "next" if number == stage + 1 else "locked"


class WidgetController(WidgetRoutes):
    @get(
        "/state",
        access=Access.WIDGET,
        errors=WIDGET_READ_REFUSALS,
        summary="Everything the widget shows, with an ETag (304 when unchanged)",
    )
    def state(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
        views: NamedDependency[ViewStore],
    ) -> Response[WidgetState]:
        state = state_view(request, widgets, views, widget)
        etag = etag_of(msgspec.json.encode(state))
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if matches(request.headers.get("if-none-match"), etag):
            unchanged = Response(content=b"", status_code=304, headers=headers)
            return cast("Response[WidgetState]", unchanged)
        return Response(state, headers=headers)

    @get("/buddy", access=Access.WIDGET, errors=WIDGET_READ_REFUSALS, summary="The token's buddy")
    def buddy(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
    ) -> BuddyView:
        return buddy_state_view(widgets.state(widget), public_origin(request))

    @get(
        "/badges",
        access=Access.WIDGET,
        feature="badges",
        errors=WIDGET_READ_REFUSALS,
        summary="Earned badges and the next ones to earn",
    )
    def badges(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
    ) -> BadgesView:
        return badges_view(widgets.state(widget), public_origin(request))

    @get(
        "/tokens",
        access=Access.WIDGET,
        feature="tokens",
        errors=WIDGET_READ_REFUSALS,
        summary="The buddy's wallet: coins and both token slots",
    )
    def tokens(self, widget: WidgetCaller, widgets: NamedDependency[Widgets]) -> WalletView:
        return tokens_view(widgets.state(widget))

    @get(
        "/evolutions",
        access=Access.WIDGET,
        errors=WIDGET_READ_REFUSALS,
        summary="The buddy's stages: reached, next, locked",
    )
    def evolutions(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
        views: NamedDependency[ViewStore],
    ) -> WidgetEvolutions:
        state = widgets.state(widget)
        read_your_writes(request, "buddy_evolutions")
        reached = {
            row["stage"]: row
            for row in views.rows(EVOLUTIONS.name, {"buddy_id": widget.buddy_id.hex})
        }
        buddy, rulebook = state.buddy, state.rulebook
        check = check_evolution(rulebook, buddy.progress_state(state.ledger.wallet()))
        stages = []
        for number in range(MIN_STAGE, rulebook.max_stage + 1):
            row = reached.get(number)
            configured = rulebook.evolution.stage(number)
            stages.append(
                StageLine(
                    stage=number,
                    name=STAGE_NAMES[number],
                    status=stage_status(number, buddy.evolution_stage),
                    reached_at=datetime.fromisoformat(row["reached_at"]) if row else None,
                    operation_id=f"op_{row['operation_id']}"
                    if row and row["operation_id"]
                    else None,
                    conditions=configured.conditions.to_dict() if configured else None,
                )
            )
        return WidgetEvolutions(
            buddy_id=public_id("buddy", buddy.id),
            max_stage=rulebook.max_stage,
            stages=stages,
            next=evolution_view(buddy.evolution_stage, check),
        )

    @get(
        "/operations/{operation_id:str}",
        access=Access.WIDGET,
        errors=WIDGET_READ_REFUSALS,
        summary="One of the buddy's operations",
    )
    def operation(
        self, widget: WidgetCaller, widgets: NamedDependency[Widgets], operation_id: FromPath[str]
    ) -> OperationView:
        return operation_view(widgets.operation(widget, operation_id))

    @get(
        "/leaderboard",
        access=Access.WIDGET,
        errors=WIDGET_READ_REFUSALS,
        summary="The tenant's leaderboard around the token's buddy (display names only)",
    )
    def leaderboard(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        leaderboard: NamedDependency[LeaderboardQueries],
        metric: FromQuery[Literal["coins_earned", "xp", "stage"]] = "coins_earned",
        window: FromQuery[Literal["all_time", "monthly", "weekly"]] = "all_time",
        limit: Annotated[
            int, QueryParameter(name="limit", ge=1, le=LEADERBOARD_MAX)
        ] = LEADERBOARD_LIMIT,
    ) -> WidgetBoard:
        widget.require(READ)
        read_your_writes(request, LeaderboardView.name)
        board = leaderboard.board(widget.tenant, metric, window, limit, buddy_id=widget.buddy_id)
        return widget_board_view(board, widget)

    @get(
        "/streak/{key:str}",
        access=Access.WIDGET,
        feature="streaks",
        errors=WIDGET_READ_REFUSALS,
        summary="One streak of the buddy as of now: count, display mode, this period, freezes",
    )
    def streak(
        self,
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
        progression: NamedDependency[Progression],
        key: FromPath[str],
    ) -> StreakView:
        return streak_view(progression.streak(widget.tenant, widgets.buddy(widget), key))

    @get(
        "/theme",
        access=Access.WIDGET,
        errors=WIDGET_READ_REFUSALS,
        summary="The customer's live widget theme",
    )
    def theme(self, widget: WidgetCaller, widgets: NamedDependency[Widgets]) -> ThemeView:
        return theme_view(widgets.theme(widget))

    @post(
        "/track",
        access=Access.WIDGET,
        body=TrackRequest,
        errors=(*WIDGET_ACTION_REFUSALS, *INGEST_REFUSALS),
        status_code=200,
        summary="Track an event for the token's user and buddy; same answer as POST /events",
    )
    def track(
        self,
        request: Request[Any, Any, Any],
        widget: WidgetCaller,
        widgets: NamedDependency[Widgets],
        ingestion: NamedDependency[Ingestion],
        data: JSONBody[TrackRequest],
    ) -> IngestedEvent:
        buddy = widgets.buddy(widget, TRACK)
        event = EventRequest(
            event_id=widgets.event_id(widget, data.event_id),
            user_id=widget.user_id,
            type=data.type,
            occurred_at=data.occurred_at,
            properties=data.properties,
            buddy_id=buddy,
        )
        return ingest_one(
            ingestion, widget.tenant, event, request, session_issued_at=widget.issued_at
        )

    @post(
        "/appearance/rerender",
        access=Access.WIDGET,
        errors=(*WIDGET_ACTION_REFUSALS, *EQUIP_REFUSALS, *BUDDY_CHANGE_REFUSALS),
        status_code=202,
        summary="Draw the buddy again (an operation; poll /widget/operations/{id})",
    )
    def rerender(
        self, widget: WidgetCaller, widgets: NamedDependency[Widgets]
    ) -> AcceptedOperation:
        return accepted_operation(widgets.rerender(widget))
