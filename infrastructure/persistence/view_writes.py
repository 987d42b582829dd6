"""How a sequence of row changes becomes SQL: the rows of applying them one by one, in order,
with as few statements as that allows.

Applying each change in turn defines the result. ``RowWriter`` reaches the same rows with fewer
statements, which is most of what a view costs under a stream of events (a thousand events for
a hundred users touch the same few counter rows thousands of times):

* Upserts of one row are folded into one (the latest value of each column, the increments
  summed) and written later, all rows of a statement shape in one ``executemany``. Nothing
  reads a row in between: before a ``Once`` inserts its marker or a ``Lookup`` reads a row,
  what is held for that row's table is written.
* A delete drops the folded upsert of its row and is written before the table's upserts.
* A ``Once`` whose marker was already inserted or found in this writer's life is a no-op (the
  marker is there, and only a delete of that row, which forgets it, could take it away).
* A row a ``Lookup`` read is kept until that row is written again.

A writer lives for one transaction (or one savepoint): what it knows is only true inside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from infrastructure.persistence.view_text import decode_value, encode_param
from projections.shared.base import Delete, Lookup, Once, RowChange, Upsert

RowKey = tuple[str, tuple[tuple[str, Any], ...]]
"""A row: its table and its key's columns with their values, in column order."""


class Statements(Protocol):
    """What the writer needs of a transaction (``view_store._Tx``)."""

    p: str

    def execute(self, sql: str, params: Any = ()) -> Any: ...

    def executemany(self, sql: str, rows: Any) -> None: ...


MARKERS_PER_READ = 200
"""How many markers one statement looks for (``RowWriter.find_markers``)."""


def write(tx: Statements, changes: Iterable[RowChange]) -> None:
    """Apply ``changes`` in ``tx``: the rows of applying them one by one, in order."""
    changes = list(changes)
    writer = RowWriter(tx)
    writer.find_markers(changes)
    writer.add_all(changes)
    writer.flush()


class RowWriter:
    def __init__(self, tx: Statements) -> None:
        self._tx = tx
        self._upserts: dict[str, dict[RowKey, _Folded]] = {}
        self._deletes: dict[str, dict[RowKey, Delete]] = {}
        self._markers: set[RowKey] = set()
        self._looked_up: dict[RowKey, dict[str, Any]] = {}

    def find_markers(self, changes: Sequence[RowChange]) -> None:
        """Read, one statement per table, which of the markers ``changes`` name in a ``Once``
        are there already: those are skipped without a round trip each (a marker there when
        the transaction began stays until a delete of it, which the writer sees). Under load
        most markers are there (a user active again the same day), and a transaction names
        the same few hundred users' markers many times."""
        wanted: dict[tuple[str, tuple[str, ...]], dict[RowKey, tuple[Any, ...]]] = {}
        for change in changes:
            if isinstance(change, Once):
                rows = wanted.setdefault((change.table, tuple(change.key)), {})
                rows[_row(change.table, change.key)] = tuple(change.key.values())
        for (table, columns), rows in wanted.items():
            if len(rows) < 2:
                continue  # one marker: its insert costs the same round trip as a read
            keys = list(rows.values())
            one = f"({', '.join(self._tx.p for _ in columns)})"
            for start in range(0, len(keys), MARKERS_PER_READ):
                part = keys[start : start + MARKERS_PER_READ]
                found = self._tx.execute(
                    f"SELECT {', '.join(columns)} FROM {table} "
                    f"WHERE ({', '.join(columns)}) IN ({', '.join(one for _ in part)})",
                    [encode_param(value) for key in part for value in key],
                ).fetchall()
                for values in found:
                    key = dict(zip(columns, map(decode_value, values), strict=True))
                    self._markers.add(_row(table, key))

    def add_all(self, changes: Iterable[RowChange]) -> None:
        for change in changes:
            self.add(change)

    def add(self, change: RowChange) -> None:
        if isinstance(change, Once):
            self._once(change)
        elif isinstance(change, Delete):
            self._delete(change)
        elif _has_lookup(change):
            resolved = self._resolved(change)
            if resolved is not None:
                self._fold(resolved)
        else:
            self._fold(change)

    def flush(self, tables: Iterable[str] | None = None) -> None:
        """Write what is held for ``tables`` (all of them by default): each table's deletes,
        then its upserts, one statement per shape."""
        names = [*self._deletes, *self._upserts] if tables is None else tables
        deletes: dict[str, list[list[Any]]] = {}
        upserts: dict[str, list[list[Any]]] = {}
        for table in names:
            for delete in self._deletes.pop(table, {}).values():
                sql, params = delete_statement(self._tx, delete)
                deletes.setdefault(sql, []).append(params)
            for folded in self._upserts.pop(table, {}).values():
                sql, params = upsert_statement(self._tx, folded.upsert(table))
                upserts.setdefault(sql, []).append(params)
        for statements in (deletes, upserts):
            for sql, rows in statements.items():
                if len(rows) == 1:
                    self._tx.execute(sql, rows[0])
                else:
                    self._tx.executemany(sql, rows)

    def _fold(self, change: Upsert) -> None:
        row = _row(change.table, change.key)
        self._looked_up.pop(row, None)
        held = self._upserts.setdefault(change.table, {})
        folded = held.get(row)
        if folded is None:
            held[row] = _Folded(change)
        else:
            folded.add(change)

    def _delete(self, change: Delete) -> None:
        row = _row(change.table, change.key)
        self._looked_up.pop(row, None)
        self._upserts.get(change.table, {}).pop(row, None)
        self._deletes.setdefault(change.table, {})[row] = change
        self._markers.discard(row)

    def _once(self, change: Once) -> None:
        row = _row(change.table, change.key)
        if row in self._markers:
            return
        self._settle(row)
        self._looked_up.pop(row, None)
        marker = {**change.key, **change.values}
        columns = list(marker)
        inserted = self._tx.execute(
            f"INSERT INTO {change.table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(self._tx.p for _ in columns)}) "
            f"ON CONFLICT ({', '.join(change.key)}) DO NOTHING",
            [encode_value(marker[c]) for c in columns],
        )
        self._markers.add(row)
        if inserted.rowcount == 1:
            self.add_all(change.then)

    def _resolved(self, change: Upsert) -> Upsert | None:
        """``change`` with each ``Lookup`` replaced by the value it names; ``None`` when a
        looked-up row is missing (the change is skipped)."""
        wanted: dict[RowKey, set[str]] = {}
        for value in (*change.key.values(), *change.values.values()):
            if isinstance(value, Lookup):
                wanted.setdefault(_row(value.table, value.key), set()).add(value.column)
        for row, columns in wanted.items():
            if not columns <= self._looked_up.get(row, {}).keys():
                found = self._read(row, sorted(columns))
                if found is None:
                    return None
                self._looked_up[row] = {**self._looked_up.get(row, {}), **found}

        def value_of(value: Any) -> Any:
            if isinstance(value, Lookup):
                return self._looked_up[_row(value.table, value.key)][value.column]
            return value

        return Upsert(
            change.table,
            {c: value_of(v) for c, v in change.key.items()},
            {c: value_of(v) for c, v in change.values.items()},
            change.increments,
        )

    def _read(self, row: RowKey, columns: list[str]) -> dict[str, Any] | None:
        table, key = row
        self._settle(row)
        clauses = " AND ".join(f"{c} = {self._tx.p}" for c, _ in key)
        found = self._tx.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE {clauses}",
            [encode_param(v) for _, v in key],
        ).fetchone()
        if found is None:
            return None
        return {c: decode_value(v) for c, v in zip(columns, found, strict=True)}

    def _settle(self, row: RowKey) -> None:
        """Write what is held for ``row``'s table if ``row`` is among it, before it is read."""
        table = row[0]
        if row in self._upserts.get(table, ()) or row in self._deletes.get(table, ()):
            self.flush([table])


class _Folded:
    """The upserts of one row, folded: its latest value of each column, its increments summed.
    A column may be set by one upsert and counted by another (a run of failures counted, set
    back to 0 by a success): a value set replaces the increments before it, and an increment
    after it adds to that value."""

    __slots__ = ("increments", "key", "values")

    def __init__(self, change: Upsert) -> None:
        self.key = change.key
        self.values = dict(change.values)
        self.increments = dict(change.increments)

    def add(self, change: Upsert) -> None:
        for column, value in change.values.items():
            self.values[column] = value
            self.increments.pop(column, None)  # a value set replaces what was added before
        for column, amount in change.increments.items():
            if column in self.values:  # added to a value set earlier in the fold
                self.values[column] = (self.values[column] or 0) + amount
            else:
                self.increments[column] = self.increments.get(column, 0) + amount

    def upsert(self, table: str) -> Upsert:
        return Upsert(table, self.key, self.values, self.increments)


def upsert_statement(tx: Statements, change: Upsert) -> tuple[str, list[Any]]:
    values = {
        **{k: encode_param(v) for k, v in change.key.items()},
        **{k: encode_value(v) for k, v in change.values.items()},
        **change.increments,
    }
    columns = list(values)
    marks = ", ".join(tx.p for _ in columns)
    updates = [f"{c} = excluded.{c}" for c in change.values]
    updates += [f"{c} = COALESCE({change.table}.{c}, 0) + excluded.{c}" for c in change.increments]
    conflict = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
    sql = (
        f"INSERT INTO {change.table} ({', '.join(columns)}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(change.key)}) {conflict}"
    )
    return sql, [values[c] for c in columns]


def delete_statement(tx: Statements, change: Delete) -> tuple[str, list[Any]]:
    clauses = " AND ".join(f"{c} = {tx.p}" for c in change.key)
    return f"DELETE FROM {change.table} WHERE {clauses}", [
        encode_param(v) for v in change.key.values()
    ]


def encode_value(value: Any) -> Any:
    """A column's value as stored: JSON documents as canonical text, strings made storable."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return encode_param(value)


def _row(table: str, key: dict[str, Any]) -> RowKey:
    return table, tuple(sorted(key.items()))


def _has_lookup(change: Upsert) -> bool:
    return Lookup in map(type, change.key.values()) or Lookup in map(type, change.values.values())
