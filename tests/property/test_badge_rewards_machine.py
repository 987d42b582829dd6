"""Over any sequence of events (new ones and repeats of old ones), overrides and manual
awards: a badge once held stays held, and each held badge's coin and token rewards were paid
exactly once, nothing for a badge not held; a manual badge is only ever awarded by a person
(decision 0047)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from application.ingestion.ingestion import EventInput
from domain.companions.buddy import Buddy
from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id
from tests.unit.history_world import World

STAFF = "secret_key:test"


def _document() -> dict[str, Any]:
    document = preset_document("language-learning")
    for index, badge in enumerate(document["badges"]):  # rewards on every preset badge
        badge["coin_reward"] = 5 + index
        badge["token_rewards"] = {"stars": 1 + index % 2} | ({"xp": 3} if index % 3 == 0 else {})
    high = [{"property": "score", "operator": "gte", "value": 90}]
    document["badges"] += [
        {
            "key": "ace",
            "name": "Ace",
            "condition": {"kind": "custom", "event_type": "lesson_completed", "conditions": high},
            "coin_reward": 7,
            "token_rewards": {"xp": 2},
        },
        {
            "key": "mentor_pick",
            "name": "Mentor's pick",
            "condition": {
                "kind": "custom",
                "event_type": "lesson_completed",
                "conditions": high,
                "count": 2,
            },
            "auto_award": False,
            "coin_reward": 11,
            "token_rewards": {"stars": 4},
        },
    ]
    return document


DOCUMENT = _document()
RULEBOOK = Rulebook.from_dict(DOCUMENT)
EVENT_TYPES = sorted(RULEBOOK.event_types)
BADGES = {b.key: b for b in RULEBOOK.badges}


class BadgeRewardsMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        self.tenant = self.world.open_tenant()
        draft = self.world.configs.create_draft(self.tenant, DOCUMENT)
        self.world.configs.publish(self.tenant, draft.public_id)
        self.buddy_id = self.world.hatch(self.tenant)
        self.user_id = self.world.user_of(self.tenant, self.buddy_id)
        self.sent: list[EventInput] = []
        self.held: set[str] = set()

    def _quietly(self, change: Callable[[], object]) -> None:
        with suppress(DomainError):
            change()

    def _ingest(self, item: EventInput) -> None:
        self.world.ingestion.ingest(self.tenant, item)

    @rule(event_type=st.sampled_from(EVENT_TYPES), score=st.integers(0, 100))
    def event(self, event_type: str, score: int) -> None:
        item = EventInput(
            f"evt_{uuid.uuid4().hex}", self.user_id, event_type, properties={"score": score}
        )
        self.sent.append(item)
        self._ingest(item)

    @rule(data=st.data())
    def repeat(self, data: st.DataObject) -> None:
        """The same event id again (a client's retry): nothing more is paid."""
        if self.sent:
            self._ingest(data.draw(st.sampled_from(self.sent)))

    @rule(amount=st.integers(1, 400))
    def coins(self, amount: int) -> None:
        self.world.buddies.override_wallet(
            self.tenant, self.buddy_id, "credit", None, amount, "t", STAFF
        )

    @rule(value=st.integers(0, 100))
    def grammar(self, value: int) -> None:
        self.world.buddies.set_skills(self.tenant, self.buddy_id, {"grammar": value}, STAFF)

    @rule(badge=st.sampled_from(sorted(BADGES)))
    def award(self, badge: str) -> None:
        self._quietly(
            lambda: self.world.buddies.award_badge(self.tenant, self.buddy_id, badge, STAFF)
        )

    @invariant()
    def held_badges_stay_and_are_paid_exactly_once(self) -> None:
        state = self.world.buddies.state(self.tenant, self.buddy_id)
        held = set(state.buddy.badges)
        assert self.held <= held, self.held - held
        self.held = held

        stream = self.world.store.events.get(parse_public_id("buddy", self.buddy_id))
        awards = [e for e in stream if isinstance(e, Buddy.BadgeAwarded)]
        assert Counter(a.badge_key for a in awards) == Counter(held)
        for award in awards:
            if not BADGES[award.badge_key].auto_award:
                assert award.source == "manual", award

        paid: Counter[tuple[str, str]] = Counter()
        for entry in self.world.store.events.get(state.ledger.id):
            reason = getattr(entry, "reason", "")
            credited = isinstance(entry, Ledger.CoinsCredited | Ledger.TokensCredited)
            if credited and reason.startswith("badge:"):
                paid[(reason.removeprefix("badge:"), entry.currency)] += entry.amount
        owed: Counter[tuple[str, str]] = Counter()
        for key in held:
            badge = BADGES[key]
            if badge.coin_reward:
                owed[(key, "coins")] += badge.coin_reward
            for token_key, amount in badge.token_rewards.items():
                owed[(key, token_key)] += amount
        assert paid == owed


BadgeRewardsMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=25, deadline=None
)
TestBadgeRewards = BadgeRewardsMachine.TestCase
