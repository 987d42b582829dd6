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
from litestar import Controller
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
    "milestone", "coin_threshold", "skill_level", "stage", "collection", "streak", "custom"
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
    conditions: list[ConditionBody] | UnsetType = UNSET


class BadgeBody(Model):
    name: str
    condition: BadgeCondition
    key: str | None = None
    description: str = ""
    coin_reward: int | None = None
    auto_award: bool = True
    token_rewards: dict[str, int] = {}


class SkillBody(Model):
    key: str
    name: str
    max_value: int = 100
    points_per_level: int = 20


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
    token_rewards: dict[str, int]


class BadgeView(Badge, kw_only=True):
    config_version_id: str
    source: Source


class Skill(msgspec.Struct, kw_only=True):
    key: str
    name: str
    max_value: int
    points_per_level: int


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
BadgeDefinitionController = section_controller(
    BADGES, "/badge-definitions", "badge_key", BadgeBody, Badge, BadgeView
)


def _skill_set(skills: list[Document], placed: dict[str, Any]) -> SkillSetView:
    return shaped(SkillSetView, {"id": SKILL_SET_ID, "skills": skills, **placed})


def _skill_set_written(edited: Edited) -> SkillSetView:
    return _skill_set(edited.part, written(edited))


class SkillSetController(Controller):
    """The rulebook's skills are the tenant's one skill set, ``default``."""

    path = "/skill-sets"
    tags = ["config"]

    @get(access=Access.SECRET, summary="List skill sets (the one set, when configured)")
    def list_sets(
        self, principal: Caller, configs: NamedDependency[Configs]
    ) -> RulebookList[SkillSet]:
        current = ConfigItems(configs).current(principal.tenant)
        document = current.document
        sets = [] if document is None else [{"id": SKILL_SET_ID, "skills": document["skills"]}]
        return RulebookList([shaped(SkillSet, s) for s in sets], **where(current))

    @get("/{set_id:str}", access=Access.SECRET, summary="Get the skill set")
    def get_set(
        self, principal: Caller, configs: NamedDependency[Configs], set_id: FromPath[str]
    ) -> SkillSetView:
        skills, current = ConfigItems(configs).skill_set(principal.tenant, set_id)
        return _skill_set(skills, where(current))

    @post(
        access=Access.SECRET,
        body=SkillSetBody,
        errors=("conflict",),
        status_code=201,
        summary="Add skills to the skill set in the draft",
    )
    def add_skills(
        self, principal: Caller, configs: NamedDependency[Configs], data: JSONBody[SkillSetBody]
    ) -> SkillSetView:
        skills = [plain(skill) for skill in data.skills]
        return _skill_set_written(ConfigItems(configs).add_skills(principal.tenant, skills))

    @put(
        "/{set_id:str}",
        access=Access.SECRET,
        body=SkillSetBody,
        errors=("conflict",),
        summary="Replace the skills of the skill set in the draft",
    )
    def replace_set(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        set_id: FromPath[str],
        data: JSONBody[SkillSetBody],
    ) -> SkillSetView:
        skills = [plain(skill) for skill in data.skills]
        edited = ConfigItems(configs).replace_skills(principal.tenant, set_id, skills)
        return _skill_set_written(edited)

    @delete(
        "/{set_id:str}",
        access=Access.SECRET,
        errors=("conflict",),
        status_code=200,
        summary="Remove every skill from the skill set in the draft",
    )
    def clear_set(
        self, principal: Caller, configs: NamedDependency[Configs], set_id: FromPath[str]
    ) -> SkillSetView:
        edited = ConfigItems(configs).replace_skills(principal.tenant, set_id, [])
        return _skill_set_written(edited)


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
