from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from domain.companions.buddy import MAX_EQUIPPED, Buddy, arrange_equipment
from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook, SkillDef
from domain.economy.ledger import Ledger, WalletBalances
from domain.ingestion.rules import CustomerEvent, Evaluation, ProgressState, evaluate, fold
from domain.shared.errors import DomainError

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
CATEGORIES = {
    "bg": "background",
    "hat": "head",
    "cap": "head",
    "scarf": "neck",
    "pin": "accessory",
    "star": "accessory",
}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def hatch(**overrides: Any) -> Buddy:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "customer_id": uuid4(),
        "mode": "live",
        "user_id": "user_123",
        "egg_id": uuid4(),
        "config_version_id": uuid4(),
        "name": "Pip",
        "correlation_id": None,
        "timestamp": T0,
    }
    fields.update(overrides)
    return Buddy(**fields)


def wallet_for(buddy: Buddy, rulebook: Rulebook) -> Ledger:
    return Ledger(
        id=uuid4(),
        customer_id=buddy.customer_id,
        mode=buddy.mode,
        buddy_id=buddy.id,
        token_keys=rulebook.token_config.token_keys,
        timestamp=T0,
    )


def refusal(call: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def event(n: int, event_type: str = "lesson_completed", **properties: Any) -> CustomerEvent:
    return CustomerEvent(
        event_id=f"evt_{n}",
        type=event_type,
        user_id="user_123",
        occurred_at=T0 + timedelta(hours=n * 7),
        properties=properties,
    )


def ingest(
    buddy: Buddy, ledger: Ledger, rulebook: Rulebook, customer_event: CustomerEvent
) -> Evaluation:
    """What the application does with one customer event for one buddy."""
    evaluation = evaluate(rulebook, buddy.progress_state(ledger.wallet()), customer_event)
    stamp = customer_event.occurred_at
    cause = {"event_id": customer_event.event_id}
    for c in evaluation.effects.coin_credits:
        ledger.credit(
            currency="coins",
            amount=c.amount,
            reason=f"rule:{c.rule_id}",
            entry_id=uuid4(),
            causation=cause,
            timestamp=stamp,
        )
    for b in evaluation.effects.badges_awarded:
        if b.coin_reward:
            ledger.credit(
                currency="coins",
                amount=b.coin_reward,
                reason=f"badge:{b.badge_key}",
                entry_id=uuid4(),
                causation=cause,
                timestamp=stamp,
            )
    for t in evaluation.effects.token_credits:
        ledger.credit(
            currency=t.token_key,
            amount=t.amount,
            reason=f"rule:{t.rule_id}",
            entry_id=uuid4(),
            causation=cause,
            timestamp=stamp,
        )
    buddy.record_progress(evaluation, timestamp=stamp)
    return evaluation


def language_events() -> list[CustomerEvent]:
    kinds = [
        "lesson_completed",
        "quiz_passed",
        "lesson_completed",
        "daily_goal_reached",
        "speaking_practice_completed",
    ]
    return [event(n, kinds[n % len(kinds)], score=100 if n % 3 == 0 else 80) for n in range(60)]


def test_a_new_buddy_is_an_active_stage_1_hatchling() -> None:
    buddy = hatch()
    assert (buddy.status, buddy.evolution_stage, buddy.name) == ("active", 1, "Pip")
    assert buddy.badges == {} and buddy.equipped_item_ids == [] and buddy.skills == {}
    assert buddy.progress_state(WalletBalances()) == ProgressState()
    assert [type(e) for e in buddy.collect_events()] == [Buddy.Hatched]


def test_a_blank_name_is_refused() -> None:
    assert refusal(hatch, name="   ").code == "validation_failed"


def test_progress_state_joins_the_buddy_and_its_wallet() -> None:
    buddy = hatch()
    wallet = WalletBalances(
        coins=5, coins_earned=9, tokens={"gems": 1, "xp": 3}, tokens_earned={"gems": 2, "xp": 3}
    )
    state = buddy.progress_state(wallet)
    assert (state.coins, state.coins_earned, state.tokens, state.tokens_earned) == (
        5,
        9,
        {"gems": 1, "xp": 3},
        {"gems": 2, "xp": 3},
    )
    assert state.stage == 1


def test_recording_progress_matches_the_pure_fold_of_the_engine() -> None:
    rulebook = Rulebook.from_dict(preset_document("language-learning"))
    buddy = hatch()
    ledger = wallet_for(buddy, rulebook)
    events = language_events()
    for customer_event in events:
        ingest(buddy, ledger, rulebook, customer_event)
    expected, _ = fold(rulebook, ProgressState(), events)
    assert buddy.progress_state(ledger.wallet()) == expected
    assert expected.badges  # the run was long enough to earn something
    assert expected.coins > 0 and expected.skills


def test_recorded_events_carry_their_causation() -> None:
    rulebook = Rulebook.from_dict(preset_document("language-learning"))
    buddy = hatch()
    ledger = wallet_for(buddy, rulebook)
    buddy.collect_events()
    for n in range(5):
        ingest(buddy, ledger, rulebook, event(n))
    kinds = [type(e) for e in buddy.collect_events()]
    assert kinds.count(Buddy.ProgressRecorded) == 5
    assert kinds.count(Buddy.StreakTicked) == 2  # 7 hours apart: two UTC days
    assert kinds.count(Buddy.SkillIncreased) == 5
    assert kinds.count(Buddy.BadgeAwarded) == 1  # first_steps at the fifth lesson
    assert Buddy.SkillLeveledUp not in kinds  # 10 vocabulary points: level 0 still
    buddy.record_progress(
        evaluate(rulebook, buddy.progress_state(ledger.wallet()), event(6)), timestamp=at(9000)
    )
    recorded = buddy.collect_events()
    progress = recorded[0]
    assert isinstance(progress, Buddy.ProgressRecorded)
    assert progress.event_id == "evt_6"
    assert progress.config_version_id == buddy.config_version_id
    assert progress.rule_awards == [
        {"rule_id": "lesson_completed", "currency": "coins", "amount": 10}
    ]
    increased = next(e for e in recorded if isinstance(e, Buddy.SkillIncreased))
    assert increased.causation == {
        "event_id": "evt_6",
        "config_version_id": buddy.config_version_id,
        "rule_id": "lesson_vocabulary",
    }


def readiness_book() -> Rulebook:
    return Rulebook.from_dict(
        {
            "token_config": {
                "primary": {"token_key": "gems", "label": "Gems"},
                "progression": {"token_key": "xp", "label": "XP"},
            },
            "coin_rules": [{"id": "c", "event_type": "lesson_completed", "amount": 10}],
            "badges": [
                {
                    "key": "coach",
                    "name": "Coach",
                    "condition": {
                        "kind": "milestone",
                        "event_type": "lesson_completed",
                        "count": 1,
                    },
                    "auto_award": False,
                }
            ],
            "evolution": {
                "stages": [
                    {"stage": s, "conditions": {"min_coins_earned": 10 * (s - 1)}}
                    for s in (2, 3, 4, 5)
                ]
            },
        }
    )


def test_readiness_and_ready_badges_are_recorded_once() -> None:
    rulebook = readiness_book()
    buddy = hatch()
    ledger = wallet_for(buddy, rulebook)
    buddy.collect_events()
    ingest(buddy, ledger, rulebook, event(0))
    ingest(buddy, ledger, rulebook, event(1))
    kinds = [type(e) for e in buddy.collect_events()]
    assert kinds.count(Buddy.EvolutionBecameReady) == 1
    assert kinds.count(Buddy.BadgeBecameReady) == 1
    assert buddy.evolution_ready is True
    assert buddy.badges_ready == ["coach"]
    buddy.award_badge(badge_key="coach", actor="support@acme", timestamp=at(5))
    assert list(buddy.badges) == ["coach"] and buddy.badges_ready == []
    assert (
        refusal(buddy.award_badge, badge_key="coach", actor="x", timestamp=at(6)).code == "conflict"
    )


def test_evolving_needs_readiness_and_moves_one_stage_at_a_time() -> None:
    rulebook = readiness_book()
    buddy = hatch()
    ledger = wallet_for(buddy, rulebook)
    first_op = uuid4()
    not_ready = refusal(buddy.evolve, to_stage=2, operation_id=first_op, timestamp=at(1))
    assert (not_ready.code, not_ready.details) == (
        "evolution_not_ready",
        {"stage": 1, "next_stage": 2},
    )
    ingest(buddy, ledger, rulebook, event(0))
    assert (
        refusal(buddy.evolve, to_stage=3, operation_id=first_op, timestamp=at(2)).code == "conflict"
    )
    buddy.evolve(to_stage=2, operation_id=first_op, timestamp=at(3))
    assert (buddy.evolution_stage, buddy.evolution_ready) == (2, False)
    buddy.evolve(to_stage=2, operation_id=first_op, timestamp=at(4))  # a redelivered task: no-op
    assert buddy.evolution_stage == 2
    for stage in (3, 4, 5):
        ingest(buddy, ledger, rulebook, event(stage))
        buddy.evolve(to_stage=stage, operation_id=uuid4(), timestamp=at(10 + stage))
    assert buddy.evolution_stage == 5
    maxed = refusal(buddy.evolve, to_stage=6, operation_id=uuid4(), timestamp=at(30))
    assert (maxed.code, maxed.details) == ("max_stage_reached", {"stage": 5, "max_stage": 5})


def test_readiness_can_be_recomputed_outside_an_event() -> None:
    buddy = hatch()
    buddy.update_evolution_readiness(ready=True, causation={"actor": "migration"}, timestamp=at(1))
    assert buddy.evolution_ready is True
    buddy.update_evolution_readiness(ready=False, causation={"actor": "migration"}, timestamp=at(2))
    assert buddy.evolution_ready is False
    version = buddy.version
    buddy.update_evolution_readiness(ready=False, causation={}, timestamp=at(3))
    assert buddy.version == version


def owning(*item_ids: str) -> Buddy:
    buddy = hatch()
    for item_id in item_ids:
        buddy.acquire_item(item_id=item_id, causation={"purchase": item_id}, timestamp=at(1))
    return buddy


def test_equipping_sorts_items_into_rendering_order() -> None:
    buddy = owning("pin", "hat", "bg", "star")
    buddy.equip(
        item_ids=["pin", "hat", "bg", "star"],
        categories=CATEGORIES,
        operation_id=uuid4(),
        timestamp=at(2),
    )
    assert buddy.equipped_item_ids == ["bg", "hat", "pin", "star"]
    buddy.equip(item_ids=[], categories=CATEGORIES, operation_id=None, timestamp=at(3))
    assert buddy.equipped_item_ids == []


def test_at_most_four_items() -> None:
    categories = {**CATEGORIES, "a1": "accessory", "a2": "accessory", "a3": "accessory"}
    buddy = owning("pin", "star", "a1", "a2", "a3")
    error = refusal(
        buddy.equip,
        item_ids=["pin", "star", "a1", "a2", "a3"],
        categories=categories,
        operation_id=None,
        timestamp=at(2),
    )
    assert (error.code, error.details) == ("too_many_items", {"max": MAX_EQUIPPED, "attempted": 5})


def test_one_item_per_category_except_accessories() -> None:
    buddy = owning("hat", "cap", "pin", "star")
    error = refusal(
        buddy.equip,
        item_ids=["hat", "cap"],
        categories=CATEGORIES,
        operation_id=None,
        timestamp=at(2),
    )
    assert (error.code, error.details) == (
        "category_conflict",
        {"category": "head", "conflicting_item_ids": ["cap", "hat"], "item_ids": ["cap", "hat"]},
    )
    buddy.equip(
        item_ids=["pin", "star", "hat"], categories=CATEGORIES, operation_id=None, timestamp=at(3)
    )
    assert buddy.equipped_item_ids == ["hat", "pin", "star"]


def test_only_owned_and_catalogued_items_can_be_worn() -> None:
    buddy = owning("hat")
    error = refusal(
        buddy.equip,
        item_ids=["hat", "scarf"],
        categories=CATEGORIES,
        operation_id=None,
        timestamp=at(2),
    )
    assert (error.code, error.details) == ("item_not_owned", {"item_ids": ["scarf"]})
    assert buddy.equipped_item_ids == []
    assert arrange_equipment(["hat"], ["hat"], CATEGORIES) == ["hat"]
    assert (
        refusal(arrange_equipment, item_ids=["ghost"], owned=["ghost"], categories=CATEGORIES).code
        == "bad_request"
    )
    assert (
        refusal(buddy.acquire_item, item_id="hat", causation={}, timestamp=at(3)).code
        == "item_already_owned"
    )


def test_migration_moves_the_pin_and_keeps_everything_earned() -> None:
    buddy = hatch()
    old = buddy.config_version_id
    buddy.award_badge(badge_key="early_bird", actor="admin", timestamp=at(1))
    new = uuid4()
    buddy.migrate(to_config_version_id=new, actor="admin@acme", timestamp=at(2))
    assert buddy.config_version_id == new
    assert list(buddy.badges) == ["early_bird"]
    migrated = buddy.collect_events()[-1]
    assert isinstance(migrated, Buddy.Migrated)
    assert (migrated.from_config_version_id, migrated.to_config_version_id) == (old, new)
    assert (
        refusal(buddy.migrate, to_config_version_id=new, actor="x", timestamp=at(3)).code
        == "conflict"
    )


def test_manual_skill_overrides_are_checked_against_the_skill_set() -> None:
    skills = [SkillDef(key="grammar", name="Grammar", max_value=50)]
    buddy = hatch()
    buddy.set_skills(values={"grammar": 40}, skills=skills, actor="admin", timestamp=at(1))
    assert buddy.skills == {"grammar": 40}
    for values in ({"grammar": 51}, {"spelling": 1}, {"grammar": -1}, {}):
        assert (
            refusal(buddy.set_skills, values=values, skills=skills, actor="a", timestamp=at(2)).code
            == "validation_failed"
        )


def test_an_archived_buddy_is_read_only() -> None:
    rulebook = readiness_book()
    buddy = hatch()
    buddy.rename(name="  Pippa ", timestamp=at(1))
    assert buddy.name == "Pippa"
    buddy.archive(timestamp=at(2))
    assert (buddy.status, buddy.archived_at) == ("archived", at(2))
    evaluation = evaluate(rulebook, buddy.progress_state(WalletBalances()), event(0))
    attempts: list[tuple[Any, dict[str, Any]]] = [
        (buddy.record_progress, {"evaluation": evaluation, "timestamp": at(3)}),
        (buddy.evolve, {"to_stage": 2, "operation_id": uuid4(), "timestamp": at(3)}),
        (buddy.rename, {"name": "X", "timestamp": at(3)}),
        (buddy.equip, {"item_ids": [], "categories": {}, "operation_id": None, "timestamp": at(3)}),
        (buddy.migrate, {"to_config_version_id": uuid4(), "actor": "a", "timestamp": at(3)}),
        (buddy.award_badge, {"badge_key": "b", "actor": "a", "timestamp": at(3)}),
        (buddy.archive, {"timestamp": at(3)}),
    ]
    for call, kwargs in attempts:
        assert refusal(call, **kwargs).code == "invalid_state_transition"


def test_the_buddy_survives_storage_and_snapshots() -> None:
    app: Application = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", "IS_SNAPSHOTTING_ENABLED": "y"}
    )
    rulebook = Rulebook.from_dict(preset_document("language-learning"))
    buddy = hatch()
    ledger = wallet_for(buddy, rulebook)
    events = language_events()
    for customer_event in events[:30]:
        ingest(buddy, ledger, rulebook, customer_event)
    buddy.acquire_item(item_id="quill", causation={}, timestamp=at(1))
    app.save(buddy, ledger)
    app.take_snapshot(buddy.id)
    loaded = app.repository.get(buddy.id)
    loaded_ledger = app.repository.get(ledger.id)
    assert isinstance(loaded, Buddy) and isinstance(loaded_ledger, Ledger)
    assert loaded.progress_state(loaded_ledger.wallet()) == buddy.progress_state(ledger.wallet())
    for customer_event in events[30:]:
        ingest(loaded, loaded_ledger, rulebook, customer_event)
    app.save(loaded, loaded_ledger)
    replayed = app.repository.get(buddy.id)
    replayed_ledger = app.repository.get(ledger.id)
    expected, _ = fold(rulebook, ProgressState(owned_items=frozenset({"quill"})), events)
    assert replayed.progress_state(replayed_ledger.wallet()) == expected
    assert replayed.badges == loaded.badges
