"""``GET /analytics/overview`` and ``/retention`` after 10,000 and after 1,000,000 events.

Issue 17 asks for the p50 of both reads after each history length, in one run, and their
ratio (target ≤ 1.5). Driving a million events through ingestion and the follower takes
hours on the two-core bench machine, so the histories are seeded **directly as the rollup
rows** the follower would have written for them, with the workload's shape (four months, 40
events per user, four event types): counters per day, week, month and type, retention cells
per cohort and week, and the marker rows (one per user and day, week and month they were
active), which grow with the history although no read touches them. Both tenants' rows sit
in the same database while each is measured; the reads go through the whole HTTP stack
in process (Litestar's test client), interleaved between the two tenants.

    python -m benchmarks.analytics_reads        # on a fresh hatched_bench_analytics database
    HATCHED_DATABASE_URL=postgresql://… python -m benchmarks.analytics_reads
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from benchmarks.scenarios.server import fresh_database
from domain.shared.ids import parse_public_id
from infrastructure.shared.settings import Settings
from interfaces.container import build_container
from interfaces.http.app import create_app
from projections.analytics.rollups import (
    ACTIVITY,
    EVENT_TYPES,
    MEMBERS,
    RETENTION,
    USERS,
)

START = date(2025, 1, 6)
DAYS = 120
EVENTS_PER_USER = 40
TYPES = ("lesson_completed", "quiz_passed", "streak_kept", "page_viewed")
RESULTS = Path(__file__).parent / "RESULTS.md"
MARK = "## Analytics reads (issue 17)"


def seed(container: Any, customer_id: str, events: int, rng: random.Random) -> int:
    """Write the rollup rows of ``events`` spread like the workload's; returns rows written."""
    users = max(1, events // EVENTS_PER_USER)
    tenant = {"customer_id": customer_id, "mode": "live", "audience": ""}
    activity: dict[str, list[int]] = {}
    types: dict[tuple[str, str], int] = {}
    members: set[tuple[str, str]] = set()
    cohorts: dict[str, str] = {}
    retention: dict[tuple[str, str], int] = {}
    for user in range(users):
        name = f"user_{user}"
        first = rng.randrange(DAYS)
        for _ in range(EVENTS_PER_USER):
            day = START + timedelta(days=min(DAYS - 1, first + int(rng.expovariate(1 / 20))))
            week = day - timedelta(days=day.weekday())
            periods = (f"day:{day}", f"week:{week}", f"month:{day:%Y-%m}")
            cohort = cohorts.setdefault(name, str(week))
            for period in periods:
                counters = activity.setdefault(period, [0, 0, 0])
                counters[0] += 1
                if (period, name) not in members:
                    members.add((period, name))
                    counters[1] += 1
                    if period.startswith("week:"):
                        key = (cohort, str(week))
                        retention[key] = retention.get(key, 0) + 1
            kind = TYPES[rng.randrange(len(TYPES))]
            types[(str(day), kind)] = types.get((str(day), kind), 0) + 1
    rows: dict[str, list[dict[str, Any]]] = {
        ACTIVITY.name: [
            {**tenant, "period": p, "events": c[0], "active_users": c[1], "new_users": 0}
            for p, c in activity.items()
        ],
        EVENT_TYPES.name: [
            {**tenant, "day": d, "type": t, "events": n, "rejected": 0}
            for (d, t), n in types.items()
        ],
        MEMBERS.name: [{**tenant, "period": p, "user_id": u} for p, u in members],
        USERS.name: [
            {**tenant, "user_id": u, "cohort": c, "first_day": c} for u, c in cohorts.items()
        ],
        RETENTION.name: [
            {**tenant, "cohort": c, "week": w, "users": n} for (c, w), n in retention.items()
        ],
    }
    with container.views.transaction() as tx:
        for table in (ACTIVITY, EVENT_TYPES, MEMBERS, USERS, RETENTION):
            values = rows[table.name]
            columns = list(table.columns)
            with (
                tx.connection.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in values:
                    copy.write_row([row[c] for c in columns])
    return sum(len(v) for v in rows.values())


def timed(client: TestClient, url: str, headers: dict[str, str]) -> float:  # type: ignore[type-arg]
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--write", action="store_true", help="record the figures in RESULTS.md")
    args = parser.parse_args()
    settings = Settings.from_env()
    if not settings.uses_postgres:
        # `make bench` sets nothing: measure on a database of our own, like the other scenarios.
        settings = replace(settings, database_url=fresh_database("hatched_bench_analytics"))
    container = build_container(settings)
    rng = random.Random(17)
    figures: dict[int, dict[str, float]] = {}
    window = "from=2025-01-06&to=2025-05-05"
    with TestClient(create_app(container)) as client:  # type: ignore[arg-type]
        tenants = {}
        for events in (args.small, args.large):
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            body = {"email": email, "password": "correct horse battery", "company_name": "B"}
            registered = client.post("/api/v1/auth/register", json=body).json()
            token = {"Authorization": f"Bearer {registered['token']}"}
            key = client.post("/api/v1/auth/api-keys", json={"mode": "live"}, headers=token)
            customer = parse_public_id("customer", registered["customer"]["id"])
            container.accounts.change_plan(customer, "pro", None, {"by": "bench"})
            started = time.perf_counter()
            rows = seed(container, customer.hex, events, rng)
            print(
                f"{events:,} events: {rows:,} rollup rows in {time.perf_counter() - started:.1f} s"
            )
            tenants[events] = {"Authorization": f"Bearer {key.json()['key']}"}
        with container.views.transaction() as tx:
            tx.execute("ANALYZE")
        timings: dict[tuple[int, str], list[float]] = {}
        for _ in range(args.samples):  # interleaved: both tenants see the same machine load
            for events, headers in tenants.items():
                for path in ("overview", "retention"):
                    url = f"/api/v1/analytics/{path}?{window}"
                    timings.setdefault((events, path), []).append(timed(client, url, headers))
        for (events, path), found in timings.items():
            figures.setdefault(events, {})[path] = statistics.median(found)
    container.close()
    lines = [MARK, ""]
    for path in ("overview", "retention"):
        small, large = figures[args.small][path], figures[args.large][path]
        lines.append(
            f"- `GET /analytics/{path}` (a 120-day window), p50 of {args.samples} in-process "
            f"requests: {small:.2f} ms after {args.small:,} events, {large:.2f} ms after "
            f"{args.large:,} events: ratio {large / small:.2f} (target ≤ 1.5)."
        )
    lines.append(
        "- The histories are rollup rows seeded directly (`benchmarks/analytics_reads.py`), "
        "not events driven through ingestion: the reads touch only those rows."
    )
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        text = RESULTS.read_text() if RESULTS.exists() else ""
        text = text.split(MARK)[0].rstrip() + "\n\n" + report
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
