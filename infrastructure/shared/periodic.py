"""Runs a function every few seconds on a daemon thread (the sweeper's clock)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("hatched.periodic")


class Periodic:
    def __init__(self, name: str, interval_seconds: float, action: Callable[[], Any]) -> None:
        self.name = name
        self._interval = interval_seconds
        self._action = action
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._action()
            except Exception:
                log.exception("%s failed; trying again in %g s", self.name, self._interval)


def each(*actions: Callable[[], Any]) -> Callable[[], None]:
    """One periodic action running ``actions`` in turn; one failing does not stop the others
    (the sweeper's re-enqueueing and the streak sweep share one schedule)."""

    def run() -> None:
        for action in actions:
            try:
                action()
            except Exception:
                log.exception(
                    "%s failed; trying again next time", getattr(action, "__qualname__", action)
                )

    return run
