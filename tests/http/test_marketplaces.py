"""``/marketplaces`` over HTTP: the catalogue in the draft, its refusals, art, isolation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from infrastructure.companions.image_checks import check_svg
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, wait_for_operation
from tests.unit.test_image_checks import png

pytestmark = pytest.mark.plan("growth")  # the marketplace is a Growth feature

API = "/api/v1"
SHOP = f"{API}/marketplaces/shop"
PRESET_ITEMS = [
    "library_background",
    "scholar_scarf",
    "reading_glasses",
    "graduation_cap",
    "quill",
    "flag_pin",
]
HAT = {
    "name": "Golden Hat",
    "category": "head",
    "description": "Shiny.",
    "rarity": "epic",
    "price_coins": 120,
    "price_tokens": 5,
    "stock": 10,
    "requirements": [
        {"operator": "min_stage", "value": 2},
        {"operator": "has_badge", "value": "first_steps"},
        {"operator": "audience_in", "value": ["premium", "staff"]},
        {"operator": "owns_item", "value": "quill"},
        {"operator": "min_progression_tokens", "value": 100},
    ],
    "stage_image_urls": {"3": "https://cdn.example.com/hat-3.png"},
    "image_url": "https://cdn.example.com/hat.png",
}
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'
)


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


def fields_of(response: Any) -> list[str]:
    return [f["field"] for f in error_of(response, 422, "validation_failed")["details"]["fields"]]


def item_ids(client: TestClient, account: Account, marketplace: str = SHOP) -> list[str]:
    response = client.get(f"{marketplace}/items", headers=account.headers())
    assert response.status_code == 200, response.text
    return [i["item_id"] for i in response.json()["data"]]


def statuses(client: TestClient, account: Account) -> list[str]:
    listed = client.get(f"{API}/config-versions", headers=account.headers()).json()["data"]
    return [v["status"] for v in listed]


def publish_draft(client: TestClient, account: Account, draft_id: str) -> None:
    published = client.post(f"{API}/config-versions/{draft_id}/publish", headers=account.headers())
    assert published.status_code == 200, published.text


def publishable_key(client: TestClient, account: Account) -> str:
    issued = client.post(
        f"{API}/auth/publishable-keys", json={"mode": "live"}, headers=bearer(account.token)
    )
    assert issued.status_code == 201, issued.text
    return str(issued.json()["key"])


@pytest.fixture
def shop(client: TestClient, account: Account) -> Account:
    """A tenant on the language-learning preset: a published ``shop`` with six items."""
    apply_preset(client, account)
    return account


# Reads -----------------------------------------------------------------------------------


def test_a_preset_tenant_has_a_published_shop(client: TestClient, shop: Account) -> None:
    listed = client.get(f"{API}/marketplaces", headers=shop.headers()).json()
    assert [m["id"] for m in listed["data"]] == ["shop"]
    assert listed["source"] == "published"
    items = client.get(f"{SHOP}/items", headers=shop.headers()).json()
    assert [i["item_id"] for i in items["data"]] == PRESET_ITEMS
    cap = items["data"][3]
    assert (cap["category"], cap["layer_order"], cap["price_coins"]) == ("head", 70, 200)
    assert (cap["rarity"], cap["stock"], cap["requirements"]) == ("common", None, [])


def test_no_catalogue_before_any_config(client: TestClient, account: Account) -> None:
    listed = client.get(f"{API}/marketplaces", headers=account.headers()).json()
    assert listed == {"data": [], "config_version_id": None, "source": None}
    error_of(client.get(SHOP, headers=account.headers()), 404, "resource_not_found")


# Marketplaces ----------------------------------------------------------------------------


def test_marketplaces_are_created_and_replaced_in_the_draft(
    client: TestClient, shop: Account
) -> None:
    created = client.post(
        f"{API}/marketplaces", json={"name": "Winter Sale!"}, headers=shop.headers()
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["id"], body["active"], body["source"]) == ("winter_sale", True, "draft")
    assert statuses(client, shop) == ["draft", "published"]
    path = f"{API}/marketplaces/winter_sale"
    replaced = client.put(
        path, json={"name": "Winter", "active": False, "description": "x"}, headers=shop.headers()
    )
    assert replaced.status_code == 200, replaced.text
    assert client.get(path, headers=shop.headers()).json()["active"] is False
    error_of(
        client.post(
            f"{API}/marketplaces", json={"id": "shop", "name": "S"}, headers=shop.headers()
        ),
        409,
        "conflict",
    )
    assert fields_of(client.put(path, json={"id": "other", "name": "W"}, headers=shop.headers()))
    error_of(
        client.put(f"{API}/marketplaces/nope", json={"name": "W"}, headers=shop.headers()),
        404,
        "resource_not_found",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "S", "colour": "red"}, "colour"),
        ({"name": 3}, "name"),
        ({"name": "S", "active": "yes"}, "active"),
        ({"name": "S", "id": "Not An Id"}, "id"),
        ({}, "name"),
    ],
)
def test_bad_marketplace_bodies_change_nothing(
    client: TestClient, shop: Account, body: dict[str, Any], field: str
) -> None:
    assert field in fields_of(client.post(f"{API}/marketplaces", json=body, headers=shop.headers()))
    assert statuses(client, shop) == ["published"]


# Items -----------------------------------------------------------------------------------


def test_an_item_lives_in_the_draft_until_publish(client: TestClient, shop: Account) -> None:
    created = client.post(f"{SHOP}/items", json=HAT, headers=shop.headers())
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["item_id"] == "golden_hat"
    assert (item["marketplace_id"], item["layer_order"], item["sort_order"]) == ("shop", 70, 6)
    assert item["requirements"] == HAT["requirements"]
    assert (item["source"], item["stage_image_urls"]) == ("draft", HAT["stage_image_urls"])
    path = f"{SHOP}/items/golden_hat"
    assert client.get(path, headers=shop.headers()).json() == item

    # A PUT replaces the item; its art and its place in the shop stay when left out.
    replaced = client.put(
        path, json={"name": "Hat", "category": "head", "price_tokens": 9}, headers=shop.headers()
    )
    assert replaced.status_code == 200, replaced.text
    after = replaced.json()
    assert (after["price_coins"], after["price_tokens"], after["stock"]) == (None, 9, None)
    assert (after["image_url"], after["sort_order"]) == (HAT["image_url"], 6)
    assert after["requirements"] == []

    # Buyers see the published catalogue until the draft is published.
    live = bearer(publishable_key(client, shop))
    assert "golden_hat" not in [
        i["item_id"] for i in client.get(f"{SHOP}/items", headers=live).json()["data"]
    ]
    error_of(client.get(path, headers=live), 404, "resource_not_found")
    publish_draft(client, shop, after["config_version_id"])
    assert client.get(path, headers=live).json()["price_tokens"] == 9

    deleted = client.delete(path, headers=shop.headers())
    assert (deleted.status_code, deleted.json()["item_id"]) == (200, "golden_hat")
    error_of(client.get(path, headers=shop.headers()), 404, "resource_not_found")
    assert client.get(path, headers=live).status_code == 200  # still published


def test_item_ids_are_unique_across_marketplaces(client: TestClient, shop: Account) -> None:
    client.post(
        f"{API}/marketplaces", json={"id": "extra", "name": "Extra"}, headers=shop.headers()
    )
    clash = {"item_id": "quill", "name": "Quill", "category": "hand", "price_coins": 5}
    error_of(
        client.post(f"{API}/marketplaces/extra/items", json=clash, headers=shop.headers()),
        409,
        "conflict",
    )
    # An item of another marketplace is not found under this one.
    error_of(
        client.get(f"{API}/marketplaces/extra/items/quill", headers=shop.headers()),
        404,
        "resource_not_found",
    )


def test_an_item_still_named_elsewhere_cannot_be_deleted(client: TestClient, shop: Account) -> None:
    """The preset's ``scholar`` badge is for owning the glasses and the scarf."""
    response = client.delete(f"{SHOP}/items/reading_glasses", headers=shop.headers())
    assert fields_of(response) == ["badges[6].condition.item_ids"]
    assert statuses(client, shop) == ["published"]


BAD_ITEMS = [
    ({**HAT, "colour": "red"}, "colour"),
    ({**HAT, "price_coins": "10"}, "price_coins"),
    ({**HAT, "price_coins": 0}, "price_coins"),
    ({**HAT, "price_tokens": -5}, "price_tokens"),
    ({**HAT, "price_coins": None, "price_tokens": None}, "price_coins"),
    ({**HAT, "category": "costume"}, "category"),
    ({**HAT, "rarity": "mythic"}, "rarity"),
    ({**HAT, "stock": 0}, "stock"),
    ({**HAT, "requirements": [{"operator": "min_level", "value": 2}]}, "requirements[0].operator"),
    ({**HAT, "requirements": [{"operator": "min_stage", "value": 9}]}, "requirements[0].value"),
    ({**HAT, "requirements": [{"operator": "min_stage", "value": "2"}]}, "requirements[0].value"),
    (
        {**HAT, "requirements": [{"operator": "has_badge", "value": "nope"}]},
        "requirements[0].value",
    ),
    (
        {**HAT, "requirements": [{"operator": "owns_item", "value": "nope"}]},
        "requirements[0].value",
    ),
    ({**HAT, "requirements": [{"operator": "audience_in", "value": []}]}, "requirements[0].value"),
    ({**HAT, "image_url": "javascript:alert(1)"}, "image_url"),
    ({**HAT, "stage_image_urls": {"7": "https://cdn.example.com/x.png"}}, "stage_image_urls.7"),
    ({**HAT, "name": "  "}, "name"),
    ({**HAT, "item_id": "Bad Id"}, "item_id"),
]


@pytest.mark.parametrize(("body", "field"), BAD_ITEMS)
def test_bad_item_bodies_change_nothing(
    client: TestClient, shop: Account, body: dict[str, Any], field: str
) -> None:
    assert field in fields_of(client.post(f"{SHOP}/items", json=body, headers=shop.headers()))
    assert fields_of(client.put(f"{SHOP}/items/quill", json=body, headers=shop.headers()))
    assert statuses(client, shop) == ["published"]


def test_unknown_marketplaces_and_items_are_not_found(client: TestClient, shop: Account) -> None:
    headers = shop.headers()
    for response in (
        client.get(f"{API}/marketplaces/nope/items", headers=headers),
        client.post(f"{API}/marketplaces/nope/items", json=HAT, headers=headers),
        client.post(
            f"{API}/marketplaces/nope/items/import", json={"items": [HAT]}, headers=headers
        ),
        client.post(
            f"{API}/marketplaces/nope/items/reorder", json={"item_ids": []}, headers=headers
        ),
        client.get(f"{SHOP}/items/nope", headers=headers),
        client.put(f"{SHOP}/items/nope", json=HAT, headers=headers),
        client.delete(f"{SHOP}/items/nope", headers=headers),
        client.post(f"{SHOP}/items/nope/regenerate-image", headers=headers),
        client.post(
            f"{SHOP}/items/nope/upload-image",
            content=SVG,
            headers={**headers, "Content-Type": "image/svg+xml"},
        ),
    ):
        error_of(response, 404, "resource_not_found")
    assert statuses(client, shop) == ["published"]


# Import ----------------------------------------------------------------------------------


def test_an_import_adds_every_row_or_none_and_names_every_bad_row(
    client: TestClient, shop: Account
) -> None:
    good = {"name": "Wand", "category": "hand", "price_coins": 5}
    rows = [
        good,
        {"name": "Crown", "category": "head", "price_coins": 0},
        {"name": "Boots", "category": "feet", "price_tokens": 3},
        {"name": "Cape", "category": "body", "price_coins": 5, "colour": "red"},
        {"item_id": "quill", "name": "Quill", "category": "hand", "price_coins": 5},
        {"item_id": "wand", "name": "Wand again", "category": "hand", "price_coins": 5},
        {"name": "Cloud", "category": "weather"},
    ]
    refused = client.post(f"{SHOP}/items/import", json={"items": rows}, headers=shop.headers())
    fields = fields_of(refused)
    assert set(fields) >= {
        "items[1].price_coins",
        "items[3].colour",
        "items[4]",  # quill is already in the catalogue
        "items[5]",  # wand is row 0's id
        "items[6].category",
        "items[6].price_coins",
    }
    assert not any(f.startswith(("items[0]", "items[2]")) for f in fields)
    not_an_object = {"items": [good, "a hat"]}
    assert "items[1]" in fields_of(
        client.post(f"{SHOP}/items/import", json=not_an_object, headers=shop.headers())
    )
    assert statuses(client, shop) == ["published"]

    imported = client.post(
        f"{SHOP}/items/import",
        json={"items": [good, rows[2]]},
        headers=shop.headers(),
    )
    assert imported.status_code == 201, imported.text
    assert [i["item_id"] for i in imported.json()["data"]] == ["wand", "boots"]
    assert item_ids(client, shop) == [*PRESET_ITEMS, "wand", "boots"]


@pytest.mark.parametrize("rows", [[], [{"name": "x"}] * 501])
def test_an_import_takes_one_to_five_hundred_rows(
    client: TestClient, shop: Account, rows: list[Any]
) -> None:
    response = client.post(f"{SHOP}/items/import", json={"items": rows}, headers=shop.headers())
    assert fields_of(response) == ["items"]


# Reorder ---------------------------------------------------------------------------------


def test_reorder_takes_exactly_a_permutation(client: TestClient, shop: Account) -> None:
    path = f"{SHOP}/items/reorder"
    reversed_ids = list(reversed(PRESET_ITEMS))
    for item_ids_sent, detail in (
        (reversed_ids[:-1], {"missing": ["library_background"]}),
        ([*reversed_ids, "nope"], {"unknown": ["nope"]}),
        ([*reversed_ids, "quill"], {"repeated": ["quill"]}),
    ):
        refused = client.post(path, json={"item_ids": item_ids_sent}, headers=shop.headers())
        details = error_of(refused, 422, "validation_failed")["details"]
        assert {k: details[k] for k in detail} == detail
    assert fields_of(client.post(path, json={"item_ids": "quill"}, headers=shop.headers()))
    assert statuses(client, shop) == ["published"]
    done = client.post(path, json={"item_ids": reversed_ids}, headers=shop.headers())
    assert done.status_code == 200, done.text
    assert [i["item_id"] for i in done.json()["data"]] == reversed_ids
    assert item_ids(client, shop) == reversed_ids
    created = client.post(
        f"{SHOP}/items",
        json={"name": "Last", "category": "hand", "price_coins": 1},
        headers=shop.headers(),
    )
    assert item_ids(client, shop)[-1] == created.json()["item_id"] == "last"


# Art -------------------------------------------------------------------------------------


def upload(
    client: TestClient, account: Account, data: bytes, content_type: str, query: str = ""
) -> Any:
    return client.post(
        f"{SHOP}/items/quill/upload-image{query}",
        content=data,
        headers={**account.headers(), "Content-Type": content_type},
    )


def test_an_uploaded_image_becomes_the_items_art(client: TestClient, shop: Account) -> None:
    response = upload(client, shop, SVG, "image/svg+xml")
    assert response.status_code == 200, response.text
    item = response.json()
    assert item["source"] == "draft"
    served = client.get(urlsplit(item["image_url"]).path)
    assert (served.status_code, served.content) == (200, SVG)
    staged = upload(client, shop, png(8, 8), "image/png", "?stage=3").json()
    assert staged["image_url"] == item["image_url"]
    assert urlsplit(staged["stage_image_urls"]["3"]).path.endswith(".png")
    # Sent back as it was read, the art stays our asset (a reference, not a foreign URL).
    echoed = {
        k: staged[k] for k in ("name", "category", "price_coins", "image_url", "stage_image_urls")
    }
    put = client.put(f"{SHOP}/items/quill", json=echoed, headers=shop.headers())
    assert put.json()["stage_image_urls"] == staged["stage_image_urls"]
    document = client.get(
        f"{API}/config-versions/{put.json()['config_version_id']}", headers=shop.headers()
    ).json()["document"]
    stored = next(i for i in document["items"] if i["item_id"] == "quill")
    assert stored["image_url"].startswith("asset:")


@pytest.mark.parametrize(
    ("data", "content_type", "query", "status", "code"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
         "image/svg+xml", "", 422, "unsafe_svg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://x.example/a.png"/></svg>',
         "image/svg+xml", "", 422, "unsafe_svg"),
        (b"not a png", "image/png", "", 422, "invalid_image"),
        (b"", "image/svg+xml", "", 422, "invalid_image"),
        (SVG, "text/plain", "", 415, "unsupported_media_type"),
        (b"x" * 600_000, "image/svg+xml", "", 413, "payload_too_large"),
        (SVG, "image/svg+xml", "?stage=6", 422, "validation_failed"),
        (SVG, "image/svg+xml", "?stage=two", 422, "validation_failed"),
    ],
)  # fmt: skip
def test_unsafe_or_oversized_uploads_are_refused_and_change_nothing(
    client: TestClient,
    shop: Account,
    data: bytes,
    content_type: str,
    query: str,
    status: int,
    code: str,
) -> None:
    error_of(upload(client, shop, data, content_type, query), status, code)
    assert statuses(client, shop) == ["published"]


def test_regenerate_image_draws_our_icon_in_an_operation(client: TestClient, shop: Account) -> None:
    path = f"{SHOP}/items/graduation_cap/regenerate-image"
    accepted = client.post(path, json={"seed": 7}, headers=shop.headers())
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "pending"
    operation = wait_for_operation(client, shop, accepted.json()["operation_id"])
    assert (operation["status"], operation["type"]) == ("completed", "regenerate_item_image")
    assert (operation["buddy_id"], operation["result"]["seed"]) == (None, 7)
    item = client.get(f"{SHOP}/items/graduation_cap", headers=shop.headers()).json()
    assert item["source"] == "draft"
    icon = client.get(urlsplit(item["image_url"]).path)
    assert icon.status_code == 200
    check_svg(icon.content)
    assert b'data-item="graduation_cap"' in icon.content
    # The same seed draws the same bytes; another seed another picture.
    again = client.post(path, json={"seed": 7}, headers=shop.headers()).json()["operation_id"]
    assert (
        wait_for_operation(client, shop, again)["result"]["image"] == operation["result"]["image"]
    )
    other = client.post(path, headers=shop.headers()).json()["operation_id"]
    assert (
        wait_for_operation(client, shop, other)["result"]["image"] != operation["result"]["image"]
    )
    error_of(client.post(path, json={"seed": -1}, headers=shop.headers()), 422, "validation_failed")
    error_of(client.post(path, json={"sed": 1}, headers=shop.headers()), 422, "validation_failed")


# Credentials and tenants -----------------------------------------------------------------

WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", f"{API}/marketplaces", {"name": "S"}),
    ("PUT", SHOP, {"name": "S"}),
    ("POST", f"{SHOP}/items", HAT),
    ("PUT", f"{SHOP}/items/quill", HAT),
    ("DELETE", f"{SHOP}/items/quill", None),
    ("POST", f"{SHOP}/items/import", {"items": [HAT]}),
    ("POST", f"{SHOP}/items/reorder", {"item_ids": PRESET_ITEMS}),
    ("POST", f"{SHOP}/items/quill/regenerate-image", {}),
]


def send(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.request(method, path, json=body, headers=headers)


def test_publishable_keys_and_widget_tokens_cannot_write(client: TestClient, shop: Account) -> None:
    live = bearer(publishable_key(client, shop))
    buddy_id = hatch_buddy(client, shop)
    embed = client.post(f"{API}/embed-tokens", json={"buddy_id": buddy_id}, headers=live)
    session = client.post(
        f"{API}/widget-sessions",
        json={"buddy_id": buddy_id, "scopes": ["read", "marketplace:purchase"]},
        headers=shop.headers(),
    )
    widget_tokens = [bearer(embed.json()["token"]), bearer(session.json()["token"])]
    upload_headers = {"Content-Type": "image/svg+xml"}
    for method, path, body in WRITES:
        error_of(send(client, method, path, body, live), 403, "publishable_key_scope")
        for token in widget_tokens:
            # A valid credential of another kind: 403, the rule of every route (decision 0046).
            refused = error_of(send(client, method, path, body, token), 403, "forbidden")
            assert refused["details"]["reason"] == "wrong_audience"
    upload_path = f"{SHOP}/items/quill/upload-image"
    error_of(
        client.post(upload_path, content=SVG, headers={**live, **upload_headers}),
        403,
        "publishable_key_scope",
    )
    assert statuses(client, shop) == ["published"]


def test_another_tenants_catalogue_is_not_found(
    client: TestClient, shop: Account, other_account: Account
) -> None:
    apply_preset(client, other_account, "fitness")
    client.post(f"{API}/marketplaces", json={"id": "mine", "name": "Mine"}, headers=shop.headers())
    theirs = other_account.headers()
    for method, path, body in [
        ("GET", f"{API}/marketplaces/mine", None),
        ("PUT", f"{API}/marketplaces/mine", {"name": "Theirs"}),
        ("GET", f"{API}/marketplaces/mine/items", None),
        ("POST", f"{API}/marketplaces/mine/items", HAT),
        ("GET", f"{SHOP}/items/quill", None),
        ("PUT", f"{SHOP}/items/quill", HAT),
        ("DELETE", f"{SHOP}/items/quill", None),
        ("POST", f"{SHOP}/items/quill/regenerate-image", {}),
    ]:
        error_of(send(client, method, path, body, theirs), 404, "resource_not_found")
    assert "quill" in item_ids(client, shop)
    assert [m["id"] for m in client.get(f"{API}/marketplaces", headers=theirs).json()["data"]] == [
        "shop"
    ]


def test_a_publishable_key_sees_only_open_published_marketplaces(
    client: TestClient, shop: Account
) -> None:
    draft = client.put(SHOP, json={"name": "Shop", "active": False}, headers=shop.headers()).json()
    live = bearer(publishable_key(client, shop))
    assert [m["id"] for m in client.get(f"{API}/marketplaces", headers=live).json()["data"]] == [
        "shop"
    ]
    publish_draft(client, shop, draft["config_version_id"])
    assert client.get(f"{API}/marketplaces", headers=live).json()["data"] == []
    for path in (SHOP, f"{SHOP}/items", f"{SHOP}/items/quill"):
        error_of(client.get(path, headers=live), 404, "resource_not_found")
    assert client.get(SHOP, headers=shop.headers()).json()["active"] is False


# Concurrency -----------------------------------------------------------------------------


def test_parallel_item_creates_in_one_draft_lose_nothing(client: TestClient, shop: Account) -> None:
    def create(n: int) -> Any:
        body = {"name": f"Pin {n}", "category": "accessory", "price_coins": n + 1}
        return client.post(f"{SHOP}/items", json=body, headers=shop.headers())

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(create, range(12)))
    assert [r.status_code for r in responses] == [201] * 12, [r.text for r in responses]
    assert len({r.json()["config_version_id"] for r in responses}) == 1
    listed = item_ids(client, shop)
    assert set(listed) == {*PRESET_ITEMS, *(f"pin_{n}" for n in range(12))}
    orders = [r.json()["sort_order"] for r in responses]
    assert sorted(orders) == list(range(6, 18))  # each took its own place at the end
