"""``GET /metrics``: the process's Prometheus metrics, when ``HATCHED_METRICS=true``.

Off by default: the route is then not mounted at all, so ``/metrics`` is the usual 404.
Metrics describe the whole deployment (every tenant), so the endpoint is meant for the
operator's scraper on an internal network, like ``/health``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from interfaces.http.auth import container_of


@get("/metrics", include_in_schema=False, sync_to_thread=True)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    registry = container_of(request).metrics
    return Response(registry.exposition(), media_type=registry.content_type)
