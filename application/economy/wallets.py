"""Where a buddy's wallet lives, and how rule effects reach it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.configs.rulebook import COINS, Rulebook
from domain.economy.ledger import Ledger
from domain.ingestion.rules import Evaluation
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
        if badge.coin_reward > 0:
            ledger.credit(
                currency=COINS,
                amount=badge.coin_reward,
                reason=f"badge:{badge.badge_key}",
                entry_id=natural_id("ledger_entry", scope, "badge", badge.badge_key),
                causation={**cause, "badge_key": badge.badge_key},
                timestamp=timestamp,
            )
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
