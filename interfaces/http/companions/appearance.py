"""A buddy's pictures in its API shape, and ``POST /buddies/{id}/appearance/rerender``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import FromPath

from application.companions.appearance import request_rerender
from domain.companions.appearance import NEEDS_RERENDER
from domain.companions.buddy import Buddy
from interfaces.http.asset_links import asset_url
from interfaces.http.auth import Caller, container_of
from interfaces.http.companions.operations import AcceptedOperation, accepted_operation

NEVER_DRAWN = {
    "code": NEEDS_RERENDER,
    "message": "this buddy has no picture yet; request a rerender",
}


def appearance_fields(buddy: Buddy, base: str) -> dict[str, Any]:
    """``image_url`` (stage and outfit), ``base_image_url`` (the stage alone), ``thumb_url``
    and ``appearance {status, rendered_equipped_item_ids, error}``."""
    drawn = buddy.appearance
    if drawn is None:
        return {
            "image_url": None,
            "base_image_url": None,
            "thumb_url": None,
            "appearance": {
                "status": "failed",
                "rendered_equipped_item_ids": [],
                "error": dict(NEVER_DRAWN),
            },
        }
    return {
        "image_url": asset_url(base, drawn["image"]),
        "base_image_url": asset_url(base, drawn["base_image"]),
        "thumb_url": asset_url(base, drawn["thumb"]),
        "appearance": {
            "status": drawn["status"],
            "rendered_equipped_item_ids": list(drawn["rendered_equipped_item_ids"]),
            "error": dict(drawn["error"]) if drawn["error"] else None,
        },
    }


class AppearanceController(Controller):
    path = "/buddies"
    tags = ["buddies"]

    @post(
        "/{buddy_id:str}/appearance/rerender",
        sync_to_thread=True,
        status_code=202,
        summary="Draw the buddy again (an operation; its appearance is ready when it completes)",
    )
    def rerender(
        self, request: Request[Any, Any, Any], principal: Caller, buddy_id: FromPath[str]
    ) -> AcceptedOperation:
        buddies = container_of(request).buddies
        return accepted_operation(request_rerender(buddies, principal.tenant, buddy_id))
