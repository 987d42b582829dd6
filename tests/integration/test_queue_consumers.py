"""Issue 13 item 2: ``hatched serve`` works the operation queue unless told a separate
worker does, and readiness reports a queue nobody consumes (decision 0028)."""

from __future__ import annotations

import httpx
import pytest

from infrastructure.shared.settings import Settings
from tests.conftest import REDIS_URL, Account, register_account
from tests.http.flow import apply_preset
from tests.integration.processes import ServeProcess, worker
from tests.waiting import eventually

PATIENCE = 60.0
"""Seconds to wait for another process: generous, for a busy two-core machine."""


def request_hatch(client: httpx.Client) -> tuple[Account, str]:
    account = register_account(client)  # type: ignore[arg-type]
    apply_preset(client, account)  # type: ignore[arg-type]
    headers = account.headers()
    egg = client.post("/api/v1/eggs?ensure=true", json={"user_id": "u1"}, headers=headers)
    egg_id = egg.json()["egg_id"]
    client.patch(f"/api/v1/eggs/{egg_id}/status", json={"status": "ready"}, headers=headers)
    hatch = client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=headers)
    assert hatch.status_code == 202, hatch.text
    return account, str(hatch.json()["operation_id"])


def completed(client: httpx.Client, account: Account, operation_id: str) -> dict:
    def check() -> dict:
        body = client.get(f"/api/v1/operations/{operation_id}", headers=account.headers())
        assert body.json()["status"] == "completed", body.text
        return dict(body.json())

    return eventually(check, PATIENCE)


def require_redis() -> None:
    if REDIS_URL is None:
        pytest.skip("needs Redis (HATCHED_TEST_REDIS_URL): the queue a separate worker reads")


def test_serve_with_redis_and_default_settings_completes_a_hatch(settings: Settings) -> None:
    require_redis()
    with ServeProcess(settings) as server:
        client = server.client
        account, operation_id = request_hatch(client)
        assert completed(client, account, operation_id)["result"]["buddy_id"]
        ready = client.get("/api/v1/health/ready").json()
        assert ready["checks"]["workers"] == "ok" and ready["queue"]["workers"] == 1, ready


def test_readiness_reports_a_queue_nobody_consumes(settings: Settings) -> None:
    """Without a worker (and with Redis or without) the hatch waits; readiness says so,
    with the age of the oldest pending operation, and stays 200 (decision 0028)."""
    with ServeProcess(settings, HATCHED_EMBEDDED_WORKER="false") as server:
        client = server.client
        account, operation_id = request_hatch(client)

        def reported() -> dict:
            ready = client.get("/api/v1/health/ready")
            assert ready.status_code == 200, ready.text
            body = dict(ready.json())
            assert body["queue"]["pending_operations"] == 1, body
            return body

        body = eventually(reported, PATIENCE)
        assert body["status"] == "ready"
        assert body["checks"]["workers"] == "none consuming"
        assert body["queue"]["workers"] == 0
        assert body["queue"]["oldest_pending_seconds"] >= 0
        (reason,) = body["reasons"]
        assert reason.startswith("no worker is consuming the operation queue")
        assert "1 operation(s) pending, the oldest for" in reason
        assert "hatched worker" in reason and "HATCHED_EMBEDDED_WORKER" in reason
        status = client.get(f"/api/v1/operations/{operation_id}", headers=account.headers())
        assert status.json()["status"] == "pending"


def test_a_worker_started_later_empties_the_queue_and_readiness_clears(
    settings: Settings,
) -> None:
    require_redis()
    with ServeProcess(settings, HATCHED_EMBEDDED_WORKER="false") as server:
        client = server.client
        account, operation_id = request_hatch(client)
        assert client.get("/api/v1/health/ready").json()["checks"]["workers"] == "none consuming"
        with worker(settings):
            completed(client, account, operation_id)

            def cleared() -> dict:
                body = dict(client.get("/api/v1/health/ready").json())
                assert body["queue"] == {
                    "workers": 1,
                    "pending_operations": 0,
                    "oldest_pending_seconds": None,
                }, body
                return body

            body = eventually(cleared, PATIENCE)
            assert body["checks"]["workers"] == "ok" and "reasons" not in body
