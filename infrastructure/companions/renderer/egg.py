"""The egg, drawn from its ``visual_variant`` (0-11) and the creature style.

The variant picks the hue (twelve steps round the colour wheel) and the pattern (spots,
zigzag band, stripes, speckles); the hatchling keeps sitting in the bottom half of it.
"""

from __future__ import annotations

from infrastructure.companions.renderer.anatomy import CANVAS, GROUND
from infrastructure.companions.renderer.dice import Dice
from infrastructure.companions.renderer.palette import hsl
from infrastructure.companions.renderer.svg import Path, group, points, rotate, tag

PATTERNS = ("spots", "zigzag", "stripes", "speckles")
_TONES = {
    "cute": ((60, 90), (70, 72)),
    "sci-fi": ((12, 82), (100, 58)),
    "fantasy": ((55, 52), (80, 72)),
    "minimal": ((35, 88), (45, 60)),
}


def egg_colours(variant: int, style: str) -> tuple[str, str]:
    """(shell, pattern) for an egg of this variant."""
    hue = (variant * 30 + 15) % 360
    shell, pattern = _TONES.get(style, _TONES["cute"])
    return hsl(hue, *shell), hsl(hue + 180 if style == "sci-fi" else hue, *pattern)


def pattern_of(variant: int) -> str:
    return PATTERNS[variant % len(PATTERNS)]


def egg(variant: int, style: str, prefix: str) -> str:
    shell, ink = egg_colours(variant, style)
    outline = hsl(variant * 30 + 15, 35, 25) if style != "minimal" else "none"
    cx, w, h = CANVAS / 2, 118, 168
    bottom = GROUND - 4
    top = bottom - h * 2
    mid = bottom - h * 0.85
    shape = (
        Path()
        .move(cx, top)
        .curve(cx + w * 0.72, top, cx + w, mid - h * 0.45, cx + w, mid)
        .curve(cx + w, bottom - h * 0.28, cx + w * 0.58, bottom, cx, bottom)
        .curve(cx - w * 0.58, bottom, cx - w, bottom - h * 0.28, cx - w, mid)
        .curve(cx - w, mid - h * 0.45, cx - w * 0.72, top, cx, top)
        .close()
    )
    clip = f"{prefix}-egg"
    decoration = _pattern(
        pattern_of(variant), style, ink, cx, top, bottom, w, Dice(f"egg:{variant}", "pattern")
    )
    shine = (
        Path()
        .move(cx - w * 0.55, mid - h * 0.5)
        .quad(cx - w * 0.6, top + h * 0.35, cx - w * 0.15, top + h * 0.12)
    )
    parts = [
        tag("clipPath", {"id": clip}, tag("path", {"d": str(shape)})),
        tag(
            "ellipse",
            {
                "cx": cx,
                "cy": GROUND + 4,
                "rx": w * 1.05,
                "ry": 14,
                "fill": "#000000",
                "opacity": "0.18",
            },
        ),
        tag("path", {"d": str(shape), "fill": shell}),
        group({"clip-path": f"url(#{clip})"}, [decoration]),
        tag(
            "path",
            {
                "d": str(shape),
                "fill": "none",
                "stroke": outline,
                "stroke-width": 6 if style != "minimal" else 0,
            },
        ),
    ]
    if style != "minimal":
        parts.append(
            tag(
                "path",
                {
                    "d": str(shine),
                    "fill": "none",
                    "stroke": "#ffffff",
                    "stroke-width": 12,
                    "stroke-linecap": "round",
                    "opacity": "0.55",
                },
            )
        )
    if style == "sci-fi":
        parts.append(
            tag(
                "circle",
                {
                    "cx": cx,
                    "cy": mid + 20,
                    "r": 16,
                    "fill": ink,
                    "stroke": outline,
                    "stroke-width": 4,
                },
            )
        )
        parts.append(
            tag("circle", {"cx": cx, "cy": mid + 20, "r": 30, "fill": ink, "opacity": "0.25"})
        )
    return group({"id": "egg", "data-variant": variant, "data-pattern": pattern_of(variant)}, parts)


def _pattern(
    kind: str, style: str, ink: str, cx: float, top: float, bottom: float, w: float, dice: Dice
) -> str:
    if style == "fantasy":
        return _scales(ink, cx, top, bottom, w)
    if style == "sci-fi":
        return _seams(ink, top, bottom)
    if kind == "spots":
        spots = [
            (-0.45, 0.3, 26),
            (0.35, 0.22, 20),
            (0.05, 0.5, 30),
            (-0.35, 0.72, 18),
            (0.5, 0.66, 24),
            (0.0, 0.12, 14),
        ]
        return "".join(
            tag("circle", {"cx": cx + dx * w, "cy": top + dy * (bottom - top), "r": r, "fill": ink})
            for dx, dy, r in spots
        )
    if kind == "zigzag":
        y = top + (bottom - top) * 0.52
        coords: list[float] = []
        for i in range(13):
            coords += [cx - w * 1.1 + i * w * 0.18, y + (-18 if i % 2 else 18)]
        band = points(
            *coords,
            *[
                v
                for i in range(12, -1, -1)
                for v in (cx - w * 1.1 + i * w * 0.18, y + 40 + (-18 if i % 2 else 18))
            ],
        )
        return tag("polygon", {"points": band, "fill": ink})
    if kind == "stripes":
        return "".join(
            tag(
                "rect",
                {
                    "x": cx - w * 1.2,
                    "y": top + (bottom - top) * f,
                    "width": w * 2.4,
                    "height": 22,
                    "fill": ink,
                    "transform": rotate(-12, cx, top + (bottom - top) * f),
                },
            )
            for f in (0.28, 0.48, 0.68)
        )
    return "".join(
        tag(
            "circle",
            {
                "cx": dice.between(int(cx - w), int(cx + w)),
                "cy": dice.between(int(top + 20), int(bottom - 10)),
                "r": dice.between(4, 9),
                "fill": ink,
            },
        )
        for _ in range(26)
    )


def _scales(ink: str, cx: float, top: float, bottom: float, w: float) -> str:
    parts = []
    row = 0
    y = top + 30
    while y < bottom + 20:
        shift = 18 if row % 2 else 0
        x = cx - w - 20 + shift
        while x < cx + w + 20:
            d = Path().move(x - 18, y).quad(x, y + 30, x + 18, y)
            parts.append(
                tag(
                    "path",
                    {
                        "d": str(d),
                        "fill": "none",
                        "stroke": ink,
                        "stroke-width": 5,
                        "stroke-linecap": "round",
                    },
                )
            )
            x += 36
        y += 26
        row += 1
    return "".join(parts)


def _seams(ink: str, top: float, bottom: float) -> str:
    parts = []
    for f in (0.35, 0.62):
        y = top + (bottom - top) * f
        parts.append(tag("rect", {"x": 0, "y": y, "width": CANVAS, "height": 8, "fill": ink}))
        parts.append(
            tag(
                "rect",
                {"x": 0, "y": y - 6, "width": CANVAS, "height": 20, "fill": ink, "opacity": "0.25"},
            )
        )
    return "".join(parts)
