"""``GET /analytics/*``: engagement, retention, event counts and the economy, from rollups.

Every route answers from the analytics rollups (``projections/analytics/rollups.py``), never
from the event log, in the caller's mode only. Common parameters: the window (``from``/``to``
as UTC dates, or ``days`` up to ``to``, default the last 30 days, at most 366), ``audience``
and ``granularity`` (``day``/``week``). Answers carry an ``ETag`` (``If-None-Match`` → 304)
and, past the read bound, the view-lag header. Definitions: ``docs/analytics.md``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar, cast

import msgspec
from litestar import Controller, Request, Response
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter

from application.accounts.accounts import Accounts
from domain.accounts.audiences import check_audience, declared
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
    principal: Caller, accounts: NamedDependency[Accounts], audience: FromQuery[str | None] = None
) -> str | None:
    """The ``audience`` asked for; one the customer did not declare is ``unknown_audience``."""
    if audience is not None:
        customer = accounts.entitlements(principal.tenant.customer_id)
        check_audience(declared(customer.settings), audience)
    return audience


WINDOW_DEPENDENCIES = {
    "window": Provide(provide_window, sync_to_thread=False),
    "audience_key": Provide(provide_audience, sync_to_thread=False),
}
"""The window and audience parameters every analytics read shares."""


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


class AnalyticsRollupsController(Controller):
    path = "/analytics"
    tags = ["analytics"]
    dependencies = WINDOW_DEPENDENCIES

    @get(
        "/overview",
        access=Access.SECRET,
        errors=WINDOW_REFUSALS,
        summary="Get analytics overview",
        description=(
            "Over the window: events recorded, new users, the average daily active users, "
            "coins credited and debited, the five most recorded event types; and the active "
            "users on the window's last day, in its week and in its month (UTC)."
        ),
    )
    def overview(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rollups: NamedDependency[RollupQueries],
        window: NamedDependency[Window],
        audience_key: NamedDependency[str | None],
    ) -> Response[OverviewView]:
        read_your_writes(request, AnalyticsRollupsView.name)
        tenant = principal.tenant
        days = rollups.activity(tenant, audience_key, window, "day")
        dau, wau, mau = rollups.active_at(tenant, audience_key, window.last)
        types = rollups.event_types(tenant, audience_key, window, "day")
        coins = rollups.coin_flow(tenant, window, "day")
        return cached(
            request,
            OverviewView(
                window=window_view(window),
                audience=audience_key,
                events=sum(p.events for p in days),
                new_users=sum(p.new_users for p in days),
                average_dau=average_dau(days),
                dau=dau,
                wau=wau,
                mau=mau,
                coins_credited=coins.credited,
                coins_debited=coins.debited,
                top_event_types=[TypeTotal(type=t.type, events=t.events) for t in types][
                    :TOP_TYPES
                ],
            ),
        )

    @get(
        "/engagement",
        access=Access.SECRET,
        feature=ADVANCED,
        errors=WINDOW_REFUSALS,
        summary="Get engagement metrics",
        description=(
            "Daily, weekly (Monday to Sunday) and monthly active users at the window's last "
            "day, their ratios, the average daily active users over the window, and the "
            "active users of each day or week of the window."
        ),
    )
    def engagement(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rollups: NamedDependency[RollupQueries],
        window: NamedDependency[Window],
        audience_key: NamedDependency[str | None],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EngagementView]:
        read_your_writes(request, AnalyticsRollupsView.name)
        tenant = principal.tenant
        days = rollups.activity(tenant, audience_key, window, "day")
        points = (
            days
            if granularity == "day"
            else rollups.activity(tenant, audience_key, window, granularity)
        )
        dau, wau, mau = rollups.active_at(tenant, audience_key, window.last)
        return cached(
            request,
            EngagementView(
                window=window_view(window),
                audience=audience_key,
                granularity=granularity,
                dau=dau,
                wau=wau,
                mau=mau,
                dau_mau_ratio=ratio(dau, mau),
                wau_mau_ratio=ratio(wau, mau),
                average_dau=average_dau(days),
                data=[activity_point(p) for p in points],
            ),
        )

    @get(
        "/activity-summary",
        access=Access.SECRET,
        errors=WINDOW_REFUSALS,
        summary="Get activity summary",
        description=(
            "Per day or week of the window: events recorded, active users, new users (first "
            "event ever) and returning users (active, not new); and the window's totals."
        ),
    )
    def activity_summary(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rollups: NamedDependency[RollupQueries],
        window: NamedDependency[Window],
        audience_key: NamedDependency[str | None],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[ActivitySummaryView]:
        read_your_writes(request, AnalyticsRollupsView.name)
        days = rollups.activity(principal.tenant, audience_key, window, "day")
        points = (
            days
            if granularity == "day"
            else rollups.activity(principal.tenant, audience_key, window, granularity)
        )
        return cached(
            request,
            ActivitySummaryView(
                window=window_view(window),
                audience=audience_key,
                granularity=granularity,
                events=sum(p.events for p in days),
                new_users=sum(p.new_users for p in days),
                data=[activity_point(p) for p in points],
            ),
        )

    @get(
        "/event-counts",
        access=Access.SECRET,
        errors=WINDOW_REFUSALS,
        summary="Per-event counts",
        description=(
            "Each event type recorded in the window, most recorded first: its events (refused "
            "ones included, and counted apart as `rejected`) per day or week."
        ),
    )
    def event_counts(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rollups: NamedDependency[RollupQueries],
        window: NamedDependency[Window],
        audience_key: NamedDependency[str | None],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EventCountsView]:
        read_your_writes(request, AnalyticsRollupsView.name)
        types = rollups.event_types(principal.tenant, audience_key, window, granularity)
        return cached(
            request,
            EventCountsView(
                window=window_view(window),
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
            ),
        )

    @get(
        "/retention",
        access=Access.SECRET,
        feature=ADVANCED,
        errors=WINDOW_REFUSALS,
        summary="Get retention metrics",
        description=(
            "Weekly cohorts (users by the UTC week, Monday to Sunday, of their first event) "
            "starting in the window's weeks: each cohort's size and, for each following week "
            "up to the window's last, how many of its users were active and what share."
        ),
    )
    def retention(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rollups: NamedDependency[RollupQueries],
        window: NamedDependency[Window],
        audience_key: NamedDependency[str | None],
    ) -> Response[RetentionView]:
        read_your_writes(request, AnalyticsRollupsView.name)
        cohorts = rollups.retention(principal.tenant, audience_key, window)
        return cached(
            request,
            RetentionView(
                window=window_view(window),
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
            ),
        )

    @get(
        "/economy-summary",
        access=Access.SECRET,
        feature=ADVANCED,
        errors=("bad_request",),
        summary="Get economy summary",
        description=(
            "Per currency (coins, then each token): what ledgers were credited and debited "
            "in the window, the net, the number of entries, per day or week."
        ),
    )
    def economy_summary(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rollups: NamedDependency[RollupQueries],
        window: NamedDependency[Window],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EconomySummaryView]:
        read_your_writes(request, AnalyticsRollupsView.name)
        flows = rollups.flows(principal.tenant, window, granularity)
        return cached(
            request,
            EconomySummaryView(
                window=window_view(window),
                granularity=granularity,
                data=[currency_flow(f) for f in flows],
            ),
        )

    @get(
        "/tokens",
        access=Access.SECRET,
        feature=ADVANCED,
        errors=("bad_request",),
        summary="Get per-token economy",
        description="The economy summary of each token (coins left out).",
    )
    def tokens(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rollups: NamedDependency[RollupQueries],
        window: NamedDependency[Window],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EconomySummaryView]:
        read_your_writes(request, AnalyticsRollupsView.name)
        flows = rollups.flows(principal.tenant, window, granularity)
        return cached(
            request,
            EconomySummaryView(
                window=window_view(window),
                granularity=granularity,
                data=[currency_flow(f) for f in flows if f.currency != "coins"],
            ),
        )

    @get(
        "/economy-health",
        access=Access.SECRET,
        feature=ADVANCED,
        errors=("bad_request",),
        summary="Get economy health",
        description=(
            "Coins credited (inflow) and debited (outflow) per day or week of the window, "
            "their ratio over the window, and how many wallets hold a coin balance in each "
            "bucket now (0, 1-9, 10-99, 100-999, 1000-9999, 10000+)."
        ),
    )
    def economy_health(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rollups: NamedDependency[RollupQueries],
        window: NamedDependency[Window],
        granularity: FromQuery[Granularity] = "day",
    ) -> Response[EconomyHealthView]:
        read_your_writes(request, AnalyticsRollupsView.name)
        coins = rollups.coin_flow(principal.tenant, window, granularity)
        return cached(
            request,
            EconomyHealthView(
                window=window_view(window),
                granularity=granularity,
                coins_credited=coins.credited,
                coins_debited=coins.debited,
                outflow_inflow_ratio=ratio(coins.debited, coins.credited),
                data=flow_points(coins),
                balance_distribution=[
                    BalanceBucket(b, n) for b, n in rollups.balances(principal.tenant)
                ],
            ),
        )
