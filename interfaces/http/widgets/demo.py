"""``/demo``: a fake customer page (LinguaLeap) with the widget embedded, and its evolve button.

Served when ``Settings.serves_demo`` (``HATCHED_DEMO``; on by default in the embedded,
single-process setup). The page carries a widget session token for the visitor's own demo
buddy — never a secret key. At most ``HATCHED_DEMO_POOL_SIZE`` visitors hold a buddy, and a
client address brings only so many new visitors (429 ``rate_limited``; decision 0019).
"""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.widgets.demo import DemoSite
from domain.shared.errors import NotFound
from infrastructure.shared.settings import Settings
from interfaces.http.accepted import AcceptedOperation, accepted_operation
from interfaces.http.client_address import client_address
from interfaces.http.routing import Access, post
from interfaces.http.widget_auth import WIDGET_DEPENDENCIES, WidgetCaller
from interfaces.widget import demo_template, snippet

VISITOR_COOKIE = "hatched_demo_visitor"
VISITOR = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
VISITOR_DAYS = 30
EVOLVE_REFUSALS = (
    "forbidden",
    "invalid_state_transition",
    "max_stage_reached",
    "evolution_not_ready",
)
"""``forbidden`` for an embed token or one not of the demo tenant (an expired or revoked token
is ``Access.WIDGET``'s own refusal); then what evolving any buddy can refuse
(``Buddies.request_evolve``)."""


def _require_demo(settings: Settings, request: Request[Any, Any, Any]) -> None:
    if not settings.serves_demo:
        raise NotFound("page", request.url.path)


@get("/demo", sync_to_thread=True, include_in_schema=False)
def demo_page(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    demo: NamedDependency[DemoSite],
) -> Response[str]:
    _require_demo(settings, request)
    visitor = request.cookies.get(VISITOR_COOKIE) or ""
    if not VISITOR.match(visitor):
        visitor = secrets.token_urlsafe(18)
    visit = demo.visit(visitor, client_address(request))
    page = (
        demo_template()
        .replace(
            "{{SNIPPET_TEXT}}",
            html.escape(snippet("/widget.js", "data-session-token", "SESSION_TOKEN")),
        )
        .replace("{{SNIPPET}}", snippet("/widget.js", "data-session-token", visit.token))
        .replace("{{BUDDY_ID}}", visit.buddy_id)
    )
    response = Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
    response.set_cookie(
        VISITOR_COOKIE,
        visitor,
        max_age=VISITOR_DAYS * 86400,
        path="/demo",
        httponly=True,
        samesite="lax",
    )
    return response


class DemoController(Controller):
    path = "/demo"
    tags = ["demo"]
    dependencies = WIDGET_DEPENDENCIES

    @post(
        "/buddy/{buddy_id:str}/evolve",
        access=Access.WIDGET,
        errors=EVOLVE_REFUSALS,
        status_code=202,
        summary="Evolve the demo visitor's buddy (demo widget session only)",
    )
    def evolve(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        demo: NamedDependency[DemoSite],
        widget: WidgetCaller,
        buddy_id: FromPath[str],
    ) -> AcceptedOperation:
        _require_demo(settings, request)
        return accepted_operation(demo.evolve(widget, buddy_id))
