"""One access line per request, and the request metrics, from around the whole app.

Like ``RequestIdMiddleware`` (which wraps this one, so the id is known), it is an ASGI wrapper
rather than a route middleware, so the router's own 404s and 405s are counted too. The line
(logger ``hatched.access``, at info) carries ``request_id``, ``method``, ``route`` (the
template, ``/api/v1/eggs/{egg_id}``, never the path: ids stay out of metric labels and
upload tokens, which travel in a path, out of the logs), ``status``,
``duration_ms`` and, once the edge resolved a credential, the tenant (``customer_id``,
``mode``). Uvicorn's own access log is off (``hatched serve``). Every other line logged while
the request is served carries its ``request_id`` too (structlog's context variables).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from structlog.contextvars import bound_contextvars

from application.accounts.principal import Principal
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant
from domain.widgets.widget_session import WidgetGrant
from interfaces.http.auth import PRINCIPAL_STATE
from interfaces.http.request_id import request_id_of
from interfaces.http.widget_auth import WIDGET_STATE

log = logging.getLogger("hatched.access")

UNMATCHED = "unmatched"
"""The route of a request no route matched (a 404 of the router): one label for them all."""
_PARAMETER_TYPE = re.compile(r"\{(\w+):[^}]*\}")

Observe = Callable[[str, str, int, float], None]


class AccessLogMiddleware:
    def __init__(self, app: Any, observe: Observe) -> None:
        """``observe(route, method, status, seconds)`` is told of every answered request."""
        self.app = app
        self._observe = observe

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        request_id = request_id_of(scope)
        try:
            with bound_contextvars(request_id=request_id):
                await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            method = str(scope.get("method", ""))
            self._observe(route, method, status, seconds)
            log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    **tenant_of(scope),
                },
            )


def route_of(scope: MutableMapping[str, Any]) -> str:
    """The template of the route that answered (parameter types dropped), or ``unmatched``."""
    template = scope.get("path_template")
    if not template:
        return UNMATCHED
    return _PARAMETER_TYPE.sub(r"{\1}", str(template))


def tenant_of(scope: MutableMapping[str, Any]) -> dict[str, str]:
    """The tenant the edge resolved for this request, when it resolved one."""
    state = scope.get("state") or {}
    principal = state.get(PRINCIPAL_STATE)
    grant = state.get(WIDGET_STATE)
    tenant: Tenant | None = None
    if isinstance(principal, Principal):
        tenant = principal.tenant
    elif isinstance(grant, WidgetGrant):
        tenant = grant.tenant
    if tenant is None:
        return {}
    return {"customer_id": public_id("customer", tenant.customer_id), "mode": str(tenant.mode)}
