"""Real ``hatched`` processes for the fault and end-to-end tests, sharing a test's settings.

The child gets the same database schema, Redis namespace and secret key as the test's own
container, so the test can act as the API (or run one) while workers come and go.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from infrastructure.shared.settings import Settings
from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]


def require_postgres_and_redis(backend: str) -> None:
    if backend != "postgres" or REDIS_URL is None:
        pytest.skip(
            "needs PostgreSQL and Redis (HATCHED_TEST_BACKENDS=postgres, HATCHED_TEST_REDIS_URL): "
            "separate worker processes share the database and the broker"
        )


def hatched_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a ``hatched`` process use ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHED_")}
    values = {
        "HATCHED_DATA_DIR": str(settings.data_dir),
        "HATCHED_DATABASE_URL": settings.database_url or "",
        "HATCHED_DATABASE_SCHEMA": settings.database_schema or "",
        "HATCHED_REDIS_URL": settings.redis_url or "",
        "HATCHED_REDIS_NAMESPACE": settings.redis_namespace,
        "HATCHED_SECRET_KEY": settings.secret_key,
        "HATCHED_WEBHOOK_ALLOW_PRIVATE": str(settings.webhook_allow_private).lower(),
        "HATCHED_WEBHOOK_RETRY_SCHEDULE": ",".join(str(s) for s in settings.webhook_retry_schedule),
        "HATCHED_OPERATION_LEASE_SECONDS": str(settings.operation_lease_seconds),
        "HATCHED_SWEEP_INTERVAL_SECONDS": str(settings.sweep_interval_seconds),
        "HATCHED_SWEEP_GRACE_SECONDS": str(settings.sweep_grace_seconds),
        "HATCHED_LOG_LEVEL": "warning",
    }
    env.update({k: v for k, v in values.items() if v})
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HatchedProcess:
    """``python -m interfaces.cli <args>``; its output goes to a file in the settings' data
    dir (the test's temporary dir), readable after it stopped, shown when a test fails."""

    def __init__(self, settings: Settings, *args: str, **env: str) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix="hatched-", suffix=".log", dir=settings.data_dir)
        self._log = Path(name)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli", *args],
            cwd=ROOT,
            env=hatched_env(settings, **env),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        os.close(handle)

    def output(self) -> str:
        return self._log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never came:\n{self.output()[-3000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """``kill -9``: no clean-up of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Terminate (SIGTERM) and wait; ``kill -9`` if it does not end."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def worker(settings: Settings, threads: int = 1) -> Iterator[HatchedProcess]:
    """A running ``hatched worker`` (ready once it says it is consuming)."""
    process = HatchedProcess(settings, "worker", "--threads", str(threads))
    try:
        process.wait_for_output("Hatched worker consuming")
        yield process
    finally:
        process.stop()


class ServeProcess(HatchedProcess):
    """``hatched serve`` with ``settings`` (``env`` on top) on a free port: the one way a test
    starts an API process. ``with`` it: ready once ``/health`` answered 200 (once: a test
    counting requests counts that probe), stopped when the block ends; ``client`` talks to it.
    """

    def __init__(self, settings: Settings, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(settings, "serve", HATCHED_PORT=str(self.port), **env)
        self.client = httpx.Client(base_url=self.base, timeout=10)

    def __enter__(self) -> ServeProcess:
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.get("/api/v1/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise AssertionError(f"hatched serve did not start:\n{self.output()[-3000:]}")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.stop()
