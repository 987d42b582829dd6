from __future__ import annotations

from pathlib import Path

import pytest

from domain.integrations.webhook_delivery import DEFAULT_SCHEDULE
from infrastructure.shared.settings import Settings, durations


def test_the_default_schedule_is_the_products() -> None:
    assert durations("0,5s,30s,5m,30m,2h,5h,10h,24h") == DEFAULT_SCHEDULE
    assert len(DEFAULT_SCHEDULE) == 9


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0.2, 0.5,1", (0.2, 0.5, 1.0)), ("250ms,1m,1d", (0.25, 60.0, 86400.0)), ("7", (7.0,))],
)
def test_durations_take_units(text: str, seconds: tuple[float, ...]) -> None:
    assert durations(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "-1", "1," * 50 + "1"])
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        durations(text)


def test_webhook_and_fault_settings_come_from_the_environment(tmp_path: Path) -> None:
    defaults = Settings.from_env({"HATCHED_DATA_DIR": str(tmp_path)})
    assert defaults.webhook_retry_schedule == DEFAULT_SCHEDULE
    assert defaults.webhook_allow_private is False
    assert (defaults.operation_lease_seconds, defaults.sweep_grace_seconds) == (60.0, 60.0)
    tuned = Settings.from_env(
        {
            "HATCHED_DATA_DIR": str(tmp_path),
            "HATCHED_WEBHOOK_RETRY_SCHEDULE": "0,1s",
            "HATCHED_WEBHOOK_ALLOW_PRIVATE": "true",
            "HATCHED_WEBHOOK_TIMEOUT_SECONDS": "2.5",
            "HATCHED_OPERATION_LEASE_SECONDS": "5",
            "HATCHED_SWEEP_INTERVAL_SECONDS": "1",
            "HATCHED_SWEEP_GRACE_SECONDS": "3",
        }
    )
    assert tuned.webhook_retry_schedule == (0.0, 1.0) and tuned.webhook_allow_private
    assert tuned.webhook_timeout_seconds == 2.5 and tuned.operation_lease_seconds == 5.0
    assert (tuned.sweep_interval_seconds, tuned.sweep_grace_seconds) == (1.0, 3.0)
