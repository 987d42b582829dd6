"""``/buddies/{id}/timeline`` and ``/buddies/{id}/evolutions``: a buddy's history, from its
event streams (``application/history/history.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from application.history.history import CURSOR_WIDTH, History, TimelineEntry, parse_kinds
from domain.shared.ids import public_id
from interfaces.http.auth import Caller
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Paging, check_limit, decode_cursor, encode_cursor
from interfaces.http.routing import Access, get
from projections.companions.operations import OperationsView

_STREAM_IDS = {"egg": "egg", "buddy": "buddy", "operation": "operation"}


class TimelineSource(msgspec.Struct):
    """The stream an entry was read from, and its version there."""

    stream: str
    id: str
    version: int


class TimelineEntryView(msgspec.Struct):
    type: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]
    causation: dict[str, Any]
    source: TimelineSource


class TimelineView(msgspec.Struct):
    buddy_id: str
    data: list[TimelineEntryView]
    next_cursor: str | None


class StageTransition(msgspec.Struct):
    from_stage: int | None
    to_stage: int
    occurred_at: datetime
    operation_id: str | None
    config_version_id: str


class EvolutionsView(msgspec.Struct):
    buddy_id: str
    evolution_stage: int
    data: list[StageTransition]


def timeline_entry_view(entry: TimelineEntry, buddy_id: str) -> TimelineEntryView:
    kind = _STREAM_IDS.get(entry.stream)
    return TimelineEntryView(
        type=entry.type,
        kind=entry.kind,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        data=entry.data,
        causation=entry.causation,
        source=TimelineSource(
            stream=entry.stream,
            # The wallet has no public id of its own: it is the buddy's.
            id=public_id(kind, entry.stream_id) if kind else buddy_id,
            version=entry.version,
        ),
    )


class BuddyHistoryController(Controller):
    path = "/buddies"
    tags = ["buddies"]

    @get(
        "/{buddy_id:str}/timeline",
        access=Access.SECRET,
        errors=("bad_request",),
        summary="Every event of the buddy, its wallet, egg and operations, with causation",
    )
    def timeline(
        self,
        paging: NamedDependency[Paging],
        history: NamedDependency[History],
        buddy_id: FromPath[str],
        order: FromQuery[Literal["asc", "desc"]] = "asc",
        kind: FromQuery[str | None] = None,
    ) -> TimelineView:
        size = check_limit(paging.limit)
        kinds = parse_kinds(kind)
        after = decode_cursor(paging.cursor, CURSOR_WIDTH)
        read_your_writes(paging.request, OperationsView.name)
        page = history.timeline(
            paging.tenant, buddy_id, order=order, kinds=kinds, after=after, limit=size
        )
        return TimelineView(
            buddy_id=buddy_id,
            data=[timeline_entry_view(e, buddy_id) for e in page.entries],
            next_cursor=encode_cursor(page.next_position) if page.next_position else None,
        )

    @get(
        "/{buddy_id:str}/evolutions",
        access=Access.READABLE,
        summary="Stage transition timeline: hatched at stage 1, then every evolution",
    )
    def evolutions(
        self, principal: Caller, history: NamedDependency[History], buddy_id: FromPath[str]
    ) -> EvolutionsView:
        stage, transitions = history.evolutions(principal.tenant, buddy_id)
        return EvolutionsView(
            buddy_id=buddy_id,
            evolution_stage=stage,
            data=[StageTransition(**transition) for transition in transitions],
        )
