"""``/health``: liveness and readiness for load balancers and orchestrators (no credential)."""

from __future__ import annotations

import msgspec
from litestar import Controller
from litestar.di import NamedDependency

from application.shared.ports import Clock
from domain.shared.errors import DomainError
from infrastructure.companions.queue_state import ViewQueueMonitor
from infrastructure.persistence.event_store import check_database, check_redis
from infrastructure.persistence.parked_events import ParkedEvents
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.settings import Settings
from infrastructure.shared.worker_heartbeats import ALIVE_SECONDS
from interfaces.http.routing import Access, Limit, get


class HealthStatus(msgspec.Struct):
    status: str


class ReadyChecks(msgspec.Struct):
    database: str
    redis: str
    views: str
    workers: str
    """``ok``; ``none consuming`` (no worker heartbeat within 15 s); ``behind`` (the oldest
    pending operation has waited longer than ``HATCHED_SWEEP_GRACE_SECONDS``)."""


class QueueState(msgspec.Struct):
    """The operation queue: live worker processes, operations waiting for one."""

    workers: int
    pending_operations: int
    oldest_pending_seconds: float | None


class Readiness(msgspec.Struct, omit_defaults=True):
    """Ready; ``reasons`` when a check is not ``ok``, ``parked_events`` when views parked some."""

    status: str
    checks: ReadyChecks
    queue: QueueState
    reasons: list[str] | msgspec.UnsetType = msgspec.UNSET
    parked_events: dict[str, int] | msgspec.UnsetType = msgspec.UNSET


OK = HealthStatus("ok")


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get(
        access=Access.PUBLIC, limit=Limit.NONE, sync_to_thread=False, summary="Health check"
    )  # no I/O: on the loop
    def health(self) -> HealthStatus:
        return OK

    @get(
        "/live",
        access=Access.PUBLIC,
        limit=Limit.NONE,
        sync_to_thread=False,
        summary="Liveness check",
    )
    def live(self) -> HealthStatus:
        return OK

    @get(
        "/ready",
        access=Access.PUBLIC,
        limit=Limit.NONE,
        errors=("service_unavailable",),
        summary="Readiness check: the database, and Redis when configured; parked events and "
        "an unconsumed operation queue noted",
    )
    def ready(
        self,
        settings: NamedDependency[Settings],
        views: NamedDependency[ViewStore],
        queue_monitor: NamedDependency[ViewQueueMonitor],
        clock: NamedDependency[Clock],
    ) -> Readiness:
        """503 when the database (or Redis) does not answer. Events the views parked, and an
        operation queue no worker consumes, are reported (``checks``, ``reasons``) but keep
        the process ready: it still serves every read and takes every event, and taking each
        replica out of its load balancer would turn a delay into an outage (decisions 0016,
        0028).
        """
        problems = [p for p in (check_database(settings), check_redis(settings)) if p]
        if problems:
            raise DomainError("service_unavailable", "not ready", {"reasons": problems})
        reasons: list[str] = []
        queue, workers = _queue(settings, queue_monitor, clock, reasons)
        parked = ParkedEvents(views).counts()
        reasons.extend(
            f"{view} parked {count} event(s) it could not apply;"
            " see `hatched projections status` and `verify`"
            for view, count in parked.items()
        )
        checks = ReadyChecks(
            database="ok",
            redis="ok" if settings.redis_url else "not configured",
            views="events parked" if parked else "ok",
            workers=workers,
        )
        return Readiness(
            "ready",
            checks,
            queue,
            reasons=reasons or msgspec.UNSET,
            parked_events=parked or msgspec.UNSET,
        )


def _queue(
    settings: Settings, monitor: ViewQueueMonitor, clock: Clock, reasons: list[str]
) -> tuple[QueueState, str]:
    """The queue's state and its check, adding a sentence to ``reasons`` when not ``ok``.
    The operator's queue page reads the same ``QueueMonitor`` (decision 0054)."""
    backlog = monitor.operations()
    waited = backlog.waited_seconds(clock.now())
    alive = monitor.workers()
    state = QueueState(alive, backlog.pending, waited)
    if not alive:
        waiting = (
            f"; {backlog.pending} operation(s) pending, the oldest for {waited:.0f} s"
            if waited is not None
            else ""
        )
        reasons.append(
            f"no worker is consuming the operation queue (no heartbeat in {ALIVE_SECONDS:.0f} s)"
            f"{waiting}: start `hatched worker`, or leave HATCHED_EMBEDDED_WORKER unset so"
            " `hatched serve` runs the operations itself"
        )
        return state, "none consuming"
    if waited is not None and waited > settings.sweep_grace_seconds:
        reasons.append(
            f"the oldest pending operation has waited {waited:.0f} s (more than"
            f" HATCHED_SWEEP_GRACE_SECONDS, {settings.sweep_grace_seconds:g} s) with"
            f" {alive} worker(s) alive: they are behind, or its message was lost"
        )
        return state, "behind"
    return state, "ok"
