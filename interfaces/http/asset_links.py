"""Absolute URLs of pictures: what ``image_url``, ``icon_url`` and friends are made of.

Art is stored as a reference (decision 0034): ``asset:<sha256>.<ext>`` for a file we keep,
else an ``http(s)`` URL. Something without art of its own shows our procedural icon, served
from its values under ``/api/v1/icons/`` (decision 0046). A link sent back in a write
becomes what it was: one of our assets its reference again, a procedural icon ``null``
(no art of its own), so a ``GET`` sent back as a ``PUT`` changes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request

from interfaces.http.auth import container_of

ASSETS_PATH = "/api/v1/assets/"
ICONS_PATH = "/api/v1/icons/"
ASSET_REF = "asset:"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
"""Served with every SVG of ours: no script, no outside resource, even opened directly."""


def public_origin(request: Request[Any, Any, Any]) -> str:
    """Where clients reach us: ``HATCHED_PUBLIC_URL``, else the origin of this request."""
    configured = container_of(request).settings.public_url
    return configured or str(request.base_url).rstrip("/")


def asset_url(origin: str, name: str | None) -> str | None:
    return f"{origin}{ASSETS_PATH}{name}" if name else None


def art_url(origin: str, reference: str | None) -> str | None:
    """A stored art reference as a link: ours become absolute asset URLs."""
    if reference is not None and reference.startswith(ASSET_REF):
        return asset_url(origin, reference.removeprefix(ASSET_REF))
    return reference


def stored_reference(origin: str, link: str | None) -> str | None:
    """A link a client sent as what to store: the reverse of ``art_url``, and ``None`` for
    a procedural icon (it is what no art looks like)."""
    if link is None:
        return None
    if link.startswith(f"{origin}{ASSETS_PATH}"):
        return ASSET_REF + link.removeprefix(f"{origin}{ASSETS_PATH}")
    if link.startswith(f"{origin}{ICONS_PATH}"):
        return None
    return link


def _named(name: str) -> str:
    return f"?name={quote(name, safe='')}"


def item_icon_url(origin: str, item_id: str, name: str, category: str, rarity: str) -> str:
    return f"{origin}{ICONS_PATH}items/{category}/{rarity}/{item_id}{_named(name)}"


def badge_icon_url(origin: str, key: str, name: str, kind: str) -> str:
    return f"{origin}{ICONS_PATH}badges/{kind}/{key}{_named(name)}"


def skill_icon_url(origin: str, key: str, name: str) -> str:
    return f"{origin}{ICONS_PATH}skills/{key}{_named(name)}"


def _field(part: Any, name: str) -> Any:
    """A field of a rulebook shape (``ItemDef``, ``BadgeDef``, ...) or of its stored form."""
    return part.get(name) if isinstance(part, dict) else getattr(part, name, None)


def item_image(origin: str, item: Any, reference: str | None) -> str:
    """An item's picture (``reference``: its art at a stage, or its image): the art, else
    its procedural icon. ``item`` is an ``ItemDef`` or a stored item."""
    return art_url(origin, reference) or item_icon_url(
        origin,
        _field(item, "item_id"),
        _field(item, "name"),
        _field(item, "category"),
        _field(item, "rarity"),
    )


def badge_icon(origin: str, badge: Any) -> str:
    """A badge's icon: its own, else the procedural one (``badge``: a ``BadgeDef`` or a
    stored badge)."""
    kind = _field(_field(badge, "condition"), "kind")
    return art_url(origin, _field(badge, "icon_url")) or badge_icon_url(
        origin, _field(badge, "key"), _field(badge, "name"), kind
    )


def skill_icon(origin: str, skill: Any) -> str:
    return art_url(origin, _field(skill, "icon_url")) or skill_icon_url(
        origin, _field(skill, "key"), _field(skill, "name")
    )
