"""The rule editors: coin rules, skill rules, badge definitions, the skill set, token slots.

Every write lands in the tenant's draft (started from the published version on the first
edit) and answers with the item plus the draft's ``config_version_id``; reads show the draft
when there is one, else the published version, and say which in ``source``.
Requests and responses are the rulebook's own shapes (``domain/configs/rulebook.py``, decision
0044): a body only lets a client leave out what the server fills (an id, a slot's rules);
responses are the document's canonical form (every field present).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, UnsetType

from application.configs.configs import Configs, Document
from application.configs.rule_editors import (
    BADGES,
    COIN_RULES,
    SKILL_RULES,
    SKILL_SET_ID,
    ConfigItems,
    Edited,
)
from domain.configs.rulebook import (
    BadgeConditionKind,
    BadgeDef,
    CoinRule,
    Condition,
    Positive,
    PrimarySlot,
    RuleId,
    Scalar,
    SkillDef,
    SkillRule,
    SnakeKey,
    TokenEarnRule,
    TokenSlot,
)
from interfaces.http.asset_links import badge_icon, public_origin, skill_icon, stored_reference
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.configs.section_routes import (
    RulebookList,
    Source,
    plain,
    section_controller,
    shaped,
    where,
    written,
)
from interfaces.http.routing import Access, delete, get, post, put

# Requests: the rulebook's shapes, with what a request may leave out ----------------------


class ConditionBody(Condition, frozen=True, kw_only=True):
    """``value`` may be left out for ``exists`` (it means ``true``)."""

    value: Scalar | tuple[Scalar, ...] | UnsetType = UNSET  # type: ignore[assignment]


class CoinRuleBody(CoinRule, frozen=True, kw_only=True):
    """A coin rule; without an ``id`` one is derived from the event type."""

    id: RuleId | None = None  # type: ignore[assignment]
    conditions: tuple[ConditionBody, ...] = ()


class SkillRuleBody(SkillRule, frozen=True, kw_only=True):
    id: RuleId | None = None  # type: ignore[assignment]
    conditions: tuple[ConditionBody, ...] = ()


class BadgeConditionBody(Model):
    """A badge condition as a request sends it: ``kind`` and the fields that kind takes
    (the domain's ``BadgeCondition`` union says which). Decoded loosely so that every
    missing or misplaced field is reported at once, by the domain."""

    kind: BadgeConditionKind
    event_type: str | UnsetType = UNSET
    count: int | UnsetType = UNSET
    coins: int | UnsetType = UNSET
    skill_key: str | UnsetType = UNSET
    level: int | UnsetType = UNSET
    stage: int | UnsetType = UNSET
    item_ids: list[str] | UnsetType = UNSET
    streak_key: str | UnsetType = UNSET
    days: int | UnsetType = UNSET
    conditions: tuple[ConditionBody, ...] | UnsetType = UNSET


class BadgeBody(BadgeDef, frozen=True, kw_only=True):
    """``icon_url``: the badge's own icon (a link from ``generate-icon`` or ``upload-icon``,
    or any ``http(s)`` URL); ``null`` for our procedural one; left out of a ``PUT``, it stays
    as it was."""

    key: SnakeKey | None = None  # type: ignore[assignment]
    condition: BadgeConditionBody  # type: ignore[assignment]
    icon_url: str | UnsetType | None = UNSET  # type: ignore[assignment]


class SkillBody(SkillDef, frozen=True, kw_only=True):
    """A skill of the skill set (``SkillDef``); ``icon_url`` as a badge's: left out of a
    ``PUT``, a skill keeps its icon."""

    icon_url: str | UnsetType | None = UNSET  # type: ignore[assignment]


class SkillSetBody(Model):
    skills: list[SkillBody]


class TokenEarnRuleBody(TokenEarnRule, frozen=True, kw_only=True):
    conditions: tuple[ConditionBody, ...] = ()


class PrimarySlotBody(PrimarySlot, frozen=True, kw_only=True):
    """Left-out ``earn_rules`` and ``max_balance`` keep their current values."""

    earn_rules: tuple[TokenEarnRuleBody, ...] | UnsetType = UNSET  # type: ignore[assignment]
    max_balance: Positive | UnsetType | None = UNSET  # type: ignore[assignment]


class ProgressionSlotBody(TokenSlot, frozen=True, kw_only=True):
    earn_rules: tuple[TokenEarnRuleBody, ...] | UnsetType = UNSET  # type: ignore[assignment]


class TokenConfigBody(Model):
    primary: PrimarySlotBody | UnsetType = UNSET
    progression: ProgressionSlotBody | UnsetType = UNSET


# Responses: the document's canonical parts -------------------------------------------------


class CoinRuleView(CoinRule, frozen=True, kw_only=True):
    config_version_id: str
    source: Source


class SkillRuleView(SkillRule, frozen=True, kw_only=True):
    config_version_id: str
    source: Source


class Badge(BadgeDef, frozen=True, kw_only=True):
    """A badge definition (``BadgeDef``) under the name the API has always given it."""

    icon_url: str
    """Its own icon, else our procedural one, drawn from its key, name and condition kind
    (never ``null``)."""


class BadgeView(Badge, frozen=True, kw_only=True):
    config_version_id: str
    source: Source


class Skill(SkillDef, frozen=True, kw_only=True):
    """A skill of the skill set (``SkillDef``)."""

    icon_url: str
    """Its own icon, else our procedural one, drawn from its key and name."""


class SkillSet(msgspec.Struct, kw_only=True):
    id: str
    skills: list[Skill]


class SkillSetView(SkillSet, kw_only=True):
    config_version_id: str
    source: Source


class TokenConfigView(msgspec.Struct, kw_only=True):
    """Both slots (``null`` before any config) and where they come from."""

    primary: PrimarySlot | None
    progression: TokenSlot | None
    config_version_id: str | None
    source: Source | None


# Routes ------------------------------------------------------------------------------------

CoinRuleController = section_controller(
    COIN_RULES, "/coin-rules", "rule_id", CoinRuleBody, CoinRule, CoinRuleView
)
SkillRuleController = section_controller(
    SKILL_RULES, "/skill-rules", "rule_id", SkillRuleBody, SkillRule, SkillRuleView
)


def _icon_stored(origin: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A body's icon link as the document keeps it (``asset_links.stored_reference``)."""
    if "icon_url" in fields:
        return {**fields, "icon_url": stored_reference(origin, fields["icon_url"])}
    return fields


def badge_shown(origin: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "icon_url": badge_icon(origin, fields)}


def skill_shown(origin: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "icon_url": skill_icon(origin, fields)}


BadgeDefinitionController = section_controller(
    BADGES,
    "/badge-definitions",
    "badge_key",
    BadgeBody,
    Badge,
    BadgeView,
    present=badge_shown,
    accept=_icon_stored,
)


def _skill_set(origin: str, skills: list[Document], placed: dict[str, Any]) -> SkillSetView:
    shown = [skill_shown(origin, s) for s in skills]
    return shaped(SkillSetView, {"id": SKILL_SET_ID, "skills": shown, **placed})


def _skill_set_written(origin: str, edited: Edited) -> SkillSetView:
    return _skill_set(origin, edited.part, written(edited))


def _skills(origin: str, data: SkillSetBody) -> list[dict[str, Any]]:
    return [_icon_stored(origin, plain(skill)) for skill in data.skills]


class SkillSetController(Controller):
    """The rulebook's skills are the tenant's one skill set, ``default``."""

    path = "/skill-sets"
    tags = ["config"]

    @get(access=Access.SECRET, summary="List skill sets (the one set, when configured)")
    def list_sets(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        configs: NamedDependency[Configs],
    ) -> RulebookList[SkillSet]:
        current = ConfigItems(configs).current(principal.tenant)
        document = current.document
        origin = public_origin(request)
        sets = (
            []
            if document is None
            else [
                {
                    "id": SKILL_SET_ID,
                    "skills": [skill_shown(origin, s) for s in document["skills"]],
                }
            ]
        )
        return RulebookList([shaped(SkillSet, s) for s in sets], **where(current))

    @get("/{set_id:str}", access=Access.SECRET, summary="Get the skill set")
    def get_set(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        configs: NamedDependency[Configs],
        set_id: FromPath[str],
    ) -> SkillSetView:
        skills, current = ConfigItems(configs).skill_set(principal.tenant, set_id)
        return _skill_set(public_origin(request), skills, where(current))

    @post(
        access=Access.SECRET,
        body=SkillSetBody,
        errors=("conflict",),
        status_code=201,
        summary="Add skills to the skill set in the draft",
    )
    def add_skills(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        configs: NamedDependency[Configs],
        data: JSONBody[SkillSetBody],
    ) -> SkillSetView:
        origin = public_origin(request)
        edited = ConfigItems(configs).add_skills(principal.tenant, _skills(origin, data))
        return _skill_set_written(origin, edited)

    @put(
        "/{set_id:str}",
        access=Access.SECRET,
        body=SkillSetBody,
        errors=("conflict",),
        summary="Replace the skills of the skill set in the draft",
    )
    def replace_set(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        configs: NamedDependency[Configs],
        set_id: FromPath[str],
        data: JSONBody[SkillSetBody],
    ) -> SkillSetView:
        origin = public_origin(request)
        skills = _skills(origin, data)
        edited = ConfigItems(configs).replace_skills(principal.tenant, set_id, skills)
        return _skill_set_written(origin, edited)

    @delete(
        "/{set_id:str}",
        access=Access.SECRET,
        errors=("conflict",),
        status_code=200,
        summary="Remove every skill from the skill set in the draft",
    )
    def clear_set(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        configs: NamedDependency[Configs],
        set_id: FromPath[str],
    ) -> SkillSetView:
        edited = ConfigItems(configs).replace_skills(principal.tenant, set_id, [])
        return _skill_set_written(public_origin(request), edited)


class TokenConfigController(Controller):
    path = "/token-config"
    tags = ["config"]

    @get(access=Access.SECRET, summary="The two token slots, primary and progression")
    def get_config(self, principal: Caller, configs: NamedDependency[Configs]) -> TokenConfigView:
        config, current = ConfigItems(configs).token_config(principal.tenant)
        slots = config or {"primary": None, "progression": None}
        return shaped(TokenConfigView, {**slots, **where(current)})

    @post(
        access=Access.SECRET,
        body=TokenConfigBody,
        errors=("conflict",),
        status_code=200,
        summary="Set one or both token slots in the draft",
    )
    def upsert_config(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        data: JSONBody[TokenConfigBody],
    ) -> TokenConfigView:
        edited = ConfigItems(configs).upsert_token_slots(principal.tenant, plain(data))
        return shaped(TokenConfigView, {**edited.part, **written(edited)})
