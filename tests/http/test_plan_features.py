"""Plan features at the edge (decision 0039): below the plan ``402 plan_feature_locked``,
switched off by the customer ``403 capability_disabled``; each refusal changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.di import Provide
from litestar.testing import TestClient

from domain.shared.ids import parse_public_id
from infrastructure.shared.settings import UPGRADE_URL
from interfaces.container import Container
from interfaces.http.app import create_litestar
from interfaces.http.auth import Caller, provide_principal
from interfaces.http.routing import Access, post
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, hatch_buddy

SETTINGS = "/api/v1/customers/me/settings"


@post(
    "/api/v1/test-marketplace",
    access=Access.SECRET,
    feature="marketplace",
    status_code=200,
    dependencies={"principal": Provide(provide_principal, sync_to_thread=False)},
)
def marketplace_route(principal: Caller) -> dict[str, Any]:
    """A route declared like the marketplace routes (test_marketplace_gate.py calls those)."""
    SOLD.append(principal.customer_id)
    return {"sold": True}


SOLD: list[uuid.UUID] = []


@pytest.fixture
def gated(container: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    app: Litestar = create_litestar(container)
    app.register(marketplace_route)
    with TestClient(app) as test_client:
        yield test_client


def switch(client: TestClient, account: Account, **capabilities: bool) -> Any:  # type: ignore[type-arg]
    return client.patch(SETTINGS, json={"capabilities": capabilities}, headers=account.headers())


def test_a_feature_above_the_plan_is_402_with_the_plan_to_upgrade_to(
    gated: TestClient,  # type: ignore[type-arg]
    container: Container,
) -> None:
    account = register_account(gated)
    SOLD.clear()
    refused = gated.post("/api/v1/test-marketplace", headers=account.headers())
    assert refused.status_code == 402, refused.text
    error = refused.json()["error"]
    assert error["code"] == "plan_feature_locked"
    assert error["details"]["required_plan"] == "growth"
    assert error["details"]["upgrade_url"] == UPGRADE_URL
    assert SOLD == []  # the handler never ran

    customer_id = parse_public_id("customer", account.customer_id)
    container.accounts.change_plan(customer_id, "growth", None, {"by": "test"})
    assert gated.post("/api/v1/test-marketplace", headers=account.headers()).status_code == 200

    assert switch(gated, account, marketplace=False).status_code == 200
    off = gated.post("/api/v1/test-marketplace", headers=account.headers())
    assert off.status_code == 403 and off.json()["error"]["code"] == "capability_disabled"
    assert len(SOLD) == 1


def test_a_switched_off_feature_is_403_for_its_routes_only_and_for_this_customer_only(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
    other_account: Account,
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account, "user_1")
    tokens = f"/api/v1/buddies/{buddy_id}/tokens"
    assert client.get(tokens, headers=account.headers()).status_code == 200

    changed = switch(client, account, tokens=False)
    assert changed.json()["settings"]["capabilities"] == {"tokens": False}
    refused = client.get(tokens, headers=account.headers())
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "capability_disabled"
    grant = client.post(
        tokens, json={"token_key": "gems", "amount": 5, "reason": "t"}, headers=account.headers()
    )
    assert grant.status_code == 403, grant.text
    assert client.get("/api/v1/gates", headers=account.headers()).status_code == 403
    assert client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers()).status_code == 200
    assert client.get("/api/v1/gates", headers=other_account.headers()).status_code == 200

    assert switch(client, account, badges=False).json()["settings"]["capabilities"] == {
        "tokens": False,
        "badges": False,
    }  # a patch of the switches named
    switch(client, account, tokens=True)
    balances = client.get(tokens, headers=account.headers())
    assert balances.status_code == 200
    assert balances.json()["primary"]["balance"] == 0  # the refused grant granted nothing


def test_an_unknown_feature_is_422_and_changes_nothing(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
) -> None:
    refused = switch(client, account, teleport=False)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"][0]["field"] == "capabilities.teleport"
    me = client.get("/api/v1/customers/me", headers=account.headers()).json()
    assert me["settings"]["capabilities"] == {}
