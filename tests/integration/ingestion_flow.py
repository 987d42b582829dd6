"""Steps shared by the ingestion tests that work below HTTP: a tenant, a buddy, an event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from application.economy.wallets import open_ledger
from application.ingestion.ingestion import EventInput
from domain.companions.buddy import Buddy
from domain.companions.user_account import UserAccount
from domain.shared.tenancy import Tenant
from interfaces.container import Container


def make_tenant(container: Container) -> Tenant:
    """A registered customer's live world, on the language-learning preset."""
    customer, _, _ = container.accounts.register(
        f"gc-{uuid.uuid4().hex[:10]}@example.com", "correct horse battery", "Acme"
    )
    tenant = Tenant(customer.id, "live")
    container.configs.apply_preset(tenant, "language-learning")
    return tenant


def adopt(container: Container, tenant: Tenant, user_id: str) -> UUID:
    """A buddy for ``user_id`` on the published config, as a hatch would leave it."""
    published = container.configs.published_version(tenant)
    assert published is not None
    rulebook = container.configs.rulebook(published.id)
    now = datetime.now(UTC)
    buddy_id = uuid.uuid4()
    buddy = Buddy(
        id=buddy_id,
        customer_id=tenant.customer_id,
        mode=tenant.mode,
        user_id=user_id,
        egg_id=uuid.uuid4(),
        config_version_id=published.id,
        name="Pip",
        correlation_id=None,
        timestamp=now,
    )
    ledger = open_ledger(buddy_id, tenant.customer_id, tenant.mode, rulebook, now)
    account_id = UserAccount.id_for(tenant, user_id)
    account = container.store.find(UserAccount, account_id) or UserAccount(
        id=account_id,
        customer_id=tenant.customer_id,
        mode=tenant.mode,
        user_id=user_id,
        timestamp=now,
    )
    account.buddy_adopted(buddy_id=buddy_id, timestamp=now)
    container.store.save(buddy, ledger, account)
    return buddy_id


def event(user_id: str, event_id: str | None = None, type: str = "lesson_completed") -> EventInput:
    return EventInput(event_id=event_id or f"evt_{uuid.uuid4().hex}", user_id=user_id, type=type)
