"""The composition root: settings in, wired services out."""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts import Accounts
from application.store import EventStore
from infrastructure.clock import SystemClock
from infrastructure.persistence import event_store_env
from infrastructure.security import (
    Argon2PasswordHasher,
    JwtDashboardTokens,
    RandomSecrets,
    digest,
)
from infrastructure.settings import Settings


@dataclass
class Container:
    settings: Settings
    store: EventStore
    accounts: Accounts

    def close(self) -> None:
        self.store.close()


def build_container(settings: Settings) -> Container:
    store = EventStore(env=event_store_env(settings))
    clock = SystemClock()
    accounts = Accounts(
        store,
        clock,
        Argon2PasswordHasher(),
        RandomSecrets(),
        JwtDashboardTokens(settings.secret_key, settings.dashboard_token_ttl_seconds),
        digest,
    )
    return Container(settings=settings, store=store, accounts=accounts)
