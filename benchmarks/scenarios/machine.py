"""What the numbers were measured on: processor, cores, memory, load and software versions."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg

PACKAGES = ("eventsourcing", "litestar", "uvicorn", "httptools", "uvloop", "msgspec", "psycopg")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _command_version(*command: str) -> str:
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (finished.stdout or finished.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def _package_version(name: str) -> str:
    try:
        return version(name)
    except Exception:
        return "not installed"


def describe(postgres_url: str) -> dict[str, Any]:
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT version()").fetchone()
        postgres = str(row[0]).split(" on ")[0] if row else "unknown"
        settings = {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in ("shared_buffers", "synchronous_commit", "fsync")
        }
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": postgres,
        "postgres_settings": settings,
        "redis": _command_version("redis-server", "--version"),
        "wrk": _command_version("wrk", "-v"),
        "pgbench": _command_version("pgbench", "--version"),
        "packages": {name: _package_version(name) for name in PACKAGES},
    }
