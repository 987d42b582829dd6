"""Faults the asynchronous machinery must survive, on PostgreSQL and Redis:

* ``kill -9`` of a ``hatched worker`` in the middle of a hatch, an evolve and an equip;
* Redis restarted (without persistence) while requests keep coming.

The test process is the API (followers, dispatcher and sweeper run in it, no embedded
worker); workers are separate ``hatched worker`` processes, or the in-process worker
consuming from a Redis the test owns.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from application.companions.operations import buddy_id_for_hatch
from domain.shared.ids import parse_public_id
from infrastructure.shared.settings import Settings
from interfaces.container import Container
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, satisfy_next_stage, send_event
from tests.integration.processes import free_port, require_postgres_and_redis, worker
from tests.receiver import Receiver
from tests.waiting import eventually

TERMINAL = ("completed", "failed", "cancelled")
DISPATCHERS = ("operation_dispatcher", "webhook_dispatcher")


@pytest.fixture
def settings(settings: Settings, backend: str) -> Settings:
    """No embedded worker, short leases and a quick sweeper, so recovery fits in a test."""
    require_postgres_and_redis(backend)
    return replace(
        settings,
        embedded_worker=False,
        operation_lease_seconds=2.0,
        sweep_interval_seconds=0.3,
        sweep_grace_seconds=1.0,
        webhook_allow_private=True,
        webhook_retry_schedule=(0, 0.3, 0.5, 1, 1, 2, 2),
    )


def operation(client: TestClient, account: Account, operation_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/operations/{operation_id}", headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def all_terminal(client: TestClient, account: Account, ids: list[str]) -> list[dict[str, Any]]:
    states = [operation(client, account, i) for i in ids]
    assert all(s["status"] in TERMINAL for s in states), [(s["type"], s["status"]) for s in states]
    return states


# -- kill -9 in the middle of an operation ---------------------------------------------


class HeldCompletions:
    """Makes every worker stop right before an operation's result is written.

    A trigger on the event table waits, inside the worker's transaction, for an advisory
    lock the test holds. The operation has started (its lease is committed) and its result
    is not, which is exactly "the middle": the test then kills the worker with ``kill -9``
    and ends its database session, so the transaction is rolled back.
    """

    def __init__(self, settings: Settings) -> None:
        params = settings.postgres_params()
        self._conninfo = " ".join(f"{k}={v}" for k, v in params.items() if v)
        self._schema = settings.database_schema
        self.key = random.randint(1, 2**31 - 1)
        self._holder = psycopg.connect(self._conninfo, autocommit=True)

    def __enter__(self) -> HeldCompletions:
        schema = self._schema
        self._holder.execute("SELECT pg_advisory_lock(%s)", (self.key,))
        self._holder.execute(
            f"""
            CREATE FUNCTION "{schema}".hold_completion() RETURNS trigger AS $$
            BEGIN PERFORM pg_advisory_xact_lock({self.key}); RETURN NEW; END
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER hold_completion BEFORE INSERT ON "{schema}".hatched_events
            FOR EACH ROW WHEN (NEW.topic LIKE '%Operation.Completed')
            EXECUTE FUNCTION "{schema}".hold_completion();
            """
        )
        return self

    def blocked_session(self) -> int:
        """The database session of a worker waiting to write a result."""
        row = self._holder.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
            (self.key,),
        ).fetchone()
        assert row is not None, "no worker is holding a result yet"
        return int(row[0])

    def end_session(self, pid: int) -> None:
        self._holder.execute("SELECT pg_terminate_backend(%s)", (pid,))

    def __exit__(self, *exc: Any) -> None:
        schema = self._schema
        self._holder.execute(f'DROP TRIGGER hold_completion ON "{schema}".hatched_events')
        self._holder.execute(f'DROP FUNCTION "{schema}".hold_completion()')
        self._holder.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._holder.close()


def test_kill_9_mid_hatch_evolve_and_equip_then_every_operation_finishes_once(
    client: TestClient, account: Account, settings: Settings
) -> None:
    headers = account.headers()
    with worker(settings):
        apply_preset(client, account)
        buddy_id = hatch_buddy(client, account, "owner")
        satisfy_next_stage(client, account, buddy_id)
        base = f"/api/v1/buddies/{buddy_id}"
        client.post(f"{base}/coins", json={"amount": 100, "reason": "seed"}, headers=headers)
        bought = client.post(f"{base}/items", json={"item_id": "quill"}, headers=headers)
        assert bought.status_code in (200, 201), bought.text
        egg = client.post("/api/v1/eggs", json={"user_id": "newcomer"}, headers=headers).json()
        client.patch(
            f"/api/v1/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=headers
        )
    before = client.get(base, headers=headers).json()

    with HeldCompletions(settings) as held:
        requests = {
            "hatch": client.post(f"/api/v1/eggs/{egg['egg_id']}/hatch", headers=headers),
            "evolve": client.post(f"{base}/evolve", headers=headers),
            "equip_item": client.patch(
                f"{base}/equipped-items", json={"item_ids": ["quill"]}, headers=headers
            ),
        }
        assert all(r.status_code == 202 for r in requests.values()), requests
        ids = {kind: r.json()["operation_id"] for kind, r in requests.items()}
        killed: set[str] = set()
        for _ in range(8):
            attempts = {k: operation(client, account, i)["attempts"] for k, i in ids.items()}
            with worker(settings) as doomed:
                session = eventually(held.blocked_session, timeout=30)
                now = {k: operation(client, account, i)["attempts"] for k, i in ids.items()}
                caught = [k for k in ids if now[k] > attempts[k]]
                doomed.kill()
            held.end_session(session)
            killed.update(caught)
            if killed == set(ids):
                break
        assert killed == set(ids), f"only {killed} were caught mid-way"

    with worker(settings, threads=2):
        states = eventually(lambda: all_terminal(client, account, list(ids.values())), 60)
    assert [s["status"] for s in states] == ["completed"] * 3, states
    assert all(s["attempts"] >= 2 for s in states), "each was started again after the kill"

    hatch_id = parse_public_id("operation", ids["hatch"])
    newcomer = client.get("/api/v1/buddies?user_id=newcomer", headers=headers).json()["data"]
    assert [b["buddy_id"] for b in newcomer] == ["bdy_" + buddy_id_for_hatch(hatch_id).hex]
    after = client.get(base, headers=headers).json()
    assert after["evolution_stage"] == before["evolution_stage"] + 1
    assert after["equipped_items"] == ["quill"]
    assert after["coins"] == before["coins"], "no operation debited anything, twice or once"


# -- Redis restarted under load ------------------------------------------------------


@contextmanager
def private_redis() -> Iterator[tuple[str, Any]]:
    """A Redis of this test's own, without persistence, and a way to restart it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL)]

    def restart() -> None:
        processes[-1].kill()
        processes[-1].wait(timeout=10)
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))

    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        processes[-1].kill()
        processes[-1].wait(timeout=10)


@pytest.fixture
def redis_restarter(settings: Settings) -> Iterator[tuple[Settings, Any]]:
    with private_redis() as (url, restart):
        yield replace(settings, redis_url=url), restart


def test_redis_restarted_under_load_loses_nothing_acknowledged(
    redis_restarter: tuple[Settings, Any],
) -> None:
    from interfaces.container import build_container
    from interfaces.http.app import create_app
    from tests.conftest import register_account

    settings, restart = redis_restarter
    container: Container = build_container(settings)
    with Receiver() as receiver, TestClient(create_app(container)) as client:
        account = register_account(client)
        player = f"user_{uuid.uuid4().hex[:6]}"
        with worker(settings):  # for the set-up only: later, nothing consumes for a while
            apply_preset(client, account)
            buddy_id = hatch_buddy(client, account, player)
        hook = client.post(
            "/api/v1/webhook-configs",
            json={"url": receiver.url, "events": ["coins.earned"]},
            headers=account.headers(),
        )
        assert hook.status_code == 201
        users = [f"user_{uuid.uuid4().hex[:6]}" for _ in range(6)]

        def hatch(user_id: str) -> str | None:
            headers = account.headers()
            egg = client.post("/api/v1/eggs", json={"user_id": user_id}, headers=headers).json()
            client.patch(
                f"/api/v1/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=headers
            )
            answer = client.post(f"/api/v1/eggs/{egg['egg_id']}/hatch", headers=headers)
            return answer.json()["operation_id"] if answer.status_code == 202 else None

        def event(_: int) -> str:
            return str(send_event(client, account, player)["event_id"])

        def credit(index: int) -> str | None:
            reason = f"load-{index}"
            answer = client.post(
                f"/api/v1/buddies/{buddy_id}/coins",
                json={"amount": 1, "reason": reason},
                headers=account.headers(),
            )
            return reason if answer.status_code == 200 else None

        with ThreadPoolExecutor(max_workers=4) as pool:
            hatches = [pool.submit(hatch, u) for u in users]
            before = [pool.submit(credit, i) for i in range(20)]
            events = [pool.submit(event, i) for i in range(6)]
            operation_ids = [f.result() for f in hatches]
            reasons = {f.result() for f in before}
            queued = container.views.wait_for(DISPATCHERS, container.store.head(), 30)
            assert queued, "every message was handed to Redis before it restarts"
            restart()  # and loses them all, while requests keep coming
            after = [pool.submit(credit, i) for i in range(20, 40)]
            events += [pool.submit(event, i) for i in range(6)]
            event_ids = [f.result() for f in events]
            reasons = (reasons | {f.result() for f in after}) - {None}
        container.tasks.start_worker()

        assert None not in operation_ids
        assert len(reasons) >= 30, "most credits are acknowledged (a few may lose a race: 409)"
        states = eventually(lambda: all_terminal(client, account, operation_ids), 60)  # type: ignore[arg-type]
        assert {s["status"] for s in states} == {"completed"}
        for event_id in event_ids:
            recorded = client.get(f"/api/v1/events/{event_id}", headers=account.headers())
            assert recorded.status_code == 200
        receiver.wait_for(lambda got: reasons <= {_reason(r) for r in got}, timeout=60)


def _reason(request: Any) -> str:
    return str(json.loads(request.body).get("reason"))
