"""``/buddies/{id}/timeline`` and ``/buddies/{id}/evolutions``: a buddy's history, from its
event streams (``application/history/history.py``)."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from application.history.history import CURSOR_WIDTH, TimelineEntry, parse_kinds
from domain.shared.ids import public_id
from interfaces.http.auth import PUBLISHABLE_OK, Caller, container_of
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import check_limit, decode_cursor, encode_cursor
from projections.companions.operations import OperationsView

_STREAM_IDS = {"egg": "egg", "buddy": "buddy", "operation": "operation"}


def timeline_entry_view(entry: TimelineEntry, buddy_id: str) -> dict[str, Any]:
    kind = _STREAM_IDS.get(entry.stream)
    return {
        "type": entry.type,
        "kind": entry.kind,
        "occurred_at": entry.occurred_at,
        "recorded_at": entry.recorded_at,
        "data": entry.data,
        "causation": entry.causation,
        "source": {
            "stream": entry.stream,
            # The wallet has no public id of its own: it is the buddy's.
            "id": public_id(kind, entry.stream_id) if kind else buddy_id,
            "version": entry.version,
        },
    }


class BuddyHistoryController(Controller):
    path = "/buddies"
    tags = ["buddies"]

    @get(
        "/{buddy_id:str}/timeline",
        sync_to_thread=True,
        summary="Every event of the buddy, its wallet, egg and operations, with causation",
    )
    def timeline(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        order: FromQuery[Literal["asc", "desc"]] = "asc",
        kind: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> dict[str, Any]:
        size = check_limit(limit)
        kinds = parse_kinds(kind)
        after = decode_cursor(cursor, CURSOR_WIDTH)
        read_your_writes(request, OperationsView.name)
        page = container_of(request).history.timeline(
            principal.tenant, buddy_id, order=order, kinds=kinds, after=after, limit=size
        )
        return {
            "buddy_id": buddy_id,
            "data": [timeline_entry_view(e, buddy_id) for e in page.entries],
            "next_cursor": encode_cursor(page.next_position) if page.next_position else None,
        }

    @get(
        "/{buddy_id:str}/evolutions",
        sync_to_thread=True,
        opt=PUBLISHABLE_OK,
        summary="Stage transition timeline: hatched at stage 1, then every evolution",
    )
    def evolutions(
        self, request: Request[Any, Any, Any], principal: Caller, buddy_id: FromPath[str]
    ) -> dict[str, Any]:
        stage, transitions = container_of(request).history.evolutions(principal.tenant, buddy_id)
        return {"buddy_id": buddy_id, "evolution_stage": stage, "data": transitions}
