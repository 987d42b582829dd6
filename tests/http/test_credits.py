"""Credits over HTTP: welcome credits, charges of image jobs, the 402 that changes nothing,
the headers, the ledger and image usage, tenant isolation, and 100 parallel jobs against 10
credits (decision 0048)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar.testing import TestClient

from domain.shared.ids import parse_public_id
from interfaces.container import Container
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, satisfy_next_stage, wait_for_operation
from tests.waiting import eventually

CREDIT_HEADERS = (
    "X-Credits-Remaining",
    "X-Credits-Promo-Remaining",
    "X-Credits-Welcome-Remaining",
    "X-Credits-Paid-Remaining",
)


def balance(client: TestClient, account: Account) -> dict[str, Any]:
    response = client.get("/api/v1/credits/balance", headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def ledger(client: TestClient, account: Account, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/credits/ledger", params=params, headers=account.headers())
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def credit_headers(response: Any) -> dict[str, int]:
    return {name: int(response.headers[name]) for name in CREDIT_HEADERS}


def ready_egg(client: TestClient, account: Account) -> str:
    user = f"user_{uuid.uuid4().hex[:8]}"
    egg = client.post("/api/v1/eggs", json={"user_id": user}, headers=account.headers()).json()
    ready = client.patch(
        f"/api/v1/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=account.headers()
    )
    assert ready.status_code == 200, ready.text
    return str(egg["egg_id"])


def customer_of(account: Account) -> uuid.UUID:
    return parse_public_id("customer", account.customer_id)


def spend_all(client: TestClient, account: Account) -> None:
    """Spend every credit on stage art (a job paid inside its request)."""
    left = balance(client, account)["total_spendable"]
    for _ in range(left):
        response = client.post(
            "/api/v1/stage-assets/2/regenerate", json={}, headers=account.headers()
        )
        assert response.status_code == 200, response.text
    assert balance(client, account)["total_spendable"] == 0


def test_a_new_account_has_twenty_welcome_credits_and_says_so_on_every_answer(
    client: TestClient, account: Account
) -> None:
    response = client.get("/api/v1/credits/balance", headers=account.headers())
    assert response.json() == {
        "promo": 0,
        "welcome": 20,
        "paid": 0,
        "promo_expires_at": None,
        "total_spendable": 20,
    }
    assert credit_headers(response) == {
        "X-Credits-Remaining": 20,
        "X-Credits-Promo-Remaining": 0,
        "X-Credits-Welcome-Remaining": 20,
        "X-Credits-Paid-Remaining": 0,
    }
    me = client.get("/api/v1/customers/me", headers={"Authorization": f"Bearer {account.token}"})
    assert credit_headers(me)["X-Credits-Remaining"] == 20
    [grant] = ledger(client, account)
    assert grant["kind"] == "grant" and grant["pool"] == "welcome" and grant["amount"] == 20


def test_a_hatch_is_authorised_then_committed_and_shows_in_the_ledger_and_usage(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    egg_id = ready_egg(client, account)
    hatch = client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=account.headers())
    assert hatch.status_code == 202, hatch.text
    assert credit_headers(hatch)["X-Credits-Welcome-Remaining"] == 19
    operation = wait_for_operation(client, account, hatch.json()["operation_id"])
    assert operation["status"] == "completed"
    assert balance(client, account)["welcome"] == 19
    rows = ledger(client, account)  # read after the view caught up with the log
    assert [r["kind"] for r in rows] == ["commit", "authorize", "grant"]
    assert {r["operation_id"] for r in rows[:2]} == {hatch.json()["operation_id"]}
    assert rows[0]["job"] == "hatch" and rows[0]["pool"] == "welcome"
    assert ledger(client, account, limit=1)[0]["kind"] == "commit"
    usage = client.get("/api/v1/image-usage", headers=account.headers()).json()
    assert usage["jobs"] == [{"job": "hatch", "jobs": 1, "credits": 1}]
    assert usage["total_credits"] == 1 and usage["prices"]["preset_evolve"] == 0
    report = client.get("/api/v1/image-usage/report", headers=account.headers()).json()
    assert report["total_jobs"] == 1 and len(report["days"]) == 1


def test_no_pool_covering_a_job_is_402_and_changes_nothing(
    client: TestClient, account: Account, container: Container
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    egg_id = ready_egg(client, account)
    spend_all(client, account)
    rows_before = ledger(client, account, limit=100)
    stages_before = client.get("/api/v1/stage-assets", headers=account.headers()).json()
    refusals = {
        "hatch": client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=account.headers()),
        "rerender": client.post(
            f"/api/v1/buddies/{buddy_id}/appearance/rerender", headers=account.headers()
        ),
        "stage": client.post(
            "/api/v1/stage-assets/3/regenerate", json={}, headers=account.headers()
        ),
    }
    for name, response in refusals.items():
        assert response.status_code == 402, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "credit_insufficient"
        details = error["details"]
        assert (details["required"], details["available"]) == (1, 0)
        assert (details["promo"], details["welcome"], details["paid"]) == (0, 0, 0)
        assert details["upgrade_url"] and "top_up" in details["top_up_url"]
        assert credit_headers(response)["X-Credits-Remaining"] == 0
    egg = client.get(f"/api/v1/eggs/{egg_id}", headers=account.headers()).json()
    assert egg["status"] == "ready"
    operations = client.get("/api/v1/operations", headers=account.headers()).json()["data"]
    assert len(operations) == 1, "a refused job left an operation behind"
    assert client.get("/api/v1/stage-assets", headers=account.headers()).json() == stages_before
    assert ledger(client, account, limit=100) == rows_before
    # credits arrive: the same hatch goes through, paid from the paid pool
    container.credits.grant(customer_of(account), "paid", 5, {"source": "test"})
    hatch = client.post(f"/api/v1/eggs/{egg_id}/hatch", headers=account.headers())
    assert hatch.status_code == 202, hatch.text
    assert credit_headers(hatch)["X-Credits-Paid-Remaining"] == 4


def test_another_tenant_never_sees_your_pools_and_publishable_keys_see_none(
    client: TestClient, account: Account, other_account: Account
) -> None:
    spend_all(client, account)
    assert balance(client, other_account)["total_spendable"] == 20
    assert [r["kind"] for r in ledger(client, other_account)] == ["grant"]
    assert len(ledger(client, account, limit=100)) == 1 + 2 * 20
    other_usage = client.get("/api/v1/image-usage", headers=other_account.headers()).json()
    assert other_usage["jobs"] == [] and other_usage["total_credits"] == 0
    # the test key of the same customer sees the same account (credits are the account's)
    assert (
        balance(client, Account(**{**account.__dict__, "live_key": account.test_key}))[
            "total_spendable"
        ]
        == 0
    )
    publishable = client.post(
        "/api/v1/auth/publishable-keys",
        json={},
        headers={"Authorization": f"Bearer {account.token}"},
    ).json()["key"]
    for path in ("/api/v1/credits/balance", "/api/v1/credits/ledger", "/api/v1/image-usage"):
        refused = client.get(path, headers={"Authorization": f"Bearer {publishable}"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "publishable_key_scope"
        assert "X-Credits-Remaining" not in refused.headers


def test_bad_report_ranges_and_cursors_are_refused(client: TestClient, account: Account) -> None:
    headers = account.headers()
    backwards = client.get(
        "/api/v1/image-usage/report",
        params={"from": "2026-05-02", "to": "2026-05-01"},
        headers=headers,
    )
    assert backwards.status_code == 400 and backwards.json()["error"]["code"] == "bad_request"
    too_long = client.get(
        "/api/v1/image-usage/report",
        params={"from": "2024-01-01", "to": "2026-01-01"},
        headers=headers,
    )
    assert too_long.status_code == 400
    month = client.get("/api/v1/image-usage", params={"month": "May"}, headers=headers)
    assert month.status_code == 400 and month.json()["error"]["details"]["field"] == "month"
    cursor = client.get("/api/v1/credits/ledger", params={"cursor": "nonsense"}, headers=headers)
    assert cursor.status_code == 400
    limit = client.get("/api/v1/credits/ledger", params={"limit": 0}, headers=headers)
    assert limit.status_code == 422


def test_a_hundred_parallel_jobs_against_ten_credits_authorise_exactly_ten(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    for _ in range(9):
        client.post("/api/v1/stage-assets/2/regenerate", json={}, headers=account.headers())
    assert balance(client, account)["total_spendable"] == 10

    def rerender(_: int) -> Any:
        return client.post(
            f"/api/v1/buddies/{buddy_id}/appearance/rerender", headers=account.headers()
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(rerender, range(100)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(202) == 10 and statuses.count(402) == 90, statuses
    seen = [credit_headers(a)["X-Credits-Remaining"] for a in answers]
    assert min(seen) >= 0
    for answer in answers:
        if answer.status_code == 202:
            done = wait_for_operation(client, account, answer.json()["operation_id"])
            assert done["status"] == "completed"
    assert balance(client, account) == {
        "promo": 0,
        "welcome": 0,
        "paid": 0,
        "promo_expires_at": None,
        "total_spendable": 0,
    }
    rows = ledger(client, account, limit=100)
    composites = [r for r in rows if r["job"] == "equip_composite"]
    assert sorted(r["kind"] for r in composites) == ["authorize"] * 10 + ["commit"] * 10


def test_a_dressed_buddy_evolving_without_credits_waits_and_is_drawn_when_credits_arrive(
    client: TestClient, account: Account, container: Container
) -> None:
    headers = account.headers()
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    client.post(
        f"/api/v1/buddies/{buddy_id}/coins", json={"amount": 500, "reason": "t"}, headers=headers
    )
    bought = client.post(
        f"/api/v1/buddies/{buddy_id}/items", json={"item_id": "quill"}, headers=headers
    )
    assert bought.status_code == 200, bought.text
    equip = client.patch(
        f"/api/v1/buddies/{buddy_id}/equipped-items", json={"item_ids": ["quill"]}, headers=headers
    )
    assert equip.status_code == 202, equip.text
    assert (
        wait_for_operation(client, account, equip.json()["operation_id"])["status"] == "completed"
    )
    spend_all(client, account)
    dressed = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()
    satisfy_next_stage(client, account, buddy_id)
    evolve = client.post(f"/api/v1/buddies/{buddy_id}/evolve", headers=headers)
    assert evolve.status_code == 202, evolve.text  # a preset evolve is free
    assert (
        wait_for_operation(client, account, evolve.json()["operation_id"])["status"] == "completed"
    )
    waiting = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()
    assert waiting["evolution_stage"] == 2, "a shortage of credits never reverts the stage"
    assert waiting["appearance"]["status"] == "awaiting_credits"
    assert waiting["image_url"] == dressed["image_url"]

    container.credits.grant(customer_of(account), "paid", 1, {"source": "test"})

    def drawn() -> dict[str, Any]:
        body = client.get(f"/api/v1/buddies/{buddy_id}", headers=headers).json()
        assert body["appearance"]["status"] == "ready", body["appearance"]
        return dict(body)

    ready = eventually(drawn)
    assert ready["image_url"] != dressed["image_url"]
    assert ready["appearance"]["rendered_equipped_item_ids"] == ["quill"]
    assert balance(client, account)["paid"] == 0


def test_badge_and_skill_icons_are_paid_jobs_and_refused_without_credits(
    client: TestClient, account: Account
) -> None:
    apply_preset(client, account)
    headers = account.headers()
    badge = client.post(
        "/api/v1/badge-definitions/generate-icon", json={"name": "Scholar"}, headers=headers
    )
    assert badge.status_code == 201, badge.text
    assert credit_headers(badge)["X-Credits-Welcome-Remaining"] == 19
    skill = client.post("/api/v1/skill-sets/generate-icon", json={"name": "Focus"}, headers=headers)
    assert skill.status_code == 201, skill.text
    assert credit_headers(skill)["X-Credits-Welcome-Remaining"] == 18
    regenerate = "/api/v1/badge-definitions/scholar/regenerate-icon"
    accepted = client.post(regenerate, json={}, headers=headers)
    assert accepted.status_code == 202, accepted.text
    assert credit_headers(accepted)["X-Credits-Welcome-Remaining"] == 17
    operation_id = accepted.json()["operation_id"]
    assert wait_for_operation(client, account, operation_id)["status"] == "completed"
    rows = ledger(client, account, limit=100)
    commits = sorted(r["job"] for r in rows if r["kind"] == "commit")
    assert commits == ["badge_icon", "badge_icon", "skill_icon"]
    assert {r["operation_id"] for r in rows if r["job"] == "badge_icon"} >= {operation_id}
    spend_all(client, account)
    operations_before = client.get("/api/v1/operations", headers=headers).json()["data"]
    refusals = {
        "badge": client.post(
            "/api/v1/badge-definitions/generate-icon", json={"name": "X"}, headers=headers
        ),
        "skill": client.post(
            "/api/v1/skill-sets/generate-icon", json={"name": "X"}, headers=headers
        ),
        "regenerate": client.post(regenerate, json={}, headers=headers),
    }
    for name, response in refusals.items():
        assert response.status_code == 402, (name, response.text)
        assert response.json()["error"]["code"] == "credit_insufficient"
    assert client.get("/api/v1/operations", headers=headers).json()["data"] == operations_before
