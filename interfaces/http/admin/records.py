"""``/admin/audit`` and ``/admin/operations``: the audit trail and every tenant's operations,
searched by the operator (decision 0051)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from application.admin.audit import Auditor
from application.admin.queues import AdminQueues
from application.companions.operations import Operations
from domain.admin.admin_action import AdminAction
from domain.companions.operation import OperationType
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id, public_id
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.admin.queue_page import PAGE_URL
from interfaces.http.admin_auth import ADMIN_DEPENDENCIES, AdminAuth
from interfaces.http.asset_links import public_origin
from interfaces.http.companions.operations import operation_row_view, operation_view
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Page, page
from interfaces.http.routing import Access, Limit, get
from projections.admin.audit import AUDIT, AdminAuditView
from projections.companions.operations import OPERATIONS, OperationsView
from projections.shared.base import iso


class AuditEntry(msgspec.Struct):
    id: str
    actor_id: str | None
    """The admin (``null``: the ``hatched admin`` command)."""
    actor_email: str | None
    action: str
    target_type: str
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    outcome: str
    error_code: str | None
    request_id: str | None
    occurred_at: datetime


def audit_entry(entry: AdminAction) -> AuditEntry:
    return AuditEntry(
        id=public_id("admin_action", entry.id),
        actor_id=public_id("admin_user", entry.actor_id) if entry.actor_id else None,
        actor_email=entry.actor_email,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        before=entry.before,
        after=entry.after,
        outcome=entry.outcome,
        error_code=entry.error_code,
        request_id=entry.request_id,
        occurred_at=entry.created_on,
    )


def time_range(
    column: str, since: datetime | None, until: datetime | None
) -> dict[str, list[tuple[str, str]]]:
    if since is not None and until is not None and since > until:
        raise DomainError("bad_request", "`from` is later than `to`", {"from": since, "to": until})
    bounds = []
    if since is not None:
        bounds.append((">=", iso(since)))
    if until is not None:
        bounds.append(("<=", iso(until)))
    return {column: bounds} if bounds else {}


class AdminOperationSummary(msgspec.Struct):
    operation_id: str
    customer_id: str
    mode: str
    type: str
    status: str
    buddy_id: str | None
    egg_id: str | None
    created_at: datetime
    updated_at: datetime


class AdminOperationDetail(AdminOperationSummary):
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    request_id: str | None


def admin_operation_row(row: dict[str, Any]) -> AdminOperationSummary:
    summary = operation_row_view(row)
    return AdminOperationSummary(
        customer_id=f"cus_{row['customer_id']}",
        mode=row["mode"],
        **msgspec.structs.asdict(summary),
    )


class AdminAuditController(Controller):
    path = "/admin/audit"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get(
        access=Access.ADMIN,
        errors=("bad_request",),
        limit=Limit.NONE,
        summary="Search the audit trail by actor, target, action, outcome and time",
    )
    def search_audit(
        self,
        request: Request[Any, Any, Any],
        admin: AdminAuth,
        auditor: NamedDependency[Auditor],
        views: NamedDependency[ViewStore],
        actor: FromQuery[str | None] = None,
        target: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        outcome: FromQuery[Literal["succeeded", "refused"] | None] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: FromQuery[datetime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Page[AuditEntry]:
        """Newest first; each entry as recorded in its stream."""
        read_your_writes(request, AdminAuditView.name)
        actor_hex = parse_public_id("admin_user", actor).hex if actor else None
        where: dict[str, Any] = {
            "actor_id": actor_hex,
            "target_id": target,
            "action": action,
            "outcome": outcome,
            **time_range("occurred_at", from_, to),
        }
        found = page(
            views,
            AUDIT.name,
            where,
            (("occurred_at", True), ("action_id", True)),
            cursor,
            limit,
            lambda row: row["action_id"],
        )
        entries = [
            audit_entry(auditor.get(parse_public_id("admin_action", f"aud_{h}"), f"aud_{h}"))
            for h in found.data
        ]
        return Page(entries, found.next_cursor)


class QueueLinkView(msgspec.Struct):
    """A signed link to the read-only queue page; the link is its own credential."""

    url: str
    """``…/api/v1/admin/queues?token=…``: open it in a browser before ``expires_at``."""
    expires_at: datetime


class AdminOperationController(Controller):
    path = "/admin/operations"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get(
        access=Access.ADMIN,
        errors=("bad_request",),
        limit=Limit.NONE,
        summary="Every tenant's operations, by customer, type, status and time",
    )
    def list_operations(
        self,
        request: Request[Any, Any, Any],
        admin: AdminAuth,
        views: NamedDependency[ViewStore],
        customer: FromQuery[str | None] = None,
        type: FromQuery[OperationType | None] = None,
        status: FromQuery[
            Literal["pending", "processing", "completed", "failed", "cancelled"] | None
        ] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: FromQuery[datetime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Page[AdminOperationSummary]:
        """Newest first; ``from``/``to`` bound the creation time."""
        read_your_writes(request, OperationsView.name)
        customer_hex = parse_public_id("customer", customer).hex if customer else None
        where: dict[str, Any] = {
            "customer_id": customer_hex,
            "type": type,
            "status": status,
            **time_range("created_at", from_, to),
        }
        return page(
            views,
            OPERATIONS.name,
            where,
            (("created_at", True), ("operation_id", True)),
            cursor,
            limit,
            admin_operation_row,
        )

    @get(
        "/queue-link",
        access=Access.ADMIN,
        limit=Limit.NONE,
        summary="A short-lived signed link to the read-only queue page (decision 0054)",
    )
    def queue_link(
        self,
        request: Request[Any, Any, Any],
        admin: AdminAuth,
        admin_queues: NamedDependency[AdminQueues],
    ) -> QueueLinkView:
        """Any admin role; audited (``operations.queue_link``). The page shows the task
        queues, their pending, processing and failed work and the latest failed operations."""
        link = admin_queues.link(admin)
        query = urlencode({"token": link.token})
        return QueueLinkView(
            url=f"{public_origin(request)}{PAGE_URL}?{query}",
            expires_at=link.expires_at,
        )

    @get(
        "/{operation_id:str}",
        access=Access.ADMIN,
        limit=Limit.NONE,
        summary="An operation with its request, result and error",
    )
    def get_operation(
        self,
        admin: AdminAuth,
        operations: NamedDependency[Operations],
        operation_id: FromPath[str],
    ) -> AdminOperationDetail:
        operation = operations.find_any(operation_id)
        return AdminOperationDetail(
            customer_id=public_id("customer", operation.customer_id),
            mode=operation.mode,
            request=operation.params,
            request_id=operation.correlation_id,
            **msgspec.structs.asdict(operation_view(operation)),
        )
