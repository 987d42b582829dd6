"""``GET /customers/me/users/{user_id}/summary``: what support needs to see about one end user.

The user's buddies, their recent events with the effects each had, the recent entries of
their buddies' wallets and their operations still pending or running, in one answer, read
from the buddies, eggs, events and operations views (the wallet entries from each wallet's
own stream, newest first): support sees what happened without scanning the event log. A user
the caller's tenant has never heard of (no egg, buddy or event in this mode) is ``404``, like
another tenant's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.companions.buddies import Buddies
from domain.shared.errors import NotFound
from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.auth import Caller
from interfaces.http.companions.buddies import (
    BuddySummary,
    LedgerEntryView,
    buddy_row_view,
    ledger_entry_view,
)
from interfaces.http.companions.operations import OperationSummary, operation_row_view
from interfaces.http.consistency import read_your_writes
from interfaces.http.routing import Access, get
from projections.companions.buddies import BUDDIES, BuddiesView
from projections.companions.eggs import EGGS, EggsView
from projections.companions.operations import OPERATIONS, OperationsView
from projections.ingestion.event_log import EVENTS, EventLogView

RECENT: Final = 10
UNFINISHED: Final = ("pending", "processing")


class RecentEvent(msgspec.Struct, kw_only=True):
    """One of the user's events as support reads it: what came in and what it did."""

    event_id: str
    type: str
    outcome: str
    occurred_at: datetime
    received_at: datetime
    effects: dict[str, Any]
    applied_to: list[str]


class UserSupportSummary(msgspec.Struct, kw_only=True):
    user_id: str
    buddies: list[BuddySummary]
    recent_events: list[RecentEvent]
    recent_ledger_entries: list[LedgerEntryView]
    pending_operations: list[OperationSummary]


def recent_event(row: dict[str, Any]) -> RecentEvent:
    return RecentEvent(
        event_id=row["event_id"],
        type=row["type"],
        outcome=row["outcome"],
        occurred_at=datetime.fromisoformat(row["occurred_at"]),
        received_at=datetime.fromisoformat(row["received_at"]),
        effects=row["data"]["effects"],
        applied_to=[f"bdy_{b}" for b in row["data"]["applied_to"]],
    )


def _scope(tenant: Tenant, user_id: str) -> list[Any]:
    return [tenant.customer_id.hex, tenant.mode, user_id]


class CustomerUserController(Controller):
    path = "/customers/me/users"
    tags = ["customers"]

    @get(
        "/{user_id:str}/summary",
        access=Access.SECRET,
        summary="A user's buddies, recent events and effects, wallet entries, open operations",
        description=(
            f"For support: the user's buddies (newest first), their {RECENT} most recent "
            f"events with the effects each had, the {RECENT} most recent entries of their "
            "buddies' wallets, and their operations still pending or processing. A user with "
            "no egg, buddy or event in this mode is `404 resource_not_found`."
        ),
    )
    def user_summary(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        views: NamedDependency[ViewStore],
        buddies: NamedDependency[Buddies],
        user_id: FromPath[str],
    ) -> UserSupportSummary:
        read_your_writes(
            request, BuddiesView.name, EggsView.name, EventLogView.name, OperationsView.name
        )
        tenant = principal.tenant
        where = "WHERE customer_id = {p} AND mode = {p} AND user_id = {p}"
        buddy_rows = views.select(
            f"SELECT * FROM {BUDDIES.name} {where} ORDER BY created_at DESC, buddy_id DESC",
            _scope(tenant, user_id),
        )
        egg_ids = [
            row["egg_id"]
            for row in views.select(
                f"SELECT egg_id FROM {EGGS.name} {where}", _scope(tenant, user_id)
            )
        ]
        event_rows = views.select(
            f"SELECT * FROM {EVENTS.name} {where}"
            " ORDER BY received_at DESC, ingestion_id DESC LIMIT {p}",
            [*_scope(tenant, user_id), RECENT],
        )
        if not (buddy_rows or egg_ids or event_rows):
            raise NotFound("user", user_id)
        buddy_ids = [row["buddy_id"] for row in buddy_rows]
        entries = buddies.recent_ledger_entries([UUID(b) for b in buddy_ids], RECENT)
        return UserSupportSummary(
            user_id=user_id,
            buddies=[buddy_row_view(row) for row in buddy_rows],
            recent_events=[recent_event(row) for row in event_rows],
            recent_ledger_entries=[
                view for entry in entries if (view := ledger_entry_view(entry)) is not None
            ],
            pending_operations=self._unfinished(views, tenant, buddy_ids, egg_ids),
        )

    @staticmethod
    def _unfinished(
        views: ViewStore, tenant: Tenant, buddy_ids: list[str], egg_ids: list[str]
    ) -> list[OperationSummary]:
        if not (buddy_ids or egg_ids):
            return []
        owners = [*buddy_ids, *egg_ids]
        marks = ", ".join("{p}" for _ in owners)
        rows = views.select(
            f"SELECT * FROM {OPERATIONS.name}"
            " WHERE customer_id = {p} AND mode = {p} AND status IN ({p}, {p})"
            f" AND (buddy_id IN ({marks}) OR egg_id IN ({marks}))"
            " ORDER BY created_at DESC, operation_id DESC",
            [tenant.customer_id.hex, tenant.mode, *UNFINISHED, *owners, *owners],
        )
        return [operation_row_view(row) for row in rows]
