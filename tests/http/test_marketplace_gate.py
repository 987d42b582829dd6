"""The marketplace is a Growth feature (decisions 0039, 0056): every catalogue, purchase and
widget shop route answers a ``starter`` customer ``402 plan_feature_locked`` and changes
nothing, opens on ``growth``, and is ``403 capability_disabled`` when switched off. Equipping
what a buddy owns (the wardrobe) and token gates stay on every plan; the demo shows the shop."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from application.widgets.demo import DEMO_PLAN, DEMO_TENANT
from domain.accounts.customer import Customer
from domain.accounts.plans import includes
from infrastructure.shared.settings import UPGRADE_URL, Settings
from interfaces.container import Container
from interfaces.http.app import create_litestar
from tests.conftest import Account, move_to_plan
from tests.http.flow import wait_for_operation
from tests.http.peers import app_client
from tests.http.shop_flow import API, buddy, credit, error_of
from tests.http.test_demo_pool import visit
from tests.http.widget_flow import WidgetBuddy, bearer, mint_session, widget_buddy

SHOP = f"{API}/marketplaces/shop"
PRESET_ITEMS = [
    "library_background",
    "scholar_scarf",
    "reading_glasses",
    "graduation_cap",
    "quill",
    "flag_pin",
]
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'
)
COINS = 1_000


def routes(buddy_id: str) -> list[tuple[str, str, dict[str, Any], int]]:
    """Every marketplace route the API's keys reach: (method, path, request, success)."""
    gear = {"name": "Gear", "category": "hand", "price_coins": 5}
    return [
        ("GET", f"{API}/marketplaces", {}, 200),
        ("GET", SHOP, {}, 200),
        ("GET", f"{SHOP}/items", {}, 200),
        ("GET", f"{SHOP}/items/quill", {}, 200),
        ("GET", f"{API}/buddies/{buddy_id}/purchased-items", {}, 200),
        ("POST", f"{SHOP}/items/reorder", {"json": {"item_ids": PRESET_ITEMS[::-1]}}, 200),
        ("PUT", SHOP, {"json": {"name": "Shop"}}, 200),
        ("PUT", f"{SHOP}/items/quill", {"json": {**gear, "name": "Quill"}}, 200),
        (
            "POST",
            f"{SHOP}/items/quill/upload-image",
            {"content": SVG, "headers": {"Content-Type": "image/svg+xml"}},
            200,
        ),
        ("POST", f"{SHOP}/items/quill/regenerate-image", {"json": {}}, 202),
        ("POST", f"{SHOP}/items", {"json": {**gear, "item_id": "gear"}}, 201),
        ("POST", f"{SHOP}/items/import", {"json": {"items": [{**gear, "item_id": "kit"}]}}, 201),
        ("DELETE", f"{SHOP}/items/gear", {}, 200),
        ("POST", f"{API}/marketplaces", {"json": {"id": "second", "name": "Second"}}, 201),
        ("POST", f"{API}/buddies/{buddy_id}/purchase-item", {"json": {"item_id": "quill"}}, 200),
        ("POST", f"{API}/buddies/{buddy_id}/unlock-item", {"json": {"item_id": "flag_pin"}}, 200),
    ]


def widget_routes() -> list[tuple[str, str, dict[str, Any], int]]:
    """The widget shop: browse, buy, count an impression."""
    return [
        ("GET", f"{API}/widget/marketplace", {}, 200),
        ("POST", f"{API}/widget/purchase", {"json": {"item_id": "scholar_scarf"}}, 200),
        ("POST", f"{API}/widget/marketplace/items/quill/track-view", {}, 200),
    ]


def call(
    client: TestClient, method: str, path: str, request: dict[str, Any], auth: dict[str, str]
) -> Any:  # type: ignore[type-arg]
    headers = {**auth, **request.get("headers", {})}
    extra = {k: v for k, v in request.items() if k != "headers"}
    return client.request(method, path, headers=headers, **extra)


@pytest.fixture
def shopper(client: TestClient, account: Account) -> WidgetBuddy:  # type: ignore[type-arg]
    """A starter customer on the preset (whose published config has a shop) with a buddy
    that could pay for anything in it."""
    hatched = widget_buddy(client, account)
    credit(client, account, hatched.buddy_id, COINS)
    return hatched


def every_route(
    client: TestClient,  # type: ignore[type-arg]
    shopper: WidgetBuddy,
) -> list[tuple[str, str, dict[str, Any], int, dict[str, str]]]:
    key = shopper.account.headers()
    session = bearer(mint_session(client, shopper)["token"])
    return [
        *((m, p, r, s, key) for m, p, r, s in routes(shopper.buddy_id)),
        *((m, p, r, s, session) for m, p, r, s in widget_routes()),
    ]


def config_statuses(client: TestClient, account: Account) -> list[str]:  # type: ignore[type-arg]
    listed = client.get(f"{API}/config-versions", headers=account.headers())
    return [v["status"] for v in listed.json()["data"]]


def test_a_starter_customer_is_402_on_every_marketplace_route_and_nothing_changes(
    client: TestClient,  # type: ignore[type-arg]
    shopper: WidgetBuddy,
) -> None:
    account = shopper.account
    for method, path, request, _, auth in every_route(client, shopper):
        refused = call(client, method, path, request, auth)
        error = error_of(refused, 402, "plan_feature_locked")
        assert error["details"] == {
            "feature": "marketplace",
            "plan": "starter",
            "required_plan": "growth",
            "upgrade_url": UPGRADE_URL,
        }, (method, path)
    assert config_statuses(client, account) == ["published"]  # no draft was written
    assert buddy(client, account, shopper.buddy_id)["coins"] == COINS  # nothing bought

    move_to_plan(client, account, "growth")
    owned = client.get(
        f"{API}/buddies/{shopper.buddy_id}/purchased-items", headers=account.headers()
    )
    assert owned.json()["data"] == []  # not even a grant landed
    listed = client.get(f"{SHOP}/items", headers=account.headers()).json()["data"]
    assert [i["item_id"] for i in listed] == PRESET_ITEMS


def test_on_growth_every_marketplace_route_answers(
    client: TestClient,  # type: ignore[type-arg]
    shopper: WidgetBuddy,
) -> None:
    move_to_plan(client, shopper.account, "growth")
    for method, path, request, status, auth in every_route(client, shopper):
        answered = call(client, method, path, request, auth)
        assert answered.status_code == status, (method, path, answered.text)
    owned = client.get(
        f"{API}/buddies/{shopper.buddy_id}/purchased-items", headers=shopper.account.headers()
    ).json()["data"]
    assert sorted(i["item_id"] for i in owned) == ["flag_pin", "quill", "scholar_scarf"]


def test_switched_off_on_growth_every_marketplace_route_is_403(
    client: TestClient,  # type: ignore[type-arg]
    shopper: WidgetBuddy,
) -> None:
    account = shopper.account
    move_to_plan(client, account, "growth")
    off = client.patch(
        f"{API}/customers/me/settings",
        json={"capabilities": {"marketplace": False}},
        headers=account.headers(),
    )
    assert off.status_code == 200, off.text
    for method, path, request, _, auth in every_route(client, shopper):
        refused = call(client, method, path, request, auth)
        assert error_of(refused, 403, "capability_disabled")["details"] == {
            "feature": "marketplace"
        }, (method, path)
    assert config_statuses(client, account) == ["published"]
    assert buddy(client, account, shopper.buddy_id)["coins"] == COINS


def test_the_wardrobe_and_token_gates_stay_on_starter(
    client: TestClient,  # type: ignore[type-arg]
    shopper: WidgetBuddy,
) -> None:
    """Equipping what the buddy owns is the plan matrix's Free "wardrobe" (a downgraded
    customer's users can still take items off); gates spend tokens, a Free feature."""
    headers = shopper.account.headers()
    equip = client.patch(
        f"{API}/buddies/{shopper.buddy_id}/equipped-items", json={"item_ids": []}, headers=headers
    )
    assert equip.status_code == 202, equip.text
    assert (
        wait_for_operation(client, shopper.account, equip.json()["operation_id"])["status"]
        == "completed"
    )
    session = bearer(mint_session(client, shopper)["token"])
    widget_equip = client.post(f"{API}/widget/equip", json={"item_ids": []}, headers=session)
    assert widget_equip.status_code == 202, widget_equip.text
    assert client.get(f"{API}/gates", headers=headers).status_code == 200


@pytest.mark.parametrize("opened_before", [False, True])
def test_the_demo_tenant_is_on_a_plan_with_the_shop(
    settings: Settings, opened_before: bool
) -> None:
    """A new demo tenant is seeded on ``DEMO_PLAN``; one seeded on ``starter`` before the
    marketplace was gated is moved on the next visit."""
    assert includes(DEMO_PLAN, "marketplace")
    with app_client(settings, demo=True) as (client, container):
        if opened_before:
            container.store.save(
                Customer(
                    id=DEMO_TENANT.customer_id,
                    email="demo@lingualeap.invalid",
                    password_hash="!",
                    company_name="LinguaLeap (demo)",
                    timestamp=datetime.now(UTC),
                )
            )
        status, _, buddy_id = visit(client)
        assert status == 200 and buddy_id
        customer = container.store.find(Customer, DEMO_TENANT.customer_id)
        assert customer is not None and customer.plan == DEMO_PLAN
        page = client.get("/demo")
        token = page.text.split('data-session-token="', 1)[1].split('"', 1)[0]
        shelf = client.get(f"{API}/widget/marketplace", headers=bearer(token))
        assert shelf.status_code == 200, shelf.text
        assert [i["item_id"] for i in shelf.json()["items"]] == PRESET_ITEMS


GATED = {
    ("GET", "/api/v1/marketplaces"),
    ("POST", "/api/v1/marketplaces"),
    ("GET", "/api/v1/marketplaces/{marketplace_id:str}"),
    ("PUT", "/api/v1/marketplaces/{marketplace_id:str}"),
    ("GET", "/api/v1/marketplaces/{marketplace_id:str}/items"),
    ("POST", "/api/v1/marketplaces/{marketplace_id:str}/items"),
    ("POST", "/api/v1/marketplaces/{marketplace_id:str}/items/import"),
    ("POST", "/api/v1/marketplaces/{marketplace_id:str}/items/reorder"),
    ("GET", "/api/v1/marketplaces/{marketplace_id:str}/items/{item_id:str}"),
    ("PUT", "/api/v1/marketplaces/{marketplace_id:str}/items/{item_id:str}"),
    ("DELETE", "/api/v1/marketplaces/{marketplace_id:str}/items/{item_id:str}"),
    ("POST", "/api/v1/marketplaces/{marketplace_id:str}/items/{item_id:str}/upload-image"),
    ("POST", "/api/v1/marketplaces/{marketplace_id:str}/items/{item_id:str}/regenerate-image"),
    ("POST", "/api/v1/buddies/{buddy_id:str}/purchase-item"),
    ("POST", "/api/v1/buddies/{buddy_id:str}/unlock-item"),
    ("GET", "/api/v1/buddies/{buddy_id:str}/purchased-items"),
    ("GET", "/api/v1/widget/marketplace"),
    ("POST", "/api/v1/widget/purchase"),
    ("POST", "/api/v1/widget/marketplace/items/{item_id:str}/track-view"),
}
"""Every route the tests above call, as the app declares it."""


def test_the_routes_called_above_are_exactly_the_ones_that_declare_the_marketplace(
    container: Container,
) -> None:
    declared = {
        (method, route.path)
        for route in create_litestar(container).routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.opt.get("feature") == "marketplace"
        for method in handler.http_methods
    }
    assert declared == GATED
    assert len(routes("bdy_x")) + len(widget_routes()) == len(GATED)
