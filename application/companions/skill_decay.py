"""Skill decay sweeps: every buddy loses the points its rulebook's active decay rules say it
lost since it last practised (``domain/companions/skill_decay.py``; decision 0037).

A buddy is judged under the rulebook it is pinned to, like every other rule: a decay rule
published in a new version reaches the buddies born on it, and the others once migrated.
Each buddy is one load-decide-save (``retry_on_conflict``): its decays, then the badge and
readiness pass (``wallets.settle``: a skill that dropped a level may withdraw readiness; a
badge is never revoked), saved with its wallet in one transaction. Two sweeps of one buddy
at once decide the same periods; the second write fails on the buddy's stream version, and
its retry reloads and finds them decayed. So a period decays once however often, and by
however many processes, it is swept.

``sweep`` is the scheduled pass (``hatched worker`` and the embedded ``serve``): periods
only end at UTC midnights, so after one complete pass a process sweeps again only once the
UTC day has changed. ``run`` is ``POST /skill-decay-rules/run-now``: one tenant, now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.companions.buddy_audiences import BuddyAudiences
from application.configs.configs import Configs
from application.economy.wallets import ledger_id_for, settle
from application.shared.ports import BuddyDirectory, Clock, DecayCandidates
from application.shared.store import EventStore, retry_on_conflict
from domain.companions.buddy import Buddy
from domain.configs.rulebook import DEFAULT_AUDIENCE, DecayRule, Rulebook
from domain.economy.ledger import Ledger
from domain.shared.correlation import correlated
from domain.shared.ids import natural_id, public_id
from domain.shared.tenancy import Tenant

log = logging.getLogger("hatched.skill_decay")

BATCH = 500
CAUSE_SWEEP = "skill_decay_sweep"
CAUSE_RUN_NOW = "skill_decay_run_now"


@dataclass(frozen=True)
class AppliedDecay:
    decay_id: UUID
    buddy_id: UUID
    user_id: str
    rule_id: str
    skill_key: str
    period: str
    previous_value: int
    new_value: int
    previous_level: int
    new_level: int
    applied_at: datetime


@dataclass
class DecayRun:
    """What one sweep did: buddies judged and the decays recorded."""

    buddies_checked: int = 0
    decays: list[AppliedDecay] = field(default_factory=list)


def active_rules(rulebook: Rulebook) -> list[DecayRule]:
    return [r for r in rulebook.decay_rules if r.active and rulebook.skill(r.skill_key)]


class SkillDecay:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        configs: Configs,
        candidates: DecayCandidates,
        directory: BuddyDirectory,
    ) -> None:
        self._store = store
        self._clock = clock
        self._configs = configs
        self._candidates = candidates
        self._directory = directory
        self._swept_on: date | None = None
        self._audiences = BuddyAudiences(store)

    def sweep(self) -> DecayRun | None:
        """The scheduled pass over every tenant; ``None`` when this process already made a
        complete pass today (UTC), since no period can have ended since."""
        today = self._clock.now().date()
        if self._swept_on == today:
            return None
        run = DecayRun()
        for version_id in self._candidates.versions_in_use():
            if not active_rules(self._configs.rulebook(version_id)):
                continue
            after: UUID | None = None
            while True:
                batch = self._candidates.buddies_on(version_id, after, BATCH)
                for buddy_id in batch:
                    self._judge(buddy_id, {"source": CAUSE_SWEEP}, run)
                if len(batch) < BATCH:
                    break
                after = batch[-1]
        self._swept_on = today
        if run.decays:
            log.info("decayed %d skills of %d buddies", len(run.decays), run.buddies_checked)
        return run

    def run(self, tenant: Tenant, correlation_id: str | None = None) -> DecayRun:
        """Sweep one tenant's active buddies now."""
        run = DecayRun()
        cause = {"source": CAUSE_RUN_NOW, **correlated(correlation_id)}
        for buddy_id in self._directory.buddy_ids(tenant):
            self._judge(buddy_id, cause, run)
        return run

    def _judge(self, buddy_id: UUID, cause: dict[str, Any], run: DecayRun) -> None:
        run.buddies_checked += 1
        run.decays.extend(self.apply(buddy_id, cause))

    def apply(self, buddy_id: UUID, cause: dict[str, Any]) -> list[AppliedDecay]:
        """Decay one buddy by every active rule of its rulebook; saved with its settlement."""

        def attempt() -> list[AppliedDecay]:
            buddy = self._store.find(Buddy, buddy_id)
            if buddy is None or not buddy.is_active:
                return []
            rulebook = self._configs.rulebook(buddy.config_version_id)
            rules = [r for r in active_rules(rulebook) if r.audience == self._audience(buddy)]
            applied: list[AppliedDecay] = []
            now = self._clock.now()
            for rule in rules:
                skill = rulebook.skill(rule.skill_key)
                assert skill is not None  # active_rules keeps rules of known skills
                for step in buddy.decay_skill(rule, skill, causation=cause, timestamp=now):
                    applied.append(
                        AppliedDecay(
                            decay_id=natural_id("skill_decay", buddy.id.hex, rule.id, step.period),
                            buddy_id=buddy.id,
                            user_id=buddy.user_id,
                            rule_id=rule.id,
                            skill_key=skill.key,
                            period=step.period,
                            previous_value=step.previous_value,
                            new_value=step.new_value,
                            previous_level=step.previous_level,
                            new_level=step.new_level,
                            applied_at=now,
                        )
                    )
            if not applied:
                return []
            ledger = self._store.load(
                Ledger, ledger_id_for(buddy.id), "ledger", public_id("buddy", buddy.id)
            )
            settle(buddy, ledger, rulebook, cause, now)
            self._store.save(buddy, ledger)
            return applied

        return retry_on_conflict(attempt, line=public_id("buddy", buddy_id))

    def _audience(self, buddy: Buddy) -> str:
        """The audience the buddy was hatched for (its egg's; ``default`` without one)."""
        return self._audiences.of(buddy) or DEFAULT_AUDIENCE
