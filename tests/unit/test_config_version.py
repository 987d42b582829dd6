from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import RecordConflictError

from domain.configs.config_version import CONFIG_STATUSES, ConfigCatalog, ConfigVersion
from domain.shared.errors import DomainError, InvalidStateTransition
from domain.shared.ids import natural_id
from domain.shared.tenancy import Tenant

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
CUSTOMER = uuid4()
RULEBOOK: dict[str, Any] = {"coin_rules": [{"event_type": "lesson_completed", "amount": 10}]}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def draft(document: dict[str, Any] | None = None, based_on: UUID | None = None) -> ConfigVersion:
    return ConfigVersion(
        id=uuid4(),
        customer_id=CUSTOMER,
        mode="live",
        version_number=None,
        based_on=based_on,
        document=RULEBOOK if document is None else document,
        timestamp=T0,
    )


def version_in(status: str) -> ConfigVersion:
    version = draft()
    if status in ("published", "archived"):
        version.publish(version_number=3, timestamp=at(1))
    if status == "archived":
        version.archive(timestamp=at(2))
    assert version.status == status
    return version


def open_catalog(mode: str = "live") -> ConfigCatalog:
    tenant = Tenant(CUSTOMER, "live" if mode == "live" else "test")
    return ConfigCatalog(
        id=ConfigCatalog.id_for(tenant), customer_id=CUSTOMER, mode=mode, timestamp=T0
    )


# ConfigVersion --------------------------------------------------------------------------


def test_a_new_version_is_an_unnumbered_draft() -> None:
    based_on = uuid4()
    version = draft(based_on=based_on)
    assert version.status == "draft" and version.is_draft
    assert version.version_number is None
    assert version.based_on == based_on
    assert version.document == RULEBOOK
    assert version.published_at is None and version.archived_at is None
    assert version.created_on == T0
    assert version.public_id == "cfg_" + version.id.hex


def test_the_draft_keeps_its_own_copy_of_the_document() -> None:
    document: dict[str, Any] = {"badges": [{"key": "first"}]}
    version = draft(document)
    document["badges"].append({"key": "second"})
    assert version.document == {"badges": [{"key": "first"}]}


def test_a_draft_can_be_revised() -> None:
    version = draft()
    version.revise(document={"coin_rules": []}, timestamp=at(1))
    version.revise(document={"coin_rules": [], "badges": []}, timestamp=at(2))
    assert version.document == {"coin_rules": [], "badges": []}
    assert version.modified_on == at(2)


def test_publish_numbers_and_freezes_the_draft() -> None:
    version = draft()
    version.publish(version_number=12, timestamp=at(5))
    assert version.status == "published" and not version.is_draft
    assert version.version_number == 12
    assert version.published_at == at(5)


def test_archive_retires_a_published_version() -> None:
    version = version_in("published")
    version.archive(timestamp=at(8))
    assert version.status == "archived"
    assert version.archived_at == at(8)
    assert version.version_number == 3  # the number stays


@pytest.mark.parametrize("status", ["published", "archived"])
def test_published_and_archived_versions_are_immutable(status: str) -> None:
    version = version_in(status)
    with pytest.raises(DomainError) as raised:
        version.revise(document={"coin_rules": []}, timestamp=at(9))
    assert raised.value.code == "invalid_state_transition"
    assert raised.value.details == {"current_status": status, "requested_status": "draft"}
    assert "immutable" in raised.value.message
    assert version.document == RULEBOOK


@pytest.mark.parametrize(
    "status, command, wanted",
    [
        ("draft", "archive", "archived"),
        ("published", "publish", "published"),
        ("archived", "publish", "published"),
        ("archived", "archive", "archived"),
    ],
)
def test_illegal_transitions_are_refused(status: str, command: str, wanted: str) -> None:
    version = version_in(status)
    version.collect_events()
    before = dict(version.__dict__)
    arguments: dict[str, Any] = {"timestamp": at(9)}
    if command == "publish":
        arguments["version_number"] = 99
    with pytest.raises(InvalidStateTransition) as raised:
        getattr(version, command)(**arguments)
    assert raised.value.details == {"current_status": status, "requested_status": wanted}
    assert version.__dict__ == before
    assert version.collect_events() == []


def test_version_numbers_start_at_one() -> None:
    with pytest.raises(ValueError):
        draft().publish(version_number=0, timestamp=at(1))


def test_version_event_names() -> None:
    version = draft()
    version.revise(document={}, timestamp=at(1))
    version.publish(version_number=1, timestamp=at(2))
    version.archive(timestamp=at(3))
    kinds = [type(e) for e in version.collect_events()]
    assert kinds == [
        ConfigVersion.DraftStarted,
        ConfigVersion.Revised,
        ConfigVersion.Published,
        ConfigVersion.Archived,
    ]


@pytest.mark.parametrize("status", CONFIG_STATUSES)
def test_replaying_a_version_rebuilds_it(status: str) -> None:
    version = version_in(status)
    rebuilt = None
    for stored in version.collect_events():
        rebuilt = stored.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.__dict__ == version.__dict__


# ConfigCatalog --------------------------------------------------------------------------


def test_there_is_one_catalog_per_tenant() -> None:
    live, test = Tenant(CUSTOMER, "live"), Tenant(CUSTOMER, "test")
    assert ConfigCatalog.id_for(live) == natural_id("config_catalog", live.key)
    assert ConfigCatalog.id_for(live) == ConfigCatalog.id_for(Tenant(CUSTOMER, "live"))
    assert ConfigCatalog.id_for(live) != ConfigCatalog.id_for(test)
    assert ConfigCatalog.id_for(live) != ConfigCatalog.id_for(Tenant(uuid4(), "live"))


def test_a_new_catalog_is_empty() -> None:
    catalog = open_catalog()
    assert catalog.published_id is None and not catalog.has_published
    assert catalog.draft_id is None
    assert catalog.next_version == 1
    assert catalog.version_ids == [] and catalog.archived_ids == []


def test_publishing_numbers_versions_in_order_and_archives_the_previous() -> None:
    catalog = open_catalog()
    first, second, third = uuid4(), uuid4(), uuid4()
    catalog.draft_started(draft_id=first, timestamp=at(1))
    assert catalog.draft_id == first
    assert catalog.published(version_id=first, timestamp=at(2)) == 1
    assert (catalog.published_id, catalog.draft_id, catalog.archived_ids) == (first, None, [])
    catalog.draft_started(draft_id=second, timestamp=at(3))
    assert catalog.published(version_id=second, timestamp=at(4)) == 2
    assert (catalog.published_id, catalog.archived_ids) == (second, [first])
    catalog.draft_started(draft_id=third, timestamp=at(5))
    assert catalog.published(version_id=third, timestamp=at(6)) == 3
    assert (catalog.published_id, catalog.archived_ids) == (third, [first, second])
    assert catalog.version_ids == [first, second, third]
    assert catalog.next_version == 4
    events = catalog.collect_events()
    published = [e for e in events if isinstance(e, ConfigCatalog.VersionPublished)]
    assert [e.archived_id for e in published] == [None, first, second]


def test_only_one_draft_at_a_time() -> None:
    catalog = open_catalog()
    current = uuid4()
    catalog.draft_started(draft_id=current, timestamp=at(1))
    catalog.collect_events()
    catalog.draft_started(draft_id=current, timestamp=at(2))  # a retry: no-op
    assert catalog.collect_events() == []
    with pytest.raises(DomainError) as raised:
        catalog.draft_started(draft_id=uuid4(), timestamp=at(3))
    assert raised.value.code == "conflict"
    assert raised.value.details == {"draft_id": "cfg_" + current.hex}
    assert catalog.draft_id == current


def test_a_published_version_cannot_become_a_draft_again() -> None:
    catalog = open_catalog()
    version = uuid4()
    catalog.draft_started(draft_id=version, timestamp=at(1))
    catalog.published(version_id=version, timestamp=at(2))
    with pytest.raises(DomainError) as raised:
        catalog.draft_started(draft_id=version, timestamp=at(3))
    assert raised.value.code == "conflict"
    assert catalog.draft_id is None


def test_only_the_current_draft_can_be_published() -> None:
    catalog = open_catalog()
    stranger = uuid4()
    with pytest.raises(DomainError) as raised:
        catalog.published(version_id=stranger, timestamp=at(1))
    assert raised.value.code == "conflict"
    assert raised.value.details == {"config_version_id": "cfg_" + stranger.hex, "draft_id": None}
    current = uuid4()
    catalog.draft_started(draft_id=current, timestamp=at(2))
    with pytest.raises(DomainError) as raised:
        catalog.published(version_id=stranger, timestamp=at(3))
    assert raised.value.details == {
        "config_version_id": "cfg_" + stranger.hex,
        "draft_id": "cfg_" + current.hex,
    }
    catalog.published(version_id=current, timestamp=at(4))
    with pytest.raises(DomainError):  # publishing twice
        catalog.published(version_id=current, timestamp=at(5))
    assert catalog.next_version == 2


def test_a_discarded_draft_is_forgotten_and_numbers_have_no_gaps() -> None:
    catalog = open_catalog()
    discarded, kept = uuid4(), uuid4()
    catalog.draft_started(draft_id=discarded, timestamp=at(1))
    catalog.draft_discarded(draft_id=discarded, timestamp=at(2))
    assert catalog.draft_id is None and catalog.version_ids == []
    catalog.draft_started(draft_id=kept, timestamp=at(3))
    assert catalog.published(version_id=kept, timestamp=at(4)) == 1


def test_only_the_current_draft_can_be_discarded() -> None:
    catalog = open_catalog()
    with pytest.raises(DomainError) as raised:
        catalog.draft_discarded(draft_id=uuid4(), timestamp=at(1))
    assert raised.value.code == "conflict"
    current = uuid4()
    catalog.draft_started(draft_id=current, timestamp=at(2))
    with pytest.raises(DomainError):
        catalog.draft_discarded(draft_id=uuid4(), timestamp=at(3))
    assert catalog.draft_id == current


def test_catalog_event_names() -> None:
    catalog = open_catalog()
    a, b = uuid4(), uuid4()
    catalog.draft_started(draft_id=a, timestamp=at(1))
    catalog.draft_discarded(draft_id=a, timestamp=at(2))
    catalog.draft_started(draft_id=b, timestamp=at(3))
    catalog.published(version_id=b, timestamp=at(4))
    kinds = [type(e) for e in catalog.collect_events()]
    assert kinds == [
        ConfigCatalog.Opened,
        ConfigCatalog.DraftStarted,
        ConfigCatalog.DraftDiscarded,
        ConfigCatalog.DraftStarted,
        ConfigCatalog.VersionPublished,
    ]


def test_publishing_the_draft_with_its_catalog_is_one_consistent_save() -> None:
    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    catalog = open_catalog()
    v1 = draft()
    catalog.draft_started(draft_id=v1.id, timestamp=at(1))
    v1.publish(version_number=catalog.published(version_id=v1.id, timestamp=at(2)), timestamp=at(2))
    app.save(catalog, v1)
    v2 = draft({"coin_rules": []}, based_on=v1.id)
    catalog.draft_started(draft_id=v2.id, timestamp=at(3))
    v2.revise(document={"coin_rules": [], "badges": []}, timestamp=at(4))
    previous = catalog.published_id
    number = catalog.published(version_id=v2.id, timestamp=at(5))
    v2.publish(version_number=number, timestamp=at(5))
    assert previous == v1.id
    v1.archive(timestamp=at(5))
    app.save(catalog, v1, v2)
    for aggregate in (catalog, v1, v2):
        assert app.repository.get(aggregate.id).__dict__ == aggregate.__dict__
    assert (v1.status, v1.version_number, v2.status, v2.version_number) == (
        "archived",
        1,
        "published",
        2,
    )


def test_a_concurrent_publish_loses_on_the_catalog_stream() -> None:
    """Two publishers load the same catalog; the second save is refused, not merged."""
    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    catalog = open_catalog()
    draft_version = draft()
    catalog.draft_started(draft_id=draft_version.id, timestamp=at(1))
    app.save(catalog, draft_version)
    first: ConfigCatalog = app.repository.get(catalog.id)
    second: ConfigCatalog = app.repository.get(catalog.id)
    first.published(version_id=draft_version.id, timestamp=at(2))
    second.published(version_id=draft_version.id, timestamp=at(2))
    app.save(first)
    with pytest.raises(RecordConflictError):
        app.save(second)
    reloaded: ConfigCatalog = app.repository.get(catalog.id)
    assert reloaded.next_version == 2
    with pytest.raises(DomainError):  # re-checking after the reload refuses the repeat
        reloaded.published(version_id=draft_version.id, timestamp=at(3))
