"""The B2B tenant: its profile, plan, settings and the ids of its API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.accounts.plans import DEFAULT_PLAN, PLANS

DEFAULT_SETTINGS: dict[str, Any] = {
    "max_active_eggs_per_user": 3,
    "strict_event_types": False,
    "creature_style": "cute",
    "widget_theme": "light",
    "capabilities": {},
}

SETTING_TYPES: dict[str, type | tuple[type, ...]] = {
    "max_active_eggs_per_user": int,
    "strict_event_types": bool,
    "creature_style": str,
    "widget_theme": str,
    "capabilities": dict,
}
"""``capabilities``: features the customer switched off (``{"tokens": false}``; a missing
feature is on), refused with ``capability_disabled`` (``domain/accounts/plans.py``)."""


class Customer(Aggregate):
    """A customer account. Passwords arrive already hashed: the domain never sees one."""

    class Registered(Aggregate.Created):
        email: str
        password_hash: str
        company_name: str

    @event(Registered)
    def __init__(
        self,
        *,
        id: UUID,
        email: str,
        password_hash: str,
        company_name: str,
        timestamp: datetime,
    ) -> None:
        self.email = email
        self.password_hash = password_hash
        self.company_name = company_name
        self.plan = DEFAULT_PLAN
        self.event_quota: int | None = None
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self.api_key_ids: list[UUID] = []
        self.deleted_at: datetime | None = None
        self.feature_overrides: dict[str, bool] = {}

    class ProfileChanged(Aggregate.Event):
        changes: dict[str, Any]

    @event(ProfileChanged)
    def change_profile(self, *, changes: dict[str, Any], timestamp: datetime) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    class SettingsChanged(Aggregate.Event):
        changes: dict[str, Any]

    @event(SettingsChanged)
    def change_settings(self, *, changes: dict[str, Any], timestamp: datetime) -> None:
        self.settings = {**self.settings, **changes}

    class ApiKeyAttached(Aggregate.Event):
        key_id: UUID

    @event(ApiKeyAttached)
    def attach_api_key(self, *, key_id: UUID, timestamp: datetime) -> None:
        self.api_key_ids = [*self.api_key_ids, key_id]

    class PlanChanged(Aggregate.Event):
        plan: str
        event_quota: int | None
        cause: dict[str, Any]

    @event(PlanChanged)
    def change_plan(
        self, *, plan: str, event_quota: int | None, cause: dict[str, Any], timestamp: datetime
    ) -> None:
        """Move to ``plan``; ``event_quota`` replaces the plan's monthly figure (a contract's),
        ``None`` keeps the plan's. ``cause`` says who or what changed it (an operator, later
        a Stripe event)."""
        self.plan = plan
        self.event_quota = event_quota

    class FeaturesOverridden(Aggregate.Event):
        overrides: dict[str, bool]
        cause: dict[str, Any]

    @event(FeaturesOverridden)
    def override_features(
        self, *, overrides: dict[str, bool], cause: dict[str, Any], timestamp: datetime
    ) -> None:
        """An operator's grants (``true``: on whatever the plan) and locks (``false``: off
        whatever the plan) of plan features; ``overrides`` is the whole new set."""
        self.feature_overrides = overrides

    class Deleted(Aggregate.Event):
        cause: dict[str, Any]

    @event(Deleted)
    def delete(self, *, cause: dict[str, Any], timestamp: datetime) -> None:
        """Soft delete: every credential stops working, every stream stays."""
        self.deleted_at = timestamp

    class Restored(Aggregate.Event):
        cause: dict[str, Any]

    @event(Restored)
    def restore(self, *, cause: dict[str, Any], timestamp: datetime) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def admin_fields(self) -> dict[str, Any]:
        """What an operator sees and may change, as the audit trail's before and after."""
        return {
            "email": self.email,
            "company_name": self.company_name,
            "plan": self.plan,
            "event_quota": self.event_quota,
            "feature_overrides": dict(self.feature_overrides),
            "settings": dict(self.settings),
            "deleted_at": self.deleted_at.isoformat() if self.deleted_at else None,
        }

    @property
    def monthly_event_quota(self) -> int:
        """Customer events this customer may send per UTC calendar month."""
        return self.event_quota if self.event_quota is not None else PLANS[self.plan].event_quota
