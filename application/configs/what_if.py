"""What-if: the tenant's recent customer events replayed through a draft's rules.

The buddies are those a migration would move: the tenant's active buddies. For each, the
starting point is the buddy *as it was at the start of the window* (its stream and its
wallet loaded as they were then; a buddy hatched inside the window starts as it was born), so
caps, streaks, badges already held and coins already earned count as they would have. The
customer events the buddy received since (its ``ProgressRecorded`` facts name each
``event_id``; the stored ``EventIngestion`` holds the properties and audience) are folded
through the draft's rulebook with ``domain.ingestion.rules.fold``. Evolutions inside the window are
kept (the stage moves where it really moved); manual overrides and migrations are not
replayed: they are not customer events, and the draft would not change them.

"What actually happened" is what each ingestion recorded for that buddy: its coins,
tokens, badges and readiness. Both sides cover exactly the same events.

Bounded: at most ``max_buddies`` buddies (a stable sample: the lowest buddy ids, which are
random), ``max_events`` events in all, and a time budget. When a bound cut the replay, the
answer says ``sampled: true`` and which bounds cut it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import DomainEvent

from application.economy.wallets import ledger_id_for
from application.shared.ports import BuddyDirectory, Clock
from application.shared.store import EventStore
from application.shared.streams import events_of, read_stream, state_at, version_at
from domain.companions.buddy import Buddy
from domain.configs.rulebook import Rulebook
from domain.ingestion.event_ingestion import EventIngestion
from domain.ingestion.rules import CustomerEvent, Evaluation, ProgressState, check_evolution, fold
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant

DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 90
# Readiness facts in the window: what the buddy's readiness really became.
_READINESS: Final[dict[type[DomainEvent], bool]] = {
    Buddy.EvolutionBecameReady: True,
    Buddy.EvolutionReadinessWithdrawn: False,
    Buddy.Evolved: False,
}
_WINDOW_EVENTS: Final[tuple[type[DomainEvent], ...]] = (
    Buddy.ProgressRecorded,
    Buddy.Migrated,
    *_READINESS,
)
_BUDGET_CHECK_EVERY: Final = 100


@dataclass(frozen=True)
class WhatIfLimits:
    max_buddies: int = 200
    max_events: int = 10_000
    time_budget_seconds: float = 5.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_buddies": self.max_buddies,
            "max_events": self.max_events,
            "time_budget_seconds": self.time_budget_seconds,
        }


@dataclass
class Tally:
    """What the window's events did (or would do) to one buddy."""

    coins: int = 0
    tokens: dict[str, int] = field(default_factory=dict)
    badges: list[str] = field(default_factory=list)
    evolution_ready: bool = False

    def add(self, coins: int, tokens: dict[str, int], badges: Sequence[str]) -> None:
        self.coins += coins
        for key, amount in tokens.items():
            self.tokens[key] = self.tokens.get(key, 0) + amount
        self.badges.extend(b for b in badges if b not in self.badges)

    def to_dict(self) -> dict[str, Any]:
        return {
            "coins": self.coins,
            "tokens": {k: self.tokens[k] for k in sorted(self.tokens)},
            "badges": sorted(self.badges),
            "evolution_ready": self.evolution_ready,
        }


def check_days(days: int | None) -> int:
    if days is None:
        return DEFAULT_DAYS
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(
            "validation_failed",
            f"days must be between 1 and {MAX_DAYS}",
            {"fields": [{"field": "days", "reason": f"must be between 1 and {MAX_DAYS}"}]},
        )
    return days


class WhatIf:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        buddies: BuddyDirectory,
        limits: WhatIfLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._clock = clock
        self._buddies = buddies
        self._limits = limits or WhatIfLimits()
        self._monotonic = monotonic

    def replay(self, tenant: Tenant, rulebook: Rulebook, days: int | None) -> dict[str, Any]:
        """Replay the last ``days`` days (default 30, at most 90) through ``rulebook``."""
        days = check_days(days)
        limits = self._limits
        deadline = self._monotonic() + limits.time_budget_seconds
        until = self._clock.now()
        since = until - timedelta(days=days)
        eligible = self._buddies.buddy_ids(tenant)
        chosen = sorted(eligible, key=lambda b: b.hex)[: limits.max_buddies]
        cut = ["max_buddies"] if len(chosen) < len(eligible) else []
        left = limits.max_events
        reports: list[dict[str, Any]] = []
        for buddy_id in chosen:
            if left <= 0 or self._monotonic() > deadline:
                cut.append("max_events" if left <= 0 else "time_budget")
                break
            report, stopped = self._buddy(tenant, rulebook, buddy_id, since, left, deadline)
            reports.append(report)
            left -= report["events_replayed"]
            if stopped is not None:
                cut.append(stopped)
                break
        return {
            "days": days,
            "window": {"from": since, "to": until},
            "starting_state": "each buddy as it was at the start of the window",
            "sampled": bool(cut),
            "cut_by": sorted(set(cut)),
            "bounds": limits.to_dict(),
            "buddies_eligible": len(eligible),
            "totals": _totals(reports),
            "buddies": reports,
        }

    def _buddy(
        self,
        tenant: Tenant,
        rulebook: Rulebook,
        buddy_id: UUID,
        since: Any,
        left: int,
        deadline: float,
    ) -> tuple[dict[str, Any], str | None]:
        first = max(version_at(self._store, buddy_id, since), 1)  # born in the window: at birth
        buddy = state_at(self._store, buddy_id, first)
        window = [
            e
            for e in read_stream(self._store, buddy_id, after=first)
            if isinstance(e, _WINDOW_EVENTS)
        ]
        ledger_id = ledger_id_for(buddy_id)
        ledger = state_at(self._store, ledger_id, max(version_at(self._store, ledger_id, since), 1))
        start = buddy.progress_state(ledger.wallet())
        public = public_id("buddy", buddy_id)
        actual = Tally(evolution_ready=buddy.evolution_ready)
        pinned = buddy.config_version_id
        steps: list[CustomerEvent | int] = []
        stopped = None
        replayed = 0
        for event in window:
            if isinstance(event, Buddy.Migrated):
                pinned = event.to_config_version_id
                continue
            if not isinstance(event, Buddy.ProgressRecorded):
                actual.evolution_ready = _READINESS[type(event)]
                if isinstance(event, Buddy.Evolved):
                    steps.append(event.to_stage)
                continue
            if replayed >= left:
                stopped = "max_events"
                break
            if replayed % _BUDGET_CHECK_EVERY == 0 and self._monotonic() > deadline:
                stopped = "time_budget"
                break
            # The ingestion's one ``Recorded`` event holds it all: no aggregate to build.
            recorded_events = events_of(
                self._store, EventIngestion.id_for(tenant, event.event_id), limit=1
            )
            if not recorded_events:
                continue
            steps.append(_customer_event(recorded_events[0]))
            effects = _recorded_for(recorded_events[0], buddy_id)
            actual.add(effects["coins"], _tokens(effects["tokens"]), effects["badges_awarded"])
            replayed += 1
        draft = _replay(rulebook, start, steps)
        report = {
            "buddy_id": public,
            "config_version_id": public_id("config_version", pinned),  # at the window's end
            "events_replayed": replayed,
            "truncated": stopped is not None,
            "actual": actual.to_dict(),
            "draft": draft.to_dict(),
            "difference": _difference(actual, draft),
        }
        return report, stopped


def _replay(rulebook: Rulebook, start: ProgressState, steps: list[CustomerEvent | int]) -> Tally:
    """Fold the customer events, moving the stage where the buddy really evolved; readiness
    is the rulebook's verdict on the final state."""
    tally = Tally()
    state = start
    segment: list[CustomerEvent] = []
    evaluations: list[Evaluation] = []
    for step in [*steps, None]:
        if isinstance(step, CustomerEvent):
            segment.append(step)
            continue
        state, done = fold(rulebook, state, segment)
        evaluations.extend(done)
        segment = []
        if step is not None:
            state = replace(state, stage=step)
    for evaluation in evaluations:
        effects = evaluation.effects
        tally.add(
            effects.coins, effects.tokens_by_key(), [b.badge_key for b in effects.badges_awarded]
        )
    tally.evolution_ready = check_evolution(rulebook, state).ready
    return tally


def _customer_event(recorded: EventIngestion.Recorded) -> CustomerEvent:
    return CustomerEvent(
        event_id=recorded.event_id,
        type=recorded.type,
        user_id=recorded.user_id,
        occurred_at=recorded.occurred_at,
        properties=recorded.properties,
        audience=recorded.audience,
    )


def _recorded_for(recorded: EventIngestion.Recorded, buddy_id: UUID) -> dict[str, Any]:
    """The effects an ingestion recorded for one buddy (``effects.buddies[]``)."""
    for entry in recorded.effects.get("buddies", ()):
        if entry.get("buddy_id") == buddy_id:
            return dict(entry)
    return {"coins": 0, "tokens": [], "badges_awarded": []}


def _tokens(recorded: Sequence[str]) -> dict[str, int]:
    """``["xp:10", "stars:1"]`` (the effects' wire form) → ``{"xp": 10, "stars": 1}``."""
    totals: dict[str, int] = {}
    for item in recorded:
        key, _, amount = item.rpartition(":")
        totals[key] = totals.get(key, 0) + int(amount)
    return totals


def _difference(actual: Tally, draft: Tally) -> dict[str, Any]:
    keys = sorted(set(actual.tokens) | set(draft.tokens))
    if draft.evolution_ready == actual.evolution_ready:
        readiness = "unchanged"
    elif draft.evolution_ready:
        readiness = "would_become_ready"
    else:
        readiness = "would_no_longer_be_ready"
    return {
        "coins": draft.coins - actual.coins,
        "tokens": {k: draft.tokens.get(k, 0) - actual.tokens.get(k, 0) for k in keys},
        "badges_gained": sorted(set(draft.badges) - set(actual.badges)),
        "badges_lost": sorted(set(actual.badges) - set(draft.badges)),
        "readiness": readiness,
    }


def _totals(reports: list[dict[str, Any]]) -> dict[str, Any]:
    coins = {"actual": 0, "draft": 0, "difference": 0}
    tokens: dict[str, dict[str, int]] = {}
    gained: dict[str, int] = {}
    lost: dict[str, int] = {}
    readiness = {"would_become_ready": 0, "would_no_longer_be_ready": 0}
    for report in reports:
        for side in ("actual", "draft"):
            coins[side] += report[side]["coins"]
            for key, amount in report[side]["tokens"].items():
                tokens.setdefault(key, {"actual": 0, "draft": 0, "difference": 0})[side] += amount
        difference = report["difference"]
        for key in difference["badges_gained"]:
            gained[key] = gained.get(key, 0) + 1
        for key in difference["badges_lost"]:
            lost[key] = lost.get(key, 0) + 1
        if difference["readiness"] in readiness:
            readiness[difference["readiness"]] += 1
    coins["difference"] = coins["draft"] - coins["actual"]
    for totals in tokens.values():
        totals["difference"] = totals["draft"] - totals["actual"]
    return {
        "buddies_examined": len(reports),
        "buddies_with_events": sum(1 for r in reports if r["events_replayed"]),
        "events_replayed": sum(r["events_replayed"] for r in reports),
        "coins": coins,
        "tokens": {k: tokens[k] for k in sorted(tokens)},
        "badges_gained": {k: gained[k] for k in sorted(gained)},
        "badges_lost": {k: lost[k] for k in sorted(lost)},
        "readiness": readiness,
    }
