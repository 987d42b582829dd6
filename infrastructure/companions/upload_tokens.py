"""Upload URL tokens: HS256 JWTs naming the tenant, the upload id, the content type and the
expiry. The audience is checked, so no other token this service signs (dashboard, widget)
can be used as an upload URL, and only HS256 is accepted."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import jwt

from domain.companions.stage_art import UploadGrant
from domain.shared.errors import Unauthorized
from domain.shared.tenancy import MODES, Tenant
from infrastructure.shared.signed_tokens import UPLOAD_AUDIENCE, refusal


class JwtUploadTokens:
    def __init__(self, secret_key: str) -> None:
        self._key = secret_key

    def issue(self, grant: UploadGrant) -> str:
        claims = {
            "aud": UPLOAD_AUDIENCE,
            "sub": grant.tenant.customer_id.hex,
            "mode": grant.tenant.mode,
            "upl": grant.upload_id.hex,
            "ct": grant.content_type,
            "exp": int(grant.expires_at.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str, now: datetime) -> UploadGrant:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=UPLOAD_AUDIENCE,
                options={"require": ["exp", "aud", "sub"], "verify_exp": False},
            )
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
            mode = claims["mode"]
            if mode not in MODES:
                raise ValueError(mode)
            grant = UploadGrant(
                tenant=Tenant(UUID(hex=claims["sub"]), mode),
                upload_id=UUID(hex=claims["upl"]),
                content_type=str(claims["ct"]),
                expires_at=expires_at,
            )
        except jwt.PyJWTError as error:
            raise refusal(token, self._key, UPLOAD_AUDIENCE, error) from None
        except (KeyError, ValueError, TypeError):
            raise Unauthorized("invalid", "this upload URL is not one we issued") from None
        if grant.expires_at <= now:
            raise Unauthorized(
                "expired",
                "this upload URL has expired; ask for a new one (POST /stage-assets/upload-url)",
                {"expired_at": grant.expires_at.isoformat()},
            )
        return grant
