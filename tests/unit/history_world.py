"""A tenant's world on an in-memory event store, driven through the real use cases.

Shared by the history, what-if and export tests: publish a preset, hatch buddies, send
events, override wallets, evolve, all with a clock that moves one second per reading, so
every fact has its own recorded time and a test can name any instant between two facts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from application.companions.buddies import Buddies
from application.companions.eggs import Eggs
from application.companions.operations import Operations
from application.companions.purchases import Purchases
from application.configs.configs import Configs
from application.configs.what_if import WhatIf, WhatIfLimits
from application.history.history import History
from application.ingestion.ingestion import EventInput, Ingestion
from application.shared.store import EventStore
from domain.accounts.customer import Customer
from domain.companions.operation import Operation
from domain.shared.tenancy import Tenant
from infrastructure.accounts.security import RandomSecrets

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)


class Clock:
    def __init__(self, step: timedelta = timedelta(seconds=1)) -> None:
        self.moment = T0
        self.step = step

    def now(self) -> datetime:
        self.moment += self.step
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class LogOperationIndex:
    """The operations view's answer, read straight from the notification log."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    def operation_ids(self, tenant: Tenant, buddy_id: UUID) -> list[UUID]:
        return [
            event.originator_id
            for _, event in self._store.notifications_after(0, 100_000)
            if isinstance(event, Operation.Requested)
            and event.buddy_id == buddy_id
            and (event.customer_id, event.mode) == (tenant.customer_id, tenant.mode)
        ]


class Directory:
    """The buddies view's answer: every buddy hatched in ``world``, per tenant."""

    def __init__(self) -> None:
        self.buddies: dict[Tenant, list[UUID]] = {}

    def buddy_ids(self, tenant: Tenant, *, config_version_id: UUID | None = None) -> list[UUID]:
        return list(self.buddies.get(tenant, []))

    def counts_by_config_version(self, tenant: Tenant) -> dict[UUID, int]:
        return {}


class World:
    def __init__(
        self,
        store: EventStore | None = None,
        limits: WhatIfLimits | None = None,
        monotonic: Any = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store or EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.clock = clock or Clock()
        self.directory = Directory()
        extra = {"monotonic": monotonic} if monotonic else {}
        self.what_if = WhatIf(self.store, self.clock, self.directory, limits, **extra)
        self.configs = Configs(self.store, self.clock, self.directory, what_if=self.what_if)
        secrets = RandomSecrets()
        self.eggs = Eggs(self.store, self.clock, secrets, self.configs)
        self.operations = Operations(self.store, self.clock, self.configs)
        self.ingestion = Ingestion(self.store, self.clock, self.configs, group_commit=False)
        self.buddies = Buddies(self.store, self.clock, secrets, self.configs)
        self.purchases = Purchases(self.store, self.clock, secrets, self.configs, self.buddies)
        self.index = LogOperationIndex(self.store)
        self.history = History(self.store, self.configs, self.index)

    def open_tenant(self, mode: str = "live", preset: str = "language-learning") -> Tenant:
        customer = Customer(
            id=uuid.uuid4(),
            email=f"{uuid.uuid4().hex}@example.com",
            password_hash="x",
            company_name="Acme",
            timestamp=self.clock.now(),
        )
        self.store.save(customer)
        tenant = Tenant(customer.id, mode)  # type: ignore[arg-type]
        self.configs.apply_preset(tenant, preset)
        return tenant

    def hatch(self, tenant: Tenant, user_id: str | None = None) -> str:
        egg, _ = self.eggs.lay(tenant, user_id or f"user_{uuid.uuid4().hex[:8]}", {}, None, False)
        self.eggs.set_status(tenant, egg.public_id, "ready")
        operation = self.eggs.hatch(tenant, egg.public_id)
        self.operations.run(operation.id)
        result = self.operations.get(tenant, operation.public_id).result
        assert result is not None
        buddy_id = str(result["buddy_id"])
        self.directory.buddies.setdefault(tenant, []).append(UUID(hex=buddy_id[4:]))
        return buddy_id

    def user_of(self, tenant: Tenant, buddy_id: str) -> str:
        return self.buddies.load(tenant, buddy_id).user_id

    def send(
        self, tenant: Tenant, buddy_id: str, event_type: str = "lesson_completed", **props: Any
    ) -> str:
        event_id = f"evt_{uuid.uuid4().hex}"
        item = EventInput(event_id, self.user_of(tenant, buddy_id), event_type, properties=props)
        self.ingestion.ingest(tenant, item)
        return event_id

    def evolve(self, tenant: Tenant, buddy_id: str) -> None:
        operation = self.buddies.request_evolve(tenant, buddy_id)
        self.operations.run(operation.id)
