"""Audiences over HTTP (issue 15, decision 0041): ``PATCH /customers/me/audiences`` on Pro,
events and eggs without an audience or with an unknown one refused, an audience buddies
belong to kept, the plan's limit, tenant isolation and credentials."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import TestClient

from domain.shared.ids import parse_public_id
from infrastructure.shared.settings import Settings
from interfaces.container import Container
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, wait_for_operation
from tests.http.peers import app_client

API = "/api/v1"
AUDIENCES = f"{API}/customers/me/audiences"
TWO = {
    "audiences": [
        {"key": "student", "brief": "Learners taking lessons"},
        {"key": "teacher", "brief": "Teachers running classes"},
    ]
}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


def on_pro(container: Container, account: Account) -> None:
    customer_id = parse_public_id("customer", account.customer_id)
    container.accounts.change_plan(customer_id, "pro", None, {"by": "test"})


def event(client: TestClient, account: Account, **extra: Any) -> Any:
    body = {"event_id": f"evt_{uuid.uuid4().hex}", "user_id": "u1", "type": "quiz_passed"}
    return client.post(f"{API}/events", json={**body, **extra}, headers=account.headers())


def hatch(client: TestClient, account: Account, user_id: str, audience: str) -> str:
    h = account.headers()
    egg = client.post(f"{API}/eggs", json={"user_id": user_id, "audience": audience}, headers=h)
    assert egg.status_code == 201, egg.text
    egg_id = egg.json()["egg_id"]
    ready = client.patch(f"{API}/eggs/{egg_id}/status", json={"status": "ready"}, headers=h)
    assert ready.status_code == 200, ready.text
    hatched = client.post(f"{API}/eggs/{egg_id}/hatch", headers=h)
    operation = wait_for_operation(client, account, hatched.json()["operation_id"])
    return str(operation["result"]["buddy_id"])


def test_audiences_are_a_pro_feature_and_replace_the_list(
    client: TestClient, container: Container, account: Account
) -> None:
    apply_preset(client, account)
    locked = client.patch(AUDIENCES, json=TWO, headers=account.headers())
    error_of(locked, 402, "plan_feature_locked")
    on_pro(container, account)
    answer = client.patch(AUDIENCES, json=TWO, headers=account.headers())
    assert answer.status_code == 200, answer.text
    assert answer.json() == TWO
    me = client.get(f"{API}/customers/me", headers=account.headers()).json()
    assert me["settings"]["audiences"] == TWO["audiences"]
    # Pro allows three.
    four = {"audiences": [{"key": f"a{i}", "brief": "x"} for i in range(4)]}
    error_of(
        client.patch(AUDIENCES, json=four, headers=account.headers()), 422, "validation_failed"
    )


def test_bad_bodies_are_refused_and_change_nothing(
    client: TestClient, container: Container, account: Account
) -> None:
    on_pro(container, account)
    for bad in (
        {"audiences": [{"key": "Student", "brief": "x"}]},
        {"audiences": [{"key": "student"}]},
        {"audiences": [{"key": "student", "brief": ""}]},
        {"audiences": [{"key": "student", "brief": "x", "colour": "red"}]},
        {"audiences": [{"key": "student", "brief": "x"}, {"key": "student", "brief": "y"}]},
        {},
    ):
        error_of(
            client.patch(AUDIENCES, json=bad, headers=account.headers()), 422, "validation_failed"
        )
    me = client.get(f"{API}/customers/me", headers=account.headers()).json()
    assert "audiences" not in me["settings"]


def test_with_two_audiences_events_and_eggs_must_name_a_known_one(
    client: TestClient, container: Container, account: Account
) -> None:
    apply_preset(client, account)
    # No audiences declared: an event may name any (the first documents did).
    assert event(client, account, audience="anyone").status_code == 200
    on_pro(container, account)
    assert client.patch(AUDIENCES, json=TWO, headers=account.headers()).status_code == 200
    missing = error_of(event(client, account), 400, "missing_audience")
    assert missing["details"]["audiences"] == ["student", "teacher"]
    unknown = error_of(event(client, account, audience="parent"), 400, "unknown_audience")
    assert unknown["details"]["audience"] == "parent"
    assert event(client, account, audience="student").status_code == 200
    batch = client.post(
        f"{API}/events/batch",
        json={
            "events": [
                {"event_id": "evt_b1", "user_id": "u1", "type": "quiz_passed"},
                {
                    "event_id": "evt_b2",
                    "user_id": "u1",
                    "type": "quiz_passed",
                    "audience": "teacher",
                },
            ]
        },
        headers=account.headers(),
    ).json()["results"]
    assert [r["status"] for r in batch] == ["rejected", "accepted"]
    assert batch[0]["error"]["code"] == "missing_audience"
    # Refused events are not recorded.
    error_of(
        client.get(f"{API}/events/evt_b1", headers=account.headers()), 404, "resource_not_found"
    )
    h = account.headers()
    error_of(client.post(f"{API}/eggs", json={"user_id": "u9"}, headers=h), 400, "missing_audience")
    error_of(
        client.post(f"{API}/eggs", json={"user_id": "u9", "audience": "x"}, headers=h),
        400,
        "unknown_audience",
    )


def test_an_audience_buddies_belong_to_cannot_be_removed(
    client: TestClient, container: Container, account: Account, other_account: Account
) -> None:
    apply_preset(client, account)
    on_pro(container, account)
    on_pro(container, other_account)
    assert client.patch(AUDIENCES, json=TWO, headers=account.headers()).status_code == 200
    hatch(client, account, "u1", "teacher")
    only_students = {"audiences": TWO["audiences"][:1]}
    refused = client.patch(AUDIENCES, json=only_students, headers=account.headers())
    assert error_of(refused, 409, "audience_in_use")["details"]["audience"] == "teacher"
    me = client.get(f"{API}/customers/me", headers=account.headers()).json()
    assert me["settings"]["audiences"] == TWO["audiences"]
    # Removing the unused one is fine; another tenant's buddies are not ours.
    only_teachers = {"audiences": TWO["audiences"][1:]}
    assert client.patch(AUDIENCES, json=only_teachers, headers=account.headers()).status_code == 200
    theirs = client.patch(AUDIENCES, json={"audiences": []}, headers=other_account.headers())
    assert theirs.status_code == 200 and theirs.json() == {"audiences": []}


def test_credentials(client: TestClient, container: Container, account: Account) -> None:
    on_pro(container, account)
    publishable = client.post(
        f"{API}/auth/publishable-keys", json={}, headers=account.headers(account.token)
    ).json()["key"]
    refused = client.patch(AUDIENCES, json=TWO, headers=account.headers(publishable))
    assert refused.status_code == 403, refused.text
    assert client.patch(AUDIENCES, json=TWO).status_code == 401


def test_one_buddy_per_user_and_audience_and_events_reach_their_audience_only(
    client: TestClient, container: Container, account: Account
) -> None:
    apply_preset(client, account)
    on_pro(container, account)
    assert client.patch(AUDIENCES, json=TWO, headers=account.headers()).status_code == 200
    student = hatch(client, account, "u1", "student")
    teacher = hatch(client, account, "u1", "teacher")
    second = client.post(
        f"{API}/eggs", json={"user_id": "u1", "audience": "student"}, headers=account.headers()
    )
    assert error_of(second, 409, "conflict")["details"]["buddy_id"] == student
    answer = event(client, account, audience="teacher").json()
    assert [b["buddy_id"] for b in answer["effects"]["buddies"]] == [teacher]
    assert answer["effects"]["coins"] == 15
    h = account.headers()
    student_coins = client.get(f"{API}/buddies/{student}", headers=h).json()
    teacher_coins = client.get(f"{API}/buddies/{teacher}", headers=h).json()
    assert (student_coins["coins"], teacher_coins["coins"]) == (0, 15)


def test_a_widget_event_counts_for_its_buddys_audience(
    client: TestClient, container: Container, account: Account
) -> None:
    apply_preset(client, account)
    on_pro(container, account)
    assert client.patch(AUDIENCES, json=TWO, headers=account.headers()).status_code == 200
    # A coin rule only for teachers, published before the buddy hatches (so it is pinned).
    rule = {"event_type": "quiz_passed", "amount": 7, "audience": "teacher", "id": "teachers_bonus"}
    draft = client.post(f"{API}/coin-rules", json=rule, headers=account.headers())
    assert draft.status_code == 201, draft.text
    version = draft.json()["config_version_id"]
    published = client.post(f"{API}/config-versions/{version}/publish", headers=account.headers())
    assert published.status_code == 200, published.text
    buddy_id = hatch(client, account, "u1", "teacher")
    session = client.post(
        f"{API}/widget-sessions",
        json={"buddy_id": buddy_id, "scopes": ["read", "events:track"]},
        headers=account.headers(),
    ).json()
    tracked = client.post(
        f"{API}/widget/track",
        json={"type": "quiz_passed"},
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["effects"]["coins"] == 15 + 7
    assert "warnings" not in tracked.json()


def test_a_guard_never_reads_an_eggs_view_that_is_behind(settings: Settings) -> None:
    """Removing an audience is allowed by what the eggs view holds: when that view has not
    applied every write (no follower runs in this process), the change is refused with 503
    and nothing changes, rather than judged on a view that may miss an egg (decision 0047)."""
    with app_client(settings, run_followers=False, embedded_worker=False) as (client, container):
        account = register_account(client)
        on_pro(container, account)
        refused = client.patch(AUDIENCES, json=TWO, headers=account.headers())
        assert error_of(refused, 503, "service_unavailable")["details"]["views"] == ["eggs"]
        me = client.get(f"{API}/customers/me", headers=account.headers()).json()
        assert not me["settings"].get("audiences")
