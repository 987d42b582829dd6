"""A recorded ingestion names its buddies by UUID; the API shows them by public id (0045).

``EventIngestion.Recorded`` version 1 held the public ids (``bdy_…``) inside ``effects`` and
``trace``, and the event log view's rows held them too. Such a record, and such a row, must
answer exactly the HTTP bodies a new one does: the duplicate answer, ``GET /events/{id}`` with
its explanations, the event list, a batch repeat.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from domain.ingestion.event_ingestion import EventIngestion
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant
from infrastructure.shared.settings import Settings
from interfaces.container import Container
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy
from tests.http.peers import app_client

RECORDED = "domain.ingestion.event_ingestion:EventIngestion.Recorded"


@pytest.fixture
def lessons(client: TestClient, account: Account) -> tuple[str, list[dict[str, Any]]]:
    """A buddy and the six lessons of one UTC day sent for it; the sixth hits the 50-coin cap."""
    apply_preset(client, account)
    user_id = f"user_{uuid.uuid4().hex[:8]}"
    buddy_id = hatch_buddy(client, account, user_id)
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    sent = [
        {"event_id": f"l{n}", "user_id": user_id, "type": "lesson_completed", "occurred_at": at}
        for n in range(6)
    ]
    for body in sent:
        answer = client.post("/api/v1/events", json=body, headers=account.headers())
        assert answer.status_code == 200, answer.text
    return buddy_id, sent


def tenant_of(account: Account) -> Tenant:
    return Tenant(parse_public_id("customer", account.customer_id), "live")


def bodies(client: TestClient, account: Account, sent: list[dict[str, Any]]) -> dict[str, Any]:
    """Every answer that shows what the lessons' ingestions recorded."""
    headers = account.headers()
    answers: dict[str, Any] = {}
    for body in (sent[0], sent[-1]):
        event_id = body["event_id"]
        answers[f"repeat {event_id}"] = client.post(
            "/api/v1/events", json=body, headers=headers
        ).json()
        answers[f"detail {event_id}"] = client.get(
            f"/api/v1/events/{event_id}", headers=headers
        ).json()
    answers["batch"] = client.post(
        "/api/v1/events/batch", json={"events": sent}, headers=headers
    ).json()
    answers["list"] = client.get(
        "/api/v1/events", params={"user_id": sent[0]["user_id"]}, headers=headers
    ).json()
    return answers


def test_the_recorded_effects_and_trace_name_the_buddy_by_uuid(
    client: TestClient,
    account: Account,
    container: Container,
    lessons: tuple[str, list[dict[str, Any]]],
) -> None:
    buddy_id, sent = lessons
    buddy = parse_public_id("buddy", buddy_id)
    recorded = container.ingestion.find(tenant_of(account), sent[-1]["event_id"])
    assert [b["buddy_id"] for b in recorded.effects["buddies"]] == [buddy]
    assert {e["buddy_id"] for e in recorded.trace} == {buddy}

    answers = bodies(client, account, sent)
    assert answers["repeat l5"]["effects"]["buddies"][0]["buddy_id"] == buddy_id
    assert answers["repeat l5"]["caps_reached"][0]["buddy_id"] == buddy_id
    detail = answers["detail l5"]
    assert {e["buddy_id"] for e in detail["trace"]} == {buddy_id}
    assert {e["buddy_id"] for e in detail["explanations"] if "buddy_id" in e} == {buddy_id}
    assert detail["effects"]["buddies"][0]["buddy_id"] == buddy_id
    listed = answers["list"]["data"]
    assert [item["effects"]["buddies"][0]["buddy_id"] for item in listed] == [buddy_id] * 6


def as_version_1(state: dict[str, Any]) -> dict[str, Any]:
    """A version 2 ``Recorded`` state as version 1 stored it: public ids for the buddies."""
    old = {**state, "class_version": 1}
    old["effects"] = {
        **state["effects"],
        "buddies": [
            {**b, "buddy_id": public_id("buddy", b["buddy_id"])}
            for b in state["effects"]["buddies"]
        ],
    }
    old["trace"] = [
        {**e, "buddy_id": public_id("buddy", e["buddy_id"])} if "buddy_id" in e else e
        for e in state["trace"]
    ]
    return old


def rewrite_as_before(container: Container, tenant: Tenant, event_ids: list[str]) -> int:
    """Store the lessons' ingestions, and their event log rows, as the code before 0045 did."""
    recorder = container.store.recorder
    transcoder = container.store.mapper.transcoder
    table = recorder.events_table_name  # type: ignore[attr-defined]
    rewritten = 0
    with container.views.transaction() as tx:
        for event_id in event_ids:
            ingestion_id = EventIngestion.id_for(tenant, event_id)
            (stored,) = recorder.select_events(ingestion_id)
            assert stored.topic == RECORDED
            state = transcoder.decode(stored.state)
            assert state["class_version"] == 2
            old = as_version_1(state)
            originator = ingestion_id if tx.postgres else ingestion_id.hex
            tx.execute(
                f"UPDATE {table} SET state = {tx.p} WHERE originator_id = {tx.p}",
                (transcoder.encode(old), originator),
            )
            rows = tx.execute(
                f"SELECT data FROM view_events WHERE ingestion_id = {tx.p}", (ingestion_id.hex,)
            ).fetchall()
            data = json.loads(rows[0][0])
            data["effects"] = {**data["effects"], "buddies": old["effects"]["buddies"]}
            tx.execute(
                f"UPDATE view_events SET data = {tx.p} WHERE ingestion_id = {tx.p}",
                (json.dumps(data, sort_keys=True, separators=(",", ":")), ingestion_id.hex),
            )
            rewritten += 1
    for event_id in event_ids:  # as stored now: version 1, public ids
        (stored,) = recorder.select_events(EventIngestion.id_for(tenant, event_id))
        state = transcoder.decode(stored.state)
        assert state["class_version"] == 1
        assert all(isinstance(b["buddy_id"], str) for b in state["effects"]["buddies"])
    return rewritten


def test_ingestions_recorded_before_answer_the_same_bodies(
    client: TestClient,
    account: Account,
    container: Container,
    settings: Settings,
    lessons: tuple[str, list[dict[str, Any]]],
) -> None:
    _, sent = lessons
    before = bodies(client, account, sent)
    tenant = tenant_of(account)
    assert rewrite_as_before(container, tenant, [b["event_id"] for b in sent]) == 6

    # Another process (nothing kept from before) reads the old records and the old rows.
    with app_client(settings) as (other, other_container):
        old = other_container.ingestion.find(tenant, sent[-1]["event_id"])
        assert all(isinstance(b["buddy_id"], UUID) for b in old.effects["buddies"])
        after = bodies(other, account, sent)
    assert after == before
