"""Every kind of token Hatched signs, and why one was refused (decision 0029).

Dashboard, widget, device, admin, queue-link and upload-URL tokens are HS256 JWTs told apart by their ``aud``
and, for widget and device tokens, by a key derived from ``HATCHED_SECRET_KEY`` under a label
of their own. A verifier that refuses a token says why: ``401 unauthorized`` with
``details.reason`` ``expired`` or ``invalid``; a valid token we genuinely signed for another
use (its signature checks out under the key of the audience it names, and it has not
expired) is ``403 forbidden`` with ``details.reason: wrong_audience`` (decision 0046).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import jwt

from domain.shared.errors import DomainError, Unauthorized, WrongCredential

DASHBOARD_AUDIENCE = "hatched:dashboard"
WIDGET_AUDIENCE = "hatched:widget"
DEVICE_AUDIENCE = "hatched:device"
UPLOAD_AUDIENCE = "hatched:stage-asset-upload"
ADMIN_AUDIENCE = "hatched:admin"
QUEUE_LINK_AUDIENCE = "hatched:admin-queue-link"
ALGORITHM = "HS256"


def derived_key(secret_key: str, label: bytes) -> bytes:
    return hmac.new(secret_key.encode(), label, hashlib.sha256).digest()


@dataclass(frozen=True)
class Audience:
    label: bytes | None
    """The key derivation label; ``None``: signed with ``HATCHED_SECRET_KEY`` itself."""
    what: str
    """What such a token is and where it works, for a refusal's message."""

    def key(self, secret_key: str) -> str | bytes:
        return secret_key if self.label is None else derived_key(secret_key, self.label)


AUDIENCES: dict[str, Audience] = {
    DASHBOARD_AUDIENCE: Audience(None, "a dashboard token: it works on the customer API"),
    WIDGET_AUDIENCE: Audience(
        b"hatched:widget-tokens:v1", "a widget token: it works on /api/v1/widget/* only"
    ),
    DEVICE_AUDIENCE: Audience(
        b"hatched:device-tokens:v1", "a device token: it opens nothing by itself"
    ),
    ADMIN_AUDIENCE: Audience(
        b"hatched:admin-tokens:v1", "an admin token: it works on /api/v1/admin/* only"
    ),
    QUEUE_LINK_AUDIENCE: Audience(
        b"hatched:admin-queue-links:v1",
        "a queue page link: it opens GET /api/v1/admin/queues only",
    ),
    UPLOAD_AUDIENCE: Audience(
        None, "a stage-art upload URL token: it works on PUT /api/v1/stage-assets/uploads/* only"
    ),
}


def refusal(token: str, secret_key: str, own: str, error: Exception | None = None) -> DomainError:
    """Why ``token`` is not a good token of audience ``own`` (``error``: the verifier's)."""
    expired = Unauthorized("expired", "this token has expired; sign in again for a new one")
    if isinstance(error, jwt.ExpiredSignatureError):
        return expired
    other = issued_for(token, secret_key)
    if other is not None and other != own:
        if issued_for(token, secret_key, check_expiry=True) is None:
            return expired
        return WrongCredential(f"this is {AUDIENCES[other].what}", {"audience": other})
    return Unauthorized("invalid", "this token is not one we issued, or was changed")


def issued_for(token: str, secret_key: str, *, check_expiry: bool = False) -> str | None:
    """The audience ``token`` was genuinely signed for, or ``None`` when it is not ours (or,
    with ``check_expiry``, no longer valid)."""
    try:
        claimed = jwt.decode(token, options={"verify_signature": False}).get("aud")
    except jwt.PyJWTError:
        return None
    audience = AUDIENCES.get(claimed) if isinstance(claimed, str) else None
    if audience is None:
        return None
    try:
        jwt.decode(
            token,
            audience.key(secret_key),
            algorithms=[ALGORITHM],
            audience=claimed,
            options={"verify_exp": check_expiry},
        )
    except jwt.PyJWTError:
        return None
    return claimed
