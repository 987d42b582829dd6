"""The operator's side of a customer's money: credits seen and adjusted (a grant, or a
claw-back that never takes a pool below zero), every act audited (decision 0053)."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar.testing import TestClient

from interfaces.container import Container
from tests.conftest import Account
from tests.http.admin_flow import Admin, audit, make_admin


def url(account: Account, tail: str = "") -> str:
    return f"/api/v1/admin/customers/{account.customer_id}{tail}"


def adjust(client: TestClient, admin: Admin, account: Account, **body: Any) -> Any:  # type: ignore[type-arg]
    return client.post(url(account, "/credits/adjust"), json=body, headers=admin.headers)


def pools(client: TestClient, account: Account) -> dict[str, int]:  # type: ignore[type-arg]
    balance = client.get("/api/v1/credits/balance", headers=account.headers())
    assert balance.status_code == 200, balance.text
    return {k: balance.json()[k] for k in ("promo", "welcome", "paid")}


def test_support_reads_the_credits_but_cannot_adjust_them(
    client: TestClient, container: Container, account: Account
) -> None:
    support = make_admin(client, container, "support")
    seen = client.get(url(account, "/credits"), headers=support.headers)
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["balance"]["welcome"] == 20 and body["held"] == 0
    assert [(e["kind"], e["pool"], e["amount"]) for e in body["ledger"]] == [
        ("grant", "welcome", 20)
    ]
    for amount in (5, -5):
        refused = adjust(client, support, account, amount=amount, reason="goodwill")
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["details"]["required_role"] == "operator"
    assert pools(client, account) == {"promo": 0, "welcome": 20, "paid": 0}
    entries = audit(client, support, action="customer.credits.adjust")
    assert [(e["outcome"], e["error_code"]) for e in entries] == [("refused", "forbidden")] * 2


def test_a_grant_and_claw_backs_move_the_pools_and_are_audited_exactly(
    client: TestClient, container: Container, account: Account, other_account: Account
) -> None:
    admin = make_admin(client, container, "operator")
    granted = adjust(client, admin, account, amount=30, reason="outage compensation")
    assert granted.status_code == 200, granted.text
    assert granted.json()["pools"] == {"paid": 30}
    assert granted.json()["balance"]["total_spendable"] == 50
    promo = adjust(client, admin, account, amount=4, reason="promo", pool="promo")
    assert promo.json()["pools"] == {"promo": 4}
    # a claw-back follows the spend order unless told: promo first, then welcome
    back = adjust(client, admin, account, amount=-10, reason="double grant")
    assert back.status_code == 200, back.text
    assert back.json()["pools"] == {"promo": -4, "welcome": -6}
    ordered = adjust(client, admin, account, amount=-35, reason="x", pools=["paid", "welcome"])
    assert ordered.json()["pools"] == {"paid": -30, "welcome": -5}
    named = adjust(client, admin, account, amount=-2, reason="named", pool="welcome")
    assert named.json()["pools"] == {"welcome": -2}
    assert pools(client, account) == {"promo": 0, "welcome": 7, "paid": 0}
    detail = client.get(url(account), headers=admin.headers).json()
    assert detail["balances"]["credits"]["welcome"] == 7
    assert detail["balances"]["credits"]["total_spendable"] == 7
    assert pools(client, other_account) == {"promo": 0, "welcome": 20, "paid": 0}

    ledger = client.get(url(account, "/credits"), headers=admin.headers).json()["ledger"]
    assert [(e["kind"], e["pool"], e["amount"]) for e in ledger[:3]] == [
        ("debit", "welcome", 2),
        ("debit", "welcome", 5),
        ("debit", "paid", 30),
    ]
    assert "reason=named" in ledger[0]["reason"] and "source=admin" in ledger[0]["reason"]
    mine = client.get("/api/v1/credits/ledger", headers=account.headers()).json()["data"]
    assert mine[0]["kind"] == "debit"  # the customer sees the claw-back in its own ledger

    entries = list(reversed(audit(client, admin, action="customer.credits.adjust")))
    assert len(entries) == 5 and {e["outcome"] for e in entries} == {"succeeded"}
    first = entries[0]
    assert first["before"] == {"promo": 0, "welcome": 20, "paid": 0}
    assert first["after"] == {
        "promo": 0,
        "welcome": 20,
        "paid": 30,
        "amount": 30,
        "reason": "outage compensation",
    }
    assert first["actor_id"] == admin.id and first["target_id"] == account.customer_id
    for earlier, later in itertools.pairwise(entries):
        assert {k: later["before"][k] for k in ("promo", "welcome", "paid")} == {
            k: earlier["after"][k] for k in ("promo", "welcome", "paid")
        }


def test_bad_adjustments_are_refused_and_change_nothing(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container, "operator")
    for body in (
        {"amount": 5},  # the reason is required
        {"amount": 5, "reason": ""},
        {"amount": 0, "reason": "nothing"},
        {"amount": "5", "reason": "text"},
        {"amount": 10**10, "reason": "too much"},
        {"amount": 5, "reason": "x", "pool": "gold"},
        {"amount": 5, "reason": "x", "pool": "paid", "pools": ["paid"]},
        {"amount": 5, "reason": "x", "pools": ["paid", "promo"]},
        {"amount": -5, "reason": "x", "pools": ["paid", "paid"]},
        {"amount": -5, "reason": "x", "pools": []},
        {"amount": 5, "reason": "x", "note": "unknown field"},
    ):
        response = client.post(url(account, "/credits/adjust"), json=body, headers=admin.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_failed"
    past_zero = adjust(client, admin, account, amount=-21, reason="too far")
    assert past_zero.status_code == 409, past_zero.text
    error = past_zero.json()["error"]
    assert error["code"] == "claw_back_exceeds_balance"
    assert error["details"]["requested"] == 21 and error["details"]["available"] == 20
    wrong_pool = adjust(client, admin, account, amount=-1, reason="none there", pool="paid")
    assert wrong_pool.status_code == 409
    assert pools(client, account) == {"promo": 0, "welcome": 20, "paid": 0}
    ledger = client.get(url(account, "/credits"), headers=admin.headers).json()["ledger"]
    assert [e["kind"] for e in ledger] == ["grant"]
    refused = audit(client, admin, action="customer.credits.adjust", outcome="refused")
    # a rule's refusal is an act (audited); a body that does not decode is not
    assert (
        sorted(e["error_code"] for e in refused)
        == ["claw_back_exceeds_balance"] * 2 + ["validation_failed"] * 3
    )
    for missing in ("cus_" + "0" * 32, "not-an-id", "key_" + "0" * 32):
        path = f"/api/v1/admin/customers/{missing}"
        assert client.get(path + "/credits", headers=admin.headers).status_code == 404
        assert (
            client.post(
                path + "/credits/adjust", json={"amount": 1, "reason": "x"}, headers=admin.headers
            ).status_code
            == 404
        )
    # credentials: a customer's own key or token does not open the admin routes
    for credential in (account.live_key, account.token):
        response = client.get(
            url(account, "/credits"), headers={"Authorization": f"Bearer {credential}"}
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"]["details"]["reason"] == "wrong_audience"


def test_twenty_parallel_adjustments_add_up_exactly_and_no_pool_goes_below_zero(
    client: TestClient, container: Container, account: Account
) -> None:
    admin = make_admin(client, container, "operator")
    barrier = threading.Barrier(20)

    def send(amount: int) -> int:
        barrier.wait()
        return int(adjust(client, admin, account, amount=amount, reason="race").status_code)

    # 10 grants of 3 and 10 claw-backs of 2, from 20 welcome credits: every one fits
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, [3, -2] * 10))
    assert answers == [200] * 20
    after = pools(client, account)
    assert sum(after.values()) == 20 + 30 - 20 and min(after.values()) >= 0

    # 20 claw-backs of 3 from 30 credits: exactly 10 succeed, the rest are refused whole
    barrier = threading.Barrier(20)
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, [-3] * 20))
    assert sorted(answers) == [200] * 10 + [409] * 10
    assert pools(client, account) == {"promo": 0, "welcome": 0, "paid": 0}
    entries = audit(client, admin, action="customer.credits.adjust", limit="100")
    assert len(entries) == 40
    assert sum(1 for e in entries if e["outcome"] == "succeeded") == 30
