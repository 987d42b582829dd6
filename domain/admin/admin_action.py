"""The audit trail: one ``AdminAction`` stream per act of an admin, never changed.

It is saved in the same transaction as what the act changed, so there is no change without
its record and no record of a change that did not happen. ``before`` and ``after`` are the
admin-visible fields the act touched, as they were and as they became; a refused act is
recorded too (``outcome: "refused"`` with the refusal's code, nothing changed). Using an
impersonation token is an act of the admin who took it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

Outcome = Literal["succeeded", "refused"]
OUTCOMES: Final[tuple[Outcome, ...]] = ("succeeded", "refused")


class AdminAction(Aggregate):
    class Recorded(Aggregate.Created):
        actor_id: UUID | None
        actor_email: str | None
        action: str
        target_type: str
        target_id: str | None
        before: dict[str, Any] | None
        after: dict[str, Any] | None
        outcome: str
        error_code: str | None
        request_id: str | None

    @event(Recorded)
    def __init__(
        self,
        *,
        id: UUID,
        actor_id: UUID | None,
        actor_email: str | None,
        action: str,
        target_type: str,
        target_id: str | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        outcome: str,
        error_code: str | None,
        request_id: str | None,
        timestamp: datetime,
    ) -> None:
        self.actor_id = actor_id
        self.actor_email = actor_email
        self.action = action
        self.target_type = target_type
        self.target_id = target_id
        self.before = before
        self.after = after
        self.outcome = outcome
        self.error_code = error_code
        self.request_id = request_id
