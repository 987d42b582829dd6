"""Logs: one format for every line (``HATCHED_LOG_FORMAT=json``: each line an object), one
access line per request with its id, tenant, route template, status and duration, and
expected contention (another worker on an operation) never logged as an error."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from dramatiq.brokers.stub import StubBroker
from litestar.testing import TestClient

from application.companions.operations import OperationBusy
from infrastructure.shared.settings import Settings
from infrastructure.shared.tasks import OPERATIONS_QUEUE, TaskQueue, build_broker
from tests.conftest import Account
from tests.integration.processes import ServeProcess

ACCESS_FIELDS = {"request_id", "method", "route", "status", "duration_ms"}


def json_lines(output: str) -> list[dict[str, Any]]:
    """Every line of ``output`` as an object: a line that is not JSON fails the test."""
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_serve_writes_every_line_as_json_and_one_access_line_per_request(
    tmp_path: Path,
) -> None:
    own = Settings(data_dir=tmp_path / "var")  # an embedded store of its own
    with ServeProcess(own, HATCHED_LOG_FORMAT="json", HATCHED_LOG_LEVEL="info") as server:
        base = server.base
        registered = httpx.post(
            f"{base}/api/v1/auth/register",
            json={
                "email": "logs@example.com",
                "password": "correct horse",
                "company_name": "L",
            },
            headers={"X-Request-Id": "req-register"},
        )
        assert registered.status_code == 201, registered.text
        token = registered.json()["token"]
        me = httpx.get(
            f"{base}/api/v1/customers/me",
            headers={"Authorization": f"Bearer {token}", "X-Request-Id": "req-me"},
        )
        assert me.status_code == 200, me.text
        missing = httpx.get(f"{base}/api/v1/nowhere", headers={"X-Request-Id": "req-404"})
        assert missing.status_code == 404
        for visit in range(3):
            page = httpx.get(f"{base}/demo", headers={"X-Request-Id": f"req-demo-{visit}"})
            assert page.status_code == 200
    lines = json_lines(server.output())  # complete once it stopped

    assert all({"event", "level", "logger", "timestamp"} <= set(line) for line in lines)
    access = {line["request_id"]: line for line in lines if line["logger"] == "hatched.access"}
    accessed = [line["request_id"] for line in lines if line["logger"] == "hatched.access"]
    assert len(accessed) == len(set(accessed)), "one access line per request"
    probes = {rid for rid, line in access.items() if line["route"] == "/api/v1/health"}
    assert set(accessed) - probes == {
        "req-register",
        "req-me",
        "req-404",
        *(f"req-demo-{visit}" for visit in range(3)),
    }
    assert all(set(line) >= ACCESS_FIELDS for line in access.values())
    assert not any(line["logger"] == "uvicorn.access" for line in lines)
    assert access["req-register"]["route"] == "/api/v1/auth/register"
    assert access["req-register"]["status"] == 201
    assert access["req-me"]["customer_id"] == me.json()["id"]
    assert access["req-me"]["mode"] == "live"
    assert access["req-404"]["route"] == "unmatched"
    assert access["req-404"]["status"] == 404
    assert all(access[f"req-demo-{visit}"]["status"] == 200 for visit in range(3))
    assert isinstance(access["req-me"]["duration_ms"], float)
    assert [line for line in lines if line["level"] in ("error", "critical")] == []


def test_the_access_line_names_the_tenant_and_the_route_template(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    egg_id = "egg_" + uuid4().hex
    with caplog.at_level(logging.INFO, logger="hatched.access"):
        response = client.get(
            f"/api/v1/eggs/{egg_id}", headers={**account.headers(), "X-Request-Id": "req-egg"}
        )
    assert response.status_code == 404
    (line,) = [r for r in caplog.records if r.name == "hatched.access"]
    assert line.request_id == "req-egg"  # type: ignore[attr-defined]
    assert line.route == "/api/v1/eggs/{egg_id}"  # type: ignore[attr-defined]
    assert line.method == "GET"  # type: ignore[attr-defined]
    assert line.status == 404  # type: ignore[attr-defined]
    assert line.customer_id == account.customer_id  # type: ignore[attr-defined]
    assert line.mode == "live"  # type: ignore[attr-defined]
    assert egg_id not in line.getMessage()


def test_an_operation_another_worker_holds_is_retried_without_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = build_broker(Settings())  # the in-process broker, with the real middleware
    assert isinstance(broker, StubBroker)
    runs: list[UUID] = []

    def run(operation_id: UUID) -> None:
        runs.append(operation_id)
        if len(runs) == 1:
            raise OperationBusy(str(operation_id))

    tasks = TaskQueue(broker, run, retry_later=(OperationBusy,))
    operation_id = uuid4()
    with caplog.at_level(logging.DEBUG):
        tasks.start_worker(threads=1)
        try:
            tasks.enqueue_operation(operation_id)
            broker.join(OPERATIONS_QUEUE, fail_fast=True)
        finally:
            tasks.stop_worker()
    assert runs == [operation_id, operation_id]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
