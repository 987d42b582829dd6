"""Rate-limit buckets, plan features and the usage headers, at the edge (decision 0039).

The edge policy (``edge_policy.py``) calls ``admit`` once the credential is resolved, before
the body is read: the request is counted in its bucket (``429 rate_limited`` with
``Retry-After`` when the bucket is full), then the route's plan feature is checked (``402
plan_feature_locked``, ``403 capability_disabled``). A refused credential is counted in the
unauthenticated bucket of its address (``count_refused``), so guessing keys is paced too.

Buckets (reference §4; the quota names are in ``application/shared/quotas.py``):

* a secret API key: its plan's bucket, per key;
* a publishable key or a dashboard token (scoped principals): ``scoped``, per key or customer;
* the widget API (per widget session, or per embed token's buddy), and ``/widget-sessions``
  and ``/embed-tokens`` (per key or customer): the plan's widget bucket, three times the plan's;
* login and register: ``auth``, per client address (decision 0019's throttle);
* public routes and refused credentials: ``unauthenticated``, per client address.

``HATCHED_API_RATE_LIMITS=false`` switches off every bucket but ``auth``. The headers are
written by the ``before_send`` hook ``add_usage_headers``, on success and refusal alike:
``X-RateLimit-Limit/-Remaining/-Reset`` (the binding window of the request's bucket) and, on
an authenticated request, ``X-Event-Quota-Limit/-Used/-Reset``; on a request with a secret
key or a dashboard token, ``X-Credits-Remaining`` and ``X-Credits-Promo/-Welcome/-Paid-
Remaining`` as they are when the answer leaves (after the job it may have authorised;
decision 0048). Publishable keys and widget tokens live in browsers: they are not told the
account's credits.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from application.accounts.principal import Principal
from application.shared.ports import Allowance
from application.shared.quotas import (
    AUTH,
    SCOPED,
    UNAUTHENTICATED,
    plan_bucket,
    widget_bucket,
)
from domain.accounts.customer import Customer
from domain.accounts.plans import check_feature
from domain.shared.errors import RateLimited, Unauthorized
from domain.widgets.widget_session import WidgetGrant
from interfaces.container import Container
from interfaces.http.auth import PRINCIPAL_STATE, container_of
from interfaces.http.client_address import client_address
from interfaces.http.routing import Limit
from interfaces.http.widget_auth import WIDGET_STATE

ALLOWANCE_STATE = "hatched_rate_allowance"
CUSTOMER_STATE = "hatched_quota_customer"
CREDITS_STATE = "hatched_credits_customer"
CREDIT_HOLDERS = frozenset({"secret_key", "dashboard"})
"""The credentials whose answers carry the account's credit figures."""


def admit(request: Request[Any, Any, Any]) -> None:
    """Count the request in its bucket, then check the route's plan feature."""
    opt = request.route_handler.opt
    limit = opt.get("limit")
    if limit is None:  # not declared through routing.py: the docs, the widget loader
        return
    container = container_of(request)
    principal = request.state.get(PRINCIPAL_STATE)
    widget = request.state.get(WIDGET_STATE)
    customer_id = (
        principal.customer_id
        if isinstance(principal, Principal)
        else widget.tenant.customer_id
        if isinstance(widget, WidgetGrant)
        else None
    )
    customer = container.accounts.entitlements(customer_id) if customer_id else None
    if customer is not None and customer.is_deleted:
        raise Unauthorized("revoked", "this account was closed; its credentials no longer work")
    if customer is not None and container.event_quotas.enabled:
        container.event_quotas.status(customer)  # a figure for the headers, fresh enough
        request.state[CUSTOMER_STATE] = customer
    if isinstance(principal, Principal) and principal.kind in CREDIT_HOLDERS:
        request.state[CREDITS_STATE] = principal.customer_id
    bucket = _bucket(request, limit, principal, widget, customer)
    if bucket is not None and (bucket[0] == AUTH or container.settings.api_rate_limits):
        _count(request, container, *bucket)
    if customer is None:
        return
    feature = opt.get("feature")
    if feature is not None:
        capabilities = customer.settings.get("capabilities") or {}
        check_feature(
            customer.plan,
            capabilities,
            feature,
            container.settings.upgrade_url,
            customer.feature_overrides,
        )


def count_refused(request: Request[Any, Any, Any]) -> None:
    """A refused credential counts in the unauthenticated bucket of its address."""
    container = container_of(request)
    limit = request.route_handler.opt.get("limit")
    if limit is None or limit is Limit.NONE or not container.settings.api_rate_limits:
        return
    _count(request, container, UNAUTHENTICATED, client_address(request))


def _bucket(
    request: Request[Any, Any, Any],
    limit: Limit,
    principal: object,
    widget: object,
    customer: Customer | None,
) -> tuple[str, str] | None:
    """The quota and the key this request counts under, or ``None``."""
    if limit is Limit.NONE:
        return None
    if limit is Limit.AUTH:
        return AUTH, client_address(request)
    if customer is None:
        return UNAUTHENTICATED, client_address(request)
    if isinstance(widget, WidgetGrant):
        key = widget.session_id or widget.buddy_id
        return widget_bucket(customer.plan), f"token:{key.hex}"
    assert isinstance(principal, Principal)
    caller = _caller(principal.key_id, principal.customer_id)
    if limit is Limit.WIDGET:
        return widget_bucket(customer.plan), caller
    if principal.kind == "secret_key":
        return plan_bucket(customer.plan), caller
    return SCOPED, caller


def _caller(key_id: UUID | None, customer_id: UUID) -> str:
    """A key is its own principal; a dashboard token counts for its customer."""
    return f"key:{key_id.hex}" if key_id else f"customer:{customer_id.hex}"


def _count(request: Request[Any, Any, Any], container: Container, quota: str, key: str) -> None:
    allowance = container.rate_limits.hit(quota, key)
    request.state[ALLOWANCE_STATE] = allowance
    if not allowance.allowed:
        raise RateLimited(allowance.reset_seconds)


async def add_usage_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: the rate-limit and event-quota headers of the request."""
    if message["type"] != "http.response.start":
        return
    state = scope.get("state", {})
    allowance = state.get(ALLOWANCE_STATE)
    customer = state.get(CUSTOMER_STATE)
    credits_of = state.get(CREDITS_STATE)
    if allowance is None and customer is None and credits_of is None:
        return
    headers = MutableScopeHeaders.from_message(message)
    if isinstance(allowance, Allowance):
        headers.add("X-RateLimit-Limit", str(allowance.limit))
        headers.add("X-RateLimit-Remaining", str(allowance.remaining))
        headers.add("X-RateLimit-Reset", str(allowance.reset_seconds))
    if isinstance(customer, Customer):
        container: Container = scope["app"].state.container
        status = container.event_quotas.peek(customer)
        if status is not None:
            headers.add("X-Event-Quota-Limit", str(status.limit))
            headers.add("X-Event-Quota-Used", str(status.used))
            headers.add("X-Event-Quota-Reset", status.reset_at.isoformat().replace("+00:00", "Z"))
    if isinstance(credits_of, UUID):
        container = scope["app"].state.container
        balance = container.credits.peek(credits_of)
        if balance is not None:
            headers.add("X-Credits-Remaining", str(balance.total_spendable))
            headers.add("X-Credits-Promo-Remaining", str(balance.promo))
            headers.add("X-Credits-Welcome-Remaining", str(balance.welcome))
            headers.add("X-Credits-Paid-Remaining", str(balance.paid))
