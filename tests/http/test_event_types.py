"""``/event-types`` over HTTP (issue 15, decision 0041): the registry in the draft, a rename that
keeps the old key findable, refusals while rules use a type, strict mode on the published
registry, tenant isolation and credentials."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import TestClient

from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy

API = "/api/v1"


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


def publish(client: TestClient, account: Account, draft_id: str) -> None:
    published = client.post(f"{API}/config-versions/{draft_id}/publish", headers=account.headers())
    assert published.status_code == 200, published.text


def event(client: TestClient, account: Account, event_type: str) -> Any:
    body = {"event_id": f"evt_{uuid.uuid4().hex}", "user_id": "u1", "type": event_type}
    return client.post(f"{API}/events", json=body, headers=account.headers())


def test_presets_register_their_types_and_a_type_is_created_read_renamed_and_deleted(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    h = account.headers()
    listed = client.get(f"{API}/event-types", headers=h).json()
    assert listed["source"] == "published"
    assert "lesson_completed" in [t["key"] for t in listed["data"]]
    assert listed["data"][0] == {
        "id": "lesson_completed",
        "key": "lesson_completed",
        "label": None,
        "description": None,
        "former_keys": [],
    }

    created = client.post(
        f"{API}/event-types",
        json={"key": "chapter_read", "label": "Chapter read", "description": "A whole chapter"},
        headers=h,
    )
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "chapter_read" and created.json()["source"] == "draft"

    renamed = client.put(
        f"{API}/event-types/chapter_read",
        json={"key": "chapter_finished", "label": "Chapter finished"},
        headers=h,
    )
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert (body["id"], body["key"], body["former_keys"]) == (
        "chapter_read",
        "chapter_finished",
        ["chapter_read"],
    )
    assert body["description"] is None
    # The id, the new key and the old key all find it.
    for ref in ("chapter_read", "chapter_finished"):
        found = client.get(f"{API}/event-types/{ref}", headers=h)
        assert found.status_code == 200 and found.json()["key"] == "chapter_finished"
    # Renaming back takes the old name out of former_keys again.
    back = client.put(f"{API}/event-types/chapter_read", json={"key": "chapter_read"}, headers=h)
    assert back.json()["former_keys"] == ["chapter_finished"]

    deleted = client.delete(f"{API}/event-types/chapter_read", headers=h)
    assert deleted.status_code == 200 and deleted.json()["key"] == "chapter_read"
    error_of(client.get(f"{API}/event-types/chapter_read", headers=h), 404, "resource_not_found")
    # The draft still parses as a whole and publishes.
    publish(client, account, deleted.json()["config_version_id"])


def test_a_type_rules_use_is_neither_renamed_nor_deleted(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    h = account.headers()
    renamed = client.put(
        f"{API}/event-types/lesson_completed", json={"key": "lesson_done"}, headers=h
    )
    error = error_of(renamed, 409, "event_type_in_use")
    assert "coin_rules[0]" in error["details"]["used_by"]
    error_of(client.delete(f"{API}/event-types/quiz_passed", headers=h), 409, "event_type_in_use")
    # A label change is no rename: allowed.
    labelled = client.put(
        f"{API}/event-types/lesson_completed", json={"label": "Lesson completed"}, headers=h
    )
    assert labelled.status_code == 200 and labelled.json()["former_keys"] == []
    # Nothing was removed by the refusals.
    keys = [t["key"] for t in client.get(f"{API}/event-types", headers=h).json()["data"]]
    assert {"lesson_completed", "quiz_passed"} <= set(keys)


def test_bad_input_unknown_ids_duplicates_other_tenants_and_credentials(
    client: TestClient, account: Account, other_account: Account
) -> None:
    apply_preset(client, account)
    apply_preset(client, other_account)
    h = account.headers()
    for bad in (
        {"key": "Lesson Completed"},
        {},
        {"key": "ok", "label": ""},
        {"key": "ok", "extra": 1},
        {"key": "ok", "description": "x" * 501},
    ):
        error_of(client.post(f"{API}/event-types", json=bad, headers=h), 422, "validation_failed")
    error_of(
        client.post(f"{API}/event-types", json={"key": "lesson_completed"}, headers=h),
        409,
        "conflict",
    )
    error_of(
        client.put(f"{API}/event-types/quiz_passed", json={"key": "lesson_completed"}, headers=h),
        409,
        "conflict",
    )
    for method in ("GET", "PUT", "DELETE"):
        error_of(
            client.request(method, f"{API}/event-types/nope", json={}, headers=h),
            404,
            "resource_not_found",
        )
    assert client.get(f"{API}/event-types", headers=h).json()["source"] == "published"

    created = client.post(f"{API}/event-types", json={"key": "mine_only"}, headers=h)
    assert created.status_code == 201
    theirs = other_account.headers()
    error_of(client.get(f"{API}/event-types/mine_only", headers=theirs), 404, "resource_not_found")
    error_of(
        client.delete(f"{API}/event-types/mine_only", headers=theirs), 404, "resource_not_found"
    )
    assert client.get(f"{API}/event-types/mine_only", headers=h).status_code == 200

    publishable = client.post(
        f"{API}/auth/publishable-keys", json={}, headers=account.headers(account.token)
    ).json()["key"]
    for method, path in (
        ("POST", "/event-types"),
        ("PUT", "/event-types/mine_only"),
        ("DELETE", "/event-types/mine_only"),
    ):
        refused = client.request(
            method, f"{API}{path}", json={"key": "x"}, headers=account.headers(publishable)
        )
        assert refused.status_code == 403, refused.text
    assert client.get(f"{API}/event-types").status_code == 401


def test_strict_mode_accepts_only_published_registrations(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    h = account.headers()
    strict = client.patch(
        f"{API}/customers/me/settings", json={"strict_event_types": True}, headers=h
    )
    assert strict.status_code == 200, strict.text
    refused = error_of(event(client, account, "chapter_read"), 422, "event_type_not_registered")
    assert "lesson_completed" in refused["details"]["registered"]
    draft = client.post(f"{API}/event-types", json={"key": "chapter_read"}, headers=h).json()
    # Registered in the draft only: still refused until published.
    error_of(event(client, account, "chapter_read"), 422, "event_type_not_registered")
    publish(client, account, draft["config_version_id"])
    assert event(client, account, "chapter_read").status_code == 200


def test_a_typo_warns_with_the_registered_type_it_probably_meant(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    hatch_buddy(client, account, "u1")
    body = {"event_id": "evt_typo", "user_id": "u1", "type": "lesson_complete"}
    first = client.post(f"{API}/events", json=body, headers=account.headers())
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["accepted"] is True and answer["effects"]["coins"] == 0
    assert answer["warnings"] == [
        {
            "code": "event_type_not_registered",
            "message": "event type 'lesson_complete' is not registered; "
            "did you mean 'lesson_completed'?",
            "suggestion": "lesson_completed",
        }
    ]
    # Registering the type afterwards does not change what the duplicate answers.
    draft = client.post(
        f"{API}/event-types", json={"key": "lesson_complete"}, headers=account.headers()
    ).json()
    publish(client, account, draft["config_version_id"])
    again = client.post(f"{API}/events", json=body, headers=account.headers()).json()
    assert again["duplicate"] is True and again["warnings"] == answer["warnings"]
    # The event's explanations say it too.
    detail = client.get(f"{API}/events/evt_typo", headers=account.headers()).json()
    assert any("did you mean lesson_completed" in e["message"] for e in detail["explanations"])
    # A registered type, sent right, has no warnings at all.
    clean = event(client, account, "lesson_completed").json()
    assert "warnings" not in clean and clean["effects"]["coins"] == 10


def test_a_property_of_the_wrong_type_and_no_buddy_warn_in_one_and_in_a_batch(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    hatch_buddy(client, account, "u1")
    wrong = {
        "event_id": "evt_score",
        "user_id": "u1",
        "type": "lesson_completed",
        "properties": {"score": "100"},
    }
    answer = client.post(f"{API}/events", json=wrong, headers=account.headers()).json()
    assert answer["effects"]["coins"] == 10  # the base rule still fires; the bonus cannot
    assert answer["warnings"] == [
        {
            "code": "property_type_mismatch",
            "message": "rule perfect_lesson_bonus compares score with a number, and the event "
            "sent a string ('100'), so the condition cannot hold",
            "rule_id": "perfect_lesson_bonus",
            "property": "score",
            "expected_type": "number",
            "actual_type": "string",
        }
    ]
    right = client.post(
        f"{API}/events",
        json={**wrong, "event_id": "evt_score_2", "properties": {"score": 100}},
        headers=account.headers(),
    ).json()
    assert "warnings" not in right and right["effects"]["coins"] == 15

    batch = client.post(
        f"{API}/events/batch",
        json={
            "events": [
                {"event_id": "evt_nobody", "user_id": "nobody", "type": "quiz_passed"},
                {"event_id": "evt_fine", "user_id": "u1", "type": "quiz_passed"},
            ]
        },
        headers=account.headers(),
    ).json()["results"]
    assert [w["code"] for w in batch[0]["warnings"]] == ["no_active_buddy"]
    assert "warnings" not in batch[1]
