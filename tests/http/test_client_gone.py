"""A client that hangs up before its request body arrives is a warning line, not an error."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.container import Container
from tests.conftest import app_for, register_account


def test_a_client_gone_before_its_body_is_one_warning_without_a_traceback(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = register_account(client)
    ((name, value),) = account.headers().items()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/events",
        "raw_path": b"/api/v1/events",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (name.lower().encode(), value.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"64"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    caplog.set_level(logging.INFO, logger="hatched")
    # A thread of its own: the suite's other tests may leave this thread's event loop set.
    call = threading.Thread(target=asyncio.run, args=(app_for(container)(scope, receive, send),))
    call.start()
    call.join(30)

    started = next(m for m in sent if m["type"] == "http.response.start")
    assert started["status"] == 500
    gone = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert [(r.levelno, r.exc_info) for r in gone] == [(logging.WARNING, None)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
