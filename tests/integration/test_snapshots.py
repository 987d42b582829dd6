"""Buddies and ledgers are snapshotted, and a snapshot loads exactly what a replay builds."""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.application import project_aggregate

from application.economy.wallets import ledger_id_for
from application.shared.store import SNAPSHOT_INTERVAL, EventStore
from domain.companions.buddy import Buddy
from domain.economy.ledger import Ledger
from infrastructure.persistence.event_store import event_store_env
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


def test_a_kept_aggregate_is_handed_out_as_a_copy_and_caught_up_with_other_writers(
    container: Container,
) -> None:
    """The repository keeps loaded buddies: changing a loaded copy without saving it leaves
    the next load untouched, and a write by another process is in the next load."""
    tenant = make_tenant(container)
    buddy_id = adopt(container, tenant, "kept")
    store = container.store
    first = store.find(Buddy, buddy_id)
    assert first is not None
    first.rename(name="Never saved", timestamp=datetime.now(UTC))
    again = store.find(Buddy, buddy_id)
    assert again is not None and again is not first and again.name == "Pip"
    other = EventStore(env=event_store_env(container.settings))
    try:
        elsewhere = other.find(Buddy, buddy_id)
        assert elsewhere is not None
        elsewhere.rename(name="Renamed elsewhere", timestamp=datetime.now(UTC))
        other.save(elsewhere)
    finally:
        other.close()
    latest = store.find(Buddy, buddy_id)
    assert latest is not None and latest.name == "Renamed elsewhere"
    assert latest.version == again.version + 1
