"""``GET /analytics/*`` from the rollups (issue 17), against a small history counted by hand.

The clock is set to chosen UTC instants, so each event lands on a known day and week:
week 1 starts Monday 2025-03-03, week 2 Monday 2025-03-10. Users without a buddy send the
events (no rule pays them anything), and one buddy of a user who sends none carries the
coin entries, so every figure below is counted from the list in ``history``, by hand.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from domain.shared.ids import parse_public_id
from infrastructure.persistence.rebuild import Rebuilder
from infrastructure.shared.clock import SystemClock
from infrastructure.shared.settings import Settings
from interfaces.container import Adapters, Container, build_container
from interfaces.http.app import create_app
from interfaces.http.consistency import VIEW_LAG_HEADER
from projections.analytics.breakdowns import AnalyticsBreakdownsView
from projections.analytics.rollups import AnalyticsRollupsView
from projections.registry import all_projections
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, hatch_buddy

API = "/api/v1/analytics"
WINDOW = {"from": "2025-03-03", "to": "2025-03-16"}


class SetClock:
    """The system clock until a test sets ``moment``; then that instant."""

    def __init__(self) -> None:
        self.moment: datetime | None = None

    def now(self) -> datetime:
        return self.moment or SystemClock().now()


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
def set_container(settings: Settings, clock: SetClock) -> Iterator[Container]:
    built = build_container(
        settings, dataclasses.replace(Adapters.for_settings(settings), clock=clock)
    )
    yield built
    built.close()


@pytest.fixture
def set_client(set_container: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(set_container)) as test_client:  # type: ignore[arg-type]
        yield test_client


def on_pro(container: Container, account: Account) -> None:
    customer_id = parse_public_id("customer", account.customer_id)
    container.accounts.change_plan(customer_id, "pro", None, {"by": "test"})


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


def send(
    client: TestClient, key: str, user_id: str, event_type: str = "lesson_completed", **extra: Any
) -> None:
    body = {"event_id": f"evt_{uuid.uuid4().hex}", "user_id": user_id, "type": event_type, **extra}
    response = client.post("/api/v1/events", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text


def read(
    client: TestClient, account: Account, path: str, key: str | None = None, **query: Any
) -> Any:
    response = client.get(f"{API}/{path}", params=query, headers=account.headers(key))
    assert response.status_code == 200, response.text
    assert VIEW_LAG_HEADER.lower() not in response.headers
    return response.json()


@dataclasses.dataclass
class History:
    account: Account
    other: Account
    buddy_id: str


@pytest.fixture
def history(set_client: TestClient, set_container: Container, clock: SetClock) -> History:
    """The history every test reads (live mode of ``account`` unless said otherwise):

    * Mon 03-03 12:00  u1 lesson_completed twice, u2 lesson_completed (audience students)
    * Tue 03-04 09:00  u1 quiz_passed
    * Mon 03-10 12:00  u1 lesson_completed, u3 lesson_completed (audience students)
    * Sun 03-16 23:00  u2 lesson_completed
    * test mode, 03-03: u9 lesson_completed three times; the other tenant, 03-03: u1 lesson_completed
    * the wallet of w1's buddy: +50 coins on 03-03, -20 on 03-10, +5 on 03-16
    """
    client = set_client
    account, other = register_account(client), register_account(client)
    for customer in (account, other):
        on_pro(set_container, customer)
        apply_preset(client, customer)
    apply_preset(client, dataclasses.replace(account, live_key=account.test_key))
    audiences = {"audiences": [{"key": "students", "brief": "Learners"}]}
    declared = client.patch(
        "/api/v1/customers/me/audiences", json=audiences, headers=account.headers()
    )
    assert declared.status_code == 200, declared.text
    buddy_id = hatch_buddy(client, account, "w1")
    live, test = account.live_key, account.test_key

    clock.moment = at(3)
    send(client, live, "u1")
    send(client, live, "u1")
    send(client, live, "u2", audience="students")
    for _ in range(3):
        send(client, test, "u9")
    send(client, other.live_key, "u1")
    coins = f"/api/v1/buddies/{buddy_id}/coins"
    assert (
        client.post(
            coins, json={"amount": 50, "reason": "t"}, headers=account.headers()
        ).status_code
        == 200
    )
    clock.moment = at(4, 9)
    send(client, live, "u1", "quiz_passed")
    clock.moment = at(10)
    send(client, live, "u1")
    send(client, live, "u3", audience="students")
    spend = client.post(
        f"{coins}/spend", json={"amount": 20, "reason": "t"}, headers=account.headers()
    )
    assert spend.status_code == 200, spend.text
    clock.moment = at(16, 23)
    send(client, live, "u2")
    assert (
        client.post(coins, json={"amount": 5, "reason": "t"}, headers=account.headers()).status_code
        == 200
    )
    clock.moment = at(17)
    return History(account, other, buddy_id)


def test_activity_engagement_and_overview_count_each_user_once_per_day_week_and_month(
    set_client: TestClient, history: History
) -> None:
    account = history.account
    daily = read(set_client, account, "activity-summary", **WINDOW)
    assert daily["window"] == {"from": "2025-03-03", "to": "2025-03-16", "days": 14}
    assert (daily["events"], daily["new_users"]) == (7, 3)
    points = {p["period_start"]: p for p in daily["data"]}
    assert len(points) == 14
    summary = {
        day: (p["events"], p["active_users"], p["new_users"], p["returning_users"])
        for day, p in points.items()
        if p["events"]
    }
    assert summary == {
        "2025-03-03": (3, 2, 2, 0),
        "2025-03-04": (1, 1, 0, 1),
        "2025-03-10": (2, 2, 1, 1),
        "2025-03-16": (1, 1, 0, 1),
    }
    weekly = read(set_client, account, "activity-summary", granularity="week", **WINDOW)
    assert [
        (p["period_start"], p["events"], p["active_users"], p["new_users"]) for p in weekly["data"]
    ] == [
        ("2025-03-03", 4, 2, 2),
        ("2025-03-10", 3, 3, 1),
    ]

    engagement = read(set_client, account, "engagement", **WINDOW)
    assert (engagement["dau"], engagement["wau"], engagement["mau"]) == (1, 3, 3)
    assert engagement["dau_mau_ratio"] == 0.3333 and engagement["wau_mau_ratio"] == 1.0
    assert engagement["average_dau"] == round(6 / 14, 2)

    overview = read(set_client, account, "overview", **WINDOW)
    assert (
        overview["events"],
        overview["new_users"],
        overview["dau"],
        overview["wau"],
        overview["mau"],
    ) == (
        7,
        3,
        1,
        3,
        3,
    )
    assert (overview["coins_credited"], overview["coins_debited"]) == (55, 20)
    assert overview["top_event_types"] == [
        {"type": "lesson_completed", "events": 6},
        {"type": "quiz_passed", "events": 1},
    ]

    first_week = read(set_client, account, "overview", **{"from": "2025-03-03", "to": "2025-03-09"})
    assert (
        first_week["events"],
        first_week["new_users"],
        first_week["dau"],
        first_week["wau"],
    ) == (4, 2, 0, 2)


def test_event_counts_per_type_and_period(set_client: TestClient, history: History) -> None:
    body = read(set_client, history.account, "event-counts", granularity="week", **WINDOW)
    assert body["total"] == 7
    assert [(t["type"], t["events"], t["rejected"]) for t in body["data"]] == [
        ("lesson_completed", 6, 0),
        ("quiz_passed", 1, 0),
    ]
    assert body["data"][0]["series"] == [
        {"period_start": "2025-03-03", "events": 3},
        {"period_start": "2025-03-10", "events": 3},
    ]
    one_day = read(set_client, history.account, "event-counts", days=1, to="2025-03-04")
    assert [(t["type"], t["events"]) for t in one_day["data"]] == [("quiz_passed", 1)]


def test_retention_follows_weekly_cohorts_by_first_event(
    set_client: TestClient, history: History
) -> None:
    body = read(set_client, history.account, "retention", **WINDOW)
    assert body["data"] == [
        {
            "cohort_start": "2025-03-03",
            "users": 2,
            "weeks": [
                {"week": 0, "active_users": 2, "rate": 1.0},
                {"week": 1, "active_users": 2, "rate": 1.0},
            ],
        },
        {
            "cohort_start": "2025-03-10",
            "users": 1,
            "weeks": [{"week": 0, "active_users": 1, "rate": 1.0}],
        },
    ]
    first_only = read(
        set_client, history.account, "retention", **{"from": "2025-03-03", "to": "2025-03-09"}
    )
    assert first_only["data"] == [
        {
            "cohort_start": "2025-03-03",
            "users": 2,
            "weeks": [{"week": 0, "active_users": 2, "rate": 1.0}],
        }
    ]


def test_an_audience_counts_only_its_events(set_client: TestClient, history: History) -> None:
    body = read(
        set_client,
        history.account,
        "activity-summary",
        audience="students",
        granularity="week",
        **WINDOW,
    )
    assert [(p["events"], p["active_users"], p["new_users"]) for p in body["data"]] == [
        (1, 1, 1),
        (1, 1, 1),
    ]
    assert body["audience"] == "students"
    retention = read(set_client, history.account, "retention", audience="students", **WINDOW)
    assert [(c["users"], [w["active_users"] for w in c["weeks"]]) for c in retention["data"]] == [
        (1, [1, 0]),
        (1, [1]),
    ]
    unknown = set_client.get(
        f"{API}/overview",
        params={"audience": "teachers", **WINDOW},
        headers=history.account.headers(),
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_audience"


def test_the_economy_from_ledger_entries(set_client: TestClient, history: History) -> None:
    summary = read(set_client, history.account, "economy-summary", granularity="week", **WINDOW)
    coins = summary["data"][0]
    assert (coins["currency"], coins["credited"], coins["debited"], coins["net"]) == (
        "coins",
        55,
        20,
        35,
    )
    assert (coins["credits"], coins["debits"]) == (2, 1)
    assert coins["series"] == [
        {"period_start": "2025-03-03", "credited": 50, "debited": 0, "net": 50},
        {"period_start": "2025-03-10", "credited": 5, "debited": 20, "net": -15},
    ]
    assert read(set_client, history.account, "tokens", **WINDOW)["data"] == []
    health = read(set_client, history.account, "economy-health", **WINDOW)
    assert (health["coins_credited"], health["coins_debited"], health["outflow_inflow_ratio"]) == (
        55,
        20,
        0.3636,
    )
    assert {b["bucket"]: b["wallets"] for b in health["balance_distribution"]} == {
        "0": 0,
        "1-9": 0,
        "10-99": 1,
        "100-999": 0,
        "1000-9999": 0,
        "10000+": 0,
    }


def test_each_mode_and_tenant_sees_only_its_own_events(
    set_client: TestClient, history: History
) -> None:
    test_mode = read(
        set_client, history.account, "overview", key=history.account.test_key, **WINDOW
    )
    assert (test_mode["events"], test_mode["new_users"], test_mode["coins_credited"]) == (3, 1, 0)
    other = read(set_client, history.other, "overview", **WINDOW)
    assert (other["events"], other["new_users"], other["mau"]) == (1, 1, 1)
    assert other["top_event_types"] == [{"type": "lesson_completed", "events": 1}]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"from": "2025-03-10", "to": "2025-03-03"}, "bad_request"),
        ({"from": "2025-03-03", "days": 7}, "bad_request"),
        ({"from": "2024-01-01", "to": "2025-03-03"}, "bad_request"),
        ({"days": 0}, "validation_failed"),
        ({"days": 367}, "validation_failed"),
        ({"from": "yesterday"}, "validation_failed"),
        ({"granularity": "month"}, "validation_failed"),
        ({"audience": ""}, "validation_failed"),
        ({"audience": "no spaces"}, "validation_failed"),
    ],
)
def test_bad_windows_are_refused(
    set_client: TestClient, set_container: Container, query: dict[str, Any], code: str
) -> None:
    account = register_account(set_client)
    on_pro(set_container, account)
    response = set_client.get(f"{API}/engagement", params=query, headers=account.headers())
    assert response.status_code == (400 if code == "bad_request" else 422), response.text
    assert response.json()["error"]["code"] == code


def test_advanced_analytics_is_pro_and_every_read_needs_a_secret_credential(
    set_client: TestClient,
) -> None:
    account = register_account(set_client)
    locked = set_client.get(f"{API}/retention", headers=account.headers())
    assert locked.status_code == 402 and locked.json()["error"]["code"] == "plan_feature_locked"
    assert set_client.get(f"{API}/overview", headers=account.headers()).status_code == 200
    assert set_client.get(f"{API}/overview").status_code == 401
    wrong = set_client.get(f"{API}/overview", headers={"Authorization": "Bearer hatch_live_nope"})
    assert wrong.status_code == 401


def test_reads_carry_an_etag_and_answer_304_when_unchanged(
    set_client: TestClient, history: History
) -> None:
    headers = history.account.headers()
    first = set_client.get(f"{API}/retention", params=WINDOW, headers=headers)
    etag = first.headers["etag"]
    again = set_client.get(
        f"{API}/retention", params=WINDOW, headers={**headers, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    other = set_client.get(
        f"{API}/overview", params=WINDOW, headers={**headers, "If-None-Match": etag}
    )
    assert other.status_code == 200


def test_a_rebuild_and_a_verify_give_the_rows_the_followers_built(
    set_client: TestClient, set_container: Container, history: History
) -> None:
    """Both analytics views; the breakdowns also after a badge, a streak tick and events that
    reached a buddy (w1's), so their buddy and segment tables have rows to compare."""
    names = [AnalyticsRollupsView.name, AnalyticsBreakdownsView.name]
    tables = [*AnalyticsRollupsView.tables, *AnalyticsBreakdownsView.tables]
    badge = set_client.post(
        f"/api/v1/buddies/{history.buddy_id}/badges",
        json={"badge_key": "scholar"},
        headers=history.account.headers(),
    )
    assert badge.status_code == 200, badge.text
    send(set_client, history.account.live_key, "w1")

    def rows() -> dict[str, list[dict[str, Any]]]:
        return {
            t.name: set_container.views.select(
                f"SELECT * FROM {t.name} ORDER BY {', '.join(t.key)}"
            )
            for t in tables
        }

    assert set_container.wait_for_views(*names)
    before = rows()
    empty = {name for name, found in before.items() if not found}
    assert empty <= {"view_analytics_items", "view_analytics_equipped"}, empty
    rebuilder = Rebuilder(set_container.store, set_container.views, all_projections(), chunk=7)
    for result in rebuilder.verify(names):
        assert result.differences == [], result
    rebuilder.rebuild(names)
    assert rows() == before
