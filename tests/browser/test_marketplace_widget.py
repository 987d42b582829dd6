"""The ``marketplace`` mount (issue 14, decision 0043): a demo visitor earns coins, buys an item,
equips it and sees "Processing…" and then the new picture; a refusal says why."""

from __future__ import annotations

from typing import Any

import httpx

from tests.browser.conftest import CustomerSite, LiveServer, screenshot
from tests.conftest import register_account
from tests.http.shop_flow import credit, open_shop
from tests.http.widget_flow import mint_session, widget_buddy

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture says why: a skip, or a failure under CI
    expect = None

SHOP = "[data-hatched-mount=marketplace]"
BUDDY = "[data-hatched-mount=buddy]"
COINS = f"{BUDDY} .coins"
PORTRAIT = f"{BUDDY} [data-stage]"
PRESET_ITEMS = 6


def tile(page: Any, item_id: str) -> Any:
    return page.locator(f"{SHOP} li[data-item={item_id}]")


def test_a_demo_visitor_buys_and_equips_an_item_and_sees_the_new_picture(
    page: Any, live_server: LiveServer, backend: str
) -> None:
    views: list[str] = []
    page.on("request", lambda r: views.append(r.url) if r.url.endswith("/track-view") else None)
    page.goto(f"{live_server.url}/demo")
    expect(page.get_by_role("region", name="Shop")).to_be_visible()
    pin, cap = tile(page, "flag_pin"), tile(page, "graduation_cap")
    expect(pin).to_contain_text("30 coins")
    expect(pin).to_contain_text("Can't afford yet")
    expect(pin.get_by_role("button", name="Buy")).to_be_disabled()

    lesson = page.get_by_role("button", name="Finish the lesson")
    for coins in ("10", "20", "30"):  # three lessons pay for the 30-coin Flag Pin
        lesson.click()
        expect(page.locator(COINS)).to_have_text(coins)
    expect(pin.get_by_role("button", name="Buy")).to_be_enabled()
    expect(cap.get_by_role("button", name="Buy")).to_be_disabled()  # 200 coins
    expect(cap).to_contain_text("Can't afford yet")

    pin.get_by_role("button", name="Buy").click()
    expect(page.locator(COINS)).to_have_text("0")
    equip = pin.get_by_role("button", name="Equip")
    expect(equip).to_be_visible()
    expect(pin).to_contain_text("Owned")
    before = page.locator(PORTRAIT).get_attribute("src")
    assert before, "the demo buddy has a drawn picture"

    equip.click()  # the worker is paused: the equip operation stays pending
    processing = page.locator(BUDDY).get_by_role("status").filter(has_text="Processing…")
    expect(processing).to_be_visible()
    expect(pin.get_by_role("button", name="Processing…")).to_be_disabled()
    screenshot(page, f"demo-shop-processing-{backend}")

    live_server.start_worker()
    expect(processing).to_be_hidden()
    expect(pin.get_by_role("button", name="Unequip")).to_be_visible()
    expect(pin).to_contain_text("Wearing")
    assert page.locator(PORTRAIT).get_attribute("src") != before
    screenshot(page, f"demo-shop-equipped-{backend}")
    # Every item shown was counted once, however often the shop was drawn again.
    assert len(views) == len(set(views)) == PRESET_ITEMS, views


def test_a_locked_item_says_why_and_a_refused_purchase_says_what_is_missing(
    page: Any, live_server: LiveServer, customer_site: CustomerSite, backend: str
) -> None:
    live_server.start_worker()
    api = httpx.Client(base_url=live_server.url, timeout=10)
    account = register_account(api, plan="growth")  # type: ignore[arg-type]
    open_shop(api, account)  # type: ignore[arg-type]
    buddy = widget_buddy(api, account, preset=False)  # type: ignore[arg-type]
    credit(api, account, buddy.buddy_id, 60)  # type: ignore[arg-type]
    token = mint_session(api, buddy, ["read", "items:equip"])["token"]  # type: ignore[arg-type]
    html = (
        f'<!doctype html><title>Acme</title><script src="{live_server.url}/widget.js" '
        f'data-session-token="{token}" defer></script>'
        '<div data-hatched-mount="marketplace"></div>'
    )
    page.goto(customer_site.publish("/shop", html))
    elder = tile(page, "elder_hat")
    expect(elder).to_contain_text("Locked: needs stage 3; the buddy is at 1")
    expect(elder.get_by_role("button", name="Buy")).to_be_disabled()
    expect(tile(page, "crown")).to_contain_text("5 left")

    quill = tile(page, "quill")
    quill.get_by_role("button", name="Buy").click()  # this session may not buy
    refusal = page.locator(f"{SHOP} [data-error=insufficient_scope]")
    expect(refusal).to_have_text(
        "This widget's token is not allowed to do that (it lacks the marketplace:purchase scope)."
    )
    expect(refusal).to_have_attribute("role", "alert")
    expect(quill.get_by_role("button", name="Buy")).to_be_enabled()  # nothing was bought
    screenshot(page, f"customer-shop-refused-{backend}")


def test_a_starter_tenants_shop_says_the_plan_does_not_include_it(
    page: Any, live_server: LiveServer, customer_site: CustomerSite, backend: str
) -> None:
    live_server.start_worker()
    api = httpx.Client(base_url=live_server.url, timeout=10)
    account = register_account(api)  # type: ignore[arg-type]  # starter: no marketplace
    buddy = widget_buddy(api, account)  # type: ignore[arg-type]
    token = mint_session(api, buddy)["token"]  # type: ignore[arg-type]
    html = (
        f'<!doctype html><title>Acme</title><script src="{live_server.url}/widget.js" '
        f'data-session-token="{token}" defer></script>'
        '<div data-hatched-mount="buddy"></div><div data-hatched-mount="marketplace"></div>'
    )
    page.goto(customer_site.publish("/starter-shop", html))
    locked = page.locator(f"{SHOP} [data-error=plan_feature_locked]")
    expect(locked).to_have_text("The marketplace is not part of this app's Hatched plan yet.")
    expect(locked).to_have_attribute("role", "alert")
    expect(page.locator(f"{SHOP} li")).to_have_count(0)  # no shelf drawn
    expect(page.locator(COINS)).to_have_text("0")  # the buddy mount still works
    screenshot(page, f"starter-shop-locked-{backend}")
