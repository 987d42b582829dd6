"""The ``streak`` mount (issue 15): it counts up as lessons are done, on the demo page and on a
customer's page, in the display mode the mount asks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.browser.conftest import CustomerSite, LiveServer, screenshot
from tests.browser.test_widget_demo import customer_buddy
from tests.http.flow import send_event
from tests.http.widget_flow import mint_session

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture says why: a skip, or a failure under CI
    expect = None

STREAK = "[data-hatched-mount=streak]"
COUNT = f"{STREAK} [data-streak-count]"


def test_the_demo_streak_ticks_with_the_first_lesson_of_the_day(
    page: Any, live_server: LiveServer, backend: str
) -> None:
    page.goto(f"{live_server.url}/demo")
    expect(page.locator(COUNT)).to_have_text("0")
    expect(page.locator(f"{STREAK} [data-mode=row]")).to_be_visible()
    expect(page.locator(STREAK).get_by_text("Not yet today")).to_be_visible()
    expect(page.get_by_role("region", name="Streak")).to_be_visible()

    page.get_by_role("button", name="Finish the lesson").click()
    expect(page.locator(COUNT)).to_have_text("1")
    expect(page.locator(STREAK).get_by_text("Done today ✓")).to_be_visible()
    expect(page.locator(f"{STREAK} [data-period=ticked]")).to_have_count(1)
    page.get_by_role("button", name="Finish the lesson").click()  # one tick per day
    expect(page.locator("[data-hatched-mount=buddy] .coins")).to_have_text("20")
    expect(page.locator(COUNT)).to_have_text("1")
    screenshot(page, f"demo-streak-{backend}")


def test_a_customers_streak_counts_up_day_after_day(
    page: Any, live_server: LiveServer, customer_site: CustomerSite, backend: str
) -> None:
    api, buddy = customer_buddy(live_server)
    now = datetime.now(UTC)
    for days_ago in (2, 1):  # the customer's server reports the two days before
        at = (now - timedelta(days=days_ago)).isoformat()
        send_event(api, buddy.account, buddy.user_id, occurred_at=at)  # type: ignore[arg-type]
    token = mint_session(api, buddy)["token"]  # type: ignore[arg-type]
    html = (
        f'<!doctype html><title>Acme</title><script src="{live_server.url}/widget.js" '
        f'data-session-token="{token}" defer></script>'
        '<div data-hatched-mount="streak" data-streak-key="daily_lesson"></div>'
        '<div data-hatched-mount="streak" data-streak-key="daily_lesson" '
        'data-display-mode="mini" id="mini"></div>'
        '<div data-hatched-mount="streak" data-streak-key="no_such_streak" id="gone"></div>'
    )
    page.goto(customer_site.publish("/account", html))
    counts = page.locator(COUNT)
    expect(counts).to_have_text(["2", "2"])
    expect(page.locator(f"{STREAK} [data-mode=count]")).to_contain_text("2 days streak")
    expect(page.locator("#mini [data-mode=mini]")).to_contain_text("Not yet today")
    expect(page.locator("#gone [data-error=resource_not_found]")).to_be_visible()

    page.evaluate("window.__HATCHED_WIDGET__.track('lesson_completed')")
    expect(counts).to_have_text(["3", "3"])
    expect(page.locator("#mini")).to_contain_text("Done today ✓")
    screenshot(page, f"customer-streak-{backend}")
