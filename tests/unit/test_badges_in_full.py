"""Badges in full (decision 0047): the custom property condition, token rewards, manual
badges that wait as *ready*, and what the ledger, the timeline and the explanations show."""

from __future__ import annotations

from typing import Any

import pytest

from application.integrations.webhook_payloads import iso, origin_of, webhook_event
from domain.companions.buddy import Buddy
from domain.configs.presets import preset_document
from domain.configs.rulebook import CustomCondition, Rulebook
from domain.economy.ledger import Ledger
from domain.ingestion.explanations import explain
from domain.ingestion.rules import BadgeAward, ProgressState, apply, evaluate, settle
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant
from tests.unit.history_world import World
from tests.unit.test_rules import badge, book, entry, ev, run

STAFF = "secret_key:test"
HIGH_SCORE = {
    "kind": "custom",
    "event_type": "lesson_completed",
    "conditions": [{"property": "score", "operator": "gte", "value": 90}],
    "count": 2,
}


# -- the rulebook ----------------------------------------------------------------------------


def problems(document_badges: list[dict[str, Any]]) -> list[str]:
    with pytest.raises(DomainError) as refused:
        book(badges=document_badges)
    return [f["field"] for f in refused.value.details["fields"]]


def test_a_custom_condition_and_token_rewards_read_and_write_back_unchanged() -> None:
    written = badge("ace", HIGH_SCORE, token_rewards={"xp": 3, "gems": 1}, auto_award=False)
    rulebook = book(badges=[written])
    [ace] = rulebook.badges
    assert isinstance(ace.condition, CustomCondition)
    assert (ace.condition.count, ace.auto_award) == (2, False)
    assert ace.to_dict()["token_rewards"] == {"gems": 1, "xp": 3}
    again = Rulebook.from_dict(rulebook.to_dict())
    assert again.to_dict() == rulebook.to_dict()


def test_count_defaults_to_one() -> None:
    condition = {k: v for k, v in HIGH_SCORE.items() if k != "count"}
    [ace] = book(badges=[badge("ace", condition)]).badges
    assert isinstance(ace.condition, CustomCondition) and ace.condition.count == 1


@pytest.mark.parametrize(
    ("condition", "fields"),
    [
        ({"kind": "custom", "event_type": "lesson_completed"}, ["conditions"]),
        ({"kind": "custom", "event_type": "lesson_completed", "conditions": []}, ["conditions"]),
        ({**HIGH_SCORE, "event_type": "Lesson Done"}, ["event_type"]),
        ({**HIGH_SCORE, "count": 0}, ["count"]),
        (
            {**HIGH_SCORE, "conditions": [{"property": "score", "operator": "near", "value": 1}]},
            ["conditions[0].operator"],
        ),
        ({**HIGH_SCORE, "skill_key": "grammar"}, ["skill_key"]),
    ],
)
def test_a_bad_custom_condition_names_its_field(
    condition: dict[str, Any], fields: list[str]
) -> None:
    assert problems([badge("ace", condition)]) == [f"badges[0].condition.{f}" for f in fields]


@pytest.mark.parametrize(
    ("rewards", "field"),
    [
        ({"rubies": 1}, "badges[0].token_rewards.rubies"),
        ({"gems": 0}, "badges[0].token_rewards.gems"),
        ({"gems": "5"}, "badges[0].token_rewards.gems"),
        ([1], "badges[0].token_rewards"),
    ],
)
def test_a_bad_token_reward_names_its_field(rewards: Any, field: str) -> None:
    assert problems([badge("ace", HIGH_SCORE, token_rewards=rewards)]) == [field]


def test_the_counter_key_ignores_count_and_changes_with_the_filters() -> None:
    def key(**changes: Any) -> str:
        [only] = book(badges=[badge("ace", {**HIGH_SCORE, **changes})]).badges
        assert isinstance(only.condition, CustomCondition)
        return only.condition.counter_key

    assert key() == key(count=7)
    stricter = [{"property": "score", "operator": "gte", "value": 95}]
    assert key() != key(conditions=stricter)
    assert key().startswith("lesson_completed:")


# -- the engine ------------------------------------------------------------------------------


def test_a_custom_badge_counts_only_events_whose_properties_match() -> None:
    rulebook = book(badges=[badge("ace", HIGH_SCORE, coin_reward=5)])
    events = [
        ev(properties={"score": 95}),
        ev(properties={"score": 50}),
        ev("quiz_passed", properties={"score": 99}),
        ev(properties={"score": "95"}),  # a string is not a number: no match
        ev(properties={"score": 90}),
    ]
    state, evaluations = run(rulebook, events)
    assert [e.condition_matches != () for e in evaluations] == [True, False, False, False, True]
    assert [e.effects.badges_awarded for e in evaluations][-1] == (BadgeAward("ace", 5),)
    assert entry(evaluations[0], "ace").to_dict() == {
        "rule_id": "ace",
        "kind": "badge",
        "fired": False,
        "reason": "condition_false",
        "condition": "custom",
        "required": 2,
        "actual": 1,
        "event_type": "lesson_completed",
    }
    assert state.badges == {"ace"}
    # Once held, nothing is counted any more.
    after = evaluate(rulebook, state, ev(properties={"score": 100}))
    assert after.condition_matches == ()
    assert entry(after, "ace").reason == "already_awarded"


def test_two_badges_with_the_same_filters_share_one_counter() -> None:
    rulebook = book(
        badges=[badge("ace", HIGH_SCORE), badge("super_ace", {**HIGH_SCORE, "count": 3})]
    )
    state, evaluations = run(rulebook, [ev(properties={"score": 99})] * 3)
    assert [len(e.condition_matches) for e in evaluations] == [1, 1, 1]
    assert [e.effects.badges_awarded for e in evaluations][1] == (BadgeAward("ace", 0),)
    # The third event still counts (super_ace is not held yet) and awards super_ace.
    assert [e.effects.badges_awarded for e in evaluations][2] == (BadgeAward("super_ace", 0),)
    assert state.badges == {"ace", "super_ace"}


def test_the_third_match_awards_the_badge_that_needs_three() -> None:
    rulebook = book(badges=[badge("super_ace", {**HIGH_SCORE, "count": 3})])
    state, _ = run(rulebook, [ev(properties={"score": 99})] * 3)
    assert state.badges == {"super_ace"}


def test_a_token_reward_is_paid_with_the_award_and_seen_by_later_conditions() -> None:
    rulebook = book(
        badges=[
            badge(
                "first",
                {"kind": "milestone", "event_type": "lesson_completed", "count": 1},
                coin_reward=10,
                token_rewards={"gems": 2, "xp": 5},
            )
        ],
        evolution={"stages": [{"stage": 2, "conditions": {"min_progression_tokens": 5}}]},
    )
    evaluation = evaluate(rulebook, ProgressState(), ev())
    effects = evaluation.effects
    assert effects.badges_awarded == (BadgeAward("first", 10, (("gems", 2), ("xp", 5))),)
    assert effects.tokens_by_key() == {"gems": 2, "xp": 5}
    assert effects.evolution_ready  # the xp the badge paid counts for the stage
    assert effects.to_dict()["badges_awarded"] == [
        {"badge_key": "first", "coin_reward": 10, "token_rewards": {"gems": 2, "xp": 5}}
    ]
    state = apply(ProgressState(), evaluation)
    assert (state.coins, state.tokens, state.tokens_earned) == (
        10,
        {"gems": 2, "xp": 5},
        {"gems": 2, "xp": 5},
    )
    fired = entry(evaluation, "first").to_dict()
    assert fired["token_rewards"] == {"gems": 2, "xp": 5}
    assert (
        explain(fired, event_type="lesson_completed")
        == "badge first was awarded, with 10 coins and 2 gems and 5 xp."
    )


def test_a_manual_badge_is_ready_not_awarded_and_settle_says_so_too() -> None:
    manual = badge("mentor", HIGH_SCORE, auto_award=False, token_rewards={"gems": 1})
    rulebook = book(badges=[manual])
    state, evaluations = run(rulebook, [ev(properties={"score": 99})] * 2)
    assert evaluations[1].effects.badges_ready == ("mentor",)
    assert evaluations[1].effects.badges_awarded == ()
    assert "mentor" not in state.badges
    assert settle(rulebook, state).badges_ready == ("mentor",)
    assert explain(entry(evaluations[0], "mentor").to_dict(), event_type="lesson_completed") == (
        "badge mentor is not earned yet: it needs 2 lesson_completed events whose properties "
        "meet "
        "its conditions, and the buddy has 1."
    )


# -- the buddy, its wallet, its timeline -----------------------------------------------------


def tenant_with(world: World, badges: list[dict[str, Any]]) -> Tenant:
    tenant = world.open_tenant()
    document = preset_document("language-learning")
    document["badges"] = [*document["badges"], *badges]
    draft = world.configs.create_draft(tenant, document)
    world.configs.publish(tenant, draft.public_id)
    return tenant


def stream(world: World, buddy_id: str) -> list[Any]:
    return list(world.store.events.get(parse_public_id("buddy", buddy_id)))


MENTOR = badge(
    "mentor_pick", HIGH_SCORE, auto_award=False, coin_reward=20, token_rewards={"stars": 3}
)


def test_a_manual_badge_waits_ready_until_a_person_awards_it_and_pays_once() -> None:
    world = World()
    tenant = tenant_with(world, [MENTOR])
    buddy_id = world.hatch(tenant)
    world.send(tenant, buddy_id, score=99)
    world.send(tenant, buddy_id, score=99)
    buddy = world.buddies.load(tenant, buddy_id)
    assert buddy.badges_ready == ["mentor_pick"] and "mentor_pick" not in buddy.badges
    world.send(tenant, buddy_id, score=99)  # ready once: no second BadgeBecameReady
    ready = [e for e in stream(world, buddy_id) if isinstance(e, Buddy.BadgeBecameReady)]
    assert [e.badge_key for e in ready] == ["mentor_pick"]
    matched = [e for e in stream(world, buddy_id) if isinstance(e, Buddy.CustomConditionsMatched)]
    assert len(matched) == 3

    before = world.buddies.state(tenant, buddy_id).ledger
    coins, stars = before.balance("coins"), before.balance("stars")
    world.buddies.award_badge(tenant, buddy_id, "mentor_pick", STAFF)
    with pytest.raises(DomainError) as again:
        world.buddies.award_badge(tenant, buddy_id, "mentor_pick", STAFF)
    assert again.value.code == "conflict"

    state = world.buddies.state(tenant, buddy_id)
    assert state.buddy.badges_ready == [] and "mentor_pick" in state.buddy.badges
    assert state.ledger.balance("coins") == coins + 20
    assert state.ledger.balance("stars") == stars + 3
    [awarded] = [e for e in stream(world, buddy_id) if isinstance(e, Buddy.BadgeAwarded)]
    assert (awarded.source, awarded.coin_reward, awarded.token_rewards) == (
        "manual",
        20,
        {"stars": 3},
    )
    ledger_id = state.ledger.id
    paid = [
        (type(e).__name__, e.amount)
        for e in world.store.events.get(ledger_id)
        if getattr(e, "reason", None) == "badge:mentor_pick"
    ]
    assert paid == [("CoinsCredited", 20), ("TokensCredited", 3)]

    [ready_event] = ready
    origin = origin_of(stream(world, buddy_id)[0])
    assert origin is not None
    assert webhook_event(ready_event, origin) == (
        "badge.ready",
        {
            "buddy_id": buddy_id,
            "user_id": buddy.user_id,
            "badge_key": "mentor_pick",
            "reference_id": ready_event.causation["event_id"],
            "request_id": None,
            "occurred_at": iso(ready_event.timestamp),
        },
    )
    name, payload = webhook_event(awarded, origin) or ("", {})
    assert name == "badge.awarded"
    assert (payload["coin_reward"], payload["token_rewards"]) == (20, {"stars": 3})

    page = world.history.timeline(tenant, buddy_id, kinds=frozenset({"badge"}), limit=50)
    types = [e.type for e in page.entries]
    assert types.count("BadgeBecameReady") == 1 and types.count("BadgeAwarded") == 1
    assert "CustomConditionsMatched" in types


def test_an_auto_badge_pays_its_tokens_in_the_events_own_save() -> None:
    world = World()
    auto = badge("ace", {**HIGH_SCORE, "count": 1}, token_rewards={"xp": 4}, coin_reward=1)
    tenant = tenant_with(world, [auto])
    buddy_id = world.hatch(tenant)
    world.send(tenant, buddy_id, score=10)
    xp = world.buddies.state(tenant, buddy_id).ledger.balance("xp")
    world.send(tenant, buddy_id, score=99)
    state = world.buddies.state(tenant, buddy_id)
    assert "ace" in state.buddy.badges
    rewards = [
        e
        for e in world.store.events.get(state.ledger.id)
        if isinstance(e, Ledger.TokensCredited) and e.reason == "badge:ace"
    ]
    assert [r.amount for r in rewards] == [4]
    assert state.ledger.balance("xp") >= xp + 4


def test_badges_awarded_before_token_rewards_existed_load_with_none() -> None:
    upcast: dict[str, Any] = {"badge_key": "b", "coin_reward": 0}
    Buddy.BadgeAwarded.upcast_v1_v2(upcast)
    assert upcast["token_rewards"] == {}
