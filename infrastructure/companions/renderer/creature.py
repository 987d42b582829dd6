"""The buddy itself, stage by stage, in one of four creature styles.

One body plan grows through the stages; what it gains tells the stage at a glance:

1. Hatchling — small and round, big eyes, still sitting in its eggshell, one curl on top
2. Fledgling — out of the shell: feet, little arms, wing nubs, a small crest
3. Juvenile  — bigger: real wings, first horns, a tail
4. Adult     — bigger still: large wings, long horns, a crest, body markings
5. Elder     — the largest: layered wings, curled horns, glowing markings, an aura

Styles change how each part is drawn (``cute`` soft and round, ``sci-fi`` metal with neon
lights, ``fantasy`` a little dragon with bat wings and scales, ``minimal`` flat shapes).
Parts are drawn back to front; the body's silhouette is also a clip path (``body``) that
markings and body items are clipped to.
"""

from __future__ import annotations

from collections.abc import Callable

from infrastructure.companions.renderer.anatomy import GROUND, Point
from infrastructure.companions.renderer.kit import Kit, lerp, normal, star
from infrastructure.companions.renderer.svg import Path, group, points, rotate, tag

SIDES = (-1, 1)


def creature(kit: Kit, shell: tuple[str, str], *, hatted: bool = False) -> str:
    """The whole buddy. ``shell`` is the (shell, pattern) colours of its egg (stage 1 only);
    under a hat (``hatted``) the crest is not drawn."""
    a = kit.anatomy
    parts: list[str] = [defs(kit)]
    if a.stage == 5:
        parts.append(aura(kit))
    parts.append(shadow(kit))
    if a.tail_length:
        parts.append(tail(kit))
    if a.wing_span:
        parts.append(wings(kit))
    if a.horn_length:
        parts.append(horns(kit))
    if not hatted:
        parts.append(crest(kit))
    if a.foot_height:
        parts.append(feet(kit))
    parts.append(body(kit))
    parts.append(belly(kit))
    if a.stage >= 4:
        parts.append(markings(kit))
    if a.stage >= 2:
        parts.append(arms(kit))
    parts.append(face(kit))
    if a.stage == 1:
        parts.append(eggshell(kit, shell))
        parts.append(arms(kit))
    if a.stage == 5:
        parts.append(sparkles(kit))
    return group({"id": "creature", "data-stage": a.stage, "data-style": kit.style}, parts)


# -- shared shapes -------------------------------------------------------------------------


def body_shape(kit: Kit, attrs: dict[str, str | int | float | None]) -> str:
    a = kit.anatomy
    cx, cy, rx, ry = a.cx, a.cy, a.rx, a.ry
    if kit.style == "minimal":
        return tag("ellipse", {"cx": cx, "cy": cy, "rx": rx, "ry": ry, **attrs})
    if kit.style == "sci-fi":
        return tag(
            "rect",
            {
                "x": cx - rx,
                "y": cy - ry,
                "width": rx * 2,
                "height": ry * 2,
                "rx": rx * 0.78,
                **attrs,
            },
        )
    squash = 0.62 if kit.style == "cute" else 0.55
    d = (
        Path()
        .move(cx, cy - ry)
        .curve(cx + rx * squash, cy - ry, cx + rx, cy - ry * 0.45, cx + rx, cy + ry * 0.15)
        .curve(cx + rx, cy + ry * 0.72, cx + rx * 0.6, cy + ry, cx, cy + ry)
        .curve(cx - rx * 0.6, cy + ry, cx - rx, cy + ry * 0.72, cx - rx, cy + ry * 0.15)
        .curve(cx - rx, cy - ry * 0.45, cx - rx * squash, cy - ry, cx, cy - ry)
        .close()
    )
    return tag("path", {"d": str(d), **attrs})


def defs(kit: Kit) -> str:
    p = kit.palette
    shine = tag(
        "radialGradient",
        {"id": kit.id("skin"), "cx": "38%", "cy": "30%", "r": "75%"},
        tag("stop", {"offset": "0", "stop-color": p.belly if kit.style == "sci-fi" else p.body}),
        tag("stop", {"offset": "0.55", "stop-color": p.body}),
        tag("stop", {"offset": "1", "stop-color": p.body_shade}),
    )
    glow = tag(
        "radialGradient",
        {"id": kit.id("glow")},
        tag("stop", {"offset": "0", "stop-color": p.glow, "stop-opacity": "0.55"}),
        tag("stop", {"offset": "1", "stop-color": p.glow, "stop-opacity": "0"}),
    )
    clip = tag("clipPath", {"id": kit.id("body")}, body_shape(kit, {}))
    return tag("defs", {}, shine, glow, clip)


def shadow(kit: Kit) -> str:
    a = kit.anatomy
    return tag(
        "ellipse",
        {
            "cx": a.cx,
            "cy": GROUND + 6,
            "rx": a.rx * 1.1,
            "ry": 9 + a.stage,
            "fill": kit.palette.ground,
            "opacity": "0.45",
        },
    )


def body(kit: Kit) -> str:
    fill = kit.palette.body if kit.style == "minimal" else kit.url("skin")
    return body_shape(kit, kit.ink(fill))


def belly(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    parts: list[str] = []
    if kit.style == "sci-fi":
        w, h = a.rx * 0.9, a.ry * 0.62
        parts.append(
            tag(
                "rect",
                {
                    "x": a.cx - w / 2,
                    "y": a.cy + a.ry * 0.05,
                    "width": w,
                    "height": h,
                    "rx": w * 0.3,
                    "fill": p.belly,
                    "stroke": p.body_shade,
                    "stroke-width": 3,
                },
            )
        )
        if a.stage >= 3:
            core = Point(a.cx, a.cy + a.ry * 0.05 + h * 0.45)
            r = a.rx * 0.13
            parts.append(
                tag("circle", {"cx": core.x, "cy": core.y, "r": r * 2.2, "fill": kit.url("glow")})
            )
            parts.append(
                tag(
                    "circle",
                    {
                        "cx": core.x,
                        "cy": core.y,
                        "r": r,
                        "fill": p.glow,
                        "stroke": p.accent,
                        "stroke-width": 3,
                    },
                )
            )
        return group({"id": "belly"}, parts)
    cy = a.cy + a.ry * 0.42
    rx, ry = a.rx * 0.62, a.ry * 0.52
    parts.append(tag("ellipse", {"cx": a.cx, "cy": cy, "rx": rx, "ry": ry, "fill": p.belly}))
    if kit.style == "fantasy":
        for i in range(1, 4 + a.stage // 2):
            y = cy - ry + i * ry * 2 / (4 + a.stage // 2)
            d = Path().move(a.cx - rx * 0.8, y).quad(a.cx, y + ry * 0.18, a.cx + rx * 0.8, y)
            parts.append(tag("path", {"d": str(d), **kit.line(p.body_shade, 3)}))
    return group({"id": "belly", "clip-path": kit.url("body")}, parts)


# -- stage features ------------------------------------------------------------------------


def eggshell(kit: Kit, colours: tuple[str, str]) -> str:
    """The bottom half of the egg it hatched from, with a jagged rim."""
    a = kit.anatomy
    shell, pattern = colours
    left, right = a.cx - a.rx * 1.12, a.cx + a.rx * 1.12
    rim = a.cy + a.ry * 0.18
    d = Path().move(left, rim)
    teeth = 7
    for i in range(1, teeth + 1):
        x = left + (right - left) * i / teeth
        y = rim - (14 if i % 2 else -2) * (1 + a.rx / 200)
        d.line(x - (right - left) / teeth / 2, y).line(x, rim)
    d.curve(right + a.rx * 0.06, a.cy + a.ry * 0.95, a.cx + a.rx * 0.72, GROUND, a.cx, GROUND)
    d.curve(a.cx - a.rx * 0.72, GROUND, left - a.rx * 0.06, a.cy + a.ry * 0.95, left, rim)
    d.close()
    clip_id = kit.id("shell")
    dots = []
    dice = kit.dice("shell")
    for i in range(5):
        x = left + 14 + (right - left - 28) * i / 4 + dice.between(-6, 6)
        y = rim + 22 + dice.between(0, 24)
        dots.append(
            tag(
                "circle",
                {"cx": x, "cy": y, "r": 6 + dice.roll(5), "fill": pattern, "opacity": "0.75"},
            )
        )
    return group(
        {"id": "eggshell"},
        [
            tag("clipPath", {"id": clip_id}, tag("path", {"d": str(d)})),
            tag("path", {"d": str(d), **kit.ink(shell)}),
            group({"clip-path": f"url(#{clip_id})"}, dots),
            tag(
                "path",
                {
                    "d": str(
                        Path()
                        .move(left + 16, rim + 26)
                        .quad(left + 8, GROUND - 40, a.cx - a.rx * 0.5, GROUND - 10)
                    ),
                    **kit.line("#ffffff", 5),
                    "opacity": "0.6",
                },
            ),
        ],
    )


def wings(kit: Kit) -> str:
    draw: dict[str, Callable[[Kit, int, float, bool], str]] = {
        "cute": feathered_wing,
        "fantasy": bat_wing,
        "sci-fi": fin_wing,
        "minimal": leaf_wing,
    }
    a = kit.anatomy
    parts = [draw[kit.style](kit, side, a.wing_span, False) for side in SIDES]
    if a.stage == 5 and kit.style in ("cute", "fantasy"):
        parts += [draw[kit.style](kit, side, a.wing_span * 0.62, True) for side in SIDES]
    return group({"id": "wings"}, parts)


def feathered_wing(kit: Kit, side: int, span: float, inner: bool) -> str:
    a, p = kit.anatomy, kit.palette
    s = a.shoulder(side)
    tip = Point(s.x + side * (span + a.rx * 0.45), s.y - span * 0.62)
    end = Point(s.x + side * a.rx * 0.2, s.y + span * 0.35 + a.ry * 0.2)
    d = Path().move(s.x, s.y)
    d.curve(
        s.x + side * span * 0.15,
        s.y - span * 0.9,
        tip.x - side * span * 0.35,
        tip.y - span * 0.25,
        tip.x,
        tip.y,
    )
    feathers = 3 if a.stage < 4 else 4
    previous = tip
    for i in range(1, feathers + 1):
        here = lerp(tip, end, i / feathers)
        mid = lerp(previous, here, 0.5)
        nx, ny = normal(previous, here, span * 0.16 + 4)
        d.quad(mid.x - side * nx, mid.y - side * ny, here.x, here.y)
        previous = here
    d.close()
    fill = p.accent_light if inner else p.wing
    parts = [tag("path", {"d": str(d), **kit.ink(fill)})]
    if not inner:
        for i in range(1, feathers):
            root = lerp(s, lerp(tip, end, 0.5), 0.35)
            to = lerp(tip, end, i / feathers)
            parts.append(
                tag(
                    "path",
                    {
                        "d": str(
                            Path()
                            .move(root.x, root.y)
                            .line(lerp(root, to, 0.8).x, lerp(root, to, 0.8).y)
                        ),
                        **kit.line(p.wing_shade, 3),
                    },
                )
            )
    return group({}, parts)


def bat_wing(kit: Kit, side: int, span: float, inner: bool) -> str:
    a, p = kit.anatomy, kit.palette
    s = a.shoulder(side)
    joint = Point(s.x + side * span * 0.55, s.y - span * 0.8)
    tips = [
        Point(s.x + side * (span + a.rx * 0.5), s.y - span * 0.5),
        Point(s.x + side * (span + a.rx * 0.4), s.y + span * 0.12),
        Point(s.x + side * (span * 0.55 + a.rx * 0.3), s.y + span * 0.5),
    ]
    end = Point(s.x + side * a.rx * 0.2, s.y + span * 0.3 + a.ry * 0.15)
    d = Path().move(s.x, s.y).line(joint.x, joint.y).line(tips[0].x, tips[0].y)
    for here in [*tips[1:], end]:
        previous_tip = tips[0] if here is tips[1] else tips[1] if here is tips[2] else tips[2]
        pull = lerp(lerp(previous_tip, here, 0.5), joint, 0.32)
        d.quad(pull.x, pull.y, here.x, here.y)
    d.close()
    fill = p.accent_light if inner else p.wing
    parts = [tag("path", {"d": str(d), **kit.ink(fill)})]
    bones = Path()
    for t in tips:
        bones.move(joint.x, joint.y).line(t.x, t.y)
    bones.move(s.x, s.y).line(joint.x, joint.y)
    parts.append(
        tag("path", {"d": str(bones), **kit.line(p.wing_shade if not inner else p.wing, 5)})
    )
    parts.append(
        tag("circle", {"cx": joint.x, "cy": joint.y, "r": 5 + a.stage, **kit.ink(p.horn, 3)})
    )
    return group({}, parts)


def fin_wing(kit: Kit, side: int, span: float, inner: bool) -> str:
    a, p = kit.anatomy, kit.palette
    s = a.shoulder(side)
    outer_top = Point(s.x + side * (span + a.rx * 0.35), s.y - span * 0.72)
    outer_low = Point(s.x + side * (span + a.rx * 0.48), s.y - span * 0.38)
    low = Point(s.x + side * a.rx * 0.32, s.y + span * 0.42 + a.ry * 0.1)
    shape = points(
        s.x, s.y - a.ry * 0.1, outer_top.x, outer_top.y, outer_low.x, outer_low.y, low.x, low.y
    )
    parts = [tag("polygon", {"points": shape, **kit.ink(p.wing)})]
    strip_a = lerp(Point(s.x, s.y - a.ry * 0.1), outer_top, 0.25)
    strip_b = lerp(Point(s.x, s.y - a.ry * 0.1), outer_top, 0.92)
    parts.append(
        tag(
            "line",
            {
                "x1": strip_a.x,
                "y1": strip_a.y + 12,
                "x2": strip_b.x,
                "y2": strip_b.y + 12,
                **kit.line(p.glow, 6),
            },
        )
    )
    seam_a = lerp(low, outer_low, 0.2)
    seam_b = lerp(low, outer_low, 0.85)
    parts.append(
        tag(
            "line",
            {
                "x1": seam_a.x,
                "y1": seam_a.y - 14,
                "x2": seam_b.x,
                "y2": seam_b.y - 14,
                **kit.line(p.wing_shade, 3),
            },
        )
    )
    if a.stage >= 4:
        for t in (0.45, 0.7):
            light = lerp(low, outer_low, t)
            parts.append(
                tag("circle", {"cx": light.x, "cy": light.y - 28, "r": 4 + a.stage, "fill": p.glow})
            )
    return group({}, parts)


def leaf_wing(kit: Kit, side: int, span: float, inner: bool) -> str:
    a, p = kit.anatomy, kit.palette
    s = a.shoulder(side)
    cx, cy = s.x + side * (span * 0.5 + a.rx * 0.25), s.y - span * 0.25
    return tag(
        "ellipse",
        {
            "cx": cx,
            "cy": cy,
            "rx": span * 0.62 + a.rx * 0.2,
            "ry": span * 0.32 + 8,
            "fill": p.wing,
            "transform": rotate(-28 * side, cx, cy),
        },
    )


def horns(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    length = a.horn_length
    parts: list[str] = []
    dice = kit.dice("horns")
    lean = dice.between(2, 6) / 10
    for side in SIDES:
        root = a.horn_root(side)
        if kit.style == "sci-fi":
            tip = Point(root.x + side * length * 0.45, root.y - length * 1.15)
            ends = {"x1": root.x, "y1": root.y, "x2": tip.x, "y2": tip.y}
            for colour, width in ((p.outline, 7), (p.body_shade, 3)):
                parts.append(tag("line", {**ends, **kit.line(colour, width)}))
            parts.append(
                tag(
                    "circle",
                    {"cx": tip.x, "cy": tip.y, "r": 10 + a.stage * 3, "fill": kit.url("glow")},
                )
            )
            parts.append(
                tag("circle", {"cx": tip.x, "cy": tip.y, "r": 5 + a.stage, **kit.ink(p.glow, 3)})
            )
            if a.stage == 5:
                mid = lerp(root, tip, 0.55)
                parts.append(
                    tag(
                        "ellipse",
                        {"cx": mid.x, "cy": mid.y, "rx": 10, "ry": 4, **kit.line(p.accent, 3)},
                    )
                )
            continue
        base = length * (0.34 if kit.style != "minimal" else 0.4)
        left = Point(root.x - base, root.y + 6)
        right = Point(root.x + base, root.y + 6)
        if kit.style == "minimal":
            tip = Point(root.x + side * length * 0.25, root.y - length)
            parts.append(
                tag(
                    "polygon",
                    {
                        "points": points(left.x, left.y, tip.x, tip.y, right.x, right.y),
                        "fill": p.horn,
                    },
                )
            )
            continue
        curl = 0.55 + lean + (0.5 if a.stage == 5 else 0)
        tip = Point(root.x + side * length * curl, root.y - length * (1.05 - lean * 0.4))
        outer, inner_ = (right, left) if side > 0 else (left, right)
        bend = Point(root.x + side * length * 0.05, root.y - length * 0.9)
        d = (
            Path()
            .move(outer.x, outer.y)
            .quad(outer.x + side * length * 0.15, bend.y + length * 0.1, tip.x, tip.y)
            .quad(bend.x, bend.y + length * 0.35, inner_.x, inner_.y)
            .close()
        )
        parts.append(tag("path", {"d": str(d), **kit.ink(p.horn)}))
        if kit.style == "fantasy" and a.stage >= 4:
            for t in (0.3, 0.5, 0.7):
                c = lerp(root, tip, t)
                nx, ny = normal(root, tip, base * (1 - t) * 0.9 + 3)
                parts.append(
                    tag(
                        "line",
                        {
                            "x1": c.x - nx,
                            "y1": c.y - ny,
                            "x2": c.x + nx,
                            "y2": c.y + ny,
                            **kit.line(p.wing_shade, 2.5),
                        },
                    )
                )
    return group({"id": "horns"}, parts)


def crest(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    top = Point(a.cx, a.top + 4)
    parts: list[str] = []
    if a.stage == 1:
        if kit.style == "minimal":
            parts.append(tag("circle", {"cx": top.x, "cy": top.y - 10, "r": 9, "fill": p.accent}))
        elif kit.style == "sci-fi":
            parts.append(
                tag(
                    "line",
                    {
                        "x1": top.x,
                        "y1": top.y,
                        "x2": top.x,
                        "y2": top.y - 26,
                        **kit.line(p.outline, 5),
                    },
                )
            )
            parts.append(
                tag("circle", {"cx": top.x, "cy": top.y - 30, "r": 8, **kit.ink(p.glow, 3)})
            )
        else:
            d = (
                Path()
                .move(top.x - 4, top.y + 6)
                .curve(top.x - 10, top.y - 26, top.x + 22, top.y - 34, top.x + 16, top.y - 14)
            )
            d.curve(top.x + 12, top.y - 4, top.x + 2, top.y - 10, top.x + 6, top.y - 18)
            parts.append(tag("path", {"d": str(d), **kit.line(p.outline, 9)}))
            parts.append(tag("path", {"d": str(d), **kit.line(p.body, 5)}))
        return group({"id": "crest"}, parts)
    count = a.stage + 1 if kit.style != "fantasy" else 3
    height = a.ry * (0.18 + 0.06 * a.stage) * (1.5 if kit.style == "fantasy" else 1)
    spread = a.rx * 0.5
    for i in range(count):
        t = i / (count - 1) - 0.5
        angle = t * 70
        root = Point(a.cx + t * spread * 0.8, a.top + a.ry * 0.12 + abs(t) * 14)
        length = height * (1 - abs(t) * 0.6)
        if kit.style == "fantasy":
            half = 6 + a.stage * 2
            shape = points(root.x - half, root.y, root.x, root.y - length, root.x + half, root.y)
            parts.append(
                tag(
                    "polygon",
                    {
                        "points": shape,
                        **kit.ink(p.accent),
                        "transform": rotate(angle, root.x, root.y),
                    },
                )
            )
        elif kit.style == "sci-fi":
            if i == count // 2:
                parts.append(
                    tag(
                        "rect",
                        {
                            "x": root.x - 10,
                            "y": root.y - length,
                            "width": 20,
                            "height": length + 8,
                            "rx": 8,
                            **kit.ink(p.body_shade),
                        },
                    )
                )
                for k in range(a.stage - 1):
                    y = root.y - length + 10 + k * 12
                    if y < root.y - 4:
                        parts.append(
                            tag(
                                "line",
                                {
                                    "x1": root.x - 4,
                                    "y1": y,
                                    "x2": root.x + 4,
                                    "y2": y,
                                    **kit.line(p.glow, 4),
                                },
                            )
                        )
        elif kit.style == "minimal":
            parts.append(
                tag(
                    "circle",
                    {
                        "cx": root.x,
                        "cy": root.y - length * 0.45,
                        "r": 7 + a.stage,
                        "fill": p.accent,
                        "transform": rotate(angle, root.x, root.y),
                    },
                )
            )
        else:
            d = (
                Path()
                .move(root.x - 8, root.y)
                .quad(root.x - 10, root.y - length * 0.7, root.x, root.y - length)
            )
            d.quad(root.x + 10, root.y - length * 0.7, root.x + 8, root.y).close()
            parts.append(
                tag(
                    "path",
                    {"d": str(d), **kit.ink(p.accent), "transform": rotate(angle, root.x, root.y)},
                )
            )
    return group({"id": "crest"}, parts)


def tail(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    base = Point(a.cx + a.rx * 0.5, a.cy + a.ry * 0.55)
    length = a.tail_length
    tip = Point(a.cx + a.rx + length * 0.62, a.cy - length * 0.2)
    d = (
        Path()
        .move(base.x, base.y)
        .curve(
            base.x + length * 0.9,
            base.y + length * 0.45,
            tip.x + length * 0.15,
            tip.y + length * 0.5,
            tip.x,
            tip.y,
        )
    )
    width = 12 + a.stage * 3
    parts = []
    if kit.style != "minimal":
        parts.append(tag("path", {"d": str(d), **kit.line(p.outline, width + 2 * p.outline_width)}))
    parts.append(
        tag(
            "path",
            {"d": str(d), **kit.line(p.body_shade if kit.style != "sci-fi" else p.wing, width)},
        )
    )
    if kit.style == "fantasy":
        spade = points(
            tip.x - 14,
            tip.y + 8,
            tip.x + 6,
            tip.y - 26,
            tip.x + 22,
            tip.y + 6,
            tip.x + 4,
            tip.y - 2,
        )
        parts.append(tag("polygon", {"points": spade, **kit.ink(p.accent)}))
    elif kit.style == "sci-fi":
        parts.append(
            tag(
                "circle", {"cx": tip.x, "cy": tip.y, "r": 18 + a.stage * 2, "fill": kit.url("glow")}
            )
        )
        parts.append(
            tag("circle", {"cx": tip.x, "cy": tip.y, "r": 7 + a.stage, **kit.ink(p.glow, 3)})
        )
    elif kit.style == "minimal":
        parts.append(tag("circle", {"cx": tip.x, "cy": tip.y, "r": width * 0.8, "fill": p.accent}))
    else:
        parts.append(
            tag("circle", {"cx": tip.x, "cy": tip.y, "r": width * 0.95, **kit.ink(p.accent_light)})
        )
    return group({"id": "tail"}, parts)


def feet(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    parts = []
    for side in SIDES:
        f = a.foot(side)
        rx, ry = a.rx * 0.3, a.foot_height * 0.75 + 4
        if kit.style == "sci-fi":
            parts.append(
                tag(
                    "rect",
                    {
                        "x": f.x - rx,
                        "y": f.y - ry,
                        "width": rx * 2,
                        "height": ry * 2,
                        "rx": ry * 0.8,
                        **kit.ink(p.body_shade),
                    },
                )
            )
            parts.append(
                tag(
                    "line",
                    {
                        "x1": f.x - rx * 0.6,
                        "y1": f.y + ry * 0.3,
                        "x2": f.x + rx * 0.6,
                        "y2": f.y + ry * 0.3,
                        **kit.line(p.glow, 3),
                    },
                )
            )
            continue
        parts.append(
            tag("ellipse", {"cx": f.x, "cy": f.y, "rx": rx, "ry": ry, **kit.ink(p.body_shade)})
        )
        if kit.style == "fantasy":
            for k in (-1, 0, 1):
                x = f.x + k * rx * 0.5
                parts.append(
                    tag(
                        "polygon",
                        {
                            "points": points(
                                x - 4, f.y + ry - 3, x, f.y + ry + 7, x + 4, f.y + ry - 3
                            ),
                            "fill": p.horn,
                        },
                    )
                )
    return group({"id": "feet"}, parts)


def arms(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    parts = []
    for side in SIDES:
        h = a.hand(side)
        if a.stage == 1:
            h = Point(a.cx + side * a.rx * 0.78, a.cy + a.ry * 0.18)
        rx, ry = a.rx * 0.16 + 3, a.rx * 0.28 + 3
        if kit.style == "sci-fi":
            parts.append(
                tag(
                    "rect",
                    {
                        "x": h.x - rx,
                        "y": h.y - ry,
                        "width": rx * 2,
                        "height": ry * 2,
                        "rx": rx,
                        **kit.ink(p.body_shade),
                        "transform": rotate(-25 * side, h.x, h.y),
                    },
                )
            )
            continue
        parts.append(
            tag(
                "ellipse",
                {
                    "cx": h.x,
                    "cy": h.y,
                    "rx": rx,
                    "ry": ry,
                    **kit.ink(p.body),
                    "transform": rotate(-25 * side, h.x, h.y),
                },
            )
        )
    return group({"id": "arms"}, parts)


def markings(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    dice = kit.dice("markings")
    glow = a.stage == 5
    parts: list[str] = []
    if kit.style == "sci-fi":
        for side in SIDES:
            x0 = a.cx + side * a.rx
            y0 = a.cy + a.ry * 0.05
            trace = points(
                x0,
                y0,
                x0 - side * a.rx * 0.22,
                y0,
                x0 - side * a.rx * 0.32,
                y0 - a.ry * 0.22,
                x0 - side * a.rx * 0.32,
                y0 - a.ry * 0.42,
            )
            if glow:
                parts.append(
                    tag("polyline", {"points": trace, **kit.line(p.glow, 12), "opacity": "0.35"})
                )
            parts.append(tag("polyline", {"points": trace, **kit.line(p.accent, 4)}))
            parts.append(
                tag(
                    "circle",
                    {"cx": x0 - side * a.rx * 0.32, "cy": y0 - a.ry * 0.42, "r": 6, "fill": p.glow},
                )
            )
    elif kit.style == "fantasy":
        for side in SIDES:
            for k in range(3):
                x = a.cx + side * a.rx * (0.95 - k * 0.1)
                y = a.cy - a.ry * 0.45 + k * a.ry * 0.24
                chevron = points(x, y, x - side * a.rx * 0.22, y + a.ry * 0.08, x, y + a.ry * 0.16)
                if glow:
                    parts.append(
                        tag(
                            "polyline",
                            {"points": chevron, **kit.line(p.glow, 11), "opacity": "0.4"},
                        )
                    )
                parts.append(tag("polyline", {"points": chevron, **kit.line(p.accent, 5)}))
    elif kit.style == "minimal":
        y = a.cy - a.ry * 0.62
        parts.append(
            tag(
                "rect",
                {
                    "x": a.cx - a.rx,
                    "y": y,
                    "width": a.rx * 2,
                    "height": a.ry * 0.14,
                    "fill": p.accent,
                },
            )
        )
    else:
        kind = dice.pick(("spots", "hearts"))
        for side in SIDES:
            for k in range(3):
                x = a.cx + side * a.rx * (0.78 - (k % 2) * 0.12)
                y = a.cy - a.ry * 0.5 + k * a.ry * 0.22
                r = a.rx * (0.1 - k * 0.02)
                if glow:
                    parts.append(
                        tag("circle", {"cx": x, "cy": y, "r": r * 1.9, "fill": kit.url("glow")})
                    )
                if kind == "spots":
                    parts.append(tag("circle", {"cx": x, "cy": y, "r": r, "fill": p.accent_light}))
                else:
                    parts.append(heart(x, y, r * 1.2, p.accent_light))
    return group({"id": "markings", "clip-path": kit.url("body")}, parts)


def heart(x: float, y: float, r: float, fill: str) -> str:
    d = (
        Path()
        .move(x, y + r)
        .curve(x - r * 1.6, y - r * 0.1, x - r * 0.7, y - r * 1.3, x, y - r * 0.35)
        .curve(x + r * 0.7, y - r * 1.3, x + r * 1.6, y - r * 0.1, x, y + r)
        .close()
    )
    return tag("path", {"d": str(d), "fill": fill})


# -- the face ------------------------------------------------------------------------------


def face(kit: Kit) -> str:
    draw = {
        "cute": cute_face,
        "fantasy": fantasy_face,
        "sci-fi": scifi_face,
        "minimal": minimal_face,
    }
    return group({"id": "face"}, draw[kit.style](kit))


def cute_face(kit: Kit) -> list[str]:
    a, p = kit.anatomy, kit.palette
    r = a.eye_r
    parts = []
    for side in SIDES:
        x = a.cx + side * a.eye_dx
        parts.append(
            tag("ellipse", {"cx": x, "cy": a.eye_y, "rx": r, "ry": r * 1.12, "fill": p.eye})
        )
        parts.append(
            tag(
                "circle",
                {"cx": x - r * 0.32, "cy": a.eye_y - r * 0.42, "r": r * 0.36, "fill": "#ffffff"},
            )
        )
        parts.append(
            tag(
                "circle",
                {"cx": x + r * 0.34, "cy": a.eye_y + r * 0.38, "r": r * 0.16, "fill": "#ffffff"},
            )
        )
        parts.append(
            tag(
                "ellipse",
                {
                    "cx": a.cx + side * a.rx * 0.62,
                    "cy": a.mouth_y,
                    "rx": r * 0.62,
                    "ry": r * 0.36,
                    "fill": p.cheek,
                    "opacity": "0.8",
                },
            )
        )
    m = a.rx * 0.11
    y = a.mouth_y
    mouth = (
        Path()
        .move(a.cx - m, y)
        .quad(a.cx - m / 2, y + m * 0.9, a.cx, y)
        .quad(a.cx + m / 2, y + m * 0.9, a.cx + m, y)
    )
    parts.append(tag("path", {"d": str(mouth), **kit.line(p.outline, 3.5)}))
    parts += brows(kit)
    return parts


def fantasy_face(kit: Kit) -> list[str]:
    a, p = kit.anatomy, kit.palette
    r = a.eye_r * 1.05
    parts = []
    for side in SIDES:
        x, y = a.cx + side * a.eye_dx, a.eye_y
        almond = (
            Path()
            .move(x - r, y)
            .quad(x, y - r * 1.25, x + r, y)
            .quad(x, y + r * 1.25, x - r, y)
            .close()
        )
        parts.append(
            tag(
                "path", {"d": str(almond), "fill": p.iris, "stroke": p.outline, "stroke-width": 3.5}
            )
        )
        parts.append(
            tag("ellipse", {"cx": x, "cy": y, "rx": r * 0.2, "ry": r * 0.55, "fill": p.eye})
        )
        parts.append(
            tag(
                "circle", {"cx": x - r * 0.35, "cy": y - r * 0.25, "r": r * 0.16, "fill": "#ffffff"}
            )
        )
        parts.append(
            tag(
                "ellipse",
                {
                    "cx": a.cx + side * a.rx * 0.14,
                    "cy": a.mouth_y - a.ry * 0.07,
                    "rx": 2.5,
                    "ry": 4,
                    "fill": p.outline,
                },
            )
        )
    m = a.rx * 0.2
    y = a.mouth_y + 4
    parts.append(
        tag(
            "path",
            {
                "d": str(Path().move(a.cx - m, y).quad(a.cx, y + m * 0.55, a.cx + m, y)),
                **kit.line(p.outline, 3.5),
            },
        )
    )
    fang_x = a.cx + m * 0.45
    parts.append(
        tag(
            "polygon",
            {
                "points": points(
                    fang_x - 4, y + m * 0.22, fang_x + 4, y + m * 0.2, fang_x, y + m * 0.2 + 9
                ),
                "fill": "#ffffff",
                "stroke": p.outline,
                "stroke-width": 1.5,
            },
        )
    )
    if a.stage >= 4:
        parts += brows(kit, force=True)
    return parts


def scifi_face(kit: Kit) -> list[str]:
    a, p = kit.anatomy, kit.palette
    r = a.eye_r
    width = (a.eye_dx + r * 1.7) * 2
    parts = [
        tag(
            "rect",
            {
                "x": a.cx - width / 2,
                "y": a.eye_y - r * 1.15,
                "width": width,
                "height": r * 2.3,
                "rx": r * 1.15,
                "fill": "#101722",
                "stroke": p.outline,
                "stroke-width": 4,
            },
        )
    ]
    for side in SIDES:
        x = a.cx + side * a.eye_dx
        parts.append(
            tag(
                "rect",
                {
                    "x": x - r * 0.6,
                    "y": a.eye_y - r * 0.7,
                    "width": r * 1.2,
                    "height": r * 1.4,
                    "rx": r * 0.45,
                    "fill": p.glow,
                },
            )
        )
        parts.append(
            tag(
                "rect",
                {
                    "x": x - r * 0.3,
                    "y": a.eye_y - r * 0.5,
                    "width": r * 0.3,
                    "height": r * 0.5,
                    "rx": r * 0.15,
                    "fill": "#ffffff",
                    "opacity": "0.85",
                },
            )
        )
    glare = (
        Path()
        .move(a.cx - width / 2 + r * 0.6, a.eye_y - r * 0.75)
        .line(a.cx - width / 2 + r * 1.6, a.eye_y - r * 0.75)
    )
    parts.append(tag("path", {"d": str(glare), **kit.line("#ffffff", 3), "opacity": "0.5"}))
    y = a.mouth_y + 2
    for k in (-1, 0, 1):
        parts.append(
            tag(
                "line",
                {
                    "x1": a.cx + k * 9,
                    "y1": y,
                    "x2": a.cx + k * 9,
                    "y2": y + 8,
                    **kit.line(p.outline, 3.5),
                },
            )
        )
    for side in SIDES:
        parts.append(
            tag(
                "circle",
                {"cx": a.cx + side * a.rx * 0.62, "cy": a.mouth_y, "r": 4, "fill": p.accent},
            )
        )
    return parts


def minimal_face(kit: Kit) -> list[str]:
    a, p = kit.anatomy, kit.palette
    r = a.eye_r * 0.55
    parts = [
        tag("circle", {"cx": a.cx + side * a.eye_dx, "cy": a.eye_y, "r": r, "fill": p.eye})
        for side in SIDES
    ]
    m = a.rx * 0.09
    parts.append(
        tag(
            "path",
            {
                "d": str(
                    Path().move(a.cx - m, a.mouth_y).quad(a.cx, a.mouth_y + m, a.cx + m, a.mouth_y)
                ),
                **kit.line(p.eye, 3.5),
            },
        )
    )
    return parts


def brows(kit: Kit, force: bool = False) -> list[str]:
    """Eyebrows: the elder's wise look (and an adult dragon's frown)."""
    a, p = kit.anatomy, kit.palette
    if a.stage < 5 and not force:
        return []
    r = a.eye_r
    parts = []
    for side in SIDES:
        x = a.cx + side * a.eye_dx
        y = a.eye_y - r * 1.55
        d = (
            Path()
            .move(x - side * r * 0.9, y + r * 0.25)
            .quad(x, y - r * 0.35, x + side * r * 0.9, y)
        )
        parts.append(tag("path", {"d": str(d), **kit.line(p.outline, 4.5)}))
    return parts


# -- the elder's light ---------------------------------------------------------------------


def aura(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    cy = a.cy - a.ry * 0.1
    return group(
        {"id": "aura"},
        [
            tag("circle", {"cx": a.cx, "cy": cy, "r": a.rx * 2.0, "fill": kit.url("glow")}),
            tag(
                "circle",
                {"cx": a.cx, "cy": cy, "r": a.rx * 1.72, **kit.line(p.glow, 3), "opacity": "0.45"},
            ),
            tag(
                "circle",
                {
                    "cx": a.cx,
                    "cy": cy,
                    "r": a.rx * 1.92,
                    **kit.line(p.glow, 2),
                    "opacity": "0.25",
                    "stroke-dasharray": "4 10",
                },
            ),
        ],
    )


def sparkles(kit: Kit) -> str:
    a, p = kit.anatomy, kit.palette
    dice = kit.dice("sparkles")
    spots = [(-1.55, -0.9), (1.5, -1.05), (-1.7, 0.35), (1.65, 0.2), (-0.9, -1.45), (0.95, -1.5)]
    parts = []
    for dx, dy in spots:
        x = a.cx + dx * a.rx + dice.between(-8, 8)
        y = a.cy + dy * a.ry + dice.between(-8, 8)
        parts.append(
            tag("polygon", {"points": points(*star(x, y, 8 + dice.roll(8))), "fill": p.sparkle})
        )
    return group({"id": "sparkles"}, parts)
