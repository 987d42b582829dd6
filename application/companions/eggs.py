"""Laying eggs for end users, moving them along, and starting their hatch."""

from __future__ import annotations

from typing import Any

from application.companions.buddy_audiences import BuddyAudiences
from application.configs.configs import Configs
from application.credits.credits import Credits
from application.shared.ports import Clock, Secrets
from application.shared.store import EventStore, retry_on_conflict
from domain.accounts.audiences import check_audience, declared
from domain.accounts.customer import Customer
from domain.companions.buddy import Buddy
from domain.companions.egg import Egg
from domain.companions.operation import Operation
from domain.companions.user_account import UserAccount
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant

PUBLISH_URL = "/dashboard/config/publish"


class Eggs:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        secrets: Secrets,
        configs: Configs,
        credits: Credits | None = None,
    ) -> None:
        self._store = store
        self._credits = credits or Credits.off(store, clock)
        self._audiences = BuddyAudiences(store)
        self._clock = clock
        self._secrets = secrets
        self._configs = configs

    def get(self, tenant: Tenant, egg_id: str) -> Egg:
        return self._store.load_owned(Egg, parse_public_id("egg", egg_id), tenant, "egg", egg_id)

    def lay(
        self,
        tenant: Tenant,
        user_id: str,
        metadata: dict[str, Any],
        audience: str | None,
        ensure: bool,
    ) -> tuple[Egg, bool]:
        """Lay an egg for ``user_id``; with ``ensure`` reuse the newest waiting/ready one.

        Returns the egg and whether it is new. The per-user cap is guarded by the user's
        ``UserAccount`` stream, so concurrent requests cannot exceed it.
        """
        published = self._configs.published_version(tenant)
        if published is None:
            raise DomainError(
                "no_published_config",
                "Customer must have a published config version",
                {"publish_url": PUBLISH_URL},
            )
        customer = self._store.load(Customer, tenant.customer_id, "customer", "me")
        audiences = declared(customer.settings)
        check_audience(audiences, audience)
        if audience is None and audiences:
            audience = audiences[0]  # the one audience is implied
        max_active = int(customer.settings["max_active_eggs_per_user"])

        def attempt() -> tuple[Egg, bool]:
            now = self._clock.now()
            account_id = UserAccount.id_for(tenant, user_id)
            account = self._store.find(UserAccount, account_id) or UserAccount(
                id=account_id,
                customer_id=tenant.customer_id,
                mode=tenant.mode,
                user_id=user_id,
                timestamp=now,
            )
            if audience is not None and audiences:
                self._check_one_buddy_per_audience(account, audience)
            active = [self._store.load(Egg, i, "egg", str(i)) for i in account.active_egg_ids]
            if ensure:
                statuses = {e.id: e.status for e in active if e.audience == audience}
                reusable = account.latest_reusable_egg_id(statuses)
                if reusable is not None:
                    return next(e for e in active if e.id == reusable), False
            if audience is not None and audiences:
                _check_one_egg_per_audience(account, active, audience)
            egg = Egg(
                id=self._secrets.uuid(),
                customer_id=tenant.customer_id,
                mode=tenant.mode,
                user_id=user_id,
                config_version_id=published.id,
                metadata=metadata,
                audience=audience,
                timestamp=now,
            )
            account.egg_laid(
                egg_id=egg.id,
                max_active=max_active,
                active_summaries=[e.summary() for e in active],
                timestamp=now,
            )
            self._store.save(account, egg)
            return egg, True

        egg, new = retry_on_conflict(attempt)
        if new and audience is not None and audiences:
            self._withdraw_if_audience_removed(tenant, egg, audience)
        return egg, new

    def _withdraw_if_audience_removed(self, tenant: Tenant, egg: Egg, audience: str) -> None:
        """Read the audiences again now that the egg is saved: removed meanwhile (``PATCH
        /customers/me/audiences`` checks the eggs after its own write, so one of the two
        sees the other), the egg is cancelled and the lay refused as ``unknown_audience``
        (decision 0047)."""
        customer = self._store.load(Customer, tenant.customer_id, "customer", "me")
        now_declared = declared(customer.settings)
        if audience in now_declared or not now_declared:  # none declared: any audience goes
            return
        self.set_status(tenant, egg.public_id, "cancelled")
        check_audience(now_declared, audience)

    def _check_one_buddy_per_audience(self, account: UserAccount, audience: str) -> None:
        """With audiences declared a user has one buddy per audience (decision 0041); an
        egg for an audience the user already has an active buddy of is ``conflict``."""
        for buddy_id in account.buddy_ids:
            buddy = self._store.find(Buddy, buddy_id)
            if buddy is not None and buddy.is_active and self._audiences.of(buddy) == audience:
                raise DomainError(
                    "conflict",
                    f"user {account.user_id!r} already has a buddy for the audience {audience!r}",
                    {"audience": audience, "buddy_id": public_id("buddy", buddy.id)},
                )

    def set_status(self, tenant: Tenant, egg_id: str, status: str) -> Egg:
        def attempt() -> Egg:
            egg = self.get(tenant, egg_id)
            was_active = egg.is_active
            egg.request_status(status=status, timestamp=self._clock.now())
            changed: list[Any] = [egg]
            if was_active and not egg.is_active:
                account = self._account_of(tenant, egg)
                account.egg_closed(egg_id=egg.id, timestamp=self._clock.now())
                changed.append(account)
            self._store.save(*changed)
            return egg

        return retry_on_conflict(attempt)

    def hatch(self, tenant: Tenant, egg_id: str, correlation_id: str | None = None) -> Operation:
        """Start the hatch: the egg moves to ``hatching`` and a pending operation is recorded,
        in one transaction, with the hatch's credit charge authorised (decision 0048: no pool
        covers it → ``credit_insufficient``, nothing recorded). A follower of the log hands
        the operation to a worker. The facts the worker records carry ``correlation_id`` (the
        request's id; decision 0031)."""

        def attempt() -> Operation:
            egg = self.get(tenant, egg_id)
            now = self._clock.now()
            operation = Operation(
                id=self._secrets.uuid(),
                customer_id=tenant.customer_id,
                mode=tenant.mode,
                type="hatch",
                buddy_id=None,
                egg_id=egg.id,
                params={},
                correlation_id=correlation_id,
                timestamp=now,
            )
            egg.start_hatching(operation_id=operation.id, timestamp=now)
            subject = {"operation_id": operation.id.hex, "mode": tenant.mode}
            held = self._credits.hold(tenant.customer_id, "hatch", operation.id, subject)
            self._store.save(egg, operation, *held)
            return operation

        return retry_on_conflict(attempt, line=Credits.line(tenant.customer_id))

    def _account_of(self, tenant: Tenant, egg: Egg) -> UserAccount:
        account_id = UserAccount.id_for(tenant, egg.user_id)
        return self._store.load(UserAccount, account_id, "user", egg.user_id)


def _check_one_egg_per_audience(account: UserAccount, active: list[Egg], audience: str) -> None:
    """An active egg of ``audience`` (waiting, ready or hatching) will be the user's buddy of
    it, so another is ``conflict`` (decision 0047). The check and the new egg are decided on
    one version of the user's account, which the new egg's save writes: of two lays at
    once, the second reloads the account, finds the first egg and is refused."""
    for egg in active:
        if egg.audience == audience:
            raise DomainError(
                "conflict",
                f"user {account.user_id!r} already has an egg for the audience {audience!r}",
                {"audience": audience, "egg_id": egg.public_id, "egg_status": egg.status},
            )
