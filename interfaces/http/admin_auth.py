"""The admin API's own credential: an admin token, never a customer's key or token.

Every ``/admin/*`` route but the sign-in declares ``access=Access.ADMIN`` and takes
``admin: AdminAuth``, itself or through a dependency that does (the customer routes'
``CustomerDesk``). The edge (``edge_policy.py``) resolves it before the body is read:
``Admins.authenticate`` checks the signature, the admin audience, the expiry, and that the
admin is still active and has not signed out since (decision 0051). A customer's valid API key
or dashboard token is ``403 forbidden`` with ``details.reason: wrong_audience`` here, as an
admin token is on every customer route (decision 0046); what the admin's role allows is
checked by each use case (``403 forbidden``).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from application.accounts.accounts import PUBLISHABLE_PREFIX, SECRET_PREFIXES
from application.admin.audit import AdminCaller
from domain.shared.errors import Unauthorized, WrongCredential
from interfaces.http.auth import container_of
from interfaces.http.request_id import correlation_of

ADMIN_STATE = "hatched_admin_caller"


def provide_admin(request: Request[Any, Any, Any]) -> AdminCaller:
    resolved = request.state.get(ADMIN_STATE)
    return resolved if isinstance(resolved, AdminCaller) else resolve_admin(request)


def resolve_admin(request: Request[Any, Any, Any]) -> AdminCaller:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing", "send an admin token as 'Authorization: Bearer <token>'")
    token = token.strip()
    if token.startswith((*SECRET_PREFIXES.values(), PUBLISHABLE_PREFIX)):
        container_of(request).accounts.authenticate(token, None)  # ours, and still active?
        raise WrongCredential(
            "an API key does not open the admin API: sign in with POST /api/v1/admin/auth/login"
        )
    return container_of(request).admins.authenticate(token, correlation_of(request))


ADMIN_DEPENDENCIES = {"admin": Provide(provide_admin, sync_to_thread=False)}
AdminAuth = NamedDependency[AdminCaller]
"""Declare ``admin: AdminAuth`` in an ``/admin/*`` handler to receive the verified admin."""
