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


def take(limits: RateLimits, quota: str, key: str) -> Allowance:
    """Count one request, or refuse it with ``rate_limited`` (nothing else happens then)."""
    allowance = limits.hit(quota, key)
    if not allowance.allowed:
        raise RateLimited(allowance.reset_seconds)
    return allowance
