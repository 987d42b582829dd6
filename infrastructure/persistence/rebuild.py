"""Rebuilding and verifying views online: replay the log into a copy, then swap or compare.

**Rebuild** replays the whole log into shadow tables (``<table>__rebuild``, tracked as
``<view>__rebuild``) while the live tables keep serving and the live runner keeps them
current. The shadow is filled in chunks, each a short transaction that also renews the
rebuild's lock (PostgreSQL ends sessions idle in a transaction for too long, and a crash
loses at most the chunk in flight). Secondary indexes are left off while filling. Once the
shadow is within one chunk of the log's head, one transaction holds the live view's tracking
row (its runner waits), applies the last events to the shadow, drops the live tables, renames
the shadow tables into their place, creates the indexes and moves the view's position to the
shadow's. Readers see the old rows before that commit and the new rows after it; the live
runner's next batch finds the position moved and re-reads from there.

**Resume.** The shadow's position commits with its rows, so a rebuild killed at any moment
resumes where its shadow stands: run the command again, or let ``hatched projector`` pick it
up (it finishes abandoned rebuilds). ``--fresh`` starts the shadow over instead, e.g. when the
projection's code changed since the interrupted attempt.

**Verify** replays into a scratch copy (``<table>__verify``) up to the live view's position,
then, in one transaction that holds the live view still, applies the last events and compares
both copies row by row (``EXCEPT`` both ways). It changes nothing live.

**Locks.** One row per running rebuild (``view_rebuild_locks``: view, holder, start time,
heartbeat). A second rebuild of the same view is refused while the holder lives. A lock is
stale, and may be taken over, when its heartbeat is older than ``LOCK_TTL`` or its holder is a
dead process on this host.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import msgspec

from infrastructure.persistence.failures import caused_by_infrastructure
from infrastructure.persistence.followers import EventSource
from infrastructure.persistence.parked_events import (
    Outcome,
    ParkedEvent,
    ParkedEvents,
    forget,
    hand_over,
    parked_by,
)
from infrastructure.persistence.view_store import (
    TRACKING_TABLE,
    Tx,
    ViewStore,
    create_indexes,
    create_table,
    lock_position,
)
from infrastructure.persistence.view_text import decode_value
from projections.shared.base import (
    Concerns,
    Delete,
    Lookup,
    Once,
    Projection,
    RowChange,
    Table,
    Upsert,
    iso,
)

log = logging.getLogger("hatched.rebuild")

REBUILD = "__rebuild"
VERIFY = "__verify"
CHUNK = 1000
LOCK_TTL = timedelta(seconds=60)
LOCKS_TABLE = "view_rebuild_locks"
_ABANDONED = "1970-01-01T00:00:00.000000Z"


class Log(EventSource, Protocol):
    """The event store itself: unlike a follower's source, every answer holds all the events
    recorded after the position, up to the limit (a swap and a verify read to an exact
    position), so a process's shared ``RecentLog`` will not do here."""

    def head(self) -> int: ...


class Progress(Protocol):
    """Told how far a replay has come, in notification ids (the log's positions)."""

    def start(self, view: str, done: int, total: int) -> None: ...

    def advance(self, view: str, amount: int) -> None: ...


class UnknownViews(Exception):
    def __init__(self, names: Sequence[str], known: Sequence[str]) -> None:
        super().__init__(f"unknown view(s): {', '.join(names)}; known: {', '.join(known)}")
        self.names = list(names)


class RebuildRefused(Exception):
    """Another live process holds the view's rebuild lock."""

    def __init__(self, lock: LockInfo) -> None:
        super().__init__(
            f"{lock.name} is already being rebuilt by {lock.holder} "
            f"(since {lock.started_at}, last heartbeat {lock.heartbeat_at})"
        )
        self.lock = lock


class LockLost(Exception):
    """The lock went stale and another process took the rebuild over; this one stops."""


class Stopped(Exception):
    """The process is shutting down; the rebuild is left to be resumed."""


@dataclass(frozen=True)
class LockInfo:
    name: str
    holder: str
    started_at: str
    heartbeat_at: str

    def stale(self, now: datetime) -> bool:
        if now - _parse(self.heartbeat_at) > LOCK_TTL:
            return True
        host, pid, _ = [*self.holder.rsplit(":", 2), "", ""][:3]
        return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))


@dataclass(frozen=True)
class Difference:
    table: str
    key: dict[str, Any]
    live: dict[str, Any] | None
    expected: dict[str, Any] | None

    def describe(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        if self.live is None:
            return f"{self.table} [{key}]: missing (expected {self.expected})"
        if self.expected is None:
            return f"{self.table} [{key}]: unexpected row {self.live}"
        changed = {
            c: (self.live.get(c), self.expected.get(c))
            for c in sorted(set(self.live) | set(self.expected))
            if self.live.get(c) != self.expected.get(c)
        }
        columns = "; ".join(f"{c}: live {a!r} != replayed {b!r}" for c, (a, b) in changed.items())
        return f"{self.table} [{key}]: {columns}"


@dataclass(frozen=True)
class Verification:
    view: str
    position: int
    rows: int
    differences: list[Difference] = field(default_factory=list)
    parked: list[ParkedEvent] = field(default_factory=list)
    """The events the live view parked (decision 0016)."""


@dataclass(frozen=True)
class ViewStatus:
    name: str
    position: int
    head: int
    rebuild: LockInfo | None
    rebuild_position: int | None
    reactor: bool = False
    parked: int = 0

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class _Copy:
    """A view's tables under another name (no secondary indexes) with their own position."""

    def __init__(self, projection: Projection, suffix: str) -> None:
        self.projection = projection
        self.tracking = projection.name + suffix
        self.tables = tuple(replace(t, name=t.name + suffix, indexes=()) for t in projection.tables)
        self._names = {t.name: t.name + suffix for t in projection.tables}
        self._concerns = Concerns(projection.handles)

    def outcomes(self, batch: Iterable[tuple[int, Any]]) -> list[Outcome]:
        """Each event's changes to the copy, or the error that parks it (as a follower would)."""
        outcomes = []
        for notification_id, event in batch:
            if not self._concerns(event):
                continue
            try:
                changes = [self._renamed(change) for change in self.projection.handle(event)]
            except Exception as error:
                if caused_by_infrastructure(error):
                    raise
                outcomes.append(Outcome(notification_id, event, error=error))
            else:
                outcomes.append(Outcome(notification_id, event, changes))
        return outcomes

    def _renamed(self, change: RowChange) -> RowChange:
        table = self._names[change.table]
        if isinstance(change, Upsert):
            return msgspec.structs.replace(
                change,
                table=table,
                key=self._looked_up(change.key),
                values=self._looked_up(change.values),
            )
        if isinstance(change, Once):
            then = tuple(self._renamed(t) for t in change.then)
            return msgspec.structs.replace(change, table=table, then=then)
        return Delete(table, change.key)

    def _looked_up(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with each ``Lookup`` reading the copy's table instead of the live one."""
        return {
            column: msgspec.structs.replace(value, table=self._names[value.table])
            if isinstance(value, Lookup)
            else value
            for column, value in values.items()
        }


class _Lock:
    def __init__(self, name: str, holder: str) -> None:
        self.name = name
        self.holder = holder

    def acquire(self, tx: Tx, now: datetime) -> bool:
        """Take the lock; ``True`` when it was taken over from an abandoned holder."""
        stamp = iso(now)
        tx.execute(
            f"INSERT INTO {LOCKS_TABLE} (name, holder, started_at, heartbeat_at) "
            f"VALUES ({tx.p}, {tx.p}, {tx.p}, {tx.p}) ON CONFLICT (name) DO NOTHING",
            (self.name, self.holder, stamp, stamp),
        )
        current = _lock_row(tx, self.name, for_update=True)
        assert current is not None
        if current.holder == self.holder:
            return False
        if not current.stale(now):
            raise RebuildRefused(current)
        log.warning("taking over %s from %s", self.name, current.holder)
        tx.execute(
            f"UPDATE {LOCKS_TABLE} SET holder = {tx.p}, heartbeat_at = {tx.p} WHERE name = {tx.p}",
            (self.holder, stamp, self.name),
        )
        return True

    def beat(self, tx: Tx) -> None:
        cursor = tx.execute(
            f"UPDATE {LOCKS_TABLE} SET heartbeat_at = {tx.p} WHERE name = {tx.p} AND holder = {tx.p}",
            (iso(_now()), self.name, self.holder),
        )
        if cursor.rowcount != 1:
            raise LockLost(f"{self.holder} no longer holds {self.name}")

    def release(self, tx: Tx) -> None:
        tx.execute(
            f"DELETE FROM {LOCKS_TABLE} WHERE name = {tx.p} AND holder = {tx.p}",
            (self.name, self.holder),
        )

    def abandon(self, tx: Tx) -> None:
        """Leave the work to be resumed: the lock stays, but reads as stale at once."""
        tx.execute(
            f"UPDATE {LOCKS_TABLE} SET heartbeat_at = {tx.p} WHERE name = {tx.p} AND holder = {tx.p}",
            (_ABANDONED, self.name, self.holder),
        )


class Rebuilder:
    def __init__(
        self,
        log: Log,
        views: ViewStore,
        projections: Sequence[Projection],
        *,
        chunk: int = CHUNK,
        pause: float = 0.0,
        holder: str | None = None,
    ) -> None:
        self._log = log
        self._views = views
        self._projections = {p.name: p for p in projections}
        self._chunk = chunk
        self._pause = pause
        """Seconds to wait after each chunk: spares a busy database (``rebuild --pause``)."""
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        with views.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {LOCKS_TABLE} (name TEXT PRIMARY KEY, "
                "holder TEXT NOT NULL, started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL)"
            )

    @property
    def names(self) -> list[str]:
        return list(self._projections)

    @property
    def views(self) -> ViewStore:
        return self._views

    def resolve(self, names: Sequence[str]) -> list[str]:
        """The views named (all of them when none is), or ``UnknownViews``."""
        unknown = [n for n in names if n not in self._projections]
        if unknown:
            raise UnknownViews(unknown, self.names)
        return list(dict.fromkeys(names)) or self.names

    # -- status --------------------------------------------------------------------

    def status(self, reactors: Sequence[str] = ()) -> list[ViewStatus]:
        """Every view's position and rebuild, then the position of each of ``reactors``
        (followers that keep no view, so they have nothing to rebuild)."""
        head = self._log.head()
        positions = self._views.positions()
        parked = ParkedEvents(self._views).counts()
        locks = {lock.name: lock for lock in self.locks()}
        views = [
            ViewStatus(
                name,
                positions.get(name, 0),
                head,
                locks.get(name),
                positions.get(name + REBUILD) if name in locks else None,
                parked=parked.get(name, 0),
            )
            for name in self._projections
        ]
        others = [
            ViewStatus(
                name,
                positions.get(name, 0),
                head,
                None,
                None,
                reactor=True,
                parked=parked.get(name, 0),
            )
            for name in reactors
        ]
        return views + others

    def locks(self) -> list[LockInfo]:
        rows = self._views.select(
            f"SELECT name, holder, started_at, heartbeat_at FROM {LOCKS_TABLE} ORDER BY name"
        )
        return [LockInfo(**row) for row in rows]

    def abandoned(self) -> list[str]:
        """Views whose rebuild was interrupted and awaits a resume."""
        now = _now()
        return [
            lock.name for lock in self.locks() if lock.name in self._projections and lock.stale(now)
        ]

    # -- rebuild -------------------------------------------------------------------

    def rebuild(
        self,
        names: Sequence[str],
        progress: Progress | None = None,
        *,
        fresh: bool = False,
        stop: threading.Event | None = None,
    ) -> int:
        """Replay the log once into shadow copies of the views ``names`` and swap each in
        when it has caught up; returns the log events read. ``stop`` set meanwhile leaves
        the rebuild to be resumed (``Stopped``)."""
        shadows = [_Copy(self._projection(name), REBUILD) for name in dict.fromkeys(names)]
        with self._locked(shadows, [c.projection.name for c in shadows]) as resumed:
            for shadow in shadows:
                if fresh or shadow.projection.name not in resumed:
                    self._reset(shadow)
                else:
                    log.info("resuming the rebuild of %s", shadow.projection.name)
                    self._views.create_tables(shadow.tables)
            replayed = 0
            pending = shadows
            while pending:
                replayed += self._fill(pending, lambda _: self._log.head(), progress, stop)
                pending = [shadow for shadow in pending if not self._swap(shadow)]
            return replayed

    def _swap(self, shadow: _Copy) -> bool:
        """Swap a caught-up shadow in; ``False`` if it is still more than a chunk behind."""
        projection = shadow.projection
        with self._views.transaction() as tx:
            self._lock(projection.name).beat(tx)
            live = lock_position(tx, projection.name)
            position = lock_position(tx, shadow.tracking)
            rest = self._log.notifications_after(position, self._chunk + 1)
            if len(rest) > self._chunk:
                return False
            end = rest[-1][0] if rest else position
            if end < live:
                return False
            self._views.apply_outcomes_in(tx, shadow.tracking, shadow.outcomes(rest), end)
            for table, copy in zip(projection.tables, shadow.tables, strict=True):
                tx.execute(f"DROP TABLE IF EXISTS {table.name}")
                tx.execute(f"ALTER TABLE {copy.name} RENAME TO {table.name}")
                if tx.postgres:
                    tx.execute(
                        f"ALTER INDEX IF EXISTS {copy.name}_pkey RENAME TO {table.name}_pkey"
                    )
                create_indexes(tx, table)
            self._views.apply_in(tx, projection.name, (), end)
            hand_over(tx, shadow.tracking, projection.name)
            _forget_position(tx, shadow.tracking)
            self._lock(projection.name).release(tx)
        self._views.changed()
        log.info("%s rebuilt and swapped in at position %d", projection.name, end)
        return True

    # -- verify --------------------------------------------------------------------

    def verify(
        self,
        names: Sequence[str],
        progress: Progress | None = None,
        *,
        stop: threading.Event | None = None,
    ) -> list[Verification]:
        """Replay the views ``names`` into scratch copies (reading the log once) and compare
        each with its live tables at the live view's position."""
        scratches = [_Copy(self._projection(name), VERIFY) for name in dict.fromkeys(names)]
        for scratch in scratches:
            self._views.create_tables(scratch.projection.tables)
        locks = [f"{c.projection.name}:verify" for c in scratches]
        results: dict[str, Verification] = {}
        with self._locked(scratches, locks, always_drop=True):
            for scratch in scratches:
                self._reset(scratch)
            pending = scratches
            while pending:
                self._fill(
                    pending,
                    lambda c: self._views.position(c.projection.name),
                    progress,
                    stop,
                    locks,
                )
                for scratch in pending:
                    result = self._compare(scratch)
                    if result is not None:
                        results[scratch.projection.name] = result
                pending = [c for c in pending if c.projection.name not in results]
        return [results[c.projection.name] for c in scratches]

    def _compare(self, scratch: _Copy) -> Verification | None:
        projection = scratch.projection
        with self._views.transaction() as tx:
            self._lock(f"{projection.name}:verify").beat(tx)
            live = lock_position(tx, projection.name)
            position = lock_position(tx, scratch.tracking)
            rest = [
                (i, e)
                for i, e in self._log.notifications_after(position, self._chunk + 1)
                if i <= live
            ]
            if len(rest) > self._chunk:
                return None
            if rest:
                self._views.apply_outcomes_in(
                    tx, scratch.tracking, scratch.outcomes(rest), rest[-1][0]
                )
            differences: list[Difference] = []
            rows = 0
            for table, copy in zip(projection.tables, scratch.tables, strict=True):
                rows += int(tx.execute(f"SELECT COUNT(*) FROM {table.name}").fetchone()[0])
                differences += _diff(tx, table, copy.name)
            parked = parked_by(tx, projection.name)
        return Verification(projection.name, live, rows, differences, parked)

    # -- the parts -----------------------------------------------------------------

    def _projection(self, name: str) -> Projection:
        if name not in self._projections:
            raise UnknownViews([name], self.names)
        return self._projections[name]

    def _lock(self, name: str) -> _Lock:
        return _Lock(name, self.holder)

    @contextmanager
    def _locked(
        self, copies: Sequence[_Copy], names: Sequence[str], *, always_drop: bool = False
    ) -> Iterator[set[str]]:
        """Hold the locks ``names``; yields the names of abandoned runs being resumed.

        All or none: if one lock is refused, the ones already taken are given back.
        On success the work released each lock itself (or it is released here). Ctrl-C
        cancels: the copies are dropped. Any other failure leaves them to be resumed.
        """
        locks = [self._lock(name) for name in names]
        resumed: set[str] = set()
        try:
            for lock in locks:
                with self._views.transaction() as tx:
                    if lock.acquire(tx, _now()):
                        resumed.add(lock.name)
        except RebuildRefused:
            with self._views.transaction() as tx:
                for lock in locks:
                    (lock.abandon if lock.name in resumed else lock.release)(tx)
            raise
        try:
            yield resumed
        except LockLost:
            raise
        except (KeyboardInterrupt, Exception) as error:
            cancelled = isinstance(error, KeyboardInterrupt) or always_drop
            with self._views.transaction() as tx:
                for copy, lock in zip(copies, locks, strict=True):
                    if cancelled:
                        _drop(tx, copy)
                        lock.release(tx)
                    else:
                        lock.abandon(tx)
            raise
        else:
            with self._views.transaction() as tx:
                for copy, lock in zip(copies, locks, strict=True):
                    if always_drop:
                        _drop(tx, copy)
                    lock.release(tx)

    def _reset(self, copy: _Copy) -> None:
        with self._views.transaction() as tx:
            _drop(tx, copy)
            for table in copy.tables:
                create_table(tx, table)

    def _fill(
        self,
        copies: Sequence[_Copy],
        target: Callable[[_Copy], int],
        progress: Progress | None,
        stop: threading.Event | None,
        lock_names: Sequence[str] | None = None,
    ) -> int:
        """Replay into ``copies`` until each reaches its ``target``, reading each chunk of
        the log once for all of them; returns the log events read."""
        locks = [self._lock(n) for n in lock_names or [c.projection.name for c in copies]]
        positions = {c.tracking: self._views.position(c.tracking) for c in copies}
        if progress:
            for copy in copies:
                done = positions[copy.tracking]
                progress.start(copy.projection.name, done, max(target(copy), done))
        replayed = 0
        while True:
            if stop is not None and stop.is_set():
                raise Stopped(", ".join(c.projection.name for c in copies))
            until = {c.tracking: target(c) for c in copies}
            behind = [c for c in copies if positions[c.tracking] < until[c.tracking]]
            if not behind:
                return replayed
            start = min(positions[c.tracking] for c in behind)
            batch = self._log.notifications_after(start, self._chunk)
            batch = [(i, e) for i, e in batch if i <= max(until.values())]
            if not batch:
                return replayed
            moved: dict[str, int] = {}
            with self._views.transaction() as tx:
                for lock in locks:
                    lock.beat(tx)
                for copy in behind:
                    at, limit = positions[copy.tracking], until[copy.tracking]
                    own = [(i, e) for i, e in batch if at < i <= limit]
                    if not own:
                        continue
                    if lock_position(tx, copy.tracking) != at:
                        raise LockLost(f"{copy.tracking} was written by another process")
                    outcomes = copy.outcomes(own)
                    self._views.apply_outcomes_in(tx, copy.tracking, outcomes, own[-1][0])
                    moved[copy.tracking] = own[-1][0]
            if not moved:
                return replayed
            for copy in behind:
                if copy.tracking in moved:
                    if progress:
                        progress.advance(
                            copy.projection.name, moved[copy.tracking] - positions[copy.tracking]
                        )
                    positions[copy.tracking] = moved[copy.tracking]
            replayed += len(batch)
            if self._pause:
                (stop or threading.Event()).wait(self._pause)


def _diff(tx: Tx, table: Table, copy: str) -> list[Difference]:
    live_columns = [d[0] for d in tx.execute(f"SELECT * FROM {table.name} LIMIT 0").description]
    if sorted(live_columns) != sorted(table.columns):
        return [
            Difference(
                table.name,
                {"columns": ",".join(sorted(live_columns))},
                {"columns": ",".join(sorted(live_columns))},
                {"columns": ",".join(sorted(table.columns))},
            )
        ]
    columns = list(table.columns)
    listed = ", ".join(columns)

    def only_in(first: str, second: str) -> dict[tuple[Any, ...], dict[str, Any]]:
        rows = tx.execute(
            f"SELECT {listed} FROM {first} EXCEPT SELECT {listed} FROM {second}"
        ).fetchall()
        found = [dict(zip(columns, map(decode_value, row), strict=True)) for row in rows]
        return {tuple(r[k] for k in table.key): r for r in found}

    live = only_in(table.name, copy)
    expected = only_in(copy, table.name)
    return [
        Difference(
            table.name, dict(zip(table.key, key, strict=True)), live.get(key), expected.get(key)
        )
        for key in sorted(set(live) | set(expected), key=lambda k: tuple(map(str, k)))
    ]


def _drop(tx: Tx, copy: _Copy) -> None:
    for table in copy.tables:
        tx.execute(f"DROP TABLE IF EXISTS {table.name}")
    forget(tx, copy.tracking)
    _forget_position(tx, copy.tracking)


def _forget_position(tx: Tx, view: str) -> None:
    tx.execute(f"DELETE FROM {TRACKING_TABLE} WHERE view = {tx.p}", (view,))


def _lock_row(tx: Tx, name: str, *, for_update: bool = False) -> LockInfo | None:
    lock = " FOR UPDATE" if for_update and tx.postgres else ""
    row = tx.execute(
        f"SELECT name, holder, started_at, heartbeat_at FROM {LOCKS_TABLE} WHERE name = {tx.p}{lock}",
        (name,),
    ).fetchone()
    return LockInfo(*row) if row else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> datetime:
    return datetime.now(UTC)


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
