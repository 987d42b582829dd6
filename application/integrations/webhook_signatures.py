"""How a delivery is signed: the product's header set and the Standard Webhooks one.

* ``X-Hatched-Signature: sha256=<hex>`` — HMAC-SHA256 over ``"{timestamp}.{body}"`` keyed
  with the whole secret string (``whsec_…``, UTF-8), as the product's docs describe.
* ``webhook-signature: v1,<base64>`` — the Standard Webhooks scheme: HMAC-SHA256 over
  ``"{webhook-id}.{timestamp}.{body}"`` keyed with the base64-decoded part of the secret.

During a secret rotation both headers carry one signature per secret in use, newest first
(``sha256=<new>,sha256=<old>``; ``v1,<new> v1,<old>``): a receiver verifies if any matches.
The delivery id is the same on every attempt (it is the receiver's dedupe key); the
timestamp is the attempt's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any, Final

SECRET_PREFIX: Final = "whsec_"
USER_AGENT: Final = "Hatched-Webhooks/1.0"


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys in the payload's order."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def hatched_signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def delivery_headers(
    *,
    delivery_id: str,
    event_name: str,
    attempt: int,
    timestamp: int,
    body: bytes,
    secrets: Sequence[str],
) -> dict[str, str]:
    """Every header of one attempt, signed with each of ``secrets`` (newest first)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hatched-Event": event_name,
        "X-Hatched-Delivery": delivery_id,
        "X-Hatched-Attempt": str(attempt),
        "X-Hatched-Timestamp": str(timestamp),
        "X-Hatched-Signature": ",".join(hatched_signature(s, timestamp, body) for s in secrets),
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_signature(s, delivery_id, timestamp, body) for s in secrets
        ),
    }
