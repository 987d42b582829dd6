"""Properties of the renderer over many buddies, stages, styles and outfits."""

from __future__ import annotations

from xml.etree import ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.companions.appearance import CREATURE_STYLES, THEMES, Portrait, item_layers
from domain.configs.rulebook import LAYER_ORDER, VISUAL_CATEGORIES
from infrastructure.companions.image_checks import check_svg
from infrastructure.companions.renderer.compose import portrait_pictures

ITEM_ID = st.from_regex(r"[a-z0-9][a-z0-9_\-]{0,20}", fullmatch=True)
CATEGORY = st.sampled_from(sorted(LAYER_ORDER))
CATALOG = st.dictionaries(ITEM_ID, st.tuples(st.text(max_size=20), CATEGORY), max_size=6)


@st.composite
def portraits(draw: st.DrawFn) -> tuple[dict[str, object], dict[str, tuple[str, str]], list[str]]:
    catalog = draw(CATALOG)
    worn = draw(st.lists(st.sampled_from(sorted(catalog)), unique=True) if catalog else st.just([]))
    fields = {
        "seed": draw(st.uuids()).hex,
        "stage": draw(st.integers(1, 5)),
        "style": draw(st.sampled_from(CREATURE_STYLES)),
        "theme": draw(st.sampled_from(THEMES)),
        "egg_variant": draw(st.integers(0, 11)),
    }
    return fields, catalog, worn


def drawn_items(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [e.attrib["data-item"] for e in root.iter() if "data-item" in e.attrib]


@settings(max_examples=30, deadline=None)
@given(portraits())
def test_equal_portraits_give_identical_bytes(
    case: tuple[dict[str, object], dict[str, tuple[str, str]], list[str]],
) -> None:
    fields, catalog, worn = case
    one = Portrait(**fields, items=item_layers(worn, catalog))  # type: ignore[arg-type]
    two = Portrait(
        **fields, items=item_layers(list(reversed(worn)), dict(reversed(catalog.items())))
    )  # type: ignore[arg-type]
    assert portrait_pictures(one) == portrait_pictures(two)


@settings(max_examples=30, deadline=None)
@given(portraits())
def test_pictures_are_safe_svg_with_items_in_layer_order(
    case: tuple[dict[str, object], dict[str, tuple[str, str]], list[str]],
) -> None:
    fields, catalog, worn = case
    pictures = portrait_pictures(Portrait(**fields, items=item_layers(worn, catalog)))  # type: ignore[arg-type]
    for svg in (pictures.image, pictures.base_image, pictures.thumb):
        check_svg(svg.encode())
    backgrounds = sorted(i for i in worn if catalog[i][1] == "background")
    visible = [i for i in worn if catalog[i][1] in VISUAL_CATEGORIES]  # boosters are not drawn
    expected = sorted(visible, key=lambda i: (LAYER_ORDER[catalog[i][1]], i))
    if len(backgrounds) > 1:  # one scene is drawn: the first in layer order
        expected = [i for i in expected if i not in backgrounds[1:]]
    assert drawn_items(pictures.image) == expected
    assert drawn_items(pictures.base_image) == []
