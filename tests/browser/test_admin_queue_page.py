"""The operator's queue page opens from its signed link in Chromium, offline, its style
allowed by its own Content-Security-Policy (decision 0054)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.browser.conftest import LiveServer, screenshot
from tests.http.admin_flow import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture says why: a skip, or a failure under CI
    expect = None


def test_the_link_opens_the_queue_table_and_a_broken_link_shows_the_envelope(
    page: Any, live_server: LiveServer, backend: str
) -> None:
    live_server.container.admins.create(None, "ops@example.com", PASSWORD, "support")
    with httpx.Client(base_url=live_server.url) as http:
        signed_in = http.post(
            "/api/v1/admin/auth/login", json={"email": "ops@example.com", "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        link = http.get("/api/v1/admin/operations/queue-link", headers=headers).json()["url"]
    app = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_the_app(route: Any) -> None:
        if urlsplit(route.request.url).netloc == app:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_app)
    page.on("console", lambda message: problems.append(message.text))
    opened = page.goto(link)
    assert opened is not None and opened.status == 200
    queues = page.locator("table#queues")
    expect(queues).to_be_visible()
    expect(queues.locator("tbody tr")).to_have_count(2)
    expect(queues.locator("tbody tr").first).to_contain_text("hatched-operations")
    expect(queues.locator("tbody tr").nth(1)).to_contain_text("hatched-webhooks")
    expect(page.locator("table#failed")).to_contain_text("No failed operation.")
    header = queues.locator("th").first
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(243, 243, 245)"
    assert page.locator("script, form, img, iframe").count() == 0
    screenshot(page, f"admin-queue-page-{backend}")
    assert problems == [], problems  # no Content-Security-Policy violation, no error

    refused = page.goto(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    assert refused is not None and refused.status == 401
    expect(page.locator("pre#error")).to_contain_text('"code": "unauthorized"')
    expect(page.locator("pre#error")).to_contain_text('"reason": "invalid"')
    assert elsewhere == []
    assert not [p for p in problems if "Content Security Policy" in p], problems
