"""Absolute URLs of assets: what ``image_url`` and friends are made of."""

from __future__ import annotations

from typing import Any

from litestar import Request

from interfaces.http.auth import container_of

ASSETS_PATH = "/api/v1/assets/"


def public_origin(request: Request[Any, Any, Any]) -> str:
    """Where clients reach us: ``HATCHED_PUBLIC_URL``, else the origin of this request."""
    configured = container_of(request).settings.public_url
    return configured or str(request.base_url).rstrip("/")


def asset_url(origin: str, name: str | None) -> str | None:
    return f"{origin}{ASSETS_PATH}{name}" if name else None
