"""Our own deterministic procedural SVG renderer (no external service, no network).

``SvgRenderer`` is the application's ``Renderer`` port: it draws a portrait (``compose.py``)
and keeps the three pictures in the content-addressed asset store, returning their names.
"""

from __future__ import annotations

from functools import lru_cache

from domain.companions.appearance import Emblem, ItemLayer, Portrait, RenderedImages
from infrastructure.companions.assets import FileAssetStore
from infrastructure.companions.renderer.compose import (
    egg_picture,
    item_icon_picture,
    portrait_pictures,
    stage_art_picture,
)
from infrastructure.companions.renderer.emblems import emblem_picture

SVG = "image/svg+xml"


class MissingStageArt(Exception):
    """The customer's uploaded art for the stage is not in the asset store."""


class SvgRenderer:
    def __init__(self, assets: FileAssetStore) -> None:
        self._assets = assets

    def render_buddy(self, portrait: Portrait) -> RenderedImages:
        art = None
        if portrait.stage_art is not None and portrait.stage_art.source == "upload":
            art = self._assets.get(portrait.stage_art.asset)
            if art is None:
                raise MissingStageArt(portrait.stage_art.asset)
        pictures = portrait_pictures(portrait, art)
        return RenderedImages(
            image=self._keep(pictures.image),
            base_image=self._keep(pictures.base_image),
            thumb=self._keep(pictures.thumb),
        )

    def render_stage_art(self, stage: int, style: str, seed: int) -> str:
        return self._keep(_stage_art(stage, style, seed))

    def render_egg(self, visual_variant: int, style: str) -> str:
        return self._keep(_egg(visual_variant, style))

    def render_item_icon(self, item: ItemLayer, seed: int, rarity: str | None = None) -> str:
        return self._keep(item_icon_picture(item, seed, rarity))

    def draw_item_icon(self, item: ItemLayer, rarity: str, seed: int) -> str:
        return _item_icon(item, rarity, seed)

    def draw_emblem(self, emblem: Emblem, seed: int) -> str:
        return _emblem(emblem, seed)

    def render_emblem(self, emblem: Emblem, seed: int) -> str:
        return self._keep(_emblem(emblem, seed))

    def _keep(self, svg: str) -> str:
        return self._assets.put(svg.encode(), SVG)


@lru_cache(maxsize=256)
def _stage_art(stage: int, style: str, seed: int) -> str:
    return stage_art_picture(stage, style, seed)


@lru_cache(maxsize=512)
def _item_icon(item: ItemLayer, rarity: str, seed: int) -> str:
    return item_icon_picture(item, seed, rarity)


@lru_cache(maxsize=512)
def _emblem(emblem: Emblem, seed: int) -> str:
    return emblem_picture(emblem, seed)


@lru_cache(maxsize=128)
def _egg(visual_variant: int, style: str) -> str:
    return egg_picture(visual_variant, style)
