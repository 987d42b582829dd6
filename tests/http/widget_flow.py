"""Steps the widget tests share: a hatched buddy, and browser tokens minted for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy

ALL_SCOPES = ["read", "events:track", "marketplace:browse", "marketplace:purchase", "items:equip"]


@dataclass
class WidgetBuddy:
    account: Account
    buddy_id: str
    user_id: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def widget_buddy(client: TestClient, account: Account, *, preset: bool = True) -> WidgetBuddy:
    """A hatched buddy on the language-learning preset (live mode)."""
    if preset:
        apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    return WidgetBuddy(account, hatch_buddy(client, account, user_id), user_id)


def mint_session(
    client: TestClient, buddy: WidgetBuddy, scopes: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    body = {"buddy_id": buddy.buddy_id, "scopes": scopes or ALL_SCOPES, **extra}
    response = client.post("/api/v1/widget-sessions", json=body, headers=buddy.account.headers())
    assert response.status_code == 201, response.text
    return dict(response.json())


def mint_embed(client: TestClient, buddy: WidgetBuddy, **extra: Any) -> dict[str, Any]:
    body = {"buddy_id": buddy.buddy_id, **extra}
    response = client.post("/api/v1/embed-tokens", json=body, headers=buddy.account.headers())
    assert response.status_code == 201, response.text
    return dict(response.json())


def error_of(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def refusal_of(response: Any) -> tuple[int, str, str | None]:
    """Status, code and ``details.reason`` (every 401 says why: decision 0029)."""
    error = response.json()["error"]
    return response.status_code, error["code"], (error.get("details") or {}).get("reason")
