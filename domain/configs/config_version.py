"""Config versions: the tenant's rulebook, a mutable draft until published, then frozen.

``ConfigVersion`` is one version (``draft → published → archived``). ``ConfigCatalog`` is the
tenant's index of versions and the consistency boundary for the rules that span versions:
one published version, one draft at a time, gap-free version numbers.

The ``document`` (the whole rulebook) is opaque here: ``domain/configs/rulebook.py`` validates it.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError, InvalidStateTransition
from domain.shared.ids import natural_id, public_id
from domain.shared.tenancy import Mode, Tenant

ConfigStatus = Literal["draft", "published", "archived"]
CONFIG_STATUSES: tuple[ConfigStatus, ...] = ("draft", "published", "archived")


class ConfigVersion(Aggregate):
    """One version of a tenant's rulebook.

    ``version_number`` is the API's ``version`` (``Aggregate.version`` is the stream
    position, hence the longer name). It is ``None`` while the version is a draft: the
    number is handed out by the tenant's ``ConfigCatalog`` at publish time, so numbers have
    no gaps and follow the order of publication, whatever the order drafts were started in.
    """

    class DraftStarted(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        version_number: int | None
        based_on: UUID | None
        document: dict[str, Any]

    @event(DraftStarted)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        version_number: int | None,
        based_on: UUID | None,
        document: dict[str, Any],
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.status: ConfigStatus = "draft"
        self.version_number = version_number
        self.based_on = based_on
        self.document: dict[str, Any] = deepcopy(document)
        self.published_at: datetime | None = None
        self.archived_at: datetime | None = None

    @property
    def public_id(self) -> str:
        return public_id("config_version", self.id)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    # Commands ------------------------------------------------------------------------

    def revise(self, *, document: dict[str, Any], timestamp: datetime) -> None:
        """Replace the draft's rulebook. Published and archived versions never change."""
        if self.status != "draft":
            raise DomainError(
                "invalid_state_transition",
                f"config version {self.version_number} is {self.status} and immutable;"
                " edit the draft instead",
                {"current_status": self.status, "requested_status": "draft"},
            )
        self._revised(document=document, timestamp=timestamp)

    def publish(self, *, version_number: int, timestamp: datetime) -> None:
        """Freeze the draft as ``version_number`` (obtained from ``ConfigCatalog.published``)."""
        if self.status != "draft":
            raise InvalidStateTransition("config version", self.status, "published")
        if version_number < 1:
            raise ValueError(f"version numbers start at 1, got {version_number}")
        self._published(version_number=version_number, timestamp=timestamp)

    def archive(self, *, timestamp: datetime) -> None:
        """Retire a published version: buddies pinned to it keep it, new eggs no longer pin it."""
        if self.status != "published":
            raise InvalidStateTransition("config version", self.status, "archived")
        self._archived(timestamp=timestamp)

    # Events --------------------------------------------------------------------------

    class Revised(Aggregate.Event):
        document: dict[str, Any]

    @event(Revised)
    def _revised(self, *, document: dict[str, Any], timestamp: datetime) -> None:
        self.document = deepcopy(document)

    class Published(Aggregate.Event):
        version_number: int

    @event(Published)
    def _published(self, *, version_number: int, timestamp: datetime) -> None:
        self.status = "published"
        self.version_number = version_number
        self.published_at = timestamp

    class Archived(Aggregate.Event):
        pass

    @event(Archived)
    def _archived(self, *, timestamp: datetime) -> None:
        self.status = "archived"
        self.archived_at = timestamp


class ConfigCatalog(Aggregate):
    """The tenant's index of config versions: which one is published, which one is the draft.

    Why an aggregate of its own: "one published version per tenant", "one draft at a time"
    and "version numbers increase by one" are invariants *across* ``ConfigVersion`` streams,
    and an aggregate can only guard what is inside its own stream. Every draft creation,
    discard and publish therefore also writes an event to this one small stream (id derived
    from the tenant, so there is exactly one), saved in the same transaction as the version
    aggregates it concerns. Two concurrent publishes both load the catalog at version *n* and
    both try to write version *n + 1*; the event store's optimistic concurrency lets one
    win and the other fails, reloads, re-checks and retries (or reports the conflict). So
    publishes are serialised per tenant without locks, and two versions can never both
    believe they are "the published one" or get the same number.
    """

    @staticmethod
    def id_for(tenant: Tenant) -> UUID:
        return natural_id("config_catalog", tenant.key)

    class Opened(Aggregate.Created):
        customer_id: UUID
        mode: Mode

    @event(Opened)
    def __init__(self, *, id: UUID, customer_id: UUID, mode: Mode, timestamp: datetime) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.published_id: UUID | None = None
        self.draft_id: UUID | None = None
        self.next_version = 1
        self.version_ids: list[UUID] = []
        self.archived_ids: list[UUID] = []

    @property
    def has_published(self) -> bool:
        return self.published_id is not None

    # Commands ------------------------------------------------------------------------

    def draft_started(self, *, draft_id: UUID, timestamp: datetime) -> None:
        """Record a new draft. Repeating it for the same id changes nothing."""
        if self.draft_id == draft_id:
            return
        if self.draft_id is not None:
            raise DomainError(
                "conflict",
                "a draft config version already exists; edit, publish or discard it first",
                {"draft_id": public_id("config_version", self.draft_id)},
            )
        if draft_id in self.version_ids:
            raise DomainError(
                "conflict",
                "this config version is no longer a draft",
                {"config_version_id": public_id("config_version", draft_id)},
            )
        self._draft_started(draft_id=draft_id, timestamp=timestamp)

    def published(self, *, version_id: UUID, timestamp: datetime) -> int:
        """Record that the current draft is published; return its version number.

        The previously published version (read ``published_id`` before calling) moves to
        ``archived_ids``: the caller archives that ``ConfigVersion`` in the same save.
        """
        if self.draft_id is None or version_id != self.draft_id:
            draft = None if self.draft_id is None else public_id("config_version", self.draft_id)
            raise DomainError(
                "conflict",
                "only the current draft can be published",
                {"config_version_id": public_id("config_version", version_id), "draft_id": draft},
            )
        number = self.next_version
        self._published(
            version_id=version_id,
            version_number=number,
            archived_id=self.published_id,
            timestamp=timestamp,
        )
        return number

    def draft_discarded(self, *, draft_id: UUID, timestamp: datetime) -> None:
        """Forget the current draft (the next edit starts a new one from the published)."""
        if self.draft_id != draft_id:
            raise DomainError(
                "conflict",
                "this config version is not the current draft",
                {"config_version_id": public_id("config_version", draft_id)},
            )
        self._draft_discarded(draft_id=draft_id, timestamp=timestamp)

    # Events --------------------------------------------------------------------------

    class DraftStarted(Aggregate.Event):
        draft_id: UUID

    @event(DraftStarted)
    def _draft_started(self, *, draft_id: UUID, timestamp: datetime) -> None:
        self.draft_id = draft_id
        self.version_ids = [*self.version_ids, draft_id]

    class VersionPublished(Aggregate.Event):
        version_id: UUID
        version_number: int
        archived_id: UUID | None

    @event(VersionPublished)
    def _published(
        self,
        *,
        version_id: UUID,
        version_number: int,
        archived_id: UUID | None,
        timestamp: datetime,
    ) -> None:
        if archived_id is not None:
            self.archived_ids = [*self.archived_ids, archived_id]
        self.published_id = version_id
        self.draft_id = None
        self.next_version = version_number + 1

    class DraftDiscarded(Aggregate.Event):
        draft_id: UUID

    @event(DraftDiscarded)
    def _draft_discarded(self, *, draft_id: UUID, timestamp: datetime) -> None:
        self.draft_id = None
        self.version_ids = [v for v in self.version_ids if v != draft_id]
