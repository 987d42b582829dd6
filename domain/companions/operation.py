"""An asynchronous job (hatch, evolve, equip, an item's icon) the client follows by id.

States (seed §5.4)::

    pending ─▶ processing ─▶ completed
       │          │  ▲
       │          │  └─ lease expired: started again (another attempt)
       │          └───▶ failed
       └─▶ cancelled

A worker *starts* an operation with a lease (``lease_until``). While the lease runs, nobody
else may start it; once it has expired, the operation may be started again, which counts
another attempt. So a worker that died mid-job never leaves an operation ``processing``
forever: a redelivered task (or a sweeper) takes it over, and gives up with ``fail`` after
as many attempts as the application allows.

Delivery is at least once, so ``complete`` and ``fail`` repeated with the same outcome are
no-ops; every other move out of a terminal state is refused.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import InvalidStateTransition
from domain.shared.ids import public_id
from domain.shared.tenancy import Mode

OperationType = Literal[
    "hatch", "evolve", "equip_item", "regenerate_item_image", "regenerate_badge_icon"
]
OPERATION_TYPES: tuple[OperationType, ...] = (
    "hatch",
    "evolve",
    "equip_item",
    "regenerate_item_image",
    "regenerate_badge_icon",
)
BUDDY_OPERATION_TYPES: frozenset[str] = frozenset({"evolve", "equip_item"})
"""Operations on a buddy; a hatch has an egg, an item's or a badge's icon neither."""
OperationStatus = Literal["pending", "processing", "completed", "failed", "cancelled"]
OPERATION_STATUSES: tuple[OperationStatus, ...] = (
    "pending",
    "processing",
    "completed",
    "failed",
    "cancelled",
)
TERMINAL_OPERATION_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


class Operation(Aggregate):
    class Requested(Aggregate.Created):
        """Version 2 added ``correlation_id``: an opaque id the caller gives to tie the facts
        the operation causes to whatever asked for it (the HTTP request id; decision 0031).
        Operations requested before it exists are upcast with ``None``."""

        class_version = 2
        customer_id: UUID
        mode: Mode
        type: OperationType
        buddy_id: UUID | None
        egg_id: UUID | None
        params: dict[str, Any]
        correlation_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["correlation_id"] = None

    @event(Requested)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        type: OperationType,
        buddy_id: UUID | None,
        egg_id: UUID | None,
        params: dict[str, Any],
        correlation_id: str | None,
        timestamp: datetime,
    ) -> None:
        if type not in OPERATION_TYPES:
            raise ValueError(f"unknown operation type {type!r}")
        if type == "hatch" and egg_id is None:
            raise ValueError("a hatch operation needs an egg_id")
        if type in BUDDY_OPERATION_TYPES and buddy_id is None:
            raise ValueError(f"an {type} operation needs a buddy_id")
        self.customer_id = customer_id
        self.mode = mode
        self.type: OperationType = type
        self.buddy_id = buddy_id
        self.egg_id = egg_id
        self.params: dict[str, Any] = deepcopy(params)
        self.correlation_id = correlation_id
        self.status: OperationStatus = "pending"
        self.attempts = 0
        self.lease_until: datetime | None = None
        self.result: dict[str, Any] | None = None
        self.error: dict[str, str] | None = None
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None

    @property
    def public_id(self) -> str:
        return public_id("operation", self.id)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_OPERATION_STATUSES

    def lease_expired(self, now: datetime) -> bool:
        """A ``processing`` operation whose worker's lease has run out (it may be restarted)."""
        return (
            self.status == "processing" and self.lease_until is not None and now > self.lease_until
        )

    # Commands ------------------------------------------------------------------------

    def start(
        self, *, lease_until: datetime, timestamp: datetime, attempt: int | None = None
    ) -> int:
        """Take the operation for one attempt, leased until ``lease_until``; return the attempt.

        Allowed from ``pending``, and from ``processing`` once the previous lease has
        expired (``timestamp > lease_until``). ``attempt``, when given, is the attempt the
        caller believes it is starting (``attempts + 1``): a mismatch means someone else
        started it meanwhile, and is refused like any other illegal start.
        """
        if lease_until <= timestamp:
            raise ValueError("a lease must end after it starts")
        restartable = self.status == "pending" or self.lease_expired(timestamp)
        number = self.attempts + 1
        if not restartable or (attempt is not None and attempt != number):
            error = InvalidStateTransition("operation", self.status, "processing")
            if error.details is not None and self.status == "processing":
                error.details["lease_until"] = self.lease_until
                error.details["attempts"] = self.attempts
            raise error
        self._started(lease_until=lease_until, attempt=number, timestamp=timestamp)
        return number

    def complete(self, *, result: dict[str, Any], timestamp: datetime) -> None:
        """``processing → completed`` with ``result`` (hatch: ``{"buddy_id": ...}``).

        Completing again with the same result is a no-op (a redelivered task).
        """
        if self.status == "completed" and self.result == result:
            return
        if self.status != "processing":
            raise InvalidStateTransition("operation", self.status, "completed")
        self._completed(result=result, timestamp=timestamp)

    def fail(self, *, code: str, message: str, timestamp: datetime) -> None:
        """``processing → failed`` with an action-specific code (``hatch_failed``, ...).

        Failing again with the same code and message is a no-op.
        """
        if self.status == "failed" and self.error == {"code": code, "message": message}:
            return
        if self.status != "processing":
            raise InvalidStateTransition("operation", self.status, "failed")
        self._failed(code=code, message=message, timestamp=timestamp)

    def cancel(self, *, timestamp: datetime) -> None:
        """``pending → cancelled``; once a worker has it, it runs to completion or failure."""
        if self.status != "pending":
            raise InvalidStateTransition("operation", self.status, "cancelled")
        self._cancelled(timestamp=timestamp)

    # Events --------------------------------------------------------------------------

    class Started(Aggregate.Event):
        lease_until: datetime
        attempt: int

    @event(Started)
    def _started(self, *, lease_until: datetime, attempt: int, timestamp: datetime) -> None:
        self.status = "processing"
        self.attempts = attempt
        self.lease_until = lease_until
        if self.started_at is None:
            self.started_at = timestamp

    class Completed(Aggregate.Event):
        result: dict[str, Any]

    @event(Completed)
    def _completed(self, *, result: dict[str, Any], timestamp: datetime) -> None:
        self.status = "completed"
        self.result = deepcopy(result)
        self.lease_until = None
        self.finished_at = timestamp

    class Failed(Aggregate.Event):
        code: str
        message: str

    @event(Failed)
    def _failed(self, *, code: str, message: str, timestamp: datetime) -> None:
        self.status = "failed"
        self.error = {"code": code, "message": message}
        self.lease_until = None
        self.finished_at = timestamp

    class Cancelled(Aggregate.Event):
        pass

    @event(Cancelled)
    def _cancelled(self, *, timestamp: datetime) -> None:
        self.status = "cancelled"
        self.finished_at = timestamp
