"""What the config, analytics and webhook routes refuse with is what their operations document.

``tests/http/test_openapi_document.py`` checks that every operation documents its errors;
this checks the routes' own refusals (the codes their use cases raise, not only the ones
every route of a kind shares) against the document, by provoking each one.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from domain.integrations.webhook_endpoint import MAX_ENDPOINTS_PER_TENANT
from interfaces.container import Container
from tests.conftest import Account
from tests.http.flow import apply_preset

API = "/api/v1"
URL = "https://hooks.acme.example/hatched"


def documented(client: TestClient, method: str, template: str) -> dict[int, set[str]]:
    """The codes the document lists for ``method template``, by status."""
    document = client.get(f"{API}/openapi.json").json()
    operation = document["paths"][f"{API}{template}"][method.lower()]
    return {
        int(status): set(re.findall(r"`([a-z_]+)`", response["description"]))
        for status, response in operation["responses"].items()
        if status[0] in "45"
    }


def refused(
    client: TestClient,
    account: Account,
    method: str,
    template: str,
    path: str,
    body: Any = None,
    credential: str | None = None,
) -> tuple[int, str]:
    return refused_with(client, method, template, path, body, account.headers(credential))


def refused_with(
    client: TestClient,
    method: str,
    template: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """The (status, code) ``method path`` is refused with, checked against the document."""
    extra = {} if body is None else {"json": body}
    response = client.request(method, f"{API}{path}", headers=headers or {}, **extra)
    assert response.status_code >= 400, response.text
    code = str(response.json()["error"]["code"])
    assert code in documented(client, method, template).get(response.status_code, set()), (
        method,
        template,
        response.status_code,
        code,
    )
    return response.status_code, code


def test_config_refusals_are_documented(client: TestClient, account: Account) -> None:
    v1 = apply_preset(client, account)["config_version_id"]
    versions = "/config-versions/{version_id}"
    assert refused(client, account, "GET", "/config-versions", "/config-versions?status=bogus") == (
        400,
        "bad_request",
    )
    assert refused(
        client, account, "POST", f"{versions}/publish", f"/config-versions/{v1}/publish"
    ) == (409, "invalid_state_transition")
    assert refused(
        client, account, "PATCH", versions, f"/config-versions/{v1}", {"document": {}}
    ) == (409, "invalid_state_transition")
    assert refused(
        client, account, "GET", f"{versions}/impact", f"/config-versions/{v1}/impact?days=3"
    ) == (400, "bad_request")
    assert refused(
        client,
        account,
        "POST",
        f"{versions}/migrate-buddies",
        f"/config-versions/{v1}/migrate-buddies",
        {"buddy_ids": [f"bdy_{'0' * 32}"]},
    ) == (404, "resource_not_found")
    assert client.post(f"{API}/config-versions", json={}, headers=account.headers()).is_success
    assert refused(client, account, "POST", "/config-versions", "/config-versions", {}) == (
        409,
        "conflict",
    )
    assert refused(
        client, account, "POST", f"{versions}/clone", f"/config-versions/{v1}/clone"
    ) == (409, "conflict")
    assert refused(client, account, "GET", "/presets/{key}", "/presets/chess") == (
        404,
        "resource_not_found",
    )


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("/coin-rules", "/coin-rules/{rule_id}"),
        ("/skill-rules", "/skill-rules/{rule_id}"),
        ("/badge-definitions", "/badge-definitions/{badge_key}"),
        ("/streak-definitions", "/streak-definitions/{streak_key}"),
    ],
)
def test_rule_section_refusals_are_documented(
    client: TestClient, account: Account, route: str, template: str
) -> None:
    apply_preset(client, account)
    listed = client.get(f"{API}{route}", headers=account.headers()).json()["data"]
    first = listed[0]
    key = "key" if "key" in first else "id"
    duplicate = {k: v for k, v in first.items() if v is not None}
    assert refused(client, account, "POST", route, route, duplicate) == (409, "conflict")
    assert refused(client, account, "GET", template, f"{route}/missing") == (
        404,
        "resource_not_found",
    )
    mismatched = {**duplicate, key: "another"}
    assert refused(client, account, "PUT", template, f"{route}/{first[key]}", mismatched) == (
        422,
        "validation_failed",
    )
    publishable = client.post(
        f"{API}/auth/publishable-keys",
        json={},
        headers={"Authorization": f"Bearer {account.token}"},
    ).json()["key"]
    assert refused(client, account, "POST", route, route, duplicate, publishable) == (
        403,
        "publishable_key_scope",
    )


def test_leaderboard_refusals_are_documented(client: TestClient, account: Account) -> None:
    assert refused(client, account, "GET", "/analytics", f"/analytics?buddy_id=bdy_{'0' * 32}") == (
        404,
        "resource_not_found",
    )
    assert refused(client, account, "GET", "/analytics", "/analytics?limit=0") == (
        422,
        "validation_failed",
    )


def test_webhook_refusals_are_documented(
    client: TestClient, account: Account, container: Container
) -> None:
    created = client.post(
        f"{API}/webhook-configs",
        json={"url": URL, "events": ["coins.earned"]},
        headers=account.headers(),
    ).json()
    webhook = f"/webhook-configs/{created['id']}"
    templates = "/webhook-configs/{webhook_id}"
    assert refused(
        client, account, "GET", f"{templates}/deliveries", f"{webhook}/deliveries?cursor=zzz"
    ) == (400, "bad_request")
    assert refused(
        client, account, "POST", f"{templates}/test", f"{webhook}/test", {"event": "coins.stolen"}
    ) == (422, "validation_failed")
    assert refused(client, account, "GET", "/analytics/webhooks", "/analytics/webhooks?days=0") == (
        422,
        "validation_failed",
    )
    tenant = container.accounts.authenticate(account.live_key, None).tenant
    for _ in range(MAX_ENDPOINTS_PER_TENANT - 1):
        container.webhooks.register(tenant, URL, ["coins.earned"], None)
    assert refused(
        client,
        account,
        "POST",
        "/webhook-configs",
        "/webhook-configs",
        {"url": URL, "events": ["coins.earned"]},
    ) == (409, "conflict")
