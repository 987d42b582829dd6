"""The leaderboard projection: UTC windows, and the rows each event turns into."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.companions.buddy import Buddy
from domain.economy.ledger import Ledger
from projections.analytics.leaderboard import (
    LEADERBOARD_BUDDIES,
    LEADERBOARD_EARNINGS,
    LEADERBOARD_LEDGERS,
    LEADERBOARD_STAGES,
    LeaderboardView,
    bounds_of,
    period_of,
    periods_of,
)
from projections.shared.base import Upsert

T0 = datetime(2025, 3, 5, 12, 30, tzinfo=UTC)  # a Wednesday
TOKENS = {"primary": "stars", "progression": "xp"}


def ledger(at: datetime = T0) -> Ledger:
    return Ledger(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        buddy_id=uuid4(),
        token_keys=TOKENS,
        timestamp=at,
    )


def buddy(at: datetime = T0) -> Buddy:
    return Buddy(
        id=uuid4(),
        customer_id=uuid4(),
        mode="test",
        user_id="u1",
        egg_id=uuid4(),
        config_version_id=uuid4(),
        name="Pip",
        correlation_id=None,
        timestamp=at,
    )


def changes_of(aggregate: Ledger | Buddy) -> list[Upsert]:
    view = LeaderboardView()
    found = [change for event in aggregate.collect_events() for change in view.handle(event)]
    assert all(isinstance(change, Upsert) for change in found)
    return found  # type: ignore[return-value]


def test_weeks_start_on_monday_and_months_on_the_first_in_utc() -> None:
    assert period_of("weekly", T0) == "week:2025-03-03"
    assert period_of("monthly", T0) == "month:2025-03"
    assert period_of("all_time", T0) == "all"
    sunday_night = datetime(2025, 3, 9, 23, 59, 59, tzinfo=UTC)
    assert period_of("weekly", sunday_night) == "week:2025-03-03"
    assert period_of("weekly", sunday_night + timedelta(seconds=1)) == "week:2025-03-10"
    # 01:00 on Monday in UTC+2 is still Sunday in UTC
    east = datetime(2025, 3, 10, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert period_of("weekly", east) == "week:2025-03-03"
    assert bounds_of("monthly", datetime(2024, 12, 31, 23, 0, tzinfo=UTC)) == (
        datetime(2024, 12, 1, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert bounds_of("all_time", T0) == (None, None)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=9))]
        ),
    ),
    st.sampled_from(["monthly", "weekly"]),
)
def test_a_moment_lies_in_its_window_and_shares_its_key(moment: datetime, window: str) -> None:
    start, end = bounds_of(window, moment)  # type: ignore[arg-type]
    assert start is not None and end is not None
    assert start <= moment < end
    assert period_of(window, start) == period_of(window, moment)  # type: ignore[arg-type]
    assert period_of(window, end) != period_of(window, moment)  # type: ignore[arg-type]
    if window == "weekly":
        assert start.weekday() == 0 and end - start == timedelta(days=7)
    else:
        assert start.day == 1 and end.day == 1


def test_a_credit_counts_once_in_every_window_and_a_debit_not_at_all() -> None:
    wallet = ledger()
    wallet.credit(
        currency="coins", amount=30, reason="r", entry_id=uuid4(), causation={}, timestamp=T0
    )
    wallet.debit(
        currency="coins", amount=10, reason="r", entry_id=uuid4(), causation={}, timestamp=T0
    )
    wallet.credit(currency="xp", amount=7, reason="r", entry_id=uuid4(), causation={}, timestamp=T0)
    changes = changes_of(wallet)
    opened, *earned = changes
    assert opened.table == LEADERBOARD_LEDGERS.name
    assert opened.values == {"buddy_id": wallet.buddy_id.hex, "progression_key": "xp"}
    assert [c.table for c in earned] == [LEADERBOARD_EARNINGS.name] * 6
    assert {c.key["period"] for c in earned} == set(periods_of(T0))
    assert [c.increments["amount"] for c in earned] == [30, 30, 30, 7, 7, 7]
    assert [c.key["currency"] for c in earned] == ["coins"] * 3 + ["xp"] * 3


def test_a_migration_to_other_token_slots_moves_the_progression_key() -> None:
    wallet = ledger()
    wallet.change_token_keys(
        token_keys={"primary": "gems", "progression": "energy"}, causation={}, timestamp=T0
    )
    changes = changes_of(wallet)
    assert changes[-1] == Upsert(
        LEADERBOARD_LEDGERS.name, {"ledger_id": wallet.id.hex}, {"progression_key": "energy"}
    )


def test_hatch_and_evolution_record_the_stage_reached_per_window() -> None:
    pet = buddy()
    pet.update_evolution_readiness(ready=True, causation={}, timestamp=T0)
    later = T0 + timedelta(days=30)
    pet.evolve(to_stage=2, operation_id=uuid4(), timestamp=later)
    pet.archive(timestamp=later)
    changes = changes_of(pet)
    hatched = changes[0]
    assert hatched.table == LEADERBOARD_BUDDIES.name
    assert hatched.values["customer_id"] == pet.customer_id.hex
    assert hatched.values["mode"] == "test" and hatched.values["status"] == "active"
    stages = [c for c in changes if c.table == LEADERBOARD_STAGES.name]
    assert [(c.key["period"], c.values["stage"]) for c in stages] == [
        *((p, 1) for p in periods_of(T0)),
        *((p, 2) for p in periods_of(later)),
    ]
    assert changes[-1].values == {"status": "archived"}
