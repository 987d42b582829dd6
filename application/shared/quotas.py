"""The rate-limit quotas the use cases count against, by name (decision 0019).

The limits themselves are settings; ``interfaces/container.py`` binds each name to its
windows when it builds the limiter.
"""

from __future__ import annotations

from application.shared.ports import Allowance, RateLimits
from domain.shared.errors import RateLimited

AUTH = "auth"
"""Login and register attempts per client address (the product's "auth burst" bucket)."""
LOGIN = "login"
"""Login attempts per e-mail, or per known device for a browser that signed in before."""
DEMO_VISITORS = "demo_visitors"
"""New ``/demo`` visitors per client address."""
SCOPED = "scoped"
"""Every request of a scoped principal: a publishable key, a dashboard token (per key or
customer), a widget token on a route outside the widget API."""
UNAUTHENTICATED = "unauthenticated"
"""Requests to public routes, and requests whose credential was refused, per client address."""


def plan_bucket(plan: str) -> str:
    """Every request of a secret API key, per key: the plan's minute and day windows."""
    return f"plan:{plan}"


def widget_bucket(plan: str) -> str:
    """The widget API and ``/embed-tokens``, per widget session (or key): three times the plan's."""
    return f"widget:{plan}"


def take(limits: RateLimits, quota: str, key: str) -> Allowance:
    """Count one request, or refuse it with ``rate_limited`` (nothing else happens then)."""
    allowance = limits.hit(quota, key)
    if not allowance.allowed:
        raise RateLimited(allowance.reset_seconds)
    return allowance
