"""``GET /metrics``: requests, ingested events, operations, view lag, webhook attempts and
conflicts, read back with prometheus-client's own parser; and, with ``HATCHED_METRICS_DIR``,
one scrape that sums every process of the deployment (decision 0030)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from eventsourcing.persistence import IntegrityError
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from application.shared.store import retry_on_conflict
from domain.integrations.webhook_endpoint import WEBHOOK_EVENTS
from infrastructure.shared.settings import Settings
from interfaces.container import Container, build_container
from interfaces.http.app import create_app
from tests.conftest import register_account
from tests.http.flow import apply_preset, hatch_buddy, send_event
from tests.integration.processes import ServeProcess, free_port
from tests.receiver import Receiver
from tests.waiting import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metered(settings: Settings) -> Iterator[tuple[Container, TestClient]]:  # type: ignore[type-arg]
    container = build_container(
        replace(
            settings,
            metrics=True,
            webhook_allow_private=True,
            webhook_retry_schedule=(0, 0.2, 0.2, 0.3),
        )
    )
    with TestClient(create_app(container)) as client:  # type: ignore[arg-type]
        yield container, client


def metrics_of(client: TestClient) -> Samples:  # type: ignore[type-arg]
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return scrape(response.text)


def test_requests_events_operations_views_and_webhooks_are_counted(
    metered: tuple[Container, TestClient],  # type: ignore[type-arg]
) -> None:
    container, client = metered
    answers = iter([(500, {}, b"")])  # the first attempt fails, every later one succeeds
    with Receiver(lambda index, request: next(answers, (204, {}, b""))) as receiver:
        account = register_account(client)
        apply_preset(client, account)
        webhook = {"url": receiver.url, "events": list(WEBHOOK_EVENTS)}
        subscribed = client.post("/api/v1/webhook-configs", json=webhook, headers=account.headers())
        assert subscribed.status_code == 201, subscribed.text
        user = f"user_{uuid.uuid4().hex[:8]}"
        hatch_buddy(client, account, user)
        first = send_event(client, account, user)
        repeat = {"event_id": first["event_id"], "user_id": user, "type": "lesson_completed"}
        assert client.post("/api/v1/events", json=repeat, headers=account.headers()).json()[
            "duplicate"
        ]
        stranger = {
            "event_id": "evt_stranger",
            "user_id": user,
            "type": "lesson_completed",
            "buddy_id": "bdy_" + "0" * 32,
        }
        refused = client.post("/api/v1/events", json=stranger, headers=account.headers())
        assert refused.status_code == 404, refused.text
        for _ in range(2):
            assert client.get("/api/v1/nowhere").status_code == 404

        def webhooks_counted() -> Samples:
            samples = metrics_of(client)
            assert value(samples, "hatched_webhook_attempts_total", outcome="succeeded") >= 1
            assert value(samples, "hatched_webhook_attempts_total", outcome="http_5xx") == 1
            return samples

        samples = eventually(webhooks_counted)

    requests = "hatched_http_requests_total"
    assert value(samples, requests, route="/api/v1/events", method="POST", status="200") == 2
    assert value(samples, requests, route="/api/v1/events", method="POST", status="404") == 1
    assert value(samples, requests, route="unmatched", method="GET", status="404") == 2
    assert (
        value(
            samples, requests, route="/api/v1/operations/{operation_id}", method="GET", status="200"
        )
        >= 1
    )
    latency = "hatched_http_request_duration_seconds_count"
    assert value(samples, latency, route="/api/v1/events", method="POST") == 3
    assert value(samples, "hatched_events_ingested_total", outcome="accepted") == 1
    assert value(samples, "hatched_events_ingested_total", outcome="duplicate") == 1
    assert value(samples, "hatched_events_ingested_total", outcome="rejected") == 1
    # The operations gauges are read from the operations view at the scrape: once it follows.
    assert container.wait_for_views(*(f.name for f in container.followers))
    operations = metrics_of(client)
    assert value(operations, "hatched_operations", type="hatch", status="completed") == 1
    assert value(operations, "hatched_operations_queued") == 0
    assert value(operations, "hatched_operations_oldest_pending_age_seconds") == 0
    lags = {
        dict(labels)["view"]: v
        for (name, labels), v in metrics_of(client).items()
        if name == "hatched_view_lag_events"
    }
    assert set(lags) == {f.name for f in container.followers}
    assert all(lag >= 0 for lag in lags.values())


def test_an_operation_waiting_for_a_worker_is_queued_with_its_age(settings: Settings) -> None:
    """No worker runs here: the hatch waits, and the gauges say so."""
    container = build_container(replace(settings, metrics=True, embedded_worker=False))
    try:
        with TestClient(create_app(container)) as client:  # type: ignore[arg-type]
            account = register_account(client)
            apply_preset(client, account)
            headers = account.headers()
            egg = client.post("/api/v1/eggs", json={"user_id": "waiting"}, headers=headers).json()
            client.patch(
                f"/api/v1/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=headers
            )
            assert client.post(f"/api/v1/eggs/{egg['egg_id']}/hatch", headers=headers).is_success
            assert container.wait_for_views(*(f.name for f in container.followers))
            samples = metrics_of(client)
    finally:
        container.close()
    assert value(samples, "hatched_operations", type="hatch", status="pending") == 1
    assert value(samples, "hatched_operations_queued") == 1
    assert value(samples, "hatched_operations_oldest_pending_age_seconds") >= 0


def test_a_conflict_retried_is_counted(
    metered: tuple[Container, TestClient],  # type: ignore[type-arg]
) -> None:
    _, client = metered
    losses = iter([IntegrityError("lost"), IntegrityError("lost")])

    def attempt() -> str:
        loss = next(losses, None)
        if loss is not None:
            raise loss
        return "won"

    assert retry_on_conflict(attempt) == "won"
    assert value(metrics_of(client), "hatched_write_conflicts_retried_total") == 2


def test_metrics_need_no_key_and_are_not_served_without_the_setting(
    metered: tuple[Container, TestClient],  # type: ignore[type-arg]
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    _, served = metered
    assert served.get("/metrics").status_code == 200
    assert client.get("/metrics").status_code == 404


def own_settings(data_dir: Path) -> Settings:
    """A ``hatched serve`` of its own: an embedded store (and its secret key) in ``data_dir``."""
    return Settings(data_dir=data_dir)


def test_one_scrape_sums_every_process_sharing_the_metrics_dir(tmp_path: Path) -> None:
    """Two ``hatched serve`` processes (their own stores) write to one ``HATCHED_METRICS_DIR``;
    the one serving ``/metrics`` counts the requests both answered (each also answered the
    readiness probe of ``ServeProcess``)."""
    metrics_dir = tmp_path / "metrics"
    first = ServeProcess(
        own_settings(tmp_path / "a"), HATCHED_METRICS="true", HATCHED_METRICS_DIR=str(metrics_dir)
    )
    second = ServeProcess(own_settings(tmp_path / "b"), HATCHED_METRICS_DIR=str(metrics_dir))
    with first, second:
        for _ in range(3):
            assert httpx.get(f"{first.base}/api/v1/health").status_code == 200
        for _ in range(2):
            assert httpx.get(f"{second.base}/api/v1/health").status_code == 200
        assert httpx.get(f"{second.base}/metrics").status_code == 404
        samples = scrape(httpx.get(f"{first.base}/metrics").text)
    health = {"route": "/api/v1/health", "method": "GET", "status": "200"}
    assert value(samples, "hatched_http_requests_total", **health) == 3 + 2 + 2  # + the probes
    assert len(list(metrics_dir.glob("counter_*.db"))) == 2


def test_metrics_on_a_port_of_their_own(tmp_path: Path) -> None:
    port = free_port()
    with ServeProcess(own_settings(tmp_path / "a"), HATCHED_METRICS_PORT=str(port)) as server:
        assert httpx.get(f"{server.base}/api/v1/health").status_code == 200
        assert httpx.get(f"{server.base}/metrics").status_code == 404
        samples = scrape(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
    health = {"route": "/api/v1/health", "method": "GET", "status": "200"}
    assert value(samples, "hatched_http_requests_total", **health) == 1 + 1  # + the probe
