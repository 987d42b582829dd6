"""The event-type registry's rules: who uses a type, and which registered type a typo meant.

A rule or streak names event types by key; renaming or deleting a key they still name would
leave them silently matching nothing, so the registry refuses it (``event_type_in_use``,
decision 0041) and says which ones to change first. ``suggestion`` is the did-you-mean of a
warning: the registered type closest to an unregistered one, when one is close enough.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from domain.configs.rulebook import EventTypeDef, Rulebook

SUGGESTION_CUTOFF = 0.75
"""How alike (``difflib`` ratio) a registered type must be to be suggested: ``lesson_complete``
for ``lesson_completed`` is 0.97; ``login`` for ``lesson_completed`` is far below."""


def users_of(rulebook: Rulebook, key: str) -> list[str]:
    """The document paths of the rules, streaks and badge conditions that name ``key``."""
    paths = [f"coin_rules[{i}]" for i, r in enumerate(rulebook.coin_rules) if r.event_type == key]
    paths += [
        f"skill_rules[{i}]" for i, r in enumerate(rulebook.skill_rules) if r.event_type == key
    ]
    for slot in ("primary", "progression"):
        earn_rules = getattr(rulebook.token_config, slot).earn_rules
        paths += [
            f"token_config.{slot}.earn_rules[{i}]"
            for i, r in enumerate(earn_rules)
            if r.event_type == key
        ]
    paths += [f"streaks[{i}]" for i, s in enumerate(rulebook.streaks) if key in s.event_types]
    paths += [
        f"badges[{i}]"
        for i, b in enumerate(rulebook.badges)
        if getattr(b.condition, "event_type", None) == key
    ]
    return paths


def suggestion(event_type: str, registered: Iterable[str]) -> str | None:
    """The registered type ``event_type`` most likely meant, or ``None``."""
    close = difflib.get_close_matches(event_type, sorted(registered), n=1, cutoff=SUGGESTION_CUTOFF)
    return close[0] if close else None


def find(defs: Iterable[EventTypeDef], ref: str) -> EventTypeDef | None:
    """The type with id ``ref``; else the one named ``ref`` now; else the one named so before a
    rename (so a link written before it still resolves)."""
    defs = list(defs)
    for matches in (
        lambda t: t.id == ref,
        lambda t: t.key == ref,
        lambda t: ref in t.former_keys,
    ):
        found = next((t for t in defs if matches(t)), None)
        if found is not None:
            return found
    return None
