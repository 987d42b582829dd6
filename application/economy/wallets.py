"""Where a buddy's wallet lives, and how rule effects (and settled badges) reach it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.companions.buddy import Buddy
from domain.configs.rulebook import COINS, Rulebook
from domain.economy.ledger import Ledger
from domain.ingestion import rules
from domain.ingestion.rules import BadgeAward, Evaluation, Settlement, StreakSweep
from domain.ingestion.streaks import StreakFact, StreakFreeze
from domain.shared.ids import natural_id
from domain.shared.tenancy import Mode


def ledger_id_for(buddy_id: UUID) -> UUID:
    """Each buddy has exactly one ledger, so its id is derived from the buddy's."""
    return natural_id("ledger", buddy_id.hex)


def open_ledger(
    buddy_id: UUID, customer_id: UUID, mode: Mode, rulebook: Rulebook, timestamp: datetime
) -> Ledger:
    return Ledger(
        id=ledger_id_for(buddy_id),
        customer_id=customer_id,
        mode=mode,
        buddy_id=buddy_id,
        token_keys=rulebook.token_config.token_keys,
        timestamp=timestamp,
    )


def credit_effects(
    ledger: Ledger, evaluation: Evaluation, cause: dict[str, Any], timestamp: datetime
) -> None:
    """Credit every coin and token award of ``evaluation``, one ledger entry per rule.

    Entry ids derive from the ingestion and the rule, so the same award can never be
    written twice under two ids.
    """
    effects = evaluation.effects
    scope = f"{ledger.id.hex}:{evaluation.event_id}"
    for credit in effects.coin_credits:
        if credit.amount > 0:
            ledger.credit(
                currency=COINS,
                amount=credit.amount,
                reason=f"rule:{credit.rule_id}",
                entry_id=natural_id("ledger_entry", scope, "coin", credit.rule_id),
                causation={**cause, "rule_id": credit.rule_id},
                timestamp=timestamp,
            )
    for badge in effects.badges_awarded:
        entry_id = natural_id("ledger_entry", scope, "badge", badge.badge_key)
        credit_badge(ledger, badge, entry_id, cause, timestamp)
    for token in effects.token_credits:
        if token.amount > 0:
            ledger.credit(
                currency=token.token_key,
                amount=token.amount,
                reason=f"rule:{token.rule_id}",
                entry_id=natural_id("ledger_entry", scope, "token", token.rule_id),
                causation={**cause, "rule_id": token.rule_id},
                timestamp=timestamp,
            )
    spend_freezes(ledger, effects.streaks, cause, timestamp)
    for paid in effects.streak_credits:
        ledger.credit(
            currency=paid.currency,
            amount=paid.amount,
            reason=f"streak_{paid.reason}:{paid.streak_key}",
            entry_id=natural_id(
                "ledger_entry",
                scope,
                "streak",
                paid.streak_key,
                paid.reason,
                paid.ref,
                paid.currency,
            ),
            causation={**cause, "streak_key": paid.streak_key},
            timestamp=timestamp,
        )


def spend_freezes(
    ledger: Ledger, facts: tuple[StreakFact, ...], cause: dict[str, Any], timestamp: datetime
) -> None:
    """Debit one freeze token per frozen period. A period is frozen once, so the streak and
    the period name the entry (a sweep and an event can never both spend for it)."""
    for fact in facts:
        if isinstance(fact, StreakFreeze):
            ledger.debit(
                currency=fact.token_key,
                amount=1,
                reason=f"streak_freeze:{fact.streak_key}",
                entry_id=natural_id(
                    "ledger_entry", ledger.id.hex, "streak_freeze", fact.streak_key, fact.period
                ),
                causation={**cause, "streak_key": fact.streak_key, "period": fact.period},
                timestamp=timestamp,
            )


def sweep_streaks(
    buddy: Buddy,
    ledger: Ledger,
    rulebook: Rulebook,
    causation: dict[str, Any],
    timestamp: datetime,
) -> StreakSweep:
    """Freeze or burn the buddy's streaks whose period ended at ``timestamp`` without a tick
    (``rules.sweep_streaks``), then settle what the change earns (decision 0031)."""
    swept = rules.sweep_streaks(rulebook, buddy.progress_state(ledger.wallet()), timestamp)
    if not swept.facts or not buddy.is_active:
        return swept
    buddy.record_streak_sweep(swept, causation=causation, timestamp=timestamp)
    spend_freezes(ledger, swept.facts, {**causation}, timestamp)
    settle(buddy, ledger, rulebook, causation, timestamp)
    return swept


def settle(
    buddy: Buddy,
    ledger: Ledger,
    rulebook: Rulebook,
    causation: dict[str, Any],
    timestamp: datetime,
) -> Settlement:
    """After a change that was not a customer event, award what the buddy's state now earns.

    ``rules.settle`` decides (the engine's own badge pass); the buddy records the badges and
    its readiness, the ledger the badges' coins, in the caller's save. Nothing for an
    archived buddy: it is read-only.
    """
    settlement = rules.settle(rulebook, buddy.progress_state(ledger.wallet()))
    if not buddy.is_active:
        return settlement
    buddy.record_settlement(settlement, causation=causation, timestamp=timestamp)
    for badge in settlement.badges_awarded:
        # A buddy earns a badge once, so the badge names its entry.
        entry_id = natural_id("ledger_entry", ledger.id.hex, "settled_badge", badge.badge_key)
        credit_badge(ledger, badge, entry_id, causation, timestamp)
    return settlement


def credit_badge(
    ledger: Ledger, badge: BadgeAward, entry_id: UUID, cause: dict[str, Any], timestamp: datetime
) -> None:
    """Pay what awarding ``badge`` pays: its coins under ``entry_id``, then each token reward
    under an id derived from it and the token. The caller saves them with the award, so a
    badge held is a badge paid, exactly once."""
    if badge.coin_reward > 0:
        ledger.credit(
            currency=COINS,
            amount=badge.coin_reward,
            reason=f"badge:{badge.badge_key}",
            entry_id=entry_id,
            causation={**cause, "badge_key": badge.badge_key},
            timestamp=timestamp,
        )
    for token_key, amount in badge.token_rewards:
        ledger.credit(
            currency=token_key,
            amount=amount,
            reason=f"badge:{badge.badge_key}",
            entry_id=natural_id("ledger_entry", entry_id.hex, token_key),
            causation={**cause, "badge_key": badge.badge_key},
            timestamp=timestamp,
        )
