"""Reading a payment provider's event (Stripe's shapes) into what billing acts on.

Pure functions over the event's JSON, so they are tested without the provider. Stripe moved
fields between API versions (an invoice's subscription is ``subscription`` in older ones,
``parent.subscription_details.subscription`` in newer), so each reader looks in every place
a version we may receive puts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from domain.shared.errors import DomainError

CHECKOUT_COMPLETED: Final = "checkout.session.completed"
SUBSCRIPTION_DELETED: Final = "customer.subscription.deleted"
INVOICE_PAID: Final = "invoice.payment_succeeded"
HANDLED: Final = (CHECKOUT_COMPLETED, SUBSCRIPTION_DELETED, INVOICE_PAID)
"""The event types that change anything; every other type is acknowledged and ignored."""

CUSTOMER_METADATA: Final = "hatched_customer_id"
"""The metadata key checkout puts our customer id under, on the session and the
subscription (so invoices and subscription events carry it too)."""
PLAN_METADATA: Final = "hatched_plan"


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    object: Mapping[str, Any]


def read_event(document: Mapping[str, Any]) -> ProviderEvent:
    """``bad_request`` for a signed body that is not an event (no id, type or object)."""
    event_id, kind = document.get("id"), document.get("type")
    data = document.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(event_id, str) or not event_id or not isinstance(kind, str):
        raise DomainError("bad_request", "the webhook body is not an event (no id or type)")
    if not isinstance(obj, Mapping):
        raise DomainError("bad_request", "the webhook event has no data.object")
    return ProviderEvent(event_id[:255], kind[:255], obj)


def _get(obj: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(name)
    return obj


def _id(value: Any) -> str | None:
    """A reference: a plain id, or an expanded object's ``id``."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _metadata(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    places = (
        ("metadata",),
        ("subscription_details", "metadata"),
        ("parent", "subscription_details", "metadata"),
        ("subscription", "metadata"),
    )
    return [found for path in places if isinstance(found := _get(obj, *path), Mapping)]


def customer_reference(obj: Mapping[str, Any]) -> str | None:
    """Our public customer id, as checkout left it on the object."""
    for metadata in _metadata(obj):
        if isinstance(found := metadata.get(CUSTOMER_METADATA), str) and found:
            return found
    return _id(obj.get("client_reference_id"))


def metadata_plan(obj: Mapping[str, Any]) -> str | None:
    for metadata in _metadata(obj):
        if isinstance(found := metadata.get(PLAN_METADATA), str) and found:
            return found
    return None


def provider_customer(obj: Mapping[str, Any]) -> str | None:
    return _id(obj.get("customer"))


def subscription_of(obj: Mapping[str, Any]) -> str | None:
    """A checkout session's or an invoice's subscription; a subscription's own id."""
    if obj.get("object") == "subscription":
        return _id(obj.get("id"))
    return _id(obj.get("subscription")) or _id(
        _get(obj, "parent", "subscription_details", "subscription")
    )


def _first_line(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    lines = _get(obj, "lines", "data")
    if isinstance(lines, list) and lines and isinstance(lines[0], Mapping):
        return lines[0]
    return {}


def invoice_price(obj: Mapping[str, Any]) -> str | None:
    line = _first_line(obj)
    return (
        _id(line.get("price"))
        or _id(_get(line, "pricing", "price_details", "price"))
        or _id(line.get("plan"))
    )


def _instant(value: Any) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**37:
        return datetime.fromtimestamp(value, UTC)
    return None


def invoice_period(obj: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """The service period paid for: the subscription line's, else the invoice's own."""
    line = _first_line(obj)
    start = _instant(_get(line, "period", "start")) or _instant(obj.get("period_start"))
    end = _instant(_get(line, "period", "end")) or _instant(obj.get("period_end"))
    return (start, end) if start is not None and end is not None else None


def amount(obj: Mapping[str, Any]) -> tuple[int, str]:
    paid = obj.get("amount_paid")
    currency = obj.get("currency")
    return (
        paid if isinstance(paid, int) and not isinstance(paid, bool) else 0,
        currency if isinstance(currency, str) else "",
    )
