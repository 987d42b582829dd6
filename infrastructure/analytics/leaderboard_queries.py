"""Reading the leaderboard view: a tenant's top N and one buddy's place, in SQL.

The order is total and deterministic: the higher score first; on a tie, whoever reached it
first (the time of the last credit, or of the evolution, in the window); then the buddy id.
Ranks are positions in that order (1, 2, 3, … — no shared ranks). A buddy's rank and its
neighbours come from one statement (``ROW_NUMBER()`` over the tenant's board), so a write
landing meanwhile cannot pair a rank with the wrong buddy. Archived buddies are not ranked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.shared.ports import Clock
from domain.configs.rulebook import COINS
from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
from projections.analytics.leaderboard import (
    LEADERBOARD_BUDDIES,
    LEADERBOARD_EARNINGS,
    LEADERBOARD_LEDGERS,
    LEADERBOARD_STAGES,
    Metric,
    Window,
    bounds_of,
    period_of,
)

NEIGHBOURS = 3
_ORDER = "score DESC, reached_at ASC, buddy_id ASC"
_BUDDY_COLUMNS = "b.buddy_id, b.user_id, b.name, b.evolution_stage"
_TENANT = "b.customer_id = {p} AND b.mode = {p} AND b.status = 'active'"


@dataclass(frozen=True)
class Ranked:
    rank: int
    buddy_id: UUID
    user_id: str
    name: str
    evolution_stage: int
    score: int
    reached_at: str


@dataclass(frozen=True)
class Board:
    metric: Metric
    window: Window
    period_start: datetime | None
    period_end: datetime | None
    total: int
    top: list[Ranked]
    focus: Ranked | None = None
    neighbours: tuple[Ranked, ...] = ()


class LeaderboardQueries:
    def __init__(self, views: ViewStore, clock: Clock) -> None:
        self._views = views
        self._clock = clock

    def board(
        self,
        tenant: Tenant,
        metric: Metric,
        window: Window,
        limit: int,
        *,
        buddy_id: UUID | None = None,
        at: datetime | None = None,
    ) -> Board:
        """The top ``limit`` of the window containing ``at`` (default: now), and with
        ``buddy_id`` that buddy's rank with up to three neighbours on each side."""
        moment = at or self._clock.now()
        scores, params = _scores(tenant, metric, period_of(window, moment))
        start, end = bounds_of(window, moment)
        rows = self._views.select(
            f"SELECT s.*, COUNT(*) OVER () AS total FROM ({scores}) s"
            f" ORDER BY {_ORDER} LIMIT {int(limit)}",
            params,
        )
        total = int(rows[0]["total"]) if rows else 0
        board = Board(metric, window, start, end, total, _ranked(rows, first_rank=1))
        if buddy_id is None:
            return board
        around = self._views.select(
            f"WITH ranked AS (SELECT s.*, ROW_NUMBER() OVER (ORDER BY {_ORDER}) AS position"
            f" FROM ({scores}) s), focus AS (SELECT position FROM ranked WHERE buddy_id = {{p}})"
            " SELECT ranked.* FROM ranked, focus"
            f" WHERE ranked.position BETWEEN focus.position - {NEIGHBOURS}"
            f" AND focus.position + {NEIGHBOURS} ORDER BY ranked.position",
            [*params, buddy_id.hex],
        )
        if not around:
            return board
        entries = _ranked(around, first_rank=int(around[0]["position"]))
        focus = next(e for e in entries if e.buddy_id == buddy_id)
        neighbours = tuple(e for e in entries if e is not focus)
        return Board(metric, window, start, end, total, board.top, focus, neighbours)


def _ranked(rows: list[dict[str, Any]], *, first_rank: int) -> list[Ranked]:
    """Rows already in rank order, the first of them at ``first_rank``."""
    return [
        Ranked(
            rank=first_rank + index,
            buddy_id=UUID(hex=row["buddy_id"]),
            user_id=row["user_id"],
            name=row["name"],
            evolution_stage=int(row["evolution_stage"]),
            score=int(row["score"]),
            reached_at=row["reached_at"],
        )
        for index, row in enumerate(rows)
    ]


def _scores(tenant: Tenant, metric: Metric, period: str) -> tuple[str, list[Any]]:
    """The SQL (with ``{p}`` placeholders) of one row per ranked buddy, and its parameters."""
    params: list[Any] = [tenant.customer_id.hex, tenant.mode, period]
    if metric == "stage":
        sql = (
            f"SELECT {_BUDDY_COLUMNS}, x.stage AS score, x.reached_at"
            f" FROM {LEADERBOARD_STAGES.name} x"
            f" JOIN {LEADERBOARD_BUDDIES.name} b ON b.buddy_id = x.buddy_id"
            f" WHERE {_TENANT} AND x.period = {{p}}"
        )
        return sql, params
    if metric == "coins_earned":
        currency = "x.currency = {p}"
        params.append(COINS)
    else:
        currency = "x.currency = l.progression_key"
    sql = (
        f"SELECT {_BUDDY_COLUMNS}, x.amount AS score, x.reached_at"
        f" FROM {LEADERBOARD_EARNINGS.name} x"
        f" JOIN {LEADERBOARD_LEDGERS.name} l ON l.ledger_id = x.ledger_id"
        f" JOIN {LEADERBOARD_BUDDIES.name} b ON b.buddy_id = l.buddy_id"
        f" WHERE {_TENANT} AND x.period = {{p}} AND {currency}"
    )
    return sql, params
