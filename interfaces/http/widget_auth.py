"""The widget API's own credential: a widget session or embed token, never an API key.

Every ``/widget/*`` route declares ``widget: WidgetCaller``. The dependency reads the Bearer
token and has ``Widgets.authenticate`` check it on every call — signature and algorithm,
audience and type, expiry, and for a session its record (revoked?) — yielding a
``WidgetGrant`` bound to one tenant and one buddy; each route then asks the grant for its
scope. A credential that is not valid is ``401 unauthorized`` with ``details.reason``
(decision 0029); a valid API key of ours, or a dashboard token, is ``403 forbidden`` with
``details.reason: wrong_audience`` (decision 0046). The ``principal`` dependency of every
other route knows only API keys and dashboard tokens, so a widget token anywhere else is
``403`` too, and a widget principal never reaches a non-widget route.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency, Provide

from application.accounts.accounts import PUBLISHABLE_PREFIX, SECRET_PREFIXES
from domain.shared.errors import Unauthorized, WrongCredential
from domain.widgets.widget_session import WidgetGrant
from interfaces.http.auth import container_of
from interfaces.http.browser_cors import BrowserCors

WIDGET_STATE = "hatched_widget_grant"


def provide_widget(request: Request[Any, Any, Any]) -> WidgetGrant:
    """The grant the edge (``edge_policy.py``) resolved before the body was read; resolved
    here only if that hook had been switched off."""
    resolved = request.state.get(WIDGET_STATE)
    return resolved if isinstance(resolved, WidgetGrant) else resolve_widget(request)


def resolve_widget(request: Request[Any, Any, Any]) -> WidgetGrant:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing", "send a widget token as 'Authorization: Bearer <token>'")
    token = token.strip()
    if token.startswith((*SECRET_PREFIXES.values(), PUBLISHABLE_PREFIX)):
        container_of(request).accounts.authenticate(token, None)  # ours, and still active?
        raise WrongCredential(
            "an API key does not open the widget API: mint a widget session "
            "(POST /api/v1/widget-sessions) or an embed token (POST /api/v1/embed-tokens)",
        )
    return container_of(request).widgets.authenticate(token)


WIDGET_DEPENDENCIES = {"widget": Provide(provide_widget, sync_to_thread=False)}
WidgetCaller = NamedDependency[WidgetGrant]
"""Declare ``widget: WidgetCaller`` in a ``/widget/*`` handler to receive the verified grant."""


class WidgetRoutes(Controller):
    """What every ``/widget/*`` controller shares: the path, the tag, the grant dependency
    and the browser's CORS; a controller of widget routes subclasses it."""

    path = "/widget"
    tags = ["widget API"]
    dependencies = WIDGET_DEPENDENCIES
    middleware = [BrowserCors]
