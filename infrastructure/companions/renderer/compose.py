"""Whole pictures: a portrait becomes three SVG documents (composite, base, thumbnail).

Layers, back to front: the backdrop (or the worn ``background`` item's scene), the figure
(the procedural buddy, or the customer's stage art embedded as a ``data:`` URI so the file
stands alone inside an ``<img>``), then every other item in ``(layer_order, item_id)``
order. The base picture is the same without items; the thumbnail is the composite cropped
to the buddy and drawn at 128 x 128.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from domain.companions.appearance import STAGE_NAMES, ItemLayer, Portrait
from infrastructure.companions.renderer.anatomy import CANVAS, GROUND, Anatomy, anatomy_for
from infrastructure.companions.renderer.creature import creature
from infrastructure.companions.renderer.egg import egg, egg_colours, pattern_of
from infrastructure.companions.renderer.emblems import booster_parts, rarity_frame
from infrastructure.companions.renderer.items import covers_crest, item_layer
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.palette import palette_for
from infrastructure.companions.renderer.scenes import backdrop, scene
from infrastructure.companions.renderer.svg import group, num, tag, text

FULL_SIZE = 512
THUMB_SIZE = 128
ICON_SIZE = 256
ICON_STAGE = 4
MANNEQUIN = ("#e4e4e7", "#d4d4d8")
SVG_NS = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Pictures:
    image: str
    base_image: str
    thumb: str


def document(
    prefix: str, title: str, body: list[str], size: int, view: tuple[float, float, float]
) -> str:
    x, y, side = view
    frame = tag(
        "clipPath",
        {"id": f"{prefix}-frame"},
        tag("rect", {"x": x, "y": y, "width": side, "height": side, "rx": side * 0.094}),
    )
    return tag(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": size,
            "height": size,
            "viewBox": f"{num(x)} {num(y)} {num(side)} {num(side)}",
            "role": "img",
            "aria-label": title,
        },
        tag("title", {}, text(title)),
        tag("defs", {}, frame),
        group({"clip-path": f"url(#{prefix}-frame)"}, body),
    )


def portrait_pictures(portrait: Portrait, art: bytes | None = None) -> Pictures:
    """``art`` is the bytes of an uploaded stage asset (``portrait.stage_art``), if any."""
    anatomy = anatomy_for(portrait.stage)
    generated = portrait.stage_art is not None and portrait.stage_art.source == "generated"
    seed = (
        f"stage-art:{portrait.stage_art.seed}"
        if generated and portrait.stage_art
        else portrait.seed
    )
    palette = palette_for(seed, portrait.style, portrait.theme)
    kit = Kit.make(anatomy, palette, portrait.style, seed)
    backgrounds = [i for i in portrait.items if i.category == "background"]
    wearables = [i for i in portrait.items if i.category != "background"]
    dark = portrait.theme == "dark"
    default_backdrop = backdrop(kit.prefix, palette, dark)
    if portrait.stage_art is not None and portrait.stage_art.source == "upload" and art is not None:
        figure = worn_figure = embedded(portrait.stage_art.content_type, art)
    else:
        shell = egg_colours(portrait.egg_variant, portrait.style)
        figure = creature(kit, shell)
        hatted = any(covers_crest(i) for i in wearables)
        worn_figure = creature(kit, shell, hatted=True) if hatted else figure
    layers = [scene(kit.prefix, backgrounds[0]) if backgrounds else default_backdrop, worn_figure]
    slot = 0
    for item in wearables:
        layers.append(item_layer(kit, item, slot))
        slot += item.category == "accessory"
    name = STAGE_NAMES[portrait.stage]
    full = (0.0, 0.0, float(CANVAS))
    return Pictures(
        image=document(kit.prefix, f"{name} buddy", layers, FULL_SIZE, full),
        base_image=document(
            kit.prefix, f"{name} buddy", [default_backdrop, figure], FULL_SIZE, full
        ),
        thumb=document(kit.prefix, f"{name} buddy", layers, THUMB_SIZE, thumb_view(anatomy)),
    )


def thumb_view(a: Anatomy) -> tuple[float, float, float]:
    """A square around the buddy: small stages are zoomed in so an avatar still reads."""
    top = a.top - a.horn_length - 50
    bottom = GROUND + 24
    half_height = (bottom - top) / 2
    half_width = a.rx + a.wing_span * 0.75 + 40
    side = min(max(half_height, half_width) * 2, float(CANVAS))
    centre_y = (top + bottom) / 2
    y = min(max(centre_y - side / 2, 0.0), CANVAS - side)
    return (a.cx - side / 2, y, side)


def embedded(content_type: str, data: bytes) -> str:
    href = f"data:{content_type};base64,{base64.b64encode(data).decode()}"
    return tag(
        "image",
        {
            "href": href,
            "x": 0,
            "y": 0,
            "width": CANVAS,
            "height": CANVAS,
            "preserveAspectRatio": "xMidYMid meet",
        },
    )


def stage_art_picture(stage: int, style: str, seed: int) -> str:
    """Procedural art for one stage, on a transparent ground: what ``regenerate`` stores
    and what the default library shows."""
    art_seed = f"stage-art:{seed}"
    palette = palette_for(art_seed, style, "light")
    kit = Kit.make(anatomy_for(stage), palette, style, art_seed)
    figure = creature(kit, egg_colours(seed % 12, style))
    name = STAGE_NAMES[stage]
    return tag(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": FULL_SIZE,
            "height": FULL_SIZE,
            "viewBox": f"0 0 {CANVAS} {CANVAS}",
            "role": "img",
            "aria-label": f"{name} ({style})",
        },
        tag("title", {}, text(f"{name} ({style})")),
        figure,
    )


def egg_picture(variant: int, style: str, theme: str = "light") -> str:
    prefix = f"egg{variant}"
    palette = palette_for(f"egg:{variant}", style, theme)
    body = [backdrop(prefix, palette, theme == "dark"), egg(variant, style, prefix)]
    title = f"Egg, variant {variant} ({pattern_of(variant)})"
    return document(prefix, title, body, FULL_SIZE, (0.0, 0.0, float(CANVAS)))


def item_icon_picture(item: ItemLayer, seed: int, rarity: str | None = None) -> str:
    """A shop icon for a catalogue item: the item as a buddy wears it, on a faint mannequin,
    framed around where it sits (a background item is its whole scene). The item is drawn
    exactly as on a buddy (its look follows its id); ``seed`` picks the backdrop, so a
    regenerated icon differs while the same ``(item, seed)`` always gives the same bytes.
    With a ``rarity`` the icon is framed in its colour (``emblems.rarity_frame``)."""
    art_seed = f"item-icon:{item.item_id}:{seed}"
    palette = palette_for(art_seed, "minimal", "light")
    anatomy = anatomy_for(ICON_STAGE)
    kit = Kit.make(anatomy, palette, "cute", art_seed)
    title = f"{item.name} ({item.category})"
    if item.category == "background":
        body = [scene(kit.prefix, item)]
        view = (0.0, 0.0, float(CANVAS))
    elif item.category == "booster":  # consumed, never worn: no mannequin
        body = [backdrop(kit.prefix, palette, False), *booster_parts(item.item_id, CANVAS)]
        view = (0.0, 0.0, float(CANVAS))
    else:
        mannequin = creature(kit, MANNEQUIN, hatted=covers_crest(item))
        body = [
            backdrop(kit.prefix, palette, False),
            group({"opacity": "0.3"}, [mannequin]),
            item_layer(kit, item, 0),
        ]
        view = icon_view(anatomy, item.category)
    if rarity is not None:
        body.append(rarity_frame(view, rarity))
    return document(kit.prefix, title, body, ICON_SIZE, view)


def icon_view(a: Anatomy, category: str) -> tuple[float, float, float]:
    """A square around where an item of ``category`` sits on the body."""
    centre, side = {
        "head": (a.head_top.y, a.rx * 1.7),
        "face": (a.eye_y, a.rx * 1.5),
        "neck": (a.neck_y, a.rx * 1.5),
        "body": (a.cy, max(a.rx, a.ry) * 2.3),
        "hand": (a.hand(1).y, a.rx * 2.8),
        "feet": (GROUND - a.foot_height * 0.5, a.rx * 1.9),
    }.get(category, (0.0, 0.0))
    if not side:
        return thumb_view(a)
    y = min(max(centre - side / 2, 0.0), CANVAS - side)
    return (a.cx - side / 2, y, side)
