"""The event-type registry: the rulebook's ``event_types`` edited one type at a time.

Like the rule editors (``application/configs/rule_editors.py``), reads show the draft when
there is one, else the published version, and writes land in the draft: strict mode and the
warnings use the *published* registry, so a registration takes effect when it is published.
A rename keeps the old key in ``former_keys`` and is refused while a rule still names it, as is
a delete (decision 0041).
"""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace as with_fields

from application.configs.configs import Configs, Document
from application.configs.rule_editors import Current, Edited, checked_part
from domain.configs import event_types as registry
from domain.configs.rulebook import EventTypeDef, Rulebook
from domain.shared.errors import DomainError, NotFound
from domain.shared.tenancy import Tenant

KIND = "event type"


class EventTypeRegistry:
    def __init__(self, configs: Configs) -> None:
        self._configs = configs

    def list(self, tenant: Tenant) -> tuple[list[EventTypeDef], Current]:
        current = Current(self._configs.current(tenant))
        document = current.document
        defs = Rulebook.from_dict(document).event_type_defs if document else ()
        return list(defs), current

    def get(self, tenant: Tenant, ref: str) -> tuple[EventTypeDef, Current]:
        defs, current = self.list(tenant)
        found = registry.find(defs, ref)
        if found is None:
            raise NotFound(KIND, ref)
        return found, current

    def create(self, tenant: Tenant, fields: dict[str, Any]) -> Edited:
        """Register a type; its id defaults to its key. A key or id already taken (or held
        before a rename) is ``conflict``."""
        created: dict[str, EventTypeDef] = {}

        def change(document: Document) -> Document:
            defs = list(Rulebook.from_dict(document).event_type_defs)
            entry = {**fields, "id": fields.get("id") or fields.get("key")}
            for taken in (entry["id"], entry.get("key")):
                if taken is not None and registry.find(defs, taken) is not None:
                    raise DomainError(
                        "conflict",
                        f"an event type {taken!r} is already registered",
                        {"key": taken},
                    )
            document["event_types"].append(entry)
            index = len(document["event_types"]) - 1
            checked = checked_part(document, [(f"event_types[{index}]", "")], KIND)
            created["item"] = Rulebook.from_dict(checked).event_type_defs[-1]
            return checked

        draft = self._configs.edit_draft(tenant, change)
        return Edited(created["item"], draft)

    def replace(self, tenant: Tenant, ref: str, fields: dict[str, Any]) -> Edited:
        """Set the label and description, and the key: a new key is a rename."""
        replaced: dict[str, EventTypeDef] = {}

        def change(document: Document) -> Document:
            rulebook = Rulebook.from_dict(document)
            defs = list(rulebook.event_type_defs)
            old = registry.find(defs, ref)
            if old is None:
                raise NotFound(KIND, ref)
            key = fields.get("key") or old.key
            new = with_fields(
                old,
                key=key,
                label=fields.get("label"),
                description=fields.get("description"),
            )
            if key != old.key:
                other = registry.find([d for d in defs if d is not old], key)
                if other is not None:
                    raise DomainError(
                        "conflict", f"an event type {key!r} is already registered", {"key": key}
                    )
                _refuse_in_use(rulebook, old, "rename")
                former = (*old.former_keys, old.key)
                new = with_fields(new, former_keys=tuple(k for k in former if k != key))
            index = defs.index(old)
            document["event_types"][index] = new.to_dict()
            checked = checked_part(document, [(f"event_types[{index}]", "")], KIND)
            replaced["item"] = Rulebook.from_dict(checked).event_type_defs[index]
            return checked

        draft = self._configs.edit_draft(tenant, change)
        return Edited(replaced["item"], draft)

    def delete(self, tenant: Tenant, ref: str) -> Edited:
        removed: dict[str, EventTypeDef] = {}

        def change(document: Document) -> Document:
            rulebook = Rulebook.from_dict(document)
            defs = list(rulebook.event_type_defs)
            old = registry.find(defs, ref)
            if old is None:
                raise NotFound(KIND, ref)
            _refuse_in_use(rulebook, old, "delete")
            document["event_types"].pop(defs.index(old))
            removed["item"] = old
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(removed["item"], draft)


def _refuse_in_use(rulebook: Rulebook, old: EventTypeDef, action: str) -> None:
    users = registry.users_of(rulebook, old.key)
    if users:
        raise DomainError(
            "event_type_in_use",
            f"cannot {action} event type {old.key!r}: {', '.join(users)} still use it; "
            "change them first",
            {"key": old.key, "used_by": users},
        )
