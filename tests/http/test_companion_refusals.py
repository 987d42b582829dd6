"""Every refusal the companion and history routes answer is in the OpenAPI document.

Each case provokes one refusal over HTTP and checks that the operation documents the code
under the status it was answered with, so an SDK generated from the document knows it.
"""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from interfaces.http.errors import STATUS_BY_CODE
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, wait_for_operation

Case = tuple[str, str, str, dict[str, Any], str]
"""method, path template, the path, the request's other arguments, the code it answers"""


def documented(document: dict[str, Any], method: str, template: str) -> dict[str, str]:
    responses = document["paths"][f"/api/v1{template}"][method.lower()]["responses"]
    return {status: response["description"] for status, response in responses.items()}


def cases(client: TestClient, account: Account) -> list[Case]:
    headers = account.headers()
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    buddy = f"/buddies/{buddy_id}"
    slots = client.get(f"/api/v1{buddy}", headers=headers).json()["token_slots"]
    credit = {"amount": 500, "reason": "t"}
    assert client.post(f"/api/v1{buddy}/coins", json=credit, headers=headers).status_code == 200
    bought = client.post(f"/api/v1{buddy}/items", json={"item_id": "quill"}, headers=headers)
    assert bought.status_code == 200, bought.text
    equip = client.patch(f"/api/v1{buddy}/equipped-items", json={"item_ids": []}, headers=headers)
    operation_id = equip.json()["operation_id"]
    wait_for_operation(client, account, operation_id)
    archived_id = hatch_buddy(client, account)
    archived = f"/buddies/{archived_id}"
    assert client.patch(f"/api/v1{archived}/archive", headers=headers).status_code == 200
    publishable = client.post(
        "/api/v1/auth/publishable-keys", json={}, headers=account.headers(account.token)
    ).json()["key"]
    readable = {"headers": account.headers(publishable)}
    secret = {"headers": headers}
    spend = {"amount": 10_000, "reason": "t"}
    spend_progression = {"amount": 1, "reason": "t", "token_key": slots["progression"]}
    five = {"item_ids": ["a", "b", "c", "d", "e"]}
    return [
        ("GET", "/buddies", "/buddies", {}, "unauthorized"),
        ("GET", "/buddies", "/buddies", {"params": {"cursor": "nope"}, **readable}, "bad_request"),
        ("GET", "/buddies/{buddy_id}", f"{buddy}?as_of=2000-01-01T00:00:00Z", secret,
         "resource_not_found"),
        ("PATCH", "/buddies/{buddy_id}", archived, {"json": {"name": "x"}, **secret},
         "invalid_state_transition"),
        ("PATCH", "/buddies/{buddy_id}/archive", f"{archived}/archive", secret,
         "invalid_state_transition"),
        ("POST", "/buddies/{buddy_id}/evolve", f"{buddy}/evolve", secret, "evolution_not_ready"),
        ("POST", "/buddies/{buddy_id}/evolve", f"{archived}/evolve", secret,
         "invalid_state_transition"),
        ("PATCH", "/buddies/{buddy_id}/equipped-items", f"{buddy}/equipped-items",
         {"json": {"item_ids": ["reading_glasses"]}, **secret}, "item_not_owned"),
        ("PATCH", "/buddies/{buddy_id}/equipped-items", f"{buddy}/equipped-items",
         {"json": five, **secret}, "too_many_items"),
        ("PATCH", "/buddies/{buddy_id}/skills", f"{buddy}/skills",
         {"json": {"skills": {"nope": 1}}, **secret}, "validation_failed"),
        ("POST", "/buddies/{buddy_id}/coins", f"{buddy}/coins", {"json": credit, **readable},
         "publishable_key_scope"),
        ("POST", "/buddies/{buddy_id}/coins", f"{archived}/coins", {"json": credit, **secret},
         "invalid_state_transition"),
        ("POST", "/buddies/{buddy_id}/coins/spend", f"{buddy}/coins/spend",
         {"json": spend, **secret}, "insufficient_balance"),
        ("POST", "/buddies/{buddy_id}/coins/spend", f"{buddy}/coins/spend",
         {"json": spend_progression, **secret}, "progression_not_spendable"),
        ("POST", "/buddies/{buddy_id}/tokens", f"{buddy}/tokens",
         {"json": {"token_key": "nope", "amount": 1, "reason": "t"}, **secret},
         "validation_failed"),
        ("POST", "/buddies/{buddy_id}/badges", f"{buddy}/badges",
         {"json": {"badge_key": "nope"}, **secret}, "resource_not_found"),
        ("POST", "/buddies/{buddy_id}/items", f"{buddy}/items",
         {"json": {"item_id": "quill"}, **secret}, "item_already_owned"),
        ("POST", "/buddies/{buddy_id}/appearance/rerender", f"{archived}/appearance/rerender",
         secret, "invalid_state_transition"),
        ("GET", "/buddies/{buddy_id}/timeline", f"{buddy}/timeline",
         {"params": {"kind": "nope"}, **secret}, "bad_request"),
        ("GET", "/buddies/{buddy_id}/timeline", f"{buddy}/timeline", readable,
         "publishable_key_scope"),
        ("GET", "/buddies/{buddy_id}/evolutions", "/buddies/bdy_nope/evolutions", readable,
         "resource_not_found"),
        ("GET", "/economy/buddies/{buddy_id}/ledger", f"/economy{buddy}/ledger",
         {"params": {"cursor": "nope"}, **secret}, "bad_request"),
        ("GET", "/operations", "/operations", {"params": {"limit": 0}, **readable},
         "validation_failed"),
        ("GET", "/operations/{operation_id}", "/operations/op_nope", readable,
         "resource_not_found"),
        ("POST", "/operations/{operation_id}/cancel", f"/operations/{operation_id}/cancel",
         secret, "invalid_state_transition"),
        ("GET", "/assets/{name}", f"/assets/{'0' * 64}.svg", {}, "resource_not_found"),
        ("POST", "/stage-assets/upload-url", "/stage-assets/upload-url",
         {"json": {"content_type": "text/html"}, **secret}, "validation_failed"),
        ("PUT", "/stage-assets/uploads/{token}", "/stage-assets/uploads/nope",
         {"content": b"<svg/>", "headers": {"Content-Type": "image/svg+xml"}},
         "unauthorized"),
        ("PUT", "/stage-assets/{stage}", "/stage-assets/9", {"json": {"upload_id": "x"}, **secret},
         "validation_failed"),
        ("POST", "/stage-assets/{stage}/regenerate", "/stage-assets/2/regenerate",
         {"json": {"seed": "x"}, **secret}, "validation_failed"),
        ("DELETE", "/stage-assets/{stage}", "/stage-assets/2", secret, "resource_not_found"),
        ("GET", "/stage-assets", "/stage-assets", readable, "publishable_key_scope"),
    ]  # fmt: skip


def test_every_refusal_answered_is_documented(client: TestClient, account: Account) -> None:
    document = client.get("/api/v1/openapi.json").json()
    undocumented = []
    for method, template, path, arguments, code in cases(client, account):
        response = client.request(method, f"/api/v1{path}", **arguments)
        assert response.status_code == STATUS_BY_CODE[code], (method, path, response.text)
        assert response.json()["error"]["code"] == code, (method, path, response.text)
        description = documented(document, method, template).get(str(response.status_code), "")
        if f"`{code}`" not in description:
            undocumented.append((method, template, response.status_code, code))
    assert undocumented == []
