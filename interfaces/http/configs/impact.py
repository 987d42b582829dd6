"""The wire shapes of ``GET /config-versions/{id}/impact`` and of a migration's outcome.

``Configs.impact`` and ``Configs.migrate_buddies`` answer plain data; these Structs are what
the API promises about it (and what the OpenAPI document shows). The routes convert the
answer into them, which checks it field by field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from domain.configs.config_version import ConfigStatus

Readiness = Literal["unchanged", "would_become_ready", "would_no_longer_be_ready"]


class VersionReference(msgspec.Struct, kw_only=True):
    config_version_id: str
    version: int | None
    status: ConfigStatus | None


class VersionBuddies(VersionReference, kw_only=True):
    buddies: int


class BuddyCounts(msgspec.Struct, kw_only=True):
    total: int
    on_this_version: int
    by_config_version: list[VersionBuddies]


class Window(msgspec.Struct):
    from_: datetime = msgspec.field(name="from")
    to: datetime


class ReplayBounds(msgspec.Struct, kw_only=True):
    max_buddies: int
    max_events: int
    time_budget_seconds: float


class TallyView(msgspec.Struct, kw_only=True):
    """What the window's events did (``actual``) or would do under the draft (``draft``)."""

    coins: int
    tokens: dict[str, int]
    badges: list[str]
    evolution_ready: bool


class Difference(msgspec.Struct, kw_only=True):
    coins: int
    tokens: dict[str, int]
    badges_gained: list[str]
    badges_lost: list[str]
    readiness: Readiness


class BuddyReplay(msgspec.Struct, kw_only=True):
    buddy_id: str
    config_version_id: str
    events_replayed: int
    truncated: bool
    actual: TallyView
    draft: TallyView
    difference: Difference


class Compared(msgspec.Struct, kw_only=True):
    actual: int
    draft: int
    difference: int


class ReadinessChanges(msgspec.Struct, kw_only=True):
    would_become_ready: int
    would_no_longer_be_ready: int


class ReplayTotals(msgspec.Struct, kw_only=True):
    buddies_examined: int
    buddies_with_events: int
    events_replayed: int
    coins: Compared
    tokens: dict[str, Compared]
    badges_gained: dict[str, int]
    badges_lost: dict[str, int]
    readiness: ReadinessChanges


class WhatIfView(msgspec.Struct, kw_only=True):
    """The last ``days`` of customer events replayed through a draft's rules."""

    days: int
    window: Window
    starting_state: str
    sampled: bool
    cut_by: list[Literal["max_buddies", "max_events", "time_budget"]]
    bounds: ReplayBounds
    buddies_eligible: int
    totals: ReplayTotals
    buddies: list[BuddyReplay]


class ImpactView(msgspec.Struct, kw_only=True):
    """Who publishing (or having published) a version concerns, and what changed.

    ``what_if`` is there for a draft only.
    """

    config_version_id: str
    version: int | None
    status: ConfigStatus
    compared_with: VersionReference | None
    affects_new_buddies: bool
    affects_existing_buddies: bool
    buddies: BuddyCounts
    summary: list[str]
    changes: list[str]
    what_if: WhatIfView | UnsetType = UNSET


class MigrationView(msgspec.Struct, kw_only=True):
    config_version_id: str
    version: int | None
    requested: int
    migrated: int
    already_on_version: int
    skipped: int
