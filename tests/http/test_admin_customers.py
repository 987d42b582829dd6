"""The operator's side of customers: search, correct, close and reopen, keys, impersonation,
operations — every write audited exactly (decision 0051)."""

from __future__ import annotations

import itertools
import threading

from litestar.testing import TestClient

from interfaces.container import Container
from interfaces.http.pagination import encode_cursor
from tests.conftest import Account, register_account
from tests.http.admin_flow import Admin, audit, make_admin
from tests.http.flow import apply_preset, hatch_buddy


def url(account: Account, tail: str = "") -> str:
    return f"/api/v1/admin/customers/{account.customer_id}{tail}"


def test_search_filter_and_page_customers(client: TestClient, container: Container) -> None:
    admin = make_admin(client, container, "support")
    first = register_account(client, "alpha-owner@example.com")
    second = register_account(client, "beta-owner@example.com")
    found = client.get("/api/v1/admin/customers", params={"q": "ALPHA"}, headers=admin.headers)
    assert found.status_code == 200, found.text
    assert [c["id"] for c in found.json()["data"]] == [first.customer_id]
    by_company = client.get("/api/v1/admin/customers", params={"q": "acm"}, headers=admin.headers)
    assert {c["id"] for c in by_company.json()["data"]} == {first.customer_id, second.customer_id}
    nothing = client.get("/api/v1/admin/customers", params={"q": "%"}, headers=admin.headers)
    assert nothing.json()["data"] == []
    page = client.get("/api/v1/admin/customers", params={"limit": 1}, headers=admin.headers).json()
    assert [c["id"] for c in page["data"]] == [second.customer_id]  # newest first
    rest = client.get(
        "/api/v1/admin/customers",
        params={"limit": 1, "cursor": page["next_cursor"]},
        headers=admin.headers,
    ).json()
    assert [c["id"] for c in rest["data"]] == [first.customer_id]
    searched = {"q": "-OWNER@", "plan": "starter", "deleted": "false", "limit": 1}
    newest = client.get("/api/v1/admin/customers", params=searched, headers=admin.headers).json()
    assert [c["id"] for c in newest["data"]] == [second.customer_id]
    older = client.get(
        "/api/v1/admin/customers",
        params={**searched, "cursor": newest["next_cursor"]},
        headers=admin.headers,
    ).json()
    assert ([c["id"] for c in older["data"]], older["next_cursor"]) == ([first.customer_id], None)
    for literal in ("_", "\\", "alpha%owner"):  # LIKE's wildcards and escape match themselves
        found = client.get("/api/v1/admin/customers", params={"q": literal}, headers=admin.headers)
        assert found.json()["data"] == [], literal
    growth = client.get("/api/v1/admin/customers", params={"plan": "growth"}, headers=admin.headers)
    assert growth.json()["data"] == []
    for bad in ({"plan": "gold"}, {"limit": 0}, {"deleted": "maybe"}):
        response = client.get("/api/v1/admin/customers", params=bad, headers=admin.headers)
        assert response.status_code in (400, 422), (bad, response.text)


def test_a_support_admin_reads_but_never_writes(
    client: TestClient, container: Container, account: Account
) -> None:
    support = make_admin(client, container, "support")
    assert client.get(url(account), headers=support.headers).status_code == 200
    assert client.get(url(account, "/api-keys"), headers=support.headers).status_code == 200
    writes = [
        ("patch", url(account, "/plan"), {"plan": "pro"}),
        ("patch", url(account, "/event-quota"), {"event_quota": 5}),
        ("patch", url(account, "/features"), {"features": {"marketplace": True}}),
        ("patch", url(account), {"company_name": "Renamed"}),
        ("delete", url(account), None),
        ("post", url(account, "/impersonate"), None),
        ("post", url(account, "/api-keys/publishable"), {"mode": "live"}),
    ]
    for method, path, body in writes:
        kwargs = {"json": body} if body is not None else {}
        response = getattr(client, method if method != "delete" else "delete")(
            path, headers=support.headers, **kwargs
        )
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    detail = client.get(url(account), headers=support.headers).json()
    assert (detail["plan"], detail["company_name"], detail["deleted_at"]) == (
        "starter",
        "Acme",
        None,
    )
    entries = audit(client, support, target=account.customer_id)
    assert len(entries) == len(writes)
    assert {e["outcome"] for e in entries} == {"refused"}


def test_plan_quota_and_features_are_audited_exactly(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container, "operator")
    plan = client.patch(url(account, "/plan"), json={"plan": "pro"}, headers=admin.headers)
    assert plan.status_code == 200, plan.text
    assert plan.json()["plan"] == "pro"
    quota = client.patch(
        url(account, "/event-quota"), json={"event_quota": 123}, headers=admin.headers
    )
    assert quota.json()["monthly_event_quota"] == 123
    assert (
        client.patch(url(account, "/plan"), json={"plan": "growth"}, headers=admin.headers).json()[
            "event_quota"
        ]
        == 123
    )  # the customer's own figure stays across a plan change
    back = client.patch(
        url(account, "/event-quota"), json={"event_quota": None}, headers=admin.headers
    )
    assert back.json()["monthly_event_quota"] == 500_000
    entries = audit(client, admin, target=account.customer_id)
    assert [e["action"] for e in reversed(entries)] == [
        "customer.plan",
        "customer.event_quota",
        "customer.plan",
        "customer.event_quota",
    ]
    first = entries[-1]
    assert (first["before"]["plan"], first["after"]["plan"]) == ("starter", "pro")
    assert first["actor_id"] == admin.id and first["target_type"] == "customer"

    # A feature above the plan, granted; then locked although the plan includes it.
    audiences = {
        "audiences": [{"key": "student", "brief": "learns"}, {"key": "teacher", "brief": "leads"}]
    }
    locked = client.patch(
        "/api/v1/customers/me/audiences", json=audiences, headers=account.headers()
    )
    assert locked.status_code == 402, locked.text
    granted = client.patch(
        url(account, "/features"),
        json={"features": {"multi_audience": True}},
        headers=admin.headers,
    )
    assert granted.json()["feature_overrides"] == {"multi_audience": True}
    opened = client.patch(
        "/api/v1/customers/me/audiences", json=audiences, headers=account.headers()
    )
    assert opened.status_code == 200, opened.text
    client.patch(
        url(account, "/features"),
        json={"features": {"multi_audience": False}},
        headers=admin.headers,
    )
    shut = client.patch("/api/v1/customers/me/audiences", json=audiences, headers=account.headers())
    assert shut.status_code == 402 and shut.json()["error"]["code"] == "plan_feature_locked"
    cleared = client.patch(
        url(account, "/features"),
        json={"features": {"multi_audience": None, "badges": None}},
        headers=admin.headers,
    )
    assert cleared.json()["feature_overrides"] == {}


def test_bad_customer_input_is_refused_and_changes_nothing(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container, "operator")
    for path, body in (
        ("/plan", {"plan": "gold"}),
        ("/plan", {}),
        ("/event-quota", {"event_quota": -1}),
        ("/event-quota", {"event_quota": "5"}),
        ("/features", {"features": {"no_such_feature": True}}),
        ("", {"companyName": "x"}),
        ("", {"company_name": ""}),
    ):
        response = client.patch(url(account, path), json=body, headers=admin.headers)
        assert response.status_code == 422, (path, body, response.text)
    detail = client.get(url(account), headers=admin.headers).json()
    assert (detail["plan"], detail["event_quota"], detail["feature_overrides"]) == (
        "starter",
        None,
        {},
    )
    for missing in ("cus_" + "0" * 32, "not-an-id", "key_" + "0" * 32):
        assert (
            client.get(f"/api/v1/admin/customers/{missing}", headers=admin.headers).status_code
            == 404
        )
    response = client.get(
        "/api/v1/admin/audit",
        params={"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
        headers=admin.headers,
    )
    assert response.status_code == 400


def test_a_forged_cursor_is_a_bad_request_on_every_admin_listing(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container, "support")
    listings = {  # each listing's sort columns, as the type their values have
        "/api/v1/admin/customers": (str, str),
        "/api/v1/admin/audit": (str, str),
        "/api/v1/admin/operations": (str, str),
        url(account, "/credits"): (int,),
    }
    for path, kinds in listings.items():
        for value in ("2030-01-01T00:00:00+00:00", 7, True, None, 1.5, [1], {"a": 1}):
            cursor = encode_cursor([value] * len(kinds))
            response = client.get(path, params={"cursor": cursor}, headers=admin.headers)
            if all(type(value) is kind for kind in kinds):  # one we could have issued
                assert response.status_code == 200, (path, value, response.text)
            else:
                assert response.status_code == 400, (path, value, response.text)
                assert response.json()["error"]["details"] == {"field": "cursor"}


def test_soft_delete_stops_every_credential_at_once_and_restore_brings_them_back(
    client: TestClient, container: Container, account: Account, other_account: Account
) -> None:
    admin = make_admin(client, container, "operator")
    assert client.get("/api/v1/auth/me", headers=account.headers()).status_code == 200
    deleted = client.delete(url(account), headers=admin.headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted_at"] is not None
    for credential in (account.live_key, account.test_key, account.token):
        response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {credential}"})
        assert response.status_code == 401, response.text
        assert response.json()["error"]["details"]["reason"] == "revoked"
    login = client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": "correct horse battery"}
    )
    assert login.status_code == 401
    # another tenant is untouched; the data stays
    assert client.get("/api/v1/auth/me", headers=other_account.headers()).status_code == 200
    assert client.get(url(account), headers=admin.headers).json()["counts"]["api_keys"] == 2
    listed = client.get(
        "/api/v1/admin/customers", params={"deleted": "true"}, headers=admin.headers
    )
    assert [c["id"] for c in listed.json()["data"]] == [account.customer_id]
    twice = client.delete(url(account), headers=admin.headers)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "invalid_state_transition"

    assert client.post(url(account, "/restore"), headers=admin.headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=account.headers()).status_code == 200
    entries = audit(client, admin, target=account.customer_id)
    assert [(e["action"], e["outcome"]) for e in reversed(entries)] == [
        ("customer.delete", "succeeded"),
        ("customer.delete", "refused"),
        ("customer.restore", "succeeded"),
    ]


def test_keys_are_listed_revoked_and_a_publishable_key_is_issued(
    client: TestClient, container: Container, account: Account, other_account: Account
) -> None:
    admin = make_admin(client, container, "operator")
    keys = client.get(url(account, "/api-keys"), headers=admin.headers).json()["data"]
    assert len(keys) == 2 and all("key" not in k for k in keys)
    live = next(k for k in keys if k["mode"] == "live")
    revoked = client.post(url(account, f"/api-keys/{live['id']}/revoke"), headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    response = client.get("/api/v1/auth/me", headers=account.headers())
    assert response.status_code == 401
    # another customer's key through this customer's path: not found
    theirs = client.get(
        f"/api/v1/admin/customers/{other_account.customer_id}/api-keys", headers=admin.headers
    )
    their_key = theirs.json()["data"][0]["id"]
    foreign = client.post(url(account, f"/api-keys/{their_key}/revoke"), headers=admin.headers)
    assert foreign.status_code == 404
    issued = client.post(
        url(account, "/api-keys/publishable"), json={"mode": "live"}, headers=admin.headers
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["key"].startswith("hatch_pk_")
    reads = client.get(
        "/api/v1/operations", headers={"Authorization": f"Bearer {issued.json()['key']}"}
    )
    assert reads.status_code == 200
    assert "key" not in str(
        audit(client, admin, action="customer.api_key.publishable")[0]["after"].get("key")
    )


def test_impersonation_reads_refuses_writes_and_records_every_use(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container, "operator")
    taken = client.post(url(account, "/impersonate"), headers=admin.headers)
    assert taken.status_code == 201, taken.text
    assert taken.json()["read_only"] is True
    headers = {"Authorization": f"Bearer {taken.json()['token']}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["id"] == account.customer_id
    write = client.post("/api/v1/auth/api-keys", json={"mode": "live"}, headers=headers)
    assert write.status_code == 403 and write.json()["error"]["code"] == "forbidden"
    assert (
        len(
            client.get(
                "/api/v1/auth/api-keys", headers={"Authorization": f"Bearer {account.token}"}
            ).json()["data"]
        )
        == 2
    )
    # the admin token itself is not an impersonation token: a valid credential of the wrong
    # kind on customer routes (decision 0046)
    wrong = client.get("/api/v1/auth/me", headers=admin.headers)
    assert (
        wrong.status_code == 403 and wrong.json()["error"]["details"]["reason"] == "wrong_audience"
    )
    uses = audit(client, admin, action="impersonation.use")
    assert [(e["outcome"], e["after"]["method"], e["after"]["path"]) for e in reversed(uses)] == [
        ("succeeded", "GET", "/api/v1/auth/me"),
        ("refused", "POST", "/api/v1/auth/api-keys"),
    ]
    assert all(e["actor_id"] == admin.id and e["target_id"] == account.customer_id for e in uses)
    assert len(audit(client, admin, action="customer.impersonate")) == 1
    # a deactivated admin's impersonation tokens stop working
    boss = make_admin(client, container, "super")
    client.delete(f"/api/v1/admin/users/{admin.id}", headers=boss.headers)
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401 and after.json()["error"]["details"]["reason"] == "revoked"


def test_onboarding_and_operations_across_tenants(
    client: TestClient, container: Container, account: Account, other_account: Account
) -> None:
    admin = make_admin(client, container, "support")
    onboarding = client.get(url(account, "/onboarding"), headers=admin.headers)
    assert onboarding.status_code == 200, onboarding.text
    steps = {s["key"]: s["done"] for s in onboarding.json()["steps"]}
    assert steps["account_created"] and steps["secret_key_created"]
    assert not steps["config_published"] and onboarding.json()["completed"] is False

    apply_preset(client, account)
    hatch_buddy(client, account)
    listed = client.get(
        "/api/v1/admin/operations", params={"customer": account.customer_id}, headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    ops = listed.json()["data"]
    assert ops and all(o["customer_id"] == account.customer_id for o in ops)
    theirs = client.get(
        "/api/v1/admin/operations",
        params={"customer": other_account.customer_id},
        headers=admin.headers,
    )
    assert theirs.json()["data"] == []
    detail = client.get(f"/api/v1/admin/operations/{ops[0]['operation_id']}", headers=admin.headers)
    assert detail.status_code == 200, detail.text
    assert detail.json()["type"] == "hatch" and detail.json()["status"] == "completed"
    assert isinstance(detail.json()["request"], dict) and detail.json()["result"]["buddy_id"]
    assert {k: detail.json()[k] for k in ops[0]} == ops[0]  # the summary, and more
    assert set(detail.json()) - set(ops[0]) == {
        "request",
        "result",
        "error",
        "attempts",
        "request_id",
    }
    assert (
        client.get("/api/v1/admin/operations/op_" + "0" * 32, headers=admin.headers).status_code
        == 404
    )
    steps = {
        s["key"]: s["done"]
        for s in client.get(url(account, "/onboarding"), headers=admin.headers).json()["steps"]
    }
    assert steps["config_published"] and steps["first_buddy_hatched"]


def test_two_admins_patching_one_customer_are_both_audited_and_nothing_is_lost(
    client: TestClient, container: Container, account: Account
) -> None:
    admins: list[Admin] = [make_admin(client, container, "operator") for _ in range(2)]
    rounds = 6
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def patch(admin: Admin, plan: str) -> None:
        barrier.wait()
        for n in range(rounds):
            response = client.patch(
                url(account, "/event-quota"),
                json={"event_quota": 1000 * (1 if plan == "a" else 2) + n},
                headers=admin.headers,
            )
            answers.append(response.status_code)

    threads = [
        threading.Thread(target=patch, args=(admins[0], "a")),
        threading.Thread(target=patch, args=(admins[1], "b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * (2 * rounds)
    entries = list(reversed(audit(client, admins[0], target=account.customer_id, limit="100")))
    assert len(entries) == 2 * rounds
    assert {e["actor_id"] for e in entries} == {a.id for a in admins}
    # each act's "before" is the previous act's "after": a chain with no lost change
    for earlier, later in itertools.pairwise(entries):
        assert later["before"]["event_quota"] == earlier["after"]["event_quota"]
    final = client.get(url(account), headers=admins[0].headers).json()["event_quota"]
    assert final == entries[-1]["after"]["event_quota"] in (1000 + rounds - 1, 2000 + rounds - 1)
