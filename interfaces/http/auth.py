"""Bearer credentials → the calling ``Principal``, injected as the ``principal`` dependency.

The edge (``edge_policy.py``) resolves it before the body is read, so a request without a
good credential is ``401`` whatever its body; the dependency hands that principal over.

Each route declares the credentials it accepts with ``access=`` (``routing.py``): a dashboard
token only, a publishable key too, or (the default kind) a secret key or a dashboard token.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from application.accounts.principal import Principal
from domain.shared.errors import Unauthorized
from interfaces.container import Container
from interfaces.http.request_id import request_id_of
from interfaces.http.routing import Access

PRINCIPAL_STATE = "hatched_principal"


def container_of(request: Request[Any, Any, Any]) -> Container:
    container: Container = request.app.state.container
    return container


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The principal the edge resolved before the body was read (``edge_policy.py``, on every
    route: a test checks it); resolved here only if that hook had been switched off."""
    resolved = request.state.get(PRINCIPAL_STATE)
    return resolved if isinstance(resolved, Principal) else resolve_principal(request)


def resolve_principal(request: Request[Any, Any, Any]) -> Principal:
    """The Bearer credential's principal, if the route accepts its kind; else 401/403."""
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthorized("missing", "send a credential as 'Authorization: Bearer <key>'")
    principal = container_of(request).accounts.authenticate(
        credential.strip(), request.headers.get("x-hatched-mode")
    )
    if principal.impersonator is not None:  # an admin's read-only look: recorded, every use
        container_of(request).admin_customers.impersonation_used(
            principal, request.method, request.url.path, request_id_of(request.scope) or None
        )
    access = request.route_handler.opt.get("access")
    if access is Access.DASHBOARD:
        principal.require_dashboard()
    elif access is not Access.READABLE:
        principal.require_secret()
    return principal


Caller = NamedDependency[Principal]
"""Declare ``principal: Caller`` in a handler to receive the authenticated principal."""
