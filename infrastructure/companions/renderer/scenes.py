"""Backdrops: the default one behind every buddy, and the scenes ``background`` items show.

A background item replaces the default backdrop. Like other items its motif comes from the
words of its id and name (``library_background`` → shelves of books), else from its id.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.companions.appearance import ItemLayer
from infrastructure.companions.renderer.anatomy import CANVAS, GROUND
from infrastructure.companions.renderer.dice import Dice
from infrastructure.companions.renderer.palette import Palette, hsl
from infrastructure.companions.renderer.svg import Path, group, points, rotate, tag


def _sky(prefix: str, top: str, bottom: str) -> list[str]:
    gradient = tag(
        "linearGradient",
        {"id": f"{prefix}-sky", "x1": "0", "y1": "0", "x2": "0", "y2": "1"},
        tag("stop", {"offset": "0", "stop-color": top}),
        tag("stop", {"offset": "1", "stop-color": bottom}),
    )
    return [
        tag("defs", {}, gradient),
        tag("rect", {"width": CANVAS, "height": CANVAS, "fill": f"url(#{prefix}-sky)"}),
    ]


def backdrop(prefix: str, palette: Palette, dark: bool) -> str:
    """A soft gradient with a ground glow; on the dark theme, a few more stars."""
    parts = _sky(prefix, palette.backdrop_top, palette.backdrop_bottom)
    parts.append(
        tag(
            "ellipse",
            {
                "cx": CANVAS / 2,
                "cy": GROUND + 70,
                "rx": CANVAS * 0.72,
                "ry": 96,
                "fill": palette.ground,
                "opacity": "0.18" if dark else "0.22",
            },
        )
    )
    dice = Dice(prefix, "backdrop")
    for _ in range(9 if dark else 6):
        x, y = dice.between(24, CANVAS - 24), dice.between(24, 260)
        parts.append(
            tag(
                "circle",
                {
                    "cx": x,
                    "cy": y,
                    "r": dice.between(2, 5),
                    "fill": "#ffffff",
                    "opacity": "0.8" if dark else "0.55",
                },
            )
        )
    return group({"id": "backdrop"}, parts)


# -- background items ------------------------------------------------------------------------

SCENE_WORDS = (
    (("library", "study", "book"), "library"),
    (("gym", "fitness", "workout"), "gym"),
    (("office", "desk", "work"), "office"),
    (("space", "galaxy", "cosmos", "night", "moon"), "space"),
    (("beach", "sea", "ocean", "coast"), "beach"),
    (("forest", "wood", "jungle"), "forest"),
    (("mountain", "alps", "peak", "snow"), "mountains"),
    (("city", "town", "street", "skyline"), "city"),
    (("meadow", "garden", "field", "park", "grass"), "meadow"),
)
SCENE_FALLBACK = ("meadow", "space", "beach", "forest", "mountains", "city")


def scene(prefix: str, item: ItemLayer) -> str:
    words = f"{item.item_id} {item.name}".lower()
    motif = next((m for keys, m in SCENE_WORDS if any(k in words for k in keys)), None)
    motif = motif or Dice(item.item_id, "motif").pick(SCENE_FALLBACK)
    hue = Dice(item.item_id, "colour").roll(360)
    parts = SCENES[motif](prefix, hue)
    return group(
        {"data-item": item.item_id, "data-category": item.category, "data-motif": motif}, parts
    )


def library(prefix: str, hue: int) -> list[str]:
    wood, dark = hsl(28, 45, 42), hsl(28, 45, 28)
    books = [hsl(hue + k * 47, 60, 52) for k in range(6)]
    parts = [*_sky(prefix, hsl(35, 50, 88), hsl(35, 40, 78))]
    parts.append(
        tag("rect", {"x": 14, "y": 30, "width": 484, "height": 344, "rx": 10, "fill": dark})
    )
    for row, y in enumerate((40, 150, 260)):
        parts.append(
            tag("rect", {"x": 24, "y": y, "width": 464, "height": 100, "fill": hsl(28, 35, 22)})
        )
        x, index = 30 + row * 7, row * 3
        while x < 470:
            width = 16 + (index * 7) % 14
            height = 62 + (index * 11) % 30
            parts.append(
                tag(
                    "rect",
                    {
                        "x": x,
                        "y": y + 100 - height,
                        "width": width,
                        "height": height,
                        "rx": 3,
                        "fill": books[index % len(books)],
                    },
                )
            )
            parts.append(
                tag(
                    "rect",
                    {
                        "x": x + 3,
                        "y": y + 100 - height + 10,
                        "width": width - 6,
                        "height": 4,
                        "fill": "#ffffff",
                        "opacity": "0.5",
                    },
                )
            )
            x += width + 4
            index += 1
        parts.append(tag("rect", {"x": 18, "y": y + 100, "width": 476, "height": 10, "fill": wood}))
    parts.append(
        tag("rect", {"y": GROUND - 40, "width": CANVAS, "height": 120, "fill": hsl(hue, 35, 38)})
    )
    parts.append(
        tag("rect", {"y": GROUND - 40, "width": CANVAS, "height": 8, "fill": hsl(hue, 35, 30)})
    )
    return parts


def gym(prefix: str, hue: int) -> list[str]:
    parts = [*_sky(prefix, hsl(hue, 30, 90), hsl(hue, 25, 80))]
    parts.append(
        tag(
            "rect",
            {
                "x": 300,
                "y": 60,
                "width": 170,
                "height": 130,
                "rx": 10,
                "fill": hsl(200, 70, 85),
                "stroke": "#ffffff",
                "stroke-width": 10,
            },
        )
    )
    parts.append(
        tag(
            "line",
            {"x1": 385, "y1": 60, "x2": 385, "y2": 190, "stroke": "#ffffff", "stroke-width": 8},
        )
    )
    parts.append(
        tag("rect", {"x": 0, "y": 230, "width": CANVAS, "height": 16, "fill": hsl(hue, 70, 55)})
    )
    parts.append(
        tag("rect", {"x": 40, "y": 250, "width": 150, "height": 10, "rx": 4, "fill": "#7b8794"})
    )
    for k in range(3):
        x = 55 + k * 48
        parts.append(
            tag(
                "rect",
                {"x": x - 16, "y": 262, "width": 32, "height": 12, "rx": 4, "fill": "#7b8794"},
            )
        )
        parts.append(
            tag("circle", {"cx": x, "cy": 290, "r": 18 - k * 3, "fill": hsl(hue + 180, 20, 30)})
        )
    parts.append(
        tag("rect", {"y": GROUND - 36, "width": CANVAS, "height": 130, "fill": hsl(30, 55, 62)})
    )
    for k in range(8):
        parts.append(
            tag(
                "line",
                {
                    "x1": k * 70,
                    "y1": GROUND - 36,
                    "x2": k * 70 - 40,
                    "y2": CANVAS,
                    "stroke": hsl(30, 50, 52),
                    "stroke-width": 4,
                },
            )
        )
    return parts


def office(prefix: str, hue: int) -> list[str]:
    parts = [*_sky(prefix, hsl(hue, 35, 92), hsl(hue, 30, 84))]
    parts.append(
        tag(
            "rect",
            {
                "x": 40,
                "y": 50,
                "width": 180,
                "height": 150,
                "rx": 10,
                "fill": hsl(205, 75, 82),
                "stroke": "#ffffff",
                "stroke-width": 10,
            },
        )
    )
    parts.append(tag("circle", {"cx": 170, "cy": 100, "r": 22, "fill": "#ffe082"}))
    parts.append(
        tag(
            "line",
            {"x1": 130, "y1": 50, "x2": 130, "y2": 200, "stroke": "#ffffff", "stroke-width": 8},
        )
    )
    parts.append(
        tag(
            "rect",
            {
                "x": 330,
                "y": 70,
                "width": 120,
                "height": 80,
                "rx": 6,
                "fill": "#ffffff",
                "stroke": hsl(hue, 20, 60),
                "stroke-width": 6,
            },
        )
    )
    for k in range(3):
        parts.append(
            tag(
                "rect",
                {
                    "x": 346,
                    "y": 86 + k * 18,
                    "width": 88 - k * 20,
                    "height": 8,
                    "rx": 3,
                    "fill": hsl(hue + k * 60, 60, 60),
                },
            )
        )
    parts.append(
        tag(
            "rect",
            {"x": 410, "y": 250, "width": 56, "height": 60, "rx": 8, "fill": hsl(18, 55, 50)},
        )
    )
    for k in (-1, 0, 1):
        parts.append(
            tag(
                "ellipse",
                {
                    "cx": 438 + k * 16,
                    "cy": 232 - abs(k) * -6,
                    "rx": 12,
                    "ry": 30,
                    "fill": hsl(130, 45, 42),
                    "transform": rotate(k * 25, 438 + k * 16, 240),
                },
            )
        )
    parts.append(
        tag("rect", {"y": GROUND - 40, "width": CANVAS, "height": 130, "fill": hsl(hue, 20, 55)})
    )
    return parts


def meadow(prefix: str, hue: int) -> list[str]:
    parts = [*_sky(prefix, hsl(200, 80, 84), hsl(190, 70, 93))]
    parts.append(tag("circle", {"cx": 410, "cy": 96, "r": 46, "fill": "#ffe27a"}))
    for cx, cy in ((120, 90), (300, 60)):
        for dx, r in ((-26, 22), (0, 30), (28, 22)):
            parts.append(
                tag(
                    "circle", {"cx": cx + dx, "cy": cy, "r": r, "fill": "#ffffff", "opacity": "0.9"}
                )
            )
    parts.append(
        tag("ellipse", {"cx": 90, "cy": 380, "rx": 250, "ry": 110, "fill": hsl(110, 45, 52)})
    )
    parts.append(
        tag("ellipse", {"cx": 440, "cy": 390, "rx": 270, "ry": 120, "fill": hsl(100, 50, 58)})
    )
    parts.append(tag("rect", {"y": 400, "width": CANVAS, "height": 120, "fill": hsl(100, 50, 58)}))
    dice = Dice(prefix, "flowers")
    for _ in range(14):
        x, y = dice.between(20, 492), dice.between(350, 500)
        parts.append(
            tag("circle", {"cx": x, "cy": y, "r": 6, "fill": hsl(hue + dice.roll(120), 80, 75)})
        )
        parts.append(tag("circle", {"cx": x, "cy": y, "r": 2.5, "fill": "#ffd23f"}))
    return parts


def space(prefix: str, hue: int) -> list[str]:
    parts = [*_sky(prefix, hsl(250, 55, 14), hsl(hue, 50, 24))]
    dice = Dice(prefix, "stars")
    for _ in range(40):
        parts.append(
            tag(
                "circle",
                {
                    "cx": dice.between(0, CANVAS),
                    "cy": dice.between(0, 380),
                    "r": dice.between(1, 3),
                    "fill": "#ffffff",
                    "opacity": "0.85",
                },
            )
        )
    parts.append(tag("circle", {"cx": 400, "cy": 110, "r": 54, "fill": hsl(hue + 40, 60, 62)}))
    parts.append(
        tag(
            "ellipse",
            {
                "cx": 400,
                "cy": 110,
                "rx": 90,
                "ry": 18,
                "fill": "none",
                "stroke": hsl(hue + 80, 70, 80),
                "stroke-width": 6,
                "transform": rotate(-18, 400, 110),
            },
        )
    )
    parts.append(
        tag(
            "ellipse",
            {"cx": 256, "cy": GROUND + 80, "rx": 360, "ry": 130, "fill": hsl(hue, 15, 55)},
        )
    )
    for x, y, r in ((120, 470, 22), (330, 490, 16), (420, 455, 12)):
        parts.append(tag("circle", {"cx": x, "cy": y, "r": r, "fill": hsl(hue, 12, 45)}))
    return parts


def beach(prefix: str, hue: int) -> list[str]:
    parts = [*_sky(prefix, hsl(195, 85, 80), hsl(45, 90, 90))]
    parts.append(tag("circle", {"cx": 110, "cy": 110, "r": 50, "fill": "#ffd166"}))
    parts.append(tag("rect", {"y": 270, "width": CANVAS, "height": 110, "fill": hsl(195, 70, 52)}))
    for k in range(4):
        y = 290 + k * 22
        d = Path().move(0, y)
        for step in range(8):
            d.quad(step * 64 + 32, y - 10, step * 64 + 64, y)
        parts.append(
            tag(
                "path",
                {
                    "d": str(d),
                    "fill": "none",
                    "stroke": "#ffffff",
                    "stroke-width": 4,
                    "opacity": "0.5",
                },
            )
        )
    parts.append(
        tag(
            "path",
            {
                "d": str(
                    Path()
                    .move(0, 380)
                    .quad(256, 350, CANVAS, 380)
                    .line(CANVAS, CANVAS)
                    .line(0, CANVAS)
                    .close()
                ),
                "fill": hsl(42, 70, 76),
            },
        )
    )
    parts.append(
        tag("polygon", {"points": points(430, 420, 470, 420, 450, 385), "fill": hsl(hue, 70, 60)})
    )
    return parts


def forest(prefix: str, hue: int) -> list[str]:
    parts = [*_sky(prefix, hsl(170, 45, 86), hsl(120, 35, 90))]
    for k, x in enumerate((30, 110, 200, 300, 390, 480)):
        height = 220 + (k * 37) % 80
        base = 400
        parts.append(
            tag(
                "rect",
                {"x": x - 8, "y": base - 40, "width": 16, "height": 50, "fill": hsl(25, 40, 30)},
            )
        )
        parts.append(
            tag(
                "polygon",
                {
                    "points": points(x - 55, base - 30, x, base - height, x + 55, base - 30),
                    "fill": hsl(130 + k * 6, 40, 30 + (k % 3) * 6),
                },
            )
        )
    parts.append(tag("rect", {"y": 396, "width": CANVAS, "height": 130, "fill": hsl(105, 35, 45)}))
    dice = Dice(prefix, "mushrooms")
    for _ in range(5):
        x = dice.between(30, 480)
        parts.append(
            tag("rect", {"x": x - 3, "y": 430, "width": 6, "height": 14, "fill": "#fff3e0"})
        )
        parts.append(
            tag(
                "path",
                {
                    "d": str(Path().move(x - 12, 432).quad(x, 410, x + 12, 432).close()),
                    "fill": hsl(hue, 70, 55),
                },
            )
        )
    return parts


def mountains(prefix: str, hue: int) -> list[str]:
    parts = [*_sky(prefix, hsl(210, 70, 82), hsl(200, 60, 94))]
    parts.append(
        tag("polygon", {"points": points(-20, 380, 140, 140, 300, 380), "fill": hsl(hue, 20, 52)})
    )
    parts.append(
        tag("polygon", {"points": points(180, 380, 370, 100, 560, 380), "fill": hsl(hue, 22, 42)})
    )
    parts.append(
        tag(
            "polygon",
            {
                "points": points(140, 140, 110, 196, 128, 188, 140, 204, 156, 186, 170, 196),
                "fill": "#ffffff",
            },
        )
    )
    parts.append(
        tag(
            "polygon",
            {
                "points": points(370, 100, 334, 160, 354, 152, 370, 170, 386, 150, 406, 160),
                "fill": "#ffffff",
            },
        )
    )
    parts.append(tag("rect", {"y": 380, "width": CANVAS, "height": 140, "fill": hsl(110, 35, 55)}))
    return parts


def city(prefix: str, hue: int) -> list[str]:
    parts = [*_sky(prefix, hsl(hue, 60, 78), hsl(hue + 40, 70, 90))]
    x = 0
    k = 0
    while x < CANVAS:
        width = 52 + (k * 23) % 40
        height = 150 + (k * 67) % 170
        parts.append(
            tag(
                "rect",
                {
                    "x": x,
                    "y": 400 - height,
                    "width": width - 6,
                    "height": height,
                    "fill": hsl(hue + 200, 18, 38 + (k % 3) * 7),
                },
            )
        )
        for wy in range(400 - height + 14, 390, 26):
            for wx in range(x + 8, x + width - 14, 16):
                parts.append(
                    tag(
                        "rect",
                        {
                            "x": wx,
                            "y": wy,
                            "width": 8,
                            "height": 10,
                            "fill": "#ffe9a8",
                            "opacity": "0.8",
                        },
                    )
                )
        x += width
        k += 1
    parts.append(
        tag("rect", {"y": 396, "width": CANVAS, "height": 130, "fill": hsl(hue + 200, 10, 60)})
    )
    return parts


SCENES: dict[str, Callable[[str, int], list[str]]] = {
    "library": library,
    "gym": gym,
    "office": office,
    "meadow": meadow,
    "space": space,
    "beach": beach,
    "forest": forest,
    "mountains": mountains,
    "city": city,
}
