"""Hand items: what the buddy holds in its right hand, with its paw over the grip."""

from __future__ import annotations

import math

from infrastructure.companions.renderer.anatomy import Point
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.svg import Path, points, rotate, tag
from infrastructure.companions.renderer.wardrobe.common import Colours, Draw, five_star

HAND_WORDS = (
    (("quill", "pen", "pencil", "feather"), "quill"),
    (("dumbbell", "weight", "kettlebell", "barbell"), "dumbbell"),
    (("mug", "cup", "coffee", "tea"), "mug"),
    (("wand", "staff", "sceptre", "scepter"), "wand"),
    (("sword", "blade", "saber", "sabre"), "sword"),
    (("book", "tome", "notebook"), "book"),
    (("flag", "banner", "pennant"), "flag"),
    (("flower", "rose", "bouquet", "tulip"), "rose"),
)
HAND_FALLBACK = ("wand", "book", "flag", "orb")


def _grip(kit: Kit) -> Point:
    return kit.anatomy.hand(1)


def _paw(kit: Kit, at: Point) -> str:
    a = kit.anatomy
    fill = kit.palette.body if kit.style != "sci-fi" else kit.palette.body_shade
    return tag("circle", {"cx": at.x, "cy": at.y, "r": a.rx * 0.12 + 3, **kit.ink(fill)})


def quill(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    tip = Point(g.x + 14 * s, g.y + 30 * s)
    top = Point(g.x + 46 * s, g.y - 86 * s)
    vane = (
        Path()
        .move(tip.x, tip.y)
        .quad(top.x + 30 * s, g.y - 20 * s, top.x, top.y)
        .quad(g.x - 10 * s, g.y - 30 * s, tip.x, tip.y)
        .close()
    )
    return [
        tag("path", {"d": str(vane), **kit.ink(c.light)}),
        tag(
            "path",
            {
                "d": str(Path().move(tip.x, tip.y).quad(g.x + 26 * s, g.y - 30 * s, top.x, top.y)),
                **kit.line(c.dark, 3),
            },
        ),
        tag(
            "polygon",
            {
                "points": points(tip.x - 4, tip.y - 6, tip.x + 4, tip.y - 4, tip.x - 2, tip.y + 10),
                "fill": "#333333",
            },
        ),
        _paw(kit, g),
    ]


def dumbbell(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    w = 46 * s
    parts = [
        tag(
            "rect",
            {
                "x": g.x - w,
                "y": g.y - 5,
                "width": w * 2,
                "height": 10,
                "rx": 4,
                **kit.ink("#9aa5b1", 3),
            },
        )
    ]
    for side in (-1, 1):
        for k, h in ((0, 44), (1, 32)):
            x = g.x + side * (w - 8 - k * 14)
            parts.append(
                tag(
                    "rect",
                    {
                        "x": x - 7,
                        "y": g.y - h * s / 2,
                        "width": 14,
                        "height": h * s,
                        "rx": 4,
                        **kit.ink(c.main if k == 0 else c.dark),
                    },
                )
            )
    parts.append(_paw(kit, g))
    return parts


def mug(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    w, h = 34 * s, 40 * s
    x, y = g.x + 6 * s, g.y - h * 0.6
    parts = [
        tag(
            "path",
            {
                "d": str(
                    Path()
                    .move(x + w, y + h * 0.25)
                    .quad(x + w + 18 * s, y + h * 0.5, x + w, y + h * 0.75)
                ),
                **kit.line(c.dark, 6),
            },
        ),
        tag("rect", {"x": x, "y": y, "width": w, "height": h, "rx": 6, **kit.ink(c.main)}),
        tag("ellipse", {"cx": x + w / 2, "cy": y + 3, "rx": w / 2 - 3, "ry": 4, "fill": "#6f4e37"}),
    ]
    for k in (0.3, 0.65):
        steam = (
            Path()
            .move(x + w * k, y - 6)
            .quad(x + w * k - 8, y - 18 * s, x + w * k, y - 28 * s)
            .quad(x + w * k + 8, y - 38 * s, x + w * k, y - 48 * s)
        )
        parts.append(tag("path", {"d": str(steam), **kit.line("#ffffff", 4), "opacity": "0.7"}))
    parts.append(_paw(kit, Point(g.x + 4, g.y)))
    return parts


def wand(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    tip = Point(g.x + 40 * s, g.y - 80 * s)
    return [
        tag(
            "line",
            {
                "x1": g.x - 10 * s,
                "y1": g.y + 24 * s,
                "x2": tip.x,
                "y2": tip.y,
                **kit.line(kit.palette.outline, 11),
            },
        ),
        tag(
            "line",
            {
                "x1": g.x - 10 * s,
                "y1": g.y + 24 * s,
                "x2": tip.x,
                "y2": tip.y,
                **kit.line(c.dark, 6),
            },
        ),
        tag("circle", {"cx": tip.x, "cy": tip.y, "r": 22 * s, "fill": c.light, "opacity": "0.4"}),
        tag(
            "polygon",
            {"points": points(*five_star(tip.x, tip.y, 17 * s)), **kit.ink("#ffd23f", 3)},
        ),
        _paw(kit, g),
    ]


def sword(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    tip = Point(g.x + 30 * s, g.y - 110 * s)
    guard = Point(g.x + 6 * s, g.y - 18 * s)
    blade = points(guard.x - 7, guard.y, tip.x, tip.y, guard.x + 7, guard.y + 2)
    return [
        tag("polygon", {"points": blade, **kit.ink("#dfe6ee", 3)}),
        tag(
            "line",
            {
                "x1": guard.x - 20 * s,
                "y1": guard.y - 4,
                "x2": guard.x + 20 * s,
                "y2": guard.y + 6,
                **kit.line(c.dark, 8),
            },
        ),
        tag(
            "line",
            {
                "x1": guard.x,
                "y1": guard.y,
                "x2": g.x - 6 * s,
                "y2": g.y + 20 * s,
                **kit.line(c.main, 8),
            },
        ),
        _paw(kit, g),
    ]


def book(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    w, h = 44 * s, 56 * s
    x, y = g.x - 4 * s, g.y - h * 0.7
    return [
        tag("rect", {"x": x, "y": y, "width": w, "height": h, "rx": 4, **kit.ink(c.main)}),
        tag("rect", {"x": x + w - 8, "y": y + 4, "width": 6, "height": h - 8, "fill": "#fff8e7"}),
        tag(
            "rect",
            {"x": x + 8, "y": y + h * 0.25, "width": w - 22, "height": 8, "rx": 2, "fill": c.light},
        ),
        _paw(kit, g),
    ]


def flag(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    top = Point(g.x + 6 * s, g.y - 100 * s)
    cloth = (
        Path()
        .move(top.x, top.y)
        .quad(top.x + 30 * s, top.y - 10 * s, top.x + 60 * s, top.y + 4 * s)
        .line(top.x + 60 * s, top.y + 40 * s)
        .quad(top.x + 30 * s, top.y + 28 * s, top.x, top.y + 38 * s)
        .close()
    )
    return [
        tag(
            "line",
            {
                "x1": g.x + 2 * s,
                "y1": g.y + 30 * s,
                "x2": top.x,
                "y2": top.y - 4,
                **kit.line("#8d6e63", 6),
            },
        ),
        tag("path", {"d": str(cloth), **kit.ink(c.main)}),
        tag(
            "polygon",
            {"points": points(*five_star(top.x + 30 * s, top.y + 18 * s, 9 * s)), "fill": c.light},
        ),
        _paw(kit, g),
    ]


def rose(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    head = Point(g.x + 22 * s, g.y - 70 * s)
    parts = [
        tag(
            "path",
            {
                "d": str(
                    Path().move(g.x, g.y + 16 * s).quad(g.x + 16 * s, g.y - 20 * s, head.x, head.y)
                ),
                **kit.line("#3f8f4a", 6),
            },
        )
    ]
    parts.append(
        tag(
            "ellipse",
            {
                "cx": g.x + 18 * s,
                "cy": g.y - 26 * s,
                "rx": 12 * s,
                "ry": 6 * s,
                "fill": "#4caf50",
                "transform": rotate(-35, g.x + 18 * s, g.y - 26 * s),
            },
        )
    )
    for k in range(5):
        angle = math.tau * k / 5
        parts.append(
            tag(
                "circle",
                {
                    "cx": head.x + math.sin(angle) * 11 * s,
                    "cy": head.y - math.cos(angle) * 11 * s,
                    "r": 11 * s,
                    **kit.ink(c.main, 2.5),
                },
            )
        )
    parts.append(tag("circle", {"cx": head.x, "cy": head.y, "r": 8 * s, "fill": c.dark}))
    parts.append(_paw(kit, g))
    return parts


def orb(kit: Kit, c: Colours) -> list[str]:
    g = _grip(kit)
    s = kit.anatomy.scale
    centre = Point(g.x + 8 * s, g.y - 34 * s)
    return [
        tag(
            "circle",
            {"cx": centre.x, "cy": centre.y, "r": 40 * s, "fill": c.light, "opacity": "0.35"},
        ),
        tag("circle", {"cx": centre.x, "cy": centre.y, "r": 26 * s, **kit.ink(c.main)}),
        tag(
            "circle",
            {
                "cx": centre.x - 9 * s,
                "cy": centre.y - 9 * s,
                "r": 7 * s,
                "fill": "#ffffff",
                "opacity": "0.8",
            },
        ),
        _paw(kit, g),
    ]


HAND: dict[str, Draw] = {
    "quill": quill,
    "dumbbell": dumbbell,
    "mug": mug,
    "wand": wand,
    "sword": sword,
    "book": book,
    "flag": flag,
    "rose": rose,
    "orb": orb,
}
