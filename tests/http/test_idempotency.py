"""``Idempotency-Key`` over HTTP (CONTRACT.md, "Idempotency"), on every backend."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from application.idempotency.idempotency import RETENTION, Idempotency
from infrastructure.shared.clock import SystemClock
from interfaces.container import Container
from tests.conftest import Account
from tests.http.asgi import call_app, http_scope
from tests.http.flow import apply_preset, hatch_buddy, send_event

REPLAYED = "idempotency-replayed"


@pytest.fixture
def buddy(client: TestClient, account: Account) -> str:
    apply_preset(client, account)
    return hatch_buddy(client, account)


def coins_of(client: TestClient, account: Account, buddy_id: str) -> int:
    return int(client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers()).json()["coins"])


def keyed(account: Account, key: str, credential: str | None = None) -> dict[str, str]:
    return {**account.headers(credential), "Idempotency-Key": key}


def credit(
    client: TestClient,
    account: Account,
    buddy_id: str,
    key: str,
    amount: int = 5,
    credential: str | None = None,
) -> httpx.Response:
    return client.post(
        f"/api/v1/buddies/{buddy_id}/coins",
        json={"amount": amount, "reason": "bonus"},
        headers=keyed(account, key, credential),
    )


def in_test_mode(account: Account) -> Account:
    """The same customer, acting through its ``hatch_test_`` key (flow helpers use live_key)."""
    return dataclasses.replace(account, live_key=account.test_key)


class ShiftedClock:
    def __init__(self, shift: timedelta) -> None:
        self.shift = shift

    def now(self) -> datetime:
        return SystemClock().now() + self.shift


def test_a_retry_replays_the_first_response_and_moves_the_balance_once(
    client: TestClient, account: Account, buddy: str
) -> None:
    key = str(uuid.uuid4())
    first = credit(client, account, buddy, key)
    assert first.status_code == 200, first.text
    assert REPLAYED not in first.headers
    again = credit(client, account, buddy, key)
    assert again.status_code == 200
    assert again.headers[REPLAYED] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.json() == first.json()
    assert again.json()["ledger_entry_id"] == first.json()["ledger_entry_id"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    # the same JSON in another key order and spacing is the same request
    reordered = client.post(
        f"/api/v1/buddies/{buddy}/coins",
        content=b'{ "reason": "bonus",  "amount": 5 }',
        headers={**keyed(account, key), "Content-Type": "application/json"},
    )
    assert reordered.status_code == 200 and reordered.headers[REPLAYED] == "true"
    assert coins_of(client, account, buddy) == 5
    ledger = client.get(
        f"/api/v1/economy/buddies/{buddy}/ledger", headers=account.headers()
    ).json()["data"]
    assert [e["amount"] for e in ledger if e["direction"] == "credit"] == [5]


def test_the_same_key_on_a_different_request_is_a_conflict(
    client: TestClient, account: Account, buddy: str
) -> None:
    assert credit(client, account, buddy, "order-1").status_code == 200
    different_requests = [
        ("POST", f"/api/v1/buddies/{buddy}/coins", {"amount": 6, "reason": "bonus"}),
        ("POST", f"/api/v1/buddies/{buddy}/coins?x=1", {"amount": 5, "reason": "bonus"}),
        ("POST", f"/api/v1/buddies/{buddy}/coins/spend", {"amount": 5, "reason": "bonus"}),
        ("PATCH", f"/api/v1/buddies/{buddy}", {"name": "Renamed"}),
    ]
    for method, url, body in different_requests:
        response = client.request(method, url, json=body, headers=keyed(account, "order-1"))
        assert response.status_code == 409, (method, url, response.text)
        error = response.json()["error"]
        assert error["code"] == "idempotency_key_conflict"
        assert "Idempotency-Key" in error["message"] and error["requestId"]
    assert coins_of(client, account, buddy) == 5
    assert client.get(f"/api/v1/buddies/{buddy}", headers=account.headers()).json()["name"] != (
        "Renamed"
    )


def test_twenty_concurrent_twins_run_once(client: TestClient, account: Account, buddy: str) -> None:
    key = f"twin-{uuid.uuid4().hex}"

    def post(_: int) -> httpx.Response:
        return credit(client, account, buddy, key, amount=7)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(post, range(20)))
    executed = [a for a in answers if a.status_code == 200 and REPLAYED not in a.headers]
    replayed = [a for a in answers if a.status_code == 200 and REPLAYED in a.headers]
    running = [a for a in answers if a.status_code == 409]
    assert len(executed) == 1, [a.text for a in answers if a.status_code != 200][:3]
    assert len(executed) + len(replayed) + len(running) == 20
    assert all(a.json()["error"]["code"] == "conflict" for a in running)
    assert all(a.json() == executed[0].json() for a in replayed)
    assert coins_of(client, account, buddy) == 7
    # once it has finished, every further twin is a replay
    late = credit(client, account, buddy, key, amount=7)
    assert late.status_code == 200 and late.headers[REPLAYED] == "true"
    assert late.json() == executed[0].json()


def test_a_failed_request_is_not_kept_and_a_corrected_retry_runs(
    client: TestClient, account: Account, buddy: str
) -> None:
    credit(client, account, buddy, "seed", amount=10)
    spend = f"/api/v1/buddies/{buddy}/coins/spend"
    too_much = {"amount": 500, "reason": "shop"}
    refused = client.post(spend, json=too_much, headers=keyed(account, "spend-1"))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "insufficient_balance"
    # the same failing request runs again (it is not replayed)...
    again = client.post(spend, json=too_much, headers=keyed(account, "spend-1"))
    assert again.status_code == 400 and REPLAYED not in again.headers
    assert again.json()["error"]["requestId"] != refused.json()["error"]["requestId"]
    # ...a malformed one is not kept either...
    invalid = client.post(spend, json={"amount": 1, "why": "x"}, headers=keyed(account, "spend-1"))
    assert invalid.status_code == 422
    # ...and the corrected request may use the key
    fixed = client.post(
        spend, json={"amount": 4, "reason": "shop"}, headers=keyed(account, "spend-1")
    )
    assert fixed.status_code == 200 and REPLAYED not in fixed.headers
    replay = client.post(
        spend, json={"amount": 4, "reason": "shop"}, headers=keyed(account, "spend-1")
    )
    assert replay.headers[REPLAYED] == "true" and replay.json() == fixed.json()
    assert coins_of(client, account, buddy) == 6


def test_keys_belong_to_a_tenant(
    client: TestClient, account: Account, other_account: Account, buddy: str
) -> None:
    assert credit(client, account, buddy, "shared-key", amount=3).status_code == 200
    # another customer sending our exact request does not get our response: it runs, and 404s
    intruder = credit(client, other_account, buddy, "shared-key", amount=3)
    assert intruder.status_code == 404 and REPLAYED not in intruder.headers
    # the key is theirs to use for anything
    apply_preset(client, other_account)
    their_buddy = hatch_buddy(client, other_account)
    theirs = credit(client, other_account, their_buddy, "shared-key", amount=9)
    assert theirs.status_code == 200 and REPLAYED not in theirs.headers
    assert coins_of(client, other_account, their_buddy) == 9
    assert coins_of(client, account, buddy) == 3
    assert credit(client, account, buddy, "shared-key", amount=3).headers[REPLAYED] == "true"


def test_live_and_test_mode_keys_are_independent(
    client: TestClient, account: Account, buddy: str
) -> None:
    test_mode = in_test_mode(account)
    apply_preset(client, test_mode)
    test_buddy = hatch_buddy(client, test_mode)
    assert credit(client, account, buddy, "mode-key", amount=2).status_code == 200
    in_test = credit(client, test_mode, test_buddy, "mode-key", amount=8)
    assert in_test.status_code == 200 and REPLAYED not in in_test.headers
    assert coins_of(client, test_mode, test_buddy) == 8 and coins_of(client, account, buddy) == 2
    # a dashboard token acts on live data unless it asks for test mode: the same tenants
    dashboard_test = {**keyed(account, "mode-key", account.token), "X-Hatched-Mode": "test"}
    replay = client.post(
        f"/api/v1/buddies/{test_buddy}/coins",
        json={"amount": 8, "reason": "bonus"},
        headers=dashboard_test,
    )
    assert replay.status_code == 200 and replay.headers[REPLAYED] == "true"
    live_replay = credit(client, account, buddy, "mode-key", amount=2, credential=account.token)
    assert live_replay.headers[REPLAYED] == "true"
    assert coins_of(client, test_mode, test_buddy) == 8 and coins_of(client, account, buddy) == 2


@pytest.mark.parametrize(
    "value",
    [b"", b"x" * 256, "caf\u00e9".encode(), b"tab\there", b"del\x7f"],
    ids=["empty", "too-long", "non-ascii", "control", "del"],
)
def test_a_malformed_key_is_refused_and_nothing_runs(
    client: TestClient, account: Account, buddy: str, value: bytes
) -> None:
    response = client.post(
        f"/api/v1/buddies/{buddy}/coins",
        json={"amount": 5, "reason": "bonus"},
        headers=[
            (b"Authorization", f"Bearer {account.live_key}".encode()),
            (b"Idempotency-Key", value),
        ],
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and "Idempotency-Key" in error["message"]
    assert error["details"]["fields"][0]["field"] == "Idempotency-Key"
    assert coins_of(client, account, buddy) == 0


def test_the_header_twice_is_refused(client: TestClient, account: Account, buddy: str) -> None:
    # the test client folds repeated headers into one; a server hands them over one by one
    body = b'{"amount": 5, "reason": "bonus"}'
    path = f"/api/v1/buddies/{buddy}/coins"
    scope = http_scope(
        "POST",
        path,
        [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {account.live_key}".encode()),
            (b"idempotency-key", b"a"),
            (b"idempotency-key", b"b"),
        ],
    )

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    sent = call_app(client, scope, receive)
    assert sent[0]["status"] == 422
    error = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["error"]
    assert error["code"] == "validation_failed" and "Idempotency-Key" in error["message"]
    assert error["details"]["fields"][0]["field"] == "Idempotency-Key"
    assert coins_of(client, account, buddy) == 0


def test_a_body_too_large_is_refused_as_usual(
    client: TestClient, account: Account, container: Container
) -> None:
    huge = b'{"user_id": "' + b"x" * container.settings.max_body_bytes + b'"}'
    response = client.post(
        "/api/v1/eggs",
        content=huge,
        headers={**keyed(account, "big"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_the_longest_key_is_accepted(client: TestClient, account: Account, buddy: str) -> None:
    assert credit(client, account, buddy, "k" * 255).status_code == 200
    assert credit(client, account, buddy, "k" * 255).headers[REPLAYED] == "true"


def test_an_expired_key_may_be_used_again(
    client: TestClient, account: Account, buddy: str, container: Container
) -> None:
    first = credit(client, account, buddy, "daily", amount=4)
    assert credit(client, account, buddy, "daily", amount=4).headers[REPLAYED] == "true"
    assert credit(client, account, buddy, "daily", amount=5).status_code == 409
    container.idempotency = Idempotency(container.store, ShiftedClock(RETENTION))
    after = credit(client, account, buddy, "daily", amount=4)
    assert after.status_code == 200 and REPLAYED not in after.headers
    assert after.json()["ledger_entry_id"] != first.json()["ledger_entry_id"]
    assert coins_of(client, account, buddy) == 8
    assert credit(client, account, buddy, "daily", amount=4).headers[REPLAYED] == "true"


def test_without_the_header_or_on_reads_nothing_changes(
    client: TestClient, account: Account, buddy: str
) -> None:
    url = f"/api/v1/buddies/{buddy}/coins"
    for _ in range(2):
        plain = client.post(url, json={"amount": 1, "reason": "x"}, headers=account.headers())
        assert plain.status_code == 200 and REPLAYED not in plain.headers
    assert coins_of(client, account, buddy) == 2
    read = client.get(f"/api/v1/buddies/{buddy}", headers=keyed(account, "read-key"))
    assert read.status_code == 200 and REPLAYED not in read.headers
    # a GET with a key neither uses it up nor needs a valid one
    bad = client.get(f"/api/v1/buddies/{buddy}", headers=keyed(account, ""))
    assert bad.status_code == 200
    assert credit(client, account, buddy, "read-key", amount=1).status_code == 200


def test_other_methods_and_routes_are_covered(
    client: TestClient, account: Account, buddy: str
) -> None:
    rename: Callable[[str], httpx.Response] = lambda name: client.patch(  # noqa: E731
        f"/api/v1/buddies/{buddy}", json={"name": name}, headers=keyed(account, "rename")
    )
    first = rename("Pip")
    assert first.status_code == 200
    assert rename("Pip").headers[REPLAYED] == "true"
    assert rename("Pop").json()["error"]["code"] == "idempotency_key_conflict"
    created = client.post("/api/v1/eggs", json={"user_id": "u-egg"}, headers=keyed(account, "egg"))
    replayed = client.post("/api/v1/eggs", json={"user_id": "u-egg"}, headers=keyed(account, "egg"))
    assert created.status_code == replayed.status_code == 201
    assert replayed.headers[REPLAYED] == "true" and replayed.json() == created.json()
    eggs = client.get("/api/v1/eggs?user_id=u-egg", headers=account.headers()).json()["data"]
    assert len(eggs) == 1


def test_events_accept_the_header_next_to_their_own_dedupe(
    client: TestClient, account: Account, buddy: str
) -> None:
    user_id = client.get(f"/api/v1/buddies/{buddy}", headers=account.headers()).json()["user_id"]
    body = {"event_id": "evt-idem", "user_id": user_id, "type": "lesson_completed"}
    first = client.post("/api/v1/events", json=body, headers=keyed(account, "evt"))
    again = client.post("/api/v1/events", json=body, headers=keyed(account, "evt"))
    assert first.status_code == again.status_code == 200
    assert again.headers[REPLAYED] == "true" and again.json() == first.json()
    # without the header, the event_id dedupe answers as before
    assert send_event(client, account, user_id)["effects"]["coins"] == 10
    plain = client.post("/api/v1/events", json=body, headers=account.headers())
    assert plain.json()["duplicate"] is True
    assert coins_of(client, account, buddy) == 20


def test_requests_without_a_tenant_or_minting_secrets_are_not_covered(
    client: TestClient, account: Account
) -> None:
    email = f"idem-{uuid.uuid4().hex[:8]}@example.com"
    register: dict[str, Any] = {"email": email, "password": "pw-long-enough!", "company_name": "A"}
    headers = {"Idempotency-Key": "signup"}
    assert client.post("/api/v1/auth/register", json=register, headers=headers).status_code == 201
    again = client.post("/api/v1/auth/register", json=register, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    # a key's secret is shown once and never stored, so minting keys is not replayed
    dashboard = keyed(account, "mint", account.token)
    one = client.post("/api/v1/auth/api-keys", json={"mode": "live"}, headers=dashboard)
    two = client.post("/api/v1/auth/api-keys", json={"mode": "live"}, headers=dashboard)
    assert one.status_code == two.status_code == 201
    assert one.json()["key"] != two.json()["key"] and REPLAYED not in two.headers
    # a bad credential is answered by the route (401), whatever the key
    bad = client.post(
        "/api/v1/eggs",
        json={"user_id": "u"},
        headers={"Authorization": "Bearer hatch_live_nope", "Idempotency-Key": ""},
    )
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
