"""``GET /analytics/*``: engagement, retention, event counts and the economy, from rollups.

Every route answers from the analytics rollups (``projections/analytics/rollups.py``), never
from the event log, in the caller's mode only. Common parameters: the window (``from``/``to``
as UTC dates, or ``days`` up to ``to``, default the last 30 days, at most 366), ``audience``
and ``granularity`` (``day``/``week``). Answers carry an ``ETag`` (``If-None-Match`` → 304)
and, past the read bound, the view-lag header. Definitions: ``docs/analytics.md``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar, cast

import msgspec
from litestar import Controller, Request, Response
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, QueryParameter

from application.accounts.accounts import Accounts
from domain.accounts.audiences import check_audience, declared
from domain.shared.tenancy import Tenant
from domain.shared.text_patterns import AUDIENCE
from infrastructure.analytics.rollup_queries import (
    MAX_DAYS,
    TOP_TYPES,
    Activity,
    Flow,
    Granularity,
    RollupQueries,
    Window,
    ratio,
    window_of,
)
from interfaces.http.auth import Caller
from interfaces.http.consistency import read_your_writes
from interfaces.http.etag import etag_of, matches
from interfaces.http.routing import Access, get
from projections.analytics.rollups import AnalyticsRollupsView

T = TypeVar("T")
ROLLUPS = AnalyticsRollupsView.name
WINDOW_REFUSALS = ("bad_request", "unknown_audience")
ADVANCED = "advanced_analytics"


def provide_window(
    rollups: NamedDependency[RollupQueries],
    from_: Annotated[date | None, QueryParameter(name="from")] = None,
    to: FromQuery[date | None] = None,
    days: Annotated[int | None, QueryParameter(ge=1, le=MAX_DAYS)] = None,
) -> Window:
    return window_of(rollups.today(), from_, to, days)


def provide_audience(
    principal: Caller,
    accounts: NamedDependency[Accounts],
    audience: Annotated[str | None, QueryParameter(pattern=AUDIENCE.regex)] = None,
) -> str | None:
    """The ``audience`` asked for; one the customer did not declare is ``unknown_audience``,
    one no customer could declare (``""`` among them, which would read every audience's
    figures) ``validation_failed``."""
    if audience is not None:
        customer = accounts.entitlements(principal.tenant.customer_id)
        check_audience(declared(customer.settings), audience)
    return audience


@dataclass(frozen=True)
class AnalyticsRead:
    """One analytics read in the caller's name: its tenant, the window asked for, and the
    request the answer is cached for. What every analytics route needs, so each says only
    what it reads."""

    request: Request[Any, Any, Any]
    tenant: Tenant
    window: Window

    def after(self, *views: str) -> AnalyticsRead:
        """Once ``views`` have caught up with the caller's writes (or the lag is noted)."""
        read_your_writes(self.request, *views)
        return self

    def window_view(self) -> WindowView:
        return window_view(self.window)

    def answer(self, content: T) -> Response[T]:
        return cached(self.request, content)


def provide_read(
    request: Request[Any, Any, Any], principal: Caller, window: NamedDependency[Window]
) -> AnalyticsRead:
    return AnalyticsRead(request, principal.tenant, window)


WINDOW_DEPENDENCIES = {
    "window": Provide(provide_window, sync_to_thread=False),
    "audience_key": Provide(provide_audience, sync_to_thread=False),
    "read": Provide(provide_read, sync_to_thread=False),
}
"""The window and audience parameters every analytics read shares, and the read itself."""


def analytics_get(
    path: str, *, summary: str, description: str, advanced: bool = True
) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
    """An analytics route: a secret key's read in its mode, of the ``advanced_analytics``
    feature unless ``advanced`` is false. One that takes ``audience_key`` may refuse it
    (``unknown_audience``); the others refuse only bad parameters."""

    def declare(handler: Callable[..., Any]) -> HTTPRouteHandler:
        takes_audience = "audience_key" in inspect.signature(handler).parameters
        return get(
            path,
            access=Access.SECRET,
            feature=ADVANCED if advanced else None,
            errors=WINDOW_REFUSALS if takes_audience else ("bad_request",),
            summary=summary,
            description=description,
        )(handler)

    return declare


class WindowView(msgspec.Struct):
    from_: date = msgspec.field(name="from")
    to: date
    days: int


def window_view(window: Window) -> WindowView:
    return WindowView(window.first, window.last, window.days)


class ActivityPoint(msgspec.Struct, kw_only=True):
    period_start: date
    events: int
    active_users: int
    new_users: int
    returning_users: int


def activity_point(point: Activity) -> ActivityPoint:
    return ActivityPoint(
        period_start=point.period_start,
        events=point.events,
        active_users=point.active_users,
        new_users=point.new_users,
        returning_users=point.active_users - point.new_users,
    )


class TypeTotal(msgspec.Struct, kw_only=True):
    type: str
    events: int


class OverviewView(msgspec.Struct, kw_only=True):
    window: WindowView
    audience: str | None
    events: int
    new_users: int
    average_dau: float
    dau: int
    wau: int
    mau: int
    coins_credited: int
    coins_debited: int
    top_event_types: list[TypeTotal]


class EngagementView(msgspec.Struct, kw_only=True):
    window: WindowView
    audience: str | None
    granularity: str
    dau: int
    wau: int
    mau: int
    dau_mau_ratio: float | None
    wau_mau_ratio: float | None
    average_dau: float
    data: list[ActivityPoint]


class ActivitySummaryView(msgspec.Struct, kw_only=True):
    window: WindowView
    audience: str | None
    granularity: str
    events: int
    new_users: int
    data: list[ActivityPoint]


class CountPoint(msgspec.Struct):
    period_start: date
    events: int


class EventTypeCounts(msgspec.Struct, kw_only=True):
    type: str
    events: int
    rejected: int
    series: list[CountPoint]


class EventCountsView(msgspec.Struct, kw_only=True):
    window: WindowView
    audience: str | None
    granularity: str
    total: int
    data: list[EventTypeCounts]


class RetentionWeek(msgspec.Struct, kw_only=True):
    week: int
    active_users: int
    rate: float | None


class CohortView(msgspec.Struct, kw_only=True):
    cohort_start: date
    users: int
    weeks: list[RetentionWeek]


class RetentionView(msgspec.Struct, kw_only=True):
    window: WindowView
    audience: str | None
    data: list[CohortView]


class FlowPoint(msgspec.Struct, kw_only=True):
    period_start: date
    credited: int
    debited: int
    net: int


class CurrencyFlow(msgspec.Struct, kw_only=True):
    currency: str
    credited: int
    debited: int
    net: int
    credits: int
    debits: int
    series: list[FlowPoint]


class EconomySummaryView(msgspec.Struct, kw_only=True):
    window: WindowView
    granularity: str
    data: list[CurrencyFlow]


class BalanceBucket(msgspec.Struct):
    bucket: str
    wallets: int


class EconomyHealthView(msgspec.Struct, kw_only=True):
    window: WindowView
    granularity: str
    coins_credited: int
    coins_debited: int
    outflow_inflow_ratio: float | None
    data: list[FlowPoint]
    balance_distribution: list[BalanceBucket]


def currency_flow(flow: Flow) -> CurrencyFlow:
    return CurrencyFlow(
        currency=flow.currency,
        credited=flow.credited,
        debited=flow.debited,
        net=flow.credited - flow.debited,
        credits=flow.credits,
        debits=flow.debits,
        series=flow_points(flow),
    )


def flow_points(flow: Flow) -> list[FlowPoint]:
    return [
        FlowPoint(period_start=start, credited=c, debited=d, net=c - d)
        for start, (c, d) in flow.series.items()
    ]


def cached(request: Request[Any, Any, Any], content: T) -> Response[T]:
    """``content`` with its ``ETag``; a ``304`` without a body when the client has it."""
    etag = etag_of(msgspec.json.encode(content))
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if matches(request.headers.get("if-none-match"), etag):
        return cast("Response[T]", Response(content=b"", status_code=304, headers=headers))
    return Response(content, headers=headers)


def average_dau(points: list[Activity]) -> float:
    return round(sum(p.active_users for p in points) / len(points), 2) if points else 0.0


class AudienceActivity(msgspec.Struct, kw_only=True):
    audience: str | None
    events: int
    new_users: int
    average_dau: float
    dau: int
    wau: int
    mau: int


def audience_activity(
    rollups: RollupQueries, read: AnalyticsRead, audience: str | None
) -> AudienceActivity:
    """An audience's (``None``: every audience's) totals over the window, and its active
    users on the window's last day, in its week and in its month."""
    days = rollups.activity(read.tenant, audience, read.window, "day")
    dau, wau, mau = rollups.active_at(read.tenant, audience, read.window.last)
    return AudienceActivity(
        audience=audience,
        events=sum(p.events for p in days),
        new_users=sum(p.new_users for p in days),
        average_dau=average_dau(days),
        dau=dau,
        wau=wau,
        mau=mau,
    )


def activity_series(
    rollups: RollupQueries, read: AnalyticsRead, audience: str | None, granularity: Granularity
) -> tuple[list[Activity], list[Activity]]:
    """The window's days, and its periods of ``granularity`` (the days again for ``day``)."""
    days = rollups.activity(read.tenant, audience, read.window, "day")
    if granularity == "day":
        return days, days
    return days, rollups.activity(read.tenant, audience, read.window, granularity)


def currency_flows(
    rollups: RollupQueries, read: AnalyticsRead, granularity: Granularity, *, coins: bool
) -> Response[EconomySummaryView]:
    """Each currency's flow (coins left out unless ``coins``), per day or week."""
    flows = rollups.flows(read.tenant, read.window, granularity)
    return read.answer(
        EconomySummaryView(
            window=read.window_view(),
            granularity=granularity,
            data=[currency_flow(f) for f in flows if coins or f.currency != "coins"],
        )
    )


class AnalyticsRollupsController(Controller):
    path = "/analytics"
    tags = ["analytics"]
    dependencies = WINDOW_DEPENDENCIES

    @analytics_get(
        "/overview",
        advanced=False,
        summary="Get analytics overview",
        description=(
            "Over the window: events recorded, new users, the average daily active users, "
            "coins credited and debited, the five most recorded event types; and the active "
            "users on the window's last day, in its week and in its month (UTC)."
        ),
    )
    def overview(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        audience_key: NamedDependency[str | None],
    ) -> Response[OverviewView]:
        read.after(ROLLUPS)
        activity = audience_activity(rollups, read, audience_key)
        types = rollups.event_types(read.tenant, audience_key, read.window, "day")
        coins = rollups.coin_flow(read.tenant, read.window, "day")
        return read.answer(
            OverviewView(
                window=read.window_view(),
                audience=audience_key,
                events=activity.events,
                new_users=activity.new_users,
                average_dau=activity.average_dau,
                dau=activity.dau,
                wau=activity.wau,
                mau=activity.mau,
                coins_credited=coins.credited,
                coins_debited=coins.debited,
                top_event_types=[TypeTotal(type=t.type, events=t.events) for t in types][
                    :TOP_TYPES
                ],
            )
        )

    @analytics_get(
        "/engagement",
        summary="Get engagement metrics",
        description=(
            "Daily, weekly (Monday to Sunday) and monthly active users at the window's last "
            "day, their ratios, the average daily active users over the window, and the "
            "active users of each day or week of the window."
        ),
    )
    def engagement(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        audience_key: NamedDependency[str | None],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EngagementView]:
        read.after(ROLLUPS)
        days, points = activity_series(rollups, read, audience_key, granularity)
        dau, wau, mau = rollups.active_at(read.tenant, audience_key, read.window.last)
        return read.answer(
            EngagementView(
                window=read.window_view(),
                audience=audience_key,
                granularity=granularity,
                dau=dau,
                wau=wau,
                mau=mau,
                dau_mau_ratio=ratio(dau, mau),
                wau_mau_ratio=ratio(wau, mau),
                average_dau=average_dau(days),
                data=[activity_point(p) for p in points],
            )
        )

    @analytics_get(
        "/activity-summary",
        advanced=False,
        summary="Get activity summary",
        description=(
            "Per day or week of the window: events recorded, active users, new users (first "
            "event ever) and returning users (active, not new); and the window's totals."
        ),
    )
    def activity_summary(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        audience_key: NamedDependency[str | None],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[ActivitySummaryView]:
        read.after(ROLLUPS)
        days, points = activity_series(rollups, read, audience_key, granularity)
        return read.answer(
            ActivitySummaryView(
                window=read.window_view(),
                audience=audience_key,
                granularity=granularity,
                events=sum(p.events for p in days),
                new_users=sum(p.new_users for p in days),
                data=[activity_point(p) for p in points],
            )
        )

    @analytics_get(
        "/event-counts",
        advanced=False,
        summary="Per-event counts",
        description=(
            "Each event type recorded in the window, most recorded first: its events (refused "
            "ones included, and counted apart as `rejected`) per day or week."
        ),
    )
    def event_counts(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        audience_key: NamedDependency[str | None],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EventCountsView]:
        read.after(ROLLUPS)
        types = rollups.event_types(read.tenant, audience_key, read.window, granularity)
        return read.answer(
            EventCountsView(
                window=read.window_view(),
                audience=audience_key,
                granularity=granularity,
                total=sum(t.events for t in types),
                data=[
                    EventTypeCounts(
                        type=t.type,
                        events=t.events,
                        rejected=t.rejected,
                        series=[CountPoint(start, n) for start, n in t.series],
                    )
                    for t in types
                ],
            )
        )

    @analytics_get(
        "/retention",
        summary="Get retention metrics",
        description=(
            "Weekly cohorts (users by the UTC week, Monday to Sunday, of their first event) "
            "starting in the window's weeks: each cohort's size and, for each following week "
            "up to the window's last, how many of its users were active and what share."
        ),
    )
    def retention(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        audience_key: NamedDependency[str | None],
    ) -> Response[RetentionView]:
        read.after(ROLLUPS)
        cohorts = rollups.retention(read.tenant, audience_key, read.window)
        return read.answer(
            RetentionView(
                window=read.window_view(),
                audience=audience_key,
                data=[
                    CohortView(
                        cohort_start=c.cohort_start,
                        users=c.users,
                        weeks=[
                            RetentionWeek(
                                week=w.week,
                                active_users=w.active_users,
                                rate=ratio(w.active_users, c.users),
                            )
                            for w in c.weeks
                        ],
                    )
                    for c in cohorts
                ],
            )
        )

    @analytics_get(
        "/economy-summary",
        summary="Get economy summary",
        description=(
            "Per currency (coins, then each token): what ledgers were credited and debited "
            "in the window, the net, the number of entries, per day or week."
        ),
    )
    def economy_summary(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EconomySummaryView]:
        return currency_flows(rollups, read.after(ROLLUPS), granularity, coins=True)

    @analytics_get(
        "/tokens",
        summary="Get per-token economy",
        description="The economy summary of each token (coins left out).",
    )
    def tokens(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EconomySummaryView]:
        return currency_flows(rollups, read.after(ROLLUPS), granularity, coins=False)

    @analytics_get(
        "/economy-health",
        summary="Get economy health",
        description=(
            "Coins credited (inflow) and debited (outflow) per day or week of the window, "
            "their ratio over the window, and how many wallets hold a coin balance in each "
            "bucket now (0, 1-9, 10-99, 100-999, 1000-9999, 10000+)."
        ),
    )
    def economy_health(
        self,
        read: NamedDependency[AnalyticsRead],
        rollups: NamedDependency[RollupQueries],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EconomyHealthView]:
        read.after(ROLLUPS)
        coins = rollups.coin_flow(read.tenant, read.window, granularity)
        return read.answer(
            EconomyHealthView(
                window=read.window_view(),
                granularity=granularity,
                coins_credited=coins.credited,
                coins_debited=coins.debited,
                outflow_inflow_ratio=ratio(coins.debited, coins.credited),
                data=flow_points(coins),
                balance_distribution=[
                    BalanceBucket(b, n) for b, n in rollups.balances(read.tenant)
                ],
            )
        )
