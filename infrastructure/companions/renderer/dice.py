"""Deterministic choices from a seed: SHA-256 in counter mode, never ``random`` or ``hash()``.

Each feature draws from its own named stream (``Dice(seed, "palette")``), so adding a feature
to one stage never shifts the colours or shapes another feature picked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Dice:
    def __init__(self, seed: str, stream: str) -> None:
        self._prefix = f"{seed}\x1f{stream}\x1f".encode()
        self._counter = 0

    def roll(self, sides: int) -> int:
        """A number from ``0`` to ``sides - 1``."""
        digest = hashlib.sha256(self._prefix + str(self._counter).encode()).digest()
        self._counter += 1
        return int.from_bytes(digest[:8], "big") % sides

    def between(self, low: int, high: int) -> int:
        return low + self.roll(high - low + 1)

    def pick(self, options: Sequence[T]) -> T:
        return options[self.roll(len(options))]

    def chance(self, percent: int) -> bool:
        return self.roll(100) < percent
