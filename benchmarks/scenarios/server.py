"""A ``hatched serve`` process on a fresh PostgreSQL database, and its memory over time."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psycopg

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/14"
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(name: str) -> str:
    """Drop and create ``name``; returns its URL."""
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES}/{name}"


def rss_kib(pid: int) -> int:
    """The resident set size of ``pid`` in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time used so far by every PostgreSQL process on this machine (the server and its
    backends; a backend that exits takes its share with it, so read this around a run)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if command in ("postgres", "postmaster"):
                total += cpu_seconds(int(entry.name))
    return total


@dataclass
class MemoryWatch:
    """Samples a process's RSS ten times a second; ``peak_mib`` is the largest sample."""

    pid: int
    samples: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemoryWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(rss_kib(self.pid))

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.samples.append(rss_kib(self.pid))

    @property
    def peak_mib(self) -> float:
        return round(max(self.samples, default=0) / 1024, 1)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    database_url: str
    log_path: Path
    projector_pid: int | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def api(self) -> str:
        return f"{self.base_url}/api/v1"

    def rss_mib(self) -> float:
        return round(rss_kib(self.pid) / 1024, 1)


@contextmanager
def hatched_serve(
    database: str, run_id: str, *, projector: bool = True, **settings: str
) -> Iterator[Server]:
    """Serve the API on a fresh database, with Redis as broker and an in-process worker.

    With ``projector`` the views and reactors are kept by a ``hatched projector`` process
    beside the API (the production layout, ``HATCHED_RUN_FOLLOWERS=false`` on the API);
    without it, ``hatched serve`` runs them itself (the embedded default).
    ``settings`` are extra ``HATCHED_*`` variables (e.g. ``INGEST_GROUP_COMMIT="false"``).
    """
    database_url = fresh_database(database)
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="hatched-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHED_")}
    env.update(
        {
            "HATCHED_DATA_DIR": str(data_dir),
            "HATCHED_DATABASE_URL": database_url,
            "HATCHED_REDIS_URL": REDIS,
            "HATCHED_REDIS_NAMESPACE": f"hatched-bench-{run_id}",
            "HATCHED_EMBEDDED_WORKER": "true",
            "HATCHED_LOG_LEVEL": "warning",
            "HATCHED_SECRET_KEY": f"bench-{run_id}",
            # One key's plan bucket (even enterprise's 50,000 a minute) would cap the faster
            # scenarios: the bench measures without rate limits. The event quota is counted
            # (the bench tenant is put on a plan whose quota fits, tenant.py); the
            # `ingest_single_quotas_off` scenario measures the same load without it.
            "HATCHED_API_RATE_LIMITS": "false",
            # The bench hatches hundreds of buddies for one tenant: image jobs are not what it
            # measures, so they are not charged to credit pools (20 welcome credits).
            "HATCHED_CREDITS": "false",
        }
    )
    env.update({f"HATCHED_{name.upper()}": value for name, value in settings.items()})
    log_path = data_dir / "server.log"
    processes: list[subprocess.Popen[bytes]] = []
    with log_path.open("wb") as log:
        if projector:
            env["HATCHED_RUN_FOLLOWERS"] = "false"
            processes.append(_start(["projector"], env, log))
        process = _start(["serve", "--port", str(port)], env, log)
        processes.append(process)
    projector_pid = processes[0].pid if projector else None
    server = Server(process, f"http://127.0.0.1:{port}", database_url, log_path, projector_pid)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        for running in reversed(processes):
            running.terminate()
            try:
                running.wait(timeout=20)
            except subprocess.TimeoutExpired:
                running.kill()
                running.wait()


def _start(arguments: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(VENV_BIN / "hatched"), *arguments], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"hatched serve exited: {server.log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.api}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"hatched serve did not start: {server.log_path.read_text()[-2000:]}")
