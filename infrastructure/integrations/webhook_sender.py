"""Sends one webhook attempt over HTTP with ``httpx``, to an address checked just before.

The URL's host is resolved and every address checked (``infrastructure/integrations/ssrf.py``); the
connection then goes to those checked addresses only: the transport's network backend
ignores the host httpx asks for and dials the pinned address, while the ``Host`` header,
TLS SNI and certificate verification still use the URL's name. Redirects are never
followed (a 3xx is a failed attempt), proxies from the environment are ignored (a proxy
would connect on our behalf, unchecked), and an attempt gives up after ``timeout`` seconds.
Only the first bytes of the answer are read, to show in the delivery log.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any

import httpcore
import httpx

from domain.integrations.webhook_delivery import AttemptResult
from infrastructure.integrations.ssrf import ForbiddenTarget, WebhookUrlGuard

DEFAULT_TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
EXCERPT_CHARS = 512


class _PinnedBackend(httpcore.SyncBackend):
    """Connects to the checked addresses, in order, whatever host it is asked for."""

    def __init__(self, addresses: Sequence[str]) -> None:
        self._addresses = tuple(addresses)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self._addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                failure = error
        raise failure or httpcore.ConnectError("no address to connect to")


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, addresses: Sequence[str], ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx builds its connection pool without a way to pass a network backend; the
        # pool is rebuilt with the same settings and ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=1,
            network_backend=_PinnedBackend(addresses),
        )


class HttpWebhookSender:
    """The ``WebhookSender`` port."""

    def __init__(self, guard: WebhookUrlGuard, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._guard = guard
        self._timeout = timeout

    @cached_property
    def _tls(self) -> ssl.SSLContext:
        """Made once, on the first send: loading the CA bundle takes a good 100 ms."""
        return httpx.create_ssl_context(trust_env=False)

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        started = time.monotonic()
        try:
            target = self._guard.resolve_target(url)
        except ForbiddenTarget as refusal:
            return AttemptResult(error="forbidden_address", response_excerpt=str(refusal))
        except OSError as error:
            return AttemptResult(
                error="dns_failed", duration_ms=_since(started), response_excerpt=str(error)
            )
        try:
            with (
                httpx.Client(
                    transport=_PinnedTransport(target.addresses, self._tls),
                    timeout=self._timeout,
                    follow_redirects=False,
                    trust_env=False,
                ) as client,
                client.stream("POST", url, content=body, headers=headers) as response,
            ):
                excerpt = _excerpt(response, started + self._timeout)
                return AttemptResult(
                    status_code=response.status_code,
                    duration_ms=_since(started),
                    retry_after_seconds=retry_after(response.headers.get("retry-after")),
                    response_excerpt=excerpt,
                )
        except httpx.TimeoutException:
            return _failure("timeout", started, f"no answer within {self._timeout:g} s")
        except httpx.ConnectError as error:
            return _failure("connection_failed", started, str(error))
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
            return _failure("invalid_url", started, str(error))
        except httpx.HTTPError as error:
            return _failure("request_failed", started, f"{type(error).__name__}: {error}")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _excerpt(response: httpx.Response, deadline: float) -> str:
    collected = b""
    for chunk in response.iter_bytes():
        collected += chunk
        if len(collected) >= EXCERPT_BYTES or time.monotonic() > deadline:
            break
    return collected[:EXCERPT_BYTES].decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _failure(error: str, started: float, detail: str) -> AttemptResult:
    return AttemptResult(
        error=error, duration_ms=_since(started), response_excerpt=detail[:EXCERPT_CHARS]
    )
