"""Widget tokens: one pinned algorithm, their own key, audience and type, every claim checked."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt
import pytest

from domain.shared.errors import Unauthorized, WrongCredential
from domain.shared.tenancy import Tenant
from domain.widgets.widget_session import WidgetGrant
from infrastructure.accounts.security import JwtDashboardTokens
from infrastructure.widgets.widget_tokens import JwtWidgetTokens, widget_signing_key

SECRET = "a-test-secret-" + "x" * 40
NOW = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)


def grant(kind: str = "widget_session", **changes: object) -> WidgetGrant:
    fields: dict[str, object] = {
        "kind": kind,
        "tenant": Tenant(uuid4(), "test"),
        "buddy_id": uuid4(),
        "user_id": "user_1",
        "scopes": ("read", "events:track") if kind == "widget_session" else ("read",),
        "expires_at": NOW + timedelta(hours=1),
        "issued_at": NOW,
        "session_id": uuid4() if kind == "widget_session" else None,
    }
    fields.update(changes)
    return WidgetGrant(**fields)  # type: ignore[arg-type]


def claims_of(token: str) -> dict:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_tokens_read_back_as_the_grant_they_were_issued_for() -> None:
    tokens = JwtWidgetTokens(SECRET)
    for issued in (grant(), grant("embed")):
        token = tokens.issue(issued, NOW)
        assert tokens.read(token) == issued
        assert tokens.read(token).issued_at == NOW
        assert jwt.get_unverified_header(token)["alg"] == "HS256"
        claims = claims_of(token)
        assert claims["aud"] == "hatched:widget" and claims["typ"] == issued.kind
        assert claims["sub"].startswith("bdy_")


def test_expiry_is_left_to_the_application_clock() -> None:
    tokens = JwtWidgetTokens(SECRET)
    stale = grant(expires_at=NOW - timedelta(days=1))
    assert tokens.read(tokens.issue(stale, NOW - timedelta(days=2))) == stale


def test_the_widget_key_is_not_the_secret_key() -> None:
    assert widget_signing_key(SECRET) != SECRET.encode()
    assert widget_signing_key(SECRET) != widget_signing_key(SECRET + "!")


def test_anything_but_our_hs256_signature_over_valid_claims_is_refused() -> None:
    tokens = JwtWidgetTokens(SECRET)
    key = widget_signing_key(SECRET)
    good = claims_of(tokens.issue(grant(), NOW))
    embed = claims_of(tokens.issue(grant("embed"), NOW))
    refused = [
        jwt.encode(good, None, algorithm="none"),
        jwt.encode(good, key, algorithm="HS384"),
        jwt.encode(good, key, algorithm="HS512"),
        jwt.encode(good, SECRET, algorithm="HS256"),
        jwt.encode(good, widget_signing_key("another deployment"), algorithm="HS256"),
        jwt.encode({**good, "aud": "hatched:dashboard"}, key, algorithm="HS256"),
        jwt.encode({**good, "iss": "someone"}, key, algorithm="HS256"),
        jwt.encode({**good, "typ": "dashboard"}, key, algorithm="HS256"),
        jwt.encode({**good, "mode": "prod"}, key, algorithm="HS256"),
        jwt.encode({**good, "scp": ["read", "admin"]}, key, algorithm="HS256"),
        jwt.encode({**good, "scp": "read"}, key, algorithm="HS256"),
        jwt.encode({**good, "sub": "egg_" + uuid4().hex}, key, algorithm="HS256"),
        jwt.encode({**good, "cus": "nope"}, key, algorithm="HS256"),
        jwt.encode({**good, "exp": "tomorrow"}, key, algorithm="HS256"),
        jwt.encode({k: v for k, v in good.items() if k != "exp"}, key, algorithm="HS256"),
        jwt.encode({k: v for k, v in good.items() if k != "sid"}, key, algorithm="HS256"),
        jwt.encode({**embed, "sid": uuid4().hex}, key, algorithm="HS256"),
        "",
        "a.b.c",
    ]
    reasons = [reason_of(functools.partial(tokens.read, token)) for token in refused]
    assert reasons == ["invalid"] * len(refused)


def test_a_dashboard_token_is_ours_but_for_another_audience() -> None:
    dashboard, _ = JwtDashboardTokens(SECRET, 3600).issue(uuid4(), datetime.now(UTC))
    with pytest.raises(WrongCredential):  # valid, of another kind: 403 (decision 0046)
        JwtWidgetTokens(SECRET).read(dashboard)
    assert reason_of(lambda: JwtWidgetTokens(SECRET + "!").read(dashboard)) == "invalid"
    stale, _ = JwtDashboardTokens(SECRET, 3600).issue(uuid4(), NOW)  # expired: not valid
    assert reason_of(lambda: JwtWidgetTokens(SECRET).read(stale)) == "expired"


def reason_of(action: Callable[[], object]) -> str:
    with pytest.raises(Unauthorized) as refused:
        action()
    return refused.value.reason
