"""Reading the new events of many streams at once (``EventStore.refresh_many``): the same
events as reading each stream alone, on both backends, and the store as it is."""

from __future__ import annotations

from uuid import UUID, uuid4

from application.economy.wallets import ledger_id_for
from application.shared.store import StreamsReader
from interfaces.container import Container
from tests.integration.ingestion_flow import adopt, make_tenant
from tests.integration.test_group_commit import (
    count_loads,
    count_reads_together,
    write_elsewhere,
)


def test_events_after_many_versions_are_each_streams_own_in_order(container: Container) -> None:
    tenant = make_tenant(container)
    buddy_ids = [adopt(container, tenant, f"reader{n}") for n in range(3)]
    for _ in range(3):
        write_elsewhere(container, buddy_ids[0])
    write_elsewhere(container, buddy_ids[1])
    store = container.store
    versions: dict[UUID, int] = {buddy_ids[0]: 1, buddy_ids[1]: 0, buddy_ids[2]: 1, uuid4(): 0}

    together = store._streams_after(versions, 2)

    for stream, version in versions.items():
        alone = list(store.events.get(stream, gt=version, limit=2))
        assert [(e.originator_version, type(e)) for e in together.get(stream, [])] == [
            (e.originator_version, type(e)) for e in alone
        ]
    assert [e.originator_version for e in together[buddy_ids[0]]] == [2, 3]
    assert not together.get(buddy_ids[2])  # nothing after its version


def test_the_postgresql_store_reads_them_in_one_statement(
    container: Container, backend: str
) -> None:
    recorder = container.store.recorder
    assert isinstance(recorder, StreamsReader) == (backend == "postgres")
    if backend != "postgres":
        return
    tenant = make_tenant(container)
    buddy_ids = [adopt(container, tenant, f"one{n}") for n in range(4)]
    for buddy_id in buddy_ids:
        write_elsewhere(container, buddy_id)
    streams = {b: 0 for b in buddy_ids} | {ledger_id_for(b): 0 for b in buddy_ids}
    read_alone = count_loads(container.store, alone_only=True)
    reads_together = count_reads_together(container.store)

    newer = container.store._streams_after(streams, 10)

    assert read_alone == [] and reads_together == [list(streams)]
    assert set(newer) == set(streams)
    assert all(len(events) == 2 for events in newer.values())  # the hatch's and elsewhere's
