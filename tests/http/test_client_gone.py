"""A client that hangs up before its request body arrives is a warning line, not an error."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import register_account
from tests.http.asgi import call_app, http_scope


def test_a_client_gone_before_its_body_is_one_warning_without_a_traceback(
    client: TestClient,  # type: ignore[type-arg]
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = register_account(client)
    ((name, value),) = account.headers().items()
    scope = http_scope(
        "POST",
        "/api/v1/events",
        [
            (name.lower().encode(), value.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"64"),
        ],
    )

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    caplog.set_level(logging.INFO, logger="hatched")
    sent = call_app(client, scope, receive)

    started = next(m for m in sent if m["type"] == "http.response.start")
    assert started["status"] == 500
    gone = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert [(r.levelno, r.exc_info) for r in gone] == [(logging.WARNING, None)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
