"""Procedural icons over HTTP (decision 0046): every item, badge and skill has one, served
from its values; badge and skill icons are generated, uploaded and regenerated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from infrastructure.companions.image_checks import check_svg
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, wait_for_operation
from tests.http.widget_flow import WidgetBuddy, mint_embed, mint_session
from tests.unit.test_image_checks import png

pytestmark = pytest.mark.plan("growth")  # the marketplace is a Growth feature

API = "/api/v1"
SHOP = f"{API}/marketplaces/shop"
BADGES = f"{API}/badge-definitions"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'
)
HAT = {"name": "Golden Hat", "category": "head", "rarity": "legendary", "price_coins": 10}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


def fetch_icon(client: TestClient, url: str) -> bytes:
    """An icon link, fetched with no credential at all (an ``<img>`` on any page)."""
    parts = urlsplit(url)
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    check_svg(response.content)  # our own upload check passes what we draw
    return response.content


def draft_document(client: TestClient, account: Account, version_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/config-versions/{version_id}", headers=account.headers())
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()["document"]
    return document


def statuses(client: TestClient, account: Account) -> list[str]:
    listed = client.get(f"{API}/config-versions", headers=account.headers()).json()["data"]
    return [v["status"] for v in listed]


@pytest.fixture
def shop(client: TestClient, account: Account) -> Account:
    apply_preset(client, account)
    return account


# Items -----------------------------------------------------------------------------------


def test_every_preset_item_has_its_procedural_icon(client: TestClient, shop: Account) -> None:
    items = client.get(f"{SHOP}/items", headers=shop.headers()).json()["data"]
    assert items and all(i["image_url"] for i in items)
    cap = next(i for i in items if i["item_id"] == "graduation_cap")
    assert urlsplit(cap["image_url"]).path == f"{API}/icons/items/head/common/graduation_cap"
    icon = fetch_icon(client, cap["image_url"])
    assert b'data-item="graduation_cap"' in icon and b'data-rarity="common"' in icon
    # The same values draw the same bytes, whoever asks and whenever.
    assert fetch_icon(client, cap["image_url"]) == icon


def test_a_new_or_imported_item_has_an_icon_at_once(client: TestClient, shop: Account) -> None:
    created = client.post(f"{SHOP}/items", json=HAT, headers=shop.headers())
    assert created.status_code == 201, created.text
    icon = fetch_icon(client, created.json()["image_url"])
    assert b'data-rarity="legendary"' in icon and b"Golden Hat (head)" in icon
    imported = client.post(
        f"{SHOP}/items/import",
        json={"items": [{**HAT, "name": "Scarf", "category": "neck", "rarity": "rare"}]},
        headers=shop.headers(),
    )
    assert imported.status_code == 201, imported.text
    scarf = imported.json()["data"][-1]
    assert b'data-rarity="rare"' in fetch_icon(client, scarf["image_url"])
    # Renaming the item redraws it from its new values.
    renamed = client.put(
        f"{SHOP}/items/golden_hat", json={**HAT, "rarity": "common"}, headers=shop.headers()
    ).json()
    assert renamed["image_url"] != created.json()["image_url"]
    # The stored item has no art of its own: the icon is not written into the document.
    stored = draft_document(client, shop, renamed["config_version_id"])
    assert next(i for i in stored["items"] if i["item_id"] == "golden_hat")["image_url"] is None


def test_an_icon_link_sent_back_stays_no_art_and_uploads_still_win(
    client: TestClient, shop: Account
) -> None:
    item = client.get(f"{SHOP}/items/quill", headers=shop.headers()).json()
    echoed = {k: item[k] for k in ("name", "category", "price_coins", "image_url")}
    put = client.put(f"{SHOP}/items/quill", json=echoed, headers=shop.headers()).json()
    assert put["image_url"] == item["image_url"]
    stored = draft_document(client, shop, put["config_version_id"])
    assert next(i for i in stored["items"] if i["item_id"] == "quill")["image_url"] is None
    uploaded = client.post(
        f"{SHOP}/items/quill/upload-image",
        content=SVG,
        headers={**shop.headers(), "Content-Type": "image/svg+xml"},
    ).json()
    assert urlsplit(uploaded["image_url"]).path.startswith(f"{API}/assets/")


def test_the_widget_shelf_and_a_publishable_key_see_icons(
    client: TestClient, shop: Account
) -> None:
    buddy = WidgetBuddy(shop, hatch_buddy(client, shop), "")
    token = mint_session(client, buddy)["token"]
    shelf = client.get(f"{API}/widget/marketplace", headers=bearer(token)).json()["items"]
    assert shelf and all(i["image_url"] for i in shelf)
    issued = client.post(
        f"{API}/auth/publishable-keys", json={"mode": "live"}, headers=bearer(shop.token)
    ).json()["key"]
    items = client.get(f"{SHOP}/items", headers=bearer(issued)).json()["data"]
    assert all(urlsplit(i["image_url"]).path.startswith(f"{API}/icons/items/") for i in items)


@pytest.mark.parametrize(
    "path",
    [
        "items/hat/common/golden_hat",  # no such category
        "items/head/mythic/golden_hat",  # no such rarity
        "items/head/common/Golden Hat",  # not an item id
        f"items/head/common/{'x' * 65}",
        "items/head/common/golden_hat?name=" + "n" * 201,
        "items/head/common/golden_hat?name=",
        "badges/lottery/scholar",  # no such condition kind
        "badges/streak/Scholar",
        "skills/9lives",
        "skills/grammar?name=" + "n" * 201,
    ],
)
def test_bad_icon_values_are_refused(client: TestClient, path: str) -> None:
    error_of(client.get(f"{API}/icons/{path}"), 422, "validation_failed")


def test_an_icon_revalidates_by_its_etag(client: TestClient) -> None:
    url = f"{API}/icons/skills/grammar?name=Grammar"
    first = client.get(url)
    assert first.headers["cache-control"] == "public, max-age=86400"
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


# Badges and skills -------------------------------------------------------------------------


def test_badges_and_skills_show_their_procedural_icon(client: TestClient, shop: Account) -> None:
    badges = client.get(BADGES, headers=shop.headers()).json()["data"]
    assert all(b["icon_url"] for b in badges)
    warrior = next(b for b in badges if b["key"] == "week_warrior")
    assert urlsplit(warrior["icon_url"]).path == f"{API}/icons/badges/streak/week_warrior"
    assert b'data-glyph="flame"' in fetch_icon(client, warrior["icon_url"])
    skills = client.get(f"{API}/skill-sets/default", headers=shop.headers()).json()["skills"]
    speaking = next(s for s in skills if s["key"] == "speaking")
    assert b'data-glyph="bubble"' in fetch_icon(client, speaking["icon_url"])


def test_buddy_reads_and_the_widget_show_badge_and_skill_icons(
    client: TestClient, shop: Account
) -> None:
    buddy_id = hatch_buddy(client, shop)
    badges = client.get(f"{API}/buddies/{buddy_id}/badges", headers=shop.headers()).json()
    assert badges["data"] and all(b["icon_url"] for b in badges["data"])
    metrics = client.get(
        f"{API}/buddies/{buddy_id}/progression-metrics", headers=shop.headers()
    ).json()
    assert all(s["icon_url"] for s in metrics["skills"].values())
    buddy = client.get(f"{API}/buddies/{buddy_id}", headers=shop.headers()).json()
    assert all(s["icon_url"] for s in buddy["skills"].values())
    token = mint_embed(client, WidgetBuddy(shop, buddy_id, ""))["token"]
    tiles = client.get(f"{API}/widget/badges", headers=bearer(token)).json()
    assert tiles["data"] and all(t["icon_url"] for t in tiles["data"])


def test_a_generated_badge_icon_is_kept_and_set_on_a_badge(
    client: TestClient, shop: Account
) -> None:
    body = {"name": "Week Warrior", "condition_kind": "streak", "seed": 42}
    generated = client.post(f"{BADGES}/generate-icon", json=body, headers=shop.headers())
    assert generated.status_code == 201, generated.text
    icon = generated.json()
    assert icon["seed"] == 42
    assert urlsplit(icon["icon_url"]).path.startswith(f"{API}/assets/")
    assert b'data-glyph="flame"' in fetch_icon(client, icon["icon_url"])
    # The same values and seed draw the same picture; another seed another one.
    same = client.post(f"{BADGES}/generate-icon", json=body, headers=shop.headers()).json()
    assert same["icon_url"] == icon["icon_url"]
    other = client.post(
        f"{BADGES}/generate-icon", json={**body, "seed": 43}, headers=shop.headers()
    ).json()
    assert other["icon_url"] != icon["icon_url"]
    picked = client.post(
        f"{BADGES}/generate-icon", json={"name": "Week Warrior"}, headers=shop.headers()
    ).json()
    assert 0 <= picked["seed"] <= 2**31 - 1

    badge = client.get(f"{BADGES}/week_warrior", headers=shop.headers()).json()
    fields = ("name", "description", "condition", "coin_reward", "auto_award")
    put = client.put(
        f"{BADGES}/week_warrior",
        json={**{k: badge[k] for k in fields}, "icon_url": icon["icon_url"]},
        headers=shop.headers(),
    ).json()
    assert put["icon_url"] == icon["icon_url"]
    stored = draft_document(client, shop, put["config_version_id"])
    kept = next(b for b in stored["badges"] if b["key"] == "week_warrior")
    assert kept["icon_url"].startswith("asset:")
    # Left out of a PUT, the icon stays; sent back as read, too; null: procedural again.
    for body_icon, expected in (({}, icon["icon_url"]), ({"icon_url": icon["icon_url"]}, None)):
        again = client.put(
            f"{BADGES}/week_warrior",
            json={**{k: badge[k] for k in fields}, **body_icon},
            headers=shop.headers(),
        ).json()
        assert again["icon_url"] == (expected or icon["icon_url"])
    cleared = client.put(
        f"{BADGES}/week_warrior",
        json={**{k: badge[k] for k in fields}, "icon_url": None},
        headers=shop.headers(),
    ).json()
    assert urlsplit(cleared["icon_url"]).path == f"{API}/icons/badges/streak/week_warrior"


def test_a_skill_icon_is_generated_and_kept_by_its_skill(client: TestClient, shop: Account) -> None:
    generated = client.post(
        f"{API}/skill-sets/generate-icon",
        json={"name": "Pronunciation", "key": "pronunciation", "seed": 3},
        headers=shop.headers(),
    )
    assert generated.status_code == 201, generated.text
    url = generated.json()["icon_url"]
    assert b'data-glyph="bubble"' in fetch_icon(client, url)
    skills = client.get(f"{API}/skill-sets/default", headers=shop.headers()).json()["skills"]
    sent = [{k: s[k] for k in ("key", "name", "max_value", "points_per_level")} for s in skills]
    sent[0]["icon_url"] = url
    put = client.put(
        f"{API}/skill-sets/default", json={"skills": sent}, headers=shop.headers()
    ).json()
    assert put["skills"][0]["icon_url"] == url
    # Replaced again without icon_url, the skill keeps its icon.
    sent[0].pop("icon_url")
    again = client.put(
        f"{API}/skill-sets/default", json={"skills": sent}, headers=shop.headers()
    ).json()
    assert again["skills"][0]["icon_url"] == url
    assert again["skills"][1]["icon_url"] != url


def test_regenerate_icon_draws_the_badge_a_new_icon_in_an_operation(
    client: TestClient, shop: Account
) -> None:
    path = f"{BADGES}/scholar/regenerate-icon"
    accepted = client.post(path, json={"seed": 5}, headers=shop.headers())
    assert accepted.status_code == 202, accepted.text
    operation = wait_for_operation(client, shop, accepted.json()["operation_id"])
    assert (operation["status"], operation["type"]) == ("completed", "regenerate_badge_icon")
    assert (operation["result"]["badge_key"], operation["result"]["seed"]) == ("scholar", 5)
    badge = client.get(f"{BADGES}/scholar", headers=shop.headers()).json()
    assert badge["source"] == "draft"
    assert urlsplit(badge["icon_url"]).path.startswith(f"{API}/assets/")
    assert b'data-glyph="flag"' in fetch_icon(client, badge["icon_url"])
    again = client.post(path, json={"seed": 5}, headers=shop.headers()).json()["operation_id"]
    assert wait_for_operation(client, shop, again)["result"]["icon"] == operation["result"]["icon"]


# Uploads -----------------------------------------------------------------------------------


def upload_icon(client: TestClient, account: Account, data: bytes, content_type: str) -> Any:
    return client.post(
        f"{BADGES}/upload-icon",
        content=data,
        headers={**account.headers(), "Content-Type": content_type},
    )


def test_an_uploaded_badge_icon_is_kept(client: TestClient, shop: Account) -> None:
    uploaded = upload_icon(client, shop, SVG, "image/svg+xml")
    assert uploaded.status_code == 201, uploaded.text
    served = client.get(urlsplit(uploaded.json()["icon_url"]).path)
    assert (served.status_code, served.content) == (200, SVG)
    as_png = upload_icon(client, shop, png(8, 8), "image/png")
    assert urlsplit(as_png.json()["icon_url"]).path.endswith(".png")


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
         "image/svg+xml", 422, "unsafe_svg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', "image/svg+xml", 422,
         "unsafe_svg"),
        (b"not a png", "image/png", 422, "invalid_image"),
        (b"", "image/svg+xml", 422, "invalid_image"),
        (SVG, "text/plain", 415, "unsupported_media_type"),
        (b"x" * 600_000, "image/svg+xml", 413, "payload_too_large"),
    ],
)  # fmt: skip
def test_unsafe_wrong_or_oversized_icons_are_refused(
    client: TestClient, shop: Account, data: bytes, content_type: str, status: int, code: str
) -> None:
    error_of(upload_icon(client, shop, data, content_type), status, code)
    assert statuses(client, shop) == ["published"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"{BADGES}/generate-icon", {}),
        (f"{BADGES}/generate-icon", {"name": ""}),
        (f"{BADGES}/generate-icon", {"name": "x", "seed": -1}),
        (f"{BADGES}/generate-icon", {"name": "x", "seed": 2**31}),
        (f"{BADGES}/generate-icon", {"name": "x", "condition_kind": "lottery"}),
        (f"{BADGES}/generate-icon", {"name": "x", "key": "Not A Key"}),
        (f"{BADGES}/generate-icon", {"name": "x", "colour": "red"}),
        (f"{API}/skill-sets/generate-icon", {"name": 7}),
        (f"{BADGES}/scholar/regenerate-icon", {"seed": "7"}),
        (f"{BADGES}/scholar/regenerate-icon", {"sed": 7}),
    ],
)
def test_bad_icon_bodies_are_refused_and_change_nothing(
    client: TestClient, shop: Account, path: str, body: dict[str, Any]
) -> None:
    error_of(client.post(path, json=body, headers=shop.headers()), 422, "validation_failed")
    assert statuses(client, shop) == ["published"]


def test_a_bad_icon_url_on_a_badge_or_skill_is_refused(client: TestClient, shop: Account) -> None:
    badge = client.get(f"{BADGES}/scholar", headers=shop.headers()).json()
    fields = ("name", "description", "condition", "coin_reward", "auto_award")
    for bad in ("javascript:alert(1)", "asset:nothex.svg", "ftp://x.example/a.png"):
        refused = client.put(
            f"{BADGES}/scholar",
            json={**{k: badge[k] for k in fields}, "icon_url": bad},
            headers=shop.headers(),
        )
        error_of(refused, 422, "validation_failed")
        skills = [{"key": "grammar", "name": "Grammar", "icon_url": bad}]
        refused = client.put(
            f"{API}/skill-sets/default", json={"skills": skills}, headers=shop.headers()
        )
        error_of(refused, 422, "validation_failed")
    assert statuses(client, shop) == ["published"]


# Credentials and tenants -----------------------------------------------------------------

WRITES: list[tuple[str, dict[str, Any] | None]] = [
    (f"{BADGES}/generate-icon", {"name": "x"}),
    (f"{BADGES}/scholar/regenerate-icon", {}),
    (f"{API}/skill-sets/generate-icon", {"name": "x"}),
]


def test_unknown_and_other_tenants_badges_are_not_found(
    client: TestClient, shop: Account, other_account: Account
) -> None:
    error_of(
        client.post(f"{BADGES}/nope/regenerate-icon", json={}, headers=shop.headers()),
        404,
        "resource_not_found",
    )
    apply_preset(client, other_account, "fitness")
    theirs = client.post(
        f"{BADGES}/scholar/regenerate-icon", json={}, headers=other_account.headers()
    )
    error_of(theirs, 404, "resource_not_found")
    assert statuses(client, shop) == ["published"]


def test_only_a_secret_key_or_dashboard_token_writes_icons(
    client: TestClient, shop: Account
) -> None:
    publishable = client.post(
        f"{API}/auth/publishable-keys", json={"mode": "live"}, headers=bearer(shop.token)
    ).json()["key"]
    embed = mint_embed(client, WidgetBuddy(shop, hatch_buddy(client, shop), ""))["token"]
    svg = {"Content-Type": "image/svg+xml"}
    for path, body in WRITES:
        error_of(
            client.post(path, json=body, headers=bearer(publishable)),
            403,
            "publishable_key_scope",
        )
        refused = error_of(client.post(path, json=body, headers=bearer(embed)), 403, "forbidden")
        assert refused["details"]["reason"] == "wrong_audience"
        error_of(client.post(path, json=body), 401, "unauthorized")
        error_of(
            client.post(path, json=body, headers=bearer("hatch_live_" + "x" * 43)),
            401,
            "unauthorized",
        )
    for headers in (bearer(publishable), bearer(embed), {}):
        refused_upload = client.post(
            f"{BADGES}/upload-icon", content=SVG, headers={**headers, **svg}
        )
        assert refused_upload.status_code in (401, 403), refused_upload.text
    assert statuses(client, shop) == ["published"]


@pytest.mark.parametrize("category", ["booster", "background", "accessory", "hand"])
def test_every_category_has_an_icon(client: TestClient, category: str) -> None:
    icon = fetch_icon(client, f"{API}/icons/items/{category}/epic/xp_potion?name=XP%20Potion")
    assert b'data-rarity="epic"' in icon and b"XP Potion" in icon


def test_icons_drawn_while_the_badges_are_edited_lose_nothing(
    client: TestClient, shop: Account
) -> None:
    """Workers set icons in the draft while requests replace the same badges: each badge
    ends with both its new description and its drawn icon (no write lost either way)."""
    badges = client.get(BADGES, headers=shop.headers()).json()["data"]
    fields = ("name", "condition", "coin_reward", "auto_award")

    def regenerate(key: str) -> str:
        accepted = client.post(
            f"{BADGES}/{key}/regenerate-icon", json={"seed": 11}, headers=shop.headers()
        )
        assert accepted.status_code == 202, accepted.text
        return str(accepted.json()["operation_id"])

    def describe(badge: dict[str, Any]) -> None:
        body = {**{k: badge[k] for k in fields}, "description": f"new {badge['key']}"}
        put = client.put(f"{BADGES}/{badge['key']}", json=body, headers=shop.headers())
        assert put.status_code == 200, put.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        operations = list(pool.map(regenerate, [b["key"] for b in badges]))
        list(pool.map(describe, badges))
    for operation_id in operations:
        assert wait_for_operation(client, shop, operation_id)["status"] == "completed"
    after = client.get(BADGES, headers=shop.headers()).json()["data"]
    assert [b["description"] for b in after] == [f"new {b['key']}" for b in badges]
    assert all(urlsplit(b["icon_url"]).path.startswith(f"{API}/assets/") for b in after)
