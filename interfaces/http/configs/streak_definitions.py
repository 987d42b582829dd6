"""``/streak-definitions``: the rulebook's streaks, edited like every other list section.

Writes land in the draft and reach buddies when it is published (``section_routes``); the
body and the answer are the rulebook's own streak shape (``domain/configs/rulebook.py``,
decision 0044), the answer in its canonical form. ``event_type`` (one type) is accepted for ``event_types``, as
the first version's documents had it.
"""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from application.configs.rule_editors import STREAKS
from domain.configs.rulebook import EventTypeName, SnakeKey, StreakDef
from interfaces.http.configs.section_routes import Source, section_controller


class StreakDefinitionBody(StreakDef, frozen=True, kw_only=True):
    """A streak definition as create and replace take it: ``event_type`` (one type) may
    stand for ``event_types``."""

    key: SnakeKey | None = None  # type: ignore[assignment]
    event_types: tuple[str, ...] | UnsetType = UNSET  # type: ignore[assignment]
    event_type: EventTypeName | UnsetType = UNSET  # type: ignore[assignment]


class StreakDefinition(StreakDef, frozen=True, kw_only=True):
    """A streak (``StreakDef``): consecutive ``period``s in which one of ``event_types``
    happened. ``freeze_token_key`` names the primary token, one of which keeps a missed
    period."""


class StreakDefinitionView(StreakDefinition, frozen=True, kw_only=True):
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
