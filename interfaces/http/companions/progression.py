"""``/buddies/{id}/badges``, ``/progression-metrics`` and the legacy ``/progression``: what a
buddy has achieved, read as of now (``application/companions/progression.py``, decision 0042).

The streak presenter is shared with ``GET /widget/streak/{key}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.companions.buddies import BuddyState
from application.companions.progression import (
    AwardRecord,
    BadgeStanding,
    Progression,
    StreakStanding,
    badge_standings,
    streak_standings,
)
from domain.shared.ids import public_id
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.asset_links import badge_icon, public_origin, skill_icon
from interfaces.http.auth import Caller
from interfaces.http.companions.buddies import SkillView
from interfaces.http.consistency import read_your_writes
from interfaces.http.routing import Access, get
from projections.companions.badges import BADGES, BuddyBadgesView


class BadgeConditionView(msgspec.Struct):
    kind: str
    required: Any
    actual: Any


class BuddyBadgeView(msgspec.Struct):
    """A badge of the buddy: ``earned`` (with ``source`` and ``awarded_at``), ``ready`` (a
    manual badge whose condition holds, awaiting an award) or ``locked`` with ``progress``."""

    badge_key: str
    name: str
    description: str
    status: Literal["earned", "ready", "locked"]
    source: Literal["auto", "manual", "rule"] | None
    awarded_at: datetime | None
    auto_award: bool
    coin_reward: int | None
    token_rewards: dict[str, int]
    icon_url: str | None
    """The badge's icon (its own, else our procedural one); ``null`` only for a badge its
    rulebook no longer has."""
    progress: float
    condition: BadgeConditionView | None


class BuddyBadgesResponse(msgspec.Struct):
    buddy_id: str
    earned: int
    total: int
    data: list[BuddyBadgeView]


class PeriodMarkView(msgspec.Struct):
    period: str
    status: Literal["ticked", "frozen", "missed", "open"]


class StreakView(msgspec.Struct):
    """A streak as of now: a period that ended without a tick already reads as frozen (a
    freeze token is counted as spent) or burned, as the next sweep will record it."""

    streak_key: str
    period: str
    display_mode: str
    max_row_icons: int | None
    count: int
    alive: bool
    current_period: str
    last_period: str | None
    ticked_this_period: bool
    freeze_tokens: int
    next_milestone: int | None
    milestones: list[int]
    recent: list[PeriodMarkView]


class Balance(msgspec.Struct):
    balance: int
    lifetime: int


class BadgeCounts(msgspec.Struct):
    earned: list[str]
    ready: list[str]
    count: int
    total: int


class ItemCounts(msgspec.Struct):
    owned: list[str]
    equipped: list[str]


class ProgressionMetrics(msgspec.Struct):
    """Counters of everything the buddy has done and earned, read at ``measured_at``."""

    buddy_id: str
    user_id: str
    status: str
    evolution_stage: int
    evolution_ready: bool
    total_events: int
    event_counts: dict[str, int]
    last_event_at: datetime | None
    streaks: list[StreakView]
    xp: int
    skills: dict[str, SkillView]
    coins: Balance
    tokens: dict[str, Balance]
    badges: BadgeCounts
    items: ItemCounts
    measured_at: datetime


def streak_view(standing: StreakStanding) -> StreakView:
    streak = standing.streak
    return StreakView(
        streak_key=streak.key,
        period=streak.period,
        display_mode=streak.display_mode,
        max_row_icons=streak.max_row_icons,
        count=standing.count,
        alive=standing.alive,
        current_period=standing.current_period,
        last_period=standing.last_period,
        ticked_this_period=standing.ticked_this_period,
        freeze_tokens=standing.freeze_tokens,
        next_milestone=standing.next_milestone,
        milestones=sorted(m.count for m in streak.milestones),
        recent=[PeriodMarkView(m.period, m.status) for m in standing.recent],
    )


def badge_view(standing: BadgeStanding, origin: str) -> BuddyBadgeView:
    badge = standing.badge
    status: Literal["earned", "ready", "locked"] = (
        "earned" if standing.earned else "ready" if standing.ready else "locked"
    )
    return BuddyBadgeView(
        badge_key=standing.key,
        name=badge.name if badge else standing.key,
        description=badge.description if badge else "",
        status=status,
        source=standing.source,
        awarded_at=standing.awarded_at,
        auto_award=badge.auto_award if badge else False,
        coin_reward=badge.coin_reward if badge else None,
        token_rewards=dict(badge.token_rewards) if badge else {},
        icon_url=badge_icon(origin, badge) if badge else None,
        progress=round(standing.progress, 4),
        condition=BadgeConditionView(badge.condition.kind, standing.required, standing.actual)
        if badge
        else None,
    )


def metrics_view(state: BuddyState, now: datetime, origin: str) -> ProgressionMetrics:
    buddy, ledger, rulebook = state.buddy, state.ledger, state.rulebook
    skills = {}
    for skill in rulebook.skills:
        value = buddy.skills.get(skill.key, 0)
        skills[skill.key] = SkillView(
            value, skill.level_for(value), skill.name, skill_icon(origin, skill)
        )
    for key in sorted(set(buddy.skills) - set(skills)):  # a skill its rulebook dropped
        skills[key] = SkillView(buddy.skills[key], 0, key)
    return ProgressionMetrics(
        buddy_id=public_id("buddy", buddy.id),
        user_id=buddy.user_id,
        status=buddy.status,
        evolution_stage=buddy.evolution_stage,
        evolution_ready=buddy.evolution_ready,
        total_events=sum(buddy.event_counts.values()),
        event_counts={k: buddy.event_counts[k] for k in sorted(buddy.event_counts)},
        last_event_at=buddy.last_event_at,
        streaks=[streak_view(s) for s in streak_standings(state, now)],
        xp=sum(buddy.skills.values()),
        skills=skills,
        coins=Balance(ledger.balance("coins"), ledger.lifetime_earned("coins")),
        tokens={
            key: Balance(ledger.balance(key), ledger.lifetime_earned(key))
            for key in ledger.token_keys.values()
        },
        badges=BadgeCounts(
            earned=list(buddy.badges),
            ready=list(buddy.badges_ready),
            count=len(buddy.badges),
            total=len(rulebook.badges),
        ),
        items=ItemCounts(owned=list(buddy.owned_item_ids), equipped=list(buddy.equipped_item_ids)),
        measured_at=now,
    )


def award_records(
    request: Request[Any, Any, Any], views: ViewStore, state: BuddyState
) -> dict[str, AwardRecord]:
    read_your_writes(request, BuddyBadgesView.name)
    rows = views.rows(BADGES.name, {"buddy_id": state.buddy.id.hex})
    return {
        row["badge_key"]: AwardRecord(row["source"], datetime.fromisoformat(row["awarded_at"]))
        for row in rows
    }


class BuddyProgressionController(Controller):
    path = "/buddies"
    tags = ["buddies"]

    @get(
        "/{buddy_id:str}/badges",
        access=Access.READABLE,
        feature="badges",
        summary="The buddy's badges (how and when each was earned), then the ones to earn",
    )
    def badges(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        progression: NamedDependency[Progression],
        views: NamedDependency[ViewStore],
        buddy_id: FromPath[str],
    ) -> BuddyBadgesResponse:
        state, _ = progression.state(principal.tenant, buddy_id)
        standings = badge_standings(state, award_records(request, views, state))
        return BuddyBadgesResponse(
            buddy_id=public_id("buddy", state.buddy.id),
            earned=sum(1 for s in standings if s.earned),
            total=len(standings),
            data=[badge_view(s, public_origin(request)) for s in standings],
        )

    @get(
        "/{buddy_id:str}/progression-metrics",
        access=Access.READABLE,
        summary="Counters: events by type, streaks, XP and skills, coins, tokens, badges, items",
    )
    def progression_metrics(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        progression: NamedDependency[Progression],
        buddy_id: FromPath[str],
    ) -> ProgressionMetrics:
        state, now = progression.state(principal.tenant, buddy_id)
        return metrics_view(state, now, public_origin(request))

    @get(
        "/{buddy_id:str}/progression",
        access=Access.READABLE,
        summary="Legacy name of GET /buddies/{id}/progression-metrics (the same answer)",
        deprecated=True,
    )
    def progression(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        progression: NamedDependency[Progression],
        buddy_id: FromPath[str],
    ) -> ProgressionMetrics:
        state, now = progression.state(principal.tenant, buddy_id)
        return metrics_view(state, now, public_origin(request))
