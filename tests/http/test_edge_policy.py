"""The edge input policy over HTTP (decision 0017), one test per refusal of issue 11.

Run on both backends: on PostgreSQL a NUL that got through answered 500 (psycopg refuses NUL
in text parameters) or was stored and later stopped the read models.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from interfaces.container import Container
from interfaces.http.app import create_litestar
from interfaces.http.edge_policy import enforce_edge_policy
from interfaces.http.json_hygiene import MAX_DEPTH
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy
from tests.http.widget_flow import bearer, error_of, mint_session, widget_buddy
from tests.unit.test_image_checks import png

JSON = {"content-type": "application/json"}


def post_raw(
    client: TestClient, path: str, raw: bytes, headers: dict[str, str], method: str = "POST"
) -> Any:
    return client.request(method, f"/api/v1{path}", content=raw, headers={**JSON, **headers})


def fields_of(response: Any) -> list[str]:
    return [f["field"] for f in response.json()["error"]["details"]["fields"]]


def events_of(client: TestClient, account: Account) -> list[dict[str, Any]]:
    response = client.get("/api/v1/events", headers=account.headers())
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def balance_of(client: TestClient, account: Account, buddy_id: str) -> int:
    return int(client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers()).json()["coins"])


def publishable_key(client: TestClient, account: Account) -> str:
    issued = client.post(
        "/api/v1/auth/publishable-keys", json={"mode": "live"}, headers=bearer(account.token)
    )
    assert issued.status_code == 201, issued.text
    return str(issued.json()["key"])


def test_every_route_runs_the_edge_policy_and_only_the_uploads_take_raw_bytes(
    container: Container,
) -> None:
    """Litestar keeps the closest layer's ``before_request``: a controller or handler that
    declared its own would silently switch the policy off for its routes."""
    raw_body = set()
    for route in create_litestar(container).routes:
        for handler in getattr(route, "route_handlers", []):
            assert handler.resolve_before_request() is enforce_edge_policy, route.path
            if handler.opt.get("raw_body"):
                raw_body.add(route.path)
    assert raw_body == {
        "/api/v1/stage-assets/uploads/{token:str}",
        "/api/v1/marketplaces/{marketplace_id:str}/items/{item_id:str}/upload-image",
        "/api/v1/badge-definitions/upload-icon",
        # Stripe signs the exact bytes it sent: they are verified before they are parsed.
        "/api/v1/billing/webhook",
    }


# -- NUL and lone surrogates ------------------------------------------------------------------

EVENT = '{"event_id": "%s", "user_id": "%s", "type": "lesson_completed"%s}'
UNSTORABLE_EVENTS = [
    (EVENT % ("a\\u0000b", "u1", ""), "event_id"),
    (EVENT % ("e1", "u\\u0000", ""), "user_id"),
    (EVENT % ("e1", "u1", ', "properties": {"a": [1, {"b": "x\\u0000"}]}'), "properties.a[1].b"),
    (EVENT % ("e1", "u1", ', "properties": {"k\\u0000": 1}'), "properties.k\\u0000"),
    (EVENT % ("\\ud800", "u1", ""), "event_id"),
    (EVENT % ("e1", "u1\\udfff", ""), "user_id"),
    (EVENT % ("e1", "u1", ', "properties": {"s": ["ok", "\\udc00\\ud800"]}'), "properties.s[1]"),
]


@pytest.mark.parametrize(("raw", "field"), UNSTORABLE_EVENTS)
def test_an_unstorable_string_anywhere_in_an_event_is_refused_and_nothing_is_stored(
    client: TestClient, account: Account, raw: str, field: str
) -> None:
    response = post_raw(client, "/events", raw.encode(), account.headers())

    assert error_of(response) == (422, "validation_failed")
    assert fields_of(response) == [field]
    assert field in response.json()["error"]["message"]
    assert events_of(client, account) == []


def test_a_surrogate_pair_is_one_character_and_is_accepted(
    client: TestClient, account: Account
) -> None:
    raw = EVENT % ("e\\ud83d\\ude00", "u1", "")
    response = post_raw(client, "/events", raw.encode(), account.headers())
    assert response.status_code == 200, response.text
    assert response.json()["event_id"] == "e\U0001f600"


def test_a_batch_item_with_nul_refuses_the_batch_naming_the_item(
    client: TestClient, account: Account
) -> None:
    events = [{"event_id": f"e{i}", "user_id": "u1", "type": "lesson_completed"} for i in range(3)]
    events[2]["user_id"] = "u\x00"
    response = client.post(
        "/api/v1/events/batch", json={"events": events}, headers=account.headers()
    )

    assert error_of(response) == (422, "validation_failed")
    assert fields_of(response) == ["events[2].user_id"]
    assert events_of(client, account) == []


def test_nul_in_an_egg_user_id_and_a_buddy_name_is_refused(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    headers = account.headers()

    egg = client.post("/api/v1/eggs", json={"user_id": "u\x00"}, headers=headers)
    rename = client.patch(f"/api/v1/buddies/{buddy_id}", json={"name": "Bo\x00b"}, headers=headers)

    assert (error_of(egg), fields_of(egg)) == ((422, "validation_failed"), ["user_id"])
    assert (error_of(rename), fields_of(rename)) == ((422, "validation_failed"), ["name"])
    eggs = client.get("/api/v1/eggs", headers=headers).json()["data"]
    assert all("\x00" not in egg["user_id"] for egg in eggs)
    assert client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()["name"] == "Buddy"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/buddies/%00", "buddy_id"),
        ("/events/a%00b", "event_id"),
        ("/buddies/users/u%00/summary", "user_id"),
        ("/events?user_id=a%00b", "user_id"),
        ("/buddies?user_id=%00", "user_id"),
        ("/eggs?cursor=%00", "cursor"),
        ("/events?x%00=1", "x\\u0000"),
    ],
)
def test_nul_in_a_path_or_query_parameter_is_refused(
    client: TestClient, account: Account, path: str, field: str
) -> None:
    response = client.get(f"/api/v1{path}", headers=account.headers())

    assert error_of(response) == (422, "validation_failed")
    assert fields_of(response) == [field]


def test_a_stored_event_is_not_found_through_a_nul_twin_of_its_id(
    client: TestClient, account: Account
) -> None:
    stored = post_raw(client, "/events", (EVENT % ("ab", "u1", "")).encode(), account.headers())
    assert stored.status_code == 200, stored.text

    assert error_of(client.get("/api/v1/events/a%00b", headers=account.headers())) == (
        422,
        "validation_failed",
    )


def test_nul_in_the_headers_that_reach_storage(client: TestClient, account: Account) -> None:
    body = {"event_id": "e1", "user_id": "u1", "type": "lesson_completed"}
    keyed = client.post(
        "/api/v1/events", json=body, headers={**account.headers(), "Idempotency-Key": "k\x00"}
    )
    traced = client.get(
        "/api/v1/events", headers={**account.headers(), "X-Request-Id": "req\x00id"}
    )

    assert error_of(keyed) == (422, "validation_failed")
    assert fields_of(keyed) == ["Idempotency-Key"]
    assert traced.status_code == 200
    assert traced.json()["data"] == []
    assert "\x00" not in traced.headers["x-request-id"]


# -- item 2: nesting depth ------------------------------------------------------------------


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def test_deep_json_is_400_on_a_public_route_not_500(client: TestClient) -> None:
    response = post_raw(client, "/auth/register", b'{"email":' + nested(1000) + b"}", {})

    assert error_of(response) == (400, "malformed_json")
    assert str(MAX_DEPTH) in response.json()["error"]["message"]
    assert response.json()["error"]["details"] == {"max_depth": MAX_DEPTH}


def test_very_deep_json_never_reaches_a_decoder(client: TestClient, account: Account) -> None:
    for path in ("/auth/login", "/events", "/events/batch", "/config-versions"):
        response = post_raw(client, path, nested(200_000), account.headers())
        assert error_of(response) == (400, "malformed_json"), path


def test_the_depth_bound_is_exact(client: TestClient, account: Account) -> None:
    """The event object is level 1 and ``properties`` level 2, so ``MAX_DEPTH - 2`` arrays
    inside it reach the bound exactly."""

    def event(event_id: str, arrays: int) -> bytes:
        inner = nested(arrays).decode()
        return (EVENT % (event_id, "u1", f', "properties": {{"p": {inner}}}')).encode()

    at_bound = post_raw(client, "/events", event("e1", MAX_DEPTH - 2), account.headers())
    past_it = post_raw(client, "/events", event("e2", MAX_DEPTH - 1), account.headers())

    assert at_bound.status_code == 200, at_bound.text
    assert error_of(past_it) == (400, "malformed_json")


def test_brackets_inside_strings_do_not_count_as_depth(
    client: TestClient, account: Account
) -> None:
    tricky = '[[[[\\"\\\\' * 100
    body = {"event_id": "e1", "user_id": "u1", "type": "x", "properties": {"s": tricky}}
    response = client.post("/api/v1/events", json=body, headers=account.headers())
    assert response.status_code == 200, response.text
    stored = client.get("/api/v1/events/e1", headers=account.headers()).json()
    assert stored["properties"]["s"] == tricky


# -- item 6: the credential before the body --------------------------------------------------


def test_no_credential_is_401_whatever_the_body(client: TestClient) -> None:
    bodies: list[tuple[bytes, dict[str, str]]] = [
        (b"{}", JSON),
        (b'{"event_id": 1}', JSON),
        (b"{not json", JSON),
        (nested(5000), JSON),
        (b'{"a": 1, "a": 2}', JSON),
        (b'{"a": "\\u0000"}', JSON),
        (b"event_id=1", {"content-type": "application/x-www-form-urlencoded"}),
        (b"x" * 2_000_000, JSON),
    ]
    for raw, headers in bodies:
        response = client.post("/api/v1/events", content=raw, headers=headers)
        assert error_of(response) == (401, "unauthorized"), raw[:20]
        assert "event_id" not in response.text


def test_a_credential_of_the_wrong_kind_is_refused_before_the_body(
    client: TestClient, account: Account
) -> None:
    publishable = bearer(publishable_key(client, account))
    secret_on_dashboard_route = post_raw(
        client, "/auth/api-keys", b'{"mode": 1, "mode": 2}', account.headers()
    )
    publishable_on_events = post_raw(client, "/events", b"{}", publishable)
    api_key_on_widget_route = post_raw(client, "/widget/track", nested(1000), account.headers())

    assert error_of(secret_on_dashboard_route)[0] == 403
    assert error_of(publishable_on_events) == (403, "publishable_key_scope")
    assert error_of(api_key_on_widget_route) == (403, "forbidden")


def test_a_widget_token_is_checked_before_the_body(client: TestClient, account: Account) -> None:
    buddy = widget_buddy(client, account)
    session = mint_session(client, buddy)

    no_token = post_raw(client, "/widget/track", b'{"type": 1}', {})
    good_token = post_raw(client, "/widget/track", b'{"type": 1}', bearer(session["token"]))

    assert error_of(no_token) == (401, "unauthorized")
    assert no_token.headers["access-control-allow-origin"] == "*"
    assert error_of(good_token) == (422, "validation_failed")


# -- item 7: JSON only ------------------------------------------------------------------------

EVENT_BODY = json.dumps({"event_id": "e1", "user_id": "u1", "type": "lesson_completed"})
NOT_JSON = [
    {"content-type": "text/plain"},
    {"content-type": "application/x-www-form-urlencoded"},
    {"content-type": "multipart/form-data; boundary=xyz"},
    {"content-type": "application/xml"},
    {"content-type": "text/json"},
    {"content-type": "application/json; charset=latin-1"},
    {},
]


@pytest.mark.parametrize("headers", NOT_JSON, ids=lambda h: h.get("content-type", "none"))
def test_a_body_that_is_not_labelled_json_is_415_and_not_applied(
    client: TestClient, account: Account, headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/events", content=EVENT_BODY, headers={**account.headers(), **headers}
    )

    assert error_of(response) == (415, "unsupported_media_type")
    assert response.json()["error"]["details"]["accepted"] == [
        "application/json",
        "application/*+json",
    ]
    assert events_of(client, account) == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON; charset=UTF-8",
        "application/vnd.hatched+json",
    ],
)
def test_json_media_types_are_accepted(
    client: TestClient, account: Account, content_type: str
) -> None:
    response = client.post(
        "/api/v1/events",
        content=EVENT_BODY,
        headers={**account.headers(), "content-type": content_type},
    )
    assert response.status_code == 200, response.text


def test_a_blank_body_needs_no_content_type(client: TestClient, account: Account) -> None:
    for raw in (b"", b"  \n"):
        response = client.post("/api/v1/events", content=raw, headers=account.headers())
        assert error_of(response) == (422, "validation_failed")
        assert fields_of(response) == ["event_id"]
    settings = client.patch("/api/v1/customers/me/settings", headers=account.headers())
    assert settings.status_code == 200, settings.text


def test_the_stage_art_upload_still_takes_an_image(client: TestClient, account: Account) -> None:
    issued = client.post(
        "/api/v1/stage-assets/upload-url",
        json={"content_type": "image/png"},
        headers=account.headers(),
    ).json()
    path = urlsplit(issued["upload_url"]).path

    response = client.put(path, content=png(4, 4), headers={"Content-Type": "image/png"})

    assert response.status_code == 200, response.text
    assert response.json()["content_type"] == "image/png"


# -- item 8: duplicate keys -------------------------------------------------------------------


def test_a_repeated_key_is_refused_and_credits_nothing(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    raw = b'{"amount": 1, "reason": "x", "amount": 500}'

    response = post_raw(client, f"/buddies/{buddy_id}/coins", raw, account.headers())

    assert error_of(response) == (422, "validation_failed")
    assert fields_of(response) == ["amount"]
    assert "duplicate" in response.json()["error"]["message"]
    assert balance_of(client, account, buddy_id) == 0


def test_a_repeated_key_deep_inside_is_named_with_its_path(
    client: TestClient, account: Account
) -> None:
    raw = EVENT % ("e1", "u1", ', "properties": {"a": [{"b": 1, "c": 2, "\\u0062": 3}]}')
    response = post_raw(client, "/events", raw.encode(), account.headers())

    assert error_of(response) == (422, "validation_failed")
    assert fields_of(response) == ["properties.a[0].b"]
    assert events_of(client, account) == []


# -- numbers a store cannot hold --------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["18446744073709551616", "9223372036854775808", "1e400", "-1e999"]
)
def test_a_number_no_store_can_hold_is_422_not_500(
    client: TestClient, account: Account, number: str
) -> None:
    raw = EVENT % ("e1", "u1", f', "properties": {{"n": {number}}}')
    response = post_raw(client, "/events", raw.encode(), account.headers())

    assert error_of(response) == (422, "validation_failed")
    assert fields_of(response) == ["properties.n"]
    assert events_of(client, account) == []


def test_the_largest_storable_integer_is_kept(client: TestClient, account: Account) -> None:
    raw = EVENT % (
        "e1",
        "u1",
        ', "properties": {"n": 9223372036854775807, "m": -9223372036854775808}',
    )
    response = post_raw(client, "/events", raw.encode(), account.headers())
    assert response.status_code == 200, response.text
    stored = client.get("/api/v1/events/e1", headers=account.headers()).json()["properties"]
    assert stored == {"n": 2**63 - 1, "m": -(2**63)}
