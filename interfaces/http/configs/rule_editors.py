"""The rule editors: coin rules, skill rules, badge definitions, the skill set, token slots.

Every write lands in the tenant's draft (started from the published version on the first
edit) and answers with the item plus the draft's ``config_version_id``; reads show the draft
when there is one, else the published version, and say which in ``source``.
Request bodies mirror the rulebook document (``domain/configs/rulebook.py``) field for field;
responses are its canonical form (every field present).
"""

from __future__ import annotations

from typing import Any, Literal

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

Operator = Literal["eq", "neq", "gt", "gte", "lt", "lte", "in", "exists"]
Scalar = str | int | float | bool | None
BadgeConditionKind = Literal[
    "milestone", "coin_threshold", "skill_level", "stage", "collection", "streak"
]


# Requests ----------------------------------------------------------------------------------


class ConditionBody(Model):
    property: str
    operator: Operator
    value: Scalar | list[Scalar] | UnsetType = UNSET


class CoinRuleBody(Model):
    event_type: str
    amount: int
    id: str | None = None
    conditions: list[ConditionBody] = []
    daily_cap: int | None = None
    weekly_cap: int | None = None
    multiplier: float = 1.0
    total_limit: int | None = None
    audience: str | None = None


class SkillRuleBody(Model):
    event_type: str
    skill_key: str
    amount: int
    id: str | None = None
    conditions: list[ConditionBody] = []
    audience: str | None = None


class BadgeCondition(Model):
    """One of the condition kinds; which other fields it takes depends on ``kind``.

    Requests and responses share it: a stored condition holds exactly these fields.
    """

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


class BadgeBody(Model):
    """``icon_url``: the badge's own icon (a link from ``generate-icon`` or ``upload-icon``,
    or any ``http(s)`` URL); ``null`` for our procedural one; left out of a ``PUT``, it stays
    as it was."""

    name: str
    condition: BadgeCondition
    key: str | None = None
    description: str = ""
    coin_reward: int | None = None
    auto_award: bool = True
    icon_url: str | UnsetType | None = UNSET


class SkillBody(Model):
    """``icon_url`` as a badge's: left out of a ``PUT``, a skill keeps its icon."""

    key: str
    name: str
    max_value: int = 100
    points_per_level: int = 20
    icon_url: str | UnsetType | None = UNSET


class SkillSetBody(Model):
    skills: list[SkillBody]


class TokenEarnRuleBody(Model):
    id: str
    event_type: str
    amount: int
    conditions: list[ConditionBody] = []
    weekly_cap: int | None = None
    audience: str | None = None


class PrimarySlotBody(Model):
    """Left-out ``earn_rules`` and ``max_balance`` keep their current values."""

    token_key: str
    label: str
    earn_rules: list[TokenEarnRuleBody] | UnsetType = UNSET
    max_balance: int | UnsetType | None = UNSET


class ProgressionSlotBody(Model):
    token_key: str
    label: str
    earn_rules: list[TokenEarnRuleBody] | UnsetType = UNSET


class TokenConfigBody(Model):
    primary: PrimarySlotBody | UnsetType = UNSET
    progression: ProgressionSlotBody | UnsetType = UNSET


# Responses: the document's canonical parts -------------------------------------------------


class Condition(msgspec.Struct):
    property: str
    operator: Operator
    value: Scalar | list[Scalar]


class CoinRule(msgspec.Struct, kw_only=True):
    id: str
    event_type: str
    amount: int
    conditions: list[Condition]
    daily_cap: int | None
    weekly_cap: int | None
    multiplier: float
    total_limit: int | None
    audience: str | None


class CoinRuleView(CoinRule, kw_only=True):
    config_version_id: str
    source: Source


class SkillRule(msgspec.Struct, kw_only=True):
    id: str
    event_type: str
    skill_key: str
    amount: int
    conditions: list[Condition]
    audience: str | None


class SkillRuleView(SkillRule, kw_only=True):
    config_version_id: str
    source: Source


class Badge(msgspec.Struct, kw_only=True):
    key: str
    name: str
    description: str
    condition: BadgeCondition
    coin_reward: int | None
    auto_award: bool
    icon_url: str
    """Its own icon, else our procedural one, drawn from its key, name and condition kind
    (never ``null``)."""


class BadgeView(Badge, kw_only=True):
    config_version_id: str
    source: Source


class Skill(msgspec.Struct, kw_only=True):
    key: str
    name: str
    max_value: int
    points_per_level: int
    icon_url: str
    """Its own icon, else our procedural one, drawn from its key and name."""


class SkillSet(msgspec.Struct, kw_only=True):
    id: str
    skills: list[Skill]


class SkillSetView(SkillSet, kw_only=True):
    config_version_id: str
    source: Source


class TokenEarnRule(msgspec.Struct, kw_only=True):
    id: str
    event_type: str
    amount: int
    conditions: list[Condition]
    weekly_cap: int | None
    audience: str | None


class TokenSlot(msgspec.Struct, kw_only=True):
    """A slot as the progression slot shows it; the primary slot also has a cap."""

    token_key: str
    label: str
    earn_rules: list[TokenEarnRule]


class PrimarySlot(TokenSlot, kw_only=True):
    max_balance: int | None


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
