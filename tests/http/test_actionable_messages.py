"""Refusals a new integrator meets first say what to do next, not only what went wrong."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset


def hatch_a_waiting_egg(client: TestClient, account: Account) -> Any:
    apply_preset(client, account)
    egg = client.post("/api/v1/eggs", json={"user_id": "u1"}, headers=account.headers()).json()
    return client.post(f"/api/v1/eggs/{egg['egg_id']}/hatch", headers=account.headers())


def send_a_camel_case_field(client: TestClient, account: Account) -> Any:
    body = {"eventId": f"evt_{uuid.uuid4().hex}", "user_id": "u1", "type": "lesson_completed"}
    return client.post("/api/v1/events", json=body, headers=account.headers())


def register_a_private_webhook(client: TestClient, account: Account) -> Any:
    body = {"url": "http://192.168.1.20/hooks", "events": ["coins.earned"]}
    return client.post("/api/v1/webhook-configs", json=body, headers=account.headers())


def mint_a_widget_session_with_an_unknown_scope(client: TestClient, account: Account) -> Any:
    body = {"buddy_id": "bdy_unknown", "scopes": ["read", "admin"]}
    return client.post("/api/v1/widget-sessions", json=body, headers=account.headers())


def send_an_event_type_with_spaces(client: TestClient, account: Account) -> Any:
    body = {"event_id": f"evt_{uuid.uuid4().hex}", "user_id": "u1", "type": "Lesson Done"}
    return client.post("/api/v1/events", json=body, headers=account.headers())


def register_with_an_address_that_is_no_email(client: TestClient, account: Account) -> Any:
    body = {"email": "owner.example.com", "password": "correct horse", "company_name": "A"}
    return client.post("/api/v1/auth/register", json=body)


def lay_an_egg_with_an_empty_body(client: TestClient, account: Account) -> Any:
    return client.post("/api/v1/eggs", content=b"", headers=account.headers())


CASES: list[tuple[Callable[[TestClient, Account], Any], int, str, str]] = [
    (
        hatch_a_waiting_egg,
        409,
        "invalid_state_transition",
        "cannot move egg from waiting to hatching: a waiting egg is marked ready first, with "
        'PATCH /api/v1/eggs/{egg_id}/status {"status": "ready"}',
    ),
    (
        send_a_camel_case_field,
        422,
        "validation_failed",
        "property eventId should not exist; did you mean event_id?",
    ),
    (
        register_a_private_webhook,
        422,
        "validation_failed",
        "url: 192.168.1.20 is not a public address (private); receivers on a private network "
        "are refused unless the server is started with HATCHED_WEBHOOK_ALLOW_PRIVATE=true",
    ),
    (
        mint_a_widget_session_with_an_unknown_scope,
        422,
        "validation_failed",
        "scopes[1]: unknown value 'admin'; allowed: events:track, items:equip, "
        "marketplace:browse, marketplace:purchase, read",
    ),
    (
        send_an_event_type_with_spaces,
        422,
        "validation_failed",
        "type: must be 1 to 64 lowercase letters, digits, `_`, `.` or `-`, starting with a letter "
        "or a digit",
    ),
    (
        register_with_an_address_that_is_no_email,
        422,
        "validation_failed",
        "email: must be an e-mail address such as name@example.com",
    ),
    (lay_an_egg_with_an_empty_body, 422, "validation_failed", "user_id: is required"),
]


@pytest.mark.parametrize(
    ("act", "status", "code", "message"), CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_the_refusal_says_what_to_do(
    client: TestClient,
    account: Account,
    act: Callable[[TestClient, Account], Any],
    status: int,
    code: str,
    message: str,
) -> None:
    response = act(client, account)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    path_id = response.request.url.path.split("/")[-2]  # the egg's id in .../eggs/{id}/hatch
    assert error["message"] == message.replace("{egg_id}", path_id)
