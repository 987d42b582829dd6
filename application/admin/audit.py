"""Every act of an admin is recorded with what it changed, in the same transaction.

A use case hands ``Auditor.act`` an attempt that loads, decides and changes aggregates
without saving them and says what the target looked like before and after; ``act`` checks
the admin's role, saves the changed aggregates and the ``AdminAction`` together (retrying a
lost race from a fresh load, so each record's ``before`` is what that act really changed),
and records a refusal — a role too low, a missing target, a rule — as an ``AdminAction``
with ``outcome: "refused"`` and nothing else saved (decision 0051).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.shared.ports import Clock, Secrets
from application.shared.store import EventStore, retry_on_conflict
from domain.admin.admin_action import AdminAction
from domain.admin.admin_user import Role, require_role
from domain.shared.errors import DomainError

R = TypeVar("R")


@dataclass(frozen=True)
class AdminCaller:
    """The admin behind a request: who, with which role, under which request id."""

    admin_id: UUID
    email: str
    role: str
    request_id: str | None = None


CLI = None
"""The actor of what the ``hatched admin`` command does: nobody signed in."""


@dataclass(frozen=True)
class Target:
    type: str
    id: str | None


@dataclass
class Change(Generic[R]):
    """What one attempt of an act did, still unsaved."""

    result: R
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed: Sequence[Aggregate] = field(default_factory=list)
    target_id: str | None = None
    """The target's id when the act made it (a new admin)."""


class Auditor:
    def __init__(self, store: EventStore, clock: Clock, secrets: Secrets) -> None:
        self._store = store
        self._clock = clock
        self._secrets = secrets

    def act(
        self,
        caller: AdminCaller | None,
        action: str,
        target: Target,
        role: Role,
        attempt: Callable[[], Change[R]],
        *,
        line: object | None = None,
    ) -> R:
        """Run ``attempt`` as ``caller`` (``None``: the command line) if its role is at least
        ``role``; save what it changed with its record, or record the refusal and raise it."""
        try:
            if caller is not None:
                require_role(caller.role, role)

            def once() -> R:
                change = attempt()
                entry = self.entry(
                    caller,
                    action,
                    Target(target.type, change.target_id or target.id),
                    change.before,
                    change.after,
                )
                self._store.save(*change.changed, entry)
                return change.result

            return retry_on_conflict(once, line=line)
        except DomainError as refused:
            self.record_refusal(caller, action, target, refused.code)
            raise

    def record(
        self,
        caller: AdminCaller | None,
        action: str,
        target: Target,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        *,
        outcome: str = "succeeded",
        code: str | None = None,
    ) -> AdminAction:
        """Record an act that changed nothing else (an impersonation token used)."""
        entry = self.entry(caller, action, target, before, after, outcome=outcome, code=code)
        self._store.save(entry)
        return entry

    def record_refusal(
        self, caller: AdminCaller | None, action: str, target: Target, code: str
    ) -> AdminAction:
        entry = self.entry(caller, action, target, None, None, outcome="refused", code=code)
        self._store.save(entry)
        return entry

    def entry(
        self,
        caller: AdminCaller | None,
        action: str,
        target: Target,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        *,
        outcome: str = "succeeded",
        code: str | None = None,
    ) -> AdminAction:
        return AdminAction(
            id=self._secrets.uuid(),
            actor_id=caller.admin_id if caller else None,
            actor_email=caller.email if caller else None,
            action=action,
            target_type=target.type,
            target_id=target.id,
            before=before,
            after=after,
            outcome=outcome,
            error_code=code,
            request_id=caller.request_id if caller else None,
            timestamp=self._clock.now(),
        )

    def get(self, action_id: UUID, public: str) -> AdminAction:
        return self._store.load(AdminAction, action_id, "audit entry", public)
