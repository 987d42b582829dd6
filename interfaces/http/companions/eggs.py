"""``/eggs``: lay an egg for a user, mark it ready or cancel it, hatch it, list and read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.companions.eggs import Eggs
from domain.companions.egg import Egg, visual_variant_for
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.text_patterns import AUDIENCE
from interfaces.http.accepted import AcceptedOperation, accepted_operation
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.pagination import Page, Paging, TenantListing
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, get, patch, post
from projections.companions.eggs import EGGS, EggsView

UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Audience = Annotated[str, msgspec.Meta(pattern=AUDIENCE.regex)]


class CreateEggRequest(Model):
    user_id: UserId
    metadata: dict[str, Any] = {}
    audience: Audience | None = None


class EggStatusRequest(Model):
    status: Annotated[str, msgspec.Meta(max_length=32)]


class EggView(msgspec.Struct):
    egg_id: str
    status: str
    visual_variant: int
    config_version_id: str
    user_id: str
    buddy_id: str | None
    metadata: dict[str, Any]
    created_at: datetime


def egg_view(egg: Egg) -> EggView:
    return EggView(
        egg_id=egg.public_id,
        status=egg.status,
        visual_variant=egg.visual_variant,
        config_version_id=public_id("config_version", egg.config_version_id),
        user_id=egg.user_id,
        buddy_id=public_id("buddy", egg.buddy_id) if egg.buddy_id else None,
        metadata=egg.metadata,
        created_at=egg.created_on,
    )


def egg_row_view(row: dict[str, Any]) -> EggView:
    data = row["data"]
    return EggView(
        egg_id=f"egg_{row['egg_id']}",
        status=row["status"],
        visual_variant=visual_variant_for(UUID(hex=row["egg_id"])),
        config_version_id=f"cfg_{data['config_version_id']}",
        user_id=row["user_id"],
        buddy_id=f"bdy_{row['buddy_id']}" if row["buddy_id"] else None,
        metadata=data["metadata"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


EGG_LIST = TenantListing(
    EggsView.name, EGGS.name, (("created_at", True), ("egg_id", True)), egg_row_view
)


class EggController(Controller):
    path = "/eggs"
    tags = ["eggs"]

    @post(
        access=Access.SECRET,
        body=CreateEggRequest,
        errors=(
            "no_published_config",
            "active_egg_limit",
            "missing_audience",
            "unknown_audience",
            "conflict",
        ),
        summary="Create a pending egg for a user (ensure=true reuses a waiting/ready one)",
        status_code=201,
    )
    def create(
        self,
        principal: Caller,
        eggs: NamedDependency[Eggs],
        data: JSONBody[CreateEggRequest],
        ensure: FromQuery[bool] = False,
    ) -> Response[EggView]:
        egg, created = eggs.lay(
            principal.tenant, data.user_id, data.metadata, data.audience, ensure
        )
        return Response(egg_view(egg), status_code=201 if created else 200)

    @get(access=Access.SECRET, summary="List eggs (filters: user_id, status; cursor)")
    def list_eggs(
        self,
        paging: NamedDependency[Paging],
        user_id: FromQuery[str | None] = None,
        status: FromQuery[
            Literal["waiting", "ready", "hatching", "hatched", "cancelled"] | None
        ] = None,
    ) -> Page[EggView]:
        filters = {"user_id": user_id, "status": status}
        return EGG_LIST.page(paging, filters)

    @get("/{egg_id:str}", access=Access.SECRET, summary="Get an egg")
    def get_egg(
        self, principal: Caller, eggs: NamedDependency[Eggs], egg_id: FromPath[str]
    ) -> EggView:
        return egg_view(eggs.get(principal.tenant, egg_id))

    @patch(
        "/{egg_id:str}/status",
        access=Access.SECRET,
        body=EggStatusRequest,
        errors=("invalid_state_transition",),
        summary="Mark the egg ready, or cancel it",
    )
    def set_status(
        self,
        principal: Caller,
        eggs: NamedDependency[Eggs],
        egg_id: FromPath[str],
        data: JSONBody[EggStatusRequest],
    ) -> EggView:
        return egg_view(eggs.set_status(principal.tenant, egg_id, data.status))

    @post(
        "/{egg_id:str}/hatch",
        access=Access.SECRET,
        errors=("invalid_state_transition", "conflict", "credit_insufficient"),
        status_code=202,
        summary="Start an asynchronous hatch; poll the operation",
    )
    def hatch(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        eggs: NamedDependency[Eggs],
        egg_id: FromPath[str],
    ) -> AcceptedOperation:
        try:
            return accepted_operation(eggs.hatch(principal.tenant, egg_id, correlation_of(request)))
        except DomainError as refusal:
            if (
                refusal.code == "invalid_state_transition"
                and (refusal.details or {}).get("current_status") == "waiting"
            ):
                raise DomainError(
                    refusal.code,
                    f"{refusal.message}: a waiting egg is marked ready first, with "
                    f'PATCH /api/v1/eggs/{egg_id}/status {{"status": "ready"}}',
                    refusal.details,
                ) from None
            raise
