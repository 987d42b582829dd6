"""Which processes are consuming the operation queue right now (decision 0028).

A process that runs a worker (``hatched worker``, or ``hatched serve`` with its embedded
worker) writes a heartbeat every ``BEAT_SECONDS``; a heartbeat older than ``ALIVE_SECONDS``
has expired. Readiness counts the live ones, so a queue nobody consumes is reported rather
than left to fill silently.

With Redis every process sees every heartbeat (a key with a time to live per worker
process). Without Redis the queue lives in this process's memory, which only this process's
own worker can consume, so the heartbeats stay in the process too.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from typing import Any

from infrastructure.shared.periodic import Periodic

BEAT_SECONDS = 5.0
ALIVE_SECONDS = 15.0
"""Three missed beats and a worker counts as gone (a long GC pause or a slow Redis is not)."""


class WorkerHeartbeats:
    def __init__(self, redis_url: str | None, namespace: str) -> None:
        self._prefix = f"{namespace}:worker-heartbeat:"
        self._redis: Any = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(
                redis_url, socket_timeout=2, socket_connect_timeout=2
            )
        self._local: dict[str, float] = {}
        self._lock = threading.Lock()
        self._id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._beating: Periodic | None = None
        self._threads = 0

    def start(self, threads: int) -> None:
        """Beat now and every ``BEAT_SECONDS`` until ``stop``."""
        self._threads = threads
        self.beat()
        self._beating = Periodic("worker-heartbeat", BEAT_SECONDS, self.beat)
        self._beating.start()

    def stop(self) -> None:
        """Stop beating and withdraw this worker at once (a clean stop is not a lost worker)."""
        if self._beating is None:
            return
        self._beating.stop()
        self._beating = None
        with self._lock:
            self._local.pop(self._id, None)
        if self._redis is not None:
            with contextlib.suppress(Exception):  # else the key expires by itself
                self._redis.delete(self._prefix + self._id)

    def beat(self) -> None:
        if self._redis is None:
            with self._lock:
                self._local[self._id] = time.monotonic() + ALIVE_SECONDS
            return
        value = json.dumps({"worker": self._id, "threads": self._threads, "at": time.time()})
        self._redis.set(self._prefix + self._id, value, ex=int(ALIVE_SECONDS))

    def alive(self) -> int:
        """How many worker processes beat within the last ``ALIVE_SECONDS``."""
        if self._redis is None:
            now = time.monotonic()
            with self._lock:
                return sum(1 for until in self._local.values() if until > now)
        return sum(1 for _ in self._redis.scan_iter(match=self._prefix + "*", count=100))

    def close(self) -> None:
        self.stop()
        if self._redis is not None:
            self._redis.close()
