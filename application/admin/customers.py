"""What an admin does to a customer: correct its profile, plan, quota and features, close and
reopen it, see and revoke its keys, issue a publishable key, and see its dashboard as it does
(impersonation). Every write is an audited act (``audit.py``); reads are not recorded, but a
use of an impersonation token is (decision 0051)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.accounts.accounts import Accounts, IssuedKey
from application.accounts.principal import Principal
from application.admin.audit import AdminCaller, Auditor, Change, Target
from application.shared.ports import Clock, DashboardTokens
from application.shared.store import EventStore
from domain.accounts.api_key import ApiKey
from domain.accounts.customer import Customer
from domain.accounts.plans import FEATURES, PLANS
from domain.admin.admin_user import AdminUser
from domain.shared.errors import DomainError, NotFound, Unauthorized
from domain.shared.ids import public_id
from domain.shared.tenancy import Mode

IMPERSONATION_TTL = timedelta(minutes=15)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Impersonation:
    token: str
    expires_at: datetime


def _target(customer_id: UUID) -> Target:
    return Target("customer", public_id("customer", customer_id))


def _cause(caller: AdminCaller) -> dict[str, Any]:
    """Why the customer changed, kept on its event: this admin, under this request."""
    return {"admin_id": caller.admin_id.hex, "request_id": caller.request_id}


def _refuse_deleted(customer: Customer) -> None:
    """Nothing new is issued for a deleted customer (a key, an impersonation token)."""
    if customer.is_deleted:
        raise DomainError(
            "invalid_state_transition",
            "this customer is deleted; restore it first",
            {"current_status": "deleted", "requested_status": "active"},
        )


class AdminCustomers:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        accounts: Accounts,
        tokens: DashboardTokens,
        auditor: Auditor,
    ) -> None:
        self._store = store
        self._clock = clock
        self._accounts = accounts
        self._tokens = tokens
        self._audit = auditor

    def customer(self, customer_id: UUID) -> Customer:
        return self._accounts.customer(customer_id)

    def keys(self, customer_id: UUID) -> list[ApiKey]:
        return self._accounts.keys(customer_id)

    def _change_customer(
        self,
        caller: AdminCaller,
        customer_id: UUID,
        action: str,
        change: Any,
    ) -> Customer:
        """An audited act on the customer alone: ``change(customer, now)`` mutates it."""

        def attempt() -> Change[Customer]:
            customer = self.customer(customer_id)
            before = customer.admin_fields()
            change(customer, self._clock.now())
            after = customer.admin_fields()
            return Change(customer, before, after, [customer])

        return self._audit.act(
            caller, action, _target(customer_id), "operator", attempt, line=customer_id
        )

    def update_profile(
        self, caller: AdminCaller, customer_id: UUID, changes: dict[str, Any]
    ) -> Customer:
        def change(customer: Customer, now: datetime) -> None:
            changed = {k: v for k, v in changes.items() if getattr(customer, k) != v}
            if changed:
                customer.change_profile(changes=changed, timestamp=now)

        return self._change_customer(caller, customer_id, "customer.update", change)

    def change_plan(self, caller: AdminCaller, customer_id: UUID, plan: str) -> Customer:
        """Move the customer to ``plan`` (no payment provider is told). A monthly event
        quota of its own stays (``change_event_quota`` sets it)."""
        if plan not in PLANS:  # the HTTP layer names the plans; the CLI and tests may not
            raise DomainError(
                "validation_failed",
                f"plan should be one of {', '.join(PLANS)}",
                {"fields": [{"field": "plan", "reason": "unknown plan"}]},
            )

        def change(customer: Customer, now: datetime) -> None:
            if customer.plan != plan:
                customer.change_plan(
                    plan=plan, event_quota=customer.event_quota, cause=_cause(caller), timestamp=now
                )

        return self._change_customer(caller, customer_id, "customer.plan", change)

    def change_event_quota(
        self, caller: AdminCaller, customer_id: UUID, event_quota: int | None
    ) -> Customer:
        """The customer's monthly event quota: a figure of its own, or ``None`` for its
        plan's. Recorded as a plan change on the same plan (decision 0039's event)."""

        def change(customer: Customer, now: datetime) -> None:
            if customer.event_quota != event_quota:
                customer.change_plan(
                    plan=customer.plan, event_quota=event_quota, cause=_cause(caller), timestamp=now
                )

        return self._change_customer(caller, customer_id, "customer.event_quota", change)

    def override_features(
        self, caller: AdminCaller, customer_id: UUID, overrides: dict[str, bool | None]
    ) -> Customer:
        """Grant (``true``) or lock (``false``) plan features whatever the plan; ``null``
        removes the override. Features not named keep theirs."""
        unknown = sorted(set(overrides) - set(FEATURES))
        if unknown:
            raise DomainError(
                "validation_failed",
                "; ".join(f"features.{name} is not a feature" for name in unknown),
                {
                    "fields": [
                        {"field": f"features.{name}", "reason": "unknown feature"}
                        for name in unknown
                    ]
                },
            )

        def change(customer: Customer, now: datetime) -> None:
            new = dict(customer.feature_overrides)
            for name, value in overrides.items():
                if value is None:
                    new.pop(name, None)
                else:
                    new[name] = value
            if new != customer.feature_overrides:
                customer.override_features(overrides=new, cause=_cause(caller), timestamp=now)

        return self._change_customer(caller, customer_id, "customer.features", change)

    def delete(self, caller: AdminCaller, customer_id: UUID) -> Customer:
        """Soft delete: every key, dashboard token and widget token of the customer stops
        working at once (in this process; in others within the key cache's second); every
        stream stays. Deleting a deleted customer is ``invalid_state_transition``."""

        def change(customer: Customer, now: datetime) -> None:
            if customer.is_deleted:
                raise DomainError(
                    "invalid_state_transition",
                    "this customer is already deleted",
                    {"current_status": "deleted", "requested_status": "deleted"},
                )
            customer.delete(cause=_cause(caller), timestamp=now)

        customer = self._change_customer(caller, customer_id, "customer.delete", change)
        self._accounts.forget_keys(*customer.api_key_ids)
        return customer

    def restore(self, caller: AdminCaller, customer_id: UUID) -> Customer:
        def change(customer: Customer, now: datetime) -> None:
            if not customer.is_deleted:
                raise DomainError(
                    "invalid_state_transition",
                    "this customer is not deleted",
                    {"current_status": "active", "requested_status": "active"},
                )
            customer.restore(cause=_cause(caller), timestamp=now)

        return self._change_customer(caller, customer_id, "customer.restore", change)

    def revoke_key(
        self, caller: AdminCaller, customer_id: UUID, public_key_id: str, key_id: UUID
    ) -> ApiKey:
        def attempt() -> Change[ApiKey]:
            self.customer(customer_id)
            key = self._store.find(ApiKey, key_id)
            if key is None or key.customer_id != customer_id:
                raise NotFound("api key", public_key_id)
            before = {"key_id": public_key_id, "revoked_at": None}
            key.revoke(timestamp=self._clock.now())
            after = {"key_id": public_key_id, "revoked_at": key.revoked_at.isoformat()}  # type: ignore[union-attr]
            return Change(key, before, after, [key])

        key = self._audit.act(
            caller, "customer.api_key.revoke", _target(customer_id), "operator", attempt
        )
        self._accounts.forget_keys(key.id)
        return key

    def issue_publishable_key(
        self, caller: AdminCaller, customer_id: UUID, mode: Mode, name: str | None
    ) -> IssuedKey:
        def attempt() -> Change[IssuedKey]:
            _refuse_deleted(self.customer(customer_id))
            issued, customer = self._accounts.prepare_key(customer_id, mode, "publishable", name)
            after = {"key_id": public_id("api_key", issued.key.id), "kind": "publishable"}
            return Change(issued, None, {**after, "mode": mode}, [customer, issued.key])

        return self._audit.act(
            caller,
            "customer.api_key.publishable",
            _target(customer_id),
            "operator",
            attempt,
            line=customer_id,
        )

    # -- impersonation --------------------------------------------------------

    def impersonate(self, caller: AdminCaller, customer_id: UUID) -> Impersonation:
        """A dashboard token for the customer, read-only and short-lived, naming the admin."""

        def attempt() -> Change[Impersonation]:
            _refuse_deleted(self.customer(customer_id))
            token, expires_at = self._tokens.issue(
                customer_id,
                self._clock.now(),
                impersonator=caller.admin_id,
                ttl=IMPERSONATION_TTL,
            )
            after = {"expires_at": expires_at.isoformat(), "read_only": True}
            return Change(Impersonation(token, expires_at), None, after, [])

        return self._audit.act(
            caller, "customer.impersonate", _target(customer_id), "operator", attempt
        )

    def impersonation_used(
        self, principal: Principal, method: str, path: str, request_id: str | None
    ) -> None:
        """Record a request made with an impersonation token, and refuse a write (403):
        the token is read-only. A deactivated admin's tokens stop working."""
        assert principal.impersonator is not None
        admin = self._store.find(AdminUser, principal.impersonator)
        if admin is None or not admin.active:
            raise Unauthorized("revoked", "the admin who took this token was deactivated")
        caller = AdminCaller(admin.id, admin.email, admin.role, request_id)
        target = _target(principal.customer_id)
        used = {"method": method, "path": path}
        if method.upper() not in READ_METHODS:
            self._audit.record(
                caller, "impersonation.use", target, None, used, outcome="refused", code="forbidden"
            )
            raise DomainError(
                "forbidden",
                "an impersonation token is read-only: it cannot change anything",
                {"reason": "impersonation_read_only"},
            )
        self._audit.record(caller, "impersonation.use", target, None, used)
