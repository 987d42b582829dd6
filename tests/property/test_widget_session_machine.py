"""The widget session against a model (seed §5.5), and widget tokens under tampering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.shared.errors import InvalidStateTransition, Unauthorized
from domain.shared.tenancy import Tenant
from domain.widgets.widget_session import (
    SESSION_MAX_TTL_SECONDS,
    WIDGET_SCOPES,
    WidgetGrant,
    WidgetSession,
    expiry,
)
from infrastructure.widgets.widget_tokens import JwtWidgetTokens

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class WidgetSessionMachine(RuleBasedStateMachine):
    """Time moves on; the page uses the token; the customer revokes it. The model says what
    the status must be at every instant, and replaying the events gives the same session."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.expires_at = expiry(T0, 600, SESSION_MAX_TTL_SECONDS)
        self.session = WidgetSession(
            id=uuid4(),
            customer_id=uuid4(),
            mode="test",
            buddy_id=uuid4(),
            user_id="u",
            scopes=["read"],
            expires_at=self.expires_at,
            issued_by="x",
            timestamp=T0,
        )
        self.used = False
        self.revoked = False
        self.events: list[Any] = self.session.collect_events()

    def model(self) -> str:
        if self.revoked:
            return "revoked"
        if self.now >= self.expires_at:
            return "expired"
        return "active" if self.used else "issued"

    @rule(seconds=st.integers(min_value=0, max_value=400))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule()
    def the_page_uses_the_token(self) -> None:
        before = self.model()
        try:
            self.session.activate(timestamp=self.now)
        except InvalidStateTransition:
            assert before in ("expired", "revoked")
            return
        assert before in ("issued", "active")
        self.used = True

    @rule()
    def the_customer_revokes_it(self) -> None:
        try:
            self.session.revoke(actor="x", timestamp=self.now)
        except InvalidStateTransition:
            assert self.revoked
            return
        assert not self.revoked
        self.revoked = True

    @invariant()
    def status_follows_the_model(self) -> None:
        assert self.session.status_at(self.now) == self.model()

    @invariant()
    def replay_gives_the_same_session(self) -> None:
        self.events += self.session.collect_events()
        app: Application[Any] = Application()
        app.recorder.insert_events([app.mapper.to_stored_event(e) for e in self.events])
        replayed = app.repository.get(self.session.id)
        assert replayed.status_at(self.now) == self.model()
        assert replayed.activated_at == self.session.activated_at


WidgetSessionMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=20)
TestWidgetSessionMachine = WidgetSessionMachine.TestCase

grants = st.builds(
    WidgetGrant,
    kind=st.just("widget_session"),
    tenant=st.builds(Tenant, st.uuids(), st.sampled_from(["live", "test"])),
    buddy_id=st.uuids(),
    user_id=st.text(min_size=1, max_size=40),
    scopes=st.lists(st.sampled_from(WIDGET_SCOPES), min_size=1, unique=True).map(tuple),
    expires_at=st.integers(min_value=1, max_value=10**6).map(lambda s: T0 + timedelta(seconds=s)),
    issued_at=st.just(T0),
    session_id=st.uuids(),
)
TOKENS = JwtWidgetTokens("property-test-secret-" + "y" * 32)


@settings(max_examples=80)
@given(grant=grants, data=st.data())
def test_a_token_reads_back_exactly_and_any_change_breaks_it(
    grant: WidgetGrant, data: st.DataObject
) -> None:
    token = TOKENS.issue(grant, T0)
    assert TOKENS.read(token) == grant
    assert TOKENS.read(token).issued_at == T0
    # Change one character, never the last of a segment (its spare base64 bits may not count).
    spots = [i for i, c in enumerate(token) if c != "." and token[i + 1 : i + 2] not in (".", "")]
    where = data.draw(st.sampled_from(spots))
    other = data.draw(st.sampled_from([c for c in "AQgw_-Zz09" if c != token[where]]))
    with pytest.raises(Unauthorized) as refused:
        TOKENS.read(token[:where] + other + token[where + 1 :])
    assert refused.value.reason == "invalid"
