"""The address a request came from, as the per-address rate limits count it.

It is the connection's peer. Behind a reverse proxy that is the proxy, unless the server
trusts its ``X-Forwarded-For``: uvicorn (``hatched serve``) does for proxies listed in
``FORWARDED_ALLOW_IPS`` (default ``127.0.0.1``), and then puts the client's address here.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

UNKNOWN = "unknown"
"""Counted as one address: a server that cannot tell callers apart limits them together."""


def client_address(request: Request[Any, Any, Any]) -> str:
    client = request.client
    return client.host if client and client.host else UNKNOWN
