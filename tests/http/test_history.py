"""History over HTTP, on every backend: timeline, evolutions, as-of, explanations, what-if,
and the export/import fixture through the ``hatched`` command."""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant
from infrastructure.shared.settings import Settings
from interfaces import cli
from interfaces.container import Container, build_container
from interfaces.http.companions.buddies import buddy_state_view
from tests.conftest import Account, _drop_schema
from tests.http.flow import apply_preset, hatch_buddy, send_event, wait_for_operation

API = "/api/v1"


@pytest.fixture
def lived(client: TestClient, account: Account) -> tuple[str, str]:
    """A buddy that earned, got a gift, spent and evolved: ``(buddy_id, user_id)``."""
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch_buddy(client, account, user_id)
    for i in range(6):
        send_event(client, account, user_id, properties={"score": 100 if i % 2 else 40})
    h = account.headers()
    gift = client.post(
        f"{API}/buddies/{buddy_id}/coins", json={"amount": 150, "reason": "gift"}, headers=h
    )
    assert gift.status_code == 200, gift.text
    spend = {"amount": 20, "reason": "shop"}
    assert (
        client.post(f"{API}/buddies/{buddy_id}/coins/spend", json=spend, headers=h).status_code
        == 200
    )
    evolve = client.post(f"{API}/buddies/{buddy_id}/evolve", headers=h)
    assert evolve.status_code == 202, evolve.text
    assert (
        wait_for_operation(client, account, evolve.json()["operation_id"])["status"] == "completed"
    )
    return buddy_id, user_id


def all_pages(
    client: TestClient, account: Account, url: str, **params: Any
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for _ in range(200):  # a cursor that never moves fails instead of hanging
        page = client.get(url, params=params, headers=account.headers())
        assert page.status_code == 200, page.text
        entries += page.json()["data"]
        params["cursor"] = page.json()["next_cursor"]
        if not params["cursor"]:
            return entries
    raise AssertionError("the pages never ended")


def test_timeline_evolutions_as_of_explanations_and_what_if(
    client: TestClient, account: Account, container: Container, lived: tuple[str, str]
) -> None:
    buddy_id, user_id = lived
    h = account.headers()
    now = client.get(f"{API}/buddies/{buddy_id}", headers=h).json()
    entries = all_pages(client, account, f"{API}/buddies/{buddy_id}/timeline", limit=7)
    signs = {"CoinsCredited": 1, "CoinsDebited": -1}
    wallet = [e for e in entries if e["type"] in signs]
    assert sum(signs[e["type"]] * e["data"]["amount"] for e in wallet) == now["coins"] > 0
    types = [e["type"] for e in entries]
    assert types[0] == "EggLaid" and {"BuddyHatched", "Evolved", "OperationCompleted"} <= set(types)
    gift = next(e for e in wallet if e["data"]["reason"] == "gift")
    assert gift["causation"]["actor"].startswith("secret_key:")
    assert gift["source"] == {
        "stream": "wallet",
        "id": buddy_id,
        "version": gift["source"]["version"],
    }
    newest = client.get(f"{API}/buddies/{buddy_id}/timeline?order=desc&limit=3", headers=h).json()
    assert newest["data"] == entries[::-1][:3]
    timeline = f"{API}/buddies/{buddy_id}/timeline"
    badges_only = all_pages(client, account, timeline, kind="badge,evolution", limit=2)
    assert badges_only == [e for e in entries if e["kind"] in ("badge", "evolution")]

    evolutions = client.get(f"{API}/buddies/{buddy_id}/evolutions", headers=h).json()
    assert evolutions["evolution_stage"] == now["evolution_stage"] == 2
    assert [(t["from_stage"], t["to_stage"]) for t in evolutions["data"]] == [(None, 1), (1, 2)]

    credit = next(e for e in wallet if e["type"] == "CoinsCredited")
    then = client.get(
        f"{API}/buddies/{buddy_id}", params={"as_of": credit["recorded_at"]}, headers=h
    ).json()
    assert then["coins"] == credit["data"]["balance_after"]
    assert then["evolution_stage"] == 1 and then["created_at"] == now["created_at"]

    # GET /events/{id} explains, rule by rule
    sent = send_event(client, account, user_id, properties={"score": 50})
    body = client.get(f"{API}/events/{sent['event_id']}", headers=account.headers()).json()
    lines = {line["rule_id"]: line for line in body["explanations"] if line["rule_id"]}
    bonus = lines["perfect_lesson_bonus"]
    assert bonus["reason"] == "condition_false" and "score = 50" in bonus["message"]
    capped = lines["lesson_completed"]  # six lessons today already: 50 coins, the daily cap
    assert capped["reason"] == "daily_cap_reached" and "50 of 50" in capped["message"]
    assert body["explanations"][-1]["reason"] == "duplicate"
    nobody = send_event(client, account, f"nobody_{uuid.uuid4().hex[:6]}")
    alone = client.get(f"{API}/events/{nobody['event_id']}", headers=account.headers()).json()
    assert alone["explanations"][0]["reason"] == "no_active_buddy"

    # a draft's impact replays the recent events through its rules
    published = client.get(f"{API}/config-versions?status=published", headers=h).json()["data"][0]
    rule = {"event_type": "lesson_completed", "amount": 20}
    draft = client.put(f"{API}/coin-rules/lesson_completed", json=rule, headers=h).json()
    assert container.wait_for_views("buddies")
    impact = client.get(f"{API}/config-versions/{draft['config_version_id']}/impact", headers=h)
    assert impact.status_code == 200, impact.text
    what_if = impact.json()["what_if"]
    (report,) = what_if["buddies"]
    received = [e for e in entries if e["type"] == "ProgressRecorded"]
    assert report["buddy_id"] == buddy_id
    assert report["events_replayed"] == len(received) + 1  # and the one explained above
    assert report["difference"]["coins"] == report["draft"]["coins"] - report["actual"]["coins"] > 0
    assert what_if["sampled"] is False and what_if["days"] == 30
    for days, status in (("0", 422), ("91", 422), ("many", 422)):
        url = f"{API}/config-versions/{draft['config_version_id']}/impact?days={days}"
        assert client.get(url, headers=h).status_code == status
    on_published = client.get(
        f"{API}/config-versions/{published['config_version_id']}/impact?days=7", headers=h
    )
    assert on_published.status_code == 400 and on_published.json()["error"]["code"] == "bad_request"
    assert (
        "what_if"
        not in client.get(
            f"{API}/config-versions/{published['config_version_id']}/impact", headers=h
        ).json()
    )


def test_bad_inputs_and_other_tenants(
    client: TestClient, account: Account, other_account: Account
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    h = account.headers()
    before = client.get(f"{API}/buddies/{buddy_id}", headers=h).json()
    timeline = f"{API}/buddies/{buddy_id}/timeline"
    refused = {
        f"{timeline}?kind=coins": (400, "bad_request"),
        f"{timeline}?order=sideways": (422, "validation_failed"),
        f"{timeline}?cursor=bm90LWEtY3Vyc29y": (400, "bad_request"),
        f"{timeline}?limit=0": (422, "validation_failed"),
        f"{API}/buddies/{buddy_id}?as_of=yesterday": (422, "validation_failed"),
        f"{API}/buddies/{buddy_id}?as_of=2026-04-08T10:30:00": (422, "validation_failed"),
        f"{API}/buddies/{buddy_id}?as_of=2001-01-01T00:00:00Z": (404, "resource_not_found"),
        f"{API}/buddies/bdy_{'0' * 32}/timeline": (404, "resource_not_found"),
    }
    for url, (status, code) in refused.items():
        answer = client.get(url, headers=h)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), url
    too_early = client.get(f"{API}/buddies/{buddy_id}?as_of=2001-01-01T00:00:00Z", headers=h).json()
    assert "did not exist" in too_early["error"]["message"]
    assert too_early["error"]["details"]["created_at"] == before["created_at"]

    for stranger in (other_account.headers(), account.headers(account.test_key)):
        for url in (timeline, f"{API}/buddies/{buddy_id}/evolutions"):
            hidden = client.get(url, headers=stranger)
            assert (
                hidden.status_code == 404 and hidden.json()["error"]["code"] == "resource_not_found"
            )
        as_of = client.get(f"{API}/buddies/{buddy_id}?as_of=2030-01-01T00:00:00Z", headers=stranger)
        assert as_of.status_code == 404 and "details" not in as_of.json()["error"]
    publishable = client.post(
        f"{API}/auth/publishable-keys", json={}, headers=account.headers(account.token)
    ).json()["key"]
    reader = account.headers(publishable)
    assert client.get(timeline, headers=reader).json()["error"]["code"] == "publishable_key_scope"
    assert client.get(f"{API}/buddies/{buddy_id}/evolutions", headers=reader).status_code == 200
    assert client.get(f"{API}/buddies/{buddy_id}", headers=h).json() == before


@pytest.fixture
def empty_stores(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], Settings]]:
    """Make settings for further, empty stores on the same backend (dropped afterwards)."""
    schemas: list[str] = []

    def make() -> Settings:
        schema = f"t_{uuid.uuid4().hex[:16]}" if settings.uses_postgres else None
        if schema:
            schemas.append(schema)
        data_dir = tmp_path / f"store_{uuid.uuid4().hex[:8]}"
        return dataclasses.replace(settings, data_dir=data_dir, database_schema=schema)

    yield make
    for schema in schemas:
        assert settings.database_url is not None
        _drop_schema(settings.database_url, schema)


def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    for name, value in {
        "HATCHED_DATA_DIR": str(settings.data_dir),
        "HATCHED_DATABASE_URL": settings.database_url,
        "HATCHED_DATABASE_SCHEMA": settings.database_schema,
        "HATCHED_SECRET_KEY": settings.secret_key,
    }.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)


def test_export_then_import_into_an_empty_store_gives_the_same_buddy(
    client: TestClient,
    account: Account,
    lived: tuple[str, str],
    settings: Settings,
    empty_stores: Callable[[], Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    buddy_id, _ = lived
    original = client.get(f"{API}/buddies/{buddy_id}", headers=account.headers()).json()
    fixture = tmp_path / "buddy.json"
    cli_env(monkeypatch, settings)
    assert cli.main(["buddies", "export", buddy_id, "--out", str(fixture)]) == 0
    assert cli.main(["buddies", "export", f"bdy_{'0' * 32}"]) == 1
    assert "was not found" in capsys.readouterr().err
    document = json.loads(fixture.read_text())
    assert document["tenant"]["customer_id"] == account.customer_id

    fresh_store = empty_stores()
    cli_env(monkeypatch, fresh_store)
    unreadable = fixture.with_name("broken.json")
    unreadable.write_text("{not json", encoding="utf-8")
    for bad in (fixture.with_name("missing.json"), unreadable):
        assert cli.main(["buddies", "import", str(bad)]) == 1
        assert f"cannot read {bad}" in capsys.readouterr().err
    assert cli.main(["buddies", "import", str(fixture)]) == 0  # the store was left empty
    assert cli.main(["buddies", "import", str(fixture)]) == 1  # not an empty store any more
    target = build_container(fresh_store)
    try:
        state = target.buddies.state(tenant_of(document), buddy_id)
        copy = buddy_state_view(state, str(client.base_url).rstrip("/"))
    finally:
        target.close()
    assert json.loads(msgspec.json.encode(copy)) == original

    # imports racing into one empty store: exactly one wins
    target = build_container(empty_stores())
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def attempt() -> None:
        start.wait()
        try:
            target.exports.import_(document)
            outcomes.append("imported")
        except DomainError as refusal:
            outcomes.append(refusal.code)

    try:
        threads = [threading.Thread(target=attempt) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict", "conflict", "conflict", "imported"]
        assert target.buddies.state(tenant_of(document), buddy_id).buddy.version > 1
    finally:
        target.close()


def tenant_of(document: dict[str, Any]) -> Tenant:
    customer_id = parse_public_id("customer", document["tenant"]["customer_id"])
    return Tenant(customer_id, document["tenant"]["mode"])
