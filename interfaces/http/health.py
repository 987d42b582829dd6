"""``/health``: liveness and readiness for load balancers and orchestrators (no credential)."""

from __future__ import annotations

import msgspec
from litestar import Controller
from litestar.di import NamedDependency

from domain.shared.errors import DomainError
from infrastructure.persistence.event_store import check_database, check_redis
from infrastructure.persistence.parked_events import ParkedEvents
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.settings import Settings
from interfaces.http.routing import Access, get


class HealthStatus(msgspec.Struct):
    status: str


class ReadyChecks(msgspec.Struct):
    database: str
    redis: str
    views: str


class Readiness(msgspec.Struct, omit_defaults=True):
    """Ready; ``reasons`` and ``parked_events`` only when the views parked events."""

    status: str
    checks: ReadyChecks
    reasons: list[str] | msgspec.UnsetType = msgspec.UNSET
    parked_events: dict[str, int] | msgspec.UnsetType = msgspec.UNSET


OK = HealthStatus("ok")


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get(access=Access.PUBLIC, sync_to_thread=False, summary="Health check")  # no I/O: on the loop
    def health(self) -> HealthStatus:
        return OK

    @get("/live", access=Access.PUBLIC, sync_to_thread=False, summary="Liveness check")
    def live(self) -> HealthStatus:
        return OK

    @get(
        "/ready",
        access=Access.PUBLIC,
        errors=("service_unavailable",),
        summary="Readiness check: the database, and Redis when configured; parked events noted",
    )
    def ready(
        self, settings: NamedDependency[Settings], views: NamedDependency[ViewStore]
    ) -> Readiness:
        """503 when the database (or Redis) does not answer. Events the views parked are
        reported (``checks.views`` and ``reasons``) but keep the process ready: every other
        row of every tenant is served and kept current, and taking each replica out of its
        load balancer until someone replays the log would stop all of them (decision 0016).
        """
        problems = [p for p in (check_database(settings), check_redis(settings)) if p]
        if problems:
            raise DomainError("service_unavailable", "not ready", {"reasons": problems})
        redis = "ok" if settings.redis_url else "not configured"
        parked = ParkedEvents(views).counts()
        if not parked:
            return Readiness("ready", ReadyChecks(database="ok", redis=redis, views="ok"))
        reasons = [
            f"{view} parked {count} event(s) it could not apply;"
            " see `hatched projections status` and `verify`"
            for view, count in parked.items()
        ]
        return Readiness(
            "ready",
            ReadyChecks(database="ok", redis=redis, views="events parked"),
            reasons=reasons,
            parked_events=parked,
        )
