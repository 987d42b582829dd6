"""``/operations``: the status of asynchronous hatch, evolve and equip work."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery

from domain.companions.operation import Operation
from domain.shared.ids import public_id
from interfaces.http.auth import PUBLISHABLE_OK, Caller, container_of
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Page, page
from projections.companions.operations import OPERATIONS


class OperationView(msgspec.Struct):
    operation_id: str
    type: str
    status: str
    buddy_id: str | None
    egg_id: str | None
    created_at: datetime
    updated_at: datetime
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


def operation_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "operation_id": f"op_{row['operation_id']}",
        "type": row["type"],
        "status": row["status"],
        "buddy_id": f"bdy_{row['buddy_id']}" if row["buddy_id"] else None,
        "egg_id": f"egg_{row['egg_id']}" if row["egg_id"] else None,
        "created_at": datetime.fromisoformat(row["created_at"]),
        "updated_at": datetime.fromisoformat(row["updated_at"]),
    }


class AcceptedOperation(msgspec.Struct):
    """The seed's answer to an asynchronous request: poll ``/operations/{operation_id}``."""

    accepted: bool
    operation_id: str
    status: str


def accepted_operation(operation: Operation) -> AcceptedOperation:
    return AcceptedOperation(True, operation.public_id, operation.status)


class OperationController(Controller):
    path = "/operations"
    tags = ["operations"]

    @get("/", sync_to_thread=True, opt=PUBLISHABLE_OK, summary="List operations")
    def list_operations(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        type: FromQuery[Literal["hatch", "evolve", "equip_item"] | None] = None,
        status: FromQuery[
            Literal["pending", "processing", "completed", "failed", "cancelled"] | None
        ] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Page[dict[str, Any]]:
        container = container_of(request)
        read_your_writes(request, "operations")
        tenant = principal.tenant
        where = {
            "customer_id": tenant.customer_id.hex,
            "mode": tenant.mode,
            "type": type,
            "status": status,
        }
        order = [("created_at", True), ("operation_id", True)]
        return page(
            container.views, OPERATIONS.name, where, order, cursor, limit, operation_row_view
        )

    @get("/{operation_id:str}", sync_to_thread=True, opt=PUBLISHABLE_OK, summary="Get an operation")
    def get_operation(
        self, request: Request[Any, Any, Any], principal: Caller, operation_id: FromPath[str]
    ) -> OperationView:
        return operation_view(container_of(request).operations.get(principal.tenant, operation_id))

    @post(
        "/{operation_id:str}/cancel",
        sync_to_thread=True,
        status_code=200,
        summary="Cancel a pending operation",
    )
    def cancel(
        self, request: Request[Any, Any, Any], principal: Caller, operation_id: FromPath[str]
    ) -> OperationView:
        operation = container_of(request).operations.cancel(principal.tenant, operation_id)
        return operation_view(operation)
