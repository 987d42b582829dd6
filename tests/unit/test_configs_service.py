"""``Configs`` on an in-memory store: the parts the HTTP tests cannot see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.configs.configs import Configs
from application.shared.store import EventStore
from domain.configs.presets import preset_document
from domain.shared.errors import DomainError
from domain.shared.tenancy import Tenant

TENANT = Tenant(uuid4(), "live")


class StepClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)

    def now(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


class NoBuddies:
    def buddy_ids(self, tenant: Tenant, *, config_version_id: UUID | None = None) -> list[UUID]:
        return []

    def counts_by_config_version(self, tenant: Tenant) -> dict[UUID, int]:
        return {}


@pytest.fixture
def configs() -> Configs:
    store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return Configs(store, StepClock(), NoBuddies())


def bump_lesson(amount: int) -> Any:
    def change(document: dict[str, Any]) -> dict[str, Any]:
        document["coin_rules"][0]["amount"] = amount
        return document

    return change


def test_the_pipeline_reads_the_published_rulebook(configs: Configs) -> None:
    assert configs.published_version(TENANT) is None
    v1 = configs.apply_preset(TENANT, "language-learning")
    assert configs.published_version(TENANT) == v1
    assert configs.version(v1.id).version_number == 1
    assert configs.rulebook(v1.id).coin_rules[0].amount == 10
    assert configs.rulebook(v1.id) is configs.rulebook(v1.id)  # cached: immutable


def test_draft_rulebooks_are_never_cached(configs: Configs) -> None:
    configs.apply_preset(TENANT, "language-learning")
    draft = configs.edit_draft(TENANT, bump_lesson(20))
    assert configs.rulebook(draft.id).coin_rules[0].amount == 20
    configs.edit_draft(TENANT, bump_lesson(30))
    assert configs.rulebook(draft.id).coin_rules[0].amount == 30


def test_a_refused_change_saves_nothing(configs: Configs) -> None:
    configs.apply_preset(TENANT, "language-learning")

    def refuse(document: dict[str, Any]) -> dict[str, Any]:
        raise DomainError("conflict", "no")

    with pytest.raises(DomainError):
        configs.edit_draft(TENANT, refuse)
    with pytest.raises(DomainError) as invalid:
        configs.edit_draft(TENANT, bump_lesson(0))
    assert invalid.value.code == "validation_failed"
    assert invalid.value.details == {
        "fields": [{"field": "coin_rules[0].amount", "reason": "must be between 1 and 1000000"}]
    }
    assert [v.status for v in configs.list(TENANT)] == ["published"]


def test_the_first_edit_without_any_version_starts_from_the_custom_preset(
    configs: Configs,
) -> None:
    draft = configs.edit_draft(TENANT, lambda document: document)
    assert draft.is_draft and draft.based_on is None
    assert draft.document == preset_document("custom")
    assert configs.published_version(TENANT) is None


def test_apply_preset_before_any_publish_replaces_the_draft_and_publishes(
    configs: Configs,
) -> None:
    draft = configs.create_draft(TENANT, None)
    v1 = configs.apply_preset(TENANT, "fitness")
    assert (v1.status, v1.version_number) == ("published", 1)
    assert [v.id for v in configs.list(TENANT)] == [v1.id]
    assert draft.id not in [v.id for v in configs.list(TENANT)]


def test_documents_are_stored_in_canonical_form(configs: Configs) -> None:
    document = preset_document("custom")
    del document["coin_rules"][0]["audience"]
    del document["items"]
    draft = configs.create_draft(TENANT, document)
    assert draft.document == {**preset_document("custom"), "items": []}


def test_impact_of_the_first_version_has_no_changes(configs: Configs) -> None:
    v1 = configs.apply_preset(TENANT, "productivity")
    impact = configs.impact(TENANT, v1.public_id)
    assert impact["compared_with"] is None and impact["changes"] == []
    assert impact["buddies"] == {"total": 0, "on_this_version": 0, "by_config_version": []}
    assert impact["summary"][0].startswith("affects new buddies")
