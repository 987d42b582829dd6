"""The routes of one list section of the rulebook, written once for every section.

Coin rules, skill rules and badge definitions are each five routes (list, get, create,
replace, delete) that differ only in the section they edit and the Structs they take and
answer. ``section_controller`` declares them once. Each call hands the routes its own
Structs and path parameter through the controller's ``signature_namespace`` (the names
``Body``, ``Item``, ``View`` and ``ItemId`` in the annotations below), so every operation
still documents its own typed request, response and parameter name in the OpenAPI document.

Reads show the draft when there is one, else the published version, and say which in
``source``; writes land in the draft and answer with the item and the draft's id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.configs.configs import Configs
from application.configs.rule_editors import ConfigItems, Current, Edited, Section
from interfaces.http.asset_links import public_origin
from interfaces.http.auth import Caller
from interfaces.http.routing import Access, delete, get, post, put

Source = Literal["draft", "published"]

T = TypeVar("T")
Body = TypeVar("Body", bound=msgspec.Struct)
Item = TypeVar("Item", bound=msgspec.Struct)
View = TypeVar("View", bound=msgspec.Struct)
ItemId = Annotated[str, PathParameter()]
"""The item's id in the path; each controller names it (``rule_id``, ``badge_key``)."""


class RulebookList(msgspec.Struct, Generic[T]):
    """A part of the rulebook as a list, and where it comes from (``null`` before any config)."""

    data: list[T]
    config_version_id: str | None
    source: Source | None


def plain(body: msgspec.Struct) -> dict[str, Any]:
    """A request body as a document fragment (JSON values: lists, not tuples); fields left
    out (``UNSET``) are dropped."""
    fragment: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(body))
    return fragment


def where(current: Current) -> dict[str, Any]:
    """The ``config_version_id`` and ``source`` of what a read shows."""
    version = current.version
    return {
        "config_version_id": version.public_id if version else None,
        "source": current.source,
    }


def written(edited: Edited) -> dict[str, Any]:
    """The ``config_version_id`` and ``source`` of what a write changed: always the draft."""
    return {"config_version_id": edited.draft.public_id, "source": "draft"}


def shaped(shape: type[T], fields: dict[str, Any]) -> T:
    """A stored (canonical) part of the document as its wire Struct."""
    return msgspec.convert(fields, shape)


Shape = Callable[[str, dict[str, Any]], dict[str, Any]]
"""A stored item as it is shown, or a request body as it is stored, given the public origin
(links to pictures: ``asset_links.py``)."""


def _as_is(origin: str, fields: dict[str, Any]) -> dict[str, Any]:
    return fields


def section_controller(
    section: Section,
    path: str,
    id_name: str,
    body: type[Body],
    item: type[Item],
    view: type[View],
    present: Shape = _as_is,
    accept: Shape = _as_is,
) -> type[Controller]:
    """The controller of ``section`` at ``path``, its items at ``{id_name}``: ``body`` is what
    create and replace take, ``item`` what a list holds and ``view`` (``item`` with
    ``config_version_id`` and ``source``) what every other route answers. ``present`` shapes
    a stored item for an answer, ``accept`` a body for the document (a badge's icon link)."""
    kind = section.kind
    item_path = f"/{{{id_name}:str}}"

    def shown(shape: type[T], request: Request[Any, Any, Any], fields: dict[str, Any]) -> T:
        return shaped(shape, present(public_origin(request), fields))

    def stored(request: Request[Any, Any, Any], data: msgspec.Struct) -> dict[str, Any]:
        return accept(public_origin(request), plain(data))

    class SectionController(Controller):
        tags = ["config"]
        signature_namespace = {
            "Body": body,
            "Item": item,
            "View": view,
            "ItemId": Annotated[str, PathParameter(name=id_name)],
        }

        @get(access=Access.SECRET, summary=f"List {kind}s")
        def list_items(
            self,
            request: Request[Any, Any, Any],
            principal: Caller,
            configs: NamedDependency[Configs],
        ) -> RulebookList[Item]:
            items, current = ConfigItems(configs).items(principal.tenant, section)
            return RulebookList([shown(item, request, i) for i in items], **where(current))

        @get(item_path, access=Access.SECRET, summary=f"Get a {kind}")
        def get_item(
            self,
            request: Request[Any, Any, Any],
            principal: Caller,
            configs: NamedDependency[Configs],
            item_id: ItemId,
        ) -> View:
            found, current = ConfigItems(configs).item(principal.tenant, section, item_id)
            return shown(view, request, {**found, **where(current)})

        @post(
            access=Access.SECRET,
            body=body,
            errors=("conflict",),
            status_code=201,
            summary=f"Create a {kind} in the draft",
        )
        def create_item(
            self,
            request: Request[Any, Any, Any],
            principal: Caller,
            configs: NamedDependency[Configs],
            data: JSONBody[Body],
        ) -> View:
            edited = ConfigItems(configs).create(principal.tenant, section, stored(request, data))
            return shown(view, request, {**edited.part, **written(edited)})

        @put(
            item_path,
            access=Access.SECRET,
            body=body,
            errors=("conflict",),
            summary=f"Replace a {kind} in the draft",
        )
        def replace_item(
            self,
            request: Request[Any, Any, Any],
            principal: Caller,
            configs: NamedDependency[Configs],
            item_id: ItemId,
            data: JSONBody[Body],
        ) -> View:
            items = ConfigItems(configs)
            edited = items.replace(principal.tenant, section, item_id, stored(request, data))
            return shown(view, request, {**edited.part, **written(edited)})

        @delete(
            item_path,
            access=Access.SECRET,
            errors=("conflict",),
            status_code=200,
            summary=f"Delete a {kind} from the draft",
        )
        def delete_item(
            self,
            request: Request[Any, Any, Any],
            principal: Caller,
            configs: NamedDependency[Configs],
            item_id: ItemId,
        ) -> View:
            edited = ConfigItems(configs).delete(principal.tenant, section, item_id)
            return shown(view, request, {**edited.part, **written(edited)})

    SectionController.path = path
    return SectionController
