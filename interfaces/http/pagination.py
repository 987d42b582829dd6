"""Cursor pagination over views: ``?limit=&cursor=`` in, ``{data, next_cursor}`` out.

A cursor is the opaque, URL-safe encoding of the last row's sort key; it is only ever
compared, never trusted as anything else, so a forged cursor can at worst skip rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromQuery

from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.auth import Caller
from interfaces.http.consistency import read_your_writes

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T]):
    """One page of a list: its items, and the cursor of the next page (``null`` at the end)."""

    data: list[T]
    next_cursor: str | None


class Listing(msgspec.Struct, Generic[T]):
    """A whole list that is never paged (a catalogue, a tenant's few versions): ``{data}``."""

    data: list[T]


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, width: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        values = None
    if not isinstance(values, list) or len(values) != width:
        raise bad_cursor()
    return values


def bad_cursor() -> DomainError:
    """A cursor that decodes but holds what no page of ours ends with."""
    return DomainError("bad_request", "cursor is not one this API issued", {"field": "cursor"})


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(
            "validation_failed",
            f"limit must be between 1 and {MAX_LIMIT}",
            {"fields": [{"field": "limit", "reason": f"must be between 1 and {MAX_LIMIT}"}]},
        )
    return limit


Rows = Callable[
    [ViewStore, dict[str, Any], Sequence[tuple[str, bool]], list[Any] | None, int],
    list[dict[str, Any]],
]
"""A query of its own for a listing: (views, where, order_by, after the cursor's values, limit)."""


def page(
    views: ViewStore,
    table: str,
    where: dict[str, Any],
    order_by: Sequence[tuple[str, bool]],
    cursor: str | None,
    limit: int | None,
    render: Callable[[dict[str, Any]], T],
    rows_of: Rows | None = None,
) -> Page[T]:
    size = check_limit(limit)
    after = decode_cursor(cursor, len(order_by))
    if after is not None and not views.holds(table, [c for c, _ in order_by], after):
        raise bad_cursor()  # a value no row of ours has: PostgreSQL would refuse to compare it
    if rows_of is None:
        rows = views.rows(table, where, order_by=order_by, after=after, limit=size + 1)
    else:
        rows = rows_of(views, where, order_by, after, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor([rows[-1][c] for c, _ in order_by]) if more and rows else None
    return Page([render(row) for row in rows], next_cursor)


@dataclass(frozen=True)
class TenantListing(Generic[T]):
    """A list route over one view: the caller's own rows, fresh, filtered, a page at a time.

    Every such route does the same before it answers: wait for the view to catch up with
    the caller's writes (``read_your_writes``), keep to the caller's tenant and mode, add the
    route's own filters (``None`` filters nothing), and page in a fixed order.

    A list of what one thing owns (a buddy's unlocks or purchases, a decay rule's decays, a
    webhook's deliveries) is
    ``page_of`` that owner, which the route has found in the caller's tenant first: another
    tenant's id is a 404 before any row is read.
    """

    view: str
    """The projection to wait for (its ``name``)."""
    table: str
    order_by: tuple[tuple[str, bool], ...]
    render: Callable[[dict[str, Any]], T]
    owner: str | None = None
    """The column naming the owner ``page_of`` lists the rows of (a listing of one owner's)."""
    rows_of: Rows | None = None
    """A query of its own (a join), instead of ``table``'s rows."""

    def page(self, paging: Paging, filters: dict[str, Any]) -> Page[T]:
        read_your_writes(paging.request, self.view)
        tenant = paging.tenant
        where = {"customer_id": tenant.customer_id.hex, "mode": tenant.mode, **filters}
        order, render = self.order_by, self.render
        cursor, limit = paging.cursor, paging.limit
        return page(paging.views, self.table, where, order, cursor, limit, render, self.rows_of)

    def page_of(self, paging: Paging, owner: UUID | str, **filters: Any) -> Page[T]:
        """The rows of ``owner`` (its UUID, or its key), which the route found in the
        caller's tenant first, with the route's own ``filters``."""
        assert self.owner is not None, f"{self.table} is not listed by owner"
        key = owner.hex if isinstance(owner, UUID) else owner
        return self.page(paging, {self.owner: key, **filters})


@dataclass(frozen=True)
class Paging:
    """A list request as every list route reads it: the request (to read the caller's own
    writes), the caller's tenant, the views, and ``?cursor=&limit=``. A list route declares
    ``paging: NamedDependency[Paging]`` and hands it to its ``TenantListing``."""

    request: Request[Any, Any, Any]
    tenant: Tenant
    views: ViewStore
    cursor: str | None
    limit: int | None


def provide_paging(
    request: Request[Any, Any, Any],
    principal: Caller,
    views: NamedDependency[ViewStore],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Paging:
    return Paging(request, principal.tenant, views, cursor, limit)
