"""What the use cases need from the outside world; ``infrastructure/`` provides it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain.companions.appearance import Emblem, ItemLayer, Portrait, RenderedImages
from domain.companions.stage_art import UploadGrant
from domain.integrations.webhook_delivery import AttemptResult
from domain.shared.tenancy import Tenant
from domain.widgets.widget_session import WidgetGrant


@runtime_checkable  # a handler may take the clock by injection (readiness): checked by type
class Clock(Protocol):
    def now(self) -> datetime: ...


class Telemetry(Protocol):
    """What use cases report for the operator's metrics (``GET /metrics``); write-only."""

    def events_ingested(self, outcome: str) -> None:
        """One customer event ``accepted``, a ``duplicate`` of one, or ``rejected`` (by the
        rules, or refused outright)."""
        ...


class NoTelemetry:
    """Reports nothing: the default of a use case built without metrics (most tests)."""

    def events_ingested(self, outcome: str) -> None:
        return None


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class DeviceTokens(Protocol):
    """Signed "this browser signed in as this e-mail before" tokens (decision 0019)."""

    def issue(self, email: str, now: datetime) -> str: ...

    def read(self, token: str, email: str) -> str | None:
        """The device's id when ``token`` is valid for ``email``; else ``None``."""
        ...


@dataclass(frozen=True)
class Allowance:
    """What a rate limiter answered for one hit: whether it was allowed, and the window that
    binds (the one that refused, else the one with the fewest requests left)."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    """Whole seconds until that window has room for one more request."""


class RateLimits(Protocol):
    """Named quotas (``infrastructure/shared/rate_limits.py``), counted per key."""

    def hit(self, quota: str, key: str) -> Allowance:
        """Count one request for ``key`` if every window of ``quota`` has room."""
        ...


class Secrets(Protocol):
    def token(self, prefix: str, nbytes: int = 32) -> str: ...

    def uuid(self) -> UUID: ...


@dataclass(frozen=True)
class DashboardClaims:
    customer_id: UUID
    impersonator: UUID | None = None
    """The admin who took this token to see the dashboard as the customer (read-only)."""


class DashboardTokens(Protocol):
    def issue(
        self,
        customer_id: UUID,
        now: datetime,
        *,
        impersonator: UUID | None = None,
        ttl: timedelta | None = None,
    ) -> tuple[str, datetime]: ...

    def verify(self, token: str) -> DashboardClaims:
        """What a good token says; else ``Unauthorized`` with its reason."""
        ...


class AdminTokens(Protocol):
    """Tokens of the admin API: their own audience, never a dashboard token (decision 0051)."""

    def issue(self, admin_id: UUID, session: int, now: datetime) -> tuple[str, datetime]: ...

    def verify(self, token: str) -> tuple[UUID, int]:
        """The admin and the sign-in number of a good token; else ``Unauthorized``."""
        ...


class QueueLinkTokens(Protocol):
    """Signed links to the operator's queue page (decision 0054): the admin, its sign-in
    number and the expiry, signed with a key of their own; never an admin token."""

    def issue(self, admin_id: UUID, session: int, now: datetime) -> tuple[str, datetime]: ...

    def verify(self, token: str, now: datetime) -> tuple[UUID, int]:
        """The admin and the sign-in number of a good, unexpired link token; else
        ``Unauthorized`` (``invalid``, ``expired``, ``wrong_audience``)."""
        ...


@dataclass(frozen=True)
class QueueDepth:
    """One task queue as the log's views see it: what waits, runs and failed."""

    queue: str
    """The broker's queue name (``infrastructure/shared/tasks.py``)."""
    work: str
    """What its messages carry (``operations``, ``webhook deliveries``)."""
    pending: int
    processing: int | None
    """``None``: the queue's work has no such state (a delivery attempt is one message)."""
    failed: int
    oldest_pending_at: datetime | None

    def waited_seconds(self, now: datetime) -> float | None:
        """How long the oldest pending piece of work has waited by ``now`` (never negative)."""
        if self.oldest_pending_at is None:
            return None
        return round(max(0.0, (now - self.oldest_pending_at).total_seconds()), 3)


@dataclass(frozen=True)
class FailedWork:
    """An operation that failed: its id and tenant, what it was, when it failed."""

    operation_id: UUID
    customer_id: UUID
    type: str
    failed_at: datetime


class QueueMonitor(Protocol):
    """The task queues' state, read from the views (readiness and the queue page)."""

    def workers(self) -> int:
        """Worker processes that beat recently (``worker_heartbeats.py``)."""
        ...

    def operations(self) -> QueueDepth: ...

    def depths(self) -> list[QueueDepth]:
        """Every queue ``tasks.py`` declares, operations first."""
        ...

    def latest_failed(self, limit: int) -> list[FailedWork]:
        """The operations that failed most recently, newest first."""
        ...


class Digest(Protocol):
    def __call__(self, secret: str) -> str: ...


class BuddyDirectory(Protocol):
    """Which buddies a tenant has, read from the buddies view (``projections/companions/buddies.py``)."""

    def buddy_ids(self, tenant: Tenant, *, config_version_id: UUID | None = None) -> list[UUID]: ...

    def counts_by_config_version(self, tenant: Tenant) -> dict[UUID, int]: ...


class DecayCandidates(Protocol):
    """The buddies a skill decay sweep judges, read from the buddies view; the sweep loads
    each one, so a view behind the log at worst delays a decay to the next pass."""

    def versions_in_use(self) -> list[UUID]:
        """Every config version some active buddy (of any tenant) is pinned to."""
        ...

    def buddies_on(self, config_version_id: UUID, after: UUID | None, limit: int) -> list[UUID]:
        """Active buddies pinned to ``config_version_id``, by id, after ``after``."""
        ...


class TaskQueue(Protocol):
    def enqueue_operation(self, operation_id: UUID) -> None: ...


class WidgetTokens(Protocol):
    """Signs widget session and embed tokens, and reads them back (``Unauthorized`` with its
    reason when one is not ours; expiry is the application's to judge)."""

    def issue(self, grant: WidgetGrant, issued_at: datetime) -> str: ...

    def read(self, token: str) -> WidgetGrant: ...


class WebhookSecrets(Protocol):
    """Makes webhook signing secrets and seals them for storage (they must be kept to sign,
    and must never be readable from the event log alone)."""

    def new_secret(self) -> str: ...

    def seal(self, secret: str) -> str: ...

    def unseal(self, sealed: str) -> str:
        """The secret; ``ValueError`` when it was sealed with another key."""
        ...


class WebhookUrlPolicy(Protocol):
    def check(self, url: str) -> None:
        """``validation_failed`` (field ``url``) for a URL deliveries must never go to."""
        ...


class WebhookSender(Protocol):
    def send(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult: ...


class WebhookQueue(Protocol):
    def enqueue_webhook(self, delivery_id: UUID, attempt: int, delay_seconds: float) -> None: ...


class StalledWork(Protocol):
    """Work that should have moved by now, read from the views (the sweeper re-checks each)."""

    def stalled_operations(self, before: datetime, limit: int) -> list[UUID]: ...

    def overdue_deliveries(self, before: datetime, limit: int) -> list[UUID]: ...


class Renderer(Protocol):
    """Draws pictures and keeps them as assets; answers with asset names (``<sha256>.svg``)."""

    def render_buddy(self, portrait: Portrait) -> RenderedImages: ...

    def render_stage_art(self, stage: int, style: str, seed: int) -> str: ...

    def render_egg(self, visual_variant: int, style: str) -> str: ...

    def render_item_icon(self, item: ItemLayer, seed: int, rarity: str | None = None) -> str: ...

    def draw_item_icon(self, item: ItemLayer, rarity: str, seed: int) -> str:
        """The item's icon as SVG text, kept nowhere (the icon served from its values)."""
        ...

    def draw_emblem(self, emblem: Emblem, seed: int) -> str:
        """A badge's or skill's icon as SVG text, kept nowhere."""
        ...

    def render_emblem(self, emblem: Emblem, seed: int) -> str: ...


class AssetStore(Protocol):
    """Content-addressed files: the name of what is stored is the SHA-256 of its bytes."""

    def put(self, data: bytes, content_type: str) -> str: ...

    def get(self, name: str) -> bytes | None: ...


class ImageInspector(Protocol):
    def check(self, content_type: str, data: bytes) -> None:
        """``unsafe_svg`` or ``invalid_image`` (422) for a file we must not keep or serve."""
        ...


class UploadTokens(Protocol):
    """Signs upload grants into URL tokens and reads them back."""

    def issue(self, grant: UploadGrant) -> str: ...

    def verify(self, token: str, now: datetime) -> UploadGrant:
        """``Unauthorized`` (401, ``details.reason``: ``invalid`` or ``expired``) when it is
        not valid; ``WrongCredential`` (403) for another valid token of ours."""
        ...


@dataclass(frozen=True)
class ProviderRefund:
    """A refund the payment provider made of a customer's charge (decision 0053)."""

    refund_id: str
    charge_id: str
    amount: int
    """In the currency's smallest unit (cents)."""
    currency: str
    status: str


@dataclass(frozen=True)
class ProviderSubscription:
    """A subscription as the payment provider holds it now."""

    subscription_id: str
    status: str
    """The provider's: ``active``, ``trialing``, ``past_due``, ``canceled``, …"""
    plan: str | None
    """Our plan its price was sold as (or its metadata names); ``None``: not one we sell."""


class PaymentProvider(Protocol):
    """The payment provider (Stripe in ``infrastructure/billing``; decision 0049). Each
    method that needs a key it was not given raises ``billing_not_configured`` (503)."""

    @property
    def configured(self) -> bool:
        """Whether checkout and the portal can reach the provider (its API key is set)."""
        ...

    def plan_of_price(self, price_id: str) -> str | None:
        """The plan a provider price is for, ``None`` for a price we never sold."""
        ...

    def checkout_url(
        self,
        *,
        plan: str,
        customer_reference: str,
        email: str,
        provider_customer_id: str | None,
        success_url: str,
        cancel_url: str,
    ) -> str:
        """A hosted checkout page subscribing the customer to ``plan``; ``customer_reference``
        (our public customer id) comes back on every event of the subscription."""
        ...

    def portal_url(self, *, provider_customer_id: str, return_url: str) -> str: ...

    def cancel_subscription(self, *, subscription_id: str) -> ProviderSubscription:
        """End the subscription now (no proration, no further invoice)."""
        ...

    def refund_latest_charge(
        self, *, provider_customer_id: str, amount: int | None, idempotency_key: str
    ) -> ProviderRefund:
        """Refund the customer's most recent charge (all of it, or ``amount``);
        ``nothing_to_refund`` (409) when it has none."""
        ...

    def latest_subscription(self, *, provider_customer_id: str) -> ProviderSubscription | None:
        """The customer's newest subscription at the provider, whatever its status."""
        ...

    def verify(self, payload: bytes, signature: str | None) -> dict[str, object]:
        """The event ``payload`` carries, once its signature header is checked against the
        webhook secret; ``invalid_signature`` (400) otherwise."""
        ...
