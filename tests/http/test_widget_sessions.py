"""Minting, checking and revoking browser credentials: widget sessions and embed tokens."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from litestar.testing import TestClient

from domain.shared.ids import parse_public_id
from domain.widgets.widget_session import WidgetSession
from infrastructure.widgets.widget_tokens import widget_signing_key
from interfaces.container import Container
from tests.conftest import Account
from tests.http.widget_flow import (
    WidgetBuddy,
    bearer,
    error_of,
    mint_embed,
    mint_session,
    refusal_of,
    widget_buddy,
)

STATE = "/api/v1/widget/state"


@pytest.fixture
def buddy(client: TestClient, account: Account) -> WidgetBuddy:
    return widget_buddy(client, account)


def test_a_session_is_issued_then_active_then_revoked_at_once(
    client: TestClient, buddy: WidgetBuddy
) -> None:
    minted = mint_session(client, buddy, ["read", "events:track"], ttl_seconds=900)
    assert set(minted) >= {"session_id", "token", "scopes", "expires_at"}
    assert minted["scopes"] == ["read", "events:track"]
    assert minted["buddy_id"] == buddy.buddy_id and minted["user_id"] == buddy.user_id
    assert minted["status"] == "issued"
    expires = datetime.fromisoformat(minted["expires_at"])
    created = datetime.fromisoformat(minted["created_at"])
    assert timedelta(seconds=899) <= expires - created <= timedelta(seconds=900)
    path = f"/api/v1/widget-sessions/{minted['session_id']}"
    owner = buddy.account.headers()

    assert client.get(STATE, headers=bearer(minted["token"])).status_code == 200
    assert client.get(path, headers=owner).json()["status"] == "active"

    revoked = client.delete(path, headers=owner)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert refusal_of(client.get(STATE, headers=bearer(minted["token"]))) == (
        401,
        "unauthorized",
        "revoked",
    )
    assert error_of(client.delete(path, headers=owner)) == (409, "invalid_state_transition")


def test_ttl_defaults_to_the_maximum(client: TestClient, buddy: WidgetBuddy) -> None:
    session = mint_session(client, buddy, ["read"])
    embed = mint_embed(client, buddy)
    now = datetime.now(UTC)
    session_ttl = datetime.fromisoformat(session["expires_at"]) - now
    embed_ttl = datetime.fromisoformat(embed["expires_at"]) - now
    assert timedelta(minutes=59) < session_ttl <= timedelta(hours=1)
    assert timedelta(hours=23, minutes=59) < embed_ttl <= timedelta(hours=24)
    assert set(embed) == {"token", "expires_at", "buddy_id"}


BAD_SESSION_BODIES = [
    ({"scopes": []}, "scopes"),
    ({"scopes": ["read", "admin"]}, "scopes[1]"),
    ({"scopes": ["buddy:read"]}, "scopes[0]"),
    ({}, "scopes"),
    ({"scopes": ["read"], "ttl_seconds": 3601}, "ttl_seconds"),
    ({"scopes": ["read"], "ttl_seconds": 0}, "ttl_seconds"),
    ({"scopes": ["read"], "ttl_seconds": "60"}, "ttl_seconds"),
    ({"scopes": ["read"], "ttlSeconds": 60}, "ttlSeconds"),
    ({"scopes": ["read"], "user_id": "someone_else"}, "user_id"),
]
BAD_EMBED_BODIES = [
    ({"scopes": ["read"]}, "scopes"),
    ({"ttl_seconds": 86401}, "ttl_seconds"),
    ({"ttl_seconds": -1}, "ttl_seconds"),
    ({"buddyId": "x"}, "buddyId"),
]


def test_bad_session_and_embed_requests_are_422_and_mint_nothing(
    client: TestClient, buddy: WidgetBuddy, container: Container
) -> None:
    head = container.store.head()
    for path, cases in (
        ("/api/v1/widget-sessions", BAD_SESSION_BODIES),
        ("/api/v1/embed-tokens", BAD_EMBED_BODIES),
    ):
        for body, field in cases:
            response = client.post(
                path, json={"buddy_id": buddy.buddy_id, **body}, headers=buddy.account.headers()
            )
            assert error_of(response) == (422, "validation_failed"), (path, body)
            fields = [f["field"] for f in response.json()["error"]["details"]["fields"]]
            assert field in fields, (path, body, fields)
    scopes = client.post(
        "/api/v1/embed-tokens",
        json={"buddy_id": buddy.buddy_id, "scopes": ["read"]},
        headers=buddy.account.headers(),
    )
    assert scopes.json()["error"]["message"] == "property scopes should not exist"
    assert container.store.head() == head


def test_tokens_for_unknown_or_foreign_buddies_are_404(
    client: TestClient, buddy: WidgetBuddy, other_account: Account
) -> None:
    foreign = {"buddy_id": buddy.buddy_id, "scopes": ["read"]}
    for headers in (other_account.headers(), buddy.account.headers(buddy.account.test_key)):
        for path, body in (
            ("/api/v1/widget-sessions", foreign),
            ("/api/v1/embed-tokens", {"buddy_id": buddy.buddy_id}),
        ):
            assert error_of(client.post(path, json=body, headers=headers)) == (
                404,
                "resource_not_found",
            )
    unknown = {"buddy_id": "bdy_" + "0" * 32, "scopes": ["read"]}
    response = client.post("/api/v1/widget-sessions", json=unknown, headers=buddy.account.headers())
    assert error_of(response) == (404, "resource_not_found")


def test_another_tenant_cannot_see_or_revoke_a_session(
    client: TestClient, buddy: WidgetBuddy, other_account: Account
) -> None:
    minted = mint_session(client, buddy, ["read"])
    path = f"/api/v1/widget-sessions/{minted['session_id']}"
    test_world = buddy.account.headers(buddy.account.test_key)
    for headers in (other_account.headers(), test_world):
        assert error_of(client.get(path, headers=headers)) == (404, "resource_not_found")
        assert error_of(client.delete(path, headers=headers)) == (404, "resource_not_found")
    assert client.get(STATE, headers=bearer(minted["token"])).status_code == 200


def test_publishable_keys_mint_embed_tokens_only(client: TestClient, buddy: WidgetBuddy) -> None:
    dashboard = bearer(buddy.account.token)
    publishable = client.post("/api/v1/auth/publishable-keys", json={}, headers=dashboard)
    key = bearer(publishable.json()["key"])
    embed = client.post("/api/v1/embed-tokens", json={"buddy_id": buddy.buddy_id}, headers=key)
    assert embed.status_code == 201
    assert client.get(STATE, headers=bearer(embed.json()["token"])).status_code == 200
    session = client.post(
        "/api/v1/widget-sessions",
        json={"buddy_id": buddy.buddy_id, "scopes": ["read"]},
        headers=key,
    )
    assert error_of(session) == (403, "publishable_key_scope")


def _forge(token: str, key: bytes | str | None, algorithm: str, **changes: object) -> str:
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, key, algorithm=algorithm)


def test_forged_tampered_and_confused_tokens_are_401(
    client: TestClient, buddy: WidgetBuddy, container: Container
) -> None:
    token = mint_session(client, buddy, ["read"])["token"]
    key = widget_signing_key(container.settings.secret_key)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    grown = base64.urlsafe_b64encode(
        json.dumps({**claims, "scp": ["read", "events:track"]}).encode()
    )
    assert client.get(STATE, headers=bearer(_forge(token, key, "HS256"))).status_code == 200
    for forged, reason in (
        (f"{header}.{grown.decode().rstrip('=')}.{signature}", "invalid"),  # more scopes
        (_forge(token, None, "none"), "invalid"),  # alg: none
        (_forge(token, key, "HS512"), "invalid"),  # another algorithm with our key
        (_forge(token, "a-foreign-secret-long-enough-for-hs256!!", "HS256"), "invalid"),
        (_forge(token, container.settings.secret_key, "HS256"), "invalid"),  # dashboards' key
        (_forge(token, key, "HS256", aud="hatched:dashboard"), "invalid"),  # not a real one
        (_forge(token, key, "HS256", typ="dashboard"), "invalid"),
        (_forge(token, key, "HS256", scp=["read", "items:equip"]), "invalid"),  # more scopes
        ("not.a.token", "invalid"),
        ("hatch_live_" + "x" * 43, "invalid"),  # shaped like a secret key, not one of ours
    ):
        refused = client.get(STATE, headers=bearer(forged))
        assert refusal_of(refused) == (401, "unauthorized", reason), forged
    # Valid credentials of ours, of another kind: 403, not 401 (decision 0046).
    for other in (buddy.account.token, buddy.account.live_key):
        refused = client.get(STATE, headers=bearer(other))
        assert refusal_of(refused) == (403, "forbidden", "wrong_audience"), other
    assert refusal_of(client.get(STATE)) == (401, "unauthorized", "missing")


def test_widget_tokens_never_reach_other_routes(client: TestClient, buddy: WidgetBuddy) -> None:
    for token in (mint_session(client, buddy)["token"], mint_embed(client, buddy)["token"]):
        mint = {"buddy_id": buddy.buddy_id, "scopes": ["read"]}
        for method, path, body in (
            ("GET", f"/api/v1/buddies/{buddy.buddy_id}", None),
            ("GET", "/api/v1/auth/me", None),
            ("POST", "/api/v1/widget-sessions", mint),
            ("POST", "/api/v1/embed-tokens", {"buddy_id": buddy.buddy_id}),
            ("POST", "/api/v1/events", {"event_id": "e1", "user_id": "u", "type": "x"}),
            ("POST", f"/api/v1/buddies/{buddy.buddy_id}/purchase-item", {"item_id": "pin"}),
            ("POST", "/api/v1/marketplaces", {"name": "Shop"}),
            ("PATCH", f"/api/v1/buddies/{buddy.buddy_id}/equipped-items", {"equip": ["pin"]}),
        ):
            response = client.request(method, path, headers=bearer(token), json=body)
            refusal = (403, "forbidden", "wrong_audience")
            assert refusal_of(response) == refusal, (method, path)
            assert "/api/v1/widget/" in response.json()["error"]["message"]


def test_an_expired_session_and_an_expired_embed_token_say_so(
    client: TestClient, buddy: WidgetBuddy, container: Container
) -> None:
    session = mint_session(client, buddy, ["read"], ttl_seconds=1)
    key = widget_signing_key(container.settings.secret_key)
    embed = mint_embed(client, buddy)["token"]
    stale_embed = _forge(embed, key, "HS256", exp=int(time.time()) - 1)
    assert refusal_of(client.get(STATE, headers=bearer(stale_embed))) == (
        401,
        "unauthorized",
        "expired",
    )
    time.sleep(
        max(
            0.0, (datetime.fromisoformat(session["expires_at"]) - datetime.now(UTC)).total_seconds()
        )
        + 0.05
    )
    assert refusal_of(client.get(STATE, headers=bearer(session["token"]))) == (
        401,
        "unauthorized",
        "expired",
    )
    status = client.get(
        f"/api/v1/widget-sessions/{session['session_id']}", headers=buddy.account.headers()
    ).json()["status"]
    assert status == "expired"


def test_concurrent_first_uses_activate_the_session_once(
    client: TestClient, buddy: WidgetBuddy, container: Container
) -> None:
    minted = mint_session(client, buddy, ["read"])

    def read(_: int) -> int:
        return client.get(STATE, headers=bearer(minted["token"])).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(read, range(16)))
    assert statuses == [200] * 16
    session_id = parse_public_id("widget_session", minted["session_id"])
    events = list(container.store.events.get(session_id))
    assert [type(e) for e in events] == [WidgetSession.Issued, WidgetSession.Activated]
    assert isinstance(container.store.repository.get(session_id), WidgetSession)


def test_a_revocation_racing_with_reads_wins_for_every_later_read(
    client: TestClient, buddy: WidgetBuddy
) -> None:
    minted = mint_session(client, buddy, ["read"])
    headers = bearer(minted["token"])
    owner = buddy.account.headers()

    def read(_: int) -> int:
        return client.get(STATE, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        reads = pool.map(read, range(24))
        revoke = pool.submit(
            client.delete, f"/api/v1/widget-sessions/{minted['session_id']}", headers=owner
        )
        statuses = list(reads)
    assert revoke.result().status_code == 200
    assert set(statuses) <= {200, 401}
    assert refusal_of(client.get(STATE, headers=headers)) == (401, "unauthorized", "revoked")


def test_preview_tokens_are_for_the_dashboard(client: TestClient, account: Account) -> None:
    dashboard = bearer(account.token)
    none_yet = client.get("/api/v1/widget-sessions/preview", headers=dashboard)
    assert error_of(none_yet) == (404, "resource_not_found")
    buddy = widget_buddy(client, account)
    secret = client.get("/api/v1/widget-sessions/preview", headers=account.headers())
    assert error_of(secret) == (403, "forbidden")
    preview = client.get("/api/v1/widget-sessions/preview", headers=dashboard)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["buddy_id"] == buddy.buddy_id
    assert body["session"]["scopes"] == ["read"]
    assert 'data-hatched-mount="buddy"' in body["snippet"]
    assert body["embed"]["token"] in body["snippet"]
    track = client.post(
        "/api/v1/widget/track",
        json={"type": "lesson_completed"},
        headers=bearer(body["session"]["token"]),
    )
    assert error_of(track) == (403, "insufficient_scope")
    asked = client.get(
        f"/api/v1/widget-sessions/preview?buddy_id={buddy.buddy_id}", headers=dashboard
    )
    assert asked.json()["buddy_id"] == buddy.buddy_id
    foreign = client.get(
        "/api/v1/widget-sessions/preview?buddy_id=bdy_" + "1" * 32, headers=dashboard
    )
    assert error_of(foreign) == (404, "resource_not_found")
