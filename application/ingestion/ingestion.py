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

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.companions.buddy_audiences import BuddyAudiences
from application.configs.configs import Configs
from application.economy.wallets import credit_effects, ledger_id_for
from application.ingestion.event_quotas import EventQuotas, QuotaTally
from application.ingestion.group_commit import GroupCommit, Outcome
from application.shared.ports import Clock, NoTelemetry, Telemetry
from application.shared.store import EventStore, retry_on_conflict
from domain.accounts.audiences import check_audience, declared
from domain.accounts.customer import Customer
from domain.companions.buddy import Buddy
from domain.companions.user_account import UserAccount
from domain.economy.ledger import Ledger
from domain.ingestion.event_ingestion import EventIngestion
from domain.ingestion.event_quota import EventQuotaShard
from domain.ingestion.event_window import DEFAULT_BACKFILL, EventWindow
from domain.ingestion.rules import CustomerEvent, Evaluation, evaluate
from domain.ingestion.warnings import unregistered_type
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
FRESH_ENOUGH = timedelta(seconds=1)
"""How old a kept copy of a buddy, wallet, account or customer a group's first attempt
accepts (``EventStore.find``'s ``max_age``; ``application/shared/kept_aggregates.py``).

A busy buddy receives events many times a second; catching it and its wallet up with the
store (a query each) for every group would cost more than deciding the event. A copy this
process saved or checked within the last second is used as it is.

Correctness of writes does not rest on it: a stale aggregate that the group changes fails its
save on the stream version, and the group is decided again from loads that accept nothing
old. A stale aggregate the group only *reads* (a wallet not credited because a cap is
reached) is the read skew every load-decide-save cycle has between its load and its save,
here bounded by this age; writes by this process are never missed (the store keeps what it
saves).
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
    event_id is new and the type accepted."""

    tenant: Tenant
    item: EventInput
    checked: bool = False
    read_from: float | None = None
    """When (``time.monotonic``) the caller began reading ahead: the store's copy of the
    user's account was checked after it, so the group may take that copy as it is."""


class _Spoiled(Exception):
    """A request failed half-way through changing the group's aggregates."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Loaded:
    """The aggregates one group works on, each loaded once and shared by its requests (a
    buddy touched twice in a group is decided against its evolving state), as fresh as the
    attempt asks of the store (``max_age``, or checked at or after ``checked_since``)."""

    def __init__(
        self, store: EventStore, max_age: timedelta | None, checked_since: float | None = None
    ) -> None:
        self._store = store
        self._max_age = max_age
        self._checked_since = checked_since
        self._found: dict[UUID, Any] = {}

    def find(
        self,
        cls: type[A],
        aggregate_id: UUID,
        *,
        max_age: timedelta | None = None,
        checked_since: float | None = None,
        read_only: bool = False,
    ) -> A | None:
        """The aggregate, as old as the attempt accepts, or as ``max_age`` or
        ``checked_since`` say for it; ``read_only`` for one the group only reads (the store's
        kept object, not a copy)."""
        if aggregate_id not in self._found:
            age = max_age if max_age is not None else self._max_age
            since = checked_since if checked_since is not None else self._checked_since
            self._found[aggregate_id] = self._store.find(
                cls, aggregate_id, max_age=age, checked_since=since, read_only=read_only
            )
        found = self._found[aggregate_id]
        return found if isinstance(found, cls) else None

    def load(
        self, cls: type[A], aggregate_id: UUID, kind: str, public: str, *, read_only: bool = False
    ) -> A:
        found = self.find(cls, aggregate_id, read_only=read_only)
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
        telemetry: Telemetry | None = None,
        quotas: EventQuotas | None = None,
    ) -> None:
        self._store = store
        self._audiences = BuddyAudiences(store)
        self._quotas = quotas if quotas is not None and quotas.enabled else None
        self._telemetry = telemetry or NoTelemetry()
        self._clock = clock
        self._configs = configs
        self._backfill = backfill
        self._group: GroupCommit[Sequence[_Request], list[Outcome[Ingested]]] | None = (
            GroupCommit(self._ingest_units, MAX_GROUP_EVENTS, weight=len) if group_commit else None
        )

    def ingest(self, tenant: Tenant, item: EventInput) -> Ingested:
        """Record ``item`` once; returns the ingestion and whether it was a duplicate."""
        try:
            ingested = self._ingest(tenant, item)
        except DomainError:
            self._telemetry.events_ingested("rejected")
            raise
        self._telemetry.events_ingested(outcome_of(ingested))
        return ingested

    def _ingest(self, tenant: Tenant, item: EventInput) -> Ingested:
        """``ingest``, uncounted.

        With group commit on, the caller's thread does the reads that need no ordering (is
        the event new, is its type accepted, which buddies has the user, are they current)
        while the current group is being written, then joins the next group (see the module
        doc).
        """
        if self._group is None:
            return _raised(self._ingest_alone(_Request(tenant, item)))
        self._registry(tenant, {}).check(item)
        existing = self._store.find(EventIngestion, EventIngestion.id_for(tenant, item.event_id))
        if existing is not None:
            return existing, True
        read_from = time.monotonic()
        self._read_ahead(tenant, [item.user_id])
        request = _Request(tenant, item, checked=True, read_from=read_from)
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
                read_from = time.monotonic()
                self._read_ahead(tenant, [item.user_id for item in chunk_items])
                chunk = [_Request(tenant, item, read_from=read_from) for item in chunk_items]
                outcomes = self._group.submit(chunk)
            for outcome in outcomes:
                if isinstance(outcome, BaseException) and not isinstance(outcome, DomainError):
                    raise outcome
                answers.append(outcome)
        for answer in answers:
            self._telemetry.events_ingested(
                "rejected" if isinstance(answer, DomainError) else outcome_of(answer)
            )
        return answers

    def _read_ahead(self, tenant: Tenant, user_ids: Iterable[str]) -> None:
        """Bring the store's kept copies of the users' accounts, buddies and wallets up to
        date in the caller's thread, while the current group is being written, so that the
        next group's leader finds them fresh enough and reads nothing. Two reads of the
        store however many users (``EventStore.refresh_many``): the accounts, then their
        buddies and wallets.

        The accounts are always caught up with the store: the group only reads them, so a
        stale copy would fail no save, and a buddy hatched by a worker process a moment
        before the event arrived would be missed."""
        account_ids = [UserAccount.id_for(tenant, user_id) for user_id in user_ids]
        self._refresh_users(account_ids, buddies_max_age=FRESH_ENOUGH)

    def _refresh_users(
        self,
        account_ids: Sequence[UUID],
        *,
        buddies_max_age: timedelta,
        also: Sequence[tuple[type[Aggregate], UUID]] = (),
    ) -> float:
        """Check the users' accounts (and ``also``) with one read of the store, then their
        buddies and wallets with a second (those checked within ``buddies_max_age`` are
        taken as they are); returns the instant the accounts were checked from."""
        checked_from = time.monotonic()
        self._store.refresh_many(
            [*((UserAccount, account_id) for account_id in account_ids), *also], max_age=_NOW
        )
        self._refresh_buddies(
            [b for a in account_ids for b in self._kept_account_buddies(a, checked_from)],
            max_age=buddies_max_age,
        )
        return checked_from

    def _refresh_group_buddies(
        self, requests: Sequence[_Request], read_from: dict[str, float]
    ) -> None:
        """The leader's ``_refresh_buddies`` for its whole group: a group that waited in line
        longer than ``FRESH_ENOUGH`` finds its buddies stale, and one read then catches them
        all up instead of one read each as the group decides."""
        accounts = {
            UserAccount.id_for(request.tenant, request.item.user_id): request.item.user_id
            for request in requests
            if request.item.user_id in read_from
        }
        self._refresh_buddies(
            [
                buddy_id
                for account_id, user_id in accounts.items()
                for buddy_id in self._kept_account_buddies(account_id, read_from[user_id])
            ],
            max_age=FRESH_ENOUGH,
        )

    def _kept_account_buddies(self, account_id: UUID, checked_since: float | None) -> list[UUID]:
        """The buddies of a user account, as kept if checked since ``checked_since``."""
        account = self._store.find(
            UserAccount, account_id, max_age=_NOW, checked_since=checked_since, read_only=True
        )
        return list(account.buddy_ids) if account else []

    def _refresh_buddies(self, buddy_ids: Sequence[UUID], max_age: timedelta) -> None:
        """Check the kept buddies and their wallets unless checked within ``max_age``, with
        one read of the store."""
        self._store.refresh_many(
            [
                *((Buddy, buddy_id) for buddy_id in buddy_ids),
                *((Ledger, ledger_id_for(buddy_id)) for buddy_id in buddy_ids),
            ],
            max_age=max_age,
        )

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
        """The first attempt trusts the callers' checks and accepts kept aggregates checked
        within ``FRESH_ENOUGH``; after a conflict everything is read again; after a second
        one, each request goes alone."""
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
        """Decide every request in order against shared state, then save them all at once;
        with the quota counted, on a quota shard no other attempt of this process counts on
        meanwhile (``EventQuotas.turn``).

        ``optimistic``: skip the checks the callers made, accept kept aggregates checked
        within ``FRESH_ENOUGH``, and assume a batch's event ids are new (a repeated one fails
        the save, and the next attempt looks each one up).
        """
        if self._quotas is None:
            checked_from = None if optimistic else self._read_now(requests)
            return self._decide(requests, optimistic, None, checked_from)
        with self._quotas.turn() as order:
            checked_from = None if optimistic else self._read_now(requests)
            find = partial(
                self._store.find,
                max_age=FRESH_ENOUGH if optimistic else None,
                checked_since=checked_from,
            )
            tally = self._quotas.tally(find, self._clock.now(), order)
            return self._decide(requests, optimistic, tally, checked_from)

    def _read_now(self, requests: Sequence[_Request]) -> float:
        """For an attempt that accepts nothing old: bring what it will read up to date
        with two reads of the store (the customers, the users' accounts and this month's
        quota shards, then the accounts' buddies and wallets) instead of one per aggregate
        as it decides; returns the instant they were checked from, which its loads accept
        (``checked_since``)."""
        customers = list(dict.fromkeys(request.tenant.customer_id for request in requests))
        accounts = list(
            dict.fromkeys(UserAccount.id_for(r.tenant, r.item.user_id) for r in requests)
        )
        now = self._clock.now()
        shards = [
            (EventQuotaShard, shard_id)
            for customer_id in customers
            for shard_id in (self._quotas.shard_ids(customer_id, now) if self._quotas else ())
        ]
        return self._refresh_users(
            accounts,
            buddies_max_age=_NOW,
            also=[*((Customer, customer_id) for customer_id in customers), *shards],
        )

    def _decide(
        self,
        requests: Sequence[_Request],
        optimistic: bool,
        tally: QuotaTally | None,
        checked_from: float | None,
    ) -> list[Outcome[Ingested]]:
        """``_attempt``'s work, with the attempt's quota tally (``None``: not counted) and
        the instant from which an attempt that accepts nothing old read (``_read_now``)."""
        loaded = _Loaded(self._store, FRESH_ENOUGH if optimistic else None, checked_from)
        read_from = _read_from_by_user(requests) if optimistic else {}
        if read_from:
            self._refresh_group_buddies(requests, read_from)
        registries: dict[UUID, _Registry] = {}
        recorded: dict[UUID, EventIngestion] = {}
        outcomes: list[Outcome[Ingested]] = []
        for request in requests:
            tenant, item = request.tenant, request.item
            trusted = optimistic and request.checked
            try:
                registry = self._registry(tenant, registries)
                if not trusted:
                    registry.check(item)
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
                targets = self._targets(tenant, item, loaded, read_from.get(item.user_id))
                if tally is not None:
                    customer = loaded.load(
                        Customer, tenant.customer_id, "customer", "me", read_only=True
                    )
                    tally.admit(customer)
            except DomainError as refusal:
                outcomes.append(refusal)
                continue
            try:
                ingestion = self._apply(
                    tenant, ingestion_id, item, targets, loaded, now, registry.registered
                )
            except Exception as error:
                raise _Spoiled(error) from error
            recorded[ingestion_id] = ingestion
            outcomes.append((ingestion, False))
        if recorded:
            counted = tally.changed() if tally is not None else []
            self._store.save(*recorded.values(), *loaded.changed(), *counted)
            if tally is not None:
                tally.saved()
        return outcomes

    # -- one event -----------------------------------------------------------------

    def _registry(self, tenant: Tenant, registries: dict[UUID, _Registry]) -> _Registry:
        """Whether the customer is strict, its audiences and (read when first asked for) the
        published registry, once per customer.

        The customer is read as kept within ``FRESH_ENOUGH``, so most checks cost no query;
        the registry is one small catalog read (the rulebook comes from the configs' cache),
        made by a strict check or once per group for the warnings.
        """
        if tenant.customer_id not in registries:
            customer = self._store.find(
                Customer, tenant.customer_id, max_age=FRESH_ENOUGH, read_only=True
            )
            if customer is None:
                raise NotFound("customer", "me")
            registries[tenant.customer_id] = _Registry(
                strict=bool(customer.settings.get("strict_event_types")),
                audiences=declared(customer.settings),
                published=partial(self._published_types, tenant),
            )
        return registries[tenant.customer_id]

    def _published_types(self, tenant: Tenant) -> frozenset[str]:
        published = self._configs.published_rulebook(tenant, max_age=FRESH_ENOUGH)
        return frozenset(published.event_types if published else ())

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

    def _targets(
        self, tenant: Tenant, item: EventInput, loaded: _Loaded, read_from: float | None
    ) -> list[Buddy]:
        """The user's active buddies (or the one the event names). The account is taken as
        checked since the user's requests were read ahead (``read_from``), else read now."""
        account = loaded.find(
            UserAccount,
            UserAccount.id_for(tenant, item.user_id),
            max_age=_NOW,
            checked_since=read_from,
            read_only=True,
        )
        buddy_ids = list(account.buddy_ids) if account else []
        if item.buddy_id is not None:
            if item.buddy_id not in buddy_ids:
                raise NotFound("buddy", public_id("buddy", item.buddy_id))
            buddy_ids = [item.buddy_id]
        buddies = [loaded.load(Buddy, b, "buddy", public_id("buddy", b)) for b in buddy_ids]
        return [b for b in buddies if b.is_active and self._reaches(item, b)]

    def _as_for(self, event: CustomerEvent, buddy: Buddy) -> CustomerEvent:
        """An event sent without an audience counts for the buddy's own audience (the one
        a widget's buddy, or a single-audience customer's buddy, was hatched for)."""
        if event.audience is not None:
            return event
        audience = self._audiences.of(buddy)
        return event if audience is None else dataclass_replace(event, audience=audience)

    def _reaches(self, item: EventInput, buddy: Buddy) -> bool:
        """An event sent for an audience reaches the user's buddy of that audience (one
        per user and audience), and buddies hatched without one (decision 0041)."""
        if item.audience is None:
            return True
        audience = self._audiences.of(buddy)
        return audience is None or audience == item.audience

    def _apply(
        self,
        tenant: Tenant,
        ingestion_id: UUID,
        item: EventInput,
        targets: list[Buddy],
        loaded: _Loaded,
        now: datetime,
        registered: frozenset[str],
    ) -> EventIngestion:
        """Evaluate the event for each target buddy, credit its ledger, record its progress;
        ``now`` is when it is received (the window was checked against it). A type the
        published config does not register is recorded first in the trace (its warning)."""
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
            evaluation = evaluate(
                rulebook, buddy.progress_state(ledger.wallet()), self._as_for(event, buddy)
            )
            cause = {
                "event_id": item.event_id,
                "config_version_id": buddy.config_version_id,
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
            trace=[*_unregistered(item.type, registered), *trace_of(evaluations)],
            applied_to=[buddy.id for buddy, _ in evaluations],
            outcome="applied" if evaluations else "no_active_buddy",
            error=None,
            timestamp=now,
        )


@dataclass
class _Registry:
    """Whether the customer is strict, its audiences (decision 0041) and the event types its
    published config registers (``published`` reads them when first needed)."""

    strict: bool
    audiences: tuple[str, ...]
    published: Callable[[], frozenset[str]]
    _registered: frozenset[str] | None = None

    @property
    def registered(self) -> frozenset[str]:
        if self._registered is None:
            self._registered = self.published()
        return self._registered

    def check(self, item: EventInput) -> None:
        """Refuse an audience the customer's audiences do not allow and, with
        ``strict_event_types`` on, a type the published config does not register."""
        if item.audience is not None or item.buddy_id is None:  # a named buddy has its own
            check_audience(self.audiences, item.audience)
        event_type = item.type
        if self.strict and event_type not in self.registered:
            raise DomainError(
                "event_type_not_registered",
                f"event type {event_type!r} is not registered in the published config",
                {"type": event_type, "registered": sorted(self.registered)},
            )


def _unregistered(event_type: str, registered: frozenset[str]) -> list[dict[str, Any]]:
    entry = unregistered_type(event_type, registered)
    return [entry] if entry is not None else []


def outcome_of(ingested: Ingested) -> str:
    """How an ingested event is counted: ``duplicate``, ``accepted`` or ``rejected``."""
    recorded, duplicate = ingested
    if duplicate:
        return "duplicate"
    return "accepted" if recorded.accepted else "rejected"


_NOW = timedelta(0)
"""An age no kept copy has: read the store now."""


def _read_from_by_user(requests: Sequence[_Request]) -> dict[str, float]:
    """For each user of a group, when the last of its requests began reading ahead: the
    account must have been checked after every one of them arrived."""
    latest: dict[str, float] = {}
    for request in requests:
        if request.read_from is not None:
            user = request.item.user_id
            latest[user] = max(latest.get(user, request.read_from), request.read_from)
    return latest


def _raised(outcome: Outcome[Ingested]) -> Ingested:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def summarise_effects(evaluations: list[tuple[Buddy, Evaluation]]) -> dict[str, Any]:
    """The seed's effects object (``coins``, ``badges_awarded``, ``tokens``,
    ``evolution_ready``), summed over the buddies, plus a per-buddy breakdown naming each
    buddy by its UUID (the interface shows it as the public id)."""
    per_buddy: list[dict[str, Any]] = []
    for buddy, evaluation in evaluations:
        e = evaluation.effects
        per_buddy.append(
            {
                "buddy_id": buddy.id,
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
        {"buddy_id": buddy.id, **entry.to_dict()}
        for buddy, evaluation in evaluations
        for entry in evaluation.trace
    ]
