"""Properties of event dating (decision 0018) through the real ingestion use case.

Whatever ``occurred_at`` a caller claims, an event is accepted exactly when it is dated inside
the window around the moment it is received, a refused one changes nothing, and no capped rule
ever pays more than its cap for one UTC day. From a widget session nothing is dated before
the session was issued (less the skew), so a browser earns at most the caps of the few days
its session touches, however it dates its events.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from application.companions.operations import Operations
from application.ingestion.ingestion import EventInput, Ingestion
from application.widgets.widgets import Widgets
from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook
from domain.ingestion.event_window import FUTURE_SKEW
from domain.ingestion.rules import utc_day
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant
from infrastructure.accounts.security import RandomSecrets
from infrastructure.widgets.widget_tokens import JwtWidgetTokens
from tests.unit.history_world import Clock, World

LESSON = "lesson_completed"
DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)
CAPS = {
    rule.id: rule.daily_cap
    for rule in Rulebook.from_dict(preset_document("language-learning")).coin_rules
    if rule.event_type == LESSON and rule.daily_cap is not None
}


class Scene:
    """A buddy on the language-learning preset, a frozen clock, and the ingestion use case."""

    def __init__(self, backfill: timedelta) -> None:
        self.clock = Clock(step=timedelta(0))
        self.world = World(clock=self.clock)
        self.tenant: Tenant = self.world.open_tenant()
        self.buddy_id = self.world.hatch(self.tenant)
        self.user_id = self.world.user_of(self.tenant, self.buddy_id)
        self.ingestion = Ingestion(
            self.world.store, self.clock, self.world.configs, group_commit=False, backfill=backfill
        )

    @property
    def now(self) -> datetime:
        return self.clock.moment

    def session_issued_at(self) -> datetime:
        """Open a widget session now and read its grant back the way ``/widget/*`` does."""
        widgets = Widgets(
            self.world.store,
            self.clock,
            RandomSecrets(),
            JwtWidgetTokens("property-secret-" + "z" * 32),
            self.world.buddies,
            Operations(self.world.store, self.clock, self.world.configs),
            self.world.directory,
        )
        _, token = widgets.open_session(
            self.tenant, self.buddy_id, None, ["events:track"], 3600, "secret_key:test"
        )
        return widgets.authenticate(token).issued_at

    def send(
        self, occurred_at: datetime, issued_at: datetime | None, score: int = 0
    ) -> dict[str, Any] | DomainError:
        item = EventInput(
            event_id=f"evt_{uuid.uuid4().hex}",
            user_id=self.user_id,
            type=LESSON,
            occurred_at=occurred_at,
            properties={"score": score},
            session_issued_at=issued_at,
        )
        try:
            ingestion, duplicate = self.ingestion.ingest(self.tenant, item)
        except DomainError as refusal:
            return refusal
        assert not duplicate
        return {"occurred_at": ingestion.occurred_at, "trace": ingestion.trace, **ingestion.effects}

    def coins(self) -> int:
        return self.world.buddies.state(self.tenant, self.buddy_id).ledger.balance("coins")


def window(scene: Scene, backfill: timedelta, issued_at: datetime | None) -> tuple[datetime, ...]:
    """The bounds, worked out from the decision's words rather than from the code."""
    earliest = scene.now - backfill
    if issued_at is not None:
        earliest = max(earliest, issued_at - timedelta(minutes=5))
    return earliest, scene.now + timedelta(minutes=5)


backfills = st.integers(min_value=0, max_value=40).map(lambda days: timedelta(days=days))
offsets = st.one_of(
    st.integers(min_value=-45 * 86_400, max_value=2 * 86_400).map(lambda s: timedelta(seconds=s)),
    st.sampled_from(["earliest", "before_earliest", "latest", "after_latest", "far_future"]),
)


@settings(max_examples=120, deadline=None)
@given(
    backfill=backfills,
    session_age=st.one_of(st.none(), st.integers(min_value=0, max_value=3600)),
    picks=st.lists(offsets, min_size=1, max_size=8),
)
def test_an_event_is_accepted_iff_dated_inside_its_window(
    backfill: timedelta, session_age: int | None, picks: list[timedelta | str]
) -> None:
    scene = Scene(backfill)
    issued_at = None
    if session_age is not None:
        issued_at = scene.session_issued_at()
        scene.clock.moment += timedelta(seconds=session_age)
    earliest, latest = window(scene, backfill, issued_at)
    by_name = {
        "earliest": earliest,
        "before_earliest": earliest - MICROSECOND,
        "latest": latest,
        "after_latest": latest + MICROSECOND,
        "far_future": datetime.fromisoformat("2999-01-01T00:00:00+00:00"),
    }
    balance = scene.coins()
    for pick in picks:
        occurred_at = by_name[pick] if isinstance(pick, str) else scene.now + pick
        head = scene.world.store.head()
        answer = scene.send(occurred_at, issued_at)
        if earliest <= occurred_at <= latest:
            assert not isinstance(answer, DomainError), (occurred_at, answer.message)
            assert answer["occurred_at"] == occurred_at
            balance += answer["coins"]
        else:
            assert isinstance(answer, DomainError), occurred_at
            assert answer.code == "validation_failed"
            assert answer.details is not None
            assert answer.details["fields"][0]["field"] == "occurred_at"
            bounds = {answer.details["earliest"], answer.details["latest"]}
            assert bounds == {iso(earliest), iso(latest)}
            assert scene.world.store.head() == head  # a refusal writes nothing
        assert scene.coins() == balance


@settings(max_examples=60, deadline=None)
@given(
    from_widget=st.booleans(),
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=6 * 3600),  # how far the clock moves first
            st.integers(min_value=-40 * 86_400, max_value=86_400),  # occurred_at - now
            st.sampled_from([0, 100]),  # score: 100 also fires the perfect-lesson bonus
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_no_capped_rule_pays_more_than_its_cap_for_a_utc_day_however_events_are_dated(
    from_widget: bool, steps: list[tuple[int, int, int]]
) -> None:
    scene = Scene(timedelta(days=35))
    issued_at = scene.session_issued_at() if from_widget else None
    paid: dict[tuple[str, str], int] = defaultdict(int)
    for advance, offset, score in steps:
        scene.clock.moment += timedelta(seconds=advance)
        answer = scene.send(scene.now + timedelta(seconds=offset), issued_at, score)
        if isinstance(answer, DomainError):
            continue
        for entry in answer["trace"]:
            if entry.get("rule_id") in CAPS and entry["fired"]:
                paid[entry["rule_id"], utc_day(answer["occurred_at"])] += entry["amount"]
    for (rule_id, _), amount in paid.items():
        assert amount <= CAPS[rule_id]
    if issued_at is not None:
        # a browser reaches only the UTC days between its session's issue and now (± skew)
        first, last = issued_at - FUTURE_SKEW, scene.now + FUTURE_SKEW
        assert all(utc_day(first) <= day <= utc_day(last) for _, day in paid)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
