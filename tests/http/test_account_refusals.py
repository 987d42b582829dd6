"""What the account and demo routes refuse with is what their operations document.

Like ``test_documented_refusals.py`` for other contexts: each refusal is provoked and its
status and code must be among the ones ``/api/v1/openapi.json`` lists for the operation —
login and register included, which answer 429 from the auth quotas.
"""

from __future__ import annotations

import re

from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from tests.conftest import Account
from tests.http.peers import app_client, peer
from tests.http.test_documented_refusals import refused_with as refused

API = "/api/v1"
PASSWORD = "correct horse battery"
SESSION_TOKEN = re.compile(r'data-session-token="([^"]+)"')
BUDDY_IN_PAGE = re.compile(r"/demo/buddy/(bdy_[0-9a-f]+)/evolve")


def sign_up(email: str, company: str = "Acme") -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "company_name": company}


def test_register_and_login_refusals_are_documented(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
) -> None:
    assert refused(client, "POST", "/auth/register", "/auth/register", sign_up(account.email)) == (
        409,
        "conflict",
    )
    wrong = {"email": account.email, "password": "not the password"}
    assert refused(client, "POST", "/auth/login", "/auth/login", wrong) == (401, "unauthorized")


def test_spent_auth_quotas_are_documented(settings: Settings) -> None:
    with app_client(settings, auth_rate_limit="1/day") as (client, _):
        address = peer("10.9.0.1")
        assert client.post(f"{API}/auth/register", json=sign_up("a@example.com"), headers=address)
        for route, body in (
            ("/auth/register", sign_up("b@example.com")),
            ("/auth/login", {"email": "a@example.com", "password": PASSWORD}),
        ):
            assert refused(client, "POST", route, route, body, address) == (429, "rate_limited")


def test_demo_evolve_refusals_are_documented(settings: Settings) -> None:
    with app_client(settings, demo=True) as (client, _):
        page = client.get("/demo", headers=peer("10.9.0.3")).text
        token, buddy_id = SESSION_TOKEN.findall(page)[0], BUDDY_IN_PAGE.findall(page)[0]
        widget = {"Authorization": f"Bearer {token}"}
        template = "/demo/buddy/{buddy_id}/evolve"
        assert refused(
            client, "POST", template, f"/demo/buddy/{buddy_id}/evolve", None, widget
        ) == (
            409,
            "evolution_not_ready",
        )
        other = f"/demo/buddy/bdy_{'0' * 32}/evolve"
        assert refused(client, "POST", template, other, None, widget) == (
            404,
            "resource_not_found",
        )
        assert refused(client, "POST", template, other) == (401, "unauthorized")
