"""An egg: what a user owns before a buddy is born.

States (seed §5.2)::

    waiting ─▶ ready ─▶ hatching ─▶ hatched
       │         │  ◀────┘ (hatch failed)
       └────┬────┘
            ▼
        cancelled

The client may only ask for ``ready`` or ``cancelled`` (``request_status``); hatching is
started by ``POST /eggs/{id}/hatch`` and finished by the hatch operation.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.companions.user_account import EggSummary
from domain.shared.errors import DomainError, InvalidStateTransition
from domain.shared.ids import public_id
from domain.shared.tenancy import Mode

EggStatus = Literal["waiting", "ready", "hatching", "hatched", "cancelled"]
EGG_STATUSES: tuple[EggStatus, ...] = ("waiting", "ready", "hatching", "hatched", "cancelled")
ACTIVE_EGG_STATUSES: frozenset[str] = frozenset({"waiting", "ready", "hatching"})
REUSABLE_EGG_STATUSES: frozenset[str] = frozenset({"waiting", "ready"})
CLIENT_SETTABLE_STATUSES: tuple[str, ...] = ("ready", "cancelled")
VISUAL_VARIANTS = 12


def visual_variant_for(egg_id: UUID) -> int:
    """The egg's look, 0 to 11: a pure function of its id, so replay and re-render agree."""
    return egg_id.int % VISUAL_VARIANTS


class Egg(Aggregate):
    class Laid(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        user_id: str
        config_version_id: UUID
        metadata: dict[str, Any]
        audience: str | None

    @event(Laid)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        user_id: str,
        config_version_id: UUID,
        metadata: dict[str, Any],
        audience: str | None,
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.user_id = user_id
        self.config_version_id = config_version_id
        self.metadata: dict[str, Any] = deepcopy(metadata)
        self.audience = audience
        self.visual_variant = visual_variant_for(id)
        self.status: EggStatus = "waiting"
        self.operation_id: UUID | None = None
        self.buddy_id: UUID | None = None
        self.ready_at: datetime | None = None
        self.cancelled_at: datetime | None = None
        self.hatched_at: datetime | None = None

    @property
    def public_id(self) -> str:
        return public_id("egg", self.id)

    @property
    def is_active(self) -> bool:
        """Counts against the per-user cap: waiting, ready or hatching."""
        return self.status in ACTIVE_EGG_STATUSES

    @property
    def is_reusable(self) -> bool:
        """What ``POST /eggs?ensure=true`` may hand back instead of laying a new egg."""
        return self.status in REUSABLE_EGG_STATUSES

    def summary(self) -> EggSummary:
        """The line ``active_egg_limit`` lists for this egg."""
        return EggSummary(egg_id=self.id, status=self.status, created_at=self.created_on)

    # Commands ------------------------------------------------------------------------

    def request_status(self, *, status: str, timestamp: datetime) -> None:
        """``PATCH /eggs/{id}/status``: the client may ask for ``ready`` or ``cancelled`` only."""
        if status == "ready":
            self.mark_ready(timestamp=timestamp)
        elif status == "cancelled":
            self.cancel(timestamp=timestamp)
        else:
            raise DomainError(
                "validation_failed",
                f"status must be one of: {', '.join(CLIENT_SETTABLE_STATUSES)}",
                {
                    "fields": [
                        {
                            "field": "status",
                            "reason": "must be one of: " + ", ".join(CLIENT_SETTABLE_STATUSES),
                        }
                    ]
                },
            )

    def mark_ready(self, *, timestamp: datetime) -> None:
        """``waiting → ready``. Asking again for an egg already ready changes nothing."""
        if self.status == "ready":
            return
        if self.status != "waiting":
            raise InvalidStateTransition("egg", self.status, "ready")
        self._marked_ready(timestamp=timestamp)

    def cancel(self, *, timestamp: datetime) -> None:
        """``waiting|ready → cancelled`` (frees the user's slot). Cancelling twice is a no-op."""
        if self.status == "cancelled":
            return
        if self.status not in REUSABLE_EGG_STATUSES:
            raise InvalidStateTransition("egg", self.status, "cancelled")
        self._cancelled(timestamp=timestamp)

    def start_hatching(self, *, operation_id: UUID, timestamp: datetime) -> None:
        """``ready → hatching``: only a ready egg hatches, and only once at a time."""
        if self.status != "ready":
            raise InvalidStateTransition("egg", self.status, "hatching")
        self._hatch_started(operation_id=operation_id, timestamp=timestamp)

    def hatched(self, *, buddy_id: UUID, timestamp: datetime) -> None:
        """``hatching → hatched``, now owning ``buddy_id``.

        Repeating it with the same buddy (a redelivered hatch task) is a no-op; any other
        buddy for an egg already hatched is refused: an egg hatches once.
        """
        if self.status == "hatched" and self.buddy_id == buddy_id:
            return
        if self.status != "hatching":
            raise InvalidStateTransition("egg", self.status, "hatched")
        self._hatched(buddy_id=buddy_id, operation_id=self.operation_id, timestamp=timestamp)

    def hatch_failed(self, *, timestamp: datetime, operation_id: UUID | None = None) -> None:
        """``hatching → ready``: the hatch operation failed.

        Why back to ``ready``: ``hatching`` can only be left by the operation, and it holds
        one of the user's active-egg slots. If a failed operation left the egg there, the egg
        could never hatch, never be cancelled and would block the slot forever. Going back
        to ``ready`` lets the user retry the hatch or cancel the egg.

        With ``operation_id``, a failure report from an operation that is no longer this
        egg's current hatch (a stale or redelivered one) changes nothing.
        """
        if operation_id is not None and operation_id != self.operation_id:
            return
        if self.status != "hatching":
            raise InvalidStateTransition("egg", self.status, "ready")
        self._hatch_failed(operation_id=self.operation_id, timestamp=timestamp)

    # Events --------------------------------------------------------------------------

    class MarkedReady(Aggregate.Event):
        pass

    @event(MarkedReady)
    def _marked_ready(self, *, timestamp: datetime) -> None:
        self.status = "ready"
        self.ready_at = timestamp

    class Cancelled(Aggregate.Event):
        pass

    @event(Cancelled)
    def _cancelled(self, *, timestamp: datetime) -> None:
        self.status = "cancelled"
        self.cancelled_at = timestamp

    class HatchStarted(Aggregate.Event):
        operation_id: UUID

    @event(HatchStarted)
    def _hatch_started(self, *, operation_id: UUID, timestamp: datetime) -> None:
        self.status = "hatching"
        self.operation_id = operation_id

    class Hatched(Aggregate.Event):
        buddy_id: UUID
        operation_id: UUID | None

    @event(Hatched)
    def _hatched(self, *, buddy_id: UUID, operation_id: UUID | None, timestamp: datetime) -> None:
        self.status = "hatched"
        self.buddy_id = buddy_id
        self.hatched_at = timestamp

    class HatchFailed(Aggregate.Event):
        operation_id: UUID | None

    @event(HatchFailed)
    def _hatch_failed(self, *, operation_id: UUID | None, timestamp: datetime) -> None:
        self.status = "ready"
        self.operation_id = None
