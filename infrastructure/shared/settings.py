"""Settings come from ``HATCHED_*`` environment variables; every one is listed in the README."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from limits import parse_many

from domain.integrations.webhook_delivery import DEFAULT_SCHEDULE


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive(value: int, what: str) -> int:
    if value < 1:
        raise ValueError(f"the {what} size must be at least 1, not {value}")
    return value


_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def durations(text: str) -> tuple[float, ...]:
    """``"0,5s,30s,5m,2h"`` → seconds; a bare number is seconds. At least one, at most 50."""
    values = []
    for item in (part.strip().lower() for part in text.split(",")):
        unit = next((u for u in ("ms", "s", "m", "h", "d") if item.endswith(u)), "")
        number = float(item.removesuffix(unit)) * _UNIT_SECONDS.get(unit, 1)
        if number < 0:
            raise ValueError(f"a duration cannot be negative: {item!r}")
        values.append(number)
    if not 1 <= len(values) <= 50:
        raise ValueError("a schedule needs from 1 to 50 durations")
    return tuple(values)


MAX_BACKFILL_DAYS = 3650


def backfill_days(text: str) -> int:
    """How many days back a secret-key caller may date an event: whole days, 0 to 3650."""
    days = int(text)
    if not 0 <= days <= MAX_BACKFILL_DAYS:
        raise ValueError(f"HATCHED_EVENT_BACKFILL_DAYS must be from 0 to {MAX_BACKFILL_DAYS}")
    return days


def rate_limit(text: str) -> str:
    """``"10/minute;100/day"``: one or more windows (the ``limits`` notation), checked here so
    a typo stops the process at start rather than at the first request it would limit."""
    if not parse_many(text):
        raise ValueError(f"not a rate limit: {text!r}")
    return text


LOG_FORMATS = ("console", "json")


def log_format(text: str) -> str:
    """``console`` (lines for a person) or ``json`` (one object a line, for a collector)."""
    value = text.strip().lower()
    if value not in LOG_FORMATS:
        raise ValueError(
            f"HATCHED_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {text!r}"
        )
    return value


AUTH_RATE_LIMIT = "10/minute;100/day"
"""The product's "auth burst" bucket (login, register): per client address, and per e-mail."""
DEMO_VISITOR_RATE_LIMIT = "10/minute;100/day"
"""New ``/demo`` visitors per client address (each one hatches a buddy)."""
UPGRADE_URL = "https://app.hatched.dev/dashboard/billing"
"""Where ``plan_feature_locked`` sends a customer to upgrade (``HATCHED_UPGRADE_URL``)."""

STRIPE_PLANS = ("growth", "pro")
"""The plans checkout sells, each with a ``HATCHED_STRIPE_PRICE_<PLAN>``."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str | None = None
    database_schema: str | None = None
    redis_url: str | None = None
    redis_namespace: str = "hatched"
    embedded_worker: bool | None = None
    run_followers: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = field(default="", repr=False)
    max_body_bytes: int = 1_048_576
    http_threads: int = 40
    """Threads ``hatched serve`` runs its synchronous request handlers on (decision 0059)."""
    dashboard_token_ttl_seconds: int = 12 * 3600
    admin_token_ttl_seconds: int = 8 * 3600
    ingest_group_commit: bool = True
    event_encoding: str = "msgpack"
    log_level: str = "info"
    log_format: str = "console"
    demo: bool | None = None
    webhook_retry_schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = 10.0
    operation_lease_seconds: float = 60.0
    sweep_interval_seconds: float = 15.0
    sweep_grace_seconds: float = 60.0
    public_url: str | None = None
    asset_upload_max_bytes: int = 524_288
    upload_url_ttl_seconds: int = 900
    metrics: bool = False
    metrics_port: int | None = None
    metrics_dir: Path | None = None
    event_backfill_days: int = 35
    auth_rate_limit: str = AUTH_RATE_LIMIT
    login_email_rate_limit: str = AUTH_RATE_LIMIT
    demo_pool_size: int = 100
    demo_visitor_rate_limit: str = DEMO_VISITOR_RATE_LIMIT
    event_quotas: bool = True
    credits: bool = True
    api_rate_limits: bool = True
    upgrade_url: str = UPGRADE_URL
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_prices: tuple[tuple[str, str], ...] = ()
    """Plan → Stripe price id (``HATCHED_STRIPE_PRICE_GROWTH``, ``_PRO``; decision 0049)."""
    stripe_api_base: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("HATCHED_DATA_DIR", "var"))
        return cls(
            data_dir=data_dir,
            database_url=env.get("HATCHED_DATABASE_URL") or None,
            database_schema=env.get("HATCHED_DATABASE_SCHEMA") or None,
            redis_url=env.get("HATCHED_REDIS_URL") or None,
            redis_namespace=env.get("HATCHED_REDIS_NAMESPACE", "hatched"),
            embedded_worker=_flag(env["HATCHED_EMBEDDED_WORKER"])
            if "HATCHED_EMBEDDED_WORKER" in env
            else None,
            run_followers=_flag(env.get("HATCHED_RUN_FOLLOWERS", "true")),
            host=env.get("HATCHED_HOST", "127.0.0.1"),
            port=int(env.get("HATCHED_PORT", "8000")),
            secret_key=env.get("HATCHED_SECRET_KEY") or _stored_secret_key(data_dir),
            max_body_bytes=int(env.get("HATCHED_MAX_BODY_BYTES", "1048576")),
            http_threads=_positive(int(env.get("HATCHED_HTTP_THREADS", "40")), "HTTP thread pool"),
            dashboard_token_ttl_seconds=int(
                env.get("HATCHED_DASHBOARD_TOKEN_TTL_SECONDS", "43200")
            ),
            admin_token_ttl_seconds=int(env.get("HATCHED_ADMIN_TOKEN_TTL_SECONDS", "28800")),
            ingest_group_commit=_flag(env.get("HATCHED_INGEST_GROUP_COMMIT", "true")),
            event_encoding=env.get("HATCHED_EVENT_ENCODING", "msgpack").strip().lower(),
            log_level=env.get("HATCHED_LOG_LEVEL", "info"),
            log_format=log_format(env.get("HATCHED_LOG_FORMAT", "console")),
            demo=_flag(env["HATCHED_DEMO"]) if "HATCHED_DEMO" in env else None,
            webhook_retry_schedule=durations(env["HATCHED_WEBHOOK_RETRY_SCHEDULE"])
            if "HATCHED_WEBHOOK_RETRY_SCHEDULE" in env
            else DEFAULT_SCHEDULE,
            webhook_allow_private=_flag(env.get("HATCHED_WEBHOOK_ALLOW_PRIVATE", "false")),
            webhook_timeout_seconds=float(env.get("HATCHED_WEBHOOK_TIMEOUT_SECONDS", "10")),
            operation_lease_seconds=float(env.get("HATCHED_OPERATION_LEASE_SECONDS", "60")),
            sweep_interval_seconds=float(env.get("HATCHED_SWEEP_INTERVAL_SECONDS", "15")),
            sweep_grace_seconds=float(env.get("HATCHED_SWEEP_GRACE_SECONDS", "60")),
            public_url=(env.get("HATCHED_PUBLIC_URL") or "").rstrip("/") or None,
            asset_upload_max_bytes=int(env.get("HATCHED_ASSET_UPLOAD_MAX_BYTES", "524288")),
            upload_url_ttl_seconds=int(env.get("HATCHED_UPLOAD_URL_TTL_SECONDS", "900")),
            metrics=_flag(env.get("HATCHED_METRICS", "false")),
            metrics_port=int(env["HATCHED_METRICS_PORT"])
            if env.get("HATCHED_METRICS_PORT")
            else None,
            metrics_dir=Path(env["HATCHED_METRICS_DIR"])
            if env.get("HATCHED_METRICS_DIR")
            else None,
            event_backfill_days=backfill_days(env.get("HATCHED_EVENT_BACKFILL_DAYS", "35")),
            auth_rate_limit=rate_limit(env.get("HATCHED_AUTH_RATE_LIMIT", AUTH_RATE_LIMIT)),
            login_email_rate_limit=rate_limit(
                env.get("HATCHED_LOGIN_EMAIL_RATE_LIMIT", AUTH_RATE_LIMIT)
            ),
            demo_pool_size=_positive(int(env.get("HATCHED_DEMO_POOL_SIZE", "100")), "demo pool"),
            demo_visitor_rate_limit=rate_limit(
                env.get("HATCHED_DEMO_VISITOR_RATE_LIMIT", DEMO_VISITOR_RATE_LIMIT)
            ),
            event_quotas=_flag(env.get("HATCHED_EVENT_QUOTAS", "true")),
            credits=_flag(env.get("HATCHED_CREDITS", "true")),
            api_rate_limits=_flag(env.get("HATCHED_API_RATE_LIMITS", "true")),
            upgrade_url=env.get("HATCHED_UPGRADE_URL") or UPGRADE_URL,
            stripe_secret_key=env.get("HATCHED_STRIPE_SECRET_KEY") or None,
            stripe_webhook_secret=env.get("HATCHED_STRIPE_WEBHOOK_SECRET") or None,
            stripe_prices=tuple(
                (plan, price)
                for plan in STRIPE_PLANS
                if (price := env.get(f"HATCHED_STRIPE_PRICE_{plan.upper()}"))
            ),
            stripe_api_base=(env.get("HATCHED_STRIPE_API_BASE") or "").rstrip("/") or None,
        )

    @property
    def runs_worker_in_process(self) -> bool:
        """``hatched serve`` works the operation queue itself unless told a separate
        ``hatched worker`` does (``HATCHED_EMBEDDED_WORKER=false``), Redis or not: a server
        that accepts hatches and never runs them is the surprise to avoid (decision 0028)."""
        return self.embedded_worker is not False

    @property
    def serves_demo(self) -> bool:
        """``/demo`` is on in the embedded default (one local process), off with PostgreSQL,
        unless ``HATCHED_DEMO`` says otherwise."""
        if self.demo is not None:
            return self.demo
        return not self.uses_postgres

    @property
    def uses_postgres(self) -> bool:
        return bool(
            self.database_url and self.database_url.startswith(("postgres://", "postgresql://"))
        )

    def sqlite_path(self) -> Path:
        if self.database_url and self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "hatched.sqlite3"

    def describe_store(self) -> str:
        """Which store the settings open, for a person (never the password)."""
        if self.uses_postgres:
            params = self.postgres_params()
            where = (
                f"PostgreSQL {params['user']}@{params['host']}:{params['port']}/{params['dbname']}"
            )
            return where + (f" (schema {self.database_schema})" if self.database_schema else "")
        return f"SQLite {self.sqlite_path()}"

    def postgres_params(self) -> dict[str, str]:
        assert self.database_url is not None
        url = urlsplit(self.database_url)
        return {
            "host": url.hostname or "127.0.0.1",
            "port": str(url.port or 5432),
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
            "dbname": url.path.lstrip("/") or "hatched",
        }


def _stored_secret_key(data_dir: Path) -> str:
    """Without ``HATCHED_SECRET_KEY``, keep one generated key under the data dir.

    Restarts then keep dashboard sessions valid; production sets the variable.
    """
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
