"""``/streak-definitions``: the rulebook's streaks, edited like every other list section.

Writes land in the draft and reach buddies when it is published (``section_routes``); the
body mirrors a streak of the rulebook document (``domain/configs/rulebook.py``), and the
answer is its canonical form. ``event_type`` (one type) is accepted for ``event_types``, as
the first version's documents had it.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from application.configs.rule_editors import STREAKS
from interfaces.http.body import Model
from interfaces.http.configs.section_routes import Source, section_controller

Period = Literal["daily", "weekly", "monthly"]
DisplayMode = Literal["count", "row", "mini"]


class StreakMilestone(Model):
    """Reaching ``count`` pays ``coins``, ``tokens`` (token key → amount) and ``badge_key``."""

    count: int
    coins: int | None = None
    tokens: dict[str, int] = {}
    badge_key: str | None = None


class StreakDefinitionBody(Model):
    event_types: list[str] | UnsetType = UNSET
    event_type: str | UnsetType = UNSET
    key: str | None = None
    period: Period = "daily"
    tick_coins: int | None = None
    milestones: list[StreakMilestone] = []
    display_mode: DisplayMode = "count"
    max_row_icons: int | None = None
    freeze_token_key: str | None = None
    audience: str | None = None


class StreakMilestoneView(msgspec.Struct, kw_only=True):
    count: int
    coins: int | None
    tokens: dict[str, int]
    badge_key: str | None


class StreakDefinition(msgspec.Struct, kw_only=True):
    """A streak: consecutive ``period``s in which one of ``event_types`` happened.
    ``freeze_token_key`` names the primary token, one of which keeps a missed period."""

    key: str
    event_types: list[str]
    period: Period
    tick_coins: int | None
    milestones: list[StreakMilestoneView]
    display_mode: DisplayMode
    max_row_icons: int | None
    freeze_token_key: str | None
    audience: str | None


class StreakDefinitionView(StreakDefinition, kw_only=True):
    config_version_id: str
    source: Source


StreakDefinitionController = section_controller(
    STREAKS,
    "/streak-definitions",
    "streak_key",
    StreakDefinitionBody,
    StreakDefinition,
    StreakDefinitionView,
)
