"""``/skill-decay-rules`` over HTTP: the draft section, preview, history and run-now, with a
clock the test moves (decision 0037)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from infrastructure.persistence.rebuild import Rebuilder
from infrastructure.shared.settings import Settings
from interfaces.container import Adapters, Container, build_container
from projections.registry import all_projections
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy
from tests.receiver import Received, Receiver

API = "/api/v1"
RULES = f"{API}/skill-decay-rules"


class MovableClock:
    """Real time until a test moves it forward by whole days."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, days: float) -> None:
        with self._lock:
            self._offset += timedelta(days=days)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, webhook_allow_private=True)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def container(settings: Settings, clock: MovableClock) -> Iterator[Container]:
    built = build_container(settings, replace(Adapters.for_settings(settings), clock=clock))
    yield built
    built.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def publish_rule(client: TestClient, account: Account, **fields: Any) -> dict[str, Any]:
    """Apply the language-learning preset, add an active decay rule, publish the draft."""
    apply_preset(client, account)
    body = {"skill_key": "vocabulary", "cadence": "daily", "amount": 5, "active": True, **fields}
    created = client.post(RULES, json=body, headers=account.headers())
    assert created.status_code == 201, created.text
    rule = created.json()
    published = client.post(
        f"{API}/config-versions/{rule['config_version_id']}/publish", headers=account.headers()
    )
    assert published.status_code == 200, published.text
    return dict(rule)


def set_skill(client: TestClient, account: Account, buddy_id: str, value: int) -> None:
    response = client.patch(
        f"{API}/buddies/{buddy_id}/skills",
        json={"skills": {"vocabulary": value}},
        headers=account.headers(),
    )
    assert response.status_code == 200, response.text


def skill_value(client: TestClient, account: Account, buddy_id: str, **query: str) -> int:
    buddy = client.get(f"{API}/buddies/{buddy_id}", params=query, headers=account.headers())
    assert buddy.status_code == 200, buddy.text
    return int(buddy.json()["skills"]["vocabulary"]["value"])


def run_now(client: TestClient, account: Account) -> dict[str, Any]:
    response = client.post(f"{RULES}/run-now", headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_rule_is_created_off_in_the_draft_and_nothing_decays_until_it_is_published(
    client: TestClient, account: Account, clock: MovableClock
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    set_skill(client, account, buddy_id, 60)
    body = {"skill_key": "vocabulary", "cadence": "daily", "amount": 5}
    created = client.post(RULES, json=body, headers=account.headers())
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule == {
        "id": "decay_vocabulary",
        "skill_key": "vocabulary",
        "cadence": "daily",
        "amount": 5,
        "floor_level": 0,
        "grace_days": 0,
        "apply_only_above": None,
        "audience": "default",
        "active": False,
        "config_version_id": rule["config_version_id"],
        "source": "draft",
    }
    turned_on = client.put(
        f"{RULES}/decay_vocabulary", json={**body, "active": True}, headers=account.headers()
    )
    assert turned_on.status_code == 200, turned_on.text
    assert turned_on.json()["active"] is True
    listed = client.get(RULES, headers=account.headers()).json()
    assert [r["id"] for r in listed["data"]] == ["decay_vocabulary"]
    assert listed["source"] == "draft"

    clock.advance(days=3)
    assert run_now(client, account)["decays_applied"] == 0  # the buddy's version has none
    assert skill_value(client, account, buddy_id) == 60


def test_each_missed_period_decays_once_and_a_second_run_applies_nothing(
    client: TestClient, account: Account, clock: MovableClock, receiver: Receiver
) -> None:
    hook = {"url": receiver.url, "events": ["skill.decayed"]}
    assert client.post(f"{API}/webhook-configs", json=hook, headers=account.headers()).is_success
    rule = publish_rule(client, account)
    buddy_id = hatch_buddy(client, account)
    set_skill(client, account, buddy_id, 60)

    clock.advance(days=3.5)  # two whole UTC days after the day it was practised, at least
    first = run_now(client, account)
    periods = [d["period"] for d in first["decays"]]
    assert first["decays_applied"] == len(periods) >= 2
    assert len(set(periods)) == len(periods) and periods == sorted(periods)
    values = [(d["previous_value"], d["new_value"]) for d in first["decays"]]
    assert values[0][0] == 60 and all(after == before - 5 for before, after in values)
    assert {d["buddy_id"] for d in first["decays"]} == {buddy_id}
    decayed = 60 - 5 * len(periods)
    assert skill_value(client, account, buddy_id) == decayed

    again = run_now(client, account)
    assert again == {"buddies_checked": 1, "decays_applied": 0, "decays": []}
    assert skill_value(client, account, buddy_id) == decayed

    history = client.get(f"{RULES}/{rule['id']}/history?limit=1", headers=account.headers())
    assert history.status_code == 200, history.text
    page = history.json()
    assert page["data"][0]["period"] == periods[-1]  # newest first
    assert page["data"][0]["user_id"] and page["next_cursor"]
    rest = client.get(
        f"{RULES}/{rule['id']}/history?cursor={page['next_cursor']}", headers=account.headers()
    ).json()
    assert [r["period"] for r in rest["data"]] == list(reversed(periods[:-1]))
    assert rest["next_cursor"] is None

    timeline = client.get(
        f"{API}/buddies/{buddy_id}/timeline?kind=skill", headers=account.headers()
    ).json()
    decays = [e for e in timeline["data"] if e["type"] == "SkillDecayed"]
    assert len(decays) == len(periods)
    assert decays[0]["causation"]["rule_id"] == rule["id"]

    received = receiver.wait_for(lambda got: len(_decayed(got)) >= len(periods))
    payloads = [json.loads(r.body) for r in _decayed(received)]
    assert sorted(p["period"] for p in payloads) == periods
    assert {p["buddy_id"] for p in payloads} == {buddy_id}
    assert payloads[0]["skill_key"] == "vocabulary" and payloads[0]["request_id"]


def _decayed(received: list[Received]) -> list[Received]:
    return [r for r in received if r.event == "skill.decayed"]


def test_decay_stops_at_the_floor_and_as_of_shows_the_value_before(
    client: TestClient, account: Account, clock: MovableClock
) -> None:
    publish_rule(client, account, amount=15, floor_level=2)
    buddy_id = hatch_buddy(client, account)
    set_skill(client, account, buddy_id, 60)
    before = datetime.now(UTC) + timedelta(seconds=1)
    clock.advance(days=10)
    run = run_now(client, account)
    assert [(d["previous_value"], d["new_value"]) for d in run["decays"]] == [(60, 45), (45, 40)]
    assert skill_value(client, account, buddy_id) == 40
    as_of = before.isoformat().replace("+00:00", "Z")
    assert skill_value(client, account, buddy_id, as_of=as_of) == 60


def test_preview_shows_each_level_after_n_periods(client: TestClient, account: Account) -> None:
    rule = publish_rule(client, account, amount=7, floor_level=1, apply_only_above=3)
    response = client.get(f"{RULES}/{rule['id']}/preview?periods=2", headers=account.headers())
    assert response.status_code == 200, response.text
    preview = response.json()
    assert (preview["periods"], preview["cadence"], preview["source"]) == (2, "daily", "published")
    rows = {row["level"]: row for row in preview["levels"]}
    assert sorted(rows) == [0, 1, 2, 3, 4, 5]
    assert rows[5] == {"level": 5, "value": 100, "value_after": 86, "level_after": 4, "decays": 2}
    assert rows[4]["value_after"] == 73  # 80 → 73 (level 3): at or below 3 it stops
    assert rows[3]["decays"] == 0 and rows[1]["value_after"] == 20
    default = client.get(f"{RULES}/{rule['id']}/preview", headers=account.headers()).json()
    assert default["periods"] == 30


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"skill_key": "vocabulary", "cadence": "daily", "amount": 5, "colour": "x"}, "colour"),
        ({"skill_key": "vocabulary", "cadence": "daily", "amount": "5"}, "amount"),
        ({"skill_key": "juggling", "cadence": "daily", "amount": 5}, "skill_key"),
        ({"skill_key": "vocabulary", "cadence": "daily", "amount": 0}, "amount"),
        ({"skill_key": "vocabulary", "cadence": "daily", "amount": -3}, "amount"),
        ({"skill_key": "vocabulary", "cadence": "hourly", "amount": 5}, "cadence"),
        ({"skill_key": "vocabulary", "cadence": "daily", "amount": 5, "floor_level": 9}, None),
        ({"skill_key": "vocabulary", "cadence": "daily", "amount": 5, "grace_days": -1}, None),
        ({"cadence": "daily", "amount": 5}, "skill_key"),
    ],
)
def test_bad_rules_are_refused_and_change_nothing(
    client: TestClient, account: Account, body: dict[str, Any], field: str | None
) -> None:
    apply_preset(client, account)
    before = client.get(f"{API}/config-versions", headers=account.headers()).json()
    response = client.post(RULES, json=body, headers=account.headers())
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    if field is not None:
        assert field in json.dumps(error["details"]), error
    assert client.get(f"{API}/config-versions", headers=account.headers()).json() == before


def test_unknown_ids_and_bad_parameters(client: TestClient, account: Account) -> None:
    rule = publish_rule(client, account)
    headers = account.headers()
    body = {"skill_key": "vocabulary", "cadence": "daily", "amount": 5}
    for method, path in [
        ("PUT", f"{RULES}/nope"),
        ("DELETE", f"{RULES}/nope"),
        ("GET", f"{RULES}/nope/preview"),
        ("GET", f"{RULES}/nope/history"),
    ]:
        response = client.request(
            method, path, json=body if method == "PUT" else None, headers=headers
        )
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "resource_not_found"
    for query in ("periods=0", "periods=1001", "periods=many"):
        response = client.get(f"{RULES}/{rule['id']}/preview?{query}", headers=headers)
        assert response.status_code in (400, 422), (query, response.text)
    response = client.get(f"{RULES}/{rule['id']}/history?cursor=bogus", headers=headers)
    assert response.status_code == 400, response.text
    duplicate = client.post(RULES, json={**body, "id": rule["id"]}, headers=headers)
    assert duplicate.status_code == 409, duplicate.text


def test_another_tenants_rules_are_not_found_and_its_sweep_leaves_mine(
    client: TestClient, account: Account, other_account: Account, clock: MovableClock
) -> None:
    rule = publish_rule(client, account)
    buddy_id = hatch_buddy(client, account)
    set_skill(client, account, buddy_id, 60)
    apply_preset(client, other_account)
    theirs = other_account.headers()
    body = {"skill_key": "vocabulary", "cadence": "daily", "amount": 5}
    for method, path in [
        ("PUT", f"{RULES}/{rule['id']}"),
        ("DELETE", f"{RULES}/{rule['id']}"),
        ("GET", f"{RULES}/{rule['id']}"),
        ("GET", f"{RULES}/{rule['id']}/preview"),
        ("GET", f"{RULES}/{rule['id']}/history"),
    ]:
        response = client.request(
            method, path, json=body if method == "PUT" else None, headers=theirs
        )
        assert response.status_code == 404, (method, path, response.text)
    clock.advance(days=3)
    assert run_now(client, other_account)["buddies_checked"] == 0
    assert skill_value(client, account, buddy_id) == 60
    test_mode = client.get(RULES, headers=account.headers(account.test_key)).json()
    assert test_mode["data"] == []


def test_a_publishable_key_cannot_write_or_run(client: TestClient, account: Account) -> None:
    rule = publish_rule(client, account)
    publishable = client.post(
        f"{API}/auth/publishable-keys",
        json={},
        headers={"Authorization": f"Bearer {account.token}"},
    ).json()["key"]
    headers = account.headers(publishable)
    body = {"skill_key": "vocabulary", "cadence": "daily", "amount": 5}
    for method, path in [
        ("POST", RULES),
        ("PUT", f"{RULES}/{rule['id']}"),
        ("DELETE", f"{RULES}/{rule['id']}"),
        ("POST", f"{RULES}/run-now"),
    ]:
        response = client.request(
            method, path, json=body if method in ("POST", "PUT") else None, headers=headers
        )
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "publishable_key_scope"


def test_the_history_view_verifies_against_a_replay(
    client: TestClient, account: Account, clock: MovableClock, container: Container
) -> None:
    rule = publish_rule(client, account)
    buddy_id = hatch_buddy(client, account)
    set_skill(client, account, buddy_id, 60)
    clock.advance(days=3)
    assert run_now(client, account)["decays_applied"] >= 2
    assert client.get(f"{RULES}/{rule['id']}/history", headers=account.headers()).json()["data"]
    names = ["skill_decays"]
    assert "skill_decays" in {p.name for p in all_projections()}
    results = Rebuilder(container.store, container.views, all_projections()).verify(names)
    assert all(r.differences == [] for r in results), results
