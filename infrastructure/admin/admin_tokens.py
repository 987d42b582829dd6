"""Admin tokens: HS256 JWTs of their own audience, under a key of their own (decision 0051).

The key is derived from ``HATCHED_SECRET_KEY`` under the label of ``ADMIN_AUDIENCE``, so an
admin token is never a valid dashboard token and the reverse: each verifier refuses the
other's tokens as ``wrong_audience``. A token carries the admin's sign-in number
(``sv``); signing out or deactivating raises it, which ends the token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import jwt

from domain.shared.errors import Unauthorized
from infrastructure.shared.signed_tokens import ADMIN_AUDIENCE, ALGORITHM, AUDIENCES, refusal


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
