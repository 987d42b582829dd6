"""The widget session's life (issued → active → expired | revoked) and what a grant allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args
from uuid import uuid4

import pytest

from domain.shared.errors import DomainError, InvalidStateTransition
from domain.shared.tenancy import Tenant
from domain.widgets.widget_session import (
    EMBED_MAX_TTL_SECONDS,
    SESSION_MAX_TTL_SECONDS,
    WIDGET_SCOPES,
    WidgetGrant,
    WidgetSession,
    checked_scopes,
    expiry,
)
from interfaces.http.widgets.widget_sessions import Scope

T0 = datetime(2026, 4, 8, 10, 30, 0, 250_000, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def issue(ttl: int = 600, scopes: tuple[str, ...] = ("read",)) -> WidgetSession:
    return WidgetSession(
        id=uuid4(),
        customer_id=uuid4(),
        mode="live",
        buddy_id=uuid4(),
        user_id="user_1",
        scopes=list(scopes),
        expires_at=expiry(T0, ttl, SESSION_MAX_TTL_SECONDS),
        issued_by="secret_key:abc",
        timestamp=T0,
    )


def test_the_request_schema_lists_exactly_the_domains_scopes() -> None:
    assert get_args(Scope) == WIDGET_SCOPES


def test_scopes_are_checked_deduplicated_and_put_in_canonical_order() -> None:
    assert checked_scopes(["items:equip", "read", "read"]) == ("read", "items:equip")
    for bad, named in (
        ([], "at least one"),
        (["read", "admin"], "admin"),
        (["buddy:read"], "buddy:read"),
    ):
        with pytest.raises(DomainError) as refused:
            checked_scopes(bad)
        assert refused.value.code == "validation_failed"
        [field] = refused.value.details["fields"]  # type: ignore[index]
        assert field["field"] == "scopes" and named in field["reason"]


def test_expiry_is_a_whole_second_within_the_maximum() -> None:
    assert expiry(T0, 60, 3600) == datetime(2026, 4, 8, 10, 31, 0, tzinfo=UTC)
    assert expiry(T0, EMBED_MAX_TTL_SECONDS, EMBED_MAX_TTL_SECONDS) - T0 <= timedelta(days=1)
    for ttl in (0, -5, SESSION_MAX_TTL_SECONDS + 1):
        with pytest.raises(DomainError) as refused:
            expiry(T0, ttl, SESSION_MAX_TTL_SECONDS)
        assert refused.value.details == {
            "fields": [{"field": "ttl_seconds", "reason": "must be between 1 and 3600 seconds"}]
        }


def test_issued_until_first_use_then_active_until_it_expires() -> None:
    session = issue(ttl=600)
    assert session.status_at(at(1)) == "issued"
    session.activate(timestamp=at(5))
    assert session.status_at(at(6)) == "active" and session.activated_at == at(5)
    session.activate(timestamp=at(7))  # using it again records nothing
    assert len(session.collect_events()) == 2
    assert session.status_at(session.expires_at - timedelta(microseconds=1)) == "active"
    assert session.status_at(session.expires_at) == "expired"


def test_an_expired_or_revoked_session_cannot_become_active() -> None:
    expired = issue(ttl=10)
    with pytest.raises(InvalidStateTransition):
        expired.activate(timestamp=at(11))
    revoked = issue()
    revoked.revoke(actor="dashboard:x", timestamp=at(1))
    with pytest.raises(InvalidStateTransition):
        revoked.activate(timestamp=at(2))


def test_revoking_wins_over_everything_and_happens_once() -> None:
    for before in ("issued", "active", "expired"):
        session = issue(ttl=10)
        if before == "active":
            session.activate(timestamp=at(1))
        moment = at(20) if before == "expired" else at(2)
        assert session.status_at(moment) == before
        session.revoke(actor="dashboard:x", timestamp=moment)
        assert session.status_at(moment) == "revoked" and session.revoked_by == "dashboard:x"
        assert session.status_at(at(1)) == "revoked"
        with pytest.raises(InvalidStateTransition) as again:
            session.revoke(actor="dashboard:x", timestamp=moment)
        assert again.value.code == "invalid_state_transition"


def test_a_session_must_expire_after_it_is_issued() -> None:
    with pytest.raises(ValueError):
        WidgetSession(
            id=uuid4(),
            customer_id=uuid4(),
            mode="live",
            buddy_id=uuid4(),
            user_id="u",
            scopes=["read"],
            expires_at=T0,
            issued_by="x",
            timestamp=T0,
        )


def test_a_grant_asks_for_its_scope_and_an_embed_token_only_reads() -> None:
    session = issue(scopes=("read", "events:track")).grant()
    assert session.kind == "widget_session" and session.session_id is not None
    session.require("read")
    session.require("events:track")
    with pytest.raises(DomainError) as missing:
        session.require("items:equip")
    assert missing.value.code == "insufficient_scope"
    assert missing.value.details == {
        "required_scope": "items:equip",
        "scopes": ["read", "events:track"],
    }
    embed = WidgetGrant(
        kind="embed",
        tenant=Tenant(uuid4(), "test"),
        buddy_id=uuid4(),
        user_id="u",
        scopes=("read", "events:track"),  # even if a token claimed more
        expires_at=at(60),
        issued_at=at(0),
    )
    embed.require("read")
    with pytest.raises(DomainError) as write:
        embed.require("events:track")
    assert write.value.code == "forbidden"
