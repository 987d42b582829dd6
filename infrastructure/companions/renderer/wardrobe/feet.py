"""Feet items: sneakers, boots, slippers."""

from __future__ import annotations

from infrastructure.companions.renderer.anatomy import GROUND
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.svg import Path, tag
from infrastructure.companions.renderer.wardrobe.common import Colours, Draw

FEET_WORDS = (
    (("boot",), "boots"),
    (("slipper",), "slippers"),
    (("shoe", "sneaker", "trainer", "running", "cleat"), "sneakers"),
)
FEET_FALLBACK = ("sneakers", "boots", "slippers")


def sneakers(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    parts = []
    for side in (-1, 1):
        f = a.foot(side)
        w, h = a.rx * 0.36, a.rx * 0.2 + 4
        shoe = (
            Path()
            .move(f.x - w, GROUND)
            .line(f.x - w, f.y - h * 0.3)
            .quad(f.x - w * 0.6, f.y - h, f.x, f.y - h * 0.8)
            .quad(f.x + w * 1.1, f.y - h * 0.5, f.x + w, GROUND)
            .close()
        )
        parts.append(tag("path", {"d": str(shoe), **kit.ink(c.main)}))
        parts.append(
            tag(
                "rect",
                {
                    "x": f.x - w - 2,
                    "y": GROUND - 7,
                    "width": w * 2 + 4,
                    "height": 9,
                    "rx": 4,
                    **kit.ink("#ffffff", 3),
                },
            )
        )
        parts.append(
            tag(
                "path",
                {
                    "d": str(
                        Path()
                        .move(f.x - w * 0.3, f.y - h * 0.55)
                        .line(f.x + w * 0.1, f.y - h * 0.5)
                        .move(f.x - w * 0.25, f.y - h * 0.3)
                        .line(f.x + w * 0.2, f.y - h * 0.25)
                    ),
                    **kit.line("#ffffff", 3),
                },
            )
        )
    return parts


def boots(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    parts = []
    for side in (-1, 1):
        f = a.foot(side)
        w, h = a.rx * 0.24, a.rx * 0.3 + 6
        top = GROUND - h
        boot = (
            Path()
            .move(f.x - w, GROUND)
            .line(f.x - w, top)
            .line(f.x + w * 0.6, top)
            .line(f.x + w * 0.6, GROUND - h * 0.45)
            .quad(f.x + w * 1.5, GROUND - h * 0.4, f.x + w * 1.4, GROUND)
            .close()
        )
        parts.append(tag("path", {"d": str(boot), **kit.ink(c.dark)}))
        parts.append(
            tag(
                "rect",
                {
                    "x": f.x - w - 3,
                    "y": top - 4,
                    "width": w * 1.6 + 6,
                    "height": 10,
                    "rx": 4,
                    **kit.ink(c.light, 3),
                },
            )
        )
    return parts


def slippers(kit: Kit, c: Colours) -> list[str]:
    a = kit.anatomy
    parts = []
    for side in (-1, 1):
        f = a.foot(side)
        w = a.rx * 0.34
        parts.append(
            tag(
                "ellipse",
                {"cx": f.x, "cy": GROUND - w * 0.35, "rx": w, "ry": w * 0.45, **kit.ink(c.light)},
            )
        )
        parts.append(
            tag(
                "circle",
                {
                    "cx": f.x + w * 0.5,
                    "cy": GROUND - w * 0.6,
                    "r": w * 0.3,
                    **kit.ink("#ffffff", 3),
                },
            )
        )
    return parts


FEET: dict[str, Draw] = {"sneakers": sneakers, "boots": boots, "slippers": slippers}
