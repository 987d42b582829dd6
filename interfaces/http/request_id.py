"""``X-Request-Id`` on every response, including the router's own 404s and 405s.

It wraps the whole ASGI app (not a route middleware) so that no response escapes it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]

HEADER = b"x-request-id"
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_of(scope: Any) -> str:
    return str(scope.get("state", {}).get("request_id", ""))


def correlation_of(request: Any) -> str | None:
    """The request's id as the correlation id a use case records with the facts it causes,
    so the webhooks those facts become carry it (decision 0031)."""
    return request_id_of(request.scope) or None


class RequestIdMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming(scope) or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        encoded = request_id.encode()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                headers.append((HEADER, encoded))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == HEADER:
            text = value.decode("latin-1")
            return text if _SAFE.match(text) else None
    return None
