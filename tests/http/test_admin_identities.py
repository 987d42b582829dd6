"""Admin identities: sign-in, tokens of their own audience, roles, and the super admin's
management of the other admins (decision 0051)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from litestar.testing import TestClient

from infrastructure.admin.admin_tokens import JwtAdminTokens
from interfaces.container import Container
from tests.conftest import Account
from tests.http.admin_flow import PASSWORD, audit, make_admin, sign_in


def reason(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    return str(error["details"]["reason"])


def forbidden(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    return str(error["details"]["reason"])


def test_an_admin_signs_in_sees_itself_and_signs_out(
    client: TestClient, container: Container
) -> None:
    admin = make_admin(client, container, "support")
    me = client.get("/api/v1/admin/auth/me", headers=admin.headers)
    assert me.status_code == 200, me.text
    assert me.json() | {"created_at": None} == {
        "id": admin.id,
        "email": admin.email,
        "name": None,
        "role": "support",
        "active": True,
        "created_at": None,
    }
    assert client.post("/api/v1/admin/auth/logout", headers=admin.headers).status_code == 200
    assert reason(client.get("/api/v1/admin/auth/me", headers=admin.headers)) == "revoked"
    again = sign_in(client, admin.email)  # a new sign-in works again
    assert client.get("/api/v1/admin/auth/me", headers=again.headers).status_code == 200


def test_wrong_password_unknown_email_and_no_token_are_refused(
    client: TestClient, container: Container
) -> None:
    admin = make_admin(client, container)
    for body in (
        {"email": admin.email, "password": "not the passphrase"},
        {"email": "nobody@ops.example.com", "password": PASSWORD},
    ):
        response = client.post("/api/v1/admin/auth/login", json=body)
        assert reason(response) == "invalid_credentials"
    assert reason(client.get("/api/v1/admin/auth/me")) == "missing"
    assert (
        reason(client.get("/api/v1/admin/auth/me", headers={"Authorization": "Bearer x.y.z"}))
        == "invalid"
    )


def test_admin_and_customer_credentials_never_cross(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container)
    # an admin token on customer routes: a valid credential of the wrong kind (decision 0046)
    assert forbidden(client.get("/api/v1/auth/me", headers=admin.headers)) == "wrong_audience"
    assert forbidden(client.get("/api/v1/customers/me", headers=admin.headers)) == "wrong_audience"
    # a customer's dashboard token and secret key on admin routes
    for credential in (account.token, account.live_key):
        headers = {"Authorization": f"Bearer {credential}"}
        assert forbidden(client.get("/api/v1/admin/auth/me", headers=headers)) == "wrong_audience"
        assert forbidden(client.get("/api/v1/admin/customers", headers=headers)) == "wrong_audience"
    # a customer's password does not sign in as an admin
    response = client.post(
        "/api/v1/admin/auth/login",
        json={"email": account.email, "password": "correct horse battery"},
    )
    assert reason(response) == "invalid_credentials"


def test_only_a_super_admin_manages_admins_and_refusals_are_audited(
    client: TestClient, container: Container
) -> None:
    boss = make_admin(client, container, "super")
    for role in ("support", "operator"):
        other = make_admin(client, container, role)
        listed = client.get("/api/v1/admin/users", headers=other.headers)
        assert listed.status_code == 403, listed.text
        assert listed.json()["error"]["details"]["required_role"] == "super"
        created = client.post(
            "/api/v1/admin/users",
            json={"email": f"x-{role}@ops.example.com", "password": PASSWORD, "role": "support"},
            headers=other.headers,
        )
        assert created.status_code == 403
        refused = audit(client, boss, actor=other.id, action="admin_user.create")
        assert [(e["outcome"], e["error_code"]) for e in refused] == [("refused", "forbidden")]


def test_a_super_admin_creates_changes_and_deactivates_an_admin(
    client: TestClient, container: Container
) -> None:
    boss = make_admin(client, container)
    created = client.post(
        "/api/v1/admin/users",
        json={"email": "New@Ops.example.com", "password": PASSWORD, "role": "support", "name": "N"},
        headers=boss.headers,
    )
    assert created.status_code == 201, created.text
    new_id = created.json()["id"]
    assert created.json()["email"] == "new@ops.example.com"
    twice = client.post(
        "/api/v1/admin/users",
        json={"email": "new@ops.example.com", "password": PASSWORD, "role": "super"},
        headers=boss.headers,
    )
    assert twice.status_code == 409
    newcomer = sign_in(client, "new@ops.example.com")

    promoted = client.patch(
        f"/api/v1/admin/users/{new_id}", json={"role": "operator"}, headers=boss.headers
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "operator"
    listed = client.get("/api/v1/admin/users", headers=boss.headers).json()["data"]
    assert {a["id"] for a in listed} >= {boss.id, new_id}

    gone = client.delete(f"/api/v1/admin/users/{new_id}", headers=boss.headers)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert reason(client.get("/api/v1/admin/auth/me", headers=newcomer.headers)) == "revoked"
    response = client.post(
        "/api/v1/admin/auth/login", json={"email": "new@ops.example.com", "password": PASSWORD}
    )
    assert reason(response) == "invalid_credentials"

    entries = audit(client, boss, target=new_id)
    assert [e["action"] for e in reversed(entries)] == [
        "admin_user.create",
        "admin_user.update",
        "admin_user.deactivate",
    ]
    assert entries[1]["before"]["role"] == "support" and entries[1]["after"]["role"] == "operator"
    assert entries[0]["before"]["active"] is True and entries[0]["after"]["active"] is False
    assert all(e["actor_id"] == boss.id and e["request_id"] for e in entries)


def test_the_last_super_admin_stays(client: TestClient, container: Container) -> None:
    boss = make_admin(client, container)
    for change in ({"role": "support"}, {"active": False}):
        response = client.patch(f"/api/v1/admin/users/{boss.id}", json=change, headers=boss.headers)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "last_super_admin"
    assert client.delete(f"/api/v1/admin/users/{boss.id}", headers=boss.headers).status_code == 409
    second = make_admin(client, container)
    demoted = client.patch(
        f"/api/v1/admin/users/{boss.id}", json={"role": "support"}, headers=second.headers
    )
    assert demoted.status_code == 200, demoted.text


def test_bad_admin_input_is_refused_and_changes_nothing(
    client: TestClient, container: Container
) -> None:
    boss = make_admin(client, container)
    for body in (
        {"email": "a@ops.example.com", "password": "short", "role": "support"},
        {"email": "a@ops.example.com", "password": PASSWORD, "role": "owner"},
        {"email": "not-an-email", "password": PASSWORD, "role": "support"},
        {"email": "a@ops.example.com", "password": PASSWORD, "role": "support", "isRoot": True},
    ):
        response = client.post("/api/v1/admin/users", json=body, headers=boss.headers)
        assert response.status_code == 422, (body, response.text)
    assert len(client.get("/api/v1/admin/users", headers=boss.headers).json()["data"]) == 1
    missing = client.patch(
        "/api/v1/admin/users/adm_" + "0" * 32, json={"name": "x"}, headers=boss.headers
    )
    assert missing.status_code == 404


def test_an_expired_or_forged_admin_token_is_refused(
    client: TestClient, container: Container
) -> None:
    admin = make_admin(client, container)
    me = client.get("/api/v1/admin/auth/me", headers=admin.headers).json()
    admin_id = UUID(hex=me["id"].removeprefix("adm_"))
    tokens = JwtAdminTokens(container.settings.secret_key, 60)
    old, _ = tokens.issue(admin_id, 0, datetime.now(UTC) - timedelta(hours=2))
    response = client.get("/api/v1/admin/auth/me", headers={"Authorization": f"Bearer {old}"})
    assert reason(response) == "expired"
    forged, _ = JwtAdminTokens("another-instance-key", 60).issue(admin_id, 0, datetime.now(UTC))
    response = client.get("/api/v1/admin/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert reason(response) == "invalid"


def test_a_lower_role_cannot_learn_which_admin_emails_exist(
    client: TestClient, container: Container
) -> None:
    boss = make_admin(client, container, "super")
    support = make_admin(client, container, "support")
    for email in (boss.email, "nobody-yet@ops.example.com"):
        created = client.post(
            "/api/v1/admin/users",
            json={"email": email, "password": PASSWORD, "role": "support"},
            headers=support.headers,
        )
        assert created.status_code == 403, created.text
        assert created.json()["error"]["details"]["required_role"] == "super"
    refused = audit(client, boss, actor=support.id, action="admin_user.create")
    assert [(e["outcome"], e["error_code"]) for e in refused] == [("refused", "forbidden")] * 2
