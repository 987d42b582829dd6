"""Token gates over HTTP: editing them in the draft, unlocking once, listing unlocks, and the
typed token balances (decision 0035)."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy
from tests.http.widget_flow import WidgetBuddy, bearer, error_of, mint_embed, mint_session

# The language-learning preset's slots: stars (primary, spendable) and xp (progression).
PRIMARY, PROGRESSION = "stars", "xp"
GATE = {"token_key": PRIMARY, "cost": 30, "metadata": {"feature": "advanced_mode", "tier": 2}}


@dataclass
class World:
    client: TestClient  # type: ignore[type-arg]
    account: Account
    buddy_id: str

    @property
    def headers(self) -> dict[str, str]:
        return self.account.headers()

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=kwargs.pop("headers", self.headers))

    def put_gate(self, key: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(f"/api/v1/gates/{key}", json=body, headers=headers or self.headers)

    def unlock(self, key: str, buddy_id: str | None = None, **headers: str) -> Any:
        path = f"/api/v1/buddies/{buddy_id or self.buddy_id}/gates/{key}/unlock"
        return self.client.post(path, headers={**self.headers, **headers})

    def credit(self, amount: int, token_key: str = PRIMARY, buddy_id: str | None = None) -> None:
        body = {"token_key": token_key, "amount": amount, "reason": "test"}
        path = f"/api/v1/buddies/{buddy_id or self.buddy_id}/tokens"
        assert self.client.post(path, json=body, headers=self.headers).status_code == 200

    def publish(self) -> str:
        draft = self.get("/gates").json()
        assert draft["source"] == "draft", draft
        version = draft["config_version_id"]
        path = f"/api/v1/config-versions/{version}/publish"
        assert self.client.post(path, headers=self.headers).status_code == 200
        return str(version)

    def balance(self, buddy_id: str | None = None) -> int:
        tokens = self.get(f"/buddies/{buddy_id or self.buddy_id}/tokens").json()
        return int(tokens["primary"]["balance"])

    def spent_on_gates(self) -> list[dict[str, Any]]:
        entries = self.get(f"/economy/buddies/{self.buddy_id}/ledger?limit=100").json()["data"]
        return [e for e in entries if e["direction"] == "debit"]


def make_world(client: TestClient, account: Account) -> World:  # type: ignore[type-arg]
    apply_preset(client, account)
    return World(client, account, hatch_buddy(client, account))


@pytest.fixture
def world(client: TestClient, account: Account) -> World:  # type: ignore[type-arg]
    return make_world(client, account)


@pytest.fixture
def open_gate(world: World) -> World:
    """``advanced_mode`` (30 stars) published, and 100 stars on the buddy."""
    assert world.put_gate("advanced_mode", GATE).status_code == 200
    world.publish()
    world.credit(100)
    return world


def publishable_key(client: TestClient, account: Account) -> str:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/auth/publishable-keys", json={}, headers=account.headers(account.token)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


# -- /gates ------------------------------------------------------------------------------


def test_put_creates_a_gate_in_the_draft_and_again_replaces_it(world: World) -> None:
    created = world.put_gate("advanced_mode", GATE)
    assert created.status_code == 200, created.text
    body = created.json()
    assert {k: body[k] for k in ("gate_key", "token_key", "cost", "metadata")} == {
        "gate_key": "advanced_mode",
        **GATE,
    }
    assert body["source"] == "draft"

    again = world.put_gate("advanced_mode", GATE)
    assert again.json() == body
    changed = world.put_gate("advanced_mode", {"token_key": PRIMARY, "cost": 45})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["cost"], changed.json()["metadata"]) == (45, {})
    assert world.put_gate("export_pdf", {"token_key": PRIMARY, "cost": 5}).status_code == 200

    listed = world.get("/gates").json()
    assert listed["source"] == "draft"
    assert listed["config_version_id"] == body["config_version_id"]
    assert [(g["gate_key"], g["cost"]) for g in listed["data"]] == [
        ("advanced_mode", 45),
        ("export_pdf", 5),
    ]


def test_gates_reach_the_published_version_only_when_the_draft_is_published(
    world: World,
) -> None:
    assert world.get("/gates").json()["data"] == []
    world.put_gate("advanced_mode", GATE)
    version = world.publish()
    listed = world.get("/gates").json()
    assert (listed["source"], listed["config_version_id"]) == ("published", version)
    assert [g["gate_key"] for g in listed["data"]] == ["advanced_mode"]
    document = world.get(f"/config-versions/{version}").json()["document"]
    assert document["gates"] == [{"gate_key": "advanced_mode", **GATE}]


def test_delete_removes_a_gate_from_the_draft(world: World) -> None:
    world.put_gate("advanced_mode", GATE)
    world.put_gate("export_pdf", {"token_key": PRIMARY, "cost": 5})
    deleted = world.client.delete("/api/v1/gates/advanced_mode", headers=world.headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["gate_key"] == "advanced_mode"
    assert [g["gate_key"] for g in world.get("/gates").json()["data"]] == ["export_pdf"]
    again = world.client.delete("/api/v1/gates/advanced_mode", headers=world.headers)
    assert error_of(again) == (404, "resource_not_found")


BAD_GATES: list[tuple[str, str, Any, str]] = [
    ("unknown field", "advanced_mode", {**GATE, "price": 3}, "price"),
    ("gate_key in the body", "advanced_mode", {**GATE, "gate_key": "other"}, "gate_key"),
    ("cost as a string", "advanced_mode", {**GATE, "cost": "30"}, "cost"),
    ("cost as a float", "advanced_mode", {**GATE, "cost": 30.5}, "cost"),
    ("cost zero", "advanced_mode", {**GATE, "cost": 0}, "cost"),
    ("cost negative", "advanced_mode", {**GATE, "cost": -5}, "cost"),
    ("cost too high", "advanced_mode", {**GATE, "cost": 1_000_001}, "cost"),
    ("progression token", "advanced_mode", {**GATE, "token_key": PROGRESSION}, "token_key"),
    ("unknown token", "advanced_mode", {**GATE, "token_key": "gems"}, "token_key"),
    ("coins", "advanced_mode", {**GATE, "token_key": "coins"}, "token_key"),
    ("token_key missing", "advanced_mode", {"cost": 30}, "token_key"),
    ("metadata a list", "advanced_mode", {**GATE, "metadata": [1, 2]}, "metadata"),
    ("metadata a string", "advanced_mode", {**GATE, "metadata": "{}"}, "metadata"),
    ("metadata too big", "advanced_mode", {**GATE, "metadata": {"x": "y" * 5000}}, "metadata"),
    ("key not snake_case", "Advanced-Mode", GATE, "gate_key"),
    ("key too long", "k" * 65, GATE, "gate_key"),
]


@pytest.mark.parametrize(
    ("key", "body", "field"), [c[1:] for c in BAD_GATES], ids=[c[0] for c in BAD_GATES]
)
def test_a_bad_gate_is_refused_naming_its_field_and_changes_nothing(
    world: World, key: str, body: Any, field: str
) -> None:
    world.put_gate("kept", {"token_key": PRIMARY, "cost": 1})
    before = world.get("/gates").json()
    refused = world.put_gate(key, body)
    assert error_of(refused) == (422, "validation_failed"), refused.text
    assert field in [f["field"] for f in refused.json()["error"]["details"]["fields"]]
    assert world.get("/gates").json() == before


def test_a_primary_token_change_is_refused_while_gates_cost_the_old_one(world: World) -> None:
    world.put_gate("advanced_mode", GATE)
    slot = {"primary": {"token_key": "gems", "label": "Gems"}}
    refused = world.client.post("/api/v1/token-config", json=slot, headers=world.headers)
    assert error_of(refused) == (422, "validation_failed"), refused.text
    fields = [f["field"] for f in refused.json()["error"]["details"]["fields"]]
    assert fields == ["gates[0].token_key"]


# -- unlocking ---------------------------------------------------------------------------


def test_an_unlock_debits_the_cost_once_and_a_repeat_writes_nothing(open_gate: World) -> None:
    world = open_gate
    first = world.unlock("advanced_mode")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["already_unlocked"] is False
    assert body["gate"] == {"gate_key": "advanced_mode", **GATE}
    unlock = body["unlock"]
    assert (unlock["buddy_id"], unlock["gate_key"]) == (world.buddy_id, "advanced_mode")
    assert (unlock["token_key"], unlock["cost"]) == (PRIMARY, 30)
    assert world.balance() == 70
    [debit] = world.spent_on_gates()
    assert debit["ledger_entry_id"] == unlock["ledger_entry_id"]
    assert (debit["currency"], debit["amount"], debit["reason"]) == (
        PRIMARY,
        30,
        "gate:advanced_mode",
    )

    repeat = world.unlock("advanced_mode")
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == {**body, "already_unlocked": True}
    assert world.balance() == 70
    assert len(world.spent_on_gates()) == 1


def test_too_little_balance_is_refused_with_balance_and_required(world: World) -> None:
    world.put_gate("advanced_mode", GATE)
    world.publish()
    world.credit(29)
    refused = world.unlock("advanced_mode")
    assert error_of(refused) == (400, "insufficient_balance"), refused.text
    details = refused.json()["error"]["details"]
    assert (details["balance"], details["required"]) == (29, 30)
    assert world.balance() == 29
    assert world.get(f"/buddies/{world.buddy_id}/unlocks").json()["data"] == []
    world.credit(1)
    assert world.unlock("advanced_mode").json()["already_unlocked"] is False
    assert world.balance() == 0


def test_an_unknown_gate_or_one_only_in_the_draft_is_not_found(open_gate: World) -> None:
    world = open_gate
    assert error_of(world.unlock("no_such_gate")) == (404, "resource_not_found")
    world.put_gate("draft_only", {"token_key": PRIMARY, "cost": 1})
    assert error_of(world.unlock("draft_only")) == (404, "resource_not_found")
    assert world.balance() == 100


def test_an_archived_buddy_cannot_unlock(open_gate: World) -> None:
    world = open_gate
    archived = world.client.patch(
        f"/api/v1/buddies/{world.buddy_id}/archive", headers=world.headers
    )
    assert archived.status_code == 200
    assert error_of(world.unlock("advanced_mode")) == (409, "invalid_state_transition")
    assert world.spent_on_gates() == []


def swapped_slots(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its two token keys swapped: the old progression token is primary."""
    swapped = copy.deepcopy(document)
    tokens = swapped["token_config"]
    old_primary, old_progression = tokens["primary"], tokens["progression"]
    tokens["primary"] = {**old_progression, "max_balance": None}
    tokens["progression"] = {k: v for k, v in old_primary.items() if k != "max_balance"}
    swapped["gates"] = [{"gate_key": "advanced_mode", "token_key": PROGRESSION, "cost": 1}]
    return swapped


def publish_document(world: World, document: dict[str, Any]) -> None:
    created = world.client.post(
        "/api/v1/config-versions", json={"document": document}, headers=world.headers
    )
    assert created.status_code == 201, created.text
    version = created.json()["config_version_id"]
    published = world.client.post(
        f"/api/v1/config-versions/{version}/publish", headers=world.headers
    )
    assert published.status_code == 200, published.text


def test_a_gate_in_the_buddys_progression_token_is_never_spent(world: World) -> None:
    """The published version makes xp primary; the buddy, pinned to the version before,
    holds xp as its progression token, which is earn-only."""
    world.credit(50, PROGRESSION)
    version = world.get(f"/buddies/{world.buddy_id}").json()["config_version_id"]
    document = world.get(f"/config-versions/{version}").json()["document"]
    publish_document(world, swapped_slots(document))
    refused = world.unlock("advanced_mode")
    assert error_of(refused) == (400, "progression_not_spendable"), refused.text
    tokens = world.get(f"/buddies/{world.buddy_id}/tokens").json()
    assert tokens["progression"]["balance"] == 50


def test_a_gate_in_a_token_the_wallet_lacks_asks_for_a_migration(world: World) -> None:
    version = world.get(f"/buddies/{world.buddy_id}").json()["config_version_id"]
    document = world.get(f"/config-versions/{version}").json()["document"]
    other = copy.deepcopy(document)
    other["token_config"]["primary"]["token_key"] = "gems"
    other["gates"] = [{"gate_key": "advanced_mode", "token_key": "gems", "cost": 1}]
    publish_document(world, other)
    world.credit(10)
    refused = world.unlock("advanced_mode")
    assert error_of(refused) == (409, "config_version_mismatch"), refused.text
    assert refused.json()["error"]["details"]["token_key"] == "gems"
    assert world.balance() == 10


def test_an_idempotency_key_replays_the_first_answer(open_gate: World) -> None:
    world = open_gate
    first = world.unlock("advanced_mode", **{"Idempotency-Key": "unlock-1"})
    replay = world.unlock("advanced_mode", **{"Idempotency-Key": "unlock-1"})
    assert first.status_code == replay.status_code == 200
    assert replay.headers.get("idempotency-replayed") == "true"
    assert replay.json() == first.json()
    assert replay.json()["already_unlocked"] is False
    assert world.balance() == 70


def test_twenty_parallel_unlocks_of_one_gate_debit_once(open_gate: World) -> None:
    world = open_gate
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: world.unlock("advanced_mode"), range(20)))
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers][:3]
    fresh = [a for a in answers if not a.json()["already_unlocked"]]
    assert len(fresh) == 1
    assert {a.json()["unlock"]["ledger_entry_id"] for a in answers} == {
        fresh[0].json()["unlock"]["ledger_entry_id"]
    }
    assert world.balance() == 70
    assert len(world.spent_on_gates()) == 1


# -- listing unlocks and balances ---------------------------------------------------------


def test_unlocks_lists_this_buddys_gates_oldest_first_a_page_at_a_time(open_gate: World) -> None:
    world = open_gate
    world.put_gate("export_pdf", {"token_key": PRIMARY, "cost": 5})
    world.publish()
    other_buddy = hatch_buddy(world.client, world.account)
    world.credit(10, buddy_id=other_buddy)
    assert world.unlock("export_pdf", buddy_id=other_buddy).status_code == 200
    assert world.unlock("export_pdf").status_code == 200
    assert world.unlock("advanced_mode").status_code == 200

    first = world.get(f"/buddies/{world.buddy_id}/unlocks?limit=1").json()
    assert [(u["gate_key"], u["cost"], u["token_key"]) for u in first["data"]] == [
        ("export_pdf", 5, PRIMARY)
    ]
    assert first["next_cursor"]
    rest = world.get(f"/buddies/{world.buddy_id}/unlocks?cursor={first['next_cursor']}").json()
    assert [u["gate_key"] for u in rest["data"]] == ["advanced_mode"]
    assert rest["next_cursor"] is None
    assert all(u["buddy_id"] == world.buddy_id for u in first["data"] + rest["data"])
    theirs = world.get(f"/buddies/{other_buddy}/unlocks").json()["data"]
    assert [u["gate_key"] for u in theirs] == ["export_pdf"]


def test_unlocks_refuses_a_bad_cursor_or_limit(world: World) -> None:
    path = f"/buddies/{world.buddy_id}/unlocks"
    assert error_of(world.get(f"{path}?cursor=nope")) == (400, "bad_request")
    assert error_of(world.get(f"{path}?limit=0")) == (422, "validation_failed")


def test_tokens_are_typed_by_slot_with_labels_balances_and_lifetime(open_gate: World) -> None:
    world = open_gate
    world.credit(7, PROGRESSION)
    world.unlock("advanced_mode")
    tokens = world.get(f"/buddies/{world.buddy_id}/tokens").json()
    assert tokens == {
        "buddy_id": world.buddy_id,
        "primary": {"key": PRIMARY, "label": "Stars", "balance": 70, "lifetime": 100},
        "progression": {"key": PROGRESSION, "label": "XP", "balance": 7, "lifetime": 7},
    }


# -- isolation and credentials -------------------------------------------------------------


def test_another_tenants_buddy_and_gate_are_not_found(
    open_gate: World,
    client: TestClient,  # type: ignore[type-arg]
    other_account: Account,
) -> None:
    world = open_gate
    theirs = make_world(client, other_account)
    assert theirs.put_gate("vip_only", {"token_key": PRIMARY, "cost": 1}).status_code == 200
    theirs.publish()
    theirs.credit(10)

    assert error_of(theirs.unlock("advanced_mode", buddy_id=world.buddy_id)) == (
        404,
        "resource_not_found",
    )
    assert error_of(world.unlock("vip_only")) == (404, "resource_not_found")
    for path in ("unlocks", "tokens"):
        found = theirs.get(f"/buddies/{world.buddy_id}/{path}")
        assert error_of(found) == (404, "resource_not_found")
    deleted = client.delete("/api/v1/gates/advanced_mode", headers=theirs.headers)
    assert error_of(deleted) == (404, "resource_not_found")
    assert [g["gate_key"] for g in theirs.get("/gates").json()["data"]] == ["vip_only"]
    assert world.balance() == 100


def test_test_mode_sees_no_live_gates_or_buddies(open_gate: World) -> None:
    world = open_gate
    test_mode = world.account.headers(world.account.test_key)
    assert world.get("/gates", headers=test_mode).json()["data"] == []
    found = world.client.post(
        f"/api/v1/buddies/{world.buddy_id}/gates/advanced_mode/unlock", headers=test_mode
    )
    assert error_of(found) == (404, "resource_not_found")


def test_a_publishable_key_reads_balances_and_unlocks_but_writes_nothing(
    open_gate: World,
) -> None:
    world = open_gate
    key = bearer(publishable_key(world.client, world.account))
    assert world.get(f"/buddies/{world.buddy_id}/tokens", headers=key).status_code == 200
    assert world.get(f"/buddies/{world.buddy_id}/unlocks", headers=key).status_code == 200
    for response in (
        world.client.post(
            f"/api/v1/buddies/{world.buddy_id}/gates/advanced_mode/unlock", headers=key
        ),
        world.put_gate("advanced_mode", GATE, headers=key),
        world.client.delete("/api/v1/gates/advanced_mode", headers=key),
        world.client.get("/api/v1/gates", headers=key),
    ):
        assert error_of(response) == (403, "publishable_key_scope"), response.text
    assert world.balance() == 100


def test_widget_tokens_are_refused_on_gate_routes(open_gate: World) -> None:
    """A widget session or embed token is a credential for ``/widget/*`` only; elsewhere it
    is a valid credential of the wrong kind, so the answer is 403, as on every route
    (decision 0046)."""
    world = open_gate
    buddy = WidgetBuddy(world.account, world.buddy_id, "")
    for token in (
        mint_session(world.client, buddy)["token"],
        mint_embed(world.client, buddy)["token"],
    ):
        for response in (
            world.client.post(
                f"/api/v1/buddies/{world.buddy_id}/gates/advanced_mode/unlock",
                headers=bearer(token),
            ),
            world.put_gate("advanced_mode", GATE, headers=bearer(token)),
            world.client.delete("/api/v1/gates/advanced_mode", headers=bearer(token)),
        ):
            assert error_of(response) == (403, "forbidden"), response.text
    assert world.balance() == 100
    assert world.get("/gates").json()["data"][0]["cost"] == 30


def test_the_document_lists_every_refusal_these_routes_answer(world: World) -> None:
    paths = world.get("/openapi.json").json()["paths"]

    def codes(template: str, method: str) -> dict[str, str]:
        responses = paths[f"/api/v1{template}"][method]["responses"]
        return {status: r["description"] for status, r in responses.items()}

    unlock = codes("/buddies/{buddy_id}/gates/{gate_key}/unlock", "post")
    for status, code in (
        ("400", "insufficient_balance"),
        ("400", "progression_not_spendable"),
        ("403", "publishable_key_scope"),
        ("404", "resource_not_found"),
        ("409", "invalid_state_transition"),
        ("409", "config_version_mismatch"),
    ):
        assert f"`{code}`" in unlock[status], (status, code)
    put = codes("/gates/{gate_key}", "put")
    assert "`validation_failed`" in put["422"] and "`publishable_key_scope`" in put["403"]
    assert "`resource_not_found`" in codes("/gates/{gate_key}", "delete")["404"]
    assert "`bad_request`" in codes("/buddies/{buddy_id}/unlocks", "get")["400"]
    assert "200" in codes("/buddies/{buddy_id}/tokens", "get")
