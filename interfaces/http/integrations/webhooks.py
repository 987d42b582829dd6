"""``/webhook-configs``: endpoints, their deliveries, and ``/analytics/webhooks`` (health)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.integrations.webhook_payloads import EVENT_DESCRIPTIONS
from application.integrations.webhooks import Webhooks
from domain.integrations.webhook_delivery import WebhookDelivery
from domain.integrations.webhook_endpoint import WebhookEndpoint
from domain.shared.ids import public_id
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Listing, Page, Paging, TenantListing
from interfaces.http.routing import Access, delete, get, post, put
from projections.integrations.webhook_deliveries import (
    DELIVERIES,
    ENDPOINT_HEALTH,
    HEALTH,
    WebhookDeliveriesView,
)

WebhookUrl = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
EventName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
EventNames = Annotated[list[EventName], msgspec.Meta(max_length=64)]
Description = Annotated[str, msgspec.Meta(max_length=500)]
DeliveryStatus = Literal["pending", "succeeded", "failed"]
DeliverySource = Literal["event", "test"]
MAX_ANALYTICS_DAYS = 90


# Requests ----------------------------------------------------------------------------------


class CreateWebhookRequest(Model):
    url: WebhookUrl
    events: EventNames
    description: Description | None = None


class UpdateWebhookRequest(Model):
    """``PUT`` replaces the URL, events and description; ``status`` is kept unless sent."""

    url: WebhookUrl
    events: EventNames
    description: Description | None = None
    status: Literal["active", "disabled"] | None = None


class TestWebhookRequest(Model):
    event: EventName | None = None


# Endpoints ---------------------------------------------------------------------------------


class WebhookEventView(msgspec.Struct):
    name: str
    description: str


class WebhookView(msgspec.Struct, kw_only=True):
    id: str
    url: str
    events: list[str]
    description: str | None
    status: str
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class CreatedWebhookView(WebhookView, kw_only=True):
    secret: str


class RotatedSecretView(WebhookView, kw_only=True):
    secret: str
    previous_secret_expires_at: datetime | None


class DeletedWebhookView(msgspec.Struct):
    id: str
    deleted: bool


def webhook_view(endpoint: WebhookEndpoint) -> WebhookView:
    return WebhookView(**_fields(endpoint))


def _fields(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.public_id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_on,
        "updated_at": endpoint.modified_on,
    }


# Deliveries --------------------------------------------------------------------------------


class Delivery(msgspec.Struct, kw_only=True):
    """What the list and the detail of a delivery both show."""

    id: str
    webhook_id: str
    event: str
    source: DeliverySource
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryRowView(Delivery, kw_only=True):
    """A delivery as the list shows it: its latest attempt, not its payload."""

    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None


class AttemptView(msgspec.Struct, kw_only=True):
    number: int
    started_at: datetime
    finished_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    retry_after_seconds: float | None
    response_excerpt: str
    succeeded: bool


class DeliveryView(Delivery, kw_only=True):
    """A delivery with the payload it sends and every attempt made."""

    payload: dict[str, Any]
    attempt_log: list[AttemptView]


class AcceptedDeliveryView(msgspec.Struct, kw_only=True):
    """A test send or redelivery queued: poll the delivery for how it went."""

    accepted: bool
    delivery_id: str
    event: str
    status: DeliveryStatus
    attempt: int


def delivery_row_view(row: dict[str, Any]) -> DeliveryRowView:
    return DeliveryRowView(
        id=f"whd_{row['delivery_id']}",
        webhook_id=f"wh_{row['endpoint_id']}",
        event=row["event"],
        source=row["source"],
        status=row["status"],
        attempts=row["attempts"] or 0,
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        last_attempt_at=_moment(row["last_attempt_at"]),
        next_attempt_at=_moment(row["next_attempt_at"]),
        failure_reason=row["failure_reason"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def delivery_view(delivery: WebhookDelivery) -> DeliveryView:
    return DeliveryView(
        id=delivery.public_id,
        webhook_id=public_id("webhook", delivery.endpoint_id),
        event=delivery.event_name,
        source="test" if delivery.source == "test" else "event",
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        failure_reason=delivery.failure_reason,
        created_at=delivery.created_on,
        updated_at=delivery.modified_on,
        payload=delivery.payload,
        attempt_log=[msgspec.convert(entry, AttemptView) for entry in delivery.attempt_log],
    )


def accepted_delivery(delivery: WebhookDelivery) -> AcceptedDeliveryView:
    return AcceptedDeliveryView(
        accepted=True,
        delivery_id=delivery.public_id,
        event=delivery.event_name,
        status=delivery.status,
        attempt=delivery.next_attempt,
    )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


DELIVERY_LIST = TenantListing(
    WebhookDeliveriesView.name,
    DELIVERIES.name,
    (("created_at", True), ("delivery_id", True)),
    delivery_row_view,
    owner="endpoint_id",
)


class WebhookController(Controller):
    path = "/webhook-configs"
    tags = ["webhooks"]

    @get(
        "/events",
        access=Access.SECRET,
        sync_to_thread=False,
        summary="List the event names a webhook can subscribe to",
    )
    def events(self, principal: Caller) -> Listing[WebhookEventView]:
        return Listing([WebhookEventView(*entry) for entry in EVENT_DESCRIPTIONS.items()])

    @post(
        access=Access.SECRET,
        body=CreateWebhookRequest,
        errors=("conflict",),
        status_code=201,
        summary="Create a webhook config (the signing secret is shown only here)",
    )
    def create(
        self,
        principal: Caller,
        webhooks: NamedDependency[Webhooks],
        data: JSONBody[CreateWebhookRequest],
    ) -> CreatedWebhookView:
        issued = webhooks.register(principal.tenant, data.url, list(data.events), data.description)
        return CreatedWebhookView(**_fields(issued.endpoint), secret=issued.secret)

    @get(access=Access.SECRET, summary="List webhook configs (no secrets)")
    def list_webhooks(
        self, principal: Caller, webhooks: NamedDependency[Webhooks]
    ) -> Page[WebhookView]:
        return Page([webhook_view(e) for e in webhooks.endpoints(principal.tenant)], None)

    @get("/{webhook_id:str}", access=Access.SECRET, summary="Get a webhook config")
    def get_webhook(
        self, principal: Caller, webhooks: NamedDependency[Webhooks], webhook_id: FromPath[str]
    ) -> WebhookView:
        return webhook_view(webhooks.get(principal.tenant, webhook_id))

    @put(
        "/{webhook_id:str}",
        access=Access.SECRET,
        body=UpdateWebhookRequest,
        errors=("conflict",),
        summary="Update a webhook config (url, events, description; status when sent)",
    )
    def update(
        self,
        principal: Caller,
        webhooks: NamedDependency[Webhooks],
        webhook_id: FromPath[str],
        data: JSONBody[UpdateWebhookRequest],
    ) -> WebhookView:
        endpoint = webhooks.update(
            principal.tenant,
            webhook_id,
            data.url,
            list(data.events),
            data.description,
            data.status,
        )
        return webhook_view(endpoint)

    @delete(
        "/{webhook_id:str}",
        access=Access.SECRET,
        errors=("conflict",),
        status_code=200,
        summary="Delete a webhook config (pending deliveries to it are abandoned)",
    )
    def delete_webhook(
        self, principal: Caller, webhooks: NamedDependency[Webhooks], webhook_id: FromPath[str]
    ) -> DeletedWebhookView:
        webhooks.delete(principal.tenant, webhook_id)
        return DeletedWebhookView(webhook_id, True)

    @post(
        "/{webhook_id:str}/rotate-secret",
        access=Access.SECRET,
        errors=("conflict",),
        status_code=200,
        summary="Rotate the signing secret (the previous one also signs for 24 h)",
    )
    def rotate_secret(
        self, principal: Caller, webhooks: NamedDependency[Webhooks], webhook_id: FromPath[str]
    ) -> RotatedSecretView:
        issued = webhooks.rotate_secret(principal.tenant, webhook_id)
        return RotatedSecretView(
            **_fields(issued.endpoint),
            secret=issued.secret,
            previous_secret_expires_at=issued.previous_secret_expires_at,
        )

    @post(
        "/{webhook_id:str}/test",
        access=Access.SECRET,
        body=TestWebhookRequest,
        status_code=202,
        summary="Send a test delivery (webhook.test, or an example of the event named)",
    )
    def send_test(
        self,
        principal: Caller,
        webhooks: NamedDependency[Webhooks],
        webhook_id: FromPath[str],
        data: JSONBody[TestWebhookRequest | None] = None,
    ) -> AcceptedDeliveryView:
        delivery = webhooks.send_test(principal.tenant, webhook_id, data.event if data else None)
        return accepted_delivery(delivery)

    @get(
        "/{webhook_id:str}/deliveries",
        access=Access.SECRET,
        errors=("bad_request",),
        summary="List a webhook's deliveries, newest first (filters: status, event; cursor)",
    )
    def deliveries(
        self,
        paging: NamedDependency[Paging],
        webhooks: NamedDependency[Webhooks],
        webhook_id: FromPath[str],
        status: FromQuery[DeliveryStatus | None] = None,
        event: FromQuery[str | None] = None,
    ) -> Page[DeliveryRowView]:
        endpoint = webhooks.get(paging.tenant, webhook_id)
        return DELIVERY_LIST.page_of(paging, endpoint.id, status=status, event=event)

    @get(
        "/{webhook_id:str}/deliveries/{delivery_id:str}",
        access=Access.SECRET,
        summary="Get a delivery: its payload and every attempt",
    )
    def get_delivery(
        self,
        principal: Caller,
        webhooks: NamedDependency[Webhooks],
        webhook_id: FromPath[str],
        delivery_id: FromPath[str],
    ) -> DeliveryView:
        return delivery_view(webhooks.delivery(principal.tenant, webhook_id, delivery_id))

    @post(
        "/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver",
        access=Access.SECRET,
        errors=("conflict",),
        status_code=202,
        summary="Redeliver a finished delivery once more (same id and body)",
    )
    def redeliver(
        self,
        principal: Caller,
        webhooks: NamedDependency[Webhooks],
        webhook_id: FromPath[str],
        delivery_id: FromPath[str],
    ) -> AcceptedDeliveryView:
        delivery = webhooks.redeliver(principal.tenant, webhook_id, delivery_id, principal.actor)
        return accepted_delivery(delivery)


# Health ------------------------------------------------------------------------------------


class Period(msgspec.Struct):
    days: int
    from_: str = msgspec.field(name="from")
    to: str


class DeliveryCounts(msgspec.Struct, kw_only=True):
    succeeded: int
    failed: int
    pending: int


class AttemptCounts(msgspec.Struct, kw_only=True):
    total: int
    succeeded: int
    failed: int


class EndpointHealthView(msgspec.Struct, kw_only=True):
    id: str
    url: str
    status: str
    disabled_reason: str | None
    attempts: int
    attempts_succeeded: int
    attempts_failed: int
    deliveries_succeeded: int
    deliveries_failed: int
    success_rate: float | None
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_status_code: int | None
    failing: bool


class WebhookHealthView(msgspec.Struct, kw_only=True):
    period: Period
    deliveries: DeliveryCounts
    attempts: AttemptCounts
    success_rate: float | None
    attempt_success_rate: float | None
    endpoints: list[EndpointHealthView]
    failing_endpoints: list[str]


class WebhookAnalyticsController(Controller):
    path = "/analytics/webhooks"
    tags = ["analytics", "webhooks"]

    @get(
        access=Access.SECRET,
        summary="Get webhook delivery health",
        description=(
            "Over the last `days` UTC days (today included): attempts and finished deliveries "
            "with their success rates, per endpoint and in all, the deliveries pending now, and "
            "the failing endpoints (disabled, or whose latest attempt failed)."
        ),
    )
    def health(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        webhooks: NamedDependency[Webhooks],
        views: NamedDependency[ViewStore],
        days: Annotated[int, QueryParameter(ge=1, le=MAX_ANALYTICS_DAYS)] = 7,
    ) -> WebhookHealthView:
        read_your_writes(request, WebhookDeliveriesView.name)
        tenant = principal.tenant
        endpoints = webhooks.endpoints(tenant)
        today = datetime.now(UTC).date()
        first_day = today - timedelta(days=days - 1)
        scope = {"customer_id": tenant.customer_id.hex, "mode": tenant.mode}
        daily = views.rows(HEALTH.name, {**scope, "day": (">=", first_day.isoformat())})
        current = {r["endpoint_id"]: r for r in views.rows(ENDPOINT_HEALTH.name, scope)}
        pending = views.count(DELIVERIES.name, {**scope, "status": "pending"})
        per_endpoint = [
            _endpoint_health(e, [r for r in daily if r["endpoint_id"] == e.id.hex], current)
            for e in endpoints
        ]
        totals = _counts(daily)
        return WebhookHealthView(
            period=Period(days, first_day.isoformat(), today.isoformat()),
            deliveries=DeliveryCounts(
                succeeded=totals["deliveries_succeeded"],
                failed=totals["deliveries_failed"],
                pending=pending,
            ),
            attempts=AttemptCounts(
                total=totals["attempts"],
                succeeded=totals["attempts_succeeded"],
                failed=totals["attempts_failed"],
            ),
            success_rate=_rate(totals["deliveries_succeeded"], totals["deliveries_failed"]),
            attempt_success_rate=_rate(totals["attempts_succeeded"], totals["attempts_failed"]),
            endpoints=per_endpoint,
            failing_endpoints=[e.id for e in per_endpoint if e.failing],
        )


_COUNTERS = (
    "attempts",
    "attempts_succeeded",
    "attempts_failed",
    "deliveries_succeeded",
    "deliveries_failed",
)


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(row[name] or 0 for row in rows) for name in _COUNTERS}


def _rate(succeeded: int, failed: int) -> float | None:
    finished = succeeded + failed
    return round(succeeded / finished, 4) if finished else None


def _endpoint_health(
    endpoint: WebhookEndpoint, daily: list[dict[str, Any]], current: dict[str, dict[str, Any]]
) -> EndpointHealthView:
    counts = _counts(daily)
    now = current.get(endpoint.id.hex, {})
    streak = now.get("consecutive_failures") or 0
    return EndpointHealthView(
        id=endpoint.public_id,
        url=endpoint.url,
        status=endpoint.status,
        disabled_reason=endpoint.disabled_reason,
        **counts,
        success_rate=_rate(counts["deliveries_succeeded"], counts["deliveries_failed"]),
        consecutive_failures=streak,
        last_success_at=_moment(now.get("last_success_at")),
        last_failure_at=_moment(now.get("last_failure_at")),
        last_status_code=now.get("last_status_code"),
        failing=endpoint.status == "disabled" or streak > 0,
    )
