"""One error envelope for every failure: ``{"error": {code, message, details?, requestId}}``.

Codes are stable and each maps to one status: ``STATUS_BY_CODE`` is the table of decision
0001, and a test holds the two equal. A code missing from it is never sent: it is logged and
answered as ``500 internal_error``. Never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotFoundException,
    ValidationException,
)

from domain.shared.errors import DomainError, RateLimited
from interfaces.http.request_id import request_id_of

log = logging.getLogger("hatched.http")

STATUS_BY_CODE: dict[str, int] = {
    "bad_request": 400,
    "malformed_json": 400,
    "insufficient_balance": 400,
    "too_many_items": 400,
    "category_conflict": 400,
    "item_not_owned": 400,
    "item_not_equippable": 400,
    "missing_audience": 400,
    "unknown_audience": 400,
    "unknown_plan": 400,
    "invalid_signature": 400,
    "progression_not_spendable": 400,
    "unauthorized": 401,
    "credit_insufficient": 402,
    "event_quota_exceeded": 402,
    "plan_feature_locked": 402,
    "forbidden": 403,
    "publishable_key_scope": 403,
    "capability_disabled": 403,
    "insufficient_scope": 403,
    "requirements_not_met": 403,
    "upload_content_type_mismatch": 403,
    "resource_not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "no_published_config": 409,
    "active_egg_limit": 409,
    "invalid_state_transition": 409,
    "config_version_mismatch": 409,
    "idempotency_key_conflict": 409,
    "item_already_owned": 409,
    "out_of_stock": 409,
    "evolution_not_ready": 409,
    "max_stage_reached": 409,
    "event_type_in_use": 409,
    "audience_in_use": 409,
    "subscription_active": 409,
    "no_billing_customer": 409,
    "last_super_admin": 409,
    "claw_back_exceeds_balance": 409,
    "nothing_to_refund": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "validation_failed": 422,
    "event_type_not_registered": 422,
    "unsafe_svg": 422,
    "invalid_image": 422,
    "rate_limited": 429,
    "internal_error": 500,
    "billing_provider_error": 502,
    "service_unavailable": 503,
    "billing_not_configured": 503,
}

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "resource_not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(
    request: Request[Any, Any, Any],
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    status = STATUS_BY_CODE.get(code)
    if status is None:
        log.error("refusing to answer the undocumented error code %r (%s)", code, message)
        code, message, details, status = "internal_error", "an unexpected error occurred", None, 500
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    body["requestId"] = request_id_of(request.scope)
    return Response(
        {"error": body},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return error_response(request, exc.code, exc.message, exc.details, headers)


def on_http_exception(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[dict[str, Any]]:
    if isinstance(exc, ValidationException):
        return error_response(
            request, "validation_failed", "request parameters are invalid", _validation_details(exc)
        )
    if isinstance(exc, NotFoundException):
        return error_response(request, "resource_not_found", "no such route or resource")
    if isinstance(exc, InternalServerException) and exc.detail == CLIENT_GONE:
        return on_client_gone(request)
    code = _CODE_BY_STATUS.get(exc.status_code)
    if code is None:
        return on_unexpected(request, exc)
    messages = {
        "method_not_allowed": f"method {request.method} is not allowed on this route",
        "payload_too_large": "request body is larger than the server accepts",
    }
    details = {"reason": "invalid"} if code == "unauthorized" else None  # decision 0029
    return error_response(
        request, code, messages.get(code, str(exc.detail)), details, headers=exc.headers or None
    )


CLIENT_GONE = "client disconnected prematurely"
"""What Litestar raises when the client hangs up before its request body has arrived."""


def on_client_gone(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """A client that hung up mid-request is no fault of the server: one warning line, not an
    error with a traceback (rendering one cost the API process tens of milliseconds each,
    for every connection a load generator closed at the end of a run). The answer reaches
    nobody; it is still the ``internal_error`` envelope, so the access line shows a 500."""
    log.warning(
        "client disconnected before its request body arrived on %s %s (request %s)",
        request.method,
        request.url.path,
        request_id_of(request.scope),
    )
    return error_response(request, "internal_error", "the client disconnected")


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error(
        "unhandled error on %s %s (request %s)",
        request.method,
        request.url.path,
        request_id_of(request.scope),
        exc_info=exc,
    )
    return error_response(request, "internal_error", "an unexpected error occurred")


def _validation_details(exc: ValidationException) -> dict[str, Any]:
    fields = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            fields.append(
                {"field": str(item.get("key", "")), "reason": str(item.get("message", ""))}
            )
    return {"fields": fields}


EXCEPTION_HANDLERS = {
    DomainError: on_domain_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
