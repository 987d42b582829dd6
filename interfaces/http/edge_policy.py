"""One input policy for every route, run before a handler's parameters or body are read
(decision 0017).

Litestar decodes a handler's body before it resolves the handler's dependencies, so without
this a request with no credential and a bad body was answered about the body: a ``422`` that
describes the schema to anyone, or a ``500`` for a deeply nested one. This hook is the app's
``before_request``: it runs after routing (``404``/``405`` first) and inside the route's own
error handling, so each refusal is the one envelope and the widget routes' CORS headers are on
it. In order:

1. the credential the route takes (its ``principal`` or ``widget`` dependency), resolved once
   and handed to that dependency: ``401``/``403`` before anything is said about the input;
   then the request's rate-limit bucket and the route's plan feature (``plan_limits.py``:
   ``429``, ``402``, ``403``; a refused credential counts in the unauthenticated bucket);
2. path and query parameters a store can hold (``storable.py``): ``422`` naming the parameter;
3. the body, unless the route reads raw bytes (``opt={"raw_body": True}``: the stage-art upload
   URL): a body that is not blank must be labelled ``application/json`` or
   ``application/<something>+json``, in UTF-8 (``415``), and ``json_hygiene`` checks it (depth,
   syntax, duplicate keys, storable strings and numbers). A blank body needs no Content-Type:
   it counts as ``{}`` (decision 0001), a zero-length one included.

The headers a store sees are checked where they are read: ``Idempotency-Key`` must be printable
ASCII (``application/idempotency/idempotency.py``), an unsafe ``X-Request-Id`` is replaced
(``request_id.py``), and a credential is only ever hashed or verified, never queried as text.

Litestar keeps only the closest layer's ``before_request``; a router, controller or handler
declaring its own would switch this off for its routes, which a test forbids.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.utils.scope.state import ScopeState

from domain.shared.errors import DomainError, Unauthorized, WrongCredential
from interfaces.http.admin_auth import ADMIN_STATE, resolve_admin
from interfaces.http.auth import PRINCIPAL_STATE, resolve_principal
from interfaces.http.json_hygiene import check_json_body
from interfaces.http.plan_limits import admit, count_refused
from interfaces.http.routing import Access
from interfaces.http.storable import shown, text_problem
from interfaces.http.widget_auth import WIDGET_STATE, resolve_widget

JSON_MEDIA_TYPES = ("application/json", "application/*+json")
UTF8 = frozenset({"utf-8", "utf8"})
EMPTY_OBJECT = b"{}"
PRINCIPAL_ACCESS = (Access.SECRET, Access.READABLE, Access.DASHBOARD)


async def enforce_edge_policy(request: Request[Any, Any, Any]) -> None:
    await sync_to_thread(_admit_caller, request)  # the handlers' pool: handler_threads.py
    _check_parameters(request)
    if request.route_handler.opt.get("raw_body"):
        return
    body = await request.body()
    if not body.strip():
        _blank_is_empty_object(request)
        return
    _require_json(request)
    check_json_body(body)


def _admit_caller(request: Request[Any, Any, Any]) -> None:
    """Step 1: the credential, then the rate-limit bucket and the plan feature. Each may read
    a store, so all of them run in one trip off the event loop (a trip each cost the API
    process a thread hand-over per step and request)."""
    try:
        _authenticate(request)
    except (Unauthorized, WrongCredential):
        count_refused(request)
        raise
    admit(request)


def _authenticate(request: Request[Any, Any, Any]) -> None:
    """Resolve the credential the handler's signature asks for (dependencies go by name)."""
    wanted = request.route_handler.parsed_fn_signature.parameters
    access = request.route_handler.opt.get("access")
    if "principal" in wanted or access in PRINCIPAL_ACCESS:  # also through a dependency
        request.state[PRINCIPAL_STATE] = resolve_principal(request)
    if "widget" in wanted or access is Access.WIDGET:
        request.state[WIDGET_STATE] = resolve_widget(request)
    if "admin" in wanted or access is Access.ADMIN:
        request.state[ADMIN_STATE] = resolve_admin(request)


def _check_parameters(request: Request[Any, Any, Any]) -> None:
    problems = [
        (where, shown(name), reason)
        for where, name, value in _parameters(request)
        for reason in (text_problem(name), text_problem(value))
        if reason
    ]
    if problems:
        raise DomainError(
            "validation_failed",
            "; ".join(f"{where} parameter {name} {reason}" for where, name, reason in problems),
            {"fields": [{"field": name, "reason": reason} for _, name, reason in problems]},
        )


def _parameters(request: Request[Any, Any, Any]) -> list[tuple[str, str, str]]:
    path = [("path", name, str(value)) for name, value in request.path_params.items()]
    query = [("query", name, value) for name, value in request.query_params.multi_items()]
    return path + query


def _blank_is_empty_object(request: Request[Any, Any, Any]) -> None:
    """Hand a handler that takes a body ``{}`` for a blank one, so its required fields are named
    (decision 0001). Litestar skips decoding a zero-length body and reports a missing ``data``
    parameter instead. The handler reads the body this request object cached, and any other
    request object on this connection the copy in its scope state: both are replaced."""
    if "data" in request.route_handler.parsed_fn_signature.parameters:
        request._body = ScopeState.from_scope(request.scope).body = EMPTY_OBJECT


def _require_json(request: Request[Any, Any, Any]) -> None:
    media_type, options = request.content_type
    is_json = media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
    if is_json and options.get("charset", "utf-8").lower() in UTF8:
        return
    received = request.headers.get("content-type")
    raise DomainError(
        "unsupported_media_type",
        "a request body must be JSON: send it as 'Content-Type: application/json' (UTF-8)"
        + (f", not '{shown(received)}'" if received else ""),
        {"content_type": shown(received) if received else None, "accepted": list(JSON_MEDIA_TYPES)},
    )
