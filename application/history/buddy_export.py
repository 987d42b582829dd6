"""One buddy as one JSON document: a support fixture that loads into an empty store.

The export holds every stream the buddy's state and history are made of: the buddy, its
wallet (``Ledger``), the egg it hatched from, its operations (every hatch attempt of the
egg, the evolve and equip operations of the operations view, and any operation the
buddy's own events name), every config version it was pinned to (the one it hatched
on, and each migration's target), and its gate unlocks (one stream per gate, found through
the wallet's debits that paid for them). Events are written as the store maps them (topic and
state, at their current class version: older events are upcast on the way out), so an
import inserts exactly the same facts, with their original versions and timestamps, in
one transaction.

Not exported: the end user's ``UserAccount`` (it lists the user's other eggs and buddies,
which the fixture does not have), the tenant's config catalog, the ingestions. The
tenant (customer id and mode) travels in the document and in the events themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    IntegrityError,
    JSONTranscoder,
    StoredEvent,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from application.economy.wallets import ledger_id_for
from application.shared.ports import Clock
from application.shared.store import EventStore
from application.shared.streams import (
    OperationIndex,
    events_of,
    origin,
    read_stream,
    related_operation_ids,
)
from domain.companions.buddy import Buddy
from domain.economy.gate_unlock import GateUnlock
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant

FORMAT: Final = "hatched.buddy-export"
FORMAT_VERSION: Final = 1
_KINDS: Final = ("buddy", "wallet", "egg", "operation", "config_version", "gate_unlock")

# Event states travel in the library's JSON form (``{"_type_": "uuid_hex", ...}`` markers),
# whatever the store's own encoding (``HATCHED_EVENT_ENCODING``) is.
_PORTABLE = JSONTranscoder()
for _transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
    _PORTABLE.register(_transcoding)


@dataclass(frozen=True)
class ImportedBuddy:
    buddy_id: str
    customer_id: str
    mode: str
    streams: int
    events: int


class BuddyExports:
    def __init__(self, store: EventStore, clock: Clock, operations: OperationIndex) -> None:
        self._store = store
        self._clock = clock
        self._operations = operations

    def export(self, buddy_id: str) -> dict[str, Any]:
        """The export document of any tenant's buddy (an operator tool: no tenant check)."""
        uuid = parse_public_id("buddy", buddy_id)
        born = origin(self._store, uuid)
        if born is None:
            raise NotFound("buddy", buddy_id)
        tenant = Tenant(born.customer_id, born.mode)
        buddy_events = list(read_stream(self._store, uuid))
        egg_events = events_of(self._store, born.egg_id)
        named = [e.operation_id for e in buddy_events if getattr(e, "operation_id", None)]
        operations = related_operation_ids(
            egg_events, [*self._operations.operation_ids(tenant, uuid), *named]
        )
        versions = [born.config_version_id] + [
            e.to_config_version_id for e in buddy_events if isinstance(e, Buddy.Migrated)
        ]
        wallet_events = list(read_stream(self._store, ledger_id_for(uuid)))
        unlocks = [
            GateUnlock.id_for(uuid, e.causation["gate_key"])
            for e in wallet_events
            if isinstance(e, Ledger.TokensDebited) and e.reason.startswith("gate:")
        ]
        streams = [
            self._stream("buddy", uuid, buddy_events),
            self._stream("wallet", ledger_id_for(uuid), wallet_events),
            self._stream("egg", born.egg_id, egg_events),
            *(self._stream("operation", o, read_stream(self._store, o)) for o in operations),
            *(
                self._stream("config_version", v, read_stream(self._store, v))
                for v in dict.fromkeys(versions)
            ),
            *(self._stream("gate_unlock", u, read_stream(self._store, u)) for u in unlocks),
        ]
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": self._clock.now().isoformat(),
            "tenant": {
                "customer_id": public_id("customer", tenant.customer_id),
                "mode": tenant.mode,
            },
            "buddy_id": buddy_id,
            "streams": streams,
        }

    def import_(self, document: Mapping[str, Any]) -> ImportedBuddy:
        """Insert an export's streams, all in one transaction.

        The buddy and its own streams must not exist yet (``conflict``); a config version
        that already exists with the very same events is shared and left alone (two
        buddies of one tenant can be imported side by side), any other clash is
        ``conflict``. A document that is not an export is ``bad_request``.
        """
        streams = _streams_of(document)
        fresh: list[StoredEvent] = []
        for kind, stream_id, events in streams:
            existing = self._store.recorder.select_events(stream_id, limit=1)
            if not existing:
                fresh.extend(self._stored(stream_id, e) for e in events)
                continue
            if kind != "config_version" or not self._same(stream_id, events):
                raise DomainError(
                    "conflict",
                    f"the store already holds the {kind} stream {stream_id}; import into an "
                    "empty store",
                    {"stream": kind, "id": str(stream_id)},
                )
        try:
            self._store.recorder.insert_events(fresh)
        except IntegrityError:
            raise DomainError(
                "conflict", "a stream of this export was written meanwhile; nothing was imported"
            ) from None
        tenant = document["tenant"]
        return ImportedBuddy(
            buddy_id=str(document["buddy_id"]),
            customer_id=str(tenant["customer_id"]),
            mode=str(tenant["mode"]),
            streams=len(streams),
            events=len(fresh),
        )

    def _stream(self, kind: str, stream_id: UUID, events: Any) -> dict[str, Any]:
        """A stream as the store maps its events (the mapper adds ``class_version``), its
        states in portable JSON. Hatched configures no compressor or cipher."""
        mapper = self._store.mapper
        stored = [mapper.to_stored_event(e) for e in events]
        return {
            "kind": kind,
            "id": str(stream_id),
            "events": [
                {
                    "version": s.originator_version,
                    "topic": s.topic,
                    "state": json.loads(_PORTABLE.encode(mapper.transcoder.decode(s.state))),
                }
                for s in stored
            ],
        }

    def _stored(self, stream_id: UUID, event: _Event) -> StoredEvent:
        return StoredEvent(
            originator_id=stream_id,
            originator_version=event.version,
            topic=event.topic,
            state=self._store.mapper.transcoder.encode(event.state),
        )

    def _same(self, stream_id: UUID, events: list[_Event]) -> bool:
        decode = self._store.mapper.transcoder.decode
        current = self._store.recorder.select_events(stream_id)
        return [(s.originator_version, s.topic, decode(s.state)) for s in current] == [
            (e.version, e.topic, e.state) for e in events
        ]


@dataclass(frozen=True)
class _Event:
    version: int
    topic: str
    state: dict[str, Any]  # decoded: UUIDs, datetimes and decimals are objects again


def _streams_of(document: Mapping[str, Any]) -> list[tuple[str, UUID, list[_Event]]]:
    """The stored events of an export document, checked for shape."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise _not_an_export(f"format is not {FORMAT!r}")
    if document.get("format_version") != FORMAT_VERSION:
        raise _not_an_export(f"format_version {document.get('format_version')!r} is not supported")
    try:
        tenant = document["tenant"]
        str(tenant["customer_id"]), str(tenant["mode"])
        streams = []
        for stream in document["streams"]:
            kind, stream_id = stream["kind"], UUID(stream["id"])
            if kind not in _KINDS:
                raise _not_an_export(f"unknown stream kind {kind!r}")
            events = [
                _Event(
                    version=int(event["version"]),
                    topic=str(event["topic"]),
                    state=_PORTABLE.decode(json.dumps(dict(event["state"])).encode("utf8")),
                )
                for event in stream["events"]
            ]
            streams.append((str(kind), stream_id, events))
        buddy = parse_public_id("buddy", str(document["buddy_id"]))
        if [i for k, i, _ in streams if k == "buddy"] != [buddy]:
            raise _not_an_export("it must hold exactly the stream of its buddy_id")
    except (KeyError, TypeError, ValueError, NotFound, TranscodingNotRegisteredError) as problem:
        raise _not_an_export(f"malformed export: {problem}") from None
    return streams


def _not_an_export(reason: str) -> DomainError:
    return DomainError("bad_request", f"not a buddy export: {reason}", {"reason": reason})
