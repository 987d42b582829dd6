"""What a person sees: the demo page's buddy, coins, "Processing…", evolution and errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.browser.conftest import CustomerSite, LiveServer, screenshot
from tests.conftest import register_account
from tests.http.widget_flow import WidgetBuddy, bearer, mint_embed, mint_session, widget_buddy

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture says why: a skip, or a failure under CI
    expect = None

BUDDY = "[data-hatched-mount=buddy]"
COINS = f"{BUDDY} .coins"
PORTRAIT = f"{BUDDY} [data-stage]"


def test_an_event_from_the_page_raises_the_coins_on_screen(
    page: Any, live_server: LiveServer, backend: str
) -> None:
    page.goto(f"{live_server.url}/demo")
    expect(page.locator(COINS)).to_have_text("0")
    expect(page.locator(PORTRAIT)).to_have_attribute("data-stage", "1")
    expect(page.get_by_role("region", name="Your buddy")).to_be_visible()

    with page.expect_response(lambda r: r.url.endswith("/widget/track")) as answer:
        page.get_by_role("button", name="Finish the lesson").click()
    assert answer.value.status == 200
    # On screen from the track answer itself, not at the poller's next tick (5 s away).
    expect(page.locator(COINS)).to_have_text("10", timeout=1_000)
    expect(page.locator(f"{BUDDY} .toast")).to_contain_text("+10 coins")
    expect(page.locator("[data-hatched-mount=tokens] [data-token=coins] strong")).to_have_text("10")
    screenshot(page, f"demo-coins-{backend}")


def test_evolving_shows_processing_then_the_new_picture(
    page: Any, live_server: LiveServer, backend: str
) -> None:
    page.goto(f"{live_server.url}/demo")
    expect(page.locator(COINS)).to_have_text("0")
    lesson = page.get_by_role("button", name="Finish the lesson")
    quiz = page.get_by_role("button", name="Pass the quiz")
    for button, coins in [(lesson, c) for c in ("10", "20", "30", "40", "75")] + [
        (quiz, "90"),
        (quiz, "105"),
    ]:
        button.click()
        expect(page.locator(COINS)).to_have_text(coins)
    expect(page.locator(f"{BUDDY} .ready")).to_have_text("Ready to evolve!")
    before = page.locator(PORTRAIT).evaluate("e => e.outerHTML")

    page.get_by_role("button", name="Evolve my buddy").click()  # the worker is paused
    processing = page.locator(BUDDY).get_by_role("status").filter(has_text="Processing…")
    expect(processing).to_be_visible()
    expect(page.locator(f"{BUDDY} section")).to_have_attribute("aria-busy", "true")
    screenshot(page, f"demo-processing-{backend}")

    live_server.start_worker()
    expect(page.locator(PORTRAIT)).to_have_attribute("data-stage", "2")
    expect(processing).to_be_hidden()
    expect(page.locator(BUDDY).get_by_text("Stage 2 · Fledgling")).to_be_visible()
    assert page.locator(PORTRAIT).evaluate("e => e.outerHTML") != before
    screenshot(page, f"demo-evolved-{backend}")


def customer_page(page: Any, site: CustomerSite, server: str, attribute: str, token: str) -> None:
    """The widget on a customer's site: another origin than the API's."""
    html = (
        f'<!doctype html><title>Acme</title><script src="{server}/widget.js" '
        f'{attribute}="{token}" data-theme="dark" defer></script>'
        '<div data-hatched-mount="buddy"></div><div data-hatched-mount="badges"></div>'
    )
    page.goto(site.publish("/account", html))


def customer_buddy(live_server: LiveServer) -> tuple[httpx.Client, WidgetBuddy]:
    live_server.start_worker()
    api = httpx.Client(base_url=live_server.url, timeout=10)
    return api, widget_buddy(api, register_account(api))  # type: ignore[arg-type]


def test_a_revoked_session_says_so_on_a_customers_page(
    page: Any, live_server: LiveServer, customer_site: CustomerSite, backend: str
) -> None:
    api, buddy = customer_buddy(live_server)
    session = mint_session(api, buddy, ["read"])  # type: ignore[arg-type]
    customer_page(page, customer_site, live_server.url, "data-session-token", session["token"])
    expect(page.locator(COINS)).to_have_text("0")
    expect(page.locator(f"{BUDDY} section")).to_have_attribute("data-theme", "dark")

    revoked = api.delete(
        f"/api/v1/widget-sessions/{session['session_id']}", headers=buddy.account.headers()
    )
    assert revoked.status_code == 200
    page.evaluate("window.__HATCHED_WIDGET__.refresh()")
    alert = page.locator(f"{BUDDY} [data-error=unauthorized][data-reason=revoked]")
    expect(alert).to_have_text("This buddy session was revoked. Sign in again to see your buddy.")
    expect(alert).to_have_attribute("role", "alert")
    expect(page.locator(COINS)).to_have_count(0)  # nothing stale stays on screen
    screenshot(page, f"customer-revoked-{backend}")


def test_network_expiry_and_read_only_errors_are_specific(
    page: Any, live_server: LiveServer, customer_site: CustomerSite
) -> None:
    api, buddy = customer_buddy(live_server)
    embed = mint_embed(api, buddy)  # type: ignore[arg-type]
    customer_page(page, customer_site, live_server.url, "data-embed-token", embed["token"])
    expect(page.locator(COINS)).to_have_text("0")

    refused = page.evaluate(
        "window.__HATCHED_WIDGET__.track('lesson_completed').then(() => 'sent', e => e.code)"
    )
    assert refused == "forbidden"
    expect(page.locator(f"{BUDDY} [data-error=forbidden]")).to_contain_text("read-only")

    page.route(f"{live_server.url}/api/v1/widget/state", lambda route: route.abort())
    page.evaluate("window.__HATCHED_WIDGET__.refresh()")
    offline = page.locator(f"{BUDDY} [data-error=network]")
    expect(offline).to_contain_text("Can't reach Hatched")
    expect(page.locator(COINS)).to_have_text("0")  # the last known state stays on screen
    page.unroute(f"{live_server.url}/api/v1/widget/state")
    offline.get_by_role("button", name="Retry now").click()
    expect(offline).to_be_hidden()

    # Long enough for the first render on a loaded CI machine (a 1 s token once expired before
    # the widget drew), short enough to wait out.
    short = mint_session(api, buddy, ["read"], ttl_seconds=4)  # type: ignore[arg-type]
    page.evaluate("token => window.__HATCHED_WIDGET__.init({token})", short["token"])
    expect(page.locator(COINS)).to_have_text("0")
    expires = datetime.fromisoformat(short["expires_at"])
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    page.evaluate("window.__HATCHED_WIDGET__.refresh()")
    expect(page.locator(f"{BUDDY} [data-error=unauthorized][data-reason=expired]")).to_contain_text(
        "expired"
    )
    assert api.get("/api/v1/widget/state", headers=bearer(short["token"])).status_code == 401


def test_a_lesson_past_the_daily_cap_says_so(
    page: Any, live_server: LiveServer, backend: str
) -> None:
    page.goto(f"{live_server.url}/demo")
    expect(page.locator(COINS)).to_have_text("0")
    lesson = page.get_by_role("button", name="Finish the lesson")
    for coins in ("10", "20", "30", "40", "75"):  # the fifth also earns First Steps (+25)
        lesson.click()
        expect(page.locator(COINS)).to_have_text(coins)
    lesson.click()  # the sixth lesson of the UTC day: lessons pay at most 50 coins a day
    expect(page.locator("#status")).to_have_text(
        "Finish the lesson: +0 coins — daily cap reached (50/day)"
    )
    expect(page.locator(f"{BUDDY} .toast")).to_have_text("Daily cap reached (50/day)")
    expect(page.locator(COINS)).to_have_text("75")
    screenshot(page, f"demo-capped-{backend}")


def test_the_demo_fits_a_390_px_phone(browser: Any, live_server: LiveServer, backend: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/demo")
        expect(page.locator(COINS)).to_have_text("0")
        screenshot(page, f"demo-390-{backend}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px wide"
    finally:
        context.close()


CREATURE_SHARE = """() => {
  const box = document.getElementById("creature").getBBox();
  const view = document.documentElement.viewBox.baseVal;
  return [box.width / view.width, box.height / view.height];
}"""


def test_the_hatchling_fills_its_frame(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/demo")
    portrait = page.locator(PORTRAIT)
    expect(portrait).to_have_attribute("data-stage", "1")
    # In one evaluation: every poll draws the widget again, so two reads could see two
    # elements; and a picture just drawn measures 0 until it is loaded and laid out.
    measure = """img => [img.getBoundingClientRect(), img.parentElement.getBoundingClientRect(),
                        img.src, img.complete && img.naturalWidth > 0]
                       .map(b => b.width === undefined ? b : [b.width, b.height])"""
    for _ in range(100):
        shown, frame, src, loaded = portrait.evaluate(measure)
        if loaded and shown[0] > 0:
            break
        page.wait_for_timeout(100)
    assert shown == frame == [112, 112]  # the picture fills the frame...
    picture = page.context.new_page()
    picture.goto(src)
    width, height = picture.evaluate(CREATURE_SHARE)
    # ...and the buddy fills the picture: the whole 512 px scene left it about a third
    assert width >= 0.5 and height >= 0.5, f"the buddy fills {width:.0%} x {height:.0%}"


def test_a_late_answer_never_overwrites_the_newest_clicks_status(
    page: Any, live_server: LiveServer
) -> None:
    """Two clicks in flight can answer out of order: the status shows the newest click's."""
    page.goto(f"{live_server.url}/demo")
    expect(page.locator(COINS)).to_have_text("0")
    page.evaluate(
        """() => { const w = window.__HATCHED_WIDGET__, track = w.track; window.__answered = 0;
                   w.track = (...args) => track(...args).finally(() => { window.__answered += 1; }); }"""
    )
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/v1/widget/track", hold_the_first)
    page.get_by_role("button", name="Finish the lesson").click()
    page.get_by_role("button", name="Pass the quiz").click()
    page.wait_for_function("() => window.__answered === 1")
    quiz_status = page.locator("#status").text_content() or ""
    assert quiz_status.startswith("Pass the quiz: +"), quiz_status
    held[0].continue_()
    page.wait_for_function("() => window.__answered === 2")
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")  # the page's callback
    assert page.locator("#status").text_content() == quiz_status
