"""``/events``: ingest customer events (one or a batch of up to 500), list and explain them.

The answers are built here from the recorded ``EventIngestion``. ``effects``, ``trace`` and
``explanations`` stay JSON objects: they are what the ingestion recorded when the event came
in, answered verbatim (a duplicate gets the original byte for byte), whatever shape the rules
of that day gave them, except that the buddies they name by UUID are shown by public id here
(``shown``; the event log view's rows hold the UUID's hex, or the public id in rows written
before decision 0045: ``shown_row_effects``). ``caps_reached`` is typed: read from that recorded trace (so a
duplicate answers it the same), it names the caps that held a reward back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.configs.configs import Configs
from application.history.history import History
from application.ingestion.ingestion import EventInput, Ingestion
from application.shared.public_values import public_value
from domain.ingestion.cap_hits import cap_hits
from domain.ingestion.event_ingestion import EventIngestion
from domain.ingestion.warnings import WarningCode, warnings_of
from domain.shared.errors import DomainError
from domain.shared.ids import PREFIXES, parse_public_id, public_id
from domain.shared.tenancy import Tenant
from domain.shared.text_patterns import AUDIENCE, EVENT_TYPE
from infrastructure.analytics.breakdown_queries import BreakdownQueries
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Page, Paging, TenantListing
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, get, post
from projections.analytics.breakdowns import AnalyticsBreakdownsView
from projections.ingestion.event_log import EVENTS, EventLogView
from projections.shared.base import iso

MAX_BATCH = 500
EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
EventType = Annotated[str, msgspec.Meta(pattern=EVENT_TYPE.regex)]
UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Audience = Annotated[str, msgspec.Meta(pattern=AUDIENCE.regex)]

INGEST_REFUSALS = (
    "event_type_not_registered",
    "missing_audience",
    "unknown_audience",
    "resource_not_found",
    "conflict",
    "event_quota_exceeded",
)
"""What ingesting one event can be refused with: a type the strict config does not register,
an audience the customer's audiences do not allow (decision 0041),
a ``buddy_id`` that is not the user's, a write that kept losing its race, this month's event
quota used up (and a bad ``occurred_at``: ``validation_failed``, which every body can
answer)."""


class EventRequest(Model):
    event_id: EventId
    user_id: UserId
    type: EventType
    occurred_at: datetime | None = None
    properties: dict[str, Any] = {}
    audience: Audience | None = None
    buddy_id: str | None = None


class BatchRequest(Model):
    events: Annotated[list[EventRequest], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class EventError(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    details: dict[str, Any] | None = None


class CapReached(msgspec.Struct):
    """A rule whose daily or weekly cap held back (all or part of) a buddy's reward for the
    event: ``cap`` per ``period``, ``count`` already awarded in ``bucket`` (the event's UTC day
    or ISO week) before it, ``awarded`` what the event still got from the rule (0 when none)."""

    buddy_id: str
    rule_id: str
    kind: Literal["coin", "token"]
    period: Literal["day", "week"]
    bucket: str
    cap: int
    count: int
    awarded: int


class EventWarning(msgspec.Struct, omit_defaults=True):
    """An accepted event that probably did not do what was meant (decision 0041):
    ``event_type_not_registered`` (``suggestion``: the registered type it may have meant),
    ``no_active_buddy``, ``property_type_mismatch`` (rule ``rule_id`` compared ``property``
    with an ``expected_type`` value and the event sent an ``actual_type`` one)."""

    code: WarningCode
    message: str
    suggestion: str | None = None
    rule_id: str | None = None
    property: str | None = None
    expected_type: str | None = None
    actual_type: str | None = None


class IngestedEvent(msgspec.Struct, omit_defaults=True):
    """``POST /events``: ``effects`` when accepted, ``error`` when rejected; a repeat of the
    ``event_id`` answers the same plus ``"duplicate": true``. ``caps_reached``, only when a
    cap held a reward back, says which (``"coins": 0`` alone cannot tell a cap from no rule);
    ``warnings``, only when there are some, the likely mistakes of an accepted event."""

    accepted: bool
    event_id: str
    effects: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    caps_reached: list[CapReached] = []
    warnings: list[EventWarning] = []
    error: EventError | msgspec.UnsetType = msgspec.UNSET
    duplicate: bool = False


class BatchItem(msgspec.Struct, omit_defaults=True):
    """One item of ``POST /events/batch``: ``effects`` (and ``caps_reached``, as for one
    event) when accepted (or a duplicate), ``error`` when rejected (by the rules, or refused
    outright)."""

    event_id: str
    status: Literal["accepted", "duplicate", "rejected"]
    effects: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    caps_reached: list[CapReached] = []
    warnings: list[EventWarning] = []
    error: EventError | msgspec.UnsetType = msgspec.UNSET


class BatchResults(msgspec.Struct):
    results: list[BatchItem]


class EventSummary(msgspec.Struct):
    event_id: str
    user_id: str
    type: str
    outcome: str
    occurred_at: datetime
    received_at: datetime
    properties: dict[str, Any]
    effects: dict[str, Any]


class EventDetail(msgspec.Struct):
    event_id: str
    user_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    properties: dict[str, Any]
    audience: str | None
    buddy_id: str | None
    outcome: str
    applied_to: list[str]
    effects: dict[str, Any]
    trace: list[dict[str, Any]]
    explanations: list[dict[str, Any]]


class EventTypeCount(msgspec.Struct):
    type: str
    count: int
    registered: bool


class EventTypes(msgspec.Struct):
    data: list[EventTypeCount]


def to_input(data: EventRequest) -> EventInput:
    if data.occurred_at is not None and data.occurred_at.tzinfo is None:
        raise DomainError(
            "validation_failed",
            "occurred_at must carry a time zone (e.g. 2026-04-08T10:30:00Z)",
            {"fields": [{"field": "occurred_at", "reason": "must be timezone-aware"}]},
        )
    return EventInput(
        event_id=data.event_id,
        user_id=data.user_id,
        type=data.type,
        occurred_at=data.occurred_at,
        properties=data.properties,
        audience=data.audience,
        buddy_id=parse_public_id("buddy", data.buddy_id) if data.buddy_id else None,
    )


def event_error(error: dict[str, Any] | DomainError | None) -> EventError:
    """A rejection as an event answers it: the recorded ``{code, message}``, or a refusal."""
    if isinstance(error, DomainError):
        return EventError(code=error.code, message=error.message, details=error.details or None)
    assert error is not None, "a rejected ingestion records its error"
    return EventError(code=error["code"], message=error["message"])


def ingested_event(ingestion: EventIngestion, *, duplicate: bool = False) -> IngestedEvent:
    if not ingestion.accepted:
        return IngestedEvent(
            accepted=False,
            event_id=ingestion.event_id,
            error=event_error(ingestion.error),
            duplicate=duplicate,
        )
    return IngestedEvent(
        accepted=True,
        event_id=ingestion.event_id,
        effects=shown(ingestion.effects),
        caps_reached=caps_reached(ingestion),
        warnings=event_warnings(ingestion),
        duplicate=duplicate,
    )


def batch_item(ingestion: EventIngestion, *, duplicate: bool = False) -> BatchItem:
    if not ingestion.accepted:
        return BatchItem(
            event_id=ingestion.event_id, status="rejected", error=event_error(ingestion.error)
        )
    return BatchItem(
        event_id=ingestion.event_id,
        status="duplicate" if duplicate else "accepted",
        effects=shown(ingestion.effects),
        caps_reached=caps_reached(ingestion),
        warnings=event_warnings(ingestion),
    )


def caps_reached(ingestion: EventIngestion) -> list[CapReached]:
    return [
        CapReached(**{**dataclasses.asdict(hit), "buddy_id": public_id("buddy", hit.buddy_id)})
        for hit in cap_hits(ingestion.trace)
    ]


def event_warnings(ingestion: EventIngestion) -> list[EventWarning]:
    return [
        EventWarning(**dataclasses.asdict(w))
        for w in warnings_of(ingestion.outcome, ingestion.trace)
    ]


def ingest_one(
    ingestion: Ingestion,
    tenant: Tenant,
    data: EventRequest,
    request: Request[Any, Any, Any],
    *,
    session_issued_at: datetime | None = None,
) -> IngestedEvent:
    """Ingest ``data``, the body of ``request``; from a widget, ``session_issued_at`` is when
    its session was issued."""
    item = replace(
        to_input(data),
        session_issued_at=session_issued_at,
        correlation_id=correlation_of(request),
    )
    recorded, duplicate = ingestion.ingest(tenant, item)
    return ingested_event(recorded, duplicate=duplicate)


def event_detail(ingestion: EventIngestion, explanations: list[dict[str, Any]]) -> EventDetail:
    return EventDetail(
        event_id=ingestion.event_id,
        user_id=ingestion.user_id,
        type=ingestion.type,
        occurred_at=ingestion.occurred_at,
        received_at=ingestion.received_at,
        properties=ingestion.properties,
        audience=ingestion.audience,
        buddy_id=public_id("buddy", ingestion.buddy_id) if ingestion.buddy_id else None,
        outcome=ingestion.outcome,
        applied_to=[public_id("buddy", b) for b in ingestion.applied_to],
        effects=shown(ingestion.effects),
        trace=shown(ingestion.trace),
        explanations=shown(explanations),
    )


def event_row_view(row: dict[str, Any]) -> EventSummary:
    return EventSummary(
        event_id=row["event_id"],
        user_id=row["user_id"],
        type=row["type"],
        outcome=row["outcome"],
        occurred_at=datetime.fromisoformat(row["occurred_at"]),
        received_at=datetime.fromisoformat(row["received_at"]),
        properties=row["data"]["properties"],
        effects=shown_row_effects(row["data"]["effects"]),
    )


def shown(recorded: Any) -> Any:
    """A recorded ``effects``, ``trace`` or explanations as the API shows them: every
    ``buddy_id`` (a UUID) as its public id."""
    return public_value("recorded", recorded)


def shown_row_effects(effects: dict[str, Any]) -> dict[str, Any]:
    """The event log view's ``effects`` as the API shows them: each buddy's hex as its
    public id (a row written before decision 0045 holds the public id already)."""
    buddies = [
        {**entry, "buddy_id": _public_buddy(entry["buddy_id"])}
        for entry in effects.get("buddies", ())
    ]
    return {**effects, "buddies": buddies} if "buddies" in effects else dict(effects)


def _public_buddy(stored: str) -> str:
    prefix = PREFIXES["buddy"] + "_"
    return stored if stored.startswith(prefix) else public_id("buddy", UUID(hex=stored))


EVENT_LIST = TenantListing(
    EventLogView.name,
    EVENTS.name,
    (("received_at", True), ("ingestion_id", True)),
    event_row_view,
)


class EventController(Controller):
    path = "/events"
    tags = ["events"]

    @post(
        access=Access.SECRET,
        body=EventRequest,
        errors=INGEST_REFUSALS,
        status_code=200,
        summary="Ingest one event; a repeated event_id returns the original effects",
    )
    def ingest(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        ingestion: NamedDependency[Ingestion],
        data: JSONBody[EventRequest],
    ) -> IngestedEvent:
        return ingest_one(ingestion, principal.tenant, data, request)

    @post(
        "/batch",
        access=Access.SECRET,
        body=BatchRequest,
        status_code=200,
        summary=f"Ingest up to {MAX_BATCH} events; each item stands alone",
    )
    def ingest_batch(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        ingestion: NamedDependency[Ingestion],
        data: JSONBody[BatchRequest],
    ) -> BatchResults:
        inputs: list[EventInput] = []
        refused: dict[int, DomainError] = {}
        correlation_id = correlation_of(request)
        for index, item in enumerate(data.events):
            try:
                inputs.append(replace(to_input(item), correlation_id=correlation_id))
            except DomainError as refusal:
                refused[index] = refusal
        outcomes = iter(ingestion.ingest_many(principal.tenant, inputs))
        results = []
        for index, item in enumerate(data.events):
            outcome = refused.get(index) or next(outcomes)
            if isinstance(outcome, DomainError):
                error = event_error(outcome)
                results.append(BatchItem(event_id=item.event_id, status="rejected", error=error))
            else:
                recorded, duplicate = outcome
                results.append(batch_item(recorded, duplicate=duplicate))
        return BatchResults(results)

    @get(
        access=Access.SECRET,
        errors=("bad_request",),
        summary="List events (filters: user_id, type, from, to; cursor)",
    )
    def list_events(
        self,
        paging: NamedDependency[Paging],
        user_id: FromQuery[str | None] = None,
        type: FromQuery[str | None] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: FromQuery[datetime | None] = None,
    ) -> Page[EventSummary]:
        if from_ and to and from_ > to:
            raise DomainError("bad_request", "`from` is later than `to`", {"from": from_, "to": to})
        window = [(">=", iso(from_))] if from_ else []
        window += [("<=", iso(to))] if to else []
        filters = {"user_id": user_id, "type": type, "occurred_at": window or None}
        return EVENT_LIST.page(paging, filters)

    @get("/types", access=Access.SECRET, summary="List distinct event types seen and registered")
    def event_types(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        breakdowns: NamedDependency[BreakdownQueries],
        configs: NamedDependency[Configs],
    ) -> EventTypes:
        read_your_writes(request, AnalyticsBreakdownsView.name)
        tenant = principal.tenant
        seen = breakdowns.type_totals(tenant)  # a counter per type, not the event list
        published = configs.published_version(tenant)
        registered = set(configs.rulebook(published.id).event_types) if published else set()
        names = sorted(set(seen) | registered)
        return EventTypes(
            [
                EventTypeCount(type=n, count=seen.get(n, 0), registered=n in registered)
                for n in names
            ]
        )

    @get(
        "/{event_id:str}",
        access=Access.SECRET,
        summary="An event with its effects, rule trace and plain-language explanations",
    )
    def get_event(
        self,
        principal: Caller,
        ingestion: NamedDependency[Ingestion],
        history: NamedDependency[History],
        event_id: FromPath[str],
    ) -> EventDetail:
        recorded = ingestion.find(principal.tenant, event_id)
        return event_detail(recorded, history.explanations(principal.tenant, recorded))
