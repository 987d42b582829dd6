"""The procedural renderer: what each stage, style, item and egg variant draws."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from domain.companions.appearance import (
    CREATURE_STYLES,
    ItemLayer,
    Portrait,
    StageArtRef,
    item_layers,
)
from domain.configs.rulebook import LAYER_ORDER
from infrastructure.companions.image_checks import check_svg
from infrastructure.companions.renderer.anatomy import anatomy_for
from infrastructure.companions.renderer.compose import (
    egg_picture,
    portrait_pictures,
    stage_art_picture,
)
from infrastructure.companions.renderer.items import motif_of
from infrastructure.companions.renderer.scenes import scene
from infrastructure.companions.renderer.svg import num

SVG = "{http://www.w3.org/2000/svg}"
CATALOG = {
    "library_background": ("Library", "background"),
    "scholar_scarf": ("Scholar's Scarf", "neck"),
    "reading_glasses": ("Reading Glasses", "face"),
    "graduation_cap": ("Graduation Cap", "head"),
    "quill": ("Quill", "hand"),
    "flag_pin": ("Flag Pin", "accessory"),
    "balloon": ("Balloon", "accessory"),
    "running_shoes": ("Running Shoes", "feet"),
    "cozy_sweater": ("Cozy Sweater", "body"),
}


def portrait(
    stage: int = 3, style: str = "cute", items: tuple[str, ...] = (), **extra: object
) -> Portrait:
    fields: dict[str, object] = {
        "seed": "5e7d0c41a9b84f0e9d6c2b1a3f4e5d6c",
        "stage": stage,
        "style": style,
        "theme": "light",
        "egg_variant": 7,
        "items": item_layers(items, CATALOG),
        **extra,
    }
    return Portrait(**fields)  # type: ignore[arg-type]


def item_order(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [e.attrib["data-item"] for e in root.iter() if "data-item" in e.attrib]


def test_numbers_are_written_one_way() -> None:
    assert [num(3), num(2.5), num(2.50001), num(-0.001), num(1 / 3), num(100.0)] == [
        "3",
        "2.5",
        "2.5",
        "0",
        "0.33",
        "100",
    ]


def test_each_stage_is_bigger_than_the_one_before() -> None:
    sizes = [(anatomy_for(s).rx, anatomy_for(s).ry) for s in range(1, 6)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 5
    spans = [anatomy_for(s).wing_span for s in range(1, 6)]
    assert spans == sorted(spans) and spans[0] == 0 < spans[1]


@pytest.mark.parametrize("style", CREATURE_STYLES)
def test_stages_gain_features_and_differ(style: str) -> None:
    images = [portrait_pictures(portrait(stage, style)).base_image for stage in range(1, 6)]
    assert len(set(images)) == 5
    features = {
        stage: {e.attrib.get("id") for e in ElementTree.fromstring(svg).iter()}
        for stage, svg in enumerate(images, start=1)
    }
    assert "eggshell" in features[1] and "wings" not in features[1]
    assert {"wings", "feet", "arms"} <= features[2] and "horns" not in features[2]
    assert {"horns", "tail"} <= features[3] and "markings" not in features[3]
    assert "markings" in features[4] and "aura" not in features[4]
    assert {"aura", "sparkles", "markings", "horns"} <= features[5]


def test_styles_and_buddies_look_different() -> None:
    by_style = {portrait_pictures(portrait(3, s)).base_image for s in CREATURE_STYLES}
    assert len(by_style) == len(CREATURE_STYLES)
    one = portrait_pictures(portrait(3, seed="a" * 32)).base_image
    other = portrait_pictures(portrait(3, seed="b" * 32)).base_image
    assert one != other


def test_items_are_layered_by_layer_order_then_id_whatever_the_input_order() -> None:
    worn = ("quill", "flag_pin", "graduation_cap", "balloon", "reading_glasses")
    forwards = portrait_pictures(portrait(4, items=worn)).image
    backwards = portrait_pictures(portrait(4, items=tuple(reversed(worn)))).image
    assert forwards == backwards
    expected = sorted(worn, key=lambda i: (LAYER_ORDER[CATALOG[i][1]], i))
    assert (
        item_order(forwards)
        == expected
        == ["quill", "reading_glasses", "graduation_cap", "balloon", "flag_pin"]
    )


def test_the_base_picture_has_no_items_and_the_background_replaces_the_backdrop() -> None:
    pictures = portrait_pictures(portrait(2, items=("library_background", "scholar_scarf")))
    assert item_order(pictures.base_image) == []
    assert item_order(pictures.image) == ["library_background", "scholar_scarf"]
    root = ElementTree.fromstring(pictures.image)
    assert not [e for e in root.iter() if e.attrib.get("id") == "backdrop"]
    base_root = ElementTree.fromstring(pictures.base_image)
    assert [e for e in base_root.iter() if e.attrib.get("id") == "backdrop"]


def test_a_hat_hides_the_crest_only_in_the_composite() -> None:
    pictures = portrait_pictures(portrait(3, items=("graduation_cap",)))
    ids = lambda svg: {e.attrib.get("id") for e in ElementTree.fromstring(svg).iter()}  # noqa: E731
    assert "crest" in ids(pictures.base_image)
    assert "crest" not in ids(pictures.image)


def test_the_thumbnail_is_small_and_framed_on_the_buddy() -> None:
    for stage in range(1, 6):
        root = ElementTree.fromstring(portrait_pictures(portrait(stage)).thumb)
        assert root.attrib["width"] == root.attrib["height"] == "128"
        _, y, w, h = (float(v) for v in root.attrib["viewBox"].split())
        assert w == h <= 512 and y >= 0 and y + h <= 512
    small = ElementTree.fromstring(portrait_pictures(portrait(1)).thumb).attrib["viewBox"]
    large = ElementTree.fromstring(portrait_pictures(portrait(5)).thumb).attrib["viewBox"]
    assert float(small.split()[2]) < float(large.split()[2])


def test_motifs_come_from_the_words_of_an_item() -> None:
    def motif(item_id: str, name: str, category: str) -> str:
        from infrastructure.companions.renderer.items import WEARABLES

        _, words, fallback = WEARABLES[category]
        return motif_of(ItemLayer(LAYER_ORDER[category], item_id, name, category), words, fallback)

    assert motif("graduation_cap", "Graduation Cap", "head") == "mortarboard"
    assert motif("cap", "Cap", "head") == "cap"
    assert motif("reading_glasses", "Reading Glasses", "face") == "half_moons"
    assert motif("sunglasses", "Sunglasses", "face") == "sunglasses"
    assert motif("tie", "Tie", "neck") == "tie"
    assert motif("bow_tie", "Bow Tie", "neck") == "bowtie"
    assert motif("running_shoes", "Running Shoes", "feet") == "sneakers"
    assert motif("coffee_mug", "Coffee Mug", "hand") == "mug"
    unknown = motif("zz_9", "Zorblax", "head")
    assert unknown == motif("zz_9", "Zorblax", "head")  # picked from the id, stably
    library = ItemLayer(10, "library_background", "Library", "background")
    assert 'data-motif="library"' in scene("p", library)


def test_egg_variants_are_twelve_distinct_pictures() -> None:
    for style in CREATURE_STYLES:
        assert len({egg_picture(v, style) for v in range(12)}) == 12


def test_uploaded_stage_art_replaces_the_figure_and_keeps_the_items() -> None:
    art = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'
    ref = StageArtRef(source="upload", asset="f" * 64 + ".svg", content_type="image/svg+xml")
    pictures = portrait_pictures(portrait(3, items=("quill",), stage_art=ref), art)
    root = ElementTree.fromstring(pictures.image)
    assert not [e for e in root.iter() if e.attrib.get("id") == "creature"]
    images = [e for e in root.iter() if e.tag == f"{SVG}image"]
    assert len(images) == 1 and images[0].attrib["href"].startswith("data:image/svg+xml;base64,")
    assert item_order(pictures.image) == ["quill"]


def test_generated_stage_art_is_the_same_for_every_buddy() -> None:
    ref = StageArtRef(
        source="generated", asset="a" * 64 + ".svg", content_type="image/svg+xml", seed=3
    )
    one = portrait_pictures(portrait(2, seed="a" * 32, stage_art=ref)).base_image
    other = portrait_pictures(portrait(2, seed="b" * 32, stage_art=ref)).base_image
    assert one == other
    assert stage_art_picture(2, "cute", 3) != stage_art_picture(2, "cute", 4)


@pytest.mark.parametrize("style", CREATURE_STYLES)
def test_our_own_pictures_pass_our_upload_checks(style: str) -> None:
    worn = tuple(CATALOG)
    for stage in (1, 5):
        pictures = portrait_pictures(portrait(stage, style, items=worn))
        for svg in (pictures.image, pictures.base_image, pictures.thumb):
            check_svg(svg.encode())
    check_svg(egg_picture(3, style).encode())
    check_svg(stage_art_picture(4, style, 0).encode())


def test_the_same_portrait_gives_the_same_bytes_in_another_process() -> None:
    """Nothing depends on the process: not hash randomisation, not dict order, not time."""
    script = (
        "import hashlib, sys\n"
        "from tests.unit.test_renderer import portrait, CATALOG\n"
        "from infrastructure.companions.renderer.compose import portrait_pictures\n"
        "p = portrait_pictures(portrait(4, 'fantasy', items=tuple(CATALOG)))\n"
        "sys.stdout.write(hashlib.sha256((p.image + p.base_image + p.thumb).encode()).hexdigest())\n"
    )
    here = portrait_pictures(portrait(4, "fantasy", items=tuple(CATALOG)))
    expected = hashlib.sha256((here.image + here.base_image + here.thumb).encode()).hexdigest()
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == expected
