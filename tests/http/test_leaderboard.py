"""``GET /analytics``, the seed's "Get leaderboard", over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.container import Container
from interfaces.http.consistency import VIEW_LAG_HEADER
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy

URL = "/api/v1/analytics"


def credit(client: TestClient, account: Account, buddy_id: str, amount: int) -> None:
    response = client.post(
        f"/api/v1/buddies/{buddy_id}/coins",
        json={"amount": amount, "reason": "test"},
        headers=account.headers(),
    )
    assert response.status_code == 200, response.text


def board(
    client: TestClient, account: Account, credential: str | None = None, **query: Any
) -> dict:
    response = client.get(URL, params=query, headers=account.headers(credential))
    assert response.status_code == 200, response.text
    assert VIEW_LAG_HEADER.lower() not in response.headers
    return dict(response.json())


def ranked(body: dict) -> list[tuple[int, str, int]]:
    return [(e["rank"], e["buddy_id"], e["value"]) for e in body["data"]]


@pytest.fixture
def buddies(client: TestClient, account: Account) -> list[str]:
    """Four buddies: the second earns 50 coins, the first and then the third 30, the last none."""
    apply_preset(client, account)
    ids = [hatch_buddy(client, account) for _ in range(4)]
    for index, amount in ((1, 50), (0, 30), (2, 30)):
        credit(client, account, ids[index], amount)
    return ids


def test_the_top_buddies_ranked_with_ties_in_the_order_they_were_reached(
    client: TestClient, account: Account, buddies: list[str]
) -> None:
    first, second, third, idle = buddies
    body = board(client, account)
    assert ranked(body) == [(1, second, 50), (2, first, 30), (3, third, 30)]
    assert body["metric"] == "coins_earned" and body["window"] == "all_time"
    assert body["total"] == 3 and body["period_start"] is None and body["period_end"] is None
    entry = body["data"][0]
    assert set(entry) == {"rank", "buddy_id", "user_id", "name", "evolution_stage", "value"}
    assert entry["evolution_stage"] == 1 and entry["user_id"].startswith("user_")
    assert "buddy" not in body

    weekly = board(client, account, window="weekly", limit=2)
    assert ranked(weekly) == ranked(body)[:2] and weekly["total"] == 3
    assert weekly["period_start"] < weekly["period_end"]
    assert ranked(board(client, account, window="monthly")) == ranked(body)

    stages = board(client, account, metric="stage")
    assert [e["buddy_id"] for e in stages["data"]] == buddies  # all at 1: hatch order
    assert {e["value"] for e in stages["data"]} == {1}

    around = board(client, account, buddy_id=third, limit=1)
    assert around["buddy"]["buddy_id"] == third and len(around["data"]) == 1
    assert (around["buddy"]["rank"], around["buddy"]["value"]) == (3, 30)
    neighbours = [(e["rank"], e["buddy_id"]) for e in around["buddy"]["neighbors"]]
    assert neighbours == [(1, second), (2, first)]
    unranked = board(client, account, buddy_id=idle)["buddy"]
    assert unranked == {"buddy_id": idle, "rank": None, "value": 0, "neighbors": []}


def test_xp_ranks_the_progression_token_and_only_the_tenant_sees_it(
    client: TestClient, account: Account, other_account: Account, buddies: list[str]
) -> None:
    idle = buddies[3]
    slots = client.get(f"/api/v1/buddies/{idle}", headers=account.headers()).json()["token_slots"]
    for slot, amount in (("primary", 500), ("progression", 12)):
        response = client.post(
            f"/api/v1/buddies/{idle}/tokens",
            json={"token_key": slots[slot], "amount": amount, "reason": "test"},
            headers=account.headers(),
        )
        assert response.status_code == 200, response.text
    assert ranked(board(client, account, metric="xp")) == [(1, idle, 12)]

    assert board(client, other_account)["data"] == []
    assert board(client, account, account.test_key)["data"] == []
    for credential in (other_account.live_key, account.test_key):
        foreign = client.get(URL, params={"buddy_id": idle}, headers=account.headers(credential))
        assert foreign.status_code == 404
        assert foreign.json()["error"]["code"] == "resource_not_found"
    publishable = client.post(
        "/api/v1/auth/publishable-keys", json={}, headers=account.headers(account.token)
    ).json()["key"]
    assert len(board(client, account, publishable)["data"]) == 3


def test_concurrent_credits_all_count(client: TestClient, account: Account) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)

    def attempt(amount: int) -> int:
        response = client.post(
            f"/api/v1/buddies/{buddy_id}/coins",
            json={"amount": amount, "reason": "race"},
            headers=account.headers(),
        )
        assert response.status_code == 200, response.text
        return amount

    with ThreadPoolExecutor(max_workers=8) as pool:
        earned = sum(pool.map(attempt, range(1, 21)))
    balance = client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers()).json()["coins"]
    assert earned == sum(range(1, 21)) and balance == earned
    assert ranked(board(client, account)) == [(1, buddy_id, earned)]


BAD_QUERIES = [
    ({"metric": "coins"}, 422, "validation_failed"),
    ({"window": "daily"}, 422, "validation_failed"),
    ({"limit": "0"}, 422, "validation_failed"),
    ({"limit": "101"}, 422, "validation_failed"),
    ({"limit": "ten"}, 422, "validation_failed"),
    ({"at": "yesterday"}, 422, "validation_failed"),
    ({"buddy_id": "bdy_nope"}, 404, "resource_not_found"),
    ({"buddy_id": "egg_00000000000000000000000000000000"}, 404, "resource_not_found"),
]


def test_bad_parameters_are_refused(client: TestClient, account: Account) -> None:
    for query, status, code in BAD_QUERIES:
        response = client.get(URL, params=query, headers=account.headers())
        assert response.status_code == status, (query, response.text)
        assert response.json()["error"]["code"] == code
    assert client.get(URL).status_code == 401


def test_a_view_that_falls_behind_is_served_with_its_lag(
    client: TestClient,
    account: Account,
    container: Container,
    buddies: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = board(client, account)
    monkeypatch.setattr("interfaces.container.READ_CONSISTENCY_TIMEOUT_SECONDS", 0.05)
    [runner] = [f for f in container.followers if f.name == "leaderboard"]
    runner.stop()
    credit(client, account, buddies[3], 99)

    response = client.get(URL, headers=account.headers())

    assert response.status_code == 200
    assert int(response.headers[VIEW_LAG_HEADER]) >= 1
    assert ranked(response.json()) == ranked(before)
    # Only the stopped view is late: once the eggs view has caught up (however slow the
    # machine), its list carries no lag header even under the 50 ms bound.
    assert container.views.wait_for(("eggs",), container.store.head(), 60)
    eggs = client.get("/api/v1/eggs", headers=account.headers())
    assert VIEW_LAG_HEADER.lower() not in eggs.headers
