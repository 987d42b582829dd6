"""After any sequence of state changes, every auto badge whose condition holds is held, and
each was awarded exactly once: customer events, overrides, purchases and evolves alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import suppress

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from application.companions.buddies import WalletDirection
from domain.companions.buddy import Buddy
from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook
from domain.ingestion.rules import badge_condition_holds
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id
from tests.unit.history_world import World

STAFF = "secret_key:test"
RULEBOOK = Rulebook.from_dict(preset_document("language-learning"))
EVENT_TYPES = sorted(RULEBOOK.event_types)
SKILLS = sorted(s.key for s in RULEBOOK.skills)
ITEMS = sorted(i.item_id for i in RULEBOOK.items)
BADGES = sorted(b.key for b in RULEBOOK.badges)


class SettledBadgesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        self.tenant = self.world.open_tenant()
        self.buddy_id = self.world.hatch(self.tenant)

    def _quietly(self, change: Callable[[], object]) -> None:
        """A refused change (a badge already held, coins short) is part of any sequence."""
        with suppress(DomainError):
            change()

    @rule(event_type=st.sampled_from(EVENT_TYPES), count=st.integers(1, 6))
    def events(self, event_type: str, count: int) -> None:
        for _ in range(count):
            self.world.send(self.tenant, self.buddy_id, event_type, score=100)

    @rule(skill=st.sampled_from(SKILLS), value=st.integers(0, 100))
    def set_skill(self, skill: str, value: int) -> None:
        self.world.buddies.set_skills(self.tenant, self.buddy_id, {skill: value}, STAFF)

    @rule(amount=st.integers(1, 400), spend=st.booleans())
    def coins(self, amount: int, spend: bool) -> None:
        wallet = self.world.buddies.override_wallet
        direction: WalletDirection = "spend" if spend else "credit"
        self._quietly(
            lambda: wallet(self.tenant, self.buddy_id, direction, None, amount, "t", STAFF)
        )

    @rule(amount=st.integers(1, 400))
    def progression_tokens(self, amount: int) -> None:
        self.world.buddies.override_wallet(
            self.tenant, self.buddy_id, "credit", "xp", amount, "t", STAFF
        )

    @rule(item=st.sampled_from(ITEMS))
    def purchase(self, item: str) -> None:
        self._quietly(
            lambda: self.world.purchases.purchase(self.tenant, self.buddy_id, item, STAFF)
        )

    @rule(badge=st.sampled_from(BADGES))
    def award(self, badge: str) -> None:
        self._quietly(
            lambda: self.world.buddies.award_badge(self.tenant, self.buddy_id, badge, STAFF)
        )

    @rule()
    def evolve(self) -> None:
        if self.world.buddies.load(self.tenant, self.buddy_id).evolution_ready:
            self.world.evolve(self.tenant, self.buddy_id)

    @invariant()
    def every_met_badge_is_held_once(self) -> None:
        state = self.world.buddies.state(self.tenant, self.buddy_id)
        progress = state.buddy.progress_state(state.ledger.wallet())
        owed = {
            badge.key
            for badge in state.rulebook.badges
            if badge.auto_award
            and badge_condition_holds(badge.condition, state.rulebook, progress)[0]
        }
        assert owed <= set(state.buddy.badges)
        stream = self.world.store.events.get(parse_public_id("buddy", self.buddy_id))
        awards = Counter(e.badge_key for e in stream if isinstance(e, Buddy.BadgeAwarded))
        assert set(awards) == set(state.buddy.badges)
        assert all(n == 1 for n in awards.values()), awards


SettledBadgesMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=20, deadline=None
)
TestSettledBadges = SettledBadgesMachine.TestCase
