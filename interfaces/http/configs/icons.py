"""Procedural icons (decision 0046): served from an item's, badge's or skill's values, and the
badge and skill icon routes of the seed.

* ``GET /icons/items/{category}/{rarity}/{item_id}?name=…``,
  ``GET /icons/badges/{condition_kind}/{badge_key}?name=…``, ``GET /icons/skills/{skill_key}?name=…``
  — our renderer's icon of those values, for anything without art of its own (its
  ``image_url`` / ``icon_url`` links here). No credential (an ``<img>`` on the customer's page
  loads it) and no tenant: the picture is a pure function of the URL, which names nothing
  that is not already in it. Cached for a day, with the bytes' hash as ETag.
* ``POST /badge-definitions/generate-icon {name, key?, condition_kind?, seed?}`` and
  ``POST /skill-sets/generate-icon {name, key?, seed?}`` — ``201``: a new icon drawn for a
  seed and kept as an asset; its ``icon_url`` is then set on a badge or skill. One credit
  (``badge_icon`` / ``skill_icon``), else ``402 credit_insufficient`` and nothing drawn.
* ``POST /badge-definitions/upload-icon`` — the file is the body (``image/svg+xml`` or
  ``image/png``), through the stage-art upload checks; ``201`` with its ``icon_url``.
* ``POST /badge-definitions/{badge_key}/regenerate-icon {seed?}`` — ``202`` and a
  ``regenerate_badge_icon`` operation that draws the badge a new icon and sets it in the draft;
  its credit (``badge_icon``) is authorised with it (``402 credit_insufficient``: no operation).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.companions.icons import Icons
from domain.companions.appearance import MAX_SEED, Emblem
from domain.configs.rulebook import BadgeConditionKind, Rarity
from domain.configs.rulebook import ItemCategory as Category
from domain.shared.errors import DomainError
from domain.shared.text_patterns import RULE_ID, SNAKE_KEY, TextPattern
from interfaces.http.accepted import AcceptedOperation, accepted_operation
from interfaces.http.asset_links import SVG_POLICY, asset_url, public_origin
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.configs.marketplaces import UPLOAD_REFUSALS
from interfaces.http.etag import matches
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, Limit, get, post
from interfaces.http.uploads import media_type, read_limited

MAX_NAME = 200
Key = Annotated[str, msgspec.Meta(pattern=SNAKE_KEY.regex)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=MAX_SEED)]
SVG = "image/svg+xml"
A_DAY = "public, max-age=86400"


class GenerateBadgeIconBody(Model):
    """What the icon is of: ``key`` (default: the name as a key) and ``seed`` pick its
    colours, ``condition_kind`` its glyph."""

    name: Name
    key: Key | None = None
    condition_kind: BadgeConditionKind | None = None
    seed: Seed | None = None


class GenerateSkillIconBody(Model):
    """``key`` (default: the name as a key) and ``seed`` pick the colours; the words of the
    key and name the glyph."""

    name: Name
    key: Key | None = None
    seed: Seed | None = None


class RegenerateIconBody(Model):
    seed: Seed | None = None


class GeneratedIconView(msgspec.Struct):
    """A kept icon: set ``icon_url`` on a badge or skill to use it; ``seed`` draws it again."""

    icon_url: str
    seed: int


class UploadedIconView(msgspec.Struct):
    icon_url: str


def _key_of(name: str) -> str:
    """A name as a key for an icon's colours (``Scholar!`` → ``scholar``)."""
    key = "".join(c if c.isascii() and c.isalnum() else "_" for c in name.lower()).strip("_")
    return key or "icon"


def _checked(field: str, value: str, pattern: TextPattern) -> str:
    """A path value the icon is drawn from, else ``422`` naming it (nothing is drawn)."""
    if not pattern.compiled.match(value):
        raise DomainError(
            "validation_failed",
            f"{field}: {pattern.requirement}",
            {"fields": [{"field": field, "reason": pattern.requirement}]},
        )
    return value


def _name(name: str | None, default: str) -> str:
    if name is None:
        return default
    if not 1 <= len(name) <= MAX_NAME:
        reason = f"must be 1 to {MAX_NAME} characters"
        raise DomainError(
            "validation_failed",
            f"name: {reason}",
            {"fields": [{"field": "name", "reason": reason}]},
        )
    return name


def _svg(request: Request[Any, Any, Any], svg: str) -> Response[bytes]:
    data = svg.encode()
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    headers = {
        "Cache-Control": A_DAY,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SVG_POLICY,
    }
    if matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=304, media_type=SVG, headers=headers)
    return Response(content=data, media_type=SVG, headers=headers)


class IconController(Controller):
    path = "/icons"
    tags = ["assets"]

    @get(
        "/items/{category:str}/{rarity:str}/{item_id:str}",
        access=Access.PUBLIC,
        limit=Limit.NONE,
        media_type=SVG,
        errors=("validation_failed",),
        summary="An item's procedural icon, drawn from its category, rarity, id and name",
    )
    def item_icon(
        self,
        request: Request[Any, Any, Any],
        icons: NamedDependency[Icons],
        category: FromPath[Category],
        rarity: FromPath[Rarity],
        item_id: FromPath[str],
        name: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        _checked("item_id", item_id, RULE_ID)
        return _svg(request, icons.item_icon(item_id, _name(name, item_id), category, rarity))

    @get(
        "/badges/{condition_kind:str}/{badge_key:str}",
        access=Access.PUBLIC,
        limit=Limit.NONE,
        media_type=SVG,
        errors=("validation_failed",),
        summary="A badge's procedural icon, drawn from its condition kind, key and name",
    )
    def badge_icon(
        self,
        request: Request[Any, Any, Any],
        icons: NamedDependency[Icons],
        condition_kind: FromPath[BadgeConditionKind],
        badge_key: FromPath[str],
        name: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        _checked("badge_key", badge_key, SNAKE_KEY)
        emblem = Emblem("badge", badge_key, _name(name, badge_key), condition_kind)
        return _svg(request, icons.emblem_icon(emblem))

    @get(
        "/skills/{skill_key:str}",
        access=Access.PUBLIC,
        limit=Limit.NONE,
        media_type=SVG,
        errors=("validation_failed",),
        summary="A skill's procedural icon, drawn from its key and name",
    )
    def skill_icon(
        self,
        request: Request[Any, Any, Any],
        icons: NamedDependency[Icons],
        skill_key: FromPath[str],
        name: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        _checked("skill_key", skill_key, SNAKE_KEY)
        emblem = Emblem("skill", skill_key, _name(name, skill_key))
        return _svg(request, icons.emblem_icon(emblem))


class BadgeIconController(Controller):
    path = "/badge-definitions"
    tags = ["config"]

    @post(
        "/generate-icon",
        access=Access.SECRET,
        body=GenerateBadgeIconBody,
        errors=("credit_insufficient",),
        status_code=201,
        summary="Draw a badge icon with our procedural renderer and keep it",
    )
    def generate_icon(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        icons: NamedDependency[Icons],
        data: JSONBody[GenerateBadgeIconBody],
    ) -> GeneratedIconView:
        emblem = Emblem(
            "badge", data.key or _key_of(data.name), data.name, data.condition_kind or ""
        )
        icon = icons.generate(principal.tenant, emblem, data.seed)
        return GeneratedIconView(str(asset_url(public_origin(request), icon.asset)), icon.seed)

    @post(
        "/upload-icon",
        access=Access.SECRET,
        errors=UPLOAD_REFUSALS,
        status_code=201,
        request_max_body_size=None,
        opt={"raw_body": True},
        summary="Upload a badge icon (the file is the body); set its icon_url on a badge",
    )
    async def upload_icon(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        icons: NamedDependency[Icons],
    ) -> UploadedIconView:
        content_type = media_type(request)
        data = await read_limited(request, icons.intake.max_bytes)
        asset = await anyio.to_thread.run_sync(icons.upload, content_type, data)
        return UploadedIconView(str(asset_url(public_origin(request), asset)))

    @post(
        "/{badge_key:str}/regenerate-icon",
        access=Access.SECRET,
        body=RegenerateIconBody,
        errors=("credit_insufficient",),
        status_code=202,
        summary="Draw the badge a new procedural icon in the draft (an operation)",
    )
    def regenerate_icon(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        icons: NamedDependency[Icons],
        badge_key: FromPath[str],
        data: JSONBody[RegenerateIconBody],
    ) -> AcceptedOperation:
        operation = icons.request(principal.tenant, badge_key, data.seed, correlation_of(request))
        return accepted_operation(operation)


class SkillIconController(Controller):
    path = "/skill-sets"
    tags = ["config"]

    @post(
        "/generate-icon",
        access=Access.SECRET,
        body=GenerateSkillIconBody,
        errors=("credit_insufficient",),
        status_code=201,
        summary="Draw a skill icon with our procedural renderer and keep it",
    )
    def generate_icon(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        icons: NamedDependency[Icons],
        data: JSONBody[GenerateSkillIconBody],
    ) -> GeneratedIconView:
        emblem = Emblem("skill", data.key or _key_of(data.name), data.name)
        icon = icons.generate(principal.tenant, emblem, data.seed)
        return GeneratedIconView(str(asset_url(public_origin(request), icon.asset)), icon.seed)
