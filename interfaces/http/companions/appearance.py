"""A buddy's pictures in its API shape, and ``POST /buddies/{id}/appearance/rerender``."""

from __future__ import annotations

import msgspec
from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.companions.appearance import request_rerender
from application.companions.buddies import Buddies
from domain.companions.appearance import NEEDS_RERENDER
from domain.companions.buddy import Buddy
from interfaces.http.accepted import AcceptedOperation, accepted_operation
from interfaces.http.asset_links import asset_url
from interfaces.http.auth import Caller
from interfaces.http.routing import Access, post


class AppearanceError(msgspec.Struct):
    code: str
    message: str


class AppearanceView(msgspec.Struct):
    status: str
    rendered_equipped_item_ids: list[str]
    error: AppearanceError | None


class Pictures(msgspec.Struct):
    """``image_url`` (stage and outfit), ``base_image_url`` (the stage alone), ``thumb_url``
    and ``appearance {status, rendered_equipped_item_ids, error}``."""

    image_url: str | None
    base_image_url: str | None
    thumb_url: str | None
    appearance: AppearanceView


EQUIP_REFUSALS = (
    "invalid_state_transition",
    "too_many_items",
    "item_not_owned",
    "item_not_equippable",
    "bad_request",
    "category_conflict",
    "credit_insufficient",
)
"""What an equip request can be refused with (a rerender is an equip of the same items; its
composite costs a credit)."""

NEVER_DRAWN = AppearanceError(
    code=NEEDS_RERENDER, message="this buddy has no picture yet; request a rerender"
)


def pictures(buddy: Buddy, base: str) -> Pictures:
    """The buddy's pictures as URLs starting with ``base`` (empty: paths)."""
    drawn = buddy.appearance
    if drawn is None:
        return Pictures(None, None, None, AppearanceView("failed", [], NEVER_DRAWN))
    error = drawn["error"]
    return Pictures(
        image_url=asset_url(base, drawn["image"]),
        base_image_url=asset_url(base, drawn["base_image"]),
        thumb_url=asset_url(base, drawn["thumb"]),
        appearance=AppearanceView(
            status=drawn["status"],
            rendered_equipped_item_ids=list(drawn["rendered_equipped_item_ids"]),
            error=AppearanceError(code=error["code"], message=error["message"]) if error else None,
        ),
    )


class AppearanceController(Controller):
    path = "/buddies"
    tags = ["buddies"]

    @post(
        "/{buddy_id:str}/appearance/rerender",
        access=Access.SECRET,
        errors=EQUIP_REFUSALS,
        status_code=202,
        summary="Draw the buddy again (an operation; its appearance is ready when it completes)",
    )
    def rerender(
        self, principal: Caller, buddies: NamedDependency[Buddies], buddy_id: FromPath[str]
    ) -> AcceptedOperation:
        return accepted_operation(request_rerender(buddies, principal.tenant, buddy_id))
