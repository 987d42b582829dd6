"""Accessories: several may be worn; each finds its own place (``slot`` counts those before)."""

from __future__ import annotations

from collections.abc import Callable

from infrastructure.companions.renderer.anatomy import GROUND, Point
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.svg import Path, group, points, rotate, tag
from infrastructure.companions.renderer.wardrobe.common import Colours, five_star

ACCESSORY_WORDS = (
    (("balloon",), "balloon"),
    (("flag",), "flag_pin"),
    (("pin", "badge", "brooch", "button"), "pin"),
    (("bottle", "flask", "water", "canteen"), "bottle"),
    (("sticky", "note", "post-it", "memo"), "notes"),
    (("bag", "satchel", "backpack", "purse", "pouch"), "bag"),
    (("star", "firefly", "fairy", "companion", "pet", "sprite"), "companion"),
)
ACCESSORY_FALLBACK = ("pin", "companion", "balloon", "bag")

Place = Callable[[Kit, Colours, int], list[str]]


def balloon(kit: Kit, c: Colours, slot: int) -> list[str]:
    a = kit.anatomy
    hand = a.hand(-1)
    centre = Point(a.cx - a.rx - 60 + slot * 18, max(a.top - 40 - slot * 20, 70))
    string = (
        Path()
        .move(hand.x, hand.y)
        .quad(centre.x + 30, (hand.y + centre.y) / 2, centre.x, centre.y + 48)
    )
    return [
        tag("path", {"d": str(string), **kit.line("#666666", 2)}),
        tag("ellipse", {"cx": centre.x, "cy": centre.y, "rx": 36, "ry": 44, **kit.ink(c.main)}),
        tag(
            "polygon",
            {
                "points": points(
                    centre.x - 6,
                    centre.y + 52,
                    centre.x + 6,
                    centre.y + 52,
                    centre.x,
                    centre.y + 42,
                ),
                "fill": c.dark,
            },
        ),
        tag(
            "ellipse",
            {
                "cx": centre.x - 12,
                "cy": centre.y - 16,
                "rx": 8,
                "ry": 13,
                "fill": "#ffffff",
                "opacity": "0.5",
            },
        ),
    ]


def pin(kit: Kit, c: Colours, slot: int) -> list[str]:
    a = kit.anatomy
    centre = Point(a.cx - a.rx * 0.5 + slot * a.rx * 0.24, a.cy + a.ry * 0.5 + slot * 6)
    r = a.rx * 0.12 + 4
    return [
        tag("circle", {"cx": centre.x, "cy": centre.y, "r": r, **kit.ink(c.main, 3)}),
        tag(
            "polygon", {"points": points(*five_star(centre.x, centre.y, r * 0.6)), "fill": c.light}
        ),
    ]


def flag_pin(kit: Kit, c: Colours, slot: int) -> list[str]:
    a = kit.anatomy
    base = Point(a.cx - a.rx * 0.5 + slot * a.rx * 0.24, a.cy + a.ry * 0.5)
    w, h = a.rx * 0.3, a.rx * 0.2
    return [
        tag(
            "rect",
            {
                "x": base.x - w / 2,
                "y": base.y - h / 2,
                "width": w,
                "height": h,
                "rx": 3,
                **kit.ink(c.main, 3),
            },
        ),
        tag(
            "rect",
            {
                "x": base.x - w / 2,
                "y": base.y - h / 6,
                "width": w,
                "height": h / 3,
                "fill": "#ffffff",
            },
        ),
        tag("circle", {"cx": base.x, "cy": base.y, "r": h / 7, "fill": c.dark}),
    ]


def bottle(kit: Kit, c: Colours, slot: int) -> list[str]:
    a = kit.anatomy
    s = a.scale
    x = a.cx - a.rx - 40 * s - slot * 16
    w, h = 30 * s, 74 * s
    y = GROUND - h
    return [
        tag(
            "rect",
            {"x": x - w / 2, "y": y, "width": w, "height": h, "rx": 10 * s, **kit.ink(c.light)},
        ),
        tag(
            "rect",
            {"x": x - w / 2, "y": y + h * 0.35, "width": w, "height": h * 0.3, "fill": c.main},
        ),
        tag(
            "rect",
            {
                "x": x - w * 0.3,
                "y": y - 12 * s,
                "width": w * 0.6,
                "height": 14 * s,
                "rx": 3,
                **kit.ink(c.dark),
            },
        ),
    ]


def notes(kit: Kit, c: Colours, slot: int) -> list[str]:
    a = kit.anatomy
    parts = []
    for k, colour in enumerate((c.light, "#fff176", c.extra)):
        x = a.cx + a.rx * 0.25 + k * 16 - slot * 10
        y = a.cy - a.ry * 0.02 + k * 12
        parts.append(
            tag(
                "rect",
                {
                    "x": x,
                    "y": y,
                    "width": 30,
                    "height": 30,
                    "fill": colour,
                    "stroke": "#00000033",
                    "stroke-width": 1,
                    "transform": rotate(-8 + k * 9, x + 15, y + 15),
                },
            )
        )
    return parts


def bag(kit: Kit, c: Colours, slot: int) -> list[str]:
    a = kit.anatomy
    strap = (
        Path()
        .move(a.cx - a.rx * 0.6, a.neck_y - a.ry * 0.3)
        .line(a.cx + a.rx * 0.75, a.cy + a.ry * 0.55)
    )
    pouch = Point(a.cx + a.rx * 0.78, a.cy + a.ry * 0.6 + slot * 6)
    w = a.rx * 0.38
    return [
        group(
            {"clip-path": kit.url("body")}, [tag("path", {"d": str(strap), **kit.line(c.dark, 9)})]
        ),
        tag(
            "rect",
            {
                "x": pouch.x - w / 2,
                "y": pouch.y - w * 0.4,
                "width": w,
                "height": w * 0.8,
                "rx": 8,
                **kit.ink(c.main),
            },
        ),
        tag(
            "path",
            {
                "d": str(
                    Path()
                    .move(pouch.x - w / 2, pouch.y - w * 0.4)
                    .quad(pouch.x, pouch.y + w * 0.1, pouch.x + w / 2, pouch.y - w * 0.4)
                ),
                **kit.ink(c.dark, 3),
            },
        ),
    ]


def companion(kit: Kit, c: Colours, slot: int) -> list[str]:
    a = kit.anatomy
    centre = Point(a.cx + a.rx + 52 - slot * 12, max(a.top - 10 - slot * 26, 60))
    return [
        tag(
            "circle", {"cx": centre.x, "cy": centre.y, "r": 30, "fill": c.light, "opacity": "0.35"}
        ),
        tag(
            "polygon",
            {"points": points(*five_star(centre.x, centre.y, 22)), **kit.ink("#ffd23f", 3)},
        ),
        tag("circle", {"cx": centre.x - 6, "cy": centre.y - 1, "r": 2.6, "fill": "#1f1a2e"}),
        tag("circle", {"cx": centre.x + 6, "cy": centre.y - 1, "r": 2.6, "fill": "#1f1a2e"}),
    ]


ACCESSORY: dict[str, Place] = {
    "balloon": balloon,
    "pin": pin,
    "flag_pin": flag_pin,
    "bottle": bottle,
    "notes": notes,
    "bag": bag,
    "companion": companion,
}
