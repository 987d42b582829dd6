"""``/event-types``: the registry of the event types a tenant sends (decision 0041).

Writes land in the draft and count once it is published (strict mode and the warnings of
``POST /events`` read the published registry). ``{event_type_id}`` is the type's ``id``, which
stays when its ``key`` is renamed; the key, or a key it had before a rename, finds it too.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.configs.configs import Configs
from application.configs.event_types import EventTypeRegistry
from domain.configs.rulebook import EventTypeDef
from domain.shared.text_patterns import EVENT_TYPE
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.configs.section_routes import RulebookList, Source, where, written
from interfaces.http.routing import Access, delete, get, post, put

Key = Annotated[str, msgspec.Meta(pattern=EVENT_TYPE.regex)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Description = Annotated[str, msgspec.Meta(max_length=500)]
TypeRef = Annotated[str, PathParameter(name="event_type_id")]


class NewEventType(Model):
    """``id`` defaults to ``key``."""

    key: Key
    id: Key | None = None
    label: Label | None = None
    description: Description | None = None


class EventTypeChange(Model):
    """A ``key`` other than the current one renames the type (the old one is kept in
    ``former_keys``); ``label`` and ``description`` are replaced (left out: cleared)."""

    key: Key | None = None
    label: Label | None = None
    description: Description | None = None


class EventType(EventTypeDef, frozen=True, kw_only=True):
    """A registered event type: the rulebook's ``EventTypeDef`` under the API's name (the
    request bodies above differ from it: ``former_keys`` are the server's to keep)."""


class EventTypeView(EventType, frozen=True, kw_only=True):
    config_version_id: str
    source: Source


def _shown(type_def: EventTypeDef) -> EventType:
    return msgspec.convert(type_def.to_dict(), EventType)


def _view(type_def: EventTypeDef, place: dict[str, Any]) -> EventTypeView:
    return msgspec.convert({**type_def.to_dict(), **place}, EventTypeView)


def _fields(body: msgspec.Struct) -> dict[str, Any]:
    fields: dict[str, Any] = msgspec.to_builtins(body)
    return fields


class EventTypeController(Controller):
    path = "/event-types"
    tags = ["config"]

    @get(access=Access.SECRET, summary="List registered event types")
    def list_event_types(
        self, principal: Caller, configs: NamedDependency[Configs]
    ) -> RulebookList[EventType]:
        defs, current = EventTypeRegistry(configs).list(principal.tenant)
        return RulebookList([_shown(d) for d in defs], **where(current))

    @get("/{event_type_id:str}", access=Access.SECRET, summary="Get a registered event type")
    def get_event_type(
        self, principal: Caller, configs: NamedDependency[Configs], event_type_id: TypeRef
    ) -> EventTypeView:
        found, current = EventTypeRegistry(configs).get(principal.tenant, event_type_id)
        return _view(found, where(current))

    @post(
        access=Access.SECRET,
        body=NewEventType,
        errors=("conflict",),
        status_code=201,
        summary="Register an event type in the draft",
    )
    def create_event_type(
        self, principal: Caller, configs: NamedDependency[Configs], data: JSONBody[NewEventType]
    ) -> EventTypeView:
        edited = EventTypeRegistry(configs).create(principal.tenant, _fields(data))
        return _view(edited.part, written(edited))

    @put(
        "/{event_type_id:str}",
        access=Access.SECRET,
        body=EventTypeChange,
        errors=("conflict", "event_type_in_use"),
        summary="Update or rename an event type in the draft",
    )
    def replace_event_type(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        event_type_id: TypeRef,
        data: JSONBody[EventTypeChange],
    ) -> EventTypeView:
        registry = EventTypeRegistry(configs)
        edited = registry.replace(principal.tenant, event_type_id, _fields(data))
        return _view(edited.part, written(edited))

    @delete(
        "/{event_type_id:str}",
        access=Access.SECRET,
        errors=("event_type_in_use",),
        status_code=200,
        summary="Remove an event type from the draft",
    )
    def delete_event_type(
        self, principal: Caller, configs: NamedDependency[Configs], event_type_id: TypeRef
    ) -> EventTypeView:
        edited = EventTypeRegistry(configs).delete(principal.tenant, event_type_id)
        return _view(edited.part, written(edited))
