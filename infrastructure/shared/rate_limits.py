"""Rate limits: named quotas of sliding windows, counted in Redis or in this process.

One ``RateLimiter`` serves every limit the API has. A *quota* is a name bound to one or more
windows in the ``limits`` notation (``"10/minute;100/day"``); a *key* is what one quota
counts (a client address, an e-mail's digest, later an API key's hash). ``hit`` counts one
request if every window of the quota has room for the key, and answers with an
``Allowance``: allowed or not, and the binding window's limit, remaining requests and
seconds to reset — what a 429's ``Retry-After`` and ``X-RateLimit-*`` headers carry, so a
per-key API limit is one more quota here, not a second limiter.

If the store cannot be reached the request is let through uncounted, logged and counted in
the metrics (fail open, decision 0039): a Redis outage must not take the whole API down.

Counters live in Redis when ``HATCHED_REDIS_URL`` is set (every API process shares them;
keys under ``<HATCHED_REDIS_NAMESPACE>:limits``), else in this process's memory (the
embedded default is one process). The strategy is the library's sliding window counter:
two counters per window and key, whatever the limit, approximating the sliding windows the
product's docs describe.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter

from application.shared.ports import Allowance

log = logging.getLogger("hatched.rate_limits")


class RateLimiter:
    def __init__(
        self, quotas: Mapping[str, str], redis_url: str | None = None, namespace: str = "hatched"
    ) -> None:
        self.windows = dict(quotas)
        """Each quota's windows as configured, in the ``limits`` notation."""
        self._quotas: dict[str, list[RateLimitItem]] = {
            name: sorted(parse_many(windows), key=lambda item: item.get_expiry())
            for name, windows in quotas.items()
        }
        storage: Storage = (
            RedisStorage(redis_url, key_prefix=f"{namespace}:limits", wrap_exceptions=True)
            if redis_url
            else MemoryStorage()
        )
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._unavailable: list[Callable[[], None]] = []

    def on_unavailable(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` for every request let through because the store was down."""
        self._unavailable.append(listener)

    def hit(self, quota: str, key: str) -> Allowance:
        """Count one request against every window of ``quota``, shortest first, stopping at
        the first that is full: a request refused by the minute window does not use up the
        day's. (A refused window never counts the request.)"""
        windows = self._quotas[quota]
        try:
            for window in windows:
                if not self._limiter.hit(window, quota, key):
                    return self._allowance(False, window, quota, key)
            return min(
                (self._allowance(True, window, quota, key) for window in windows),
                key=lambda allowance: allowance.remaining,
            )
        except StorageError as error:
            return self._let_through(quota, windows[0], error)

    def _let_through(self, quota: str, window: RateLimitItem, error: StorageError) -> Allowance:
        """Fail open (decision 0039): an unreachable store must not take the API down with
        it. The request goes on uncounted; the outage is logged and counted."""
        log.warning(
            "rate limits unavailable: request let through uncounted",
            extra={"quota": quota, "error": str(error)},
        )
        for listener in self._unavailable:
            listener()
        return Allowance(
            allowed=True,
            limit=window.amount,
            remaining=window.amount,
            reset_seconds=window.get_expiry(),
        )

    def _allowance(self, allowed: bool, window: RateLimitItem, quota: str, key: str) -> Allowance:
        reset_at, remaining = self._limiter.get_window_stats(window, quota, key)
        return Allowance(
            allowed=allowed,
            limit=window.amount,
            remaining=remaining,
            reset_seconds=max(1, math.ceil(reset_at - time.time())),
        )
