"""The loader script, outside ``/api/v1``: ``/widget.js`` and ``/v/<version>/widget.js``.

``/widget.js`` always serves the current version and is revalidated every 5 minutes (its
ETag makes that a ``304``); a versioned URL never changes, so browsers keep it for a year.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from domain.shared.errors import NotFound
from interfaces.http.etag import matches
from interfaces.widget import WIDGET_VERSION, loader, loader_etag

LATEST_CACHE = "public, max-age=300, must-revalidate"
VERSIONED_CACHE = "public, max-age=31536000, immutable"


def script_response(request: Request[Any, Any, Any], cache_control: str) -> Response[bytes]:
    headers = {
        "Cache-Control": cache_control,
        "ETag": loader_etag(),
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
    }
    if matches(request.headers.get("if-none-match"), loader_etag()):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=loader(), media_type="text/javascript; charset=utf-8", headers=headers)


class WidgetAssetController(Controller):
    path = "/"
    include_in_schema = False

    @get("/widget.js", summary="The widget loader, current version")
    async def latest(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return script_response(request, LATEST_CACHE)

    @get("/v/{version:str}/widget.js", summary="The widget loader, one immutable version")
    async def versioned(
        self, request: Request[Any, Any, Any], version: FromPath[str]
    ) -> Response[bytes]:
        if version != WIDGET_VERSION:
            raise NotFound("widget version", version)
        return script_response(request, VERSIONED_CACHE)
