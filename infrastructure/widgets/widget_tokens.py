"""Widget session and embed tokens: HS256 JWTs, one pinned algorithm, their own key.

The signing key is derived from ``HATCHED_SECRET_KEY`` with HMAC under a fixed label, so a
widget token and a dashboard token never share a key, on top of their distinct ``aud``
(``hatched:widget``) and ``typ`` claims. Only HS256 is accepted: ``alg: none`` and any other
algorithm (the classic confusion attacks) fail signature verification before a claim is read.

Expiry is *not* judged here: the application compares ``exp`` with its own clock, so a
revoked-and-expired session can be told apart and tests can move time.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import jwt

from domain.shared.errors import DomainError, Unauthorized
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import MODES, Tenant
from domain.widgets.widget_session import WIDGET_SCOPES, WidgetGrant
from infrastructure.shared.signed_tokens import ALGORITHM, AUDIENCES, WIDGET_AUDIENCE, refusal

ISSUER = "hatched"
TOKEN_TYPES = ("widget_session", "embed")
_REQUIRED = ["iss", "aud", "typ", "sub", "cus", "mode", "uid", "scp", "iat", "exp"]


def widget_signing_key(secret_key: str) -> bytes:
    key = AUDIENCES[WIDGET_AUDIENCE].key(secret_key)
    assert isinstance(key, bytes)
    return key


class JwtWidgetTokens:
    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key
        self._key = widget_signing_key(secret_key)

    def issue(self, grant: WidgetGrant, issued_at: datetime) -> str:
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": WIDGET_AUDIENCE,
            "typ": grant.kind,
            "sub": public_id("buddy", grant.buddy_id),
            "cus": grant.tenant.customer_id.hex,
            "mode": grant.tenant.mode,
            "uid": grant.user_id,
            "scp": list(grant.scopes),
            "iat": int(issued_at.timestamp()),
            "exp": int(grant.expires_at.timestamp()),
            "jti": secrets.token_hex(8),
        }
        if grant.session_id is not None:
            claims["sid"] = grant.session_id.hex
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def read(self, token: str) -> WidgetGrant:
        """The grant a token we signed carries (expired or not); else ``Unauthorized``."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=WIDGET_AUDIENCE,
                issuer=ISSUER,
                options={"require": _REQUIRED, "verify_exp": False},
            )
            grant = _grant(claims)
        except jwt.PyJWTError as error:
            raise refusal(token, self._secret_key, WIDGET_AUDIENCE, error) from None
        except (DomainError, ValueError, TypeError, KeyError):
            grant = None
        if grant is None:
            raise Unauthorized("invalid", "the widget token is invalid")
        return grant


def _grant(claims: dict[str, Any]) -> WidgetGrant | None:
    kind, mode, scopes = claims["typ"], claims["mode"], claims["scp"]
    if kind not in TOKEN_TYPES or mode not in MODES or not isinstance(claims["uid"], str):
        return None
    if not isinstance(scopes, list) or not all(s in WIDGET_SCOPES for s in scopes):
        return None
    if not isinstance(claims["exp"], int) or not isinstance(claims["iat"], int):
        return None
    session = claims.get("sid")
    if (kind == "widget_session") != isinstance(session, str):
        return None
    return WidgetGrant(
        kind=kind,
        tenant=Tenant(UUID(hex=claims["cus"]), mode),
        buddy_id=parse_public_id("buddy", claims["sub"]),
        user_id=claims["uid"],
        scopes=tuple(scopes),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        session_id=UUID(hex=session) if isinstance(session, str) else None,
    )
