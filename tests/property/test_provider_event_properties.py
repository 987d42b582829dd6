"""Reading Stripe's events never fails on what a signed body may hold (decision 0049): the
readers are total over any JSON, answer only the types they promise, and find the customer
wherever a Stripe API version puts it."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.billing.provider_events import (
    amount,
    customer_reference,
    invoice_period,
    invoice_price,
    metadata_plan,
    provider_customer,
    read_event,
    subscription_of,
)
from domain.shared.errors import DomainError

KEYS = st.sampled_from(
    [
        "id",
        "object",
        "customer",
        "subscription",
        "metadata",
        "client_reference_id",
        "hatched_customer_id",
        "hatched_plan",
        "parent",
        "subscription_details",
        "lines",
        "data",
        "period",
        "start",
        "end",
        "price",
        "pricing",
        "price_details",
        "plan",
        "amount_paid",
        "currency",
        "period_start",
        "period_end",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=10,
)
OBJECTS = st.dictionaries(KEYS, JSON, max_size=6)


@settings(suppress_health_check=[HealthCheck.too_slow])  # a shared machine draws slowly
@given(OBJECTS)
def test_every_reader_is_total_and_typed(obj: dict[str, Any]) -> None:
    for reader in (customer_reference, metadata_plan, provider_customer, subscription_of):
        found = reader(obj)
        assert found is None or (isinstance(found, str) and found)
    price = invoice_price(obj)
    assert price is None or isinstance(price, str)
    period = invoice_period(obj)
    assert period is None or (period[0].tzinfo is not None and period[1].tzinfo is not None)
    paid, currency = amount(obj)
    assert isinstance(paid, int) and not isinstance(paid, bool) and isinstance(currency, str)


@given(st.dictionaries(st.sampled_from(["id", "type", "data", "object"]), JSON, max_size=4))
def test_a_body_is_an_event_or_a_bad_request(document: dict[str, Any]) -> None:
    try:
        event = read_event(document)
    except DomainError as refused:
        assert refused.code == "bad_request"
    else:
        assert event.id == document["id"] and isinstance(event.object, dict)


@given(
    st.text(min_size=1, max_size=12),
    st.sampled_from(
        [
            ("metadata",),
            ("subscription_details", "metadata"),
            ("parent", "subscription_details", "metadata"),
        ]
    ),
)
def test_the_customer_is_found_wherever_a_version_puts_it(
    reference: str, path: tuple[str, ...]
) -> None:
    obj: dict[str, Any] = {"hatched_customer_id": reference}
    for name in reversed(path):
        obj = {name: obj}
    assert customer_reference(obj) == reference
