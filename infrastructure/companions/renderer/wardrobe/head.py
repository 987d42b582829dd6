"""Head items: hats, crowns, headphones, a flower in the hair."""

from __future__ import annotations

import math

from infrastructure.companions.renderer.anatomy import Point
from infrastructure.companions.renderer.kit import Kit, star
from infrastructure.companions.renderer.svg import Path, group, points, tag
from infrastructure.companions.renderer.wardrobe.common import Colours, Draw

HEAD_WORDS = (
    (("graduat", "mortar"), "mortarboard"),
    (("crown", "tiara"), "crown"),
    (("top hat", "top_hat", "tophat"), "top_hat"),
    (("headphone", "earphone"), "headphones"),
    (("sweatband", "headband", "bandana"), "headband"),
    (("beanie", "toque", "bobble"), "beanie"),
    (("wizard", "witch"), "wizard_hat"),
    (("flower", "blossom", "daisy"), "flower"),
    (("bow",), "bow"),
    (("cap", "hat"), "cap"),
)
HEAD_FALLBACK = ("cap", "beanie", "crown", "top_hat", "flower")
HATS = frozenset({"cap", "mortarboard", "top_hat", "beanie", "wizard_hat"})
"""Head motifs that cover the crest: the buddy's tuft is not drawn under them."""


def cap(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.top + a.ry * 0.3
    w = a.rx * 0.66
    dome = (
        Path()
        .move(a.cx - w, y)
        .curve(a.cx - w, y - a.ry * 0.55, a.cx + w, y - a.ry * 0.55, a.cx + w, y)
        .close()
    )
    brim = (
        Path()
        .move(a.cx - w * 0.2, y)
        .quad(a.cx + w * 1.3, y - 10, a.cx + w * 1.6, y + 8)
        .quad(a.cx + w, y + 14, a.cx - w * 0.2, y + 4)
        .close()
    )
    return [
        tag("path", {"d": str(brim), **kit.ink(c.dark)}),
        tag("path", {"d": str(dome), **kit.ink(c.main)}),
        tag(
            "path",
            {"d": str(Path().move(a.cx, y - a.ry * 0.41).line(a.cx, y)), **kit.line(c.dark, 3)},
        ),
        tag("circle", {"cx": a.cx, "cy": y - a.ry * 0.42, "r": 6, **kit.ink(c.light, 3)}),
    ]


def mortarboard(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.top + a.ry * 0.18
    w = a.rx * 0.55
    board_w = a.rx * 0.95
    skull = (
        Path()
        .move(a.cx - w, y + a.ry * 0.16)
        .line(a.cx - w, y)
        .line(a.cx + w, y)
        .line(a.cx + w, y + a.ry * 0.16)
        .quad(a.cx, y + a.ry * 0.26, a.cx - w, y + a.ry * 0.16)
        .close()
    )
    board = points(
        a.cx - board_w, y - 2, a.cx, y - a.ry * 0.2, a.cx + board_w, y - 2, a.cx, y + a.ry * 0.16
    )
    top = Point(a.cx, y - 2)
    tassel = (
        Path()
        .move(top.x, top.y)
        .quad(a.cx + board_w * 0.7, y - 6, a.cx + board_w * 0.8, y + a.ry * 0.3)
    )
    return [
        tag("path", {"d": str(skull), **kit.ink(c.dark)}),
        tag("polygon", {"points": board, **kit.ink(c.dark)}),
        tag("path", {"d": str(tassel), **kit.line("#f2c94c", 4)}),
        tag(
            "rect",
            {
                "x": a.cx + board_w * 0.8 - 5,
                "y": y + a.ry * 0.28,
                "width": 10,
                "height": 18,
                "rx": 3,
                "fill": "#f2c94c",
            },
        ),
        tag("circle", {"cx": top.x, "cy": top.y, "r": 6, "fill": "#f2c94c"}),
    ]


def crown(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.top + a.ry * 0.12
    w = a.rx * 0.5
    h = a.ry * 0.38
    shape = points(
        a.cx - w,
        y,
        a.cx - w,
        y - h,
        a.cx - w * 0.5,
        y - h * 0.55,
        a.cx,
        y - h * 1.15,
        a.cx + w * 0.5,
        y - h * 0.55,
        a.cx + w,
        y - h,
        a.cx + w,
        y,
    )
    gold = "#f5c542"
    return [
        tag("polygon", {"points": shape, **kit.ink(gold)}),
        tag(
            "rect",
            {
                "x": a.cx - w,
                "y": y - h * 0.25,
                "width": w * 2,
                "height": h * 0.25,
                "fill": "#e0a82e",
            },
        ),
        tag(
            "circle",
            {
                "cx": a.cx,
                "cy": y - h * 0.55,
                "r": h * 0.16,
                "fill": c.main,
                "stroke": "#8a5a00",
                "stroke-width": 2,
            },
        ),
        tag("circle", {"cx": a.cx - w * 0.55, "cy": y - h * 0.12, "r": h * 0.09, "fill": c.extra}),
        tag("circle", {"cx": a.cx + w * 0.55, "cy": y - h * 0.12, "r": h * 0.09, "fill": c.extra}),
    ]


def top_hat(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.top + a.ry * 0.14
    w = a.rx * 0.4
    h = a.ry * 0.6
    return [
        tag(
            "ellipse",
            {"cx": a.cx, "cy": y, "rx": a.rx * 0.72, "ry": a.ry * 0.09, **kit.ink(c.dark)},
        ),
        tag(
            "rect",
            {"x": a.cx - w, "y": y - h, "width": w * 2, "height": h, "rx": 6, **kit.ink(c.dark)},
        ),
        tag(
            "rect",
            {"x": a.cx - w, "y": y - h * 0.34, "width": w * 2, "height": h * 0.16, "fill": c.main},
        ),
    ]


def beanie(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.top + a.ry * 0.32
    w = a.rx * 0.62
    dome = (
        Path()
        .move(a.cx - w, y)
        .curve(a.cx - w, y - a.ry * 0.62, a.cx + w, y - a.ry * 0.62, a.cx + w, y)
        .close()
    )
    parts = [tag("path", {"d": str(dome), **kit.ink(c.main)})]
    for k in range(-2, 3):
        x = a.cx + k * w * 0.32
        parts.append(
            tag(
                "path",
                {
                    "d": str(Path().move(x, y - 4).line(x * 0.9 + a.cx * 0.1, y - a.ry * 0.36)),
                    **kit.line(c.dark, 2.5),
                },
            )
        )
    parts.append(
        tag(
            "rect",
            {
                "x": a.cx - w * 1.04,
                "y": y - a.ry * 0.12,
                "width": w * 2.08,
                "height": a.ry * 0.16,
                "rx": 8,
                **kit.ink(c.light),
            },
        )
    )
    parts.append(
        tag("circle", {"cx": a.cx, "cy": y - a.ry * 0.48, "r": a.rx * 0.13, **kit.ink(c.extra)})
    )
    return parts


def wizard_hat(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.top + a.ry * 0.16
    w = a.rx * 0.55
    tip = Point(a.cx + a.rx * 0.3, y - a.ry * 0.95)
    cone = (
        Path()
        .move(a.cx - w, y)
        .quad(a.cx - w * 0.2, y - a.ry * 0.5, tip.x, tip.y)
        .quad(a.cx + w * 0.4, y - a.ry * 0.4, a.cx + w, y)
        .close()
    )
    return [
        tag("path", {"d": str(cone), **kit.ink(c.dark)}),
        tag(
            "ellipse", {"cx": a.cx, "cy": y, "rx": a.rx * 0.85, "ry": a.ry * 0.1, **kit.ink(c.main)}
        ),
        tag(
            "polygon",
            {"points": points(*star(a.cx - w * 0.15, y - a.ry * 0.3, 12)), "fill": "#ffe27a"},
        ),
        tag(
            "polygon",
            {"points": points(*star(a.cx + w * 0.3, y - a.ry * 0.55, 8)), "fill": "#ffe27a"},
        ),
    ]


def headphones(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.eye_y
    w = a.rx * 1.02
    band = (
        Path()
        .move(a.cx - w, y)
        .curve(a.cx - w, a.top - a.ry * 0.3, a.cx + w, a.top - a.ry * 0.3, a.cx + w, y)
    )
    parts = [
        tag("path", {"d": str(band), **kit.line(kit.palette.outline, 16)}),
        tag("path", {"d": str(band), **kit.line(c.dark, 10)}),
    ]
    for side in (-1, 1):
        x = a.cx + side * w
        parts.append(
            tag(
                "rect",
                {
                    "x": x - a.rx * 0.16,
                    "y": y - a.ry * 0.2,
                    "width": a.rx * 0.32,
                    "height": a.ry * 0.42,
                    "rx": a.rx * 0.12,
                    **kit.ink(c.main),
                },
            )
        )
        parts.append(
            tag(
                "rect",
                {
                    "x": x - a.rx * 0.07,
                    "y": y - a.ry * 0.12,
                    "width": a.rx * 0.14,
                    "height": a.ry * 0.26,
                    "rx": 5,
                    "fill": c.light,
                },
            )
        )
    return parts


def headband(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.eye_y - a.eye_r * 2.1
    band = tag(
        "rect",
        {
            "x": a.cx - a.rx * 1.2,
            "y": y - a.ry * 0.08,
            "width": a.rx * 2.4,
            "height": a.ry * 0.16,
            "fill": c.main,
        },
    )
    stripe = tag(
        "rect",
        {"x": a.cx - a.rx * 1.2, "y": y - 3, "width": a.rx * 2.4, "height": 6, "fill": c.light},
    )
    knot = Point(a.cx + a.rx * 0.9, y)
    tails = (
        Path()
        .move(knot.x, knot.y)
        .quad(knot.x + 30, knot.y - 10, knot.x + 44, knot.y + 10)
        .move(knot.x, knot.y)
        .quad(knot.x + 22, knot.y + 16, knot.x + 30, knot.y + 34)
    )
    return [
        group({"clip-path": kit.url("body")}, [band, stripe]),
        tag("path", {"d": str(tails), **kit.line(c.main, 8)}),
    ]


def flower(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    centre = Point(a.cx + a.rx * 0.55, a.top + a.ry * 0.22)
    r = a.rx * 0.12
    parts = []
    for k in range(5):
        angle = math.tau * k / 5
        parts.append(
            tag(
                "circle",
                {
                    "cx": centre.x + math.sin(angle) * r * 1.15,
                    "cy": centre.y - math.cos(angle) * r * 1.15,
                    "r": r,
                    **kit.ink(c.light, 2.5),
                },
            )
        )
    parts.append(
        tag("circle", {"cx": centre.x, "cy": centre.y, "r": r * 0.75, **kit.ink("#ffd23f", 2.5)})
    )
    return parts


def bow(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    centre = Point(a.cx + a.rx * 0.45, a.top + a.ry * 0.14)
    w, h = a.rx * 0.28, a.ry * 0.2
    left = points(centre.x, centre.y, centre.x - w, centre.y - h, centre.x - w, centre.y + h)
    right = points(centre.x, centre.y, centre.x + w, centre.y - h, centre.x + w, centre.y + h)
    return [
        tag("polygon", {"points": left, **kit.ink(c.main)}),
        tag("polygon", {"points": right, **kit.ink(c.main)}),
        tag("circle", {"cx": centre.x, "cy": centre.y, "r": h * 0.45, **kit.ink(c.dark)}),
    ]


HEAD: dict[str, Draw] = {
    "cap": cap,
    "mortarboard": mortarboard,
    "crown": crown,
    "top_hat": top_hat,
    "beanie": beanie,
    "wizard_hat": wizard_hat,
    "headphones": headphones,
    "headband": headband,
    "flower": flower,
    "bow": bow,
}
