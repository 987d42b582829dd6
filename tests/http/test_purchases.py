"""Purchases over HTTP (decision 0040): buy, grant, list, equip what was bought, and the
refusals, isolation and races around them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient

from infrastructure.persistence.rebuild import Rebuilder
from infrastructure.shared.settings import Settings
from projections.registry import all_projections
from tests.conftest import Account, register_account
from tests.http.flow import hatch_buddy, wait_for_operation
from tests.http.shop_flow import API, PRIMARY, buddy, buy, credit, error_of, open_shop
from tests.http.test_webhook_deliveries import subscribe, verified
from tests.receiver import Receiver

pytestmark = pytest.mark.plan("growth")  # the marketplace is a Growth feature


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, webhook_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def shop(client: TestClient, account: Account) -> str:  # type: ignore[type-arg]
    """A published shop and a buddy with 100 coins; the buddy's id."""
    open_shop(client, account)
    buddy_id = hatch_buddy(client, account)
    credit(client, account, buddy_id, 100)
    return buddy_id


def purchased(client: TestClient, account: Account, buddy_id: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    response = client.get(f"{API}/buddies/{buddy_id}/purchased-items", headers=account.headers())
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_a_purchase_debits_owns_and_is_listed(
    client: TestClient, account: Account, shop: str
) -> None:
    bought = buy(client, account, shop, "quill")
    assert bought.status_code == 200, bought.text
    body = bought.json()
    assert (body["item_id"], body["source"], body["category"]) == ("quill", "purchase", "hand")
    assert body["price"] == {"coins": 50, "tokens": 0, "token_key": None}
    assert (body["coins"], body["quantity"], body["stock_remaining"]) == (50, 1, None)
    assert body["purchase_id"].startswith("pur_") and len(body["ledger_entry_ids"]) == 1
    assert "quill" in buddy(client, account, shop)["owned_items"]
    [row] = purchased(client, account, shop)
    assert {k: row[k] for k in ("purchase_id", "item_id", "source", "price")} == {
        k: body[k] for k in ("purchase_id", "item_id", "source", "price")
    }

    again = error_of(buy(client, account, shop, "quill"), 409, "item_already_owned")
    assert again["details"] == {"item_id": "quill"}
    assert buddy(client, account, shop)["coins"] == 50
    assert len(purchased(client, account, shop)) == 1


def test_a_mixed_price_needs_both_currencies_and_debits_both(
    client: TestClient, account: Account, shop: str
) -> None:
    short = error_of(buy(client, account, shop, "star_cape"), 400, "insufficient_balance")
    assert short["details"]["shortfalls"] == [{"currency": PRIMARY, "balance": 0, "required": 3}]
    credit(client, account, shop, 3, PRIMARY)
    bought = buy(client, account, shop, "star_cape").json()
    assert bought["price"] == {"coins": 5, "tokens": 3, "token_key": PRIMARY}
    assert (bought["coins"], bought["tokens"][PRIMARY]) == (95, 0)
    entries = client.get(
        f"{API}/economy/buddies/{shop}/ledger?limit=100", headers=account.headers()
    ).json()["data"]
    debits = [(e["currency"], e["amount"]) for e in entries if e["direction"] == "debit"]
    assert debits == [("coins", 5), (PRIMARY, 3)]


def test_too_little_of_everything_names_every_shortfall(
    client: TestClient, account: Account
) -> None:
    open_shop(client, account)
    buddy_id = hatch_buddy(client, account)
    error = error_of(buy(client, account, buddy_id, "star_cape"), 400, "insufficient_balance")
    assert error["details"]["shortfalls"] == [
        {"currency": "coins", "balance": 0, "required": 5},
        {"currency": PRIMARY, "balance": 0, "required": 3},
    ]
    assert (error["details"]["currency"], error["details"]["required"]) == ("coins", 5)
    assert purchased(client, account, buddy_id) == []


def test_a_booster_is_bought_again_and_is_never_worn(
    client: TestClient, account: Account, shop: str
) -> None:
    assert buy(client, account, shop, "xp_boost").json()["quantity"] == 1
    assert buy(client, account, shop, "xp_boost").json()["quantity"] == 2
    assert [r["item_id"] for r in purchased(client, account, shop)] == ["xp_boost", "xp_boost"]
    assert buddy(client, account, shop)["owned_items"] == ["xp_boost"]
    equip = client.patch(
        f"{API}/buddies/{shop}/equipped-items",
        json={"item_ids": ["xp_boost"]},
        headers=account.headers(),
    )
    assert error_of(equip, 400, "item_not_equippable")["details"] == {"item_ids": ["xp_boost"]}


def test_requirements_are_checked_and_an_unlock_grants_past_them(
    client: TestClient, account: Account, shop: str
) -> None:
    refused = error_of(buy(client, account, shop, "elder_hat"), 403, "requirements_not_met")
    assert refused["details"]["unmet"] == [
        {
            "operator": "min_stage",
            "required": 3,
            "actual": 1,
            "reason": "needs stage 3; the buddy is at 1",
        }
    ]
    path = f"{API}/buddies/{shop}/unlock-item"
    granted = client.post(path, json={"item_id": "elder_hat"}, headers=account.headers())
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert (body["source"], body["price"]["coins"], body["coins"]) == ("unlock", 0, 100)
    assert body["ledger_entry_ids"] == []
    again = client.post(path, json={"item_id": "elder_hat"}, headers=account.headers())
    error_of(again, 409, "item_already_owned")
    unknown = client.post(path, json={"item_id": "nope"}, headers=account.headers())
    error_of(unknown, 404, "resource_not_found")
    assert [(r["item_id"], r["source"]) for r in purchased(client, account, shop)] == [
        ("elder_hat", "unlock")
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"item_id": "quill", "extra": 1}, 422, "validation_failed"),
        ({"item_id": 7}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
        ({"item_id": ""}, 422, "validation_failed"),
        ({"item_id": "no_such_item"}, 404, "resource_not_found"),
    ],
)
def test_bad_purchases_change_nothing(
    client: TestClient, account: Account, shop: str, body: Any, status: int, code: str
) -> None:
    for route in ("purchase-item", "unlock-item"):
        response = client.post(
            f"{API}/buddies/{shop}/{route}", json=body, headers=account.headers()
        )
        error_of(response, status, code)
    assert buddy(client, account, shop)["coins"] == 100
    assert purchased(client, account, shop) == []


def test_an_item_of_a_closed_marketplace_is_not_for_sale(
    client: TestClient, account: Account, shop: str
) -> None:
    closed = client.put(
        f"{API}/marketplaces/shop",
        json={"name": "Shop", "active": False},
        headers=account.headers(),
    )
    assert closed.status_code == 200, closed.text
    published = client.post(
        f"{API}/config-versions/{closed.json()['config_version_id']}/publish",
        headers=account.headers(),
    )
    assert published.status_code == 200, published.text
    error_of(buy(client, account, shop, "quill"), 404, "resource_not_found")
    assert buddy(client, account, shop)["coins"] == 100


def test_another_tenants_buddy_and_items_are_not_found(
    client: TestClient, account: Account, shop: str
) -> None:
    other = register_account(client, plan="growth")
    open_shop(client, other)
    theirs = hatch_buddy(client, other)
    error_of(buy(client, other, shop, "quill"), 404, "resource_not_found")
    error_of(buy(client, account, theirs, "quill"), 404, "resource_not_found")
    for path in (f"{API}/buddies/{shop}/purchased-items", f"{API}/buddies/{shop}/unlock-item"):
        method = client.get if path.endswith("items") else client.post
        kwargs: dict[str, Any] = {} if method == client.get else {"json": {"item_id": "quill"}}
        error_of(method(path, headers=other.headers(), **kwargs), 404, "resource_not_found")
    # An item only the other tenant sells is not found here.
    extra = client.post(
        f"{API}/marketplaces/shop/items",
        json={"item_id": "their_only", "name": "Theirs", "category": "hand", "price_coins": 1},
        headers=other.headers(),
    ).json()
    client.post(
        f"{API}/config-versions/{extra['config_version_id']}/publish", headers=other.headers()
    )
    error_of(buy(client, account, shop, "their_only"), 404, "resource_not_found")
    assert buddy(client, account, shop)["coins"] == 100


def test_a_publishable_key_cannot_buy_or_grant(
    client: TestClient, account: Account, shop: str
) -> None:
    issued = client.post(
        f"{API}/auth/publishable-keys",
        json={"mode": "live"},
        headers={"Authorization": f"Bearer {account.token}"},
    )
    key = {"Authorization": f"Bearer {issued.json()['key']}"}
    for route in ("purchase-item", "unlock-item", "items"):
        response = client.post(
            f"{API}/buddies/{shop}/{route}", json={"item_id": "quill"}, headers=key
        )
        error_of(response, 403, "publishable_key_scope")
    listed = client.get(f"{API}/buddies/{shop}/purchased-items", headers=key)
    assert listed.status_code == 200, listed.text
    assert buddy(client, account, shop)["coins"] == 100


def test_an_idempotency_key_replays_the_purchase(
    client: TestClient, account: Account, shop: str
) -> None:
    first = buy(client, account, shop, "xp_boost", **{"Idempotency-Key": "buy-1"})
    again = buy(client, account, shop, "xp_boost", **{"Idempotency-Key": "buy-1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert again.json() == first.json()
    assert buddy(client, account, shop)["coins"] == 90


def test_the_older_items_route_is_the_same_purchase(
    client: TestClient, account: Account, shop: str
) -> None:
    response = client.post(
        f"{API}/buddies/{shop}/items", json={"item_id": "quill"}, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    assert (response.json()["coins"], response.json()["owned_items"]) == (50, ["quill"])
    assert [r["source"] for r in purchased(client, account, shop)] == ["purchase"]
    error_of(buy(client, account, shop, "elder_hat"), 403, "requirements_not_met")


def test_fifty_parallel_purchases_from_a_wallet_for_ten(
    client: TestClient, account: Account
) -> None:
    open_shop(client, account)
    buddy_id = hatch_buddy(client, account)
    credit(client, account, buddy_id, 105)  # ten boosters at 10, and 5 left
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: buy(client, account, buddy_id, "xp_boost"), range(50)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] * 10 + [400] * 40
    assert {r.json()["error"]["code"] for r in results if r.status_code == 400} == {
        "insufficient_balance"
    }
    assert buddy(client, account, buddy_id)["coins"] == 5
    assert len(purchased(client, account, buddy_id)) == 10


def test_a_hundred_parallel_purchases_of_five_in_stock(
    client: TestClient, account: Account
) -> None:
    open_shop(client, account)
    buyers = [hatch_buddy(client, account) for _ in range(10)]
    for buyer in buyers:
        credit(client, account, buyer, 20)
    attempts = [b for b in buyers for _ in range(10)]  # the limited booster, 10 tries each
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda b: buy(client, account, b, "lucky_charm"), attempts))
    assert sorted(r.status_code for r in results) == [200] * 5 + [409] * 95
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"out_of_stock"}
    coins = sum(buddy(client, account, b)["coins"] for b in buyers)
    assert coins == 10 * 20 - 5
    assert sum(len(purchased(client, account, b)) for b in buyers) == 5
    remaining = [r.json()["stock_remaining"] for r in results if r.status_code == 200]
    assert sorted(remaining) == [0, 1, 2, 3, 4]


# -- equip against the catalogue ---------------------------------------------------------


def equip(client: TestClient, account: Account, buddy_id: str, items: list[str]) -> Any:  # type: ignore[type-arg]
    return client.patch(
        f"{API}/buddies/{buddy_id}/equipped-items",
        json={"item_ids": items},
        headers=account.headers(),
    )


def test_equip_checks_the_outfit_and_draws_a_newly_published_item(
    client: TestClient, account: Account, shop: str
) -> None:
    credit(client, account, shop, 1000)
    for item in ("crown", "graduation_cap", "quill", "flag_pin", "scholar_scarf", "star_cape"):
        if item == "star_cape":
            credit(client, account, shop, 3, PRIMARY)
        assert buy(client, account, shop, item).status_code == 200
    conflict = error_of(
        equip(client, account, shop, ["crown", "graduation_cap"]), 400, "category_conflict"
    )
    assert conflict["details"]["category"] == "head"
    assert conflict["details"]["conflicting_item_ids"] == ["crown", "graduation_cap"]
    many = error_of(
        equip(client, account, shop, ["crown", "quill", "flag_pin", "scholar_scarf", "star_cape"]),
        400,
        "too_many_items",
    )
    assert many["details"] == {"max": 4, "attempted": 5}
    error_of(equip(client, account, shop, ["reading_glasses"]), 400, "item_not_owned")

    before = buddy(client, account, shop)["image_url"]
    # The crown was published after the buddy's version: equip and drawing still know it.
    accepted = equip(client, account, shop, ["crown", "quill"])
    assert accepted.status_code == 202, accepted.text
    operation = wait_for_operation(client, account, accepted.json()["operation_id"])
    assert operation["status"] == "completed", operation
    after = buddy(client, account, shop)
    assert after["equipped_items"] == ["quill", "crown"]  # (layer_order, item_id)
    assert after["image_url"] != before
    assert after["appearance"]["rendered_equipped_item_ids"] == ["quill", "crown"]


# -- webhooks and views ------------------------------------------------------------------


def test_purchases_and_equips_reach_webhooks_signed_and_the_views_rebuild_alike(
    client: TestClient, account: Account, container: Any, receiver: Receiver
) -> None:
    open_shop(client, account)
    hook = subscribe(client, account, receiver.url)
    buddy_id = hatch_buddy(client, account)
    credit(client, account, buddy_id, 100)
    credit(client, account, buddy_id, 3, PRIMARY)
    bought = buy(client, account, buddy_id, "star_cape", **{"X-Request-Id": "req-shop-1"})
    assert bought.status_code == 200, bought.text
    accepted = equip(client, account, buddy_id, ["star_cape"])
    wait_for_operation(client, account, accepted.json()["operation_id"])

    wanted = {"marketplace.purchased", "marketplace.equipped", "coins.spent", "token.spent"}
    received = receiver.wait_for(lambda rs: wanted <= {r.event for r in rs})
    payloads = {r.event: verified(r, hook["secret"]) for r in received if r.event in wanted}
    purchase = payloads["marketplace.purchased"]
    assert purchase["buddy_id"] == buddy_id and purchase["item_id"] == "star_cape"
    assert (purchase["source"], purchase["request_id"]) == ("purchase", "req-shop-1")
    assert purchase["price"] == {"coins": 5, "tokens": 3, "token_key": PRIMARY}
    assert purchase["purchase_id"] == bought.json()["purchase_id"]
    assert sorted(purchase["ledger_entry_ids"]) == sorted(bought.json()["ledger_entry_ids"])
    equipped = payloads["marketplace.equipped"]
    assert (equipped["item_ids"], equipped["previous_item_ids"]) == (["star_cape"], [])
    assert payloads["coins.spent"]["reason"] == "item:star_cape"
    assert payloads["token.spent"]["token_type"] == PRIMARY

    rebuilder = Rebuilder(container.store, container.views, all_projections(), chunk=50)
    names = ["purchased_items", "item_funnel"]
    assert container.views.wait_for(names, container.store.head(), timeout=10)
    before = [container.views.select(f"SELECT * FROM view_{n} ORDER BY 1, 2") for n in names]
    assert before[1][0]["purchases"] == 1
    rebuilder.rebuild(names)
    assert [r.differences for r in rebuilder.verify(names)] == [[], []]
    after = [container.views.select(f"SELECT * FROM view_{n} ORDER BY 1, 2") for n in names]
    assert after == before
