from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from infrastructure.persistence.event_store import check_database, check_redis
from infrastructure.persistence.parked_events import ParkedEvents
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
        summary="Readiness check: the database, and Redis when configured; parked events noted",
        sync_to_thread=True,
    )
    def ready(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """503 when the database (or Redis) does not answer. Events the views parked are
        reported (``checks.views`` and ``reasons``) but keep the process ready: every other
        row of every tenant is served and kept current, and taking each replica out of its
        load balancer until someone replays the log would stop all of them (decision 0016).
        """
        container = container_of(request)
        settings = container.settings
        problems = [p for p in (check_database(settings), check_redis(settings)) if p]
        if problems:
            return error_response(
                request, "service_unavailable", "not ready", {"reasons": problems}
            )
        checks = {"database": "ok", "redis": "ok" if settings.redis_url else "not configured"}
        parked = ParkedEvents(container.views).counts()
        if not parked:
            return Response({"status": "ready", "checks": {**checks, "views": "ok"}})
        reasons = [
            f"{view} parked {count} event(s) it could not apply;"
            " see `hatched projections status` and `verify`"
            for view, count in parked.items()
        ]
        body = {
            "status": "ready",
            "checks": {**checks, "views": "events parked"},
            "reasons": reasons,
            "parked_events": parked,
        }
        return Response(body)
