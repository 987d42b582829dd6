"""Reading one aggregate's stream from the event store: lazily, by version, or as it was.

Shared by the buddy's history (``application/history/history.py``), the what-if replay
(``application/configs/what_if.py``) and the buddy export (``application/history/buddy_export.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Final, Protocol
from uuid import UUID

from application.shared.store import EventStore
from domain.companions.buddy import Buddy
from domain.companions.egg import Egg
from domain.shared.errors import NotFound
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant, ensure_owned

CHUNK: Final = 256


class OperationIndex(Protocol):
    """The ids of a buddy's evolve and equip operations (the operations view)."""

    def operation_ids(self, tenant: Tenant, buddy_id: UUID) -> list[UUID]: ...


def read_stream(
    store: EventStore,
    stream_id: UUID,
    *,
    after: int | None = None,
    desc: bool = False,
    first_chunk: int | None = None,
) -> Iterator[Any]:
    """A stream's events lazily, in chunks: ascending after version ``after``, or descending
    from version ``after`` (``None``: from the newest).

    Chunks start at ``first_chunk`` (a page's size: a reader that stops early reads little)
    and double up to ``CHUNK`` (a reader that goes on makes few round trips).
    """
    bound = after
    size = min(first_chunk or CHUNK, CHUNK)
    while True:
        if desc:
            batch = events_of(store, stream_id, lte=bound, desc=True, limit=size)
        else:
            batch = events_of(store, stream_id, gt=bound, limit=size)
        yield from batch
        if len(batch) < size:
            return
        last = batch[-1].originator_version
        bound = last - 1 if desc else last
        size = min(size * 2, CHUNK)


def events_of(store: EventStore, stream_id: UUID, **selection: Any) -> list[Any]:
    """Stored events of one stream (``gt``, ``lte``, ``desc``, ``limit`` as the store takes)."""
    return list(store.events.get(stream_id, **selection))


def origin(store: EventStore, buddy_id: UUID) -> Buddy.Hatched | None:
    """The buddy's first event (``Buddy.Hatched``), or ``None`` when there is no such buddy.

    One row: enough for the tenant check, the egg and the first config version.
    """
    first = next(iter(events_of(store, buddy_id, limit=1)), None)
    return first if isinstance(first, Buddy.Hatched) else None


def owned_origin(store: EventStore, tenant: Tenant, buddy_id: str) -> tuple[UUID, Buddy.Hatched]:
    uuid = parse_public_id("buddy", buddy_id)
    born = origin(store, uuid)
    if born is None:
        raise NotFound("buddy", buddy_id)
    ensure_owned(born, tenant, "buddy", buddy_id)
    return uuid, born


def related_operation_ids(egg_events: Iterable[Any], indexed: Iterable[UUID]) -> list[UUID]:
    """Every hatch attempt of the buddy's egg, then the operations indexed for the buddy."""
    hatches = [e.operation_id for e in egg_events if isinstance(e, Egg.HatchStarted)]
    return list(dict.fromkeys([*hatches, *indexed]))


def version_at(store: EventStore, stream_id: UUID, moment: datetime) -> int:
    """The stream's last version recorded at or before ``moment`` (0: none yet).

    A binary search over versions, a handful of one-row reads whatever the stream's length;
    it relies on a stream's recorded times never going back (one clock per write).
    """
    newest = next(iter(events_of(store, stream_id, desc=True, limit=1)), None)
    if newest is None:
        return 0
    if newest.timestamp <= moment:
        return int(newest.originator_version)
    low, high = 0, newest.originator_version - 1
    while low < high:
        middle = (low + high + 1) // 2
        probe = events_of(store, stream_id, gt=middle - 1, limit=1)[0]
        if probe.timestamp <= moment:
            low = middle
        else:
            high = middle - 1
    return int(low)


def state_at(store: EventStore, stream_id: UUID, version: int) -> Any:
    """The aggregate at ``version``, from its nearest snapshot at or before it."""
    return store.repository.get(stream_id, version=version)
