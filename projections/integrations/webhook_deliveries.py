"""Webhook deliveries and their health: the delivery log, and counters for analytics.

* ``view_webhook_deliveries``: one row per delivery (status, attempts, last answer, when the
  next attempt is due), listed per endpoint and scanned by the sweeper for overdue ones.
* ``view_webhook_health``: per endpoint and UTC day, counts of attempts and of deliveries
  that ended, added up with increments, so analytics never scans the delivery log.
* ``view_webhook_endpoint_health``: per endpoint, the current streak of failed attempts and
  when it last succeeded and failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventsourcing.domain import DomainEvent

from domain.integrations.webhook_delivery import WebhookDelivery
from projections.shared.base import RowChange, Table, Upsert, iso

DELIVERIES = Table(
    name="view_webhook_deliveries",
    key=("delivery_id",),
    columns={
        "delivery_id": "text",
        "customer_id": "text",
        "mode": "text",
        "endpoint_id": "text",
        "event": "text",
        "source": "text",
        "status": "text",
        "attempts": "int",
        "last_status_code": "int",
        "last_error": "text",
        "last_attempt_at": "text",
        "next_attempt_at": "text",
        "failure_reason": "text",
        "created_at": "text",
        "updated_at": "text",
    },
    indexes=(("endpoint_id", "created_at"), ("status", "next_attempt_at")),
)

HEALTH = Table(
    name="view_webhook_health",
    key=("endpoint_id", "day"),
    columns={
        "endpoint_id": "text",
        "day": "text",
        "customer_id": "text",
        "mode": "text",
        "attempts": "int",
        "attempts_succeeded": "int",
        "attempts_failed": "int",
        "deliveries_succeeded": "int",
        "deliveries_failed": "int",
    },
    indexes=(("customer_id", "mode", "day"),),
)

ENDPOINT_HEALTH = Table(
    name="view_webhook_endpoint_health",
    key=("endpoint_id",),
    columns={
        "endpoint_id": "text",
        "customer_id": "text",
        "mode": "text",
        "consecutive_failures": "int",
        "last_success_at": "text",
        "last_failure_at": "text",
        "last_status_code": "int",
        "last_error": "text",
    },
    indexes=(("customer_id", "mode"),),
)


class WebhookDeliveriesView:
    name = "webhook_deliveries"
    tables: tuple[Table, ...] = (DELIVERIES, HEALTH, ENDPOINT_HEALTH)
    handles: tuple[type[DomainEvent], ...] = (
        WebhookDelivery.Scheduled,
        WebhookDelivery.AttemptRecorded,
        WebhookDelivery.RedeliveryRequested,
        WebhookDelivery.Abandoned,
    )

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        key = {"delivery_id": event.originator_id.hex}
        at = iso(event.timestamp)
        if isinstance(event, WebhookDelivery.Scheduled):
            yield Upsert(
                DELIVERIES.name,
                key,
                {
                    "customer_id": event.customer_id.hex,
                    "mode": event.mode,
                    "endpoint_id": event.endpoint_id.hex,
                    "event": event.event_name,
                    "source": "test" if event.source == "test" else "event",
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": at,
                    "created_at": at,
                    "updated_at": at,
                },
            )
        elif isinstance(event, WebhookDelivery.AttemptRecorded):
            yield from _attempt(event, key, at)
        elif isinstance(event, WebhookDelivery.RedeliveryRequested):
            yield Upsert(
                DELIVERIES.name,
                key,
                {
                    "status": "pending",
                    "next_attempt_at": at,
                    "failure_reason": None,
                    "updated_at": at,
                },
            )
        elif isinstance(event, WebhookDelivery.Abandoned):
            yield Upsert(
                DELIVERIES.name,
                key,
                {
                    "status": "failed",
                    "next_attempt_at": None,
                    "failure_reason": event.reason,
                    "updated_at": at,
                },
            )
            yield _daily(event, {"deliveries_failed": 1})


def _attempt(
    event: WebhookDelivery.AttemptRecorded, key: dict[str, Any], at: str
) -> Iterable[RowChange]:
    succeeded = event.status_after == "succeeded"
    yield Upsert(
        DELIVERIES.name,
        key,
        {
            "status": event.status_after,
            "attempts": event.number,
            "last_status_code": event.status_code,
            "last_error": event.error,
            "last_attempt_at": at,
            "next_attempt_at": iso(event.next_attempt_at) if event.next_attempt_at else None,
            "failure_reason": event.failure_reason,
            "updated_at": at,
        },
    )
    counts = {"attempts": 1, "attempts_succeeded" if succeeded else "attempts_failed": 1}
    if event.status_after != "pending":
        counts[f"deliveries_{event.status_after}"] = 1
    yield _daily(event, counts)
    endpoint = {"customer_id": event.customer_id.hex, "mode": event.mode}
    last = {"last_status_code": event.status_code, "last_error": event.error}
    if succeeded:
        values = {**endpoint, **last, "consecutive_failures": 0, "last_success_at": at}
        yield Upsert(ENDPOINT_HEALTH.name, {"endpoint_id": event.endpoint_id.hex}, values)
    else:
        yield Upsert(
            ENDPOINT_HEALTH.name,
            {"endpoint_id": event.endpoint_id.hex},
            {**endpoint, **last, "last_failure_at": at},
            increments={"consecutive_failures": 1},
        )


def _daily(
    event: WebhookDelivery.AttemptRecorded | WebhookDelivery.Abandoned, counts: dict[str, int]
) -> Upsert:
    return Upsert(
        HEALTH.name,
        {"endpoint_id": event.endpoint_id.hex, "day": iso(event.timestamp)[:10]},
        {"customer_id": event.customer_id.hex, "mode": event.mode},
        increments=counts,
    )
