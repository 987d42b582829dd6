"""Use cases for ``Idempotency-Key``: claim a key, then keep or release what it produced.

The HTTP layer (``interfaces/http/idempotency.py``) calls ``begin`` before running a
mutating request, and ``complete`` (2xx) or ``release`` (anything else) after it, before the
client sees the response. ``begin`` either hands out a ``Claim`` (run the request) or a
``Replay`` (send the stored response), or refuses with ``idempotency_key_conflict`` /
``conflict``.

Twins: the first claim of a key creates version 1 of its stream, and later claims append
to it, so of two concurrent claims exactly one is saved; the loser reloads (through
``retry_on_conflict``), sees the winner's claim, and is refused or replayed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

from application.shared.ports import Clock
from application.shared.store import EventStore, retry_on_conflict
from domain.idempotency.idempotency_record import (
    HEADER_NAME,
    BodyEncoding,
    IdempotencyRecord,
    StoredResponse,
)
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant

log = logging.getLogger("hatched.idempotency")

RETENTION = timedelta(hours=24)
"""How long a key is kept, counted from its claim (CONTRACT.md, docs §5)."""
LOCK_TIMEOUT = timedelta(seconds=60)
"""How long a claim that never finished (a crashed process) blocks its key before it may be
claimed again. Requests are synchronous and short; this is far beyond any of them."""
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Claim:
    """The caller holds claim number ``number`` of the key: run the request, then finish it."""

    record_id: UUID
    number: int


@dataclass(frozen=True)
class Replay:
    """The key already produced this response: send it again."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def validate_key(value: str) -> str:
    """A key is 1 to 255 printable ASCII characters (space to ``~``); else 422."""
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in value):
        raise DomainError(
            "validation_failed",
            f"header {HEADER_NAME} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            {
                "fields": [
                    {
                        "field": HEADER_NAME,
                        "reason": f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
                    }
                ],
                "header": HEADER_NAME,
            },
        )
    return value


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """SHA-256 of method, path, query and body; JSON bodies and queries in canonical form.

    A retry that re-serialises the same JSON with other key order or whitespace, or sends
    the query parameters in another order, is the same request; any other change is not.
    """
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), urlencode(pairs).encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    digest.update(_canonical_body(body))
    return digest.hexdigest()


def _canonical_body(body: bytes) -> bytes:
    if not body.strip():
        return b""
    try:
        document = json.loads(body)
    except ValueError:
        return b"raw:" + body
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b"json:" + canonical.encode()


class Idempotency:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        retention: timedelta = RETENTION,
        lock_timeout: timedelta = LOCK_TIMEOUT,
    ) -> None:
        self._store = store
        self._clock = clock
        self._retention = retention
        self._lock_timeout = min(lock_timeout, retention)

    def begin(self, tenant: Tenant, key: str, request_fingerprint: str) -> Claim | Replay:
        """Claim ``key`` for a request, or say what to replay; refuse a conflicting one."""
        validate_key(key)
        record_id = IdempotencyRecord.id_for(tenant, key)

        def attempt() -> Claim | Replay:
            now = self._clock.now()
            expires_at, locked_until = now + self._retention, now + self._lock_timeout
            record = self._store.find(IdempotencyRecord, record_id)
            if record is None:
                record = IdempotencyRecord(
                    id=record_id,
                    customer_id=tenant.customer_id,
                    mode=tenant.mode,
                    key=key,
                    fingerprint=request_fingerprint,
                    expires_at=expires_at,
                    locked_until=locked_until,
                    timestamp=now,
                )
            else:
                stored = record.admit(
                    fingerprint=request_fingerprint,
                    expires_at=expires_at,
                    locked_until=locked_until,
                    timestamp=now,
                )
                if stored is not None:
                    return _replay_of(stored)
            self._store.save(record)
            return Claim(record.id, record.claims)

        return retry_on_conflict(attempt)

    def complete(self, claim: Claim, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        """Keep the 2xx response of ``claim`` for replays."""
        text, encoding = _encode_body(body)
        response = StoredResponse(status, text, encoding, dict(headers))
        self._finish(claim, response)

    def release(self, claim: Claim) -> None:
        """The request of ``claim`` failed: keep nothing, free the key."""
        self._finish(claim, None)

    def _finish(self, claim: Claim, response: StoredResponse | None) -> None:
        def attempt() -> None:
            record = self._store.find(IdempotencyRecord, claim.record_id)
            if record is None or not record.holds(claim.number):
                # Our lock ran out and another request took the key over: it decides now.
                log.warning("idempotency claim %s/%s was taken over", claim.record_id, claim.number)
                return
            now = self._clock.now()
            if response is not None:
                record.complete(claim=claim.number, response=response, timestamp=now)
            else:
                record.release(claim=claim.number, timestamp=now)
            self._store.save(record)

        retry_on_conflict(attempt)

    def record(self, tenant: Tenant, key: str) -> IdempotencyRecord | None:
        """The stored record of ``key`` (for operators and tests)."""
        return self._store.find(IdempotencyRecord, IdempotencyRecord.id_for(tenant, key))


def _encode_body(body: bytes) -> tuple[str, BodyEncoding]:
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def _replay_of(stored: StoredResponse) -> Replay:
    if stored.body_encoding == "base64":
        try:
            body = base64.b64decode(stored.body)
        except binascii.Error:  # pragma: no cover - written by _encode_body only
            body = b""
    else:
        body = stored.body.encode("utf-8")
    return Replay(stored.status, body, dict(stored.headers))
