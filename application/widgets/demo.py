"""The ``/demo`` page's tenant: a fake language app, "LinguaLeap", with a buddy per visitor.

The demo tenant is a customer with a fixed id (the same in every process), in test mode, on
the ``language-learning`` preset. Nobody can sign in as it: it has no email claim and no
usable password, and no API key exists for it. A visitor (a random id kept in a cookie) gets a
buddy of their own, hatched at once on the first visit, and on every visit a fresh widget
session token for it — the only credential the browser ever sees.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError

from application.companions.buddies import Buddies
from application.companions.eggs import Eggs
from application.companions.operations import OperationBusy, Operations
from application.configs.configs import Configs
from application.shared.ports import Clock
from application.shared.store import EventStore
from application.widgets.widgets import Widgets
from domain.accounts.customer import Customer
from domain.companions.operation import Operation
from domain.companions.user_account import UserAccount
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import natural_id, public_id
from domain.shared.tenancy import Tenant
from domain.widgets.widget_session import EQUIP, READ, SESSION_MAX_TTL_SECONDS, TRACK, WidgetGrant

DEMO_TENANT = Tenant(natural_id("demo", "customer", "lingualeap"), "test")
DEMO_PRESET = "language-learning"
DEMO_SCOPES = (READ, TRACK, EQUIP)
NO_PASSWORD = "!"
HATCH_WAIT_SECONDS = 15.0  # a worker that took the hatch first usually finishes well within this
"""Not an Argon2 hash, so no password ever verifies against it."""


@dataclass(frozen=True)
class Visit:
    buddy_id: str
    session_id: str
    token: str


class DemoSite:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        configs: Configs,
        eggs: Eggs,
        operations: Operations,
        buddies: Buddies,
        widgets: Widgets,
    ) -> None:
        self._store = store
        self._clock = clock
        self._configs = configs
        self._eggs = eggs
        self._operations = operations
        self._buddies = buddies
        self._widgets = widgets
        self._opening = threading.Lock()

    def visit(self, visitor: str) -> Visit:
        """The visitor's buddy (hatched now if they have none) and a new session token."""
        self._open_tenant()
        user_id = f"visitor_{visitor}"
        buddy_id = self._buddy_of(user_id) or self._hatch(user_id)
        session, token = self._widgets.open_session(
            DEMO_TENANT, buddy_id, user_id, DEMO_SCOPES, SESSION_MAX_TTL_SECONDS, "demo"
        )
        return Visit(buddy_id, public_id("widget_session", session.id), token)

    def evolve(self, grant: WidgetGrant, buddy_id: str) -> Operation:
        """The page's "evolve" button: only for a demo visitor's own buddy."""
        if grant.tenant != DEMO_TENANT:
            raise DomainError("forbidden", "only demo buddies can be evolved from the demo page")
        grant.require(TRACK)
        if buddy_id != public_id("buddy", grant.buddy_id):
            raise NotFound("buddy", buddy_id)
        return self._buddies.request_evolve(DEMO_TENANT, buddy_id)

    def _open_tenant(self) -> None:
        with self._opening:
            if self._store.find(Customer, DEMO_TENANT.customer_id) is None:
                customer = Customer(
                    id=DEMO_TENANT.customer_id,
                    email="demo@lingualeap.invalid",
                    password_hash=NO_PASSWORD,
                    company_name="LinguaLeap (demo)",
                    timestamp=self._clock.now(),
                )
                with suppress(IntegrityError):  # another process opened it first
                    self._store.save(customer)
            if self._configs.published_version(DEMO_TENANT) is None:
                self._configs.apply_preset(DEMO_TENANT, DEMO_PRESET)

    def _buddy_of(self, user_id: str) -> str | None:
        account = self._store.find(UserAccount, UserAccount.id_for(DEMO_TENANT, user_id))
        for buddy_id in account.buddy_ids if account else []:
            buddy = self._buddies.load(DEMO_TENANT, public_id("buddy", buddy_id))
            if buddy.is_active:
                return public_id("buddy", buddy.id)
        return None

    def _hatch(self, user_id: str) -> str:
        """Egg → ready → hatch, the hatch run here and now rather than by a worker (it is
        idempotent, so the worker that also receives it finds it done)."""
        egg, _ = self._eggs.lay(DEMO_TENANT, user_id, {}, None, ensure=True)
        if egg.status == "waiting":
            egg = self._eggs.set_status(DEMO_TENANT, egg.public_id, "ready")
        operation = self._eggs.hatch(DEMO_TENANT, egg.public_id)
        with suppress(OperationBusy):  # a worker took it first; wait for it below
            self._operations.run(operation.id)
        done = self._operations.get(DEMO_TENANT, operation.public_id)
        deadline = time.monotonic() + HATCH_WAIT_SECONDS
        while not done.is_terminal and time.monotonic() < deadline:
            time.sleep(0.05)
            done = self._operations.get(DEMO_TENANT, operation.public_id)
        if done.status != "completed" or done.result is None:
            raise DomainError(
                "service_unavailable", "the demo buddy is still hatching; reload in a moment"
            )
        return str(done.result["buddy_id"])
