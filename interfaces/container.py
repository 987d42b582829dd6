"""The composition root: settings in, wired services out, and their lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.accounts import Accounts
from application.auto_evolve import AutoEvolver
from application.buddies import Buddies
from application.configs import Configs
from application.dispatch import OperationDispatcher
from application.eggs import Eggs
from application.idempotency import Idempotency
from application.ingestion import Ingestion
from application.operations import Operations
from application.store import EventStore
from infrastructure.clock import SystemClock
from infrastructure.directory import ViewBuddyDirectory
from infrastructure.followers import Follower
from infrastructure.persistence import event_store_env
from infrastructure.security import (
    Argon2PasswordHasher,
    JwtDashboardTokens,
    RandomSecrets,
    digest,
)
from infrastructure.settings import Settings
from infrastructure.tasks import TaskQueue, build_broker
from infrastructure.view_store import ViewStore
from projections.registry import all_projections

READ_CONSISTENCY_TIMEOUT_SECONDS = 2.0


@dataclass
class Container:
    settings: Settings
    store: EventStore
    views: ViewStore
    accounts: Accounts
    configs: Configs
    eggs: Eggs
    operations: Operations
    ingestion: Ingestion
    buddies: Buddies
    tasks: TaskQueue
    idempotency: Idempotency
    followers: list[Follower] = field(default_factory=list)

    def start(self) -> None:
        """Start the log followers (views, dispatcher) and, when embedded, the worker."""
        if self.settings.runs_worker_in_process:
            self.tasks.start_worker()
        if self.settings.run_followers:
            for follower in self.followers:
                follower.start()

    def close(self) -> None:
        for follower in self.followers:
            follower.stop()
        self.tasks.stop_worker()
        self.views.close()
        self.store.close()

    def wait_for_views(self, *names: str) -> bool:
        """Read-your-writes: wait (bounded) until the views have applied every write so far."""
        return self.views.wait_for(names, self.store.head(), READ_CONSISTENCY_TIMEOUT_SECONDS)


def build_container(settings: Settings) -> Container:
    store = EventStore(env=event_store_env(settings))
    views = ViewStore(settings)
    clock = SystemClock()
    secrets = RandomSecrets()
    accounts = Accounts(
        store,
        clock,
        Argon2PasswordHasher(),
        secrets,
        JwtDashboardTokens(settings.secret_key, settings.dashboard_token_ttl_seconds),
        digest,
    )
    configs = Configs(store, clock, ViewBuddyDirectory(views))
    operations = Operations(store, clock, configs)
    tasks = TaskQueue(build_broker(settings), operations.run)
    followers = [Follower.for_projection(p, store, views) for p in all_projections()]
    followers.append(Follower.for_reactor(OperationDispatcher(tasks), store, views))
    followers.append(Follower.for_reactor(AutoEvolver(store, configs), store, views))
    for follower in followers:
        store.on_saved(follower.wake)
    return Container(
        settings=settings,
        store=store,
        views=views,
        accounts=accounts,
        configs=configs,
        eggs=Eggs(store, clock, secrets, configs),
        operations=operations,
        ingestion=Ingestion(store, clock, configs),
        buddies=Buddies(store, clock, secrets, configs),
        tasks=tasks,
        idempotency=Idempotency(store, clock),
        followers=followers,
    )
