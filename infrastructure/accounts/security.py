"""Credentials: password hashing (Argon2id), random keys, signed dashboard and device tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from application.shared.ports import DashboardClaims
from domain.shared.errors import Unauthorized
from infrastructure.shared.signed_tokens import (
    AUDIENCES,
    DASHBOARD_AUDIENCE,
    DEVICE_AUDIENCE,
    refusal,
)

DEVICE_TTL = timedelta(days=30)


class Argon2PasswordHasher:
    """Argon2id, memory-hard. Parameters are the library's RFC 9106 low-memory profile."""

    def __init__(self) -> None:
        self._argon2 = _Argon2()

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class RandomSecrets:
    def token(self, prefix: str, nbytes: int = 32) -> str:
        return prefix + secrets.token_urlsafe(nbytes)

    def uuid(self) -> UUID:
        return UUID(bytes=secrets.token_bytes(16), version=4)


def digest(secret: str) -> str:
    """Keys are long random strings, so a fast hash is safe to store and to look up by."""
    return hashlib.sha256(secret.encode()).hexdigest()


class JwtDashboardTokens:
    """HS256-signed dashboard tokens; only HS256 is ever accepted (no ``alg: none``)."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._key = secret_key
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(
        self,
        customer_id: UUID,
        now: datetime,
        *,
        impersonator: UUID | None = None,
        ttl: timedelta | None = None,
    ) -> tuple[str, datetime]:
        """A token for the customer; with ``impersonator``, an admin's read-only one
        (claim ``imp``: the admin's id), usually with a shorter ``ttl``."""
        expires_at = now + (ttl or self._ttl)
        claims: dict[str, Any] = {
            "sub": str(customer_id),
            "aud": DASHBOARD_AUDIENCE,
            "typ": "dashboard",
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        if impersonator is not None:
            claims["imp"] = str(impersonator)
        return jwt.encode(claims, self._key, algorithm="HS256"), expires_at

    def verify(self, token: str) -> DashboardClaims:
        """What a good token says; else ``Unauthorized`` saying why."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=DASHBOARD_AUDIENCE,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise refusal(token, self._key, DASHBOARD_AUDIENCE, error) from None
        try:
            if claims.get("typ") == "dashboard":
                imp = claims.get("imp")
                return DashboardClaims(UUID(claims["sub"]), UUID(imp) if imp else None)
        except (ValueError, TypeError):
            pass
        raise Unauthorized("invalid", "this token is not one we issued, or was changed")


class JwtDeviceTokens:
    """HS256-signed device tokens: "this browser signed in as this e-mail", for 30 days.

    They carry the e-mail's digest, never the address, and a random id the login throttle
    counts the device's own attempts under (decision 0019). They open nothing by themselves.
    The key is derived from ``HATCHED_SECRET_KEY`` under a label of its own, so a device
    token is never a dashboard token's signature and the reverse.
    """

    def __init__(self, secret_key: str) -> None:
        self._key = AUDIENCES[DEVICE_AUDIENCE].key(secret_key)

    def issue(self, email: str, now: datetime) -> str:
        claims = {
            "sub": digest(email),
            "jti": secrets.token_urlsafe(16),
            "aud": DEVICE_AUDIENCE,
            "typ": "device",
            "iat": int(now.timestamp()),
            "exp": int((now + DEVICE_TTL).timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def read(self, token: str, email: str) -> str | None:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=DEVICE_AUDIENCE,
                options={"require": ["exp", "sub", "aud", "jti"]},
            )
        except jwt.PyJWTError:
            return None
        if claims.get("typ") != "device" or claims.get("sub") != digest(email):
            return None
        return str(claims["jti"])
