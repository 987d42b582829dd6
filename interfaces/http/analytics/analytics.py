"""``GET /analytics``: the seed's "Get leaderboard" — a tenant's buddies ranked by a metric."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from application.companions.buddies import Buddies
from domain.shared.ids import public_id
from infrastructure.analytics.leaderboard_queries import Board, LeaderboardQueries, Ranked
from interfaces.http.auth import Caller
from interfaces.http.consistency import read_your_writes
from interfaces.http.routing import Access, get
from projections.analytics.leaderboard import LeaderboardView

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class RankedView(msgspec.Struct):
    rank: int
    buddy_id: str
    user_id: str
    name: str
    evolution_stage: int
    value: int


class BuddyRankView(msgspec.Struct):
    buddy_id: str
    rank: int | None
    value: int
    neighbors: list[RankedView]


class BoardView(msgspec.Struct, omit_defaults=True):
    metric: str
    window: str
    period_start: datetime | None
    period_end: datetime | None
    total: int
    data: list[RankedView]
    buddy: BuddyRankView | None = None


def ranked_view(entry: Ranked) -> RankedView:
    return RankedView(
        rank=entry.rank,
        buddy_id=public_id("buddy", entry.buddy_id),
        user_id=entry.user_id,
        name=entry.name,
        evolution_stage=entry.evolution_stage,
        value=entry.score,
    )


def board_view(board: Board, buddy_id: str | None) -> BoardView:
    focus = board.focus
    return BoardView(
        metric=board.metric,
        window=board.window,
        period_start=board.period_start,
        period_end=board.period_end,
        total=board.total,
        data=[ranked_view(entry) for entry in board.top],
        buddy=BuddyRankView(
            buddy_id=buddy_id,
            rank=focus.rank if focus else None,
            value=focus.score if focus else 0,
            neighbors=[ranked_view(entry) for entry in board.neighbours],
        )
        if buddy_id is not None
        else None,
    )


class AnalyticsController(Controller):
    path = "/analytics"
    tags = ["analytics"]

    @get(
        access=Access.READABLE,
        errors=("resource_not_found",),
        summary="Get leaderboard",
        description=(
            "Buddies ranked by coins earned, XP (the progression token earned) or evolution "
            "stage, over all time or the current UTC month or week (weeks start on Monday). "
            "With `buddy_id`, also that buddy's rank and up to three neighbours on each side."
        ),
    )
    def leaderboard(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddies: NamedDependency[Buddies],
        leaderboard: NamedDependency[LeaderboardQueries],
        metric: FromQuery[Literal["coins_earned", "xp", "stage"]] = "coins_earned",
        window: FromQuery[Literal["all_time", "monthly", "weekly"]] = "all_time",
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        buddy_id: FromQuery[str | None] = None,
        at: FromQuery[datetime | None] = None,
    ) -> BoardView:
        tenant = principal.tenant
        focus = None
        if buddy_id is not None:
            focus = buddies.load(tenant, buddy_id).id
        read_your_writes(request, LeaderboardView.name)
        board = leaderboard.board(tenant, metric, window, limit, buddy_id=focus, at=at)
        return board_view(board, public_id("buddy", focus) if focus else None)
