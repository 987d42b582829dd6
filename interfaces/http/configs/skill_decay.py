"""Skill decay rules: a section of the rulebook (draft → publish, decision 0037), plus
what a decay rule did (``history``), would do (``preview``) and a sweep now (``run-now``).

The five section routes come from ``section_controller`` like the other rule editors; the
seed's table lists ``GET`` list, ``POST``, ``PUT`` and ``DELETE``; ``GET /{rule_id}`` comes
with them. ``preview`` and ``history`` read the rule as the other reads show it (the draft
when there is one, else the published version).
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from application.companions.skill_decay import AppliedDecay, SkillDecay
from application.configs.configs import Configs
from application.configs.rule_editors import DECAY_RULES, ConfigItems
from domain.companions.skill_decay import preview
from domain.configs.rulebook import DecayRule, Rulebook, RuleId
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import public_id
from infrastructure.companions.decay_history import ORDER, decay_history
from interfaces.http.auth import Caller
from interfaces.http.configs.section_routes import Source, section_controller, where
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Page, Paging, TenantListing
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, get, post
from projections.companions.buddies import BuddiesView
from projections.companions.skill_decays import SKILL_DECAYS, SkillDecaysView
from projections.shared.base import iso

Cadence = Literal["daily", "weekly", "monthly"]
DEFAULT_PREVIEW_PERIODS = 30
MAX_PREVIEW_PERIODS = 1000


class DecayRuleBody(DecayRule, frozen=True, kw_only=True):
    """A decay rule; without an ``id`` one is derived from the skill."""

    id: RuleId | None = None  # type: ignore[assignment]


class DecayRuleView(DecayRule, frozen=True, kw_only=True):
    config_version_id: str
    source: Source


class PreviewLevel(msgspec.Struct, kw_only=True):
    level: int
    value: int
    value_after: int
    level_after: int
    decays: int


class DecayPreview(msgspec.Struct, kw_only=True):
    """Where a buddy at (the first point of) each level would be after ``periods`` periods
    without practice, its grace already over."""

    rule_id: str
    skill_key: str
    cadence: Cadence
    periods: int
    levels: list[PreviewLevel]
    config_version_id: str | None
    source: Source | None


class DecayApplied(msgspec.Struct, kw_only=True):
    decay_id: str
    buddy_id: str
    user_id: str
    rule_id: str
    skill_key: str
    period: str
    amount: int
    previous_value: int
    new_value: int
    previous_level: int
    new_level: int
    applied_at: str


class DecayRunResult(msgspec.Struct, kw_only=True):
    """What the sweep did, synchronously: buddies judged and every decay recorded."""

    buddies_checked: int
    decays_applied: int
    decays: list[DecayApplied]


SkillDecayRuleController = section_controller(
    DECAY_RULES, "/skill-decay-rules", "rule_id", DecayRuleBody, DecayRule, DecayRuleView
)


class SkillDecayController(Controller):
    path = "/skill-decay-rules"
    tags = ["config"]

    @post(
        "/run-now",
        access=Access.SECRET,
        status_code=200,
        summary="Run a skill decay sweep now for this tenant",
    )
    def run_now(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        skill_decay: NamedDependency[SkillDecay],
    ) -> DecayRunResult:
        read_your_writes(request, BuddiesView.name)  # every buddy hatched so far is judged
        run = skill_decay.run(principal.tenant, correlation_of(request))
        decays = [_applied(d) for d in run.decays]
        return DecayRunResult(
            buddies_checked=run.buddies_checked, decays_applied=len(decays), decays=decays
        )

    @get(
        "/{rule_id:str}/preview",
        access=Access.SECRET,
        summary="Where a buddy at each level would be after N periods of a decay rule",
    )
    def preview_rule(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        rule_id: FromPath[str],
        periods: FromQuery[int] = DEFAULT_PREVIEW_PERIODS,
    ) -> DecayPreview:
        if not 1 <= periods <= MAX_PREVIEW_PERIODS:
            reason = f"must be between 1 and {MAX_PREVIEW_PERIODS}"
            raise DomainError(
                "validation_failed",
                f"periods {reason}",
                {"fields": [{"field": "periods", "reason": reason}]},
            )
        items = ConfigItems(configs)
        _, current = items.item(principal.tenant, DECAY_RULES, rule_id)
        assert current.document is not None  # the rule was found in it
        rulebook = Rulebook.from_dict(current.document)
        rule = rulebook.decay_rule(rule_id)
        skill = rulebook.skill(rule.skill_key) if rule is not None else None
        if rule is None or skill is None:  # a valid document names known skills
            raise NotFound("skill decay rule", rule_id)
        levels = [
            PreviewLevel(
                level=row.level,
                value=row.value,
                value_after=row.value_after,
                level_after=row.level_after,
                decays=row.decays,
            )
            for row in preview(rule, skill, periods)
        ]
        return DecayPreview(
            rule_id=rule.id,
            skill_key=skill.key,
            cadence=rule.cadence,
            periods=periods,
            levels=levels,
            **where(current),
        )

    @get(
        "/{rule_id:str}/history",
        access=Access.SECRET,
        errors=("bad_request",),
        summary="The decays a rule applied, newest first",
    )
    def rule_history(
        self,
        paging: NamedDependency[Paging],
        configs: NamedDependency[Configs],
        rule_id: FromPath[str],
    ) -> Page[DecayApplied]:
        ConfigItems(configs).item(paging.tenant, DECAY_RULES, rule_id)  # 404 when unknown
        return DECAY_HISTORY.page_of(paging, rule_id)


def _applied(decay: AppliedDecay) -> DecayApplied:
    return DecayApplied(
        decay_id=str(decay.decay_id),
        buddy_id=public_id("buddy", decay.buddy_id),
        user_id=decay.user_id,
        rule_id=decay.rule_id,
        skill_key=decay.skill_key,
        period=decay.period,
        amount=decay.previous_value - decay.new_value,
        previous_value=decay.previous_value,
        new_value=decay.new_value,
        previous_level=decay.previous_level,
        new_level=decay.new_level,
        applied_at=iso(decay.applied_at),
    )


def _row(row: dict[str, Any]) -> DecayApplied:
    return DecayApplied(
        decay_id=str(UUID(hex=row["decay_id"])),
        buddy_id=public_id("buddy", UUID(hex=row["buddy_id"])),
        user_id=row["user_id"],
        rule_id=row["rule_id"],
        skill_key=row["skill_key"],
        period=row["period"],
        amount=row["amount"],
        previous_value=row["previous_value"],
        new_value=row["new_value"],
        previous_level=row["previous_level"],
        new_level=row["new_level"],
        applied_at=row["applied_at"],
    )


DECAY_HISTORY = TenantListing(
    SkillDecaysView.name, SKILL_DECAYS.name, ORDER, _row, owner="rule_id", rows_of=decay_history
)
