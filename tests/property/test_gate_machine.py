"""Credits, spends and gate unlocks on one buddy against a model, through the unlock service.

Whatever the order: the balance never goes negative, each gate is debited at most once,
the balance is what was credited minus what was debited, and an unlock is recorded exactly
when the model says the buddy paid for it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from application.companions.buddies import Buddies
from application.companions.gate_unlocks import GateUnlocks
from application.configs.configs import Configs
from application.configs.rule_editors import GATES, ConfigItems
from application.economy.wallets import ledger_id_for, open_ledger
from application.shared.store import EventStore
from domain.companions.buddy import Buddy
from domain.economy.gate_unlock import GateUnlock
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant

GATE_COSTS = {"advanced_mode": 30, "export_pdf": 5, "dark_theme": 80}
PRIMARY, PROGRESSION = "stars", "xp"


class StepClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 4, 8, tzinfo=UTC)

    def now(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


class Uuids:
    def uuid(self) -> UUID:
        return uuid4()


class NoBuddies:
    def buddy_ids(self, tenant: Tenant, *, config_version_id: UUID | None = None) -> list[UUID]:
        return []

    def counts_by_config_version(self, tenant: Tenant) -> dict[UUID, int]:
        return {}


class GateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        clock = StepClock()
        configs = Configs(self.store, clock, NoBuddies())
        self.tenant = Tenant(uuid4(), "live")
        configs.apply_preset(self.tenant, "language-learning")
        for key, cost in GATE_COSTS.items():
            fields = {"token_key": PRIMARY, "cost": cost}
            draft = ConfigItems(configs).upsert(self.tenant, GATES, key, fields).draft
        configs.publish(self.tenant, draft.public_id)
        published = configs.published_version(self.tenant)
        assert published is not None
        buddy_uuid = uuid4()
        buddy = Buddy(
            id=buddy_uuid,
            customer_id=self.tenant.customer_id,
            mode=self.tenant.mode,
            user_id="walker",
            egg_id=uuid4(),
            config_version_id=published.id,
            name="Pip",
            correlation_id=None,
            timestamp=clock.now(),
        )
        rulebook = configs.rulebook(published.id)
        ledger = open_ledger(buddy_uuid, self.tenant.customer_id, "live", rulebook, clock.now())
        self.store.save(buddy, ledger)
        self.buddy_uuid = buddy_uuid
        self.buddy = public_id("buddy", buddy_uuid)
        self.buddies = Buddies(self.store, clock, Uuids(), configs)
        self.gates = GateUnlocks(self.store, clock, configs)
        self.credited = 0
        self.debited = 0
        self.paid: set[str] = set()

    @rule(amount=st.integers(min_value=1, max_value=60))
    def credit(self, amount: int) -> None:
        self.buddies.override_wallet(
            self.tenant, self.buddy, "credit", PRIMARY, amount, "earned", "test"
        )
        self.credited += amount

    @rule(
        amount=st.integers(min_value=1, max_value=60), token=st.sampled_from([PRIMARY, PROGRESSION])
    )
    def spend(self, amount: int, token: str) -> None:
        balance = self.credited - self.debited
        try:
            self.buddies.override_wallet(
                self.tenant, self.buddy, "spend", token, amount, "spent", "test"
            )
        except DomainError as error:
            expected = (
                "progression_not_spendable" if token == PROGRESSION else "insufficient_balance"
            )
            assert error.code == expected
            assert token == PROGRESSION or amount > balance
            return
        assert token == PRIMARY and amount <= balance
        self.debited += amount

    @rule(gate=st.sampled_from(sorted(GATE_COSTS)))
    def unlock(self, gate: str) -> None:
        cost, balance = GATE_COSTS[gate], self.credited - self.debited
        try:
            answer = self.gates.unlock(self.tenant, self.buddy, gate, "test")
        except DomainError as error:
            assert error.code == "insufficient_balance"
            assert gate not in self.paid and cost > balance
            return
        assert answer.already_unlocked == (gate in self.paid)
        if not answer.already_unlocked:
            assert cost <= balance
            self.paid.add(gate)
            self.debited += cost
        assert (answer.unlock.gate_key, answer.unlock.cost) == (gate, cost)

    @rule(gate=st.sampled_from(["no_such_gate", "Bad Key"]))
    def unlock_unknown(self, gate: str) -> None:
        try:
            self.gates.unlock(self.tenant, self.buddy, gate, "test")
        except DomainError as error:
            assert error.code == "resource_not_found"
        else:
            raise AssertionError("an unknown gate unlocked")

    @invariant()
    def the_wallet_matches_the_model(self) -> None:
        ledger = self.store.find(Ledger, ledger_id_for(self.buddy_uuid))
        assert ledger is not None
        balance = ledger.balance(PRIMARY)
        assert balance >= 0
        assert balance == self.credited - self.debited
        entries: list[Any] = list(self.store.events.get(ledger_id_for(self.buddy_uuid)))
        credits = sum(e.amount for e in entries if isinstance(e, Ledger.TokensCredited))
        debits = sum(e.amount for e in entries if isinstance(e, Ledger.TokensDebited))
        assert balance == credits - debits
        gate_debits = [e.reason for e in entries if isinstance(e, Ledger.TokensDebited)]
        for gate in GATE_COSTS:
            assert gate_debits.count(f"gate:{gate}") == (1 if gate in self.paid else 0)

    @invariant()
    def an_unlock_is_recorded_exactly_when_it_was_paid(self) -> None:
        for gate in GATE_COSTS:
            found = self.store.find(GateUnlock, GateUnlock.id_for(self.buddy_uuid, gate))
            assert (found is not None) == (gate in self.paid)


GateMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestGateMachine = GateMachine.TestCase
