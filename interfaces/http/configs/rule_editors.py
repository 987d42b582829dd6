"""The rule editors: coin rules, skill rules, badge definitions, the skill set, token slots.

Every write lands in the tenant's draft (started from the published version on the first
edit) and answers with the item plus the draft's ``config_version_id``; reads show the draft
when there is one, else the published version, and say which in ``source``.
Request bodies mirror the rulebook document (``domain/configs/rulebook.py``) field for field.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, UnsetType

from application.accounts.principal import Principal
from application.configs.rule_editors import (
    BADGES,
    COIN_RULES,
    SKILL_RULES,
    SKILL_SET_ID,
    ConfigItems,
    Current,
    Edited,
    Section,
)
from interfaces.http.auth import Caller, container_of
from interfaces.http.body import Model, StrictBody

Operator = Literal["eq", "neq", "gt", "gte", "lt", "lte", "in", "exists"]
Scalar = str | int | float | bool | None
BadgeConditionKind = Literal[
    "milestone", "coin_threshold", "skill_level", "stage", "collection", "streak"
]


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


class BadgeConditionBody(Model):
    """One of the condition kinds; which other fields it takes depends on ``kind``."""

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
    name: str
    condition: BadgeConditionBody
    key: str | None = None
    description: str = ""
    coin_reward: int | None = None
    auto_award: bool = True


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


def _items(request: Request[Any, Any, Any]) -> ConfigItems:
    return ConfigItems(container_of(request).configs)


def _plain(body: msgspec.Struct) -> dict[str, Any]:
    """The body as a document fragment; fields left out (``UNSET``) are dropped."""
    plain: dict[str, Any] = msgspec.to_builtins(body)
    return plain


def _where(current: Current) -> dict[str, Any]:
    version = current.version
    return {
        "config_version_id": version.public_id if version else None,
        "source": current.source,
    }


def _listing(items: list[dict[str, Any]], current: Current) -> dict[str, Any]:
    return {"data": items, **_where(current)}


def _shown(item: dict[str, Any], current: Current) -> dict[str, Any]:
    return {**item, **_where(current)}


def _written(edited: Edited) -> dict[str, Any]:
    return {**edited.part, "config_version_id": edited.draft.public_id, "source": "draft"}


# Coin rules, skill rules and badge definitions share these five handlers' bodies.


def _list(
    request: Request[Any, Any, Any], principal: Principal, section: Section
) -> dict[str, Any]:
    return _listing(*_items(request).items(principal.tenant, section))


def _get(
    request: Request[Any, Any, Any], principal: Principal, section: Section, key: str
) -> dict[str, Any]:
    return _shown(*_items(request).item(principal.tenant, section, key))


def _create(
    request: Request[Any, Any, Any], principal: Principal, section: Section, body: msgspec.Struct
) -> dict[str, Any]:
    return _written(_items(request).create(principal.tenant, section, _plain(body)))


def _replace(
    request: Request[Any, Any, Any],
    principal: Principal,
    section: Section,
    key: str,
    body: msgspec.Struct,
) -> dict[str, Any]:
    return _written(_items(request).replace(principal.tenant, section, key, _plain(body)))


def _delete(
    request: Request[Any, Any, Any], principal: Principal, section: Section, key: str
) -> dict[str, Any]:
    return _written(_items(request).delete(principal.tenant, section, key))


class CoinRuleController(Controller):
    path = "/coin-rules"
    tags = ["config"]

    @get("/", sync_to_thread=True, summary="List coin rules")
    def list_rules(self, request: Request[Any, Any, Any], principal: Caller) -> dict[str, Any]:
        return _list(request, principal, COIN_RULES)

    @get("/{rule_id:str}", sync_to_thread=True, summary="Get a coin rule")
    def get_rule(
        self, request: Request[Any, Any, Any], principal: Caller, rule_id: FromPath[str]
    ) -> dict[str, Any]:
        return _get(request, principal, COIN_RULES, rule_id)

    @post(
        "/",
        dto=StrictBody[CoinRuleBody],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        summary="Create a coin rule in the draft",
    )
    def create_rule(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[CoinRuleBody]
    ) -> dict[str, Any]:
        return _create(request, principal, COIN_RULES, data)

    @put(
        "/{rule_id:str}",
        dto=StrictBody[CoinRuleBody],
        return_dto=None,
        sync_to_thread=True,
        summary="Replace a coin rule in the draft",
    )
    def replace_rule(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rule_id: FromPath[str],
        data: JSONBody[CoinRuleBody],
    ) -> dict[str, Any]:
        return _replace(request, principal, COIN_RULES, rule_id, data)

    @delete(
        "/{rule_id:str}",
        sync_to_thread=True,
        status_code=200,
        summary="Delete a coin rule from the draft",
    )
    def delete_rule(
        self, request: Request[Any, Any, Any], principal: Caller, rule_id: FromPath[str]
    ) -> dict[str, Any]:
        return _delete(request, principal, COIN_RULES, rule_id)


class SkillRuleController(Controller):
    path = "/skill-rules"
    tags = ["config"]

    @get("/", sync_to_thread=True, summary="List skill rules")
    def list_rules(self, request: Request[Any, Any, Any], principal: Caller) -> dict[str, Any]:
        return _list(request, principal, SKILL_RULES)

    @get("/{rule_id:str}", sync_to_thread=True, summary="Get a skill rule")
    def get_rule(
        self, request: Request[Any, Any, Any], principal: Caller, rule_id: FromPath[str]
    ) -> dict[str, Any]:
        return _get(request, principal, SKILL_RULES, rule_id)

    @post(
        "/",
        dto=StrictBody[SkillRuleBody],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        summary="Create a skill rule in the draft",
    )
    def create_rule(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[SkillRuleBody]
    ) -> dict[str, Any]:
        return _create(request, principal, SKILL_RULES, data)

    @put(
        "/{rule_id:str}",
        dto=StrictBody[SkillRuleBody],
        return_dto=None,
        sync_to_thread=True,
        summary="Replace a skill rule in the draft",
    )
    def replace_rule(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        rule_id: FromPath[str],
        data: JSONBody[SkillRuleBody],
    ) -> dict[str, Any]:
        return _replace(request, principal, SKILL_RULES, rule_id, data)

    @delete(
        "/{rule_id:str}",
        sync_to_thread=True,
        status_code=200,
        summary="Delete a skill rule from the draft",
    )
    def delete_rule(
        self, request: Request[Any, Any, Any], principal: Caller, rule_id: FromPath[str]
    ) -> dict[str, Any]:
        return _delete(request, principal, SKILL_RULES, rule_id)


class BadgeDefinitionController(Controller):
    path = "/badge-definitions"
    tags = ["config"]

    @get("/", sync_to_thread=True, summary="List badge definitions")
    def list_badges(self, request: Request[Any, Any, Any], principal: Caller) -> dict[str, Any]:
        return _list(request, principal, BADGES)

    @get("/{badge_key:str}", sync_to_thread=True, summary="Get a badge definition")
    def get_badge(
        self, request: Request[Any, Any, Any], principal: Caller, badge_key: FromPath[str]
    ) -> dict[str, Any]:
        return _get(request, principal, BADGES, badge_key)

    @post(
        "/",
        dto=StrictBody[BadgeBody],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        summary="Create a badge definition in the draft",
    )
    def create_badge(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[BadgeBody]
    ) -> dict[str, Any]:
        return _create(request, principal, BADGES, data)

    @put(
        "/{badge_key:str}",
        dto=StrictBody[BadgeBody],
        return_dto=None,
        sync_to_thread=True,
        summary="Replace a badge definition in the draft",
    )
    def replace_badge(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        badge_key: FromPath[str],
        data: JSONBody[BadgeBody],
    ) -> dict[str, Any]:
        return _replace(request, principal, BADGES, badge_key, data)

    @delete(
        "/{badge_key:str}",
        sync_to_thread=True,
        status_code=200,
        summary="Delete a badge definition from the draft",
    )
    def delete_badge(
        self, request: Request[Any, Any, Any], principal: Caller, badge_key: FromPath[str]
    ) -> dict[str, Any]:
        return _delete(request, principal, BADGES, badge_key)


def _skill_set(skills: list[dict[str, Any]], where: dict[str, Any]) -> dict[str, Any]:
    return {"id": SKILL_SET_ID, "skills": skills, **where}


class SkillSetController(Controller):
    """The rulebook's skills are the tenant's one skill set, ``default``."""

    path = "/skill-sets"
    tags = ["config"]

    @get("/", sync_to_thread=True, summary="List skill sets (the one set, when configured)")
    def list_sets(self, request: Request[Any, Any, Any], principal: Caller) -> dict[str, Any]:
        current = _items(request).current(principal.tenant)
        document = current.document
        sets = [_skill_set(document["skills"], {})] if document is not None else []
        return _listing(sets, current)

    @get("/{set_id:str}", sync_to_thread=True, summary="Get the skill set")
    def get_set(
        self, request: Request[Any, Any, Any], principal: Caller, set_id: FromPath[str]
    ) -> dict[str, Any]:
        skills, current = _items(request).skill_set(principal.tenant, set_id)
        return _skill_set(skills, _where(current))

    @post(
        "/",
        dto=StrictBody[SkillSetBody],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        summary="Add skills to the skill set in the draft",
    )
    def add_skills(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[SkillSetBody]
    ) -> dict[str, Any]:
        skills = [_plain(skill) for skill in data.skills]
        return _skill_set_written(_items(request).add_skills(principal.tenant, skills))

    @put(
        "/{set_id:str}",
        dto=StrictBody[SkillSetBody],
        return_dto=None,
        sync_to_thread=True,
        summary="Replace the skills of the skill set in the draft",
    )
    def replace_set(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        set_id: FromPath[str],
        data: JSONBody[SkillSetBody],
    ) -> dict[str, Any]:
        skills = [_plain(skill) for skill in data.skills]
        edited = _items(request).replace_skills(principal.tenant, set_id, skills)
        return _skill_set_written(edited)

    @delete(
        "/{set_id:str}",
        sync_to_thread=True,
        status_code=200,
        summary="Remove every skill from the skill set in the draft",
    )
    def clear_set(
        self, request: Request[Any, Any, Any], principal: Caller, set_id: FromPath[str]
    ) -> dict[str, Any]:
        edited = _items(request).replace_skills(principal.tenant, set_id, [])
        return _skill_set_written(edited)


def _skill_set_written(edited: Edited) -> dict[str, Any]:
    return _skill_set(edited.part, {"config_version_id": edited.draft.public_id, "source": "draft"})


class TokenConfigController(Controller):
    path = "/token-config"
    tags = ["config"]

    @get("/", sync_to_thread=True, summary="The two token slots, primary and progression")
    def get_config(self, request: Request[Any, Any, Any], principal: Caller) -> dict[str, Any]:
        config, current = _items(request).token_config(principal.tenant)
        slots = config or {"primary": None, "progression": None}
        return {**slots, **_where(current)}

    @post(
        "/",
        dto=StrictBody[TokenConfigBody],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Set one or both token slots in the draft",
    )
    def upsert_config(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[TokenConfigBody]
    ) -> dict[str, Any]:
        edited = _items(request).upsert_token_slots(principal.tenant, _plain(data))
        return _written(edited)
