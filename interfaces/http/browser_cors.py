"""Cross-origin access for the routes a customer's page calls from the browser.

The widget API and ``POST /embed-tokens`` (publishable keys) are called from the customer's
own origin. Their credentials are Bearer tokens, never cookies, so any origin may call them
(``Access-Control-Allow-Origin: *``, no credentials mode): a page without a token gets
nothing. Preflights are answered here, before routing; every response, errors included,
carries the headers, so the widget can read an error's code cross-origin. Other routes stay
same-origin only.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_METHODS = "GET, POST, DELETE, OPTIONS"
ALLOW_HEADERS = "authorization, content-type, if-none-match, x-request-id"
EXPOSE_HEADERS = "etag, x-request-id, retry-after, x-hatched-view-lag"
MAX_AGE_SECONDS = "600"


class BrowserCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request: Any = scope
        if request["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(request["headers"])
        if request["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await _preflight(send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableScopeHeaders.from_message(message)
                out["Access-Control-Allow-Origin"] = "*"
                out["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def _preflight(send: Any) -> None:
    headers = [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-methods", ALLOW_METHODS.encode()),
        (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
        (b"access-control-max-age", MAX_AGE_SECONDS.encode()),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
