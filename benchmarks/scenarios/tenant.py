"""A benchmark tenant, set up over HTTP like an integrator would: the seed's bootstrap."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

USER_PREFIX = "bench_user_"
OPERATION_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Tenant:
    api: str
    key: str
    buddy_ids: dict[str, str]  # user id → buddy id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def _ok(response: httpx.Response) -> dict:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return dict(response.json())


BENCH_PLAN = "enterprise"
BENCH_EVENT_QUOTA = 1_000_000_000
"""The bench tenant's plan: a contract quota no run reaches, so the quota is counted but never
stops a scenario (``POST /billing/override-plan``, a server without Stripe keys)."""


def create_tenant(api: str, user_ids: list[str], preset: str = "language-learning") -> Tenant:
    """Register, put the account on ``BENCH_PLAN``, mint a live key, apply ``preset`` and hatch
    one buddy per user."""
    with httpx.Client(timeout=30) as http:
        registered = _ok(
            http.post(
                f"{api}/auth/register",
                json={
                    "email": f"bench-{uuid.uuid4().hex[:12]}@example.com",
                    "password": "correct horse battery",
                    "company_name": "Bench",
                },
            )
        )
        dashboard = {"Authorization": f"Bearer {registered['token']}"}
        _ok(
            http.post(
                f"{api}/billing/override-plan",
                json={"plan": BENCH_PLAN, "event_quota": BENCH_EVENT_QUOTA, "reason": "bench"},
                headers=dashboard,
            )
        )
        key = _ok(http.post(f"{api}/auth/api-keys", json={"mode": "live"}, headers=dashboard))[
            "key"
        ]
        headers = {"Authorization": f"Bearer {key}"}
        _ok(
            http.post(
                f"{api}/customers/me/apply-preset", json={"preset_key": preset}, headers=headers
            )
        )

        def hatch(user_id: str) -> str:
            egg = _ok(
                http.post(f"{api}/eggs?ensure=true", json={"user_id": user_id}, headers=headers)
            )
            _ok(
                http.patch(
                    f"{api}/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=headers
                )
            )
            return str(
                _ok(http.post(f"{api}/eggs/{egg['egg_id']}/hatch", headers=headers))["operation_id"]
            )

        def finished(operation_id: str) -> str:
            deadline = time.monotonic() + OPERATION_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                body = _ok(http.get(f"{api}/operations/{operation_id}", headers=headers))
                if body["status"] == "completed":
                    return str(body["result"]["buddy_id"])
                if body["status"] in ("failed", "cancelled"):
                    raise RuntimeError(f"hatch {operation_id} ended {body['status']}: {body}")
                time.sleep(0.1)
            raise RuntimeError(f"hatch {operation_id} did not finish")

        with ThreadPoolExecutor(max_workers=8) as pool:
            operations = list(pool.map(hatch, user_ids))
            buddies = list(pool.map(finished, operations))
    return Tenant(api, key, dict(zip(user_ids, buddies, strict=True)))


def send_batches(
    tenant: Tenant, user_id: str, total: int, run_id: str, budget_seconds: float, batch: int = 500
) -> int:
    """Ingest up to ``total`` events for one user through ``POST /events/batch``, stopping
    after ``budget_seconds``; returns how many were accepted."""
    accepted = 0
    deadline = time.monotonic() + budget_seconds
    with httpx.Client(timeout=120) as http:
        for start in range(0, total, batch):
            if time.monotonic() > deadline:
                break
            events = [
                {"event_id": f"{run_id}-{n}", "user_id": user_id, "type": "lesson_completed"}
                for n in range(start, min(start + batch, total))
            ]
            results = _ok(
                http.post(
                    f"{tenant.api}/events/batch", json={"events": events}, headers=tenant.headers
                )
            )["results"]
            accepted += sum(1 for r in results if r["status"] == "accepted")
    return accepted
