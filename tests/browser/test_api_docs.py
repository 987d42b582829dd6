"""The API reference page works with no network beyond the API itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.browser.conftest import LiveServer, screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture says why: a skip, or a failure under CI
    expect = None


def test_the_reference_lists_the_operations_offline(
    page: Any, live_server: LiveServer, backend: str
) -> None:
    app = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def only_the_app(route: Any) -> None:
        if urlsplit(route.request.url).netloc == app:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_app)
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/events/batch")).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/eggs/{egg_id}/hatch")
    ).to_be_visible()
    assert page.locator(".opblock").count() > 100
    assert elsewhere == []
    screenshot(page, f"api-docs-{backend}")
