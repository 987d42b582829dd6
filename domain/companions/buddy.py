"""The buddy: a user's virtual pet and everything it has become, except its wallet.

Coins and tokens live in the buddy's ``Ledger``; the rule engine sees both through
``Buddy.progress_state(ledger.wallet())``. A customer event is applied by evaluating it
(``domain.ingestion.rules.evaluate``), crediting the ledger with the wallet effects, and calling
``Buddy.record_progress`` with the same evaluation for everything else. Each resulting event
carries its causation: the customer's ``event_id``, the rule or badge, the config version.

Attributes are plain JSON-friendly values (dicts with string keys, lists, ints, strings,
UUIDs, datetimes) so snapshots serialise as they are.

Status is ``active`` or ``archived``; an archived buddy is read-only (every command raises
``invalid_state_transition``). Badges are never revoked, not even by a migration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.companions.appearance import AWAITING_CREDITS, NEEDS_RERENDER, RenderedImages
from domain.companions.skill_decay import DecayStep, plan_decay
from domain.configs.rulebook import (
    LAYER_ORDER,
    MAX_STAGE,
    MIN_STAGE,
    MULTI_EQUIP_CATEGORIES,
    VISUAL_CATEGORIES,
    DecayRule,
    SkillDef,
)
from domain.economy.ledger import WalletBalances
from domain.ingestion.rules import (
    BadgeAward,
    Evaluation,
    ProgressState,
    RuleCounter,
    Settlement,
    StreakCredit,
    StreakSweep,
    apply_streak_facts,
    count_event,
    record_award,
)
from domain.ingestion.streaks import (
    StreakBurn,
    StreakFact,
    StreakFreeze,
    StreakMilestone,
    StreakRecord,
    StreakTick,
    label_index,
    period_end,
)
from domain.shared.correlation import correlated
from domain.shared.errors import DomainError, InvalidStateTransition
from domain.shared.ids import natural_id
from domain.shared.tenancy import Mode

BuddyStatus = Literal["active", "archived"]
MAX_EQUIPPED: Final = 4
MAX_NAME_LENGTH: Final = 64


def arrange_equipment(
    item_ids: Sequence[str], owned: Sequence[str], categories: Mapping[str, str]
) -> list[str]:
    """Validate an outfit and return it in rendering order, ``(layer_order, item_id)``.

    Rules, checked in this order:

    * at most 4 items → ``too_many_items`` (``details.max``, ``details.attempted``);
    * each item owned by the buddy → ``item_not_owned`` (400, ``details.item_ids``);
      ownership is a fact about the buddy, so a catalog miss is asked second;
    * each item known to the catalog → ``bad_request`` (``details.item_ids``);
    * no booster (a consumable, never drawn) → ``item_not_equippable`` (``details.item_ids``);
    * one item per category except ``accessory`` → ``category_conflict``
      (``details.category``, ``details.conflicting_item_ids``; ``item_ids`` is the same list,
      as it was first named).

    Repeating an id equips it once. Usable at request time, before starting an operation.
    """
    unique = sorted(set(item_ids))
    if len(unique) > MAX_EQUIPPED:
        raise DomainError(
            "too_many_items",
            f"at most {MAX_EQUIPPED} items can be equipped, {len(unique)} were requested",
            {"max": MAX_EQUIPPED, "attempted": len(unique)},
        )
    not_owned = [i for i in unique if i not in owned]
    if not_owned:
        raise DomainError(
            "item_not_owned",
            f"the buddy does not own {', '.join(not_owned)}",
            {"item_ids": not_owned},
        )
    unknown = [i for i in unique if categories.get(i) not in LAYER_ORDER]
    if unknown:
        raise DomainError(
            "bad_request",
            f"not in the item catalog: {', '.join(unknown)}",
            {"item_ids": unknown},
        )
    boosters = [i for i in unique if categories[i] not in VISUAL_CATEGORIES]
    if boosters:
        raise DomainError(
            "item_not_equippable",
            f"{', '.join(boosters)} cannot be worn: boosters are used, not equipped",
            {"item_ids": boosters},
        )
    by_category: dict[str, list[str]] = {}
    for item_id in unique:
        by_category.setdefault(categories[item_id], []).append(item_id)
    for category in sorted(by_category):
        worn = by_category[category]
        if len(worn) > 1 and category not in MULTI_EQUIP_CATEGORIES:
            raise DomainError(
                "category_conflict",
                f"only one {category} item can be equipped at a time",
                {"category": category, "conflicting_item_ids": worn, "item_ids": worn},
            )
    return sorted(unique, key=lambda i: (LAYER_ORDER[categories[i]], i))


class Buddy(Aggregate):
    # The pictures last drawn (``AppearanceRendered``) and whether drawing failed since. A
    # class default, so a buddy recorded before pictures existed loads with ``None``.
    appearance: dict[str, Any] | None = None
    # What skill decay judges by (``domain/companions/skill_decay.py``): when the buddy was
    # pinned to its rulebook, when each skill was last practised, and per decay rule the end
    # of the last period it decayed. Class defaults, so a snapshot taken before decay existed
    # loads (``decay_anchor`` says what stands in for them).
    config_pinned_at: datetime | None = None
    skill_touched_at: dict[str, datetime] | None = None
    decayed_through: dict[str, datetime] | None = None
    # Each streak's record (``StreakRecord.to_dict``). ``None`` in a buddy recorded before
    # records existed: its ``streaks`` counts and ``streak_last_day`` stand for them.
    streak_records: dict[str, dict[str, Any]] | None = None
    # How many of each owned item it holds (a booster can be bought again); a class default
    # too, so a buddy recorded before quantities loads with ``None`` (each owned item is one).
    item_quantities: dict[str, int] | None = None
    # Per custom badge condition (``CustomCondition.counter_key``) the events that matched
    # it; a class default, so a buddy recorded before custom conditions loads with ``None``.
    condition_matches: dict[str, int] | None = None

    class Hatched(Aggregate.Created):
        """Version 2 added ``correlation_id``, the hatch operation's (``Operation``)."""

        class_version = 2
        customer_id: UUID
        mode: Mode
        user_id: str
        egg_id: UUID
        config_version_id: UUID
        name: str
        correlation_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["correlation_id"] = None

    @event(Hatched)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        user_id: str,
        egg_id: UUID,
        config_version_id: UUID,
        name: str,
        correlation_id: str | None,
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.user_id = user_id
        self.egg_id = egg_id
        self.config_version_id = config_version_id
        self.name = _checked_name(name)
        self.status: BuddyStatus = "active"
        self.evolution_stage = MIN_STAGE
        self.evolution_ready = False
        self.last_evolve_operation_id: UUID | None = None
        self.skills: dict[str, int] = {}
        self.badges: dict[str, datetime] = {}  # badge key → awarded at, in award order
        self.badges_ready: list[str] = []  # manual badges waiting for an award
        self.owned_item_ids: list[str] = []
        self.equipped_item_ids: list[str] = []  # in rendering order
        # Counters the rule engine needs.
        self.event_counts: dict[str, int] = {}
        self.rule_counters: dict[str, dict[str, Any]] = {}  # rule id → RuleCounter.to_dict()
        self.streaks: dict[str, int] = {}
        self.streak_records = {}
        self.last_event_at: datetime | None = None
        self.archived_at: datetime | None = None
        self.config_pinned_at = timestamp
        self.skill_touched_at = {}
        self.decayed_through = {}

    # Queries -------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def progress_state(self, wallet: WalletBalances) -> ProgressState:
        """The engine's view of this buddy, with balances from its ledger."""
        return ProgressState(
            stage=self.evolution_stage,
            coins=wallet.coins,
            coins_earned=wallet.coins_earned,
            tokens=dict(wallet.tokens),
            tokens_earned=dict(wallet.tokens_earned),
            skills=dict(self.skills),
            badges=frozenset(self.badges),
            event_counts=dict(self.event_counts),
            rule_counters={k: RuleCounter.from_dict(v) for k, v in self.rule_counters.items()},
            owned_items=frozenset(self.owned_item_ids),
            streaks=dict(self.streaks),
            streak_records=self.records(),
            condition_matches=dict(self.condition_matches or {}),
        )

    def decay_anchor(self, skill_key: str) -> datetime:
        """When ``skill_key``'s decay grace starts: its last practice, or when the buddy was
        pinned to its rulebook, whichever is later. A buddy loaded from a snapshot older than
        decay has no practice times: its last customer event stands in for them."""
        pinned = self.config_pinned_at or self.created_on
        touched = (
            self.skill_touched_at.get(skill_key)
            if self.skill_touched_at is not None
            else self.last_event_at
        )
        return max(pinned, touched) if touched is not None else pinned

    def records(self) -> dict[str, StreakRecord]:
        """Each streak's record (a buddy from before records has daily counts and days)."""
        if self.streak_records is None:
            last_days: dict[str, str] = getattr(self, "streak_last_day", None) or {}
            return {
                key: StreakRecord.legacy(self.streaks.get(key, 0), day)
                for key, day in sorted(last_days.items())
                if self.streaks.get(key, 0) > 0
            }
        return {k: StreakRecord.from_dict(v) for k, v in sorted(self.streak_records.items())}

    # Commands: progression -----------------------------------------------------------

    def record_progress(
        self, evaluation: Evaluation, *, correlation_id: str | None = None, timestamp: datetime
    ) -> None:
        """Apply the non-wallet effects of ``evaluation`` (the wallet ones go to the Ledger).

        Emits ``ProgressRecorded`` always (the event is counted even when no rule fired),
        then each streak's ``StreakFrozen``/``StreakBurned`` for missed periods, its
        ``StreakTicked`` and ``StreakMilestoneReached``, ``SkillIncreased`` per increment, ``SkillLeveledUp`` per
        skill that gained a level, ``BadgeAwarded`` per badge, ``BadgeBecameReady`` for a
        manual badge newly ready and ``EvolutionBecameReady`` when readiness turns on.
        """
        self._require_active("recording progress")
        e = evaluation.effects
        cause: dict[str, Any] = {
            "event_id": evaluation.event_id,
            "config_version_id": self.config_version_id,
            **correlated(correlation_id),
        }
        self._progress_recorded(
            event_id=evaluation.event_id,
            event_type=evaluation.event_type,
            occurred_at=evaluation.occurred_at,
            day=evaluation.day,
            week=evaluation.week,
            config_version_id=self.config_version_id,
            rule_awards=[
                {"rule_id": c.rule_id, "currency": "coins", "amount": c.amount}
                for c in e.coin_credits
            ]
            + [
                {"rule_id": t.rule_id, "currency": t.token_key, "amount": t.amount}
                for t in e.token_credits
            ],
            timestamp=timestamp,
        )
        if evaluation.condition_matches:
            self._custom_conditions_matched(
                condition_keys=list(evaluation.condition_matches),
                causation=cause,
                timestamp=timestamp,
            )
        self._record_streak_facts(e.streaks, e.streak_credits, cause, timestamp)
        for inc in e.skill_increments:
            self._skill_increased(
                skill_key=inc.skill_key,
                amount=inc.amount,
                value_after=self.skills.get(inc.skill_key, 0) + inc.amount,
                causation={**cause, "rule_id": inc.rule_id},
                timestamp=timestamp,
            )
        for up in e.skill_level_ups:
            self._skill_leveled_up(
                skill_key=up.skill_key,
                from_level=up.from_level,
                to_level=up.to_level,
                value=up.value,
                causation=cause,
                timestamp=timestamp,
            )
        self._record_badges(e.badges_awarded, e.badges_ready, cause, timestamp)
        if e.evolution_ready and not self.evolution_ready:
            self._evolution_became_ready(
                stage=self.evolution_stage,
                next_stage=e.next_stage,
                causation=cause,
                timestamp=timestamp,
            )

    def record_streak_sweep(
        self, swept: StreakSweep, *, causation: dict[str, Any], timestamp: datetime
    ) -> None:
        """Record the freezes and burns a sweep found (``rules.sweep_streaks``); the wallet
        debits the freeze tokens in the same save."""
        self._require_active("sweeping streaks")
        cause = {**causation, "config_version_id": self.config_version_id}
        self._record_streak_facts(swept.facts, (), cause, timestamp)

    def _record_streak_facts(
        self,
        facts: Sequence[StreakFact],
        credits: Sequence[StreakCredit],
        cause: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        """Record each fact as its event: the fact's own fields, a milestone's payout, and
        ``next_due_at`` folded over the records as the facts apply one after another."""
        recorders: dict[type[StreakFact], Callable[..., None]] = {
            StreakTick: self._streak_ticked,
            StreakFreeze: self._streak_frozen,
            StreakBurn: self._streak_burned,
            StreakMilestone: self._streak_milestone_reached,
        }
        records = self.records()
        for fact in facts:
            records = apply_streak_facts(records, [fact])
            extra = _milestone_paid(fact, credits) if isinstance(fact, StreakMilestone) else {}
            recorders[type(fact)](
                **asdict(fact),
                **extra,
                next_due_at=next_due(records),
                causation={**cause, "streak_key": fact.streak_key},
                timestamp=timestamp,
            )

    def record_settlement(
        self, settlement: Settlement, *, causation: dict[str, Any], timestamp: datetime
    ) -> None:
        """Apply ``rules.settle`` run after a change that was not a customer event (an evolve,
        an override, a purchase, a migration): the same ``BadgeAwarded`` (``source: rule``)
        and ``BadgeBecameReady`` an event would have recorded, then the readiness as
        ``update_evolution_readiness`` records it. The wallet credits the badges' coins."""
        self._require_active("settling badges")
        cause = {**causation, "config_version_id": self.config_version_id}
        self._record_badges(settlement.badges_awarded, settlement.badges_ready, cause, timestamp)
        self.update_evolution_readiness(
            ready=settlement.evolution.ready, causation=causation, timestamp=timestamp
        )

    def _record_badges(
        self,
        awarded: Sequence[BadgeAward],
        ready: Sequence[str],
        cause: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        for award in awarded:
            if award.badge_key not in self.badges:
                self._badge_awarded(
                    badge_key=award.badge_key,
                    coin_reward=award.coin_reward,
                    token_rewards=dict(award.token_rewards),
                    source="rule",
                    actor=None,
                    causation={**cause, "badge_key": award.badge_key},
                    timestamp=timestamp,
                )
        for badge_key in ready:
            if badge_key not in self.badges and badge_key not in self.badges_ready:
                self._badge_became_ready(
                    badge_key=badge_key,
                    causation={**cause, "badge_key": badge_key},
                    timestamp=timestamp,
                )

    def update_evolution_readiness(
        self, *, ready: bool, causation: dict[str, Any], timestamp: datetime
    ) -> None:
        """Record a readiness recomputed outside an event (after a migration, an override
        or an evolve), from ``rules.check_evolution``. Nothing happens when it is unchanged."""
        self._require_active("updating evolution readiness")
        if ready == self.evolution_ready:
            return
        if ready:
            next_stage = self.evolution_stage + 1
            self._evolution_became_ready(
                stage=self.evolution_stage,
                next_stage=next_stage,
                causation=causation,
                timestamp=timestamp,
            )
        else:
            self._evolution_readiness_withdrawn(causation=causation, timestamp=timestamp)

    def evolve(
        self,
        *,
        to_stage: int,
        operation_id: UUID,
        correlation_id: str | None = None,
        timestamp: datetime,
    ) -> None:
        """Move to the next stage. Repeating the same operation changes nothing.
        ``correlation_id`` is the operation's, recorded with the fact.

        ``invalid_state_transition`` when archived, ``max_stage_reached`` at stage 5,
        ``evolution_not_ready`` unless readiness was recorded, ``conflict`` when
        ``to_stage`` is not the next stage (the buddy moved since the request).
        """
        if operation_id == self.last_evolve_operation_id:
            return
        if not self.is_active:
            raise InvalidStateTransition("buddy", self.status, "evolving")
        if self.evolution_stage >= MAX_STAGE:
            raise DomainError(
                "max_stage_reached",
                f"the buddy is already at stage {MAX_STAGE}, the last one",
                {"stage": self.evolution_stage, "max_stage": MAX_STAGE},
            )
        if to_stage != self.evolution_stage + 1:
            raise DomainError(
                "conflict",
                f"the buddy is at stage {self.evolution_stage}; it can only evolve to "
                f"{self.evolution_stage + 1}",
                {"stage": self.evolution_stage, "requested_stage": to_stage},
            )
        if not self.evolution_ready:
            raise DomainError(
                "evolution_not_ready",
                f"the conditions for stage {to_stage} are not met yet",
                {"stage": self.evolution_stage, "next_stage": to_stage},
            )
        self._evolved(
            from_stage=self.evolution_stage,
            to_stage=to_stage,
            operation_id=operation_id,
            correlation_id=correlation_id,
            timestamp=timestamp,
        )

    def decay_skill(
        self,
        rule: DecayRule,
        skill: SkillDef,
        *,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> list[DecayStep]:
        """Apply every period of ``rule`` due by ``timestamp`` (``skill_decay.plan_decay``),
        one ``SkillDecayed`` each. A period already decayed is never decayed again: the
        buddy keeps the end of the last one, and a racing sweep's write of the same period
        fails on this stream's version. Its ``decay_id`` is derived from (buddy, rule,
        period), so a delivery or a history row can name it."""
        self._require_active("decaying a skill")
        steps = plan_decay(
            rule,
            skill,
            value=self.skills.get(skill.key, 0),
            anchor=self.decay_anchor(skill.key),
            decayed_through=(self.decayed_through or {}).get(rule.id),
            now=timestamp,
        )
        cause = {**causation, "rule_id": rule.id, "config_version_id": self.config_version_id}
        for step in steps:
            self._skill_decayed(
                decay_id=natural_id("skill_decay", self.id.hex, rule.id, step.period),
                rule_id=rule.id,
                skill_key=skill.key,
                cadence=rule.cadence,
                period=step.period,
                period_end=step.period_end,
                amount=step.previous_value - step.new_value,
                previous_value=step.previous_value,
                new_value=step.new_value,
                previous_level=step.previous_level,
                new_level=step.new_level,
                causation=cause,
                timestamp=timestamp,
            )
        return steps

    def set_skills(
        self,
        *,
        values: Mapping[str, int],
        skills: Sequence[SkillDef],
        actor: str,
        timestamp: datetime,
    ) -> None:
        """Manual override: set skill values (absolute), checked against the skill set."""
        self._require_active("setting skills")
        defs = {s.key: s for s in skills}
        fields = []
        for key in sorted(values):
            value = values[key]
            if key not in defs:
                fields.append({"field": f"skills.{key}", "reason": "unknown skill"})
            elif not isinstance(value, int) or isinstance(value, bool):
                fields.append({"field": f"skills.{key}", "reason": "must be an integer"})
            elif not 0 <= value <= defs[key].max_value:
                fields.append(
                    {
                        "field": f"skills.{key}",
                        "reason": f"must be between 0 and {defs[key].max_value}",
                    }
                )
        if not values:
            fields.append({"field": "skills", "reason": "must set at least one skill"})
        if fields:
            raise DomainError("validation_failed", fields[0]["reason"], {"fields": fields})
        self._skills_set(
            values={k: values[k] for k in sorted(values)},
            previous={k: self.skills.get(k, 0) for k in sorted(values)},
            actor=actor,
            timestamp=timestamp,
        )

    def award_badge(
        self,
        *,
        badge_key: str,
        actor: str,
        coin_reward: int = 0,
        token_rewards: Mapping[str, int] | None = None,
        correlation_id: str | None = None,
        timestamp: datetime,
    ) -> None:
        """Manual award (also how a manual badge that became ready is given).

        ``conflict`` when the buddy already holds it. The application checks that the badge
        exists in the buddy's rulebook and credits ``coin_reward`` and ``token_rewards`` to
        the ledger in the same save.
        """
        self._require_active("awarding a badge")
        if badge_key in self.badges:
            raise DomainError(
                "conflict",
                f"the buddy already holds the badge {badge_key}",
                {"badge_key": badge_key},
            )
        self._badge_awarded(
            badge_key=badge_key,
            coin_reward=coin_reward,
            token_rewards=dict(sorted((token_rewards or {}).items())),
            source="manual",
            actor=actor,
            causation={
                "actor": actor,
                "config_version_id": self.config_version_id,
                **correlated(correlation_id),
            },
            timestamp=timestamp,
        )

    def migrate(self, *, to_config_version_id: UUID, actor: str, timestamp: datetime) -> None:
        """Pin the buddy to another config version. Everything earned is kept, badges included;
        the caller re-checks evolution readiness under the new rulebook."""
        self._require_active("migrating")
        if to_config_version_id == self.config_version_id:
            raise DomainError(
                "conflict",
                "the buddy is already on this config version",
                {"config_version_id": str(to_config_version_id)},
            )
        self._migrated(
            from_config_version_id=self.config_version_id,
            to_config_version_id=to_config_version_id,
            actor=actor,
            timestamp=timestamp,
        )

    # Commands: appearance ------------------------------------------------------------

    def record_appearance(self, *, images: RenderedImages, timestamp: datetime) -> None:
        """Record the pictures just drawn of the current stage and outfit (asset names).
        The same pictures again, already recorded as ready, record nothing."""
        self._require_active("drawing")
        current = self.appearance or {}
        if (
            current.get("status") == "ready"
            and current.get("stage") == self.evolution_stage
            and current.get("rendered_equipped_item_ids") == self.equipped_item_ids
            and (current.get("image"), current.get("base_image"), current.get("thumb"))
            == (images.image, images.base_image, images.thumb)
        ):
            return
        self._appearance_rendered(
            stage=self.evolution_stage,
            image=images.image,
            base_image=images.base_image,
            thumb=images.thumb,
            rendered_equipped_item_ids=list(self.equipped_item_ids),
            timestamp=timestamp,
        )

    def record_render_failure(self, *, message: str, timestamp: datetime) -> None:
        """Drawing failed. What caused the drawing (a stage, an outfit) stays: the last
        pictures remain and the appearance asks for a rerender (``needs_rerender``)."""
        self._require_active("drawing")
        self._appearance_render_failed(
            stage=self.evolution_stage, code=NEEDS_RERENDER, message=message, timestamp=timestamp
        )

    def await_credits(self, *, timestamp: datetime) -> None:
        """The picture of the current stage and outfit could not be paid for: what caused the
        drawing stays, the last pictures remain, and the appearance waits for credits
        (``awaiting_credits``); it is drawn when credits arrive (decision 0048)."""
        self._require_active("drawing")
        current = self.appearance or {}
        if current.get("status") == AWAITING_CREDITS and current.get("stage") == (
            self.evolution_stage
        ):
            return
        self._appearance_awaiting_credits(stage=self.evolution_stage, timestamp=timestamp)

    # Commands: items and identity ----------------------------------------------------

    def item_quantity(self, item_id: str) -> int:
        """How many of ``item_id`` the buddy holds: 0 or 1, more for a consumable (a booster)
        bought again. Items acquired before quantities were kept count as one."""
        owned = 1 if item_id in self.owned_item_ids else 0
        return (self.item_quantities or {}).get(item_id, owned)

    def acquire_item(
        self,
        *,
        item_id: str,
        causation: dict[str, Any],
        timestamp: datetime,
        consumable: bool = False,
    ) -> None:
        """The buddy now owns ``item_id`` (a purchase or a grant); a ``consumable`` one it
        already holds is held once more. ``item_already_owned`` for an owned non-consumable."""
        self._require_active("acquiring an item")
        if item_id in self.owned_item_ids and not consumable:
            raise DomainError(
                "item_already_owned",
                f"the buddy already owns {item_id}; only boosters can be bought again",
                {"item_id": item_id},
            )
        self._item_acquired(item_id=item_id, causation=causation, timestamp=timestamp)

    def equip(
        self,
        *,
        item_ids: Sequence[str],
        categories: Mapping[str, str],
        operation_id: UUID | None,
        timestamp: datetime,
    ) -> None:
        """Wear exactly ``item_ids`` (empty: take everything off). See ``arrange_equipment``."""
        self._require_active("equipping items")
        arranged = arrange_equipment(item_ids, self.owned_item_ids, categories)
        self._items_equipped(
            item_ids=arranged,
            previous_item_ids=list(self.equipped_item_ids),
            operation_id=operation_id,
            timestamp=timestamp,
        )

    def rename(self, *, name: str, timestamp: datetime) -> None:
        self._require_active("renaming")
        self._renamed(name=_checked_name(name), previous_name=self.name, timestamp=timestamp)

    def archive(self, *, timestamp: datetime) -> None:
        if not self.is_active:
            raise InvalidStateTransition("buddy", self.status, "archived")
        self._archived(timestamp=timestamp)

    def _require_active(self, doing: str) -> None:
        if not self.is_active:
            raise DomainError(
                "invalid_state_transition",
                f"the buddy is {self.status}: {doing} is not possible",
                {"current_status": self.status, "requested_status": "active"},
            )

    # Events --------------------------------------------------------------------------

    class ProgressRecorded(Aggregate.Event):
        event_id: str
        event_type: str
        occurred_at: datetime
        day: str
        week: str
        config_version_id: UUID
        rule_awards: list[dict[str, Any]]

    @event(ProgressRecorded)
    def _progress_recorded(
        self,
        *,
        event_id: str,
        event_type: str,
        occurred_at: datetime,
        day: str,
        week: str,
        config_version_id: UUID,
        rule_awards: list[dict[str, Any]],
        timestamp: datetime,
    ) -> None:
        self.event_counts = count_event(self.event_counts, event_type)
        for award in rule_awards:
            rule_id = award["rule_id"]
            counter = RuleCounter.from_dict(self.rule_counters.get(rule_id, {}))
            self.rule_counters[rule_id] = record_award(
                counter, day, week, award["amount"]
            ).to_dict()
        if self.last_event_at is None or occurred_at > self.last_event_at:
            self.last_event_at = occurred_at

    # Every streak fact carries ``next_due_at``: when the buddy's next streak burns unless
    # ticked or frozen (the earliest over its streaks; ``None`` when none runs), which the
    # streak sweep's view reads (``projections/companions/streaks.py``).

    class StreakTicked(Aggregate.Event):
        """Version 2 named the period (a day, an ISO week or a month) ``period`` and added
        ``late`` and ``next_due_at``; version 1 streaks were daily, so their ``day`` is the
        period, and one burned at the end of the next day."""

        class_version = 2
        streak_key: str
        period: str
        count: int
        reset: bool
        late: bool
        next_due_at: datetime | None
        causation: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["period"] = state.pop("day")
            state["late"] = False
            state["next_due_at"] = period_end("daily", label_index(state["period"]) + 1)

    @event(StreakTicked)
    def _streak_ticked(
        self,
        *,
        streak_key: str,
        period: str,
        count: int,
        reset: bool,
        late: bool,
        next_due_at: datetime | None,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self._apply_streak(StreakTick(streak_key, period, count, reset, late))

    class StreakFrozen(Aggregate.Event):
        """A freeze token (``token_key``, debited from the wallet) kept a missed period."""

        streak_key: str
        period: str
        count: int
        token_key: str
        next_due_at: datetime | None
        causation: dict[str, Any]

    @event(StreakFrozen)
    def _streak_frozen(
        self,
        *,
        streak_key: str,
        period: str,
        count: int,
        token_key: str,
        next_due_at: datetime | None,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self._apply_streak(StreakFreeze(streak_key, period, count, token_key))

    class StreakBurned(Aggregate.Event):
        """``period`` ended without a tick and no freeze token kept it: ``count`` was lost."""

        streak_key: str
        period: str
        count: int
        next_due_at: datetime | None
        causation: dict[str, Any]

    @event(StreakBurned)
    def _streak_burned(
        self,
        *,
        streak_key: str,
        period: str,
        count: int,
        next_due_at: datetime | None,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self._apply_streak(StreakBurn(streak_key, period, count))

    class StreakMilestoneReached(Aggregate.Event):
        """The streak reached the milestone ``count``; ``coins`` and ``tokens`` were paid."""

        streak_key: str
        count: int
        coins: int
        tokens: dict[str, int]
        next_due_at: datetime | None
        causation: dict[str, Any]

    @event(StreakMilestoneReached)
    def _streak_milestone_reached(
        self,
        *,
        streak_key: str,
        count: int,
        coins: int,
        tokens: dict[str, int],
        next_due_at: datetime | None,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self._apply_streak(StreakMilestone(streak_key, count))

    def _apply_streak(self, fact: StreakFact) -> None:
        records = apply_streak_facts(self.records(), [fact])
        self.streak_records = {k: r.to_dict() for k, r in records.items()}
        self.streaks = {**self.streaks, fact.streak_key: records[fact.streak_key].count}

    class SkillIncreased(Aggregate.Event):
        skill_key: str
        amount: int
        value_after: int
        causation: dict[str, Any]

    @event(SkillIncreased)
    def _skill_increased(
        self,
        *,
        skill_key: str,
        amount: int,
        value_after: int,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self.skills[skill_key] = self.skills.get(skill_key, 0) + amount
        self._touch_skills([skill_key], timestamp)

    def _touch_skills(self, keys: Sequence[str], timestamp: datetime) -> None:
        touched = dict(self.skill_touched_at or {})
        touched.update({key: timestamp for key in keys})
        self.skill_touched_at = touched

    class SkillLeveledUp(Aggregate.Event):
        skill_key: str
        from_level: int
        to_level: int
        value: int
        causation: dict[str, Any]

    @event(SkillLeveledUp)
    def _skill_leveled_up(
        self,
        *,
        skill_key: str,
        from_level: int,
        to_level: int,
        value: int,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        pass  # a fact for timelines and webhooks; the level is derived from the value

    class SkillsSet(Aggregate.Event):
        values: dict[str, int]
        previous: dict[str, int]
        actor: str

    @event(SkillsSet)
    def _skills_set(
        self,
        *,
        values: dict[str, int],
        previous: dict[str, int],
        actor: str,
        timestamp: datetime,
    ) -> None:
        self.skills.update(values)
        self._touch_skills(list(values), timestamp)

    class SkillDecayed(Aggregate.Event):
        """A decay rule took points from an unpractised skill for one period (``period``,
        ended at ``period_end``); ``decay_id`` is derived from (buddy, rule, period)."""

        decay_id: UUID
        rule_id: str
        skill_key: str
        cadence: str
        period: str
        period_end: datetime
        amount: int
        previous_value: int
        new_value: int
        previous_level: int
        new_level: int
        causation: dict[str, Any]

    @event(SkillDecayed)
    def _skill_decayed(
        self,
        *,
        decay_id: UUID,
        rule_id: str,
        skill_key: str,
        cadence: str,
        period: str,
        period_end: datetime,
        amount: int,
        previous_value: int,
        new_value: int,
        previous_level: int,
        new_level: int,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self.skills[skill_key] = new_value
        self.decayed_through = {**(self.decayed_through or {}), rule_id: period_end}

    class CustomConditionsMatched(Aggregate.Event):
        """The customer event satisfied these custom badge conditions (``counter_key``s)."""

        condition_keys: list[str]
        causation: dict[str, Any]

    @event(CustomConditionsMatched)
    def _custom_conditions_matched(
        self, *, condition_keys: list[str], causation: dict[str, Any], timestamp: datetime
    ) -> None:
        counts = dict(self.condition_matches or {})
        for key in condition_keys:
            counts[key] = counts.get(key, 0) + 1
        self.condition_matches = counts

    class BadgeAwarded(Aggregate.Event):
        """Version 2 added ``token_rewards`` (token key → amount the award paid)."""

        class_version = 2
        badge_key: str
        coin_reward: int
        token_rewards: dict[str, int]
        source: str
        actor: str | None
        causation: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["token_rewards"] = {}

    @event(BadgeAwarded)
    def _badge_awarded(
        self,
        *,
        badge_key: str,
        coin_reward: int,
        token_rewards: dict[str, int],
        source: str,
        actor: str | None,
        causation: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self.badges[badge_key] = timestamp
        if badge_key in self.badges_ready:
            self.badges_ready = [b for b in self.badges_ready if b != badge_key]

    class BadgeBecameReady(Aggregate.Event):
        badge_key: str
        causation: dict[str, Any]

    @event(BadgeBecameReady)
    def _badge_became_ready(
        self, *, badge_key: str, causation: dict[str, Any], timestamp: datetime
    ) -> None:
        self.badges_ready = [*self.badges_ready, badge_key]

    class EvolutionBecameReady(Aggregate.Event):
        stage: int
        next_stage: int | None
        causation: dict[str, Any]

    @event(EvolutionBecameReady)
    def _evolution_became_ready(
        self, *, stage: int, next_stage: int | None, causation: dict[str, Any], timestamp: datetime
    ) -> None:
        self.evolution_ready = True

    class EvolutionReadinessWithdrawn(Aggregate.Event):
        causation: dict[str, Any]

    @event(EvolutionReadinessWithdrawn)
    def _evolution_readiness_withdrawn(
        self, *, causation: dict[str, Any], timestamp: datetime
    ) -> None:
        self.evolution_ready = False

    class Evolved(Aggregate.Event):
        """Version 2 added ``correlation_id``, the evolve operation's (``Operation``)."""

        class_version = 2
        from_stage: int
        to_stage: int
        operation_id: UUID
        correlation_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["correlation_id"] = None

    @event(Evolved)
    def _evolved(
        self,
        *,
        from_stage: int,
        to_stage: int,
        operation_id: UUID,
        correlation_id: str | None,
        timestamp: datetime,
    ) -> None:
        self.evolution_stage = to_stage
        self.evolution_ready = False
        self.last_evolve_operation_id = operation_id

    class Migrated(Aggregate.Event):
        from_config_version_id: UUID
        to_config_version_id: UUID
        actor: str

    @event(Migrated)
    def _migrated(
        self,
        *,
        from_config_version_id: UUID,
        to_config_version_id: UUID,
        actor: str,
        timestamp: datetime,
    ) -> None:
        self.config_version_id = to_config_version_id
        self.config_pinned_at = timestamp

    class ItemAcquired(Aggregate.Event):
        item_id: str
        causation: dict[str, Any]

    @event(ItemAcquired)
    def _item_acquired(
        self, *, item_id: str, causation: dict[str, Any], timestamp: datetime
    ) -> None:
        self.item_quantities = {
            **(self.item_quantities or {}),
            item_id: self.item_quantity(item_id) + 1,
        }
        if item_id not in self.owned_item_ids:
            self.owned_item_ids = sorted([*self.owned_item_ids, item_id])

    class ItemsEquipped(Aggregate.Event):
        item_ids: list[str]
        previous_item_ids: list[str]
        operation_id: UUID | None

    @event(ItemsEquipped)
    def _items_equipped(
        self,
        *,
        item_ids: list[str],
        previous_item_ids: list[str],
        operation_id: UUID | None,
        timestamp: datetime,
    ) -> None:
        self.equipped_item_ids = list(item_ids)

    class Renamed(Aggregate.Event):
        """Version 2 added ``previous_name``, so a timeline can say what the name was.

        A version 1 event (stored before the field existed) is upcast with
        ``previous_name = None``: the old name is not in that event, and replaying one event
        must never need to read another.
        """

        class_version = 2
        name: str
        previous_name: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["previous_name"] = None

    @event(Renamed)
    def _renamed(self, *, name: str, previous_name: str | None, timestamp: datetime) -> None:
        self.name = name

    class Archived(Aggregate.Event):
        pass

    @event(Archived)
    def _archived(self, *, timestamp: datetime) -> None:
        self.status = "archived"
        self.archived_at = timestamp

    class AppearanceRendered(Aggregate.Event):
        stage: int
        image: str
        base_image: str
        thumb: str
        rendered_equipped_item_ids: list[str]

    @event(AppearanceRendered)
    def _appearance_rendered(
        self,
        *,
        stage: int,
        image: str,
        base_image: str,
        thumb: str,
        rendered_equipped_item_ids: list[str],
        timestamp: datetime,
    ) -> None:
        self.appearance = {
            "status": "ready",
            "stage": stage,
            "image": image,
            "base_image": base_image,
            "thumb": thumb,
            "rendered_equipped_item_ids": list(rendered_equipped_item_ids),
            "error": None,
        }

    class AppearanceRenderFailed(Aggregate.Event):
        stage: int
        code: str
        message: str

    @event(AppearanceRenderFailed)
    def _appearance_render_failed(
        self, *, stage: int, code: str, message: str, timestamp: datetime
    ) -> None:
        previous = self.appearance or {
            "image": None,
            "base_image": None,
            "thumb": None,
            "rendered_equipped_item_ids": [],
        }
        self.appearance = {
            **previous,
            "status": "failed",
            "stage": stage,
            "error": {"code": code, "message": message},
        }

    class AppearanceAwaitingCredits(Aggregate.Event):
        stage: int

    @event(AppearanceAwaitingCredits)
    def _appearance_awaiting_credits(self, *, stage: int, timestamp: datetime) -> None:
        previous = self.appearance or {
            "image": None,
            "base_image": None,
            "thumb": None,
            "rendered_equipped_item_ids": [],
        }
        self.appearance = {**previous, "status": AWAITING_CREDITS, "stage": stage, "error": None}


def _milestone_paid(fact: StreakMilestone, credits: Sequence[StreakCredit]) -> dict[str, Any]:
    """What reaching the milestone paid (``coins``, ``tokens``), from the event's credits."""
    paid = [
        c
        for c in credits
        if c.streak_key == fact.streak_key and c.reason == "milestone" and c.ref == str(fact.count)
    ]
    return {
        "coins": sum(c.amount for c in paid if c.currency == "coins"),
        "tokens": {c.currency: c.amount for c in paid if c.currency != "coins"},
    }


def next_due(records: Mapping[str, StreakRecord]) -> datetime | None:
    """When the first of ``records`` burns unless ticked or frozen; ``None`` if none runs."""
    dues = [due for record in records.values() if (due := record.due()) is not None]
    return min(dues) if dues else None


def _checked_name(name: str) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise DomainError(
            "validation_failed",
            f"name must be 1 to {MAX_NAME_LENGTH} characters",
            {"fields": [{"field": "name", "reason": f"must be 1 to {MAX_NAME_LENGTH} characters"}]},
        )
    return cleaned
