"""``/events``: ingest customer events (one or a batch of up to 500), list and explain them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.ingestion.ingestion import EventInput
from domain.ingestion.event_ingestion import EventIngestion
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant
from interfaces.container import Container
from interfaces.http.auth import Caller, container_of
from interfaces.http.body import Model, StrictBody
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Page, page
from projections.ingestion.event_log import EVENTS
from projections.shared.base import iso

MAX_BATCH = 500
EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
EventType = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,63}$")]
UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Audience = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


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


def ingest_one(
    container: Container,
    tenant: Tenant,
    data: EventRequest,
    *,
    session_issued_at: datetime | None = None,
) -> dict[str, Any]:
    """Ingest ``data``; from a widget, ``session_issued_at`` is when its session was issued."""
    item = replace(to_input(data), session_issued_at=session_issued_at)
    ingestion, duplicate = container.ingestion.ingest(tenant, item)
    return ingestion.response(duplicate=duplicate)


def event_view(ingestion: EventIngestion) -> dict[str, Any]:
    return {
        "event_id": ingestion.event_id,
        "user_id": ingestion.user_id,
        "type": ingestion.type,
        "occurred_at": ingestion.occurred_at,
        "received_at": ingestion.received_at,
        "properties": ingestion.properties,
        "audience": ingestion.audience,
        "buddy_id": public_id("buddy", ingestion.buddy_id) if ingestion.buddy_id else None,
        "outcome": ingestion.outcome,
        "applied_to": [public_id("buddy", b) for b in ingestion.applied_to],
        "effects": ingestion.effects,
        "trace": ingestion.trace,
    }


def event_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": row["event_id"],
        "user_id": row["user_id"],
        "type": row["type"],
        "outcome": row["outcome"],
        "occurred_at": datetime.fromisoformat(row["occurred_at"]),
        "received_at": datetime.fromisoformat(row["received_at"]),
        "properties": row["data"]["properties"],
        "effects": row["data"]["effects"],
    }


class EventController(Controller):
    path = "/events"
    tags = ["events"]

    @post(
        "/",
        dto=StrictBody[EventRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Ingest one event; a repeated event_id returns the original effects",
    )
    def ingest(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[EventRequest]
    ) -> dict[str, Any]:
        return ingest_one(container_of(request), principal.tenant, data)

    @post(
        "/batch",
        dto=StrictBody[BatchRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary=f"Ingest up to {MAX_BATCH} events; each item stands alone",
    )
    def ingest_batch(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[BatchRequest]
    ) -> dict[str, Any]:
        inputs: list[EventInput] = []
        refused: dict[int, DomainError] = {}
        for index, item in enumerate(data.events):
            try:
                inputs.append(to_input(item))
            except DomainError as refusal:
                refused[index] = refusal
        outcomes = iter(container_of(request).ingestion.ingest_many(principal.tenant, inputs))
        results = []
        for index, item in enumerate(data.events):
            outcome = refused.get(index) or next(outcomes)
            if isinstance(outcome, DomainError):
                error = {"code": outcome.code, "message": outcome.message}
                results.append({"event_id": item.event_id, "status": "rejected", "error": error})
            else:
                ingestion, duplicate = outcome
                results.append(ingestion.batch_result(duplicate=duplicate))
        return {"results": results}

    @get("/", sync_to_thread=True, summary="List events (filters: user_id, type, from, to; cursor)")
    def list_events(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        user_id: FromQuery[str | None] = None,
        type: FromQuery[str | None] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: FromQuery[datetime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Page[dict[str, Any]]:
        if from_ and to and from_ > to:
            raise DomainError("bad_request", "`from` is later than `to`", {"from": from_, "to": to})
        container = container_of(request)
        read_your_writes(request, "event_log")
        tenant = principal.tenant
        where: dict[str, Any] = {
            "customer_id": tenant.customer_id.hex,
            "mode": tenant.mode,
            "user_id": user_id,
            "type": type,
        }
        window = [(">=", iso(from_))] if from_ else []
        window += [("<=", iso(to))] if to else []
        if window:
            where["occurred_at"] = window
        order = [("received_at", True), ("ingestion_id", True)]
        return page(container.views, EVENTS.name, where, order, cursor, limit, event_row_view)

    @get("/types", sync_to_thread=True, summary="List distinct event types seen and registered")
    def event_types(self, request: Request[Any, Any, Any], principal: Caller) -> dict[str, Any]:
        container = container_of(request)
        read_your_writes(request, "event_log")
        tenant = principal.tenant
        rows = container.views.rows(
            EVENTS.name, {"customer_id": tenant.customer_id.hex, "mode": tenant.mode}
        )
        seen: dict[str, int] = {}
        for row in rows:
            seen[row["type"]] = seen.get(row["type"], 0) + 1
        published = container.configs.published_version(tenant)
        registered = (
            set(container.configs.rulebook(published.id).event_types) if published else set()
        )
        names = sorted(set(seen) | registered)
        return {
            "data": [
                {"type": n, "count": seen.get(n, 0), "registered": n in registered} for n in names
            ]
        }

    @get(
        "/{event_id:str}",
        sync_to_thread=True,
        summary="An event with its effects, rule trace and plain-language explanations",
    )
    def get_event(
        self, request: Request[Any, Any, Any], principal: Caller, event_id: FromPath[str]
    ) -> dict[str, Any]:
        container = container_of(request)
        ingestion = container.ingestion.find(principal.tenant, event_id)
        explanations = container.history.explanations(principal.tenant, ingestion)
        return {**event_view(ingestion), "explanations": explanations}
