"""Clients on an app built with chosen settings, whose requests come from chosen addresses.

The per-address rate limits count the connection's peer; a test client has one peer
(``testclient``), so ``PeerFromHeader`` lets a test say which address each request is from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from interfaces.container import Container, build_container
from interfaces.http.app import create_app

PEER_HEADER = b"x-test-peer"


class PeerFromHeader:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == PEER_HEADER:
                    scope = {**scope, "client": (value.decode(), 50000)}
        await self.app(scope, receive, send)


def peer(address: str) -> dict[str, str]:
    return {PEER_HEADER.decode(): address}


@contextmanager
def app_client(settings: Settings, **changes: Any) -> Iterator[tuple[TestClient, Container]]:  # type: ignore[type-arg]
    container = build_container(dataclasses.replace(settings, **changes))
    with TestClient(PeerFromHeader(create_app(container))) as client:  # type: ignore[arg-type]
        yield client, container
    container.close()
