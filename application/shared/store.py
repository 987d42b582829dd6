"""The one event-sourced application that holds every aggregate stream.

A single ``eventsourcing`` application means a use case can save several
aggregates in one transaction, and one ordered notification log feeds every
projection and follower.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, StoredEvent

from application.shared.kept_aggregates import KeptAggregates
from application.shared.moved_topics import register_moved_modules
from application.shared.recent_log import RecentLog
from domain.accounts.customer import Customer
from domain.companions.buddy import Buddy
from domain.companions.user_account import UserAccount
from domain.configs.config_version import ConfigCatalog
from domain.credits.credit_account import CreditAccount
from domain.economy.ledger import Ledger
from domain.ingestion.event_quota import EventQuotaShard
from domain.shared.errors import DomainError, NotFound
from domain.shared.tenancy import Tenant, ensure_owned
from domain.widgets.demo_pool import DemoPool

register_moved_modules()

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

CONFLICT_RETRIES = 8
CONFLICT_BACKOFF_SECONDS = 0.002
"""The longest wait after a first lost race; it doubles with every further loss."""
DECODED_KEPT = 4096
AGGREGATES_KEPT = 5_000
"""Aggregates kept in memory between loads (``application/shared/kept_aggregates.py``)."""
KEPT_TYPES: tuple[type[Aggregate], ...] = (
    Buddy,
    Ledger,
    UserAccount,
    Customer,
    EventQuotaShard,
    CreditAccount,
    ConfigCatalog,
)
"""What every customer event reads: the user's account and buddies, their wallets,
the customer (its strict event types, its plan), its month's quota shards and its config
catalog (which version is published: the event types it registers); and the credit account
every authenticated answer's ``X-Credits-*`` headers read."""
ABSENCE_KEPT_TYPES: tuple[type[Aggregate], ...] = (EventQuotaShard,)
"""Kept types whose absence is kept as well: every ingestion group reads all of a customer's
month shards, most of them not written yet (decision 0057). Only a type whose absence leads
to nothing but creating it, which a lost race makes fail on the stream version, belongs here:
a stale "absent" then costs a retry, never a wrong decision."""
SNAPSHOT_INTERVAL = 50
"""Streams that grow with every customer event are snapshotted every this many events, so
loading one reads a snapshot and fewer than this many events, whatever its history."""


@runtime_checkable
class StreamsReader(Protocol):
    """A recorder that reads the new events of many streams in one query (the PostgreSQL
    one: ``infrastructure/persistence/recorders.py``)."""

    def select_events_after(
        self, versions: Mapping[UUID, int], limit: int
    ) -> Sequence[StoredEvent]: ...


class EventStore(Application[UUID]):
    name = "hatched"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Buddy: SNAPSHOT_INTERVAL,
        Ledger: SNAPSHOT_INTERVAL,
        DemoPool: SNAPSHOT_INTERVAL,  # one event or two per new demo visitor, forever
        EventQuotaShard: SNAPSHOT_INTERVAL,  # one event per ingestion group
        CreditAccount: SNAPSHOT_INTERVAL,  # two events per image job
    }

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self._kept = KeptAggregates(AGGREGATES_KEPT, SNAPSHOT_INTERVAL, replay)
        self._saved_listeners: list[Callable[[], None]] = []
        self._decoded_events: OrderedDict[int, Any] = OrderedDict()
        self._decoded_lock = threading.Lock()
        self.recent = RecentLog(self.notifications_after, DECODED_KEPT)
        """The log for this process's followers: new events read once for all of them."""

    def on_saved(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every save (followers use it to wake up early)."""
        self._saved_listeners.append(listener)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Record the aggregates' pending events in one transaction; the kept types among
        them are then kept as saved (``KeptAggregates.saved``)."""
        changed = [o for o in objs if isinstance(o, KEPT_TYPES) and o.pending_events]
        recordings = super().save(*objs, **kwargs)
        self._kept.saved(changed)
        return recordings

    def _notify(self, recordings: list[Any]) -> None:
        for listener in self._saved_listeners:
            listener()

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot the aggregates just saved that crossed their interval, as they are in
        memory (the library would reload each one from the store first: a read per
        snapshot). A snapshot may land a few versions past the multiple; any version will do.
        """
        if self.snapshots is None:
            return
        due: dict[UUID, Any] = {}
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval and event.originator_version % interval == 0:
                due[event.originator_id] = aggregate
        snapshots = [type(aggregate).Snapshot.take(aggregate) for aggregate in due.values()]
        if snapshots:
            self.snapshots.put(snapshots)

    def notifications_after(self, position: int, limit: int) -> list[tuple[int, Any]]:
        """The next ``limit`` recorded domain events after ``position``, with their positions."""
        notifications = self.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False
        )
        return [(n.id, self._decoded(n)) for n in notifications]

    def _decoded(self, notification: Any) -> Any:
        """Every follower reads every new event; the first one to read it decodes it for all
        (recent positions are kept, ``DECODED_KEPT`` of them). Domain events are immutable."""
        with self._decoded_lock:
            event = self._decoded_events.get(notification.id)
        if event is None:
            event = self.mapper.to_domain_event(notification)
            with self._decoded_lock:
                self._decoded_events[notification.id] = event
                while len(self._decoded_events) > DECODED_KEPT:
                    self._decoded_events.popitem(last=False)
        return event

    def head(self) -> int:
        """The position of the newest recorded event (0 when there is none)."""
        return self.recorder.max_notification_id() or 0

    def load(self, cls: type[A], aggregate_id: UUID, kind: str, public_id: str) -> A:
        """Load an aggregate by id; a missing one, or one of another type, is not found."""
        aggregate = self.find(cls, aggregate_id)
        if aggregate is None:
            raise NotFound(kind, public_id)
        return aggregate

    def find(
        self,
        cls: type[A],
        aggregate_id: UUID,
        *,
        max_age: timedelta | None = None,
        checked_since: float | None = None,
        read_only: bool = False,
    ) -> A | None:
        """The aggregate as stored now, or ``None``. For the kept types a caller may accept
        a copy checked against the store at most ``max_age`` ago, or at or after the
        ``time.monotonic()`` instant ``checked_since``, at no query's cost
        (``application/shared/kept_aggregates.py``). ``read_only``: the caller will not change
        it, so a kept one is handed out without a copy (shared: never change it)."""
        if cls not in KEPT_TYPES:
            aggregate: object = self._reconstruct(cls, aggregate_id)
        else:
            aggregate = self._kept.load(
                aggregate_id,
                *self._sources(cls, aggregate_id),
                max_age=_seconds(max_age),
                checked_since=checked_since,
                keep_absence=cls in ABSENCE_KEPT_TYPES,
                copy=not read_only,
            )
        return aggregate if isinstance(aggregate, cls) else None

    def refresh_many(
        self, aggregates: Iterable[tuple[type[Aggregate], UUID]], *, max_age: timedelta
    ) -> None:
        """Check the kept copies of aggregates of kept types against the store now, unless
        that was done within ``max_age`` (a later ``find`` accepting that age then reads
        nothing), with one read of the store for them all when the recorder can
        (``StreamsReader``); an absence of a type whose absence is kept is kept too, as
        ``find`` keeps it. Callers do it in their own thread ahead of a group's leader (see
        ingestion)."""
        aggregates = list(aggregates)
        absence_kept = {
            aggregate_id for cls, aggregate_id in aggregates if cls in ABSENCE_KEPT_TYPES
        }
        self._kept.refresh_many(
            [aggregate_id for _, aggregate_id in aggregates],
            self._streams_after,
            max_age=_seconds(max_age),
            keep_absence=absence_kept.__contains__,
        )

    def _streams_after(self, versions: Mapping[UUID, int], limit: int) -> dict[UUID, list[Any]]:
        if not isinstance(self.recorder, StreamsReader):
            return {
                aggregate_id: list(self.events.get(aggregate_id, gt=version, limit=limit))
                for aggregate_id, version in versions.items()
            }
        newer: dict[UUID, list[Any]] = {}
        for stored in self.recorder.select_events_after(versions, limit):
            event = self.mapper.to_domain_event(stored)
            newer.setdefault(event.originator_id, []).append(event)
        return newer

    def _sources(
        self, cls: type[Aggregate], aggregate_id: UUID
    ) -> tuple[Callable[[int, int], list[Any]], Callable[[], Any]]:
        """How to catch a kept copy up, and how to build one from scratch."""
        return (
            lambda version, limit: list(self.events.get(aggregate_id, gt=version, limit=limit)),
            lambda: self._reconstruct(cls, aggregate_id),
        )

    def _reconstruct(self, cls: type[Aggregate], aggregate_id: UUID) -> Any:
        if cls not in self.snapshotting_intervals:
            # Never snapshotted: skip the repository's snapshot lookup (one round trip).
            return replay(None, self.events.get(aggregate_id))
        try:
            return self.repository.get(aggregate_id, projector_func=replay)
        except AggregateNotFoundError:
            return None

    def load_owned(
        self, cls: type[A], aggregate_id: UUID, tenant: Tenant, kind: str, public_id: str
    ) -> A:
        """Load a tenant's aggregate; another tenant's answers exactly like a missing one."""
        aggregate = self.load(cls, aggregate_id, kind, public_id)
        ensure_owned(aggregate, tenant, kind, public_id)  # type: ignore[arg-type]
        return aggregate


def _seconds(max_age: timedelta | None) -> float:
    return 0.0 if max_age is None else max_age.total_seconds()


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply ``events`` in order to ``aggregate`` (``None`` before the first).

    The library's ``project_aggregate`` does the same but asserts every event against a
    runtime-checkable protocol, which costs more than applying the event itself.
    """
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _WriteLines:
    """Striped locks that make this process's writers of one stream take turns.

    Without them, N request threads writing one wallet race on its stream version and each
    round only one wins; under a 200-way race a few losers ran out of retries and the client
    saw 409 for a race it had no part in deciding. In line, a process's writers of one key
    load and save one after another, so only writers in *other* processes can still win a race
    (and the loser retries). Nested calls do not queue again: a thread already in a line keeps
    its place, so two lines are never held at once and cannot deadlock.
    """

    def __init__(self, stripes: int = 256) -> None:
        self._locks = [threading.Lock() for _ in range(stripes)]
        self._held = threading.local()

    @contextmanager
    def hold(self, key: object) -> Iterator[None]:
        if getattr(self._held, "inside", False):
            yield
            return
        with self._locks[hash(key) % len(self._locks)]:
            self._held.inside = True
            try:
                yield
            finally:
                self._held.inside = False


WRITE_LINES = _WriteLines()


class ConflictWatchers:
    """Who is told each time ``retry_on_conflict`` lost a race and tries again (the metrics'
    ``hatched_write_conflicts_retried_total``). Process-wide, as the function is: a container
    adds its watcher when built and removes it when closed."""

    def __init__(self) -> None:
        self._watchers: list[Callable[[], None]] = []

    def add(self, watcher: Callable[[], None]) -> None:
        self._watchers.append(watcher)

    def remove(self, watcher: Callable[[], None]) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def retried(self) -> None:
        for watcher in list(self._watchers):
            watcher()


CONFLICTS = ConflictWatchers()


def retry_on_conflict(
    attempt: Callable[[], R], retries: int = CONFLICT_RETRIES, *, line: object | None = None
) -> R:
    """Run a load-decide-save attempt again when a competing write won the race.

    Each attempt reloads, so invariants are re-checked against the winner's state. Between
    attempts the loser waits a short random while, growing with each loss, so that a slow
    writer among fast ones (a regeneration that draws a picture while uploads land) is not
    beaten every time by whoever loaded last. With ``line`` (the id of the stream the attempt
    writes), this process's writers of that stream take turns (``_WriteLines``): a plain
    write the server can order itself never fails because of a race inside this process.
    """
    with WRITE_LINES.hold(line) if line is not None else nullcontext():
        for lost in range(retries - 1):
            try:
                return attempt()
            except IntegrityError:
                CONFLICTS.retried()
                time.sleep(random.uniform(0, CONFLICT_BACKOFF_SECONDS * 2**lost))
        try:
            return attempt()
        except IntegrityError:
            raise DomainError("conflict", "a competing write won; re-read and retry") from None
