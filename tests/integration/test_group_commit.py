"""Ingestion with group commit on (the default) keeps every guarantee, on every backend.

Dedupe under concurrency, each request's own effects, evaluation in order inside a group
(the same result as one at a time), no overdraw, and the fallbacks when a group's save
conflicts or one of its requests breaks.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from application.economy.wallets import ledger_id_for
from application.ingestion.ingestion import (
    FRESH_ENOUGH,
    SAVE_CHUNK,
    EventInput,
    Ingestion,
    _Request,
)
from application.shared.store import EventStore, StreamsReader
from domain.companions.buddy import Buddy
from domain.companions.user_account import UserAccount
from domain.configs.rulebook import COINS
from domain.economy.ledger import Credit, Ledger, LedgerEntry
from domain.ingestion.event_ingestion import EventIngestion
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant
from infrastructure.persistence.event_store import event_store_env
from interfaces.container import Container
from tests.integration.ingestion_flow import adopt, event, make_tenant


@pytest.fixture
def tenant(container: Container) -> Tenant:
    return make_tenant(container)


def coins(store: EventStore, buddy_id: UUID) -> int:
    ledger = store.find(Ledger, ledger_id_for(buddy_id))
    assert ledger is not None
    return ledger.balance(COINS)


def credits(store: EventStore, buddy_id: UUID) -> list[Any]:
    return [
        e for e in store.events.get(ledger_id_for(buddy_id)) if isinstance(e, Ledger.CoinsCredited)
    ]


def summary(effects: dict[str, Any]) -> tuple[Any, ...]:
    return (
        effects["coins"],
        effects["badges_awarded"],
        effects["tokens"],
        effects["evolution_ready"],
        [(s["skill_key"], s["amount"]) for s in effects["skills"]],
    )


def test_group_commit_is_on_by_default(container: Container) -> None:
    assert container.settings.ingest_group_commit
    assert container.ingestion._group is not None


def test_one_event_id_sent_200_times_concurrently_has_one_effect(
    container: Container, tenant: Tenant
) -> None:
    buddy_id = adopt(container, tenant, "racer")
    item = event("racer", "evt_once")
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: container.ingestion.ingest(tenant, item), range(200)))
    firsts = [ingestion for ingestion, duplicate in answers if not duplicate]
    assert len(firsts) == 1
    assert {a.id for a, _ in answers} == {EventIngestion.id_for(tenant, "evt_once")}
    assert all(a.effects == firsts[0].effects for a, _ in answers)
    assert coins(container.store, buddy_id) == firsts[0].effects["coins"] == 10
    assert len(credits(container.store, buddy_id)) == 1


def test_concurrent_events_each_get_their_own_effects_as_if_serial(
    container: Container, tenant: Tenant
) -> None:
    """Twenty identical events for one buddy at once earn exactly what twenty sent one by
    one earn another buddy (the daily coin cap, the first-lesson badge), whatever groups
    they fall into, and each response carries its own event's effects."""
    serial_buddy = adopt(container, tenant, "calm")
    serial = [container.ingestion.ingest(tenant, event("calm"))[0] for _ in range(20)]
    buddy_id = adopt(container, tenant, "busy")
    items = [event("busy", f"evt_{n}") for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda i: container.ingestion.ingest(tenant, i), items))
    assert [a.event_id for a, _ in answers] == [i.event_id for i in items]
    assert not any(duplicate for _, duplicate in answers)
    assert sorted(summary(a.effects) for a, _ in answers) == sorted(
        summary(a.effects) for a in serial
    )
    assert coins(container.store, buddy_id) == coins(container.store, serial_buddy) > 0
    causes = sorted(c.causation["event_id"] for c in credits(container.store, buddy_id))
    paid = [a for a, _ in answers if a.effects["coins"]]
    assert sorted(set(causes)) == sorted(a.event_id for a in paid)
    buddy = container.store.find(Buddy, buddy_id)
    assert buddy is not None and buddy.event_counts["lesson_completed"] == 20


@pytest.mark.parametrize(
    "types",
    [
        ["lesson_completed"] * 8,
        ["lesson_completed", "quiz_passed", "lesson_completed", "custom_thing", "quiz_passed"] * 3,
    ],
)
def test_a_group_decides_like_one_event_at_a_time(
    container: Container, tenant: Tenant, types: list[str]
) -> None:
    serial_buddy = adopt(container, tenant, "serial")
    grouped_buddy = adopt(container, tenant, "grouped")
    serial = [container.ingestion.ingest(tenant, event("serial", type=t))[0].effects for t in types]
    grouped = container.ingestion.ingest_many(tenant, [event("grouped", type=t) for t in types])
    assert not any(isinstance(g, DomainError) for g in grouped)
    assert [summary(e) for e in serial] == [summary(g[0].effects) for g in grouped]  # type: ignore[index]
    assert coins(container.store, serial_buddy) == coins(container.store, grouped_buddy)
    a, b = (container.store.find(Buddy, b) for b in (serial_buddy, grouped_buddy))
    assert a is not None and b is not None
    assert (a.skills, a.badges.keys(), a.event_counts, a.streaks) == (
        b.skills,
        b.badges.keys(),
        b.event_counts,
        b.streaks,
    )


def test_a_batch_dedupes_inside_itself_and_against_the_log(
    container: Container, tenant: Tenant
) -> None:
    buddy_id = adopt(container, tenant, "dup")
    first, _ = container.ingestion.ingest(tenant, event("dup", "evt_a"))
    answers = container.ingestion.ingest_many(
        tenant, [event("dup", "evt_a"), event("dup", "evt_b"), event("dup", "evt_b")]
    )
    statuses = [(a[0].event_id, a[1]) for a in answers]  # type: ignore[index]
    assert statuses == [("evt_a", True), ("evt_b", False), ("evt_b", True)]
    assert answers[0][0].effects == first.effects  # type: ignore[index]
    assert coins(container.store, buddy_id) == 20


def test_a_refused_request_does_not_fail_its_group(container: Container, tenant: Tenant) -> None:
    buddy_id = adopt(container, tenant, "mixed")
    answers = container.ingestion.ingest_many(
        tenant,
        [
            event("mixed", "evt_1"),
            EventInput("evt_2", "mixed", "lesson_completed", buddy_id=uuid.uuid4()),
            event("mixed", "evt_3"),
        ],
    )
    assert isinstance(answers[1], DomainError) and answers[1].code == "resource_not_found"
    assert [a[0].event_id for a in (answers[0], answers[2])] == ["evt_1", "evt_3"]  # type: ignore[index]
    assert container.store.find(EventIngestion, EventIngestion.id_for(tenant, "evt_2")) is None
    assert coins(container.store, buddy_id) == 20


def test_a_request_breaking_half_way_is_retried_alone(
    container: Container, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One request fails after changing the group's aggregates: the group is abandoned and
    every request goes on its own; only the broken one fails."""
    buddy_id = adopt(container, tenant, "fragile")
    original = Ingestion._apply

    def apply(
        self: Ingestion, tenant: Tenant, ingestion_id: UUID, item: EventInput, *rest: Any
    ) -> Any:
        ingestion = original(self, tenant, ingestion_id, item, *rest)
        if item.event_id == "evt_boom":
            raise DomainError("bad_request", "boom")
        return ingestion

    monkeypatch.setattr(Ingestion, "_apply", apply)
    answers = container.ingestion.ingest_many(
        tenant, [event("fragile", "evt_1"), event("fragile", "evt_boom"), event("fragile", "evt_2")]
    )
    assert isinstance(answers[1], DomainError) and answers[1].message == "boom"
    assert [a[1] for a in (answers[0], answers[2])] == [False, False]  # type: ignore[index]
    assert container.store.find(EventIngestion, EventIngestion.id_for(tenant, "evt_boom")) is None
    assert coins(container.store, buddy_id) == 20
    assert len(credits(container.store, buddy_id)) == 2


def write_elsewhere(container: Container, buddy_id: UUID) -> None:
    """Credit 7 coins and rename the buddy through a second event store (another process)."""
    other = EventStore(env=event_store_env(container.settings))
    try:
        ledger = other.find(Ledger, ledger_id_for(buddy_id))
        buddy = other.find(Buddy, buddy_id)
        assert ledger is not None and buddy is not None
        now = datetime.now(UTC)
        ledger.credit(
            currency=COINS,
            amount=7,
            reason="elsewhere",
            entry_id=uuid.uuid4(),
            causation={},
            timestamp=now,
        )
        buddy.rename(name="Renamed elsewhere", timestamp=now)
        other.save(ledger, buddy)
    finally:
        other.close()


def test_a_write_behind_the_pipelines_back_is_caught_by_the_save(
    container: Container, tenant: Tenant
) -> None:
    """Another API process (a second event store on the same database) changes the buddy's
    wallet after the pipeline last wrote it: the next save conflicts and is decided again
    from fresh state, so the credit is not lost."""
    buddy_id = adopt(container, tenant, "shared")
    container.ingestion.ingest(tenant, event("shared"))
    write_elsewhere(container, buddy_id)
    answer, duplicate = container.ingestion.ingest(tenant, event("shared"))
    assert not duplicate and answer.effects["coins"] == 10
    assert coins(container.store, buddy_id) == 10 + 7 + 10
    found = container.store.find(Buddy, buddy_id)
    assert found is not None and found.name == "Renamed elsewhere"
    assert found.event_counts["lesson_completed"] == 2


def test_a_copy_read_ahead_and_then_written_elsewhere_is_caught_by_the_save(
    container: Container, tenant: Tenant
) -> None:
    """The store keeps the buddy and its wallet as this process saved them; another
    process writes both before the group is decided: the group accepts the kept copies
    (saved within ``FRESH_ENOUGH``), they fail the save, the group is decided again from
    fresh state, and nothing is lost."""
    buddy_id = adopt(container, tenant, "ahead")
    ingestion = container.ingestion
    ingestion._read_ahead(tenant, ["ahead"])
    write_elsewhere(container, buddy_id)
    loads = count_loads(container.store)
    assert ingestion._group is not None
    answer = ingestion._group.submit([_Request(tenant, event("ahead"), checked=True)])[0]
    assert loads.count(buddy_id) == 1  # read only by the attempt after the conflict
    assert not isinstance(answer, BaseException)
    assert answer[0].effects["coins"] == 10
    assert coins(container.store, buddy_id) == 7 + 10
    found = container.store.find(Buddy, buddy_id)
    assert found is not None and found.name == "Renamed elsewhere"


def test_a_buddy_hatched_by_another_process_a_moment_ago_gets_the_event(
    container: Container, tenant: Tenant
) -> None:
    """The user's account was saved here (its egg) a moment ago; a worker process hatches
    the buddy and the customer sends an event at once. The account is only read by the
    group, so a stale copy would fail no save: it is always read after the event arrived."""
    adopt(container, tenant, "fresh")  # the account, kept here as saved a moment ago
    other = EventStore(env=event_store_env(container.settings))
    try:
        hatched = adopt_in(other, container, tenant, "fresh")
    finally:
        other.close()
    answer, _ = container.ingestion.ingest(tenant, event("fresh"))
    assert hatched in {b["buddy_id"] for b in answer.effects["buddies"]}
    answers = container.ingestion.ingest_many(tenant, [event("fresh")])
    assert not isinstance(answers[0], DomainError)
    assert len(answers[0][0].effects["buddies"]) == 2


def adopt_in(store: EventStore, container: Container, tenant: Tenant, user_id: str) -> UUID:
    """``adopt``, written through ``store`` (another process) instead of the container's."""
    saved = container.store
    container.store = store
    try:
        return adopt(container, tenant, user_id)
    finally:
        container.store = saved


def count_loads(store: EventStore, *, alone_only: bool = False) -> list[UUID]:
    """Record the id of every stream the store reads events of from now on (alone, or with
    others in one read: ``EventStore.refresh_many``; ``alone_only``: only those read alone)."""
    loads: list[UUID] = []
    read = store.events.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        loads.append(originator_id)
        return read(originator_id, *args, **kwargs)

    store.events.get = counted  # type: ignore[method-assign]
    if not alone_only:
        on_reads_together(store, loads.extend)
    return loads


def test_ingestion_and_spending_at_once_never_overdraw(
    container: Container, tenant: Tenant, backend: str
) -> None:
    buddy_id = adopt(container, tenant, "spender")
    buddy = public_id("buddy", buddy_id)
    container.buddies.override_wallet(tenant, buddy, "credit", None, 20, "seed", "test")
    spends = 40 if backend == "postgres" else 20

    def spend(_: int) -> bool:
        try:
            container.buddies.override_wallet(tenant, buddy, "spend", None, 3, "race", "test")
        except DomainError as refusal:
            assert refusal.code in ("insufficient_balance", "conflict")
            return False
        return True

    def ingest(n: int) -> int:
        return int(
            container.ingestion.ingest(tenant, event("spender", f"e{n}"))[0].effects["coins"]
        )

    with ThreadPoolExecutor(max_workers=12) as pool:
        spent = pool.map(spend, range(spends))
        earned = pool.map(ingest, range(12))
        spent_count, earned_total = sum(spent), sum(earned)
    final = coins(container.store, buddy_id)
    assert final == 20 + earned_total - 3 * spent_count >= 0
    entries = list(container.store.events.get(ledger_id_for(buddy_id)))
    balance = 0
    for entry in entries[1:]:
        assert isinstance(entry, LedgerEntry)
        balance += entry.amount if isinstance(entry, Credit) else -entry.amount
        assert balance >= 0 and entry.balance_after == balance
    assert balance == final


def test_strict_event_types_refuse_unregistered_types_at_once(
    container: Container, tenant: Tenant
) -> None:
    """The "not strict" answer is cached, but turning strict on applies to the next event."""
    buddy_id = adopt(container, tenant, "strict")
    assert not container.ingestion.ingest(tenant, event("strict", type="custom_thing"))[1]
    container.accounts.update_settings(tenant.customer_id, {"strict_event_types": True})
    before = coins(container.store, buddy_id)
    for send in (
        lambda item: container.ingestion.ingest(tenant, item),
        lambda item: _raise_refusal(container.ingestion.ingest_many(tenant, [item])[0]),
    ):
        with pytest.raises(DomainError) as refused:
            send(event("strict", "evt_refused", type="custom_thing"))
        assert refused.value.code == "event_type_not_registered"
        assert "lesson_completed" in refused.value.details["registered"]
    assert (
        container.store.find(EventIngestion, EventIngestion.id_for(tenant, "evt_refused")) is None
    )
    assert container.ingestion.ingest(tenant, event("strict"))[0].effects["coins"] == 10
    assert coins(container.store, buddy_id) == before + 10


def _raise_refusal(outcome: object) -> None:
    if isinstance(outcome, DomainError):
        raise outcome


def test_a_batch_larger_than_a_chunk_keeps_order_and_dedupes_across_chunks(
    container: Container, tenant: Tenant
) -> None:
    adopt(container, tenant, "bulk")
    items = [event("bulk", f"evt_{n}", type="custom_thing") for n in range(SAVE_CHUNK + 10)]
    items[SAVE_CHUNK + 5] = event("bulk", "evt_3", type="custom_thing")  # in the second chunk
    answers = container.ingestion.ingest_many(tenant, items)
    assert [a[0].event_id for a in answers] == [i.event_id for i in items]  # type: ignore[index]
    duplicates = [n for n, a in enumerate(answers) if a[1]]  # type: ignore[index]
    assert duplicates == [SAVE_CHUNK + 5]
    assert answers[SAVE_CHUNK + 5][0] == answers[3][0]  # type: ignore[index]


def test_the_next_group_reads_nothing_this_process_wrote_or_checked_within_a_second(
    container: Container, tenant: Tenant
) -> None:
    """The store keeps what a group saved (the buddy) and what it caught up (the wallet it
    only read); the next group within ``FRESH_ENOUGH`` reads neither again, and a plain
    ``find`` still reads the store."""
    buddy_id = adopt(container, tenant, "reader")
    answer, _ = container.ingestion.ingest(tenant, event("reader", type="custom_thing"))
    assert answer.effects["coins"] == 0
    loads = count_loads(container.store)
    answer, _ = container.ingestion.ingest(tenant, event("reader", type="custom_thing"))
    assert answer.effects["coins"] == 0 and not answer.effects["badges_awarded"]
    assert buddy_id not in loads and ledger_id_for(buddy_id) not in loads
    assert container.store.find(Buddy, buddy_id) is not None
    assert loads.count(buddy_id) == 1


def test_a_chunk_is_read_ahead_in_two_reads_and_its_group_reads_nothing_more(
    container: Container, tenant: Tenant, backend: str
) -> None:
    """Five users whose buddies and wallets another process wrote: reading a batch chunk
    ahead catches all their accounts up in one read and all their buddies and wallets in a
    second (on PostgreSQL; the embedded store reads stream by stream); the group then
    decides from those copies, reads none of their streams again, and sees the writes made elsewhere."""
    users = [f"many{n}" for n in range(5)]
    buddy_ids = [adopt(container, tenant, user) for user in users]
    for buddy_id in buddy_ids:
        write_elsewhere(container, buddy_id)
        for kept_id in (buddy_id, ledger_id_for(buddy_id)):  # kept as saved two seconds ago
            container.store._kept._entry(kept_id).checked_at -= 2 * FRESH_ENOUGH.total_seconds()
    reads_together = count_reads_together(container.store)
    loads = count_loads(container.store)
    read_from = time.monotonic()

    container.ingestion._read_ahead(tenant, [*users, *users])

    if backend == "postgres":
        assert len(reads_together) == 2
        assert {*buddy_ids, *map(ledger_id_for, buddy_ids)} <= set(reads_together[1])
    loads.clear()
    assert container.ingestion._group is not None
    requests = [_Request(tenant, event(user), read_from=read_from) for user in users]
    answers = container.ingestion._group.submit(requests)
    users_streams = {
        *buddy_ids,
        *map(ledger_id_for, buddy_ids),
        *(UserAccount.id_for(tenant, user) for user in users),
    }
    assert not users_streams & set(loads)  # (the month's quota shards are read: new)
    for answer, buddy_id in zip(answers, buddy_ids, strict=True):
        assert not isinstance(answer, BaseException) and answer[0].effects["coins"] == 10
        assert coins(container.store, buddy_id) == 7 + 10
        found = container.store.find(Buddy, buddy_id)
        assert found is not None and found.name == "Renamed elsewhere"


def test_a_group_that_waited_catches_its_stale_buddies_up_in_one_read(
    container: Container, tenant: Tenant, backend: str
) -> None:
    """A chunk read ahead, then kept waiting in line longer than ``FRESH_ENOUGH`` while
    another process wrote its buddies: the leader catches all the group's buddies and
    wallets up with one read before deciding (on PostgreSQL), and nothing is lost."""
    users = [f"late{n}" for n in range(4)]
    buddy_ids = [adopt(container, tenant, user) for user in users]
    read_from = time.monotonic()
    container.ingestion._read_ahead(tenant, users)
    for buddy_id in buddy_ids:
        write_elsewhere(container, buddy_id)
        for kept_id in (buddy_id, ledger_id_for(buddy_id)):  # as if read ahead 2 s ago
            container.store._kept._entry(kept_id).checked_at -= 2 * FRESH_ENOUGH.total_seconds()
    reads_together = count_reads_together(container.store)
    assert container.ingestion._group is not None

    requests = [_Request(tenant, event(user), read_from=read_from) for user in users]
    answers = container.ingestion._group.submit(requests)

    if backend == "postgres":
        assert len(reads_together) == 1
        assert set(reads_together[0]) == {*buddy_ids, *map(ledger_id_for, buddy_ids)}
    for answer, buddy_id in zip(answers, buddy_ids, strict=True):
        assert not isinstance(answer, BaseException) and answer[0].effects["coins"] == 10
        assert coins(container.store, buddy_id) == 7 + 10


def count_reads_together(store: EventStore) -> list[list[UUID]]:
    """Record the streams of every read of many at once (the PostgreSQL recorder's)."""
    reads: list[list[UUID]] = []
    on_reads_together(store, reads.append)
    return reads


def on_reads_together(store: EventStore, record: Callable[[list[UUID]], object]) -> None:
    """Call ``record`` with the streams of every read of many at once from now on."""
    if isinstance(store.recorder, StreamsReader):
        read = store.recorder.select_events_after

        def counted(versions: Mapping[UUID, int], limit: int) -> Any:
            record(list(versions))
            return read(versions, limit)

        store.recorder.select_events_after = counted  # type: ignore[method-assign]


def test_an_attempt_that_accepts_nothing_old_reads_what_it_needs_in_two_reads(
    container: Container, tenant: Tenant, backend: str
) -> None:
    """With group commit off every event is an attempt that accepts nothing old: its
    customer, the user's account and the month's quota shards come in one read of the store,
    the buddy and its wallet in a second (on PostgreSQL), none of them again one by one;
    and it decides from the store as it is (written elsewhere a moment before)."""
    buddy_id = adopt(container, tenant, "alone")
    write_elsewhere(container, buddy_id)
    alone = Ingestion(
        container.store,
        container.clock,
        container.configs,
        group_commit=False,
        quotas=container.event_quotas,
    )
    reads_together = count_reads_together(container.store)
    read_alone = count_loads(container.store, alone_only=True)

    answer, duplicate = alone.ingest(tenant, event("alone"))

    assert not duplicate and answer.effects["coins"] == 10
    if backend == "postgres":
        account_id = UserAccount.id_for(tenant, "alone")
        streams = {tenant.customer_id, account_id, buddy_id, ledger_id_for(buddy_id)}
        assert not streams & set(read_alone)
        shards = container.event_quotas.shard_ids(tenant.customer_id, container.clock.now())
        assert len(reads_together) == 2
        assert set(reads_together[0]) == {tenant.customer_id, account_id, *shards}
        assert set(reads_together[1]) == {buddy_id, ledger_id_for(buddy_id)}
    assert coins(container.store, buddy_id) == 7 + 10
    found = container.store.find(Buddy, buddy_id)
    assert found is not None and found.name == "Renamed elsewhere"
