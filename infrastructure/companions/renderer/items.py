"""Equipped items, drawn as layers on the buddy's anchors.

A catalog item is only ``item_id``, ``name`` and ``category``, so its look is derived: the
words of its id and name pick a motif of its category (``graduation_cap`` → mortarboard,
``reading_glasses`` → half-moon glasses), otherwise the id picks one; the id also picks its
colours. The same item therefore looks the same on every buddy, at every stage, scaled to
the body. Each layer is one ``<g data-item=… data-category=…>``; the composer draws them in
``(layer_order, item_id)`` order. How each category is drawn is in ``wardrobe/``;
``background`` items are scenes (``scenes.py``).
"""

from __future__ import annotations

from domain.companions.appearance import ItemLayer
from infrastructure.companions.renderer.dice import Dice
from infrastructure.companions.renderer.kit import Kit
from infrastructure.companions.renderer.svg import group
from infrastructure.companions.renderer.wardrobe.accessories import (
    ACCESSORY,
    ACCESSORY_FALLBACK,
    ACCESSORY_WORDS,
)
from infrastructure.companions.renderer.wardrobe.body import BODY, BODY_FALLBACK, BODY_WORDS
from infrastructure.companions.renderer.wardrobe.common import Draw, colours_of
from infrastructure.companions.renderer.wardrobe.face import FACE, FACE_FALLBACK, FACE_WORDS
from infrastructure.companions.renderer.wardrobe.feet import FEET, FEET_FALLBACK, FEET_WORDS
from infrastructure.companions.renderer.wardrobe.hand import HAND, HAND_FALLBACK, HAND_WORDS
from infrastructure.companions.renderer.wardrobe.head import HATS, HEAD, HEAD_FALLBACK, HEAD_WORDS
from infrastructure.companions.renderer.wardrobe.neck import NECK, NECK_FALLBACK, NECK_WORDS

Words = tuple[tuple[tuple[str, ...], str], ...]


def motif_of(item: ItemLayer, table: Words, fallback: tuple[str, ...]) -> str:
    """The first motif whose keyword is in the item's id or name, else one picked by its id."""
    words = f"{item.item_id} {item.name}".lower()
    for keywords, motif in table:
        if any(word in words for word in keywords):
            return motif
    return Dice(item.item_id, "motif").pick(fallback)


WEARABLES: dict[str, tuple[dict[str, Draw], Words, tuple[str, ...]]] = {
    "head": (HEAD, HEAD_WORDS, HEAD_FALLBACK),
    "face": (FACE, FACE_WORDS, FACE_FALLBACK),
    "neck": (NECK, NECK_WORDS, NECK_FALLBACK),
    "body": (BODY, BODY_WORDS, BODY_FALLBACK),
    "feet": (FEET, FEET_WORDS, FEET_FALLBACK),
    "hand": (HAND, HAND_WORDS, HAND_FALLBACK),
}


def covers_crest(item: ItemLayer) -> bool:
    return item.category == "head" and motif_of(item, HEAD_WORDS, HEAD_FALLBACK) in HATS


def item_layer(kit: Kit, item: ItemLayer, slot: int) -> str:
    """One worn item; ``slot`` counts the accessories drawn before this one."""
    colours = colours_of(item.item_id)
    if item.category == "accessory":
        motif = motif_of(item, ACCESSORY_WORDS, ACCESSORY_FALLBACK)
        parts = ACCESSORY[motif](kit, colours, slot)
    else:
        drawings, words, fallback = WEARABLES[item.category]
        motif = motif_of(item, words, fallback)
        parts = drawings[motif](kit, colours)
    return group(
        {"data-item": item.item_id, "data-category": item.category, "data-motif": motif},
        parts,
    )
