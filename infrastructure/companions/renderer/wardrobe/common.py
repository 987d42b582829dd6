"""What every item drawing shares: its colours (from its id), the drawing signature, a star."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from infrastructure.companions.renderer.dice import Dice
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.palette import hsl


@dataclass(frozen=True)
class Colours:
    main: str
    light: str
    dark: str
    extra: str


Draw = Callable[[Kit, Colours], list[str]]


def colours_of(item_id: str) -> Colours:
    """An item's colours come from its id, so it looks the same on every buddy."""
    dice = Dice(item_id, "colour")
    hue = dice.roll(360)
    return Colours(
        main=hsl(hue, 72, 56),
        light=hsl(hue, 75, 80),
        dark=hsl(hue, 55, 30),
        extra=hsl(hue + dice.pick((120, 180, 210)), 80, 62),
    )


def five_star(cx: float, cy: float, r: float) -> list[float]:
    coords: list[float] = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = math.pi / 5 * i
        coords += [cx + radius * math.sin(angle), cy - radius * math.cos(angle)]
    return coords
