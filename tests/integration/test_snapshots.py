"""Buddies and ledgers are snapshotted, and a snapshot loads exactly what a replay builds."""

from __future__ import annotations

from eventsourcing.application import project_aggregate

from application.store import SNAPSHOT_INTERVAL
from application.wallets import ledger_id_for
from domain.buddy import Buddy
from domain.ledger import Ledger
from interfaces.container import Container
from tests.integration.ingestion_flow import adopt, event, make_tenant


def test_long_streams_load_from_a_snapshot_equal_to_a_full_replay(container: Container) -> None:
    tenant = make_tenant(container)
    buddy_id = adopt(container, tenant, "veteran")
    types = ["lesson_completed", "quiz_passed", "custom_thing"]
    items = [event("veteran", type=types[n % 3]) for n in range(SNAPSHOT_INTERVAL + 20)]
    container.ingestion.ingest_many(tenant, items)
    store = container.store
    assert store.snapshots is not None
    for cls, aggregate_id in ((Buddy, buddy_id), (Ledger, ledger_id_for(buddy_id))):
        snapshots = list(store.snapshots.get(aggregate_id, desc=True, limit=1))
        loaded = store.find(cls, aggregate_id)
        replayed = project_aggregate(None, store.events.get(aggregate_id))
        assert loaded is not None and replayed is not None
        if cls is Buddy:
            assert snapshots and snapshots[0].originator_version >= SNAPSHOT_INTERVAL
        assert loaded.version == replayed.version
        assert vars(loaded) == vars(replayed)
