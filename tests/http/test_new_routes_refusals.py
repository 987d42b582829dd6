"""The routes added with the admin API, analytics, credits, billing, event types and icons
refuse what they must, each with the status and code its operation documents.

- a credential of the wrong kind: no credential or an unknown one is ``401 unauthorized``;
  a publishable key, a widget token, an admin token (on customer routes) or a customer's
  credential (on admin routes) is ``403``;
- another tenant's id is ``404 resource_not_found``, and the admin routes, which cross
  tenants by design, answer an unknown customer, admin or operation with the same 404;
- a bad input (wrong type, unknown field, bad window, bad cursor, bad id) is refused with
  the code the document lists for its status.

The public routes (``/icons/...``, ``POST /admin/auth/login``, ``POST /billing/webhook``)
take no bearer credential; their refusals are in ``test_icons.py``,
``test_admin_identities.py`` and ``test_billing.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.container import Container
from tests.conftest import Account, register_account
from tests.http.admin_flow import make_admin
from tests.http.flow import apply_preset, send_event
from tests.http.test_gates import publishable_key
from tests.http.widget_flow import bearer, mint_session, widget_buddy

API = "/api/v1"
NO_CUSTOMER = "cus_" + "0" * 32
NO_ADMIN = "adm_" + "0" * 32
NO_OPERATION = "op_" + "0" * 32
NO_KEY = "key_" + "0" * 32

ANALYTICS = [
    "activity-summary",
    "audiences",
    "custom-events",
    "economy-health",
    "economy-summary",
    "engagement",
    "event-counts",
    "evolution",
    "marketplace-funnel",
    "overview",
    "popular-badges",
    "popular-items",
    "retention",
    "roi-metrics",
    "streaks",
    "tokens",
]

Route = tuple[str, str, str, Any]  # method, template, path, JSON body (None: none sent)

# Customer routes a secret key or a dashboard token may call.
CUSTOMER: list[Route] = [
    *[("GET", f"/analytics/{name}", f"/analytics/{name}", None) for name in ANALYTICS],
    ("GET", "/events/active-users", "/events/active-users", None),
    ("GET", "/billing/status", "/billing/status", None),
    ("GET", "/credits/balance", "/credits/balance", None),
    ("GET", "/credits/ledger", "/credits/ledger", None),
    ("GET", "/image-usage", "/image-usage", None),
    ("GET", "/image-usage/report", "/image-usage/report", None),
    (
        "GET",
        "/customers/me/users/{user_id}/summary",
        "/customers/me/users/u1/summary",
        None,
    ),
    ("PATCH", "/customers/me/audiences", "/customers/me/audiences", {"audiences": ["default"]}),
    ("GET", "/event-types", "/event-types", None),
    ("POST", "/event-types", "/event-types", {"key": "chapter_read"}),
    ("GET", "/event-types/{event_type_id}", "/event-types/lesson_completed", None),
    ("PUT", "/event-types/{event_type_id}", "/event-types/lesson_completed", {"label": "x"}),
    ("DELETE", "/event-types/{event_type_id}", "/event-types/lesson_completed", None),
    (
        "POST",
        "/badge-definitions/generate-icon",
        "/badge-definitions/generate-icon",
        {"name": "Scholar"},
    ),
    ("POST", "/badge-definitions/upload-icon", "/badge-definitions/upload-icon", None),
    (
        "POST",
        "/badge-definitions/{badge_key}/regenerate-icon",
        "/badge-definitions/scholar/regenerate-icon",
        {},
    ),
    ("POST", "/skill-sets/generate-icon", "/skill-sets/generate-icon", {"name": "Grammar"}),
]

# Customer routes only the dashboard (a person signed in) may call.
DASHBOARD_ONLY: list[Route] = [
    ("POST", "/billing/checkout", "/billing/checkout", {"plan": "growth"}),
    ("POST", "/billing/override-plan", "/billing/override-plan", {"plan": "pro"}),
    ("POST", "/billing/portal", "/billing/portal", {}),
]


def admin_routes(customer: str) -> list[Route]:
    """The admin API's added operations, on ``customer``."""
    c = "/admin/customers/{customer_id}"
    at = f"/admin/customers/{customer}"
    return [
        ("GET", "/admin/auth/me", "/admin/auth/me", None),
        ("POST", "/admin/auth/logout", "/admin/auth/logout", None),
        ("GET", "/admin/audit", "/admin/audit", None),
        ("GET", "/admin/users", "/admin/users", None),
        (
            "POST",
            "/admin/users",
            "/admin/users",
            {"email": "x@ops.example.com", "password": "a long passphrase", "role": "support"},
        ),
        ("PATCH", "/admin/users/{admin_id}", f"/admin/users/{NO_ADMIN}", {"name": "x"}),
        ("DELETE", "/admin/users/{admin_id}", f"/admin/users/{NO_ADMIN}", None),
        ("GET", "/admin/operations", "/admin/operations", None),
        ("GET", "/admin/operations/queue-link", "/admin/operations/queue-link", None),
        (
            "GET",
            "/admin/operations/{operation_id}",
            f"/admin/operations/{NO_OPERATION}",
            None,
        ),
        ("GET", "/admin/customers", "/admin/customers", None),
        *customer_admin_routes(customer),
        ("DELETE", c, at, None),
    ]


def customer_admin_routes(customer: str) -> list[Route]:
    """The admin operations on one customer, each with a body it would accept
    (the closing ``DELETE`` is left out: it would close the customer)."""
    c = "/admin/customers/{customer_id}"
    at = f"/admin/customers/{customer}"
    return [
        ("GET", c, at, None),
        ("PATCH", c, at, {"company_name": "Renamed"}),
        ("PATCH", f"{c}/plan", f"{at}/plan", {"plan": "pro"}),
        ("PATCH", f"{c}/event-quota", f"{at}/event-quota", {"event_quota": 5}),
        ("PATCH", f"{c}/features", f"{at}/features", {"features": {"marketplace": True}}),
        ("POST", f"{c}/restore", f"{at}/restore", None),
        ("GET", f"{c}/api-keys", f"{at}/api-keys", None),
        ("POST", f"{c}/api-keys/publishable", f"{at}/api-keys/publishable", {"mode": "live"}),
        ("POST", f"{c}/api-keys/{{key_id}}/revoke", f"{at}/api-keys/{NO_KEY}/revoke", None),
        ("GET", f"{c}/billing", f"{at}/billing", None),
        (
            "POST",
            f"{c}/billing/cancel-subscription",
            f"{at}/billing/cancel-subscription",
            {"reason": "test"},
        ),
        ("POST", f"{c}/billing/refund", f"{at}/billing/refund", {"reason": "test"}),
        ("POST", f"{c}/billing/sync", f"{at}/billing/sync", None),
        ("GET", f"{c}/credits", f"{at}/credits", None),
        (
            "POST",
            f"{c}/credits/adjust",
            f"{at}/credits/adjust",
            {"amount": 1, "reason": "test"},
        ),
        ("GET", f"{c}/onboarding", f"{at}/onboarding", None),
        ("POST", f"{c}/impersonate", f"{at}/impersonate", None),
    ]


class Document:
    """The codes ``/api/v1/openapi.json`` lists for each operation, by status."""

    def __init__(self, client: TestClient) -> None:  # type: ignore[type-arg]
        self.paths = client.get(f"{API}/openapi.json").json()["paths"]

    def codes(self, method: str, template: str, status: int) -> set[str]:
        responses = self.paths[f"{API}{template}"][method.lower()]["responses"]
        described = responses.get(str(status), {}).get("description", "")
        return set(re.findall(r"`([a-z_]+)`", described.split(";")[0]))


def problems(
    client: TestClient,  # type: ignore[type-arg]
    routes: list[Route],
    headers: dict[str, str],
    expected: tuple[int, str, str | None],
) -> list[str]:
    """Every route whose refusal is not ``expected`` (status, code, ``details.reason`` or
    ``None`` for none) or whose code its operation does not document; empty when all
    refuse as expected."""
    document = Document(client)
    found = []
    status, code, _ = expected
    for method, template, path, body in routes:
        extra = {} if body is None else {"json": body}
        response = client.request(method, f"{API}{path}", headers=headers, **extra)
        error = response.json().get("error", {}) if response.status_code >= 400 else {}
        got = (response.status_code, error.get("code"), (error.get("details") or {}).get("reason"))
        if got != expected:
            found.append(f"{method} {path}: {got} {response.text[:160]}")
        elif code not in document.codes(method, template, status):
            found.append(f"{method} {template}: {status} {code} is not documented")
    return found


# -- (d) a credential of the wrong kind -------------------------------------------------------


def widget_token(client: TestClient, account: Account) -> str:  # type: ignore[type-arg]
    return str(mint_session(client, widget_buddy(client, account))["token"])


Credential = Callable[[TestClient, Container, Account], dict[str, str]]


def no_credential(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    return {}


def unknown_key(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    return bearer("hatch_live_" + "x" * 43)


def unknown_token(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    return bearer("x.y.z")


def publishable(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    return bearer(publishable_key(client, account))


def widget(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    return bearer(widget_token(client, account))


def admin_token(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    return make_admin(client, container).headers


def secret_key(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    return account.headers()


def dashboard(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    return account.headers(account.token)


def impersonation(client: TestClient, container: Container, account: Account) -> dict[str, str]:  # type: ignore[type-arg]
    """A read-only dashboard token an operator took for the customer."""
    admin = make_admin(client, container, "operator")
    taken = client.post(
        f"{API}/admin/customers/{account.customer_id}/impersonate", headers=admin.headers
    )
    assert taken.status_code == 201, taken.text
    return bearer(taken.json()["token"])


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        pytest.param(no_credential, (401, "unauthorized", "missing"), id="none"),
        pytest.param(unknown_key, (401, "unauthorized", "invalid"), id="unknown-key"),
        pytest.param(publishable, (403, "publishable_key_scope", None), id="publishable-key"),
        pytest.param(widget, (403, "forbidden", "wrong_audience"), id="widget-token"),
        pytest.param(admin_token, (403, "forbidden", "wrong_audience"), id="admin-token"),
    ],
)
def test_customer_routes_refuse_a_credential_of_another_kind(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
    credential: Credential,
    expected: tuple[int, str, str | None],
) -> None:
    headers = credential(client, container, account)
    assert problems(client, CUSTOMER, headers, expected) == []


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        pytest.param(no_credential, (401, "unauthorized", "missing"), id="none"),
        pytest.param(unknown_key, (401, "unauthorized", "invalid"), id="unknown-key"),
        pytest.param(secret_key, (403, "forbidden", None), id="secret-key"),
        pytest.param(publishable, (403, "forbidden", None), id="publishable-key"),
        pytest.param(widget, (403, "forbidden", "wrong_audience"), id="widget-token"),
        pytest.param(admin_token, (403, "forbidden", "wrong_audience"), id="admin-token"),
    ],
)
def test_dashboard_only_routes_refuse_every_other_credential(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
    credential: Credential,
    expected: tuple[int, str, str | None],
) -> None:
    headers = credential(client, container, account)
    assert problems(client, DASHBOARD_ONLY, headers, expected) == []
    assert client.get(f"{API}/billing/status", headers=account.headers()).json()["plan"] == (
        "starter"
    )


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        pytest.param(no_credential, (401, "unauthorized", "missing"), id="none"),
        pytest.param(unknown_token, (401, "unauthorized", "invalid"), id="unknown-token"),
        pytest.param(secret_key, (403, "forbidden", "wrong_audience"), id="secret-key"),
        pytest.param(dashboard, (403, "forbidden", "wrong_audience"), id="dashboard-token"),
        pytest.param(publishable, (403, "forbidden", "wrong_audience"), id="publishable-key"),
        pytest.param(widget, (403, "forbidden", "wrong_audience"), id="widget-token"),
        pytest.param(impersonation, (403, "forbidden", "wrong_audience"), id="impersonation"),
    ],
)
def test_admin_routes_refuse_every_customer_credential(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
    credential: Credential,
    expected: tuple[int, str, str | None],
) -> None:
    headers = credential(client, container, account)
    assert problems(client, admin_routes(account.customer_id), headers, expected) == []
    admin = make_admin(client, container, "support")
    detail = client.get(f"{API}/admin/customers/{account.customer_id}", headers=admin.headers)
    assert (detail.json()["company_name"], detail.json()["deleted_at"]) == ("Acme", None)


# -- (c) another tenant's id ------------------------------------------------------------------


def test_another_tenants_ids_are_not_found_and_left_alone(
    client: TestClient, account: Account, other_account: Account
) -> None:
    apply_preset(client, account)
    created = client.post(
        f"{API}/event-types", json={"key": "mine_only"}, headers=account.headers()
    )
    assert created.status_code == 201, created.text
    send_event(client, account, "u_mine")
    apply_preset(client, other_account, "fitness")  # a rulebook of its own, without "scholar"
    theirs = other_account.headers()
    assert (
        problems(
            client,
            [
                ("GET", "/event-types/{event_type_id}", "/event-types/mine_only", None),
                ("PUT", "/event-types/{event_type_id}", "/event-types/mine_only", {"label": "x"}),
                ("DELETE", "/event-types/{event_type_id}", "/event-types/mine_only", None),
                (
                    "GET",
                    "/customers/me/users/{user_id}/summary",
                    "/customers/me/users/u_mine/summary",
                    None,
                ),
                (
                    "POST",
                    "/badge-definitions/{badge_key}/regenerate-icon",
                    "/badge-definitions/scholar/regenerate-icon",
                    {},
                ),
            ],
            theirs,
            (404, "resource_not_found", None),
        )
        == []
    )
    mine = client.get(f"{API}/event-types/mine_only", headers=account.headers())
    assert mine.status_code == 200 and mine.json()["label"] is None
    summary = client.get(f"{API}/customers/me/users/u_mine/summary", headers=account.headers())
    assert summary.status_code == 200, summary.text


def test_admin_routes_answer_an_unknown_customer_admin_or_operation_with_404(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container, "super")
    unknown = [
        *customer_admin_routes(NO_CUSTOMER),
        ("DELETE", "/admin/customers/{customer_id}", f"/admin/customers/{NO_CUSTOMER}", None),
        ("PATCH", "/admin/users/{admin_id}", f"/admin/users/{NO_ADMIN}", {"name": "x"}),
        ("DELETE", "/admin/users/{admin_id}", f"/admin/users/{NO_ADMIN}", None),
        ("GET", "/admin/operations/{operation_id}", f"/admin/operations/{NO_OPERATION}", None),
    ]
    assert problems(client, unknown, admin.headers, (404, "resource_not_found", None)) == []
    # a key that is not this customer's, through this customer's path
    revoke = "/admin/customers/{customer_id}/api-keys/{key_id}/revoke"
    foreign = [
        ("POST", revoke, f"/admin/customers/{account.customer_id}/api-keys/{NO_KEY}/revoke", None)
    ]
    assert problems(client, foreign, admin.headers, (404, "resource_not_found", None)) == []


# -- (b) a bad input ------------------------------------------------------------------------

BAD: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    # method, template, path, request arguments, status, code
    *[
        (
            "GET",
            f"/analytics/{name}",
            f"/analytics/{name}",
            {"params": {"days": 0}},
            422,
            "validation_failed",
        )
        for name in ANALYTICS
    ],
    *[
        (
            "GET",
            f"/analytics/{name}",
            f"/analytics/{name}",
            {"params": {"from": "2025-03-10", "to": "2025-03-03"}},
            400,
            "bad_request",
        )
        for name in ANALYTICS
    ],
    (
        "GET",
        "/events/active-users",
        "/events/active-users",
        {"params": {"limit": 0}},
        422,
        "validation_failed",
    ),
    (
        "GET",
        "/credits/ledger",
        "/credits/ledger",
        {"params": {"cursor": "zzz"}},
        400,
        "bad_request",
    ),
    (
        "GET",
        "/credits/ledger",
        "/credits/ledger",
        {"params": {"limit": 0}},
        422,
        "validation_failed",
    ),
    ("GET", "/image-usage", "/image-usage", {"params": {"month": "2025-13"}}, 400, "bad_request"),
    (
        "GET",
        "/image-usage/report",
        "/image-usage/report",
        {"params": {"from": "yesterday"}},
        422,
        "validation_failed",
    ),
    (
        "GET",
        "/customers/me/users/{user_id}/summary",
        "/customers/me/users/nobody/summary",
        {},
        404,
        "resource_not_found",
    ),
    (
        "PATCH",
        "/customers/me/audiences",
        "/customers/me/audiences",
        {"json": {"audiences": "default"}},
        422,
        "validation_failed",
    ),
    ("POST", "/event-types", "/event-types", {"json": {"key": 5}}, 422, "validation_failed"),
    (
        "PUT",
        "/event-types/{event_type_id}",
        "/event-types/lesson_completed",
        {"json": {"label": "x", "extra": 1}},
        422,
        "validation_failed",
    ),
    (
        "GET",
        "/event-types/{event_type_id}",
        "/event-types/nope",
        {},
        404,
        "resource_not_found",
    ),
    (
        "POST",
        "/badge-definitions/generate-icon",
        "/badge-definitions/generate-icon",
        {"json": {"name": 5}},
        422,
        "validation_failed",
    ),
    (
        "POST",
        "/badge-definitions/upload-icon",
        "/badge-definitions/upload-icon",
        {"content": b"not an image", "headers": {"Content-Type": "text/plain"}},
        415,
        "unsupported_media_type",
    ),
    (
        "POST",
        "/badge-definitions/{badge_key}/regenerate-icon",
        "/badge-definitions/scholar/regenerate-icon",
        {"json": {"seed": "x", "colour": "red"}},
        422,
        "validation_failed",
    ),
    (
        "POST",
        "/skill-sets/generate-icon",
        "/skill-sets/generate-icon",
        {"json": {}},
        422,
        "validation_failed",
    ),
]

BAD_DASHBOARD: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    (
        "POST",
        "/billing/checkout",
        "/billing/checkout",
        {"json": {"plan": 5}},
        422,
        "validation_failed",
    ),
    (
        "POST",
        "/billing/override-plan",
        "/billing/override-plan",
        {"json": {"plan": "pro", "why": "x"}},
        422,
        "validation_failed",
    ),
    (
        "POST",
        "/billing/portal",
        "/billing/portal",
        {"json": {"return_url": 5}},
        422,
        "validation_failed",
    ),
]


def bad_admin_inputs(customer: str) -> list[tuple[str, str, str, dict[str, Any], int, str]]:
    c = "/admin/customers/{customer_id}"
    at = f"/admin/customers/{customer}"
    unknown_field = {"json": {"reason": "test", "why": "x"}}
    return [
        ("GET", "/admin/audit", "/admin/audit", {"params": {"cursor": "zzz"}}, 400, "bad_request"),
        ("GET", "/admin/audit", "/admin/audit", {"params": {"limit": 0}}, 422, "validation_failed"),
        (
            "GET",
            "/admin/customers",
            "/admin/customers",
            {"params": {"cursor": "zzz"}},
            400,
            "bad_request",
        ),
        (
            "GET",
            "/admin/customers",
            "/admin/customers",
            {"params": {"plan": "gold"}},
            422,
            "validation_failed",
        ),
        (
            "GET",
            "/admin/operations",
            "/admin/operations",
            {"params": {"cursor": "zzz"}},
            400,
            "bad_request",
        ),
        (
            "GET",
            "/admin/operations",
            "/admin/operations",
            {"params": {"limit": 0}},
            422,
            "validation_failed",
        ),
        (
            "GET",
            "/admin/operations/{operation_id}",
            "/admin/operations/not-an-id",
            {},
            404,
            "resource_not_found",
        ),
        (
            "POST",
            "/admin/users",
            "/admin/users",
            {"json": {"email": "a@ops.example.com", "password": "a long passphrase", "role": 1}},
            422,
            "validation_failed",
        ),
        (
            "PATCH",
            "/admin/users/{admin_id}",
            "/admin/users/not-an-id",
            {"json": {"name": "x"}},
            404,
            "resource_not_found",
        ),
        (
            "DELETE",
            "/admin/users/{admin_id}",
            "/admin/users/not-an-id",
            {},
            404,
            "resource_not_found",
        ),
        ("GET", c, "/admin/customers/not-an-id", {}, 404, "resource_not_found"),
        ("PATCH", c, at, {"json": {"company_name": 5}}, 422, "validation_failed"),
        ("PATCH", f"{c}/plan", f"{at}/plan", {"json": {"plan": "gold"}}, 422, "validation_failed"),
        (
            "PATCH",
            f"{c}/event-quota",
            f"{at}/event-quota",
            {"json": {"event_quota": "5"}},
            422,
            "validation_failed",
        ),
        (
            "PATCH",
            f"{c}/features",
            f"{at}/features",
            {"json": {"features": {"no_such": True}}},
            422,
            "validation_failed",
        ),
        (
            "POST",
            f"{c}/restore",
            "/admin/customers/not-an-id/restore",
            {},
            404,
            "resource_not_found",
        ),
        (
            "GET",
            f"{c}/api-keys",
            "/admin/customers/not-an-id/api-keys",
            {},
            404,
            "resource_not_found",
        ),
        (
            "POST",
            f"{c}/api-keys/publishable",
            f"{at}/api-keys/publishable",
            {"json": {"mode": "staging"}},
            422,
            "validation_failed",
        ),
        (
            "POST",
            f"{c}/api-keys/{{key_id}}/revoke",
            f"{at}/api-keys/not-an-id/revoke",
            {},
            404,
            "resource_not_found",
        ),
        (
            "GET",
            f"{c}/billing",
            "/admin/customers/not-an-id/billing",
            {},
            404,
            "resource_not_found",
        ),
        (
            "POST",
            f"{c}/billing/cancel-subscription",
            f"{at}/billing/cancel-subscription",
            unknown_field,
            422,
            "validation_failed",
        ),
        (
            "POST",
            f"{c}/billing/refund",
            f"{at}/billing/refund",
            unknown_field,
            422,
            "validation_failed",
        ),
        (
            "POST",
            f"{c}/billing/sync",
            "/admin/customers/not-an-id/billing/sync",
            {},
            404,
            "resource_not_found",
        ),
        ("GET", f"{c}/credits", f"{at}/credits", {"params": {"cursor": "zzz"}}, 400, "bad_request"),
        (
            "POST",
            f"{c}/credits/adjust",
            f"{at}/credits/adjust",
            {"json": {"amount": "1", "reason": "t"}},
            422,
            "validation_failed",
        ),
        (
            "GET",
            f"{c}/onboarding",
            "/admin/customers/not-an-id/onboarding",
            {},
            404,
            "resource_not_found",
        ),
        (
            "POST",
            f"{c}/impersonate",
            "/admin/customers/not-an-id/impersonate",
            {},
            404,
            "resource_not_found",
        ),
        ("DELETE", c, "/admin/customers/not-an-id", {}, 404, "resource_not_found"),
        (
            "POST",
            "/admin/auth/login",
            "/admin/auth/login",
            {"json": {"email": 5, "password": "x"}},
            422,
            "validation_failed",
        ),
    ]


def refusal_problems(
    client: TestClient,  # type: ignore[type-arg]
    cases: list[tuple[str, str, str, dict[str, Any], int, str]],
    headers: dict[str, str],
) -> list[str]:
    document = Document(client)
    found = []
    for method, template, path, arguments, status, code in cases:
        merged = {**headers, **arguments.get("headers", {})}
        rest = {k: v for k, v in arguments.items() if k != "headers"}
        response = client.request(method, f"{API}{path}", headers=merged, **rest)
        got = (response.status_code, response.json().get("error", {}).get("code"))
        if got != (status, code):
            found.append(f"{method} {path} {arguments}: {got} {response.text[:200]}")
        elif code not in document.codes(method, template, status):
            found.append(f"{method} {template}: {status} {code} is not documented")
    return found


def test_customer_routes_refuse_bad_input_with_their_documented_code(
    client: TestClient, container: Container
) -> None:
    account = register_account(client, plan="pro")
    apply_preset(client, account)
    before = client.get(f"{API}/event-types", headers=account.headers()).json()
    assert refusal_problems(client, BAD, account.headers()) == []
    assert refusal_problems(client, BAD_DASHBOARD, account.headers(account.token)) == []
    assert client.get(f"{API}/event-types", headers=account.headers()).json() == before
    assert client.get(f"{API}/billing/status", headers=account.headers()).json()["plan"] == "pro"


def test_admin_routes_refuse_bad_input_with_their_documented_code(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container, "super")
    before = client.get(f"{API}/admin/customers/{account.customer_id}", headers=admin.headers)
    assert refusal_problems(client, bad_admin_inputs(account.customer_id), admin.headers) == []
    after = client.get(f"{API}/admin/customers/{account.customer_id}", headers=admin.headers)
    assert after.json() == before.json()
    assert len(client.get(f"{API}/admin/users", headers=admin.headers).json()["data"]) == 1
