"""Drive the server with ``wrk`` (C, event-driven: it costs the server little CPU)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.scenarios.server import MemoryWatch, Server, cpu_seconds, postgres_cpu_seconds
from benchmarks.scenarios.tenant import USER_PREFIX, Tenant

SCRIPT = Path(__file__).resolve().parent.parent / "hatched.lua"


@dataclass(frozen=True)
class Load:
    """One wrk run: what was sent and what came back."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    peak_rss_mib: float
    server_cpu_seconds: float
    items_per_request: int = 1
    projector_cpu_seconds: float = 0.0
    postgres_cpu_seconds: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def items_per_second(self) -> float:
        return self.requests_per_second * self.items_per_request

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "requests_per_second": round(self.requests_per_second, 1),
            "items_per_second": round(self.items_per_second, 1),
            "items_per_request": self.items_per_request,
            "errors": self.errors,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "peak_rss_mib": self.peak_rss_mib,
            "server_cpu_share": round(self.server_cpu_seconds / self.seconds, 2)
            if self.seconds
            else 0.0,
            "server_cpu_ms_per_item": round(
                self.server_cpu_seconds * 1000 / (self.requests * self.items_per_request), 3
            )
            if self.requests
            else 0.0,
            "projector_cpu_ms_per_item": self._ms_per_item(self.projector_cpu_seconds),
            "postgres_cpu_ms_per_item": self._ms_per_item(self.postgres_cpu_seconds),
        }

    def _ms_per_item(self, cpu_seconds: float) -> float:
        items = self.requests * self.items_per_request
        return round(cpu_seconds * 1000 / items, 3) if items else 0.0


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    server: Server,
    tenant: Tenant,
    *,
    mode: str,
    seconds: float,
    connections: int,
    run_id: str,
    users: int | None = None,
    user_prefix: str = USER_PREFIX,
    batch: int = 500,
    paths: list[str] | None = None,
    threads: int = 1,
) -> Load:
    """Run ``benchmarks/hatched.lua`` in ``mode`` (event, batch, get) for ``seconds``."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "summary.json"
        env = {
            **os.environ,
            "BENCH_MODE": mode,
            "BENCH_KEY": tenant.key,
            "BENCH_RUN": run_id,
            "BENCH_USERS": str(users if users is not None else len(tenant.buddy_ids)),
            "BENCH_USER_PREFIX": user_prefix,
            "BENCH_BATCH": str(batch),
            "BENCH_PATHS": ",".join(paths or []),
            "BENCH_OUT": str(out),
        }
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(SCRIPT),
            server.base_url,
        ]
        projector = server.projector_pid
        cpu_before = cpu_seconds(server.pid)
        projector_before = cpu_seconds(projector) if projector else 0.0
        postgres_before = postgres_cpu_seconds()
        with MemoryWatch(server.pid) as memory:
            finished = subprocess.run(command, env=env, capture_output=True, text=True)
        cpu_used = cpu_seconds(server.pid) - cpu_before
        projector_used = cpu_seconds(projector) - projector_before if projector else 0.0
        postgres_used = postgres_cpu_seconds() - postgres_before
        if finished.returncode != 0 or not out.exists():
            raise RuntimeError(f"wrk failed: {finished.stdout}\n{finished.stderr}")
        summary = json.loads(out.read_text())
    latency = summary["latency_us"]
    return Load(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        errors=sum(summary["errors"].values()),
        p50_ms=round(latency["p50"] / 1000, 2),
        p95_ms=round(latency["p95"] / 1000, 2),
        p99_ms=round(latency["p99"] / 1000, 2),
        peak_rss_mib=memory.peak_mib,
        server_cpu_seconds=cpu_used,
        items_per_request=batch if mode == "batch" else 1,
        projector_cpu_seconds=projector_used,
        postgres_cpu_seconds=postgres_used,
    )
