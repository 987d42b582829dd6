"""The operator's side of a customer's Stripe billing: see it, cancel the subscription,
refund the latest charge (optionally clawing credits back), reconcile with Stripe — 503
without Stripe keys, against a local fake of Stripe's API otherwise; every act audited
(decision 0053)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from interfaces.container import Container
from tests.conftest import Account, register_account
from tests.http.admin_flow import audit, make_admin
from tests.http.peers import app_client
from tests.http.test_billing import (
    PRICES,
    WEBHOOK_SECRET,
    checkout_completed,
    deliver,
    plan_of,
    subscription_deleted,
)
from tests.receiver import Received, Receiver

ACTS = ("/billing/cancel-subscription", "/billing/refund", "/billing/sync")


def url(account: Account, tail: str = "") -> str:
    return f"/api/v1/admin/customers/{account.customer_id}{tail}"


def test_without_stripe_keys_the_acts_are_503_the_snapshot_answers_and_support_is_403(
    client: TestClient, container: Container, account: Account
) -> None:
    support = make_admin(client, container, "support")
    operator = make_admin(client, container, "operator")
    seen = client.get(url(account, "/billing"), headers=support.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["billing"]["billing_configured"] is False
    assert seen.json()["refunds"] == [] and seen.json()["billing"]["plan"] == "starter"
    body = {"reason": "customer asked"}
    for tail in ACTS:
        refused = client.post(url(account, tail), json=body, headers=support.headers)
        assert refused.status_code == 403, (tail, refused.text)
        unconfigured = client.post(url(account, tail), json=body, headers=operator.headers)
        assert unconfigured.status_code == 503, (tail, unconfigured.text)
        assert unconfigured.json()["error"]["code"] == "billing_not_configured"
    # a body is checked first, whatever the configuration: the reason is required
    missing = client.post(url(account, "/billing/refund"), json={}, headers=operator.headers)
    assert missing.status_code == 422
    entries = audit(client, operator, target=account.customer_id)
    assert sorted((e["action"], e["error_code"]) for e in entries) == sorted(
        [(f"customer.billing.{a}", "forbidden") for a in ("cancel_subscription", "refund", "sync")]
        + [
            (f"customer.billing.{a}", "billing_not_configured")
            for a in ("cancel_subscription", "refund", "sync")
        ]
    )
    for tail in ("/billing", *ACTS):
        gone = f"/api/v1/admin/customers/cus_{'0' * 32}{tail}"
        call = client.get if tail == "/billing" else client.post
        kwargs: dict[str, Any] = {} if tail == "/billing" else {"json": body}
        assert call(gone, headers=operator.headers, **kwargs).status_code == 404


class FakeStripe:
    """Stripe's API as the admin acts call it; ``subscription`` is what Stripe holds."""

    def __init__(self) -> None:
        self.subscription: dict[str, Any] | None = None
        self.refunds: dict[str, dict[str, Any]] = {}
        """Refunds by idempotency key: Stripe answers a repeated key with its first refund."""

    def __call__(self, index: int, request: Received) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json"}
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        form = parse_qs(request.body.decode())

        def answer(document: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
            return 200, headers, json.dumps(document).encode()

        def listing(items: list[dict[str, Any]]) -> tuple[int, dict[str, str], bytes]:
            return answer({"object": "list", "data": items, "has_more": False, "url": parts.path})

        if request.method == "DELETE" and parts.path.startswith("/v1/subscriptions/"):
            sub = parts.path.rsplit("/", 1)[1]
            return answer({"id": sub, "object": "subscription", "status": "canceled"})
        if request.method == "GET" and parts.path == "/v1/charges":
            if query.get("customer", [""])[0].endswith("nocharge"):
                return listing([])
            charge = {"id": "ch_latest", "object": "charge", "amount": 14900, "currency": "usd"}
            return listing([charge])
        if request.method == "POST" and parts.path == "/v1/refunds":
            key = request.headers.get("Idempotency-Key", f"none-{index}")
            if key not in self.refunds:
                amount = int(form.get("amount", ["14900"])[0])
                refund = {"id": f"re_{index}", "object": "refund", "amount": amount}
                refund |= {"currency": "usd", "status": "succeeded", "charge": form["charge"][0]}
                self.refunds[key] = refund
            return answer(self.refunds[key])
        if request.method == "GET" and parts.path == "/v1/subscriptions":
            return listing([self.subscription] if self.subscription else [])
        return 404, headers, b'{"error": {"type": "invalid_request_error", "message": "no"}}'


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def stripe_api(fake: FakeStripe) -> Iterator[Receiver]:
    with Receiver(fake) as receiver:
        yield receiver


@pytest.fixture
def billed(settings: Settings, stripe_api: Receiver) -> Iterator[tuple[TestClient, Container]]:  # type: ignore[type-arg]
    with app_client(
        settings,
        stripe_secret_key="sk_test_" + "b" * 24,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_prices=PRICES,
        stripe_api_base=f"http://127.0.0.1:{stripe_api.port}",
    ) as pair:
        yield pair


def test_cancel_ends_the_subscription_at_stripe_and_here_and_the_late_event_changes_nothing(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
    stripe_api: Receiver,
) -> None:
    client, container = billed
    admin = make_admin(client, container, "operator")
    account = register_account(client)
    none_yet = client.post(url(account, ACTS[0]), json={"reason": "x"}, headers=admin.headers)
    assert none_yet.status_code == 409 and none_yet.json()["error"]["code"] == "no_billing_customer"
    deliver(client, checkout_completed(account))
    assert plan_of(client, account) == "growth"
    cancelled = client.post(url(account, ACTS[0]), json={"reason": "churn"}, headers=admin.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["billing"]["subscription"]["status"] == "canceled"
    assert plan_of(client, account) == "starter"
    sent = stripe_api.received[-1]
    assert (sent.method, sent.path) == (
        "DELETE",
        "/v1/subscriptions/sub_" + account.customer_id[-8:],
    )
    twice = client.post(url(account, ACTS[0]), json={"reason": "again"}, headers=admin.headers)
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "invalid_state_transition"
    late = deliver(client, subscription_deleted(account)).json()
    assert late["outcome"] == "ignored" and plan_of(client, account) == "starter"
    entries = list(reversed(audit(client, admin, action="customer.billing.cancel_subscription")))
    assert [e["outcome"] for e in entries] == ["refused", "succeeded", "refused"]
    assert entries[1]["before"]["plan"] == "growth" and entries[1]["after"]["plan"] == "starter"


def test_a_refund_claws_credits_back_only_when_they_are_there(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
    stripe_api: Receiver,
) -> None:
    client, container = billed
    support = make_admin(client, container, "support")
    admin = make_admin(client, container, "operator")
    account = register_account(client)
    deliver(client, checkout_completed(account))
    refund = url(account, ACTS[1])
    assert client.post(refund, json={"reason": "x"}, headers=support.headers).status_code == 403
    calls = len(stripe_api.received)
    orphan_pools = client.post(
        refund, json={"reason": "x", "pools": ["paid"]}, headers=admin.headers
    )
    assert orphan_pools.status_code == 422, orphan_pools.text
    assert orphan_pools.json()["error"]["details"]["fields"][0]["field"] == "pools"
    assert len(stripe_api.received) == calls  # refused before any money moved
    too_much = client.post(
        refund, json={"reason": "x", "claw_back_credits": 21}, headers=admin.headers
    )
    assert too_much.status_code == 409, too_much.text
    assert too_much.json()["error"]["code"] == "claw_back_exceeds_balance"
    assert len(stripe_api.received) == calls  # no money moved
    done = client.post(
        refund,
        json={"reason": "double charge", "amount": 500, "claw_back_credits": 5},
        headers=admin.headers,
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["refund"]["amount"] == 500 and body["refund"]["charge_id"] == "ch_latest"
    assert body["credits_clawed_back"] == {"welcome": 5}
    sent = stripe_api.received[-1]
    assert sent.path == "/v1/refunds" and parse_qs(sent.body.decode())["amount"] == ["500"]
    assert sent.headers.get("Idempotency-Key", "").startswith("admin:refund:")
    credits = client.get(url(account, "/credits"), headers=admin.headers).json()
    assert credits["balance"]["welcome"] == 15 and credits["ledger"][0]["kind"] == "debit"
    seen = client.get(url(account, "/billing"), headers=support.headers).json()
    assert [r["refund_id"] for r in seen["refunds"]] == [body["refund"]["refund_id"]]
    entries = audit(client, admin, action="customer.billing.refund")
    assert [e["outcome"] for e in entries] == ["succeeded", "refused", "refused", "refused"]
    assert entries[0]["after"]["credits_clawed_back"] == {"welcome": 5}

    nothing = register_account(client)
    paid = checkout_completed(nothing)
    paid["data"]["object"]["customer"] = "cus_nocharge"
    deliver(client, paid)
    empty = client.post(url(nothing, ACTS[1]), json={"reason": "x"}, headers=admin.headers)
    assert empty.status_code == 409 and empty.json()["error"]["code"] == "nothing_to_refund"


def test_two_refunds_are_two_refunds_whatever_request_id_the_client_sends(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
    stripe_api: Receiver,
) -> None:
    """The key that makes a refund idempotent at Stripe is ours, one per act: a client
    reusing its X-Request-Id must not get the first refund back, recorded a second time."""
    client, container = billed
    admin = make_admin(client, container, "operator")
    account = register_account(client)
    deliver(client, checkout_completed(account))
    same = {**admin.headers, "X-Request-Id": "operator-retyped-this"}
    for _ in range(2):
        done = client.post(url(account, ACTS[1]), json={"reason": "x", "amount": 100}, headers=same)
        assert done.status_code == 200, done.text
    keys = [
        r.headers.get("Idempotency-Key") for r in stripe_api.received if r.path == "/v1/refunds"
    ]
    assert len(keys) == 2 and len(set(keys)) == 2
    seen = client.get(url(account, "/billing"), headers=admin.headers).json()
    recorded = [r["refund_id"] for r in seen["refunds"]]
    assert len(recorded) == 2 and len(set(recorded)) == 2


def test_sync_takes_stripes_subscription_as_the_truth(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
    fake: FakeStripe,
) -> None:
    client, container = billed
    admin = make_admin(client, container, "operator")
    account = register_account(client)
    deliver(client, checkout_completed(account))
    sub = "sub_" + account.customer_id[-8:]
    fake.subscription = {
        "id": sub,
        "object": "subscription",
        "status": "active",
        "metadata": {},
        "items": {
            "object": "list",
            "data": [{"id": "si_1", "price": {"id": "price_growth_monthly"}}],
        },
    }
    same = client.post(url(account, ACTS[2]), headers=admin.headers)
    assert same.status_code == 200, same.text
    assert same.json()["changed"] is False
    fake.subscription["items"]["data"][0]["price"]["id"] = "price_pro_monthly"  # changed at Stripe
    upgraded = client.post(url(account, ACTS[2]), headers=admin.headers).json()
    assert upgraded["changed"] is True and upgraded["provider_subscription"]["plan"] == "pro"
    assert plan_of(client, account) == "pro"
    fake.subscription["status"] = "canceled"  # the deletion's webhook was lost
    ended = client.post(url(account, ACTS[2]), headers=admin.headers).json()
    assert ended["changed"] is True and ended["billing"]["subscription"]["status"] == "canceled"
    assert plan_of(client, account) == "starter"
    entries = list(reversed(audit(client, admin, action="customer.billing.sync")))
    assert [(e["before"]["plan"], e["after"]["plan"]) for e in entries] == [
        ("growth", "growth"),
        ("growth", "pro"),
        ("pro", "starter"),
    ]
