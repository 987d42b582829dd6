"""Use cases on a tenant's config versions: presets, drafts, publishing, impact, migration.

Every write that concerns "which version is the draft / the published one" goes through the
tenant's ``ConfigCatalog`` and is saved together with the versions it touches, so concurrent
publishes and first edits are serialised by the event store (``retry_on_conflict``); within
one process a tenant's config writes take turns on its catalog (``line``), so parallel edits of
one draft (twelve items created at once) all land instead of some losing their retries.
Every document written is validated by ``Rulebook.from_dict`` and stored in canonical form.

The ingestion pipeline reads rulebooks through ``published_version``, ``version`` and
``rulebook``; published and archived rulebooks never change, so they are cached in memory.
"""

from __future__ import annotations

import builtins
import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from copy import deepcopy
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from application.configs.what_if import WhatIf
from application.economy.wallets import ledger_id_for, settle
from application.shared.ports import BuddyDirectory, Clock
from application.shared.store import EventStore, retry_on_conflict
from domain.companions.buddy import Buddy
from domain.configs.config_version import CONFIG_STATUSES, ConfigCatalog, ConfigVersion
from domain.configs.presets import PRESET_SUMMARIES, preset_document, preset_summary
from domain.configs.rulebook import Rulebook
from domain.configs.rulebook_diff import describe_changes
from domain.economy.ledger import Ledger
from domain.shared.correlation import correlated
from domain.shared.errors import DomainError, InvalidStateTransition, NotFound
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant, ensure_owned

Document = dict[str, Any]
KIND = "config version"
RULEBOOK_CACHE_SIZE = 1024
MIGRATE_PATH = "POST /api/v1/config-versions/{id}/migrate-buddies"


def validated(document: Mapping[str, Any]) -> Document:
    """The canonical form of a valid rulebook document; ``validation_failed`` otherwise."""
    return Rulebook.from_dict(document).to_dict()


class _RulebookCache:
    """A small thread-safe LRU of parsed rulebooks of immutable (non-draft) versions."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[UUID, Rulebook] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: UUID) -> Rulebook | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: UUID, rulebook: Rulebook) -> None:
        with self._lock:
            self._items[key] = rulebook
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class Configs:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        buddies: BuddyDirectory,
        new_id: Callable[[], UUID] = uuid4,
        *,
        what_if: WhatIf | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._buddies = buddies
        self._new_id = new_id
        self._what_if = what_if
        self._rulebooks = _RulebookCache(RULEBOOK_CACHE_SIZE)

    # -- presets --------------------------------------------------------------------

    def presets(self) -> list[dict[str, str]]:
        return [dict(summary) for summary in PRESET_SUMMARIES]

    def preset(self, key: str) -> dict[str, Any]:
        """A preset's summary and its whole rulebook; unknown keys are ``resource_not_found``."""
        return {**preset_summary(key), "document": preset_document(key)}

    def apply_preset(self, tenant: Tenant, preset_key: str) -> ConfigVersion:
        """Start a draft from the preset, replacing any draft; publish it as version 1 when
        nothing is published yet (the onboarding path)."""
        document = validated(preset_document(preset_key))

        def attempt() -> ConfigVersion:
            now = self._clock.now()
            catalog = self._open_catalog(tenant)
            if catalog.draft_id is not None:
                catalog.draft_discarded(draft_id=catalog.draft_id, timestamp=now)
            draft = self._start_draft(tenant, catalog, document, catalog.published_id, now)
            if not catalog.has_published:
                number = catalog.published(version_id=draft.id, timestamp=now)
                draft.publish(version_number=number, timestamp=now)
            self._store.save(catalog, draft)
            return draft

        return retry_on_conflict(attempt, line=ConfigCatalog.id_for(tenant))

    # -- reads ----------------------------------------------------------------------

    def get(self, tenant: Tenant, config_version_id: str) -> ConfigVersion:
        return self._listed(tenant, self._catalog(tenant), config_version_id)

    def list(self, tenant: Tenant, status: str | None = None) -> list[ConfigVersion]:
        """The tenant's versions, newest first (the draft, then by version number)."""
        if status is not None and status not in CONFIG_STATUSES:
            raise DomainError(
                "bad_request",
                f"status must be one of {', '.join(CONFIG_STATUSES)}",
                {"status": status},
            )
        catalog = self._catalog(tenant)
        if catalog is None:
            return []
        versions = [self._load(version_id) for version_id in reversed(catalog.version_ids)]
        return [v for v in versions if status is None or v.status == status]

    def current(self, tenant: Tenant) -> ConfigVersion | None:
        """What the rule editors show: the draft when there is one, else the published."""
        catalog = self._catalog(tenant)
        if catalog is None:
            return None
        current_id = catalog.draft_id or catalog.published_id
        return self._load(current_id) if current_id else None

    # -- drafts ---------------------------------------------------------------------

    def create_draft(self, tenant: Tenant, document: Mapping[str, Any] | None) -> ConfigVersion:
        """A new draft from ``document``, else from the published version (else the ``custom``
        preset). Only one draft at a time: a second is ``conflict``."""
        given = validated(document) if document is not None else None

        def attempt() -> ConfigVersion:
            catalog = self._open_catalog(tenant)
            based_on = None if given is not None else catalog.published_id
            start = given if given is not None else self._base_document(catalog)
            draft = self._start_draft(tenant, catalog, start, based_on, self._clock.now())
            self._store.save(catalog, draft)
            return draft

        return retry_on_conflict(attempt, line=ConfigCatalog.id_for(tenant))

    def clone(self, tenant: Tenant, config_version_id: str) -> ConfigVersion:
        """A new draft with the document of any of the tenant's versions (``based_on`` it)."""

        def attempt() -> ConfigVersion:
            catalog = self._catalog(tenant)
            source = self._listed(tenant, catalog, config_version_id)
            assert catalog is not None  # a listed version has a catalog
            document = validated(source.document)
            draft = self._start_draft(tenant, catalog, document, source.id, self._clock.now())
            self._store.save(catalog, draft)
            return draft

        return retry_on_conflict(attempt, line=ConfigCatalog.id_for(tenant))

    def revise(
        self, tenant: Tenant, config_version_id: str, document: Mapping[str, Any]
    ) -> ConfigVersion:
        """Replace a draft's document; published and archived versions are immutable.

        Checked in this order: the id (404), the status (409), the document (422).
        """

        def attempt() -> ConfigVersion:
            version = self.get(tenant, config_version_id)
            if not version.is_draft:
                raise _immutable(version)
            checked = validated(document)
            if version.document != checked:
                version.revise(document=checked, timestamp=self._clock.now())
                self._store.save(version)
            return version

        return retry_on_conflict(attempt, line=ConfigCatalog.id_for(tenant))

    def edit_draft(self, tenant: Tenant, change: Callable[[Document], Document]) -> ConfigVersion:
        """Apply ``change`` to a copy of the draft's document and save it.

        Without a draft, one is started from the published version (or the ``custom``
        preset) — in the same save, so concurrent first edits still make a single draft.
        ``change`` may raise a ``DomainError``; then nothing is saved.
        """

        def attempt() -> ConfigVersion:
            draft, touched = self.draft_edit(tenant, change)
            if touched:
                self._store.save(*touched)
            return draft

        return retry_on_conflict(attempt, line=ConfigCatalog.id_for(tenant))

    def draft_edit(
        self, tenant: Tenant, change: Callable[[Document], Document]
    ) -> tuple[ConfigVersion, builtins.list[ConfigCatalog | ConfigVersion]]:
        """``edit_draft`` without the save: the draft and what the caller must save, so a
        worker can save the edit together with its own aggregates (in its own retry)."""
        catalog = self._open_catalog(tenant)
        draft = self._load(catalog.draft_id) if catalog.draft_id else None
        base = draft.document if draft is not None else self._base_document(catalog)
        # Canonical first, so a document stored before a section existed has it.
        document = validated(change(validated(base)))
        if draft is None:
            draft = self._start_draft(
                tenant, catalog, document, catalog.published_id, self._clock.now()
            )
            return draft, [catalog, draft]
        if document != draft.document:
            draft.revise(document=document, timestamp=self._clock.now())
            return draft, [draft]
        return draft, []

    def publish(self, tenant: Tenant, config_version_id: str) -> ConfigVersion:
        """Publish the draft as the next version number; the previous one is archived."""

        def attempt() -> ConfigVersion:
            now = self._clock.now()
            catalog = self._catalog(tenant)
            version = self._listed(tenant, catalog, config_version_id)
            assert catalog is not None  # a listed version has a catalog
            if not version.is_draft:
                raise InvalidStateTransition(KIND, version.status, "published")
            validated(version.document)
            previous_id = catalog.published_id
            number = catalog.published(version_id=version.id, timestamp=now)
            version.publish(version_number=number, timestamp=now)
            touched: list[ConfigCatalog | ConfigVersion] = [catalog, version]
            if previous_id is not None:
                previous = self._load(previous_id)
                previous.archive(timestamp=now)
                touched.append(previous)
            self._store.save(*touched)
            return version

        return retry_on_conflict(attempt, line=ConfigCatalog.id_for(tenant))

    # -- for the ingestion pipeline -------------------------------------------------

    def published_version(self, tenant: Tenant) -> ConfigVersion | None:
        catalog = self._catalog(tenant)
        if catalog is None or catalog.published_id is None:
            return None
        return self._load(catalog.published_id)

    def published_rulebook(
        self, tenant: Tenant, *, max_age: timedelta | None = None
    ) -> Rulebook | None:
        """The published rulebook, read through the cache: only the catalog is loaded, as
        stored now or (``max_age``) as this process checked it that recently."""
        catalog = self._catalog(tenant, max_age=max_age, read_only=True)
        if catalog is None or catalog.published_id is None:
            return None
        return self.rulebook(catalog.published_id)

    def version(self, config_version_id: UUID) -> ConfigVersion:
        """Any version by id, without a tenant check (internal callers only)."""
        return self._load(config_version_id)

    def rulebook(self, config_version_id: UUID) -> Rulebook:
        """The parsed rulebook of a version; cached once the version is no longer a draft."""
        cached = self._rulebooks.get(config_version_id)
        if cached is not None:
            return cached
        version = self._load(config_version_id)
        rulebook = Rulebook.from_dict(version.document)
        if not version.is_draft:
            self._rulebooks.put(config_version_id, rulebook)
        return rulebook

    def wardrobe(self, tenant: Tenant, config_version_id: UUID) -> Rulebook:
        """The buddy's rulebook, its items joined by the tenant's published catalogue.

        A buddy buys from the *published* catalogue (decision 0034) while it is pinned to
        its own version, so an item it bought may be newer than that version. Equipping and
        drawing read this: every item either document knows, the published one winning.
        """
        pinned = self.rulebook(config_version_id)
        published = self.published_version(tenant)
        if published is None or published.id == config_version_id:
            return pinned
        items = {i.item_id: i for i in pinned.items}
        items.update({i.item_id: i for i in self.rulebook(published.id).items})
        return dataclasses.replace(pinned, items=tuple(items.values()))

    # -- impact and migration -------------------------------------------------------

    def impact(
        self, tenant: Tenant, config_version_id: str, days: int | None = None
    ) -> dict[str, Any]:
        """What publishing (or having published) this version means for buddies.

        ``changes`` compares it with the published version, or, for the published version
        itself, with the version it was based on. A draft also gets ``what_if``: the last
        ``days`` of customer events replayed through its rules (``application/configs/what_if.py``).
        """
        catalog = self._catalog(tenant)
        version = self._listed(tenant, catalog, config_version_id)
        assert catalog is not None  # a listed version has a catalog
        if days is not None and not version.is_draft:
            raise DomainError(
                "bad_request",
                f"days replays a draft's rules; this config version is {version.status}",
                {"status": version.status},
            )
        baseline_id = catalog.published_id
        if baseline_id == version.id:
            baseline_id = version.based_on
        baseline = self._store.find(ConfigVersion, baseline_id) if baseline_id else None
        counts = self._buddies.counts_by_config_version(tenant)
        total = sum(counts.values())
        on_version = counts.get(version.id, 0)
        changes = (
            describe_changes(self.rulebook(baseline.id), self.rulebook(version.id))
            if baseline is not None
            else []
        )
        answer = {
            "config_version_id": version.public_id,
            "version": version.version_number,
            "status": version.status,
            "compared_with": _reference(baseline),
            "affects_new_buddies": version.status != "archived",
            "affects_existing_buddies": False,
            "buddies": {
                "total": total,
                "on_this_version": on_version,
                "by_config_version": [
                    {**self._reference_by_id(v_id), "buddies": n}
                    for v_id, n in sorted(counts.items(), key=lambda item: -item[1])
                ],
            },
            "summary": _summary(version, total - on_version, on_version),
            "changes": changes,
        }
        if version.is_draft and self._what_if is not None:
            answer["what_if"] = self._what_if.replay(tenant, self.rulebook(version.id), days)
        return answer

    def migrate_buddies(
        self,
        tenant: Tenant,
        config_version_id: str,
        buddy_ids: builtins.list[UUID] | None,
        actor: str = "api",
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """Pin buddies (``None``: all the tenant's active buddies) to a published version.

        Explicit ids are all checked first (another tenant's id is not found), so a bad list
        changes nothing. Each buddy keeps everything it earned; its evolution readiness is
        re-checked under the new rulebook. Archived buddies are ``skipped``.
        """
        version = self.get(tenant, config_version_id)
        if version.status != "published":
            raise DomainError(
                "invalid_state_transition",
                f"buddies can only be migrated to the published version; this one is "
                f"{version.status}",
                {"current_status": version.status, "requested_status": "published"},
            )
        if buddy_ids is None:
            targets = self._buddies.buddy_ids(tenant)
        else:
            targets = list(dict.fromkeys(buddy_ids))
            for buddy_id in targets:
                self._buddy(tenant, buddy_id)
        outcome = {"migrated": 0, "already_on_version": 0, "skipped": 0}
        for buddy_id in targets:
            outcome[self._migrate_one(tenant, buddy_id, version.id, actor, correlation_id)] += 1
        return {
            "config_version_id": version.public_id,
            "version": version.version_number,
            "requested": len(targets),
            **outcome,
        }

    # -- helpers --------------------------------------------------------------------

    def _migrate_one(
        self,
        tenant: Tenant,
        buddy_id: UUID,
        target: UUID,
        actor: str,
        correlation_id: str | None,
    ) -> str:
        def attempt() -> str:
            buddy = self._store.find(Buddy, buddy_id)
            if (
                buddy is None
                or buddy.customer_id != tenant.customer_id
                or buddy.mode != tenant.mode
            ):
                return "skipped"
            if buddy.config_version_id == target:
                return "already_on_version"
            if not buddy.is_active:
                return "skipped"
            now = self._clock.now()
            buddy.migrate(to_config_version_id=target, actor=actor, timestamp=now)
            ledger = self._store.find(Ledger, ledger_id_for(buddy.id))
            if ledger is not None:
                rulebook = self.rulebook(target)
                cause = {"actor": actor, "config_version_id": target, **correlated(correlation_id)}
                ledger.change_token_keys(
                    token_keys=rulebook.token_config.token_keys, causation=cause, timestamp=now
                )
                settle(buddy, ledger, rulebook, cause, now)
            self._store.save(buddy, ledger)
            return "migrated"

        return retry_on_conflict(attempt)

    def _reference_by_id(self, config_version_id: UUID) -> dict[str, Any]:
        found = _reference(self._store.find(ConfigVersion, config_version_id))
        return found or {
            "config_version_id": public_id("config_version", config_version_id),
            "version": None,
            "status": None,
        }

    def _buddy(self, tenant: Tenant, buddy_id: UUID) -> Buddy:
        return self._store.load_owned(
            Buddy, buddy_id, tenant, "buddy", public_id("buddy", buddy_id)
        )

    def _catalog(
        self, tenant: Tenant, *, max_age: timedelta | None = None, read_only: bool = False
    ) -> ConfigCatalog | None:
        return self._store.find(
            ConfigCatalog, ConfigCatalog.id_for(tenant), max_age=max_age, read_only=read_only
        )

    def _open_catalog(self, tenant: Tenant) -> ConfigCatalog:
        """The tenant's catalog, or a new one (saved with the first draft)."""
        return self._catalog(tenant) or ConfigCatalog(
            id=ConfigCatalog.id_for(tenant),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            timestamp=self._clock.now(),
        )

    def _load(self, config_version_id: UUID) -> ConfigVersion:
        return self._store.load(
            ConfigVersion,
            config_version_id,
            KIND,
            public_id("config_version", config_version_id),
        )

    def _listed(
        self, tenant: Tenant, catalog: ConfigCatalog | None, config_version_id: str
    ) -> ConfigVersion:
        """The tenant's version by public id; a discarded draft or another tenant's version
        is not found."""
        uuid = parse_public_id("config_version", config_version_id)
        if catalog is None or uuid not in catalog.version_ids:
            raise NotFound(KIND, config_version_id)
        version = self._load(uuid)
        ensure_owned(version, tenant, KIND, config_version_id)
        return version

    def _base_document(self, catalog: ConfigCatalog) -> Document:
        if catalog.published_id is None:
            return validated(preset_document("custom"))
        return deepcopy(self._load(catalog.published_id).document)

    def _start_draft(
        self,
        tenant: Tenant,
        catalog: ConfigCatalog,
        document: Document,
        based_on: UUID | None,
        now: datetime,
    ) -> ConfigVersion:
        draft = ConfigVersion(
            id=self._new_id(),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            version_number=None,
            based_on=based_on,
            document=document,
            timestamp=now,
        )
        catalog.draft_started(draft_id=draft.id, timestamp=now)
        return draft


def _immutable(version: ConfigVersion) -> DomainError:
    return DomainError(
        "invalid_state_transition",
        f"config version {version.version_number} is {version.status} and immutable;"
        " edit the draft instead",
        {"current_status": version.status, "requested_status": "draft"},
    )


def _reference(version: ConfigVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {
        "config_version_id": version.public_id,
        "version": version.version_number,
        "status": version.status,
    }


def _summary(version: ConfigVersion, elsewhere: int, pinned: int) -> list[str]:
    """The seed's impact language, with this version's numbers."""
    migrate = MIGRATE_PATH.replace("{id}", version.public_id)
    if version.status == "draft":
        return [
            "affects new buddies: once published, every new egg pins this version",
            f"does not affect existing buddies: {elsewhere} existing buddies stay on their "
            "current version",
            f"migration can be run separately on demand, after publishing ({migrate})",
        ]
    if version.status == "published":
        return [
            "affects new buddies: every new egg pins this version",
            f"does not affect existing buddies: {elsewhere} buddies on other versions stay "
            f"there ({pinned} already on this one)",
            f"migration can be run separately on demand ({migrate})",
        ]
    return [
        "does not affect new buddies: this version is archived; new eggs pin the published one",
        f"does not affect existing buddies: {pinned} buddies pinned to it keep it",
        "migration can be run separately on demand, to the published version",
    ]
