"""``GET /customers/me/users/{user_id}/summary`` (issue 17): one end user as support sees them.

With the language-learning preset a ``lesson_completed`` earns the user's buddy 10 coins, so
the user's wallet below holds, newest first: +10 (the second lesson), +10 (the first),
+50 (a manual credit made before both).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from application.economy.wallets import ledger_id_for
from domain.economy.ledger import Ledger
from domain.shared.ids import parse_public_id
from infrastructure.shared.settings import Settings
from interfaces.container import Container, build_container
from interfaces.http.app import create_app
from interfaces.http.consistency import VIEW_LAG_HEADER
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, hatch_buddy
from tests.http.test_gates import publishable_key

PATH = "/api/v1/customers/me/users/{}/summary"


def send(client: TestClient, account: Account, user_id: str, event_id: str) -> None:  # type: ignore[type-arg]
    body = {"event_id": event_id, "user_id": user_id, "type": "lesson_completed"}
    response = client.post("/api/v1/events", json=body, headers=account.headers())
    assert response.status_code == 200, response.text


def test_a_users_buddies_events_wallet_and_no_open_operation(
    client: TestClient,
    account: Account,
    other_account: Account,  # type: ignore[type-arg]
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account, "s1")
    credited = client.post(
        f"/api/v1/buddies/{buddy_id}/coins",
        json={"amount": 50, "reason": "welcome"},
        headers=account.headers(),
    )
    assert credited.status_code == 200, credited.text
    send(client, account, "s1", "first")
    send(client, account, "s1", "second")
    send(client, account, "someone_else", "third")

    response = client.get(PATH.format("s1"), headers=account.headers())
    assert response.status_code == 200, response.text
    assert VIEW_LAG_HEADER.lower() not in response.headers
    body = response.json()
    assert body["user_id"] == "s1"
    assert [(b["buddy_id"], b["status"], b["evolution_stage"]) for b in body["buddies"]] == [
        (buddy_id, "active", 1)
    ]
    events = body["recent_events"]
    assert [(e["event_id"], e["outcome"], e["applied_to"]) for e in events] == [
        ("second", "applied", [buddy_id]),
        ("first", "applied", [buddy_id]),
    ]
    assert events[0]["effects"]["coins"] == 10
    entries = body["recent_ledger_entries"]
    assert [(e["direction"], e["currency"], e["amount"], e["balance_after"]) for e in entries] == [
        ("credit", "coins", 10, 70),
        ("credit", "coins", 10, 60),
        ("credit", "coins", 50, 50),
    ]
    assert body["pending_operations"] == []

    only_events = client.get(PATH.format("someone_else"), headers=account.headers()).json()
    assert only_events["buddies"] == [] and only_events["recent_ledger_entries"] == []
    assert [e["event_id"] for e in only_events["recent_events"]] == ["third"]

    for who, headers in [
        ("nobody", account.headers()),
        ("s1", other_account.headers()),  # another tenant's user
        ("s1", account.headers(account.test_key)),  # the same customer's other mode
    ]:
        missing = client.get(PATH.format(who), headers=headers)
        assert missing.status_code == 404, missing.text
        assert missing.json()["error"]["code"] == "resource_not_found"


def test_the_summary_needs_a_secret_credential(client: TestClient, account: Account) -> None:  # type: ignore[type-arg]
    send(client, account, "s1", "one")
    assert client.get(PATH.format("s1")).status_code == 401
    wrong = client.get(PATH.format("s1"), headers={"Authorization": "Bearer hatch_live_nope"})
    assert wrong.status_code == 401
    key = publishable_key(client, account)
    refused = client.get(PATH.format("s1"), headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 403, refused.text
    assert client.get(PATH.format("s1"), headers=account.headers(account.token)).status_code == 200


@pytest.fixture
def idle_container(settings: Settings) -> Iterator[Container]:
    """No worker consumes the queue, so an operation stays pending."""
    built = build_container(dataclasses.replace(settings, embedded_worker=False))
    yield built
    built.close()


def test_an_operation_nobody_ran_yet_is_listed(idle_container: Container) -> None:
    with TestClient(create_app(idle_container)) as client:  # type: ignore[arg-type]
        account = register_account(client)
        apply_preset(client, account)
        headers = account.headers()
        user = f"u_{uuid.uuid4().hex[:6]}"
        egg = client.post("/api/v1/eggs", json={"user_id": user}, headers=headers).json()
        ready = client.patch(
            f"/api/v1/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=headers
        )
        assert ready.status_code == 200, ready.text
        hatch = client.post(f"/api/v1/eggs/{egg['egg_id']}/hatch", headers=headers)
        assert hatch.status_code == 202, hatch.text
        body = client.get(PATH.format(user), headers=headers).json()
        assert body["buddies"] == [] and body["recent_events"] == []
        assert [
            (o["operation_id"], o["type"], o["status"], o["egg_id"])
            for o in body["pending_operations"]
        ] == [(hatch.json()["operation_id"], "hatch", "pending", egg["egg_id"])]


def test_the_newest_entries_are_found_past_a_wallets_other_events(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    """A wallet's newest events need not be entries (a token-key change after a migration):
    the summary still lists the newest entries, up to the limit, not fewer."""
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account, "w1")
    for amount in (1, 2, 3, 4):
        credited = client.post(
            f"/api/v1/buddies/{buddy_id}/coins",
            json={"amount": amount, "reason": "top-up"},
            headers=account.headers(),
        )
        assert credited.status_code == 200, credited.text
    buddy = parse_public_id("buddy", buddy_id)
    for keys in (
        {"primary": "gems_a", "progression": "xp_a"},
        {"primary": "gems_b", "progression": "xp_b"},
    ):
        ledger = container.store.find(Ledger, ledger_id_for(buddy))
        assert ledger is not None
        ledger.change_token_keys(token_keys=keys, causation={}, timestamp=container.clock.now())
        container.store.save(ledger)
    newest = container.buddies.recent_ledger_entries([buddy], 3)
    assert [entry.amount for entry in newest] == [4, 3, 2]
