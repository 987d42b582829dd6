"""The loader script, outside ``/api/v1``: ``/widget.js`` and ``/v/<version>/widget.js``.

``/widget.js`` always serves the current version and is revalidated every 5 minutes (its
ETag makes that a ``304``); a versioned URL never changes, so browsers keep it for a year.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, head
from litestar.params import FromPath

from domain.shared.errors import NotFound
from interfaces.http.etag import matches
from interfaces.widget import WIDGET_VERSION, loader, loader_etag

LATEST_CACHE = "public, max-age=300, must-revalidate"
VERSIONED_CACHE = "public, max-age=31536000, immutable"


SCRIPT_TYPE = "text/javascript"
"""Litestar adds ``; charset=utf-8`` to text types itself; adding it here doubled it."""


def script_response(request: Request[Any, Any, Any], cache_control: str) -> Response[bytes]:
    headers = {
        "Cache-Control": cache_control,
        "ETag": loader_etag(),
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
    }
    if matches(request.headers.get("if-none-match"), loader_etag()):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=loader(), media_type=SCRIPT_TYPE, headers=headers)


def headers_response(request: Request[Any, Any, Any], cache_control: str) -> Response[None]:
    """What ``GET`` would answer, without the body (``HEAD``)."""
    full = script_response(request, cache_control)
    headers = {**full.headers, "Content-Length": str(len(full.content))}
    return Response(
        content=None, status_code=full.status_code, media_type=SCRIPT_TYPE, headers=headers
    )


class WidgetAssetController(Controller):
    path = "/"
    include_in_schema = False

    @get("/widget.js", summary="The widget loader, current version")
    async def latest(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return script_response(request, LATEST_CACHE)

    @head("/widget.js", summary="The widget loader's headers, current version")
    async def latest_headers(self, request: Request[Any, Any, Any]) -> Response[None]:
        return headers_response(request, LATEST_CACHE)

    @get("/v/{version:str}/widget.js", summary="The widget loader, one immutable version")
    async def versioned(
        self, request: Request[Any, Any, Any], version: FromPath[str]
    ) -> Response[bytes]:
        _require_known(version)
        return script_response(request, VERSIONED_CACHE)

    @head("/v/{version:str}/widget.js", summary="The widget loader's headers, one version")
    async def versioned_headers(
        self, request: Request[Any, Any, Any], version: FromPath[str]
    ) -> Response[None]:
        _require_known(version)
        return headers_response(request, VERSIONED_CACHE)


def _require_known(version: str) -> None:
    if version != WIDGET_VERSION:
        raise NotFound("widget version", version)
