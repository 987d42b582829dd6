"""``auto_evolve``: when a buddy becomes ready and its rulebook says so, evolve it unasked.

A follower of the event log sees ``Buddy.EvolutionBecameReady`` and requests the evolve
operation the client would otherwise request. The operation id derives from the buddy and
the target stage, so a follower that replays the same event cannot request it twice (the
second creation fails in the database and is ignored). ``evolution.ready`` is still a fact
in the log either way.
"""

from __future__ import annotations

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError

from application.configs.configs import Configs
from application.shared.store import EventStore
from domain.companions.buddy import Buddy
from domain.companions.operation import Operation
from domain.shared.correlation import CORRELATION_ID
from domain.shared.ids import natural_id


class AutoEvolver:
    name = "auto_evolver"

    def __init__(self, store: EventStore, configs: Configs) -> None:
        self._store = store
        self._configs = configs

    def react(self, event: DomainEvent) -> None:
        if not isinstance(event, Buddy.EvolutionBecameReady):
            return
        if event.next_stage is None:
            return
        buddy = self._store.find(Buddy, event.originator_id)
        if buddy is None or not buddy.is_active or buddy.evolution_stage != event.stage:
            return
        if not self._configs.rulebook(buddy.config_version_id).evolution.auto_evolve:
            return
        operation = Operation(
            id=natural_id("auto_evolve", buddy.id.hex, str(event.next_stage)),
            customer_id=buddy.customer_id,
            mode=buddy.mode,
            type="evolve",
            buddy_id=buddy.id,
            egg_id=None,
            params={"to_stage": event.next_stage, "requested_by": "auto_evolve"},
            # The request that made the buddy ready is the one this evolve answers.
            correlation_id=event.causation.get(CORRELATION_ID),
            timestamp=event.timestamp,
        )
        try:
            self._store.save(operation)
        except IntegrityError:
            return
