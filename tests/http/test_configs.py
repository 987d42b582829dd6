"""Presets, config versions and the rule editors over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, get_args
from uuid import UUID, uuid4

import pytest
from litestar.testing import TestClient

from application.economy.wallets import open_ledger
from domain.companions.buddy import Buddy
from domain.configs.presets import PRESET_KEYS, preset_document
from domain.shared.ids import parse_public_id, public_id
from interfaces.container import Container
from interfaces.http.configs.configs import PresetKey
from tests.conftest import Account

API = "/api/v1"
LESSON_RULE = {"event_type": "lesson_completed", "amount": 25}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def apply_preset(
    client: TestClient, account: Account, key: str = "language-learning", key_kind: str = "live"
) -> dict[str, Any]:
    credential = account.live_key if key_kind == "live" else account.test_key
    response = client.post(
        f"{API}/customers/me/apply-preset", json={"preset_key": key}, headers=bearer(credential)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def versions(client: TestClient, account: Account, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"{API}/config-versions{query}", headers=account.headers())
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def version(client: TestClient, account: Account, version_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/config-versions/{version_id}", headers=account.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def edit_coin_rule(client: TestClient, account: Account, amount: int = 25) -> dict[str, Any]:
    response = client.put(
        f"{API}/coin-rules/lesson_completed",
        json={**LESSON_RULE, "amount": amount},
        headers=account.headers(),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def publish(client: TestClient, account: Account, version_id: str) -> dict[str, Any]:
    response = client.post(f"{API}/config-versions/{version_id}/publish", headers=account.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


def fields_of(response: Any) -> list[str]:
    return [f["field"] for f in error_of(response, 422, "validation_failed")["details"]["fields"]]


def hatch_buddy(
    container: Container, account: Account, config_version_id: str, mode: str = "live"
) -> UUID:
    """A buddy pinned to ``config_version_id``, written straight to the store."""
    customer_id = parse_public_id("customer", account.customer_id)
    version_uuid = parse_public_id("config_version", config_version_id)
    now = datetime.now(UTC)
    buddy = Buddy(
        id=uuid4(),
        customer_id=customer_id,
        mode=mode,
        user_id=f"user_{uuid4().hex[:6]}",
        egg_id=uuid4(),
        config_version_id=version_uuid,
        name="Pip",
        correlation_id=None,
        timestamp=now,
    )
    rulebook = container.configs.rulebook(version_uuid)
    container.store.save(buddy, open_ledger(buddy.id, customer_id, mode, rulebook, now))
    return buddy.id


def pinned_version(container: Container, buddy_id: UUID) -> str:
    buddy = container.store.find(Buddy, buddy_id)
    assert buddy is not None
    return public_id("config_version", buddy.config_version_id)


# Presets and onboarding ------------------------------------------------------------------


def test_presets_are_listed_and_shown_whole(client: TestClient, account: Account) -> None:
    listed = client.get(f"{API}/presets", headers=account.headers()).json()["data"]
    assert [p["key"] for p in listed] == list(PRESET_KEYS)
    shown = client.get(f"{API}/presets/fitness", headers=account.headers()).json()
    assert shown["key"] == "fitness" and shown["document"] == preset_document("fitness")
    error_of(
        client.get(f"{API}/presets/chess", headers=account.headers()), 404, "resource_not_found"
    )
    assert set(get_args(PresetKey)) == set(PRESET_KEYS)


def test_apply_preset_publishes_version_1_on_onboarding(
    client: TestClient, account: Account
) -> None:
    applied = apply_preset(client, account)
    assert set(applied) == {
        "config_version_id",
        "version",
        "status",
        "created_at",
        "published_at",
        "archived_at",
        "based_on",
        "document",
    }
    assert applied["config_version_id"].startswith("cfg_")
    assert (applied["version"], applied["status"], applied["based_on"]) == (1, "published", None)
    assert applied["published_at"] and applied["archived_at"] is None
    assert applied["created_at"] <= applied["published_at"]
    lesson = next(r for r in applied["document"]["coin_rules"] if r["id"] == "lesson_completed")
    assert (lesson["event_type"], lesson["amount"]) == ("lesson_completed", 10)
    assert [v["config_version_id"] for v in versions(client, account)] == [
        applied["config_version_id"]
    ]
    rules = client.get(f"{API}/coin-rules", headers=account.headers()).json()
    assert rules["source"] == "published"
    assert rules["config_version_id"] == applied["config_version_id"]


def test_apply_preset_after_publishing_replaces_the_draft_only(
    client: TestClient, account: Account
) -> None:
    first = apply_preset(client, account)
    draft = apply_preset(client, account, "fitness")
    assert (draft["status"], draft["version"]) == ("draft", None)
    assert draft["based_on"] == first["config_version_id"]
    assert draft["document"] == preset_document("fitness")
    replacement = apply_preset(client, account, "productivity")
    assert replacement["status"] == "draft"
    assert replacement["config_version_id"] != draft["config_version_id"]
    error_of(
        client.get(
            f"{API}/config-versions/{draft['config_version_id']}", headers=account.headers()
        ),
        404,
        "resource_not_found",
    )
    listed = versions(client, account)
    assert [(v["status"], v["version"]) for v in listed] == [("draft", None), ("published", 1)]
    assert version(client, account, first["config_version_id"])["document"] == preset_document(
        "language-learning"
    )


def test_unknown_preset_key_is_refused_and_changes_nothing(
    client: TestClient, account: Account
) -> None:
    for body in ({"preset_key": "chess"}, {}, {"preset_key": "fitness", "presetKey": "x"}):
        response = client.post(
            f"{API}/customers/me/apply-preset", json=body, headers=account.headers()
        )
        error_of(response, 422, "validation_failed")
    assert versions(client, account) == []


# Drafts, publishing, immutability ---------------------------------------------------------


def test_the_first_rule_edit_starts_a_draft_from_the_published_version(
    client: TestClient, account: Account
) -> None:
    v1 = apply_preset(client, account)
    edited = edit_coin_rule(client, account)
    assert edited["source"] == "draft" and edited["amount"] == 25
    draft_id = edited["config_version_id"]
    assert draft_id != v1["config_version_id"]
    draft = version(client, account, draft_id)
    assert (draft["status"], draft["based_on"]) == ("draft", v1["config_version_id"])
    expected = preset_document("language-learning")
    expected["coin_rules"][0] = {**expected["coin_rules"][0], "amount": 25, "daily_cap": None}
    assert draft["document"] == expected
    again = edit_coin_rule(client, account, amount=30)
    assert again["config_version_id"] == draft_id
    listed = client.get(f"{API}/coin-rules", headers=account.headers()).json()
    assert (listed["source"], listed["config_version_id"]) == ("draft", draft_id)
    assert version(client, account, v1["config_version_id"])["document"] == preset_document(
        "language-learning"
    )


def test_publish_makes_version_2_and_archives_version_1(
    client: TestClient, account: Account
) -> None:
    v1 = apply_preset(client, account)
    draft_id = edit_coin_rule(client, account)["config_version_id"]
    v2 = publish(client, account, draft_id)
    assert (v2["version"], v2["status"], v2["based_on"]) == (
        2,
        "published",
        v1["config_version_id"],
    )
    old = version(client, account, v1["config_version_id"])
    assert old["status"] == "archived" and old["archived_at"] and old["version"] == 1
    assert [(v["version"], v["status"]) for v in versions(client, account)] == [
        (2, "published"),
        (1, "archived"),
    ]
    assert [v["version"] for v in versions(client, account, "?status=archived")] == [1]
    assert versions(client, account, "?status=draft") == []
    error_of(
        client.get(f"{API}/config-versions?status=live", headers=account.headers()),
        400,
        "bad_request",
    )
    rules = client.get(f"{API}/coin-rules", headers=account.headers()).json()
    assert (rules["source"], rules["config_version_id"]) == ("published", draft_id)


def test_published_and_archived_versions_are_immutable(
    client: TestClient, account: Account
) -> None:
    v1 = apply_preset(client, account)
    v2 = publish(client, account, edit_coin_rule(client, account)["config_version_id"])
    other = preset_document("fitness")
    for target in (v1, v2):
        path = f"{API}/config-versions/{target['config_version_id']}"
        patched = client.patch(path, json={"document": other}, headers=account.headers())
        error_of(patched, 409, "invalid_state_transition")
        republished = client.post(f"{path}/publish", headers=account.headers())
        error_of(republished, 409, "invalid_state_transition")
        assert (
            version(client, account, target["config_version_id"])["document"] == target["document"]
        )


def test_create_draft_one_at_a_time_and_clone(client: TestClient, account: Account) -> None:
    nothing_yet = client.post(f"{API}/config-versions", json={}, headers=account.headers())
    assert nothing_yet.status_code == 201
    assert nothing_yet.json()["document"] == preset_document("custom")
    second = client.post(f"{API}/config-versions", json={}, headers=account.headers())
    assert (
        error_of(second, 409, "conflict")["details"]["draft_id"]
        == nothing_yet.json()["config_version_id"]
    )
    v1 = publish(client, account, nothing_yet.json()["config_version_id"])
    assert v1["version"] == 1
    given = client.post(
        f"{API}/config-versions",
        json={"document": preset_document("fitness")},
        headers=account.headers(),
    )
    assert given.status_code == 201 and given.json()["based_on"] is None
    v2 = publish(client, account, given.json()["config_version_id"])
    clone = client.post(
        f"{API}/config-versions/{v1['config_version_id']}/clone", headers=account.headers()
    )
    assert clone.status_code == 201
    assert clone.json()["based_on"] == v1["config_version_id"]
    assert clone.json()["document"] == preset_document("custom")
    clone_again = client.post(
        f"{API}/config-versions/{v2['config_version_id']}/clone", headers=account.headers()
    )
    error_of(clone_again, 409, "conflict")


def test_patch_revises_the_draft_and_validates_the_document(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    draft = apply_preset(client, account, "fitness")
    path = f"{API}/config-versions/{draft['config_version_id']}"
    bad = preset_document("fitness")
    bad["coin_rules"][0]["conditions"] = [{"property": "x", "operator": "approx", "value": 1}]
    bad["skill_rules"][0]["skill_key"] = "juggling"
    response = client.patch(path, json={"document": bad}, headers=account.headers())
    assert fields_of(response) == [
        "coin_rules[0].conditions[0].operator",
        "skill_rules[0].skill_key",
    ]
    for body in ({}, {"document": "nope"}, {"document": {}, "extra": 1}):
        error_of(client.patch(path, json=body, headers=account.headers()), 422, "validation_failed")
    assert version(client, account, draft["config_version_id"])["document"] == draft["document"]
    good = preset_document("productivity")
    revised = client.patch(path, json={"document": good}, headers=account.headers())
    assert revised.status_code == 200 and revised.json()["document"] == good


# Rule editors ----------------------------------------------------------------------------


def test_bad_rule_edits_are_refused_and_change_nothing(
    client: TestClient, account: Account
) -> None:
    v1 = apply_preset(client, account)
    h = account.headers()
    unknown_operator = client.post(
        f"{API}/coin-rules",
        json={**LESSON_RULE, "conditions": [{"property": "score", "operator": "approx"}]},
        headers=h,
    )
    assert fields_of(unknown_operator) == ["conditions[0].operator"]
    unknown_skill = client.post(
        f"{API}/skill-rules",
        json={"event_type": "quiz_passed", "skill_key": "juggling", "amount": 2},
        headers=h,
    )
    assert fields_of(unknown_skill) == ["skill_key"]
    bad_value = client.post(
        f"{API}/coin-rules",
        json={**LESSON_RULE, "conditions": [{"property": "score", "operator": "gt", "value": "x"}]},
        headers=h,
    )
    assert fields_of(bad_value) == ["conditions[0].value"]
    assert fields_of(
        client.post(f"{API}/coin-rules", json={**LESSON_RULE, "amount": 0}, headers=h)
    ) == ["amount"]
    assert fields_of(
        client.post(f"{API}/coin-rules", json={**LESSON_RULE, "eventType": "x"}, headers=h)
    ) == ["eventType"]
    assert fields_of(
        client.post(
            f"{API}/badge-definitions",
            json={
                "key": "rich",
                "name": "Rich",
                "condition": {"kind": "coin_threshold", "count": 1},
            },
            headers=h,
        )
    ) == ["condition.count", "condition.coins"]
    assert fields_of(
        client.put(f"{API}/coin-rules/quiz_passed", json={**LESSON_RULE, "id": "other"}, headers=h)
    ) == ["id"]
    duplicate = client.post(f"{API}/coin-rules", json={**LESSON_RULE, "id": "quiz_xp"}, headers=h)
    error_of(duplicate, 409, "conflict")
    error_of(
        client.post(
            f"{API}/badge-definitions",
            json={"key": "scholar", "name": "Again", "condition": {"kind": "stage", "stage": 2}},
            headers=h,
        ),
        409,
        "conflict",
    )
    error_of(
        client.put(f"{API}/coin-rules/nope", json=LESSON_RULE, headers=h), 404, "resource_not_found"
    )
    error_of(client.delete(f"{API}/skill-rules/nope", headers=h), 404, "resource_not_found")
    error_of(client.get(f"{API}/badge-definitions/nope", headers=h), 404, "resource_not_found")
    assert [v["config_version_id"] for v in versions(client, account)] == [v1["config_version_id"]]
    assert version(client, account, v1["config_version_id"])["document"] == preset_document(
        "language-learning"
    )


def test_coin_and_skill_rules_are_created_replaced_and_deleted(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    h = account.headers()
    created = client.post(
        f"{API}/coin-rules",
        json={
            **LESSON_RULE,
            "conditions": [{"property": "level", "operator": "in", "value": ["b1", "b2"]}],
            "multiplier": 2,
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["id"] == "lesson_completed_2" and rule["multiplier"] == 2.0
    assert client.get(f"{API}/coin-rules/lesson_completed_2", headers=h).json()["amount"] == 25
    deleted = client.delete(f"{API}/coin-rules/lesson_completed_2", headers=h)
    assert deleted.status_code == 200 and deleted.json()["id"] == "lesson_completed_2"
    ids = [r["id"] for r in client.get(f"{API}/coin-rules", headers=h).json()["data"]]
    assert "lesson_completed_2" not in ids and "lesson_completed" in ids
    skill_rule = client.post(
        f"{API}/skill-rules",
        json={
            "id": "reading",
            "event_type": "lesson_completed",
            "skill_key": "grammar",
            "amount": 3,
        },
        headers=h,
    )
    assert skill_rule.status_code == 201 and skill_rule.json()["skill_key"] == "grammar"
    replaced = client.put(
        f"{API}/skill-rules/reading",
        json={"event_type": "lesson_completed", "skill_key": "speaking", "amount": 4},
        headers=h,
    )
    assert (replaced.json()["id"], replaced.json()["skill_key"]) == ("reading", "speaking")


def test_badges_skill_set_and_token_slots(client: TestClient, account: Account) -> None:
    apply_preset(client, account)
    h = account.headers()
    badge = client.post(
        f"{API}/badge-definitions",
        json={
            "key": "polyglot",
            "name": "Polyglot",
            "condition": {"kind": "skill_level", "skill_key": "speaking", "level": 2},
            "coin_reward": 40,
        },
        headers=h,
    )
    assert badge.status_code == 201, badge.text
    assert badge.json()["condition"] == {"kind": "skill_level", "skill_key": "speaking", "level": 2}
    assert client.get(f"{API}/badge-definitions/polyglot", headers=h).json()["coin_reward"] == 40

    sets = client.get(f"{API}/skill-sets", headers=h).json()
    assert [s["id"] for s in sets["data"]] == ["default"]
    added = client.post(
        f"{API}/skill-sets", json={"skills": [{"key": "reading", "name": "Reading"}]}, headers=h
    )
    assert added.status_code == 201
    assert [s["key"] for s in added.json()["skills"]][-1] == "reading"
    error_of(
        client.post(
            f"{API}/skill-sets", json={"skills": [{"key": "reading", "name": "R"}]}, headers=h
        ),
        409,
        "conflict",
    )
    error_of(client.get(f"{API}/skill-sets/other", headers=h), 404, "resource_not_found")
    in_use = client.delete(f"{API}/skill-sets/default", headers=h)
    assert "skill_rules[0].skill_key" in fields_of(in_use)
    assert len(client.get(f"{API}/skill-sets/default", headers=h).json()["skills"]) == 5

    before = client.get(f"{API}/token-config", headers=h).json()
    upserted = client.post(
        f"{API}/token-config",
        json={"primary": {"token_key": "gems", "label": "Gems", "max_balance": None}},
        headers=h,
    )
    assert upserted.status_code == 200, upserted.text
    primary = upserted.json()["primary"]
    assert (primary["token_key"], primary["max_balance"]) == ("gems", None)
    assert primary["earn_rules"] == before["primary"]["earn_rules"]
    assert upserted.json()["progression"] == before["progression"]
    clash = client.post(
        f"{API}/token-config", json={"progression": {"token_key": "gems", "label": "G"}}, headers=h
    )
    assert fields_of(clash) == ["progression.token_key"]
    no_cap = client.post(
        f"{API}/token-config",
        json={"progression": {"token_key": "xp", "label": "XP", "max_balance": 5}},
        headers=h,
    )
    assert fields_of(no_cap) == ["progression.max_balance"]
    error_of(client.post(f"{API}/token-config", json={}, headers=h), 422, "validation_failed")


# Concurrency -----------------------------------------------------------------------------


def test_concurrent_publishes_of_one_draft_publish_it_once(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    draft_id = edit_coin_rule(client, account)["config_version_id"]
    path = f"{API}/config-versions/{draft_id}/publish"
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: client.post(path, headers=account.headers()), range(8)))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    assert [(v["version"], v["status"]) for v in versions(client, account)] == [
        (2, "published"),
        (1, "archived"),
    ]


def test_concurrent_first_edits_make_a_single_draft(client: TestClient, account: Account) -> None:
    v1 = apply_preset(client, account)

    def create(n: int) -> Any:
        body = {"id": f"bonus_{n}", "event_type": "bonus", "amount": n + 1}
        return client.post(f"{API}/coin-rules", json=body, headers=account.headers())

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(create, range(8)))
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    drafts = {r.json()["config_version_id"] for r in responses}
    assert len(drafts) == 1
    listed = versions(client, account)
    assert [v["status"] for v in listed] == ["draft", "published"]
    assert listed[0]["based_on"] == v1["config_version_id"]
    ids = {r["id"] for r in listed[0]["document"]["coin_rules"]}
    assert {f"bonus_{n}" for n in range(8)} <= ids


# Tenancy ---------------------------------------------------------------------------------


def test_another_tenants_config_version_is_not_found_everywhere(
    client: TestClient, account: Account, other_account: Account
) -> None:
    v1 = apply_preset(client, account)
    draft = apply_preset(client, account, "fitness")
    apply_preset(client, other_account)
    theirs = other_account.headers()
    for target in (v1["config_version_id"], draft["config_version_id"]):
        path = f"{API}/config-versions/{target}"
        for response in (
            client.get(path, headers=theirs),
            client.patch(path, json={"document": preset_document("custom")}, headers=theirs),
            client.post(f"{path}/clone", headers=theirs),
            client.post(f"{path}/publish", headers=theirs),
            client.get(f"{path}/impact", headers=theirs),
            client.post(f"{path}/migrate-buddies", json={"all": True}, headers=theirs),
        ):
            error_of(response, 404, "resource_not_found")
    for malformed in ("cfg_nothex", "bdy_" + "0" * 32, "whatever"):
        error_of(
            client.get(f"{API}/config-versions/{malformed}", headers=account.headers()),
            404,
            "resource_not_found",
        )
    assert version(client, account, draft["config_version_id"])["status"] == "draft"
    assert len(versions(client, other_account)) == 1


def test_live_and_test_keys_see_separate_configs(client: TestClient, account: Account) -> None:
    live = apply_preset(client, account)
    test_headers = bearer(account.test_key)
    assert client.get(f"{API}/config-versions", headers=test_headers).json()["data"] == []
    error_of(
        client.get(f"{API}/config-versions/{live['config_version_id']}", headers=test_headers),
        404,
        "resource_not_found",
    )
    test = apply_preset(client, account, "fitness", key_kind="test")
    assert (test["version"], test["status"]) == (1, "published")
    dashboard_test = {**bearer(account.token), "X-Hatched-Mode": "test"}
    listed = client.get(f"{API}/config-versions", headers=dashboard_test).json()["data"]
    assert [v["config_version_id"] for v in listed] == [test["config_version_id"]]
    assert versions(client, account)[0]["document"] == preset_document("language-learning")


def test_publishable_keys_cannot_touch_configs(client: TestClient, account: Account) -> None:
    publishable = client.post(
        f"{API}/auth/publishable-keys", json={}, headers=bearer(account.token)
    ).json()["key"]
    for response in (
        client.get(f"{API}/config-versions", headers=bearer(publishable)),
        client.post(f"{API}/coin-rules", json=LESSON_RULE, headers=bearer(publishable)),
    ):
        error_of(response, 403, "publishable_key_scope")


# Impact and migration --------------------------------------------------------------------


def test_impact_speaks_plainly_about_buddies_and_changes(
    client: TestClient, account: Account, container: Container
) -> None:
    v1 = apply_preset(client, account)
    hatch_buddy(container, account, v1["config_version_id"])
    hatch_buddy(container, account, v1["config_version_id"])
    h = account.headers()
    draft_id = edit_coin_rule(client, account)["config_version_id"]
    client.delete(f"{API}/coin-rules/quiz_passed", headers=h)
    assert client.delete(f"{API}/badge-definitions/coin_collector", headers=h).status_code == 200
    client.post(
        f"{API}/badge-definitions",
        json={"key": "bookworm", "name": "Bookworm", "condition": {"kind": "stage", "stage": 3}},
        headers=h,
    )
    assert container.wait_for_views("buddies")
    impact = client.get(f"{API}/config-versions/{draft_id}/impact", headers=h).json()
    assert impact["compared_with"]["config_version_id"] == v1["config_version_id"]
    assert impact["affects_new_buddies"] is True and impact["affects_existing_buddies"] is False
    assert impact["buddies"]["total"] == 2 and impact["buddies"]["on_this_version"] == 0
    assert impact["buddies"]["by_config_version"] == [
        {
            "config_version_id": v1["config_version_id"],
            "version": 1,
            "status": "published",
            "buddies": 2,
        }
    ]
    summary = " | ".join(impact["summary"])
    for phrase in (
        "affects new buddies",
        "does not affect existing buddies",
        "migration can be run separately on demand",
    ):
        assert phrase in summary
    assert "lesson_completed coins: 10 → 25" in impact["changes"]
    assert "new badge: bookworm" in impact["changes"]
    assert "removed badge: coin_collector" in impact["changes"]
    assert "removed coin rule: quiz_passed" in impact["changes"]


def test_migrate_buddies_to_the_published_version(
    client: TestClient, account: Account, other_account: Account, container: Container
) -> None:
    v1 = apply_preset(client, account)
    mine = [hatch_buddy(container, account, v1["config_version_id"]) for _ in range(3)]
    other_v1 = apply_preset(client, other_account)
    theirs = hatch_buddy(container, other_account, other_v1["config_version_id"])
    h = account.headers()
    draft_id = edit_coin_rule(client, account)["config_version_id"]
    path = f"{API}/config-versions/{draft_id}/migrate-buddies"
    error_of(client.post(path, json={"all": True}, headers=h), 409, "invalid_state_transition")
    publish(client, account, draft_id)
    old_path = f"{API}/config-versions/{v1['config_version_id']}/migrate-buddies"
    error_of(client.post(old_path, json={"all": True}, headers=h), 409, "invalid_state_transition")

    for body in ({}, {"all": False}, {"buddy_ids": []}, {"all": True, "buddy_ids": ["x"]}):
        error_of(client.post(path, json=body, headers=h), 422, "validation_failed")
    foreign = [public_id("buddy", mine[0]), public_id("buddy", theirs)]
    error_of(client.post(path, json={"buddy_ids": foreign}, headers=h), 404, "resource_not_found")
    assert pinned_version(container, mine[0]) == v1["config_version_id"]

    one = client.post(path, json={"buddy_ids": [public_id("buddy", mine[0])]}, headers=h).json()
    assert (one["migrated"], one["already_on_version"], one["version"]) == (1, 0, 2)
    assert pinned_version(container, mine[0]) == draft_id
    assert container.wait_for_views("buddies")
    everyone = client.post(path, json={"all": True}, headers=h).json()
    assert (everyone["migrated"], everyone["already_on_version"]) == (2, 1)
    assert {pinned_version(container, b) for b in mine} == {draft_id}
    assert pinned_version(container, theirs) == other_v1["config_version_id"]


@pytest.mark.parametrize(
    "route", ["coin-rules", "skill-rules", "badge-definitions", "streak-definitions", "skill-sets"]
)
def test_reads_without_any_config_are_empty(
    client: TestClient, account: Account, route: str
) -> None:
    listed = client.get(f"{API}/{route}", headers=account.headers()).json()
    assert listed == {"data": [], "config_version_id": None, "source": None}
