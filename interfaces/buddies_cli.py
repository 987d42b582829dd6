"""``hatched buddies export BUDDY_ID [--out FILE]`` and ``hatched buddies import FILE``.

A support fixture: one buddy's streams (buddy, wallet, egg, operations, config versions) as
one JSON file, and back into an empty store (``application/history/buddy_export.py``). Both use the
store named by the ``HATCHED_*`` settings.

Exit status: 0 done; 1 refused (unknown buddy, the store already holds the buddy, a file
that is not an export).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from application.history.buddy_export import BuddyExports
from application.shared.store import EventStore
from domain.shared.errors import DomainError
from infrastructure.companions.operation_index import ViewOperationIndex
from infrastructure.persistence.event_store import event_store_env
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.clock import SystemClock
from infrastructure.shared.settings import Settings

REFUSED = 1


def add_commands(commands: Any) -> None:
    """Register ``buddies export`` and ``buddies import`` on the ``hatched`` parser."""
    buddies = commands.add_parser("buddies", help="export a buddy as a fixture, or import one")
    actions = buddies.add_subparsers(dest="action", required=True)
    export_cmd = actions.add_parser(
        "export", help="write the buddy's streams and config versions as one JSON file"
    )
    export_cmd.add_argument("buddy_id", metavar="BUDDY_ID", help="bdy_…")
    export_cmd.add_argument("--out", type=Path, default=None, help="default: standard output")
    export_cmd.set_defaults(run=export)
    import_cmd = actions.add_parser("import", help="load an export into an empty store")
    import_cmd.add_argument("file", type=Path, metavar="FILE", help="a file written by export")
    import_cmd.set_defaults(run=import_)


@contextmanager
def _exports() -> Iterator[BuddyExports]:
    settings = Settings.from_env()
    store = EventStore(env=event_store_env(settings))
    views = ViewStore(settings)
    print(f"store: {settings.describe_store()}", file=sys.stderr, flush=True)
    try:
        yield BuddyExports(store, SystemClock(), ViewOperationIndex(views))
    finally:
        views.close()
        store.close()


def export(args: argparse.Namespace) -> int:
    try:
        with _exports() as exports:
            document = exports.export(args.buddy_id)
    except DomainError as refusal:
        print(f"hatched buddies export: {refusal.message}", file=sys.stderr)
        return REFUSED
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        events = sum(len(s["events"]) for s in document["streams"])
        print(
            f"exported {args.buddy_id}: {len(document['streams'])} streams, {events} events "
            f"→ {args.out}",
            file=sys.stderr,
        )
    return 0


def import_(args: argparse.Namespace) -> int:
    try:
        document = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        print(f"hatched buddies import: cannot read {args.file}: {problem}", file=sys.stderr)
        return REFUSED
    try:
        with _exports() as exports:
            imported = exports.import_(document)
    except DomainError as refusal:
        print(f"hatched buddies import: {refusal.message}", file=sys.stderr)
        return REFUSED
    print(
        f"imported {imported.buddy_id} of {imported.customer_id} ({imported.mode}): "
        f"{imported.streams} streams, {imported.events} events"
    )
    return 0
