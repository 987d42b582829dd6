"""Settings come from ``HATCHED_*`` environment variables; every one is listed in the README."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
    dashboard_token_ttl_seconds: int = 12 * 3600
    ingest_group_commit: bool = True
    log_level: str = "info"

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
            dashboard_token_ttl_seconds=int(
                env.get("HATCHED_DASHBOARD_TOKEN_TTL_SECONDS", "43200")
            ),
            ingest_group_commit=_flag(env.get("HATCHED_INGEST_GROUP_COMMIT", "true")),
            log_level=env.get("HATCHED_LOG_LEVEL", "info"),
        )

    @property
    def runs_worker_in_process(self) -> bool:
        """Without Redis the serving process is the worker; with Redis, `hatched worker` is."""
        if self.embedded_worker is not None:
            return self.embedded_worker
        return self.redis_url is None

    @property
    def uses_postgres(self) -> bool:
        return bool(
            self.database_url and self.database_url.startswith(("postgres://", "postgresql://"))
        )

    def sqlite_path(self) -> Path:
        if self.database_url and self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "hatched.sqlite3"

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
