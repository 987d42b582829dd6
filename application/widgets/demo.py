"""The ``/demo`` page's tenant: a fake language app, "LinguaLeap", with a buddy per visitor.

The demo tenant is a customer with a fixed id (the same in every process), in test mode, on
the ``language-learning`` preset, on ``growth`` (the page shows the shop, a Growth feature). Nobody can sign in as it: it has no email claim and no
usable password, and no API key exists for it. A visitor (a random id kept in a cookie) gets a
buddy of their own, hatched at once on the first visit, and on every visit a fresh widget
session token for it — the only credential the browser ever sees.

Anonymous visitors must not grow the store without bound (decision 0019): the ``DemoPool``
holds at most ``pool_size`` visitors, a new one taking the slot of the one admitted longest
ago (whose buddy is archived), and each client address may bring only so many new visitors
(the ``demo_visitors`` quota; beyond it, 429 ``rate_limited``).
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
from application.shared.ports import Clock, RateLimits
from application.shared.quotas import DEMO_VISITORS, take
from application.shared.store import EventStore, retry_on_conflict
from application.widgets.widgets import Widgets
from domain.accounts.customer import Customer
from domain.companions.buddy import Buddy
from domain.companions.operation import Operation
from domain.companions.user_account import UserAccount
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import natural_id, public_id
from domain.shared.tenancy import Tenant
from domain.widgets.demo_pool import DemoPool
from domain.widgets.widget_session import (
    EQUIP,
    PURCHASE,
    READ,
    SESSION_MAX_TTL_SECONDS,
    TRACK,
    WidgetGrant,
)

DEMO_TENANT = Tenant(natural_id("demo", "customer", "lingualeap"), "test")
DEMO_PRESET = "language-learning"
DEMO_PLAN = "growth"
"""The lowest plan that includes the marketplace: the page shows the shop (decision 0056)."""
DEMO_SCOPES = (READ, TRACK, PURCHASE, EQUIP)
DEMO_POOL_ID = natural_id("demo", "pool", "lingualeap")
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
        limits: RateLimits,
        pool_size: int,
    ) -> None:
        self._store = store
        self._clock = clock
        self._configs = configs
        self._eggs = eggs
        self._operations = operations
        self._buddies = buddies
        self._widgets = widgets
        self._limits = limits
        self._pool_size = pool_size
        self._opening = threading.Lock()

    def visit(self, visitor: str, address: str) -> Visit:
        """The visitor's buddy and a new session token. A visitor without a slot in the pool
        (new, or whose slot was recycled) counts against ``address``'s quota of new visitors,
        takes the oldest slot and gets a buddy hatched now."""
        self._open_tenant()
        user_id = f"visitor_{visitor}"
        pool = self._store.find(DemoPool, DEMO_POOL_ID)
        holding = pool is not None and pool.holds(user_id, self._pool_size)
        held = pool.buddy_of(user_id) if pool is not None and holding else None
        if held is not None:
            buddy_id = public_id("buddy", held)
        else:
            if not holding:
                take(self._limits, DEMO_VISITORS, address)
                self._admit(user_id)
            buddy_id = self._assign(user_id, self._buddy_of(user_id) or self._hatch(user_id))
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
            customer = self._store.find(Customer, DEMO_TENANT.customer_id)
            if customer is None:
                customer = Customer(
                    id=DEMO_TENANT.customer_id,
                    email="demo@lingualeap.invalid",
                    password_hash=NO_PASSWORD,
                    company_name="LinguaLeap (demo)",
                    timestamp=self._clock.now(),
                )
                self._on_demo_plan(customer)
                with suppress(IntegrityError):  # another process opened it first
                    self._store.save(customer)
            elif customer.plan != DEMO_PLAN:  # opened before the marketplace was gated
                retry_on_conflict(self._move_to_demo_plan)
            if self._configs.published_version(DEMO_TENANT) is None:
                self._configs.apply_preset(DEMO_TENANT, DEMO_PRESET)

    def _on_demo_plan(self, customer: Customer) -> None:
        if customer.plan != DEMO_PLAN:
            customer.change_plan(
                plan=DEMO_PLAN,
                event_quota=None,
                cause={"by": "demo", "reason": "the showroom shows the marketplace"},
                timestamp=self._clock.now(),
            )

    def _move_to_demo_plan(self) -> None:
        customer = self._store.find(Customer, DEMO_TENANT.customer_id)
        if customer is not None:
            self._on_demo_plan(customer)
            self._store.save(customer)

    def _admit(self, user_id: str) -> None:
        """Give the visitor a slot, archiving the buddies it takes back, in one save."""

        def attempt() -> None:
            now = self._clock.now()
            pool = self._store.find(DemoPool, DEMO_POOL_ID) or DemoPool(
                id=DEMO_POOL_ID, timestamp=now
            )
            if pool.holds(user_id, self._pool_size):
                return  # the visitor's other request (a reload) admitted them first
            released = []
            for buddy_id in pool.released_by_admitting(self._pool_size):
                buddy = self._store.find(Buddy, buddy_id)
                if buddy is not None and buddy.is_active:
                    buddy.archive(timestamp=now)
                    released.append(buddy)
            pool.admit(user_id=user_id, size=self._pool_size, timestamp=now)
            self._store.save(pool, *released)

        retry_on_conflict(attempt)

    def _assign(self, user_id: str, buddy_id: str) -> str:
        """Record the visitor's buddy in their slot and answer the one the slot keeps. A buddy
        that is not kept — the visitor's other request recorded its own first, or newer
        visitors took the slot while it hatched — is archived at once, so the pool never
        has more active buddies than slots."""

        def attempt() -> str:
            now = self._clock.now()
            pool = self._store.load(DemoPool, DEMO_POOL_ID, "demo pool", "demo")
            buddy = self._buddies.load(DEMO_TENANT, buddy_id)
            try:
                kept = pool.assign_buddy(user_id=user_id, buddy_id=buddy.id, timestamp=now)
            except DomainError:
                kept = None
            if kept != buddy.id and buddy.is_active:
                buddy.archive(timestamp=now)
            self._store.save(pool, buddy)
            if kept is None:
                raise DomainError(
                    "service_unavailable", "the demo is busy right now; reload in a moment"
                )
            return public_id("buddy", kept)

        return retry_on_conflict(attempt)

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
