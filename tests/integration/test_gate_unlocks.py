"""Unlocks of one gate racing from two API processes (two event stores on one database):
the unlock's stream can be created once, so exactly one of them pays, on every backend.
And the unlocks view, rebuilt by replay, ends with the rows it had."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from application.companions.gate_unlocks import GateUnlocks, Unlocking
from application.configs.configs import Configs
from application.configs.rule_editors import GATES, ConfigItems
from application.economy.wallets import ledger_id_for
from application.shared.store import EventStore
from domain.economy.gate_unlock import GateUnlock
from domain.economy.ledger import Ledger
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant
from infrastructure.companions.directory import ViewBuddyDirectory
from infrastructure.persistence.event_store import event_store_env
from infrastructure.shared.clock import SystemClock
from interfaces.container import Container
from projections.economy.gate_unlocks import GATE_UNLOCKS, GateUnlocksView
from tests.integration.ingestion_flow import adopt, make_tenant
from tests.integration.test_rebuild import rebuilder, settle

COST = 30


def open_gate(container: Container, tenant: Tenant) -> None:
    items = ConfigItems(container.configs)
    edited = items.upsert(tenant, GATES, "advanced_mode", {"token_key": "stars", "cost": COST})
    container.configs.publish(tenant, edited.draft.public_id)


def stars(store: EventStore, buddy_id: UUID) -> tuple[int, list[Ledger.TokensDebited]]:
    debits = [
        e for e in store.events.get(ledger_id_for(buddy_id)) if isinstance(e, Ledger.TokensDebited)
    ]
    ledger = store.find(Ledger, ledger_id_for(buddy_id))
    assert ledger is not None
    return ledger.balance("stars"), debits


def test_twenty_unlocks_from_two_processes_debit_once(container: Container) -> None:
    tenant = make_tenant(container)
    open_gate(container, tenant)
    buddy_id = adopt(container, tenant, "racer")
    buddy = public_id("buddy", buddy_id)
    container.buddies.override_wallet(tenant, buddy, "credit", "stars", 100, "test", "test")

    other_store = EventStore(env=event_store_env(container.settings))
    clock = SystemClock()
    other_configs = Configs(other_store, clock, ViewBuddyDirectory(container.views))
    elsewhere = GateUnlocks(other_store, clock, other_configs)
    try:
        sides = [container.gate_unlocks, elsewhere]

        def unlock(n: int) -> Unlocking:
            return sides[n % 2].unlock(tenant, buddy, "advanced_mode", f"racer-{n}")

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(unlock, range(20)))
    finally:
        other_store.close()

    assert sum(not a.already_unlocked for a in answers) == 1
    assert {a.unlock.ledger_entry_id for a in answers} == {answers[0].unlock.ledger_entry_id}
    balance, debits = stars(container.store, buddy_id)
    assert balance == 100 - COST
    assert [(d.amount, d.reason) for d in debits] == [(COST, "gate:advanced_mode")]
    unlock_events = list(container.store.events.get(GateUnlock.id_for(buddy_id, "advanced_mode")))
    assert len(unlock_events) == 1


def test_the_unlocks_view_rebuilds_to_the_same_rows_and_verifies(container: Container) -> None:
    tenant = make_tenant(container)
    open_gate(container, tenant)
    for user in ("ann", "bob"):
        buddy = public_id("buddy", adopt(container, tenant, user))
        container.buddies.override_wallet(tenant, buddy, "credit", "stars", COST, "test", "test")
        container.gate_unlocks.unlock(tenant, buddy, "advanced_mode", "test")
    settle(container)
    table = f"SELECT * FROM {GATE_UNLOCKS.name} ORDER BY buddy_id"
    before = container.views.select(table)
    assert len(before) == 2

    rebuilder(container).rebuild([GateUnlocksView.name])

    assert container.views.select(table) == before
    [verified] = rebuilder(container).verify([GateUnlocksView.name])
    assert verified.differences == []
