"""``/stage-assets``: the customer's own art for the five buddy stages (the seed's endpoints).

* ``GET /stage-assets`` — each stage's art (``source``: ``upload``, ``generated`` or
  ``default``) and the default library for the customer's ``creature_style``;
* ``POST /stage-assets/upload-url {content_type}`` — a signed upload URL, valid for
  ``HATCHED_UPLOAD_URL_TTL_SECONDS``; ``PUT`` the file there with that ``Content-Type``
  (no credential: the URL is the credential), at most ``HATCHED_ASSET_UPLOAD_MAX_BYTES``; the
  one route whose body is not JSON (``opt={"raw_body": True}``, decision 0017);
* ``PUT /stage-assets/{stage} {upload_id}`` — commit an uploaded file as the stage's art;
* ``POST /stage-assets/{stage}/regenerate {seed?}`` — pin our procedural art, drawn anew;
* ``DELETE /stage-assets/{stage}`` — back to each buddy's own procedural picture.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.companions.stage_assets import StageAssets, StageEntry
from domain.companions.appearance import STAGE_NAMES, CreatureStyle
from domain.shared.ids import public_id
from interfaces.http.asset_links import asset_url, public_origin
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.routing import Access, delete, get, post, put
from interfaces.http.uploads import media_type, read_limited

UploadType = Literal["image/svg+xml", "image/png"]


class UploadUrlRequest(Model):
    content_type: UploadType


class CommitRequest(Model):
    upload_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class RegenerateRequest(Model):
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] | None = None


class StageView(msgspec.Struct):
    """One stage's art: the tenant's (``upload``, ``generated``) or our ``default``."""

    stage: int
    name: str
    source: Literal["upload", "generated", "default"]
    image_url: str | None
    content_type: str
    upload_id: str | None
    seed: int | None
    default_image_url: str | None
    updated_at: datetime | None


class DefaultLibrary(msgspec.Struct):
    creature_style: CreatureStyle
    stage_image_urls: dict[str, str | None]


class StageAssetsView(msgspec.Struct):
    creature_style: CreatureStyle
    data: list[StageView]
    default_library: DefaultLibrary


class UploadUrlView(msgspec.Struct):
    upload_id: str
    upload_url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    content_type: str
    max_bytes: int
    expires_at: datetime


class ReceivedUpload(msgspec.Struct):
    upload_id: str
    content_type: str
    size_bytes: int
    received_at: datetime


def stage_view(entry: StageEntry, base: str) -> StageView:
    art = entry.art or {}
    upload_id = art.get("upload_id")
    return StageView(
        stage=entry.stage,
        name=STAGE_NAMES[entry.stage],
        source=art.get("source", "default"),
        image_url=asset_url(base, art.get("asset", entry.default_asset)),
        content_type=art.get("content_type", "image/svg+xml"),
        upload_id=public_id("upload", UUID(hex=upload_id)) if upload_id else None,
        seed=art.get("seed"),
        default_image_url=asset_url(base, entry.default_asset),
        updated_at=art.get("updated_at"),
    )


def stage_assets_view(
    style: CreatureStyle, entries: list[StageEntry], base: str
) -> StageAssetsView:
    return StageAssetsView(
        creature_style=style,
        data=[stage_view(e, base) for e in entries],
        default_library=DefaultLibrary(
            creature_style=style,
            stage_image_urls={str(e.stage): asset_url(base, e.default_asset) for e in entries},
        ),
    )


STAGE_CHANGE_REFUSALS = ("conflict",)
"""A stage's art changes on the tenant's one stream: a write that keeps losing a race."""

UPLOAD_REFUSALS = (
    "unauthorized",
    "forbidden",
    "unsupported_media_type",
    "upload_content_type_mismatch",
    "payload_too_large",
    "invalid_image",
    "unsafe_svg",
    "conflict",
)


class StageAssetController(Controller):
    path = "/stage-assets"
    tags = ["stage assets"]

    @get(access=Access.SECRET, summary="Stage art per stage, and the default library")
    def list_assets(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        stage_assets: NamedDependency[StageAssets],
    ) -> StageAssetsView:
        entries = stage_assets.entries(principal.tenant)
        style = stage_assets.creature_style(principal.tenant)
        return stage_assets_view(style, entries, public_origin(request))

    @post(
        "/upload-url",
        access=Access.SECRET,
        body=UploadUrlRequest,
        status_code=201,
        summary="Issue a signed, expiring URL to PUT one image to",
    )
    def upload_url(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        stage_assets: NamedDependency[StageAssets],
        data: JSONBody[UploadUrlRequest],
    ) -> UploadUrlView:
        issued = stage_assets.issue_upload(principal.tenant, data.content_type)
        grant = issued.grant
        return UploadUrlView(
            upload_id=public_id("upload", grant.upload_id),
            upload_url=f"{public_origin(request)}/api/v1/stage-assets/uploads/{issued.token}",
            method="PUT",
            headers={"Content-Type": grant.content_type},
            content_type=grant.content_type,
            max_bytes=issued.max_bytes,
            expires_at=grant.expires_at,
        )

    @put(
        "/uploads/{token:str}",
        access=Access.PUBLIC,
        errors=UPLOAD_REFUSALS,
        status_code=200,
        request_max_body_size=None,
        opt={"raw_body": True},
        summary="Upload the file to an upload URL (the URL is the credential)",
    )
    async def receive_upload(
        self,
        request: Request[Any, Any, Any],
        stage_assets: NamedDependency[StageAssets],
        token: FromPath[str],
    ) -> ReceivedUpload:
        grant = stage_assets.grant(token)
        content_type = media_type(request)
        stage_assets.check_content_type(grant, content_type)
        data = await read_limited(request, stage_assets.max_upload_bytes)
        upload = await anyio.to_thread.run_sync(stage_assets.receive, grant, content_type, data)
        return ReceivedUpload(
            upload_id=public_id("upload", grant.upload_id),
            content_type=upload["content_type"],
            size_bytes=upload["size"],
            received_at=upload["received_at"],
        )

    @put(
        "/{stage:str}",
        access=Access.SECRET,
        body=CommitRequest,
        errors=STAGE_CHANGE_REFUSALS,
        summary="Commit an uploaded file as the art of a stage (1-5)",
    )
    def commit(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        stage_assets: NamedDependency[StageAssets],
        stage: FromPath[str],
        data: JSONBody[CommitRequest],
    ) -> StageView:
        entry = stage_assets.commit(principal.tenant, stage, data.upload_id)
        return stage_view(entry, public_origin(request))

    @post(
        "/{stage:str}/regenerate",
        access=Access.SECRET,
        body=RegenerateRequest,
        errors=(*STAGE_CHANGE_REFUSALS, "credit_insufficient"),
        status_code=200,
        summary="Pin our procedural art for a stage, drawn with a new (or the given) seed",
    )
    def regenerate(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        stage_assets: NamedDependency[StageAssets],
        stage: FromPath[str],
        data: JSONBody[RegenerateRequest],
    ) -> StageView:
        entry = stage_assets.regenerate(principal.tenant, stage, data.seed)
        return stage_view(entry, public_origin(request))

    @delete(
        "/{stage:str}",
        access=Access.SECRET,
        errors=STAGE_CHANGE_REFUSALS,
        status_code=200,
        summary="Remove a stage's art (buddies go back to their own procedural picture)",
    )
    def remove(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        stage_assets: NamedDependency[StageAssets],
        stage: FromPath[str],
    ) -> StageView:
        entry = stage_assets.remove(principal.tenant, stage)
        return stage_view(entry, public_origin(request))
