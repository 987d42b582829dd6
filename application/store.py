"""The one event-sourced application that holds every aggregate stream.

A single ``eventsourcing`` application means a use case can save several
aggregates in one transaction, and one ordered notification log feeds every
projection and follower.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.errors import DomainError, NotFound
from domain.tenancy import Tenant, ensure_owned

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

CONFLICT_RETRIES = 8


class EventStore(Application[UUID]):
    name = "hatched"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self._saved_listeners: list[Callable[[], None]] = []

    def on_saved(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every save (followers use it to wake up early)."""
        self._saved_listeners.append(listener)

    def _notify(self, recordings: list[Any]) -> None:
        for listener in self._saved_listeners:
            listener()

    def notifications_after(self, position: int, limit: int) -> list[tuple[int, Any]]:
        """The next ``limit`` recorded domain events after ``position``, with their positions."""
        notifications = self.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False
        )
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]

    def head(self) -> int:
        """The position of the newest recorded event (0 when there is none)."""
        return self.recorder.max_notification_id() or 0

    def load(self, cls: type[A], aggregate_id: UUID, kind: str, public_id: str) -> A:
        """Load an aggregate by id; a missing one, or one of another type, is not found."""
        aggregate = self.find(cls, aggregate_id)
        if aggregate is None:
            raise NotFound(kind, public_id)
        return aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def load_owned(
        self, cls: type[A], aggregate_id: UUID, tenant: Tenant, kind: str, public_id: str
    ) -> A:
        """Load a tenant's aggregate; another tenant's answers exactly like a missing one."""
        aggregate = self.load(cls, aggregate_id, kind, public_id)
        ensure_owned(aggregate, tenant, kind, public_id)  # type: ignore[arg-type]
        return aggregate


def retry_on_conflict(attempt: Callable[[], R], retries: int = CONFLICT_RETRIES) -> R:
    """Run a load-decide-save attempt again when a competing write won the race.

    Each attempt reloads, so invariants are re-checked against the winner's state.
    """
    for _ in range(retries - 1):
        try:
            return attempt()
        except IntegrityError:
            continue
    try:
        return attempt()
    except IntegrityError:
        raise DomainError("conflict", "a competing write won; re-read and retry") from None
