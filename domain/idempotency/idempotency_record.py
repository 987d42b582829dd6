"""One ``Idempotency-Key`` of one tenant: who holds it, and the response it produced.

Its id is derived from (tenant, key), so the first claim is the creation of version 1 of
that stream; two twins racing for a fresh key cannot both create it (the second save fails
in the database). Later claims of the same key append to the stream, so they race on the
stream version in the same way.

States::

    Claimed / Reclaimed ─▶ in_flight ─┬─▶ completed   (a 2xx response, replayed until expiry)
                                      └─▶ released    (a 4xx/5xx: the key is free again)

A key is kept ``expires_at - claimed_at`` (24 h in the application) from its claim. An
expired, released or abandoned claim (``in_flight`` past ``locked_until``: the process
running it died) may be claimed again: a ``Reclaimed`` event on the same stream.

No clock here: every time is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError
from domain.shared.ids import natural_id
from domain.shared.tenancy import Mode, Tenant

RecordState = Literal["in_flight", "completed", "released"]
BodyEncoding = Literal["utf-8", "base64"]
HEADER_NAME = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """What a replay sends back: the first response's status, body and chosen headers."""

    status: int
    body: str
    body_encoding: BodyEncoding = "utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class IdempotencyRecord(Aggregate):
    @staticmethod
    def id_for(tenant: Tenant, key: str) -> UUID:
        return natural_id("idempotency", tenant.key, key)

    class Claimed(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        key: str
        fingerprint: str
        expires_at: datetime
        locked_until: datetime

    @event(Claimed)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        key: str,
        fingerprint: str,
        expires_at: datetime,
        locked_until: datetime,
        timestamp: datetime,
    ) -> None:
        _check_times(timestamp, expires_at, locked_until)
        self.customer_id = customer_id
        self.mode = mode
        self.key = key
        self.claims = 0
        self._take(fingerprint, expires_at, locked_until, timestamp)

    def _take(
        self, fingerprint: str, expires_at: datetime, locked_until: datetime, at: datetime
    ) -> None:
        self.fingerprint = fingerprint
        self.claimed_at = at
        self.expires_at = expires_at
        self.locked_until = locked_until
        self.claims += 1
        self.state: RecordState = "in_flight"
        self.response: StoredResponse | None = None
        self.finished_at: datetime | None = None

    # Queries ---------------------------------------------------------------------------

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def is_abandoned(self, now: datetime) -> bool:
        """``in_flight`` past its lock: whoever claimed it never finished."""
        return self.state == "in_flight" and now >= self.locked_until

    def holds(self, claim: int) -> bool:
        """Whether claim number ``claim`` is still the one running (nobody took over)."""
        return self.state == "in_flight" and self.claims == claim

    # Commands --------------------------------------------------------------------------

    def admit(
        self,
        *,
        fingerprint: str,
        expires_at: datetime,
        locked_until: datetime,
        timestamp: datetime,
    ) -> StoredResponse | None:
        """Another request with this key arrived at ``timestamp``.

        Returns the stored response to replay, or ``None`` when the caller now holds a new
        claim (the key was expired, released or abandoned: a ``Reclaimed`` event is
        pending). Refuses a different request under a live key
        (``idempotency_key_conflict``) and a twin of one still running (``conflict``).
        """
        free = self.is_expired(timestamp) or self.state == "released"
        if not free and fingerprint != self.fingerprint:
            raise DomainError(
                "idempotency_key_conflict",
                f"this {HEADER_NAME} was already used for a different request "
                "(method, path or body); use a new key for a new request",
                {"header": HEADER_NAME},
            )
        if not free and not self.is_abandoned(timestamp):
            if self.response is not None:
                return self.response
            raise DomainError(
                "conflict",
                f"a request with this {HEADER_NAME} is still being processed; retry shortly",
                {"header": HEADER_NAME},
            )
        _check_times(timestamp, expires_at, locked_until)
        self._reclaimed(
            fingerprint=fingerprint,
            expires_at=expires_at,
            locked_until=locked_until,
            timestamp=timestamp,
        )
        return None

    def complete(self, *, claim: int, response: StoredResponse, timestamp: datetime) -> None:
        """Keep the successful (2xx) response of claim ``claim`` for replays."""
        if not 200 <= response.status < 300:
            raise ValueError("only a 2xx response is kept for replay")
        self._ensure_held(claim)
        self._completed(
            status=response.status,
            body=response.body,
            body_encoding=response.body_encoding,
            headers=dict(response.headers),
            timestamp=timestamp,
        )

    def release(self, *, claim: int, timestamp: datetime) -> None:
        """Claim ``claim`` failed (4xx/5xx): nothing is kept and the key is free again."""
        self._ensure_held(claim)
        self._released(timestamp=timestamp)

    def _ensure_held(self, claim: int) -> None:
        if not self.holds(claim):
            raise DomainError(
                "conflict",
                f"claim {claim} of this {HEADER_NAME} is no longer the running one",
                {"header": HEADER_NAME},
            )

    # Events ----------------------------------------------------------------------------

    class Reclaimed(Aggregate.Event):
        fingerprint: str
        expires_at: datetime
        locked_until: datetime

    @event(Reclaimed)
    def _reclaimed(
        self,
        *,
        fingerprint: str,
        expires_at: datetime,
        locked_until: datetime,
        timestamp: datetime,
    ) -> None:
        self._take(fingerprint, expires_at, locked_until, timestamp)

    class Completed(Aggregate.Event):
        status: int
        body: str
        body_encoding: BodyEncoding
        headers: dict[str, str]

    @event(Completed)
    def _completed(
        self,
        *,
        status: int,
        body: str,
        body_encoding: BodyEncoding,
        headers: dict[str, str],
        timestamp: datetime,
    ) -> None:
        self.state = "completed"
        self.response = StoredResponse(status, body, body_encoding, dict(headers))
        self.finished_at = timestamp

    class Released(Aggregate.Event):
        pass

    @event(Released)
    def _released(self, *, timestamp: datetime) -> None:
        self.state = "released"
        self.finished_at = timestamp


def _check_times(claimed_at: datetime, expires_at: datetime, locked_until: datetime) -> None:
    if not claimed_at < locked_until <= expires_at:
        raise ValueError("a claim needs claimed_at < locked_until <= expires_at")
