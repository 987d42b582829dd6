"""The row writer reaches the rows of applying each change one by one, in order, with fewer
statements (``infrastructure/persistence/view_writes.py``).

The reference below applies every change at once, as the row-change types define it: an upsert
is one statement, a ``Once`` inserts its marker and, when it was new, applies its ``then``, a
``Lookup`` reads the row it names when its change is applied.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from infrastructure.persistence.event_store import ensure_postgres_schema
from infrastructure.persistence.view_store import Tx, ViewStore
from infrastructure.persistence.view_writes import (
    delete_statement,
    encode_value,
    upsert_statement,
    write,
)
from infrastructure.shared.settings import Settings
from projections.shared.base import Delete, Lookup, Once, RowChange, Table, Upsert

COUNTS = Table(
    "test_writes_counts",
    key=("k",),
    columns={"k": "int", "label": "text", "n": "int", "m": "int"},
)
MARKS = Table("test_writes_marks", key=("k",), columns={"k": "int", "note": "text"})
LABELS = Table("test_writes_labels", key=("k",), columns={"k": "int", "label": "text"})
TOTALS = Table("test_writes_totals", key=("label",), columns={"label": "text", "n": "int"})
TABLES = (COUNTS, MARKS, LABELS, TOTALS)


@pytest.fixture
def views(settings: Settings) -> Iterator[ViewStore]:
    if settings.database_schema:
        ensure_postgres_schema(settings)
    store = ViewStore(settings)
    store.create_tables(TABLES)
    yield store
    store.close()


def one_by_one(tx: Tx, change: RowChange) -> None:
    """The reference: ``change`` applied now, alone."""
    if isinstance(change, Delete):
        tx.execute(*delete_statement(tx, change))
    elif isinstance(change, Once):
        row = {**change.key, **change.values}
        inserted = tx.execute(
            f"INSERT INTO {change.table} ({', '.join(row)}) "
            f"VALUES ({', '.join(tx.p for _ in row)}) "
            f"ON CONFLICT ({', '.join(change.key)}) DO NOTHING",
            [encode_value(v) for v in row.values()],
        )
        if inserted.rowcount == 1:
            for then in change.then:
                one_by_one(tx, then)
    else:
        key, values = dict(change.key), dict(change.values)
        for fields in (key, values):
            for column, value in fields.items():
                if isinstance(value, Lookup):
                    clauses = " AND ".join(f"{c} = {tx.p}" for c in value.key)
                    found = tx.execute(
                        f"SELECT {value.column} FROM {value.table} WHERE {clauses}",
                        list(value.key.values()),
                    ).fetchone()
                    if found is None:
                        return
                    fields[column] = found[0]
        tx.execute(*upsert_statement(tx, Upsert(change.table, key, values, change.increments)))


def rows_of(views: ViewStore) -> dict[str, list[dict[str, Any]]]:
    return {
        table.name: views.rows(table.name, {}, order_by=[(c, False) for c in table.key])
        for table in TABLES
    }


def emptied(views: ViewStore) -> None:
    with views.transaction() as tx:
        for table in TABLES:
            tx.execute(f"DELETE FROM {table.name}")


keys = st.integers(0, 2)
labels = st.sampled_from(["a", "b", "c"])
amounts = st.integers(-5, 5)


def counts(
    k: int, label: str | None, n: int | None, m: int | None, set_m: int | None = None
) -> Upsert:
    """Row ``k`` of ``COUNTS``: its label set, ``n`` and ``m`` counted, or ``m`` set (as a run
    of failures is counted and set back to 0)."""
    values: dict[str, Any] = {} if label is None else {"label": label}
    if set_m is not None:
        values["m"] = set_m
    counted = {c: v for c, v in (("n", n), ("m", m)) if v is not None and c not in values}
    return Upsert(COUNTS.name, {"k": k}, values, counted)


def total_of(table: str, k: int, n: int) -> Upsert:
    """Count ``n`` for the label of row ``k`` of ``table``."""
    return Upsert(TOTALS.name, {"label": Lookup(table, {"k": k}, "label")}, increments={"n": n})


def labelled(k: int, label: str) -> Upsert:
    return Upsert(LABELS.name, {"k": k}, {"label": label})


upserts = st.builds(
    counts,
    keys,
    st.none() | labels,
    st.none() | amounts,
    st.none() | amounts,
    st.none() | st.integers(0, 3),
).filter(lambda u: bool(u.values or u.increments))
# A label is never NULL in LABELS (SQLite would keep rows with a NULL key apart, PostgreSQL
# refuses them): lookups read it there, a table upserts and deletes also write.
totals = st.builds(total_of, st.just(LABELS.name), keys, amounts)
deletes = st.builds(
    lambda table, k: Delete(table, {"k": k}),
    st.sampled_from([COUNTS.name, MARKS.name, LABELS.name]),
    keys,
)
leaves = upserts | totals | deletes | st.builds(labelled, keys, labels)


def once(table: str, k: int, note: str, then: list[RowChange]) -> Once:
    """A marker in ``MARKS``, or a row of ``COUNTS`` (which upserts also write) as one."""
    values = {"note": note} if table == MARKS.name else {"label": note}
    return Once(table, {"k": k}, values, tuple(then))


nested = st.builds(once, st.just(MARKS.name), keys, labels, st.lists(leaves, max_size=2))
onces = st.builds(
    once,
    st.sampled_from([MARKS.name, COUNTS.name]),
    keys,
    labels,
    st.lists(leaves | nested, max_size=3),
)
changes = st.lists(leaves | onces, max_size=40)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.lists(upserts | onces, max_size=6), changes=changes)
def test_writing_together_reaches_the_rows_of_one_by_one(
    views: ViewStore, start: Sequence[RowChange], changes: Sequence[RowChange]
) -> None:
    expected: dict[str, list[dict[str, Any]]] = {}
    for together in (False, True):
        emptied(views)
        with views.transaction() as tx:
            for change in start:
                one_by_one(tx, change)
        with views.transaction() as tx:
            if together:
                write(tx, changes)
            else:
                for change in changes:
                    one_by_one(tx, change)
        if together:
            assert rows_of(views) == expected
        else:
            expected = rows_of(views)


class Counted:
    """A transaction that counts the statements sent through it."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self.p = tx.p
        self.statements = 0

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.statements += 1
        return self._tx.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> None:
        self.statements += 1
        self._tx.executemany(sql, rows)


def test_a_thousand_counts_of_a_few_rows_are_a_few_statements(views: ViewStore) -> None:
    """The shape of a view under load: counters of a few rows, a marker per user and day
    (most of them there already), a tenant looked up by id; the writer sends each row once,
    asks for the markers once and looks each tenant up once."""
    with views.transaction() as tx:
        write(tx, [labelled(k, f"label-{k}") for k in range(4)])
        write(tx, [Once(MARKS.name, {"k": k}) for k in (0, 1)])
    changes: list[RowChange] = []
    for n in range(1000):
        changes.append(counts(n % 4, None, 1, None))
        changes.append(Once(MARKS.name, {"k": n % 4}, then=(counts(n % 4, None, None, 1),)))
        changes.append(total_of(LABELS.name, n % 4, 1))
    with views.transaction() as tx:
        counted = Counted(tx)
        write(counted, changes)
    # one read of the markers, the two new ones, the four lookups, one upsert per table and
    # shape (the counts of rows 2 and 3 have an increment of m, those of rows 0 and 1 not)
    assert counted.statements == 1 + 2 + 4 + 3
    rows = rows_of(views)
    assert [(r["k"], r["n"], r["m"]) for r in rows[COUNTS.name]] == [
        (0, 250, None),
        (1, 250, None),
        (2, 250, 1),
        (3, 250, 1),
    ]
    assert [(r["label"], r["n"]) for r in rows[TOTALS.name]] == [
        (f"label-{k}", 1000 // 4) for k in range(4)
    ]
