"""The streak sweep (issue 15): a streak burns although the user never comes back, the clock
comes from the Clock port, and sweeps run twice or by two processes at once burn once."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from litestar.testing import TestClient

from domain.companions.buddy import Buddy
from domain.shared.ids import parse_public_id
from infrastructure.shared.clock import SystemClock
from infrastructure.shared.settings import Settings
from interfaces.container import Adapters, Container, build_container
from interfaces.http.app import create_app
from tests.conftest import Account, register_account
from tests.http.flow import apply_preset, hatch_buddy, send_event

API = "/api/v1"


class DrivenClock:
    """The system clock moved by hand: the sweep sees days pass in an instant.

    Run after 21:00 UTC it starts at 21:00, so that "two days and an hour later" falls on the
    calendar day a test means whatever the hour it runs at (after 23:00, an hour past two
    days would land a day further and miss one day more). It never starts more than three
    hours early: the dashboard token the test signs in with (twelve hours) is checked
    against the host's clock and must still be valid."""

    def __init__(self) -> None:
        self.shift = timedelta()
        real = SystemClock().now()
        latest_start = real.replace(hour=21, minute=0, second=0, microsecond=0)
        self._to_start = min(latest_start - real, timedelta())

    def now(self) -> datetime:
        return SystemClock().now() + self._to_start + self.shift


@pytest.fixture
def clock() -> DrivenClock:
    return DrivenClock()


@pytest.fixture
def driven(settings: Settings, clock: DrivenClock) -> Iterator[Container]:
    adapters = dataclasses.replace(Adapters.for_settings(settings), clock=clock)
    built = build_container(settings, adapters)
    yield built
    built.close()


@pytest.fixture
def driven_client(driven: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(driven)) as test_client:  # type: ignore[arg-type]
        yield test_client


def streak_events(container: Container, buddy_id: str) -> list[type]:
    buddy = parse_public_id("buddy", buddy_id)
    kinds = (Buddy.StreakTicked, Buddy.StreakFrozen, Buddy.StreakBurned)
    return [type(e) for e in container.store.events.get(buddy) if isinstance(e, kinds)]


def two_day_streak(client: TestClient, account: Account, clock: DrivenClock) -> str:
    apply_preset(client, account)
    user = "returns_never"
    buddy_id = hatch_buddy(client, account, user)
    yesterday = (clock.now() - timedelta(days=1)).isoformat()
    send_event(client, account, user, "lesson_completed", occurred_at=yesterday)
    send_event(client, account, user, "lesson_completed")
    buddy = client.get(f"{API}/buddies/{buddy_id}", headers=account.headers()).json()
    assert buddy["streaks"] == {"daily_lesson": 2}
    return buddy_id


def test_a_streak_burns_when_its_period_passes_without_a_tick(
    driven_client: TestClient, driven: Container, clock: DrivenClock
) -> None:
    account = register_account(driven_client)
    buddy_id = two_day_streak(driven_client, account, clock)
    assert driven.wait_for_views("streak_dues")
    assert driven.streak_sweep.sweep() == 0  # today is not over yet

    clock.shift = timedelta(days=1)  # tomorrow: today ended with a tick, nothing is missed
    assert driven.streak_sweep.sweep() == 0
    clock.shift = timedelta(days=2, hours=1)  # tomorrow ended without a tick
    assert driven.streak_sweep.sweep() == 1
    assert driven.streak_sweep.sweep() == 0  # run again: nothing more to burn

    buddy = driven_client.get(f"{API}/buddies/{buddy_id}", headers=account.headers()).json()
    assert buddy["streaks"] == {"daily_lesson": 0}
    assert streak_events(driven, buddy_id).count(Buddy.StreakBurned) == 1
    timeline = driven_client.get(
        f"{API}/buddies/{buddy_id}/timeline", headers=account.headers()
    ).json()["data"]
    burned = [e for e in timeline if e["type"] == "StreakBurned"]
    assert len(burned) == 1 and burned[0]["data"]["count"] == 2


def test_a_freeze_token_keeps_the_missed_day_and_is_spent_once(
    driven_client: TestClient, driven: Container, clock: DrivenClock
) -> None:
    account = register_account(driven_client)
    h = account.headers()
    apply_preset(driven_client, account)
    edited = driven_client.put(
        f"{API}/streak-definitions/daily_lesson",
        json={"event_types": ["lesson_completed"], "freeze_token_key": "stars"},
        headers=h,
    )
    assert edited.status_code == 200, edited.text
    published = driven_client.post(
        f"{API}/config-versions/{edited.json()['config_version_id']}/publish", headers=h
    )
    assert published.status_code == 200, published.text
    buddy_id = hatch_buddy(driven_client, account, "freezer")
    granted = driven_client.post(
        f"{API}/buddies/{buddy_id}/tokens",
        json={"token_key": "stars", "amount": 1, "reason": "gift"},
        headers=h,
    )
    assert granted.status_code == 200, granted.text
    send_event(driven_client, account, "freezer", "lesson_completed")
    balance = driven_client.get(f"{API}/buddies/{buddy_id}", headers=h).json()["tokens"]["stars"]
    assert driven.wait_for_views("streak_dues")

    clock.shift = timedelta(days=2, hours=1)  # tomorrow was missed: the token keeps it
    assert driven.streak_sweep.sweep() == 1
    buddy = driven_client.get(f"{API}/buddies/{buddy_id}", headers=h).json()
    assert buddy["streaks"] == {"daily_lesson": 1}
    assert buddy["tokens"]["stars"] == balance - 1
    assert driven.wait_for_views("streak_dues")
    clock.shift = timedelta(days=3, hours=1)  # another missed day and no token left: burned
    assert driven.streak_sweep.sweep() == 1
    assert streak_events(driven, buddy_id)[-2:] == [Buddy.StreakFrozen, Buddy.StreakBurned]
    buddy = driven_client.get(f"{API}/buddies/{buddy_id}", headers=h).json()
    assert buddy["streaks"] == {"daily_lesson": 0} and buddy["tokens"]["stars"] == balance - 1


def test_two_processes_sweeping_at_once_burn_once(
    driven_client: TestClient, driven: Container, clock: DrivenClock, settings: Settings
) -> None:
    account = register_account(driven_client)
    buddy_id = two_day_streak(driven_client, account, clock)
    assert driven.wait_for_views("streak_dues")
    other = build_container(
        settings, dataclasses.replace(Adapters.for_settings(settings), clock=clock)
    )
    try:
        clock.shift = timedelta(days=2, hours=1)
        start = threading.Barrier(4)
        results: list[int] = []

        def sweep(container: Container) -> None:
            start.wait()
            results.append(container.streak_sweep.sweep())

        threads = [
            threading.Thread(target=sweep, args=(c,)) for c in (driven, other, driven, other)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(results) == 1
        assert streak_events(driven, buddy_id).count(Buddy.StreakBurned) == 1
    finally:
        other.close()
