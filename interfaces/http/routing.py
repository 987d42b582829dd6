"""Route declarations: who may call a route, what it takes, and every error it can answer.

Every handler is declared with ``get``/``post``/``put``/``patch``/``delete`` from here
instead of Litestar's own. One declaration says, once, what both the server and the OpenAPI
document need:

* ``access``: the credential kinds the route accepts (``Access``). The ``principal``
  dependency enforces it; the document lists it as the operation's ``security``
  (``securitySchemes`` in ``SECURITY_SCHEMES``). A public route says so: ``security: [{}]``.
* ``body``: the request Struct, decoded strictly (``StrictBody``).
* ``feature``: the plan feature the route needs (``domain/accounts/plans.py``): the edge
  refuses it with ``402 plan_feature_locked`` below the plan that includes it, ``403
  capability_disabled`` when the customer switched it off (decision 0039).
* ``limit``: the rate-limit bucket the route counts in (``Limit``; by default the one its
  credential's kind takes), or ``Limit.NONE``; every counted route can answer ``429``.
* ``errors``: the codes the handler itself can refuse with. The codes every route of its kind
  can answer (401 for a credential, 404 for an id in the path, 400/413/415/422 for a body,
  500) are added here, so each operation in the document lists every status it can return,
  each with the one error envelope and the codes it may carry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import litestar
import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation, SecurityScheme

from domain.accounts.plans import FEATURES
from domain.shared.errors import UNAUTHORIZED_REASONS
from interfaces.http.body import StrictBody
from interfaces.http.errors import STATUS_BY_CODE


class ErrorBody(msgspec.Struct, kw_only=True):
    code: str
    message: str
    details: dict[str, Any] | None = None
    request_id: str = msgspec.field(name="requestId")


class ErrorEnvelope(msgspec.Struct):
    """Every error the API answers: ``{"error": {code, message, details?, requestId}}``."""

    error: ErrorBody


SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    "secretKey": SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="hatch_live_… / hatch_test_…",
        description="A secret API key (POST /auth/api-keys); for the customer's servers only.",
    ),
    "dashboardToken": SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="A dashboard token from /auth/register or /auth/login; acts on live data "
        "unless the request sends X-Hatched-Mode: test.",
    ),
    "publishableKey": SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="hatch_pk_…",
        description="A publishable key: reads buddies, operations and the published catalogue, "
        "and mints embed tokens.",
    ),
    "adminToken": SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="An admin token from POST /admin/auth/login: the operator API "
        "(/admin/*) only, never a customer route; customer credentials never open it.",
    ),
    "widgetToken": SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="A widget session token (POST /widget-sessions) or an embed token "
        "(POST /embed-tokens), for one buddy, in the browser.",
    ),
}


class Access(Enum):
    """Which credentials a route accepts (each value: its security schemes, in order)."""

    SECRET = ("secretKey", "dashboardToken")
    READABLE = ("secretKey", "dashboardToken", "publishableKey")
    DASHBOARD = ("dashboardToken",)
    WIDGET = ("widgetToken",)
    ADMIN = ("adminToken",)
    PUBLIC = ()

    @property
    def security(self) -> list[dict[str, list[str]]]:
        return [{scheme: []} for scheme in self.value] or [{}]

    @property
    def refusals(self) -> tuple[str, ...]:
        """What the credential check itself can answer."""
        return {
            Access.SECRET: ("unauthorized", "forbidden", "publishable_key_scope"),
            Access.READABLE: ("unauthorized", "forbidden"),
            Access.DASHBOARD: ("unauthorized", "forbidden"),
            Access.WIDGET: ("unauthorized", "forbidden", "insufficient_scope"),
            Access.ADMIN: ("unauthorized", "forbidden"),
            Access.PUBLIC: (),
        }[self]


class Limit(Enum):
    """Which rate-limit bucket a request counts in (``interfaces/http/rate_limits.py``)."""

    CREDENTIAL = "credential"
    """The caller's credential's: a secret key's plan bucket, a scoped principal's, a widget
    token's widget bucket; a public route's: unauthenticated, per client address."""
    WIDGET = "widget"
    """The widget bucket (three times the plan's) of the calling key: ``/embed-tokens``."""
    AUTH = "auth"
    """The auth burst bucket, per client address: login, register."""
    NONE = "none"
    """Not counted: health checks, content-addressed pictures."""


BODY_REFUSALS = (
    "malformed_json",
    "payload_too_large",
    "unsupported_media_type",
    "validation_failed",
)
PARAMETER_REFUSALS = ("validation_failed",)
FEATURE_REFUSALS = ("plan_feature_locked", "capability_disabled")
ALWAYS = ("internal_error",)


@dataclass
class EnvelopeOperation(Operation):
    """An operation whose error responses are only the ones declared here.

    Litestar adds a 400 in its own error shape to every handler with parameters; the API
    never answers in that shape (a bad parameter is our 422 ``validation_failed``). Declared
    error responses are recognised by their description, which starts with their status.
    """

    def __post_init__(self) -> None:
        self.responses = {
            status: response
            for status, response in (self.responses or {}).items()
            if status[0] in "23" or getattr(response, "description", "").startswith(f"{status} ")
        }


def error_responses(codes: Iterable[str]) -> dict[int, ResponseSpec]:
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        status = STATUS_BY_CODE.get(code)
        if status is None:
            raise ValueError(f"undocumented error code {code!r}: add it to STATUS_BY_CODE")
        by_status.setdefault(status, []).append(code)
    return {
        status: ResponseSpec(
            data_container=ErrorEnvelope,
            description=f"{status} "
            + ", ".join(f"`{code}`" for code in sorted(found))
            + (UNAUTHORIZED_NOTE if status == 401 else ""),
            generate_examples=False,
        )
        for status, found in sorted(by_status.items())
    }


UNAUTHORIZED_NOTE = "; why is `details.reason`: " + ", ".join(
    f"`{reason}`" for reason in UNAUTHORIZED_REASONS
)
"""Every 401 is ``unauthorized``; its reason says whether to refresh, sign in or give up."""


def _declare(
    decorator: Callable[..., Any],
    path: str,
    *,
    access: Access,
    body: type[msgspec.Struct] | None = None,
    errors: Iterable[str] = (),
    feature: str | None = None,
    limit: Limit = Limit.CREDENTIAL,
    opt: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
    codes = [*access.refusals]
    if feature is not None:
        if feature not in FEATURES:
            raise ValueError(f"unknown plan feature {feature!r}: add it to FEATURES")
        codes += FEATURE_REFUSALS
    if limit is not Limit.NONE:
        codes.append("rate_limited")
    codes += errors
    if body is not None:
        kwargs.update(dto=StrictBody[body], return_dto=None)  # type: ignore[valid-type]
        codes += BODY_REFUSALS
    if "{" in path:
        codes.append("resource_not_found")
    codes += [*PARAMETER_REFUSALS, *ALWAYS]
    documented = tuple(dict.fromkeys(codes))

    def declare(handler_fn: Callable[..., Any]) -> HTTPRouteHandler:
        if not inspect.iscoroutinefunction(handler_fn):
            kwargs.setdefault("sync_to_thread", True)  # a blocking handler runs off the loop
        handler: HTTPRouteHandler = decorator(
            path,
            opt={
                **(opt or {}),
                "access": access,
                "errors": documented,
                "feature": feature,
                "limit": limit,
            },
            security=access.security,
            responses=error_responses(documented),
            operation_class=EnvelopeOperation,
            **kwargs,
        )(handler_fn)
        return handler

    return declare


def get(path: str = "/", **kwargs: Any) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
    return _declare(litestar.get, path, **kwargs)


def post(path: str = "/", **kwargs: Any) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
    return _declare(litestar.post, path, **kwargs)


def put(path: str = "/", **kwargs: Any) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
    return _declare(litestar.put, path, **kwargs)


def patch(path: str = "/", **kwargs: Any) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
    return _declare(litestar.patch, path, **kwargs)


def delete(path: str = "/", **kwargs: Any) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
    return _declare(litestar.delete, path, **kwargs)
