"""Face items: glasses of several kinds, a monocle, a mask."""

from __future__ import annotations

from infrastructure.companions.renderer.anatomy import Point
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.svg import Path, group, tag
from infrastructure.companions.renderer.wardrobe.common import Colours, Draw

FACE_WORDS = (
    (("sun", "shade", "aviator"), "sunglasses"),
    (("monocle",), "monocle"),
    (("mask",), "mask"),
    (("reading", "half"), "half_moons"),
    (("goggle",), "goggles"),
    (("glass", "spectacle", "specs"), "glasses"),
)
FACE_FALLBACK = ("glasses", "sunglasses", "monocle", "mask")


def _lens_centres(kit: Kit) -> list[Point]:
    a = kit.anatomy
    return [Point(a.cx + side * a.eye_dx, a.eye_y) for side in (-1, 1)]


def _temples(kit: Kit, colour: str, r: float) -> str:
    a = kit.anatomy
    d = Path()
    for side in (-1, 1):
        d.move(a.cx + side * (a.eye_dx + r), a.eye_y - r * 0.3).line(
            a.cx + side * a.rx * 0.98, a.eye_y - r * 0.6
        )
    return tag("path", {"d": str(d), **kit.line(colour, 4)})


def glasses(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    r = a.eye_r * 1.5
    parts = [_temples(kit, c.dark, r)]
    for centre in _lens_centres(kit):
        parts.append(
            tag(
                "circle",
                {
                    "cx": centre.x,
                    "cy": centre.y,
                    "r": r,
                    "fill": c.light,
                    "fill-opacity": "0.25",
                    "stroke": c.dark,
                    "stroke-width": 5,
                },
            )
        )
    bridge = (
        Path()
        .move(a.cx - a.eye_dx + r, a.eye_y)
        .quad(a.cx, a.eye_y - r * 0.5, a.cx + a.eye_dx - r, a.eye_y)
    )
    parts.append(tag("path", {"d": str(bridge), **kit.line(c.dark, 5)}))
    return parts


def half_moons(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    r = a.eye_r * 1.45
    parts = [_temples(kit, c.dark, r)]
    for centre in _lens_centres(kit):
        lens = (
            Path()
            .move(centre.x - r, centre.y)
            .arc(r, r, centre.x + r, centre.y, sweep=False)
            .close()
        )
        parts.append(
            tag(
                "path",
                {
                    "d": str(lens),
                    "fill": c.light,
                    "fill-opacity": "0.3",
                    "stroke": c.dark,
                    "stroke-width": 5,
                    "stroke-linejoin": "round",
                },
            )
        )
    bridge = (
        Path()
        .move(a.cx - a.eye_dx + r, a.eye_y)
        .quad(a.cx, a.eye_y - r * 0.4, a.cx + a.eye_dx - r, a.eye_y)
    )
    parts.append(tag("path", {"d": str(bridge), **kit.line(c.dark, 5)}))
    return parts


def sunglasses(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    r = a.eye_r * 1.55
    parts = [_temples(kit, "#222222", r)]
    for centre in _lens_centres(kit):
        lens = (
            Path()
            .move(centre.x - r, centre.y - r * 0.6)
            .line(centre.x + r, centre.y - r * 0.6)
            .quad(centre.x + r, centre.y + r * 0.9, centre.x, centre.y + r * 0.85)
            .quad(centre.x - r, centre.y + r * 0.9, centre.x - r, centre.y - r * 0.6)
            .close()
        )
        parts.append(
            tag("path", {"d": str(lens), "fill": "#1b1b24", "stroke": c.main, "stroke-width": 4})
        )
        parts.append(
            tag(
                "path",
                {
                    "d": str(
                        Path()
                        .move(centre.x - r * 0.55, centre.y - r * 0.25)
                        .line(centre.x - r * 0.1, centre.y - r * 0.25)
                    ),
                    **kit.line("#ffffff", 4),
                    "opacity": "0.6",
                },
            )
        )
    parts.append(
        tag(
            "line",
            {
                "x1": a.cx - a.eye_dx + r,
                "y1": a.eye_y - r * 0.45,
                "x2": a.cx + a.eye_dx - r,
                "y2": a.eye_y - r * 0.45,
                **kit.line(c.main, 5),
            },
        )
    )
    return parts


def goggles(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    r = a.eye_r * 1.5
    strap = tag(
        "rect",
        {
            "x": a.cx - a.rx * 1.1,
            "y": a.eye_y - r * 0.35,
            "width": a.rx * 2.2,
            "height": r * 0.7,
            "fill": c.dark,
        },
    )
    parts = [group({"clip-path": kit.url("body")}, [strap])]
    for centre in _lens_centres(kit):
        parts.append(tag("circle", {"cx": centre.x, "cy": centre.y, "r": r, **kit.ink(c.main)}))
        parts.append(
            tag(
                "circle",
                {
                    "cx": centre.x,
                    "cy": centre.y,
                    "r": r * 0.72,
                    "fill": c.light,
                    "fill-opacity": "0.55",
                },
            )
        )
    return parts


def monocle(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    r = a.eye_r * 1.55
    centre = _lens_centres(kit)[1]
    chain = (
        Path()
        .move(centre.x + r * 0.7, centre.y + r * 0.7)
        .quad(centre.x + r * 1.4, a.cy + a.ry * 0.3, centre.x + r * 0.2, a.cy + a.ry * 0.45)
    )
    return [
        tag("path", {"d": str(chain), **kit.line("#d4a73a", 3), "stroke-dasharray": "2 5"}),
        tag(
            "circle",
            {
                "cx": centre.x,
                "cy": centre.y,
                "r": r,
                "fill": c.light,
                "fill-opacity": "0.25",
                "stroke": "#d4a73a",
                "stroke-width": 6,
            },
        ),
    ]


def mask(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    r = a.eye_r * 1.45
    w = a.eye_dx + r * 1.5
    shape = (
        Path()
        .move(a.cx - w, a.eye_y - r * 0.5)
        .quad(a.cx, a.eye_y - r * 1.5, a.cx + w, a.eye_y - r * 0.5)
        .quad(a.cx + w, a.eye_y + r * 1.1, a.cx + a.eye_dx * 0.4, a.eye_y + r * 0.9)
        .quad(a.cx, a.eye_y + r * 0.3, a.cx - a.eye_dx * 0.4, a.eye_y + r * 0.9)
        .quad(a.cx - w, a.eye_y + r * 1.1, a.cx - w, a.eye_y - r * 0.5)
        .close()
    )
    parts = [tag("path", {"d": str(shape), **kit.ink(c.main)})]
    for centre in _lens_centres(kit):
        parts.append(
            tag(
                "ellipse",
                {
                    "cx": centre.x,
                    "cy": centre.y,
                    "rx": r * 0.62,
                    "ry": r * 0.5,
                    "fill": kit.palette.eye,
                },
            )
        )
        parts.append(
            tag(
                "circle",
                {
                    "cx": centre.x - r * 0.2,
                    "cy": centre.y - r * 0.15,
                    "r": r * 0.16,
                    "fill": "#ffffff",
                },
            )
        )
    return parts


FACE: dict[str, Draw] = {
    "glasses": glasses,
    "half_moons": half_moons,
    "sunglasses": sunglasses,
    "goggles": goggles,
    "monocle": monocle,
    "mask": mask,
}
