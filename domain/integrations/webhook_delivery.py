"""One webhook message to one endpoint, and every attempt to deliver it.

A delivery is created ``pending`` with the payload it will always send (so retries and
redeliveries send the same body under the same id) and is due at once. Each attempt is
recorded with what the receiver answered; the delivery then either succeeded, is due again
later (the retry schedule, or the receiver's ``Retry-After`` if that is longer), or failed
for good:

* a 2xx ends it ``succeeded``;
* ``410 Gone`` ends it ``failed`` at once (the application also disables the endpoint);
* a refusal that retrying will not fix soon (another 4xx, a 3xx, an address we refuse to
  connect to) is retried at most ``CLIENT_ERROR_ATTEMPTS`` times in all;
* ``408``, ``425``, ``429``, 5xx and network errors follow the whole schedule.

A manual redelivery makes a failed or succeeded delivery ``pending`` again for exactly one
attempt. The schedule is passed in (seconds to wait after attempt *n* before attempt
*n + 1*, the first entry being the delay of attempt 1), so this module reads no settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError, InvalidStateTransition
from domain.shared.ids import natural_id, public_id
from domain.shared.json_values import copy_json
from domain.shared.tenancy import Mode

DeliveryStatus = Literal["pending", "succeeded", "failed"]
DELIVERY_STATUSES: Final[tuple[DeliveryStatus, ...]] = ("pending", "succeeded", "failed")
DEFAULT_SCHEDULE: Final[tuple[float, ...]] = (
    0,
    5,
    30,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    24 * 3600,
)
CLIENT_ERROR_ATTEMPTS: Final = 3
MAX_RETRY_AFTER: Final = timedelta(hours=24)
MAX_ATTEMPTS: Final = 50
"""Automatic attempts plus manual redeliveries: beyond it, redelivery is refused."""
TRANSIENT_STATUSES: Final = frozenset({408, 425, 429})


@dataclass(frozen=True, kw_only=True)
class AttemptResult:
    """What one attempt got: an HTTP status, or an ``error`` when there was no answer.

    ``error`` names why there was none (``timeout``, ``connection_failed``, ``dns_failed``,
    ``forbidden_address``, ``invalid_url``, ``secret_unavailable``, ...).
    ``response_excerpt`` is the start of the answer's body, or what went wrong without one.
    """

    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0
    retry_after_seconds: float | None = None
    response_excerpt: str = ""

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.error is None and self.status_code == 410

    @property
    def hopeless_soon(self) -> bool:
        """Retrying will not fix it soon: a 3xx, a 4xx other than 408/425/429, a refused address."""
        if self.error is not None:
            return self.error in ("forbidden_address", "invalid_url")
        code = self.status_code or 0
        return 300 <= code < 500 and code not in TRANSIENT_STATUSES


def delivery_id_for(endpoint_id: UUID, source: str, event_name: str) -> UUID:
    """One delivery per endpoint and source event, so a replayed fan-out creates none twice."""
    return natural_id("webhook_delivery", endpoint_id.hex, source, event_name)


class WebhookDelivery(Aggregate):
    class Scheduled(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        endpoint_id: UUID
        event_name: str
        payload: dict[str, Any]
        source: str
        single_attempt: bool

    @event(Scheduled)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        endpoint_id: UUID,
        event_name: str,
        payload: dict[str, Any],
        source: str,
        single_attempt: bool,
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.endpoint_id = endpoint_id
        self.event_name = event_name
        self.payload: dict[str, Any] = copy_json(payload)
        self.source = source
        self.status: DeliveryStatus = "pending"
        self.attempts = 0
        self.attempt_log: list[dict[str, Any]] = []
        self.next_attempt_at: datetime | None = timestamp
        self.final_attempt: int | None = 1 if single_attempt else None
        self.first_attempt_of_run = 1
        self.failure_reason: str | None = None

    @property
    def public_id(self) -> str:
        return public_id("webhook_delivery", self.id)

    @property
    def next_attempt(self) -> int:
        return self.attempts + 1

    @property
    def manual(self) -> bool:
        """A test send or a redelivery: one attempt an operator asked for explicitly."""
        return self.final_attempt is not None

    # Commands ------------------------------------------------------------------------

    def record_attempt(
        self,
        *,
        number: int,
        result: AttemptResult,
        schedule: Sequence[float],
        started_at: datetime,
        timestamp: datetime,
    ) -> None:
        """Record attempt ``number`` and decide what comes next (see the module docstring).

        ``conflict`` when the delivery is not pending or ``number`` is not the next attempt:
        the message that asked for it was a duplicate or is stale.
        """
        if self.status != "pending" or number != self.next_attempt:
            raise DomainError(
                "conflict",
                f"attempt {number} of {self.public_id} is not due",
                {"status": self.status, "next_attempt": self.next_attempt},
            )
        status, reason, next_at = self._after(number, result, schedule, timestamp)
        self._attempt_recorded(
            endpoint_id=self.endpoint_id,
            customer_id=self.customer_id,
            mode=self.mode,
            number=number,
            started_at=started_at,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
            retry_after_seconds=result.retry_after_seconds,
            response_excerpt=result.response_excerpt,
            status_after=status,
            failure_reason=reason,
            next_attempt_at=next_at,
            timestamp=timestamp,
        )

    def redeliver(self, *, actor: str, timestamp: datetime) -> int:
        """Make a finished delivery due now for one more attempt; returns its number.

        ``conflict`` while it is still pending (it will be attempted anyway) or when it has
        used ``MAX_ATTEMPTS``.
        """
        if self.status == "pending":
            raise DomainError(
                "conflict",
                f"{self.public_id} is still pending; it will be attempted again on its own",
                {"status": self.status, "next_attempt_at": self.next_attempt_at},
            )
        if self.attempts >= MAX_ATTEMPTS:
            raise DomainError(
                "conflict",
                f"{self.public_id} has been attempted {self.attempts} times, the most allowed",
                {"attempts": self.attempts, "max_attempts": MAX_ATTEMPTS},
            )
        self._redelivery_requested(attempt=self.attempts + 1, actor=actor, timestamp=timestamp)
        return self.attempts + 1

    def abandon(self, *, reason: str, timestamp: datetime) -> None:
        """Give up a pending delivery without an attempt (its endpoint went away)."""
        if self.status != "pending":
            raise InvalidStateTransition("webhook delivery", self.status, "failed")
        self._abandoned(
            endpoint_id=self.endpoint_id,
            customer_id=self.customer_id,
            mode=self.mode,
            reason=reason,
            timestamp=timestamp,
        )

    def _after(
        self, number: int, result: AttemptResult, schedule: Sequence[float], now: datetime
    ) -> tuple[DeliveryStatus, str | None, datetime | None]:
        if result.succeeded:
            return "succeeded", None, None
        if result.gone:
            return "failed", "endpoint_gone", None
        if self.final_attempt is not None and number >= self.final_attempt:
            return "failed", "redelivery_failed", None
        in_run = number - self.first_attempt_of_run + 1
        if result.hopeless_soon and in_run >= CLIENT_ERROR_ATTEMPTS:
            return "failed", "client_error", None
        if number >= len(schedule) or number >= MAX_ATTEMPTS:
            return "failed", "retries_exhausted", None
        wait = timedelta(seconds=schedule[number])
        if result.retry_after_seconds is not None:
            asked = min(timedelta(seconds=result.retry_after_seconds), MAX_RETRY_AFTER)
            wait = max(wait, asked)
        return "pending", None, now + wait

    # Events --------------------------------------------------------------------------

    class AttemptRecorded(Aggregate.Event):
        endpoint_id: UUID
        customer_id: UUID
        mode: Mode
        number: int
        started_at: datetime
        status_code: int | None
        error: str | None
        duration_ms: int
        retry_after_seconds: float | None
        response_excerpt: str
        status_after: DeliveryStatus
        failure_reason: str | None
        next_attempt_at: datetime | None

    @event(AttemptRecorded)
    def _attempt_recorded(
        self,
        *,
        endpoint_id: UUID,
        customer_id: UUID,
        mode: Mode,
        number: int,
        started_at: datetime,
        status_code: int | None,
        error: str | None,
        duration_ms: int,
        retry_after_seconds: float | None,
        response_excerpt: str,
        status_after: DeliveryStatus,
        failure_reason: str | None,
        next_attempt_at: datetime | None,
        timestamp: datetime,
    ) -> None:
        self.attempts = number
        self.attempt_log = [
            *self.attempt_log,
            {
                "number": number,
                "started_at": started_at,
                "finished_at": timestamp,
                "status_code": status_code,
                "error": error,
                "duration_ms": duration_ms,
                "retry_after_seconds": retry_after_seconds,
                "response_excerpt": response_excerpt,
                "succeeded": status_after == "succeeded",
            },
        ]
        self.status = status_after
        self.failure_reason = failure_reason
        self.next_attempt_at = next_attempt_at

    class RedeliveryRequested(Aggregate.Event):
        attempt: int
        actor: str

    @event(RedeliveryRequested)
    def _redelivery_requested(self, *, attempt: int, actor: str, timestamp: datetime) -> None:
        self.status = "pending"
        self.failure_reason = None
        self.next_attempt_at = timestamp
        self.final_attempt = attempt
        self.first_attempt_of_run = attempt

    class Abandoned(Aggregate.Event):
        endpoint_id: UUID
        customer_id: UUID
        mode: Mode
        reason: str

    @event(Abandoned)
    def _abandoned(
        self, *, endpoint_id: UUID, customer_id: UUID, mode: Mode, reason: str, timestamp: datetime
    ) -> None:
        self.status = "failed"
        self.failure_reason = reason
        self.next_attempt_at = None
