from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import RecordConflictError

from domain.companions.egg import Egg
from domain.companions.user_account import EggSummary, UserAccount
from domain.shared.errors import DomainError
from domain.shared.ids import natural_id
from domain.shared.tenancy import Tenant

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
TENANT = Tenant(uuid4(), "live")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def open_account(user_id: str = "user_123") -> UserAccount:
    return UserAccount(
        id=UserAccount.id_for(TENANT, user_id),
        customer_id=TENANT.customer_id,
        mode=TENANT.mode,
        user_id=user_id,
        timestamp=T0,
    )


def lay_egg(account: UserAccount, minute: int) -> Egg:
    egg = Egg(
        id=uuid4(),
        customer_id=account.customer_id,
        mode=account.mode,
        user_id=account.user_id,
        config_version_id=uuid4(),
        metadata={},
        audience=None,
        timestamp=at(minute),
    )
    account.egg_laid(egg_id=egg.id, max_active=3, active_summaries=(), timestamp=at(minute))
    return egg


def test_the_account_id_is_derived_from_tenant_and_user() -> None:
    assert UserAccount.id_for(TENANT, "u1") == natural_id("user", TENANT.key, "u1")
    assert UserAccount.id_for(TENANT, "u1") == UserAccount.id_for(TENANT, "u1")
    assert UserAccount.id_for(TENANT, "u1") != UserAccount.id_for(TENANT, "u2")
    other_mode = Tenant(TENANT.customer_id, "test")
    assert UserAccount.id_for(TENANT, "u1") != UserAccount.id_for(other_mode, "u1")
    assert UserAccount.id_for(TENANT, "u1") != UserAccount.id_for(Tenant(uuid4(), "live"), "u1")


def test_a_new_account_owns_nothing() -> None:
    account = open_account()
    assert account.user_id == "user_123"
    assert account.customer_id == TENANT.customer_id and account.mode == "live"
    assert account.active_egg_ids == [] and account.buddy_ids == []
    assert account.has_room_for_egg(3)


def test_eggs_are_kept_in_the_order_they_were_laid() -> None:
    account = open_account()
    eggs = [lay_egg(account, minute) for minute in (1, 2, 3)]
    assert account.active_egg_ids == [egg.id for egg in eggs]
    assert not account.has_room_for_egg(3)
    assert account.has_room_for_egg(4)


def test_laying_the_same_egg_twice_takes_one_slot() -> None:
    account = open_account()
    egg_id = uuid4()
    for _ in range(2):
        account.egg_laid(egg_id=egg_id, max_active=3, active_summaries=(), timestamp=at(1))
    assert account.active_egg_ids == [egg_id]
    kinds = [type(e) for e in account.collect_events()]
    assert kinds == [UserAccount.Opened, UserAccount.EggLaid]


def test_the_cap_refuses_one_egg_too_many_and_lists_the_active_ones() -> None:
    account = open_account()
    eggs = [lay_egg(account, minute) for minute in (1, 2)]
    eggs[1].mark_ready(timestamp=at(5))
    account.collect_events()
    summaries = [egg.summary() for egg in reversed(eggs)]  # any order: details follow laying
    with pytest.raises(DomainError) as raised:
        account.egg_laid(egg_id=uuid4(), max_active=2, active_summaries=summaries, timestamp=at(9))
    error = raised.value
    assert error.code == "active_egg_limit"
    assert error.message == "User already has 2 active egg(s)"
    assert error.details == {
        "active": [
            {"egg_id": "egg_" + eggs[0].id.hex, "status": "waiting", "created_at": at(1)},
            {"egg_id": "egg_" + eggs[1].id.hex, "status": "ready", "created_at": at(2)},
        ],
        "max": 2,
    }
    assert account.active_egg_ids == [egg.id for egg in eggs]
    assert account.collect_events() == []


def test_the_cap_message_counts_the_eggs() -> None:
    account = open_account()
    lay_egg(account, 1)
    with pytest.raises(DomainError) as raised:
        account.egg_laid(egg_id=uuid4(), max_active=1, active_summaries=(), timestamp=at(2))
    assert raised.value.message == "User already has 1 active egg(s)"
    assert raised.value.details == {"active": [], "max": 1}


def test_summaries_of_eggs_that_are_not_active_are_left_out() -> None:
    account = open_account()
    egg = lay_egg(account, 1)
    stray = EggSummary(egg_id=uuid4(), status="hatched", created_at=T0)
    with pytest.raises(DomainError) as raised:
        account.egg_laid(
            egg_id=uuid4(), max_active=1, active_summaries=[stray, egg.summary()], timestamp=at(2)
        )
    assert raised.value.details is not None
    assert [item["egg_id"] for item in raised.value.details["active"]] == ["egg_" + egg.id.hex]


def test_closing_an_egg_frees_its_slot() -> None:
    account = open_account()
    first, second, third = (lay_egg(account, minute) for minute in (1, 2, 3))
    account.egg_closed(egg_id=second.id, timestamp=at(4))
    assert account.active_egg_ids == [first.id, third.id]
    assert account.has_room_for_egg(3)
    fourth = lay_egg(account, 5)
    assert account.active_egg_ids == [first.id, third.id, fourth.id]


def test_closing_an_egg_that_is_not_active_changes_nothing() -> None:
    account = open_account()
    egg = lay_egg(account, 1)
    account.egg_closed(egg_id=egg.id, timestamp=at(2))
    account.collect_events()
    account.egg_closed(egg_id=egg.id, timestamp=at(3))
    account.egg_closed(egg_id=uuid4(), timestamp=at(3))
    assert account.collect_events() == []


def test_adopted_buddies_are_listed_once() -> None:
    account = open_account()
    first, second = uuid4(), uuid4()
    account.buddy_adopted(buddy_id=first, timestamp=at(1))
    account.buddy_adopted(buddy_id=second, timestamp=at(2))
    account.buddy_adopted(buddy_id=first, timestamp=at(3))
    assert account.buddy_ids == [first, second]


def test_the_latest_reusable_egg_is_the_newest_waiting_or_ready_one() -> None:
    account = open_account()
    a, b, c = (lay_egg(account, minute) for minute in (1, 2, 3))
    statuses: dict[UUID, str] = {a.id: "waiting", b.id: "ready", c.id: "hatching"}
    assert account.latest_reusable_egg_id(statuses) == b.id
    statuses[b.id] = "hatching"
    assert account.latest_reusable_egg_id(statuses) == a.id
    statuses[a.id] = "hatching"
    assert account.latest_reusable_egg_id(statuses) is None


def test_eggs_left_out_of_the_statuses_are_not_reused() -> None:
    account = open_account()
    a, b = (lay_egg(account, minute) for minute in (1, 2))
    assert account.latest_reusable_egg_id({a.id: "waiting"}) == a.id
    assert account.latest_reusable_egg_id({}) is None
    assert account.latest_reusable_egg_id({b.id: "waiting", uuid4(): "ready"}) == b.id


def test_closed_eggs_are_never_reused_even_if_a_stale_status_says_so() -> None:
    account = open_account()
    egg = lay_egg(account, 1)
    account.egg_closed(egg_id=egg.id, timestamp=at(2))
    assert account.latest_reusable_egg_id({egg.id: "ready"}) is None


def test_replaying_the_account_rebuilds_it() -> None:
    account = open_account()
    eggs = [lay_egg(account, minute) for minute in (1, 2, 3)]
    account.egg_closed(egg_id=eggs[0].id, timestamp=at(4))
    account.buddy_adopted(buddy_id=uuid4(), timestamp=at(4))
    rebuilt = None
    for stored in account.collect_events():
        rebuilt = stored.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.__dict__ == account.__dict__


def test_two_concurrent_eggs_cannot_both_take_the_last_slot() -> None:
    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    account = open_account()
    lay_egg(account, 1)
    app.save(account)
    one: UserAccount = app.repository.get(account.id)
    two: UserAccount = app.repository.get(account.id)
    one.egg_laid(egg_id=uuid4(), max_active=2, active_summaries=(), timestamp=at(2))
    two.egg_laid(egg_id=uuid4(), max_active=2, active_summaries=(), timestamp=at(2))
    app.save(one)
    with pytest.raises(RecordConflictError):
        app.save(two)
    reloaded: UserAccount = app.repository.get(account.id)
    assert reloaded.__dict__ == one.__dict__
    with pytest.raises(DomainError):
        reloaded.egg_laid(egg_id=uuid4(), max_active=2, active_summaries=(), timestamp=at(3))


def test_creating_the_same_account_twice_fails_in_the_store() -> None:
    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.save(open_account("u9"))
    with pytest.raises(RecordConflictError):
        app.save(open_account("u9"))
