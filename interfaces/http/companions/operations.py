"""``/operations``: the status of asynchronous hatch, evolve, equip and item icon work."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from application.companions.operations import Operations
from domain.companions.operation import Operation, OperationType
from domain.shared.ids import public_id
from interfaces.http.auth import Caller
from interfaces.http.pagination import Page, Paging, TenantListing
from interfaces.http.routing import Access, get, post
from projections.companions.operations import OPERATIONS, OperationsView


class OperationSummary(msgspec.Struct):
    """An operation as the list shows it (``GET /operations/{id}`` has the outcome)."""

    operation_id: str
    type: str
    status: str
    buddy_id: str | None
    egg_id: str | None
    created_at: datetime
    updated_at: datetime


class OperationView(OperationSummary):
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int


def operation_view(operation: Operation) -> OperationView:
    return OperationView(
        operation_id=operation.public_id,
        type=operation.type,
        status=operation.status,
        buddy_id=public_id("buddy", operation.buddy_id) if operation.buddy_id else None,
        egg_id=public_id("egg", operation.egg_id) if operation.egg_id else None,
        created_at=operation.created_on,
        updated_at=operation.modified_on,
        result=operation.result,
        error=operation.error,
        attempts=operation.attempts,
    )


def operation_row_view(row: dict[str, Any]) -> OperationSummary:
    return OperationSummary(
        operation_id=f"op_{row['operation_id']}",
        type=row["type"],
        status=row["status"],
        buddy_id=f"bdy_{row['buddy_id']}" if row["buddy_id"] else None,
        egg_id=f"egg_{row['egg_id']}" if row["egg_id"] else None,
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


OPERATION_LIST = TenantListing(
    OperationsView.name,
    OPERATIONS.name,
    (("created_at", True), ("operation_id", True)),
    operation_row_view,
)


class OperationController(Controller):
    path = "/operations"
    tags = ["operations"]

    @get(access=Access.READABLE, errors=("bad_request",), summary="List operations")
    def list_operations(
        self,
        paging: NamedDependency[Paging],
        type: FromQuery[OperationType | None] = None,
        status: FromQuery[
            Literal["pending", "processing", "completed", "failed", "cancelled"] | None
        ] = None,
    ) -> Page[OperationSummary]:
        filters = {"type": type, "status": status}
        return OPERATION_LIST.page(paging, filters)

    @get("/{operation_id:str}", access=Access.READABLE, summary="Get an operation")
    def get_operation(
        self,
        principal: Caller,
        operations: NamedDependency[Operations],
        operation_id: FromPath[str],
    ) -> OperationView:
        return operation_view(operations.get(principal.tenant, operation_id))

    @post(
        "/{operation_id:str}/cancel",
        access=Access.SECRET,
        errors=("invalid_state_transition", "conflict"),
        status_code=200,
        summary="Cancel a pending operation",
    )
    def cancel(
        self,
        principal: Caller,
        operations: NamedDependency[Operations],
        operation_id: FromPath[str],
    ) -> OperationView:
        return operation_view(operations.cancel(principal.tenant, operation_id))
