"""Followers of the notification log: projections and reactors, each with its own position.

A follower reads notifications after its tracked position, turns them into domain events
and hands them on; its position moves only after the work is done, so a crash repeats
work rather than losing it (reactors must therefore be idempotent). SQLite has no
subscriptions, so followers poll, and are woken early by this process's own writes.

An event a follower cannot handle for a reason of its own is parked and the follower goes
on (``infrastructure/persistence/parked_events.py``, decision 0016); a failure of the infrastructure
(``infrastructure/persistence/failures.py``) is retried, the position unmoved, as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from infrastructure.persistence.failures import caused_by_infrastructure
from infrastructure.persistence.parked_events import Outcome, ParkedEvents
from infrastructure.persistence.view_store import ViewBatch, ViewStore
from infrastructure.shared.settings import Settings
from projections.shared.base import Concerns, Projection, RowChange

log = logging.getLogger("hatched.followers")

BATCH = 500
IDLE_POLL_SECONDS = 0.25
GATHER_SECONDS = 0.02
"""After a catch-up that found work, how long a running reactor lets new events gather
before it reads again: under load every read, position check and transaction is shared by
more events. An event arriving at an idle follower is still read at once."""
VIEW_GATHER_SECONDS = 0.1
"""The same for a view's follower, unless a reader is waiting for the view (``hurry``).

Under a steady stream of single events each of the eighteen views wrote a transaction every
20 ms, and the projector spent more CPU per event than the API (decision 0058); gathering
for 100 ms makes each transaction carry five times the events. A view is then up to that
much later under load, and no later when a read-your-writes read waits for it."""


class EventSource(Protocol):
    """The slice of the event store a follower reads.

    An answer may hold fewer events than the log has after ``position`` (a follower reads
    until an answer is empty); an empty answer means the log has nothing after it yet.
    """

    def notifications_after(self, position: int, limit: int) -> list[tuple[int, Any]]: ...


class Reactor(Protocol):
    """Does something outside the view tables for each event (enqueue a job, send a hook)."""

    name: str

    def react(self, event: Any) -> None: ...


class BatchReactor(Protocol):
    """A reactor that handles a whole batch at once (to write what it makes in one transaction).

    It runs before the batch's position is recorded, like ``Reactor.react``; a batch that is
    read again (after a crash, or by a second runner) is handed to it again.
    """

    name: str

    def react_batch(self, events: list[Any]) -> None: ...


class Follower:
    def __init__(
        self,
        name: str,
        source: EventSource,
        views: ViewStore,
        handle: Callable[[Any], Iterable[RowChange]],
        concerns: Callable[[Any], bool] | None = None,
    ) -> None:
        self.name = name
        self.projection: Projection | None = None
        self._source = source
        self._views = views
        self._handle = handle
        self._concerns = concerns
        self._before_apply: Callable[[list[Any]], None] | None = None
        self._wake = threading.Event()
        self._hurry = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._position: int | None = None
        self._runner: JointRunner | None = None

    @classmethod
    def for_projection(
        cls,
        projection: Projection,
        source: EventSource,
        views: ViewStore,
        runner: JointRunner | None = None,
    ) -> Follower:
        """A view's follower; with ``runner``, started and stopped as one of the followers
        that runner applies together (it then has no thread of its own)."""
        views.register(projection)
        follower = cls(
            projection.name, source, views, projection.handle, Concerns(projection.handles)
        )
        follower.projection = projection
        follower._runner = runner
        return follower

    @classmethod
    def for_reactor(
        cls,
        reactor: Reactor,
        source: EventSource,
        views: ViewStore,
        runner: JointRunner | None = None,
    ) -> Follower:
        def handle(event: Any) -> Iterable[RowChange]:
            reactor.react(event)
            return ()

        follower = cls(reactor.name, source, views, handle)
        follower._runner = runner
        return follower

    @classmethod
    def for_batch_reactor(
        cls,
        reactor: BatchReactor,
        source: EventSource,
        views: ViewStore,
        runner: JointRunner | None = None,
    ) -> Follower:
        follower = cls(reactor.name, source, views, lambda event: ())
        follower._before_apply = reactor.react_batch
        follower._runner = runner
        return follower

    def catch_up(self) -> int:
        """Process everything recorded so far (asked to stop, end after the batch in hand);
        return how many events were handled.

        A batch lands only if the position is still the one it was read at, so a second
        runner of the same follower (another process) or a rebuild's table swap makes this
        one re-read rather than apply the batch twice. The position is read from the
        tracking table only after such a miss (or at first): positions only move forward,
        so a remembered one that another writer moved on finds the batch refused.
        """
        handled = 0
        while not self._stopping.is_set():
            stepped = self.step()
            if stepped is None:
                return handled
            handled += stepped
        return handled

    def step(self) -> int | None:
        """Read and apply one batch after the position; how many events it held (``None``:
        nothing follows the position; 0: the batch was refused and the position is re-read)."""
        position = self.known_position()
        batch = self._source.notifications_after(position, BATCH)
        if not batch:
            return None
        if self._views.apply_outcomes(
            self.name, self._outcomes(batch), batch[-1][0], expected=position
        ):
            self._position = batch[-1][0]
            return len(batch)
        self._position = None
        return 0

    def retry_parked(self) -> int:
        """Hand a reactor the events it parked, oldest first; returns how many it handled.

        Those it handles now are unparked, the others stay parked with their new error. A
        reactor is idempotent and acts on the current state, so this is safe out of log
        order; a view's parked events wait for a replay in order (``hatched projections
        retry``), so a view's follower retries nothing here.
        """
        if self.projection is not None:
            return 0
        handled = 0
        for parked in ParkedEvents(self._views).of([self.name]):
            found = self._source.notifications_after(parked.notification_id - 1, 1)
            if not found or found[0][0] != parked.notification_id:
                continue
            outcome = self._outcome(*found[0])
            if outcome.error is None and self._before_apply is not None:
                outcome = self._reacted(outcome)
            if self._views.retry_parked(self.name, outcome):
                handled += 1
                log.info("%s handled its parked event #%d", self.name, parked.notification_id)
        return handled

    def _outcomes(self, batch: list[tuple[int, Any]]) -> list[Outcome]:
        """Each event of ``batch`` the follower's view handles, handled (the others are
        skipped: ``Projection.handles``), and a batch reactor's reaction to them all."""
        concerns = self._concerns
        outcomes = [
            self._outcome(notification_id, event)
            for notification_id, event in batch
            if concerns is None or concerns(event)
        ]
        if self._before_apply is None:
            return outcomes
        try:
            self._before_apply([event for _, event in batch])
            return outcomes
        except Exception as error:
            self._raise_unless_parkable(error)
            log.warning("%s: a batch failed (%s); reacting to it event by event", self.name, error)
        return [self._reacted(outcome) for outcome in outcomes]

    def _outcome(self, notification_id: int, event: Any) -> Outcome:
        try:
            return Outcome(notification_id, event, list(self._handle(event)))
        except Exception as error:
            self._raise_unless_parkable(error)
            return Outcome(notification_id, event, error=error)

    def _reacted(self, outcome: Outcome) -> Outcome:
        """``outcome`` after the batch reactor reacted to its event alone."""
        assert self._before_apply is not None
        try:
            self._before_apply([outcome.event])
            return outcome
        except Exception as error:
            self._raise_unless_parkable(error)
            return Outcome(outcome.notification_id, outcome.event, error=error)

    def _raise_unless_parkable(self, error: Exception) -> None:
        """Retry (raise) a failure of the infrastructure, or any failure while stopping."""
        if caused_by_infrastructure(error) or self._stopping.is_set():
            raise error

    def wake(self) -> None:
        if self._runner is not None:
            self._runner.wake()
            return
        self._wake.set()

    def hurry(self) -> None:
        """A reader waits for this follower: end the gathering and read now."""
        if self._runner is not None:
            self._runner.hurry()
            return
        self._hurry.set()
        self._wake.set()

    def start(self) -> None:
        if self._runner is not None:
            self._runner.join(self)
            return
        self._thread = threading.Thread(target=self._run, name=f"follower-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.ask_to_stop()
        if self._runner is not None:
            self._runner.leave(self)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def ask_to_stop(self) -> None:
        """Let the running thread end after the batch in hand, without waiting for it."""
        self._stopping.set()
        self._hurry.set()
        self._wake.set()
        if self._runner is not None:
            self._runner.wake()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def known_position(self) -> int:
        """The view's position, read from the tracking table when not known (at first, and
        after a batch was refused)."""
        if self._position is None:
            self._position = self._views.position(self.name)
        return self._position

    def forget_position(self) -> None:
        self._position = None

    def share_of(self, batch: list[tuple[int, Any]], position: int) -> ViewBatch:
        """The view's share of ``batch`` (the events after its position, handled), to take
        it to ``position``; once applied (or refused), ``landed`` says so."""
        known = self.known_position()
        events = batch if batch[0][0] > known else [e for e in batch if e[0] > known]
        return ViewBatch(self.name, self._outcomes(events), position, known)

    def landed(self, batch: ViewBatch, applied: bool) -> None:
        self._position = batch.position if applied else None

    def _run(self) -> None:
        retried = False
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                if not retried:
                    self.retry_parked()
                    retried = True
                if self.catch_up():
                    self._gather()
            except Exception:
                self._position = None
                log.exception("follower %s failed; retrying", self.name)
                self._stopping.wait(1.0)
            self._wake.wait(IDLE_POLL_SECONDS)

    def _gather(self) -> None:
        """Let new events gather before the next read (see ``VIEW_GATHER_SECONDS``)."""
        if self.projection is None:
            self._stopping.wait(GATHER_SECONDS)
            return
        self._hurry.wait(VIEW_GATHER_SECONDS)
        self._hurry.clear()


class JointRunner:
    """Runs several followers of a process in one thread, each batch of new events applied
    to all of them in one transaction (decision 0059): one for the views, one for the
    reactors, each gathering as its kind does (``VIEW_GATHER_SECONDS``, ``GATHER_SECONDS``).

    Eighteen views each reading the new events, each writing a transaction of its own and
    each moving its position with its own statement cost the projector more than the API
    per event. Here one read serves them all, and one transaction carries every follower's
    changes and one compare-and-set of their positions. The followers keep their own
    positions: one behind the others by more than a batch (a new view, a rebuilt one)
    catches up one batch per round on its own, so the others never wait for it; a joint
    batch that cannot land whole (an event to park, another writer) is applied follower by
    follower.
    """

    def __init__(self, source: EventSource, views: ViewStore, *, for_views: bool) -> None:
        self._source = source
        self._views = views
        self._for_views = for_views
        self._members: list[Follower] = []
        self._unretried: list[Follower] = []
        self._round = threading.Lock()
        self._wake = threading.Event()
        self._hurry = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_views(cls, source: EventSource, views: ViewStore) -> JointRunner:
        return cls(source, views, for_views=True)

    @classmethod
    def for_reactors(cls, source: EventSource, views: ViewStore) -> JointRunner:
        return cls(source, views, for_views=False)

    def join(self, follower: Follower) -> None:
        """Run ``follower`` from now on (the thread starts with its first follower; a
        reactor first retries the events it parked, as a follower of its own does)."""
        with self._round:
            self._members.append(follower)
            self._unretried.append(follower)
            if self._thread is None:
                self._stopping = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stopping,), name="joint-runner", daemon=True
                )
                self._thread.start()
        self.wake()

    def leave(self, follower: Follower) -> None:
        """Stop running ``follower``, once the round in hand is over (its last batch has
        landed or was rolled back); the thread ends with its last follower."""
        with self._round:
            if follower in self._members:
                self._members.remove(follower)
            if follower in self._unretried:
                self._unretried.remove(follower)
            thread = self._thread if not self._members else None
            if thread is not None:
                self._thread = None
                self._stopping.set()
        if thread is not None:
            self.hurry()
            thread.join(timeout=10)

    def wake(self) -> None:
        self._wake.set()

    def hurry(self) -> None:
        self._hurry.set()
        self._wake.set()

    def catch_up(self, stopping: threading.Event | None = None) -> int:
        """Apply everything recorded so far to every running follower; how many events were
        read."""
        stopping = stopping or self._stopping
        handled = 0
        while not stopping.is_set():
            with self._round:
                members = [m for m in self._members if not m.stopping]
                stepped = self._step(members) if members else None
            if stepped is None:
                return handled
            handled += stepped
        return handled

    def _step(self, members: list[Follower]) -> int | None:
        """One round: a batch for the followers together, one for each far behind them."""
        while self._unretried:  # left in place if it fails: retried next round
            self._unretried[0].retry_parked()
            self._unretried.pop(0)
        lead = max(member.known_position() for member in members)
        pack = [m for m in members if m.known_position() >= lead - BATCH]
        behind = [m.step() for m in members if m.known_position() < lead - BATCH]
        stepped = self._step_together(pack)
        if stepped is None and all(s is None for s in behind):
            return None
        return (stepped or 0) + sum(s or 0 for s in behind)

    def _step_together(self, pack: list[Follower]) -> int | None:
        low = min(member.known_position() for member in pack)
        batch = self._source.notifications_after(low, BATCH)
        if not batch:
            return None
        end = batch[-1][0]
        moving = [m for m in pack if m.known_position() < end]
        shares = [member.share_of(batch, end) for member in moving]
        for member, share, applied in zip(
            moving, shares, self._views.apply_together(shares), strict=True
        ):
            member.landed(share, applied)
        return len(batch)

    def _run(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            self._wake.clear()
            try:
                if self.catch_up(stopping):
                    self._gather(stopping)
            except Exception:
                with self._round:
                    for member in self._members:
                        member.forget_position()
                log.exception("a joint runner failed; retrying")
                stopping.wait(1.0)
            self._wake.wait(IDLE_POLL_SECONDS)

    def _gather(self, stopping: threading.Event) -> None:
        """Let new events gather before the next read, as a follower of the kind does."""
        if self._for_views:
            self._hurry.wait(VIEW_GATHER_SECONDS)
            self._hurry.clear()
        else:
            stopping.wait(GATHER_SECONDS)


class PostgresWakeUp:
    """Wakes followers when another process writes: PostgreSQL's recorder sends a ``NOTIFY``
    on its channel with every write, so runners in a separate process (``hatched projector``)
    need not wait for their next poll."""

    def __init__(
        self, settings: Settings, channel: str, wake: Sequence[Callable[[], None]]
    ) -> None:
        self._conninfo = make_conninfo("", **settings.postgres_params())
        self._channel = channel
        self._wake = list(wake)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="postgres-wake-up", daemon=True)

    @classmethod
    def start(
        cls, settings: Settings, store: Any, wake: Sequence[Callable[[], None]]
    ) -> PostgresWakeUp | None:
        """Listen when the store is on PostgreSQL; ``None`` otherwise (polling remains)."""
        channel = getattr(store.recorder, "channel_name", None)
        if not settings.uses_postgres or not channel:
            return None
        listener = cls(settings, channel, wake)
        listener._thread.start()
        return listener

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            for wake in self._wake:
                                wake()
            except psycopg.Error:
                log.warning("lost the PostgreSQL wake-up connection; polling until it is back")
                self._stopping.wait(1.0)


def stop_all(followers: Sequence[Follower]) -> None:
    """Stop followers together: each ends after the batch in hand and none starts another,
    so a shutdown waits for the slowest of them rather than for each in turn (an unread
    event is read by the next start; positions move only after the work is done)."""
    for follower in followers:
        follower.ask_to_stop()
    for follower in followers:
        follower.stop()
