"""``GET /analytics/*`` breakdowns, and ``GET /events/active-users``: from the analytics views.

Badges, items and the marketplace funnel, evolution, streaks, per-type trends, audiences and
buddy vs no buddy (ROI), each from counters per tenant and UTC day
(``projections/analytics/breakdowns.py`` and ``rollups.py``; the item funnel's impressions
and purchases from ``view_item_funnel``), never from the event log. The window, audience
and granularity parameters, the ETag and the view-lag header are those of
``interfaces/http/analytics/rollups.py``. Definitions: ``docs/analytics.md``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec
from litestar import Controller, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery

from application.accounts.accounts import Accounts
from domain.accounts.audiences import declared
from infrastructure.analytics.breakdown_queries import (
    BreakdownQueries,
    ItemCount,
    SegmentActivity,
)
from infrastructure.analytics.rollup_queries import (
    Granularity,
    RollupQueries,
    Window,
    ratio,
)
from interfaces.http.analytics.rollups import (
    ROLLUPS,
    WINDOW_DEPENDENCIES,
    AnalyticsRead,
    AudienceActivity,
    CountPoint,
    WindowView,
    analytics_get,
    audience_activity,
    window_view,
)
from interfaces.http.pagination import check_limit
from projections.analytics.breakdowns import (
    STREAK_COUNTS,
    WITH_BUDDY,
    WITHOUT_BUDDY,
    AnalyticsBreakdownsView,
)
from projections.economy.item_funnel import ItemFunnelView

BREAKDOWNS = AnalyticsBreakdownsView.name


class BadgePopularity(msgspec.Struct, kw_only=True):
    badge_key: str
    awarded: int
    by_rules: int
    manual: int


class PopularBadgesView(msgspec.Struct, kw_only=True):
    window: WindowView
    total_awarded: int
    data: list[BadgePopularity]


class ItemPopularity(msgspec.Struct, kw_only=True):
    item_id: str
    acquisitions: int
    purchases: int
    grants: int
    coins_spent: int
    equips: int


class PopularItemsView(msgspec.Struct, kw_only=True):
    window: WindowView
    data: list[ItemPopularity]


class FunnelCounts(msgspec.Struct, kw_only=True):
    impressions: int
    purchases: int
    grants: int
    equips: int
    purchase_rate: float | None
    equip_rate: float | None


class ItemFunnel(FunnelCounts, kw_only=True):
    item_id: str


class MarketplaceFunnelView(msgspec.Struct, kw_only=True):
    window: WindowView
    totals: FunnelCounts
    data: list[ItemFunnel]


class StageCount(msgspec.Struct):
    stage: int
    buddies: int


class EvolutionPoint(msgspec.Struct, kw_only=True):
    period_start: date
    hatched: int
    evolved: int
    stages: list[StageCount]


class EvolutionView(msgspec.Struct, kw_only=True):
    window: WindowView
    granularity: str
    hatched: int
    evolved: int
    reached: list[StageCount]
    data: list[EvolutionPoint]
    current_stages: list[StageCount]


class StreakPoint(msgspec.Struct, kw_only=True):
    period_start: date
    ticks: int
    restarts: int
    freezes: int
    burns: int
    counts_lost: int
    milestones: int


class StreakHealth(msgspec.Struct, kw_only=True):
    streak_key: str
    ticks: int
    restarts: int
    freezes: int
    burns: int
    counts_lost: int
    milestones: int
    burn_rate: float | None
    series: list[StreakPoint]


class StreaksView(msgspec.Struct, kw_only=True):
    window: WindowView
    granularity: str
    data: list[StreakHealth]


class EventTrend(msgspec.Struct, kw_only=True):
    type: str
    events: int
    previous_events: int
    change: float | None
    series: list[CountPoint]


class CustomEventsView(msgspec.Struct, kw_only=True):
    window: WindowView
    previous_window: WindowView
    audience: str | None
    granularity: str
    data: list[EventTrend]


class AudiencesView(msgspec.Struct, kw_only=True):
    window: WindowView
    unassigned_events: int
    data: list[AudienceActivity]


class SegmentPoint(msgspec.Struct, kw_only=True):
    period_start: date
    events: int
    active_users: int


class SegmentView(msgspec.Struct, kw_only=True):
    events: int
    active_user_days: int
    average_dau: float
    events_per_active_day: float | None
    data: list[SegmentPoint]


class RoiView(msgspec.Struct, kw_only=True):
    window: WindowView
    audience: str | None
    granularity: str
    with_buddy: SegmentView
    without_buddy: SegmentView
    lift: float | None


class ActiveUserView(msgspec.Struct, kw_only=True):
    user_id: str
    events: int
    active_days: int
    last_event_at: datetime


class ActiveUsersView(msgspec.Struct, kw_only=True):
    window: WindowView
    audience: str | None
    data: list[ActiveUserView]


def funnel_counts(items: list[ItemCount]) -> FunnelCounts:
    impressions = sum(i.impressions for i in items)
    purchases = sum(i.purchases for i in items)
    grants = sum(i.grants for i in items)
    equips = sum(i.equips for i in items)
    return FunnelCounts(
        impressions=impressions,
        purchases=purchases,
        grants=grants,
        equips=equips,
        purchase_rate=ratio(purchases, impressions),
        equip_rate=ratio(equips, purchases + grants),
    )


def segment_view(segment: SegmentActivity) -> SegmentView:
    events = sum(e for e, _ in segment.days.values())
    user_days = sum(u for _, u in segment.days.values())
    return SegmentView(
        events=events,
        active_user_days=user_days,
        average_dau=round(user_days / len(segment.days), 2),
        events_per_active_day=ratio(events, user_days, 2),
        data=[
            SegmentPoint(period_start=start, events=e, active_users=u)
            for start, (e, u) in segment.series.items()
        ],
    )


def previous_window(window: Window) -> Window:
    """The window of the same length just before ``window``."""
    return Window(window.first - timedelta(days=window.days), window.first - timedelta(days=1))


class AnalyticsBreakdownsController(Controller):
    path = "/analytics"
    tags = ["analytics"]
    dependencies = WINDOW_DEPENDENCIES

    @analytics_get(
        "/popular-badges",
        summary="Get popular badges",
        description=(
            "Each badge awarded in the window, most awarded first: how many buddies got it, "
            "by the rules (events, streak milestones, settling) and by hand."
        ),
    )
    def popular_badges(
        self,
        read: NamedDependency[AnalyticsRead],
        breakdowns: NamedDependency[BreakdownQueries],
    ) -> Response[PopularBadgesView]:
        read.after(BREAKDOWNS)
        badges = breakdowns.badges(read.tenant, read.window)
        return read.answer(
            PopularBadgesView(
                window=read.window_view(),
                total_awarded=sum(b.awarded for b in badges),
                data=[
                    BadgePopularity(
                        badge_key=b.badge_key,
                        awarded=b.awarded,
                        by_rules=b.by_rules,
                        manual=b.manual,
                    )
                    for b in badges
                ],
            ),
        )

    @analytics_get(
        "/popular-items",
        summary="Get popular items",
        description=(
            "The marketplace items buddies acquired most in the window (bought or granted), "
            "then by first equips; the coins spent on each. `limit`: 1 to 100, default 20."
        ),
    )
    def popular_items(
        self,
        read: NamedDependency[AnalyticsRead],
        breakdowns: NamedDependency[BreakdownQueries],
        limit: FromQuery[int | None] = None,
    ) -> Response[PopularItemsView]:
        size = check_limit(limit)
        read.after(BREAKDOWNS, ItemFunnelView.name)
        items = [
            i
            for i in breakdowns.items(read.tenant, read.window)
            if i.purchases + i.grants + i.equips
        ]
        items.sort(key=lambda i: (-(i.purchases + i.grants), -i.equips, i.item_id))
        return read.answer(
            PopularItemsView(
                window=read.window_view(),
                data=[
                    ItemPopularity(
                        item_id=i.item_id,
                        acquisitions=i.purchases + i.grants,
                        purchases=i.purchases,
                        grants=i.grants,
                        coins_spent=i.coins_spent,
                        equips=i.equips,
                    )
                    for i in items[:size]
                ],
            ),
        )

    @analytics_get(
        "/marketplace-funnel",
        summary="Get marketplace funnel",
        description=(
            "Per item and in all, over the window: impressions (a buddy seeing the item in the "
            "shop, once a day), purchases, grants and first equips, with the purchase rate "
            "(purchases / impressions) and the equip rate (equips / acquisitions)."
        ),
    )
    def marketplace_funnel(
        self,
        read: NamedDependency[AnalyticsRead],
        breakdowns: NamedDependency[BreakdownQueries],
    ) -> Response[MarketplaceFunnelView]:
        read.after(BREAKDOWNS, ItemFunnelView.name)
        items = breakdowns.items(read.tenant, read.window)
        data = []
        for item in items:
            counts = funnel_counts([item])
            data.append(ItemFunnel(item_id=item.item_id, **msgspec.structs.asdict(counts)))
        return read.answer(
            MarketplaceFunnelView(
                window=read.window_view(), totals=funnel_counts(items), data=data
            ),
        )

    @analytics_get(
        "/evolution",
        summary="Get evolution timeline",
        description=(
            "Buddies hatched (stage 1) and evolved into each later stage per day or week of "
            "the window, in all, and how many active buddies are at each stage now."
        ),
    )
    def evolution(
        self,
        read: NamedDependency[AnalyticsRead],
        breakdowns: NamedDependency[BreakdownQueries],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EvolutionView]:
        read.after(BREAKDOWNS)
        reached = breakdowns.stages_reached(read.tenant, read.window, granularity)
        current = breakdowns.stage_distribution(read.tenant)
        return read.answer(
            EvolutionView(
                window=read.window_view(),
                granularity=granularity,
                hatched=reached.totals.get(1, 0),
                evolved=sum(n for stage, n in reached.totals.items() if stage > 1),
                reached=_stages(reached.totals),
                data=[
                    EvolutionPoint(
                        period_start=start,
                        hatched=point.get(1, 0),
                        evolved=sum(n for stage, n in point.items() if stage > 1),
                        stages=_stages(point),
                    )
                    for start, point in reached.series.items()
                ],
                current_stages=_stages(current),
            ),
        )

    @analytics_get(
        "/streaks",
        summary="Get streak health",
        description=(
            "Per streak definition, over the window and per day or week: periods kept (ticks, "
            "of which restarts), saved by a freeze token, burned (and the counts lost), "
            "milestones reached, and the burn rate (burns / ticks + freezes + burns)."
        ),
    )
    def streaks(
        self,
        read: NamedDependency[AnalyticsRead],
        breakdowns: NamedDependency[BreakdownQueries],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[StreaksView]:
        read.after(BREAKDOWNS)
        streaks = breakdowns.streaks(read.tenant, read.window, granularity)
        data = []
        for streak in streaks:
            totals = streak.totals
            resolved = totals["ticks"] + totals["freezes"] + totals["burns"]
            data.append(
                StreakHealth(
                    streak_key=streak.streak_key,
                    **totals,
                    burn_rate=ratio(totals["burns"], resolved),
                    series=[
                        StreakPoint(period_start=start, **{c: point[c] for c in STREAK_COUNTS})
                        for start, point in streak.series.items()
                    ],
                )
            )
        return read.answer(
            StreaksView(window=read.window_view(), granularity=granularity, data=data)
        )

    @analytics_get(
        "/custom-events",
        summary="Get custom event trends",
        description=(
            "Each event type the customer sent in the window or in the window of the same "
            "length before it: its events in both, the change, and its series per day or week."
        ),
    )
    def custom_events(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        audience_key: NamedDependency[str | None],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[CustomEventsView]:
        read.after(ROLLUPS)
        before = previous_window(read.window)
        current = rollups.event_types(read.tenant, audience_key, read.window, granularity)
        previous = {
            t.type: t.events for t in rollups.event_types(read.tenant, audience_key, before, "day")
        }
        now = {t.type: t for t in current}
        names = sorted(
            set(now) | set(previous),
            key=lambda n: (-(now[n].events if n in now else 0), n),
        )
        empty = [CountPoint(start, 0) for start in read.window.periods(granularity)]
        data = []
        for name in names:
            events = now[name].events if name in now else 0
            earlier = previous.get(name, 0)
            data.append(
                EventTrend(
                    type=name,
                    events=events,
                    previous_events=earlier,
                    change=ratio(events - earlier, earlier),
                    series=[CountPoint(s, n) for s, n in now[name].series]
                    if name in now
                    else empty,
                )
            )
        return read.answer(
            CustomEventsView(
                window=read.window_view(),
                previous_window=window_view(before),
                audience=audience_key,
                granularity=granularity,
                data=data,
            ),
        )

    @analytics_get(
        "/audiences",
        summary="Get audience breakdown",
        description=(
            "Every audience together (`audience: null`) and each declared audience: events, "
            "new users and the average daily active users over the window, and the active "
            "users on its last day, week and month; events that named no audience."
        ),
    )
    def audiences(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        accounts: NamedDependency[Accounts],
    ) -> Response[AudiencesView]:
        read.after(ROLLUPS)
        settings = accounts.entitlements(read.tenant.customer_id).settings
        data = [
            audience_activity(rollups, read, audience) for audience in [None, *declared(settings)]
        ]
        return read.answer(
            AudiencesView(
                window=read.window_view(),
                unassigned_events=data[0].events - sum(a.events for a in data[1:]),
                data=data,
            ),
        )

    @analytics_get(
        "/roi-metrics",
        summary="Get ROI metrics",
        description=(
            "The activity of users with a buddy (their events reached an active buddy) and "
            "without one, over the window: events, active user-days, the average daily active "
            "users, events per active user-day, and the lift (with / without)."
        ),
    )
    def roi_metrics(
        self,
        read: NamedDependency[AnalyticsRead],
        breakdowns: NamedDependency[BreakdownQueries],
        audience_key: NamedDependency[str | None],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[RoiView]:
        read.after(BREAKDOWNS)
        segments = {
            s.segment: segment_view(s)
            for s in breakdowns.segments(read.tenant, audience_key, read.window, granularity)
        }
        with_buddy, without_buddy = segments[WITH_BUDDY], segments[WITHOUT_BUDDY]
        lift = (
            ratio(
                with_buddy.events * without_buddy.active_user_days,
                with_buddy.active_user_days * without_buddy.events,
                2,
            )
            if with_buddy.active_user_days
            else None
        )
        return read.answer(
            RoiView(
                window=read.window_view(),
                audience=audience_key,
                granularity=granularity,
                with_buddy=with_buddy,
                without_buddy=without_buddy,
                lift=lift,
            ),
        )


def _stages(counts: dict[int, int]) -> list[StageCount]:
    return [StageCount(stage, n) for stage, n in sorted(counts.items()) if n]


class ActiveUsersController(Controller):
    path = "/events"
    tags = ["events"]
    dependencies = WINDOW_DEPENDENCIES

    @analytics_get(
        "/active-users",
        advanced=False,
        summary="List most-active users in a recent window",
        description=(
            "The users with the most recorded, non-rejected events in the window (default the "
            "last 30 days), most first, then by user id: their events, the days they were "
            "active and their last event. `limit`: 1 to 100, default 20."
        ),
    )
    def active_users(
        self,
        read: NamedDependency[AnalyticsRead],
        breakdowns: NamedDependency[BreakdownQueries],
        audience_key: NamedDependency[str | None],
        limit: FromQuery[int | None] = None,
    ) -> Response[ActiveUsersView]:
        size = check_limit(limit)
        read.after(BREAKDOWNS)
        users = breakdowns.most_active(read.tenant, audience_key, read.window, size)
        return read.answer(
            ActiveUsersView(
                window=read.window_view(),
                audience=audience_key,
                data=[
                    ActiveUserView(
                        user_id=u.user_id,
                        events=u.events,
                        active_days=u.active_days,
                        last_event_at=datetime.fromisoformat(u.last_event_at),
                    )
                    for u in users
                ],
            ),
        )
