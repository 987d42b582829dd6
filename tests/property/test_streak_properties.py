"""Properties of streaks (issue 15): over any sequence of event times, the count is the final
run of consecutive periods, no period ticks twice, a sweep changes nothing the next event
would not have, and replaying the recorded facts rebuilds the same state."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.companions.buddy import Buddy, next_due
from domain.configs.rulebook import Rulebook
from domain.economy.ledger import WalletBalances
from domain.ingestion.rules import (
    CustomerEvent,
    ProgressState,
    apply,
    apply_streak_facts,
    evaluate,
    sweep_streaks,
)
from domain.ingestion.streaks import (
    KEEP,
    StreakBurn,
    StreakFact,
    StreakFreeze,
    StreakTick,
    period_index,
)

T0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
SPAN = {"daily": timedelta(days=30), "weekly": timedelta(weeks=7), "monthly": timedelta(days=60)}
assert all(
    SPAN[p] < timedelta(days=KEEP[p] * {"daily": 1, "weekly": 7, "monthly": 28}[p]) for p in SPAN
)  # every event stays inside what a record remembers


def rulebook(period: str, *, freeze: bool) -> Rulebook:
    return Rulebook.from_dict(
        {
            "token_config": {
                "primary": {"token_key": "gems", "label": "Gems"},
                "progression": {"token_key": "xp", "label": "XP"},
            },
            "streaks": [
                {
                    "key": "habit",
                    "event_types": ["lesson_completed"],
                    "period": period,
                    "tick_coins": 2,
                    "milestones": [{"count": 3, "coins": 10}, {"count": 5, "tokens": {"xp": 1}}],
                    "freeze_token_key": "gems" if freeze else None,
                }
            ],
        }
    )


def event(n: int, at: datetime) -> CustomerEvent:
    return CustomerEvent(event_id=f"evt_{n}", type="lesson_completed", user_id="u", occurred_at=at)


def final_run(periods: set[int]) -> int:
    """The length of the run of consecutive periods that ends at the latest one."""
    if not periods:
        return 0
    latest, length = max(periods), 0
    while latest - length in periods:
        length += 1
    return length


def run_events(
    book: Rulebook, state: ProgressState, events: list[CustomerEvent]
) -> tuple[ProgressState, list[StreakFact]]:
    facts: list[StreakFact] = []
    for e in events:
        evaluation = evaluate(book, state, e)
        state = apply(state, evaluation)
        facts.extend(evaluation.effects.streaks)
    return state, facts


periods = st.sampled_from(["daily", "weekly", "monthly"])
STREAK_EVENTS = (
    Buddy.StreakTicked,
    Buddy.StreakFrozen,
    Buddy.StreakBurned,
    Buddy.StreakMilestoneReached,
)


@st.composite
def offsets(draw: st.DrawFn, period: str) -> list[timedelta]:
    seconds = int(SPAN[period].total_seconds())
    return draw(st.lists(st.integers(min_value=0, max_value=seconds), min_size=1, max_size=25))


@settings(max_examples=200, deadline=None)
@given(data=st.data(), period=periods)
def test_in_any_arrival_order_the_count_is_the_final_run_and_no_period_ticks_twice(
    data: st.DataObject, period: str
) -> None:
    times = [T0 + timedelta(seconds=s) for s in data.draw(offsets(period))]
    book = rulebook(period, freeze=False)
    state, facts = run_events(book, ProgressState(), [event(i, t) for i, t in enumerate(times)])
    ticked = Counter(f.period for f in facts if isinstance(f, StreakTick))
    assert all(n == 1 for n in ticked.values())
    expected = final_run({period_index(period, t) for t in times})
    assert state.streaks["habit"] == expected
    assert state.streak_records["habit"].count == expected
    # Every tick, and only a tick, pays its bonus; milestones pay once per run.
    assert state.coins >= 2 * len(ticked)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), period=periods, tokens=st.integers(min_value=0, max_value=4))
def test_in_time_order_freezes_keep_missed_periods_while_tokens_last(
    data: st.DataObject, period: str, tokens: int
) -> None:
    times = sorted(T0 + timedelta(seconds=s) for s in data.draw(offsets(period)))
    book = rulebook(period, freeze=True)
    start = ProgressState(tokens={"gems": tokens, "xp": 0})
    state, facts = run_events(book, start, [event(i, t) for i, t in enumerate(times)])

    # The model: missed periods are kept one token each, in order; the first one no token
    # keeps burns the streak (and the tokens spent before it stay spent).
    count, last, left = 0, None, tokens
    for index in sorted({period_index(period, t) for t in times}):
        missed = 0 if last is None else index - last - 1
        if missed <= left:
            left -= missed
            count += 1
        else:
            left, count = 0, 1
        last = index
    assert state.streaks["habit"] == count
    assert state.tokens["gems"] == left
    assert sum(isinstance(f, StreakFreeze) for f in facts) == tokens - left


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    period=periods,
    tokens=st.integers(min_value=0, max_value=3),
    sweeps=st.lists(st.floats(min_value=0, max_value=1), max_size=6),
)
def test_a_sweep_burns_or_freezes_exactly_what_the_next_event_would(
    data: st.DataObject, period: str, tokens: int, sweeps: list[float]
) -> None:
    times = sorted(T0 + timedelta(seconds=s) for s in data.draw(offsets(period)))
    book = rulebook(period, freeze=True)
    start = ProgressState(tokens={"gems": tokens, "xp": 0})
    events = [event(i, t) for i, t in enumerate(times)]
    plain, plain_facts = run_events(book, start, events)

    # Sweeps at instants between the first and the last event, each run twice.
    span = times[-1] - times[0]
    instants = sorted(times[0] + span * f for f in sweeps)
    state, facts, pending = start, [], list(events)
    for instant in [*instants, None]:
        while pending and (instant is None or pending[0].occurred_at <= instant):
            state, more = run_events(book, state, [pending.pop(0)])
            facts.extend(more)
        if instant is not None:
            for _ in range(2):
                swept = sweep_streaks(book, state, instant)
                state, facts = swept.state, [*facts, *swept.facts]
    assert state.streaks == plain.streaks
    assert state.tokens["gems"] == plain.tokens["gems"]
    assert Counter(map(type, facts))[StreakBurn] == Counter(map(type, plain_facts))[StreakBurn]


@settings(max_examples=100, deadline=None)
@given(data=st.data(), period=periods, tokens=st.integers(min_value=0, max_value=3))
def test_replaying_the_buddys_facts_rebuilds_the_same_streak_state(
    data: st.DataObject, period: str, tokens: int
) -> None:
    times = [T0 + timedelta(seconds=s) for s in data.draw(offsets(period))]
    book = rulebook(period, freeze=True)
    buddy = Buddy(
        id=uuid4(),
        customer_id=uuid4(),
        mode="test",
        user_id="u",
        egg_id=uuid4(),
        config_version_id=uuid4(),
        name="Pip",
        correlation_id=None,
        timestamp=T0,
    )
    wallet: dict[str, Any] = {"coins": 0, "tokens": {"gems": tokens, "xp": 0}}
    state = buddy.progress_state(WalletBalances(tokens=dict(wallet["tokens"])))
    all_facts: list[StreakFact] = []
    for i, t in enumerate(times):
        evaluation = evaluate(book, state, event(i, t))
        buddy.record_progress(evaluation, timestamp=T0)
        state = apply(state, evaluation)
        all_facts.extend(evaluation.effects.streaks)
        swept = sweep_streaks(book, state, t + timedelta(days=3))
        if swept.facts:
            buddy.record_streak_sweep(swept, causation={}, timestamp=T0)
            state = swept.state
            all_facts.extend(swept.facts)

    copy = None
    for recorded in buddy.collect_events():
        copy = recorded.mutate(copy)
        if isinstance(recorded, STREAK_EVENTS):  # its due date is the records' after it
            assert isinstance(copy, Buddy)
            assert recorded.next_due_at == next_due(copy.records())
    assert isinstance(copy, Buddy)
    assert copy.records() == buddy.records() == dict(state.streak_records)
    assert copy.streaks == buddy.streaks == dict(state.streaks)
    assert apply_streak_facts({}, all_facts) == dict(state.streak_records)
