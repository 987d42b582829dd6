"""The loader script's URLs and caching, and the ``/demo`` page with its token."""

from __future__ import annotations

import dataclasses
import gzip
import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from interfaces.container import build_container
from interfaces.http.app import create_app
from interfaces.widget import WIDGET_VERSION
from tests.conftest import register_account
from tests.http.widget_flow import bearer, error_of, mint_session, widget_buddy

GZIP_BUDGET_BYTES = 10 * 1024
TOKEN_IN_PAGE = re.compile(r'data-session-token="([^"]+)"')


def test_the_loader_is_served_latest_and_versioned(client: TestClient) -> None:
    latest = client.get("/widget.js")
    assert latest.status_code == 200
    assert latest.headers["content-type"].startswith("text/javascript")
    assert latest.headers["cache-control"] == "public, max-age=300, must-revalidate"
    assert f'VERSION = "{WIDGET_VERSION}"' in latest.text
    assert "__HATCHED_WIDGET_VERSION__" not in latest.text
    assert len(gzip.compress(latest.content, 9)) < GZIP_BUDGET_BYTES

    revalidated = client.get("/widget.js", headers={"If-None-Match": latest.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""

    pinned = client.get(f"/v/{WIDGET_VERSION}/widget.js")
    assert pinned.content == latest.content
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert error_of(client.get("/v/0.0.1/widget.js")) == (404, "resource_not_found")


def test_the_loader_names_its_charset_once_and_answers_head(client: TestClient) -> None:
    latest = client.get("/widget.js")
    assert latest.headers["content-type"] == "text/javascript; charset=utf-8"
    for path in ("/widget.js", f"/v/{WIDGET_VERSION}/widget.js"):
        headers_only = client.head(path)
        assert headers_only.status_code == 200, path
        assert headers_only.content == b""
        assert headers_only.headers["content-type"] == "text/javascript; charset=utf-8"
        assert headers_only.headers["etag"] == latest.headers["etag"]
        assert int(headers_only.headers["content-length"]) == len(latest.content)
    assert client.head("/v/0.0.1/widget.js").status_code == 404


@pytest.fixture
def demo_client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    container = build_container(dataclasses.replace(settings, demo=True))
    with TestClient(create_app(container)) as test_client:  # type: ignore[arg-type]
        yield test_client
    container.close()


def test_the_demo_page_carries_a_session_token_and_no_secret(
    demo_client: TestClient,
) -> None:
    page = demo_client.get("/demo")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "hatch_live_" not in page.text and "hatch_test_" not in page.text
    for mount in ("buddy", "badges", "tokens", "leaderboard", "streak", "marketplace"):
        assert f'data-hatched-mount="{mount}"' in page.text
    assert "data-session-token=&quot;SESSION_TOKEN&quot;" in page.text  # the snippet shown
    token = TOKEN_IN_PAGE.findall(page.text)
    assert len(token) == 1  # the snippet in use
    state = demo_client.get("/api/v1/widget/state", headers=bearer(token[0])).json()
    buddy_id = state["buddy"]["buddy_id"]
    assert state["buddy"]["coins"] == 0
    # The page tracks lessons and its shop buys and equips (decision 0043).
    assert set(state["scopes"]) == {"read", "events:track", "marketplace:purchase", "items:equip"}

    again = demo_client.get("/demo")  # the visitor cookie brings the same buddy back
    second = TOKEN_IN_PAGE.findall(again.text)[0]
    assert second != token[0]
    assert (
        demo_client.get("/api/v1/widget/state", headers=bearer(second)).json()["buddy"]["buddy_id"]
        == buddy_id
    )

    demo_client.cookies.clear()
    stranger = TOKEN_IN_PAGE.findall(demo_client.get("/demo").text)[0]
    other = demo_client.get("/api/v1/widget/state", headers=bearer(stranger)).json()
    assert other["buddy"]["buddy_id"] != buddy_id


def test_the_demo_evolve_button_is_for_the_visitors_buddy_only(
    demo_client: TestClient,
) -> None:
    token = TOKEN_IN_PAGE.findall(demo_client.get("/demo").text)[0]
    buddy_id = demo_client.get("/api/v1/widget/state", headers=bearer(token)).json()["buddy"][
        "buddy_id"
    ]
    evolve = f"/api/v1/demo/buddy/{buddy_id}/evolve"
    assert error_of(demo_client.post(evolve, headers=bearer(token))) == (409, "evolution_not_ready")
    other = f"/api/v1/demo/buddy/bdy_{'0' * 32}/evolve"
    assert error_of(demo_client.post(other, headers=bearer(token))) == (404, "resource_not_found")
    assert error_of(demo_client.post(evolve)) == (401, "unauthorized")


def test_a_customers_widget_token_cannot_use_the_demo_routes(demo_client: TestClient) -> None:
    buddy = widget_buddy(demo_client, register_account(demo_client))
    token = mint_session(demo_client, buddy)["token"]
    evolve = demo_client.post(f"/api/v1/demo/buddy/{buddy.buddy_id}/evolve", headers=bearer(token))
    assert error_of(evolve) == (403, "forbidden")


def test_the_demo_is_off_when_disabled(settings: Settings) -> None:
    container = build_container(dataclasses.replace(settings, demo=False))
    with TestClient(create_app(container)) as test_client:  # type: ignore[arg-type]
        assert error_of(test_client.get("/demo")) == (404, "resource_not_found")
    container.close()
    assert Settings(database_url="postgresql://x@h/db").serves_demo is False
    assert Settings().serves_demo is True
    assert (
        Settings.from_env({"HATCHED_DEMO": "false", "HATCHED_SECRET_KEY": "k"}).serves_demo is False
    )
