"""The rest of issue 17's reads over HTTP: trends, audiences, buddy vs no buddy, badges,
streaks, evolution, the shop, the most active users and ``/events/types``.

They read the history of ``test_analytics_rollups.py`` (its docstring lists it: u1, u2 and
u3 send events without a buddy; w1 has a buddy and sends none), sometimes with a few more
facts a test adds at a set instant. The counting of badges, stages, streaks and items from
their facts is proven on a richer history in ``tests/integration/test_analytics_breakdowns_view.py``.
"""

# The fixtures of test_analytics_rollups.py are imported by name, and named again as arguments.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.container import Container
from tests.conftest import register_account
from tests.http.test_analytics_rollups import (  # noqa: F401  (fixtures)
    API,
    WINDOW,
    History,
    SetClock,
    at,
    clock,
    history,
    on_pro,
    read,
    send,
    set_client,
    set_container,
)
from tests.http.test_gates import publishable_key

LAST_WEEK = {"from": "2025-03-10", "to": "2025-03-16"}


def test_custom_events_compare_the_window_with_the_one_before(
    set_client: TestClient, history: History
) -> None:
    body = read(set_client, history.account, "custom-events", **LAST_WEEK)
    assert body["previous_window"] == {"from": "2025-03-03", "to": "2025-03-09", "days": 7}
    assert [(t["type"], t["events"], t["previous_events"], t["change"]) for t in body["data"]] == [
        ("lesson_completed", 3, 3, 0.0),
        ("quiz_passed", 0, 1, -1.0),
    ]
    assert body["data"][1]["series"] == [
        {"period_start": f"2025-03-{d}", "events": 0} for d in range(10, 17)
    ]
    whole = read(set_client, history.account, "custom-events", granularity="week", **WINDOW)
    lessons = whole["data"][0]
    assert (lessons["events"], lessons["previous_events"], lessons["change"]) == (6, 0, None)
    assert lessons["series"] == [
        {"period_start": "2025-03-03", "events": 3},
        {"period_start": "2025-03-10", "events": 3},
    ]
    students = read(set_client, history.account, "custom-events", audience="students", **WINDOW)
    assert [(t["type"], t["events"]) for t in students["data"]] == [("lesson_completed", 2)]


def test_audiences_break_the_activity_down(set_client: TestClient, history: History) -> None:
    body = read(set_client, history.account, "audiences", **WINDOW)
    assert body["unassigned_events"] == 5
    assert body["data"] == [
        {
            "audience": None,
            "events": 7,
            "new_users": 3,
            "average_dau": round(6 / 14, 2),
            "dau": 1,
            "wau": 3,
            "mau": 3,
        },
        {
            "audience": "students",
            "events": 2,
            "new_users": 2,
            "average_dau": round(2 / 14, 2),
            "dau": 0,
            "wau": 1,
            "mau": 2,
        },
    ]


def test_the_most_active_users_of_the_window(set_client: TestClient, history: History) -> None:
    response = set_client.get(
        "/api/v1/events/active-users", params=WINDOW, headers=history.account.headers()
    )
    assert response.status_code == 200, response.text
    assert "etag" in response.headers
    assert response.json()["data"] == [
        {"user_id": "u1", "events": 4, "active_days": 3, "last_event_at": "2025-03-10T12:00:00Z"},
        {"user_id": "u2", "events": 2, "active_days": 2, "last_event_at": "2025-03-16T23:00:00Z"},
        {"user_id": "u3", "events": 1, "active_days": 1, "last_event_at": "2025-03-10T12:00:00Z"},
    ]
    top = set_client.get(
        "/api/v1/events/active-users",
        params={**WINDOW, "limit": 1, "audience": "students"},
        headers=history.account.headers(),
    ).json()
    assert [(u["user_id"], u["events"]) for u in top["data"]] == [("u2", 1)]
    test_mode = set_client.get(
        "/api/v1/events/active-users",
        params=WINDOW,
        headers=history.account.headers(history.account.test_key),
    ).json()
    assert [(u["user_id"], u["events"]) for u in test_mode["data"]] == [("u9", 3)]
    too_many = set_client.get(
        "/api/v1/events/active-users", params={"limit": 101}, headers=history.account.headers()
    )
    assert too_many.status_code == 422
    assert too_many.json()["error"]["code"] == "validation_failed"


def test_event_types_are_counted_by_a_view(set_client: TestClient, history: History) -> None:
    def seen(key: str | None = None, account: Any = history.account) -> dict[str, int]:
        response = set_client.get("/api/v1/events/types", headers=account.headers(key))
        assert response.status_code == 200, response.text
        return {t["type"]: t["count"] for t in response.json()["data"] if t["count"]}

    assert seen() == {"lesson_completed": 6, "quiz_passed": 1}
    assert seen(history.account.test_key) == {"lesson_completed": 3}
    assert seen(account=history.other) == {"lesson_completed": 1}


def test_badges_streaks_evolution_and_buddy_vs_no_buddy(
    set_client: TestClient, history: History, clock: SetClock
) -> None:
    """w1's buddy gets the `scholar` badge by hand on 03-05; w1 completes two lessons on
    Wednesday 03-12 (the preset's `daily_lesson` streak ticks once that day)."""
    account = history.account
    clock.moment = at(5)
    awarded = set_client.post(
        f"/api/v1/buddies/{history.buddy_id}/badges",
        json={"badge_key": "scholar"},
        headers=account.headers(),
    )
    assert awarded.status_code == 200, awarded.text
    clock.moment = at(12)
    send(set_client, account.live_key, "w1")
    send(set_client, account.live_key, "w1")
    clock.moment = at(17)

    badges = read(set_client, account, "popular-badges", **WINDOW)
    assert badges["total_awarded"] == 1
    assert badges["data"] == [{"badge_key": "scholar", "awarded": 1, "by_rules": 0, "manual": 1}]
    assert read(set_client, account, "popular-badges", **LAST_WEEK)["data"] == []

    streaks = read(set_client, account, "streaks", granularity="week", **WINDOW)
    [daily] = streaks["data"]
    assert (daily["streak_key"], daily["ticks"], daily["burns"], daily["burn_rate"]) == (
        "daily_lesson",
        1,
        0,
        0.0,
    )
    assert [p["ticks"] for p in daily["series"]] == [0, 1]

    evolution = read(set_client, account, "evolution", **WINDOW)
    assert (evolution["hatched"], evolution["evolved"]) == (0, 0)  # hatched before the window
    assert evolution["current_stages"] == [{"stage": 1, "buddies": 1}]
    assert len(evolution["data"]) == 14
    assert read(set_client, history.other, "evolution", **WINDOW)["current_stages"] == []

    roi = read(set_client, account, "roi-metrics", **WINDOW)
    assert roi["with_buddy"] | {"data": None} == {
        "events": 2,
        "active_user_days": 1,
        "average_dau": round(1 / 14, 2),
        "events_per_active_day": 2.0,
        "data": None,
    }
    without = roi["without_buddy"]
    assert (without["events"], without["active_user_days"]) == (7, 6)
    assert without["events_per_active_day"] == round(7 / 6, 2)
    assert roi["lift"] == round(2 / (7 / 6), 2)
    weekly = read(set_client, account, "roi-metrics", granularity="week", **WINDOW)
    assert weekly["with_buddy"]["data"] == [
        {"period_start": "2025-03-03", "events": 0, "active_users": 0},
        {"period_start": "2025-03-10", "events": 2, "active_users": 1},
    ]
    assert [p["active_users"] for p in weekly["without_buddy"]["data"]] == [2, 3]


def test_the_shop_reads_answer_an_empty_window(set_client: TestClient, history: History) -> None:
    funnel = read(set_client, history.account, "marketplace-funnel", **WINDOW)
    assert funnel["totals"] == {
        "impressions": 0,
        "purchases": 0,
        "grants": 0,
        "equips": 0,
        "purchase_rate": None,
        "equip_rate": None,
    }
    assert funnel["data"] == []
    assert read(set_client, history.account, "popular-items", **WINDOW)["data"] == []


ADVANCED_READS = [
    "popular-badges",
    "popular-items",
    "marketplace-funnel",
    "evolution",
    "streaks",
    "custom-events",
    "audiences",
    "roi-metrics",
]


@pytest.mark.parametrize("path", [*ADVANCED_READS, "../events/active-users"])
def test_each_read_refuses_a_bad_window_and_a_wrong_credential(
    set_client: TestClient, set_container: Container, path: str
) -> None:
    account = register_account(set_client)
    on_pro(set_container, account)
    url = f"{API}/{path}"
    backwards = set_client.get(
        url, params={"from": "2025-03-10", "to": "2025-03-03"}, headers=account.headers()
    )
    assert backwards.status_code == 400 and backwards.json()["error"]["code"] == "bad_request"
    too_long = set_client.get(url, params={"days": 367}, headers=account.headers())
    assert too_long.status_code == 422
    assert set_client.get(url).status_code == 401
    wrong = set_client.get(url, headers={"Authorization": "Bearer hatch_live_nope"})
    assert wrong.status_code == 401
    pk = publishable_key(set_client, account)
    publishable = set_client.get(url, headers={"Authorization": f"Bearer {pk}"})
    assert publishable.status_code == 403, publishable.text
    assert set_client.get(url, headers=account.headers()).status_code == 200


@pytest.mark.parametrize("path", ["custom-events", "roi-metrics", "../events/active-users"])
def test_an_undeclared_audience_is_refused(
    set_client: TestClient, history: History, path: str
) -> None:
    response = set_client.get(
        f"{API}/{path}", params={"audience": "teachers"}, headers=history.account.headers()
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_audience"


@pytest.mark.parametrize("path", ADVANCED_READS)
def test_the_breakdowns_are_advanced_analytics(set_client: TestClient, path: str) -> None:
    account = register_account(set_client)
    locked = set_client.get(f"{API}/{path}", headers=account.headers())
    assert locked.status_code == 402 and locked.json()["error"]["code"] == "plan_feature_locked"
    assert (
        set_client.get("/api/v1/events/active-users", headers=account.headers()).status_code == 200
    )
