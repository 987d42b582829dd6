"""A buddy's history, read from the event store: its timeline, its stage transitions, its
state at any past instant, and why one customer event rewarded what it did.

A buddy's history spans several streams: the buddy itself, its wallet (the ``Ledger``), the
egg it hatched from, and its operations (every hatch attempt of that egg, then its evolve
and equip operations). The egg's ``HatchStarted`` events name the hatch operations; the
others are found in the operations view by ``buddy_id`` (``OperationIndex``), the only read
here that is not the event store.

**Order.** Entries are merged by recorded time, ties broken by stream (egg, buddy, wallet,
operation), then stream id and version, so one transaction reads cause first (the egg
hatched, the buddy was born, its wallet opened, the operation completed) and every request
sees the same order. A stream's own order is always kept.

**Paging.** The buddy and wallet streams can be long, so a page reads them lazily, in
chunks, from the versions its cursor carries, and stops as soon as the page is full: a page
costs the same at the start and at the end of a long history. The egg and operation
streams are short and are read whole.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

from eventsourcing.domain import DomainEvent

from application.companions.buddies import BuddyState
from application.configs.configs import Configs
from application.economy.wallets import ledger_id_for
from application.shared.public_values import public_causation, public_value
from application.shared.store import EventStore
from application.shared.streams import (
    OperationIndex,
    events_of,
    owned_origin,
    read_stream,
    related_operation_ids,
    state_at,
    version_at,
)
from domain.companions.buddy import Buddy
from domain.companions.egg import Egg
from domain.companions.operation import Operation
from domain.configs.rulebook import MIN_STAGE
from domain.economy.ledger import Ledger
from domain.ingestion.event_ingestion import EventIngestion
from domain.ingestion.explanations import (
    PinnedVersion,
    explain_duplicate,
    explain_pin,
    explain_trace,
)
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant

Order = Literal["asc", "desc"]
KINDS: Final = (
    "progress",
    "wallet",
    "badge",
    "skill",
    "evolution",
    "operation",
    "item",
    "identity",
    "appearance",
    "egg",
)
# How far back from an ingestion's own events to look for the buddy's ProgressRecorded.
PROGRESS_SCAN: Final = 200

# Streams, in the order that breaks a tie of recorded time.
STREAM_RANKS: Final = {"egg": 0, "buddy": 1, "wallet": 2, "operation": 3}

# Event class → (timeline type, kind). A type names its stream too (``BuddyHatched``,
# ``EggHatched``, ``WalletOpened``), so it reads on its own.
BUDDY_EVENTS: Final[dict[type[DomainEvent], tuple[str, str]]] = {
    Buddy.Hatched: ("BuddyHatched", "identity"),
    Buddy.Renamed: ("BuddyRenamed", "identity"),
    Buddy.Archived: ("BuddyArchived", "identity"),
    Buddy.Migrated: ("BuddyMigrated", "identity"),
    Buddy.ProgressRecorded: ("ProgressRecorded", "progress"),
    Buddy.StreakTicked: ("StreakTicked", "progress"),
    Buddy.StreakFrozen: ("StreakFrozen", "progress"),
    Buddy.StreakBurned: ("StreakBurned", "progress"),
    Buddy.StreakMilestoneReached: ("StreakMilestoneReached", "progress"),
    Buddy.SkillIncreased: ("SkillIncreased", "skill"),
    Buddy.SkillLeveledUp: ("SkillLeveledUp", "skill"),
    Buddy.SkillsSet: ("SkillsSet", "skill"),
    Buddy.SkillDecayed: ("SkillDecayed", "skill"),
    Buddy.BadgeAwarded: ("BadgeAwarded", "badge"),
    Buddy.BadgeBecameReady: ("BadgeBecameReady", "badge"),
    Buddy.CustomConditionsMatched: ("CustomConditionsMatched", "badge"),
    Buddy.EvolutionBecameReady: ("EvolutionBecameReady", "evolution"),
    Buddy.EvolutionReadinessWithdrawn: ("EvolutionReadinessWithdrawn", "evolution"),
    Buddy.Evolved: ("Evolved", "evolution"),
    Buddy.ItemAcquired: ("ItemAcquired", "item"),
    Buddy.ItemsEquipped: ("ItemsEquipped", "item"),
    Buddy.AppearanceRendered: ("AppearanceRendered", "appearance"),
    Buddy.AppearanceRenderFailed: ("AppearanceRenderFailed", "appearance"),
    Buddy.AppearanceAwaitingCredits: ("AppearanceAwaitingCredits", "appearance"),
}
WALLET_EVENTS: Final[dict[type[DomainEvent], tuple[str, str]]] = {
    Ledger.Opened: ("WalletOpened", "wallet"),
    Ledger.CoinsCredited: ("CoinsCredited", "wallet"),
    Ledger.CoinsDebited: ("CoinsDebited", "wallet"),
    Ledger.TokensCredited: ("TokensCredited", "wallet"),
    Ledger.TokensDebited: ("TokensDebited", "wallet"),
    Ledger.TokenKeysChanged: ("TokenKeysChanged", "wallet"),
}
EGG_EVENTS: Final[dict[type[DomainEvent], tuple[str, str]]] = {
    Egg.Laid: ("EggLaid", "egg"),
    Egg.MarkedReady: ("EggMarkedReady", "egg"),
    Egg.Cancelled: ("EggCancelled", "egg"),
    Egg.HatchStarted: ("EggHatchStarted", "egg"),
    Egg.Hatched: ("EggHatched", "egg"),
    Egg.HatchFailed: ("EggHatchFailed", "egg"),
}
OPERATION_EVENTS: Final[dict[type[DomainEvent], tuple[str, str]]] = {
    Operation.Requested: ("OperationRequested", "operation"),
    Operation.Started: ("OperationStarted", "operation"),
    Operation.Completed: ("OperationCompleted", "operation"),
    Operation.Failed: ("OperationFailed", "operation"),
    Operation.Cancelled: ("OperationCancelled", "operation"),
}
_TIMELINE: Final = {**BUDDY_EVENTS, **WALLET_EVENTS, **EGG_EVENTS, **OPERATION_EVENTS}

# Event fields that are the envelope or the tenant, not the fact.
_ENVELOPE: Final = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "causation",
        "correlation_id",  # for webhooks (decision 0031), not a fact
        "customer_id",
        "mode",
    }
)
_CAUSE_FIELDS: Final = ("event_id", "config_version_id", "operation_id", "actor")


@dataclass(frozen=True)
class TimelineEntry:
    type: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]
    causation: dict[str, Any]
    stream: str
    stream_id: UUID
    version: int

    @property
    def key(self) -> tuple[datetime, int, str, int]:
        return (self.recorded_at, STREAM_RANKS[self.stream], self.stream_id.hex, self.version)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_position: list[Any] | None  # opaque to callers; see ``CURSOR_WIDTH``


@dataclass(frozen=True)
class _Position:
    """Where a page ended: the last entry's key and the next reads of the long streams."""

    order: str
    key: tuple[datetime, int, str, int]
    buddy: int | None
    wallet: int | None

    def to_list(self) -> list[Any]:
        moment, rank, stream_hex, version = self.key
        return [self.order, moment.isoformat(), rank, stream_hex, version, self.buddy, self.wallet]

    @classmethod
    def parse(cls, raw: Sequence[Any], order: str) -> _Position:
        try:
            kind, moment, rank, stream_hex, version, buddy, wallet = raw
            parsed = cls(
                str(kind),
                (datetime.fromisoformat(moment), int(rank), str(stream_hex), int(version)),
                None if buddy is None else int(buddy),
                None if wallet is None else int(wallet),
            )
        except (TypeError, ValueError):
            raise _bad_cursor() from None
        if parsed.key[0].tzinfo is None:
            raise _bad_cursor()
        if parsed.order != order:
            raise DomainError(
                "bad_request",
                f"this cursor pages with order={parsed.order}; send the same order",
                {"field": "cursor"},
            )
        return parsed


CURSOR_WIDTH: Final = 7


def parse_kinds(kind: str | None) -> frozenset[str] | None:
    """``kind=wallet,badge`` → the kinds asked for; ``None`` means every kind."""
    if kind is None:
        return None
    asked = frozenset(k.strip() for k in kind.split(","))
    unknown = sorted(asked - set(KINDS))
    if unknown:
        raise DomainError(
            "bad_request",
            f"unknown timeline kind {', '.join(unknown)}; use {', '.join(KINDS)}",
            {"kind": kind, "allowed": list(KINDS)},
        )
    return asked


# -- entries ---------------------------------------------------------------------------------


def to_entry(stream: str, stream_id: UUID, event: DomainEvent) -> TimelineEntry:
    event_type, kind = _TIMELINE[type(event)]
    return TimelineEntry(
        type=event_type,
        kind=kind,
        occurred_at=getattr(event, "occurred_at", None) or event.timestamp,
        recorded_at=event.timestamp,
        data={
            ("ledger_entry_id" if k == "entry_id" else k): public_value(k, v)
            for k, v in vars(event).items()
            if k not in _ENVELOPE
        },
        causation=_causation(stream, stream_id, event),
        stream=stream,
        stream_id=stream_id,
        version=event.originator_version,
    )


def _causation(stream: str, stream_id: UUID, event: Any) -> dict[str, Any]:
    """``event_id``, ``rule_id``, ``config_version_id``, ``operation_id``, ``actor`` when known,
    plus whatever else the event recorded as its cause (``badge_key``, ``item_id``, ...)."""
    cause = public_causation(getattr(event, "causation", None) or {})
    if "rule_id" not in cause and "badge_key" in cause:
        cause["rule_id"] = cause["badge_key"]  # a badge is the rule that awarded it
    target = getattr(event, "to_config_version_id", None)
    if target is not None:
        cause["config_version_id"] = public_id("config_version", target)
    for field in _CAUSE_FIELDS:
        value = getattr(event, field, None)
        if value is not None and field not in cause:
            cause[field] = public_value(field, value)
    if stream == "operation":
        cause["operation_id"] = public_id("operation", stream_id)
    return cause


def _bad_cursor() -> DomainError:
    return DomainError("bad_request", "cursor is not one this API issued", {"field": "cursor"})


# -- the service -----------------------------------------------------------------------------


class History:
    def __init__(self, store: EventStore, configs: Configs, operations: OperationIndex) -> None:
        self._store = store
        self._configs = configs
        self._operations = operations

    def timeline(
        self,
        tenant: Tenant,
        buddy_id: str,
        *,
        order: Order = "asc",
        kinds: frozenset[str] | None = None,
        after: Sequence[Any] | None = None,
        limit: int,
    ) -> TimelinePage:
        """One page of the buddy's timeline, ``limit`` entries of ``kinds`` after ``after``."""
        uuid, born = owned_origin(self._store, tenant, buddy_id)
        desc = order == "desc"
        position = _Position.parse(after, order) if after is not None else None
        start = (
            (position.buddy, position.wallet) if position else ((None, None) if desc else (0, 0))
        )
        short = [
            e
            for e in self._short_streams(tenant, uuid, born)
            if position is None or (e.key < position.key if desc else e.key > position.key)
        ]
        short.sort(key=lambda e: e.key, reverse=desc)
        long_streams = [
            self._entries("buddy", uuid, start[0], desc, limit),
            self._entries("wallet", ledger_id_for(uuid), start[1], desc, limit),
        ]
        merged = heapq.merge(*long_streams, short, key=lambda e: e.key, reverse=desc)
        bounds: dict[str, int | None] = {"buddy": start[0], "wallet": start[1]}
        page: list[TimelineEntry] = []
        last: _Position | None = None
        for entry in merged:
            if entry.stream in bounds:
                bounds[entry.stream] = entry.version - 1 if desc else entry.version
            if kinds is not None and entry.kind not in kinds:
                continue
            if len(page) == limit:
                return TimelinePage(page, last.to_list() if last else None)
            page.append(entry)
            last = _Position(order, entry.key, bounds["buddy"], bounds["wallet"])
        return TimelinePage(page, None)

    def evolutions(self, tenant: Tenant, buddy_id: str) -> tuple[int, list[dict[str, Any]]]:
        """The buddy's stage transitions, oldest first: birth at stage 1 (by its hatch
        operation), then every ``Evolved``, each with the config version the buddy was on.
        Returns the current stage too.

        A stage never goes back, so the version where the buddy reached each stage is found
        by a binary search over its stream (each probe a snapshot and a few events): the
        cost grows with the number of stages, not with the length of the history.
        """
        uuid, born = owned_origin(self._store, tenant, buddy_id)
        hatched = [e for e in events_of(self._store, born.egg_id) if isinstance(e, Egg.Hatched)]
        transitions = [
            {
                "from_stage": None,
                "to_stage": MIN_STAGE,
                "occurred_at": born.timestamp,
                "operation_id": public_id("operation", hatched[0].operation_id)
                if hatched and hatched[0].operation_id
                else None,
                "config_version_id": public_id("config_version", born.config_version_id),
            }
        ]
        newest = events_of(self._store, uuid, desc=True, limit=1)[0].originator_version
        current = state_at(self._store, uuid, newest)
        low = 1
        for stage in range(MIN_STAGE + 1, current.evolution_stage + 1):
            low = self._first_version_at_stage(uuid, stage, low, newest)
            evolved = to_entry("buddy", uuid, events_of(self._store, uuid, gt=low - 1, limit=1)[0])
            pinned = state_at(self._store, uuid, low).config_version_id
            transitions.append(
                {
                    "from_stage": evolved.data["from_stage"],
                    "to_stage": evolved.data["to_stage"],
                    "occurred_at": evolved.recorded_at,
                    "operation_id": evolved.causation.get("operation_id"),
                    "config_version_id": public_id("config_version", pinned),
                }
            )
        return current.evolution_stage, transitions

    def as_of(self, tenant: Tenant, buddy_id: str, moment: datetime) -> BuddyState:
        """The buddy and its wallet as they were at ``moment`` (recorded time), by replay:
        each stream's version at that instant (``version_at``), loaded from the nearest
        snapshot at or before it, so the cost does not grow with the buddy's age.

        ``moment`` must carry a time zone. Before the buddy hatched it did not exist:
        ``resource_not_found``, saying when it hatched. A moment in the future is the
        latest state.
        """
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise DomainError(
                "validation_failed",
                "as_of must carry a time zone (e.g. 2026-04-08T10:30:00Z)",
                {"fields": [{"field": "as_of", "reason": "must be timezone-aware"}]},
            )
        uuid, born = owned_origin(self._store, tenant, buddy_id)
        if moment < born.timestamp:
            raise DomainError(
                "resource_not_found",
                f"buddy {buddy_id} did not exist at {moment.isoformat()}: it hatched at "
                f"{born.timestamp.isoformat()}",
                {"as_of": moment, "created_at": born.timestamp},
            )
        buddy = state_at(self._store, uuid, version_at(self._store, uuid, moment))
        ledger_id = ledger_id_for(uuid)
        ledger = state_at(self._store, ledger_id, version_at(self._store, ledger_id, moment))
        assert isinstance(buddy, Buddy) and isinstance(ledger, Ledger)  # opened with the buddy
        return BuddyState(buddy, ledger, self._configs.rulebook(buddy.config_version_id))

    def explanations(self, tenant: Tenant, ingestion: EventIngestion) -> list[dict[str, Any]]:
        """Why the event rewarded what it did: buddies pinned to an older config version
        than the published one first, then every rule of the trace, then what a repeat does."""
        published = self._configs.published_version(tenant)
        lines: list[dict[str, Any]] = []
        for buddy_uuid in ingestion.applied_to:
            used = self._version_used(buddy_uuid, ingestion)
            if published is None or used is None or used == published.id:
                continue
            pinned = self._configs.version(used)
            pin = PinnedVersion(
                buddy_id=public_id("buddy", buddy_uuid),
                pinned_id=pinned.public_id,
                pinned_number=pinned.version_number,
                published_id=published.public_id,
                published_number=published.version_number,
            )
            lines.append(explain_pin(pin))
        lines.extend(explain_trace(ingestion.trace, event_type=ingestion.type))
        lines.append(explain_duplicate(ingestion.event_id))
        return lines

    # -- helpers -----------------------------------------------------------------------

    def _entries(
        self, stream: str, stream_id: UUID, after: int | None, desc: bool, limit: int
    ) -> Iterator[TimelineEntry]:
        events = read_stream(self._store, stream_id, after=after, desc=desc, first_chunk=limit + 1)
        return (to_entry(stream, stream_id, e) for e in events)

    def _short_streams(
        self, tenant: Tenant, buddy: UUID, born: Buddy.Hatched
    ) -> list[TimelineEntry]:
        egg_events = events_of(self._store, born.egg_id)
        entries = [to_entry("egg", born.egg_id, e) for e in egg_events]
        indexed = self._operations.operation_ids(tenant, buddy)
        for operation_id in related_operation_ids(egg_events, indexed):
            entries.extend(
                to_entry("operation", operation_id, e) for e in events_of(self._store, operation_id)
            )
        return entries

    def _first_version_at_stage(self, buddy_id: UUID, stage: int, low: int, high: int) -> int:
        """The version of the ``Evolved`` that reached ``stage`` (somewhere in ``low..high``)."""
        while low < high:
            middle = (low + high) // 2
            if state_at(self._store, buddy_id, middle).evolution_stage >= stage:
                high = middle
            else:
                low = middle + 1
        return low

    def _version_used(self, buddy_id: UUID, ingestion: EventIngestion) -> UUID | None:
        """The config version the buddy was evaluated under, from its ``ProgressRecorded``
        for this event: found by a binary search on recorded time, so the cost does not
        depend on how long the buddy's history is."""
        at = ingestion.received_at
        last = version_at(self._store, buddy_id, at)
        if last == 0:
            return None
        for event in events_of(self._store, buddy_id, lte=last, desc=True, limit=PROGRESS_SCAN):
            if event.timestamp < at:
                break
            if isinstance(event, Buddy.ProgressRecorded) and event.event_id == ingestion.event_id:
                used: UUID = event.config_version_id
                return used
        return None
