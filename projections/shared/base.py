"""What a read model is: tables it owns, and a pure mapping from domain events to row changes.

A projection never touches a database. It returns ``Upsert``/``Delete`` operations that
``infrastructure/persistence/view_store.py`` applies in the same transaction as the view's tracking
position, so every event is applied exactly once and a view rebuilt by replay ends with
the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Literal, Protocol

import msgspec
from eventsourcing.domain import DomainEvent

ColumnType = Literal["text", "int"]


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: dict[str, ColumnType]
    indexes: tuple[tuple[str, ...], ...] = ()


TENANT_KEY: dict[str, ColumnType] = {"customer_id": "text", "mode": "text"}


def tenant_table(
    name: str,
    key: dict[str, ColumnType],
    values: dict[str, ColumnType] | None = None,
    *,
    counters: tuple[str, ...] = (),
    indexes: tuple[tuple[str, ...], ...] = (),
) -> Table:
    """A table of one tenant's rows: ``customer_id`` and ``mode`` (text) lead its key, then
    ``key``'s columns; after them the ``values`` and last the ``counters`` (ints)."""
    return Table(
        name=name,
        key=(*TENANT_KEY, *key),
        columns={**TENANT_KEY, **key, **(values or {}), **{c: "int" for c in counters}},
        indexes=indexes,
    )


# The row changes are frozen msgspec Structs, not dataclasses: a view makes dozens of them per
# event, and a Struct is built several times faster (decision 0060).


class Upsert(msgspec.Struct, frozen=True):
    """Insert the row, or update the named columns of the existing one.

    ``increments`` are added to the stored value (``0`` when the row is new).
    """

    table: str
    key: dict[str, Any]
    values: dict[str, Any] = {}
    increments: dict[str, int] = {}


class Delete(msgspec.Struct, frozen=True):
    table: str
    key: dict[str, Any]


class Lookup(msgspec.Struct, frozen=True):
    """A value another row of the same view holds: ``column`` of the row of ``table`` with
    ``key``, read by the view store inside the transaction that applies the change naming it.

    It may stand for a key or a value of an ``Upsert`` (not an increment). A change whose
    lookup finds no row is skipped. The projection stays a pure function of the events: the
    row it names was written by an earlier event of the same log, so a replay in log order
    reads the same value.
    """

    table: str
    key: dict[str, Any]
    column: str


class Once(msgspec.Struct, frozen=True):
    """Insert the marker row ``key`` of ``table`` if it is not there; only when it was not,
    apply ``then``.

    This is how a view counts distinct things (users active on a day) with plain counters:
    the marker remembers who was counted, the counter in ``then`` is incremented the first
    time only. A read then adds counters and never counts markers. ``then`` may hold
    ``Once`` markers too: those implied by this one (a user counted today was counted this
    week) are only tried when it is new.
    """

    table: str
    key: dict[str, Any]
    values: dict[str, Any] = {}
    then: tuple[Upsert | Once, ...] = ()


RowChange = Upsert | Delete | Once


class Projection(Protocol):
    name: str
    tables: tuple[Table, ...]
    handles: tuple[type[DomainEvent], ...]
    """The event classes ``handle`` turns into row changes: the view is never handed others
    (most events concern a few views, and a call that yields nothing still costs)."""

    def handle(self, event: DomainEvent) -> Iterable[RowChange]: ...


class Concerns:
    """Whether an event is of a class ``handles`` names (or a subclass of one), remembered per
    class: the question is asked for every event of the log, of a few dozen classes."""

    def __init__(self, handles: tuple[type[DomainEvent], ...]) -> None:
        self._handles = handles
        self._known: dict[type, bool] = {}

    def __call__(self, event: object) -> bool:
        kind = type(event)
        known = self._known.get(kind)
        if known is None:
            known = self._known[kind] = issubclass(kind, self._handles)
        return known


def iso(moment: Any) -> str:
    """A fixed-width UTC timestamp, so text order is time order in every database."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
