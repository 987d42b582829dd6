"""Neck items: scarf, medal, tie, bow tie, necklace, collar."""

from __future__ import annotations

import math

from infrastructure.companions.renderer.anatomy import Point
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.svg import Path, group, points, tag
from infrastructure.companions.renderer.wardrobe.common import Colours, Draw, five_star

NECK_WORDS = (
    (("scarf", "muffler", "shawl"), "scarf"),
    (("medal", "medallion", "trophy"), "medal"),
    (("bowtie", "bow_tie", "bow tie"), "bowtie"),
    (("tie", "cravat"), "tie"),
    (("necklace", "pendant", "amulet", "chain", "locket"), "necklace"),
    (("collar", "bell"), "collar"),
)
NECK_FALLBACK = ("scarf", "medal", "bowtie", "necklace", "collar")


def scarf(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y
    h = a.ry * 0.2
    band = (
        Path()
        .move(a.cx - a.rx * 1.1, y - h * 0.6)
        .quad(a.cx, y + h * 0.6, a.cx + a.rx * 1.1, y - h * 0.6)
        .line(a.cx + a.rx * 1.1, y + h * 0.5)
        .quad(a.cx, y + h * 1.7, a.cx - a.rx * 1.1, y + h * 0.5)
        .close()
    )
    stripes = [
        tag(
            "rect",
            {
                "x": a.cx - a.rx * 1.1 + k * a.rx * 0.32,
                "y": y - h * 1.5,
                "width": a.rx * 0.12,
                "height": h * 4,
                "fill": c.light,
                "opacity": "0.8",
            },
        )
        for k in range(8)
    ]
    hang_x = a.cx - a.rx * 0.45
    hang = (
        Path()
        .move(hang_x - a.rx * 0.14, y + h * 0.6)
        .line(hang_x + a.rx * 0.14, y + h * 0.7)
        .line(hang_x + a.rx * 0.18, y + a.ry * 0.62)
        .line(hang_x - a.rx * 0.16, y + a.ry * 0.6)
        .close()
    )
    clip = kit.id("scarf")
    return [
        tag("clipPath", {"id": clip}, tag("path", {"d": str(band)})),
        tag("path", {"d": str(hang), **kit.ink(c.main)}),
        tag("path", {"d": str(band), **kit.ink(c.main)}),
        group({"clip-path": f"url(#{clip})"}, stripes),
        tag(
            "path",
            {
                "d": str(
                    Path()
                    .move(hang_x - a.rx * 0.16, y + a.ry * 0.56)
                    .line(hang_x + a.rx * 0.18, y + a.ry * 0.58)
                ),
                **kit.line(c.light, 6),
            },
        ),
    ]


def medal(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y
    centre = Point(a.cx, y + a.ry * 0.42)
    r = a.rx * 0.17
    ribbon = points(
        a.cx - a.rx * 0.5,
        y - 6,
        a.cx - a.rx * 0.32,
        y - 6,
        centre.x + 6,
        centre.y - r,
        centre.x - 6,
        centre.y - r,
    )
    ribbon2 = points(
        a.cx + a.rx * 0.5,
        y - 6,
        a.cx + a.rx * 0.32,
        y - 6,
        centre.x - 6,
        centre.y - r,
        centre.x + 6,
        centre.y - r,
    )
    return [
        tag("polygon", {"points": ribbon, **kit.ink(c.main, 3)}),
        tag("polygon", {"points": ribbon2, **kit.ink(c.dark, 3)}),
        tag("circle", {"cx": centre.x, "cy": centre.y, "r": r, **kit.ink("#f2c14e", 4)}),
        tag(
            "polygon",
            {"points": points(*five_star(centre.x, centre.y, r * 0.6)), "fill": "#d48c1c"},
        ),
    ]


def tie(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y
    w = a.rx * 0.1
    knot = points(
        a.cx - w, y - 4, a.cx + w, y - 4, a.cx + w * 0.7, y + w * 1.4, a.cx - w * 0.7, y + w * 1.4
    )
    blade = points(
        a.cx - w * 0.7,
        y + w * 1.4,
        a.cx + w * 0.7,
        y + w * 1.4,
        a.cx + w * 1.4,
        y + a.ry * 0.62,
        a.cx,
        y + a.ry * 0.74,
        a.cx - w * 1.4,
        y + a.ry * 0.62,
    )
    return [
        tag("polygon", {"points": blade, **kit.ink(c.main)}),
        tag(
            "line",
            {
                "x1": a.cx - w * 0.9,
                "y1": y + a.ry * 0.3,
                "x2": a.cx + w * 1.1,
                "y2": y + a.ry * 0.2,
                **kit.line(c.light, 5),
            },
        ),
        tag("polygon", {"points": knot, **kit.ink(c.dark)}),
    ]


def bowtie(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y + 4
    w, h = a.rx * 0.26, a.ry * 0.12
    return [
        tag(
            "polygon",
            {"points": points(a.cx, y, a.cx - w, y - h, a.cx - w, y + h), **kit.ink(c.main)},
        ),
        tag(
            "polygon",
            {"points": points(a.cx, y, a.cx + w, y - h, a.cx + w, y + h), **kit.ink(c.main)},
        ),
        tag(
            "rect",
            {
                "x": a.cx - h * 0.5,
                "y": y - h * 0.5,
                "width": h,
                "height": h,
                "rx": 4,
                **kit.ink(c.dark),
            },
        ),
    ]


def necklace(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y
    parts = []
    beads = 9
    for k in range(beads):
        t = k / (beads - 1)
        x = a.cx - a.rx * 0.55 + t * a.rx * 1.1
        yy = y + math.sin(t * math.pi) * a.ry * 0.18
        parts.append(
            tag(
                "circle",
                {"cx": x, "cy": yy, "r": 5, "fill": c.light, "stroke": c.dark, "stroke-width": 2},
            )
        )
    gem = Point(a.cx, y + a.ry * 0.28)
    r = a.rx * 0.09
    parts.append(
        tag(
            "polygon",
            {
                "points": points(
                    gem.x, gem.y - r, gem.x + r, gem.y, gem.x, gem.y + r * 1.4, gem.x - r, gem.y
                ),
                **kit.ink(c.main, 3),
            },
        )
    )
    return parts


def collar(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y
    band = (
        Path()
        .move(a.cx - a.rx * 1.1, y - 8)
        .quad(a.cx, y + a.ry * 0.16, a.cx + a.rx * 1.1, y - 8)
        .line(a.cx + a.rx * 1.1, y + 6)
        .quad(a.cx, y + a.ry * 0.3, a.cx - a.rx * 1.1, y + 6)
        .close()
    )
    bell = Point(a.cx, y + a.ry * 0.22)
    r = a.rx * 0.09
    return [
        group({"clip-path": kit.url("body")}, [tag("path", {"d": str(band), "fill": c.main})]),
        tag("circle", {"cx": bell.x, "cy": bell.y, "r": r, **kit.ink("#f2c14e", 3)}),
        tag(
            "line",
            {
                "x1": bell.x - r * 0.6,
                "y1": bell.y + r * 0.2,
                "x2": bell.x + r * 0.6,
                "y2": bell.y + r * 0.2,
                **kit.line("#8a5a00", 2),
            },
        ),
    ]


NECK: dict[str, Draw] = {
    "scarf": scarf,
    "medal": medal,
    "tie": tie,
    "bowtie": bowtie,
    "necklace": necklace,
    "collar": collar,
}
