"""Properties of the procedural icons (decision 0046): the same values give the same bytes,
in this process and in another; every icon is well-formed, safe SVG whatever the name."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.companions.appearance import Emblem, ItemLayer
from domain.configs.rulebook import LAYER_ORDER, RARITIES
from infrastructure.companions.image_checks import check_svg
from infrastructure.companions.renderer.compose import item_icon_picture
from infrastructure.companions.renderer.emblems import BADGE_GLYPHS, emblem_picture

ITEM_ID = st.from_regex(r"[a-z0-9][a-z0-9_\-]{0,63}", fullmatch=True)
KEY = st.from_regex(r"[a-z][a-z0-9_]{0,63}", fullmatch=True)
NAME = st.text(min_size=1, max_size=200)
SEED = st.integers(0, 2**31 - 1)
EMBLEM = st.one_of(
    st.builds(Emblem, st.just("badge"), KEY, NAME, st.sampled_from(["", *BADGE_GLYPHS])),
    st.builds(Emblem, st.just("skill"), KEY, NAME),
)


def item(item_id: str, name: str, category: str) -> ItemLayer:
    return ItemLayer(LAYER_ORDER[category], item_id, name, category)


@settings(max_examples=60, deadline=None)
@given(ITEM_ID, NAME, st.sampled_from(sorted(LAYER_ORDER)), st.sampled_from(RARITIES), SEED)
def test_an_item_icon_is_a_function_of_its_values(
    item_id: str, name: str, category: str, rarity: str, seed: int
) -> None:
    svg = item_icon_picture(item(item_id, name, category), seed, rarity)
    assert item_icon_picture(item(item_id, name, category), seed, rarity) == svg
    check_svg(svg.encode())
    root = ElementTree.fromstring(svg)
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and str(title.text).endswith(f"({category})")
    if name.isprintable():  # what XML cannot hold is replaced, line ends normalised
        assert title.text == f"{name} ({category})"
    framed = [e.attrib["data-rarity"] for e in root.iter() if "data-rarity" in e.attrib]
    assert framed == [rarity]
    drawn = [e.attrib["data-item"] for e in root.iter() if "data-item" in e.attrib]
    assert drawn == [item_id] or category == "background"  # a scene is the whole picture


@settings(max_examples=60, deadline=None)
@given(EMBLEM, SEED)
def test_a_badge_or_skill_icon_is_a_function_of_its_values(emblem: Emblem, seed: int) -> None:
    svg = emblem_picture(emblem, seed)
    assert emblem_picture(Emblem(emblem.kind, emblem.key, emblem.name, emblem.theme), seed) == svg
    check_svg(svg.encode())
    root = ElementTree.fromstring(svg)
    kinds = [e.attrib["data-emblem"] for e in root.iter() if "data-emblem" in e.attrib]
    assert kinds == [emblem.kind]


@settings(max_examples=30, deadline=None)
@given(KEY, NAME)
def test_a_badges_glyph_follows_its_condition_kind(key: str, name: str) -> None:
    for kind, glyph in BADGE_GLYPHS.items():
        svg = emblem_picture(Emblem("badge", key, name, kind), 0)
        assert f'data-glyph="{glyph}"' in svg


def test_another_process_draws_the_same_bytes() -> None:
    """No hash seed, clock or random source reaches an icon: another interpreter with another
    ``PYTHONHASHSEED`` draws the very same bytes."""
    script = (
        "import hashlib\n"
        "from domain.companions.appearance import Emblem, ItemLayer\n"
        "from infrastructure.companions.renderer.compose import item_icon_picture\n"
        "from infrastructure.companions.renderer.emblems import emblem_picture\n"
        "svg = item_icon_picture(ItemLayer(70, 'golden_hat', 'Golden Hat', 'head'), 0, 'epic')\n"
        "svg += emblem_picture(Emblem('badge', 'scholar', 'Scholar', 'milestone'), 9)\n"
        "svg += emblem_picture(Emblem('skill', 'grammar', 'Grammar'), 0)\n"
        "print(hashlib.sha256(svg.encode()).hexdigest(), end='')\n"
    )
    here = item_icon_picture(ItemLayer(70, "golden_hat", "Golden Hat", "head"), 0, "epic")
    here += emblem_picture(Emblem("badge", "scholar", "Scholar", "milestone"), 9)
    here += emblem_picture(Emblem("skill", "grammar", "Grammar"), 0)
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={**os.environ, "PYTHONHASHSEED": "4242", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == hashlib.sha256(here.encode()).hexdigest()
