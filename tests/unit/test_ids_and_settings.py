from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from domain.shared.errors import NotFound
from domain.shared.ids import natural_id, parse_public_id, public_id
from infrastructure.shared.settings import Settings
from interfaces.http.handler_threads import handler_threads


def test_public_ids_round_trip_and_reject_other_kinds() -> None:
    value = uuid.uuid4()
    assert parse_public_id("egg", public_id("egg", value)) == value
    with pytest.raises(NotFound):
        parse_public_id("buddy", public_id("egg", value))
    with pytest.raises(NotFound):
        parse_public_id("egg", "egg_not-a-uuid")


def test_natural_ids_are_deterministic_and_separate_kinds() -> None:
    assert natural_id("user", "t1", "u1") == natural_id("user", "t1", "u1")
    assert natural_id("user", "t1", "u1") != natural_id("event", "t1", "u1")
    assert natural_id("user", "t1", "u1") != natural_id("user", "t2", "u1")
    assert natural_id("user", "t1:u", "1") != natural_id("user", "t1", "u:1")


def test_settings_defaults_put_data_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.data_dir == Path("var")
    assert settings.sqlite_path() == Path("var/hatched.sqlite3")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert not settings.uses_postgres
    assert Settings.from_env({}).secret_key == settings.secret_key, "the generated key is kept"


def test_settings_read_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "HATCHED_DATA_DIR": str(tmp_path),
            "HATCHED_DATABASE_URL": "postgresql://u:p%40ss@db.internal:6543/hatched",
            "HATCHED_REDIS_URL": "redis://127.0.0.1:6379/0",
            "HATCHED_HOST": "0.0.0.0",
            "HATCHED_PORT": "9000",
            "HATCHED_SECRET_KEY": "s" * 40,
        }
    )
    assert settings.uses_postgres
    assert settings.postgres_params() == {
        "host": "db.internal",
        "port": "6543",
        "user": "u",
        "password": "p@ss",
        "dbname": "hatched",
    }
    assert (settings.host, settings.port, settings.secret_key) == ("0.0.0.0", 9000, "s" * 40)


def test_the_event_backfill_is_whole_days_from_0_to_3650(tmp_path: Path) -> None:
    base = {"HATCHED_DATA_DIR": str(tmp_path), "HATCHED_SECRET_KEY": "s" * 40}
    assert Settings.from_env(base).event_backfill_days == 35
    tuned = Settings.from_env({**base, "HATCHED_EVENT_BACKFILL_DAYS": "90"})
    assert tuned.event_backfill_days == 90
    for bad in ("-1", "3651", "1.5", "a month"):
        with pytest.raises(ValueError):
            Settings.from_env({**base, "HATCHED_EVENT_BACKFILL_DAYS": bad})


def test_rate_limits_and_the_demo_pool_come_from_the_environment(tmp_path: Path) -> None:
    base = {"HATCHED_DATA_DIR": str(tmp_path), "HATCHED_SECRET_KEY": "s" * 40}
    defaults = Settings.from_env(base)
    assert defaults.auth_rate_limit == defaults.login_email_rate_limit == "10/minute;100/day"
    assert defaults.demo_pool_size == 100
    chosen = Settings.from_env(
        {
            **base,
            "HATCHED_AUTH_RATE_LIMIT": "5/minute",
            "HATCHED_LOGIN_EMAIL_RATE_LIMIT": "3 per 10 minutes",
            "HATCHED_DEMO_POOL_SIZE": "7",
            "HATCHED_DEMO_VISITOR_RATE_LIMIT": "2/hour;4/day",
        }
    )
    assert (chosen.auth_rate_limit, chosen.login_email_rate_limit) == (
        "5/minute",
        "3 per 10 minutes",
    )
    assert (chosen.demo_pool_size, chosen.demo_visitor_rate_limit) == (7, "2/hour;4/day")
    for name, bad in [
        ("HATCHED_AUTH_RATE_LIMIT", "often"),
        ("HATCHED_DEMO_VISITOR_RATE_LIMIT", ""),
        ("HATCHED_DEMO_POOL_SIZE", "0"),
    ]:
        with pytest.raises(ValueError):
            Settings.from_env({**base, name: bad})


def test_the_http_thread_pool_is_sized_for_waiting_requests_not_for_the_cpus(
    tmp_path: Path,
) -> None:
    base = {"HATCHED_DATA_DIR": str(tmp_path), "HATCHED_SECRET_KEY": "s" * 40}
    defaults = Settings.from_env(base)
    assert defaults.http_threads == 40
    pool = handler_threads(defaults)
    try:
        assert pool._max_workers == 40  # the loop's own default would be min(32, CPUs + 4)
    finally:
        pool.shutdown()
    assert Settings.from_env({**base, "HATCHED_HTTP_THREADS": "8"}).http_threads == 8
    for bad in ("0", "-2", "many"):
        with pytest.raises(ValueError):
            Settings.from_env({**base, "HATCHED_HTTP_THREADS": bad})
