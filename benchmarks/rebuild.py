"""Replay throughput of a full projection rebuild, with its baseline from the same run.

Baselines, measured first on the same store: reading the notification log raw (what any
replay must at least do) and reading it decoded into domain events. Then the views are
rebuilt online (shadow tables, then the swap) and timed: a full rebuild reads the log once,
``CHUNK`` events at a time, for every view together; each view is then also rebuilt alone, so its rate is ``log length / its time``. The ratios to the decoded read say what the
projections and their writes cost on top of reading::

    python -m benchmarks.rebuild                   # uses the store in HATCHED_* settings
    python -m benchmarks.rebuild --events 20000    # fills an empty store with the workload first

``measure()`` returns the same figures for other reports (``benchmarks/run.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from application.shared.store import EventStore
from benchmarks.workload import Workload, follow, settle
from infrastructure.persistence.event_store import event_store_env
from infrastructure.persistence.rebuild import CHUNK, Rebuilder
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.settings import Settings
from projections.registry import all_projections


def read_rate(store: EventStore, *, decode: bool) -> tuple[int, float]:
    """(notifications read, seconds) for one pass over the whole log, ``CHUNK`` at a time."""
    started = time.perf_counter()
    position, count = 0, 0
    while True:
        if decode:
            batch = store.notifications_after(position, CHUNK)
            ids = [i for i, _ in batch]
        else:
            notifications = store.recorder.select_notifications(
                start=position, limit=CHUNK, inclusive_of_start=False
            )
            ids = [n.id for n in notifications]
        if not ids:
            return count, time.perf_counter() - started
        count += len(ids)
        position = ids[-1]


def best_of(runs: int, timed: Callable[[], tuple[int, float]]) -> tuple[int, float]:
    """The fastest of ``runs`` passes: the baseline is what the machine can do, not its noise."""
    return min((timed() for _ in range(runs)), key=lambda result: result[1])


def measure(settings: Settings, views: list[str] | None = None) -> dict[str, Any]:
    store = EventStore(env=event_store_env(settings))
    view_store = ViewStore(settings)
    try:
        rebuilder = Rebuilder(store, view_store, all_projections())
        names = rebuilder.resolve(views or [])
        raw, raw_seconds = best_of(3, lambda: read_rate(store, decode=False))
        decoded, decoded_seconds = best_of(3, lambda: read_rate(store, decode=True))
        raw_rate = raw / raw_seconds if raw_seconds else 0.0
        decoded_rate = decoded / decoded_seconds if decoded_seconds else 0.0
        started = time.perf_counter()
        replayed_total = rebuilder.rebuild(names)
        total_seconds = time.perf_counter() - started
        full_rate = replayed_total / total_seconds if total_seconds else 0.0
        per_view: dict[str, dict[str, float]] = {}
        for name in names:
            started = time.perf_counter()
            replayed = rebuilder.rebuild([name])
            seconds = time.perf_counter() - started
            rate = replayed / seconds if seconds else 0.0
            per_view[name] = {
                "events": replayed,
                "seconds": round(seconds, 3),
                "events_per_second": round(rate),
                "ratio_to_decoded_read": round(rate / decoded_rate, 3) if decoded_rate else 0.0,
            }
        return {
            "backend": "postgres" if settings.uses_postgres else "sqlite",
            "log_events": raw,
            "views": len(names),
            "baseline_raw_read_events_per_second": round(raw_rate),
            "baseline_decoded_read_events_per_second": round(decoded_rate),
            "full_rebuild_seconds": round(total_seconds, 3),
            "full_rebuild_events_per_second": round(full_rate),
            "ratio_full_rebuild_to_decoded_read": round(full_rate / decoded_rate, 3)
            if decoded_rate
            else 0.0,
            "ratio_full_rebuild_to_raw_read": round(full_rate / raw_rate, 3) if raw_rate else 0.0,
            "per_view": per_view,
        }
    finally:
        view_store.close()
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rebuild", description=__doc__)
    parser.add_argument("views", nargs="*", help="default: every view")
    parser.add_argument("--events", type=int, default=20_000, help="workload size if empty")
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    store = EventStore(env=event_store_env(settings))
    if store.head() == 0:
        print(f"empty store: running the workload ({args.events} events) first", file=sys.stderr)
        view_store = ViewStore(settings)
        followers = follow(store, view_store)
        Workload(store, args.seed, settings=settings).run(args.events, args.tenants)
        settle(followers)
        view_store.close()
    store.close()
    figures = measure(settings, args.views)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"backend: {figures['backend']}, log: {figures['log_events']} events")
    print(f"baseline raw read:     {figures['baseline_raw_read_events_per_second']:>9} events/s")
    print(
        f"baseline decoded read: {figures['baseline_decoded_read_events_per_second']:>9} events/s"
    )
    for name, view in figures["per_view"].items():
        print(
            f"rebuild {name:<16} {view['events_per_second']:>9} events/s "
            f"({view['seconds']} s, {view['ratio_to_decoded_read']}x decoded read)"
        )
    print(
        f"full rebuild (all {figures['views']} views, one pass): "
        f"{figures['full_rebuild_seconds']} s, {figures['full_rebuild_events_per_second']} log events/s "
        f"({figures['ratio_full_rebuild_to_decoded_read']}x decoded read, "
        f"{figures['ratio_full_rebuild_to_raw_read']}x raw read)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
