"""The analytics breakdowns folded from real domain events and read back through their queries.

The history is small and written out below, so every figure is counted by hand: week 1
starts Monday 2025-03-03, week 2 Monday 2025-03-10. Folding it event by event, or all at
once, reaches the same rows (a rebuild replays in batches; the followers one event at a time).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import DomainEvent
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.companions.buddy import Buddy
from domain.economy.item_impression import ItemImpression
from domain.economy.item_purchase import ItemPurchase
from domain.ingestion.event_ingestion import EventIngestion
from domain.shared.tenancy import Tenant
from infrastructure.analytics.breakdown_queries import BreakdownQueries
from infrastructure.analytics.rollup_queries import RollupQueries, Window
from infrastructure.persistence.event_store import ensure_postgres_schema
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.clock import SystemClock
from infrastructure.shared.settings import Settings
from projections.analytics.breakdowns import AnalyticsBreakdownsView
from projections.analytics.rollups import AnalyticsRollupsView
from projections.economy.item_funnel import ItemFunnelView
from projections.shared.base import Once

WINDOW = Window(date(2025, 3, 3), date(2025, 3, 16))


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


class Pet:
    def __init__(self, tenant: Tenant, when: datetime, user_id: str = "u") -> None:
        self.tenant = tenant
        self.buddy = Buddy(
            id=uuid4(),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            user_id=user_id,
            egg_id=uuid4(),
            config_version_id=uuid4(),
            name="Pip",
            correlation_id=None,
            timestamp=when,
        )

    def badge(self, key: str, when: datetime, source: str = "rule") -> Pet:
        self.buddy._badge_awarded(
            badge_key=key,
            coin_reward=0,
            token_rewards={},
            source=source,
            actor=None,
            causation={},
            timestamp=when,
        )
        return self

    def evolve(self, when: datetime) -> Pet:
        stage = self.buddy.evolution_stage
        self.buddy._evolved(
            from_stage=stage,
            to_stage=stage + 1,
            operation_id=uuid4(),
            correlation_id=None,
            timestamp=when,
        )
        return self

    def tick(self, key: str, count: int, when: datetime, *, reset: bool = False) -> Pet:
        self.buddy._streak_ticked(
            streak_key=key,
            period=f"{when:%Y-%m-%d}",
            count=count,
            reset=reset,
            late=False,
            next_due_at=None,
            causation={},
            timestamp=when,
        )
        return self

    def freeze(self, key: str, count: int, when: datetime) -> Pet:
        self.buddy._streak_frozen(
            streak_key=key,
            period=f"{when:%Y-%m-%d}",
            count=count,
            token_key="ice",
            next_due_at=None,
            causation={},
            timestamp=when,
        )
        return self

    def burn(self, key: str, count: int, when: datetime) -> Pet:
        self.buddy._streak_burned(
            streak_key=key,
            period=f"{when:%Y-%m-%d}",
            count=count,
            next_due_at=None,
            causation={},
            timestamp=when,
        )
        return self

    def milestone(self, key: str, count: int, when: datetime) -> Pet:
        self.buddy._streak_milestone_reached(
            streak_key=key,
            count=count,
            coins=5,
            tokens={},
            next_due_at=None,
            causation={},
            timestamp=when,
        )
        return self

    def wear(self, items: list[str], when: datetime) -> Pet:
        self.buddy._items_equipped(
            item_ids=items,
            previous_item_ids=list(self.buddy.equipped_item_ids),
            operation_id=None,
            timestamp=when,
        )
        return self

    def archive(self, when: datetime) -> Pet:
        self.buddy.archive(timestamp=when)
        return self

    def events(self) -> list[DomainEvent]:
        return list(self.buddy.collect_events())


def acquisition(pet: Pet, item_id: str, when: datetime, price: int = 0) -> DomainEvent:
    purchase = ItemPurchase(
        id=uuid4(),
        customer_id=pet.tenant.customer_id,
        mode=pet.tenant.mode,
        buddy_id=pet.buddy.id,
        user_id=pet.buddy.user_id,
        item_id=item_id,
        category="hat",
        source="purchase" if price else "grant",
        price_coins=price,
        price_tokens=0,
        token_key=None,
        ledger_entry_ids=[],
        causation={},
        timestamp=when,
    )
    [recorded] = purchase.collect_events()
    return recorded


def impression(pet: Pet, item_id: str, when: datetime) -> DomainEvent:
    viewed = ItemImpression(
        id=uuid4(),
        customer_id=pet.tenant.customer_id,
        mode=pet.tenant.mode,
        buddy_id=pet.buddy.id,
        item_id=item_id,
        day=f"{when:%Y-%m-%d}",
        timestamp=when,
    )
    [recorded] = viewed.collect_events()
    return recorded


def customer_event(
    tenant: Tenant,
    user_id: str,
    when: datetime,
    *,
    outcome: str = "no_active_buddy",
    audience: str | None = None,
    type: str = "lesson_completed",
) -> DomainEvent:
    ingestion = EventIngestion(
        id=uuid4(),
        customer_id=tenant.customer_id,
        mode=tenant.mode,
        event_id=uuid4().hex,
        user_id=user_id,
        type=type,
        occurred_at=when,
        properties={},
        audience=audience,
        buddy_id=None,
        effects={},
        trace=[],
        applied_to=[uuid4()] if outcome == "applied" else [],
        outcome=outcome,  # type: ignore[arg-type]
        error={"code": "x", "message": "x"} if outcome == "rejected" else None,
        timestamp=when,
    )
    [recorded] = ingestion.collect_events()
    return recorded


class Views:
    def __init__(self, views: ViewStore) -> None:
        self.views = views
        self.breakdowns = AnalyticsBreakdownsView()
        self.funnel = ItemFunnelView()
        self.position = 0
        self.queries = BreakdownQueries(views)
        views.register(self.breakdowns)
        views.register(self.funnel)

    def fold(self, events: list[DomainEvent], *, one_by_one: bool = False) -> None:
        batches = [[e] for e in events] if one_by_one else [events]
        for batch in batches:
            self.position += len(batch)
            for view in (self.breakdowns, self.funnel):
                changes = [change for event in batch for change in view.handle(event)]
                self.views.apply(view.name, changes, self.position)

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        return {
            t.name: self.views.select(f"SELECT * FROM {t.name} ORDER BY {', '.join(t.key)}")
            for t in self.breakdowns.tables
        }


@pytest.fixture
def views(settings: Settings) -> Iterator[Views]:
    if settings.database_schema:
        ensure_postgres_schema(settings)
    store = ViewStore(settings)
    yield Views(store)
    store.close()


def tenant() -> Tenant:
    return Tenant(uuid4(), "live")


def test_badges_stages_streaks_and_items_counted_by_day(views: Views) -> None:
    shop, other = tenant(), tenant()
    a = Pet(shop, at(3), "u1").badge("first_lesson", at(3)).badge("streak_3", at(11))
    b = Pet(shop, at(4), "u2").badge("first_lesson", at(4), "manual").evolve(at(10)).evolve(at(12))
    c = Pet(shop, at(10), "u3").evolve(at(11)).archive(at(12))
    late = Pet(shop, at(20), "u4").badge("first_lesson", at(20))  # after the window
    theirs = Pet(other, at(3), "x").badge("first_lesson", at(3)).evolve(at(4))
    a.tick("daily", 1, at(3)).tick("daily", 2, at(4)).freeze("daily", 2, at(5)).burn(
        "daily", 2, at(7)
    ).tick("daily", 1, at(10), reset=True).milestone("daily", 1, at(10))
    b.tick("weekly", 1, at(4))
    a.wear(["hat"], at(4)).wear([], at(5)).wear(["hat", "scarf"], at(11))
    b.wear(["hat"], at(12))
    events = [*a.events(), *b.events(), *c.events(), *late.events(), *theirs.events()]
    events += [
        impression(a, "hat", at(3)),
        impression(b, "hat", at(3)),
        impression(c, "hat", at(10)),
        impression(a, "scarf", at(10)),
        acquisition(a, "hat", at(3), price=30),
        acquisition(b, "hat", at(11), price=30),
        acquisition(a, "scarf", at(10)),
        impression(theirs, "hat", at(3)),
        acquisition(theirs, "hat", at(3), price=99),
    ]
    views.fold(events)
    q = views.queries

    badges = q.badges(shop, WINDOW)
    assert [(x.badge_key, x.awarded, x.by_rules, x.manual) for x in badges] == [
        ("first_lesson", 2, 1, 1),
        ("streak_3", 1, 1, 0),
    ]

    reached = q.stages_reached(shop, WINDOW, "week")
    assert reached.totals == {1: 3, 2: 2, 3: 1}
    assert reached.series == {date(2025, 3, 3): {1: 2}, date(2025, 3, 10): {1: 1, 2: 2, 3: 1}}
    # active now: a (1), late (1), b (3); c archived at stage 2
    assert {k: v for k, v in q.stage_distribution(shop).items() if v} == {1: 2, 3: 1}

    [daily, weekly] = q.streaks(shop, WINDOW, "week")
    assert daily.streak_key == "daily" and daily.totals == {
        "ticks": 3,
        "restarts": 1,
        "freezes": 1,
        "burns": 1,
        "counts_lost": 2,
        "milestones": 1,
    }
    assert daily.series[date(2025, 3, 10)] == {
        "ticks": 1,
        "restarts": 1,
        "freezes": 0,
        "burns": 0,
        "counts_lost": 0,
        "milestones": 1,
    }
    assert (weekly.streak_key, weekly.totals["ticks"]) == ("weekly", 1)

    items = {i.item_id: i for i in q.items(shop, WINDOW)}
    hat, scarf = items["hat"], items["scarf"]
    # a wore the hat on the 4th, took it off, wore it again on the 11th: one first equip
    assert (hat.impressions, hat.purchases, hat.grants, hat.coins_spent, hat.equips) == (
        3,
        2,
        0,
        60,
        2,
    )
    assert (scarf.impressions, scarf.purchases, scarf.grants, scarf.equips) == (1, 0, 1, 1)
    first_week = {i.item_id: i for i in q.items(shop, Window(date(2025, 3, 3), date(2025, 3, 9)))}
    assert (first_week["hat"].purchases, first_week["hat"].equips) == (1, 1)
    assert "scarf" not in first_week

    theirs_badges = q.badges(other, WINDOW)
    assert [(x.badge_key, x.awarded) for x in theirs_badges] == [("first_lesson", 1)]
    assert [(i.item_id, i.purchases, i.coins_spent) for i in q.items(other, WINDOW)] == [
        ("hat", 1, 99)
    ]
    assert q.badges(Tenant(shop.customer_id, "test"), WINDOW) == []


def test_users_and_segments_from_customer_events(views: Views) -> None:
    shop = tenant()
    events = [
        customer_event(shop, "u1", at(3, 9)),
        customer_event(shop, "u1", at(3, 10)),
        customer_event(shop, "u2", at(3), audience="students"),
        customer_event(shop, "u1", at(4), outcome="applied"),
        customer_event(shop, "u1", at(4, 13), outcome="applied"),
        customer_event(shop, "u3", at(4), outcome="applied", type="quiz_passed"),
        customer_event(shop, "u2", at(10), outcome="applied", audience="students"),
        customer_event(shop, "u3", at(10), outcome="rejected"),
        customer_event(Tenant(shop.customer_id, "test"), "u9", at(3)),
    ]
    views.fold(events, one_by_one=True)
    q = views.queries

    users = q.most_active(shop, None, WINDOW, 10)
    assert [(u.user_id, u.events, u.active_days) for u in users] == [
        ("u1", 4, 2),
        ("u2", 2, 2),
        ("u3", 1, 1),
    ]
    assert users[0].last_event_at == "2025-03-04T13:00:00.000000Z"
    assert [u.user_id for u in q.most_active(shop, None, WINDOW, 1)] == ["u1"]
    assert [(u.user_id, u.events) for u in q.most_active(shop, "students", WINDOW, 10)] == [
        ("u2", 2)
    ]

    with_buddy, without = q.segments(shop, None, WINDOW, "week")
    assert with_buddy.segment == "with_buddy" and without.segment == "without_buddy"
    assert with_buddy.days[date(2025, 3, 4)] == (3, 2)
    assert with_buddy.series == {date(2025, 3, 3): (3, 2), date(2025, 3, 10): (1, 1)}
    assert without.series == {date(2025, 3, 3): (3, 2), date(2025, 3, 10): (0, 0)}
    assert sum(u for _, u in without.days.values()) == 2

    assert views.queries.type_totals(shop) == {"lesson_completed": 7, "quiz_passed": 1}


def _history(shop: Tenant) -> list[DomainEvent]:
    a = Pet(shop, at(3), "u1").badge("b", at(3)).evolve(at(4)).tick("s", 1, at(4))
    a.wear(["hat"], at(5)).wear([], at(6)).wear(["hat"], at(7)).archive(at(8))
    return [
        *a.events(),
        customer_event(shop, "u1", at(3), outcome="applied", audience="x"),
        customer_event(shop, "u1", at(3, 14)),
        acquisition(a, "hat", at(5), price=3),
    ]


def _clear(views: Views) -> None:
    with views.views.transaction() as tx:
        for table in views.breakdowns.tables:
            tx.execute(f"DELETE FROM {table.name}")


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(min_value=1, max_value=11), max_size=6))
def test_any_batching_of_the_log_reaches_the_same_rows(views: Views, cuts: list[int]) -> None:
    """A follower applies one event at a time, a rebuild whole chunks: the rows agree."""
    events = _history(tenant())
    _clear(views)
    views.fold(events, one_by_one=True)
    expected = views.rows()
    assert expected["view_analytics_stages"] and expected["view_analytics_items"]
    _clear(views)
    start = 0
    for cut in sorted(set(cuts)):
        views.fold(events[start:cut])
        start = cut
    views.fold(events[start:])
    assert views.rows() == expected


def test_a_customer_event_tries_one_marker_per_audience_first(views: Views) -> None:
    """The usual event is a user active again the same day: each view inserts one marker per
    audience for it (the day's), and tries the week's and month's only when that one is new."""
    event = customer_event(tenant(), "u1", at(3), outcome="applied", audience="students")
    for view in (AnalyticsRollupsView(), views.breakdowns):
        markers = [c for c in view.handle(event) if isinstance(c, Once)]
        assert len(markers) == 2, view.name
        assert all(m.key["period"].startswith("day:") for m in markers), view.name


def test_rollups_count_a_user_once_in_a_week_that_spans_two_months(views: Views) -> None:
    """Tuesday 2025-09-30 and Thursday 2025-10-02 are one week (from Monday 09-29) but two
    months: the second day's marker is new, so its month counts the user, its week does not."""
    shop = tenant()
    rollups = AnalyticsRollupsView()
    views.views.register(rollups)
    days = [
        datetime(2025, 9, 30, 9, tzinfo=UTC),
        datetime(2025, 9, 30, 10, tzinfo=UTC),
        datetime(2025, 10, 2, 9, tzinfo=UTC),
        datetime(2025, 10, 7, 9, tzinfo=UTC),
    ]
    events = [customer_event(shop, "u1", when, audience="students") for when in days]
    for position, event in enumerate(events, start=1):
        views.views.apply(rollups.name, list(rollups.handle(event)), position)
    q = RollupQueries(views.views, SystemClock())
    for audience in (None, "students"):
        assert q.active_at(shop, audience, date(2025, 9, 30)) == (1, 1, 1)
        assert q.active_at(shop, audience, date(2025, 10, 2)) == (1, 1, 1)
        assert q.active_at(shop, audience, date(2025, 10, 7)) == (1, 1, 1)
        weeks = q.activity(shop, audience, Window(date(2025, 9, 29), date(2025, 10, 12)), "week")
        assert [(p.events, p.active_users, p.new_users) for p in weeks] == [(3, 1, 1), (1, 1, 0)]
        [first, second] = q.retention(shop, audience, Window(date(2025, 9, 29), date(2025, 10, 12)))
        assert (first.users, [w.active_users for w in first.weeks]) == (1, [1, 1])
        assert second.users == 0
    months = views.views.select(
        "SELECT period, events, active_users, new_users FROM view_analytics_activity"
        " WHERE customer_id = {p} AND audience = {p} AND period LIKE {p} ORDER BY period",
        [shop.customer_id.hex, "", "month:%"],
    )
    counted = [(r["period"], r["events"], r["active_users"], r["new_users"] or 0) for r in months]
    assert counted == [
        ("month:2025-09", 2, 1, 1),
        ("month:2025-10", 2, 1, 0),
    ]
