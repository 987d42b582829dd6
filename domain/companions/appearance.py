"""What a buddy's picture is made of, as values: the renderer's whole input and output.

A ``Portrait`` holds everything that decides the picture, and nothing else: the buddy's id
(its palette), its stage, the customer's creature style and widget theme, the egg it came
from, the items it wears in rendering order, and the customer's own art for the stage if
there is one. Equal portraits must give byte-identical images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from domain.configs.rulebook import LAYER_ORDER, MAX_STAGE, MIN_STAGE, VISUAL_CATEGORIES
from domain.shared.errors import DomainError

CreatureStyle = Literal["cute", "sci-fi", "fantasy", "minimal"]
CREATURE_STYLES: Final[tuple[CreatureStyle, ...]] = ("cute", "sci-fi", "fantasy", "minimal")
DEFAULT_CREATURE_STYLE: Final[CreatureStyle] = "cute"
THEMES: Final = ("light", "dark")
STAGE_NAMES: Final[dict[int, str]] = {
    1: "Hatchling",
    2: "Fledgling",
    3: "Juvenile",
    4: "Adult",
    5: "Elder",
}
NEEDS_RERENDER: Final = "needs_rerender"

AppearanceStatus = Literal["ready", "pending", "awaiting_credits", "failed"]
AWAITING_CREDITS: Final = "awaiting_credits"
StageArtSource = Literal["upload", "generated"]


@dataclass(frozen=True, order=True)
class ItemLayer:
    """One equipped item as the renderer sees it; sorting gives the rendering order."""

    layer_order: int
    item_id: str
    name: str
    category: str


@dataclass(frozen=True)
class Emblem:
    """What a badge's or a skill's procedural icon is drawn from: its key and name, and for
    a badge its condition kind (``theme``)."""

    kind: Literal["badge", "skill"]
    key: str
    name: str
    theme: str = ""


@dataclass(frozen=True)
class StageArtRef:
    """The customer's own art for a stage: an uploaded asset, or procedural art with a seed."""

    source: StageArtSource
    asset: str
    content_type: str
    seed: int | None = None


@dataclass(frozen=True)
class Portrait:
    seed: str
    stage: int
    style: CreatureStyle
    theme: str
    egg_variant: int
    items: tuple[ItemLayer, ...] = ()
    stage_art: StageArtRef | None = None


@dataclass(frozen=True)
class RenderedImages:
    """Asset names (``<sha256>.svg``) of the three pictures of one portrait."""

    image: str
    base_image: str
    thumb: str


def creature_style_of(settings: Mapping[str, Any]) -> CreatureStyle:
    """The customer's creature style; anything unknown falls back to ``cute``."""
    style = settings.get("creature_style")
    for known in CREATURE_STYLES:
        if style == known:
            return known
    return DEFAULT_CREATURE_STYLE


def theme_of(settings: Mapping[str, Any]) -> str:
    theme = settings.get("widget_theme")
    return theme if theme in THEMES else THEMES[0]


def item_layers(
    item_ids: Sequence[str], catalog: Mapping[str, tuple[str, str]]
) -> tuple[ItemLayer, ...]:
    """The worn items in rendering order, ``(layer_order, item_id)``.

    ``catalog`` maps an item id to its ``(name, category)``. An item no longer in the
    catalog (a migration dropped it) is left out of the picture rather than guessed at, and
    so is a non-visual one (a booster).
    """
    layers = [
        ItemLayer(LAYER_ORDER[catalog[i][1]], i, catalog[i][0], catalog[i][1])
        for i in item_ids
        if i in catalog and catalog[i][1] in VISUAL_CATEGORIES
    ]
    return tuple(sorted(layers))


MAX_SEED: Final = 2**31 - 1
"""The largest seed the renderer draws from (a seed picks a drawing's colours and shapes)."""


def check_seed(seed: int | None) -> None:
    """A seed from a request: ``None`` (one is picked) or 0 to ``MAX_SEED``, else
    ``validation_failed``."""
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise DomainError(
            "validation_failed",
            f"seed must be between 0 and {MAX_SEED}",
            {"fields": [{"field": "seed", "reason": f"must be 0 to {MAX_SEED}"}]},
        )


def check_stage(value: str | int) -> int:
    """A stage number from a path or a body: 1 to 5, else ``validation_failed``."""
    text = str(value)
    if text in {str(stage) for stage in range(MIN_STAGE, MAX_STAGE + 1)}:
        return int(text)
    raise DomainError(
        "validation_failed",
        f"stage must be an integer from {MIN_STAGE} to {MAX_STAGE}",
        {"fields": [{"field": "stage", "reason": f"must be {MIN_STAGE} to {MAX_STAGE}"}]},
    )
