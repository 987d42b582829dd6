"""A published shop for purchase tests: the preset's items plus a booster, a limited item,
a mixed-price item and one behind a requirement."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset

API = "/api/v1"
SHOP = f"{API}/marketplaces/shop"
PRIMARY = "stars"
EXTRA_ITEMS: list[dict[str, Any]] = [
    {"id": "xp_boost", "name": "XP Boost", "category": "booster", "price_coins": 10},
    {"id": "crown", "name": "Crown", "category": "head", "price_coins": 1, "stock": 5},
    {
        "id": "lucky_charm",
        "name": "Lucky Charm",
        "category": "booster",
        "price_coins": 1,
        "stock": 5,
    },
    {
        "id": "star_cape",
        "name": "Star Cape",
        "category": "body",
        "price_coins": 5,
        "price_tokens": 3,
    },
    {
        "id": "elder_hat",
        "name": "Elder Hat",
        "category": "head",
        "price_coins": 1,
        "requirements": [{"operator": "min_stage", "value": 3}],
    },
]


def open_shop(client: TestClient, account: Account) -> None:  # type: ignore[type-arg]
    """Apply the preset, add the extra items to its shop and publish them."""
    apply_preset(client, account)
    draft = None
    for item in EXTRA_ITEMS:
        body = {("item_id" if k == "id" else k): v for k, v in item.items()}
        created = client.post(f"{SHOP}/items", json=body, headers=account.headers())
        assert created.status_code == 201, created.text
        draft = created.json()["config_version_id"]
    published = client.post(f"{API}/config-versions/{draft}/publish", headers=account.headers())
    assert published.status_code == 200, published.text


def credit(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
    buddy_id: str,
    amount: int,
    token_key: str | None = None,
) -> None:
    if token_key is None:
        path, body = "coins", {"amount": amount, "reason": "test"}
    else:
        path, body = "tokens", {"token_key": token_key, "amount": amount, "reason": "test"}
    response = client.post(f"{API}/buddies/{buddy_id}/{path}", json=body, headers=account.headers())
    assert response.status_code == 200, response.text


def buy(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
    buddy_id: str,
    item_id: Any,
    **headers: str,
) -> Any:
    return client.post(
        f"{API}/buddies/{buddy_id}/purchase-item",
        json={"item_id": item_id},
        headers={**account.headers(), **headers},
    )


def buddy(client: TestClient, account: Account, buddy_id: str) -> dict[str, Any]:  # type: ignore[type-arg]
    response = client.get(f"{API}/buddies/{buddy_id}", headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error
