"""The leaderboard view folded from real domain events, read back through its queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.companions.buddy import Buddy
from domain.economy.ledger import Ledger
from domain.shared.tenancy import Tenant
from infrastructure.analytics.leaderboard_queries import Board, LeaderboardQueries
from infrastructure.persistence.event_store import ensure_postgres_schema
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.settings import Settings
from projections.analytics.leaderboard import LeaderboardView, Metric, Window

NOW = datetime(2025, 3, 12, 12, 0, tzinfo=UTC)  # Wednesday; the week began on Monday 10th
TOKENS = {"primary": "stars", "progression": "xp"}


class FixedClock:
    def now(self) -> datetime:
        return NOW


class Pet:
    """A buddy and its wallet, whose events are folded into the view on demand."""

    def __init__(self, tenant: Tenant, at: datetime, buddy_id: UUID | None = None) -> None:
        self.buddy = Buddy(
            id=buddy_id or uuid4(),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            user_id=f"user-{uuid4().hex[:6]}",
            egg_id=uuid4(),
            config_version_id=uuid4(),
            name="Pip",
            correlation_id=None,
            timestamp=at,
        )
        self.ledger = Ledger(
            id=uuid4(),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            buddy_id=self.buddy.id,
            token_keys=TOKENS,
            timestamp=at,
        )

    def earn(self, amount: int, at: datetime, currency: str = "coins") -> Pet:
        self.ledger.credit(
            currency=currency,
            amount=amount,
            reason="test",
            entry_id=uuid4(),
            causation={},
            timestamp=at,
        )
        return self

    def evolve(self, at: datetime) -> Pet:
        self.buddy.update_evolution_readiness(ready=True, causation={}, timestamp=at)
        self.buddy.evolve(
            to_stage=self.buddy.evolution_stage + 1, operation_id=uuid4(), timestamp=at
        )
        return self


class Leaderboard:
    def __init__(self, views: ViewStore) -> None:
        self.views = views
        self.view = LeaderboardView()
        self.position = 0
        self.queries = LeaderboardQueries(views, FixedClock())
        views.register(self.view)

    def fold(self, *pets: Pet) -> None:
        events = [
            event
            for pet in pets
            for event in (*pet.buddy.collect_events(), *pet.ledger.collect_events())
        ]
        changes = [change for event in events for change in self.view.handle(event)]
        self.position += len(events)
        self.views.apply(self.view.name, changes, self.position)

    def board(
        self,
        tenant: Tenant,
        metric: Metric = "coins_earned",
        window: Window = "all_time",
        limit: int = 100,
        **options: object,
    ) -> Board:
        return self.queries.board(tenant, metric, window, limit, **options)  # type: ignore[arg-type]


def ranking(board: Board) -> list[tuple[UUID, int]]:
    return [(entry.buddy_id, entry.score) for entry in board.top]


@pytest.fixture
def leaderboard(settings: Settings) -> Iterator[Leaderboard]:
    if settings.database_schema:
        ensure_postgres_schema(settings)
    views = ViewStore(settings)
    yield Leaderboard(views)
    views.close()


def tenant() -> Tenant:
    return Tenant(uuid4(), "live")


def test_the_order_is_score_then_who_got_there_first_then_the_buddy_id(
    leaderboard: Leaderboard,
) -> None:
    shop = tenant()
    t0 = NOW - timedelta(hours=3)
    late = Pet(shop, t0).earn(50, t0 + timedelta(hours=1))
    early = Pet(shop, t0).earn(20, t0).earn(30, t0 + timedelta(minutes=4))
    same_time = [Pet(shop, t0, UUID(int=n)).earn(50, t0 + timedelta(minutes=5)) for n in (9, 2)]
    low = Pet(shop, t0).earn(10, t0)
    leaderboard.fold(late, early, *same_time, low)

    board = leaderboard.board(shop)

    expected = [early, same_time[1], same_time[0], late, low]
    assert ranking(board) == [(p.buddy.id, 50) for p in expected[:4]] + [(low.buddy.id, 10)]
    assert [entry.rank for entry in board.top] == [1, 2, 3, 4, 5]
    assert board.total == 5
    top_two = leaderboard.board(shop, limit=2)
    assert ranking(top_two) == ranking(board)[:2] and top_two.total == 5


def test_windows_count_only_what_was_earned_inside_them_in_utc(leaderboard: Leaderboard) -> None:
    shop = tenant()
    last_month = datetime(2025, 2, 20, tzinfo=UTC)
    sunday_night = datetime(2025, 3, 9, 23, 59, tzinfo=UTC)  # the week before this one
    veteran = Pet(shop, last_month).earn(100, last_month).earn(10, NOW)
    weekend = Pet(shop, last_month).earn(40, sunday_night)
    newcomer = Pet(shop, NOW).earn(30, NOW)
    leaderboard.fold(veteran, weekend, newcomer)

    def scores(window: Window, at: datetime | None = None) -> list[tuple[UUID, int]]:
        return ranking(leaderboard.board(shop, window=window, at=at))

    assert scores("all_time") == [
        (veteran.buddy.id, 110),
        (weekend.buddy.id, 40),
        (newcomer.buddy.id, 30),
    ]
    assert scores("monthly") == [
        (weekend.buddy.id, 40),
        (newcomer.buddy.id, 30),
        (veteran.buddy.id, 10),
    ]
    assert scores("weekly") == [(newcomer.buddy.id, 30), (veteran.buddy.id, 10)]
    assert scores("weekly", sunday_night) == [(weekend.buddy.id, 40)]
    assert scores("monthly", last_month) == [(veteran.buddy.id, 100)]
    board = leaderboard.board(shop, window="weekly")
    assert (board.period_start, board.period_end) == (
        datetime(2025, 3, 10, tzinfo=UTC),
        datetime(2025, 3, 17, tzinfo=UTC),
    )


def test_xp_is_the_progression_token_earned_and_follows_the_slot(leaderboard: Leaderboard) -> None:
    shop = tenant()
    pet = Pet(shop, NOW).earn(500, NOW, "stars").earn(20, NOW, "xp").earn(5, NOW)
    other = Pet(shop, NOW).earn(25, NOW, "xp")
    leaderboard.fold(pet, other)
    assert ranking(leaderboard.board(shop, "xp")) == [(other.buddy.id, 25), (pet.buddy.id, 20)]

    pet.ledger.change_token_keys(
        token_keys={"primary": "stars", "progression": "energy"}, causation={}, timestamp=NOW
    )
    pet.earn(3, NOW, "energy")
    leaderboard.fold(pet)
    assert ranking(leaderboard.board(shop, "xp")) == [(other.buddy.id, 25), (pet.buddy.id, 3)]


def test_stage_ranks_the_stage_reached_in_the_window(leaderboard: Leaderboard) -> None:
    shop = tenant()
    old = datetime(2025, 1, 15, tzinfo=UTC)
    elder = Pet(shop, old).evolve(old).evolve(old)
    climber = Pet(shop, old).evolve(NOW)
    fresh = Pet(shop, NOW)
    leaderboard.fold(elder, climber, fresh)
    assert ranking(leaderboard.board(shop, "stage")) == [
        (elder.buddy.id, 3),
        (climber.buddy.id, 2),
        (fresh.buddy.id, 1),
    ]
    assert ranking(leaderboard.board(shop, "stage", "monthly")) == [
        (climber.buddy.id, 2),
        (fresh.buddy.id, 1),
    ]


def test_a_buddys_rank_comes_with_up_to_three_neighbours_on_each_side(
    leaderboard: Leaderboard,
) -> None:
    shop = tenant()
    pets = [Pet(shop, NOW).earn(100 - n, NOW) for n in range(12)]
    idle = Pet(shop, NOW)
    leaderboard.fold(*pets, idle)

    def around(index: int) -> tuple[int, list[int]]:
        board = leaderboard.board(shop, limit=1, buddy_id=pets[index].buddy.id)
        assert board.focus is not None and board.focus.buddy_id == pets[index].buddy.id
        return board.focus.rank, [entry.rank for entry in board.neighbours]

    assert around(5) == (6, [3, 4, 5, 7, 8, 9])
    assert around(1) == (2, [1, 3, 4, 5])
    assert around(11) == (12, [9, 10, 11])
    board = leaderboard.board(shop, buddy_id=pets[7].buddy.id)
    assert [e.buddy_id for e in board.neighbours] == [
        p.buddy.id for p in pets[4:11] if p is not pets[7]
    ]
    unranked = leaderboard.board(shop, buddy_id=idle.buddy.id)
    assert unranked.focus is None and unranked.neighbours == ()


def test_tenants_modes_and_archived_buddies_stay_out(leaderboard: Leaderboard) -> None:
    customer = uuid4()
    live, test = Tenant(customer, "live"), Tenant(customer, "test")
    mine = Pet(live, NOW).earn(10, NOW)
    sandbox = Pet(test, NOW).earn(99, NOW)
    stranger = Pet(tenant(), NOW).earn(500, NOW)
    retired = Pet(live, NOW).earn(70, NOW)
    retired.buddy.archive(timestamp=NOW)
    leaderboard.fold(mine, sandbox, stranger, retired)
    assert ranking(leaderboard.board(live)) == [(mine.buddy.id, 10)]
    assert ranking(leaderboard.board(test)) == [(sandbox.buddy.id, 99)]
    assert leaderboard.board(live, buddy_id=stranger.buddy.id).focus is None


credits = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 50), st.integers(0, 40)),
    min_size=1,
    max_size=25,
)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(credits=credits, window=st.sampled_from(["all_time", "monthly", "weekly"]))
def test_every_window_ranks_the_sums_a_direct_computation_gives(
    leaderboard: Leaderboard, credits: list[tuple[int, int, int]], window: Window
) -> None:
    """Credits (buddy, amount, days ago) folded into the view rank exactly like sorting
    the sums per window by (-sum, time of the last credit, buddy id)."""
    shop = tenant()
    start = NOW - timedelta(days=60)
    pets = [Pet(shop, start) for _ in range(6)]
    totals: dict[UUID, tuple[int, datetime]] = {}
    window_start = leaderboard.board(shop, window=window).period_start
    timed = sorted(
        (
            (NOW - timedelta(days=days_ago, minutes=index), index, amount)
            for index, amount, days_ago in credits
        )
    )
    for at, index, amount in timed:  # a wallet's entries are recorded in time order
        pets[index].earn(amount, at)
        if window_start is None or at >= window_start:
            total, last = totals.get(pets[index].buddy.id, (0, at))
            totals[pets[index].buddy.id] = (total + amount, max(last, at))
    leaderboard.fold(*pets)
    expected = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0].hex))
    board = leaderboard.board(shop, window=window)
    assert ranking(board) == [(buddy_id, total) for buddy_id, (total, _) in expected]
    for rank, (buddy_id, _) in enumerate(expected, start=1):
        focus = leaderboard.board(shop, window=window, limit=1, buddy_id=buddy_id).focus
        assert focus is not None and focus.rank == rank
