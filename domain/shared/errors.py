"""Domain errors carry a stable, snake_case code that clients branch on.

The HTTP layer maps each code to a status (see ``interfaces/http/errors.py``);
the domain only says *what* went wrong.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused a request. Nothing was changed."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


UNAUTHORIZED_REASONS = (
    "missing",
    "invalid",
    "expired",
    "revoked",
    "invalid_credentials",
)
"""Why a credential was refused (decision 0029): no credential; not one we issued (forged,
tampered, unknown, malformed); past its expiry; revoked; a sign-in with a wrong e-mail or
password. A genuine credential of another kind is not a 401 but ``WrongCredential`` (403,
decision 0046)."""


class Unauthorized(DomainError):
    """401, always the code ``unauthorized`` (SDKs branch on it); why is ``details.reason``,
    one of ``UNAUTHORIZED_REASONS``, so a client knows to refresh an expired token rather
    than sign in again."""

    def __init__(self, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        if reason not in UNAUTHORIZED_REASONS:
            raise ValueError(f"undocumented 401 reason {reason!r}")
        super().__init__("unauthorized", message, {"reason": reason, **(details or {})})
        self.reason = reason


class WrongCredential(DomainError):
    """403 ``forbidden``: a valid credential of ours, of a kind this route does not take (a
    widget or embed token on the customer API, an API key or dashboard token on the widget
    API, a dashboard token as an upload URL). The caller is known; it is not allowed here, so
    refreshing the credential would not help (decision 0046). ``details.reason`` is
    ``wrong_audience``; ``details.audience`` names a token's audience."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__("forbidden", message, {"reason": "wrong_audience", **(details or {})})
        self.reason = "wrong_audience"


class NotFound(DomainError):
    """The thing does not exist for this tenant (other tenants' ids land here too)."""

    def __init__(self, kind: str, public_id: str) -> None:
        super().__init__("resource_not_found", f"{kind} {public_id} was not found")


class InvalidStateTransition(DomainError):
    def __init__(self, kind: str, current: str, wanted: str) -> None:
        super().__init__(
            "invalid_state_transition",
            f"cannot move {kind} from {current} to {wanted}",
            {"current_status": current, "requested_status": wanted},
        )


class RateLimited(DomainError):
    """Too many requests counted against one quota; nothing was done.

    ``retry_after`` is whole seconds (at least 1) until the quota has room again; the HTTP
    layer sends it as ``Retry-After``. No ``details``, like the product's 429.
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "rate_limited", f"Rate limit exceeded. Please retry after {retry_after} seconds."
        )
        self.retry_after = retry_after
