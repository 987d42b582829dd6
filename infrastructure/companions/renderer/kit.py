"""What every part of a drawing needs: the anatomy, the palette, the style, unique ids."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from infrastructure.companions.renderer.anatomy import Anatomy, Point
from infrastructure.companions.renderer.dice import Dice
from infrastructure.companions.renderer.palette import Palette
from infrastructure.companions.renderer.svg import Attr


@dataclass(frozen=True)
class Kit:
    anatomy: Anatomy
    palette: Palette
    style: str
    seed: str
    prefix: str  # makes gradient and clip ids unique when several pictures share a page

    @classmethod
    def make(cls, anatomy: Anatomy, palette: Palette, style: str, seed: str) -> Kit:
        prefix = "h" + hashlib.sha256(f"{seed}:{style}:{anatomy.stage}".encode()).hexdigest()[:8]
        return cls(anatomy, palette, style, seed, prefix)

    def dice(self, stream: str) -> Dice:
        return Dice(self.seed, stream)

    def id(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def url(self, name: str) -> str:
        return f"url(#{self.id(name)})"

    def ink(self, fill: str, width: float | None = None) -> dict[str, Attr]:
        """Fill plus the style's outline (``minimal`` draws none)."""
        w = self.palette.outline_width if width is None else width
        if w <= 0:
            return {"fill": fill}
        return {
            "fill": fill,
            "stroke": self.palette.outline,
            "stroke-width": w,
            "stroke-linejoin": "round",
        }

    def line(self, color: str | None = None, width: float | None = None) -> dict[str, Attr]:
        """A stroke with no fill, in the outline colour unless told otherwise."""
        return {
            "fill": "none",
            "stroke": color or self.palette.outline,
            "stroke-width": width if width is not None else max(self.palette.outline_width, 3.0),
            "stroke-linecap": "round",
            "stroke-linejoin": "round",
        }


def lerp(a: Point, b: Point, t: float) -> Point:
    return Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)


def normal(a: Point, b: Point, length: float) -> tuple[float, float]:
    """A vector of ``length`` at right angles to ``a → b`` (to its left, in screen space)."""
    dx, dy = b.x - a.x, b.y - a.y
    size = math.hypot(dx, dy) or 1.0
    return dy / size * length, -dx / size * length


def star(cx: float, cy: float, r: float) -> list[float]:
    """A four-pointed sparkle as polygon coordinates."""
    inner = r * 0.28
    coords: list[float] = []
    for i in range(8):
        radius = r if i % 2 == 0 else inner
        angle = math.pi / 4 * i
        coords += [cx + radius * math.sin(angle), cy - radius * math.cos(angle)]
    return coords
