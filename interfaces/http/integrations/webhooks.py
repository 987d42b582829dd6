"""``/webhook-configs``: endpoints, their deliveries, and ``/analytics/webhooks`` (health)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.integrations.webhook_payloads import EVENT_DESCRIPTIONS
from domain.integrations.webhook_delivery import WebhookDelivery
from domain.integrations.webhook_endpoint import WebhookEndpoint
from domain.shared.ids import public_id
from interfaces.http.auth import Caller, container_of
from interfaces.http.body import Model, StrictBody
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Page, page
from projections.integrations.webhook_deliveries import DELIVERIES, ENDPOINT_HEALTH, HEALTH

WebhookUrl = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
EventName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
EventNames = Annotated[list[EventName], msgspec.Meta(max_length=64)]
Description = Annotated[str, msgspec.Meta(max_length=500)]
MAX_ANALYTICS_DAYS = 90


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


class WebhookView(msgspec.Struct):
    id: str
    url: str
    events: list[str]
    description: str | None
    status: str
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class CreatedWebhookView(WebhookView):
    secret: str


class RotatedSecretView(WebhookView):
    secret: str
    previous_secret_expires_at: datetime | None


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


def delivery_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"whd_{row['delivery_id']}",
        "webhook_id": f"wh_{row['endpoint_id']}",
        "event": row["event"],
        "source": row["source"],
        "status": row["status"],
        "attempts": row["attempts"] or 0,
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "last_attempt_at": _moment(row["last_attempt_at"]),
        "next_attempt_at": _moment(row["next_attempt_at"]),
        "failure_reason": row["failure_reason"],
        "created_at": _moment(row["created_at"]),
        "updated_at": _moment(row["updated_at"]),
    }


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.public_id,
        "webhook_id": public_id("webhook", delivery.endpoint_id),
        "event": delivery.event_name,
        "source": "test" if delivery.source == "test" else "event",
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == "pending" else None,
        "failure_reason": delivery.failure_reason,
        "created_at": delivery.created_on,
        "updated_at": delivery.modified_on,
        "payload": delivery.payload,
        "attempt_log": [dict(entry) for entry in delivery.attempt_log],
    }


def accepted_delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "accepted": True,
        "delivery_id": delivery.public_id,
        "event": delivery.event_name,
        "status": delivery.status,
        "attempt": delivery.next_attempt,
    }


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class WebhookController(Controller):
    path = "/webhook-configs"
    tags = ["webhooks"]

    @get("/events", sync_to_thread=False, summary="List the event names a webhook can subscribe to")
    def events(self, principal: Caller) -> dict[str, Any]:
        return {
            "data": [
                {"name": name, "description": description}
                for name, description in EVENT_DESCRIPTIONS.items()
            ]
        }

    @post(
        "/",
        dto=StrictBody[CreateWebhookRequest],
        return_dto=None,
        sync_to_thread=True,
        summary="Create a webhook config (the signing secret is shown only here)",
    )
    def create(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        data: JSONBody[CreateWebhookRequest],
    ) -> Response[CreatedWebhookView]:
        issued = container_of(request).webhooks.register(
            principal.tenant, data.url, list(data.events), data.description
        )
        view = CreatedWebhookView(**_fields(issued.endpoint), secret=issued.secret)
        return Response(view, status_code=201)

    @get("/", sync_to_thread=True, summary="List webhook configs (no secrets)")
    def list_webhooks(self, request: Request[Any, Any, Any], principal: Caller) -> dict[str, Any]:
        endpoints = container_of(request).webhooks.endpoints(principal.tenant)
        return {"data": [webhook_view(e) for e in endpoints], "next_cursor": None}

    @get("/{webhook_id:str}", sync_to_thread=True, summary="Get a webhook config")
    def get_webhook(
        self, request: Request[Any, Any, Any], principal: Caller, webhook_id: FromPath[str]
    ) -> WebhookView:
        return webhook_view(container_of(request).webhooks.get(principal.tenant, webhook_id))

    @put(
        "/{webhook_id:str}",
        dto=StrictBody[UpdateWebhookRequest],
        return_dto=None,
        sync_to_thread=True,
        summary="Update a webhook config (url, events, description; status when sent)",
    )
    def update(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        webhook_id: FromPath[str],
        data: JSONBody[UpdateWebhookRequest],
    ) -> WebhookView:
        endpoint = container_of(request).webhooks.update(
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
        sync_to_thread=True,
        status_code=200,
        summary="Delete a webhook config (pending deliveries to it are abandoned)",
    )
    def delete_webhook(
        self, request: Request[Any, Any, Any], principal: Caller, webhook_id: FromPath[str]
    ) -> dict[str, Any]:
        container_of(request).webhooks.delete(principal.tenant, webhook_id)
        return {"id": webhook_id, "deleted": True}

    @post(
        "/{webhook_id:str}/rotate-secret",
        sync_to_thread=True,
        status_code=200,
        summary="Rotate the signing secret (the previous one also signs for 24 h)",
    )
    def rotate_secret(
        self, request: Request[Any, Any, Any], principal: Caller, webhook_id: FromPath[str]
    ) -> RotatedSecretView:
        issued = container_of(request).webhooks.rotate_secret(principal.tenant, webhook_id)
        return RotatedSecretView(
            **_fields(issued.endpoint),
            secret=issued.secret,
            previous_secret_expires_at=issued.previous_secret_expires_at,
        )

    @post(
        "/{webhook_id:str}/test",
        dto=StrictBody[TestWebhookRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=202,
        summary="Send a test delivery (webhook.test, or an example of the event named)",
    )
    def send_test(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        webhook_id: FromPath[str],
        data: JSONBody[TestWebhookRequest | None] = None,
    ) -> dict[str, Any]:
        delivery = container_of(request).webhooks.send_test(
            principal.tenant, webhook_id, data.event if data else None
        )
        return accepted_delivery(delivery)

    @get(
        "/{webhook_id:str}/deliveries",
        sync_to_thread=True,
        summary="List a webhook's deliveries, newest first (filters: status, event; cursor)",
    )
    def deliveries(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        webhook_id: FromPath[str],
        status: FromQuery[Literal["pending", "succeeded", "failed"] | None] = None,
        event: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Page[dict[str, Any]]:
        container = container_of(request)
        endpoint = container.webhooks.get(principal.tenant, webhook_id)
        read_your_writes(request, "webhook_deliveries")
        where = {"endpoint_id": endpoint.id.hex, "status": status, "event": event}
        order = [("created_at", True), ("delivery_id", True)]
        return page(
            container.views, DELIVERIES.name, where, order, cursor, limit, delivery_row_view
        )

    @get(
        "/{webhook_id:str}/deliveries/{delivery_id:str}",
        sync_to_thread=True,
        summary="Get a delivery: its payload and every attempt",
    )
    def get_delivery(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        webhook_id: FromPath[str],
        delivery_id: FromPath[str],
    ) -> dict[str, Any]:
        delivery = container_of(request).webhooks.delivery(
            principal.tenant, webhook_id, delivery_id
        )
        return delivery_view(delivery)

    @post(
        "/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver",
        sync_to_thread=True,
        status_code=202,
        summary="Redeliver a finished delivery once more (same id and body)",
    )
    def redeliver(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        webhook_id: FromPath[str],
        delivery_id: FromPath[str],
    ) -> dict[str, Any]:
        delivery = container_of(request).webhooks.redeliver(
            principal.tenant, webhook_id, delivery_id, principal.actor
        )
        return accepted_delivery(delivery)


class WebhookAnalyticsController(Controller):
    path = "/analytics/webhooks"
    tags = ["analytics", "webhooks"]

    @get(
        "/",
        sync_to_thread=True,
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
        days: Annotated[int, QueryParameter(ge=1, le=MAX_ANALYTICS_DAYS)] = 7,
    ) -> dict[str, Any]:
        container = container_of(request)
        tenant = principal.tenant
        endpoints = container.webhooks.endpoints(tenant)
        read_your_writes(request, "webhook_deliveries")
        today = datetime.now(UTC).date()
        first_day = today - timedelta(days=days - 1)
        scope = {"customer_id": tenant.customer_id.hex, "mode": tenant.mode}
        daily = container.views.rows(HEALTH.name, {**scope, "day": (">=", first_day.isoformat())})
        current = {r["endpoint_id"]: r for r in container.views.rows(ENDPOINT_HEALTH.name, scope)}
        pending = container.views.count(DELIVERIES.name, {**scope, "status": "pending"})
        per_endpoint = [
            _endpoint_health(e, [r for r in daily if r["endpoint_id"] == e.id.hex], current)
            for e in endpoints
        ]
        totals = _counts(daily)
        return {
            "period": {"days": days, "from": first_day.isoformat(), "to": today.isoformat()},
            "deliveries": {
                "succeeded": totals["deliveries_succeeded"],
                "failed": totals["deliveries_failed"],
                "pending": pending,
            },
            "attempts": {
                "total": totals["attempts"],
                "succeeded": totals["attempts_succeeded"],
                "failed": totals["attempts_failed"],
            },
            "success_rate": _rate(totals["deliveries_succeeded"], totals["deliveries_failed"]),
            "attempt_success_rate": _rate(totals["attempts_succeeded"], totals["attempts_failed"]),
            "endpoints": per_endpoint,
            "failing_endpoints": [e["id"] for e in per_endpoint if e["failing"]],
        }


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
) -> dict[str, Any]:
    counts = _counts(daily)
    now = current.get(endpoint.id.hex, {})
    streak = now.get("consecutive_failures") or 0
    return {
        "id": endpoint.public_id,
        "url": endpoint.url,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        **counts,
        "success_rate": _rate(counts["deliveries_succeeded"], counts["deliveries_failed"]),
        "consecutive_failures": streak,
        "last_success_at": _moment(now.get("last_success_at")),
        "last_failure_at": _moment(now.get("last_failure_at")),
        "last_status_code": now.get("last_status_code"),
        "failing": endpoint.status == "disabled" or streak > 0,
    }
