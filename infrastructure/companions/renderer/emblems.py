"""Badge and skill icons, and the rarity frame of an item's icon: deterministic SVG.

A badge is a medal on a ribbon, a skill a hexagonal token; each carries one glyph. The glyph
follows the subject's meaning: a badge's condition kind (a streak is a flame, a coin
threshold a coin, a collection a grid), a skill's words (``pronunciation`` speaks,
``reading`` is a book), otherwise one picked by its key. Colours come from the key and the
seed (``Dice``), so the same ``(emblem, seed)`` always gives the same bytes and another seed
gives another look of the same subject. No text is drawn: a picture inside an ``<img>``
must not depend on the viewer's fonts.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from domain.companions.appearance import Emblem
from infrastructure.companions.renderer.dice import Dice
from infrastructure.companions.renderer.palette import hsl
from infrastructure.companions.renderer.svg import Path, group, num, points, tag, text
from infrastructure.companions.renderer.wardrobe.common import colours_of, five_star

SIZE = 256
SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1f2937"

RARITY_COLOURS = {
    "common": "#9ca3af",
    "uncommon": "#22c55e",
    "rare": "#3b82f6",
    "epic": "#a855f7",
    "legendary": "#f59e0b",
}
RARITY_STARS = {"common": 0, "uncommon": 1, "rare": 2, "epic": 3, "legendary": 4}

Glyph = Callable[[float, float, float, str], list[str]]
"""Draws a glyph centred on ``(cx, cy)`` within radius ``r`` in colour ``ink``."""


def _star(cx: float, cy: float, r: float, ink: str) -> list[str]:
    return [tag("polygon", {"points": points(*five_star(cx, cy, r)), "fill": ink})]


def _flame(cx: float, cy: float, r: float, ink: str) -> list[str]:
    outer = (
        Path()
        .move(cx, cy - r)
        .curve(cx + r * 0.9, cy - r * 0.2, cx + r * 0.8, cy + r, cx, cy + r)
        .curve(cx - r * 0.8, cy + r, cx - r * 0.9, cy - r * 0.1, cx - r * 0.2, cy - r * 0.5)
        .curve(cx - r * 0.1, cy - r * 0.1, cx + r * 0.1, cy - r * 0.3, cx, cy - r)
        .close()
    )
    inner = (
        Path()
        .move(cx, cy)
        .curve(cx + r * 0.4, cy + r * 0.3, cx + r * 0.3, cy + r * 0.8, cx, cy + r * 0.8)
        .curve(cx - r * 0.3, cy + r * 0.8, cx - r * 0.4, cy + r * 0.3, cx, cy)
        .close()
    )
    return [
        tag("path", {"d": str(outer), "fill": ink}),
        tag("path", {"d": str(inner), "fill": "#ffffff", "opacity": "0.55"}),
    ]


def _coin(cx: float, cy: float, r: float, ink: str) -> list[str]:
    return [
        tag("circle", {"cx": cx, "cy": cy, "r": r * 0.85, "fill": ink}),
        tag(
            "circle",
            {
                "cx": cx,
                "cy": cy,
                "r": r * 0.6,
                "fill": "none",
                "stroke": "#ffffff",
                "stroke-width": r * 0.1,
                "opacity": "0.7",
            },
        ),
        tag("rect", {"x": cx - r * 0.1, "y": cy - r * 0.4, "width": r * 0.2, "height": r * 0.8}),
    ]


def _chevrons(cx: float, cy: float, r: float, ink: str) -> list[str]:
    width = r * 0.22
    lines = []
    for dy in (-0.45, 0.05, 0.55):
        y = cy + r * dy
        lines.append(
            tag(
                "polyline",
                {
                    "points": points(
                        cx - r * 0.7, y + r * 0.3, cx, y - r * 0.3, cx + r * 0.7, y + r * 0.3
                    ),
                    "fill": "none",
                    "stroke": ink,
                    "stroke-width": width,
                    "stroke-linecap": "round",
                    "stroke-linejoin": "round",
                },
            )
        )
    return lines


def _grid(cx: float, cy: float, r: float, ink: str) -> list[str]:
    side = r * 0.7
    gap = r * 0.14
    cells = []
    for dx in (-1, 1):
        for dy in (-1, 1):
            x = cx + (gap / 2 if dx > 0 else -gap / 2 - side)
            y = cy + (gap / 2 if dy > 0 else -gap / 2 - side)
            cells.append(
                tag("rect", {"x": x, "y": y, "width": side, "height": side, "rx": side * 0.2})
            )
    return [group({"fill": ink}, cells)]


def _arrow(cx: float, cy: float, r: float, ink: str) -> list[str]:
    head = points(cx, cy - r, cx + r * 0.75, cy - r * 0.1, cx - r * 0.75, cy - r * 0.1)
    return [
        tag("polygon", {"points": head, "fill": ink}),
        tag(
            "rect",
            {"x": cx - r * 0.28, "y": cy - r * 0.2, "width": r * 0.56, "height": r * 1.1}
            | {"fill": ink, "rx": r * 0.08},
        ),
    ]


def _flag(cx: float, cy: float, r: float, ink: str) -> list[str]:
    cloth = points(
        cx - r * 0.5, cy - r * 0.9, cx + r * 0.8, cy - r * 0.55, cx - r * 0.5, cy - r * 0.15
    )
    return [
        tag(
            "rect",
            {"x": cx - r * 0.65, "y": cy - r * 0.95, "width": r * 0.16, "height": r * 1.9}
            | {"fill": ink, "rx": r * 0.06},
        ),
        tag("polygon", {"points": cloth, "fill": ink}),
    ]


def _bubble(cx: float, cy: float, r: float, ink: str) -> list[str]:
    body = tag(
        "rect",
        {"x": cx - r * 0.9, "y": cy - r * 0.75, "width": r * 1.8, "height": r * 1.2}
        | {"rx": r * 0.35, "fill": ink},
    )
    tail = points(cx - r * 0.4, cy + r * 0.4, cx - r * 0.55, cy + r * 0.95, cx, cy + r * 0.4)
    dots = [
        tag("circle", {"cx": cx + dx * r * 0.45, "cy": cy - r * 0.15, "r": r * 0.12})
        for dx in (-1, 0, 1)
    ]
    return [body, tag("polygon", {"points": tail, "fill": ink}), group({"fill": "#ffffff"}, dots)]


def _book(cx: float, cy: float, r: float, ink: str) -> list[str]:
    left = points(cx, cy - r * 0.5, cx - r * 0.9, cy - r * 0.75, cx - r * 0.9, cy + r * 0.6)
    left += " " + points(cx, cy + r * 0.8)
    right = points(cx, cy - r * 0.5, cx + r * 0.9, cy - r * 0.75, cx + r * 0.9, cy + r * 0.6)
    right += " " + points(cx, cy + r * 0.8)
    return [
        tag("polygon", {"points": left, "fill": ink}),
        tag("polygon", {"points": right, "fill": ink, "opacity": "0.8"}),
    ]


def _wave(cx: float, cy: float, r: float, ink: str) -> list[str]:
    bars = []
    for i, height in enumerate((0.5, 1.2, 1.7, 1.0, 0.6)):
        x = cx + (i - 2) * r * 0.38
        bars.append(
            tag(
                "rect",
                {"x": x - r * 0.12, "y": cy - r * height / 2, "width": r * 0.24}
                | {"height": r * height, "rx": r * 0.12},
            )
        )
    return [group({"fill": ink}, bars)]


def _pencil(cx: float, cy: float, r: float, ink: str) -> list[str]:
    body = points(
        cx - r * 0.85, cy + r * 0.55,
        cx + r * 0.45, cy - r * 0.75,
        cx + r * 0.75, cy - r * 0.45,
        cx - r * 0.55, cy + r * 0.85,
    )  # fmt: skip
    tip = points(cx - r * 0.85, cy + r * 0.55, cx - r * 0.55, cy + r * 0.85, cx - r, cy + r)
    return [
        tag("polygon", {"points": body, "fill": ink}),
        tag("polygon", {"points": tip, "fill": ink}),
    ]


def _bolt(cx: float, cy: float, r: float, ink: str) -> list[str]:
    bolt = points(
        cx + r * 0.2, cy - r,
        cx - r * 0.6, cy + r * 0.15,
        cx - r * 0.05, cy + r * 0.15,
        cx - r * 0.2, cy + r,
        cx + r * 0.6, cy - r * 0.15,
        cx + r * 0.05, cy - r * 0.15,
    )  # fmt: skip
    return [tag("polygon", {"points": bolt, "fill": ink})]


def _heart(cx: float, cy: float, r: float, ink: str) -> list[str]:
    heart = (
        Path()
        .move(cx, cy + r * 0.85)
        .curve(cx - r * 1.3, cy, cx - r * 0.6, cy - r * 1.1, cx, cy - r * 0.4)
        .curve(cx + r * 0.6, cy - r * 1.1, cx + r * 1.3, cy, cx, cy + r * 0.85)
        .close()
    )
    return [tag("path", {"d": str(heart), "fill": ink})]


def _leaf(cx: float, cy: float, r: float, ink: str) -> list[str]:
    leaf = (
        Path()
        .move(cx - r * 0.8, cy + r * 0.8)
        .curve(cx - r * 0.9, cy - r * 0.4, cx, cy - r, cx + r * 0.85, cy - r * 0.85)
        .curve(cx + r, cy, cx + r * 0.3, cy + r * 0.9, cx - r * 0.8, cy + r * 0.8)
        .close()
    )
    return [tag("path", {"d": str(leaf), "fill": ink})]


GLYPHS: dict[str, Glyph] = {
    "star": _star,
    "flame": _flame,
    "coin": _coin,
    "chevrons": _chevrons,
    "grid": _grid,
    "arrow": _arrow,
    "flag": _flag,
    "bubble": _bubble,
    "book": _book,
    "wave": _wave,
    "pencil": _pencil,
    "bolt": _bolt,
    "heart": _heart,
    "leaf": _leaf,
}

BADGE_GLYPHS = {
    "milestone": "flag",
    "coin_threshold": "coin",
    "skill_level": "chevrons",
    "stage": "arrow",
    "collection": "grid",
    "streak": "flame",
}
SKILL_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("speak", "pronunc", "talk", "convers", "voice"), "bubble"),
    (("read", "vocab", "book", "grammar", "study", "learn"), "book"),
    (("listen", "music", "audio", "sound", "ear"), "wave"),
    (("writ", "spell", "draw", "essay"), "pencil"),
    (("speed", "energy", "power", "fast", "focus"), "bolt"),
    (("care", "health", "kind", "social", "friend"), "heart"),
    (("nature", "grow", "eco", "garden", "calm"), "leaf"),
    (("fit", "run", "streak", "fire", "habit"), "flame"),
)
FALLBACK = ("star", "bolt", "leaf", "heart", "chevrons", "flag")


def glyph_of(emblem: Emblem) -> str:
    """A badge's glyph follows its condition kind; a skill's, the words of its key and name;
    otherwise one picked by its key."""
    if emblem.kind == "badge" and emblem.theme in BADGE_GLYPHS:
        return BADGE_GLYPHS[emblem.theme]
    if emblem.kind == "skill":
        words = f"{emblem.key} {emblem.name}".lower()
        for keywords, glyph in SKILL_WORDS:
            if any(word in words for word in keywords):
                return glyph
    return Dice(emblem.key, "glyph").pick(FALLBACK)


def _document(title: str, body: list[str]) -> str:
    return tag(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": SIZE,
            "height": SIZE,
            "viewBox": f"0 0 {SIZE} {SIZE}",
            "role": "img",
            "aria-label": title,
        },
        tag("title", {}, text(title)),
        *body,
    )


def _hexagon(cx: float, cy: float, r: float) -> str:
    coords: list[float] = []
    for i in range(6):
        angle = math.pi / 3 * i + math.pi / 6
        coords += [cx + r * math.cos(angle), cy + r * math.sin(angle)]
    return points(*coords)


def emblem_picture(emblem: Emblem, seed: int) -> str:
    """A badge (medal on a ribbon) or a skill (hexagonal token) icon."""
    dice = Dice(f"{emblem.kind}:{emblem.key}:{seed}", "colour")
    hue = dice.roll(360)
    main, light, dark = hsl(hue, 70, 52), hsl(hue, 80, 86), hsl(hue, 60, 28)
    accent = hsl(hue + dice.pick((150, 180, 210)), 75, 60)
    glyph = GLYPHS[glyph_of(emblem)]
    cx = SIZE / 2
    if emblem.kind == "badge":
        cy, r = 148.0, 82.0
        tails = [
            tag("polygon", {"points": points(86, 8, 124, 8, 112, 90, 74, 90), "fill": accent}),
            tag("polygon", {"points": points(132, 8, 170, 8, 182, 90, 144, 90), "fill": dark}),
        ]
        shape = [
            *tails,
            tag("circle", {"cx": cx, "cy": cy, "r": r + 10, "fill": dark}),
            tag("circle", {"cx": cx, "cy": cy, "r": r, "fill": main}),
            tag(
                "circle",
                {
                    "cx": cx,
                    "cy": cy,
                    "r": r - 14,
                    "fill": light,
                    "stroke": "#ffffff",
                    "stroke-width": 4,
                    "opacity": "0.95",
                },
            ),
        ]
        inner = r - 34
        title = f"{emblem.name} (badge)"
    else:
        cy, r = 128.0, 112.0
        shape = [
            tag("polygon", {"points": _hexagon(cx, cy, r), "fill": dark}),
            tag("polygon", {"points": _hexagon(cx, cy, r - 12), "fill": main}),
            tag("polygon", {"points": _hexagon(cx, cy, r - 30), "fill": light}),
        ]
        inner = r - 58
        title = f"{emblem.name} (skill)"
    mark = group({"fill": dark, "data-glyph": glyph_of(emblem)}, glyph(cx, cy, inner, dark))
    return _document(title, [group({"data-emblem": emblem.kind}, [*shape, mark])])


def booster_parts(item_id: str, canvas: float) -> list[str]:
    """A booster is consumed, never worn: its icon is a potion in the item's colours."""
    colours = colours_of(item_id)
    cx, cy, r = canvas / 2, canvas * 0.58, canvas * 0.24
    neck = canvas * 0.09
    line = canvas * 0.012
    glass = [
        tag("circle", {"cx": cx, "cy": cy, "r": r, "fill": colours.light, "stroke": INK,
                       "stroke-width": line}),
        tag("rect", {"x": cx - neck / 2, "y": cy - r - neck * 1.6, "width": neck,
                     "height": neck * 1.9, "fill": colours.light, "stroke": INK,
                     "stroke-width": line}),
        tag("rect", {"x": cx - neck * 0.7, "y": cy - r - neck * 2.3, "width": neck * 1.4,
                     "height": neck * 0.8, "rx": neck * 0.2, "fill": colours.dark}),
    ]  # fmt: skip
    liquid = (
        Path()
        .move(cx - r * 0.92, cy + r * 0.1)
        .quad(cx, cy - r * 0.15, cx + r * 0.92, cy + r * 0.1)
        .arc(r * 0.92, r * 0.92, cx - r * 0.92, cy + r * 0.1, large=False, sweep=True)
        .close()
    )
    return [
        group({"data-item": item_id, "data-category": "booster", "data-motif": "potion"}, [
            *glass,
            tag("path", {"d": str(liquid), "fill": colours.main}),
            *_star(cx + r * 0.35, cy - r * 0.35, r * 0.22, "#ffffff"),
        ])
    ]  # fmt: skip


def rarity_frame(view: tuple[float, float, float], rarity: str) -> str:
    """A border in the rarity's colour around an item icon's view, with one star per step
    above ``common``."""
    x, y, side = view
    colour = RARITY_COLOURS[rarity]
    inset = side * 0.025
    parts = [
        tag(
            "rect",
            {
                "x": x + inset,
                "y": y + inset,
                "width": side - 2 * inset,
                "height": side - 2 * inset,
                "rx": side * 0.08,
                "fill": "none",
                "stroke": colour,
                "stroke-width": side * 0.035,
            },
        )
    ]
    count = RARITY_STARS[rarity]
    star = side * 0.05
    for i in range(count):
        sx = x + side - inset * 4 - star - i * star * 2.2
        parts.append(
            tag(
                "polygon",
                {
                    "points": points(*five_star(sx, y + inset * 4 + star, star)),
                    "fill": colour,
                    "stroke": "#ffffff",
                    "stroke-width": num(star * 0.15),
                },
            )
        )
    return group({"data-rarity": rarity}, parts)
