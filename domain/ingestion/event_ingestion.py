"""One customer event, as received, with what it did and why.

The id is derived from (tenant, the customer's ``event_id``): recording the same event a
second time tries to create version 1 of an existing stream, which the event store refuses.
That refusal *is* the dedupe, and it holds forever and under concurrency.

A single ``Recorded`` event carries everything (the event, its effects, the rule trace,
the buddies it applied to, the outcome): an ingestion never changes afterwards, so a
duplicate is answered from it byte for byte, and ``GET /events/{id}`` can explain it.

The recorded ``effects`` (``buddies[].buddy_id``) and ``trace`` (``[].buddy_id``) name each
buddy by its UUID; the HTTP layer shows it as the public id. Version 1 of ``Recorded`` held the
public id string there and is upcast (decision 0045).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.ids import natural_id, parse_public_id
from domain.shared.json_values import copy_json
from domain.shared.tenancy import Mode, Tenant

IngestionOutcome = Literal["applied", "no_active_buddy", "rejected"]
INGESTION_OUTCOMES: tuple[IngestionOutcome, ...] = ("applied", "no_active_buddy", "rejected")


class EventIngestion(Aggregate):
    @staticmethod
    def id_for(tenant: Tenant, event_id: str) -> UUID:
        return natural_id("event", tenant.key, event_id)

    class Recorded(Aggregate.Created):
        """Version 2 names the buddies inside ``effects`` and ``trace`` by UUID; version 1
        held their public ids (``bdy_<hex>``), read back as the UUIDs they spell."""

        class_version = 2
        customer_id: UUID
        mode: Mode
        event_id: str
        user_id: str
        type: str
        occurred_at: datetime
        properties: dict[str, Any]
        audience: str | None
        buddy_id: UUID | None
        effects: dict[str, Any]
        trace: list[dict[str, Any]]
        applied_to: list[UUID]
        outcome: IngestionOutcome
        error: dict[str, Any] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            buddies = (state["effects"] or {}).get("buddies", ())
            for entry in [*buddies, *(state["trace"] or ())]:
                _buddy_uuid(entry)

    @event(Recorded)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        event_id: str,
        user_id: str,
        type: str,
        occurred_at: datetime,
        properties: dict[str, Any],
        audience: str | None,
        buddy_id: UUID | None,
        effects: dict[str, Any],
        trace: list[dict[str, Any]],
        applied_to: list[UUID],
        outcome: IngestionOutcome,
        error: dict[str, Any] | None,
        timestamp: datetime,
    ) -> None:
        """``timestamp`` is the receipt time (``received_at``); ``buddy_id`` the buddy the
        customer targeted, if any; ``applied_to`` the buddies the effects went to; ``error``
        the ``{code, message}`` of a ``rejected`` event."""
        if outcome not in INGESTION_OUTCOMES:
            raise ValueError(f"unknown ingestion outcome {outcome!r}")
        if (outcome == "rejected") != (error is not None):
            raise ValueError("an error is given exactly when the event is rejected")
        self.customer_id = customer_id
        self.mode = mode
        self.event_id = event_id
        self.user_id = user_id
        self.type = type
        self.occurred_at = occurred_at
        self.properties: dict[str, Any] = copy_json(properties)
        self.audience = audience
        self.buddy_id = buddy_id
        self.effects: dict[str, Any] = copy_json(effects)
        self.trace: list[dict[str, Any]] = copy_json(trace)
        self.applied_to: list[UUID] = list(applied_to)
        self.outcome: IngestionOutcome = outcome
        self.error: dict[str, Any] | None = copy_json(error)

    @property
    def received_at(self) -> datetime:
        return self.created_on

    @property
    def accepted(self) -> bool:
        return self.outcome != "rejected"


def _buddy_uuid(entry: dict[str, Any]) -> None:
    """``entry["buddy_id"]`` from the public id a version 1 ``Recorded`` held to its UUID."""
    if isinstance(entry.get("buddy_id"), str):
        entry["buddy_id"] = parse_public_id("buddy", entry["buddy_id"])
