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

from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
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

    A list of what one thing owns (a buddy's unlocks or purchases, a decay rule's decays) is
    ``page_of`` that owner, which the route has found in the caller's tenant first: another
    tenant's id is a 404 before any row is read.
    """

    view: str
    """The projection to wait for (its ``name``)."""
    table: str
    order_by: tuple[tuple[str, bool], ...]
    render: Callable[[dict[str, Any]], T]
    owner: str = "buddy_id"
    """The column naming the owner ``page_of`` lists the rows of."""
    rows_of: Rows | None = None
    """A query of its own (a join), instead of ``table``'s rows."""

    def page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        views: ViewStore,
        filters: dict[str, Any],
        cursor: str | None,
        limit: int | None,
    ) -> Page[T]:
        read_your_writes(request, self.view)
        where = {"customer_id": tenant.customer_id.hex, "mode": tenant.mode, **filters}
        order, render = self.order_by, self.render
        return page(views, self.table, where, order, cursor, limit, render, self.rows_of)

    def page_of(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        views: ViewStore,
        owner: UUID | str,
        cursor: str | None,
        limit: int | None,
    ) -> Page[T]:
        """The rows of ``owner`` (its UUID, or its key), found in ``tenant`` by the caller."""
        key = owner.hex if isinstance(owner, UUID) else owner
        return self.page(request, tenant, views, {self.owner: key}, cursor, limit)
