"""The companion and history routes since they answer typed Structs instead of dicts.

``companion_wire_shapes.json`` was recorded from the routes as they were before (dicts):
for each answer of one walk through every route, its status, content type and shape (every
key, nested ones too, and the JSON type of each value, ``NoneType`` for ``null``). A Struct
that adds, drops or renames a key, or turns a ``null`` into a missing key, fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from interfaces.http.pagination import encode_cursor
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, satisfy_next_stage, wait_for_operation

SHAPES = Path(__file__).parent.parent / "fixtures" / "companion_wire_shapes.json"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'
)


def shape(value: Any) -> Any:
    """Keys and value types, the first item standing for a list."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def path_of(url: str) -> str:
    return urlsplit(url).path


def walk(client: TestClient, account: Account) -> dict[str, Any]:
    """Every converted route once, in an order that gives each answer something to show."""
    headers = account.headers()
    seen: dict[str, Any] = {}

    def record(name: str, response: Any) -> Any:
        body = response.json() if response.content else None
        seen[name] = [response.status_code, response.headers.get("content-type"), shape(body)]
        return body

    apply_preset(client, account)
    user_id = "user_shapes"
    buddy_id = hatch_buddy(client, account, user_id)
    base = f"/api/v1/buddies/{buddy_id}"
    record("evolution_unmet", client.get(f"{base}/evolution", headers=headers))
    satisfy_next_stage(client, account, buddy_id)
    record("buddy", client.get(base, headers=headers))
    record("list", client.get("/api/v1/buddies", headers=headers))
    record("evolution", client.get(f"{base}/evolution", headers=headers))
    record("summary", client.get(f"/api/v1/buddies/users/{user_id}/summary", headers=headers))
    coins = {"amount": 500, "reason": "t"}
    record("coins", client.post(f"{base}/coins", json=coins, headers=headers))
    spend = {"amount": 5, "reason": "t"}
    record("spend", client.post(f"{base}/coins/spend", json=spend, headers=headers))
    slots = client.get(base, headers=headers).json()["token_slots"]
    tokens = {"token_key": slots["primary"], "amount": 5, "reason": "t"}
    record("tokens", client.post(f"{base}/tokens", json=tokens, headers=headers))
    record("items", client.post(f"{base}/items", json={"item_id": "quill"}, headers=headers))
    record("rename", client.patch(base, json={"name": "Bob"}, headers=headers))
    evolve = record("evolve", client.post(f"{base}/evolve", headers=headers))
    wait_for_operation(client, account, evolve["operation_id"])
    outfit = {"item_ids": ["quill"]}
    equip = record("equip", client.patch(f"{base}/equipped-items", json=outfit, headers=headers))
    operation = f"/api/v1/operations/{equip['operation_id']}"
    wait_for_operation(client, account, equip["operation_id"])
    record("operation", client.get(operation, headers=headers))
    rerender = client.post(f"{base}/appearance/rerender", headers=headers)
    wait_for_operation(client, account, record("rerender", rerender)["operation_id"])
    record("operations", client.get("/api/v1/operations?limit=1", headers=headers))
    ledger = f"/api/v1/economy/buddies/{buddy_id}/ledger?limit=2"
    record("ledger", client.get(ledger, headers=headers))
    record("timeline", client.get(f"{base}/timeline?limit=3", headers=headers))
    record("evolutions", client.get(f"{base}/evolutions", headers=headers))
    image = path_of(record("buddy_dressed", client.get(base, headers=headers))["image_url"])
    picture = client.get(image)
    seen["asset"] = [picture.status_code, picture.headers["content-type"], sorted(picture.headers)]
    again = client.get(image, headers={"If-None-Match": picture.headers["etag"]})
    seen["asset_unchanged"] = [again.status_code, again.content.decode()]
    record("stage_assets", client.get("/api/v1/stage-assets", headers=headers))
    upload_url = client.post(
        "/api/v1/stage-assets/upload-url", json={"content_type": "image/svg+xml"}, headers=headers
    )
    issued = record("upload_url", upload_url)
    svg = {"Content-Type": "image/svg+xml"}
    record("upload", client.put(path_of(issued["upload_url"]), content=SVG, headers=svg))
    commit = {"upload_id": issued["upload_id"]}
    record("commit", client.put("/api/v1/stage-assets/2", json=commit, headers=headers))
    regenerate = client.post("/api/v1/stage-assets/3/regenerate", json={}, headers=headers)
    record("regenerate", regenerate)
    record("remove", client.delete("/api/v1/stage-assets/3", headers=headers))
    record("cancel_finished", client.post(f"{operation}/cancel", headers=headers))
    record("archive", client.patch(f"{base}/archive", headers=headers))
    before = client.get(f"{base}?as_of=2000-01-01T00:00:00Z", headers=headers)
    record("as_of_before_hatch", before)
    return seen


def test_the_typed_routes_answer_the_json_the_untyped_ones_did(
    client: TestClient, account: Account
) -> None:
    assert walk(client, account) == json.loads(SHAPES.read_text(encoding="utf-8"))


@pytest.fixture
def ledger(client: TestClient, account: Account) -> str:
    """A buddy's ledger with three credits after its opening: the URL to page it."""
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    for amount in (1, 2, 3):
        credit = {"amount": amount, "reason": "t"}
        client.post(f"/api/v1/buddies/{buddy_id}/coins", json=credit, headers=account.headers())
    return f"/api/v1/economy/buddies/{buddy_id}/ledger"


NOT_A_VERSION = st.one_of(
    st.text(max_size=8),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.integers(max_value=-1),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
FIXTURES_PER_TEST = [HealthCheck.function_scoped_fixture]


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES_PER_TEST)
@given(position=NOT_A_VERSION)
def test_a_forged_ledger_cursor_is_a_bad_request(
    client: TestClient, account: Account, ledger: str, position: Any
) -> None:
    forged = client.get(
        ledger, params={"cursor": encode_cursor([position])}, headers=account.headers()
    )
    assert forged.status_code == 400, forged.text
    assert forged.json()["error"]["code"] == "bad_request"
    assert forged.json()["error"]["details"] == {"field": "cursor"}


@settings(max_examples=8, deadline=None, suppress_health_check=FIXTURES_PER_TEST)
@given(limit=st.integers(min_value=1, max_value=5))
def test_paging_the_ledger_reads_every_entry_once_in_order(
    client: TestClient, account: Account, ledger: str, limit: int
) -> None:
    amounts: list[int] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get(ledger, params=params, headers=account.headers())
        assert page.status_code == 200, page.text
        amounts += [entry["amount"] for entry in page.json()["data"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert amounts == [1, 2, 3]
