"""``hatched projector`` and ``hatched projections status|rebuild|verify|retry``.

Exit status: 0 done; 1 differences or parked events found (verify), events still parked
(retry), or the work failed; 2 a view name is unknown; 3 another process is rebuilding (or
verifying) that view; 4 the database cannot be opened (``hatched`` says why in one line).
Progress bars go to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from application.shared.store import EventStore
from infrastructure.persistence.event_store import event_store_env
from infrastructure.persistence.parked_events import ParkedEvent, ParkedEvents
from infrastructure.persistence.rebuild import (
    CHUNK,
    Rebuilder,
    RebuildRefused,
    Stopped,
    UnknownViews,
)
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.settings import Settings
from infrastructure.shared.structured_logs import announce, configure_logging
from projections.registry import all_projections

RESUME_CHECK_SECONDS = 15.0
SHOWN_DIFFERENCES = 20
UNKNOWN_VIEW = 2
REFUSED = 3
CHUNK_HELP = "log events per transaction (default %(default)s)"


def add_commands(commands: Any) -> None:
    """Register ``projector`` and ``projections`` on the ``hatched`` argument parser."""
    projector_cmd = commands.add_parser(
        "projector", help="keep every view (and, with Redis, every reactor) current until SIGTERM"
    )
    projector_cmd.set_defaults(run=projector)
    projections = commands.add_parser(
        "projections", help="operate the read models: status, rebuild, verify"
    )
    actions = projections.add_subparsers(dest="action", required=True)
    actions.add_parser(
        "status", help="each view's and reactor's position, the log head and the lag"
    ).set_defaults(run=status)
    rebuild_cmd = actions.add_parser(
        "rebuild", help="replay views into shadow tables, then swap them in (online)"
    )
    rebuild_cmd.add_argument("views", nargs="*", metavar="VIEW", help="default: every view")
    rebuild_cmd.add_argument(
        "--fresh", action="store_true", help="start an interrupted rebuild over instead of resuming"
    )
    rebuild_cmd.add_argument("--chunk", type=int, default=CHUNK, help=CHUNK_HELP)
    rebuild_cmd.add_argument(
        "--pause",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long after each chunk, to spare a busy database (default: 0)",
    )
    rebuild_cmd.set_defaults(run=rebuild)
    verify_cmd = actions.add_parser(
        "verify", help="replay views into a scratch copy and diff it against the live tables"
    )
    verify_cmd.add_argument("views", nargs="*", metavar="VIEW", help="default: every view")
    verify_cmd.add_argument("--chunk", type=int, default=CHUNK, help=CHUNK_HELP)
    verify_cmd.set_defaults(run=verify)
    retry_cmd = actions.add_parser(
        "retry",
        help="replay the views holding parked events, applying those that apply now (online)",
    )
    retry_cmd.add_argument("views", nargs="*", metavar="VIEW", help="default: every view")
    retry_cmd.add_argument("--chunk", type=int, default=CHUNK, help=CHUNK_HELP)
    retry_cmd.set_defaults(run=retry)


# -- the operator's commands -------------------------------------------------------------


def status(args: argparse.Namespace) -> int:
    from interfaces.container import REACTOR_NAMES

    with _rebuilder() as rebuilder:
        rows = rebuilder.status(REACTOR_NAMES)
    if all(row.head == 0 for row in rows):
        print("the event log is empty: no view or reactor has anything to follow yet")
        return 0
    print(f"{'follower':<24} {'position':>10} {'head':>10} {'lag':>8} {'parked':>8}  rebuild")
    for row in rows:
        rebuild = "(reactor: nothing to rebuild)" if row.reactor else "-"
        if row.rebuild is not None:
            rebuild = (
                f"at {row.rebuild_position or 0} by {row.rebuild.holder} "
                f"since {row.rebuild.started_at} (heartbeat {row.rebuild.heartbeat_at})"
            )
        print(
            f"{row.name:<24} {row.position:>10} {row.head:>10} {row.lag:>8} {row.parked:>8}"
            f"  {rebuild}"
        )
    return 0


def rebuild(args: argparse.Namespace) -> int:
    with _rebuilder(args.chunk, pause=max(0.0, args.pause)) as rebuilder:
        names = _resolve(rebuilder, args.views)
        if names is None:
            return UNKNOWN_VIEW
        try:
            with _bars() as bars:
                replayed = rebuilder.rebuild(names, bars, fresh=args.fresh)
        except RebuildRefused as refused:
            print(f"refused: {refused}", file=sys.stderr)
            return REFUSED
    print(f"rebuilt {', '.join(names)} from {replayed} log events; swapped in", flush=True)
    return 0


def verify(args: argparse.Namespace) -> int:
    with _rebuilder(args.chunk) as rebuilder:
        names = _resolve(rebuilder, args.views)
        if names is None:
            return UNKNOWN_VIEW
        try:
            with _bars() as bars:
                results = rebuilder.verify(names, bars)
        except RebuildRefused as refused:
            print(f"refused: {refused}", file=sys.stderr)
            return REFUSED
    found = 0
    for result in results:
        count = len(result.differences)
        found += count + len(result.parked)
        verdict = "no differences" if not count else f"{count} difference(s)"
        if result.parked:
            verdict += f", {len(result.parked)} parked event(s)"
        print(f"{result.view}: {result.rows} rows at position {result.position}, {verdict}")
        for difference in result.differences[:SHOWN_DIFFERENCES]:
            print(f"  {difference.describe()}")
        if count > SHOWN_DIFFERENCES:
            print(f"  … and {count - SHOWN_DIFFERENCES} more")
        _print_parked(result.parked)
    return 1 if found else 0


def retry(args: argparse.Namespace) -> int:
    """Rebuild the views (of those named) that hold parked events: the replay applies, in
    log order, the ones that apply now, and parks again those that still fail."""
    with _rebuilder(args.chunk) as rebuilder:
        parked = ParkedEvents(rebuilder.views)
        names = _resolve(rebuilder, args.views)
        if names is None:
            return UNKNOWN_VIEW
        counts = parked.counts()
        targets = [name for name in names if counts.get(name)]
        if not targets:
            print("no parked events in " + ", ".join(names))
            return 0
        before = {(e.view, e.notification_id) for e in parked.of(targets)}
        try:
            with _bars() as bars:
                rebuilder.rebuild(targets, bars, fresh=True)
        except RebuildRefused as refused:
            print(f"refused: {refused}", file=sys.stderr)
            return REFUSED
        still = parked.of(targets)
        for name in targets:
            left = [e for e in still if e.view == name]
            applied = {n for v, n in before if v == name} - {e.notification_id for e in left}
            print(f"{name}: {len(applied)} applied, {len(left)} still parked")
            _print_parked(left)
    return 1 if still else 0


# -- the long-running runner ------------------------------------------------------------


def projector(args: argparse.Namespace) -> int:
    """Run the log followers until SIGTERM or SIGINT, and finish abandoned rebuilds.

    Without Redis only the views run here: a reactor's tasks would land in this process's
    own in-memory broker, which no worker reads; ``hatched serve`` keeps those.
    """
    from infrastructure.persistence.followers import PostgresWakeUp
    from interfaces.container import build_container

    settings = Settings.from_env()
    _logging(settings)
    container = build_container(settings)
    announce(f"store: {settings.describe_store()}")
    followers = [f for f in container.followers if f.projection is not None or settings.redis_url]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    for follower in followers:
        follower.start()
    wake_up = PostgresWakeUp.start(settings, container.store, [f.wake for f in followers])
    rebuilder = Rebuilder(container.store, container.views, all_projections())
    resumer = threading.Thread(
        target=_resume_abandoned, args=(rebuilder, stop), name="rebuild-resumer", daemon=True
    )
    resumer.start()
    names = ", ".join(f.name for f in followers)
    announce(f"Hatched projector running: {names}")
    stop.wait()
    resumer.join(timeout=30)
    if wake_up is not None:
        wake_up.stop()
    container.close()
    return 0


def _resume_abandoned(rebuilder: Rebuilder, stop: threading.Event) -> None:
    log = logging.getLogger("hatched.projector")
    while not stop.is_set():
        names = rebuilder.abandoned()
        try:
            if names:
                rebuilder.rebuild(names, stop=stop)
                log.info("finished the abandoned rebuild of %s", ", ".join(names))
        except (RebuildRefused, Stopped):
            pass
        except Exception:
            log.exception("resuming the rebuild of %s failed; will retry", ", ".join(names))
        stop.wait(RESUME_CHECK_SECONDS)


# -- helpers -----------------------------------------------------------------------------


@contextmanager
def _rebuilder(chunk: int = CHUNK, pause: float = 0.0) -> Iterator[Rebuilder]:
    settings = Settings.from_env()
    _logging(settings, default="warning")
    store = EventStore(env=event_store_env(settings))
    views = ViewStore(settings)
    print(f"store: {settings.describe_store()}", file=sys.stderr, flush=True)
    try:
        yield Rebuilder(store, views, all_projections(), chunk=max(1, chunk), pause=pause)
    finally:
        views.close()
        store.close()


def _print_parked(events: list[ParkedEvent]) -> None:
    for event in events[:SHOWN_DIFFERENCES]:
        print(f"  parked {event.describe()}")
    if len(events) > SHOWN_DIFFERENCES:
        print(f"  … and {len(events) - SHOWN_DIFFERENCES} more parked")


def _resolve(rebuilder: Rebuilder, names: list[str]) -> list[str] | None:
    try:
        return rebuilder.resolve(names)
    except UnknownViews as unknown:
        print(f"error: {unknown}", file=sys.stderr)
        return None


def _logging(settings: Settings, default: str | None = None) -> None:
    level = default if default and settings.log_level == "info" else settings.log_level
    configure_logging(level, settings.log_format)


class _Bars:
    """Plain progress bars on stderr, one per view (``rich``, which Litestar brings)."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def start(self, view: str, done: int, total: int) -> None:
        if view in self._tasks:
            self._progress.update(self._tasks[view], completed=done, total=total)
            return
        self._tasks[view] = self._progress.add_task(view, completed=done, total=total)

    def advance(self, view: str, amount: int) -> None:
        self._progress.advance(self._tasks[view], amount)


@contextmanager
def _bars() -> Iterator[_Bars]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        yield _Bars(progress)
