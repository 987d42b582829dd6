"""Accounts and credentials over HTTP: register, login, keys, and who may call what."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import jwt
from litestar.testing import TestClient

from domain.companions.stage_art import UploadGrant
from domain.shared.tenancy import Tenant
from infrastructure.companions.upload_tokens import JwtUploadTokens
from interfaces.container import Container
from tests.conftest import Account

PASSWORD = "correct horse battery"


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def test_register_returns_customer_and_dashboard_token(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "Owner@Example.com", "password": PASSWORD, "company_name": "Acme"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["customer"]["id"].startswith("cus_")
    assert body["customer"]["email"] == "owner@example.com"
    assert body["customer"]["plan"] == "starter"
    me = client.get("/api/v1/auth/me", headers=bearer(body["token"]))
    assert me.json()["id"] == body["customer"]["id"]


def test_duplicate_email_is_a_conflict(client: TestClient, account: Account) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": account.email.upper(), "password": PASSWORD, "company_name": "Other"},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_concurrent_registrations_of_one_email_create_one_account(client: TestClient) -> None:
    body = {"email": "race@example.com", "password": PASSWORD, "company_name": "Race"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(
                lambda _: client.post("/api/v1/auth/register", json=body).status_code, range(8)
            )
        )
    assert sorted(statuses) == [201] + [409] * 7


def test_login_and_same_error_for_wrong_password_or_unknown_email(
    client: TestClient, account: Account
) -> None:
    ok = client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["token"]
    wrong = client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": "nope-nope"}
    )
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "who@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_bad_registration_changes_nothing(client: TestClient) -> None:
    bad_bodies = [
        {"email": "not-an-email", "password": PASSWORD, "company_name": "A"},
        {"email": "short@example.com", "password": "short", "company_name": "A"},
        {"email": "camel@example.com", "password": PASSWORD, "companyName": "A"},
        {"email": "type@example.com", "password": PASSWORD, "company_name": 7},
    ]
    for body in bad_bodies:
        response = client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_failed"
    for body in bad_bodies:
        login = client.post(
            "/api/v1/auth/login", json={"email": body["email"], "password": PASSWORD}
        )
        assert login.status_code == 401


def test_keys_are_shown_once_and_listed_without_secrets(
    client: TestClient, account: Account
) -> None:
    listed = client.get("/api/v1/auth/api-keys", headers=bearer(account.token)).json()["data"]
    assert {k["mode"] for k in listed} == {"live", "test"}
    assert all("key" not in k for k in listed)
    assert account.live_key.startswith("hatch_live_") and account.test_key.startswith("hatch_test_")
    assert any(account.live_key.startswith(k["prefix"]) for k in listed)


def test_each_credential_kind_reads_the_profile(client: TestClient, account: Account) -> None:
    publishable = client.post(
        "/api/v1/auth/publishable-keys", json={}, headers=bearer(account.token)
    ).json()["key"]
    assert publishable.startswith("hatch_pk_")
    for credential in (account.token, account.live_key, account.test_key, publishable):
        response = client.get("/api/v1/auth/me", headers=bearer(credential))
        assert response.status_code == 200
        assert response.json()["id"] == account.customer_id


def test_revoked_key_is_refused_at_once(client: TestClient, account: Account) -> None:
    keys = client.get("/api/v1/auth/api-keys", headers=bearer(account.token)).json()["data"]
    live = next(k for k in keys if k["mode"] == "live")
    revoked = client.delete(f"/api/v1/auth/api-keys/{live['id']}", headers=bearer(account.token))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = client.get("/api/v1/auth/me", headers=bearer(account.live_key))
    assert refused.status_code == 401
    error = refused.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("unauthorized", "revoked")
    again = client.delete(f"/api/v1/auth/api-keys/{live['id']}", headers=bearer(account.token))
    assert again.status_code == 409


def test_rotate_revokes_every_key_of_the_mode(client: TestClient, account: Account) -> None:
    rotated = client.post(
        "/api/v1/auth/api-keys/rotate", json={"mode": "live"}, headers=bearer(account.token)
    )
    assert rotated.status_code == 201
    new_key = rotated.json()["key"]
    assert client.get("/api/v1/auth/me", headers=bearer(account.live_key)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(new_key)).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(account.test_key)).status_code == 200


def test_missing_malformed_and_forged_credentials_are_401(
    client: TestClient, account: Account, container: Container
) -> None:
    our_secret = container.settings.secret_key
    foreign = "not-our-secret-but-long-enough-for-hs256"
    forged_none = jwt.encode({"sub": "x", "aud": "hatched:dashboard"}, key=None, algorithm="none")
    claims = jwt.decode(account.token, options={"verify_signature": False})
    forged_key = jwt.encode(claims, foreign, algorithm="HS256")
    expired = jwt.encode({**claims, "exp": int(time.time()) - 10}, our_secret, algorithm="HS256")
    wrong_audience = jwt.encode({**claims, "aud": "hatched:widget"}, our_secret, algorithm="HS256")
    assert (
        client.get("/api/v1/auth/me", headers=bearer(jwt.encode(claims, our_secret))).status_code
        == 200
    )
    tampered = account.token[:-3] + ("AAA" if not account.token.endswith("AAA") else "BBB")
    for headers, reason in (
        ({}, "missing"),
        ({"Authorization": account.live_key}, "missing"),
        ({"Authorization": "Basic abc"}, "missing"),
        (bearer("hatch_live_doesnotexist"), "invalid"),
        (bearer(forged_none), "invalid"),
        (bearer(forged_key), "invalid"),
        (bearer(expired), "expired"),
        (bearer(wrong_audience), "invalid"),  # claims the widget audience, not its key
        (bearer(tampered), "invalid"),
    ):
        response = client.get("/api/v1/auth/me", headers=headers)
        assert response.status_code == 401, headers
        error = response.json()["error"]
        assert (error["code"], error["details"]["reason"]) == ("unauthorized", reason), headers


def test_wrong_credential_kind_is_403(client: TestClient, account: Account) -> None:
    publishable = client.post(
        "/api/v1/auth/publishable-keys", json={}, headers=bearer(account.token)
    ).json()["key"]
    by_secret = client.post("/api/v1/auth/api-keys", json={}, headers=bearer(account.live_key))
    assert by_secret.status_code == 403 and by_secret.json()["error"]["code"] == "forbidden"
    by_publishable = client.patch(
        "/api/v1/customers/me", json={"company_name": "X"}, headers=bearer(publishable)
    )
    assert by_publishable.status_code == 403
    assert by_publishable.json()["error"]["code"] == "publishable_key_scope"
    assert (
        client.get("/api/v1/customers/me", headers=bearer(account.live_key)).json()["company_name"]
        == "Acme"
    )


def test_profile_and_settings_updates(client: TestClient, account: Account) -> None:
    patched = client.patch(
        "/api/v1/customers/me", json={"company_name": "Acme Labs"}, headers=account.headers()
    )
    assert patched.status_code == 200 and patched.json()["company_name"] == "Acme Labs"
    settings = client.patch(
        "/api/v1/customers/me/settings",
        json={"max_active_eggs_per_user": 5, "widget_theme": "dark"},
        headers=account.headers(),
    )
    assert settings.json()["settings"]["max_active_eggs_per_user"] == 5
    assert settings.json()["settings"]["widget_theme"] == "dark"
    bad = client.patch(
        "/api/v1/customers/me/settings", json={"widget_theme": "neon"}, headers=account.headers()
    )
    assert bad.status_code == 422
    assert (
        client.get("/api/v1/customers/me", headers=account.headers()).json()["settings"][
            "widget_theme"
        ]
        == "dark"
    )


def test_another_tenants_key_id_is_not_found(
    client: TestClient, account: Account, other_account: Account
) -> None:
    mine = client.get("/api/v1/auth/api-keys", headers=bearer(account.token)).json()["data"][0]
    response = client.delete(
        f"/api/v1/auth/api-keys/{mine['id']}", headers=bearer(other_account.token)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_not_found"
    assert client.get("/api/v1/auth/me", headers=bearer(account.live_key)).status_code == 200
    for malformed in ("key_nothex", "cfg_" + "0" * 32, "whatever"):
        response = client.delete(
            f"/api/v1/auth/api-keys/{malformed}", headers=bearer(account.token)
        )
        assert response.status_code == 404


def test_other_customers_see_their_own_profile(
    client: TestClient, account: Account, other_account: Account
) -> None:
    assert (
        client.get("/api/v1/auth/me", headers=other_account.headers()).json()["id"]
        == other_account.customer_id
    )
    assert account.customer_id != other_account.customer_id


def test_a_sign_in_refusal_and_a_genuine_token_of_another_kind_say_why(
    client: TestClient, account: Account, container: Container
) -> None:
    """Every 401 is ``unauthorized`` with ``details.reason`` (decision 0029); a valid
    credential of ours that opens other routes is ``403 forbidden``, reason
    ``wrong_audience`` (decision 0046)."""
    login = client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": "nope-nope"}
    )
    error = login.json()["error"]
    assert (login.status_code, error["code"]) == (401, "unauthorized")
    assert error["details"] == {"reason": "invalid_credentials"}
    grant = UploadGrant(
        Tenant(UUID(hex=account.customer_id.removeprefix("cus_")), "live"),
        uuid4(),
        "image/png",
        datetime.now(UTC) + timedelta(minutes=5),
    )
    upload_token = JwtUploadTokens(container.settings.secret_key).issue(grant)
    refused = client.get("/api/v1/auth/me", headers=bearer(upload_token))
    error = refused.json()["error"]
    assert (refused.status_code, error["code"]) == (403, "forbidden")
    assert error["details"] == {
        "reason": "wrong_audience",
        "audience": "hatched:stage-asset-upload",
    }
    assert "PUT /api/v1/stage-assets/uploads/" in error["message"]
    # A valid credential of another kind is 403 on a write too; an expired one is not
    # valid, so it stays 401 (decision 0046).
    write = client.post("/api/v1/coin-rules", headers=bearer(upload_token), json={})
    assert (write.status_code, write.json()["error"]["details"]["reason"]) == (
        403,
        "wrong_audience",
    )
    stale = replace(grant, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    stale_token = JwtUploadTokens(container.settings.secret_key).issue(stale)
    expired = client.get("/api/v1/auth/me", headers=bearer(stale_token))
    assert (expired.status_code, expired.json()["error"]["details"]) == (
        401,
        {"reason": "expired"},
    )
