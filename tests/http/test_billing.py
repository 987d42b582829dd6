"""Billing over HTTP (decision 0049): without Stripe keys the Stripe-backed routes are 503 and
the rest works; with them, checkout and the portal go to Stripe (a local fake its library is
pointed at), webhooks are verified with Stripe's signature scheme (signed here with the
library's own helper), processed once per Stripe event id, and drive the plan."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe
from litestar.testing import TestClient

from domain.accounts.customer import Customer
from domain.billing.billing_account import BillingAccount
from domain.billing.payment_event import PaymentEvent
from domain.shared.ids import parse_public_id
from infrastructure.shared.settings import Settings
from interfaces.container import Container
from tests.conftest import Account, register_account
from tests.http.peers import app_client
from tests.receiver import Received, Receiver

BILLING = "/api/v1/billing"
WEBHOOK_SECRET = "whsec_test_" + "a" * 24
PRICES = (("growth", "price_growth_monthly"), ("pro", "price_pro_monthly"))


def customer_uuid(account: Account) -> uuid.UUID:
    return parse_public_id("customer", account.customer_id)


def dashboard(account: Account) -> dict[str, str]:
    return account.headers(account.token)


def plan_changes(container: Container, account: Account) -> list[Customer.PlanChanged]:
    return [
        e
        for e in container.store.events.get(customer_uuid(account))
        if isinstance(e, Customer.PlanChanged)
    ]


def plan_of(client: TestClient, account: Account) -> str:  # type: ignore[type-arg]
    status = client.get(f"{BILLING}/status", headers=account.headers())
    assert status.status_code == 200, status.text
    return str(status.json()["plan"])


# -- without Stripe keys -----------------------------------------------------------------


def test_without_stripe_keys_the_stripe_backed_routes_are_503_and_the_rest_works(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
) -> None:
    for path, body in (("checkout", {"plan": "growth"}), ("portal", {})):
        refused = client.post(f"{BILLING}/{path}", json=body, headers=dashboard(account))
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "billing_not_configured"
    payload = json.dumps(event("checkout.session.completed", {}))
    hook = client.post(
        f"{BILLING}/webhook",
        content=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
    )
    assert hook.status_code == 503 and hook.json()["error"]["code"] == "billing_not_configured"

    status = client.get(f"{BILLING}/status", headers=account.headers())
    assert status.status_code == 200
    assert status.json() == {
        "plan": "starter",
        "event_quota": 10_000,
        "billing_configured": False,
        "provider_customer_id": None,
        "subscription": None,
        "last_invoice": None,
        "plans": ["starter", "growth", "pro", "enterprise"],
    }
    assert status.headers["x-event-quota-limit"] == "10000"
    assert client.get("/api/v1/customers/me", headers=account.headers()).status_code == 200


def test_override_plan_changes_the_plan_with_its_cause_and_the_quota_follows(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
    other_account: Account,
) -> None:
    changed = client.post(
        f"{BILLING}/override-plan",
        json={"plan": "growth", "reason": "pilot"},
        headers=dashboard(account),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"plan": "growth", "event_quota": 500_000}
    me = client.get("/api/v1/customers/me", headers=account.headers())
    assert me.json()["plan"] == "growth"
    assert me.headers["x-event-quota-limit"] == "500000"
    [change] = plan_changes(container, account)
    assert change.cause == {
        "by": "dashboard",
        "route": "POST /billing/override-plan",
        "reason": "pilot",
    }
    contract = client.post(
        f"{BILLING}/override-plan",
        json={"plan": "enterprise", "event_quota": 123},
        headers=dashboard(account),
    )
    assert contract.json() == {"plan": "enterprise", "event_quota": 123}
    assert plan_of(client, other_account) == "starter"  # another tenant's plan never moves
    assert plan_changes(container, other_account) == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"plan": "platinum"}, 400, "unknown_plan"),
        ({"plan": "Growth"}, 400, "unknown_plan"),
        ({"plan": ""}, 422, "validation_failed"),
        ({"plan": "growth", "event_quota": -1}, 422, "validation_failed"),
        ({"plan": "growth", "owner": "me"}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
    ],
)
def test_a_bad_override_is_refused_and_changes_nothing(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    refused = client.post(f"{BILLING}/override-plan", json=body, headers=dashboard(account))
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == code
    if code == "unknown_plan":
        assert refused.json()["error"]["details"]["plans"] == [
            "starter",
            "growth",
            "pro",
            "enterprise",
        ]
    assert plan_changes(container, account) == []
    assert plan_of(client, account) == "starter"


def test_billing_routes_take_only_their_credentials(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    for path in ("override-plan", "checkout", "portal"):
        body = {"plan": "pro"} if path != "portal" else {}
        with_key = client.post(f"{BILLING}/{path}", json=body, headers=account.headers())
        assert with_key.status_code == 403 and with_key.json()["error"]["code"] == "forbidden"
        anonymous = client.post(f"{BILLING}/{path}", json=body)
        assert anonymous.status_code == 401
        forged = client.post(
            f"{BILLING}/{path}", json=body, headers=account.headers("hatch_live_" + "x" * 40)
        )
        assert forged.status_code == 401
        assert forged.json()["error"]["details"]["reason"] == "invalid"
    assert client.get(f"{BILLING}/status").status_code == 401
    assert plan_changes(container, account) == []


# -- with Stripe ---------------------------------------------------------------------------


def fake_stripe(index: int, request: Received) -> tuple[int, dict[str, str], bytes]:
    """Stripe's API as far as billing calls it; a customer id ``cus_refused`` is refused."""
    form = parse_qs(request.body.decode())
    headers = {"Content-Type": "application/json"}
    if form.get("customer") == ["cus_refused"]:
        error = {"error": {"type": "invalid_request_error", "message": "No such customer"}}
        return 400, headers, json.dumps(error).encode()
    if request.path == "/v1/checkout/sessions":
        session = {"id": f"cs_test_{index}", "object": "checkout.session"}
        session["url"] = f"https://checkout.stripe.test/c/pay/cs_test_{index}"
        return 200, headers, json.dumps(session).encode()
    if request.path == "/v1/billing_portal/sessions":
        session = {"id": f"bps_{index}", "object": "billing_portal.session"}
        session["url"] = f"https://billing.stripe.test/p/session/bps_{index}"
        return 200, headers, json.dumps(session).encode()
    return 404, headers, b'{"error": {"type": "invalid_request_error", "message": "no route"}}'


@pytest.fixture
def stripe_api() -> Iterator[Receiver]:
    with Receiver(fake_stripe) as receiver:
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


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": kind,
        "api_version": "2025-09-30.clover",
        "created": int(time.time()),
        "data": {"object": obj},
    }


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def deliver(
    client: TestClient,  # type: ignore[type-arg]
    document: dict[str, Any],
    signature: str | None = None,
) -> Any:
    payload = json.dumps(document)
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = signature if signature is not None else sign(payload)
    return client.post(f"{BILLING}/webhook", content=payload, headers=headers)


def checkout_completed(account: Account, plan: str = "growth", **extra: Any) -> dict[str, Any]:
    metadata = {"hatched_customer_id": account.customer_id, "hatched_plan": plan}
    session = {
        "id": f"cs_{uuid.uuid4().hex[:12]}",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": account.customer_id,
        "customer": "cus_stripe_" + account.customer_id[-8:],
        "subscription": "sub_" + account.customer_id[-8:],
        "metadata": metadata,
        **extra,
    }
    return event("checkout.session.completed", session)


def subscription_deleted(account: Account, subscription: str | None = None) -> dict[str, Any]:
    obj = {
        "id": subscription or "sub_" + account.customer_id[-8:],
        "object": "subscription",
        "customer": "cus_stripe_" + account.customer_id[-8:],
        "status": "canceled",
        "metadata": {},
    }
    return event("customer.subscription.deleted", obj)


def invoice_paid(account: Account, price: str = "price_growth_monthly") -> dict[str, Any]:
    invoice = {
        "id": f"in_{uuid.uuid4().hex[:12]}",
        "object": "invoice",
        "customer": "cus_stripe_" + account.customer_id[-8:],
        "amount_paid": 14900,
        "currency": "usd",
        "billing_reason": "subscription_cycle",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": "sub_" + account.customer_id[-8:],
                "metadata": {},
            },
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": "il_1",
                    "period": {"start": 1_767_225_600, "end": 1_769_904_000},
                    "pricing": {"price_details": {"price": price, "product": "prod_1"}},
                }
            ],
        },
    }
    return event("invoice.payment_succeeded", invoice)


def test_checkout_asks_stripe_for_a_subscription_page_naming_the_customer(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
    stripe_api: Receiver,
) -> None:
    client, container = billed
    account = register_account(client)
    answer = client.post(
        f"{BILLING}/checkout",
        json={"plan": "pro", "success_url": "https://app.example.com/ok"},
        headers=dashboard(account),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"url": "https://checkout.stripe.test/c/pay/cs_test_0"}
    [sent] = stripe_api.received
    assert sent.path == "/v1/checkout/sessions"
    assert sent.headers["Authorization"] == "Bearer sk_test_" + "b" * 24
    form = parse_qs(sent.body.decode())
    assert form["mode"] == ["subscription"]
    assert form["line_items[0][price]"] == ["price_pro_monthly"]
    assert form["client_reference_id"] == [account.customer_id]
    assert form["customer_email"] == [account.email]
    assert form["subscription_data[metadata][hatched_customer_id]"] == [account.customer_id]
    assert form["success_url"] == ["https://app.example.com/ok"]
    assert form["cancel_url"] == [container.settings.upgrade_url]
    assert plan_of(client, account) == "starter"  # the plan changes when Stripe says it is paid


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"plan": "enterprise"}, "bad_request"),
        ({"plan": "starter"}, "bad_request"),
        ({"plan": "gold"}, "unknown_plan"),
    ],
)
def test_checkout_refuses_a_plan_it_does_not_sell(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
    stripe_api: Receiver,
    body: dict[str, Any],
    code: str,
) -> None:
    client, _ = billed
    account = register_account(client)
    refused = client.post(f"{BILLING}/checkout", json=body, headers=dashboard(account))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == code
    bad_url = client.post(
        f"{BILLING}/checkout",
        json={"plan": "growth", "success_url": "javascript:alert(1)"},
        headers=dashboard(account),
    )
    assert bad_url.status_code == 422
    assert stripe_api.received == []


def test_a_signed_checkout_changes_the_plan_once_and_a_replay_changes_nothing(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, container = billed
    account, other = register_account(client), register_account(client)
    completed = checkout_completed(account, "growth")
    first = deliver(client, completed)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "received": True,
        "event_id": completed["id"],
        "type": "checkout.session.completed",
        "outcome": "applied",
        "reason": None,
    }
    again = deliver(client, completed)  # Stripe retries; a new signature, the same event id
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    [change] = plan_changes(container, account)
    assert change.plan == "growth"
    assert change.cause == {
        "by": "stripe",
        "event_id": completed["id"],
        "event_type": "checkout.session.completed",
    }
    status = client.get(f"{BILLING}/status", headers=account.headers()).json()
    assert status["plan"] == "growth" and status["billing_configured"] is True
    assert status["subscription"] == {
        "subscription_id": "sub_" + account.customer_id[-8:],
        "status": "active",
        "plan": "growth",
    }
    assert status["provider_customer_id"] == "cus_stripe_" + account.customer_id[-8:]
    # another tenant sees nothing of it
    theirs = client.get(f"{BILLING}/status", headers=other.headers()).json()
    assert theirs["plan"] == "starter" and theirs["subscription"] is None
    # a second checkout while subscribed goes to the portal instead
    refused = client.post(f"{BILLING}/checkout", json={"plan": "pro"}, headers=dashboard(account))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "subscription_active"
    # and with Stripe configured, the customer cannot override its own plan
    override = client.post(
        f"{BILLING}/override-plan", json={"plan": "enterprise"}, headers=dashboard(account)
    )
    assert override.status_code == 403 and override.json()["error"]["code"] == "forbidden"
    assert plan_of(client, account) == "growth"


def test_the_same_webhook_delivered_ten_times_at_once_changes_the_plan_once(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, container = billed
    account = register_account(client)
    completed = checkout_completed(account, "pro")
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: deliver(client, completed), range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["applied"] + ["duplicate"] * 9
    assert [c.plan for c in plan_changes(container, account)] == ["pro"]
    account_id = BillingAccount.id_for(customer_uuid(account))
    started = [
        e
        for e in container.store.events.get(account_id)
        if isinstance(e, BillingAccount.SubscriptionStarted)
    ]
    assert len(started) == 1


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "changed body", "no header", "garbage header", "too old", "no v1"],
)
def test_a_bad_signature_is_400_and_changes_nothing(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
    tamper: str,
) -> None:
    client, container = billed
    account = register_account(client)
    completed = checkout_completed(account, "growth")
    payload = json.dumps(completed)
    signature: str | None = sign(payload)
    if tamper == "wrong secret":
        signature = sign(payload, "whsec_someone_else")
    elif tamper == "changed body":
        signature = sign(payload.replace("growth", "pro"))
    elif tamper == "garbage header":
        signature = "t=abc,v1=zz"
    elif tamper == "too old":
        signature = sign(payload, timestamp=int(time.time()) - 3600)
    elif tamper == "no v1":
        signature = sign(payload).replace("v1=", "v0=")
    headers = {"Content-Type": "application/json"}
    if tamper != "no header":
        assert signature is not None
        headers["Stripe-Signature"] = signature
    refused = client.post(f"{BILLING}/webhook", content=payload, headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "invalid_signature"
    assert plan_changes(container, account) == []
    assert container.store.find(PaymentEvent, PaymentEvent.id_for(completed["id"])) is None
    # the genuine delivery of the same event still applies afterwards
    assert deliver(client, completed).json()["outcome"] == "applied"


def test_a_cancelled_subscription_moves_the_customer_back_to_starter(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, container = billed
    account = register_account(client)
    assert deliver(client, checkout_completed(account, "growth")).json()["outcome"] == "applied"
    stale = deliver(client, subscription_deleted(account, "sub_an_older_one")).json()
    assert stale["outcome"] == "ignored"
    assert stale["reason"] == "not the customer's current subscription"
    assert plan_of(client, account) == "growth"

    ended = deliver(client, subscription_deleted(account))
    assert ended.json()["outcome"] == "applied", ended.text
    assert [c.plan for c in plan_changes(container, account)] == ["growth", "starter"]
    status = client.get(f"{BILLING}/status", headers=account.headers()).json()
    assert status["plan"] == "starter" and status["subscription"]["status"] == "canceled"
    # after a cancellation a new checkout is allowed again
    again = client.post(f"{BILLING}/checkout", json={"plan": "pro"}, headers=dashboard(account))
    assert again.status_code == 200, again.text


def paid_credits(client: TestClient, account: Account) -> int:  # type: ignore[type-arg]
    balance = client.get("/api/v1/credits/balance", headers=account.headers())
    assert balance.status_code == 200, balance.text
    return int(balance.json()["paid"])


def test_a_paid_invoice_grants_the_plans_monthly_credits_once(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, container = billed
    account = register_account(client)
    deliver(client, checkout_completed(account, "growth"))
    assert paid_credits(client, account) == 0
    paid = invoice_paid(account)
    answer = deliver(client, paid)
    assert answer.json()["outcome"] == "applied", answer.text
    assert paid_credits(client, account) == 50
    assert deliver(client, paid).json()["outcome"] == "duplicate"
    assert paid_credits(client, account) == 50
    [recorded] = [
        e
        for e in container.store.events.get(BillingAccount.id_for(customer_uuid(account)))
        if isinstance(e, BillingAccount.InvoicePaid)
    ]
    assert recorded.customer_id == customer_uuid(account)
    assert (recorded.plan, recorded.pool, recorded.credits) == ("growth", "paid", 50)
    assert recorded.invoice_id == paid["data"]["object"]["id"]
    assert recorded.provider_event_id == paid["id"]
    assert recorded.period_start.isoformat() == "2026-01-01T00:00:00+00:00"
    assert recorded.period_end.isoformat() == "2026-02-01T00:00:00+00:00"
    last = client.get(f"{BILLING}/status", headers=account.headers()).json()["last_invoice"]
    assert last["plan"] == "growth" and last["credits"] == 50 and last["amount_paid"] == 14900
    assert plan_of(client, account) == "growth"  # an invoice never changes the plan

    # the same invoice under another event id is recorded once
    twin = {**paid, "id": f"evt_{uuid.uuid4().hex}"}
    assert deliver(client, twin).json()["outcome"] == "ignored"
    assert paid_credits(client, account) == 50


def test_an_invoice_before_its_checkout_is_placed_by_the_subscriptions_metadata(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    """Stripe does not order its events: the first invoice often comes before the checkout."""
    client, _ = billed
    account = register_account(client)
    paid = invoice_paid(account, "price_pro_monthly")
    details = paid["data"]["object"]["parent"]["subscription_details"]
    details["metadata"] = {"hatched_customer_id": account.customer_id, "hatched_plan": "pro"}
    assert deliver(client, paid).json()["outcome"] == "applied"
    last = client.get(f"{BILLING}/status", headers=account.headers()).json()["last_invoice"]
    assert (last["plan"], last["credits"]) == ("pro", 250)
    assert deliver(client, checkout_completed(account, "pro")).json()["outcome"] == "applied"
    assert plan_of(client, account) == "pro"


def test_events_of_no_customer_of_ours_and_other_types_are_acknowledged_and_ignored(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, container = billed
    account = register_account(client)
    stranger = checkout_completed(account)
    stranger["data"]["object"]["client_reference_id"] = "cus_" + "0" * 32
    stranger["data"]["object"]["metadata"] = {"hatched_plan": "growth"}
    answer = deliver(client, stranger).json()
    assert answer["outcome"] == "ignored" and answer["reason"] == "no customer of ours is named"
    other_type = deliver(client, event("charge.refunded", {"id": "ch_1"})).json()
    assert other_type["outcome"] == "ignored"
    not_an_event = deliver(client, {"hello": "world"})
    assert not_an_event.status_code == 400
    assert not_an_event.json()["error"]["code"] == "bad_request"
    unknown_plan = deliver(client, checkout_completed(account, "platinum")).json()
    assert unknown_plan["outcome"] == "ignored"
    assert plan_changes(container, account) == []


def test_the_portal_needs_a_stripe_customer_and_opens_it(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
    stripe_api: Receiver,
) -> None:
    client, _ = billed
    account = register_account(client)
    early = client.post(f"{BILLING}/portal", json={}, headers=dashboard(account))
    assert early.status_code == 409 and early.json()["error"]["code"] == "no_billing_customer"
    deliver(client, checkout_completed(account))
    opened = client.post(
        f"{BILLING}/portal",
        json={"return_url": "https://app.example.com/billing"},
        headers=dashboard(account),
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["url"].startswith("https://billing.stripe.test/p/session/")
    form = parse_qs(stripe_api.received[-1].body.decode())
    assert form["customer"] == ["cus_stripe_" + account.customer_id[-8:]]
    assert form["return_url"] == ["https://app.example.com/billing"]


def test_a_stripe_refusal_is_502_and_changes_nothing(
    billed: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, _ = billed
    account = register_account(client)
    completed = checkout_completed(account)
    completed["data"]["object"]["customer"] = "cus_refused"
    deliver(client, completed)
    deliver(client, subscription_deleted(account, completed["data"]["object"]["subscription"]))
    refused = client.post(f"{BILLING}/portal", json={}, headers=dashboard(account))
    assert refused.status_code == 502, refused.text
    error = refused.json()["error"]
    assert error["code"] == "billing_provider_error" and "No such customer" in error["message"]
