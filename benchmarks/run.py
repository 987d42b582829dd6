"""``make bench``: measure Hatched on PostgreSQL + Redis and write the results table.

Every scenario runs against a real ``hatched serve`` process driven by ``wrk`` over loopback
and is reported as a ratio to a baseline measured in the same run (see ``benchmarks/README``
in ``docs/scaling.md`` for what each number means). A full run takes about ten minutes;
``--quick`` is a one-minute smoke run of the same code with short durations and small sizes.

Usage: ``python -m benchmarks.run [--quick] [--no-profiles] [--ingestion-only] [--out DIR]``
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.rebuild import measure as measure_rebuild
from benchmarks.scenarios.load import Load, run_wrk, wrk_available
from benchmarks.scenarios.machine import describe, load_average
from benchmarks.scenarios.pgbench import pgbench_available, three_insert_tps
from benchmarks.scenarios.report import Result, ratio, read_json, write_json, write_markdown
from benchmarks.scenarios.server import (
    POSTGRES,
    VENV_BIN,
    Server,
    fresh_database,
    hatched_serve,
)
from benchmarks.scenarios.tenant import USER_PREFIX, Tenant, create_tenant, send_batches
from infrastructure.shared.settings import Settings

HERE = Path(__file__).resolve().parent
DATABASE = "hatched_bench"
BIG_HISTORY = "bench_history_big"
SMALL_HISTORY = "bench_history_small"
BIG_HISTORY_USER = f"{BIG_HISTORY}0"  # the wrk script names users "<prefix><n>"
SMALL_HISTORY_USER = f"{SMALL_HISTORY}0"
MILLION = 1_000_000
REFERENCE_PGBENCH_TPS = 5_100
"""Three-insert transactions/s of pgbench (8 clients) on an idle 2-core machine (issue 7)."""


@dataclass(frozen=True)
class Plan:
    """Durations and sizes: the full run, or a quick smoke run of the same steps."""

    seconds: float
    users: int
    connections: int
    big_history: int
    memory_budget_seconds: float
    history_budget_seconds: float
    profile_seconds: float

    @classmethod
    def full(cls) -> Plan:
        return cls(
            seconds=30,
            users=100,
            connections=32,
            big_history=100_000,
            memory_budget_seconds=240,
            history_budget_seconds=120,
            profile_seconds=8,
        )

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            seconds=4,
            users=20,
            connections=32,
            big_history=2_000,
            memory_budget_seconds=8,
            history_budget_seconds=10,
            profile_seconds=3,
        )


class Bench:
    def __init__(self, plan: Plan, out: Path, profiles: bool, ingestion_only: bool = False) -> None:
        self.plan = plan
        self.out = out
        self.profiles = profiles
        self.ingestion_only = ingestion_only
        self.run_id = uuid.uuid4().hex[:8]
        self.results: dict[str, Result] = {}
        self.notes: list[str] = []

    # -- helpers ---------------------------------------------------------------------

    def tag(self, name: str) -> str:
        return f"{self.run_id}-{name}"

    def add(self, result: Result) -> Result:
        self.results[result.name] = result
        print(
            f"  {result.title}: {result.value:,.1f} {result.unit} {result.ratios or ''}", flush=True
        )
        return result

    def wrk(self, server: Server, tenant: Tenant, name: str, **options: Any) -> Load:
        options.setdefault("seconds", self.plan.seconds)
        options.setdefault("connections", self.plan.connections)
        options.setdefault("users", self.plan.users)
        return run_wrk(server, tenant, run_id=self.tag(name), **options)

    def tenant(self, server: Server) -> Tenant:
        users = [f"{USER_PREFIX}{n}" for n in range(self.plan.users)]
        return create_tenant(server.api, [*users, BIG_HISTORY_USER, SMALL_HISTORY_USER])

    def warm_up(self, server: Server, tenant: Tenant) -> None:
        self.wrk(server, tenant, "warmup", mode="event", seconds=3)

    # -- scenarios ---------------------------------------------------------------------

    def pgbench(self) -> None:
        print("pgbench: three inserts per transaction", flush=True)
        seconds = max(5, round(self.plan.seconds / 2))
        tps = three_insert_tps(fresh_database(DATABASE), seconds)
        self.add(
            Result(
                "pgbench_three_inserts",
                "pgbench: 3 inserts per transaction, 8 clients (PostgreSQL's ceiling for one transaction per event)",
                tps,
                "tx/s",
            )
        )

    def without_group_commit(self) -> None:
        print("server with HATCHED_INGEST_GROUP_COMMIT=false", flush=True)
        with hatched_serve(DATABASE, self.tag("nogc"), ingest_group_commit="false") as server:
            tenant = self.tenant(server)
            self.warm_up(server, tenant)
            load = self.wrk(server, tenant, "single-nogc", mode="event")
        self.add(
            Result(
                "ingest_single_no_group_commit",
                "POST /events, 32 connections, group commit off (baseline)",
                load.items_per_second,
                "events/s",
                load.as_dict(),
                {
                    "pgbench 3-insert tx/s": ratio(
                        load.items_per_second, self.value("pgbench_three_inserts")
                    )
                },
            )
        )

    def without_event_quotas(self) -> None:
        """The same single-event load on a server that does not count the event quota
        (``HATCHED_EVENT_QUOTAS=false``), for the issue's "within 10 %" comparison."""
        print("server with HATCHED_EVENT_QUOTAS=false", flush=True)
        with hatched_serve(DATABASE, self.tag("noquota"), event_quotas="false") as server:
            tenant = self.tenant(server)
            self.warm_up(server, tenant)
            load = self.wrk(server, tenant, "single-noquota", mode="event")
        self.add(
            Result(
                "ingest_single_quotas_off",
                "POST /events, 32 connections, group commit on, event quota not counted (baseline)",
                load.items_per_second,
                "events/s",
                load.as_dict(),
            )
        )

    def with_group_commit(self) -> None:
        print("server with group commit on (the default)", flush=True)
        with hatched_serve(DATABASE, self.tag("gc")) as server:
            idle_rss = server.rss_mib()
            tenant = self.tenant(server)
            self.warm_up(server, tenant)
            self.single(server, tenant)
            if self.ingestion_only:
                self.batch(server, tenant)
                return
            self.reads(server, tenant)
            self.rebuild(server)
            self.batch(server, tenant)
            self.history(server, tenant)
            if self.profiles:
                self.profile_all(server, tenant)
            self.memory(server, tenant, idle_rss)

    def value(self, name: str) -> float:
        found = self.results.get(name)
        return found.value if found else 0.0

    def single(self, server: Server, tenant: Tenant) -> None:
        load = self.wrk(server, tenant, "single", mode="event")
        baseline = self.value("ingest_single_no_group_commit")
        times = ratio(load.items_per_second, baseline)
        quotas_off = self.value("ingest_single_quotas_off")
        self.add(
            Result(
                "ingest_single",
                "POST /events, 32 connections, group commit on (event quota counted)",
                load.items_per_second,
                "events/s",
                load.as_dict(),
                {
                    "group commit off": times,
                    "event quota not counted": ratio(load.items_per_second, quotas_off),
                    "pgbench 3-insert tx/s": ratio(
                        load.items_per_second, self.value("pgbench_three_inserts")
                    ),
                },
                ">= 3x group commit off, ≥ 1,500 events/s, p99 < 50 ms",
                times >= 3
                and load.items_per_second >= 1500
                and load.p99_ms < 50
                and not load.errors,
            )
        )

    def reads(self, server: Server, tenant: Tenant) -> None:
        health = self.wrk(
            server,
            tenant,
            "health",
            mode="get",
            paths=["/api/v1/health"],
            seconds=self.plan.seconds / 3,
        )
        self.add(
            Result(
                "http_floor",
                "GET /health, 32 connections (the HTTP stack's floor, read baseline)",
                health.requests_per_second,
                "req/s",
                health.as_dict(),
            )
        )
        paths = [f"/api/v1/buddies/{b}" for b in tenant.buddy_ids.values()]
        load = self.wrk(
            server, tenant, "read", mode="get", paths=paths, seconds=self.plan.seconds * 2 / 3
        )
        self.add(
            Result(
                "buddy_read",
                "GET /buddies/{id}, 32 connections",
                load.requests_per_second,
                "req/s",
                load.as_dict(),
                {"GET /health": ratio(load.requests_per_second, health.requests_per_second)},
                ">= 2,000 req/s, p99 < 20 ms",
                load.requests_per_second >= 2000 and load.p99_ms < 20 and not load.errors,
            )
        )
        load = self.wrk(
            server,
            tenant,
            "analytics",
            mode="get",
            paths=["/api/v1/analytics"],
            seconds=self.plan.seconds / 2,
        )
        self.add(
            Result(
                "analytics",
                "GET /analytics (leaderboard), 32 connections",
                load.requests_per_second,
                "req/s",
                load.as_dict(),
                {"GET /health": ratio(load.requests_per_second, health.requests_per_second)},
            )
        )

    def batch(self, server: Server, tenant: Tenant) -> None:
        load = self.wrk(server, tenant, "batch", mode="batch", connections=4, batch=500)
        self.add(
            Result(
                "ingest_batch",
                "POST /events/batch of 500, 4 connections",
                load.items_per_second,
                "events/s",
                load.as_dict(),
                {
                    "single events, group commit off": ratio(
                        load.items_per_second, self.value("ingest_single_no_group_commit")
                    ),
                    "pgbench 3-insert tx/s": ratio(
                        load.items_per_second, self.value("pgbench_three_inserts")
                    ),
                },
                ">= 8,000 events/s",
                load.items_per_second >= 8000 and not load.errors,
            )
        )

    def history(self, server: Server, tenant: Tenant) -> None:
        print(f"  building a history of {self.plan.big_history:,} events for one buddy", flush=True)
        started = time.perf_counter()
        history = send_batches(
            tenant,
            BIG_HISTORY_USER,
            self.plan.big_history,
            self.tag("big"),
            self.plan.history_budget_seconds,
        )
        send_batches(
            tenant, SMALL_HISTORY_USER, 10, self.tag("small"), self.plan.history_budget_seconds
        )
        print(f"  ... {history:,} in {time.perf_counter() - started:.0f} s", flush=True)
        seconds = self.plan.seconds / 3
        latencies = {}
        for prefix, name in ((SMALL_HISTORY, "small"), (BIG_HISTORY, "big")):
            latencies[name] = self.wrk(
                server,
                tenant,
                f"history-{name}",
                mode="event",
                connections=1,
                users=1,
                user_prefix=prefix,
                seconds=seconds,
            )
        small, big = latencies["small"], latencies["big"]
        self.add(
            Result(
                "history_10",
                "POST /events for a buddy with 10 events of history, 1 connection",
                small.p50_ms,
                "ms p50",
                small.as_dict(),
            )
        )
        times = ratio(big.p50_ms, small.p50_ms)
        self.add(
            Result(
                "history_100k",
                f"POST /events for a buddy with {history:,} events of history, 1 connection",
                big.p50_ms,
                "ms p50",
                big.as_dict(),
                {"10 events of history (p50)": times, "(p99)": ratio(big.p99_ms, small.p99_ms)},
                "<= 1.2x the latency at 10 events",
                times <= 1.2,
                ""
                if history >= self.plan.big_history
                else f"the history reached {history:,} of the planned {self.plan.big_history:,} "
                "events within its time budget; with snapshots every 50 events a load reads one "
                "snapshot and fewer than 50 events at any length, so the ratio is not expected "
                "to change with more history.",
            )
        )

    def rebuild(self, server: Server) -> None:
        """The operators' rebuild tool (``benchmarks/rebuild.py``) on the bench database."""
        settings = Settings(
            database_url=server.database_url,
            data_dir=Path(tempfile.mkdtemp(prefix="hatched-rebuild-")),
            secret_key="bench",
        )
        figures = measure_rebuild(settings)
        rate = float(figures["full_rebuild_events_per_second"])
        self.add(
            Result(
                "rebuild",
                f"full projection rebuild ({figures['views']} views, one pass over the log)",
                rate,
                "events/s",
                None,
                {
                    "decoded log read": ratio(
                        rate, figures["baseline_decoded_read_events_per_second"]
                    ),
                    "raw log read": ratio(rate, figures["baseline_raw_read_events_per_second"]),
                },
                ">= 20,000 events/s",
                rate >= 20_000,
                f"{figures['log_events']:,} stored events replayed into every view in "
                f"{figures['full_rebuild_seconds']} s by `benchmarks/rebuild.py` "
                "(online: shadow tables, then the swap), while the server kept running; "
                "per view: "
                + ", ".join(
                    f"{name} {view['events_per_second']:,}/s"
                    for name, view in figures["per_view"].items()
                )
                + ".",
            )
        )

    def profile_all(self, server: Server, tenant: Tenant) -> None:
        profiles = HERE / "profiles"
        profiles.mkdir(exist_ok=True)
        paths = [f"/api/v1/buddies/{b}" for b in tenant.buddy_ids.values()]
        runs = {
            "ingest_single": {"mode": "event"},
            "ingest_batch": {"mode": "batch", "connections": 4},
            "buddy_read": {"mode": "get", "paths": paths},
        }
        for name, options in runs.items():
            svg = profiles / f"{name}.svg"
            spy = subprocess.Popen(
                [
                    str(VENV_BIN / "py-spy"),
                    "record",
                    "--nonblocking",
                    "--rate",
                    "50",
                    "--duration",
                    str(round(self.plan.profile_seconds)),
                    "--pid",
                    str(server.pid),
                    "--output",
                    str(svg),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            self.wrk(
                server, tenant, f"profile-{name}", seconds=self.plan.profile_seconds, **options
            )
            _, error = spy.communicate(timeout=60)
            if spy.returncode != 0:
                self.notes.append(f"- py-spy could not profile {name}: {error.decode()[-300:]}")
            else:
                print(f"  profile: {svg.relative_to(HERE.parent)}", flush=True)

    def memory(self, server: Server, tenant: Tenant, idle_rss: float) -> None:
        """Top up to 1,000,000 ingested events with batches (within the time budget), and
        read the API process's RSS before and after, so growth per event is measured."""
        before_events, before_rss = _ingestions(server.database_url), server.rss_mib()
        missing = max(0, MILLION - before_events)
        batch_rate = self.value("ingest_batch") or 100.0
        seconds = min(self.plan.memory_budget_seconds, missing / batch_rate * 1.1 + 1)
        print(f"  {before_events:,} events ingested; topping up for {seconds:.0f} s", flush=True)
        load = self.wrk(
            server, tenant, "memory", mode="batch", connections=4, batch=500, seconds=seconds
        )
        time.sleep(2)
        ingested, rss = _ingestions(server.database_url), server.rss_mib()
        if ingested >= MILLION:
            note = f"measured after {ingested:,} ingested events."
        else:
            added = ingested - before_events
            per_event_kib = (rss - before_rss) * 1024 / added if added > 0 else 0.0
            projected = rss + max(0.0, per_event_kib) * (MILLION - ingested) / 1024
            note = (
                f"only {ingested:,} events were ingested within the time budget. From "
                f"{before_events:,} to {ingested:,} events the RSS went from {before_rss:,.0f} "
                f"to {rss:,.0f} MiB ({per_event_kib:+.3f} KiB per event); extrapolated "
                f"linearly, 1,000,000 events would leave it near {projected:,.0f} MiB. This is "
                "an extrapolation, not a measurement; the process keeps no per-event state (its "
                "caches are bounded: 5,000 kept aggregates, "
                "10,000 keys, 1,024 rulebooks)."
            )
        self.add(
            Result(
                "memory",
                "API process RSS after the run's ingestion (target: 1,000,000 events)",
                rss,
                "MiB",
                {**load.as_dict(), "ingested_events": ingested},
                {"idle server": ratio(rss, idle_rss)},
                note=note,
            )
        )

    # -- the whole run -------------------------------------------------------------------

    def run(self) -> None:
        started = time.time()
        load_before = load_average()
        machine = describe(f"{POSTGRES}/postgres")
        self.pgbench()
        self.without_group_commit()
        self.without_event_quotas()
        self.with_group_commit()
        run = {
            "started_at": datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "duration_s": round(time.time() - started, 1),
            "quick": self.plan.seconds < 10,
            "load_before": load_before,
            "load_after": load_average(),
            "plan": self.plan.__dict__,
        }
        results = list(self.results.values())
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.out / "results.json", run, machine, results, self.notes)
        render(self.out)
        print(f"wrote {self.out / 'results.json'} and {self.out / 'RESULTS.md'}", flush=True)


def verdicts(results: dict[str, Result], cores: int) -> list[str]:
    """Why the numbers are what they are, and one line per target, met or not."""
    lines = [
        "- One `hatched serve` process serves the API: HTTP (uvicorn with httptools and "
        "uvloop, Litestar), authentication, rule evaluation, event encoding, the group-commit "
        "leader and the embedded dramatiq worker; a `hatched projector` process beside it keeps "
        "every view and reactor current. CPython runs one thread's Python at a time (the GIL), "
        "so each process uses one core at most; the API, the projector, PostgreSQL, Redis and "
        "wrk share the machine's cores. The CPU columns say what one event or request cost "
        "each of them while the scenario ran: their sum is what the machine pays per event, "
        f"and {cores} cores times 1,000 ms divided by that sum is the most this machine can do "
        "while an event costs that much. The flame graphs in `benchmarks/profiles/` "
        "show where the API's time goes. Serving is uvicorn; granian was not compared."
    ]
    pgbench = results.get("pgbench_three_inserts")
    if pgbench is not None:
        lines.append(
            f"- PostgreSQL itself ran the three-insert transaction at {pgbench.value:,.0f}/s in "
            f"this run ({pgbench.value / REFERENCE_PGBENCH_TPS:.0%} of the {REFERENCE_PGBENCH_TPS:,}/s "
            "the issue measured on a machine of this size): the database's write path is not "
            "what limits these scenarios."
        )
    counted, uncounted = results.get("ingest_single"), results.get("ingest_single_quotas_off")
    if counted is not None and uncounted is not None and uncounted.value:
        change = counted.value / uncounted.value - 1
        lines.append(
            f"- Event quota (issue 16: single-event ingestion with quotas on within 10 % of "
            f"quotas off, in the same run): {counted.value:,.1f} events/s counted against "
            f"{uncounted.value:,.1f} events/s not counted, {change:+.1%} — "
            + ("met" if change >= -0.10 else "**not met**")
            + ". Two servers, each on a fresh database with its own tenant and warm-up, one "
            "after the other on the same shared machine: differences of a few per cent are "
            "within the noise of one run."
        )
    for result in results.values():
        if result.target is None:
            continue
        verdict = "met" if result.met else "**not met**"
        lines.append(
            f"- {result.title}: target {result.target}; measured {result.value:,.1f} "
            f"{result.unit}"
            + (f" (p99 {result.load['p99_ms']} ms)" if result.load else "")
            + f" — {verdict}."
            + _cpu_budget(result, cores)
        )
    return lines


def _cpu_budget(result: Result, cores: int) -> str:
    load = result.load or {}
    api = float(load.get("server_cpu_ms_per_item") or 0.0)
    if not api:
        return ""
    projector = float(load.get("projector_cpu_ms_per_item") or 0.0)
    postgres = float(load.get("postgres_cpu_ms_per_item") or 0.0)
    total = api + projector + postgres
    return (
        f" Per event or request the API spent {api:g} ms of CPU (one core carries "
        f"{1000 / api:,.0f}/s at that cost), the projector {projector:g} ms and PostgreSQL "
        f"{postgres:g} ms: {total:.2f} ms in all, so {cores} cores carry at most about "
        f"{cores * 1000 / total:,.0f}/s at these costs."
    )


def render(out: Path) -> None:
    """Write ``RESULTS.md`` again from ``results.json`` (after a change to the report)."""
    run, machine, results, notes = read_json(out / "results.json")
    by_name = {r.name: r for r in results}
    verdict_lines = verdicts(by_name, int(machine.get("cores") or 1))
    write_markdown(out / "RESULTS.md", run, machine, results, notes + verdict_lines)


def _ingestions(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM hatched_events WHERE topic = %s",
            ("domain.ingestion.event_ingestion:EventIngestion.Recorded",),
        ).fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--no-profiles", action="store_true", help="skip the py-spy flame graphs")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the results")
    parser.add_argument(
        "--render", action="store_true", help="only rewrite RESULTS.md from results.json"
    )
    parser.add_argument(
        "--ingestion-only",
        action="store_true",
        help="only pgbench and the ingestion scenarios (single events off/on, batches): "
        "a few minutes, to compare two versions of the ingestion path on one machine",
    )
    args = parser.parse_args(argv)
    if args.render:
        render(args.out)
        return 0
    if not wrk_available() or not pgbench_available():
        print("make bench needs wrk and pgbench (Debian: apt-get install wrk postgresql-client)")
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    plan = Plan.quick() if args.quick else Plan.full()
    Bench(plan, args.out, profiles=not args.no_profiles, ingestion_only=args.ingestion_only).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
