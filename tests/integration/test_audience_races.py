"""One buddy per user and audience (decision 0041) holds under concurrency: eggs laid at once
from two API processes (two event stores on one database) for one user and audience give one
egg, and an egg cannot be laid for an audience while the user's egg of it hatches
(decisions 0041 and 0047)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from application.companions.eggs import Eggs
from application.configs.configs import Configs
from application.shared.store import EventStore
from domain.companions.egg import Egg
from domain.companions.user_account import UserAccount
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant
from infrastructure.accounts.security import RandomSecrets
from infrastructure.companions.directory import ViewBuddyDirectory
from infrastructure.persistence.event_store import event_store_env
from infrastructure.shared.clock import SystemClock
from interfaces.container import Container
from interfaces.http.companions.audiences import in_use
from tests.integration.ingestion_flow import make_tenant
from tests.integration.test_rebuild import settle

AUDIENCES = [{"key": "student", "brief": "learners"}, {"key": "teacher", "brief": "staff"}]


def with_audiences(container: Container) -> Tenant:
    tenant = make_tenant(container)
    container.accounts.change_plan(tenant.customer_id, "pro", None, {"actor": "test"})
    container.accounts.replace_audiences(tenant.customer_id, AUDIENCES, set)
    return tenant


def active_eggs(container: Container, tenant: Tenant, user_id: str) -> list[Egg]:
    account = container.store.find(UserAccount, UserAccount.id_for(tenant, user_id))
    if account is None:
        return []
    return [container.store.load(Egg, i, "egg", str(i)) for i in account.active_egg_ids]


def test_twenty_eggs_laid_at_once_for_one_audience_give_one(container: Container) -> None:
    tenant = with_audiences(container)
    other_store = EventStore(env=event_store_env(container.settings))
    clock = SystemClock()
    other_configs = Configs(other_store, clock, ViewBuddyDirectory(container.views))
    elsewhere = Eggs(other_store, clock, RandomSecrets(), other_configs)
    try:
        sides = [container.eggs, elsewhere]

        def lay(n: int) -> str:
            try:
                sides[n % 2].lay(tenant, "racer", {}, "student", False)
            except DomainError as refused:
                return refused.code
            return "laid"

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lay, range(20)))
    finally:
        other_store.close()

    assert sorted(answers) == ["conflict"] * 19 + ["laid"]
    assert [e.audience for e in active_eggs(container, tenant, "racer")] == ["student"]
    # The other audience is still free for the same user.
    container.eggs.lay(tenant, "racer", {}, "teacher", False)
    assert sorted(e.audience or "" for e in active_eggs(container, tenant, "racer")) == [
        "student",
        "teacher",
    ]


def test_an_egg_of_the_audience_hatching_refuses_another_and_ensure_reuses_a_waiting_one(
    container: Container,
) -> None:
    tenant = with_audiences(container)
    egg, new = container.eggs.lay(tenant, "hatcher", {}, "student", False)
    again, reused = container.eggs.lay(tenant, "hatcher", {}, "student", True)
    assert new and not reused and again.id == egg.id
    container.eggs.set_status(tenant, egg.public_id, "ready")
    container.eggs.hatch(tenant, egg.public_id)  # hatching: active, not reusable
    for ensure in (False, True):
        try:
            container.eggs.lay(tenant, "hatcher", {}, "student", ensure)
        except DomainError as refused:
            assert refused.code == "conflict"
            assert refused.details["egg_id"] == egg.public_id
        else:
            raise AssertionError("a second egg of one audience was laid")


def in_use_now(container: Container, tenant: Tenant) -> Callable[[], set[str]]:
    """What the PATCH route asks: the eggs view's audiences, once it has every write (the
    route waits for the view's followers; here the test catches them up)."""

    def used() -> set[str]:
        settle(container)
        return in_use(container.views, tenant.customer_id.hex)

    return used


def test_an_egg_laid_while_its_audience_is_removed_puts_it_back(container: Container) -> None:
    tenant = with_audiences(container)
    used = in_use_now(container, tenant)
    calls = []

    def racing() -> set[str]:
        calls.append(1)
        if len(calls) == 1:  # the first look finds nothing; an egg is laid right after it
            found = used()
            container.eggs.lay(tenant, "late", {}, "teacher", False)
            return found
        return used()

    with pytest.raises(DomainError) as refused:
        container.accounts.replace_audiences(tenant.customer_id, AUDIENCES[:1], racing)
    assert refused.value.code == "audience_in_use"
    assert refused.value.details == {"audience": "teacher"}
    customer = container.accounts.customer(tenant.customer_id)
    assert [a["key"] for a in customer.settings["audiences"]] == ["student", "teacher"]


def test_removing_an_audience_while_eggs_are_laid_for_it_never_strands_one(
    container: Container,
) -> None:
    """Each round lays an egg for ``teacher`` while ``teacher`` is removed: whichever wins,
    no egg that may hatch belongs to an audience the customer no longer declares."""
    tenant = with_audiences(container)
    used = in_use_now(container, tenant)
    for round_ in range(12):
        container.accounts.replace_audiences(tenant.customer_id, AUDIENCES, used)

        def lay(user: str = f"user_{round_}") -> str:
            try:
                container.eggs.lay(tenant, user, {}, "teacher", False)
            except DomainError as refused:
                return refused.code
            return "laid"

        def remove() -> str:
            try:
                container.accounts.replace_audiences(tenant.customer_id, AUDIENCES[:1], used)
            except DomainError as refused:
                return refused.code
            return "removed"

        with ThreadPoolExecutor(max_workers=2) as pool:
            laid, removed = pool.submit(lay), pool.submit(remove)
            outcome = (laid.result(), removed.result())
        # Both may refuse (each saw the other); never both go through.
        assert outcome in {
            ("laid", "audience_in_use"),
            ("unknown_audience", "removed"),
            ("unknown_audience", "audience_in_use"),
        }, outcome
        customer = container.accounts.customer(tenant.customer_id)
        still = {a["key"] for a in customer.settings["audiences"]}
        eggs = active_eggs(container, tenant, f"user_{round_}")
        assert all(e.audience in still for e in eggs), (still, [e.audience for e in eggs])
        for egg in eggs:  # free the audience for the next round
            container.eggs.set_status(tenant, egg.public_id, "cancelled")
