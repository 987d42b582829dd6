"""Webhook endpoints: where a tenant wants its events delivered, and which ones.

``WebhookEndpoint`` is one subscription: a URL, the event names it wants, a signing secret
and a status (``active`` or ``disabled``; a receiver answering ``410 Gone`` disables it).
The signing secret must be kept to sign deliveries, so it is stored, but only *sealed*
(encrypted by the application with a key the domain never sees) and never shown again after
creation or rotation. A rotation keeps the previous secret for ``SECRET_OVERLAP``, during
which deliveries carry signatures made with both.

``WebhookSubscriptions`` is the tenant's index of endpoints, like ``ConfigCatalog`` for
config versions: one small stream per tenant, written in the same transaction as the
endpoint it concerns. It guards the per-tenant endpoint cap and is what the delivery
fan-out reads to learn, with one load, who wants an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError
from domain.shared.ids import natural_id, public_id
from domain.shared.tenancy import Mode, Tenant

WEBHOOK_EVENTS: Final[tuple[str, ...]] = (
    "buddy.hatched",
    "buddy.evolved",
    "evolution.ready",
    "coins.earned",
    "coins.spent",
    "token.earned",
    "token.spent",
    "badge.ready",
    "badge.awarded",
    "skill.leveled",
    "skill.decayed",
    "streak.ticked",
    "streak.milestone",
    "streak.burned",
    "marketplace.purchased",
    "marketplace.equipped",
    "operation.completed",
    "operation.failed",
    "usage.threshold_reached",
)
TEST_EVENT: Final = "webhook.test"
"""The event name of ``POST /webhook-configs/{id}/test`` without a chosen event."""

EndpointStatus = Literal["active", "disabled"]
ENDPOINT_STATUSES: Final[tuple[EndpointStatus, ...]] = ("active", "disabled")
SECRET_OVERLAP: Final = timedelta(hours=24)
MAX_ENDPOINTS_PER_TENANT: Final = 20
MAX_DESCRIPTION_LENGTH: Final = 500


def checked_events(events: Sequence[str]) -> list[str]:
    """The subscribed event names, deduplicated in the order given.

    ``validation_failed`` for an empty list or an unknown name (each named by its index).
    """
    fields = [
        {"field": f"events[{index}]", "reason": "unknown event name"}
        for index, name in enumerate(events)
        if name not in WEBHOOK_EVENTS
    ]
    if not events:
        fields.append({"field": "events", "reason": "must name at least one event"})
    if fields:
        raise DomainError(
            "validation_failed",
            f"{fields[0]['field']}: {fields[0]['reason']}",
            {"fields": fields, "known_events": list(WEBHOOK_EVENTS)},
        )
    return list(dict.fromkeys(events))


def checked_description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        reason = f"must be at most {MAX_DESCRIPTION_LENGTH} characters"
        raise DomainError(
            "validation_failed",
            f"description: {reason}",
            {"fields": [{"field": "description", "reason": reason}]},
        )
    return description


class WebhookEndpoint(Aggregate):
    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        url: str,
        events: Sequence[str],
        description: str | None,
        sealed_secret: str,
        timestamp: datetime,
    ) -> WebhookEndpoint:
        """A new, active endpoint; ``validation_failed`` for bad events or description."""
        return cls(
            id=id,
            customer_id=customer_id,
            mode=mode,
            url=url,
            events=checked_events(events),
            description=checked_description(description),
            sealed_secret=sealed_secret,
            timestamp=timestamp,
        )

    class Registered(Aggregate.Created):
        customer_id: UUID
        mode: Mode
        url: str
        events: list[str]
        description: str | None
        sealed_secret: str

    @event(Registered)
    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        mode: Mode,
        url: str,
        events: list[str],
        description: str | None,
        sealed_secret: str,
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.url = url
        self.events = list(events)
        self.description = description
        self.sealed_secret = sealed_secret
        self.previous_sealed_secret: str | None = None
        self.previous_secret_expires_at: datetime | None = None
        self.status: EndpointStatus = "active"
        self.disabled_reason: str | None = None
        self.deleted = False

    @property
    def public_id(self) -> str:
        return public_id("webhook", self.id)

    def sealed_secrets(self, now: datetime) -> list[str]:
        """The secrets to sign with at ``now``: the current one, then the previous one while
        its overlap lasts."""
        secrets = [self.sealed_secret]
        if (
            self.previous_sealed_secret is not None
            and self.previous_secret_expires_at is not None
            and now < self.previous_secret_expires_at
        ):
            secrets.append(self.previous_sealed_secret)
        return secrets

    # Commands ------------------------------------------------------------------------

    def update(
        self,
        *,
        url: str,
        events: list[str],
        description: str | None,
        status: EndpointStatus | None,
        timestamp: datetime,
    ) -> None:
        """Replace the URL, events and description; ``status`` when given (``None`` keeps it).

        Enabling a disabled endpoint clears the reason it was disabled for.
        """
        if status is not None and status not in ENDPOINT_STATUSES:
            raise DomainError(
                "validation_failed",
                "status: must be active or disabled",
                {"fields": [{"field": "status", "reason": "must be active or disabled"}]},
            )
        self._updated(
            url=url,
            events=checked_events(events),
            description=checked_description(description),
            status=status or self.status,
            timestamp=timestamp,
        )

    def rotate_secret(self, *, sealed_secret: str, timestamp: datetime) -> datetime:
        """Sign with a new secret from now on; the current one stays valid for 24 h.

        Returns when the previous secret stops being used. Rotating again inside the
        overlap retires the oldest secret at once: only two are ever in use.
        """
        expires_at = timestamp + SECRET_OVERLAP
        self._secret_rotated(
            sealed_secret=sealed_secret,
            previous_sealed_secret=self.sealed_secret,
            previous_expires_at=expires_at,
            timestamp=timestamp,
        )
        return expires_at

    def disable(self, *, reason: str, timestamp: datetime) -> None:
        """Stop delivering (a receiver answered 410 Gone). Nothing happens if already disabled."""
        if self.status == "disabled":
            return
        self._disabled(reason=reason, timestamp=timestamp)

    def delete(self, *, timestamp: datetime) -> None:
        self._deleted(timestamp=timestamp)

    # Events --------------------------------------------------------------------------

    class Updated(Aggregate.Event):
        url: str
        events: list[str]
        description: str | None
        status: EndpointStatus

    @event(Updated)
    def _updated(
        self,
        *,
        url: str,
        events: list[str],
        description: str | None,
        status: EndpointStatus,
        timestamp: datetime,
    ) -> None:
        self.url = url
        self.events = list(events)
        self.description = description
        if status == "active":
            self.disabled_reason = None
        elif self.status == "active":
            self.disabled_reason = "disabled_by_customer"
        self.status = status

    class SecretRotated(Aggregate.Event):
        sealed_secret: str
        previous_sealed_secret: str
        previous_expires_at: datetime

    @event(SecretRotated)
    def _secret_rotated(
        self,
        *,
        sealed_secret: str,
        previous_sealed_secret: str,
        previous_expires_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.previous_sealed_secret = previous_sealed_secret
        self.previous_secret_expires_at = previous_expires_at
        self.sealed_secret = sealed_secret

    class Disabled(Aggregate.Event):
        reason: str

    @event(Disabled)
    def _disabled(self, *, reason: str, timestamp: datetime) -> None:
        self.status = "disabled"
        self.disabled_reason = reason

    class Deleted(Aggregate.Event):
        pass

    @event(Deleted)
    def _deleted(self, *, timestamp: datetime) -> None:
        self.deleted = True


class WebhookSubscriptions(Aggregate):
    """The tenant's endpoints and what each subscribes to (see the module docstring).

    ``endpoints`` maps an endpoint id (hex) to ``{"events", "active", "since"}``;
    ``since`` is when the endpoint was registered: events older than that are not its own.
    """

    @staticmethod
    def id_for(tenant: Tenant) -> UUID:
        return natural_id("webhook_subscriptions", tenant.key)

    class Opened(Aggregate.Created):
        customer_id: UUID
        mode: Mode

    @event(Opened)
    def __init__(self, *, id: UUID, customer_id: UUID, mode: Mode, timestamp: datetime) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.endpoints: dict[str, dict[str, Any]] = {}

    def endpoint_ids(self) -> list[UUID]:
        return [UUID(hex=key) for key in self.endpoints]

    def subscribers(self, event_name: str, occurred_at: datetime) -> list[UUID]:
        """Active endpoints that want ``event_name`` and existed when it happened."""
        return [
            UUID(hex=key)
            for key, entry in self.endpoints.items()
            if entry["active"] and event_name in entry["events"] and entry["since"] <= occurred_at
        ]

    # Commands ------------------------------------------------------------------------

    def track(self, endpoint: WebhookEndpoint, *, timestamp: datetime) -> None:
        """Record the endpoint as it is now: registered, changed, disabled or deleted.

        A new endpoint beyond ``MAX_ENDPOINTS_PER_TENANT`` is refused with ``conflict``.
        """
        key = endpoint.id.hex
        if endpoint.deleted:
            if key in self.endpoints:
                self._endpoint_removed(endpoint_id=endpoint.id, timestamp=timestamp)
            return
        active = endpoint.status == "active"
        if key not in self.endpoints:
            if len(self.endpoints) >= MAX_ENDPOINTS_PER_TENANT:
                raise DomainError(
                    "conflict",
                    f"a tenant can have at most {MAX_ENDPOINTS_PER_TENANT} webhook endpoints",
                    {"max": MAX_ENDPOINTS_PER_TENANT},
                )
            self._endpoint_added(
                endpoint_id=endpoint.id,
                events=list(endpoint.events),
                active=active,
                timestamp=timestamp,
            )
            return
        entry = self.endpoints[key]
        if entry["events"] != endpoint.events or entry["active"] != active:
            self._endpoint_changed(
                endpoint_id=endpoint.id,
                events=list(endpoint.events),
                active=active,
                timestamp=timestamp,
            )

    # Events --------------------------------------------------------------------------

    class EndpointAdded(Aggregate.Event):
        endpoint_id: UUID
        events: list[str]
        active: bool

    @event(EndpointAdded)
    def _endpoint_added(
        self, *, endpoint_id: UUID, events: list[str], active: bool, timestamp: datetime
    ) -> None:
        self.endpoints[endpoint_id.hex] = {
            "events": list(events),
            "active": active,
            "since": timestamp,
        }

    class EndpointChanged(Aggregate.Event):
        endpoint_id: UUID
        events: list[str]
        active: bool

    @event(EndpointChanged)
    def _endpoint_changed(
        self, *, endpoint_id: UUID, events: list[str], active: bool, timestamp: datetime
    ) -> None:
        entry = self.endpoints[endpoint_id.hex]
        self.endpoints[endpoint_id.hex] = {**entry, "events": list(events), "active": active}

    class EndpointRemoved(Aggregate.Event):
        endpoint_id: UUID

    @event(EndpointRemoved)
    def _endpoint_removed(self, *, endpoint_id: UUID, timestamp: datetime) -> None:
        self.endpoints = {k: v for k, v in self.endpoints.items() if k != endpoint_id.hex}
