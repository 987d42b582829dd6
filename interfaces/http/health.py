from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from infrastructure.persistence.event_store import check_database, check_redis
from interfaces.http.auth import container_of
from interfaces.http.errors import error_response


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/", summary="Health check")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/live", summary="Liveness check")
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        summary="Readiness check: the database, and Redis when configured",
        sync_to_thread=True,
    )
    def ready(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        settings = container_of(request).settings
        problems = [p for p in (check_database(settings), check_redis(settings)) if p]
        if problems:
            return error_response(
                request, "service_unavailable", "not ready", {"reasons": problems}
            )
        checks = {"database": "ok", "redis": "ok" if settings.redis_url else "not configured"}
        return Response({"status": "ready", "checks": checks})
