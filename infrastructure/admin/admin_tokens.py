"""Admin tokens: HS256 JWTs of their own audience, under a key of their own (decision 0051).

The key is derived from ``HATCHED_SECRET_KEY`` under the label of ``ADMIN_AUDIENCE``, so an
admin token is never a valid dashboard token and the reverse: each verifier refuses the
other's tokens as ``wrong_audience``. A token carries the admin's sign-in number
(``sv``); signing out or deactivating raises it, which ends the token.

Queue page links (decision 0054) are the same kind of token under a third audience and key:
an admin token is not a link, a link is not an admin token. Their expiry is checked against
the clock port's ``now``, so a test can move past it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from domain.shared.errors import Unauthorized
from infrastructure.shared.signed_tokens import (
    ADMIN_AUDIENCE,
    ALGORITHM,
    AUDIENCES,
    QUEUE_LINK_AUDIENCE,
    refusal,
)


class JwtAdminTokens:
    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._secret_key = secret_key
        self._key = AUDIENCES[ADMIN_AUDIENCE].key(secret_key)
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(self, admin_id: UUID, session: int, now: datetime) -> tuple[str, datetime]:
        expires_at = now + self._ttl
        claims = {
            "sub": str(admin_id),
            "sv": session,
            "aud": ADMIN_AUDIENCE,
            "typ": "admin",
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), expires_at

    def verify(self, token: str) -> tuple[UUID, int]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=ADMIN_AUDIENCE,
                options={"require": ["exp", "sub", "aud", "sv"]},
            )
        except jwt.PyJWTError as error:
            raise refusal(token, self._secret_key, ADMIN_AUDIENCE, error) from None
        try:
            if claims.get("typ") == "admin" and isinstance(claims["sv"], int):
                return UUID(claims["sub"]), claims["sv"]
        except (ValueError, TypeError):
            pass
        raise Unauthorized("invalid", "this token is not one we issued, or was changed")


QUEUE_LINK_TTL = timedelta(minutes=10)
"""Long enough to open the page and reload it a few times; a new link is one request."""


class JwtQueueLinks:
    def __init__(self, secret_key: str, ttl: timedelta = QUEUE_LINK_TTL) -> None:
        self._secret_key = secret_key
        self._key = AUDIENCES[QUEUE_LINK_AUDIENCE].key(secret_key)
        self._ttl = ttl

    def issue(self, admin_id: UUID, session: int, now: datetime) -> tuple[str, datetime]:
        expires_at = (now + self._ttl).replace(microsecond=0)
        claims = {
            "sub": str(admin_id),
            "sv": session,
            "aud": QUEUE_LINK_AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), expires_at

    def verify(self, token: str, now: datetime) -> tuple[UUID, int]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=QUEUE_LINK_AUDIENCE,
                options={
                    "require": ["exp", "sub", "aud", "sv"],
                    "verify_exp": False,  # against the clock port, below
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise refusal(token, self._secret_key, QUEUE_LINK_AUDIENCE, error) from None
        try:
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
            admin_id, session = UUID(claims["sub"]), claims["sv"]
        except (ValueError, TypeError, OverflowError):
            raise Unauthorized(
                "invalid", "this link is not one we issued, or was changed"
            ) from None
        if not isinstance(session, int):
            raise Unauthorized("invalid", "this link is not one we issued, or was changed")
        if expires_at <= now:
            raise Unauthorized(
                "expired",
                "this queue link has expired; ask for a new one"
                " (GET /api/v1/admin/operations/queue-link)",
                {"expired_at": expires_at.isoformat()},
            )
        return admin_id, session
