"""``Idempotency-Key`` on ``POST``/``PUT``/``PATCH``/``DELETE`` (CONTRACT.md, "Idempotency").

A Litestar middleware on every route (it runs after routing, so the router's own 404/405
never reach it, and what it raises goes through the one error envelope). For a mutating
request that carries the header and a valid credential it:

1. resolves the tenant through ``Accounts.authenticate`` (as the ``principal`` dependency
   does); no or a bad credential → the request runs untouched and the route answers 401;
2. validates the key (1 to 255 printable ASCII, else 422 ``validation_failed``);
3. buffers the request body and fingerprints method + path + query + body;
4. asks ``Idempotency.begin``: replay the stored response (with
   ``Idempotency-Replayed: true``), refuse (409), or run the request;
5. buffers the response, and *before* the client sees it keeps it (2xx) or releases the key
   (anything else), so an immediate retry never finds the key still running.

Not covered (the header is ignored): requests without a tenant (``register``, ``login``),
widget-token routes, routes whose response carries a secret shown once (``SECRET_BEARING``:
storing it would put the secret in the event log), and handlers declaring
``opt={"idempotency": False}``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast

import anyio
import anyio.to_thread
from litestar.types import ASGIApp, Scope
from litestar.types import Receive as ASGIReceive
from litestar.types import Send as ASGISend

from application.idempotency.idempotency import (
    Claim,
    Idempotency,
    Replay,
    fingerprint,
    validate_key,
)
from domain.idempotency.idempotency_record import HEADER_NAME
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant

log = logging.getLogger("hatched.http.idempotency")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_HEADER = HEADER_NAME.lower().encode()
REPLAYED_HEADER = (b"idempotency-replayed", b"true")
REPLAYED_HEADERS = frozenset({"content-type", "content-language", "location", "etag"})
"""Response headers a replay carries; per-request ones (request id, rate limits, dates) not."""
SECRET_BEARING = re.compile(
    r"^/api/v1/(?:auth/(?:register|login|api-keys|api-keys/rotate|publishable-keys)"
    r"|webhook-configs(?:/[^/]+/rotate-secret)?|widget-sessions|embed-tokens)/?$"
)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        await self._handle(cast(Message, scope), cast(Receive, receive), cast(Send, send))

    async def _handle(self, scope: Message, receive: Receive, send: Send) -> None:
        app: Any = self.app
        values = _key_values(scope)
        if not values or not _covered(scope):
            await app(scope, receive, send)
            return
        container = scope["litestar_app"].state.container
        tenant = await anyio.to_thread.run_sync(_tenant_of, container, scope)
        if tenant is None:
            await app(scope, receive, send)
            return
        if len(values) > 1:
            raise DomainError(
                "validation_failed",
                f"send one {HEADER_NAME} header, not {len(values)}",
                {"fields": [{"field": HEADER_NAME, "reason": "sent more than once"}]},
            )
        key = validate_key(values[0])
        messages, body = await _read_body(receive, container.settings.max_body_bytes)
        receive = _replaying(messages, receive)
        if body is None:  # too large or the client left: the route refuses it on its own
            await app(scope, receive, send)
            return
        service: Idempotency = container.idempotency
        query = scope.get("query_string", b"").decode("latin-1")
        request_fingerprint = fingerprint(scope["method"], scope["path"], query, body)
        outcome = await anyio.to_thread.run_sync(service.begin, tenant, key, request_fingerprint)
        if isinstance(outcome, Replay):
            await _send_replay(outcome, send)
            return
        await _run_claimed(app, scope, receive, send, service, outcome)


def _key_values(scope: Message) -> list[str]:
    if scope["type"] != "http" or scope["method"] not in MUTATING_METHODS:
        return []
    return [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == KEY_HEADER]


def _covered(scope: Message) -> bool:
    handler = scope.get("route_handler")
    if handler is not None and handler.opt.get("idempotency") is False:
        return False
    return not SECRET_BEARING.match(scope["path"])


def _tenant_of(container: Any, scope: Message) -> Tenant | None:
    """The credential's tenant, resolved as ``provide_principal`` does; ``None`` if there is none."""
    headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    scheme, _, credential = headers.get(b"authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    try:
        principal = container.accounts.authenticate(
            credential.strip(), headers.get(b"x-hatched-mode")
        )
    except DomainError:
        return None
    tenant: Tenant = principal.tenant
    return tenant


async def _read_body(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The request's messages as read, and its body (``None`` beyond ``limit`` or on disconnect)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _send_replay(replay: Replay, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in replay.headers.items()]
    headers += [(b"content-length", str(len(replay.body)).encode()), REPLAYED_HEADER]
    await send({"type": "http.response.start", "status": replay.status, "headers": headers})
    await send({"type": "http.response.body", "body": replay.body, "more_body": False})


async def _run_claimed(
    app: Any, scope: Message, receive: Receive, send: Send, service: Idempotency, claim: Claim
) -> None:
    """Run the request holding ``claim``; keep or release before the response goes out."""
    start: Message | None = None
    chunks: list[bytes] = []
    finished = False

    async def capture(message: Message) -> None:
        nonlocal start, finished
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            finished = not message.get("more_body", False)
        else:
            await send(message)

    try:
        await app(scope, receive, capture)
    except anyio.get_cancelled_exc_class():
        # The handler's thread may still commit: keep the key in flight until its lock runs out.
        log.warning("request cancelled holding idempotency claim %s/%s", *_named(claim))
        raise
    except Exception:
        with anyio.CancelScope(shield=True):
            await _finish(service, claim, None, b"")
        raise
    body = b"".join(chunks)
    with anyio.CancelScope(shield=True):
        await _finish(service, claim, start if finished else None, body)
    if start is None:
        return
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _finish(service: Idempotency, claim: Claim, start: Message | None, body: bytes) -> None:
    """Keep a complete 2xx response; release the key for anything else. Never raises."""
    status = int(start["status"]) if start is not None else 0
    try:
        if 200 <= status < 300 and start is not None:
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1")
                for k, v in start.get("headers", [])
                if k.decode("latin-1").lower() in REPLAYED_HEADERS
            }
            await anyio.to_thread.run_sync(service.complete, claim, status, body, headers)
        else:
            await anyio.to_thread.run_sync(service.release, claim)
    except Exception:
        # The response still goes out (its effects happened); the claim stays in flight
        # until its lock runs out, then the key may be claimed again.
        log.exception("could not finish idempotency claim %s/%s", *_named(claim))


def _named(claim: Claim) -> tuple[str, int]:
    return claim.record_id.hex, claim.number
