"""``/assets/{name}``: rendered and uploaded pictures, by content address.

A name is the SHA-256 of the file (``<hex>.svg`` / ``<hex>.png``), so a response never
changes: it is cached for a year as ``immutable``, its ETag is the hash, and a revalidation
is a ``304``. The route needs no credential — an image URL must work inside an ``<img>`` on
the customer's page — and a name is unguessable. Anything that is not exactly such a name
(``..``, slashes, other extensions) is simply not found. SVGs are served with a
``Content-Security-Policy`` that forbids script and outside resources even when opened
directly.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath

from domain.shared.errors import NotFound
from infrastructure.companions.assets import FileAssetStore, content_type_of
from interfaces.http.asset_links import SVG_POLICY
from interfaces.http.etag import matches
from interfaces.http.routing import Access, Limit, get

IMMUTABLE = "public, max-age=31536000, immutable"


class AssetController(Controller):
    path = "/assets"
    tags = ["assets"]

    @get(
        "/{name:str}",
        access=Access.PUBLIC,
        limit=Limit.NONE,
        media_type="image/*",  # the document's; each answer names its own (SVG or PNG)
        summary="A rendered or uploaded picture (immutable: the name is its SHA-256)",
    )
    def asset(
        self,
        request: Request[Any, Any, Any],
        assets: NamedDependency[FileAssetStore],
        name: FromPath[str],
    ) -> Response[bytes]:
        content_type = content_type_of(name)
        data = assets.get(name) if content_type else None
        if content_type is None or data is None:
            raise NotFound("asset", name)
        etag = f'"{name.partition(".")[0]}"'
        headers = {"Cache-Control": IMMUTABLE, "ETag": etag, "X-Content-Type-Options": "nosniff"}
        if content_type == "image/svg+xml":
            headers["Content-Security-Policy"] = SVG_POLICY
        if matches(request.headers.get("if-none-match"), etag):
            return Response(content=b"", status_code=304, media_type=content_type, headers=headers)
        return Response(content=data, media_type=content_type, headers=headers)
