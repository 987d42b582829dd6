"""Colours: a buddy's palette from its seed and the customer's creature style and theme.

Hues come from the seed; each style fixes how saturated and how light each part is, so a
``cute`` buddy is always pastel and a ``sci-fi`` one always metal with a neon accent.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

from infrastructure.companions.renderer.dice import Dice


def hsl(hue: int, saturation: int, lightness: int) -> str:
    """``#rrggbb`` from integer HSL (degrees, percent, percent)."""
    r, g, b = colorsys.hls_to_rgb((hue % 360) / 360, lightness / 100, saturation / 100)
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in (r, g, b))


@dataclass(frozen=True)
class Palette:
    body: str
    body_shade: str
    belly: str
    accent: str
    accent_light: str
    outline: str
    eye: str
    iris: str
    cheek: str
    horn: str
    wing: str
    wing_shade: str
    glow: str
    backdrop_top: str
    backdrop_bottom: str
    ground: str
    sparkle: str
    outline_width: float
    hue: int


# (saturation, lightness) of body, shade, belly, accent, wing; outline lightness
_STYLE_TONES: dict[str, tuple[tuple[int, int], ...]] = {
    "cute": ((70, 74), (55, 62), (70, 91), (80, 66), (65, 82)),
    "sci-fi": ((14, 70), (16, 52), (12, 86), (100, 55), (20, 60)),
    "fantasy": ((58, 44), (55, 32), (62, 72), (82, 56), (50, 56)),
    "minimal": ((42, 62), (38, 52), (40, 86), (48, 50), (40, 74)),
}
_OUTLINE = {
    "cute": (40, 28, 6.0),
    "sci-fi": (30, 16, 5.0),
    "fantasy": (50, 16, 6.0),
    "minimal": (0, 0, 0.0),
}
_ACCENT_OFFSETS = {
    "cute": (150, 180, 210),
    "sci-fi": (160, 180, 200),
    "fantasy": (30, 45, 190),
    "minimal": (180, 150, 210),
}


def palette_for(seed: str, style: str, theme: str) -> Palette:
    dice = Dice(seed, "palette")
    hue = dice.roll(360)
    accent_hue = hue + dice.pick(_ACCENT_OFFSETS[style])
    if style == "fantasy" and dice.chance(50):
        accent_hue = 44  # gold
    body, shade, belly, accent, wing = _STYLE_TONES[style]
    outline_s, outline_l, outline_w = _OUTLINE[style]
    dark = theme == "dark"
    backdrop_hue = hue + 40
    return Palette(
        body=hsl(hue, *body),
        body_shade=hsl(hue + 8, *shade),
        belly=hsl(hue - 10, *belly),
        accent=hsl(accent_hue, *accent),
        accent_light=hsl(accent_hue, accent[0], min(accent[1] + 22, 94)),
        outline=hsl(hue, outline_s, outline_l),
        eye="#1f1a2e" if style != "sci-fi" else "#0d1b2a",
        iris=hsl(accent_hue, 90, 58) if style == "fantasy" else hsl(accent_hue, 100, 62),
        cheek=hsl(350, 85, 78),
        horn=hsl(hue + 25, 30, 88) if style == "cute" else hsl(hue + 30, 35, 78),
        wing=hsl(hue + 15, *wing),
        wing_shade=hsl(hue + 20, wing[0], max(wing[1] - 14, 10)),
        glow=hsl(accent_hue, 100, 70),
        backdrop_top=hsl(backdrop_hue, 45, 22) if dark else hsl(backdrop_hue, 70, 94),
        backdrop_bottom=hsl(backdrop_hue + 20, 40, 12) if dark else hsl(backdrop_hue + 20, 55, 84),
        ground=hsl(backdrop_hue, 30, 8) if dark else hsl(backdrop_hue, 25, 70),
        sparkle="#fff6c7" if dark else hsl(48, 100, 62),
        outline_width=outline_w,
        hue=hue % 360,
    )
