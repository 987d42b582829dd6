"""Manual awards of one badge racing from two API processes (two event stores on one
database): the buddy's stream takes the award once, and the ledger entries that pay its
rewards are saved with it, so exactly one award pays, on every backend (decision 0047)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from application.companions.buddies import Buddies
from application.configs.configs import Configs
from application.configs.rule_editors import BADGES, ConfigItems
from application.economy.wallets import ledger_id_for
from application.shared.store import EventStore
from domain.companions.buddy import Buddy
from domain.economy.ledger import Ledger
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant
from infrastructure.accounts.security import RandomSecrets
from infrastructure.companions.directory import ViewBuddyDirectory
from infrastructure.persistence.event_store import event_store_env
from infrastructure.shared.clock import SystemClock
from interfaces.container import Container
from tests.integration.ingestion_flow import adopt, make_tenant

MENTOR = {
    "name": "Mentor's pick",
    "condition": {"kind": "stage", "stage": 1},
    "auto_award": False,
    "coin_reward": 25,
    "token_rewards": {"stars": 2},
}


def publish_mentor(container: Container, tenant: Tenant) -> None:
    edited = ConfigItems(container.configs).upsert(tenant, BADGES, "mentor_pick", MENTOR)
    container.configs.publish(tenant, edited.draft.public_id)


def test_twenty_awards_from_two_processes_award_and_pay_once(container: Container) -> None:
    tenant = make_tenant(container)
    publish_mentor(container, tenant)
    buddy_id = adopt(container, tenant, "racer")
    buddy = public_id("buddy", buddy_id)

    other_store = EventStore(env=event_store_env(container.settings))
    clock = SystemClock()
    other_configs = Configs(other_store, clock, ViewBuddyDirectory(container.views))
    elsewhere = Buddies(other_store, clock, RandomSecrets(), other_configs)
    try:
        sides = [container.buddies, elsewhere]

        def award(n: int) -> str:
            try:
                sides[n % 2].award_badge(tenant, buddy, "mentor_pick", f"staff-{n}")
            except DomainError as refused:
                return refused.code
            return "awarded"

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(award, range(20)))
    finally:
        other_store.close()

    assert sorted(answers) == ["awarded"] + ["conflict"] * 19
    awards = [e for e in container.store.events.get(buddy_id) if isinstance(e, Buddy.BadgeAwarded)]
    assert [(a.badge_key, a.source) for a in awards] == [("mentor_pick", "manual")]
    paid = [
        (type(e).__name__, getattr(e, "amount", None))
        for e in container.store.events.get(ledger_id_for(buddy_id))
        if getattr(e, "reason", None) == "badge:mentor_pick"
    ]
    assert paid == [("CoinsCredited", 25), ("TokensCredited", 2)]
    ledger = container.store.find(Ledger, ledger_id_for(buddy_id))
    assert ledger is not None
    assert (ledger.balance("coins"), ledger.balance("stars")) == (25, 2)
