"""The shop in the widget (decision 0040): browse with locked/affordable states, buy, equip,
track impressions; scopes, embed tokens and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import hatch_buddy, wait_for_operation
from tests.http.shop_flow import API, credit, open_shop
from tests.http.widget_flow import WidgetBuddy, bearer, error_of, mint_embed, mint_session

pytestmark = pytest.mark.plan("growth")  # the marketplace is a Growth feature

W = f"{API}/widget"


@pytest.fixture
def shopper(client: TestClient, account: Account) -> WidgetBuddy:  # type: ignore[type-arg]
    open_shop(client, account)
    user_id = "user_widget_shop"
    buddy = WidgetBuddy(account, hatch_buddy(client, account, user_id), user_id)
    credit(client, account, buddy.buddy_id, 60)
    return buddy


def session(client: TestClient, buddy: WidgetBuddy, scopes: list[str] | None = None) -> Any:  # type: ignore[type-arg]
    return bearer(mint_session(client, buddy, scopes)["token"])


def shelf(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:  # type: ignore[type-arg]
    response = client.get(f"{W}/marketplace", headers=headers)
    assert response.status_code == 200, response.text
    return {i["item_id"]: i for i in response.json()["items"]}


def test_browse_buy_and_equip_in_the_widget(client: TestClient, shopper: WidgetBuddy) -> None:
    headers = session(client, shopper)
    items = shelf(client, headers)
    assert items["quill"]["affordable"] and not items["quill"]["locked"]
    assert not items["graduation_cap"]["affordable"]  # 200 coins, the wallet holds 60
    elder = items["elder_hat"]
    assert elder["locked"] and elder["unmet"][0]["operator"] == "min_stage"
    assert (items["crown"]["stock_remaining"], items["crown"]["sold_out"]) == (5, False)
    assert not items["xp_boost"]["equippable"]

    bought = client.post(f"{W}/purchase", json={"item_id": "quill"}, headers=headers)
    assert bought.status_code == 200, bought.text
    assert (bought.json()["coins"], bought.json()["source"]) == (10, "purchase")
    after = shelf(client, headers)
    assert after["quill"]["owned"] and not after["scholar_scarf"]["affordable"]
    short = client.post(f"{W}/purchase", json={"item_id": "scholar_scarf"}, headers=headers)
    assert error_of(short) == (400, "insufficient_balance")

    accepted = client.post(f"{W}/equip", json={"item_ids": ["quill"]}, headers=headers)
    assert accepted.status_code == 202, accepted.text
    operation = wait_for_operation(client, shopper.account, accepted.json()["operation_id"])
    assert operation["status"] == "completed", operation
    assert shelf(client, headers)["quill"]["equipped"]


def test_scopes_and_embed_tokens(client: TestClient, shopper: WidgetBuddy) -> None:
    browse_only = session(client, shopper, ["marketplace:browse"])
    assert "quill" in shelf(client, browse_only)
    refused = client.post(f"{W}/purchase", json={"item_id": "quill"}, headers=browse_only)
    assert error_of(refused) == (403, "insufficient_scope")
    refused = client.post(f"{W}/equip", json={"item_ids": []}, headers=browse_only)
    assert error_of(refused) == (403, "insufficient_scope")
    embed = bearer(mint_embed(client, shopper)["token"])
    assert "quill" in shelf(client, embed)
    for path, body in ((f"{W}/purchase", {"item_id": "quill"}), (f"{W}/equip", {"item_ids": []})):
        assert error_of(client.post(path, json=body, headers=embed)) == (403, "forbidden")
    # A customer credential is no widget token: valid, of another kind (decision 0046).
    assert client.get(f"{W}/marketplace", headers=shopper.account.headers()).status_code == 403
    assert shelf(client, session(client, shopper))["quill"]["quantity"] == 0


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("purchase", {"item_id": "quill", "x": 1}, (422, "validation_failed")),
        ("purchase", {"item_id": ["quill"]}, (422, "validation_failed")),
        ("purchase", {"item_id": "nope"}, (404, "resource_not_found")),
        ("equip", {"item_ids": "quill"}, (422, "validation_failed")),
        ("equip", {"item_ids": ["quill"]}, (400, "item_not_owned")),
    ],
)
def test_bad_widget_input_changes_nothing(
    client: TestClient, shopper: WidgetBuddy, path: str, body: Any, expected: Any
) -> None:
    headers = session(client, shopper)
    assert error_of(client.post(f"{W}/{path}", json=body, headers=headers)) == expected
    assert shelf(client, headers)["quill"]["quantity"] == 0


def test_track_view_counts_once_per_day_and_feeds_the_funnel(
    client: TestClient, shopper: WidgetBuddy, container: Any
) -> None:
    headers = session(client, shopper)
    path = f"{W}/marketplace/items/quill/track-view"
    first = client.post(path, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"item_id": "quill", "counted": True}
    assert client.post(path, headers=headers).json()["counted"] is False
    unknown = client.post(f"{W}/marketplace/items/nope/track-view", headers=headers)
    assert error_of(unknown) == (404, "resource_not_found")
    client.post(f"{W}/purchase", json={"item_id": "quill"}, headers=headers)
    assert container.views.wait_for(["item_funnel"], container.store.head(), timeout=10)
    rows = container.views.select("SELECT item_id, impressions, purchases FROM view_item_funnel")
    assert rows == [{"item_id": "quill", "impressions": 1, "purchases": 1}]
