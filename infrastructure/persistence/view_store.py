"""Read-model tables on SQLite or PostgreSQL, written with their tracking position atomically.

The same small SQL subset runs on both: TEXT and INTEGER columns, ``INSERT … ON CONFLICT``
upserts, keyset pagination. JSON documents are stored as text in a ``data`` column. Every
string written or compared is encoded by ``infrastructure/persistence/view_text.py`` (NUL and lone
surrogates cannot be stored as they are) and decoded when read.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool

from infrastructure.persistence.failures import caused_by_infrastructure
from infrastructure.persistence.parked_events import PARKED, Outcome, park, unpark
from infrastructure.persistence.view_text import decode_value, encode_param
from infrastructure.persistence.view_writes import write
from infrastructure.shared.settings import Settings
from projections.shared.base import (
    ColumnType,
    Projection,
    RowChange,
    Table,
)

log = logging.getLogger("hatched.views")

TRACKING_TABLE = "view_tracking"
_TYPES = {"text": "TEXT", "int": "BIGINT"}
_COMPARISONS = frozenset({"=", "<", "<=", ">", ">=", "!="})


@dataclass(frozen=True)
class ViewBatch:
    """One view's share of a batch: its handled events, the position they take it to, and
    the position it must still be at (``ViewStore.apply_together``)."""

    view: str
    outcomes: Sequence[Outcome]
    position: int
    expected: int


class _NotAllMoved(Exception):
    """A view of a joint batch was not where expected: the transaction is rolled back."""


class ViewStore:
    def __init__(self, settings: Settings) -> None:
        self._postgres = settings.uses_postgres
        self._changed = threading.Condition()
        if self._postgres:
            params = settings.postgres_params()
            options = (
                {"options": f"-c search_path={settings.database_schema}"}
                if settings.database_schema
                else {}
            )
            self._pool: ConnectionPool | None = ConnectionPool(
                make_conninfo("", **params, **options),
                min_size=1,
                max_size=8,
                open=True,
                kwargs={"autocommit": True},  # a lone statement is one round trip
            )
        else:
            self._pool = None
        self._sqlite_path = str(settings.sqlite_path())
        self._local = threading.local()
        self._columns: dict[str, dict[str, ColumnType]] = {}
        with self._transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (view TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )
            create_table(tx, PARKED)

    # -- connections --------------------------------------------------------

    def _sqlite(self) -> sqlite3.Connection:
        existing: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if existing is not None:
            return existing
        connection = sqlite3.connect(
            self._sqlite_path, timeout=30, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=30000")
        self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[_Tx]:
        if self._pool is not None:
            with self._pool.connection() as conn, conn.transaction():
                yield _Tx(conn, "%s")
            return
        sqlite = self._sqlite()
        sqlite.execute("BEGIN IMMEDIATE")
        try:
            yield _Tx(sqlite, "?")
        except BaseException:
            sqlite.execute("ROLLBACK")
            raise
        sqlite.execute("COMMIT")

    @contextmanager
    def _statement(self) -> Iterator[_Tx]:
        """A connection for one statement that needs no transaction around it (a read, or a
        single compare-and-set): on PostgreSQL one round trip instead of three (``BEGIN``,
        the statement, ``COMMIT``)."""
        if self._pool is not None:
            with self._pool.connection() as conn:
                yield _Tx(conn, "%s")
            return
        yield _Tx(self._sqlite(), "?")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    # -- schema and tracking ---------------------------------------------------

    def create_tables(self, tables: Sequence[Table]) -> None:
        with self._transaction() as tx:
            for table in tables:
                create_table(tx, table)
                create_indexes(tx, table)
        self._columns.update({table.name: table.columns for table in tables})

    def holds(self, table: str, columns: Sequence[str], values: Sequence[Any]) -> bool:
        """Whether ``values`` are of the types of ``table``'s ``columns`` (a text column: a
        string, an int column: an integer), so comparing them is no error in the database.
        A table this store did not create is taken on trust."""
        types = self._columns.get(table)
        if types is None:
            return True
        kinds = {"text": (str,), "int": (int,)}
        return all(
            type(value) in kinds[types[column]]
            for column, value in zip(columns, values, strict=True)
        )

    def position(self, view: str) -> int:
        with self._statement() as tx:
            row = tx.execute(
                f"SELECT position FROM {TRACKING_TABLE} WHERE view = {tx.p}", (view,)
            ).fetchone()
        return int(row[0]) if row else 0

    def positions(self) -> dict[str, int]:
        """Every tracked follower's position, by name."""
        with self._statement() as tx:
            rows = tx.execute(f"SELECT view, position FROM {TRACKING_TABLE}").fetchall()
        return {str(view): int(position) for view, position in rows}

    def lag(self, views: Sequence[str], head: int) -> int:
        """How far the slowest of ``views`` is behind ``head``, in notification ids."""
        positions = self.positions()
        return max(0, head - min((positions.get(view, 0) for view in views), default=head))

    def apply(
        self,
        view: str,
        changes: Iterable[RowChange],
        position: int,
        *,
        expected: int | None = None,
    ) -> bool:
        """Apply row changes and move the view's position, in one transaction.

        With ``expected`` the write happens only if the view is still at that position
        (compare-and-set on its tracking row): two runners of one view, or a rebuild that
        swapped the view's tables meanwhile, make the loser re-read instead of applying a
        batch twice. Returns whether the changes were applied.
        """
        with self._transaction() as tx:
            if not _moved(tx, view, position, expected):
                return False
            write(tx, changes)
        self.changed()
        return True

    def apply_in(self, tx: _Tx, view: str, changes: Iterable[RowChange], position: int) -> None:
        """``apply`` inside a transaction the caller holds (rebuilds use it)."""
        write(tx, changes)
        _track(tx, view, position)

    def apply_outcomes(
        self, view: str, outcomes: Sequence[Outcome], position: int, *, expected: int | None = None
    ) -> bool:
        """``apply`` for events handled one by one, parking those that cannot be applied.

        A follower applies a batch every few milliseconds under load, so the usual case is
        one transaction with the fewest round trips: the position's compare-and-set, then the
        changes, with no savepoint. Only when the database refuses a change is the batch
        applied again in a new transaction, each event in a savepoint of its own, to park
        the ones it refuses (decision 0016). A batch with nothing to write (none of its events
        concerns the view) only moves the position, in one statement.
        """
        if expected is not None and all(not o.changes and o.error is None for o in outcomes):
            with self._statement() as tx:
                moved = _moved(tx, view, position, expected)
            if moved:
                self.changed()
            return moved
        if all(outcome.error is None for outcome in outcomes):
            try:
                with self._transaction() as tx:
                    if not _moved(tx, view, position, expected):
                        return False
                    write(tx, (change for outcome in outcomes for change in outcome.changes))
            except Exception as error:
                if caused_by_infrastructure(error):
                    raise
            else:
                self.changed()
                return True
        with self._transaction() as tx:
            if not _moved(tx, view, position, expected):
                return False
            _park_refused(tx, view, outcomes)
        self.changed()
        return True

    def apply_together(self, batches: Sequence[ViewBatch]) -> list[bool]:
        """``apply_outcomes`` for several views at once; returns for each whether it was
        applied.

        The usual case is one transaction for them all: one compare-and-set for the views
        at the same positions, then every change (each view writes tables of its own, so
        only the order within a view matters, and it is kept). When that cannot be (an
        event to park, a change the database refuses, a view moved by another writer or
        never tracked yet), nothing of it lands and each view is applied on its own, as
        ``apply_outcomes`` does, so every view ends exactly as it would alone.
        """
        clean = all(o.error is None for batch in batches for o in batch.outcomes)
        if len(batches) > 1 and clean:
            try:
                with self._transaction() as tx:
                    if not _all_moved(tx, batches):
                        raise _NotAllMoved
                    write(tx, (c for b in batches for o in b.outcomes for c in o.changes))
            except _NotAllMoved:
                pass
            except Exception as error:
                if caused_by_infrastructure(error):
                    raise
            else:
                self.changed()
                return [True] * len(batches)
        return [
            self.apply_outcomes(b.view, b.outcomes, b.position, expected=b.expected)
            for b in batches
        ]

    def apply_outcomes_in(
        self, tx: _Tx, view: str, outcomes: Sequence[Outcome], position: int
    ) -> list[Outcome]:
        """Apply the events' changes and move the view to ``position``; returns the parked.

        An event whose handling failed, or whose changes the database refuses for a reason
        of the event's own (not ``caused_by_infrastructure``), is parked instead of applied
        (decision 0016). All the changes go in one savepoint first; only when the database
        refuses that does each event get a savepoint of its own, to find the ones to park.
        An infrastructure failure rolls the whole transaction back, to be retried.
        """
        if all(outcome.error is None for outcome in outcomes):
            try:
                with tx.savepoint():
                    write(tx, (change for outcome in outcomes for change in outcome.changes))
            except Exception as error:
                if caused_by_infrastructure(error):
                    raise
            else:
                _track(tx, view, position)
                return []
        parked = _park_refused(tx, view, outcomes)
        _track(tx, view, position)
        return parked

    def retry_parked(self, view: str, outcome: Outcome) -> bool:
        """Apply an event ``view`` parked earlier, and unpark it; or park it again (with the
        new error). The view's position stays. Returns whether it was applied."""
        with self._transaction() as tx:
            applied = _applied_or_parked(tx, view, outcome)
            if applied:
                write(tx, [unpark(view, outcome.notification_id)])
        self.changed()
        return applied

    def transaction(self) -> AbstractContextManager[_Tx]:
        """One write transaction, for operator tools that need several steps atomically."""
        return self._transaction()

    def changed(self) -> None:
        """Wake readers waiting in ``wait_for`` (after a write made outside ``apply``)."""
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, views: Sequence[str], position: int, timeout: float) -> bool:
        """Block until every view has applied ``position``; ``False`` if the bound ran out."""
        deadline = time.monotonic() + timeout
        while True:
            if all(self.position(view) >= position for view in views):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._changed:
                self._changed.wait(min(remaining, 0.05))

    # -- queries ---------------------------------------------------------------

    def rows(
        self,
        table: str,
        where: dict[str, Any],
        *,
        order_by: Sequence[tuple[str, bool]] = (),
        after: Sequence[Any] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Rows matching ``where`` (``None`` values are skipped), in ``order_by`` order.

        A ``where`` value may also be ``(op, value)`` or a list of them, e.g.
        ``{"occurred_at": [(">=", start), ("<=", end)]}``.

        ``after`` is a keyset cursor: the ``order_by`` values of the last row already seen.
        All ``order_by`` directions must agree for the cursor to be used.
        """
        with self._statement() as tx:
            clauses, params = [], []
            for column, value in where.items():
                if value is None:
                    continue
                if isinstance(value, tuple | list):
                    for op, operand in [value] if isinstance(value, tuple) else value:
                        if op not in _COMPARISONS:
                            raise ValueError(f"unsupported comparison {op!r}")
                        clauses.append(f"{column} {op} {tx.p}")
                        params.append(encode_param(operand))
                else:
                    clauses.append(f"{column} = {tx.p}")
                    params.append(encode_param(value))
            if after is not None and order_by:
                columns = ", ".join(c for c, _ in order_by)
                marks = ", ".join(tx.p for _ in order_by)
                comparison = "<" if order_by[0][1] else ">"
                clauses.append(f"({columns}) {comparison} ({marks})")
                params.extend(encode_param(v) for v in after)
            sql = f"SELECT * FROM {table}"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            if order_by:
                sql += " ORDER BY " + ", ".join(
                    f"{c} {'DESC' if d else 'ASC'}" for c, d in order_by
                )
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            return _fetch(tx.execute(sql, params))

    def count(self, table: str, where: dict[str, Any]) -> int:
        with self._statement() as tx:
            clauses = [f"{c} = {tx.p}" for c, v in where.items() if v is not None]
            params = [encode_param(v) for v in where.values() if v is not None]
            sql = f"SELECT COUNT(*) FROM {table}" + (
                " WHERE " + " AND ".join(clauses) if clauses else ""
            )
            return int(tx.execute(sql, params).fetchone()[0])

    def select(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query written with ``{p}`` for each parameter (joins, counts)."""
        with self._statement() as tx:
            return _fetch(tx.execute(sql.format(p=tx.p), [encode_param(v) for v in params]))

    def register(self, projection: Projection) -> None:
        self.create_tables(projection.tables)


class _Tx:
    def __init__(self, connection: Any, placeholder: str) -> None:
        self.connection = connection
        self.p = placeholder

    @property
    def postgres(self) -> bool:
        return self.p == "%s"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(sql, params)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: what fails inside it is undone, the rest of the transaction
        goes on (the error is raised on)."""
        if self.postgres:
            with self.connection.transaction():
                yield
            return
        self.connection.execute("SAVEPOINT view_store")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK TO SAVEPOINT view_store")
            self.connection.execute("RELEASE SAVEPOINT view_store")
            raise
        self.connection.execute("RELEASE SAVEPOINT view_store")

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.postgres:
            with self.connection.cursor() as cursor:
                cursor.executemany(sql, rows)
        else:
            self.connection.executemany(sql, rows)


Tx = _Tx
"""A transaction handed out by ``ViewStore.transaction``."""


def create_table(tx: _Tx, table: Table) -> None:
    columns = ", ".join(f"{name} {_TYPES[kind]}" for name, kind in table.columns.items())
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {table.name} ({columns}, PRIMARY KEY ({', '.join(table.key)}))"
    )


def create_indexes(tx: _Tx, table: Table) -> None:
    for index in table.indexes:
        name = f"ix_{table.name}_{'_'.join(index)}"
        tx.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table.name} ({', '.join(index)})")


def lock_position(tx: _Tx, view: str) -> int:
    """Read a view's position and hold its tracking row until the transaction ends.

    PostgreSQL locks the row; SQLite's ``BEGIN IMMEDIATE`` already holds the write lock.
    The row is created at 0 first, so there is always a row to lock.
    """
    tx.execute(
        f"INSERT INTO {TRACKING_TABLE} (view, position) VALUES ({tx.p}, 0) "
        "ON CONFLICT (view) DO NOTHING",
        (view,),
    )
    lock = " FOR UPDATE" if tx.postgres else ""
    row = tx.execute(
        f"SELECT position FROM {TRACKING_TABLE} WHERE view = {tx.p}{lock}", (view,)
    ).fetchone()
    return int(row[0])


def _moved(tx: _Tx, view: str, position: int, expected: int | None) -> bool:
    """Move ``view`` to ``position``: unconditionally, or (with ``expected``) only if it is
    still at ``expected``, as one statement that also holds its tracking row until the
    transaction ends (a second runner of the view waits, then finds it moved on)."""
    if expected is None:
        _track(tx, view, position)
        return True
    moved = tx.execute(
        f"UPDATE {TRACKING_TABLE} SET position = {tx.p} WHERE view = {tx.p} AND position = {tx.p}",
        (position, view, expected),
    )
    if moved.rowcount == 1:
        return True
    if expected != 0:
        return False
    created = tx.execute(  # a view never tracked yet is at 0
        f"INSERT INTO {TRACKING_TABLE} (view, position) VALUES ({tx.p}, {tx.p}) "
        "ON CONFLICT (view) DO NOTHING",
        (view, position),
    )
    return bool(created.rowcount == 1)


def _all_moved(tx: _Tx, batches: Sequence[ViewBatch]) -> bool:
    """``_moved`` for every batch's view, one statement for the views that move together
    (usually all of them); ``False`` as soon as one of them is not where it was expected."""
    together: dict[tuple[int, int], list[str]] = {}
    for batch in batches:
        together.setdefault((batch.expected, batch.position), []).append(batch.view)
    for (expected, position), views in together.items():
        marks = ", ".join(tx.p for _ in views)
        moved = tx.execute(
            f"UPDATE {TRACKING_TABLE} SET position = {tx.p} "
            f"WHERE position = {tx.p} AND view IN ({marks})",
            (position, expected, *views),
        )
        if moved.rowcount != len(views):
            return False
    return True


def _park_refused(tx: _Tx, view: str, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Apply each event's changes in a savepoint of its own; returns the ones parked."""
    return [outcome for outcome in outcomes if not _applied_or_parked(tx, view, outcome)]


def _track(tx: _Tx, view: str, position: int) -> None:
    tx.execute(
        f"INSERT INTO {TRACKING_TABLE} (view, position) VALUES ({tx.p}, {tx.p}) "
        f"ON CONFLICT (view) DO UPDATE SET position = excluded.position",
        (view, position),
    )


def _applied_or_parked(tx: _Tx, view: str, outcome: Outcome) -> bool:
    """Apply one event's changes in a savepoint, or park it; whether it was applied."""
    error = outcome.error
    if error is None:
        try:
            with tx.savepoint():
                write(tx, outcome.changes)
            return True
        except Exception as refused:
            if caused_by_infrastructure(refused):
                raise
            error = refused
    log.error(
        "%s parked event #%d (%s): %s",
        view,
        outcome.notification_id,
        type(outcome.event).__qualname__,
        error,
        exc_info=error,
    )
    write(tx, [park(view, outcome, error)])
    return False


def _fetch(cursor: Any) -> list[dict[str, Any]]:
    """A read's rows as dicts by column name, text and JSON columns decoded."""
    names = [d[0] for d in cursor.description]
    return [
        _decode(dict(zip(names, map(decode_value, row), strict=True))) for row in cursor.fetchall()
    ]


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("data"), str):
        row["data"] = json.loads(row["data"])
    return row
