"""A raw ASGI request for what the test client cannot send (repeated headers, a client that
hangs up before its body), driven through the test client's own event-loop portal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.testing import TestClient

Message = dict[str, Any]


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "headers": [(b"host", b"testserver"), *headers],
    }


def call_app(
    client: TestClient,  # type: ignore[type-arg]
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[Message]],
) -> list[Message]:
    """Run ``client``'s app on ``scope``; what it sent back, in order."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    client.blocking_portal.call(client.app, scope, receive, send)
    return sent
