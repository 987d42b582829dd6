"""Body items: clothes clipped to the body's silhouette, and a cape that hangs behind it."""

from __future__ import annotations

from infrastructure.companions.renderer.anatomy import CANVAS, GROUND
from infrastructure.companions.renderer.creature import body_shape
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.svg import Path, group, points, tag
from infrastructure.companions.renderer.wardrobe.common import Colours, Draw, five_star

BODY_WORDS = (
    (("cape", "cloak", "mantle"), "cape"),
    (("vest", "jacket", "coat", "blazer", "waistcoat"), "vest"),
    (("overall", "dungaree", "apron"), "overalls"),
    (("armor", "armour", "plate", "breastplate"), "armor"),
    (("sweater", "jumper", "hoodie", "shirt", "tee", "jersey", "top"), "sweater"),
)
BODY_FALLBACK = ("sweater", "vest", "overalls", "cape")


def sweater(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y + 6
    parts = [
        tag(
            "rect",
            {
                "x": a.cx - a.rx * 1.1,
                "y": y,
                "width": a.rx * 2.2,
                "height": a.bottom - y + 10,
                "fill": c.main,
            },
        ),
        tag(
            "rect",
            {
                "x": a.cx - a.rx * 1.1,
                "y": a.bottom - a.ry * 0.16,
                "width": a.rx * 2.2,
                "height": a.ry * 0.2,
                "fill": c.dark,
            },
        ),
        tag(
            "path",
            {
                "d": str(
                    Path()
                    .move(a.cx - a.rx * 0.4, y)
                    .quad(a.cx, y + a.ry * 0.2, a.cx + a.rx * 0.4, y)
                ),
                **kit.line(c.dark, 7),
            },
        ),
    ]
    parts.append(
        tag(
            "polygon",
            {
                "points": points(*five_star(a.cx, y + (a.bottom - y) * 0.45, a.rx * 0.2)),
                "fill": c.light,
            },
        )
    )
    return [group({"clip-path": kit.url("body")}, parts)]


def vest(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y
    parts = []
    for side in (-1, 1):
        panel = points(
            a.cx + side * a.rx * 0.14,
            y,
            a.cx + side * a.rx * 1.2,
            y - a.ry * 0.1,
            a.cx + side * a.rx * 1.2,
            a.bottom + 10,
            a.cx + side * a.rx * 0.14,
            a.bottom + 10,
        )
        parts.append(
            tag("polygon", {"points": panel, "fill": c.main, "stroke": c.dark, "stroke-width": 4})
        )
    for k in range(3):
        parts.append(
            tag(
                "circle",
                {
                    "cx": a.cx + a.rx * 0.24,
                    "cy": y + a.ry * (0.18 + k * 0.2),
                    "r": 4.5,
                    "fill": c.light,
                },
            )
        )
    return [group({"clip-path": kit.url("body")}, parts)]


def overalls(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.cy + a.ry * 0.12
    bib_w = a.rx * 0.7
    parts = [
        tag(
            "rect",
            {
                "x": a.cx - a.rx * 1.1,
                "y": y + a.ry * 0.32,
                "width": a.rx * 2.2,
                "height": a.ry,
                "fill": c.main,
            },
        ),
        tag(
            "rect",
            {
                "x": a.cx - bib_w / 2,
                "y": y,
                "width": bib_w,
                "height": a.ry * 0.5,
                "rx": 6,
                "fill": c.main,
            },
        ),
        tag(
            "rect",
            {
                "x": a.cx - bib_w * 0.25,
                "y": y + a.ry * 0.1,
                "width": bib_w * 0.5,
                "height": a.ry * 0.18,
                "rx": 4,
                "fill": c.dark,
            },
        ),
    ]
    for side in (-1, 1):
        strap = (
            Path()
            .move(a.cx + side * bib_w * 0.4, y + 4)
            .line(a.cx + side * a.rx * 0.7, a.neck_y - a.ry * 0.25)
        )
        parts.append(tag("path", {"d": str(strap), **kit.line(c.main, 10)}))
        parts.append(
            tag("circle", {"cx": a.cx + side * bib_w * 0.4, "cy": y + 6, "r": 5, "fill": "#f2c14e"})
        )
    return [group({"clip-path": kit.url("body")}, parts)]


def armor(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    y = a.neck_y + 2
    plate = (
        Path()
        .move(a.cx - a.rx * 0.7, y)
        .quad(a.cx, y - a.ry * 0.12, a.cx + a.rx * 0.7, y)
        .line(a.cx + a.rx * 0.6, y + a.ry * 0.55)
        .quad(a.cx, y + a.ry * 0.85, a.cx - a.rx * 0.6, y + a.ry * 0.55)
        .close()
    )
    return [
        tag("path", {"d": str(plate), **kit.ink("#c9d1d9")}),
        tag(
            "path",
            {
                "d": str(Path().move(a.cx, y - a.ry * 0.04).line(a.cx, y + a.ry * 0.72)),
                **kit.line("#8b98a5", 4),
            },
        ),
        tag(
            "polygon",
            {"points": points(*five_star(a.cx, y + a.ry * 0.32, a.rx * 0.14)), "fill": c.main},
        ),
    ]


def cape(kit: Kit, c: Colours) -> list[str]:
    """Drawn only outside the body's silhouette (a mask), so it hangs behind the buddy."""
    a = kit.anatomy
    y = a.neck_y
    outside = kit.id("outside")
    mask = tag(
        "mask",
        {"id": outside},
        tag("rect", {"width": CANVAS, "height": CANVAS, "fill": "#ffffff"}),
        body_shape(kit, {"fill": "#000000"}),
    )
    flap = (
        Path()
        .move(a.cx - a.rx * 0.7, a.cy - a.ry * 0.35)
        .quad(a.cx - a.rx * 1.35, a.cy + a.ry * 0.3, a.cx - a.rx * 1.22, GROUND - 4)
        .line(a.cx + a.rx * 1.22, GROUND - 4)
        .quad(a.cx + a.rx * 1.35, a.cy + a.ry * 0.3, a.cx + a.rx * 0.7, a.cy - a.ry * 0.35)
        .close()
    )
    return [
        mask,
        tag("path", {"d": str(flap), **kit.ink(c.main), "mask": f"url(#{outside})"}),
        tag("circle", {"cx": a.cx - a.rx * 0.5, "cy": y + 4, "r": 8, **kit.ink("#f2c14e", 3)}),
        tag("circle", {"cx": a.cx + a.rx * 0.5, "cy": y + 4, "r": 8, **kit.ink("#f2c14e", 3)}),
    ]


BODY: dict[str, Draw] = {
    "sweater": sweater,
    "vest": vest,
    "overalls": overalls,
    "armor": armor,
    "cape": cape,
}
