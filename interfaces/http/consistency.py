"""Read-your-writes for the routes that answer from views.

A list route first waits, bounded, until its views have applied every write recorded so
far. When the bound runs out it answers anyway, from the view as it is, and says how far
behind that view was: ``X-Hatched-View-Lag: <events behind>`` (notification ids between
the slowest view and the log's head; ids can have gaps, so it is an upper bound).

A *guard* — a write allowed or refused by what a view holds (an audience still in use) —
cannot answer from a view that is behind: ``caught_up`` refuses with ``503
service_unavailable`` instead (retry in a moment), and the write does not happen.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from domain.shared.errors import DomainError
from interfaces.http.auth import container_of

VIEW_LAG_HEADER = "X-Hatched-View-Lag"
_LAG_KEY = "hatched_view_lag"


def read_your_writes(request: Request[Any, Any, Any], *views: str) -> None:
    """Wait for ``views`` to reach the log's head; if they do not in time, note the lag."""
    container = container_of(request)
    if container.wait_for_views(*views):
        return
    lag = container.views.lag(views, container.store.head())
    if lag > 0:
        request.scope["state"][_LAG_KEY] = lag


def caught_up(request: Request[Any, Any, Any], *views: str) -> None:
    """Wait for ``views`` to reach the log's head; if they do not in time, refuse (503)."""
    container = container_of(request)
    if container.wait_for_views(*views):
        return
    lag = container.views.lag(views, container.store.head())
    if lag > 0:
        raise DomainError(
            "service_unavailable",
            "the views this check reads are behind the latest writes; retry in a moment",
            {"views": list(views), "lag": lag},
        )


async def add_view_lag_header(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook putting the lag noted by ``read_your_writes`` on the response."""
    lag = scope.get("state", {}).get(_LAG_KEY)
    if message["type"] == "http.response.start" and lag is not None:
        MutableScopeHeaders.from_message(message).add(VIEW_LAG_HEADER, str(lag))
