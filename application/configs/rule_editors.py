"""The rule editors: one part of the tenant's rulebook at a time.

Coin rules, skill rules, badge and streak definitions are lists of items with an identity; the skill
set is the document's ``skills`` list seen as the tenant's one set (``SKILL_SET_ID``); the
token config is the document's two slots.

Reads show the draft when there is one, else the published version (``Current.source``).
Writes go through ``Configs.edit_draft``: the first edit starts the draft from the published
version. Ids are unique within a section (rule ids across coin, skill and token earn rules):
a duplicate is ``conflict``, an unknown id ``resource_not_found``. A validation problem
inside the edited part is reported with the path the request used (``conditions[0].value``);
one elsewhere in the rulebook (a badge still using a deleted skill) with its document path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from application.configs.configs import Configs, Document, validated
from domain.configs.config_version import ConfigVersion
from domain.shared.errors import DomainError, NotFound
from domain.shared.tenancy import Tenant

SKILL_SET_ID = "default"
TOKEN_SLOTS = ("primary", "progression")
_ID_CHARS = re.compile(r"[^a-z0-9_\-]+")
_MAX_ID = 64

Source = Literal["draft", "published"]
Rewrite = tuple[str, str]  # (document path prefix, request path prefix)


@dataclass(frozen=True)
class Section:
    """A list of items in the document: its key, each item's identity field, its name."""

    name: str
    key: str
    kind: str
    default_id: Callable[[Document], str] | None = None
    kept: tuple[str, ...] = ()
    """Fields a replace leaves as they were when its body leaves them out (a badge's art)."""


COIN_RULES = Section("coin_rules", "id", "coin rule", lambda rule: str(rule["event_type"]))
SKILL_RULES = Section(
    "skill_rules",
    "id",
    "skill rule",
    lambda rule: f"{rule['event_type']}_{rule['skill_key']}",
)
BADGES = Section("badges", "key", "badge definition", kept=("icon_url",))
GATES = Section("gates", "gate_key", "gate")
DECAY_RULES = Section(
    "decay_rules", "id", "skill decay rule", lambda rule: f"decay_{rule['skill_key']}"
)
STREAKS = Section("streaks", "key", "streak definition")


@dataclass(frozen=True)
class Current:
    """The rulebook the editors show, and where it comes from."""

    version: ConfigVersion | None

    @property
    def source(self) -> Source | None:
        if self.version is None:
            return None
        return "draft" if self.version.is_draft else "published"

    @property
    def document(self) -> Document | None:
        """The canonical document: one stored by an older version reads as today's (its one
        ``streak`` becomes the list ``streaks``, decision 0036)."""
        return validated(self.version.document) if self.version is not None else None


@dataclass(frozen=True)
class Edited:
    """An edited part of the draft (``None`` for a whole-section change) and the draft."""

    part: Any
    draft: ConfigVersion


class ConfigItems:
    def __init__(self, configs: Configs) -> None:
        self._configs = configs

    def current(self, tenant: Tenant) -> Current:
        return Current(self._configs.current(tenant))

    # -- items of a section -----------------------------------------------------------

    def items(self, tenant: Tenant, section: Section) -> tuple[list[Document], Current]:
        current = self.current(tenant)
        document = current.document
        # A document stored before a section existed lacks it (``decay_rules``).
        return (list(document.get(section.name, [])) if document else []), current

    def item(self, tenant: Tenant, section: Section, item_id: str) -> tuple[Document, Current]:
        items, current = self.items(tenant, section)
        return items[_index(items, section, item_id)], current

    def create(self, tenant: Tenant, section: Section, item: Document) -> Edited:
        """Add an item; without an id one is derived (``lesson_completed``, ``…_2``)."""
        created: dict[str, Document] = {}

        def change(document: Document) -> Document:
            taken = _taken(document, section)
            entry = dict(item)
            if entry.get(section.key) is None and section.default_id is not None:
                entry[section.key] = free_id(section.default_id(entry), taken)
            if entry.get(section.key) in taken:
                raise DomainError(
                    "conflict",
                    f"a {section.kind} with {section.key} {entry[section.key]!r} already exists",
                    {section.key: entry[section.key]},
                )
            items = document[section.name]
            items.append(entry)
            created["item"] = checked_part(
                document, [(f"{section.name}[{len(items) - 1}]", "")], section.kind
            )[section.name][-1]
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(created["item"], draft)

    def replace(self, tenant: Tenant, section: Section, item_id: str, item: Document) -> Edited:
        """Replace an item; an id in the body must be the one in the path."""
        _check_path_id(section, item_id, item)
        replaced: dict[str, Document] = {}

        def change(document: Document) -> Document:
            items = document[section.name]
            index = _index(items, section, item_id)
            kept = {k: items[index][k] for k in section.kept if k not in item and k in items[index]}
            items[index] = {**item, **kept, section.key: item_id}
            checked = checked_part(document, [(f"{section.name}[{index}]", "")], section.kind)
            replaced["item"] = checked[section.name][index]
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(replaced["item"], draft)

    def upsert(self, tenant: Tenant, section: Section, item_id: str, item: Document) -> Edited:
        """Replace the item with ``item_id``, or add it when there is none (``PUT`` on a key
        the caller chooses): the same request twice leaves one item, as it was sent. An id
        in the body must be the one in the path."""
        _check_path_id(section, item_id, item)
        stored: dict[str, Document] = {}

        def change(document: Document) -> Document:
            items = document[section.name]
            entry = {**item, section.key: item_id}
            known = [i for i, old in enumerate(items) if old.get(section.key) == item_id]
            index = known[0] if known else len(items)
            items[index : index + 1] = [entry]
            checked = checked_part(document, [(f"{section.name}[{index}]", "")], section.kind)
            stored["item"] = checked[section.name][index]
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(stored["item"], draft)

    def delete(self, tenant: Tenant, section: Section, item_id: str) -> Edited:
        removed: dict[str, Document] = {}

        def change(document: Document) -> Document:
            items = document[section.name]
            removed["item"] = items.pop(_index(items, section, item_id))
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(removed["item"], draft)

    # -- the skill set ----------------------------------------------------------------

    def skill_set(self, tenant: Tenant, set_id: str) -> tuple[list[Document], Current]:
        _check_skill_set(set_id)
        current = self.current(tenant)
        if current.document is None:
            raise NotFound("skill set", set_id)
        return list(current.document["skills"]), current

    def add_skills(self, tenant: Tenant, skills: Sequence[Document]) -> Edited:
        """Add skills to the set; a key already in it is ``conflict``."""

        def change(document: Document) -> Document:
            existing = document["skills"]
            keys = {s["key"] for s in existing}
            for skill in skills:
                if skill.get("key") in keys:
                    raise DomainError(
                        "conflict",
                        f"the skill set already has a skill {skill['key']!r}",
                        {"key": skill["key"]},
                    )
                keys.add(skill.get("key"))
            first = len(existing)
            existing.extend(dict(s) for s in skills)
            rewrites = [(f"skills[{first + i}]", f"skills[{i}]") for i in range(len(skills))]
            return checked_part(document, rewrites, "skill set")

        draft = self._configs.edit_draft(tenant, change)
        return Edited(draft.document["skills"], draft)

    def replace_skills(self, tenant: Tenant, set_id: str, skills: Sequence[Document]) -> Edited:
        _check_skill_set(set_id)

        def change(document: Document) -> Document:
            # A skill sent without ``icon_url`` keeps the icon it had (like a badge's art).
            icons = {s["key"]: s["icon_url"] for s in document["skills"] if "icon_url" in s}
            document["skills"] = [
                {**s, "icon_url": icons[s["key"]]}
                if "icon_url" not in s and s.get("key") in icons
                else dict(s)
                for s in skills
            ]
            return checked_part(document, [("skills", "skills")], "skill set")

        draft = self._configs.edit_draft(tenant, change)
        return Edited(draft.document["skills"], draft)

    # -- the token slots --------------------------------------------------------------

    def token_config(self, tenant: Tenant) -> tuple[Document | None, Current]:
        current = self.current(tenant)
        document = current.document
        return (document["token_config"] if document else None), current

    def upsert_token_slots(self, tenant: Tenant, slots: dict[str, Document]) -> Edited:
        """Set the given slots; fields a slot leaves out keep their current values."""
        if not slots:
            raise DomainError(
                "validation_failed",
                "send primary, progression or both",
                {"fields": [{"field": "body", "reason": "send primary, progression or both"}]},
            )

        def change(document: Document) -> Document:
            config = document["token_config"]
            for slot, fields in slots.items():
                config[slot] = {**config[slot], **fields}
            return checked_part(document, [("token_config", "")], "token config")

        draft = self._configs.edit_draft(tenant, change)
        return Edited(draft.document["token_config"], draft)


def _check_path_id(section: Section, item_id: str, item: Document) -> None:
    given = item.get(section.key)
    if given is not None and given != item_id:
        raise DomainError(
            "validation_failed",
            f"{section.key}: must be {item_id!r}, the {section.key} in the path",
            {"fields": [{"field": section.key, "reason": "must match the path"}]},
        )


def _check_skill_set(set_id: str) -> None:
    if set_id != SKILL_SET_ID:
        raise NotFound("skill set", set_id)


def with_field(
    section: Section, item_id: str, name: str, value: Any
) -> Callable[[Document], Document]:
    """The draft change that sets one field of one item (a worker's edit: a badge's icon);
    an item deleted meanwhile is ``resource_not_found``."""

    def change(document: Document) -> Document:
        items = document[section.name]
        items[_index(items, section, item_id)][name] = value
        return document

    return change


def _index(items: Sequence[Document], section: Section, item_id: str) -> int:
    for index, item in enumerate(items):
        if item.get(section.key) == item_id:
            return index
    raise NotFound(section.kind, item_id)


def _taken(document: Document, section: Section) -> set[str]:
    """Ids a new item may not take: rule ids are shared by every kind of rule."""
    if section.key != "id":
        return {item[section.key] for item in document[section.name]}
    rules = [*document["coin_rules"], *document["skill_rules"], *document["decay_rules"]]
    for slot in TOKEN_SLOTS:
        rules += document["token_config"][slot]["earn_rules"]
    return {rule["id"] for rule in rules}


def free_id(base: str, taken: set[str]) -> str:
    stem = _ID_CHARS.sub("_", base.lower()).strip("_-")[: _MAX_ID - 4] or "rule"
    candidate, number = stem, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}_{number}"
    return candidate


def checked_part(document: Document, rewrites: list[Rewrite], kind: str) -> Document:
    """``validated(document)``, with the edited part's problems given request paths."""
    try:
        return validated(document)
    except DomainError as error:
        if error.code != "validation_failed" or not error.details:
            raise
        fields = [{**f, "field": _rewrite(f["field"], rewrites)} for f in error.details["fields"]]
        first = fields[0]
        more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
        raise DomainError(
            "validation_failed",
            f"invalid {kind}: {first['field']}: {first['reason']}{more}",
            {"fields": fields},
        ) from None


def _rewrite(path: str, rewrites: list[Rewrite]) -> str:
    for document_prefix, request_prefix in rewrites:
        if path == document_prefix:
            return request_prefix or "body"
        for joint in (".", "["):
            if path.startswith(document_prefix + joint):
                rest = path[len(document_prefix) :]
                if request_prefix:
                    return request_prefix + rest
                return rest.lstrip(".")
    return path
