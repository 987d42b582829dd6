"""``/webhook-configs`` over HTTP: the contract's shapes, bad inputs, tenant isolation and
the per-tenant cap under concurrency. Deliveries are in ``test_webhook_deliveries.py``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar.testing import TestClient

from domain.integrations.webhook_endpoint import MAX_ENDPOINTS_PER_TENANT, WEBHOOK_EVENTS
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant
from interfaces.container import Container
from tests.conftest import Account

BASE = "/api/v1/webhook-configs"
URL = "https://hooks.acme.example/hatched"
CREATED_KEYS = {
    "id",
    "url",
    "events",
    "description",
    "status",
    "disabled_reason",
    "secret",
    "created_at",
    "updated_at",
}


def create(client: TestClient, account: Account, **body: Any) -> dict[str, Any]:
    payload = {"url": URL, "events": ["coins.earned", "buddy.hatched"], **body}
    response = client.post(BASE, json=payload, headers=account.headers())
    assert response.status_code == 201, response.text
    return dict(response.json())


def listed(client: TestClient, account: Account, credential: str | None = None) -> list[str]:
    response = client.get(BASE, headers=account.headers(credential))
    assert response.status_code == 200
    return [w["id"] for w in response.json()["data"]]


def test_catalogue_create_read_update_rotate_delete(client: TestClient, account: Account) -> None:
    headers = account.headers()
    catalogue = client.get(f"{BASE}/events", headers=headers).json()
    assert [e["name"] for e in catalogue["data"]] == list(WEBHOOK_EVENTS)
    assert all(e["description"] for e in catalogue["data"])
    created = create(client, account, description="prod")
    assert set(created) == CREATED_KEYS
    assert created["id"].startswith("wh_") and created["secret"].startswith("whsec_")
    assert created["status"] == "active" and created["events"] == ["coins.earned", "buddy.hatched"]
    webhook = f"{BASE}/{created['id']}"

    shown = client.get(webhook, headers=headers).json()
    assert "secret" not in shown and shown == {k: created[k] for k in CREATED_KEYS - {"secret"}}
    assert listed(client, account) == [created["id"]]

    updated = client.put(
        webhook,
        json={"url": URL + "/v2", "events": ["operation.failed"], "status": "disabled"},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["url"] == URL + "/v2" and updated.json()["events"] == ["operation.failed"]
    assert updated.json()["status"] == "disabled" and updated.json()["description"] is None
    assert "secret" not in updated.json()

    rotated = client.post(f"{webhook}/rotate-secret", headers=headers)
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None

    removed = client.delete(webhook, headers=headers)
    assert removed.status_code == 200 and removed.json() == {"id": created["id"], "deleted": True}
    assert client.get(webhook, headers=headers).status_code == 404
    assert client.delete(webhook, headers=headers).status_code == 404
    assert listed(client, account) == []


BAD_BODIES = [
    ({"url": "ftp://hooks.acme.example/x"}, "url"),
    ({"url": "file:///etc/passwd"}, "url"),
    ({"url": "http://127.0.0.1:8000/hook"}, "url"),
    ({"url": "http://2130706433/hook"}, "url"),
    ({"url": "http://[::ffff:10.0.0.1]/hook"}, "url"),
    ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
    ({"url": "http://localhost/hook"}, "url"),
    ({"url": "https://user:pw@hooks.acme.example/"}, "url"),
    ({"events": ["coins.earned", "coins.stolen"]}, "events[1]"),
    ({"events": []}, "events"),
    ({"events": "coins.earned"}, "events"),
    ({"url": 42}, "url"),
    ({"description": "x" * 501}, "description"),
    ({"webhookUrl": URL}, "webhookUrl"),
]


def test_bad_inputs_are_refused_and_create_nothing(client: TestClient, account: Account) -> None:
    for body, field in BAD_BODIES:
        payload = {"url": URL, "events": ["coins.earned"], **body}
        response = client.post(BASE, json=payload, headers=account.headers())
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_failed"
        assert field in [f["field"] for f in error["details"]["fields"]], (body, error)
    assert listed(client, account) == []


def test_a_bad_update_changes_nothing(client: TestClient, account: Account) -> None:
    created = create(client, account)
    webhook = f"{BASE}/{created['id']}"
    for body in (
        {"url": "http://10.0.0.8/", "events": ["coins.earned"]},
        {"url": URL, "events": ["nope"]},
        {"url": URL, "events": ["coins.earned"], "status": "paused"},
    ):
        response = client.put(webhook, json=body, headers=account.headers())
        assert response.status_code == 422, response.text
    after = client.get(webhook, headers=account.headers()).json()
    assert after == {k: created[k] for k in CREATED_KEYS - {"secret"}}


def test_another_tenants_webhook_is_not_found_on_every_route(
    client: TestClient, account: Account, other_account: Account
) -> None:
    mine = create(client, account)["id"]
    delivery = client.post(f"{BASE}/{mine}/test", headers=account.headers()).json()["delivery_id"]
    routes = [
        ("GET", f"{BASE}/{mine}", None),
        ("PUT", f"{BASE}/{mine}", {"url": URL, "events": ["coins.earned"]}),
        ("POST", f"{BASE}/{mine}/rotate-secret", None),
        ("POST", f"{BASE}/{mine}/test", None),
        ("GET", f"{BASE}/{mine}/deliveries", None),
        ("GET", f"{BASE}/{mine}/deliveries/{delivery}", None),
        ("POST", f"{BASE}/{mine}/deliveries/{delivery}/redeliver", None),
        ("DELETE", f"{BASE}/{mine}", None),
    ]
    strangers = [other_account.headers(), account.headers(account.test_key)]
    for headers in strangers:
        for method, path, body in routes:
            extra = {} if body is None else {"json": body}
            response = client.request(method, path, headers=headers, **extra)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "resource_not_found"
    assert listed(client, other_account) == []
    assert listed(client, account, account.test_key) == []
    assert listed(client, account) == [mine]
    dashboard = {"Authorization": f"Bearer {account.token}"}
    key = client.post("/api/v1/auth/publishable-keys", json={}, headers=dashboard).json()["key"]
    refused = client.get(BASE, headers=account.headers(key))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "publishable_key_scope"


def test_unknown_ids_are_not_found_and_test_sends_need_known_events(
    client: TestClient, account: Account
) -> None:
    mine = create(client, account)["id"]
    other = create(client, account)["id"]
    elsewhere = client.post(f"{BASE}/{other}/test", headers=account.headers()).json()["delivery_id"]
    for path in (
        f"{BASE}/wh_{'0' * 32}",
        f"{BASE}/not-an-id",
        f"{BASE}/{mine}/deliveries/whd_{'0' * 32}/redeliver",
        f"{BASE}/{mine}/deliveries/nope/redeliver",
        f"{BASE}/{mine}/deliveries/{elsewhere}/redeliver",
    ):
        method = "POST" if path.endswith("redeliver") else "GET"
        response = client.request(method, path, headers=account.headers())
        assert response.status_code == 404, (path, response.text)
    test = f"{BASE}/{mine}/test"
    refused = client.post(test, json={"event": "coins.stolen"}, headers=account.headers())
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_failed"
    accepted = client.post(test, json={"event": "coins.earned"}, headers=account.headers())
    assert accepted.status_code == 202
    assert accepted.json()["event"] == "coins.earned" and accepted.json()["status"] == "pending"


def test_concurrent_registrations_never_exceed_the_cap(
    container: Container, account: Account
) -> None:
    from uuid import UUID

    tenant = Tenant(UUID(hex=account.customer_id.removeprefix("cus_")), "live")

    def register(_: int) -> str:
        try:
            container.webhooks.register(tenant, URL, ["coins.earned"], None)
        except DomainError as error:
            return error.code
        return "created"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(register, range(MAX_ENDPOINTS_PER_TENANT + 6)))
    created = outcomes.count("created")
    assert set(outcomes) == {"created", "conflict"}  # the cap, or a race lost 8 times over
    assert created <= MAX_ENDPOINTS_PER_TENANT
    assert len(container.webhooks.endpoints(tenant)) == created
    topped_up = [register(i) for i in range(MAX_ENDPOINTS_PER_TENANT - created)]
    assert topped_up == ["created"] * (MAX_ENDPOINTS_PER_TENANT - created)
    assert register(0) == "conflict"
    assert len(container.webhooks.endpoints(tenant)) == MAX_ENDPOINTS_PER_TENANT
