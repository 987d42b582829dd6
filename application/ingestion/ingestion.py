"""Customer events in, progression out: the ingestion pipeline.

For one event: dedupe on ``event_id`` (the ``EventIngestion`` id derives from it, so a
second recording fails in the database), find the user's active buddies, run the rule
engine for each against its pinned config version, and save the ingestion record, the
buddies' progress and their ledger entries in one transaction.

Events are ingested in *groups* (``application/ingestion/group_commit.py``): concurrent ``POST
/events`` requests, or the chunks of one ``POST /events/batch``, are decided one after the
other against the same in-memory aggregates (a buddy touched twice in a group is evaluated
against its evolving state, exactly as if the requests had come one by one) and saved in one
transaction. Each request keeps its own dedupe, its own effects and its own refusal. When the
save fails on a conflict (an ``event_id`` or a buddy written by someone else meanwhile) the
group is decided again from fresh state; if it fails again, or one request breaks while
being applied, every request is ingested on its own, so no request can fail the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.configs.configs import Configs
from application.economy.wallets import credit_effects, ledger_id_for
from application.ingestion.group_commit import GroupCommit, Outcome
from application.shared.ports import Clock
from application.shared.store import EventStore, retry_on_conflict
from application.shared.ttl_cache import TtlCache
from domain.accounts.customer import Customer
from domain.companions.buddy import Buddy
from domain.companions.user_account import UserAccount
from domain.economy.ledger import Ledger
from domain.ingestion.event_ingestion import EventIngestion
from domain.ingestion.event_window import DEFAULT_BACKFILL, EventWindow
from domain.ingestion.rules import CustomerEvent, Evaluation, evaluate
from domain.shared.correlation import correlated
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant

A = TypeVar("A", bound=Aggregate)
Ingested = tuple[EventIngestion, bool]
"""An ingestion and whether the request was a duplicate of it."""

SAVE_CHUNK = 250
"""Events of one ``POST /events/batch`` decided as one unit."""
MAX_GROUP_EVENTS = 500
"""Events per group, so per transaction (a batch chunk counts for all its events)."""
GROUP_ATTEMPTS = 2
"""How often a group is decided after a conflict (from fresh loads) before going one by one."""
WRITTEN_TTL = timedelta(seconds=1)
"""How long a buddy or ledger the pipeline wrote is reused without a reload.

A busy buddy receives events many times a second; reloading it and its wallet (a query and
a copy each) for every group would cost more than deciding the event.
After a group commits, the buddies and ledgers it changed are exactly as stored (their
save succeeded on their versions), so the next group starts from them. The ones it only read
are not kept: a save by another thread while the group held them could not drop them (the
group had taken them), and they would come back stale.

Correctness of writes does not rest on this cache: a stale aggregate that the next group
changes fails its save on the stream version, and the group is decided again from fresh
loads. A stale aggregate the group only *reads* (a wallet not credited because a cap is
reached) is the read skew every load-decide-save cycle has between its load and its save,
here bounded:

* an entry is dropped as soon as any other save in this process writes that aggregate
  (``EventStore.on_written``);
* an entry lives at most this long (a write by another API process is seen within it);
* ``take`` removes the entry, so two threads never share an aggregate object: a concurrent
  user of the same aggregate loads its own copy from the store.
"""


@dataclass(frozen=True)
class EventInput:
    """One event as a caller sent it. ``session_issued_at``: sent from a widget session
    issued then, so it may not be dated before it (``domain/ingestion/event_window.py``).
    ``correlation_id``: the id of the request it came in, recorded in the causation of every
    fact it causes (decision 0031); each event of a group keeps its own."""

    event_id: str
    user_id: str
    type: str
    occurred_at: datetime | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    audience: str | None = None
    buddy_id: UUID | None = None
    session_issued_at: datetime | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class _Request:
    """One event to ingest in a group. ``checked`` when the caller already made sure the
    event_id is new and the type accepted; ``read_ahead`` when it looked up the user's
    ``account`` and ``prefetched`` the buddies and ledgers the group needs (see ``_Loaded``)."""

    tenant: Tenant
    item: EventInput
    checked: bool = False
    read_ahead: bool = False
    account: UserAccount | None = None
    prefetched: tuple[Aggregate, ...] = ()


class _Spoiled(Exception):
    """A request failed half-way through changing the group's aggregates."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Loaded:
    """The aggregates one group has read, each loaded once and shared by its requests.

    With ``written``, buddies and ledgers the pipeline wrote recently are taken from there
    instead of being reloaded; failing that, a copy a caller ``offer``ed (read from the store
    in its own thread while the previous group was being written) is used; only then is the
    store read, by the leader, while every other request of the group waits. An offered copy
    can be older than the store when a write the pipeline did not keep came in between; the
    save then fails on the stream version and the group is decided again from fresh loads.
    """

    def __init__(self, store: EventStore, written: TtlCache[Aggregate] | None) -> None:
        self._store = store
        self._written = written
        self._found: dict[UUID, Any] = {}
        self._offered: dict[UUID, Aggregate] = {}

    def offer(self, aggregates: Sequence[Aggregate]) -> None:
        for aggregate in aggregates:
            held = self._offered.get(aggregate.id)
            if held is None or aggregate.version > held.version:
                self._offered[aggregate.id] = aggregate

    def seed(self, aggregate_id: UUID, aggregate: Any) -> None:
        """Use an aggregate a caller already read, unless the group holds a newer one."""
        held = self._found.get(aggregate_id)
        if held is None or (aggregate is not None and aggregate.version > held.version):
            self._found[aggregate_id] = aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in self._found:
            reused = self._written.take(aggregate_id) if self._written is not None else None
            reused = reused or self._offered.pop(aggregate_id, None)
            self._found[aggregate_id] = reused or self._store.find(cls, aggregate_id)
        found = self._found[aggregate_id]
        return found if isinstance(found, cls) else None

    def load(self, cls: type[A], aggregate_id: UUID, kind: str, public: str) -> A:
        found = self.find(cls, aggregate_id)
        if found is None:
            raise NotFound(kind, public)
        return found

    def changed(self) -> list[Aggregate]:
        return [a for a in self._found.values() if a is not None and a.pending_events]


class Ingestion:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        configs: Configs,
        *,
        group_commit: bool = True,
        backfill: timedelta = DEFAULT_BACKFILL,
    ) -> None:
        self._store = store
        self._clock = clock
        self._configs = configs
        self._backfill = backfill
        self._group: GroupCommit[Sequence[_Request], list[Outcome[Ingested]]] | None = (
            GroupCommit(self._ingest_units, MAX_GROUP_EVENTS, weight=len) if group_commit else None
        )
        self._written: TtlCache[Aggregate] = TtlCache(clock, WRITTEN_TTL, max_entries=20_000)
        self._lenient: TtlCache[bool] = TtlCache(clock, WRITTEN_TTL)
        store.on_written(lambda ids: self._written.discard(*ids))
        store.on_written(lambda ids: self._lenient.discard(*ids))

    def ingest(self, tenant: Tenant, item: EventInput) -> Ingested:
        """Record ``item`` once; returns the ingestion and whether it was a duplicate.

        With group commit on, the caller's thread does the reads that need no ordering (is
        the event new, is its type accepted, which buddies has the user) while the current
        group is being written, then joins the next group (see the module doc).
        """
        if self._group is None:
            return _raised(self._ingest_alone(_Request(tenant, item)))
        self._check_registered(tenant, item.type, {})
        existing = self._store.find(EventIngestion, EventIngestion.id_for(tenant, item.event_id))
        if existing is not None:
            return existing, True
        request = self._read_ahead(tenant, item, {}, checked=True)
        return _raised(self._group.submit([request])[0])

    def ingest_many(
        self, tenant: Tenant, items: Sequence[EventInput]
    ) -> list[Ingested | DomainError]:
        """Ingest a batch, each item standing alone (a refusal is its ``DomainError``),
        ``SAVE_CHUNK`` events at a time. With group commit on, each chunk joins the groups
        the single events go through, so a batch never races them for the same buddies."""
        answers: list[Ingested | DomainError] = []
        for start in range(0, len(items), SAVE_CHUNK):
            chunk_items = items[start : start + SAVE_CHUNK]
            if self._group is None:
                outcomes = self._ingest_group([_Request(tenant, item) for item in chunk_items])
            else:
                accounts: dict[str, _Request] = {}
                chunk = [self._read_ahead(tenant, item, accounts) for item in chunk_items]
                outcomes = self._group.submit(chunk)
            for outcome in outcomes:
                if isinstance(outcome, BaseException) and not isinstance(outcome, DomainError):
                    raise outcome
                answers.append(outcome)
        return answers

    def _read_ahead(
        self,
        tenant: Tenant,
        item: EventInput,
        by_user: dict[str, _Request],
        *,
        checked: bool = False,
    ) -> _Request:
        """The request for ``item`` with the reads the group will need done in the caller's
        thread, while the current group is being written (``by_user`` shares them between the
        events of one batch chunk)."""
        known = by_user.get(item.user_id)
        if known is None:
            account = self._store.find(UserAccount, UserAccount.id_for(tenant, item.user_id))
            known = _Request(
                tenant, item, read_ahead=True, account=account, prefetched=self._prefetch(account)
            )
            by_user[item.user_id] = known
        return replace(known, item=item, checked=checked)

    def _prefetch(self, account: UserAccount | None) -> tuple[Aggregate, ...]:
        """The user's buddies and ledgers the next group will need and the pipeline does not
        hold, read here so that the group's leader does not read them one after the other."""
        if account is None:
            return ()
        wanted = [
            (cls, aggregate_id)
            for buddy_id in account.buddy_ids
            for cls, aggregate_id in ((Buddy, buddy_id), (Ledger, ledger_id_for(buddy_id)))
            if self._written.get(aggregate_id) is None
        ]
        found = (self._store.find(cls, aggregate_id) for cls, aggregate_id in wanted)
        return tuple(aggregate for aggregate in found if aggregate is not None)

    def find(self, tenant: Tenant, event_id: str) -> EventIngestion:
        ingestion = self._store.find(EventIngestion, EventIngestion.id_for(tenant, event_id))
        if ingestion is None:
            raise NotFound("event", event_id)
        return ingestion

    # -- groups ------------------------------------------------------------------

    def _ingest_units(
        self, units: Sequence[Sequence[_Request]]
    ) -> list[Outcome[list[Outcome[Ingested]]]]:
        """A group of units (a single event, or a batch chunk) decided and saved together."""
        outcomes = self._ingest_group([request for unit in units for request in unit])
        answers: list[Outcome[list[Outcome[Ingested]]]] = []
        start = 0
        for unit in units:
            answers.append(outcomes[start : start + len(unit)])
            start += len(unit)
        return answers

    def _ingest_group(self, requests: Sequence[_Request]) -> list[Outcome[Ingested]]:
        """The first attempt trusts the callers' checks and reuses written aggregates; after
        a conflict everything is read again; after a second one, each request goes alone."""
        for attempt in range(GROUP_ATTEMPTS):
            try:
                return self._attempt(requests, optimistic=attempt == 0)
            except IntegrityError:
                continue
            except _Spoiled:
                break
        return [self._ingest_alone(request) for request in requests]

    def _ingest_alone(self, request: _Request) -> Outcome[Ingested]:
        try:
            return retry_on_conflict(lambda: self._attempt([request], optimistic=False))[0]
        except _Spoiled as spoiled:
            return spoiled.error
        except DomainError as refusal:
            return refusal

    def _attempt(
        self, requests: Sequence[_Request], *, optimistic: bool
    ) -> list[Outcome[Ingested]]:
        """Decide every request in order against shared state, then save them all at once.

        ``optimistic``: skip the checks the callers made, reuse written aggregates, and
        assume a batch's event ids are new (a repeated one fails the save, and the next
        attempt looks each one up).
        """
        loaded = _Loaded(self._store, self._written if optimistic else None)
        strict: dict[UUID, frozenset[str] | None] = {}
        recorded: dict[UUID, EventIngestion] = {}
        outcomes: list[Outcome[Ingested]] = []
        for request in requests:
            tenant, item = request.tenant, request.item
            trusted = optimistic and request.checked
            if optimistic and request.read_ahead:
                loaded.seed(UserAccount.id_for(tenant, item.user_id), request.account)
                loaded.offer(request.prefetched)
            try:
                if not trusted:
                    self._check_registered(tenant, item.type, strict)
                ingestion_id = EventIngestion.id_for(tenant, item.event_id)
                now = self._clock.now()
                misdated = self._misdated(item, now)
                existing = recorded.get(ingestion_id)
                if existing is None and (misdated is not None or not optimistic):
                    existing = self._store.find(EventIngestion, ingestion_id)
                if existing is not None:
                    outcomes.append((existing, True))
                    continue
                if misdated is not None:
                    raise misdated
                targets = self._targets(tenant, item, loaded)
            except DomainError as refusal:
                outcomes.append(refusal)
                continue
            try:
                ingestion = self._apply(tenant, ingestion_id, item, targets, loaded, now)
            except Exception as error:
                raise _Spoiled(error) from error
            recorded[ingestion_id] = ingestion
            outcomes.append((ingestion, False))
        if recorded:
            changed = loaded.changed()
            self._store.save(*recorded.values(), *changed)
            for aggregate in changed:
                if isinstance(aggregate, Buddy | Ledger):
                    self._written.put(aggregate.id, aggregate)
        return outcomes

    # -- one event -----------------------------------------------------------------

    def _check_registered(
        self, tenant: Tenant, event_type: str, strict: dict[UUID, frozenset[str] | None]
    ) -> None:
        """With the customer's ``strict_event_types`` on, refuse types the published
        config does not register (``strict`` remembers the answer per customer)."""
        if tenant.customer_id not in strict:
            strict[tenant.customer_id] = self._registered_types(tenant)
        registered = strict[tenant.customer_id]
        if registered is not None and event_type not in registered:
            raise DomainError(
                "event_type_not_registered",
                f"event type {event_type!r} is not registered in the published config",
                {"type": event_type, "registered": sorted(registered)},
            )

    def _registered_types(self, tenant: Tenant) -> frozenset[str] | None:
        """The types a strict customer accepts; ``None`` when the customer is not strict.

        "Not strict" is remembered for ``WRITTEN_TTL`` (forgotten at once when this process
        writes the customer), so most events cost no customer load.
        """
        if self._lenient.get(tenant.customer_id):
            return None
        customer = self._store.load(Customer, tenant.customer_id, "customer", "me")
        if not customer.settings.get("strict_event_types"):
            self._lenient.put(tenant.customer_id, True)
            return None
        published = self._configs.published_version(tenant)
        return frozenset(self._configs.rulebook(published.id).event_types if published else ())

    def _misdated(self, item: EventInput, now: datetime) -> DomainError | None:
        """The refusal of an ``occurred_at`` outside the window around ``now`` (decision 0018).

        Answered only after the dedupe (even where an attempt otherwise trusts that the
        event is new), so the retry of a recorded event still gets its original answer
        when the window has moved on since."""
        if item.occurred_at is None:
            return None
        window = EventWindow.at(
            now, backfill=self._backfill, session_issued_at=item.session_issued_at
        )
        try:
            window.check(item.occurred_at)
        except DomainError as refusal:
            return refusal
        return None

    def _targets(self, tenant: Tenant, item: EventInput, loaded: _Loaded) -> list[Buddy]:
        account = loaded.find(UserAccount, UserAccount.id_for(tenant, item.user_id))
        buddy_ids = list(account.buddy_ids) if account else []
        if item.buddy_id is not None:
            if item.buddy_id not in buddy_ids:
                raise NotFound("buddy", public_id("buddy", item.buddy_id))
            buddy_ids = [item.buddy_id]
        buddies = [loaded.load(Buddy, b, "buddy", public_id("buddy", b)) for b in buddy_ids]
        return [b for b in buddies if b.is_active]

    def _apply(
        self,
        tenant: Tenant,
        ingestion_id: UUID,
        item: EventInput,
        targets: list[Buddy],
        loaded: _Loaded,
        now: datetime,
    ) -> EventIngestion:
        """Evaluate the event for each target buddy, credit its ledger, record its progress;
        ``now`` is when it is received (the window was checked against it)."""
        event = CustomerEvent(
            event_id=item.event_id,
            type=item.type,
            user_id=item.user_id,
            occurred_at=item.occurred_at or now,
            properties=item.properties,
            audience=item.audience,
        )
        evaluations: list[tuple[Buddy, Evaluation]] = []
        for buddy in targets:
            ledger = loaded.load(Ledger, ledger_id_for(buddy.id), "ledger", str(buddy.id))
            rulebook = self._configs.rulebook(buddy.config_version_id)
            evaluation = evaluate(rulebook, buddy.progress_state(ledger.wallet()), event)
            cause = {
                "event_id": item.event_id,
                "config_version_id": public_id("config_version", buddy.config_version_id),
                **correlated(item.correlation_id),
            }
            credit_effects(ledger, evaluation, cause, now)
            buddy.record_progress(evaluation, correlation_id=item.correlation_id, timestamp=now)
            evaluations.append((buddy, evaluation))
        return EventIngestion(
            id=ingestion_id,
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            event_id=item.event_id,
            user_id=item.user_id,
            type=item.type,
            occurred_at=event.occurred_at,
            properties=item.properties,
            audience=item.audience,
            buddy_id=item.buddy_id,
            effects=summarise_effects(evaluations),
            trace=trace_of(evaluations),
            applied_to=[buddy.id for buddy, _ in evaluations],
            outcome="applied" if evaluations else "no_active_buddy",
            error=None,
            timestamp=now,
        )


def _raised(outcome: Outcome[Ingested]) -> Ingested:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def summarise_effects(evaluations: list[tuple[Buddy, Evaluation]]) -> dict[str, Any]:
    """The seed's effects object (``coins``, ``badges_awarded``, ``tokens``,
    ``evolution_ready``), summed over the buddies, plus a per-buddy breakdown."""
    per_buddy: list[dict[str, Any]] = []
    for buddy, evaluation in evaluations:
        e = evaluation.effects
        per_buddy.append(
            {
                "buddy_id": public_id("buddy", buddy.id),
                "coins": e.coins,
                "badges_awarded": [b.badge_key for b in e.badges_awarded],
                "tokens": [f"{key}:{amount}" for key, amount in sorted(e.tokens_by_key().items())],
                "skills": [
                    {"skill_key": s.skill_key, "amount": s.amount} for s in e.skill_increments
                ],
                "evolution_ready": e.evolution_ready,
                "next_stage": e.next_stage,
            }
        )
    tokens: dict[str, int] = {}
    for _, evaluation in evaluations:
        for key, amount in evaluation.effects.tokens_by_key().items():
            tokens[key] = tokens.get(key, 0) + amount
    return {
        "coins": sum(b["coins"] for b in per_buddy),
        "badges_awarded": sorted({k for b in per_buddy for k in b["badges_awarded"]}),
        "tokens": [f"{key}:{amount}" for key, amount in sorted(tokens.items())],
        "evolution_ready": any(b["evolution_ready"] for b in per_buddy),
        "skills": [s for b in per_buddy for s in b["skills"]],
        "buddies": per_buddy,
    }


def trace_of(evaluations: list[tuple[Buddy, Evaluation]]) -> list[dict[str, Any]]:
    if not evaluations:
        return [{"kind": "event", "fired": False, "reason": "no_active_buddy"}]
    return [
        {"buddy_id": public_id("buddy", buddy.id), **entry.to_dict()}
        for buddy, evaluation in evaluations
        for entry in evaluation.trace
    ]
