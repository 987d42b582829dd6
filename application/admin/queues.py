"""The operator's queue page: a short-lived signed link, and what the page shows (decision
0054).

``link`` gives an admin (any role) a signed, expiring token for the read-only page
``GET /api/v1/admin/queues``; issuing it is an audited act. ``open`` checks the token
against the clock, then that its admin is still active and has not signed out since (the
token carries the sign-in number, like an admin token), records the use under that admin,
and reads the queues through the ``QueueMonitor`` port, which readiness reads too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.admin.audit import AdminCaller, Auditor, Change, Target
from application.shared.ports import Clock, QueueDepth, QueueLinkTokens, QueueMonitor
from application.shared.store import EventStore
from domain.admin.admin_user import AdminUser, require_role
from domain.companions.operation import Operation
from domain.shared.errors import Unauthorized
from domain.shared.ids import public_id

FAILED_SHOWN = 20
"""The latest failed operations the page lists (older ones: ``GET /admin/operations``)."""
QUEUE_VIEW = Target("queue_view", None)


@dataclass(frozen=True)
class QueueLink:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class FailedOperation:
    operation_id: UUID
    customer_id: UUID
    type: str
    failed_at: datetime
    error: dict[str, str] | None
    attempts: int


@dataclass(frozen=True)
class QueueReport:
    """What the page shows, as of ``now``."""

    now: datetime
    admin_email: str
    workers: int
    queues: list[QueueDepth]
    failed: list[FailedOperation]


class AdminQueues:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        links: QueueLinkTokens,
        monitor: QueueMonitor,
        auditor: Auditor,
    ) -> None:
        self._store = store
        self._clock = clock
        self._links = links
        self._monitor = monitor
        self._audit = auditor

    def link(self, caller: AdminCaller) -> QueueLink:
        """A signed link token for ``caller`` (any role), audited as
        ``operations.queue_link``."""

        def attempt() -> Change[QueueLink]:
            admin = self._store.load(
                AdminUser, caller.admin_id, "admin user", public_id("admin_user", caller.admin_id)
            )
            token, expires_at = self._links.issue(admin.id, admin.session, self._clock.now())
            after = {"expires_at": expires_at.isoformat()}
            return Change(QueueLink(token, expires_at), None, after, [])

        return self._audit.act(caller, "operations.queue_link", QUEUE_VIEW, "support", attempt)

    def open(self, token: str | None, request_id: str | None) -> QueueReport:
        """The queues as of now for a good link; ``401`` (``missing``, ``invalid``,
        ``expired``, ``wrong_audience``, ``revoked``) for anything else. Each opening is
        recorded (``operations.queue_view``) under the link's admin."""
        if not token:
            raise Unauthorized(
                "missing",
                "this page opens only through a signed link:"
                " GET /api/v1/admin/operations/queue-link gives one",
            )
        now = self._clock.now()
        admin_id, session = self._links.verify(token, now)
        admin = self._store.find(AdminUser, admin_id)
        if admin is None:
            raise Unauthorized("invalid", "this link's admin does not exist")
        admin.check_token(session)
        require_role(admin.role, "support")
        caller = AdminCaller(admin.id, admin.email, admin.role, request_id)
        self._audit.record(caller, "operations.queue_view", QUEUE_VIEW)
        return self.report(now, caller.email)

    def report(self, now: datetime, admin_email: str) -> QueueReport:
        failed = []
        for work in self._monitor.latest_failed(FAILED_SHOWN):
            operation = self._store.find(Operation, work.operation_id)
            failed.append(
                FailedOperation(
                    operation_id=work.operation_id,
                    customer_id=work.customer_id,
                    type=work.type,
                    failed_at=work.failed_at,
                    error=operation.error if operation else None,
                    attempts=operation.attempts if operation else 0,
                )
            )
        return QueueReport(
            now=now,
            admin_email=admin_email,
            workers=self._monitor.workers(),
            queues=self._monitor.depths(),
            failed=failed,
        )
